//! `postsleuth simulate`: writes a realistic, rotated Postfix log set with a
//! known incident in it, plus `truth.json` saying what an analyzer should find.
//!
//! The logs are the product of a discrete-event simulation (see `engine`):
//! SMTP sessions, queue files and arrival processes are small state machines
//! stepped in time order, so lines come out sorted and nothing but the flows
//! in progress is held in memory. All randomness comes from one seeded PRNG:
//! the same options give byte-identical files.

mod clock;
mod compose;
mod delivery;
mod engine;
mod ids;
mod live;
mod message;
mod names;
mod net;
mod noise;
mod pids;
mod put;
mod rng;
mod scenario;
mod session;
mod truth;
mod world;
mod writer;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

pub use live::LiveOptions;
pub use truth::{BruteForce, Evidence, Span, Truth, TruthFile};

/// The incident to plant in the logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Password guessing, then a stolen SASL account sends spam from a botnet.
    SaslCompromise,
    /// A compromised web application (uid 33) injects spam via `sendmail`.
    WebappScript,
    /// Normal traffic only.
    Quiet,
    /// A short wave, the takeover from a guessing address, and the input ends
    /// about ten minutes into a fast spam run (nobody has reacted yet).
    EarlyCaught,
    /// Under an hour of log: a victim with almost no history, a short wave,
    /// the takeover and a burst of 50–200 messages within minutes.
    ShortHistory,
    /// 30–60 failures from 20–40 addresses, one or two each, over minutes
    /// (Postfix 3.9 with Dovecot SASL wording).
    SlowBruteForce,
    /// The first login comes from a network that never failed.
    SeparateInfra,
    /// The first login and part of the botnet over IPv6.
    Ipv6Attacker,
    /// `smtpd_client_port_logging = yes`: `client=name[ip]:port`.
    PortLogging,
    /// Dovecot SASL with `auth_verbose`: Dovecot's own `passwd-file` lines
    /// beside Postfix 3.9's failure lines.
    DovecotFailures,
    /// The admin resets the password: the bots' retries fail, a few queued
    /// spam messages are held and the rest deleted.
    ResetRetry,
    /// No compromise: a user sends from a hotel abroad.
    TrapTravel,
    /// No compromise: a user mistypes his password once.
    TrapTypo,
    /// No compromise: a new local uid sends a couple of cron mails.
    TrapCron,
    /// No compromise: the three traps in one log.
    Traps,
}

/// The syslog timestamp shape of every line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimestampFormat {
    /// `Nov 20 03:13:00` (no year; analyzers infer it from the file's mtime).
    Rfc3164,
    /// `2026-11-20T03:13:00.123456+00:00`.
    Rfc3339,
}

/// A name on the command line that is not one of the choices.
#[derive(Debug, thiserror::Error)]
#[error("unknown {what} {value:?} (expected one of: {expected})")]
pub struct ParseNameError {
    what: &'static str,
    value: String,
    expected: &'static str,
}

const SCENARIO_NAMES: [(&str, Scenario); 15] = [
    ("sasl-compromise", Scenario::SaslCompromise),
    ("webapp-script", Scenario::WebappScript),
    ("quiet", Scenario::Quiet),
    ("early-caught", Scenario::EarlyCaught),
    ("short-history", Scenario::ShortHistory),
    ("slow-brute-force", Scenario::SlowBruteForce),
    ("separate-infra", Scenario::SeparateInfra),
    ("ipv6-attacker", Scenario::Ipv6Attacker),
    ("port-logging", Scenario::PortLogging),
    ("dovecot-failures", Scenario::DovecotFailures),
    ("reset-retry", Scenario::ResetRetry),
    ("trap-travel", Scenario::TrapTravel),
    ("trap-typo", Scenario::TrapTypo),
    ("trap-cron", Scenario::TrapCron),
    ("traps", Scenario::Traps),
];

/// Every scenario name, for messages and `--help`.
pub const SCENARIO_LIST: &str = "sasl-compromise, webapp-script, quiet, early-caught, short-history, \
slow-brute-force, separate-infra, ipv6-attacker, port-logging, dovecot-failures, reset-retry, trap-travel, \
trap-typo, trap-cron, traps";

const FORMAT_NAMES: [(&str, TimestampFormat); 2] =
    [("rfc3164", TimestampFormat::Rfc3164), ("rfc3339", TimestampFormat::Rfc3339)];

fn parse_name<T: Copy>(
    table: &[(&str, T)],
    s: &str,
    what: &'static str,
    expected: &'static str,
) -> Result<T, ParseNameError> {
    table.iter().find(|(name, _)| name.eq_ignore_ascii_case(s)).map(|&(_, v)| v).ok_or_else(|| ParseNameError {
        what,
        value: s.to_string(),
        expected,
    })
}

fn name_of<T: PartialEq>(table: &[(&'static str, T)], v: &T) -> &'static str {
    table.iter().find(|(_, x)| x == v).map_or("?", |(n, _)| n)
}

impl FromStr for Scenario {
    type Err = ParseNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name(&SCENARIO_NAMES, s, "scenario", SCENARIO_LIST)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(name_of(&SCENARIO_NAMES, self))
    }
}

impl FromStr for TimestampFormat {
    type Err = ParseNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name(&FORMAT_NAMES, s, "timestamp format", "rfc3164, rfc3339")
    }
}

impl fmt::Display for TimestampFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(name_of(&FORMAT_NAMES, self))
    }
}

/// What to simulate and where to put it.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Output directory, created if missing. Refused if it already holds
    /// `mail.log*` files, unless `force`.
    pub out: PathBuf,
    /// Replace an earlier simulation's rotated files in `out`.
    pub force: bool,
    /// Days to simulate; one rotated file per day.
    pub days: u32,
    pub seed: u64,
    pub scenario: Scenario,
    pub format: TimestampFormat,
    /// `enable_long_queue_ids = yes` style queue IDs.
    pub long_ids: bool,
    /// Multiplier of all traffic; 1.0 gives a sample of about 5–15 MB, 100
    /// more than 1 GB.
    pub volume: f64,
    /// Start of the first day (UTC); days are cut every 24 hours from here.
    pub start: DateTime<Utc>,
    /// The syslog host name of the simulated server.
    pub hostname: String,
    /// Write `mail.log` in accelerated real time instead, rotated at each
    /// simulated midnight; `truth.json` is written first.
    pub live: Option<LiveOptions>,
}

impl Default for SimOptions {
    /// The defaults the CLI documents: 3 days of `sasl-compromise` from
    /// 2026-11-20 on host `mx1`.
    fn default() -> Self {
        SimOptions {
            out: PathBuf::from("sim"),
            force: false,
            days: 3,
            seed: 1,
            scenario: Scenario::SaslCompromise,
            format: TimestampFormat::Rfc3164,
            long_ids: false,
            volume: 1.0,
            start: Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).single().unwrap_or_default(),
            hostname: "mx1".to_string(),
            live: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} already holds mail.log files; use --force to replace them", .0.display())]
    OutNotEmpty(PathBuf),
    #[error("invalid simulation options: {0}")]
    BadOptions(String),
    #[error("cannot start the log writer thread: {0}")]
    NoThread(std::io::Error),
    #[error("the log writer thread stopped unexpectedly")]
    WriterPanicked,
    #[error("cannot encode truth.json: {0}")]
    Truth(#[from] serde_json::Error),
}

/// Writes the rotated log files and `truth.json` into `opts.out` and
/// returns the truth. A live run ([`SimOptions::live`]) writes `truth.json`
/// first, from a run that only counts the lines (the same seed gives the
/// same lines), then the log as it happens; stopped, it leaves the lines
/// written so far, whole.
pub fn simulate(opts: &SimOptions) -> Result<Truth, SimError> {
    validate(opts)?;
    prepare_dir(&opts.out, opts.force)?;
    let Some(live) = &opts.live else {
        let truth = run(opts, writer::Output::Files)?;
        write_truth(&opts.out, &truth)?;
        return Ok(truth);
    };
    let truth = run(opts, writer::Output::Counted)?;
    write_truth(&opts.out, &truth)?;
    run(opts, writer::Output::Live(live.clone()))?;
    Ok(truth)
}

/// One run of the simulation, its lines going to `output`.
fn run(opts: &SimOptions, output: writer::Output) -> Result<Truth, SimError> {
    let (start, days) = scenario::window(opts);
    let end = start + i64::from(days) * clock::DAY;
    let mut rng = rng::Rng::new(opts.seed);
    let mut world_rng = rng.fork();
    let n_accounts = (300.0 * opts.volume.powf(0.6)).round().max(30.0) as usize;
    let world = world::World::new(&mut world_rng, n_accounts, &opts.hostname);
    let ids = ids::QidGen::new(opts.long_ids, &mut rng);
    let pids = pids::Pids::new(&mut rng);
    let sink = writer::Sink::open(&opts.out, days, start, opts.format, &opts.hostname, output)?;
    let mut ctx = engine::Ctx::new(rng, sink, ids, pids, world);
    let mut engine = engine::Engine::new();
    let (head, stop) = scenario::plan(&mut engine, &mut ctx, opts, start, end);
    engine.run(&mut ctx, stop);
    let (sink, tally, ids, world) = ctx.into_parts();
    let files = sink.finish()?;
    let accounts: Vec<String> = world.accounts.into_iter().map(|a| a.user).collect();
    Ok(truth::assemble(head, tally, &accounts, files, ids.reuses))
}

fn validate(opts: &SimOptions) -> Result<(), SimError> {
    let bad = |m: &str| Err(SimError::BadOptions(m.to_string()));
    if opts.days == 0 || opts.days > 366 {
        return bad("days must be between 1 and 366");
    }
    if !opts.volume.is_finite() || opts.volume <= 0.0 || opts.volume > 10_000.0 {
        return bad("volume must be a positive number up to 10000");
    }
    let host_ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    if opts.hostname.is_empty() || !opts.hostname.chars().all(host_ok) {
        return bad("hostname must be letters, digits, '-' and '.'");
    }
    if opts.live.as_ref().is_some_and(|l| !(l.speed.is_finite() && l.speed > 0.0)) {
        return bad("speed must be a positive number");
    }
    let year = opts.start.timestamp() / 31_556_952 + 1970;
    if !(1971..=9000).contains(&year) {
        return bad("start must be a date between 1971 and 9000");
    }
    Ok(())
}

/// Creates `dir`; refuses to mix with an earlier log set unless `force`, in
/// which case exactly the logrotate-named files are removed (a longer earlier
/// run's `mail.log.5.gz` would otherwise pose as part of this one).
fn prepare_dir(dir: &Path, force: bool) -> Result<(), SimError> {
    let io = |e| SimError::Io { path: dir.to_path_buf(), source: e };
    std::fs::create_dir_all(dir).map_err(io)?;
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with("mail.log") {
            continue;
        }
        if !force {
            return Err(SimError::OutNotEmpty(dir.to_path_buf()));
        }
        if writer::is_rotated_name(&name) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| SimError::Io { path, source: e })?;
        }
    }
    Ok(())
}

fn write_truth(dir: &Path, truth: &Truth) -> Result<(), SimError> {
    let mut json = serde_json::to_vec_pretty(truth)?;
    json.push(b'\n');
    let path = dir.join("truth.json");
    crate::atomic::write(&path, &json).map_err(|e| SimError::Io { path, source: e })
}
