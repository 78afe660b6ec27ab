//! `postsleuth report`: a periodic abuse report (Markdown, HTML with
//! charts, JSON, CSV) written as one dated folder, for cron.
//!
//! Silent on success (cron mails any output); problems go to stderr with
//! the usual exit codes. The folder appears whole or not at all.

use super::{finish, geo, load, window, Load, Outcome, UsageError};
use crate::analyze::report::{build, choose_period, Evidence, Limits, Period};
use crate::analyze::Frames;
use crate::cli::ReportArgs;
use crate::correlate::LineRef;
use crate::ingest::Dataset;
use crate::render::report::{publish::publish, render, InputFile, Meta};
use crate::source::fetch::fetch_lines;
use crate::time::{rfc3339_utc, Micros, Zone};
use crate::window::Window;
use std::collections::{BTreeSet, HashMap};
use std::io::IsTerminal;

pub fn run(a: &ReportArgs) -> anyhow::Result<Outcome> {
    let zone = Zone::parse(&a.tz).map_err(|e| UsageError(format!("--tz: {e}")))?;
    let bounds = window(&a.input, &zone)?;
    let now = chrono::Utc::now().timestamp_micros();
    let period = choose_period(a.period, bounds.since, bounds.until, &zone, now).map_err(UsageError)?;
    let geo = geo(&a.input)?;
    let mut ds = load(&a.input, Load { lines: a.input.reads_stdin(), ..Load::FRAMES })?;
    ensure_covered(&ds, &period, &zone)?;
    // Up to the period's end: suspects learn from the history before it,
    // and nothing after it changes a report once written.
    let known = Window { since: None, until: Some(period.current.end) };
    let frames = Frames::build(&mut ds, &known, &geo)?;
    let limits = Limits { top: a.limit, min_failures: a.min_failures, min_rejects: a.min_rejects };
    let mut report = build(&frames, &period, &limits)?;
    let offenders = report.offenders.iter_mut().flat_map(|o| o.evidence.iter_mut());
    let suspects = report.suspects.iter_mut().flat_map(|s| s.evidence.iter_mut().map(|(_, e)| e));
    quote_evidence(&ds, offenders.chain(suspects));
    let meta = meta(&ds, &period, zone, geo.describe(), a.abuse_limit);
    let files = render(&report, &meta)?;
    let dir = publish(&a.out, &period.label, &files)?;
    if !a.input.quiet && std::io::stderr().is_terminal() {
        super::console::say(&format!("postsleuth: wrote {}", crate::text::printable(&dir.display().to_string())));
    }
    finish(std::io::sink(), ds)
}

/// A report on a period the logs do not reach would be all zeros: more
/// likely a wrong period than a quiet server, so it is an error.
fn ensure_covered(ds: &Dataset, period: &Period, zone: &Zone) -> anyhow::Result<()> {
    let span = ds.span.filter(|&(first, last)| period.current.overlaps(first, last));
    if span.is_none() {
        let logs = ds.span.map_or("no timestamped line".to_string(), |(a, b)| {
            format!("lines from {} to {}", fmt(a, zone), fmt(b, zone))
        });
        anyhow::bail!(
            "nothing to report for {} {} ({} to {}): the logs hold {logs}; choose the period with --since",
            period.kind,
            period.label,
            fmt(period.current.start, zone),
            fmt(period.current.end, zone)
        );
    }
    Ok(())
}

fn fmt(t: Micros, zone: &Zone) -> String {
    zone.format(t, true)
}

/// Fills in the raw text of evidence lines, read back from the input.
fn quote_evidence<'a>(ds: &Dataset, evidence: impl Iterator<Item = &'a mut Evidence>) {
    let index: HashMap<String, u32> = ds.inputs.iter().enumerate().map(|(i, f)| (f.display(), i as u32)).collect();
    let mut wanted: Vec<(&'a mut Evidence, Option<LineRef>)> = evidence
        .map(|e| {
            let r = index.get(&e.file).map(|&file| LineRef { file, line: e.line });
            (e, r)
        })
        .collect();
    let refs: BTreeSet<LineRef> = wanted.iter().filter_map(|(_, r)| *r).collect();
    let text = fetch_lines(&ds.inputs, &refs, &ds.stdin_lines);
    for (e, r) in &mut wanted {
        e.text = r.and_then(|r| text.get(&r).cloned());
    }
}

/// How late the logs may begin and still cover the previous period.
const GRACE: Micros = 3600 * 1_000_000;

fn meta(ds: &Dataset, period: &Period, zone: Zone, geo: String, abuse_limit: usize) -> Meta {
    let files = ds
        .diag
        .files
        .iter()
        .map(|f| InputFile { name: f.name.clone(), lines: f.lines, skipped: f.skipped_total(), error: f.error.clone() })
        .collect();
    Meta {
        generated_at: rfc3339_utc(generated_at()),
        version: env!("CARGO_PKG_VERSION"),
        zone,
        files,
        span: ds.span,
        partial: ds.diag.input_incomplete(),
        // A log that starts a little after midnight still covers the day.
        previous_partial: ds.span.is_some_and(|(first, _)| first > period.previous.start + GRACE),
        geo,
        abuse_limit,
    }
}

/// Now, or `SOURCE_DATE_EPOCH` (seconds) for reproducible output, the
/// convention of reproducible builds.
fn generated_at() -> Micros {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| s.checked_mul(1_000_000))
        .unwrap_or_else(|| chrono::Utc::now().timestamp_micros())
}
