//! `postsleuth export --table T`: correlated records as rows; `export
//! --format parquet --out DIR`: all of them as a dataset.

use super::{display_zone, finish, geo, load, stdout, window, Load, Outcome, UsageError};
use crate::analyze::in_window;
use crate::cli::{InputArgs, OutputArgs};
use crate::frame;
use crate::frame::Table;
use crate::render::Format;
use crate::window::Window;
use clap::{Args, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub const EXPORT_ABOUT: &str = "\
Dump correlated records as rows, one table at a time, for your own analysis; or all of them
as a Parquet dataset that every analysis, DuckDB and Spark read (sql/SCHEMA.md describes it).

Tables: messages (one per queue ID life), deliveries (one per recipient per attempt), auth
(logins, successful and failed), rejects (NOQUEUE, milter, before-queue filter and cleanup
verdicts), sessions (smtpd connect → disconnect, or known from an abort), client-events
(postscreen and tlsproxy verdicts, dnsblog listings, anvil statistics, smtpd warnings naming
a client), relay-failures (smtp/lmtp's connect to, host said, lost connection with…, with the
delivery line they explain). Timestamps are UTC (RFC 3339).

--format parquet --out DIR writes every table into DIR/table=T/host=H/date=D/ (D the UTC day;
a message goes with the day of its original submission, with its deliveries), plus what the
analyses need besides: the inputs read and their problems, and the raw text of the lines its
messages, logins and rejects point to. A partition replaces the one of the same host and day
(exporting a day twice gives its rows once); other hosts' and days' stay: so each server
exports its own day from cron, and `postsleuth summary DIR` ranks the whole fleet. With
--since/--until, whole UTC days only.

Examples:
  postsleuth export --table messages --format csv > messages.csv
  postsleuth export --table auth --format json sample-logs/ | jq '.[] | select(.success == false)'
  postsleuth export --format parquet --out /srv/mail --tz UTC --since yesterday --until today
  postsleuth summary /srv/mail";

#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    /// The table to write [default: messages]; --format parquet writes them all.
    #[arg(long, value_enum)]
    pub table: Option<Table>,
    /// The dataset folder --format parquet writes into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: ExportOutput,
}

/// [`OutputArgs`] with one format more.
#[derive(Args, Debug, Clone)]
pub struct ExportOutput {
    #[arg(long, value_enum, default_value_t = ExportFormat::Table)]
    pub format: ExportFormat,
    /// Zone for displayed times (IANA name, `UTC`, or `local`). JSON and CSV use UTC; with --format parquet, --since and --until are read in it.
    #[arg(long, value_name = "ZONE", default_value = "local")]
    pub tz: String,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Aligned table for the terminal.
    Table,
    /// JSON: an array of row objects with snake_case keys.
    Json,
    /// RFC 4180 CSV with a header row; formula-like cells are neutralised.
    Csv,
    /// GitHub-flavoured Markdown table.
    Markdown,
    /// Every table as a Hive-partitioned Parquet dataset in --out DIR.
    Parquet,
}

impl ExportFormat {
    fn rows(self) -> Option<Format> {
        match self {
            ExportFormat::Table => Some(Format::Table),
            ExportFormat::Json => Some(Format::Json),
            ExportFormat::Csv => Some(Format::Csv),
            ExportFormat::Markdown => Some(Format::Markdown),
            ExportFormat::Parquet => None,
        }
    }
}

pub fn run(a: &ExportArgs) -> anyhow::Result<Outcome> {
    let output = OutputArgs { format: a.output.format.rows().unwrap_or_default(), tz: a.output.tz.clone() };
    let zone = display_zone(&output)?;
    let window = window(&a.input, &zone)?;
    let (format, out) = match (a.output.format.rows(), &a.out, a.table) {
        (None, Some(out), None) => return parquet(a, out, &window),
        (None, None, _) => {
            return Err(UsageError("--format parquet writes a dataset: name its folder with --out DIR".into()).into())
        }
        (None, Some(_), Some(_)) => {
            return Err(UsageError("--format parquet writes every table: leave out --table".into()).into())
        }
        (Some(_), Some(_), _) => return Err(UsageError("--out is for --format parquet".into()).into()),
        (Some(format), None, _) => (format, stdout()),
    };
    let ds = load(&a.input, Load::DETAILS, &window)?;
    let df = match a.table.unwrap_or(Table::Messages) {
        Table::Messages => in_window(frame::messages(&ds, frame::Detail::All)?, "first_seen", &window)?,
        Table::Deliveries => in_window(frame::deliveries(&ds, frame::Detail::All)?, "time", &window)?,
        Table::Auth => in_window(frame::auth(&ds, frame::Detail::All)?, "time", &window)?,
        Table::Rejects => in_window(frame::rejects(&ds, frame::Detail::All)?, "time", &window)?,
        Table::Sessions => in_window(frame::sessions(&ds)?, "start", &window)?,
        Table::ClientEvents => in_window(frame::client_events(&ds)?, "time", &window)?,
        Table::RelayFailures => in_window(frame::relay_failures(&ds)?, "time", &window)?,
    };
    let mut out = out;
    crate::render::write_frame(&df, format, &zone, &mut out)?;
    finish(out, ds)
}

/// The dataset: every record of the window, by host and UTC day.
fn parquet(a: &ExportArgs, out: &Path, window: &Window) -> anyhow::Result<Outcome> {
    // A partition is replaced whole: a window that cut a day would leave
    // that day with only part of its records.
    for (name, bound) in [("--since", window.since), ("--until", window.until)] {
        if bound.is_some_and(|t| t.rem_euclid(86_400_000_000) != 0) {
            return Err(UsageError(format!(
                "{name}: a dataset holds whole UTC days: give a UTC midnight (e.g. --tz UTC --since yesterday --until today)"
            ))
            .into());
        }
    }
    let geo = geo(&a.input)?;
    // Standard input's lines are kept: the dataset quotes its evidence.
    let ds = load(&a.input, Load { quote: true, ..Load::DETAILS }, window)?;
    let written = crate::parquet::export(&ds, out, window, &geo)?;
    if !a.input.quiet && std::io::stderr().is_terminal() {
        let n = written.partitions.len();
        super::console::say(&format!(
            "postsleuth: wrote {n} partition{} (host and day) to {}",
            if n == 1 { "" } else { "s" },
            crate::text::printable(&out.display().to_string())
        ));
    }
    finish(std::io::sink(), ds)
}
