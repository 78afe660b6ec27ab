//! The smtpd side: sessions, logins (successful and failed), the `client=`
//! line that starts a message, and rejects.

use super::{AuthAttempt, Correlator, LineCtx, Link, Origin, QueueId, Reject, Session, Sym};
use crate::event::{self, CleanupVerdict, Client, ClientLine};

impl<S: super::Sink> Correlator<S> {
    fn session_key(&mut self, cx: &LineCtx) -> (Sym, Sym, u32) {
        (self.cur.host, self.cur.instance, cx.pid)
    }

    /// The open session of this smtpd process, if its `connect` was seen.
    fn open_session(&mut self, cx: &LineCtx) -> Option<u32> {
        let key = self.session_key(cx);
        self.open_sessions.get(&key).copied()
    }

    /// A session of this line's smtpd process with `client`, of which
    /// nothing else is known yet.
    fn new_session(&mut self, cx: &LineCtx, client: Client) -> Session {
        let key = self.session_key(cx);
        let (client_name, client_ip) = self.session_client(client);
        Session { host: key.0, instance: key.1, pid: cx.pid, client_name, client_ip, ..Session::default() }
    }

    pub(super) fn connect(&mut self, cx: &LineCtx, client: Client) {
        let key = self.session_key(cx);
        let session = Session { start: Some(cx.time), connect_line: Some(cx.line), ..self.new_session(cx, client) };
        let id = self.store_session(session);
        // A process serves one session at a time: an unclosed one is over.
        if let Some(old) = self.open_sessions.insert(key, id) {
            self.closed_session(old);
        }
    }

    /// A session's texts (client, command statistics, abort reason) are
    /// read only by `export` and `trace`, which keep details: without them,
    /// they are not interned, which on a big log was a tenth of correlating
    /// (a connect and a disconnect for most messages, and more for spam).
    fn session_text(&mut self, text: &str) -> Sym {
        if self.keep_details {
            self.strings.intern(text)
        } else {
            Sym::NONE
        }
    }

    fn session_client(&mut self, client: Client) -> (Sym, Sym) {
        (self.session_text(client.name), self.session_text(client.ip))
    }

    /// A slot for a new session, numbered: a closed one's slot if any.
    fn store_session(&mut self, session: Session) -> u32 {
        let number = self.session_count;
        self.session_count += 1;
        match self.free_sessions.pop() {
            Some(slot) => {
                self.sessions[slot as usize] = (number, session);
                slot
            }
            None => {
                self.sessions.push((number, session));
                self.sessions.len() as u32 - 1
            }
        }
    }

    /// The session in `slot` is over: it goes to the sink, its slot to the
    /// next one.
    fn closed_session(&mut self, slot: u32) {
        let (number, session) = std::mem::take(&mut self.sessions[slot as usize]);
        self.sink.session(number, session, false, &self.strings);
        self.free_sessions.push(slot);
    }

    pub(super) fn disconnect(&mut self, cx: &LineCtx, client: Client, stats: &str, auth_failed: u32) {
        let key = self.session_key(cx);
        let id = match self.open_sessions.remove(&key) {
            Some(id) => id,
            None => {
                // Its connect is before the input: keep what we know.
                let (client_name, client_ip) = self.session_client(client);
                let session =
                    Session { host: key.0, instance: key.1, pid: cx.pid, client_name, client_ip, ..Session::default() };
                self.store_session(session)
            }
        };
        let stats = self.session_text(stats);
        let s = &mut self.sessions[id as usize].1;
        s.end = Some(cx.time);
        s.end_line = Some(cx.line);
        s.stats = stats;
        s.auth_failed = auth_failed;
        self.closed_session(id);
    }

    pub(super) fn session_abort(&mut self, cx: &LineCtx, client: Client, reason: &str, after: &str) {
        let open = self.open_session(cx).filter(|&id| {
            // An abort naming another client than the open session's (known
            // when texts are kept) ends a session whose `disconnect` is
            // missing: this one starts after it.
            let ip = self.sessions[id as usize].1.client_ip;
            !self.keep_details || ip.is_none() || client.ip.is_empty() || self.strings.get(ip) == client.ip
        });
        if let (None, Some(old)) = (open, self.open_session(cx)) {
            let key = self.session_key(cx);
            self.open_sessions.remove(&key);
            self.closed_session(old);
        }
        let id = match open {
            Some(id) => id,
            None => {
                // Its connect is before the input: the session is known from
                // here, so that its client and the abort are kept, and the
                // `disconnect` that follows closes this one.
                let key = self.session_key(cx);
                let session = Session { abort_line: Some(cx.line), ..self.new_session(cx, client) };
                let id = self.store_session(session);
                self.open_sessions.insert(key, id);
                id
            }
        };
        // Like the session's other texts, kept with the details only.
        if !self.keep_details {
            return;
        }
        let abort = match after {
            "" => self.strings.intern(reason),
            _ => self.strings.intern(&format!("{reason} after {after}")),
        };
        let s = &mut self.sessions[id as usize].1;
        s.abort = abort;
        s.abort_line.get_or_insert(cx.line);
    }

    pub(super) fn client_line(&mut self, cx: &LineCtx, l: &ClientLine) {
        let session = self.open_session(cx);
        let Some(id) = self.start_message(cx, l.queue_id) else { return };
        let s = &mut self.strings;
        let (name, ip) = (s.intern(l.client.name), s.intern(l.client.ip));
        let (method, user, sasl_sender) = (s.opt(l.sasl_method), s.opt(l.sasl_username), s.opt(l.sasl_sender));
        let instance = self.cur.instance;
        let keep_details = self.keep_details;
        let m = &mut self.messages[id as usize];
        m.origin = Origin::Smtpd;
        (m.client_name, m.client_ip, m.instance) = (name, ip, instance);
        (m.sasl_method, m.sasl_username, m.sasl_sender) = (method, user, sasl_sender);
        // A reused slot would name another session later.
        m.session = session.filter(|_| keep_details).map(|slot| self.sessions[slot as usize].0);
        m.login_line = Some(cx.line);
        self.note_line(id, cx.line);
        if let Some(orig) = l.orig_queue_id {
            self.link_to_original(id, orig);
        }
        if !user.is_none() {
            self.login_success(cx, session, name, ip, method, user);
        }
        if let Some(sid) = session {
            self.sessions[sid as usize].1.messages += 1;
        }
    }

    /// `orig_queue_id=` (XFORWARD through a content filter): the message it
    /// continues is named outright.
    fn link_to_original(&mut self, id: u32, orig: &str) {
        let Some(key) = self.key(orig) else { return };
        // The original may already be removed: then its latest record.
        let parent = self.active.get(&key).or_else(|| self.finished.latest(&key)).copied();
        if let Some(p) = parent {
            if p != id {
                self.set_parent(id, (p, Link::Reinjected));
                let queue_id = self.messages[id as usize].queue_id;
                self.mark_filter_hops(p, queue_id.as_str());
            }
        }
    }

    /// A successful AUTH is logged only on the `client=` line of each message
    /// in the session: record it once per session.
    fn login_success(&mut self, cx: &LineCtx, session: Option<u32>, name: Sym, ip: Sym, method: Sym, user: Sym) {
        if let Some(sid) = session {
            let s = &mut self.sessions[sid as usize].1;
            if s.auth_ok {
                return;
            }
            s.auth_ok = true;
        }
        let instance = self.cur.instance;
        let host = self.cur.host;
        let attempt = AuthAttempt {
            time: cx.time,
            host,
            instance,
            client_name: name,
            client_ip: ip,
            method,
            username: user,
            success: true,
            service: self.strings.intern("smtp"),
            line: cx.line,
        };
        self.sink.auth(attempt, &self.strings);
    }

    pub(super) fn auth_failed(&mut self, cx: &LineCtx, client: Client, method: &str, username: Option<&str>) {
        let s = &mut self.strings;
        let client_ip = s.intern(client.ip);
        let named = s.opt(username);
        // Dovecot's auth service told of this attempt a moment before, and
        // may name the account Postfix did not.
        let backend = self.dovecot.sasl_failure(self.cur.host, client_ip, cx.time);
        let s = &mut self.strings;
        let attempt = AuthAttempt {
            time: cx.time,
            host: self.cur.host,
            instance: self.cur.instance,
            client_name: s.intern(client.name),
            client_ip,
            method: s.intern(method),
            username: if named.is_none() { backend } else { named },
            success: false,
            service: s.intern("smtp"),
            line: cx.line,
        };
        self.sink.auth(attempt, &self.strings);
    }

    pub(super) fn reject(&mut self, cx: &LineCtx, r: &event::Reject) {
        if let Some(q) = r.queue_id {
            // A milter's verdict at DATA or END-OF-MESSAGE is on the whole
            // message; at RCPT, on one recipient of it.
            let whole = r.via == "milter" && matches!(r.stage, "DATA" | "END-OF-MESSAGE");
            let verdict = match r.action {
                "reject" if whole => Some(CleanupVerdict::Reject),
                "discard" if r.via == "milter" => Some(CleanupVerdict::Discard),
                "hold" if r.via == "milter" => Some(CleanupVerdict::Hold),
                _ => None,
            };
            match verdict {
                Some(v) => self.message_verdict(cx, q, v, false),
                None => {
                    self.with_message(cx, q, false, |_, _| ());
                }
            }
        }
        if let Some(b) = r.queued_as {
            self.proxy_accepted(cx, b);
        }
        self.push_reject(cx, r);
    }

    /// A before-queue filter accepted the session's message, which the
    /// filter's own re-injection queued as `queue_id` (its `client=` line
    /// names the filter, usually `localhost[127.0.0.1]`): the message is the
    /// session's, and its client the session's client when the session's
    /// texts are kept.
    fn proxy_accepted(&mut self, cx: &LineCtx, queue_id: &str) {
        let Some(slot) = self.open_session(cx) else { return };
        let Some(&id) = self.key(queue_id).and_then(|k| self.active.get(&k)) else { return };
        let (number, session) = &mut self.sessions[slot as usize];
        session.messages += 1;
        let m = &mut self.messages[id as usize];
        m.session = Some(*number);
        let loopback = m.client_ip.is_none() || matches!(self.strings.get(m.client_ip), "127.0.0.1" | "::1");
        if loopback && !session.client_ip.is_none() {
            (m.client_name, m.client_ip) = (session.client_name, session.client_ip);
        }
        self.note_line(id, cx.line);
    }

    fn push_reject(&mut self, cx: &LineCtx, r: &event::Reject) {
        // A before-queue filter's verdict names no client: the session's
        // (known when its texts are kept, see `session_text`).
        let from_session =
            (r.via == "proxy" && r.client == Client::default()).then(|| self.open_session(cx)).flatten().map(|slot| {
                let s = &self.sessions[slot as usize].1;
                (s.client_name, s.client_ip)
            });
        let s = &mut self.strings;
        let (client_name, client_ip) = from_session.unwrap_or_else(|| (s.intern(r.client.name), s.intern(r.client.ip)));
        let rec = Reject {
            time: cx.time,
            host: self.cur.host,
            instance: self.cur.instance,
            daemon: self.cur.daemon,
            queue_id: r.queue_id.and_then(QueueId::new),
            action: s.intern(r.action),
            stage: s.intern(r.stage),
            client_name,
            client_ip,
            via: s.intern(r.via),
            code: s.intern(r.code),
            dsn: s.intern(r.dsn),
            reason: r.reason.into(),
            sender: r.sender.map(|x| s.intern(x)),
            recipient: r.recipient.map(|x| s.intern(x)),
            proto: s.opt(r.proto),
            helo: s.opt(r.helo),
            sasl_method: s.opt(r.sasl.map(|x| x.method)),
            sasl_username: s.opt(r.sasl.map(|x| x.username)),
            line: cx.line,
        };
        self.sink.reject(rec, &self.strings);
    }

    /// cleanup's verdicts are rejects too (pflogsumm counts them so); see
    /// [`event::cleanup_verdict`] for the two shapes of the detail.
    pub(super) fn cleanup_reject_record(
        &mut self,
        cx: &LineCtx,
        queue_id: &str,
        action: &str,
        milter: bool,
        detail: &str,
    ) {
        let mut r = event::cleanup_verdict(queue_id, action, detail);
        if milter {
            r.via = "milter";
        }
        self.damaged_addresses += u64::from(r.client.damaged);
        self.push_reject(cx, &r);
    }
}
