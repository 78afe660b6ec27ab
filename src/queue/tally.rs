//! What the queue holds, counted: rankings by who queued it (account, uid,
//! client, country, sender domain), to whom (recipient domain), what
//! (subject), and qshape's picture: messages by age bucket per domain.

use super::select::{client, domain};
use super::spool::Queued;
use crate::enrich::Geo;
use crate::time::{Micros, MICROS_PER_SEC};
use clap::ValueEnum;
use std::collections::HashMap;

/// What a ranking or the age buckets are by.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// The pending recipients' domains (qshape's default).
    RecipientDomain,
    /// The envelope sender's domain (qshape -s).
    SenderDomain,
    /// The SASL account (sasl_username).
    Account,
    /// The local submitter's uid (pickup).
    Uid,
    /// The client IP (the XFORWARD original for re-injected mail).
    Ip,
    /// The client IP's country.
    Country,
    Sender,
    Subject,
    Queue,
}

impl Key {
    pub fn name(self) -> &'static str {
        match self {
            Key::RecipientDomain => "recipient_domain",
            Key::SenderDomain => "sender_domain",
            Key::Account => "account",
            Key::Uid => "uid",
            Key::Ip => "ip",
            Key::Country => "country",
            Key::Sender => "sender",
            Key::Subject => "subject",
            Key::Queue => "queue",
        }
    }
}

/// The values of `key` for one message (several for recipient domains;
/// none when the message has no such value, e.g. no account).
pub fn keys(q: &Queued, key: Key, geo: &Geo) -> Vec<String> {
    let f = &q.file;
    let one = |v: Option<String>| v.into_iter().collect();
    match key {
        Key::RecipientDomain => {
            let mut d: Vec<String> = f.pending().filter_map(|r| domain(&r.address)).collect();
            d.sort_unstable();
            d.dedup();
            d
        }
        Key::SenderDomain => one(f.sender.as_deref().map(|s| domain(s).unwrap_or_else(|| "<>".into()))),
        Key::Account => one(f.attribute("sasl_username").filter(|u| !u.is_empty()).map(str::to_string)),
        Key::Uid => one(q.uid().map(|u| u.to_string())),
        Key::Ip => one(client(q).map(|ip| ip.to_string())),
        Key::Country => {
            one(client(q).and_then(|ip| geo.lookup_country_only(ip).country).map(|c| c.as_str().to_string()))
        }
        Key::Sender => one(f.sender.clone().map(|s| if s.is_empty() { "<>".into() } else { s })),
        Key::Subject => one(f.subject.clone()),
        Key::Queue => vec![q.queue.to_string()],
    }
}

/// One row of a ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rank {
    pub key: String,
    pub messages: u64,
    /// Pending recipients (for a recipient domain: those in it).
    pub recipients: u64,
    pub bytes: u64,
    pub oldest: Option<Micros>,
}

/// The `limit` largest values of `key`, by messages, then recipients,
/// then name.
pub fn rank(messages: &[Queued], key: Key, geo: &Geo, limit: usize) -> Vec<Rank> {
    let mut by: HashMap<String, Rank> = HashMap::new();
    for q in messages {
        for k in keys(q, key, geo) {
            let recipients = match key {
                Key::RecipientDomain => {
                    q.file.pending().filter(|r| domain(&r.address).as_deref() == Some(k.as_str())).count() as u64
                }
                _ => q.file.pending().count() as u64,
            };
            let r = by.entry(k.clone()).or_insert_with(|| Rank {
                key: k,
                messages: 0,
                recipients: 0,
                bytes: 0,
                oldest: None,
            });
            r.messages += 1;
            r.recipients += recipients;
            r.bytes += q.size;
            r.oldest = match (r.oldest, q.arrival()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    let mut rows: Vec<Rank> = by.into_values().collect();
    rows.sort_by(|a, b| b.messages.cmp(&a.messages).then(b.recipients.cmp(&a.recipients)).then(a.key.cmp(&b.key)));
    rows.truncate(limit);
    rows
}

/// qshape's buckets: upper bounds in minutes, each twice the one before;
/// the last column holds the older ones.
pub const BUCKETS: [i64; 9] = [5, 10, 20, 40, 80, 160, 320, 640, 1280];

/// One row of the age picture: the total, then a count per bucket (the
/// last for older than 1280 minutes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub key: String,
    pub total: u64,
    pub buckets: [u64; BUCKETS.len() + 1],
}

fn bucket(age: Micros) -> usize {
    let minutes = age.max(0) / (60 * MICROS_PER_SEC);
    BUCKETS.iter().position(|&b| minutes < b).unwrap_or(BUCKETS.len())
}

/// The age picture at `now`, a `TOTAL` row first, then the `limit` largest
/// rows. By recipient domain it counts pending recipients, as qshape does;
/// by anything else, messages.
pub fn shape(messages: &[Queued], key: Key, geo: &Geo, now: Micros, limit: usize) -> Vec<Shape> {
    let empty = |key: String| Shape { key, total: 0, buckets: [0; BUCKETS.len() + 1] };
    let mut total = empty("TOTAL".into());
    let mut by: HashMap<String, Shape> = HashMap::new();
    for q in messages {
        let b = bucket(now - q.arrival().unwrap_or(now));
        for k in keys(q, key, geo) {
            let n = match key {
                Key::RecipientDomain => {
                    q.file.pending().filter(|r| domain(&r.address).as_deref() == Some(k.as_str())).count() as u64
                }
                _ => 1,
            };
            let row = by.entry(k.clone()).or_insert_with(|| empty(k));
            row.total += n;
            row.buckets[b] += n;
            total.total += n;
            total.buckets[b] += n;
        }
    }
    let mut rows: Vec<Shape> = by.into_values().collect();
    rows.sort_by(|a, b| b.total.cmp(&a.total).then(a.key.cmp(&b.key)));
    rows.truncate(limit);
    rows.insert(0, total);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_double() {
        let m = 60 * MICROS_PER_SEC;
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(5 * m - 1), 0);
        assert_eq!(bucket(5 * m), 1);
        assert_eq!(bucket(1279 * m), 8);
        assert_eq!(bucket(1280 * m), 9);
        assert_eq!(bucket(-m), 0, "a clock behind the queue is no error");
    }
}
