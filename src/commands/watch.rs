//! `postsleuth watch`: follow the log, apply the `suspects` rules as lines
//! arrive, and alert with the evidence (see [`crate::live`]).

use super::{console, Outcome, UsageError};
use crate::cli::{duration, RateArgs, ScoringArgs};
use crate::ingest::tail::{ingest_tail, Tail};
use crate::ingest::{IngestOptions, Tap};
use crate::live::follow::{FileFollower, LiveLine, LiveSource, Start as From};
use crate::live::metrics::{self, Counters, Metrics, Shared};
use crate::live::{self, retain::Retained, state, Engine, Settings, Start};
use crate::render::alert::Alert;
use crate::text::printable;
use crate::time::Zone;
use clap::{Args, ValueEnum};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

pub const WATCH_ABOUT: &str = "\
Follow the log and alert, as it happens, when an account or uid is taken over: the same
rules, scores and evidence as `suspects`, applied to a rolling window of the log (--window,
48 hours by default: the rules' --lookback and --horizon) as lines arrive, plus absolute
thresholds (messages and recipients per account or uid per --rate-window, policyd-rate-limit
style; client IPs and countries per account per 24 hours, postfwd anti-geoip style; a surge
of deferred deliveries; a brute-force wave, however slow, and a login after one).

It follows PATH (default /var/log/mail.log) from its end; --from-start or --since first read
the log and its rotated, compressed siblings (as fast as the batch commands), so that the
baselines learn from the history, then follow on from the last line read. Each alert is one
line on standard output (--format json: one JSON object per line) with what crossed which
threshold, the compromise time, the score and its reasons, the evidence lines (file:line and
their text, escaped) and the next steps; one alert per suspect per hour of log, unless it
escalates (a higher score, a new kind of evidence, another compromise time).

--exec PROGRAM runs PROGRAM (with the --exec-arg arguments, never through a shell) for each
alert, the alert as JSON on its standard input, its output discarded but for standard error;
one that fails or outlasts --exec-timeout is reported on standard error and watching goes on.
--state FILE keeps, across restarts, where the log was read up to, the window's lines and the
alerts sent: a restart misses no line and repeats no alert (written every --state-every, and
on exit, SIGINT or SIGTERM). --metrics ADDR serves Prometheus metrics (postfix_exporter's
counters, and figures for the top accounts only) at http://ADDR/metrics, on loopback unless
--metrics-public.

Examples:
  postsleuth watch                                 follow /var/log/mail.log from its end
  postsleuth watch --since 2d --state /var/lib/postsleuth/watch.state
  postsleuth watch --format json --exec /usr/local/bin/on-alert
  postsleuth watch --metrics 127.0.0.1:9154 --quiet";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AlertFormat {
    Text,
    Json,
}

#[derive(Args, Debug, Clone)]
pub struct WatchArgs {
    /// The log to follow (default /var/log/mail.log, else /var/log/maillog).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Follow the systemd journal instead of a file.
    #[arg(long, conflicts_with = "path")]
    pub journal: bool,
    /// Read the log and its rotated siblings from their start before following.
    #[arg(long)]
    pub from_start: bool,
    /// Read the log and its rotated siblings first, counting from this time (same forms as everywhere: 2d, yesterday, 2026-11-22 08:00…).
    #[arg(long, value_name = "TIME", conflicts_with = "from_start")]
    pub since: Option<String>,
    /// Keep the position, the window's lines and the alerts sent here, across restarts.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// How often the state is written (and always on exit).
    #[arg(long, value_name = "DURATION", default_value = "1m")]
    pub state_every: String,
    #[arg(long, value_enum, default_value_t = AlertFormat::Text)]
    pub format: AlertFormat,
    /// Run this program for each alert, the alert as JSON on its standard input (no shell).
    #[arg(long = "exec", value_name = "PROGRAM")]
    pub exec: Option<PathBuf>,
    /// An argument for the --exec program (repeatable, passed as is).
    #[arg(long = "exec-arg", value_name = "ARG", requires = "exec", allow_hyphen_values = true)]
    pub exec_args: Vec<String>,
    /// How long the --exec program may run before it is killed.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub exec_timeout: String,
    /// Serve Prometheus metrics at http://ADDR/metrics (ADDR: PORT, HOST:PORT; 127.0.0.1 unless given).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,
    /// Let --metrics listen on an address that is not loopback.
    #[arg(long, requires = "metrics")]
    pub metrics_public: bool,
    /// Accounts the metrics give figures for (the top ones by messages in the window).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub metrics_top: usize,
    /// The log time the rules look at, back from the newest line.
    #[arg(long, value_name = "DURATION", default_value = "48h")]
    pub window: String,
    /// How much log time beyond the window is held before the correlation is rebuilt from the window's lines.
    #[arg(long, value_name = "DURATION", default_value = "6h")]
    pub rebuild: String,
    /// The most log time between two evaluations while lines come faster than real time.
    #[arg(long, value_name = "DURATION", default_value = "1m")]
    pub step: String,
    /// How long (log time) a suspect's compromise time must stay the same before it is alerted; a login after a brute force is alerted at once.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub confirm: String,
    /// Year of the oldest line for RFC 3164 timestamps (default: inferred).
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i32).range(1970..=9000))]
    pub year: Option<i32>,
    /// Zone the log's RFC 3164 timestamps were written in (IANA name, or `local`).
    #[arg(long, value_name = "ZONE", default_value = "local")]
    pub log_tz: String,
    /// MaxMind GeoLite2/GeoIP2 Country (or City) .mmdb, or a table from `geo import` [env: POSTSLEUTH_GEOIP].
    #[arg(long, value_name = "FILE")]
    pub geoip: Option<PathBuf>,
    /// MaxMind GeoLite2 ASN .mmdb, or a table from `geo import` [env: POSTSLEUTH_ASN_DB].
    #[arg(long, value_name = "FILE")]
    pub asn_db: Option<PathBuf>,
    /// No progress bar and no per-line warnings (file errors are still shown).
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub rates: RateArgs,
    /// Last: its help heading would otherwise carry over to the options after it.
    #[command(flatten)]
    pub scoring: ScoringArgs,
}

/// How long a poll of the log waits for lines: the most an alert waits
/// for a quiet log, and how soon a signal to stop is noticed.
const POLL: Duration = Duration::from_millis(100);

pub fn run(a: &WatchArgs) -> anyhow::Result<Outcome> {
    let settings = settings(a)?;
    let ingest = ingest_options(a)?;
    let geo = crate::enrich::Geo::from_env_or_args(a.geoip.as_deref(), a.asn_db.as_deref())?;
    let path = log_path(a)?;
    let state_every = std::time::Duration::from_micros(duration("--state-every", &a.state_every)?.max(0) as u64);
    let exec_timeout = std::time::Duration::from_micros(duration("--exec-timeout", &a.exec_timeout)?.max(0) as u64);
    let listener = a.metrics.as_deref().map(|m| bind_metrics(m, a.metrics_public)).transpose()?;
    // The first Ctrl-C/SIGTERM/SIGHUP stops after the state is saved; a
    // second ends the run at once (crate::atomic).
    let stop = crate::atomic::stop_flag();
    let console = console::Console::handle(!a.quiet);
    let counters = Rc::new(RefCell::new(Counters::default()));
    let shared: Shared = Arc::new(Mutex::new(Metrics::default()));
    if let Some(l) = listener {
        metrics::serve(l, shared.clone())?;
    }
    let loaded = match &a.state {
        Some(p) => state::read(p).map_err(anyhow::Error::msg)?,
        None => None,
    };
    let (mut follower, start) = open(a, &path, loaded, &ingest, &settings, &console, &counters)?;
    let mut engine = Engine::new(start, settings, ingest, geo);
    let exec = a.exec.as_ref().map(|p| Exec::start(p.clone(), a.exec_args.clone(), exec_timeout));
    let mut out = Output { format: a.format, stdout: std::io::stdout(), exec, shared: shared.clone(), closed: false };
    // The history read at start is judged once, as a whole.
    engine.evaluate(&mut |alert| out.alert(alert))?;
    publish(&shared, &counters, &engine, a.metrics_top);
    let mut lines: Vec<LiveLine> = Vec::new();
    let mut saved = Instant::now();
    let source = path.display().to_string();
    while !stop.load(Ordering::SeqCst) && !out.closed {
        lines.clear();
        follower.poll(POLL, &mut lines)?;
        for n in follower.take_notices() {
            console::say(&format!("postsleuth: {}", printable(&n)));
        }
        let names = |i: u32| follower.input_name(i);
        let stopping = || stop.load(Ordering::SeqCst);
        engine.feed(&lines, &names, &stopping, &mut |alert| out.alert(alert))?;
        if engine.due() {
            engine.evaluate(&mut |alert| out.alert(alert))?;
        }
        engine.tidy();
        publish(&shared, &counters, &engine, a.metrics_top);
        if let (Some(p), true) = (&a.state, saved.elapsed() >= state_every) {
            save(p, &source, &follower, &mut engine);
            saved = Instant::now();
        }
    }
    if engine.dirty() && !out.closed {
        engine.evaluate(&mut |alert| out.alert(alert))?;
    }
    if let Some(p) = &a.state {
        save(p, &source, &follower, &mut engine);
    }
    if let Some(exec) = out.exec.take() {
        exec.finish();
    }
    if !a.quiet || std::env::var_os("POSTSLEUTH_TIMINGS").is_some() {
        let c = engine.costs;
        let mean = c.total.as_secs_f64() * 1000.0 / c.evaluations.max(1) as f64;
        let copy = c.snapshots.as_secs_f64() * 1000.0 / c.evaluations.max(1) as f64;
        console::say(&format!(
            "postsleuth: watch read {} lines; {} evaluations ({mean:.1} ms each, at most {:.1} ms; of which copying \
             the correlation {copy:.2} ms, at most {:.1} ms), {} rebuilds (the last {:.0} ms)",
            engine.lines_fed(),
            c.evaluations,
            c.max.as_secs_f64() * 1000.0,
            c.max_snapshot.as_secs_f64() * 1000.0,
            c.rebuilds,
            c.last_rebuild.as_secs_f64() * 1000.0
        ));
    }
    Ok(Outcome::Complete)
}

/// The log to follow: PATH, else the first default log there is.
fn log_path(a: &WatchArgs) -> anyhow::Result<PathBuf> {
    if a.journal {
        return Err(UsageError(
            "watch --journal: following the journal is not in this build yet; follow a file".into(),
        )
        .into());
    }
    if let Some(p) = &a.path {
        return Ok(p.clone());
    }
    let found = ["/var/log/mail.log", "/var/log/maillog"].iter().map(PathBuf::from).find(|p| p.exists());
    found.ok_or_else(|| {
        UsageError("nothing to follow: no /var/log/mail.log or /var/log/maillog; name the log".into()).into()
    })
}

fn settings(a: &WatchArgs) -> anyhow::Result<Settings> {
    let th = a.scoring.thresholds()?;
    let window = duration("--window", &a.window)?;
    let since = match &a.since {
        Some(s) => {
            let now = chrono::Utc::now().timestamp_micros();
            Some(crate::window::parse_bound("--since", s, &Zone::Local, now).map_err(UsageError)?)
        }
        None => None,
    };
    Ok(Settings {
        th,
        limits: a.rates.limits()?,
        window,
        rebuild: duration("--rebuild", &a.rebuild)?,
        step: duration("--step", &a.step)?,
        confirm: duration("--confirm", &a.confirm)?,
        since,
        debounce: Duration::from_millis(500),
        log_name: a.path.as_ref().map_or_else(|| "/var/log/mail.log".into(), |p| p.display().to_string()),
    })
}

fn ingest_options(a: &WatchArgs) -> anyhow::Result<IngestOptions> {
    Ok(IngestOptions {
        year: a.year,
        log_zone: super::log_zone(&a.log_tz)?,
        keep_details: false,
        progress: !a.quiet,
        verbose: !a.quiet,
        ..IngestOptions::default()
    })
}

/// The metrics' address: a port alone is on 127.0.0.1; another address
/// than loopback only with `public`.
fn bind_metrics(addr: &str, public: bool) -> anyhow::Result<TcpListener> {
    let parsed: SocketAddr = match addr.parse::<u16>() {
        Ok(port) => SocketAddr::from(([127, 0, 0, 1], port)),
        Err(_) => addr.parse().map_err(|_| {
            UsageError(format!("--metrics {:?}: use PORT or HOST:PORT (127.0.0.1:9154, [::1]:9154)", printable(addr)))
        })?,
    };
    if !parsed.ip().is_loopback() && !public {
        return Err(UsageError(format!(
            "--metrics {parsed}: not a loopback address; the metrics name accounts, so add --metrics-public to serve them there"
        ))
        .into());
    }
    TcpListener::bind(parsed).map_err(|e| anyhow::anyhow!("--metrics {parsed}: {e}"))
}

/// The follower and what the engine starts from: a state file's window,
/// or the history read at start, or nothing (from the log's end).
fn open(
    a: &WatchArgs,
    path: &Path,
    loaded: Option<state::Loaded>,
    ingest: &IngestOptions,
    settings: &Settings,
    console: &crate::diag::Handle,
    counters: &Rc<RefCell<Counters>>,
) -> anyhow::Result<(FileFollower, Start)> {
    let follow_err = |e: live::follow::FollowError| anyhow::anyhow!("{e}");
    let tap = || -> Tap {
        let c = counters.clone();
        Box::new(move |cx, ev| c.borrow_mut().event(cx, ev))
    };
    if let Some(s) = loaded {
        let follower = FileFollower::open(path, From::Resume(s.follow)).map_err(follow_err)?;
        let mut tail = live::replay(&s.retained, &s.inputs, ingest)?;
        let kept = Rc::new(RefCell::new(s.retained));
        tail.speak(console.clone(), ingest.verbose);
        tail.set_tap(Some(tap()));
        tail.set_keeper(Some(live::keeper(&kept, i64::MIN)));
        let start =
            Start { tail, retained: kept, memory: s.memory, inputs: s.live, caught_up: None, kept_from: i64::MIN };
        return Ok((follower, start));
    }
    let kept = Rc::new(RefCell::new(Retained::default()));
    let start = |tail, kept_from| Start {
        tail,
        retained: kept.clone(),
        memory: Default::default(),
        inputs: BTreeMap::new(),
        caught_up: None,
        kept_from,
    };
    if !(a.from_start || a.since.is_some()) {
        let follower = FileFollower::open(path, From::End).map_err(follow_err)?;
        let mut tail = Tail::new(ingest, console.clone(), &[], Some(tap()));
        tail.set_keeper(Some(live::keeper(&kept, i64::MIN)));
        return Ok((follower, start(tail, i64::MIN)));
    }
    // Opened first: what is written while the history is read is not lost.
    let follower = FileFollower::open(path, From::Beginning).map_err(follow_err)?;
    let opts = IngestOptions { paths: vec![path.to_path_buf()], ..ingest.clone() };
    // Only the window's lines are kept of the history: no line is after its
    // file's modification time.
    let from =
        newest_mtime(&opts).map_or(i64::MIN, |t| t.saturating_sub(settings.window + crate::analyze::suspects::HOUR));
    let tail = ingest_tail(&opts, console, Some(tap()), Some(live::keeper(&kept, from)))?;
    console.progress(crate::diag::Progress::Done);
    let live_file = same_file_index(&tail, path);
    let mut begun = start(tail, from);
    begun.caught_up = live_file.map(|i| (i, begun.tail.lines_of(i)));
    Ok((follower, begun))
}

/// The latest modification time of the non-empty files `opts` reads.
fn newest_mtime(opts: &IngestOptions) -> Option<i64> {
    let (inputs, _) = crate::source::resolve(&opts.paths, opts.exact);
    inputs
        .iter()
        .filter_map(|i| match i {
            crate::source::Input::File(p) => std::fs::metadata(p).ok(),
            _ => None,
        })
        .filter(|m| m.len() > 0)
        .filter_map(|m| m.modified().ok())
        .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_micros() as i64)
        .max()
}

/// Which input of the history is the followed file itself.
fn same_file_index(tail: &Tail, path: &Path) -> Option<u32> {
    let want = std::fs::canonicalize(path).ok()?;
    tail.inputs()
        .iter()
        .position(|i| match i {
            crate::source::Input::File(p) => std::fs::canonicalize(p).ok().as_ref() == Some(&want),
            _ => false,
        })
        .map(|i| i as u32)
}

/// Copies the figures to where the metrics server reads them.
fn publish(shared: &Shared, counters: &Rc<RefCell<Counters>>, engine: &Engine, top: usize) {
    if let Ok(mut m) = shared.lock() {
        m.counters = counters.borrow().clone();
        m.lines = engine.lines_fed();
        m.skipped = engine.skipped;
        let c = engine.costs;
        m.evaluations = c.evaluations;
        m.evaluation_seconds_total = c.total.as_secs_f64();
        m.evaluation_seconds_last = c.last.as_secs_f64();
        m.rebuilds = c.rebuilds;
        let (lines, bytes) = engine.kept();
        (m.window_lines, m.window_bytes) = (lines, bytes as u64);
        m.top = engine.top.iter().take(top).cloned().collect();
    }
}

/// Writes the state file; a failure is said, and watching goes on.
fn save(path: &Path, source: &str, follower: &FileFollower, engine: &mut Engine) {
    if let Err(e) = engine.save(path, source, follower.checkpoint()) {
        console::say(&format!("postsleuth: --state {}: {e}", printable(&path.display().to_string())));
    }
}

/// Where alerts go: standard output, the --exec program, the metrics.
struct Output {
    format: AlertFormat,
    stdout: std::io::Stdout,
    exec: Option<Exec>,
    shared: Shared,
    /// Standard output was closed (`watch | head`): time to stop.
    closed: bool,
}

impl Output {
    fn alert(&mut self, a: Alert) {
        let line = match self.format {
            AlertFormat::Text => crate::render::alert::text(&a),
            AlertFormat::Json => crate::render::alert::json(&a),
        };
        let mut out = self.stdout.lock();
        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
            self.closed = true;
        }
        if let Some(exec) = &self.exec {
            exec.send(crate::render::alert::json(&a));
        }
        if let Ok(mut m) = self.shared.lock() {
            m.alerts.add(a.alert);
        }
    }
}

/// The --exec program, run for one alert at a time on a thread of its
/// own, so that a slow one does not hold up watching.
struct Exec {
    queue: Option<mpsc::SyncSender<String>>,
    worker: Option<std::thread::JoinHandle<()>>,
}

/// Alerts waiting for the --exec program before more are dropped (and said).
const EXEC_QUEUE: usize = 64;

impl Exec {
    fn start(program: PathBuf, args: Vec<String>, timeout: Duration) -> Exec {
        let (tx, rx) = mpsc::sync_channel::<String>(EXEC_QUEUE);
        let worker = std::thread::Builder::new()
            .name("exec".into())
            .spawn(move || {
                for alert in rx {
                    if let Err(e) = crate::live::exec::run(&program, &args, alert.as_bytes(), timeout) {
                        console::say(&format!("postsleuth: --exec {}: {e}", printable(&program.display().to_string())));
                    }
                }
            })
            .ok();
        Exec { queue: Some(tx), worker }
    }

    fn send(&self, alert: String) {
        let Some(q) = &self.queue else { return };
        if q.try_send(alert).is_err() {
            console::say("postsleuth: --exec: the program is too slow, an alert was not passed to it");
        }
    }

    /// Waits for the alerts queued to be handled.
    fn finish(mut self) {
        self.queue = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}
