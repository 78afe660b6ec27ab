//! The `queue` command's answer as a [`Document`], and its remedy: the
//! selected queue IDs for `postsuper`. Every string from a queue file
//! (accounts, addresses, subjects, file names) is attacker-written and
//! reaches people only through the document's escaping writers.

use super::doc::{Block, Document};
use crate::queue::tally::{Rank, Shape, BUCKETS};
use crate::queue::{Queued, Scan};
use crate::time::{rfc3339_utc, Micros, Zone};
use polars::prelude::*;

/// What the document says beyond the tallies.
pub struct Summary<'a> {
    pub spool: &'a str,
    pub scan: &'a Scan,
    /// The messages selected (all of them without a filter).
    pub selected: &'a [Queued],
    pub filtered: bool,
    pub shape_by: &'a str,
    pub now: Micros,
}

fn times(name: &str, t: Vec<Option<Micros>>) -> PolarsResult<Column> {
    Column::new(name.into(), t).cast(&DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)))
}

/// A ranking as a table whose first column is named `key`.
pub fn rank_frame(key: &str, rows: &[Rank]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        Column::new(key.into(), rows.iter().map(|r| r.key.as_str()).collect::<Vec<_>>()),
        Column::new("messages".into(), rows.iter().map(|r| r.messages).collect::<Vec<_>>()),
        Column::new("recipients".into(), rows.iter().map(|r| r.recipients).collect::<Vec<_>>()),
        Column::new("bytes".into(), rows.iter().map(|r| r.bytes).collect::<Vec<_>>()),
        times("oldest", rows.iter().map(|r| r.oldest).collect())?,
    ])
}

/// qshape's table: a row per key, a column per age bucket in minutes.
pub fn shape_frame(key: &str, rows: &[Shape]) -> PolarsResult<DataFrame> {
    let mut cols = vec![
        Column::new(key.into(), rows.iter().map(|r| r.key.as_str()).collect::<Vec<_>>()),
        Column::new("T".into(), rows.iter().map(|r| r.total).collect::<Vec<_>>()),
    ];
    let names = BUCKETS.iter().map(|b| b.to_string()).chain([format!("{}+", BUCKETS[BUCKETS.len() - 1])]);
    for (i, name) in names.enumerate() {
        cols.push(Column::new(name.into(), rows.iter().map(|r| r.buckets[i]).collect::<Vec<_>>()));
    }
    DataFrame::new_infer_height(cols)
}

/// Age in words, for the header: `3d 4h`, `12m`.
fn age(micros: Micros) -> String {
    let s = (micros / 1_000_000).max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m}m"),
        (0, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// The header lines and the input's problems.
pub fn header(d: &mut Document, s: &Summary, zone: &Zone) {
    let sel = s.selected;
    let pending: usize = sel.iter().map(|q| q.file.pending().count()).sum();
    let bytes: u64 = sel.iter().map(|q| q.size).sum();
    let oldest = sel.iter().filter_map(Queued::arrival).min();
    let scan = s.scan;
    let mut lines = vec![format!(
        "{}: {} files, {} messages read, {} gone while read (moved by qmgr), {} skipped",
        s.spool,
        scan.files,
        scan.read,
        scan.vanished,
        scan.skipped.len()
    )];
    let what = if s.filtered { "selected" } else { "queued" };
    lines.push(format!("{} messages {what}, {pending} recipients pending, {bytes} bytes", sel.len()));
    if let Some(t) = oldest {
        lines.push(format!("oldest arrived {} ({} ago)", zone.format(t, true), age(s.now - t)));
    }
    d.heading(2, "Postfix queue");
    d.push(Block::Lines(lines));
    d.data("spool", s.spool);
    d.data("files", scan.files);
    d.data("read", scan.read);
    d.data("vanished", scan.vanished);
    d.data("selected", sel.len());
    d.data("recipients_pending", pending);
    d.data("bytes", bytes);
    d.data("oldest", oldest.map(rfc3339_utc));
    let skipped: Vec<serde_json::Value> =
        scan.skipped.iter().map(|k| serde_json::json!({"file": k.path, "problem": k.why.to_string()})).collect();
    d.data("skipped", skipped);
    if !scan.skipped.is_empty() {
        let items = scan.skipped.iter().take(20).map(|k| format!("{}: {}", crate::text::cell(&k.path, 80), k.why));
        let mut items: Vec<String> = items.collect();
        if scan.skipped.len() > 20 {
            items.push(format!("… and {} more (--format json lists them all)", scan.skipped.len() - 20));
        }
        d.push(Block::List { lead: "Files skipped:".into(), items });
    }
}

/// One row per message, oldest first: what the file says of it, with the
/// first reason its `defer/` log gives.
pub fn list_frame(messages: &[Queued], geo: &crate::enrich::Geo) -> PolarsResult<DataFrame> {
    use crate::queue::tally::{keys, Key};
    let mut rows: Vec<&Queued> = messages.iter().collect();
    rows.sort_by_key(|q| (q.arrival(), q.id.as_str().to_string()));
    let first = |q: &Queued, key: Key| keys(q, key, geo).into_iter().next();
    let text = |key: Key| rows.iter().map(|q| first(q, key)).collect::<Vec<_>>();
    DataFrame::new_infer_height(vec![
        Column::new("queue_id".into(), rows.iter().map(|q| q.id.as_str()).collect::<Vec<_>>()),
        Column::new("queue".into(), rows.iter().map(|q| q.queue).collect::<Vec<_>>()),
        times("arrival", rows.iter().map(|q| q.arrival()).collect())?,
        Column::new("account".into(), text(Key::Account)),
        Column::new("uid".into(), rows.iter().map(|q| q.uid()).collect::<Vec<_>>()),
        Column::new("client_ip".into(), text(Key::Ip)),
        Column::new("country".into(), text(Key::Country)),
        Column::new("sender".into(), text(Key::Sender)),
        Column::new("recipients".into(), rows.iter().map(|q| q.file.pending().count() as u64).collect::<Vec<_>>()),
        Column::new("bytes".into(), rows.iter().map(|q| q.size).collect::<Vec<_>>()),
        Column::new("subject".into(), text(Key::Subject)),
        Column::new(
            "reason".into(),
            rows.iter().map(|q| q.reasons.iter().find_map(|r| r.reason.clone())).collect::<Vec<_>>(),
        ),
    ])
}

/// The selected IDs, one a line, for `postsuper -d -` or `postsuper -h -`:
/// queue IDs only, each checked as one when read, never a file name.
pub fn queue_ids(selected: &[Queued]) -> String {
    let mut out = String::with_capacity(selected.len() * 16);
    for q in selected {
        out.push_str(q.id.as_str());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(age(90 * 1_000_000), "1m");
        assert_eq!(age(3 * 3600 * 1_000_000 + 60_000_000), "3h 1m");
        assert_eq!(age(50 * 3600 * 1_000_000), "2d 2h");
    }
}
