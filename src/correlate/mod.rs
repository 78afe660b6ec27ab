//! Events → records. Lines arrive in log order; messages are keyed by host +
//! queue ID while in flight, sessions by host + instance + pid. Only messages
//! still in the queue and open sessions live in the maps; everything else is
//! a finished record.
//!
//! Long because correlation is one state machine over every Postfix event
//! kind; sessions, links and records have their own files.

mod dovecot;
pub mod intern;
mod links;
mod recent;
pub mod records;
mod relay;
mod sessions;
pub mod sink;

pub use intern::{Interner, Sym};
pub use records::*;
pub use sink::{Ledger, Sink};

use crate::envelope::Envelope;
use crate::event::{Event, PostsuperAction};
use crate::time::Micros;
use std::collections::HashMap;

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Where and when a line was written: the context every event arrives with.
#[derive(Clone, Copy, Debug)]
pub struct LineCtx<'a> {
    pub time: Micros,
    pub host: &'a str,
    pub instance: &'a str,
    pub daemon: &'a str,
    pub pid: u32,
    pub line: LineRef,
    /// A number the parse stage gave this line's host, instance and daemon
    /// (the same three, the same number, for the whole run), or
    /// [`NO_CONTEXT`]: then correlation goes by the names.
    pub context: u32,
}

impl<'a> LineCtx<'a> {
    /// The context of a line with envelope `env`, at `time` (the envelope's
    /// stamp, dated), numbered `context` (or [`NO_CONTEXT`]).
    pub fn new(env: &Envelope<'a>, time: Micros, line: LineRef, context: u32) -> Self {
        LineCtx { time, host: env.host, instance: env.instance, daemon: env.daemon, pid: env.pid, line, context }
    }
}

/// [`LineCtx::context`] of a line whose names were not numbered.
pub const NO_CONTEXT: u32 = u32::MAX;

/// Most context numbers a run gives out: a log has a few hosts and a few
/// dozen daemons; more means hostile input, whose extra lines then go by
/// name.
pub const MAX_CONTEXTS: usize = 4096;

/// Everything correlation produced, collected: the [`Sink`] of the batch
/// commands.
#[derive(Clone, Default)]
pub struct Records {
    pub strings: Interner,
    pub messages: Vec<Message>,
    pub deliveries: Vec<Delivery>,
    /// Row for row with `deliveries`, when details are kept.
    pub delivery_details: Vec<DeliveryDetail>,
    /// Message for message, when details or lines are kept.
    pub message_details: Vec<MessageDetail>,
    pub auth: Vec<AuthAttempt>,
    pub rejects: Vec<Reject>,
    /// Open sessions, and closed ones when details are kept.
    pub sessions: Vec<Session>,
    /// Sessions seen, kept or not.
    pub session_count: u64,
    pub screen: Vec<ScreenEvent>,
    /// Delivery agents' failure lines, when details are kept.
    pub relay_failures: Vec<RelayFailure>,
    /// Delivery agents' failure lines seen, kept or not.
    pub relay_failure_count: u64,
    /// Client addresses that were no host address; see
    /// [`crate::event::Client::damaged`].
    pub damaged_addresses: u64,
    /// Client events seen (postscreen, tlsproxy, dnsblog, anvil, smtpd's
    /// warnings naming a client), kept in `screen` or not.
    pub client_events: u64,
    /// Keep closed sessions, not only those open at the end.
    keep_closed_sessions: bool,
}

impl Records {
    /// Empty, to collect a run's records; closed sessions only if
    /// `keep_closed_sessions`.
    pub fn collecting(keep_closed_sessions: bool) -> Self {
        Records { keep_closed_sessions, ..Records::default() }
    }

    pub fn str(&self, s: Sym) -> &str {
        self.strings.get(s)
    }

    /// The detail of delivery `row`, if details were kept.
    pub fn delivery_detail(&self, row: usize) -> Option<&DeliveryDetail> {
        self.delivery_details.get(row)
    }

    /// The deliveries of message `id` (a scan of all of them: for `trace`,
    /// which asks for a few messages), each with its detail if kept.
    pub fn deliveries_of(&self, id: u32) -> impl Iterator<Item = (&Delivery, Option<&DeliveryDetail>)> + '_ {
        self.deliveries
            .iter()
            .enumerate()
            .filter(move |(_, d)| d.message == id)
            .map(|(i, d)| (d, self.delivery_detail(i)))
    }

    /// The Message-ID of message `id`, if details were kept.
    pub fn message_id(&self, id: u32) -> Option<&str> {
        self.message_detail(id).and_then(|d| d.message_id.as_deref())
    }

    /// The detail of message `id`, if details or lines were kept.
    pub fn message_detail(&self, id: u32) -> Option<&MessageDetail> {
        self.message_details.get(id as usize)
    }

    /// For every message, the message it continues: re-injection links
    /// followed up to the original submission (not notification links: a
    /// bounce is a new message about the old one). One pass: a continuation
    /// is always created after what it continues (a parent has a smaller
    /// id), so its parent's root is known by then; a link that says
    /// otherwise is ignored, so that no input can make a chain loop.
    pub fn root_ids(&self) -> Vec<u32> {
        let mut roots: Vec<u32> = Vec::with_capacity(self.messages.len());
        for (i, m) in self.messages.iter().enumerate() {
            roots.push(root_of(&roots, i, m));
        }
        roots
    }
}

/// The root of message `i` (`m`), given the roots of the messages before it
/// (see [`Records::root_ids`]).
pub fn root_of(before: &[u32], i: usize, m: &Message) -> u32 {
    match m.parent {
        Some((p, Link::Reinjected)) if (p as usize) < i => before.get(p as usize).copied().unwrap_or(p),
        _ => i as u32,
    }
}

type MsgKey = (Sym, QueueId);

#[derive(Clone, Copy, Default)]
struct CtxSyms {
    host: Sym,
    instance: Sym,
    daemon: Sym,
}

/// Correlation's state: messages still in the queue, open sessions, what
/// links look back at; finished records go to the sink `S`. A clone is
/// what `watch` finishes to see the records so far while the original
/// goes on with the lines to come.
#[derive(Clone)]
pub struct Correlator<S: Sink = Records> {
    sink: S,
    strings: Interner,
    messages: Vec<Message>,
    message_details: Vec<MessageDetail>,
    deliveries: Vec<Delivery>,
    delivery_details: Vec<DeliveryDetail>,
    /// Open sessions, each with its number, in slots reused once closed.
    sessions: Vec<(u32, Session)>,
    /// Sessions started so far: the next one's number.
    session_count: u32,
    active: Map<MsgKey, u32>,
    open_sessions: Map<(Sym, Sym, u32), u32>,
    /// `queued as B` or a notification seen before B's own first line.
    pending_links: Map<MsgKey, (u32, Link)>,
    /// The last messages to leave the queue, by key: a link may name a
    /// message that is already gone (see `link_forward`).
    finished: recent::Recent<MsgKey, u32>,
    keep_lines: bool,
    /// Keep what only `trace` and `export` show: the detail records
    /// (message-ids; relays, delays, DSNs and remote servers' responses)
    /// and closed sessions. The analyses never read them, and on a big log
    /// they were more than half of the records' memory.
    keep_details: bool,
    /// Keep each delivery's delays (a [`DeliveryDetail`] with nothing else)
    /// when the details are not kept.
    keep_delays: bool,
    /// Slots in `sessions` of closed sessions.
    free_sessions: Vec<u32>,
    /// The last sent deliveries answered `queued as ID`, by (message, ID):
    /// their rows, for a continuation that names its origin later
    /// (`orig_queue_id=`).
    recent_handoffs: recent::Recent<(u32, QueueId), usize>,
    /// The current line's host, instance and daemon, interned.
    cur: CtxSyms,
    /// The names of each context number, interned when the number first
    /// came. Comparing and interning three names on every line was a tenth
    /// of correlating.
    contexts: Vec<Option<CtxSyms>>,
    /// Lines naming a queue ID that is in no message we know (e.g. `removed`
    /// of a message whose life began before the input).
    pub orphan_lines: u64,
    /// Client addresses that were no host address (a network, junk): the
    /// records keep the rest of their line, without an IP.
    damaged_addresses: u64,
    /// Client events seen, kept or not.
    client_events: u64,
    /// Dovecot's auth verdicts waiting for the line that says how they count.
    dovecot: dovecot::Pending,
    /// Delivery agents' failure lines waiting for the delivery they explain.
    relay: relay::Pending,
}

impl Correlator<Records> {
    /// Correlation into [`Records`]. `keep_lines`: remember every line of
    /// every message (for `trace`); `keep_details`: the detail records and
    /// closed sessions (for `trace` and `export`).
    pub fn new(keep_lines: bool, keep_details: bool) -> Self {
        Correlator::with_sink(Records::collecting(keep_details), keep_lines, keep_details)
    }
}

impl<S: Sink> Correlator<S> {
    /// Correlation into `sink`; the options as for [`Correlator::new`].
    pub fn with_sink(sink: S, keep_lines: bool, keep_details: bool) -> Self {
        Correlator {
            sink,
            strings: Interner::default(),
            messages: Vec::new(),
            message_details: Vec::new(),
            deliveries: Vec::new(),
            delivery_details: Vec::new(),
            sessions: Vec::new(),
            session_count: 0,
            active: Map::default(),
            open_sessions: Map::default(),
            pending_links: Map::default(),
            finished: Default::default(),
            keep_lines,
            keep_details,
            keep_delays: false,
            free_sessions: Vec::new(),
            recent_handoffs: Default::default(),
            cur: CtxSyms::default(),
            contexts: Vec::new(),
            orphan_lines: 0,
            damaged_addresses: 0,
            client_events: 0,
            dovecot: Default::default(),
            relay: Default::default(),
        }
    }

    /// Keeps each delivery's delays, without its other details, when `keep`.
    pub fn with_delays(mut self, keep: bool) -> Self {
        self.keep_delays = keep;
        self
    }

    /// Correlates one event. By reference: an event is a few hundred bytes,
    /// and a line repeated N times (`message repeated`) is fed N times.
    pub fn feed(&mut self, cx: &LineCtx, ev: &Event) {
        self.set_context(cx);
        self.damaged_addresses += u64::from(ev.damaged_addresses());
        match ev {
            Event::Connect { client } => self.connect(cx, *client),
            Event::Disconnect { client, stats, auth_failed } => self.disconnect(cx, *client, stats, *auth_failed),
            Event::SessionAbort { client, reason, after } => self.session_abort(cx, *client, reason, after),
            Event::ClientLine(l) => self.client_line(cx, l),
            Event::AuthFailed { client, method, username, .. } => self.auth_failed(cx, *client, method, *username),
            Event::Reject(r) => self.reject(cx, r),
            Event::Pickup { queue_id, uid, sender } => self.pickup(cx, queue_id, *uid, sender),
            Event::MessageId { queue_id, message_id } => {
                let id = self.with_message(cx, queue_id, true, |m, _| m.id);
                if let (true, Some(d)) = (self.keep_details, id.and_then(|id| self.message_detail_mut(id))) {
                    d.message_id = Some((*message_id).into());
                }
            }
            Event::CleanupAction { queue_id, action, word, milter, detail } => {
                self.cleanup_action(cx, queue_id, *action, word, *milter, detail)
            }
            Event::QueueActive { queue_id, sender, size, nrcpt } => {
                let s = self.strings.intern(sender);
                self.with_message(cx, queue_id, true, |m, _| {
                    m.sender = Some(s);
                    m.size = Some(*size);
                    m.nrcpt = Some(*nrcpt);
                });
            }
            Event::Expired { queue_id, sender } => {
                // The sender of a message whose qmgr `from=` line is before
                // the input is known from here.
                self.with_message(cx, queue_id, true, |m, strings| {
                    m.expired = true;
                    m.sender.get_or_insert_with(|| strings.intern(sender));
                });
            }
            Event::Removed { queue_id } => self.removed(cx, queue_id, false),
            Event::Postsuper { queue_id, action } => self.postsuper(cx, queue_id, *action),
            Event::Delivery(d) => self.delivery(cx, d),
            Event::Notification { queue_id, new_queue_id, .. } => self.notification(cx, queue_id, new_queue_id),
            Event::ClientEvent { what, client, detail } => self.client_event(cx, what, *client, detail),
            Event::Dovecot(a) => self.dovecot(cx, a),
            Event::RelayFailure { queue_id, what, relay, relay_ip, detail } => {
                self.relay_failure(cx, *queue_id, what, relay, relay_ip, detail)
            }
            Event::MessageWarning { queue_id, .. } => {
                self.with_message(cx, queue_id, false, |_, _| ());
            }
            Event::Warning | Event::Master | Event::Noise => {}
        }
    }

    /// Asks for the interner slots of the strings that feeding `ev` will
    /// look up and that are rarely in the cache: addresses, client names
    /// and IPs, accounts. A hint: feeding works the same without it.
    pub fn prefetch(&self, ev: &Event) {
        let s = &self.strings;
        let client = |c: &crate::event::Client| {
            s.prefetch(c.name);
            s.prefetch(c.ip);
        };
        match ev {
            // Sessions and screen verdicts intern their texts only with details.
            Event::Connect { client: c } if self.keep_details => client(c),
            Event::ClientEvent { client: c, .. } if self.keep_details => client(c),
            Event::AuthFailed { client: c, .. } => client(c),
            Event::ClientLine(l) => {
                client(&l.client);
                l.sasl_username.inspect(|u| s.prefetch(u));
            }
            Event::Reject(r) => {
                client(&r.client);
                r.sender.inspect(|x| s.prefetch(x));
                r.recipient.inspect(|x| s.prefetch(x));
            }
            Event::Pickup { sender, .. } | Event::QueueActive { sender, .. } => s.prefetch(sender),
            Event::Delivery(d) => s.prefetch(d.to),
            _ => {}
        }
    }

    /// Ends the input: messages still in flight are `queued`, sessions open;
    /// all goes to the sink, which is returned.
    pub fn finish(mut self) -> S {
        let mut open: Vec<u32> = self.active.drain().map(|(_, id)| id).collect();
        open.sort_unstable();
        for id in open {
            let m = &mut self.messages[id as usize];
            m.state = m.compute_state();
        }
        let mut open: Vec<u32> = self.open_sessions.drain().map(|(_, slot)| slot).collect();
        open.sort_unstable_by_key(|&slot| self.sessions[slot as usize].0);
        for slot in open {
            let (number, session) = std::mem::take(&mut self.sessions[slot as usize]);
            self.sink.session(number, session, true, &self.strings);
        }
        for late in self.dovecot.drain() {
            self.sink.auth(late, &self.strings);
        }
        for unexplained in self.relay.drain() {
            self.sink.relay_failure(unexplained, &self.strings);
        }
        self.sink.finish(Ledger {
            strings: self.strings,
            messages: self.messages,
            message_details: self.message_details,
            deliveries: self.deliveries,
            delivery_details: self.delivery_details,
            damaged_addresses: self.damaged_addresses,
            client_events: self.client_events,
            relay_failures: self.relay.seen,
        });
        self.sink
    }

    fn set_context(&mut self, cx: &LineCtx) {
        let number = cx.context as usize;
        if let Some(Some(known)) = self.contexts.get(number) {
            self.cur = *known;
            return;
        }
        let s = &mut self.strings;
        self.cur = CtxSyms { host: s.intern(cx.host), instance: s.intern(cx.instance), daemon: s.intern(cx.daemon) };
        if number < MAX_CONTEXTS {
            if self.contexts.len() <= number {
                self.contexts.resize(number + 1, None);
            }
            self.contexts[number] = Some(self.cur);
        }
    }

    /// The key of a message of the current line's host.
    fn key(&self, queue_id: &str) -> Option<MsgKey> {
        Some((self.cur.host, QueueId::new(queue_id)?))
    }

    /// Runs `f` on the in-flight message with this queue ID, creating it
    /// (origin unknown) when `create` and none is in flight.
    fn with_message<R>(
        &mut self,
        cx: &LineCtx,
        queue_id: &str,
        create: bool,
        f: impl FnOnce(&mut Message, &mut Interner) -> R,
    ) -> Option<R> {
        let key = self.key(queue_id)?;
        let id = match self.active.get(&key) {
            Some(&id) => id,
            None if create => self.new_message(cx, key),
            None => {
                self.orphan_lines += 1;
                return None;
            }
        };
        if self.keep_lines {
            if let Some(d) = self.message_detail_mut(id) {
                d.lines.push(cx.line);
            }
        }
        let m = &mut self.messages[id as usize];
        m.last_seen = cx.time;
        Some(f(m, &mut self.strings))
    }

    fn message_detail_mut(&mut self, id: u32) -> Option<&mut MessageDetail> {
        self.message_details.get_mut(id as usize)
    }

    /// Adds `line` to message `id`'s lines, unless it is the last one there.
    fn note_line(&mut self, id: u32, line: LineRef) {
        if !self.keep_lines {
            return;
        }
        if let Some(d) = self.message_detail_mut(id) {
            if d.lines.last() != Some(&line) {
                d.lines.push(line);
            }
        }
    }

    fn new_message(&mut self, cx: &LineCtx, key: MsgKey) -> u32 {
        let id = self.messages.len() as u32;
        self.messages.push(Message {
            id,
            host: key.0,
            queue_id: key.1,
            first_seen: cx.time,
            last_seen: cx.time,
            first_line: cx.line,
            ..Message::default()
        });
        if self.keep_details || self.keep_lines {
            self.message_details.push(MessageDetail::default());
        }
        self.active.insert(key, id);
        if let Some(link) = self.pending_links.remove(&key) {
            self.set_parent(id, link);
        }
        id
    }

    /// A line that starts a message (`client=`, `uid=`): a queue ID still in
    /// flight with an origin of its own is a reused ID whose `removed` line
    /// is missing, so the old message ends here.
    fn start_message(&mut self, cx: &LineCtx, queue_id: &str) -> Option<u32> {
        let key = self.key(queue_id)?;
        if let Some(&old) = self.active.get(&key) {
            let m = &self.messages[old as usize];
            if m.origin == Origin::Unknown && m.sent + m.deferred + m.bounced == 0 {
                return Some(old);
            }
            self.finish_message(key);
        }
        Some(self.new_message(cx, key))
    }

    fn finish_message(&mut self, key: MsgKey) {
        if let Some(id) = self.active.remove(&key) {
            let m = &mut self.messages[id as usize];
            m.state = m.compute_state();
            self.finished.push(key, id);
        }
    }

    fn pickup(&mut self, cx: &LineCtx, queue_id: &str, uid: u32, sender: &str) {
        let Some(id) = self.start_message(cx, queue_id) else { return };
        let sender = self.strings.intern(sender);
        let instance = self.cur.instance;
        let m = &mut self.messages[id as usize];
        m.origin = Origin::Pickup;
        m.uid = Some(uid);
        m.sender = Some(sender);
        m.instance = instance;
        m.login_line = Some(cx.line);
        self.note_line(id, cx.line);
    }

    fn cleanup_action(
        &mut self,
        cx: &LineCtx,
        queue_id: &str,
        action: crate::event::CleanupVerdict,
        word: &str,
        milter: bool,
        detail: &str,
    ) {
        if action == crate::event::CleanupVerdict::Noted {
            self.with_message(cx, queue_id, true, |_, _| ());
        } else {
            self.message_verdict(cx, queue_id, action, true);
        }
        self.cleanup_reject_record(cx, queue_id, word, milter, detail);
    }

    /// A verdict on the whole message (cleanup's, or a milter's in smtpd at
    /// DATA or END-OF-MESSAGE): held, discarded, or rejected and gone.
    fn message_verdict(&mut self, cx: &LineCtx, queue_id: &str, action: crate::event::CleanupVerdict, create: bool) {
        use crate::event::CleanupVerdict as V;
        self.with_message(cx, queue_id, create, |m, _| {
            if action == V::Hold {
                m.held = true;
            } else {
                m.cleanup_verdict = Some(action);
            }
        });
        if action == V::Reject {
            // A rejected message is deleted where it was rejected: no
            // `removed` follows.
            if let Some(key) = self.key(queue_id) {
                self.finish_message(key);
            }
        }
    }

    fn removed(&mut self, cx: &LineCtx, queue_id: &str, by_admin: bool) {
        let done = self.with_message(cx, queue_id, false, |m, _| {
            m.removed = true;
            m.deleted |= by_admin;
        });
        if done.is_some() {
            if let Some(key) = self.key(queue_id) {
                self.finish_message(key);
            }
        }
    }

    fn postsuper(&mut self, cx: &LineCtx, queue_id: &str, action: PostsuperAction) {
        match action {
            PostsuperAction::Removed => self.removed(cx, queue_id, true),
            PostsuperAction::Hold => {
                self.with_message(cx, queue_id, true, |m, _| m.held = true);
            }
            PostsuperAction::Released => {
                self.with_message(cx, queue_id, true, |m, _| m.held = false);
            }
            PostsuperAction::Requeued => {
                self.with_message(cx, queue_id, true, |_, _| ());
            }
        }
    }

    /// Evidence about a client outside messages and sessions (postscreen,
    /// tlsproxy, dnsblog, anvil, smtpd's warnings naming a client): counted
    /// always, kept with the details only, as no analysis reads them yet.
    fn client_event(&mut self, cx: &LineCtx, what: &str, client: crate::event::Client, detail: &str) {
        self.client_events += 1;
        if !self.keep_details {
            return;
        }
        let s = &mut self.strings;
        let ev = ScreenEvent {
            time: cx.time,
            host: self.cur.host,
            daemon: self.cur.daemon,
            pid: cx.pid,
            verdict: s.intern(what),
            client_name: s.intern(client.name),
            ip: s.intern(client.ip),
            detail: detail.into(),
            line: cx.line,
        };
        self.sink.screen(ev, &self.strings);
    }
}

#[cfg(test)]
mod tests;
