//! One CSV per table, through [`crate::render::write_frame`]: the same
//! quoting and formula neutralising as `--format csv`, times in UTC.

use super::{total_rows, OutFile};
use crate::analyze::report::Report;
use crate::render::write_frame;
use crate::render::Format;
use crate::time::{Micros, Zone};
use polars::prelude::*;

pub fn render(r: &Report) -> anyhow::Result<Vec<OutFile>> {
    let mut tables: Vec<(String, DataFrame)> = vec![("totals".into(), totals(r)?)];
    tables.push(("suspects".into(), suspects(r)?));
    tables.extend(r.rankings.iter().chain(&r.sections).map(|k| (k.id.to_string(), k.frame.clone())));
    tables.push(("messages_per_hour".into(), per_hour(r)?));
    tables.push(("account_messages_per_hour".into(), account_hours(r)?));
    tables.push(("offenders".into(), offenders(r)?));
    tables.push(("offender_evidence".into(), evidence(r)?));
    let utc = Zone::Named(chrono_tz::UTC);
    tables
        .into_iter()
        .map(|(name, df)| {
            let mut bytes = Vec::new();
            write_frame(&df, Format::Csv, &utc, &mut bytes)?;
            Ok(OutFile { name: format!("{name}.csv"), bytes })
        })
        .collect()
}

/// A `Datetime(us, UTC)` column, so that CSV writes RFC 3339.
fn times(name: &str, v: impl IntoIterator<Item = Option<Micros>>) -> PolarsResult<Column> {
    let v: Vec<Option<Micros>> = v.into_iter().collect();
    Series::new(name.into(), v).cast(&DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))).map(Column::from)
}

fn totals(r: &Report) -> PolarsResult<DataFrame> {
    let rows = total_rows(&r.totals, &r.previous_totals);
    df!(
        "total" => rows.iter().map(|t| t.id).collect::<Vec<_>>(),
        "value" => rows.iter().map(|t| t.value).collect::<Vec<_>>(),
        "previous" => rows.iter().map(|t| t.previous).collect::<Vec<_>>(),
        "change" => rows.iter().map(|t| t.change()).collect::<Vec<_>>(),
        "change_pct" => rows.iter().map(|t| t.change_pct().map(|p| (p * 100.0).round() / 100.0)).collect::<Vec<_>>(),
    )
}

fn suspects(r: &Report) -> PolarsResult<DataFrame> {
    let s: Vec<_> = r.suspects.iter().map(|v| &v.suspect).collect();
    let since = times("since", s.iter().map(|s| s.since()))?;
    DataFrame::new_infer_height(vec![
        Column::new("who".into(), s.iter().map(|s| s.who.to_string()).collect::<Vec<_>>()),
        Column::new("kind".into(), s.iter().map(|s| s.who.kind()).collect::<Vec<_>>()),
        Column::new("score".into(), s.iter().map(|s| s.score).collect::<Vec<_>>()),
        since,
        Column::new("basis".into(), s.iter().map(|s| s.basis()).collect::<Vec<_>>()),
        Column::new("messages".into(), s.iter().map(|s| s.after.messages).collect::<Vec<_>>()),
        Column::new("recipients".into(), s.iter().map(|s| s.after.recipients).collect::<Vec<_>>()),
        Column::new("deferred_or_bounced".into(), s.iter().map(|s| s.after.troubled).collect::<Vec<_>>()),
        Column::new("client_ips".into(), s.iter().map(|s| s.after.client_ips).collect::<Vec<_>>()),
        Column::new("countries".into(), s.iter().map(|s| s.after.countries).collect::<Vec<_>>()),
        Column::new("still_queued".into(), s.iter().map(|s| s.after.still_queued).collect::<Vec<_>>()),
    ])
}

fn per_hour(r: &Report) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        times("hour", r.hours.iter().copied().map(Some))?,
        Column::new("messages".into(), &r.messages_per_hour),
        Column::new("auth_failures".into(), &r.auth_failures_per_hour),
    ])
}

fn account_hours(r: &Report) -> PolarsResult<DataFrame> {
    let (mut hour, mut account, mut messages) = (Vec::new(), Vec::new(), Vec::new());
    for (a, series) in &r.account_hours {
        for (h, n) in r.hours.iter().zip(series) {
            hour.push(Some(*h));
            account.push(a.as_str());
            messages.push(*n);
        }
    }
    DataFrame::new_infer_height(vec![
        times("hour", hour)?,
        Column::new("account".into(), account),
        Column::new("messages".into(), messages),
    ])
}

fn offenders(r: &Report) -> PolarsResult<DataFrame> {
    let o = &r.offenders;
    let ips: Vec<String> =
        o.iter().map(|o| o.ips.iter().map(|i| i.ip.as_str()).collect::<Vec<_>>().join(" ")).collect();
    DataFrame::new_infer_height(vec![
        Column::new("subject".into(), o.iter().map(|o| o.subject.as_str()).collect::<Vec<_>>()),
        Column::new("network".into(), o.iter().map(|o| o.network.as_str()).collect::<Vec<_>>()),
        Column::new("ips".into(), ips),
        Column::new("country".into(), o.iter().map(|o| o.country.as_deref()).collect::<Vec<_>>()),
        Column::new("asn".into(), o.iter().map(|o| o.asn).collect::<Vec<_>>()),
        Column::new("as_org".into(), o.iter().map(|o| o.as_org.as_deref()).collect::<Vec<_>>()),
        times("first", o.iter().map(|o| Some(o.first)))?,
        times("last", o.iter().map(|o| Some(o.last)))?,
        Column::new("auth_failures".into(), o.iter().map(|o| o.auth_failures).collect::<Vec<_>>()),
        Column::new("usernames_tried".into(), o.iter().map(|o| o.usernames_tried).collect::<Vec<_>>()),
        Column::new("rejects".into(), o.iter().map(|o| o.rejects).collect::<Vec<_>>()),
        Column::new("spam_messages".into(), o.iter().map(|o| o.spam_messages).collect::<Vec<_>>()),
    ])
}

fn evidence(r: &Report) -> PolarsResult<DataFrame> {
    let rows: Vec<_> =
        r.offenders.iter().flat_map(|o| o.evidence.iter().map(move |e| (o.subject.as_str(), e))).collect();
    DataFrame::new_infer_height(vec![
        Column::new("subject".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        times("time", rows.iter().map(|r| Some(r.1.time)))?,
        Column::new("file".into(), rows.iter().map(|r| r.1.file.as_str()).collect::<Vec<_>>()),
        Column::new("line".into(), rows.iter().map(|r| r.1.line).collect::<Vec<_>>()),
        Column::new("text".into(), rows.iter().map(|r| r.1.text.as_deref()).collect::<Vec<_>>()),
        Column::new("cursor".into(), rows.iter().map(|r| r.1.cursor.as_deref()).collect::<Vec<_>>()),
    ])
}
