//! `report.json`: every figure of the report, for machines. Times are RFC
//! 3339 UTC; log strings are kept exactly (JSON escapes them itself).

use super::{total_rows, Meta};
use crate::analyze::report::{Evidence, Offender, Report, Span, SuspectView};
use crate::analyze::suspects::{Line, Thresholds};
use crate::render::cells;
use crate::render::doc::Quote;
use crate::source::fetch::Fetched;
use crate::time::rfc3339_utc;
use polars::prelude::DataFrame;
use serde_json::{json, Map, Value};

pub fn render(r: &Report, meta: &Meta) -> anyhow::Result<Vec<u8>> {
    let mut obj = Map::new();
    obj.insert("generated_at".into(), meta.generated_at.clone().into());
    obj.insert("postsleuth".into(), meta.version.into());
    obj.insert("period".into(), period(r, meta));
    obj.insert("input".into(), input(meta));
    obj.insert("hosts".into(), r.hosts.clone().into());
    obj.insert("totals".into(), totals(r));
    let suspects: Vec<Value> = r.suspects.iter().enumerate().map(|(i, v)| suspect(i + 1, v)).collect();
    obj.insert("suspects".into(), suspects.into());
    let mut rankings = Map::new();
    for k in &r.rankings {
        rankings.insert(k.id.into(), rows(&k.frame)?);
    }
    obj.insert("rankings".into(), rankings.into());
    let mut sections = Map::new();
    for k in &r.sections {
        sections.insert(k.id.into(), rows(&k.frame)?);
    }
    obj.insert("sections".into(), sections.into());
    obj.insert("per_hour".into(), per_hour(r));
    obj.insert("offenders".into(), r.offenders.iter().map(offender).collect::<Vec<_>>().into());
    obj.insert("geolocation".into(), meta.geo.clone().into());
    let mut out = serde_json::to_vec_pretty(&obj)?;
    out.push(b'\n');
    Ok(out)
}

fn span(s: Span) -> Value {
    json!({"start": rfc3339_utc(s.start), "end": rfc3339_utc(s.end)})
}

fn period(r: &Report, meta: &Meta) -> Value {
    json!({
        "kind": r.period.kind,
        "label": r.period.label,
        "zone": meta.zone.to_string(),
        "start": rfc3339_utc(r.period.current.start),
        "end": rfc3339_utc(r.period.current.end),
        "previous": span(r.period.previous),
        "previous_partial": meta.previous_partial,
    })
}

fn input(meta: &Meta) -> Value {
    let files: Vec<Value> = meta
        .files
        .iter()
        .map(|f| json!({"file": f.name, "lines": f.lines, "skipped": f.skipped, "error": f.error}))
        .collect();
    json!({
        "files": files,
        "first": meta.span.map(|s| rfc3339_utc(s.0)),
        "last": meta.span.map(|s| rfc3339_utc(s.1)),
        "partial": meta.partial,
    })
}

fn totals(r: &Report) -> Value {
    let mut obj = Map::new();
    for t in total_rows(&r.totals, &r.previous_totals) {
        obj.insert(
            t.id.into(),
            json!({"value": t.value, "previous": t.previous, "change": t.change(), "change_pct": t.change_pct()}),
        );
    }
    obj.into()
}

/// A ranking as row objects, the shape `--format json` gives.
fn rows(df: &DataFrame) -> anyhow::Result<Value> {
    let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let rows = cells::rows(df)?;
    Ok(rows
        .iter()
        .map(|row| names.iter().cloned().zip(row.iter().map(cells::Cell::json)).collect::<Map<_, _>>().into())
        .collect::<Vec<Value>>()
        .into())
}

fn per_hour(r: &Report) -> Value {
    let accounts: Vec<Value> =
        r.account_hours.iter().map(|(a, series)| json!({"account": a, "messages": series})).collect();
    json!({
        "hours": r.hours.iter().map(|&h| rfc3339_utc(h)).collect::<Vec<_>>(),
        "messages": r.messages_per_hour,
        "auth_failures": r.auth_failures_per_hour,
        "accounts": accounts,
    })
}

/// A quoted line, as every JSON output writes one.
fn evidence(e: &Evidence) -> Value {
    let q = Quote {
        time: rfc3339_utc(e.time),
        file: e.file.clone(),
        line: e.line,
        claim: None,
        text: e.text.clone(),
        cursor: e.cursor.clone(),
    };
    serde_json::to_value(q).unwrap_or(Value::Null)
}

/// A suspect as `suspects --format json` writes it: one view, one set of names.
fn suspect(rank: usize, v: &SuspectView) -> Value {
    let text = |l: &Line| {
        let quoted = v.evidence.iter().find(|(_, e)| e.file == l.file && e.line == l.line);
        quoted.and_then(|(_, e)| Some(Fetched { text: e.text.clone()?, cursor: e.cursor.clone() }))
    };
    let view = crate::render::view::SuspectView::new(rank, &v.suspect, &Thresholds::default(), &text);
    serde_json::to_value(view).unwrap_or(Value::Null)
}

fn offender(o: &Offender) -> Value {
    let evidence: Vec<Value> = o.evidence.iter().map(evidence).collect();
    json!({
        "subject": o.subject,
        "network": o.network,
        "country": o.country,
        "asn": o.asn,
        "as_org": o.as_org,
        "first": rfc3339_utc(o.first),
        "last": rfc3339_utc(o.last),
        "auth_failures": o.auth_failures,
        "usernames_tried": o.usernames_tried,
        "rejects": o.rejects,
        "spam_messages": o.spam_messages,
        "ips": o.ips,
        "evidence": evidence,
    })
}
