//! The queue side of a message's life: pickup, cleanup, qmgr, the delivery
//! agents, bounce and postsuper. Each line starts with a queue ID.

use super::fields::{angle_addr, field, find_str, split_queue_id};
use super::{CleanupVerdict, Delivery, DeliveryStatus, Event, PostsuperAction};

/// `QID: uid=33 from=<www-data>`.
pub fn pickup(p: &str) -> Option<Event<'_>> {
    let (queue_id, rest) = split_queue_id(p)?;
    let rest = rest.strip_prefix("uid=")?;
    let sp = rest.find(' ')?;
    let uid = rest[..sp].parse().ok()?;
    let (sender, _) = angle_addr(rest[sp + 1..].strip_prefix("from=")?)?;
    Some(Event::Pickup { queue_id, uid, sender })
}

/// `QID: message-id=<…>`, and header/body/milter verdicts.
pub fn cleanup(p: &str) -> Option<Event<'_>> {
    let Some((queue_id, rest)) = split_queue_id(p) else {
        // `warning: QID: sender_canonical_maps map lookup problem for … --
        // message not accepted, try again later`: about that message.
        let lookup = p.strip_prefix("warning: ").and_then(split_queue_id);
        if let Some((queue_id, why)) = lookup.filter(|(_, why)| find_str(why, " map lookup problem").is_some()) {
            return Some(Event::MessageWarning { queue_id, detail: why });
        }
        return super::generic(p);
    };
    if let Some(v) = rest.strip_prefix("message-id=") {
        // Attacker-chosen; may lack the brackets or be empty.
        let id = v.strip_prefix('<').map_or(v, |s| s.strip_suffix('>').unwrap_or(s));
        return Some(Event::MessageId { queue_id, message_id: id });
    }
    // milter_header_checks write `milter-header-ACTION:`.
    let (milter, rest) = match rest.strip_prefix("milter-") {
        Some(r) => (true, r.strip_prefix("header-").unwrap_or(r)),
        None => (false, rest),
    };
    let verdicts =
        [("reject", CleanupVerdict::Reject), ("discard", CleanupVerdict::Discard), ("hold", CleanupVerdict::Hold)];
    for (word, action) in verdicts {
        if let Some(detail) = rest.strip_prefix(word).and_then(|r| r.strip_prefix(": ")) {
            return Some(Event::CleanupAction { queue_id, action, word, milter, detail });
        }
    }
    // The actions that let the message go on: a record of what matched,
    // only when the detail reads as a check's (`header …`, `body …`).
    const NOTED: [&str; 8] = ["warning", "info", "prepend", "replace", "redirect", "filter", "bcc", "strip"];
    for word in NOTED {
        let detail = rest.strip_prefix(word).and_then(|r| r.strip_prefix(": "));
        if let Some(detail) = detail.filter(|d| d.starts_with("header ") || d.starts_with("body ")) {
            return Some(Event::CleanupAction { queue_id, action: CleanupVerdict::Noted, word, milter, detail });
        }
    }
    Some(Event::Noise)
}

/// `QID: from=<a>, size=1145, nrcpt=1 (queue active)`, `QID: removed`,
/// `QID: from=<a>, status=expired, returned to sender`, and the deliveries
/// qmgr itself writes (`relay=none … status=deferred`).
pub fn qmgr(p: &str) -> Option<Event<'_>> {
    let Some((queue_id, rest)) = split_queue_id(p) else {
        return qmgr_other(p);
    };
    if rest == "removed" {
        return Some(Event::Removed { queue_id });
    }
    if let Some(v) = rest.strip_prefix("from=") {
        let (sender, tail) = angle_addr(v)?;
        if tail.starts_with(", status=expired") {
            return Some(Event::Expired { queue_id, sender });
        }
        let size = super::fields::value_of(tail, "size=", ",")?.parse().ok()?;
        let nrcpt = super::fields::value_of(tail, "nrcpt=", " ")?.parse().ok()?;
        return Some(Event::QueueActive { queue_id, sender, size, nrcpt });
    }
    if rest.starts_with("to=") {
        return delivery(queue_id, rest);
    }
    Some(Event::Noise)
}

/// qmgr's `QID: skipped, still being delivered` (a message a delivery agent
/// still holds when qmgr restarts), whatever the ID looks like: nothing
/// happened to the message.
pub fn qmgr_other(p: &str) -> Option<Event<'_>> {
    p.ends_with(": skipped, still being delivered").then_some(Event::Noise).or_else(|| super::generic(p))
}

/// smtp, lmtp, local, virtual, pipe, error, retry, discard.
pub fn delivery_agent(p: &str) -> Option<Event<'_>> {
    let Some((queue_id, rest)) = split_queue_id(p) else {
        return super::relay::failure(None, p).or_else(|| super::generic(p)).or(Some(Event::Noise));
    };
    if rest.starts_with("to=") {
        return delivery(queue_id, rest);
    }
    // "enabling PIX workarounds", "sender non-delivery notification"
    // (local): known, nothing to record.
    super::relay::failure(Some(queue_id), rest).or(Some(Event::Noise))
}

/// `to=<x>, orig_to=<y>, relay=h[ip]:25, [conn_use=2, ]delay=1.2,
/// delays=a/b/c/d, dsn=4.7.28, status=deferred (response (with parens))`.
fn delivery<'a>(queue_id: &'a str, rest: &'a str) -> Option<Event<'a>> {
    let (to, mut s) = address(rest.strip_prefix("to=")?)?;
    let mut d = Delivery { queue_id, to, ..Delivery::default() };
    if let Some(v) = s.strip_prefix(", orig_to=") {
        let (orig, tail) = address(v)?;
        d.orig_to = Some(orig);
        s = tail;
    }
    // The fixed keys come in order before `status=`; what follows the status
    // word is the remote server's text and may contain anything.
    let status_at = find_str(s, ", status=")?;
    let head = &s[..status_at];
    // Postfix writes the relay first; a line that does not is searched.
    let (relay, fields) = match head.strip_prefix(", relay=") {
        Some(r) => find_str(r, ", ").map_or((r, ""), |i| (&r[..i], &r[i + 2..])),
        None => (field(head.trim_start_matches(", "), "relay"), head),
    };
    d.relay = relay;
    d.fields = fields.trim_start_matches(", ");
    let tail = &s[status_at + 9..];
    let (status, response) = tail.split_once(' ').unwrap_or((tail, ""));
    d.status = status;
    d.outcome = DeliveryStatus::parse(status);
    d.response = response.strip_prefix('(').and_then(|r| r.strip_suffix(')')).unwrap_or(response);
    if status == "sent" {
        d.forwarded_as = forwarded_as(d.response);
        d.queued_as = if d.forwarded_as.is_none() { queued_as(d.response) } else { None };
    }
    Some(Event::Delivery(d))
}

/// A delivery's `<address>`, or local(8)'s bare `user@host` (older
/// releases, and `local` for mailbox and command deliveries), which ends
/// at the next `, `.
fn address(s: &str) -> Option<(&str, &str)> {
    if s.starts_with('<') {
        return angle_addr(s);
    }
    let end = find_str(s, ", ")?;
    let addr = &s[..end];
    (!addr.is_empty() && !addr.contains(' ')).then(|| (addr, &s[end..]))
}

/// The queue ID in `250 2.0.0 Ok: queued as 4jXt634mSNz6fK9` (also inside
/// amavis's `from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as …`).
pub(super) fn queued_as(response: &str) -> Option<&str> {
    let i = super::fields::rfind_str(response, "queued as ")?;
    let id = response[i + 10..].split(|c: char| !c.is_ascii_alphanumeric()).next()?;
    super::fields::is_queue_id(id).then_some(id)
}

/// local(8)'s `forwarded as 9C4A2D1E3F` (a .forward file or an alias to a
/// remote address).
fn forwarded_as(response: &str) -> Option<&str> {
    let id = response.strip_prefix("forwarded as ")?;
    super::fields::is_queue_id(id).then_some(id)
}

/// `QID: sender non-delivery notification: NEWQID`.
pub fn bounce(p: &str) -> Option<Event<'_>> {
    let Some((queue_id, rest)) = split_queue_id(p) else {
        return super::generic(p);
    };
    let Some(i) = find_str(rest, " notification: ") else {
        return Some(Event::Noise);
    };
    let new_queue_id = &rest[i + 15..];
    if !super::fields::is_queue_id(new_queue_id) {
        return Some(Event::Noise);
    }
    Some(Event::Notification { queue_id, kind: &rest[..i], new_queue_id })
}

/// `QID: removed`, `placed on hold`, `released from hold`, `requeued`;
/// the `Deleted: N messages` summary is noise (each ID was logged).
pub fn postsuper(p: &str) -> Option<Event<'_>> {
    let Some((queue_id, rest)) = split_queue_id(p) else {
        let known = ["Deleted:", "Placed on hold:", "Released from hold:", "Requeued:"];
        return if known.iter().any(|k| p.starts_with(k)) { Some(Event::Noise) } else { super::generic(p) };
    };
    let action = match rest {
        "removed" => PostsuperAction::Removed,
        "placed on hold" => PostsuperAction::Hold,
        "released from hold" => PostsuperAction::Released,
        "requeued" => PostsuperAction::Requeued,
        _ => return None,
    };
    Some(Event::Postsuper { queue_id, action })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_bracketed_addresses() {
        assert_eq!(address("<a@b>, relay=x"), Some(("a@b", ", relay=x")));
        assert_eq!(address("a@b, relay=x"), Some(("a@b", ", relay=x")));
        assert_eq!(address("a b@c, relay=x"), None);
        assert_eq!(address(", relay=x"), None);
        assert_eq!(address("a@b"), None);
    }

    #[test]
    fn finds_reinjected_id() {
        assert_eq!(queued_as("250 2.0.0 Ok: queued as 4jXt634mSNz6fK9"), Some("4jXt634mSNz6fK9"));
        assert_eq!(
            queued_as("250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 9A2B3C4D5E"),
            Some("9A2B3C4D5E")
        );
        assert_eq!(queued_as("250 2.0.0 Ok"), None);
        assert_eq!(forwarded_as("forwarded as 9C4A2D1E3F"), Some("9C4A2D1E3F"));
        assert_eq!(forwarded_as("250 2.0.0 forwarded as 9C4A2D1E3F"), None);
    }
}
