//! Dovecot's lines in the mail log: it is the SASL backend of most Postfix
//! servers and the IMAP/POP3 server of the same accounts, so its logins and
//! failures are evidence about the same passwords.
//!
//! Two kinds of line tell of a login:
//! - a login process's verdict on a connection (`imap-login: Login: user=<u>,
//!   method=PLAIN, rip=IP, …` or `imap-login: Disconnected (auth failed, N
//!   attempts in S secs): user=<u>, …`), which counts the attempts;
//! - the auth service's verdict on one attempt (`auth: passwd-file(u,IP):
//!   Password mismatch`, `auth-worker(7): sql(u,IP,<session>): unknown
//!   user`). With a `<session>` it is an attempt a login process will
//!   count; without one it is a SASL client's (Postfix's smtpd), which
//!   Postfix counts in its own warning.
//!
//! Which of them is the record is correlation's business
//! ([`crate::correlate`]); this file only reads them. The user name is the
//! client's text and may hold anything, `, rip=` and `): ` included, so the
//! fields Dovecot writes after it are found from the end of the line.

use super::addr::{self, Address};
use super::fields::{find_str, rfind_str};
use super::{Client, Event};

/// What a Dovecot line says about a login.
#[derive(Clone, Debug, PartialEq)]
pub enum DovecotAuth<'a> {
    /// A login process let a user in.
    Login { service: &'a str, user: &'a str, method: &'a str, client: Client<'a>, session: &'a str },
    /// A login process closed a connection after `attempts` failed logins.
    Failed {
        service: &'a str,
        user: Option<&'a str>,
        method: &'a str,
        client: Client<'a>,
        attempts: u32,
        session: &'a str,
    },
    /// The auth service turned down one attempt; `session` is empty for a
    /// SASL client without one (Postfix).
    Backend { user: Option<&'a str>, client: Client<'a>, session: &'a str, reason: &'static str },
}

/// Most attempts one `Disconnected` line stands for: Dovecot closes a
/// connection after a few, and a forged line must not make millions of rows.
pub const MAX_ATTEMPTS: u32 = 100;

/// Parses the payload of a `dovecot` line; `None` for the lines that say
/// nothing about a login (deliveries, logouts, the master's chatter).
pub fn parse(payload: &str) -> Option<Event<'_>> {
    let (process, rest) = payload.split_once(": ")?;
    let rest = rest.strip_prefix("Info: ").unwrap_or(rest);
    if let Some(service) = process.strip_suffix("-login") {
        let plain = !service.is_empty() && service.len() <= 16;
        if !(plain && service.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())) {
            return None;
        }
        return login(service, rest);
    }
    let worker = process.strip_prefix("auth-worker(").is_some_and(|p| p.ends_with(')'));
    if process == "auth" || process == "auth-worker" || worker {
        return backend(rest).map(Event::Dovecot);
    }
    None
}

fn login<'a>(service: &'a str, rest: &'a str) -> Option<Event<'a>> {
    if let Some(fields) = rest.strip_prefix("Login: ") {
        let f = Fields::parse(fields)?;
        let user = f.user?;
        let (method, client, session) = (f.method, f.client, f.session);
        return Some(Event::Dovecot(DovecotAuth::Login { service, user, method, client, session }));
    }
    let Some(at) = find_str(rest, "(auth failed, ") else {
        // `(no auth attempts in 0 secs)`, `(tried to use disallowed
        // plaintext auth)`: a connection without a password tried.
        let known = ["Disconnected", "Aborted login", "Login aborted", "Maximum number of connections"];
        return known.iter().any(|k| rest.starts_with(k)).then_some(Event::Noise);
    };
    let counted = &rest[at + "(auth failed, ".len()..];
    let digits = counted.bytes().take_while(u8::is_ascii_digit).count();
    let attempts: u32 = counted[..digits].parse().ok()?;
    // The fields follow the first `): ` after the count: Dovecot ≥ 2.3.21
    // puts a reason code between (`… secs) (auth_failed): user=<…>`).
    let end = find_str(counted, "): ")?;
    let f = Fields::parse(&counted[end + 3..])?;
    let attempts = attempts.clamp(1, MAX_ATTEMPTS);
    let (user, method, client, session) = (f.user, f.method, f.client, f.session);
    Some(Event::Dovecot(DovecotAuth::Failed { service, user, method, client, attempts, session }))
}

/// A login process's `user=<u>, method=M, rip=IP, lip=IP, …, session=<S>`.
struct Fields<'a> {
    user: Option<&'a str>,
    method: &'a str,
    client: Client<'a>,
    session: &'a str,
}

impl<'a> Fields<'a> {
    fn parse(s: &'a str) -> Option<Fields<'a>> {
        // Everything from the last `rip=` on is Dovecot's; the user name
        // before it is not.
        let at = rfind_str(s, "rip=").filter(|&i| i == 0 || s[..i].ends_with(", "))?;
        let rip = &s[at + 4..];
        let rip = find_str(rip, ", ").map_or(rip, |e| &rip[..e]);
        let mut head = &s[..at];
        let mut method = "";
        if let Some(m) = rfind_str(head, "method=").filter(|&i| i == 0 || head[..i].ends_with(", ")) {
            method = head[m + 7..].strip_suffix(", ").unwrap_or(&head[m + 7..]);
            head = &head[..m];
        }
        let user = head.strip_prefix("user=<").and_then(|u| u.strip_suffix(">, ")).filter(|u| !u.is_empty());
        let tail = &s[at..];
        let session = find_str(tail, ", session=<").map_or("", |i| {
            let t = &tail[i + ", session=<".len()..];
            t.split_once('>').map_or("", |(v, _)| v)
        });
        Some(Fields { user, method, client: client_of(rip), session })
    }
}

/// A `rip=` or backend address, checked as strictly as Postfix's.
fn client_of(ip: &str) -> Client<'_> {
    match addr::address(ip) {
        Address::Ip(ip) => Client { name: "", ip, damaged: false },
        Address::Unknown => Client::default(),
        Address::Damaged => Client { name: "", ip: "", damaged: true },
    }
}

/// `passwd-file(user,IP[,<session>]): REASON` and the same of `sql`, `pam`,
/// `ldap`, `checkpassword`…: one failed attempt.
fn backend(rest: &str) -> Option<DovecotAuth<'_>> {
    let open = rest.bytes().position(|c| c == b'(')?;
    let name = &rest[..open];
    if name.is_empty() || !name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-') {
        return None;
    }
    // The last `): ` closes the prefix: the user name inside may hold one.
    let close = rfind_str(rest, "): ").filter(|&c| c > open)?;
    let (inside, said) = (&rest[open + 1..close], &rest[close + 3..]);
    let reason = failure_reason(said)?;
    let (inside, session) = match inside.strip_suffix('>').and_then(|i| i.rsplit_once(",<")) {
        Some((head, s)) => (head, s),
        None => (inside, ""),
    };
    let (user, ip) = inside.rsplit_once(',')?;
    let user = Some(user).filter(|u| !u.is_empty() && *u != "?");
    Some(DovecotAuth::Backend { user, client: client_of(ip), session, reason })
}

/// The failures among the auth service's verdicts, named once for all
/// backends; lookups and debug lines are none.
fn failure_reason(said: &str) -> Option<&'static str> {
    const REASONS: [(&str, &str); 7] = [
        ("Password mismatch", "password mismatch"),
        ("unknown user", "unknown user"),
        ("pam_authenticate() failed: User not known", "unknown user"),
        ("pam_authenticate() failed", "password mismatch"),
        ("Invalid password", "password mismatch"),
        ("invalid credentials", "password mismatch"),
        ("Login failed", "password mismatch"),
    ];
    REASONS.iter().find(|(p, _)| said.starts_with(p)).map(|&(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(ip: &str) -> Client<'_> {
        Client { name: "", ip, damaged: false }
    }

    fn auth(payload: &str) -> DovecotAuth<'_> {
        match parse(payload) {
            Some(Event::Dovecot(a)) => a,
            other => panic!("{payload}: {other:?}"),
        }
    }

    #[test]
    fn logins() {
        let a = auth(
            "imap-login: Login: user=<ann@example.test>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.1, \
             mpid=4242, TLS, session=<q2w3e4r5>",
        );
        let want = DovecotAuth::Login {
            service: "imap",
            user: "ann@example.test",
            method: "PLAIN",
            client: ok("192.0.2.7"),
            session: "q2w3e4r5",
        };
        assert_eq!(a, want);
        let a =
            auth("pop3-login: Login: user=<bob>, method=LOGIN, rip=::ffff:192.0.2.8, lip=::1, secured, session=<x>");
        assert!(
            matches!(a, DovecotAuth::Login { service: "pop3", user: "bob", client, .. } if client.ip == "192.0.2.8")
        );
    }

    #[test]
    fn failures_and_their_variants() {
        let shapes = [
            ("imap-login: Disconnected (auth failed, 3 attempts in 12 secs): user=<ann@example.test>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.1, TLS, session=<abc>", 3),
            ("imap-login: Disconnected: Connection closed (auth failed, 2 attempts in 6 secs): user=<ann@example.test>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.1, TLS, session=<abc>", 2),
            ("pop3-login: Aborted login (auth failed, 1 attempts in 2 secs): user=<ann@example.test>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.1, session=<abc>", 1),
            ("submission-login: Login aborted: Connection closed (auth failed, 1 attempts in 2 secs) (auth_failed): user=<ann@example.test>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.1, TLS, session=<abc>", 1),
            ("imap-login: Disconnected (auth failed, 1 attempts): user=<ann@example.test>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.1, TLS, session=<abc>", 1),
        ];
        for (line, n) in shapes {
            match auth(line) {
                DovecotAuth::Failed { user, method, client, attempts, session, .. } => {
                    assert_eq!(
                        (user, method, client, attempts, session),
                        (Some("ann@example.test"), "PLAIN", ok("192.0.2.9"), n, "abc"),
                        "{line}"
                    );
                }
                other => panic!("{line}: {other:?}"),
            }
        }
        // No user given: no account named.
        let a = auth("imap-login: Disconnected (auth failed, 1 attempts in 4 secs): user=<>, method=PLAIN, rip=192.0.2.9, lip=198.51.100.1");
        assert!(matches!(a, DovecotAuth::Failed { user: None, .. }));
        let a =
            auth("imap-login: Disconnected (auth failed, 999999 attempts in 4 secs): rip=192.0.2.9, lip=198.51.100.1");
        assert!(matches!(a, DovecotAuth::Failed { user: None, method: "", attempts: MAX_ATTEMPTS, .. }));
        for noise in [
            "imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=192.0.2.9, lip=198.51.100.1, session=<a>",
            "pop3-login: Disconnected (tried to use disallowed plaintext auth): user=<>, rip=192.0.2.9, lip=198.51.100.1",
        ] {
            assert_eq!(parse(noise), Some(Event::Noise), "{noise}");
        }
    }

    #[test]
    fn a_user_name_cannot_move_the_address() {
        let a = auth("imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x>, method=PLAIN, rip=203.0.113.66, lip=1.1.1.1, session=<no>>, method=PLAIN, rip=192.0.2.10, lip=198.51.100.1, TLS, session=<real>");
        match a {
            DovecotAuth::Failed { user, client, session, .. } => {
                assert_eq!(client, ok("192.0.2.10"));
                assert_eq!(session, "real");
                assert_eq!(user, Some("x>, method=PLAIN, rip=203.0.113.66, lip=1.1.1.1, session=<no>"));
            }
            other => panic!("{other:?}"),
        }
        let a = auth("auth: passwd-file(a,203.0.113.5): unknown user,192.0.2.11): Password mismatch");
        assert_eq!(
            a,
            DovecotAuth::Backend {
                user: Some("a,203.0.113.5): unknown user"),
                client: ok("192.0.2.11"),
                session: "",
                reason: "password mismatch"
            }
        );
        // A damaged address is no address.
        let a = auth("imap-login: Login: user=<ann>, method=PLAIN, rip=10.0.0.0/8, lip=198.51.100.1");
        assert!(matches!(a, DovecotAuth::Login { client: Client { ip: "", damaged: true, .. }, .. }));
    }

    #[test]
    fn backend_verdicts() {
        let a = auth("auth: passwd-file(carol@example.test,192.0.2.66): Password mismatch");
        let want = DovecotAuth::Backend {
            user: Some("carol@example.test"),
            client: ok("192.0.2.66"),
            session: "",
            reason: "password mismatch",
        };
        assert_eq!(a, want);
        let a = auth("auth-worker(4711): Info: sql(admin@example.test,2001:db8::5,<Zx81>): unknown user");
        let want = DovecotAuth::Backend {
            user: Some("admin@example.test"),
            client: ok("2001:db8::5"),
            session: "Zx81",
            reason: "unknown user",
        };
        assert_eq!(a, want);
        let a = auth("auth-worker(9): pam(dave,192.0.2.4): pam_authenticate() failed: Authentication failure (password mismatch?)");
        assert!(matches!(a, DovecotAuth::Backend { reason: "password mismatch", user: Some("dave"), .. }));
        let a = auth("auth: passwd-file(?,192.0.2.4): unknown user");
        assert!(matches!(a, DovecotAuth::Backend { user: None, .. }));
        for none in [
            "auth: Debug: passwd-file(x,192.0.2.4): lookup: user=x file=/etc/passwd",
            "auth: passwd-file(x,192.0.2.4): lookup: user=x",
            "lmtp(ann@example.test)<1><abc>: msgid=<m@x>: saved mail to INBOX",
            "master: Dovecot v2.3.19.1 starting up",
            "IMAP-login: Login: user=<a>, rip=192.0.2.1",
            "imap(ann)<7><s>: Disconnected: Logged out in=1 out=2",
        ] {
            assert_eq!(parse(none), None, "{none}");
        }
    }
}
