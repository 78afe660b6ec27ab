//! One queue file's life: pickup → cleanup → qmgr → delivery attempts →
//! (bounce) → removed, with the content-filter detour and deferred retries.
//!
//! Long because a queue file's whole life (cleanup, qmgr, deliveries,
//! notifications, removal) is one state machine.

use super::clock::SEC;
use super::delivery::{self, Delays, Outcome, Rcpt, Route};
use super::engine::{Ctx, Flow};
use super::ids::Qid;
use super::names::{JUNK_HELOS, SPAM_SUBJECTS};
use super::net::Client;
use super::put::Put;
use super::session::Session;
use super::truth::{Evidence, Status};
use super::world::{Addr, MsgId, MsgIdStyle};

/// Where the message came from, for attribution and wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// SASL-authenticated submission (its `client=` line is the session's).
    Submitted,
    /// Mail for our users from outside.
    Inbound,
    /// Local `sendmail` by `uid`, logged in as `login`.
    Pickup { uid: u32, login: &'static str },
    /// Re-injected by the content filter after scanning an original.
    Continuation,
    /// A bounce notification made by Postfix.
    Ndr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Pickup,
    Cleanup,
    Active,
    Deliver,
    Filtered,
    Bounce,
    Removed,
}

/// `minimal_backoff_time` and `maximal_backoff_time` (Postfix defaults).
const MIN_BACKOFF: i64 = 300 * SEC;
const MAX_BACKOFF: i64 = 4000 * SEC;
/// `queue_run_delay`: a deferred message waits for the next queue scan.
const QUEUE_RUN: i64 = 300 * SEC;

pub(crate) struct Message {
    pub(crate) qid: Qid,
    pub(crate) kind: Kind,
    pub(crate) spam: bool,
    /// Goes to the content filter before delivery.
    pub(crate) filter: bool,
    pub(crate) sender: Addr,
    pub(crate) size: u32,
    pub(crate) msgid: MsgId,
    /// The SMTP client that submitted it (for amavis and XFORWARD).
    pub(crate) client: Option<Client>,
    pub(crate) rcpts: Vec<Rcpt>,
    /// Set by postsuper: the queue file is gone, stop silently.
    pub(crate) cancelled: bool,
    /// cleanup's `header_checks` rejects this message: (submitting account,
    /// index into [`SPAM_SUBJECTS`], index into [`JUNK_HELOS`]).
    pub(crate) header_reject: Option<(u32, u8, u8)>,
    state: State,
    arrival: i64,
    first_active: i64,
    attempts: u16,
    cursor: usize,
    step_dur: i64,
    backoff: i64,
    needs_ndr: bool,
    /// The content filter's re-injected copy, while handing over.
    continuation: Option<Qid>,
}

impl Message {
    /// A message whose queue file was created at `arrival`; it starts with
    /// its cleanup line unless it is a pickup (then the pickup line comes first).
    pub(crate) fn new(qid: Qid, kind: Kind, sender: Addr, msgid: MsgId, arrival: i64) -> Message {
        let state = match kind {
            Kind::Pickup { .. } => State::Pickup,
            _ => State::Cleanup,
        };
        Message {
            qid,
            kind,
            spam: false,
            filter: false,
            sender,
            size: 0,
            msgid,
            client: None,
            rcpts: Vec::new(),
            cancelled: false,
            header_reject: None,
            state,
            arrival,
            first_active: arrival,
            attempts: 0,
            cursor: 0,
            step_dur: 0,
            backoff: 0,
            needs_ndr: false,
            continuation: None,
        }
    }

    pub(crate) fn step(&mut self, ctx: &mut Ctx) -> Option<i64> {
        if self.cancelled {
            return None;
        }
        match self.state {
            State::Pickup => self.pickup(ctx),
            State::Cleanup => self.cleanup(ctx),
            State::Active => self.active(ctx),
            State::Deliver => self.deliver(ctx),
            State::Filtered => self.filtered(ctx),
            State::Bounce => self.bounce(ctx),
            State::Removed => self.removed(ctx),
        }
    }

    fn line<'a>(&self, ctx: &'a mut Ctx, tag: &str, pid: u32) -> &'a mut Vec<u8> {
        let b = ctx.out.begin(ctx.now, tag, Some(pid));
        b.b(self.qid.as_bytes()).s(": ")
    }

    fn pickup(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let Kind::Pickup { uid, login } = self.kind else {
            return None;
        };
        let pid = ctx.pids.pickup;
        self.line(ctx, "postfix/pickup", pid).s("uid=").n(uid.into()).s(" from=<").s(login);
        ctx.out.b_end(">");
        ctx.tally.pickup(uid);
        if self.spam {
            ctx.tally.spam_messages += 1;
            note_first_malicious(ctx, None);
        }
        self.state = State::Cleanup;
        Some(ctx.now + ctx.rng.ms(2, 40))
    }

    fn cleanup(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let pid = ctx.pids.cleanup.pick(&mut ctx.rng, &mut ctx.pids.counter);
        if let Some(reject) = self.header_reject {
            self.reject_header(ctx, pid, reject);
            return None;
        }
        self.line(ctx, "postfix/cleanup", pid).s("message-id=");
        let now = ctx.now;
        ctx.world.put_msgid(ctx.out.buf(), self.msgid, self.qid.as_bytes(), now);
        ctx.out.end();
        // opendkim signs only for our domains, not for a forged sender.
        if self.kind == Kind::Submitted && matches!(self.sender, Addr::Account(_)) {
            self.dkim_sign(ctx);
        }
        self.state = State::Active;
        Some(ctx.now + ctx.rng.ms(5, 250))
    }

    /// `QID: reject: header Subject: … from NAME[IP]; from=<…> to=<…>
    /// proto=ESMTP helo=<…>: 5.7.1 …`: cleanup drops the queue file, so no
    /// qmgr line, delivery or `removed` follows.
    fn reject_header(&self, ctx: &mut Ctx, pid: u32, (account, subject, helo): (u32, u8, u8)) {
        self.line(ctx, "postfix/cleanup", pid).s("reject: header Subject: ");
        let b = ctx.out.buf().s(SPAM_SUBJECTS[usize::from(subject)]).s(" from ");
        self.client.unwrap_or_else(Client::localhost).put(b);
        b.s("; from=<");
        ctx.world.put_addr(ctx.out.buf(), self.sender);
        ctx.out.buf().s("> to=<");
        if let Some(r) = self.rcpts.first() {
            ctx.world.put_addr(ctx.out.buf(), r.addr);
        }
        ctx.out.buf().s("> proto=ESMTP helo=<").s(JUNK_HELOS[usize::from(helo)]);
        ctx.out.b_end(">: 5.7.1 Message content rejected by header_checks");
        ctx.tally.cleanup_reject(account, self.spam);
        ctx.ids.free(self.qid);
    }

    /// opendkim signs outgoing mail in the cleanup milter; its lines carry
    /// the queue ID too.
    fn dkim_sign(&self, ctx: &mut Ctx) {
        let pid = ctx.pids.opendkim;
        self.line(ctx, "opendkim", pid).s("DKIM-Signature field added (s=mail, d=");
        ctx.world.put_domain(ctx.out.buf(), self.sender);
        ctx.out.b_end(")");
    }

    fn active(&mut self, ctx: &mut Ctx) -> Option<i64> {
        if self.attempts == 0 {
            self.first_active = ctx.now;
            if let (true, Kind::Submitted, Addr::Person { user, domain }) = (self.spam, self.kind, self.sender) {
                ctx.tally.forged_senders.insert((user, domain));
            }
        }
        self.attempts += 1;
        let pid = ctx.pids.qmgr;
        self.line(ctx, "postfix/qmgr", pid).s("from=<");
        ctx.world.put_addr(ctx.out.buf(), self.sender);
        let b = ctx.out.buf();
        b.s(">, size=").n(self.size.into()).s(", nrcpt=").n(self.rcpts.len() as u64);
        ctx.out.b_end(" (queue active)");
        if self.filter {
            return Some(self.hand_to_filter(ctx));
        }
        self.cursor = 0;
        self.next_group(ctx)
    }

    /// Schedules the next recipient group with work in this attempt, or
    /// settles the attempt when none is left.
    fn next_group(&mut self, ctx: &mut Ctx) -> Option<i64> {
        while self.cursor < self.rcpts.len() && self.rcpts[self.cursor].done {
            self.cursor += 1;
        }
        if self.cursor >= self.rcpts.len() {
            return self.settle(ctx);
        }
        let route = self.rcpts[self.cursor].route;
        self.step_dur = route.duration(&mut ctx.rng, self.attempts == 1);
        self.state = State::Deliver;
        Some(ctx.now + self.step_dur)
    }

    /// One delivery agent process handles consecutive recipients on one route.
    fn deliver(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let route = self.rcpts[self.cursor].route;
        let (tag, pid) = agent(ctx, route);
        let delays = self.delays(ctx.now, route.times_out());
        while self.cursor < self.rcpts.len() && self.rcpts[self.cursor].route == route {
            if !self.rcpts[self.cursor].done {
                self.deliver_one(ctx, tag, pid, &delays);
            }
            self.cursor += 1;
        }
        self.next_group(ctx)
    }

    fn deliver_one(&mut self, ctx: &mut Ctx, tag: &str, pid: u32, delays: &Delays) {
        let outcome = self.rcpts[self.cursor].attempt();
        let r = self.rcpts[self.cursor];
        let seed = ctx.rng.next_u64();
        if r.route == Route::Lmtp {
            self.dovecot_saved(ctx, r.addr, seed);
        }
        self.line(ctx, tag, pid);
        let b = ctx.out.buf();
        match r.route {
            Route::Smtp(_) => delivery::put_remote(b, &mut ctx.rng, &ctx.world, &r, outcome, delays),
            _ => delivery::put_local(b, &ctx.world, &r, delays, seed),
        }
        ctx.out.end();
        let status = match outcome {
            Outcome::Sent => Status::Sent,
            Outcome::Deferred => Status::Deferred,
            Outcome::Bounced { .. } => {
                self.needs_ndr = true;
                Status::Bounced
            }
        };
        ctx.tally.delivery(status);
        self.count_spam_rcpt(ctx, self.cursor);
    }

    fn count_spam_rcpt(&mut self, ctx: &mut Ctx, i: usize) {
        if self.spam && !self.rcpts[i].counted {
            self.rcpts[i].counted = true;
            ctx.tally.spam_recipients += 1;
        }
    }

    /// Dovecot's own line for an LMTP delivery, just before Postfix's.
    fn dovecot_saved(&self, ctx: &mut Ctx, addr: Addr, seed: u64) {
        let b = ctx.out.begin(ctx.now, "dovecot", None);
        b.s("lmtp(");
        ctx.world.put_addr(ctx.out.buf(), addr);
        let b = ctx.out.buf();
        b.s(")<").n(20_000 + seed % 9000).s("><").hex(seed, false).s(">: msgid=");
        let now = ctx.now;
        ctx.world.put_msgid(ctx.out.buf(), self.msgid, self.qid.as_bytes(), now);
        ctx.out.b_end(": saved mail to INBOX");
    }

    /// `delays=a/b/c/d` of a delivery finishing now; a timed-out connection
    /// spent all of its attempt in connection setup.
    fn delays(&self, now: i64, timed_out: bool) -> Delays {
        let before_qmgr = self.first_active - self.arrival;
        let conn = if timed_out { self.step_dur } else { self.step_dur * 2 / 5 };
        let xfer = self.step_dur - conn;
        let in_qmgr = (now - self.arrival - before_qmgr - conn - xfer).max(0);
        Delays { before_qmgr, in_qmgr, conn, xfer }
    }

    /// All recipients of this attempt are through: retry, expire, bounce or finish.
    fn settle(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let waiting = self.rcpts.iter().any(|r| !r.done);
        if waiting && ctx.now - self.arrival >= ctx.lifetime {
            self.expire(ctx);
        } else if waiting {
            self.backoff = (self.backoff * 2).clamp(MIN_BACKOFF, MAX_BACKOFF);
            self.state = State::Active;
            return Some(ctx.now + self.backoff + ctx.rng.below(QUEUE_RUN as u64) as i64);
        }
        self.state = if self.needs_ndr && self.sender != Addr::Null { State::Bounce } else { State::Removed };
        Some(ctx.now + ctx.rng.ms(1, 30))
    }

    fn expire(&mut self, ctx: &mut Ctx) {
        let pid = ctx.pids.qmgr;
        self.line(ctx, "postfix/qmgr", pid).s("from=<");
        ctx.world.put_addr(ctx.out.buf(), self.sender);
        ctx.out.b_end(">, status=expired, returned to sender");
        ctx.tally.expired += 1;
        for r in &mut self.rcpts {
            r.done = true;
        }
        self.needs_ndr = true;
    }

    /// The bounce daemon writes a notification (a new message) to the sender.
    fn bounce(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let ndr_qid = ctx.ids.alloc(&mut ctx.rng, ctx.now);
        let msgid = MsgId { style: MsgIdStyle::Postfix, seed: 0, domain: 0 };
        let cleanup = ctx.pids.cleanup.pick(&mut ctx.rng, &mut ctx.pids.counter);
        let b = ctx.out.begin(ctx.now, "postfix/cleanup", Some(cleanup));
        b.b(ndr_qid.as_bytes()).s(": message-id=");
        let now = ctx.now;
        ctx.world.put_msgid(ctx.out.buf(), msgid, ndr_qid.as_bytes(), now);
        ctx.out.end();
        let pid = ctx.pids.bounce.pick(&mut ctx.rng, &mut ctx.pids.counter);
        let b = self.line(ctx, "postfix/bounce", pid);
        b.s("sender non-delivery notification: ").b(ndr_qid.as_bytes());
        ctx.out.end();
        ctx.tally.ndrs += 1;
        self.spawn_ndr(ctx, ndr_qid, msgid);
        self.state = State::Removed;
        Some(ctx.now + ctx.rng.ms(1, 8))
    }

    fn spawn_ndr(&self, ctx: &mut Ctx, qid: Qid, msgid: MsgId) {
        let mut ndr = Message::new(qid, Kind::Ndr, Addr::Null, msgid, ctx.now);
        ndr.size = 2400 + self.size.min(6000) + ctx.rng.below(800) as u32;
        let mut rcpts = ctx.rcpt_vec();
        let route = Route::of(self.sender, &ctx.world);
        rcpts.push(delivery::plan_baseline(&mut ctx.rng, self.sender, route));
        ndr.rcpts = rcpts;
        ndr.state = State::Active;
        let at = ctx.now + ctx.rng.ms(2, 20);
        ctx.spawn(at, Flow::Message(ndr));
    }

    fn removed(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let pid = ctx.pids.qmgr;
        self.line(ctx, "postfix/qmgr", pid);
        ctx.out.b_end("removed");
        ctx.ids.free(self.qid);
        None
    }
}

/// The delivery agent's syslog tag and a pid of one of its processes.
fn agent(ctx: &mut Ctx, route: Route) -> (&'static str, u32) {
    let (rng, pids) = (&mut ctx.rng, &mut ctx.pids);
    match route {
        Route::Lmtp => ("postfix/lmtp", pids.lmtp.pick(rng, &mut pids.counter)),
        Route::Virtual => ("postfix/virtual", pids.virtual_.pick(rng, &mut pids.counter)),
        Route::Local => ("postfix/local", pids.local.pick(rng, &mut pids.counter)),
        Route::Smtp(_) => ("postfix/smtp", pids.smtp.pick(rng, &mut pids.counter)),
    }
}

/// Records the first line of the attack's sending, once.
pub(crate) fn note_first_malicious(ctx: &mut Ctx, client: Option<&Client>) {
    if ctx.tally.first_malicious.is_some() {
        return;
    }
    let (file, line) = ctx.out.here();
    ctx.tally.first_malicious = Some(Evidence {
        time: super::clock::iso_seconds(ctx.now),
        file: file.to_string(),
        line,
        ip: client.map(|c| c.ip.to_string()),
    });
}

// The content-filter detour lives in its own impl block: it is the one place
// where a message creates another message and a session.
impl Message {
    /// Hands the message to amavis: the filter re-injects a copy (new queue
    /// ID, its own smtpd session on the reinject service), and only then
    /// answers `250 … queued as NEWQID` to this message's smtp client.
    fn hand_to_filter(&mut self, ctx: &mut Ctx) -> i64 {
        let connect_at = ctx.now + ctx.rng.ms(150, 1500);
        let queued_at = connect_at + ctx.rng.ms(2, 30);
        let b_qid = ctx.ids.alloc(&mut ctx.rng, queued_at);
        self.continuation = Some(b_qid);
        let session = Session::reinject(ctx, b_qid, self, queued_at);
        ctx.spawn(connect_at, Flow::Session(session));
        let copy = self.continuation_copy(ctx, b_qid, queued_at);
        let cleanup_at = queued_at + ctx.rng.ms(3, 25);
        ctx.spawn(cleanup_at, Flow::Message(copy));
        self.state = State::Filtered;
        // amavis answers as soon as the copy is queued: before the copy's
        // qmgr line (at least 5 ms after its cleanup line).
        cleanup_at + ctx.rng.ms(1, 4)
    }

    fn continuation_copy(&self, ctx: &mut Ctx, qid: Qid, at: i64) -> Message {
        let mut m = Message::new(qid, Kind::Continuation, self.sender, self.msgid, at);
        m.spam = self.spam;
        m.size = self.size + 900 + ctx.rng.below(1500) as u32;
        m.client = Some(Client::localhost());
        let mut rcpts = ctx.rcpt_vec();
        rcpts.extend(self.rcpts.iter().map(|r| Rcpt { counted: true, ..*r }));
        m.rcpts = rcpts;
        m
    }

    /// amavis's verdict line, then one `sent … queued as NEWQID` per recipient.
    fn filtered(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let b_qid = self.continuation?;
        self.amavis_line(ctx, b_qid);
        let pid = ctx.pids.smtp.pick(&mut ctx.rng, &mut ctx.pids.counter);
        self.step_dur = ctx.now - self.first_active;
        let delays = self.delays(ctx.now, false);
        for i in 0..self.rcpts.len() {
            self.line(ctx, "postfix/smtp", pid).s("to=<");
            ctx.world.put_addr(ctx.out.buf(), self.rcpts[i].addr);
            ctx.out.buf().s(">, relay=127.0.0.1[127.0.0.1]:10024, ");
            delays.put(ctx.out.buf());
            let b = ctx.out.buf();
            b.s(", dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as ");
            b.b(b_qid.as_bytes());
            ctx.out.b_end(")");
            ctx.tally.delivery(Status::Sent);
            self.rcpts[i].done = true;
            self.count_spam_rcpt(ctx, i);
        }
        self.state = State::Removed;
        Some(ctx.now + ctx.rng.ms(1, 5))
    }

    fn amavis_line(&self, ctx: &mut Ctx, b_qid: Qid) {
        let pid = ctx.pids.amavis.pick(&mut ctx.rng, &mut ctx.pids.counter);
        let seed = ctx.rng.next_u64();
        let way = if self.kind == Kind::Inbound { "Inbound" } else { "Outbound" };
        let b = ctx.out.begin(ctx.now, "amavis", Some(pid));
        b.s("(").n(pid.into()).s("-").n0(seed % 40 + 1, 2).s(") Passed CLEAN {Relayed");
        b.s(way).s("}, [");
        let ip = self.client.unwrap_or_else(Client::localhost).ip;
        b.ip(&ip).s("]:").n(1024 + seed % 60000).s(" <");
        ctx.world.put_addr(ctx.out.buf(), self.sender);
        ctx.out.buf().s("> ->");
        for (i, r) in self.rcpts.iter().enumerate() {
            ctx.out.buf().s(if i == 0 { " <" } else { ",<" });
            ctx.world.put_addr(ctx.out.buf(), r.addr);
            ctx.out.buf().s(">");
        }
        ctx.out.buf().s(", Queue-ID: ").b(self.qid.as_bytes()).s(", Message-ID: ");
        let now = ctx.now;
        ctx.world.put_msgid(ctx.out.buf(), self.msgid, self.qid.as_bytes(), now);
        let b = ctx.out.buf().s(", mail_id: ").hex(seed >> 8, false).s(", Hits: -");
        b.n(seed % 3).s(".").n(seed % 10).s(", size: ").n(self.size.into());
        b.s(", queued_as: ").b(b_qid.as_bytes()).s(", ").n(200 + seed % 2500);
        ctx.out.b_end(" ms");
    }
}
