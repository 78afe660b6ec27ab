//! `postsleuth summary` (the default): one screen of totals, the time span,
//! the input and its problems, and the top senders by every identity.

use super::{display_zone, finish, geo, load, stdout, window, Load, Outcome};
use crate::analyze::top::{Key, Metric};
use crate::analyze::{self, Frames, Totals};
use crate::cli::Io;
use crate::enrich::GeoColumns;
use crate::frame::Detail;
use crate::ingest::Dataset;
use crate::parallel::{in_order, Job};
use crate::render::doc::{Block, Document};
use crate::time::{rfc3339_utc, Zone};
use crate::window::Window;
use clap::Args;
use polars::prelude::*;

pub const SUMMARY_ABOUT: &str = "\
One screen: grand totals comparable to pflogsumm's (received, delivered, deferred, bounced,
rejected, held, discarded, bytes, senders, recipients), the time span and input read, then the
top 10 SASL accounts, local uids, client IPs, countries, sender domains and auth-failure
sources. This is what `postsleuth` runs when no command is given. --full adds pflogsumm's
sections: traffic per day and per hour of the day (a daily average for multi-day input).

Examples:
  postsleuth                                   /var/log/mail.log and its rotated siblings
  postsleuth sample-logs/ --since 2026-11-21 --until 2026-11-22
  postsleuth /var/log/mail.log --since yesterday --format json | jq .totals
  postsleuth --format markdown > summary.md";

#[derive(Args, Debug, Clone, Default)]
pub struct SummaryArgs {
    /// Also pflogsumm's sections: traffic per day and per hour of the day.
    #[arg(long)]
    pub full: bool,
    #[command(flatten)]
    pub io: Io,
}

const TOP: usize = 10;

/// The ranked sections: the same rankings `top` gives.
const SECTIONS: [(&str, Key, Metric); 6] = [
    ("Top SASL accounts", Key::Account, Metric::Messages),
    ("Top local uids (pickup)", Key::Uid, Metric::Messages),
    ("Top client IPs", Key::Ip, Metric::Messages),
    ("Top client countries", Key::Country, Metric::Messages),
    ("Top sender domains", Key::SenderDomain, Metric::Messages),
    ("Top auth-failure sources", Key::Ip, Metric::AuthFailures),
];

pub fn run(a: &SummaryArgs) -> anyhow::Result<Outcome> {
    let zone = display_zone(&a.io.output)?;
    let window = window(&a.io.input, &zone)?;
    let geo = geo(&a.io.input)?;
    geo.warm_up_countries();
    let mut ds = load(&a.io.input, Load::FRAMES, &window)?;
    // Cut to a window, the rankings' delivery figures come from the
    // window's deliveries (as the totals' do), which needs the columns that
    // say whose each delivery is; without one, every delivery is in, and
    // the messages' own counts say the same for less memory.
    let detail = if window.is_open() { Detail::Summary } else { Detail::Analysis };
    let mut frames = Frames::build_ungeolocated(&mut ds, &window, detail)?;
    // The totals need no geolocation: they are counted on a second core
    // while this one geolocates (both a few tenths of a second on a big log).
    // Only the messages' clients: no section ranks logins or rejects by country.
    crate::timings::step("frames");
    let ungeolocated = frames.clone();
    let (totals, geolocated) = std::thread::scope(|s| {
        let counting = std::thread::Builder::new().spawn_scoped(s, || analyze::totals(&ungeolocated));
        let geolocated = frames.geolocate_messages(&geo, GeoColumns::Country);
        let totals = match counting {
            Ok(thread) => thread.join().map_err(|_| anyhow::anyhow!("counting the totals failed")),
            // A thread the system refuses is no error: they are counted here.
            Err(_) => Ok(analyze::totals(&ungeolocated)),
        };
        (totals, geolocated)
    });
    let totals = totals??;
    geolocated?;
    crate::mem::give_back();
    crate::timings::step("totals");
    let mut tables = rankings(&frames)?;
    crate::timings::step("rankings");
    if a.full {
        // The days the figures are of: the input's, cut to the window.
        let span = ds.span.map(|(a, b)| (window.since.map_or(a, |s| a.max(s)), window.until.map_or(b, |u| b.min(u))));
        tables.push(("Traffic per day".into(), analyze::traffic::per_day(&frames, &zone, span)?));
        // Over several days, the figures are each hour's daily average.
        tables.push(("Traffic per hour".into(), analyze::traffic::per_hour(&frames, &zone, span)?));
    }
    let mut out = stdout();
    let doc = document(&ds, &window, &totals, tables, &zone)?;
    crate::render::doc::write(&doc, a.io.output.format, &zone, &mut out)?;
    finish(out, ds)
}

/// The ranked sections, on all cores: each is one small query, and
/// queries this small leave the second core idle.
fn rankings(frames: &Frames) -> anyhow::Result<Vec<(String, DataFrame)>> {
    let rank = move |(title, key, metric): (&'static str, Key, Metric)| -> anyhow::Result<(String, DataFrame)> {
        let mut query = analyze::top::top(frames, key, metric, None, TOP)?;
        // One screen: the volume rankings leave bytes and times to `top`.
        // Left out of the query, they are not even aggregated.
        if metric == Metric::Messages {
            query = query.select([all().exclude_cols(["bytes", "first", "last"]).as_expr()]);
        }
        let mut frame = query.collect()?;
        // Distinct recipients too, which only a window's frames count:
        // the sections have the same columns with a window and without.
        if frame.column("distinct_recipients").is_ok() {
            frame = frame.drop("distinct_recipients")?;
        }
        Ok((title.to_string(), frame))
    };
    let jobs: Vec<Job<_>> = SECTIONS.into_iter().map(|section| Box::new(move || rank(section)) as Job<_>).collect();
    in_order(jobs, 2).into_iter().collect()
}

fn totals_frame(t: &Totals) -> PolarsResult<DataFrame> {
    let rows: [(&str, u64); 16] = [
        ("received", t.received),
        ("delivered", t.delivered),
        ("deferred", t.deferred),
        ("bounced", t.bounced),
        ("rejected", t.rejected),
        ("held", t.held),
        ("discarded", t.discarded),
        ("expired", t.expired),
        ("deleted by postsuper", t.deleted),
        ("still queued at end", t.still_queued),
        ("bytes received", t.bytes_received),
        ("bytes delivered", t.bytes_delivered),
        ("senders", t.senders),
        ("distinct recipients", t.distinct_recipients),
        ("auth failures", t.auth_failures),
        ("auth successes", t.auth_successes),
    ];
    df!("total" => rows.iter().map(|r| r.0).collect::<Vec<_>>(), "value" => rows.iter().map(|r| r.1).collect::<Vec<_>>())
}

/// The logs' span, the window the figures are cut to (when one was asked
/// for: the span alone read as if `--since` had been ignored), and the input.
fn header(ds: &Dataset, window: &Window, zone: &Zone) -> String {
    let mut span = ds
        .span
        .map_or("no timestamps".into(), |(a, b)| format!("{} .. {}", zone.format(a, true), zone.format(b, true)));
    if !window.is_open() {
        let end = |t: Option<i64>| t.map_or("…".to_string(), |t| zone.format(t, true));
        span.push_str(&format!("\nfigures for {} .. {} (--since/--until)", end(window.since), end(window.until)));
    }
    let lines: u64 = ds.diag.files.iter().map(|f| f.lines).sum();
    format!(
        "{span}\n{} file{}, {lines} lines ({} Postfix, {} other programs), {} skipped",
        ds.diag.files.len(),
        if ds.diag.files.len() == 1 { "" } else { "s" },
        ds.diag.postfix_lines,
        ds.diag.other_lines,
        ds.diag.skipped_total()
    )
}

/// What was skipped or damaged, first, so that nobody reads the figures
/// without knowing they are partial; stderr said it too, but scrolled away.
fn input_problems(d: &mut Document, ds: &Dataset) {
    let problems = ds.diag.problems();
    let rows: Vec<serde_json::Value> =
        problems.iter().map(|(file, problem)| serde_json::json!({"file": file, "problem": problem})).collect();
    d.data("input_problems", rows);
    if problems.is_empty() {
        return;
    }
    let items = problems.iter().map(|(file, problem)| format!("{}: {problem}", crate::text::cell(file, 80)));
    d.push(Block::List { lead: "Input problems:".into(), items: items.collect() });
}

/// The summary: the input read, the totals, the rankings, the problems.
fn document(
    ds: &Dataset,
    window: &Window,
    totals: &Totals,
    tables: Vec<(String, DataFrame)>,
    zone: &Zone,
) -> anyhow::Result<Document> {
    let mut d = Document::default();
    d.heading(2, "Postfix log summary");
    d.push(Block::Lines(header(ds, window, zone).lines().map(str::to_string).collect()));
    input_problems(&mut d, ds);
    d.data("first", ds.span.map(|s| rfc3339_utc(s.0)));
    d.data("last", ds.span.map(|s| rfc3339_utc(s.1)));
    d.data("since", window.since.map(rfc3339_utc));
    d.data("until", window.until.map(rfc3339_utc));
    let files: Vec<serde_json::Value> = ds
        .diag
        .files
        .iter()
        .map(|f| {
            serde_json::json!({"file": f.name, "lines": f.lines, "skipped": f.skipped_total(),
                "repaired_utf8": f.repaired_utf8, "padding": f.padding, "error": f.error})
        })
        .collect();
    d.data("files", files);
    d.heading(2, "Grand totals");
    d.push(Block::Table { key: None, frame: totals_frame(totals)?, people: true, csv: true });
    d.data("totals", serde_json::to_value(totals)?);
    for (title, frame) in tables {
        let key = title.to_lowercase().replace(['(', ')'], "").replace([' ', '-'], "_");
        d.heading(2, title);
        d.push(Block::Table { key: Some(key), frame, people: true, csv: true });
    }
    let unrecognised: serde_json::Map<String, serde_json::Value> = ds
        .diag
        .unrecognised
        .iter()
        .map(|(d, (n, s))| (d.clone(), serde_json::json!({"count": n, "sample": s})))
        .collect();
    d.data("unrecognised", unrecognised);
    // Postfix lines no rule recognised: never dropped silently.
    if !ds.diag.unrecognised.is_empty() {
        let items = ds.diag.unrecognised.iter().map(|(daemon, (n, sample))| {
            format!("{n:>8}  {}: {}", crate::text::cell(daemon, 30), crate::text::cell(sample, 100))
        });
        d.push(Block::List {
            lead: "Unrecognised Postfix lines (per daemon, with a sample):".into(),
            items: items.collect(),
        });
    }
    Ok(d)
}
