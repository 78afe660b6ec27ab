//! The streaming pipeline up to records: source → syslog → event →
//! correlate, with diagnostics and progress. Commands call [`ingest`] and get
//! a [`Dataset`]; nothing here knows about the CLI.
//!
//! Two threads: the parse thread (reading plain files, and [`parse`]:
//! lines, syslog envelope, Postfix events), and this one, which puts dates
//! on RFC 3164 lines (the year depends on the lines before) and correlates,
//! in log order, and parses too when the parse thread falls behind
//! ([`share`]). Gzip input is inflated on a third (`source::reader`).

mod parse;
mod share;

use crate::correlate::{Correlator, LineCtx, LineRef, Records};
use crate::diag::{Diagnostics, FileReport, Skip};
use crate::event::Event;
use crate::source::{self, Chunk, Input};
use crate::syslog::{Stamp, YearTracker};
use crate::time::{civil_to_micros, local_date, LocalToUtc, Micros, Zone, MICROS_PER_SEC};
use parse::{Contexts, Kind, Line, Parsed, PostfixLine};
use share::{Feed, Stage};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

/// Lines longer than this are skipped: Postfix never writes one (syslog
/// daemons cut at 8 KiB by default); a longer one is corruption or attack.
pub const MAX_LINE: usize = 64 << 10;

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
    /// Show a progress bar if stderr is a terminal.
    pub progress: bool,
    /// Show the first skipped lines of each kind on stderr.
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
}

impl Dataset {
    pub fn file_name(&self, r: LineRef) -> String {
        self.inputs.get(r.file as usize).map_or_else(|| "?".into(), Input::display)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("nothing to read: {0}")]
    NoInput(String),
}

pub fn ingest(opts: &IngestOptions) -> Result<Dataset, IngestError> {
    ingest_with(opts, share::spawn)
}

/// How the parse thread is started: [`share::spawn`], or in tests a stand-in.
type SpawnParse = fn(Vec<Input>, Arc<AtomicU64>) -> std::io::Result<std::sync::mpsc::Receiver<Stage>>;

fn ingest_with(opts: &IngestOptions, spawn: SpawnParse) -> Result<Dataset, IngestError> {
    let (inputs, problems) = source::resolve(&opts.paths, opts.exact);
    for p in &problems {
        eprintln!("postsleuth: {}: {}", crate::text::cell(&p.path, 200), p.message);
    }
    if inputs.is_empty() {
        let why = problems
            .first()
            .map_or("no input".to_string(), |p| format!("{}: {}", crate::text::cell(&p.path, 200), p.message));
        return Err(IngestError::NoInput(why));
    }
    let mut diag = Diagnostics::new(opts.verbose);
    diag.path_problems = problems;
    diag.files = inputs
        .iter()
        .map(|i| FileReport { name: i.display(), stdin: *i == Input::Stdin, ..FileReport::default() })
        .collect();
    let counter = Arc::new(AtomicU64::new(0));
    let bar = progress_bar(opts.progress, &inputs);
    let mut run = Run::new(opts, diag);
    let mut correlate = |stage: Stage| {
        if let Some(bar) = &bar {
            bar.set_position(counter.load(Ordering::Relaxed));
        }
        match stage {
            Stage::Chunk(chunk) => run.chunk(chunk, &inputs, bar.as_ref()),
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
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // Every input failed before its first line (binary, unreadable): there
    // is nothing to analyse, which is an error like a missing path, not a
    // partial result.
    if run.diag.files.iter().all(|f| f.error.is_some() && f.lines == 0) {
        let f = &run.diag.files[0];
        let why = format!("{}: {}", crate::text::cell(&f.name, 200), f.error.as_deref().unwrap_or(""));
        return Err(IngestError::NoInput(why));
    }
    Ok(run.finish(inputs))
}

fn progress_bar(wanted: bool, inputs: &[Input]) -> Option<indicatif::ProgressBar> {
    if !wanted || !std::io::stderr().is_terminal() {
        return None;
    }
    let total: u64 = inputs
        .iter()
        .filter_map(|i| match i {
            Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Input::Stdin => None,
        })
        .sum();
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// State of one ingest run while lines stream through.
struct Run {
    correlator: Correlator,
    diag: Diagnostics,
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
    fn new(opts: &IngestOptions, diag: Diagnostics) -> Self {
        let today = local_date(&opts.log_zone, now());
        Run {
            correlator: Correlator::new(opts.keep_lines, opts.keep_details),
            diag,
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

    fn chunk(&mut self, chunk: Chunk, inputs: &[Input], bar: Option<&indicatif::ProgressBar>) {
        match chunk {
            Chunk::Opened { file, meta } => {
                self.start_file(file, meta.mtime, inputs);
                if let Some(f) = self.diag.files.get_mut(file as usize) {
                    f.compression = meta.compression;
                }
                if let Some(bar) = bar {
                    bar.set_message(crate::text::cell(&inputs[file as usize].display(), 40));
                }
            }
            // Data comes in pieces ([`share`]); should a chunk reach here
            // whole, it is parsed here, its lines' contexts going by name.
            Chunk::Data { file, bytes } => {
                let chunk = Arc::new(bytes);
                Parsed::batches(&chunk, 0..chunk.len(), &mut Contexts::none(), |p| {
                    self.parsed(file, &p);
                    true
                });
            }
            Chunk::LongLine { file, len } => {
                self.file = file;
                self.line += 1;
                self.count_line();
                if self.reading_stdin && self.keep_stdin {
                    // Keeps `stdin_lines[line - 1]` the text of `line`.
                    self.stdin_lines.push("".into());
                }
                self.diag.too_long(file as usize, self.line, len);
            }
            Chunk::End { file, error } => {
                if let Some(e) = error {
                    self.diag.file_error(file as usize, e);
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
            Kind::TooLong => self.diag.too_long(file, line, l.raw.len() as u64),
            Kind::Binary => self.diag.skip(file, line, Skip::Binary, l.raw),
            Kind::NotSyslog { repaired } => {
                self.repaired(*repaired);
                self.diag.skip(file, line, Skip::NotSyslog, l.raw);
            }
            Kind::Other { repaired, stamp } => {
                self.repaired(*repaired);
                self.stamp(*stamp);
                self.diag.other_lines += 1;
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
            self.diag.repaired(self.file as usize, self.line);
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
        }
    }
}

/// Calls `f` on each line of a chunk, without its `\n` (and `\r`). A chunk
/// that ends without a newline ends with a line too.
///
/// Newlines are found 64 bytes at a time, as a mask with a bit per newline.
/// A log line is ~150 bytes: a search call per line paid its setup on every
/// line, and was a tenth of the parse thread's time.
pub fn for_each_line<'a>(bytes: &'a [u8], mut f: impl FnMut(&'a [u8])) {
    let mut start = 0;
    let mut base = 0;
    while let Some(block) = bytes.get(base..base + 64) {
        let [mut newlines] = crate::bytemask::masks(block, [b'\n']);
        while newlines != 0 {
            let nl = base + newlines.trailing_zeros() as usize;
            f(trim_cr(&bytes[start..nl]));
            start = nl + 1;
            newlines &= newlines - 1;
        }
        base += 64;
    }
    for nl in memchr::memchr_iter(b'\n', &bytes[base..]) {
        f(trim_cr(&bytes[start..base + nl]));
        start = base + nl + 1;
    }
    if start < bytes.len() {
        f(trim_cr(&bytes[start..]));
    }
}

fn trim_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
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
        let (threaded, inline) = (ingest(&opts).unwrap(), ingest_with(&opts, refused).unwrap());
        let summary = |ds: &Dataset| {
            let r = &ds.records;
            let lines: Vec<u64> = ds.diag.files.iter().map(|f| f.lines).collect();
            let messages: Vec<_> = r.messages.iter().map(|m| (m.queue_id, m.first_seen, m.state, m.sender)).collect();
            (lines, messages, r.deliveries.len(), r.auth.len(), r.rejects.len(), ds.diag.postfix_lines)
        };
        assert!(!threaded.records.messages.is_empty());
        assert_eq!(summary(&inline), summary(&threaded));
    }

    /// Lines found 64 bytes at a time are the lines a plain search finds,
    /// at every length and alignment, CRs and empty lines included.
    #[test]
    fn lines_split_like_a_plain_search() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in (0..300).chain([1000, 4096, 70_000]) {
            let bytes: Vec<u8> = (0..len)
                .map(|_| match next() % 40 {
                    0..=2 => b'\n',
                    3 => b'\r',
                    n => b'a' + n as u8,
                })
                .collect();
            let mut seen = Vec::new();
            for_each_line(&bytes, |l| seen.push(l));
            let mut want: Vec<&[u8]> = bytes.split(|&c| c == b'\n').map(trim_cr).collect();
            if bytes.last().is_none_or(|&c| c == b'\n') {
                want.pop();
            }
            assert_eq!(seen, want, "{len} bytes");
        }
    }

    #[test]
    fn lines_split_with_or_without_final_newline() {
        let mut seen = Vec::new();
        for_each_line(b"a\r\nb\n\nc", |l| seen.push(l.to_vec()));
        assert_eq!(seen, [b"a".to_vec(), b"b".to_vec(), b"".to_vec(), b"c".to_vec()]);
    }
}
