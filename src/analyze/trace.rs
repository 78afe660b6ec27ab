//! `trace`'s question: which messages match a queue ID, a Message-ID or an
//! address, grouped into flows (a root message and every message linked to
//! it: content-filter re-injections, notifications), with the log lines of
//! each flow and what became of each message's recipients.

use crate::correlate::{LineRef, Message, Records, Sym};
use std::collections::{BTreeMap, BTreeSet};

/// What became of a message's recipients: each recipient of a final
/// delivery (hand-overs to a content filter left out) by its last attempt.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Recipients {
    pub total: u32,
    pub sent: u32,
    pub deferred: u32,
    pub bounced: u32,
}

pub fn recipients(r: &Records, m: &Message) -> Recipients {
    use crate::correlate::DeliveryStatus as S;
    let mut last: BTreeMap<Sym, S> = BTreeMap::new();
    for (d, _) in r.deliveries_of(m.id).filter(|(d, _)| !d.filter_hop) {
        last.insert(d.to, d.outcome);
    }
    let mut n = Recipients { total: last.len() as u32, ..Default::default() };
    for s in last.values() {
        match s {
            S::Sent => n.sent += 1,
            S::Deferred => n.deferred += 1,
            S::Bounced => n.bounced += 1,
            _ => {}
        }
    }
    n
}

/// Matching messages grouped into flows: each flow is a root message and
/// everything linked to it, in id (= log) order.
pub fn flows(r: &Records, query: &str) -> Vec<Vec<u32>> {
    let hits = matches(r, query);
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for m in &r.messages {
        if let Some((p, _)) = m.parent {
            children.entry(p).or_default().push(m.id);
        }
    }
    let mut roots: BTreeSet<u32> = BTreeSet::new();
    for id in hits {
        roots.insert(top_of(r, id));
    }
    roots.into_iter().map(|root| descendants(root, &children)).collect()
}

/// Follows every parent link (re-injection and notification) to the top.
fn top_of(r: &Records, mut id: u32) -> u32 {
    for _ in 0..64 {
        match r.messages[id as usize].parent {
            Some((p, _)) => id = p,
            None => break,
        }
    }
    id
}

fn descendants(root: u32, children: &BTreeMap<u32, Vec<u32>>) -> Vec<u32> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() && out.len() < 10_000 {
        if let Some(c) = children.get(&out[i]) {
            out.extend(c.iter().filter(|x| !out.contains(x)).copied().collect::<Vec<_>>());
        }
        i += 1;
    }
    out.sort_unstable();
    out
}

/// Messages whose queue ID, Message-ID, sender, recipient or SASL username
/// is `query` (addresses compare case-insensitively).
fn matches(r: &Records, query: &str) -> BTreeSet<u32> {
    let q = query.trim();
    let bare = q.strip_prefix('<').and_then(|s| s.strip_suffix('>')).unwrap_or(q);
    let same = |s: &str| s.eq_ignore_ascii_case(bare);
    let mut hits: BTreeSet<u32> = r
        .messages
        .iter()
        .filter(|m| {
            m.queue_id.as_str() == q
                || r.message_id(m.id) == Some(bare)
                || m.sender.is_some_and(|s| !s.is_none() && same(r.str(s)))
                || (!m.sasl_username.is_none() && same(r.str(m.sasl_username)))
        })
        .map(|m| m.id)
        .collect();
    for (i, d) in r.deliveries.iter().enumerate() {
        let orig_to = r.delivery_detail(i).map_or(Sym::NONE, |x| x.orig_to);
        if same(r.str(d.to)) || (!orig_to.is_none() && same(r.str(orig_to))) {
            hits.insert(d.message);
        }
    }
    hits
}

/// A flow's lines: its messages' own lines plus their sessions' connect and
/// disconnect lines.
pub fn flow_lines(r: &Records, flow: &[u32]) -> BTreeSet<LineRef> {
    let mut lines = BTreeSet::new();
    for &id in flow {
        let m = &r.messages[id as usize];
        lines.extend(r.message_detail(id).iter().flat_map(|d| d.lines.iter().copied()));
        if let Some(s) = m.session.and_then(|s| r.sessions.get(s as usize)) {
            lines.extend(s.connect_line);
            lines.extend(s.end_line);
        }
    }
    lines
}
