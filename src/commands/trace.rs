//! `postsleuth trace QUERY`: every matching message, its record and its raw
//! lines with file:line, following re-injection and notification links. The
//! log-based replacement for `postcat -q ID | grep …`.

use super::{display_zone, finish, load, stdout, window, Load, Outcome, UsageError};
use crate::cli::{InputArgs, OutputArgs};
use crate::correlate::{DeliveryDetail, LineRef, Message, Records, Sym};
use crate::ingest::Dataset;
use crate::render::Format;
use crate::source::fetch::fetch_lines;
use crate::text::printable;
use crate::time::{rfc3339_utc, Zone};
use clap::Args;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

pub const TRACE_ABOUT: &str = "\
Every message matching QUERY, with its record and its raw log lines (file:line), in time order,
following content-filter re-injection and bounce notifications. The log-based replacement for
`postcat -q ID | grep …`.

QUERY is a queue ID (840A4C0FF0 or 4Y7Lrk1TnQz4BfX), a Message-ID (with or without <>), or an
address: matched against envelope senders, recipients and SASL usernames.

A message's line says what became of its recipients: `delivered` when all were sent,
`1 of 4 recipients bounced, 3 sent` when some bounced, or its state (queued, held, deleted,
expired, rejected, discarded). --format json gives one object: the query and its flows, each
with its messages (each with its recipients' total, sent, deferred and bounced) and its lines
(file, line, text). When no message matches, trace says so and exits with 1.

Examples:
  postsleuth trace 840A4C0FF0
  postsleuth trace '<20261123031300.4F1@example.com>' /var/log/mail.log
  postsleuth trace victim@example.com sample-logs/ --format json";

#[derive(Args, Debug, Clone)]
pub struct TraceArgs {
    /// Queue ID, Message-ID or address.
    pub query: String,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(a: &TraceArgs) -> anyhow::Result<Outcome> {
    if matches!(a.output.format, Format::Csv | Format::Markdown) {
        // A flow is a record and its lines, not a table: say so rather than
        // print text the user asked not to get.
        return Err(UsageError(
            "trace prints text or --format json; for rows of messages and deliveries use `postsleuth export`".into(),
        )
        .into());
    }
    let zone = display_zone(&a.output)?;
    let window = window(&a.input, &zone)?;
    let ds = load(&a.input, Load { lines: true, details: true })?;
    let mut flows = flows(&ds.records, &a.query);
    flows.retain(|f| f.iter().any(|&id| window.contains(ds.records.messages[id as usize].first_seen)));
    let wanted: BTreeSet<LineRef> = flows.iter().flat_map(|f| flow_lines(&ds.records, f)).collect();
    let text = fetch_lines(&ds.inputs, &wanted, &ds.stdin_lines);
    let mut out = stdout();
    match a.output.format {
        Format::Json => write_json(&ds, &a.query, &flows, &text, &mut out)?,
        _ => write_text(&ds, &flows, &text, &zone, &mut out)?,
    }
    let outcome = finish(out, ds)?;
    if flows.is_empty() {
        // Exit 1, as for nothing to analyse: a script can tell "no such
        // message" from a trace.
        anyhow::bail!("no message matches {:?}", printable(&a.query));
    }
    Ok(outcome)
}

/// What became of a message's recipients: each recipient of a final
/// delivery (hand-overs to a content filter left out) by its last attempt.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
struct Recipients {
    total: u32,
    sent: u32,
    deferred: u32,
    bounced: u32,
}

fn recipients(r: &Records, m: &Message) -> Recipients {
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

/// A message's state as a true sentence: `bounced` only when every
/// recipient did; otherwise how many of them.
fn state_text(r: &Records, m: &Message) -> String {
    let n = recipients(r, m);
    if m.state != crate::correlate::State::Bounced || n.total == 0 {
        return m.state.as_str().to_string();
    }
    let mut s = format!("{} of {} recipients bounced", n.bounced, n.total);
    for (k, what) in [(n.sent, "sent"), (n.deferred, "deferred")] {
        if k > 0 {
            s.push_str(&format!(", {k} {what}"));
        }
    }
    s
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
fn flow_lines(r: &Records, flow: &[u32]) -> BTreeSet<LineRef> {
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

fn write_text(
    ds: &Dataset,
    flows: &[Vec<u32>],
    text: &BTreeMap<LineRef, String>,
    zone: &Zone,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    for (i, flow) in flows.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        for &id in flow {
            write_record(ds, &ds.records.messages[id as usize], zone, out)?;
        }
        writeln!(out, "  log lines:")?;
        for l in flow_lines(&ds.records, flow) {
            let t = text.get(&l).map_or("(line no longer readable)", |s| s.as_str());
            writeln!(out, "    {}:{}  {}", printable(&ds.file_name(l)), l.line, printable(t))?;
        }
    }
    Ok(())
}

fn write_record(ds: &Dataset, m: &Message, zone: &Zone, out: &mut dyn Write) -> anyhow::Result<()> {
    let r = &ds.records;
    let s = |x| printable(r.str(x)).into_owned();
    writeln!(out, "message {} on {}: {}", m.queue_id, s(m.host), state_text(r, m))?;
    if let Some((p, link)) = m.parent {
        let parent = &r.messages[p as usize];
        let how = match link {
            crate::correlate::Link::Reinjected => "re-injected by a content filter; continues",
            crate::correlate::Link::NotificationOf => "notification about",
        };
        writeln!(out, "  {how} {}", parent.queue_id)?;
    }
    writeln!(out, "  seen        {} .. {}", zone.format(m.first_seen, true), zone.format(m.last_seen, true))?;
    match m.origin {
        crate::correlate::Origin::Smtpd => {
            let mut who = format!("{}[{}] via {}", s(m.client_name), s(m.client_ip), s(m.instance));
            if !m.sasl_username.is_none() {
                who.push_str(&format!(", sasl_method={}, sasl_username={}", s(m.sasl_method), s(m.sasl_username)));
            }
            writeln!(out, "  client      {who}")?;
        }
        crate::correlate::Origin::Pickup => writeln!(out, "  pickup      uid={}", m.uid.unwrap_or(0))?,
        o => writeln!(out, "  origin      {}", o.as_str())?,
    }
    if let Some(sender) = m.sender {
        writeln!(out, "  from        <{}>  size={}  nrcpt={}", s(sender), opt(m.size), opt(m.nrcpt))?;
    }
    if let Some(id) = r.message_id(m.id) {
        writeln!(out, "  message-id  <{}>", printable(id))?;
    }
    for (d, x) in r.deliveries_of(m.id) {
        let hop = if d.filter_hop { "  (to content filter)" } else { "" };
        let (dsn, relay) = x.map_or((Sym::NONE, Sym::NONE), |x| (x.dsn, x.relay));
        writeln!(out, "  to          <{}>  {} {} via {}{hop}", s(d.to), s(d.status), s(dsn), s(relay))?;
    }
    Ok(())
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "?".into(), |v| v.to_string())
}

fn write_json(
    ds: &Dataset,
    query: &str,
    flows: &[Vec<u32>],
    text: &BTreeMap<LineRef, String>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let r = &ds.records;
    let arr: Vec<serde_json::Value> = flows
        .iter()
        .map(|flow| {
            let messages: Vec<serde_json::Value> =
                flow.iter().map(|&id| message_json(r, &r.messages[id as usize])).collect();
            let lines: Vec<serde_json::Value> = flow_lines(r, flow)
                .into_iter()
                .map(|l| serde_json::json!({"file": ds.file_name(l), "line": l.line, "text": text.get(&l)}))
                .collect();
            serde_json::json!({"messages": messages, "lines": lines})
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &serde_json::json!({"query": query, "flows": arr}))?;
    writeln!(out)?;
    Ok(())
}

fn message_json(r: &Records, m: &Message) -> serde_json::Value {
    let s = |x: crate::correlate::Sym| (!x.is_none()).then(|| r.str(x).to_string());
    let deliveries: Vec<serde_json::Value> = r
        .deliveries_of(m.id)
        .map(|(d, x)| {
            let sym = |f: fn(&DeliveryDetail) -> Sym| x.map_or(Sym::NONE, f);
            serde_json::json!({"time": rfc3339_utc(d.time), "to": r.str(d.to), "orig_to": s(sym(|x| x.orig_to)),
                "relay": r.str(sym(|x| x.relay)), "dsn": r.str(sym(|x| x.dsn)), "status": r.str(d.status),
                "response": x.map_or("", |x| &*x.response), "filter_hop": d.filter_hop})
        })
        .collect();
    serde_json::json!({
        "host": r.str(m.host), "queue_id": m.queue_id.as_str(), "state": m.state.as_str(),
        "first_seen": rfc3339_utc(m.first_seen), "last_seen": rfc3339_utc(m.last_seen),
        "origin": m.origin.as_str(), "instance": s(m.instance), "client_name": s(m.client_name),
        "client_ip": s(m.client_ip), "sasl_method": s(m.sasl_method), "sasl_username": s(m.sasl_username),
        "uid": m.uid, "message_id": r.message_id(m.id), "sender": m.sender.map(|x| r.str(x)),
        "size": m.size, "nrcpt": m.nrcpt, "recipients": recipients(r, m),
        "parent": m.parent.map(|(p, _)| r.messages[p as usize].queue_id.as_str().to_string()),
        "deliveries": deliveries,
    })
}
