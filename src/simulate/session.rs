//! One SMTP session on one smtpd process: postscreen (port 25), `connect
//! from`, TLS, `client=` per message or an AUTH failure or a reject, and the
//! `disconnect from … commands=` statistics that must agree with what
//! happened.
//!
//! Long because one SMTP session is one state machine, and its states read
//! best in one place.

use std::net::{IpAddr, Ipv6Addr};

use super::compose;
use super::engine::Sasl;
use super::engine::{Ctx, Flow};
use super::ids::Qid;
use super::message::{note_first_malicious, Message};
use super::net::{Client, OUR_MX};
use super::pids::{Lease, PidCounter, Pids, SessionPool};
use super::put::Put;
use super::truth::Evidence;

/// The master.cf service a session arrives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inst {
    /// Port 25, behind postscreen.
    Smtpd,
    /// Port 587 (`-o syslog_name=postfix/submission`).
    Submission,
    /// Port 465, implicit TLS.
    Smtps,
    /// 127.0.0.1:10025, where the content filter re-injects.
    Reinject,
}

impl Inst {
    fn tag(self) -> &'static str {
        match self {
            Inst::Smtpd => "postfix/smtpd",
            Inst::Submission => "postfix/submission/smtpd",
            Inst::Smtps => "postfix/smtps/smtpd",
            Inst::Reinject => "postfix/reinject/smtpd",
        }
    }

    /// The service name anvil counts connections under.
    pub(crate) fn service(self) -> &'static str {
        match self {
            Inst::Smtpd => "smtp",
            Inst::Submission => "submission",
            Inst::Smtps => "smtps",
            Inst::Reinject => "127.0.0.1:10025",
        }
    }
}

/// Which account a failed AUTH named, if the client got that far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Guess {
    /// `SASL LOGIN authentication failed: UGFzc3dvcmQ6` (no username logged).
    Prompt,
    Account(u32),
    Bogus(&'static str),
}

/// The NOQUEUE reject a junk client earns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reject {
    Relay,
    UnknownUser,
    NoReverse,
    Blocklisted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// An account's mail client; `attack` for the attacker or a bot.
    Submit {
        account: u32,
        attack: bool,
    },
    Inbound,
    /// Password guessing; `wave` = part of the attack (not background noise).
    Guess {
        guess: Guess,
        plain: bool,
        wave: bool,
        lost: bool,
    },
    Reject {
        reject: Reject,
        seed: u64,
    },
    /// A scanner that connects and leaves.
    Lost,
    /// The content filter handing back `qid` (copy of `orig`).
    Reinject {
        qid: Qid,
        orig: Qid,
        orig_client: Client,
        xforward: bool,
        at: i64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Screen,
    Pass,
    Connect,
    Tls,
    Mail,
    Fail,
    Refuse,
    Lost,
    Disconnect,
}

pub(crate) struct Session {
    purpose: Purpose,
    inst: Inst,
    client: Client,
    port: u16,
    lease: Option<Lease>,
    st: St,
    tls: bool,
    starttls: bool,
    new_client: bool,
    mails_left: u16,
    mails: u16,
    rcpts: u32,
    /// Messages whose DATA cleanup's `header_checks` rejected.
    refused: u16,
}

impl Session {
    /// A session that will send `mails` messages (0 for the other purposes).
    pub(crate) fn new(ctx: &mut Ctx, purpose: Purpose, inst: Inst, client: Client, mails: u16) -> Session {
        let st = if inst == Inst::Smtpd { St::Screen } else { St::Connect };
        let starttls = inst == Inst::Submission && ctx.rng.chance(0.8)
            || inst == Inst::Smtpd && purpose == Purpose::Inbound && ctx.rng.chance(0.7);
        Session {
            purpose,
            inst,
            client,
            port: 1024 + ctx.rng.below(64_000) as u16,
            lease: None,
            st,
            tls: starttls || inst == Inst::Smtps,
            starttls,
            new_client: ctx.rng.chance(0.25),
            mails_left: mails,
            mails: 0,
            rcpts: 0,
            refused: 0,
        }
    }

    /// The content filter's re-injection of `orig` as `qid` at time `at`.
    pub(crate) fn reinject(ctx: &mut Ctx, qid: Qid, orig: &Message, at: i64) -> Session {
        let purpose = Purpose::Reinject {
            qid,
            orig: orig.qid,
            orig_client: orig.client.unwrap_or_else(Client::localhost),
            xforward: ctx.rng.chance(0.5),
            at,
        };
        let mut s = Session::new(ctx, purpose, Inst::Reinject, Client::localhost(), 1);
        s.rcpts = orig.rcpts.len() as u32;
        s
    }

    pub(crate) fn step(&mut self, ctx: &mut Ctx) -> Option<i64> {
        match self.st {
            St::Screen => self.screen(ctx),
            St::Pass => self.pass(ctx),
            St::Connect => self.connect(ctx),
            St::Tls => self.tls_line(ctx),
            St::Mail => self.mail(ctx),
            St::Fail => self.fail(ctx),
            St::Refuse => self.refuse(ctx),
            St::Lost => self.lost(ctx),
            St::Disconnect => self.disconnect(ctx),
        }
    }

    fn postscreen<'a>(&self, ctx: &'a mut Ctx) -> &'a mut Vec<u8> {
        let pid = ctx.pids.postscreen;
        ctx.out.begin(ctx.now, "postfix/postscreen", Some(pid))
    }

    fn screen(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let b = self.postscreen(ctx).s("CONNECT from ");
        put_ip_port(b, &self.client.ip, self.port);
        b.s(" to ");
        put_ip_port(b, &our_address(&self.client.ip), 25);
        ctx.out.end();
        self.st = St::Pass;
        let wait = if self.new_client { ctx.rng.ms(1000, 7000) } else { ctx.rng.ms(0, 60) };
        Some(ctx.now + wait)
    }

    fn pass(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let b = self.postscreen(ctx);
        b.s(if self.new_client { "PASS NEW " } else { "PASS OLD " });
        put_ip_port(b, &self.client.ip, self.port);
        ctx.out.end();
        self.st = St::Connect;
        Some(ctx.now + ctx.rng.ms(1, 30))
    }

    /// `connect from` on a process of this service's pool.
    fn connect(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let (pool, counter) = pool(self.inst, &mut ctx.pids);
        let lease = pool.acquire(&mut ctx.rng, counter);
        self.lease = Some(lease);
        self.session_line(ctx).s("connect from ");
        self.put_client(ctx);
        ctx.out.end();
        if self.inst != Inst::Reinject {
            ctx.anvil.connect(self.inst, self.client.ip, ctx.now);
        }
        self.st = if self.tls { St::Tls } else { self.after_hello() };
        let next = match self.purpose {
            Purpose::Reinject { at, .. } => at.max(ctx.now),
            _ => ctx.now + ctx.rng.ms(40, 900),
        };
        Some(next)
    }

    fn tls_line(&mut self, ctx: &mut Ctx) -> Option<i64> {
        self.session_line(ctx).s("Anonymous TLS connection established from ");
        self.put_client(ctx);
        ctx.out.b_end(": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)");
        self.st = self.after_hello();
        Some(ctx.now + ctx.rng.ms(200, 2500))
    }

    /// What the client does once greeted.
    fn after_hello(&self) -> St {
        match self.purpose {
            Purpose::Submit { .. } | Purpose::Inbound | Purpose::Reinject { .. } => St::Mail,
            Purpose::Guess { .. } => St::Fail,
            Purpose::Reject { .. } => St::Refuse,
            Purpose::Lost => St::Lost,
        }
    }

    fn session_line<'a>(&self, ctx: &'a mut Ctx) -> &'a mut Vec<u8> {
        let pid = self.lease.map(|l| l.pid);
        ctx.out.begin(ctx.now, self.inst.tag(), pid)
    }

    /// MAIL FROM accepted: the queue file exists, `QID: client=…` is logged
    /// and the message goes its own way.
    fn mail(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let qid = match self.purpose {
            Purpose::Reinject { qid, .. } => qid,
            _ => ctx.ids.alloc(&mut ctx.rng, ctx.now),
        };
        self.session_line(ctx).b(qid.as_bytes()).s(": client=");
        self.put_client(ctx);
        self.client_line_tail(ctx);
        ctx.out.end();
        let data_done = self.hand_over(ctx, qid);
        self.mails += 1;
        self.mails_left = self.mails_left.saturating_sub(1);
        if self.mails_left > 0 {
            self.st = St::Mail;
            let gap = if self.is_attack() { ctx.rng.ms(200, 3000) } else { ctx.rng.ms(3000, 40_000) };
            return Some(data_done + gap);
        }
        self.st = St::Disconnect;
        Some(data_done + ctx.rng.ms(20, 400))
    }

    fn is_attack(&self) -> bool {
        matches!(self.purpose, Purpose::Submit { attack: true, .. })
    }

    /// The rest of the `client=` line and the tally that goes with it.
    fn client_line_tail(&self, ctx: &mut Ctx) {
        match self.purpose {
            Purpose::Submit { account, attack } => {
                let method = if attack || ctx.rng.chance(0.2) { "LOGIN" } else { "PLAIN" };
                let user = &ctx.world.accounts[account as usize].user;
                let b = ctx.out.buf().s(", sasl_method=").s(method);
                b.s(", sasl_username=").s(user);
                ctx.tally.by_account[account as usize] += 1;
                ctx.tally.submitted += 1;
                if attack {
                    ctx.tally.spam_messages += 1;
                    ctx.tally.attacker_ips.insert(self.client.ip);
                    note_first_malicious(ctx, Some(&self.client));
                }
            }
            Purpose::Inbound => ctx.tally.inbound += 1,
            Purpose::Reinject { orig, orig_client, xforward, .. } => {
                if xforward {
                    let b = ctx.out.buf().s(", orig_queue_id=").b(orig.as_bytes());
                    b.s(", orig_client=");
                    orig_client.put(ctx.out.buf());
                }
                ctx.tally.continuations += 1;
            }
            _ => {}
        }
    }

    /// Builds and starts the message; returns when its DATA is complete.
    fn hand_over(&mut self, ctx: &mut Ctx, qid: Qid) -> i64 {
        let mut msg = match self.purpose {
            Purpose::Submit { account, attack: false } => compose::submission(ctx, qid, account),
            Purpose::Submit { account, attack: true } => compose::spam(ctx, qid, account),
            Purpose::Inbound => compose::inbound(ctx, qid, &self.client),
            _ => return ctx.now + ctx.rng.ms(5, 40),
        };
        msg.client = Some(self.client);
        self.rcpts += msg.rcpts.len() as u32;
        if msg.header_reject.is_some() {
            self.refused += 1;
        }
        // DATA at roughly 1 MB/s: big messages keep the session open longer.
        let transfer = i64::from(msg.size).min(60_000_000);
        let data_done = ctx.now + ctx.rng.ms(80, 900) + transfer;
        ctx.spawn(data_done, Flow::Message(msg));
        data_done
    }

    /// The AUTH failure warning: the evidence of password guessing.
    fn fail(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let Purpose::Guess { guess, plain, wave, lost } = self.purpose else {
            return None;
        };
        if let Sasl::Dovecot { verbose: true } = ctx.server.sasl {
            self.dovecot_verdict(ctx, guess);
        }
        self.session_line(ctx).s("warning: ");
        self.put_client(ctx);
        let b = ctx.out.buf().s(": SASL ").s(if plain { "PLAIN" } else { "LOGIN" });
        b.s(" authentication failed: ");
        let user = match guess {
            Guess::Prompt => None,
            Guess::Account(i) => Some(ctx.world.accounts[i as usize].user.as_str()),
            Guess::Bogus(name) => Some(name),
        };
        let b = ctx.out.buf();
        match (ctx.server.sasl, user) {
            (Sasl::Cyrus, None) => b.s("UGFzc3dvcmQ6"),
            (Sasl::Cyrus, Some(user)) => b.s("authentication failure, sasl_username=").s(user),
            // Postfix 3.9 names the user, or says it could not.
            (Sasl::Dovecot { .. }, None) => b.s("UGFzc3dvcmQ6, sasl_username=(unavailable)"),
            (Sasl::Dovecot { .. }, Some(user)) => b.s("(reason unavailable), sasl_username=").s(user),
        };
        ctx.out.end();
        ctx.tally.auth_failure(self.client.ip, wave, ctx.now);
        if ctx.tally.first_malicious.is_some() && ctx.tally.attacker_ips.contains(&self.client.ip) {
            let (file, line) = ctx.out.here();
            let time = super::clock::iso_seconds(ctx.now);
            let ip = Some(self.client.ip.to_string());
            ctx.tally.attacker_retry(|| Evidence { time, file: file.to_string(), line, ip });
        }
        self.st = if lost { St::Lost } else { St::Disconnect };
        Some(ctx.now + ctx.rng.ms(40, 1500))
    }

    /// Dovecot's `auth_verbose` line for the lookup behind a failed AUTH,
    /// written just before Postfix's warning.
    fn dovecot_verdict(&self, ctx: &mut Ctx, guess: Guess) {
        let (user, verdict) = match guess {
            Guess::Prompt => return,
            Guess::Account(i) => (ctx.world.accounts[i as usize].user.as_str(), "Password mismatch"),
            Guess::Bogus(name) => (name, "unknown user"),
        };
        let b = ctx.out.begin(ctx.now, "dovecot", None);
        b.s("auth: passwd-file(").s(user).s(",").ip(&self.client.ip).s("): ").s(verdict);
        ctx.out.end();
    }

    /// `NAME[IP]`, and `:PORT` with `smtpd_client_port_logging = yes`.
    fn put_client(&self, ctx: &mut Ctx) {
        let b = ctx.out.buf();
        self.client.put(b);
        if ctx.server.port_logging {
            b.s(":").n(self.port.into());
        }
    }

    fn refuse(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let Purpose::Reject { reject, seed } = self.purpose else {
            return None;
        };
        self.session_line(ctx).s("NOQUEUE: reject: RCPT from ");
        self.put_client(ctx);
        ctx.out.buf().s(": ");
        compose::put_reject(ctx, reject, seed, &self.client);
        ctx.out.end();
        ctx.tally.noqueue += 1;
        self.st = St::Disconnect;
        Some(ctx.now + ctx.rng.ms(50, 2000))
    }

    fn lost(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let after = if matches!(self.purpose, Purpose::Guess { .. }) { "AUTH" } else { "CONNECT" };
        self.session_line(ctx).s("lost connection after ").s(after).s(" from ");
        self.put_client(ctx);
        ctx.out.end();
        self.st = St::Disconnect;
        Some(ctx.now + ctx.rng.ms(0, 3))
    }

    fn disconnect(&mut self, ctx: &mut Ctx) -> Option<i64> {
        self.session_line(ctx).s("disconnect from ");
        self.put_client(ctx);
        self.put_stats(ctx.out.buf());
        ctx.out.end();
        if let Some(lease) = self.lease.take() {
            pool(self.inst, &mut ctx.pids).0.release(&mut ctx.rng, lease);
        }
        None
    }
}

/// The `disconnect` statistics (`name=ok` or `name=ok/total`, then `commands=`).
struct Stats {
    ok: u32,
    total: u32,
}

impl Stats {
    fn put(&mut self, b: &mut Vec<u8>, name: &str, ok: u32, total: u32) {
        b.s(" ").s(name).s("=").n(ok.into());
        if ok != total {
            b.s("/").n(total.into());
        }
        self.ok += ok;
        self.total += total;
    }

    fn finish(&self, b: &mut Vec<u8>) {
        b.s(" commands=").n(self.ok.into());
        if self.ok != self.total {
            b.s("/").n(self.total.into());
        }
    }
}

impl Session {
    fn put_stats(&self, b: &mut Vec<u8>) {
        let mut st = Stats { ok: 0, total: 0 };
        let (mails, rcpts) = (self.mails.into(), self.rcpts);
        match self.purpose {
            Purpose::Lost => {}
            Purpose::Reject { .. } => {
                st.put(b, "ehlo", 1, 1);
                st.put(b, "mail", 1, 1);
                st.put(b, "rcpt", 0, 1);
                st.put(b, "quit", 1, 1);
            }
            Purpose::Guess { lost, .. } => {
                self.put_hello(&mut st, b);
                st.put(b, "auth", 0, 1);
                if !lost {
                    st.put(b, "quit", 1, 1);
                }
            }
            Purpose::Reinject { xforward, .. } => {
                st.put(b, "ehlo", 1, 1);
                if xforward {
                    st.put(b, "xforward", 1, 1);
                }
                self.put_transfer(&mut st, b, mails, rcpts);
            }
            Purpose::Submit { .. } => {
                self.put_hello(&mut st, b);
                st.put(b, "auth", 1, 1);
                self.put_transfer(&mut st, b, mails, rcpts);
            }
            Purpose::Inbound => {
                self.put_hello(&mut st, b);
                self.put_transfer(&mut st, b, mails, rcpts);
            }
        }
        st.finish(b);
    }

    fn put_hello(&self, st: &mut Stats, b: &mut Vec<u8>) {
        if self.starttls {
            st.put(b, "ehlo", 2, 2);
            st.put(b, "starttls", 1, 1);
        } else {
            st.put(b, "ehlo", 1, 1);
        }
    }

    fn put_transfer(&self, st: &mut Stats, b: &mut Vec<u8>, mails: u32, rcpts: u32) {
        st.put(b, "mail", mails, mails);
        st.put(b, "rcpt", rcpts, rcpts);
        st.put(b, "data", mails - u32::from(self.refused), mails);
        st.put(b, "quit", 1, 1);
    }
}

/// The smtpd processes of one service, and the pid counter for new ones.
fn pool(inst: Inst, pids: &mut Pids) -> (&mut SessionPool, &mut PidCounter) {
    let pool = match inst {
        Inst::Smtpd => &mut pids.smtpd,
        Inst::Submission => &mut pids.submission,
        Inst::Smtps => &mut pids.smtps,
        Inst::Reinject => &mut pids.reinject,
    };
    (pool, &mut pids.counter)
}

/// `[IP]:port` as postscreen writes it.
pub(crate) fn put_ip_port(b: &mut Vec<u8>, ip: &IpAddr, port: u16) {
    b.s("[").ip(ip).s("]:").n(port.into());
}

/// Our MX address in the client's address family.
pub(crate) fn our_address(client: &IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(_) => IpAddr::V4(OUR_MX),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 0x25)),
    }
}
