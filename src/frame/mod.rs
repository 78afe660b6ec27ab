//! Records → polars DataFrames: the one place that knows the schema.
//!
//! Timestamps are `Datetime(us, UTC)`. Column names are Postfix's words.
//! Messages and deliveries also carry `root_*` columns: the SASL account,
//! client IP and uid of the original submission, so that a content filter's
//! re-injected copy (client `127.0.0.1`) counts for whoever really sent it.

mod build;
pub mod net;

use crate::correlate::{DeliveryDetail, Link, Message, Records, Sym};
use crate::ingest::Dataset;
use build::{dt, opt_str, opt_u32, str_col, u32_col, u64_col, Cols};
use polars::prelude::*;
use std::collections::HashMap;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Attribution of a message: its root's identity.
struct Root<'a> {
    sasl_username: Option<&'a str>,
    client_ip: Option<&'a str>,
    uid: Option<u32>,
}

/// Every message's root and the root's identity, taken from the messages
/// once: walking the links for every row of every column was 7 % of
/// `summary`, and with these the deliveries frame can be built after the
/// message records are gone (on a big log, the peak of the analyses).
pub struct Roots {
    ids: Vec<u32>,
    who: Vec<(Sym, Sym, Option<u32>)>,
    /// Each message's own size: its deliveries' bytes.
    sizes: Vec<Option<u64>>,
}

impl Roots {
    pub fn of(r: &Records) -> Roots {
        let ids = r.root_ids();
        let who = ids
            .iter()
            .map(|&i| {
                r.messages
                    .get(i as usize)
                    .map_or((Sym::NONE, Sym::NONE, None), |m| (m.sasl_username, m.client_ip, m.uid))
            })
            .collect();
        let sizes = r.messages.iter().map(|m| m.size).collect();
        Roots { ids, who, sizes }
    }

    /// The size of message `id` itself (not its root's).
    fn size(&self, id: u32) -> Option<u64> {
        self.sizes.get(id as usize).copied().flatten()
    }

    /// The root of message `id`.
    fn id(&self, id: u32) -> u32 {
        self.ids.get(id as usize).copied().unwrap_or(id)
    }

    /// The identity of message `id`'s root.
    fn of_message<'a>(&self, r: &'a Records, id: u32) -> Root<'a> {
        match self.who.get(id as usize) {
            Some(&(user, ip, uid)) => Root { sasl_username: some(r, user), client_ip: some(r, ip), uid },
            None => Root { sasl_username: None, client_ip: None, uid: None },
        }
    }
}

fn some(r: &Records, s: Sym) -> Option<&str> {
    (!s.is_none()).then(|| r.str(s))
}

/// What happened to a whole chain (original + continuations), filter
/// hand-overs excluded; kept on the root's row.
#[derive(Clone, Copy, Default)]
pub struct ChainCounts {
    recipients: u32,
    sent: u32,
    deferred: u32,
    bounced: u32,
}

pub fn chain_counts(r: &Records, roots: &Roots) -> Vec<ChainCounts> {
    use crate::correlate::DeliveryStatus as S;
    let mut counts = vec![ChainCounts::default(); r.messages.len()];
    // Distinct recipients of each chain: (root, recipient) pairs sorted and
    // counted once each. A hash set of the pairs, one random probe per
    // delivery into a table of millions, took three times as long.
    let mut pairs: Vec<u64> = Vec::with_capacity(r.deliveries.len());
    for d in r.deliveries.iter().filter(|d| !d.filter_hop) {
        let root = roots.id(d.message);
        pairs.push((root as u64) << 32 | d.to.0 as u64);
        let Some(c) = counts.get_mut(root as usize) else { continue };
        match d.outcome {
            S::Sent => c.sent += 1,
            S::Deferred => c.deferred += 1,
            S::Bounced => c.bounced += 1,
            _ => {}
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    for pair in pairs {
        if let Some(c) = counts.get_mut((pair >> 32) as usize) {
            c.recipients += 1;
        }
    }
    counts
}

/// Which columns to build. The analyses never read the texts only `export`
/// shows (message-ids, remote servers' responses, delays, relays…), and on
/// a big log those are most of the memory the frames take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Every column: `export`.
    All,
    /// What top, suspects, timeline and report read.
    Analysis,
    /// What summary reads: its totals and volume rankings. On a big log the
    /// columns it leaves out were a third of its peak memory.
    Summary,
}

impl Detail {
    /// Columns beyond what summary reads.
    fn wide(self) -> bool {
        self != Detail::Summary
    }
}

pub fn messages(ds: &Dataset, detail: Detail) -> PolarsResult<DataFrame> {
    let roots = Roots::of(&ds.records);
    messages_with_chain(ds, detail, &chain_counts(&ds.records, &roots), &roots)
}

/// [`messages`] with the chains' counts already taken from the deliveries
/// (which may be gone by now).
pub fn messages_with_chain(
    ds: &Dataset,
    detail: Detail,
    chain: &[ChainCounts],
    root_of: &Roots,
) -> PolarsResult<DataFrame> {
    let (all, wide) = (detail == Detail::All, detail.wide());
    let r = &ds.records;
    let ms = &r.messages;
    let roots = || ms.iter().map(|m| root_of.of_message(r, m.id));
    let counts = |m: &Message| chain.get(m.id as usize).copied().unwrap_or_default();
    let mut c = Cols::default();
    c.col(|| u32_col("message", ms.iter().map(|m| m.id)));
    if wide {
        c.col(|| str_col("host", ms.iter().map(|m| r.str(m.host))));
        c.col(|| str_col("queue_id", ms.iter().map(|m| m.queue_id.as_str())));
    }
    c.try_col(|| dt("first_seen", ms.iter().map(|m| Some(m.first_seen))));
    if wide {
        c.try_col(|| dt("last_seen", ms.iter().map(|m| Some(m.last_seen))));
    }
    c.col(|| str_col("origin", ms.iter().map(|m| m.origin.as_str())));
    if all {
        c.col(|| opt_str("instance", ms.iter().map(|m| some(r, m.instance))));
        c.col(|| opt_str("client_name", ms.iter().map(|m| some(r, m.client_name))));
    }
    if wide {
        c.col(|| opt_str("client_ip", ms.iter().map(|m| some(r, m.client_ip))));
    }
    if all {
        c.col(|| opt_str("sasl_method", ms.iter().map(|m| some(r, m.sasl_method))));
    }
    if wide {
        c.col(|| opt_str("sasl_username", ms.iter().map(|m| some(r, m.sasl_username))));
    }
    if all {
        c.col(|| opt_str("sasl_sender", ms.iter().map(|m| some(r, m.sasl_sender))));
    }
    if wide {
        c.col(|| opt_u32("uid", ms.iter().map(|m| m.uid)));
    }
    if all {
        c.col(|| opt_str("message_id", ms.iter().map(|m| r.message_id(m.id))));
    }
    c.col(|| opt_str("sender", ms.iter().map(|m| m.sender.map(|s| r.str(s)))));
    c.col(|| opt_str("sender_domain", ms.iter().map(|m| m.sender.map(|s| crate::event::fields::domain_of(r.str(s))))));
    c.col(|| Column::new("size".into(), ms.iter().map(|m| m.size).collect::<Vec<_>>()));
    if wide {
        c.col(|| opt_u32("nrcpt", ms.iter().map(|m| m.nrcpt)));
        c.col(|| opt_u32("parent", ms.iter().map(|m| m.parent.map(|p| p.0))));
        c.col(|| opt_str("link", ms.iter().map(|m| m.parent.map(|p| link_name(p.1)))));
        c.col(|| u32_col("root", ms.iter().map(|m| root_of.id(m.id))));
    }
    c.col(|| {
        Column::new(
            "is_continuation".into(),
            ms.iter().map(|m| matches!(m.parent, Some((_, Link::Reinjected)))).collect::<Vec<_>>(),
        )
    });
    c.col(|| opt_str("root_sasl_username", roots().map(|x| x.sasl_username)));
    c.col(|| opt_str("root_client_ip", roots().map(|x| x.client_ip)));
    if wide {
        c.col(|| net_col("root_client_net", || roots().map(|x| x.client_ip)));
    }
    c.col(|| opt_u32("root_uid", roots().map(|x| x.uid)));
    c.col(|| str_col("state", ms.iter().map(|m| m.state.as_str())));
    c.col(|| u32_col("recipients", ms.iter().map(|m| counts(m).recipients)));
    if wide {
        c.col(|| u32_col("final_sent", ms.iter().map(|m| counts(m).sent)));
    }
    c.col(|| u32_col("final_deferred", ms.iter().map(|m| counts(m).deferred)));
    c.col(|| u32_col("final_bounced", ms.iter().map(|m| counts(m).bounced)));
    if wide {
        c.col(|| u32_col("sent", ms.iter().map(|m| m.sent)));
        c.col(|| u32_col("deferred", ms.iter().map(|m| m.deferred)));
        c.col(|| u32_col("bounced", ms.iter().map(|m| m.bounced)));
        c.col(|| file_col(ds, ms.iter().map(|m| m.first_line)));
        c.col(|| u64_col("line", ms.iter().map(|m| m.first_line.line)));
        c.col(|| opt_u32("session", ms.iter().map(|m| m.session)));
    }
    c.finish()
}

/// The networks of many IPs as a column, each distinct IP's computed once.
/// `ips` is called twice: once to compute, once to build the column.
fn net_col<'a, I: Iterator<Item = Option<&'a str>>>(name: &str, ips: impl Fn() -> I) -> Column {
    let mut cache: FastMap<&str, Option<String>> = FastMap::default();
    for ip in ips().flatten() {
        cache.entry(ip).or_insert_with(|| net::network(ip));
    }
    opt_str(name, ips().map(|ip| ip.and_then(|ip| cache.get(ip).and_then(|n| n.as_deref()))))
}

/// The `file` column: each input's name computed once, not once per row.
fn file_col(ds: &Dataset, lines: impl Iterator<Item = crate::correlate::LineRef>) -> Column {
    let names: Vec<String> = ds.inputs.iter().map(|i| i.display()).collect();
    str_col("file", lines.map(|l| names.get(l.file as usize).map_or("?", |s| s.as_str())))
}

fn link_name(l: Link) -> &'static str {
    match l {
        Link::Reinjected => "reinjected",
        Link::NotificationOf => "notification",
    }
}

pub fn deliveries(ds: &Dataset, detail: Detail) -> PolarsResult<DataFrame> {
    deliveries_with_roots(ds, detail, &Roots::of(&ds.records))
}

/// [`deliveries`] with the roots taken already: but for [`Detail::All`]
/// (host and queue ID of each row's message), the message records may be
/// gone by now.
pub fn deliveries_with_roots(ds: &Dataset, detail: Detail, root_of: &Roots) -> PolarsResult<DataFrame> {
    let (all, wide) = (detail == Detail::All, detail.wide());
    let r = &ds.records;
    let d = &r.deliveries;
    let msg = |i: u32| r.messages.get(i as usize);
    let roots = || d.iter().map(|x| root_of.of_message(r, x.message));
    let mut c = Cols::default();
    c.col(|| u32_col("message", d.iter().map(|x| x.message)));
    if wide {
        c.col(|| u32_col("root", d.iter().map(|x| root_of.id(x.message))));
    }
    if all {
        c.col(|| str_col("host", d.iter().map(|x| msg(x.message).map_or("", |m| r.str(m.host)))));
        c.col(|| str_col("queue_id", d.iter().map(|x| msg(x.message).map_or("", |m| m.queue_id.as_str()))));
    }
    c.try_col(|| dt("time", d.iter().map(|x| Some(x.time))));
    // The detail of each row (all `None` unless details were kept).
    let detail = || (0..d.len()).map(|i| r.delivery_detail(i));
    let detail_sym = |f: fn(&DeliveryDetail) -> Sym| detail().map(move |x| x.map_or(Sym::NONE, f));
    if all {
        c.col(|| str_col("daemon", detail_sym(|x| x.daemon).map(|s| r.str(s))));
    }
    if wide {
        c.col(|| str_col("to", d.iter().map(|x| r.str(x.to))));
    }
    if !all {
        // Counting distinct recipients needs only which rows name the same
        // address: interned symbols say it, without building and hashing
        // millions of strings (on a big log, most of summary's totals).
        c.col(|| u32_col("to_id", d.iter().map(|x| x.to.0)));
    }
    if wide {
        c.col(|| str_col("recipient_domain", d.iter().map(|x| crate::event::fields::domain_of(r.str(x.to)))));
    }
    if all {
        c.col(|| opt_str("orig_to", detail_sym(|x| x.orig_to).map(|s| some(r, s))));
        c.col(|| str_col("relay", detail_sym(|x| x.relay).map(|s| r.str(s))));
        c.col(|| Column::new("delay".into(), detail().map(|x| x.map_or(0.0, |x| x.delay)).collect::<Vec<_>>()));
        c.col(|| {
            opt_str("delays", detail().map(|x| x.and_then(|x| x.delays.as_ref()).map(crate::correlate::format_delays)))
        });
        c.col(|| str_col("dsn", detail_sym(|x| x.dsn).map(|s| r.str(s))));
    }
    c.col(|| str_col("status", d.iter().map(|x| r.str(x.status))));
    if all {
        c.col(|| str_col("response", detail().map(|x| x.map_or("", |x| &*x.response))));
    }
    c.col(|| Column::new("filter_hop".into(), d.iter().map(|x| x.filter_hop).collect::<Vec<_>>()));
    // The delivery's message's size: bytes delivered are summed from here,
    // without joining millions of deliveries to their messages.
    c.col(|| Column::new("size".into(), d.iter().map(|x| root_of.size(x.message)).collect::<Vec<_>>()));
    if wide {
        c.col(|| opt_str("root_sasl_username", roots().map(|x| x.sasl_username)));
        c.col(|| opt_str("root_client_ip", roots().map(|x| x.client_ip)));
        c.col(|| opt_u32("root_uid", roots().map(|x| x.uid)));
    }
    if all {
        c.col(|| file_col(ds, d.iter().map(|x| x.line)));
        c.col(|| u64_col("line", d.iter().map(|x| x.line.line)));
    }
    c.finish()
}

pub fn auth(ds: &Dataset, detail: Detail) -> PolarsResult<DataFrame> {
    let wide = detail.wide();
    let r = &ds.records;
    let a = &r.auth;
    let mut c = Cols::default();
    c.try_col(|| dt("time", a.iter().map(|x| Some(x.time))));
    if wide {
        c.col(|| str_col("host", a.iter().map(|x| r.str(x.host))));
        c.col(|| str_col("instance", a.iter().map(|x| r.str(x.instance))));
        c.col(|| str_col("client_name", a.iter().map(|x| r.str(x.client_name))));
    }
    c.col(|| str_col("client_ip", a.iter().map(|x| r.str(x.client_ip))));
    if wide {
        c.col(|| net_col("client_net", || a.iter().map(|x| Some(r.str(x.client_ip)))));
        c.col(|| str_col("sasl_method", a.iter().map(|x| r.str(x.method))));
    }
    c.col(|| opt_str("sasl_username", a.iter().map(|x| some(r, x.username))));
    c.col(|| Column::new("success".into(), a.iter().map(|x| x.success).collect::<Vec<_>>()));
    if wide {
        c.col(|| file_col(ds, a.iter().map(|x| x.line)));
        c.col(|| u64_col("line", a.iter().map(|x| x.line.line)));
    }
    c.finish()
}

pub fn rejects(ds: &Dataset, detail: Detail) -> PolarsResult<DataFrame> {
    let r = &ds.records;
    let x = &r.rejects;
    let mut c = Cols::default();
    c.try_col(|| dt("time", x.iter().map(|x| Some(x.time))));
    if !detail.wide() {
        // Summary only counts rejects.
        c.col(|| str_col("action", x.iter().map(|x| r.str(x.action))));
        return c.finish();
    }
    c.col(|| str_col("host", x.iter().map(|x| r.str(x.host))));
    c.col(|| str_col("instance", x.iter().map(|x| r.str(x.instance))));
    c.col(|| str_col("daemon", x.iter().map(|x| r.str(x.daemon))));
    c.col(|| opt_str("queue_id", x.iter().map(|x| x.queue_id.map(|q| q.to_string()))));
    c.col(|| str_col("action", x.iter().map(|x| r.str(x.action))));
    c.col(|| str_col("stage", x.iter().map(|x| r.str(x.stage))));
    c.col(|| opt_str("client_name", x.iter().map(|x| some(r, x.client_name))));
    c.col(|| opt_str("client_ip", x.iter().map(|x| some(r, x.client_ip))));
    c.col(|| net_col("client_net", || x.iter().map(|x| some(r, x.client_ip))));
    c.col(|| opt_str("code", x.iter().map(|x| some(r, x.code))));
    c.col(|| opt_str("dsn", x.iter().map(|x| some(r, x.dsn))));
    c.col(|| str_col("reason", x.iter().map(|x| &*x.reason)));
    c.col(|| opt_str("sender", x.iter().map(|x| x.sender.map(|s| r.str(s)))));
    c.col(|| opt_str("recipient", x.iter().map(|x| x.recipient.map(|s| r.str(s)))));
    let domain = |a: Option<Sym>| a.map(|s| crate::event::fields::domain_of(r.str(s)));
    c.col(|| opt_str("sender_domain", x.iter().map(|x| domain(x.sender))));
    c.col(|| opt_str("recipient_domain", x.iter().map(|x| domain(x.recipient))));
    c.col(|| opt_str("proto", x.iter().map(|x| some(r, x.proto))));
    c.col(|| opt_str("helo", x.iter().map(|x| some(r, x.helo))));
    c.col(|| file_col(ds, x.iter().map(|x| x.line)));
    c.col(|| u64_col("line", x.iter().map(|x| x.line.line)));
    c.finish()
}

pub fn sessions(ds: &Dataset) -> PolarsResult<DataFrame> {
    let r = &ds.records;
    let s = &r.sessions;
    let mut c = Cols::default();
    c.col(|| str_col("host", s.iter().map(|x| r.str(x.host))));
    c.col(|| str_col("instance", s.iter().map(|x| r.str(x.instance))));
    c.col(|| u32_col("pid", s.iter().map(|x| x.pid)));
    c.col(|| str_col("client_name", s.iter().map(|x| r.str(x.client_name))));
    c.col(|| str_col("client_ip", s.iter().map(|x| r.str(x.client_ip))));
    c.try_col(|| dt("start", s.iter().map(|x| x.start)));
    c.try_col(|| dt("end", s.iter().map(|x| x.end)));
    c.col(|| opt_str("abort", s.iter().map(|x| some(r, x.abort))));
    c.col(|| opt_str("stats", s.iter().map(|x| some(r, x.stats))));
    c.col(|| u32_col("auth_failed", s.iter().map(|x| x.auth_failed)));
    c.col(|| Column::new("auth_ok".into(), s.iter().map(|x| x.auth_ok).collect::<Vec<_>>()));
    c.col(|| u32_col("messages", s.iter().map(|x| x.messages)));
    let first = |x: &crate::correlate::Session| x.connect_line.or(x.end_line).unwrap_or_default();
    c.col(|| file_col(ds, s.iter().map(first)));
    c.col(|| u64_col("line", s.iter().map(|x| first(x).line)));
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::{Delivery, DeliveryStatus, LineRef};

    /// A chain's recipients are counted once each, whichever of its
    /// messages delivered to them and however often; its statuses once per
    /// attempt; filter hand-overs not at all.
    #[test]
    fn chain_counts_count_each_recipient_once() {
        let mut r = Records::default();
        let (a, b, sent, deferred) =
            (r.strings.intern("a@x"), r.strings.intern("b@x"), r.strings.intern("sent"), r.strings.intern("deferred"));
        r.messages = vec![
            Message { id: 0, ..Message::default() },
            Message { id: 1, parent: Some((0, Link::Reinjected)), ..Message::default() },
            Message { id: 2, ..Message::default() },
        ];
        let d = |message, to, (status, outcome), filter_hop| Delivery {
            message,
            time: 0,
            to,
            status,
            outcome,
            filter_hop,
            line: LineRef::default(),
        };
        let (sent, deferred) = ((sent, DeliveryStatus::Sent), (deferred, DeliveryStatus::Deferred));
        r.deliveries = vec![
            d(0, a, sent, true),
            d(1, a, deferred, false),
            d(1, a, sent, false),
            d(1, b, sent, false),
            d(2, a, sent, false),
        ];
        let counts = chain_counts(&r, &Roots::of(&r));
        let got: Vec<_> = counts.iter().map(|c| (c.recipients, c.sent, c.deferred, c.bounced)).collect();
        assert_eq!(got, [(2, 2, 1, 0), (0, 0, 0, 0), (1, 1, 0, 0)]);
    }

    /// `to_id` names the same address by the same number, and different
    /// ones by different numbers: counting it counts the addresses.
    #[test]
    fn to_id_counts_like_to() {
        let mut r = Records::default();
        let sent = r.strings.intern("sent");
        r.messages = vec![Message::default()];
        for to in ["a@x", "b@x", "a@x", "A@x", "b@x"] {
            let to = r.strings.intern(to);
            r.deliveries.push(Delivery {
                message: 0,
                time: 0,
                to,
                status: sent,
                outcome: DeliveryStatus::Sent,
                filter_hop: false,
                line: LineRef::default(),
            });
        }
        let ds = Dataset {
            records: r,
            inputs: Vec::new(),
            diag: crate::diag::Diagnostics::new(false),
            orphan_lines: 0,
            span: None,
            stdin_lines: Vec::new(),
        };
        let df = deliveries(&ds, Detail::Analysis).unwrap();
        let to: Vec<Option<&str>> = df.column("to").unwrap().str().unwrap().iter().collect();
        let ids: Vec<u32> = df.column("to_id").unwrap().u32().unwrap().into_no_null_iter().collect();
        for i in 0..to.len() {
            for j in 0..to.len() {
                assert_eq!(to[i] == to[j], ids[i] == ids[j], "rows {i} and {j}");
            }
        }
        let summary = deliveries(&ds, Detail::Summary).unwrap();
        assert!(summary.column("to").is_err(), "summary counts recipients by to_id only");
        assert_eq!(summary.column("to_id").unwrap().n_unique().unwrap(), 3);
        assert!(deliveries(&ds, Detail::All).unwrap().column("to_id").is_err(), "export shows no internal numbers");
    }
}
