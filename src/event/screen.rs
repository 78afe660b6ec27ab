//! postscreen verdicts and anvil statistics: per-client evidence that comes
//! before (or instead of) an smtpd session.

use super::fields::{client, find_near};
use super::Event;

/// `CONNECT from [ip]:port to [ip]:25`, `PASS NEW [ip]:port`,
/// `DNSBL rank 3 for [ip]:port`, `PREGREET 11 after 0.1 from [ip]:port: …`,
/// `HANGUP after 0.5 from [ip]:port in …`, `NOQUEUE: reject: RCPT from …`.
pub fn postscreen(p: &str) -> Option<Event<'_>> {
    if let Some(rest) = p.strip_prefix("NOQUEUE: ") {
        return super::smtpd::reject(None, rest);
    }
    let verdict_end = find_near(p, b' ')?;
    let verdict = &p[..verdict_end];
    if !verdict.bytes().all(|c| c.is_ascii_uppercase()) {
        return super::generic(p);
    }
    let open = find_near(p, b'[')?;
    let close = open + find_near(&p[open..], b']')?;
    let c = client(&p[open..=close])?;
    let verdict = match verdict {
        "PASS" | "DNSBL" => {
            let after = &p[verdict_end + 1..];
            let second = &after[..find_near(after, b' ').unwrap_or(after.len())];
            match (verdict, second) {
                ("PASS", "NEW") => "PASS NEW",
                ("PASS", "OLD") => "PASS OLD",
                _ => verdict,
            }
        }
        v => v,
    };
    Some(Event::Postscreen { verdict, ip: c.ip })
}

/// `statistics: max connection rate 1/60s for (smtp:1.2.3.4) at …`.
pub fn anvil(p: &str) -> Option<Event<'_>> {
    let rest = p.strip_prefix("statistics: ")?;
    let Some(open) = super::fields::find_str(rest, " for (") else {
        return Some(Event::Noise);
    };
    let what = &rest[..open];
    let inner = &rest[open + 6..];
    let close = inner.find(')')?;
    let service_client = &inner[..close];
    let client = service_client.split_once(':').map_or(service_client, |(_, c)| c);
    Some(Event::Anvil { what, client })
}
