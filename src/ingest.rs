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
//! Before reading, [`order`] puts the inputs oldest first and drops copies;
//! while reading, [`sequence`] finds time going back and lines read twice.

mod order;
mod parse;
mod sequence;
mod share;
pub mod tail;

use crate::correlate::{Correlator, LineCtx, LineRef, Records};
use crate::diag::{DiagKind, Diagnostics, FileReport, Handle, Progress, Skip};
use crate::event::Event;
use crate::source::{self, Chunk, Input, PathProblem};
use crate::syslog::{Stamp, YearTracker};
use crate::time::{civil_to_micros, local_date, LocalToUtc, Micros, Zone, MICROS_PER_SEC};
use parse::{Contexts, Kind, Line, Parsed, PostfixLine};
use sequence::{Overlap, Sequence, Verdict};
use share::{Feed, Stage};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

pub use crate::source::framing::{for_each_line, MAX_LINE};

#[derive(Clone, Debug)]
pub struct IngestOptions {
    pub paths: Vec<PathBuf>,
    /// Read the systemd journal too (after the paths).
    pub journal: bool,
    /// What journalctl is asked for whenever the journal is read (with
    /// `journal`, or as the default source): where, and the window.
    pub journal_query: source::journal::Query,
    /// Read only the named files, without their rotated siblings.
    pub exact: bool,
    /// Year of the oldest RFC 3164 line; inferred from file mtimes if unset.
    pub year: Option<i32>,
    /// The zone RFC 3164 timestamps were written in.
    pub log_zone: Zone,
    /// Keep every message's line numbers (for `trace`).
    pub keep_lines: bool,
    /// Keep the lines of the inputs that cannot be read twice (standard
    /// input, the journal), for quoting evidence.
    pub keep_read_once: bool,
    /// Keep what only `trace` and `export` show (message-ids, relays,
    /// delays, DSNs, remote servers' responses) and closed sessions; the
    /// frames the analyses use have no room for them.
    pub keep_details: bool,
    /// Keep each delivery's `delay=` and `delays=a/b/c/d` even without the
    /// other details: for the delay figures, at a fraction of their cost.
    pub keep_delays: bool,
    /// Report progress (bytes read, the file being read).
    pub progress: bool,
    /// Report the first skipped lines of each kind as they come.
    pub verbose: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            paths: Vec::new(),
            journal: false,
            journal_query: source::journal::Query::default(),
            exact: false,
            year: None,
            log_zone: Zone::Local,
            keep_lines: false,
            keep_read_once: false,
            keep_details: true,
            keep_delays: false,
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
    /// Standard input and the journal cannot be read twice: with
    /// `keep_lines`, their lines are kept here for quoting, by input
    /// (`kept_lines[file][line − 1]`; none for the other inputs).
    pub kept_lines: Vec<Vec<Box<str>>>,
    /// Who hears of the run: the later stages (frames) report here too.
    pub observer: Handle,
    /// The inputs read from a Parquet dataset, whose lines are quoted
    /// from it (none when only logs were read).
    pub stored: crate::parquet::Stored,
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
    /// No path given, and none of the default sources there: why, and how
    /// to name each.
    #[error("nothing to read: {0}")]
    NoSource(String),
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
    let (run, inputs) = read(opts, observer, spawn, (None, None))?;
    Ok(run.finish(inputs))
}

/// Reads every input through `run`, and hands the run back unfinished,
/// with the inputs in the order read. `tap` hears every event.
fn read(
    opts: &IngestOptions,
    observer: &Handle,
    spawn: SpawnParse,
    hooks: (Option<Tap>, Option<Keeper>),
) -> Result<(Run, Vec<Input>), IngestError> {
    let (inputs, problems) = choose_inputs(opts, observer)?;
    for p in &problems {
        observer.about_file(&p.path, DiagKind::PathProblem, &p.message);
    }
    let (inputs, twice) = source::discover::dedupe(inputs);
    for d in &twice {
        observer.about_file(&d.dropped, DiagKind::Duplicate, &d.words);
    }
    if inputs.is_empty() {
        return Err(IngestError::unreadable(problems.len()));
    }
    let order::Ordered { inputs, firsts, copies } = order::prepare(inputs, opts.year, &opts.log_zone, observer);
    let mut diag = Diagnostics::new(opts.verbose);
    diag.path_problems = problems;
    diag.duplicates = [twice, copies].concat();
    diag.files = inputs
        .iter()
        .map(|i| FileReport { name: i.display(), stdin: i.read_once(), ..FileReport::default() })
        .collect();
    let counter = Arc::new(AtomicU64::new(0));
    if opts.progress {
        observer.progress(Progress::Reading { total: size_on_disk(&inputs) });
    }
    let mut run = Run::new(opts, diag, observer.clone(), &firsts);
    (run.tap, run.keeper) = hooks;
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
    Ok((run, inputs))
}

/// The inputs: the paths named and the journal when asked for; with
/// neither, the first default source there is, said unless quiet.
fn choose_inputs(opts: &IngestOptions, observer: &Handle) -> Result<(Vec<Input>, Vec<PathProblem>), IngestError> {
    if opts.paths.is_empty() && !opts.journal {
        return match source::defaults::find(&opts.journal_query) {
            source::defaults::Found::Source { inputs, name, why } => {
                if opts.verbose {
                    observer.about_file(&name, DiagKind::Source, &why);
                }
                Ok((inputs, Vec::new()))
            }
            source::defaults::Found::Nothing(why) => Err(IngestError::NoSource(why)),
        };
    }
    let (mut inputs, problems) = source::resolve(&opts.paths, opts.exact);
    if opts.journal {
        inputs.push(Input::Journal(opts.journal_query.clone()));
    }
    Ok((inputs, problems))
}

/// The inputs' size on disk, for a progress display.
fn size_on_disk(inputs: &[Input]) -> u64 {
    inputs
        .iter()
        .filter_map(|i| match i {
            Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Input::Stdin | Input::Journal(_) => None,
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
    sequence: Sequence,
    keep_stdin: bool,
    kept_lines: Vec<Vec<Box<str>>>,
    /// The input being read cannot be read twice ([`Input::read_once`]).
    reading_stdin: bool,
    /// Hears every event correlated (`watch`'s counters); none in batch.
    tap: Option<Tap>,
    /// Gets every line read (`watch` keeps its window's); none in batch.
    keeper: Option<Keeper>,
}

/// Who hears every event as it is correlated, with its line's context.
pub type Tap = Box<dyn FnMut(&LineCtx, &Event)>;

/// Who gets every line read (but those read twice), as it was written:
/// input, line number, bytes, its time if it has one, and the input's year
/// tracker after it (which dates it again if it is read again).
pub type Keeper = Box<dyn FnMut(u32, u64, &[u8], Option<Micros>, &YearTracker)>;

impl Run {
    fn new(opts: &IngestOptions, diag: Diagnostics, observer: Handle, firsts: &[Option<Micros>]) -> Self {
        let today = local_date(&opts.log_zone, now());
        Run {
            correlator: Correlator::new(opts.keep_lines, opts.keep_details).with_delays(opts.keep_delays),
            diag,
            observer,
            zone: LocalToUtc::new(opts.log_zone.clone()),
            log_zone: opts.log_zone.clone(),
            forced_year: opts.year,
            year: YearTracker::new(today, opts.year),
            file: 0,
            line: 0,
            span: None,
            sequence: Sequence::new(firsts),
            keep_stdin: opts.keep_lines || opts.keep_read_once,
            kept_lines: Vec::new(),
            reading_stdin: false,
            tap: None,
            keeper: None,
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
                    // Keeps `kept_lines[file][line - 1]` the text of `line`.
                    self.keep("".into());
                }
                self.diag.too_long(file as usize, self.line, len, &self.observer);
            }
            Chunk::Note { file, message } => self.diag.said(file as usize, &message, &self.observer),
            Chunk::End { file, error } => {
                if let Some(e) = error {
                    self.diag.file_error(file as usize, e, &self.observer);
                }
                for o in self.sequence.end_file(file as usize) {
                    self.overlap(&o, inputs);
                }
            }
        }
    }

    fn start_file(&mut self, file: u32, mtime: Option<SystemTime>, inputs: &[Input]) {
        self.file = file;
        self.line = 0;
        self.reading_stdin = inputs.get(file as usize).is_some_and(Input::read_once);
        self.sequence.start_file(file as usize, self.span.map(|s| s.1));
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
            self.keep(String::from_utf8_lossy(l.raw).into());
        }
        let (file, line) = (self.file as usize, self.line);
        match &l.kind {
            Kind::Empty | Kind::Marker => self.retain(l.raw, None),
            Kind::TooLong => self.diag.too_long(file, line, l.raw.len() as u64, &self.observer),
            Kind::Binary => {
                self.retain(l.raw, None);
                self.diag.skip(file, line, Skip::Binary, l.raw, &self.observer)
            }
            Kind::NotOfFormat { repaired, format } => {
                self.retain(l.raw, None);
                self.repaired(*repaired);
                self.diag.skip(file, line, format.skip(), l.raw, &self.observer);
            }
            Kind::Other { repaired, stamp } => {
                let time = self.time_of(*stamp);
                if !self.in_sequence(time, || (0u8, l.raw)) {
                    return;
                }
                self.retain(l.raw, Some(time));
                self.repaired(*repaired);
                self.widen(time);
                self.diag.other_lines += 1;
            }
            Kind::Dovecot(p) => {
                let time = self.time_of(p.env.stamp);
                // Another program's line: its raw bytes tell copies apart.
                if !self.in_sequence(time, || (0u8, l.raw)) {
                    return;
                }
                self.retain(l.raw, Some(time));
                self.repaired(p.repaired);
                self.widen(time);
                self.diag.other_lines += 1;
                let cx = LineCtx::new(&p.env, time, LineRef { file: self.file, line }, p.context);
                for ev in p.event.iter().flat_map(|ev| std::iter::repeat_n(ev, p.repeat as usize)) {
                    self.correlator.feed(&cx, ev);
                    if let Some(tap) = &mut self.tap {
                        tap(&cx, ev);
                    }
                }
            }
            Kind::Postfix(p) => {
                let time = self.time_of(p.env.stamp);
                let e = &p.env;
                if !self.in_sequence(time, || (1u8, e.host, e.instance, e.daemon, e.pid, e.payload)) {
                    return;
                }
                self.retain(l.raw, Some(time));
                self.repaired(p.repaired);
                self.widen(time);
                self.diag.postfix_lines += 1;
                let cx = LineCtx::new(&p.env, time, LineRef { file: self.file, line }, p.context);
                for _ in 0..p.repeat {
                    match &p.event {
                        None => self.diag.unrecognised(p.env.daemon, p.payload),
                        Some(Event::Warning | Event::Master) => self.diag.warnings.add(p.env.daemon, p.payload),
                        Some(ev) => {
                            self.correlator.feed(&cx, ev);
                            if let Some(tap) = &mut self.tap {
                                tap(&cx, ev);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Hands the line just read (`time`: when it was written, if it tells)
    /// to the keeper, if there is one.
    #[inline]
    fn retain(&mut self, raw: &[u8], time: Option<Micros>) {
        if let Some(keep) = &mut self.keeper {
            keep(self.file, self.line, raw, time, &self.year);
        }
    }

    /// Keeps the text of the next line of an input read once.
    fn keep(&mut self, text: Box<str>) {
        let file = self.file as usize;
        if self.kept_lines.len() <= file {
            self.kept_lines.resize_with(file + 1, Vec::new);
        }
        self.kept_lines[file].push(text);
    }

    fn repaired(&mut self, repaired: bool) {
        if repaired {
            self.diag.repaired(self.file as usize, self.line, &self.observer);
        }
    }

    /// Widens the span of the input to the line's instant.
    fn widen(&mut self, time: Micros) {
        self.span = Some(match self.span {
            None => (time, time),
            Some((a, b)) => (a.min(time), b.max(time)),
        });
    }

    /// Whether the line at `time` is to be read (not read already in an
    /// earlier input); says when time goes back there. `key` gives what
    /// makes the line itself besides its time ([`sequence`]).
    #[inline(always)]
    fn in_sequence<K: std::hash::Hash>(&mut self, time: Micros, key: impl FnOnce() -> K) -> bool {
        match self.sequence.line(time, key) {
            Verdict::Read => true,
            v => self.out_of_sequence(v, time),
        }
    }

    /// [`Run::in_sequence`] for a line read twice or where time goes back.
    #[inline(never)]
    fn out_of_sequence(&mut self, verdict: Verdict, time: Micros) -> bool {
        let (file, line) = (self.file as usize, self.line);
        let message = match verdict {
            Verdict::Read => return true,
            Verdict::Twice => {
                if let Some(f) = self.diag.files.get_mut(file) {
                    f.duplicates += 1;
                }
                return false;
            }
            Verdict::Back { from } => format!(
                "time goes back {} here ({}, then {}): the input is out of order",
                sequence::span_words(from.saturating_sub(time)),
                self.log_zone.format(from, true),
                self.log_zone.format(time, true)
            ),
            Verdict::StartsBack { from, after } => format!(
                "starts at {}, {} before the end of {} ({}), read before it: the inputs are out of order",
                self.log_zone.format(time, true),
                sequence::span_words(from.saturating_sub(time)),
                crate::text::cell(self.diag.files.get(after).map_or("?", |f| f.name.as_str()), 200),
                self.log_zone.format(from, true)
            ),
        };
        self.diag.backwards(file, line, &message, &self.observer);
        true
    }

    /// Names two inputs covering the same time.
    fn overlap(&mut self, o: &Overlap, inputs: &[Input]) {
        let name = |i: usize| inputs.get(i).map_or_else(|| "?".into(), Input::display);
        let twice = match o.twice {
            0 => "no line is in both".to_string(),
            1 => "1 line read in both is counted once".to_string(),
            n => format!("{n} lines read in both are counted once"),
        };
        let message = format!(
            "covers the same time as {}, from {} to {} ({twice})",
            crate::text::cell(&name(o.earlier), 200),
            self.log_zone.format(o.from, true),
            self.log_zone.format(o.to, true)
        );
        self.observer.about_file(&name(o.later), DiagKind::Overlap, &message);
    }

    fn time_of(&mut self, stamp: Stamp) -> Micros {
        match stamp {
            Stamp::Exact(t) => t,
            Stamp::Local { month, day, secs, micros } => {
                let (month, day) = (u32::from(month), u32::from(day));
                let year = self.year.year_for(month, day);
                let local = civil_to_micros(year, month, day, 0, 0, 0) + secs as i64 * MICROS_PER_SEC;
                self.zone.convert(local) + i64::from(micros)
            }
            Stamp::Zoned { days, secs, abbr } => {
                let local = (i64::from(days) * 86_400 + i64::from(secs)) * MICROS_PER_SEC;
                self.zone.convert_abbreviated(local, abbr.as_str()).unwrap_or_else(|| {
                    let zone = self.log_zone.iana_name().unwrap_or_else(|| self.log_zone.to_string());
                    self.diag.foreign_zone(self.file as usize, self.line, abbr.as_str(), &zone, &self.observer);
                    self.zone.convert(local)
                })
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
            kept_lines: self.kept_lines,
            observer: self.observer,
            stored: Default::default(),
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
mod tests;
