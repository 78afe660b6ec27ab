//! Deliveries, and the links between messages they reveal: a content filter
//! answering `queued as NEWID` (on loopback, or confirmed by the copy's
//! `orig_queue_id=`), local(8)'s `forwarded as NEWID`, and bounce
//! notifications.

use super::{Correlator, Delivery, DeliveryDetail, DeliveryStatus, LineCtx, Link, MsgKey, QueueId, Sym};
use crate::event;

impl<S: super::Sink> Correlator<S> {
    pub(super) fn delivery(&mut self, cx: &LineCtx, d: &event::Delivery) {
        if self.relay.waiting() {
            self.explain_delivery(cx, d.queue_id, d.to);
        }
        let status = d.outcome;
        let Some(msg) = self.with_message(cx, d.queue_id, true, |m, _| {
            match status {
                DeliveryStatus::Sent => m.sent += 1,
                DeliveryStatus::Deferred => m.deferred += 1,
                DeliveryStatus::Bounced => m.bounced += 1,
                DeliveryStatus::Expired => m.expired = true,
                DeliveryStatus::Other => {}
            }
            m.id
        }) else {
            return;
        };
        let s = &mut self.strings;
        let row = Delivery {
            message: msg,
            time: cx.time,
            to: s.intern(d.to),
            status: s.intern(d.status),
            outcome: status,
            filter_hop: false,
            line: cx.line,
        };
        self.deliveries.push(row);
        if self.keep_details {
            let detail = DeliveryDetail {
                daemon: self.cur.daemon,
                orig_to: s.opt(d.orig_to),
                relay: s.intern(d.relay),
                delay: d.field("delay").parse().unwrap_or(0.0),
                delays: crate::correlate::parse_delays(d.field("delays")),
                dsn: s.intern(d.field("dsn")),
                response: d.response.into(),
            };
            self.delivery_details.push(detail);
        } else if self.keep_delays {
            let detail = DeliveryDetail {
                daemon: Sym::NONE,
                orig_to: Sym::NONE,
                relay: Sym::NONE,
                delay: d.field("delay").parse().unwrap_or(0.0),
                delays: crate::correlate::parse_delays(d.field("delays")),
                dsn: Sym::NONE,
                response: Box::default(),
            };
            self.delivery_details.push(detail);
        }
        if status != DeliveryStatus::Sent {
            return;
        }
        let row = self.deliveries.len() - 1;
        if let Some(new_id) = d.forwarded_as {
            // local(8) resubmitted it for a .forward or alias: a new queue
            // file, the same message.
            self.deliveries[row].filter_hop = true;
            self.link_forward(msg, new_id, Link::Reinjected);
            return;
        }
        let Some(new_id) = d.queued_as else { return };
        if let Some(q) = QueueId::new(new_id) {
            self.recent_handoffs.push((msg, q), row);
        }
        if is_loopback_relay(d.relay) {
            self.deliveries[row].filter_hop = true;
            self.link_forward(msg, new_id, Link::Reinjected);
        } else if self.continues(new_id, msg) {
            // A filter on another host, linked by `orig_queue_id=` already.
            self.deliveries[row].filter_hop = true;
        }
    }

    /// Whether the message `queue_id` (in flight, or finished since `parent`
    /// began) is `parent` re-injected.
    fn continues(&mut self, queue_id: &str, parent: u32) -> bool {
        let Some(key) = self.key(queue_id) else { return false };
        self.find_since(key, parent)
            .is_some_and(|id| self.messages[id as usize].parent == Some((parent, Link::Reinjected)))
    }

    /// The message `key` in flight, or else the latest finished one that
    /// began after message `after` (a continuation begins after what it
    /// continues; an older message that used the same short ID does not).
    fn find_since(&mut self, key: MsgKey, after: u32) -> Option<u32> {
        if let Some(&id) = self.active.get(&key) {
            return (id > after).then_some(id);
        }
        self.finished.latest(&key).copied().filter(|&id| id > after)
    }

    /// `parent` was handed to a content filter that answered `queued as
    /// QUEUE_ID` and `QUEUE_ID` turned out to continue it (XFORWARD's
    /// `orig_queue_id=`): those deliveries were hops, not final.
    pub(super) fn mark_filter_hops(&mut self, parent: u32, queue_id: &str) {
        let Some(q) = QueueId::new(queue_id) else { return };
        let rows: Vec<usize> = self.recent_handoffs.all(&(parent, q)).into_iter().copied().collect();
        for row in rows {
            if let Some(d) = self.deliveries.get_mut(row) {
                d.filter_hop = true;
            }
        }
    }

    pub(super) fn notification(&mut self, cx: &LineCtx, queue_id: &str, new_queue_id: &str) {
        let Some(parent) = self.with_message(cx, queue_id, true, |m, _| m.id) else { return };
        self.link_forward(parent, new_queue_id, Link::NotificationOf);
    }

    /// Ties the message `new_id` (in flight now, or to come) to `parent`.
    /// The child may also be finished already: syslog does not keep the
    /// order of lines from different processes, and a re-injected copy
    /// delivered over LMTP can be gone before the filter's `250` is logged.
    fn link_forward(&mut self, parent: u32, new_id: &str, link: Link) {
        let Some(key) = self.key(new_id) else { return };
        match self.find_since(key, parent) {
            Some(child) => self.set_parent(child, (parent, link)),
            None if self.active.contains_key(&key) => {}
            None => {
                self.pending_links.insert(key, (parent, link));
            }
        }
    }

    pub(super) fn set_parent(&mut self, child: u32, (parent, link): (u32, Link)) {
        let m = &mut self.messages[child as usize];
        if m.parent.is_some() {
            return;
        }
        m.parent = Some((parent, link));
        if link == Link::NotificationOf && m.origin == super::Origin::Unknown {
            m.origin = super::Origin::Notification;
        }
    }
}

/// `127.0.0.1[127.0.0.1]:10025`, `localhost[::1]:10024`.
fn is_loopback_relay(relay: &str) -> bool {
    let Some(open) = relay.find('[') else { return false };
    let ip = relay[open + 1..].split(']').next().unwrap_or("");
    ip.starts_with("127.") || ip == "::1"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_relays() {
        assert!(is_loopback_relay("127.0.0.1[127.0.0.1]:10025"));
        assert!(is_loopback_relay("localhost[::1]:10024"));
        assert!(!is_loopback_relay("mx.example[192.0.2.1]:25"));
    }
}
