//! The streaming pipeline up to records: source → syslog → event →
//! correlate, with diagnostics and progress. Commands call [`ingest`] and get
//! a [`Dataset`]; nothing here knows about the CLI.
//!
//! Two threads: the parse thread (reading plain files, and [`parse`]:
//! lines, syslog envelope, Postfix events), and this one, which puts dates
//! on RFC 3164 lines (the year depends on the lines before) and correlates,
//! in log order, and parses too when the parse thread falls behind
//! ([`share`]). Gzip input is inflated on a third (`source::reader`).
//!
//! Long with its unit tests, which sit at the end.

mod parse;
mod share;

use crate::correlate::{Correlator, LineCtx, LineRef, Records};
use crate::diag::{DiagKind, Diagnostics, FileReport, Handle, Progress, Skip};
use crate::event::Event;
use crate::source::{self, Chunk, Input};
use crate::syslog::{Stamp, YearTracker};
use crate::time::{civil_to_micros, local_date, LocalToUtc, Micros, Zone, MICROS_PER_SEC};
use parse::{Contexts, Kind, Line, Parsed, PostfixLine};
use share::{Feed, Stage};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

pub use crate::source::framing::{for_each_line, MAX_LINE};

#[derive(Clone, Debug)]
pub struct IngestOptions {
    pub paths: Vec<PathBuf>,
    /// Read only the named files, without their rotated siblings.
    pub exact: bool,
    /// Year of the oldest RFC 3164 line; inferred from file mtimes if unset.
    pub year: Option<i32>,
    /// The zone RFC 3164 timestamps were written in.
    pub log_zone: Zone,
    /// Keep every message's line numbers (for `trace`).
    pub keep_lines: bool,
    /// Keep what only `trace` and `export` show (message-ids, relays,
    /// delays, DSNs, remote servers' responses) and closed sessions; the
    /// frames the analyses use have no room for them.
    pub keep_details: bool,
    /// Report progress (bytes read, the file being read).
    pub progress: bool,
    /// Report the first skipped lines of each kind as they come.
    pub verbose: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            paths: Vec::new(),
            exact: false,
            year: None,
            log_zone: Zone::Local,
            keep_lines: false,
            keep_details: true,
            progress: false,
            verbose: true,
        }
    }
}

/// What the input held.
pub struct Dataset {
    pub records: Records,
    pub inputs: Vec<Input>,
    pub diag: Diagnostics,
    /// Lines about queue IDs whose message began before the input.
    pub orphan_lines: u64,
    /// The time span of the lines read.
    pub span: Option<(Micros, Micros)>,
    /// Standard input cannot be read twice: with `keep_lines`, its lines are
    /// kept here (index = line number − 1) for quoting.
    pub stdin_lines: Vec<Box<str>>,
    /// Who hears of the run: the later stages (frames) report here too.
    pub observer: Handle,
}

impl Dataset {
    pub fn file_name(&self, r: LineRef) -> String {
        self.inputs.get(r.file as usize).map_or_else(|| "?".into(), Input::display)
    }
}

/// Why there is nothing to analyse. Each input's own problem has been
/// reported through the observer already (file and reason), so the error
/// says only what follows from them, and nothing is said twice.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("nothing to read: no input was given or found")]
    NoPaths,
    #[error("nothing to read: the input above could not be read")]
    OneUnreadable,
    #[error("nothing to read: none of the {0} inputs above could be read")]
    Unreadable(usize),
}

impl IngestError {
    fn unreadable(n: usize) -> IngestError {
        match n {
            0 => IngestError::NoPaths,
            1 => IngestError::OneUnreadable,
            n => IngestError::Unreadable(n),
        }
    }
}

/// Reads the input into records, telling nobody how it goes.
pub fn ingest(opts: &IngestOptions) -> Result<Dataset, IngestError> {
    ingest_observed(opts, &Handle::default())
}

/// Reads the input into records, reporting diagnostics and progress to
/// `observer`.
pub fn ingest_observed(opts: &IngestOptions, observer: &Handle) -> Result<Dataset, IngestError> {
    ingest_with(opts, observer, share::spawn)
}

/// How the parse thread is started: [`share::spawn`], or in tests a stand-in.
type SpawnParse = fn(Vec<Input>, Arc<AtomicU64>) -> std::io::Result<std::sync::mpsc::Receiver<Stage>>;

fn ingest_with(opts: &IngestOptions, observer: &Handle, spawn: SpawnParse) -> Result<Dataset, IngestError> {
    let (inputs, problems) = source::resolve(&opts.paths, opts.exact);
    for p in &problems {
        observer.about_file(&p.path, DiagKind::PathProblem, &p.message);
    }
    let (inputs, twice) = source::discover::dedupe(inputs);
    for d in &twice {
        observer.about_file(&d.dropped, DiagKind::Duplicate, &d.words());
    }
    if inputs.is_empty() {
        return Err(IngestError::unreadable(problems.len()));
    }
    let mut diag = Diagnostics::new(opts.verbose);
    diag.path_problems = problems;
    diag.duplicates = twice;
    diag.files = inputs
        .iter()
        .map(|i| FileReport { name: i.display(), stdin: *i == Input::Stdin, ..FileReport::default() })
        .collect();
    let counter = Arc::new(AtomicU64::new(0));
    if opts.progress {
        observer.progress(Progress::Reading { total: size_on_disk(&inputs) });
    }
    let mut run = Run::new(opts, diag, observer.clone());
    let mut correlate = |stage: Stage| {
        if opts.progress {
            observer.progress(Progress::Read(counter.load(Ordering::Relaxed)));
        }
        match stage {
            Stage::Chunk(chunk) => run.chunk(chunk, &inputs, opts.progress),
            Stage::Job(job) => job.parsed().into_iter().flatten().for_each(|p| run.parsed(job.file, p)),
        }
    };
    match spawn(inputs.clone(), counter.clone()) {
        Ok(stages) => {
            let mut feed = Feed::new(stages);
            while let Some(stage) = feed.next() {
                correlate(stage);
            }
        }
        // Refused a thread (a process limit reached): the same work on this
        // one, parsing and correlating in turn, slower but the same result.
        Err(_) => share::parse_here(&inputs, &counter, |stage| {
            correlate(stage);
            true
        }),
    }
    if opts.progress {
        observer.progress(Progress::ReadingDone);
    }
    // Every input failed before its first line (binary, unreadable): there
    // is nothing to analyse, which is an error like a missing path, not a
    // partial result.
    if run.diag.files.iter().all(|f| f.error.is_some() && f.lines == 0) {
        return Err(IngestError::unreadable(run.diag.files.len() + run.diag.path_problems.len()));
    }
    Ok(run.finish(inputs))
}

/// The inputs' size on disk, for a progress display.
fn size_on_disk(inputs: &[Input]) -> u64 {
    inputs
        .iter()
        .filter_map(|i| match i {
            Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Input::Stdin => None,
        })
        .sum()
}

/// State of one ingest run while lines stream through.
struct Run {
    correlator: Correlator,
    diag: Diagnostics,
    observer: Handle,
    zone: LocalToUtc,
    log_zone: Zone,
    forced_year: Option<i32>,
    year: YearTracker,
    file: u32,
    line: u64,
    span: Option<(Micros, Micros)>,
    keep_stdin: bool,
    stdin_lines: Vec<Box<str>>,
    reading_stdin: bool,
}

impl Run {
    fn new(opts: &IngestOptions, diag: Diagnostics, observer: Handle) -> Self {
        let today = local_date(&opts.log_zone, now());
        Run {
            correlator: Correlator::new(opts.keep_lines, opts.keep_details),
            diag,
            observer,
            zone: LocalToUtc::new(opts.log_zone.clone()),
            log_zone: opts.log_zone.clone(),
            forced_year: opts.year,
            year: YearTracker::new(today, opts.year),
            file: 0,
            line: 0,
            span: None,
            keep_stdin: opts.keep_lines,
            stdin_lines: Vec::new(),
            reading_stdin: false,
        }
    }

    fn chunk(&mut self, chunk: Chunk, inputs: &[Input], progress: bool) {
        match chunk {
            Chunk::Opened { file, meta } => {
                self.start_file(file, meta.mtime, inputs);
                if let Some(f) = self.diag.files.get_mut(file as usize) {
                    f.compression = meta.compression;
                }
                if let (true, Some(input)) = (progress, inputs.get(file as usize)) {
                    self.observer.progress(Progress::File(&input.display()));
                }
            }
            // Data comes in pieces ([`share`]); should a chunk reach here
            // whole, it is parsed here, its lines' contexts going by name.
            Chunk::Data { file, bytes } => {
                let chunk = Arc::new(bytes);
                let format = crate::envelope::Format::sniff(&chunk);
                Parsed::batches(&chunk, 0..chunk.len(), format, &mut Contexts::none(), |p| {
                    self.parsed(file, &p);
                    true
                });
            }
            Chunk::Padding { file, bytes } => self.diag.padding(file as usize, bytes, &self.observer),
            Chunk::LongLine { file, len } => {
                self.file = file;
                self.line += 1;
                self.count_line();
                if self.reading_stdin && self.keep_stdin {
                    // Keeps `stdin_lines[line - 1]` the text of `line`.
                    self.stdin_lines.push("".into());
                }
                self.diag.too_long(file as usize, self.line, len, &self.observer);
            }
            Chunk::End { file, error } => {
                if let Some(e) = error {
                    self.diag.file_error(file as usize, e, &self.observer);
                }
            }
        }
    }

    fn start_file(&mut self, file: u32, mtime: Option<SystemTime>, inputs: &[Input]) {
        self.file = file;
        self.line = 0;
        self.reading_stdin = inputs.get(file as usize) == Some(&Input::Stdin);
        if self.forced_year.is_none() {
            let reference = mtime.map_or_else(now, system_to_micros);
            self.year = YearTracker::new(local_date(&self.log_zone, reference), None);
        }
    }

    fn count_line(&mut self) {
        if let Some(f) = self.diag.files.get_mut(self.file as usize) {
            f.lines += 1;
        }
    }

    fn parsed(&mut self, file: u32, parsed: &Parsed) {
        self.file = file;
        if let Some(f) = self.diag.files.get_mut(file as usize) {
            f.bytes += parsed.len() as u64;
        }
        self.correlate_ahead(parsed.lines());
    }

    /// Correlates a batch of lines, asking for what each will need a few
    /// lines ahead of it: a parsed line comes cold from the other core, and
    /// the interner slots of its strings are scattered over a big table.
    /// Asked for ahead, they load while the lines before are correlated
    /// instead of stalling one after the other (a quarter of the
    /// correlating thread's time before).
    fn correlate_ahead(&mut self, lines: &[Line]) {
        const LINE_AHEAD: usize = 8;
        const SLOTS_AHEAD: usize = 4;
        for (i, l) in lines.iter().enumerate() {
            if let Some(next) = lines.get(i + LINE_AHEAD) {
                crate::mem::prefetch(next);
            }
            if let Some(Kind::Postfix(PostfixLine { event: Some(ev), .. })) =
                lines.get(i + SLOTS_AHEAD).map(|l| &l.kind)
            {
                self.correlator.prefetch(ev);
            }
            self.line(l);
        }
    }

    fn line(&mut self, l: &Line) {
        self.line += 1;
        self.count_line();
        if self.reading_stdin && self.keep_stdin {
            self.stdin_lines.push(String::from_utf8_lossy(l.raw).into());
        }
        let (file, line) = (self.file as usize, self.line);
        match &l.kind {
            Kind::Empty => {}
            Kind::TooLong => self.diag.too_long(file, line, l.raw.len() as u64, &self.observer),
            Kind::Binary => self.diag.skip(file, line, Skip::Binary, l.raw, &self.observer),
            Kind::NotSyslog { repaired } => {
                self.repaired(*repaired);
                self.diag.skip(file, line, Skip::NotSyslog, l.raw, &self.observer);
            }
            Kind::Other { repaired, stamp } => {
                self.repaired(*repaired);
                self.stamp(*stamp);
                self.diag.other_lines += 1;
            }
            Kind::Dovecot(p) => {
                self.repaired(p.repaired);
                let time = self.stamp(p.env.stamp);
                self.diag.other_lines += 1;
                let cx = LineCtx::new(&p.env, time, LineRef { file: self.file, line }, p.context);
                for ev in p.event.iter().flat_map(|ev| std::iter::repeat_n(ev, p.repeat as usize)) {
                    self.correlator.feed(&cx, ev);
                }
            }
            Kind::Postfix(p) => {
                self.repaired(p.repaired);
                let time = self.stamp(p.env.stamp);
                self.diag.postfix_lines += 1;
                let cx = LineCtx::new(&p.env, time, LineRef { file: self.file, line }, p.context);
                for _ in 0..p.repeat {
                    match &p.event {
                        None => self.diag.unrecognised(p.env.daemon, p.payload),
                        Some(Event::Warning) => *self.diag.warnings.entry(p.env.daemon.to_string()).or_default() += 1,
                        Some(ev) => self.correlator.feed(&cx, ev),
                    }
                }
            }
        }
    }

    fn repaired(&mut self, repaired: bool) {
        if repaired {
            self.diag.repaired(self.file as usize, self.line, &self.observer);
        }
    }

    /// The line's instant, which also widens the span of the input.
    fn stamp(&mut self, stamp: Stamp) -> Micros {
        let time = self.time_of(stamp);
        self.span = Some(match self.span {
            None => (time, time),
            Some((a, b)) => (a.min(time), b.max(time)),
        });
        time
    }

    fn time_of(&mut self, stamp: Stamp) -> Micros {
        match stamp {
            Stamp::Exact(t) => t,
            Stamp::Local { month, day, secs } => {
                let year = self.year.year_for(month, day);
                let local = civil_to_micros(year, month, day, 0, 0, 0) + secs as i64 * MICROS_PER_SEC;
                self.zone.convert(local)
            }
        }
    }

    fn finish(self, inputs: Vec<Input>) -> Dataset {
        let orphan_lines = self.correlator.orphan_lines;
        Dataset {
            records: self.correlator.finish(),
            inputs,
            diag: self.diag,
            orphan_lines,
            span: self.span,
            stdin_lines: self.stdin_lines,
            observer: self.observer,
        }
    }
}

fn now() -> Micros {
    system_to_micros(SystemTime::now())
}

fn system_to_micros(t: SystemTime) -> Micros {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_micros() as i64,
        Err(e) => -(e.duration().as_micros() as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parse thread the system refuses is no error: parsing on the
    /// correlating thread gives the same records.
    #[test]
    fn a_refused_parse_thread_changes_nothing() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let opts = IngestOptions {
            paths: ["content_filter_reinjection.log", "auth_failures.log", "noqueue_reject.log"]
                .iter()
                .map(|f| dir.join(f))
                .collect(),
            exact: true,
            year: Some(2026),
            log_zone: Zone::parse("UTC").unwrap(),
            keep_lines: true,
            keep_details: true,
            progress: false,
            verbose: false,
        };
        let refused: SpawnParse = |_, _| Err(std::io::Error::other("refused"));
        let (threaded, inline) = (ingest(&opts).unwrap(), ingest_with(&opts, &Handle::default(), refused).unwrap());
        let summary = |ds: &Dataset| {
            let r = &ds.records;
            let lines: Vec<u64> = ds.diag.files.iter().map(|f| f.lines).collect();
            let messages: Vec<_> = r.messages.iter().map(|m| (m.queue_id, m.first_seen, m.state, m.sender)).collect();
            (lines, messages, r.deliveries.len(), r.auth.len(), r.rejects.len(), ds.diag.postfix_lines)
        };
        assert!(!threaded.records.messages.is_empty());
        assert_eq!(summary(&inline), summary(&threaded));
    }

    /// The seam of the envelope: the same log in another format (the
    /// test-only tab-separated one, sniffed from its first bytes, with no
    /// context key) gives the same records, through the same correlation.
    #[test]
    fn a_second_envelope_format_plugs_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let tmp = tempfile::tempdir().unwrap();
        let names = ["content_filter_reinjection.log", "auth_failures.log", "submission_instances.log"];
        let mut tab_paths = Vec::new();
        for name in names {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            let mut out = String::new();
            for line in text.lines() {
                let env = crate::syslog::parse(line).unwrap();
                let time = match env.stamp {
                    Stamp::Exact(t) => t,
                    Stamp::Local { month, day, secs } => {
                        civil_to_micros(2026, month, day, 0, 0, 0) + secs as i64 * MICROS_PER_SEC
                    }
                };
                let tag = match env.instance {
                    "" => env.daemon.to_string(),
                    i => format!("{i}/{}", env.daemon),
                };
                out.push_str(&format!("{time}\t{}\t{tag}[{}]\t{}\n", env.host, env.pid, env.payload));
            }
            let path = tmp.path().join(name);
            std::fs::write(&path, out).unwrap();
            tab_paths.push(path);
        }
        let opts = |paths: Vec<PathBuf>| IngestOptions {
            paths,
            exact: true,
            year: Some(2026),
            log_zone: Zone::parse("UTC").unwrap(),
            keep_lines: true,
            ..IngestOptions::default()
        };
        let syslog = ingest(&opts(names.iter().map(|n| dir.join(n)).collect())).unwrap();
        let tab = ingest(&opts(tab_paths)).unwrap();
        let summary = |ds: &Dataset| {
            let r = &ds.records;
            let s = |sym| r.str(sym).to_string();
            let messages: Vec<_> = r
                .messages
                .iter()
                .map(|m| {
                    (m.queue_id, m.first_seen, m.state, m.parent, s(m.sasl_username), s(m.client_ip), s(m.instance))
                })
                .collect();
            let deliveries: Vec<_> = r.deliveries.iter().map(|d| (d.message, s(d.to), d.filter_hop, d.line)).collect();
            let auth: Vec<_> = r.auth.iter().map(|a| (a.time, s(a.client_ip), s(a.username), a.success)).collect();
            let sessions: Vec<_> = r.sessions.iter().map(|x| (s(x.instance), x.pid, x.start, x.end)).collect();
            (messages, deliveries, auth, sessions, r.rejects.len(), ds.diag.postfix_lines, ds.diag.skipped_total())
        };
        assert!(!syslog.records.messages.is_empty() && !syslog.records.auth.is_empty());
        assert_eq!(summary(&tab), summary(&syslog));
    }
}
