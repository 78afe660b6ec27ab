//! Records → polars DataFrames: the one place that knows the schema.
//!
//! Timestamps are `Datetime(us, UTC)`. Column names are Postfix's words.
//! Messages and deliveries also carry `root_*` columns: the SASL account,
//! client IP and uid of the original submission, so that a content filter's
//! re-injected copy (client `127.0.0.1`) counts for whoever really sent it.
//!
//! Long because it is the one place that knows the column schema of every
//! frame; its unit tests sit at the end.

mod build;
mod clients;
mod frames;
pub mod net;
mod tables;
pub use tables::Table;

use crate::correlate::{DeliveryDetail, Link, Message, Records, Sym};
use crate::ingest::Dataset;
use crate::window::Window;
use build::{dt, opt_str, opt_u32, opt_u64, repeated_str, str_col, u32_col, u64_col, Cols};
pub use build::{opt_dt, Distinct};
pub use clients::{client_events, relay_failures};
pub use frames::{in_window, Frames};
use polars::prelude::*;

/// Every message's root and the root's identity, taken from the messages
/// once, not for every row of every column; with these the deliveries
/// frame can be built after the message records are gone (on a big log,
/// the peak of the analyses).
pub struct Roots {
    ids: Vec<u32>,
    who: Vec<(Sym, Sym, Option<u32>)>,
    /// Each message's own size: its deliveries' bytes.
    sizes: Vec<Option<u64>>,
    /// Each message's own envelope sender: its root's is whose deliveries
    /// they are, by sender.
    senders: Vec<Option<Sym>>,
}

impl Roots {
    /// In one pass over the messages (three passes, each reading every
    /// record again, were twice as long): a root comes before its
    /// continuations, so its identity is known by the time they come.
    pub fn of(r: &Records) -> Roots {
        let n = r.messages.len();
        let mut roots = Roots {
            ids: Vec::with_capacity(n),
            who: Vec::with_capacity(n),
            sizes: Vec::with_capacity(n),
            senders: Vec::with_capacity(n),
        };
        for (i, m) in r.messages.iter().enumerate() {
            let root = crate::correlate::root_of(&roots.ids, i, m);
            let who = match roots.who.get(root as usize) {
                Some(&who) if root as usize != i => who,
                _ => (m.sasl_username, m.client_ip, m.uid),
            };
            roots.ids.push(root);
            roots.who.push(who);
            roots.sizes.push(m.size);
            roots.senders.push(m.sender);
        }
        roots
    }

    /// The envelope sender of message `id`'s root.
    fn sender(&self, id: u32) -> Option<Sym> {
        self.senders.get(self.id(id) as usize).copied().flatten()
    }

    /// The size of message `id` itself (not its root's).
    fn size(&self, id: u32) -> Option<u64> {
        self.sizes.get(id as usize).copied().flatten()
    }

    /// The root of message `id`.
    fn id(&self, id: u32) -> u32 {
        self.ids.get(id as usize).copied().unwrap_or(id)
    }

    /// The identity of message `id`'s root: SASL account, client IP, uid.
    fn who(&self, id: u32) -> (Sym, Sym, Option<u32>) {
        self.who.get(id as usize).copied().unwrap_or((Sym::NONE, Sym::NONE, None))
    }
}

fn some(r: &Records, s: Sym) -> Option<&str> {
    (!s.is_none()).then(|| r.str(s))
}

/// A column of interned texts, `Sym::NONE` as the empty text.
fn sym_col(name: &str, r: &Records, syms: impl Iterator<Item = Sym>) -> PolarsResult<Column> {
    repeated_str(name, syms, |s| Some(r.str(s)))
}

/// A column of interned texts, `Sym::NONE` as null.
fn opt_sym(name: &str, r: &Records, syms: impl Iterator<Item = Sym>) -> PolarsResult<Column> {
    repeated_str(name, syms, |s| some(r, s))
}

/// A column of texts that may be absent (`None`: null) or empty (a bounce's
/// sender `<>`).
fn maybe_sym(name: &str, r: &Records, syms: impl Iterator<Item = Option<Sym>>) -> PolarsResult<Column> {
    repeated_str(name, syms, |s| s.map(|s| r.str(s)))
}

/// The domains of addresses that may be absent.
fn domain_col(name: &str, r: &Records, syms: impl Iterator<Item = Option<Sym>>) -> PolarsResult<Column> {
    repeated_str(name, syms, |s| s.map(|s| crate::event::fields::domain_of(r.str(s))))
}

/// The networks (/24, /64) of client IPs; null where there is none.
fn net_col(name: &str, r: &Records, ips: impl Iterator<Item = Sym>) -> PolarsResult<Column> {
    repeated_str(name, ips, |s| some(r, s).and_then(net::network))
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
    let n = r.messages.len();
    let mut counts = vec![ChainCounts::default(); n];
    // Distinct recipients of each chain: the recipients are grouped by root
    // (a counting sort: roots are message numbers) and each small group is
    // sorted and counted. A hash set of (root, recipient) pairs, one random
    // probe per delivery into a table of millions, took three times as long
    // as sorting all the pairs; this sorts only groups of a few.
    let finals = || r.deliveries.iter().filter(|d| !d.filter_hop).map(|d| (roots.id(d.message) as usize, d));
    // `ends[root + 1]`: the size of root's group, then (summed) where it
    // begins and, once filled, `ends[root]` where it ends.
    let mut ends = vec![0u32; n + 1];
    for (root, d) in finals() {
        let Some(c) = counts.get_mut(root) else { continue };
        ends[root + 1] += 1;
        match d.outcome {
            S::Sent => c.sent += 1,
            S::Deferred => c.deferred += 1,
            S::Bounced => c.bounced += 1,
            _ => {}
        }
    }
    for i in 1..=n {
        ends[i] += ends[i - 1];
    }
    let mut to = vec![0u32; ends[n] as usize];
    for (root, d) in finals().filter(|&(root, _)| root < n) {
        // `ends[root]` starts as where the group begins and moves on with
        // each entry placed.
        to[ends[root] as usize] = d.to.0;
        ends[root] += 1;
    }
    let mut begin = 0;
    for (c, &end) in counts.iter_mut().zip(&ends) {
        let group = &mut to[begin..end as usize];
        c.recipients = match group.len() {
            0 | 1 => group.len() as u32,
            _ => {
                group.sort_unstable();
                1 + group.windows(2).filter(|w| w[0] != w[1]).count() as u32
            }
        };
        begin = end as usize;
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
    /// What the analyses read, and the details the pflogsumm-style
    /// sections group by (relays, delays, DSNs, responses, SASL methods,
    /// client names): `summary --full`, `report`. Their columns are empty
    /// unless ingest kept the details.
    Sections,
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

    /// The columns of the details: relays, delays, DSNs, responses, SASL
    /// methods, client names.
    fn details(self) -> bool {
        matches!(self, Detail::All | Detail::Sections)
    }
}

/// The columns of `delays=a/b/c/d`, in its order (Postfix's words: before
/// the queue manager, in it, connection set-up, transmission).
pub const DELAY_PARTS: [&str; 4] = ["delay_before_qmgr", "delay_in_qmgr", "delay_conn_setup", "delay_transmission"];

pub fn messages(ds: &Dataset, detail: Detail) -> PolarsResult<DataFrame> {
    ds.observer.stage(crate::diag::Stage::BuildingFrames);
    let roots = Roots::of(&ds.records);
    messages_with_chain(ds, detail, &chain_counts(&ds.records, &roots), &roots, &Window::default())
}

/// [`messages`] with the chains' counts already taken from the deliveries
/// (which may be gone by now), only those first seen in `window`.
pub fn messages_with_chain(
    ds: &Dataset,
    detail: Detail,
    chain: &[ChainCounts],
    root_of: &Roots,
    window: &Window,
) -> PolarsResult<DataFrame> {
    let (all, wide) = (detail == Detail::All, detail.wide());
    let r = &ds.records;
    // Only the messages first seen in `window`, as for the deliveries.
    let rows = rows_in(r.messages.iter().map(|m| m.first_seen), window);
    let ms = || rows.iter().map(|&i| &r.messages[i as usize]);
    let roots = || ms().map(|m| root_of.who(m.id));
    let counts = |m: &Message| chain.get(m.id as usize).copied().unwrap_or_default();
    let mut c = Cols::default();
    if wide {
        // Summary joins nothing: no message numbers.
        c.col(|| u32_col("message", ms().map(|m| m.id)));
        c.try_col(|| sym_col("host", r, ms().map(|m| m.host)));
        c.col(|| str_col("queue_id", ms().map(|m| m.queue_id.as_str())));
    }
    c.try_col(|| dt("first_seen", ms().map(|m| m.first_seen)));
    if wide {
        c.try_col(|| dt("last_seen", ms().map(|m| m.last_seen)));
    }
    c.try_col(|| repeated_str("origin", ms().map(|m| m.origin), |o| Some(o.as_str())));
    if all {
        c.try_col(|| opt_sym("instance", r, ms().map(|m| m.instance)));
    }
    if detail.details() {
        c.try_col(|| opt_sym("client_name", r, ms().map(|m| m.client_name)));
    }
    if wide {
        c.try_col(|| opt_sym("client_ip", r, ms().map(|m| m.client_ip)));
    }
    if detail.details() {
        c.try_col(|| opt_sym("sasl_method", r, ms().map(|m| m.sasl_method)));
    }
    if wide {
        c.try_col(|| opt_sym("sasl_username", r, ms().map(|m| m.sasl_username)));
    }
    if all {
        c.try_col(|| opt_sym("sasl_sender", r, ms().map(|m| m.sasl_sender)));
    }
    if wide {
        c.col(|| opt_u32("uid", ms().map(|m| m.uid)));
    }
    if all {
        c.col(|| opt_str("message_id", ms().map(|m| r.message_id(m.id))));
    }
    if wide {
        c.try_col(|| maybe_sym("sender", r, ms().map(|m| m.sender)));
    }
    if !all {
        // Distinct counts read interned numbers, not texts: see `to_id`.
        c.col(|| opt_u32("sender_id", ms().map(|m| m.sender.map(|s| s.0))));
    }
    c.try_col(|| domain_col("sender_domain", r, ms().map(|m| m.sender)));
    c.col(|| opt_u64("size", ms().map(|m| m.size)));
    if wide {
        c.col(|| opt_u32("nrcpt", ms().map(|m| m.nrcpt)));
        c.col(|| opt_u32("parent", ms().map(|m| m.parent.map(|p| p.0))));
        c.col(|| opt_str("link", ms().map(|m| m.parent.map(|p| link_name(p.1)))));
        c.col(|| u32_col("root", ms().map(|m| root_of.id(m.id))));
    }
    c.col(|| {
        Column::new(
            "is_continuation".into(),
            ms().map(|m| matches!(m.parent, Some((_, Link::Reinjected)))).collect::<Vec<_>>(),
        )
    });
    c.try_col(|| opt_sym("root_sasl_username", r, roots().map(|x| x.0)));
    c.try_col(|| opt_sym("root_client_ip", r, roots().map(|x| x.1)));
    if !all {
        c.col(|| opt_u32("root_client_ip_id", roots().map(|x| (!x.1.is_none()).then_some(x.1 .0))));
    }
    if wide {
        c.try_col(|| net_col("root_client_net", r, roots().map(|x| x.1)));
    }
    c.col(|| opt_u32("root_uid", roots().map(|x| x.2)));
    c.try_col(|| repeated_str("state", ms().map(|m| m.state), |o| Some(o.as_str())));
    c.col(|| u32_col("recipients", ms().map(|m| counts(m).recipients)));
    if wide {
        c.col(|| u32_col("final_sent", ms().map(|m| counts(m).sent)));
    }
    c.col(|| u32_col("final_deferred", ms().map(|m| counts(m).deferred)));
    c.col(|| u32_col("final_bounced", ms().map(|m| counts(m).bounced)));
    if wide {
        c.col(|| u32_col("sent", ms().map(|m| m.sent)));
        c.col(|| u32_col("deferred", ms().map(|m| m.deferred)));
        c.col(|| u32_col("bounced", ms().map(|m| m.bounced)));
        c.col(|| file_col(ds, ms().map(|m| m.first_line)));
        c.col(|| u64_col("line", ms().map(|m| m.first_line.line)));
        c.col(|| opt_u32("session", ms().map(|m| m.session)));
    }
    c.finish()
}

/// The positions of the times in `window`: the rows a frame is built of.
fn rows_in(times: impl Iterator<Item = crate::time::Micros>, window: &Window) -> Vec<u32> {
    times.enumerate().filter(|(_, t)| window.contains(*t)).map(|(i, _)| i as u32).collect()
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
    ds.observer.stage(crate::diag::Stage::BuildingFrames);
    deliveries_with_roots(ds, detail, &Roots::of(&ds.records), &Window::default())
}

/// [`deliveries`] with the roots taken already: but for [`Detail::All`]
/// (host and queue ID of each row's message), the message records may be
/// gone by now. Only the deliveries in `window`: the columns of the others
/// are never built (on a big log, a day's window is a fraction of them).
pub fn deliveries_with_roots(ds: &Dataset, level: Detail, root_of: &Roots, window: &Window) -> PolarsResult<DataFrame> {
    let (all, wide) = (level == Detail::All, level.wide());
    let r = &ds.records;
    let rows = rows_in(r.deliveries.iter().map(|x| x.time), window);
    let d = || rows.iter().map(|&i| &r.deliveries[i as usize]);
    let msg = |i: u32| r.messages.get(i as usize);
    let roots = || d().map(|x| root_of.who(x.message));
    let mut c = Cols::default();
    if wide {
        c.col(|| u32_col("message", d().map(|x| x.message)));
        c.col(|| u32_col("root", d().map(|x| root_of.id(x.message))));
    }
    if all {
        c.try_col(|| sym_col("host", r, d().map(|x| msg(x.message).map_or(Sym::NONE, |m| m.host))));
        c.col(|| str_col("queue_id", d().map(|x| msg(x.message).map_or("", |m| m.queue_id.as_str()))));
    }
    c.try_col(|| dt("time", d().map(|x| x.time)));
    // The detail of each row (all `None` unless details were kept).
    let detail = || rows.iter().map(|&i| r.delivery_detail(i as usize));
    let detail_sym = |f: fn(&DeliveryDetail) -> Sym| detail().map(move |x| x.map_or(Sym::NONE, f));
    // Only where ingest kept them (row for row): `--section sasl` reads
    // the messages' details alone, and empty columns would cost the same.
    let details = level.details() && r.delivery_details.len() == r.deliveries.len();
    if details {
        c.try_col(|| sym_col("daemon", r, detail_sym(|x| x.daemon)));
    }
    if wide {
        c.try_col(|| sym_col("to", r, d().map(|x| x.to)));
    }
    if !all {
        // Counting distinct recipients needs only which rows name the same
        // address: interned symbols say it, without building and hashing
        // millions of strings (on a big log, most of summary's totals).
        c.col(|| u32_col("to_id", d().map(|x| x.to.0)));
    }
    if wide {
        c.try_col(|| domain_col("recipient_domain", r, d().map(|x| Some(x.to))));
    }
    if all {
        c.try_col(|| opt_sym("orig_to", r, detail_sym(|x| x.orig_to)));
    }
    if details {
        c.try_col(|| sym_col("relay", r, detail_sym(|x| x.relay)));
        c.col(|| Column::new("delay".into(), detail().map(|x| x.map_or(0.0, |x| x.delay)).collect::<Vec<_>>()));
    }
    if all {
        c.col(|| {
            opt_str("delays", detail().map(|x| x.and_then(|x| x.delays.as_ref()).map(crate::correlate::format_delays)))
        });
    } else if details {
        // As numbers, for the percentiles of each part.
        for (part, name) in DELAY_PARTS.iter().enumerate() {
            let values = detail().map(move |x| x.and_then(|x| x.delays).map(|d| d[part]));
            c.col(move || Float32Chunked::from_iter_options((*name).into(), values).into_column());
        }
    }
    if details {
        c.try_col(|| sym_col("dsn", r, detail_sym(|x| x.dsn)));
    }
    c.try_col(|| sym_col("status", r, d().map(|x| x.status)));
    if details {
        c.col(|| str_col("response", detail().map(|x| x.map_or("", |x| &*x.response))));
    }
    c.col(|| Column::new("filter_hop".into(), d().map(|x| x.filter_hop).collect::<Vec<_>>()));
    // The delivery's message's size: bytes delivered are summed from here,
    // without joining millions of deliveries to their messages.
    c.col(|| opt_u64("size", d().map(|x| root_of.size(x.message))));
    if wide {
        c.try_col(|| opt_sym("root_sasl_username", r, roots().map(|x| x.0)));
        c.try_col(|| opt_sym("root_client_ip", r, roots().map(|x| x.1)));
        c.col(|| opt_u32("root_uid", roots().map(|x| x.2)));
    }
    if wide && !all && !window.is_open() {
        // Whose deliveries they are by every other key a message is ranked
        // by: cut to a window, the rankings count its deliveries as its
        // totals do, whenever their message came in. Without a window, the
        // messages' own counts are the same figures, for no column here.
        c.try_col(|| net_col("root_client_net", r, roots().map(|x| x.1)));
        c.try_col(|| maybe_sym("root_sender", r, d().map(|x| root_of.sender(x.message))));
        c.try_col(|| domain_col("root_sender_domain", r, d().map(|x| root_of.sender(x.message))));
    }
    if all {
        c.col(|| file_col(ds, d().map(|x| x.line)));
        c.col(|| u64_col("line", d().map(|x| x.line.line)));
    }
    c.finish()
}

pub fn auth(ds: &Dataset, detail: Detail) -> PolarsResult<DataFrame> {
    ds.observer.stage(crate::diag::Stage::BuildingFrames);
    let wide = detail.wide();
    let r = &ds.records;
    let a = &r.auth;
    let mut c = Cols::default();
    c.try_col(|| dt("time", a.iter().map(|x| x.time)));
    if wide {
        c.try_col(|| sym_col("host", r, a.iter().map(|x| x.host)));
        c.try_col(|| sym_col("instance", r, a.iter().map(|x| x.instance)));
        c.try_col(|| sym_col("client_name", r, a.iter().map(|x| x.client_name)));
    }
    c.try_col(|| sym_col("client_ip", r, a.iter().map(|x| x.client_ip)));
    if wide {
        c.try_col(|| net_col("client_net", r, a.iter().map(|x| x.client_ip)));
        c.try_col(|| sym_col("sasl_method", r, a.iter().map(|x| x.method)));
    }
    c.try_col(|| opt_sym("sasl_username", r, a.iter().map(|x| x.username)));
    c.col(|| Column::new("success".into(), a.iter().map(|x| x.success).collect::<Vec<_>>()));
    c.try_col(|| sym_col("service", r, a.iter().map(|x| x.service)));
    if wide {
        c.col(|| file_col(ds, a.iter().map(|x| x.line)));
        c.col(|| u64_col("line", a.iter().map(|x| x.line.line)));
    }
    c.finish()
}

pub fn rejects(ds: &Dataset, detail: Detail) -> PolarsResult<DataFrame> {
    ds.observer.stage(crate::diag::Stage::BuildingFrames);
    let r = &ds.records;
    let x = &r.rejects;
    let mut c = Cols::default();
    c.try_col(|| dt("time", x.iter().map(|x| x.time)));
    if !detail.wide() {
        // Summary only counts rejects.
        c.try_col(|| sym_col("action", r, x.iter().map(|x| x.action)));
        return c.finish();
    }
    c.try_col(|| sym_col("host", r, x.iter().map(|x| x.host)));
    c.try_col(|| sym_col("instance", r, x.iter().map(|x| x.instance)));
    c.try_col(|| sym_col("daemon", r, x.iter().map(|x| x.daemon)));
    c.col(|| opt_str("queue_id", x.iter().map(|x| x.queue_id.map(|q| q.to_string()))));
    c.try_col(|| sym_col("action", r, x.iter().map(|x| x.action)));
    c.try_col(|| opt_sym("via", r, x.iter().map(|x| x.via)));
    c.try_col(|| sym_col("stage", r, x.iter().map(|x| x.stage)));
    c.try_col(|| opt_sym("client_name", r, x.iter().map(|x| x.client_name)));
    c.try_col(|| opt_sym("client_ip", r, x.iter().map(|x| x.client_ip)));
    c.try_col(|| net_col("client_net", r, x.iter().map(|x| x.client_ip)));
    c.try_col(|| opt_sym("code", r, x.iter().map(|x| x.code)));
    c.try_col(|| opt_sym("dsn", r, x.iter().map(|x| x.dsn)));
    c.col(|| str_col("reason", x.iter().map(|x| &*x.reason)));
    c.try_col(|| maybe_sym("sender", r, x.iter().map(|x| x.sender)));
    c.try_col(|| maybe_sym("recipient", r, x.iter().map(|x| x.recipient)));
    c.try_col(|| domain_col("sender_domain", r, x.iter().map(|x| x.sender)));
    c.try_col(|| domain_col("recipient_domain", r, x.iter().map(|x| x.recipient)));
    c.try_col(|| opt_sym("proto", r, x.iter().map(|x| x.proto)));
    c.try_col(|| opt_sym("helo", r, x.iter().map(|x| x.helo)));
    c.try_col(|| opt_sym("sasl_method", r, x.iter().map(|x| x.sasl_method)));
    c.try_col(|| opt_sym("sasl_username", r, x.iter().map(|x| x.sasl_username)));
    c.col(|| file_col(ds, x.iter().map(|x| x.line)));
    c.col(|| u64_col("line", x.iter().map(|x| x.line.line)));
    c.finish()
}

pub fn sessions(ds: &Dataset) -> PolarsResult<DataFrame> {
    ds.observer.stage(crate::diag::Stage::BuildingFrames);
    let r = &ds.records;
    let s = &r.sessions;
    let mut c = Cols::default();
    c.try_col(|| sym_col("host", r, s.iter().map(|x| x.host)));
    c.try_col(|| sym_col("instance", r, s.iter().map(|x| x.instance)));
    c.col(|| u32_col("pid", s.iter().map(|x| x.pid)));
    c.try_col(|| sym_col("client_name", r, s.iter().map(|x| x.client_name)));
    c.try_col(|| sym_col("client_ip", r, s.iter().map(|x| x.client_ip)));
    c.try_col(|| opt_dt("start", s.iter().map(|x| x.start)));
    c.try_col(|| opt_dt("end", s.iter().map(|x| x.end)));
    c.try_col(|| opt_sym("abort", r, s.iter().map(|x| x.abort)));
    c.try_col(|| opt_sym("stats", r, s.iter().map(|x| x.stats)));
    c.col(|| u32_col("auth_failed", s.iter().map(|x| x.auth_failed)));
    c.col(|| Column::new("auth_ok".into(), s.iter().map(|x| x.auth_ok).collect::<Vec<_>>()));
    c.col(|| u32_col("messages", s.iter().map(|x| x.messages)));
    let first = |x: &crate::correlate::Session| x.connect_line.or(x.abort_line).or(x.end_line).unwrap_or_default();
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

    /// On many chains in any order, each chain's distinct recipients are
    /// what counting its distinct (root, recipient) pairs gives; deliveries
    /// of a message no record has count nowhere.
    #[test]
    fn chain_recipients_match_distinct_pairs() {
        let mut r = Records::default();
        let sent = r.strings.intern("sent");
        let tos: Vec<Sym> = (0..7).map(|i| r.strings.intern(&format!("r{i}@x"))).collect();
        let mut seed = 12345u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for id in 0..300u32 {
            let parent = (id > 0 && next(3) == 0).then(|| (next(id as u64) as u32, Link::Reinjected));
            r.messages.push(Message { id, parent, ..Message::default() });
        }
        for _ in 0..2000 {
            r.deliveries.push(Delivery {
                message: next(310) as u32,
                time: 0,
                to: tos[next(7) as usize],
                status: sent,
                outcome: DeliveryStatus::Sent,
                filter_hop: next(10) == 0,
                line: LineRef::default(),
            });
        }
        let roots = Roots::of(&r);
        let mut pairs: Vec<(u32, Sym)> =
            r.deliveries.iter().filter(|d| !d.filter_hop).map(|d| (roots.id(d.message), d.to)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let counts = chain_counts(&r, &roots);
        for (root, c) in counts.iter().enumerate() {
            let want = pairs.iter().filter(|p| p.0 == root as u32).count() as u32;
            assert_eq!(c.recipients, want, "root {root}");
        }
        assert!(counts.iter().any(|c| c.recipients > 3), "some chains have several recipients");
    }

    /// Each message's root and identity, taken in one pass, are those
    /// found by following its re-injection links up, on random chains
    /// (notification links and links to later messages not followed).
    #[test]
    fn roots_in_one_pass_follow_the_links() {
        let mut r = Records::default();
        let mut seed = 99u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for id in 0..400u32 {
            let parent = match next(4) {
                0 if id > 0 => Some((next(id as u64) as u32, Link::Reinjected)),
                1 if id > 0 => Some((next(id as u64) as u32, Link::NotificationOf)),
                2 => Some((id + 1 + next(5) as u32, Link::Reinjected)),
                _ => None,
            };
            let user = r.strings.intern(&format!("u{id}"));
            let uid = (next(2) == 0).then_some(id);
            r.messages.push(Message {
                id,
                parent,
                sasl_username: user,
                uid,
                size: Some(id as u64),
                ..Message::default()
            });
        }
        let roots = Roots::of(&r);
        for m in &r.messages {
            let mut root = m.id;
            while let Some((p, Link::Reinjected)) = r.messages[root as usize].parent.filter(|&(p, _)| p < root) {
                root = p;
            }
            let top = &r.messages[root as usize];
            assert_eq!(roots.id(m.id), root, "message {}", m.id);
            assert_eq!(roots.who(m.id), (top.sasl_username, top.client_ip, top.uid));
            assert_eq!(roots.size(m.id), m.size);
        }
        assert!(r.messages.iter().any(|m| roots.id(m.id) + 1 < m.id), "some chains are long");
    }

    /// A dataset of these records alone, as ingest would hand it over.
    fn dataset_of(records: Records) -> Dataset {
        Dataset {
            records,
            inputs: Vec::new(),
            diag: crate::diag::Diagnostics::new(false),
            orphan_lines: 0,
            span: None,
            kept_lines: Vec::new(),
            observer: Default::default(),
            stored: Default::default(),
        }
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
        let ds = dataset_of(r);
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

    /// `sender_id` and `root_client_ip_id` count like the texts they stand
    /// for: the null sender `<>` is a sender, an absent one is not.
    #[test]
    fn message_ids_count_like_texts() {
        let mut r = Records::default();
        for (i, (sender, ip)) in [
            (Some("a@x"), "192.0.2.1"),
            (Some(""), "192.0.2.2"),
            (None, ""),
            (Some("a@x"), "192.0.2.1"),
            (Some("b@x"), ""),
        ]
        .into_iter()
        .enumerate()
        {
            let sender = sender.map(|s| r.strings.intern(s));
            let client_ip = r.strings.intern(ip);
            r.messages.push(Message { id: i as u32, sender, client_ip, ..Message::default() });
        }
        let ds = dataset_of(r);
        let analysis = messages(&ds, Detail::Analysis).unwrap();
        assert_eq!(analysis.column("sender").unwrap().drop_nulls().n_unique().unwrap(), 3);
        for detail in [Detail::Summary, Detail::Analysis] {
            let df = messages(&ds, detail).unwrap();
            let distinct = |c: &str| df.column(c).unwrap().drop_nulls().n_unique().unwrap();
            assert_eq!(distinct("sender_id"), 3, "{detail:?}");
            assert_eq!((distinct("root_client_ip_id"), distinct("root_client_ip")), (2, 2), "{detail:?}");
        }
        let export = messages(&ds, Detail::All).unwrap();
        assert!(export.column("sender_id").is_err() && export.column("root_client_ip_id").is_err());
    }
}
