//! Deliveries, and the links between messages they reveal: a content filter
//! answering `queued as NEWID` on loopback, and bounce notifications.

use super::{Correlator, Delivery, DeliveryStatus, LineCtx, Link};
use crate::event;

impl Correlator {
    pub(super) fn delivery(&mut self, cx: &LineCtx, d: event::Delivery) {
        let status = DeliveryStatus::parse(d.status);
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
        let s = &mut self.records.strings;
        let row = Delivery {
            message: msg,
            time: cx.time,
            daemon: s.intern(cx.daemon),
            to: s.intern(d.to),
            orig_to: s.opt(d.orig_to),
            relay: s.intern(d.relay),
            delay: d.delay,
            delays: s.intern(d.delays),
            dsn: s.intern(d.dsn),
            status: s.intern(d.status),
            response: d.response.into(),
            filter_hop: false,
            line: cx.line,
        };
        self.records.deliveries.push(row);
        if status == DeliveryStatus::Sent && is_loopback_relay(d.relay) {
            if let Some(new_id) = queued_as(d.response) {
                let row = self.records.deliveries.len() - 1;
                self.records.deliveries[row].filter_hop = true;
                self.link_forward(cx, msg, new_id, Link::Reinjected);
            }
        }
    }

    pub(super) fn notification(&mut self, cx: &LineCtx, queue_id: &str, new_queue_id: &str) {
        let Some(parent) = self.with_message(cx, queue_id, true, |m, _| m.id) else { return };
        self.link_forward(cx, parent, new_queue_id, Link::NotificationOf);
    }

    /// Ties the message `new_id` (in flight now, or to come) to `parent`.
    fn link_forward(&mut self, cx: &LineCtx, parent: u32, new_id: &str, link: Link) {
        let Some(key) = self.key(cx.host, new_id) else { return };
        match self.active.get(&key) {
            Some(&child) if child != parent => self.set_parent(child, (parent, link)),
            Some(_) => {}
            None => {
                self.pending_links.insert(key, (parent, link));
            }
        }
    }

    pub(super) fn set_parent(&mut self, child: u32, (parent, link): (u32, Link)) {
        let m = &mut self.records.messages[child as usize];
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

/// The queue ID in `250 2.0.0 Ok: queued as 4jXt634mSNz6fK9` (also inside
/// amavis's `from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as …`).
fn queued_as(response: &str) -> Option<&str> {
    let i = response.rfind("queued as ")?;
    let id = response[i + 10..].split(|c: char| !c.is_ascii_alphanumeric()).next()?;
    event::fields::is_queue_id(id).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_reinjected_id() {
        assert_eq!(queued_as("250 2.0.0 Ok: queued as 4jXt634mSNz6fK9"), Some("4jXt634mSNz6fK9"));
        assert_eq!(
            queued_as("250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 9A2B3C4D5E"),
            Some("9A2B3C4D5E")
        );
        assert_eq!(queued_as("250 2.0.0 Ok"), None);
        assert!(is_loopback_relay("127.0.0.1[127.0.0.1]:10025"));
        assert!(is_loopback_relay("localhost[::1]:10024"));
        assert!(!is_loopback_relay("mx.example[192.0.2.1]:25"));
    }
}
