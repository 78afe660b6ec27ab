//! Dovecot's logins and failures as auth records, each attempt once.
//!
//! Dovecot tells of one failed attempt up to twice: its auth service's
//! verdict (`auth: passwd-file(u,IP…): Password mismatch`), then whoever
//! asked for it. A login process (IMAP, POP3…) sums its connection's
//! failures on the line that closes it (`Disconnected (auth failed, 3
//! attempts …)`, with the connection's session ID); a SASL client (Postfix's
//! smtpd, which sends no session ID) writes its own `SASL … authentication
//! failed` warning, which Postfix's side already records. So:
//! - the login process's line is the record, one row per attempt it counts;
//!   the auth service's lines of its session are dropped when it comes;
//! - a connection that logs in after failing (`Login:` with the session of
//!   earlier failures) has only the auth service's lines to tell of them:
//!   they become rows then;
//! - a failure without a session is Postfix's attempt: never a row of its
//!   own, it names the account on Postfix's warning when that does not;
//! - a session's failures whose connection's verdict never comes (the input
//!   ends, or it is lost) become rows at the end, of service `dovecot`.

use super::{AuthAttempt, Correlator, LineCtx, Map, Sym};
use crate::event::{Client, DovecotAuth};
use crate::time::{Micros, MICROS_PER_SEC};

/// How long after the auth service's verdict Postfix's warning about the
/// same attempt may come: Dovecot delays a failure's answer
/// (`auth_failure_delay`, 2 s by default) and the client may be slow.
const SASL_WINDOW: Micros = 30 * MICROS_PER_SEC;

/// How long a login connection's failures wait for its verdict before they
/// are counted without it; Dovecot closes a connection long before.
const SESSION_WINDOW: Micros = 600 * MICROS_PER_SEC;

/// Most failures kept for one session: a connection is closed after a few.
const PER_SESSION: usize = 32;

/// Waiting entries before the maps are swept of stale ones.
const SWEEP_AT: usize = 4096;

/// The auth service's verdicts waiting for the line that says how they count.
#[derive(Clone, Default)]
pub(super) struct Pending {
    by_session: Map<(Sym, Box<str>), Vec<AuthAttempt>>,
    /// The last failure without a session per host and IP: (when, account).
    sasl: Map<(Sym, Sym), (Micros, Sym)>,
    sweep_at: usize,
}

impl Pending {
    /// The account Dovecot's auth service named for the SASL failure just
    /// before `time` from `ip`, which Postfix now reports (taken: one
    /// verdict names one attempt); [`Sym::NONE`] when there is none.
    pub(super) fn sasl_failure(&mut self, host: Sym, ip: Sym, time: Micros) -> Sym {
        if self.sasl.is_empty() || ip.is_none() {
            return Sym::NONE;
        }
        match self.sasl.remove(&(host, ip)) {
            Some((t, user)) if t <= time && time - t <= SASL_WINDOW => user,
            _ => Sym::NONE,
        }
    }

    fn take(&mut self, host: Sym, session: &str) -> Vec<AuthAttempt> {
        if session.is_empty() || self.by_session.is_empty() {
            return Vec::new();
        }
        self.by_session.remove(&(host, session.into())).unwrap_or_default()
    }

    /// Drops what can no longer be matched; returns the session failures
    /// that waited too long, to be counted.
    fn sweep(&mut self, now: Micros) -> Vec<AuthAttempt> {
        if self.by_session.len() + self.sasl.len() < self.sweep_at.max(SWEEP_AT) {
            return Vec::new();
        }
        self.sasl.retain(|_, (t, _)| now - *t <= SASL_WINDOW);
        let mut stale = Vec::new();
        self.by_session.retain(|_, v| {
            let fresh = v.last().is_some_and(|a| now - a.time <= SESSION_WINDOW);
            if !fresh {
                stale.append(v);
            }
            fresh
        });
        self.sweep_at = 2 * (self.by_session.len() + self.sasl.len());
        stale
    }

    /// Every session failure still waiting, oldest first.
    pub(super) fn drain(&mut self) -> Vec<AuthAttempt> {
        let mut all: Vec<AuthAttempt> = self.by_session.drain().flat_map(|(_, v)| v).collect();
        all.sort_by_key(|a| (a.time, a.line.file, a.line.line));
        all
    }
}

impl<S: super::Sink> Correlator<S> {
    pub(super) fn dovecot(&mut self, cx: &LineCtx, a: &DovecotAuth) {
        let host = self.cur.host;
        match a {
            DovecotAuth::Login { service, user, method, client, session } => {
                let service = self.strings.intern(service);
                for mut earlier in self.dovecot.take(host, session) {
                    earlier.service = service;
                    self.sink.auth(earlier, &self.strings);
                }
                let ok = self.dovecot_attempt(cx, service, client, method, Some(user), true);
                self.sink.auth(ok, &self.strings);
            }
            DovecotAuth::Failed { service, user, method, client, attempts, session } => {
                // The count covers the auth service's lines of the session.
                self.dovecot.take(host, session);
                let service = self.strings.intern(service);
                let failed = self.dovecot_attempt(cx, service, client, method, *user, false);
                for _ in 1..*attempts {
                    self.sink.auth(failed.clone(), &self.strings);
                }
                self.sink.auth(failed, &self.strings);
            }
            DovecotAuth::Backend { user, client, session: "", .. } => {
                let (ip, user) = (self.strings.intern(client.ip), self.strings.opt(*user));
                if !ip.is_none() {
                    self.dovecot.sasl.insert((host, ip), (cx.time, user));
                }
            }
            DovecotAuth::Backend { user, client, session, .. } => {
                let service = self.strings.intern("dovecot");
                let failed = self.dovecot_attempt(cx, service, client, "", *user, false);
                let waiting = self.dovecot.by_session.entry((host, (*session).into())).or_default();
                if waiting.len() < PER_SESSION {
                    waiting.push(failed);
                }
            }
        }
        for late in self.dovecot.sweep(cx.time) {
            self.sink.auth(late, &self.strings);
        }
    }

    fn dovecot_attempt(
        &mut self,
        cx: &LineCtx,
        service: Sym,
        client: &Client,
        method: &str,
        user: Option<&str>,
        success: bool,
    ) -> AuthAttempt {
        let s = &mut self.strings;
        AuthAttempt {
            time: cx.time,
            host: self.cur.host,
            instance: self.cur.instance,
            client_name: Sym::NONE,
            client_ip: s.intern(client.ip),
            method: s.intern(method),
            username: s.opt(user),
            success,
            service,
            line: cx.line,
        }
    }
}
