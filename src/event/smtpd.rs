//! smtpd: sessions, the `client=` line that starts a message, SASL
//! failures, and NOQUEUE rejects.

use super::fields::{client, find_byte, find_near, find_str, rfind_str, split_fields, split_queue_id, Client};
use super::{ClientLine, Event, Reject};

pub fn parse(p: &str) -> Option<Event<'_>> {
    if let Some(rest) = p.strip_prefix("connect from ") {
        return client(rest).map(|client| Event::Connect { client });
    }
    if let Some(rest) = p.strip_prefix("disconnect from ") {
        return disconnect(rest);
    }
    if let Some(rest) = p.strip_prefix("warning: ") {
        return Some(auth_failure(rest).or_else(|| super::screen::client_warning(rest)).unwrap_or(Event::Warning));
    }
    if let Some(rest) = p.strip_prefix("NOQUEUE: ") {
        // `NOQUEUE: lost connection after CONNECT from …` (a session that
        // ended before any transaction) is an abort, not a verdict.
        return reject(None, rest).or_else(|| abort(rest));
    }
    if p.starts_with("proxy-") {
        // Postfix writes a before-queue filter's verdict without a queue ID.
        return reject(None, p);
    }
    if let Some(e) = abort(p) {
        return Some(e);
    }
    if let Some((qid, rest)) = split_queue_id(p) {
        if let Some(rest) = rest.strip_prefix("client=") {
            return client_line(qid, rest);
        }
        return reject(Some(qid), rest).or(Some(Event::Noise));
    }
    NOISE.iter().any(|n| p.starts_with(n)).then_some(Event::Noise)
}

const ABORTS: [(&str, &str); 5] = [
    ("lost connection after ", "lost connection"),
    ("timeout after ", "timeout"),
    ("too many errors after ", "too many errors"),
    ("improper command pipelining after ", "improper command pipelining"),
    // Postfix ≥ 3.9 with `smtpd_forbid_bare_newline`: it hangs up.
    ("bare <LF> received after ", "bare <LF> received"),
];

/// The lines that end a session early, each naming its client: `lost
/// connection after AUTH from name[ip]`…, and `SSL_accept error from
/// name[ip]: detail` (the TLS handshake failed; no command to be after).
fn abort(p: &str) -> Option<Event<'_>> {
    // A cheap first-byte test: most smtpd lines are none of these.
    if !matches!(p.as_bytes().first(), Some(b'l' | b't' | b'i' | b'b' | b'S')) {
        return None;
    }
    for (prefix, reason) in ABORTS {
        if let Some(rest) = p.strip_prefix(prefix) {
            return session_abort(rest, reason);
        }
    }
    let rest = p.strip_prefix("SSL_accept error from ")?;
    let (client, _) = client_until_colon(rest)?;
    Some(Event::SessionAbort { client, reason: "SSL_accept error", after: "" })
}

const NOISE: [&str; 7] = [
    // `smtpd_discard_ehlo_keywords` at work: configuration, no event.
    "discarding EHLO keywords: ",
    "Anonymous TLS connection established",
    "Trusted TLS connection established",
    "Untrusted TLS connection established",
    "Verified TLS connection established",
    "TLS SNI",
    "non-SMTP command from",
];

/// `name[ip] ehlo=1 auth=0/1 quit=1 commands=2/3`; with
/// `smtpd_client_port_logging = yes` the client is `name[ip]:port`.
fn disconnect(rest: &str) -> Option<Event<'_>> {
    let close = find_near(rest, b']')?;
    let (client, stats) = match find_near(&rest[close..], b' ') {
        Some(i) => (client(&rest[..close + i])?, &rest[close + i + 1..]),
        None => (client(rest)?, ""),
    };
    Some(Event::Disconnect { client, stats, auth_failed: auth_failures(stats) })
}

/// From `auth=0/1` (ok/attempted): the failed AUTH commands. A lone `auth=1`
/// means all succeeded.
fn auth_failures(stats: &str) -> u32 {
    // `auth=` opens the list or follows a space (not `xauth=`).
    let at = match stats.strip_prefix("auth=") {
        Some(_) => 0,
        None => match find_str(stats, " auth=") {
            Some(i) => i + 1,
            None => return 0,
        },
    };
    let v = &stats[at + 5..];
    let v = &v[..find_near(v, b' ').unwrap_or(v.len())];
    match v.split_once('/') {
        Some((ok, total)) => {
            let ok: u32 = ok.parse().unwrap_or(0);
            total.parse::<u32>().unwrap_or(0).saturating_sub(ok)
        }
        None => 0,
    }
}

/// `AUTH from name[ip]` after `lost connection after `.
fn session_abort<'a>(rest: &'a str, reason: &'a str) -> Option<Event<'a>> {
    let i = find_str(rest, " from ")?;
    let after = &rest[..i];
    let tail = &rest[i + 6..];
    let end = find_byte(tail, b']').map(|e| e + 1)?;
    let client = client(&tail[..end])?;
    Some(Event::SessionAbort { client, reason, after })
}

/// `name[ip]: SASL LOGIN authentication failed: reason[, sasl_username=u]`
/// (`name[ip]:port: …` with `smtpd_client_port_logging = yes`).
fn auth_failure(rest: &str) -> Option<Event<'_>> {
    let (client, rest) = client_until_colon(rest)?;
    let rest = rest.strip_prefix("SASL ")?;
    // Some SASL back-ends leave the mechanism out: `SASL authentication failed`.
    let (method, after) = match rest.strip_prefix("authentication failed") {
        Some(after) => ("", after),
        None => {
            let sp = find_near(rest, b' ')?;
            (&rest[..sp], rest[sp + 1..].strip_prefix("authentication failed")?)
        }
    };
    let reason = after;
    let reason = reason.strip_prefix(": ").unwrap_or(reason.trim_start_matches(':'));
    // The username is whatever the client sent: it may contain ", " itself,
    // so everything after the first marker is the username.
    let (reason, username) = match find_str(reason, "sasl_username=") {
        Some(i) => (reason[..i].trim_end_matches([',', ' ']), Some(&reason[i + 14..])),
        None => (reason, None),
    };
    // Postfix ≥ 3.9 writes `sasl_username=(unavailable)` when the client
    // sent none.
    let username = username.filter(|u| *u != "(unavailable)");
    Some(Event::AuthFailed { client, method, username, reason })
}

/// `client=name[ip], sasl_method=…, sasl_username=…, orig_queue_id=…`.
fn client_line<'a>(queue_id: &'a str, rest: &'a str) -> Option<Event<'a>> {
    let end = client_token_end(rest)?;
    let first = client(&rest[..end])?;
    let parts = split_fields(rest[end..].strip_prefix(", ").unwrap_or(""));
    let mut line = ClientLine {
        queue_id,
        client: first,
        sasl_method: None,
        sasl_username: None,
        sasl_sender: None,
        orig_queue_id: None,
        orig_client: None,
    };
    for part in parts {
        let Some(eq) = find_near(part, b'=') else { continue };
        let (k, v) = (&part[..eq], &part[eq + 1..]);
        match k {
            "sasl_method" => line.sasl_method = Some(v),
            "sasl_username" => line.sasl_username = Some(v),
            "sasl_sender" => line.sasl_sender = Some(v),
            "orig_queue_id" => line.orig_queue_id = Some(v),
            "orig_client" => line.orig_client = client(v),
            _ => {}
        }
    }
    Some(Event::ClientLine(line))
}

/// Where the `name[ip]` (or `name[ip]:port`) token that opens `s` ends: at
/// the first `]` followed by the end or `, ` (after a port, if any). Found
/// so, a damaged address with `, ` inside does not split the line.
fn client_token_end(s: &str) -> Option<usize> {
    memchr::memchr_iter(b']', s.as_bytes()).find_map(|i| {
        let after = &s[i + 1..];
        let port = after.strip_prefix(':').map_or(0, |p| 1 + p.bytes().take_while(u8::is_ascii_digit).count());
        let end = i + 1 + port;
        (s[end..].is_empty() || s[end..].starts_with(", ")).then_some(end)
    })
}

/// `reject: RCPT from name[ip]: 554 5.7.1 <x>: reason; from=<a> to=<b> proto=ESMTP helo=<h>`.
/// postscreen writes the same with `[ip]:port` and `, ` between the fields.
/// A milter's verdict has the same shape (`milter-reject: RCPT from …`); a
/// before-queue filter's has its own ([`proxy_verdict`]).
pub fn reject<'a>(queue_id: Option<&'a str>, rest: &'a str) -> Option<Event<'a>> {
    let colon = find_str(rest, ": ")?;
    let word = &rest[..colon];
    let body = &rest[colon + 2..];
    let (action, via) = match word {
        "reject" | "warn" | "discard" | "hold" | "filter" | "redirect" | "reject_warning" => (word, ""),
        "milter-reject" => ("reject", "milter"),
        "milter-discard" => ("discard", "milter"),
        "milter-hold" => ("hold", "milter"),
        "proxy-reject" => return proxy_verdict(queue_id, "reject", body),
        "proxy-accept" => return proxy_verdict(queue_id, "accept", body),
        _ => return None,
    };
    let mut r = reject_body(queue_id, action, body)?;
    r.via = via;
    Some(Event::Reject(r))
}

/// `END-OF-MESSAGE: 554 5.7.0 text; from=<a> to=<b> proto=ESMTP helo=<h>`
/// after `proxy-reject: ` or `proxy-accept: `: the filter's answer (empty
/// when it gave none), then the envelope. No client: it is the session's.
fn proxy_verdict<'a>(queue_id: Option<&'a str>, action: &'a str, body: &'a str) -> Option<Event<'a>> {
    let colon = find_str(body, ": ")?;
    let stage = &body[..colon];
    if stage.is_empty() || !stage.bytes().all(|c| c.is_ascii_uppercase() || c == b'-') {
        return None;
    }
    let rest = &body[colon + 2..];
    let mut r = Reject { queue_id, action, via: "proxy", stage, ..Reject::default() };
    let (status, envelope) = match envelope_start(rest) {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (rest, ""),
    };
    split_status(status, &mut r);
    envelope_fields(envelope, &mut r);
    if action == "accept" {
        r.queued_as = super::queue::queued_as(r.reason);
    }
    Some(Event::Reject(r))
}

/// What follows `action: `: `RCPT from name[ip]: 554 5.7.1 reason; from=<a> …`.
fn reject_body<'a>(queue_id: Option<&'a str>, action: &'a str, rest: &'a str) -> Option<Reject<'a>> {
    let from = find_str(rest, " from ")?;
    let stage = &rest[..from];
    let (client, rest) = client_until_colon(&rest[from + 6..])?;
    let mut r = Reject { queue_id, action, stage, client, ..Reject::default() };
    let (status, envelope) = match envelope_start(rest) {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (rest, ""),
    };
    split_status(status, &mut r);
    envelope_fields(envelope, &mut r);
    Some(r)
}

/// The detail of a cleanup verdict (`QID: milter-reject: DETAIL`). Milters
/// write the smtpd shape, `END-OF-MESSAGE from name[ip]: 5.7.1 text; from=<a>
/// to=<b> proto=ESMTP helo=<h>`; header and body checks write
/// `header Subject: … from name[ip]; from=<a> to=<b> proto=ESMTP helo=<h>:
/// 5.7.1 text`, whose reason stays the whole detail (what matched is the
/// evidence). Messages from pickup say `from local` and have no client.
pub fn cleanup_verdict<'a>(queue_id: &'a str, action: &'a str, detail: &'a str) -> Reject<'a> {
    let stage = detail.split(' ').next().unwrap_or("");
    if !stage.is_empty() && stage.bytes().all(|c| c.is_ascii_uppercase() || c == b'-') {
        if let Some(r) = reject_body(Some(queue_id), action, detail) {
            return r;
        }
    }
    let mut r = Reject { queue_id: Some(queue_id), action, stage, reason: detail, ..Reject::default() };
    let Some(env) = envelope_start(detail) else { return r };
    // The client follows the last ` from ` before the envelope: the header
    // text before it is the sender's and may contain ` from ` itself.
    let head = &detail[..env];
    if let Some(i) = rfind_str(head, " from ") {
        r.client = client(&head[i + 6..]).unwrap_or_default();
    }
    let tail = &detail[env + 2..];
    let (envelope, text) = match rfind_str(tail, ">: ") {
        Some(i) => (&tail[..=i], &tail[i + 3..]),
        None => (tail, ""),
    };
    envelope_fields(envelope, &mut r);
    let mut status = Reject::default();
    split_status(text, &mut status);
    (r.code, r.dsn) = (status.code, status.dsn);
    r
}

/// Where `; from=<a> to=<b> proto=ESMTP helo=<h>` begins. Postfix writes
/// each field only when it knows it: a CONNECT or EHLO reject has no
/// sender, so the list may begin at `to=`, `proto=` or `helo=`.
fn envelope_start(s: &str) -> Option<usize> {
    const KEYS: [&str; 4] = ["from=<", "to=<", "proto=", "helo=<"];
    let mut at = 0;
    while let Some(i) = find_str(&s[at..], "; ") {
        let start = at + i;
        if KEYS.iter().any(|k| s[start + 2..].starts_with(k)) {
            return Some(start);
        }
        at = start + 2;
    }
    None
}

/// `name[ip]: ` or postscreen's `[ip]:port: `.
fn client_until_colon(s: &str) -> Option<(Client<'_>, &str)> {
    let close = find_byte(s, b']')?;
    let mut end = close + 1;
    if s[end..].starts_with(':') && s[end + 1..].starts_with(|c: char| c.is_ascii_digit()) {
        end += 1 + s[end + 1..].find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len() - end - 1);
    }
    let c = client(&s[..end])?;
    let rest = &s[end..];
    Some((c, rest.strip_prefix(": ").unwrap_or(rest)))
}

/// `554 5.7.1 <x@y>: Relay access denied` → code, dsn, reason. Milters
/// answer with a DSN and no code: `5.7.1 Spam message rejected`.
fn split_status<'a>(status: &'a str, r: &mut Reject<'a>) {
    let mut it = status.splitn(3, ' ');
    let code = it.next().unwrap_or("");
    if is_dsn(code) {
        r.dsn = code;
        r.reason = status[code.len()..].trim_start();
    } else if code.len() == 3 && code.bytes().all(|c| c.is_ascii_digit()) {
        r.code = code;
        let dsn = it.next().unwrap_or("");
        if is_dsn(dsn) {
            r.dsn = dsn;
            r.reason = it.next().unwrap_or("");
        } else {
            r.reason = status.get(4..).unwrap_or("");
        }
    } else {
        r.reason = status;
    }
}

/// `5.7.1`: class, subject and detail (RFC 3463).
fn is_dsn(s: &str) -> bool {
    let mut parts = s.split('.');
    let ok = |p: Option<&str>, max: usize| {
        p.is_some_and(|p| (1..=max).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit()))
    };
    matches!(s.as_bytes().first(), Some(b'2' | b'4' | b'5'))
        && ok(parts.next(), 1)
        && ok(parts.next(), 3)
        && ok(parts.next(), 3)
        && parts.next().is_none()
}

/// `from=<a> to=<b> proto=ESMTP helo=<h>` (or with `, ` separators).
fn envelope_fields<'a>(mut s: &'a str, r: &mut Reject<'a>) {
    while !s.is_empty() {
        s = s.trim_start_matches([',', ' ']);
        let Some(eq) = s.find('=') else { return };
        let key = &s[..eq];
        let rest = &s[eq + 1..];
        let (value, next) = if key == "helo" {
            // The HELO name is attacker-chosen and last but for Postfix
            // 3.10's SASL fields, which it may forge.
            let (helo, sasl) = super::reject_sasl::split_helo(rest);
            r.sasl = sasl;
            (helo, "")
        } else if rest.starts_with('<') {
            match super::fields::angle_addr(rest) {
                Some(x) => x,
                None => return,
            }
        } else {
            let end = rest.find([' ', ',']).unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        };
        match key {
            "from" => r.sender = Some(value),
            "to" => r.recipient = Some(value),
            "proto" => r.proto = Some(value),
            "helo" => r.helo = Some(value),
            _ => {}
        }
        s = next;
    }
}
