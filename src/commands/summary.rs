//! `postsleuth summary` (the default): one screen of totals, the time span,
//! the input and its problems, and the top senders by every identity.

use super::{display_zone, finish, geo, load, stdout, window, Load, Outcome};
use crate::analyze::sections::{self, Keep, Section};
use crate::analyze::top::{Key, Metric};
use crate::analyze::{self, in_window, Frames, Totals};
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
sources. This is what `postsleuth` runs when no command is given.

--full adds every section pflogsumm and postfix-logwatch users read; --section picks some
(comma-separated, shown in the order below): traffic per day and per hour of the day (a daily
average for multi-day input), delivery by recipient domain and received by sender domain,
senders and recipients by count and by bytes, deferrals, bounces, rejects (by type and by
reason) and reject warnings, smtpd connections, postscreen verdicts and DNSBL listings,
delivery-delay percentiles, SASL accounts by method and client, and warnings, fatal errors,
panics and master's messages (over all the input read, with a sample line each). Reasons are
grouped by DSN and their text with the addresses, IPs, hosts, queue IDs and numbers replaced.
Sections that read relays, replies, sessions or postscreen keep every line's details, those
that read delays each delivery's delays: they take more memory than the plain summary.

Examples:
  postsleuth                                   /var/log/mail.log and its rotated siblings
  postsleuth sample-logs/ --since 2026-11-21 --until 2026-11-22
  postsleuth /var/log/mail.log --since yesterday --format json | jq .totals
  postsleuth --full --format markdown > summary.md
  postsleuth --section rejects,delays --limit 20 /var/log/mail.log";

#[derive(Args, Debug, Clone, Default)]
pub struct SummaryArgs {
    /// Every section (see --section): pflogsumm's and postfix-logwatch's too.
    #[arg(long, conflicts_with = "section")]
    pub full: bool,
    /// Only these sections (comma-separated); without it: totals,rankings.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "SECTION")]
    pub section: Vec<Section>,
    /// Rows per ranked table.
    #[arg(long, short = 'n', value_name = "N", default_value_t = TOP)]
    pub limit: usize,
    #[command(flatten)]
    pub io: Io,
}

impl SummaryArgs {
    /// The sections asked for, in the order they are shown.
    fn sections(&self) -> Vec<Section> {
        let mut s = match (self.full, self.section.is_empty()) {
            (true, _) => Section::all(),
            (false, true) => Section::DEFAULT.to_vec(),
            (false, false) => self.section.clone(),
        };
        s.sort();
        s.dedup();
        s
    }
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
    let sections = a.sections();
    let has = |s: Section| sections.contains(&s);
    let keep = sections.iter().map(|s| s.keeps()).max().unwrap_or(Keep::Records);
    if has(Section::Rankings) {
        geo.warm_up_countries();
    }
    let load_what = match keep {
        Keep::Records => Load::FRAMES,
        Keep::Delays => Load { delays: true, ..Load::FRAMES },
        Keep::Details => Load::DETAILS,
    };
    let mut ds = load(&a.io.input, load_what, &window)?;
    let detail = frame_columns(&sections, &window);
    // Sessions and client events are dropped as the frames are built.
    let sessions = has(Section::Connections).then(|| crate::frame::sessions(&ds)).transpose()?;
    let sessions = sessions.map(|s| in_window(s, "end", &window)).transpose()?;
    let events = has(Section::Postscreen).then(|| crate::frame::client_events(&ds)).transpose()?;
    let events = events.map(|e| in_window(e, "time", &window)).transpose()?;
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
    let mut tables = if has(Section::Rankings) { rankings(&frames, a.limit)? } else { Vec::new() };
    crate::timings::step("rankings");
    // The days the figures are of: the input's, cut to the window.
    let span = ds.span.map(|(a, b)| (window.since.map_or(a, |s| a.max(s)), window.until.map_or(b, |u| b.min(u))));
    let inputs = sections::Inputs {
        frames: &frames,
        sessions: sessions.as_ref(),
        client_events: events.as_ref(),
        warnings: &ds.diag.warnings,
        zone: &zone,
        span,
        limit: a.limit,
    };
    tables.extend(pflogsumm_sections(&sections, &inputs)?);
    let mut out = stdout();
    let doc = document(&ds, &window, has(Section::Totals).then_some(&totals), tables, &zone)?;
    crate::render::doc::write(&doc, a.io.output.format, &zone, &mut out)?;
    finish(out, ds)
}

/// The frames' columns the sections read. Cut to a window, the rankings'
/// delivery figures come from the window's deliveries (as the totals' do),
/// which needs the columns that say whose each delivery is; without one,
/// every delivery is in, and the messages' own counts say the same for
/// less memory.
fn frame_columns(sections: &[Section], window: &Window) -> Detail {
    let wide = |d: Detail| match d {
        Detail::Summary => 0,
        Detail::Analysis => 1,
        Detail::Sections => 2,
        Detail::All => 3,
    };
    let mut widest = sections.iter().map(|s| s.columns()).max_by_key(|&d| wide(d)).unwrap_or(Detail::Summary);
    if !window.is_open() && widest == Detail::Summary {
        widest = Detail::Analysis;
    }
    widest
}

/// A table of the summary: its JSON key, its title, its rows.
type Titled = (String, String, DataFrame);

/// The sections beyond the totals and rankings, on all cores.
fn pflogsumm_sections(sections: &[Section], inputs: &sections::Inputs) -> anyhow::Result<Vec<Titled>> {
    let jobs: Vec<Job<PolarsResult<Vec<sections::Table>>>> =
        sections.iter().map(|&s| Box::new(move || sections::tables(s, inputs)) as Job<_>).collect();
    let mut out = Vec::new();
    for tables in in_order(jobs, 2) {
        out.extend(tables?.into_iter().map(|t| (t.key.to_string(), t.title.to_string(), t.frame)));
    }
    Ok(out)
}

/// The ranked sections, on all cores: each is one small query, and
/// queries this small leave the second core idle.
fn rankings(frames: &Frames, limit: usize) -> anyhow::Result<Vec<Titled>> {
    let rank = move |(title, key, metric): (&'static str, Key, Metric)| -> anyhow::Result<Titled> {
        let mut query = analyze::top::top(frames, key, metric, None, limit)?;
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
        let key = title.to_lowercase().replace(['(', ')'], "").replace([' ', '-'], "_");
        Ok((key, title.to_string(), frame))
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
    totals: Option<&Totals>,
    tables: Vec<Titled>,
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
    if let Some(totals) = totals {
        d.heading(2, "Grand totals");
        d.push(Block::Table { key: None, frame: totals_frame(totals)?, people: true, csv: true });
        d.data("totals", serde_json::to_value(totals)?);
    }
    for (key, title, frame) in tables {
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
