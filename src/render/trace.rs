//! How `trace` tells a flow: each message's record, then its raw lines with
//! file:line, as text for people or one JSON object for machines.

use crate::analyze::trace::{flow_lines, recipients};
use crate::correlate::{DeliveryDetail, LineRef, Message, Records, Sym};
use crate::ingest::Dataset;
use crate::source::fetch::Fetched;
use crate::text::printable;
use crate::time::{rfc3339_utc, Zone};
use std::collections::BTreeMap;
use std::io::Write;

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

pub fn write_text(
    ds: &Dataset,
    flows: &[Vec<u32>],
    text: &BTreeMap<LineRef, Fetched>,
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
            let t = text.get(&l).map_or("(line no longer readable)", |f| f.text.as_str());
            writeln!(out, "    {}:{}  {}", printable(&ds.file_name(l)), l.line, printable(t))?;
            if let Some(cursor) = text.get(&l).and_then(|f| f.cursor.as_deref()) {
                writeln!(out, "      cursor {}", printable(cursor))?;
            }
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

pub fn write_json(
    ds: &Dataset,
    query: &str,
    flows: &[Vec<u32>],
    text: &BTreeMap<LineRef, Fetched>,
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
                .map(|l| {
                    let fetched = text.get(&l);
                    let mut v = serde_json::json!({"file": ds.file_name(l), "line": l.line,
                        "text": fetched.map(|f| &f.text)});
                    if let Some(cursor) = fetched.and_then(|f| f.cursor.as_ref()) {
                        v["cursor"] = cursor.as_str().into();
                    }
                    v
                })
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
