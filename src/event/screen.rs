//! Evidence about a client outside messages and sessions: postscreen's and
//! tlsproxy's verdicts, dnsblog's listings, anvil's statistics, and smtpd's
//! warnings that name a client. Each is an [`Event::ClientEvent`].

use super::addr::{address, Address};
use super::fields::{client, find_near, find_str, Client};
use super::Event;

/// `CONNECT from [ip]:port to [ip]:25`, `PASS NEW [ip]:port`, `DNSBL rank
/// 3 for [ip]:port`, `PREGREET 11 after 0.1 from [ip]:port: EHLO x\r\n`,
/// `HANGUP after 0.5 from [ip]:port in tests after SMTP handshake`,
/// `COMMAND TIME LIMIT from [ip]:port after CONNECT`, `NON-SMTP COMMAND
/// from …`, `WHITELISTED [ip]:port` (`ALLOWLISTED`, `DENYLISTED` since
/// Postfix 3.6), `NOQUEUE: reject: RCPT from …`, cache cleanups. tlsproxy
/// writes `CONNECT from [ip]:port` and `DISCONNECT [ip]:port` the same way.
pub fn postscreen(p: &str) -> Option<Event<'_>> {
    if let Some(rest) = p.strip_prefix("NOQUEUE: ") {
        return super::smtpd::reject(None, rest);
    }
    // The verdict is the leading words in capitals (`COMMAND TIME LIMIT`,
    // `NON-SMTP COMMAND`, `PASS NEW`).
    let mut end = 0;
    for word in p.split(' ') {
        if word.is_empty() || !word.bytes().all(|c| c.is_ascii_uppercase() || c == b'-') {
            break;
        }
        end += word.len() + 1;
    }
    if end == 0 {
        return super::generic(p);
    }
    let what = &p[..end - 1];
    let open = find_near(p, b'[')?;
    let close = open + find_near(&p[open..], b']')?;
    let port_end = close
        + 1
        + p[close + 1..].strip_prefix(':').map_or(0, |t| 1 + t.bytes().take_while(u8::is_ascii_digit).count());
    let client = client(&p[open..port_end])?;
    let detail = p.get(end..).unwrap_or("");
    Some(Event::ClientEvent { what, client, detail })
}

/// `addr 192.0.2.1 listed by domain zen.example as 127.0.0.2`.
pub fn dnsblog(p: &str) -> Option<Event<'_>> {
    let Some(rest) = p.strip_prefix("addr ") else {
        return super::generic(p);
    };
    let sp = find_near(rest, b' ')?;
    let detail = rest[sp..].strip_prefix(" listed by domain ")?;
    let client = bare_client(&rest[..sp])?;
    Some(Event::ClientEvent { what: "listed", client, detail })
}

/// `statistics: max connection rate 1/60s for (smtp:192.0.2.1) at …`; the
/// service may itself have colons (`127.0.0.1:2525:192.0.2.1`), and an IPv6
/// client has its own: the client is the longest tail that is an address.
pub fn anvil(p: &str) -> Option<Event<'_>> {
    let rest = p.strip_prefix("statistics: ")?;
    let Some(open) = find_str(rest, " for (") else {
        return Some(Event::Noise);
    };
    let what = &rest[..open];
    let inner = &rest[open + 6..];
    let close = inner.find(')')?;
    let service_client = &inner[..close];
    let at = service_client
        .char_indices()
        .filter(|&(_, c)| c == ':')
        .map(|(i, _)| i + 1)
        .find(|&i| matches!(address(&service_client[i..]), Address::Ip(_)));
    // `for (smtp:unknown)`: a client whose address Postfix did not know.
    let Some(at) = at else {
        return service_client.ends_with(":unknown").then_some(Event::Noise);
    };
    let client = bare_client(&service_client[at..])?;
    Some(Event::ClientEvent { what, client, detail: &service_client[..at - 1] })
}

/// An address written alone (no `name[…]`), checked like one in brackets.
fn bare_client(s: &str) -> Option<Client<'_>> {
    match address(s) {
        Address::Ip(ip) => Some(Client { name: "", ip, damaged: false }),
        Address::Unknown => None,
        Address::Damaged => Some(Client { name: "", ip: "", damaged: true }),
    }
}

/// smtpd's warnings about a client (after `warning: `):
/// `hostname NAME does not resolve to address IP[: reason]` and anvil's
/// limits, `Connection rate limit exceeded: 31 from name[ip] for service
/// smtpd` (also concurrency, message delivery request, recipient address
/// and new TLS session limits).
pub fn client_warning(w: &str) -> Option<Event<'_>> {
    if let Some(rest) = w.strip_prefix("hostname ") {
        let sp = find_near(rest, b' ')?;
        let tail = rest[sp..].strip_prefix(" does not resolve to address ")?;
        let (ip, detail) = tail.split_once(": ").unwrap_or((tail, ""));
        let mut client = bare_client(ip)?;
        client.name = &rest[..sp];
        return Some(Event::ClientEvent { what: "hostname does not resolve", client, detail });
    }
    let i = find_str(w, " limit exceeded: ")?;
    let what = &w[..i + 15];
    let rest = &w[i + 17..];
    let from = find_str(rest, " from ")?;
    let tail = &rest[from + 6..];
    let close = find_str(tail, "] for ")?;
    let client = client(&tail[..=close])?;
    // The count, the client and the service, as written.
    Some(Event::ClientEvent { what, client, detail: rest })
}
