//! `postsleuth report`: a periodic abuse report (Markdown, HTML with
//! charts, JSON, CSV) written as one dated folder, for cron.
//!
//! Silent on success (cron mails any output); problems go to stderr with
//! the usual exit codes. The folder appears whole or not at all.

use super::{finish, geo, load, window, Load, Outcome, UsageError};
use crate::analyze::report::ReportPeriod;
use crate::analyze::report::{build, choose_period, Evidence, Limits, Period};
use crate::analyze::Frames;
use crate::cli::InputArgs;
use crate::ingest::Dataset;
use crate::render::report::{publish::publish, render, InputFile, Meta};
use crate::time::{rfc3339_utc, Micros, Zone};
use crate::window::Window;
use clap::Args;

use std::io::IsTerminal;
use std::path::PathBuf;

pub const REPORT_ABOUT: &str = "\
Write a periodic abuse report into OUT/LABEL/: report.md, report.html (one self-contained file,
inline SVG charts, no scripts, no network), report.json (every figure) and one CSV per table.
It holds the totals and their change against the previous period, the suspects (compromised
accounts and uids, with their compromise time and evidence, as `suspects` finds them), the top
accounts, uids, IPs, networks, countries, ASNs and sender domains, auth failures, rejects by type
(RBL and its list, relay denied, unknown user, …) and by reason, delivery-delay percentiles,
charts per hour, and one block of evidence (UTC, with sample log lines) per offending IP or network, ready for its
abuse desk: brute-force and reject sources, and the botnet that sent as a compromised account.

The period: with neither --since nor --until, the last complete day, week (Monday to Sunday)
or month before now, in --tz, so that a cron job after midnight reports on the day before;
--since alone picks the period holding that time; --since and --until together report exactly
that window. LABEL is 2026-11-22 (day), 2026-W47 (week), 2026-11 (month) or START_END.

Cron-friendly: nothing on stdout; the folder is written under a temporary name and renamed,
so a report is either complete or absent (a re-run replaces it whole); the same input gives the
same files except for the one generated-at line (SOURCE_DATE_EPOCH fixes that too).

Examples:
  postsleuth report                                    yesterday, from /var/log/mail.log*
  postsleuth report --period week --out /srv/reports   last week (cron: Mondays at 00:10)
  postsleuth report --period day --since 2026-11-21 --tz UTC --out reports sample-logs/
  postsleuth report --since '2026-11-21 08:00' --until '2026-11-21 20:00' /var/log/mail.log

Crontab:
  5 0 * * *  postsleuth report --out /srv/reports --quiet";

#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Length of the period reported on, and of the previous one it is compared with.
    #[arg(long, value_enum, default_value_t = ReportPeriod::Day)]
    pub period: ReportPeriod,
    /// Directory the dated report folder is written into (created if missing).
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Zone for the period's boundaries and the times shown (abuse-desk evidence is always UTC).
    #[arg(long, value_name = "ZONE", default_value = "local")]
    pub tz: String,
    /// Rows per ranking.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Auth failures from one network (/24, /64) that make it an offender for the abuse desk.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub min_failures: u64,
    /// Rejected commands from one network that make it an offender for the abuse desk.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub min_rejects: u64,
    /// Abuse-desk blocks shown in report.md and report.html (all are in report.json and offenders.csv).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub abuse_limit: usize,
    #[command(flatten)]
    pub input: InputArgs,
}

pub fn run(a: &ReportArgs) -> anyhow::Result<Outcome> {
    let zone = Zone::parse(&a.tz).map_err(|e| UsageError(format!("--tz: {e}")))?;
    let bounds = window(&a.input, &zone)?;
    let now = chrono::Utc::now().timestamp_micros();
    let period = choose_period(a.period, bounds.since, bounds.until, &zone, now).map_err(UsageError)?;
    let geo = geo(&a.input)?;
    // Up to the period's end: suspects learn from the history before it,
    // and nothing after it changes a report once written.
    let known = Window { since: None, until: Some(period.current.end) };
    // The deliveries' delays too, for their percentiles.
    let mut ds = load(&a.input, Load { quote: true, delays: true, ..Load::FRAMES }, &known)?;
    ensure_covered(&ds, &period, &zone)?;
    let frames = Frames::build_with(&mut ds, &known, &geo, crate::frame::Detail::Sections)?;
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
    let mut evidence: Vec<&mut Evidence> = evidence.collect();
    let quoted = super::quote::quote(ds, evidence.iter().map(|e| (e.file.as_str(), e.line)));
    for e in &mut evidence {
        let fetched = quoted.get(&e.file, e.line);
        e.cursor = fetched.as_ref().and_then(|f| f.cursor.clone());
        e.text = fetched.map(|f| f.text);
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
