//! One file per subcommand; each wires stages together for one question.

pub mod check;
pub mod console;
pub mod export;
pub mod geo;
pub mod live_queue;
pub mod queue;
pub mod quote;
pub mod report;
pub mod simulate;
pub mod summary;
pub mod suspects;
pub mod timeline;
pub mod timings;
pub mod top;
pub mod trace;
pub mod watch;

use crate::analyze::Frames;
use crate::cli::{InputArgs, OutputArgs};
use crate::ingest::{ingest_observed, Dataset, IngestOptions};
use crate::time::Zone;
use crate::window::Window;
use std::io::{BufWriter, IsTerminal, Write};

/// A request that cannot be carried out as asked (exit code 2, like a
/// command-line syntax error): a bad time, zone, or key/metric pair.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    /// Results were produced, but some input could not be read.
    Partial,
    /// What was asked for is not given, because the input does not allow
    /// it to be trusted (queue IDs for `postsuper` from input out of order).
    Refused,
}

/// What a command keeps of its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Load {
    /// Every message's line numbers (for `trace`).
    pub lines: bool,
    /// What only `trace` and `export` show (message-ids, relays, delays,
    /// DSNs, responses) and closed sessions; the frames the analyses build
    /// have no room for them.
    pub details: bool,
    /// The lines of standard input and the journal, which cannot be read
    /// twice, for quoting evidence.
    pub quote: bool,
    /// Each delivery's delays, without the other details (for the delay
    /// figures).
    pub delays: bool,
}

impl Load {
    /// The records whole, as `export` writes them.
    pub const DETAILS: Load = Load { lines: false, details: true, quote: false, delays: false };
    /// What the analyses (and `check`) read.
    pub const FRAMES: Load = Load { lines: false, details: false, quote: false, delays: false };
}

/// Reads the logs the user named, keeping `what`; diagnostics and progress
/// go to the console, which the dataset carries on to the later stages.
/// The journal, when it is read, is asked only for `window`.
pub fn load(input: &InputArgs, what: Load, window: &Window) -> anyhow::Result<Dataset> {
    let log_zone = log_zone(&input.log_tz)?;
    let (stores, paths) = crate::parquet::split(&input.paths);
    if what.lines && !stores.is_empty() {
        let why = "a Parquet dataset keeps no message's every line: give the logs it was exported from";
        return Err(UsageError(why.into()).into());
    }
    let journal_query = crate::source::journal::Query {
        directory: input.journal_dir.clone(),
        file: input.journal_file.clone(),
        since: window.since,
        until: window.until,
    };
    let opts = IngestOptions {
        paths,
        journal: input.reads_journal(),
        journal_query,
        exact: input.exact,
        year: input.year,
        log_zone,
        keep_lines: what.lines,
        keep_details: what.details,
        keep_delays: what.delays,
        keep_read_once: what.quote,
        progress: !input.quiet,
        verbose: !input.quiet,
    };
    let console = console::Console::handle(!input.quiet);
    let ds = match stores.is_empty() {
        true => ingest_observed(&opts, &console)?,
        false => crate::parquet::load(&opts, &stores, &console)?,
    };
    crate::timings::step("ingest");
    if !input.quiet {
        ds.diag.report_summary(&console);
    }
    Ok(ds)
}

/// `--log-tz`: the zone RFC 3164 timestamps were written in.
pub fn log_zone(arg: &str) -> Result<Zone, UsageError> {
    Zone::parse(arg).map_err(|e| UsageError(format!("--log-tz: {e}")))
}

/// The `--since`/`--until` window, read in the display zone.
pub fn window(input: &InputArgs, zone: &Zone) -> anyhow::Result<Window> {
    let now = chrono::Utc::now().timestamp_micros();
    Ok(Window::parse(input.since.as_deref(), input.until.as_deref(), zone, now).map_err(UsageError)?)
}

/// Reads the logs and builds the frames, cut to the window. `quote`: keep
/// the lines of standard input and the journal, for commands that quote
/// evidence.
pub fn load_frames(input: &InputArgs, zone: &Zone, quote: bool) -> anyhow::Result<(Dataset, Frames)> {
    let window = window(input, zone)?;
    let geo = geo(input)?;
    let mut ds = load(input, Load { quote, ..Load::FRAMES }, &window)?;
    let frames = Frames::build(&mut ds, &window, &geo)?;
    Ok((ds, frames))
}

/// The geolocation data the user chose (options, then environment, then the
/// embedded tables).
pub fn geo(input: &InputArgs) -> anyhow::Result<crate::enrich::Geo> {
    Ok(crate::enrich::Geo::from_env_or_args(input.geoip.as_deref(), input.asn_db.as_deref())?)
}

pub fn display_zone(output: &OutputArgs) -> anyhow::Result<Zone> {
    Ok(Zone::parse(&output.tz).map_err(|e| UsageError(format!("--tz: {e}")))?)
}

pub fn outcome(ds: &Dataset) -> Outcome {
    if ds.diag.input_incomplete() {
        Outcome::Partial
    } else {
        Outcome::Complete
    }
}

/// Buffered stdout; the caller must flush (errors, e.g. a closed pipe,
/// surface there).
pub fn stdout() -> BufWriter<std::io::StdoutLock<'static>> {
    console::writing(std::io::stdout().is_terminal());
    BufWriter::with_capacity(64 << 10, std::io::stdout().lock())
}

/// Writes, flushes, and returns the run's outcome.
///
/// The dataset is not dropped: freeing millions of small records took a
/// tenth of the run, and the process is about to exit anyway.
pub fn finish(mut out: impl Write, ds: Dataset) -> anyhow::Result<Outcome> {
    out.flush()?;
    ds.observer.progress(crate::diag::Progress::Done);
    crate::timings::step("output");
    let outcome = outcome(&ds);
    std::mem::forget(ds);
    Ok(outcome)
}
