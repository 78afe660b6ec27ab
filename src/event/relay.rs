//! smtp(8)'s and lmtp(8)'s own words on a failed attempt, which the
//! delivery line then sums up in its `status=deferred (…)` text, or does
//! not at all when the next MX took the message: `connect to H[IP]:25:
//! Connection refused`, `QID: host H[IP] said: 450 …`, `QID: lost
//! connection with H[IP] while …`, `QID: conversation with H[IP] timed out
//! while …`, `QID: SASL authentication failed; server H[IP] said: …`,
//! `certificate verification failed for H[IP]:25: …`. Lines without a
//! queue ID belong to the process's next delivery (correlation's business).

use super::fields::{client, find_str};
use super::Event;

/// Reads a failure line of a delivery agent; `queue_id` is the line's, if
/// it has one.
pub fn failure<'a>(queue_id: Option<&'a str>, rest: &'a str) -> Option<Event<'a>> {
    let (what, relay, detail) = match queue_id {
        Some(_) => with_queue_id(rest)?,
        None => without_queue_id(rest)?,
    };
    // The relay must read as Postfix writes one; its address is checked
    // as strictly as a client's.
    let c = client(relay)?;
    Some(Event::RelayFailure { queue_id, what, relay, relay_ip: c.ip, detail })
}

fn with_queue_id(rest: &str) -> Option<(&'static str, &str, &str)> {
    if let Some(r) = rest.strip_prefix("host ") {
        for (sep, what) in [(" said: ", "said"), (" refused to talk to me: ", "refused to talk")] {
            if let Some(i) = find_str(r, sep) {
                return Some((what, &r[..i], &r[i + sep.len()..]));
            }
        }
        return None;
    }
    if let Some(r) = rest.strip_prefix("lost connection with ") {
        let i = find_str(r, " while ")?;
        return Some(("lost connection", &r[..i], &r[i + 1..]));
    }
    if let Some(r) = rest.strip_prefix("conversation with ") {
        let i = find_str(r, " timed out while ")?;
        return Some(("timed out", &r[..i], &r[i + " timed out ".len()..]));
    }
    if let Some(r) = rest.strip_prefix("SASL authentication failed; server ") {
        let i = find_str(r, " said: ")?;
        return Some(("sasl failed", &r[..i], &r[i + " said: ".len()..]));
    }
    None
}

fn without_queue_id(rest: &str) -> Option<(&'static str, &str, &str)> {
    let kinds = [
        ("connect to ", "connect"),
        ("server certificate verification failed for ", "certificate"),
        ("certificate verification failed for ", "certificate"),
        ("SSL_connect error to ", "tls"),
    ];
    let (r, what) = kinds.iter().find_map(|&(p, w)| rest.strip_prefix(p).map(|r| (r, w)))?;
    // `H[IP]:PORT: reason`: the reason starts after the port.
    let close = find_str(r, "]:")?;
    let port = r[close + 2..].bytes().take_while(u8::is_ascii_digit).count();
    let end = close + 2 + port;
    let detail = r[end..].strip_prefix(": ")?;
    (port > 0).then_some((what, &r[..end], detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(queue_id: Option<&str>, rest: &str) -> Option<(&'static str, String, String, String)> {
        match failure(queue_id, rest)? {
            Event::RelayFailure { what, relay, relay_ip, detail, .. } => {
                Some((what, relay.to_string(), relay_ip.to_string(), detail.to_string()))
            }
            _ => None,
        }
    }

    #[test]
    fn shapes() {
        let q = Some("1A2B3C4D5E");
        let t = |w: &'static str, r: &str, ip: &str, d: &str| Some((w, r.into(), ip.into(), d.into()));
        assert_eq!(
            f(None, "connect to mx.example.net[192.0.2.25]:25: Connection timed out"),
            t("connect", "mx.example.net[192.0.2.25]:25", "192.0.2.25", "Connection timed out")
        );
        assert_eq!(
            f(None, "connect to mx6.example.net[2001:db8::25]:25: Network is unreachable"),
            t("connect", "mx6.example.net[2001:db8::25]:25", "2001:db8::25", "Network is unreachable")
        );
        assert_eq!(
            f(q, "host mx.example.net[192.0.2.25] said: 450 4.7.1 <a@example.net>: Greylisted (in reply to RCPT TO command)"),
            t("said", "mx.example.net[192.0.2.25]", "192.0.2.25", "450 4.7.1 <a@example.net>: Greylisted (in reply to RCPT TO command)")
        );
        assert_eq!(
            f(q, "host mx.example.net[192.0.2.25] refused to talk to me: 554 go away"),
            t("refused to talk", "mx.example.net[192.0.2.25]", "192.0.2.25", "554 go away")
        );
        assert_eq!(
            f(q, "lost connection with mx.example.net[192.0.2.25] while sending RCPT TO"),
            t("lost connection", "mx.example.net[192.0.2.25]", "192.0.2.25", "while sending RCPT TO")
        );
        assert_eq!(
            f(q, "conversation with mx.example.net[192.0.2.25] timed out while receiving the initial server greeting"),
            t("timed out", "mx.example.net[192.0.2.25]", "192.0.2.25", "while receiving the initial server greeting")
        );
        assert_eq!(
            f(q, "SASL authentication failed; server relay.example.net[192.0.2.26] said: 535 5.7.8 Error: authentication failed"),
            t("sasl failed", "relay.example.net[192.0.2.26]", "192.0.2.26", "535 5.7.8 Error: authentication failed")
        );
        assert_eq!(
            f(None, "certificate verification failed for mx.example.net[192.0.2.25]:25: self-signed certificate"),
            t("certificate", "mx.example.net[192.0.2.25]:25", "192.0.2.25", "self-signed certificate")
        );
        assert_eq!(
            f(None, "SSL_connect error to mx.example.net[192.0.2.25]:25: lost connection"),
            t("tls", "mx.example.net[192.0.2.25]:25", "192.0.2.25", "lost connection")
        );
        // The remote server's text may hold anything; the relay is ours.
        assert_eq!(
            f(q, "host mx.example.net[192.0.2.25] said: 450 host evil[203.0.113.1] said: x"),
            t("said", "mx.example.net[192.0.2.25]", "192.0.2.25", "450 host evil[203.0.113.1] said: x")
        );
        assert_eq!(f(None, "connect to mx.example.net[192.0.2.25]: no port"), None);
        assert_eq!(f(q, "host junk said: 450"), None);
        assert_eq!(f(q, "enabling PIX workarounds: disable_esmtp for example.com[192.0.2.1]:25"), None);
    }
}
