//! What went wrong with the input, kept per file: skipped lines by reason,
//! files that could not be read, Postfix lines no rule recognised. The first
//! few problems of each kind are reported as they happen (file:line), the
//! rest are counted and summed up at the end.
//!
//! The library prints nothing: it reports [`Diagnostic`]s and [`Progress`]
//! to a [`Handle`] its caller owns (the commands' one prints them on
//! stderr; a test or a live watcher keeps them).

mod warnings;
pub use warnings::{Tally, WarningKind, Warnings};

use crate::source::PathProblem;
use crate::text::cell;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a [`Diagnostic`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagKind {
    /// A path that names nothing readable.
    PathProblem,
    /// A file that could not be read, or ended early.
    FileError,
    /// A line that was not analysed.
    Skipped(Skip),
    /// A line with invalid UTF-8, analysed with the bad bytes replaced.
    RepairedUtf8,
    /// A file without a line.
    Empty,
    /// A file's skipped lines, counted at the end.
    SkippedSummary,
    /// A file named twice (a symlink, `./x` and `x`), or a copy of another
    /// (`mail.log` beside `mail.log.gz`): read once.
    Duplicate,
    /// NUL bytes before a file's first line (what a `copytruncate`
    /// rotation leaves when the writer did not append): skipped, not lines.
    Padding,
    /// What the program an input comes from said (journalctl's hints).
    Said,
    /// With no path given, the default source read.
    Source,
    /// A time written beside a zone abbreviation the log's zone does not
    /// have then (`CET` read with `--log-tz UTC`): read in the log's zone.
    ForeignZone,
    /// Two inputs covering the same time (two exports of one window, a
    /// longer copy): their lines read twice are counted once.
    Overlap,
    /// Time going back by more than a minute: the input is out of order.
    Backwards,
}

/// One thing the run has to say about its input.
#[derive(Clone, Copy, Debug)]
pub struct Diagnostic<'a> {
    /// The file (or path) as named on input, unescaped.
    pub file: &'a str,
    /// The 1-based line, when about one line.
    pub line: Option<u64>,
    pub kind: DiagKind,
    pub message: &'a str,
}

/// A step of the run after the reading, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    BuildingFrames,
    Analysing,
    Writing,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::BuildingFrames => "building frames",
            Stage::Analysing => "analysing",
            Stage::Writing => "writing",
        }
    }
}

/// How far the run is.
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// Reading starts: `total` bytes on disk (files only; standard input
    /// has no size).
    Reading { total: u64 },
    /// Bytes read so far.
    Read(u64),
    /// Reading file `name` now.
    File(&'a str),
    /// Reading is over.
    ReadingDone,
    /// The run is at this step.
    Stage(Stage),
    /// The run is over: nothing more will be reported.
    Done,
}

/// Whoever runs the library and wants to hear from it.
pub trait Observer: Send + Sync {
    fn diagnostic(&self, d: &Diagnostic);
    fn progress(&self, p: Progress);
}

/// The caller's [`Observer`], shared by the stages of one run; the default
/// one hears nothing.
#[derive(Clone, Default)]
pub struct Handle(Option<Arc<dyn Observer>>);

impl Handle {
    pub fn new(observer: Arc<dyn Observer>) -> Self {
        Handle(Some(observer))
    }

    pub fn diagnostic(&self, d: &Diagnostic) {
        if let Some(o) = &self.0 {
            o.diagnostic(d);
        }
    }

    pub fn progress(&self, p: Progress) {
        if let Some(o) = &self.0 {
            o.progress(p);
        }
    }

    pub fn stage(&self, stage: Stage) {
        self.progress(Progress::Stage(stage));
    }

    /// Reports a problem with `file` as a whole.
    pub fn about_file(&self, file: &str, kind: DiagKind, message: &str) {
        self.diagnostic(&Diagnostic { file, line: None, kind, message });
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Handle(observed)" } else { "Handle(quiet)" })
    }
}

/// Why a line was not analysed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// No syslog envelope (timestamp, host, tag): junk, or another format.
    NotSyslog,
    /// In the journal's JSON, a line that is no entry of it (cut short,
    /// no time, no message).
    NotJournal,
    /// Longer than `source::framing::MAX_LINE`.
    TooLong,
    /// Contains NUL bytes (a crash leaves runs of them in a log).
    Binary,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::NotSyslog => "not a syslog line",
            Skip::NotJournal => "not a journal record",
            Skip::TooLong => "line too long",
            Skip::Binary => "binary junk (NUL bytes)",
        }
    }
}

/// One input file, as read.
#[derive(Clone, Debug, Default)]
pub struct FileReport {
    pub name: String,
    /// Standard input, not a file.
    pub stdin: bool,
    pub compression: &'static str,
    pub lines: u64,
    pub bytes: u64,
    pub skipped: BTreeMap<Skip, u64>,
    /// Lines with invalid UTF-8, analysed with U+FFFD in place of the bad bytes.
    pub repaired_utf8: u64,
    /// NUL bytes skipped before the first line.
    pub padding: u64,
    /// Lines read already in an earlier input (an overlap): not counted again.
    pub duplicates: u64,
    /// Lines written more than a minute before the line read before them.
    pub backwards: u64,
    /// Why the file could not be read, or ended early.
    pub error: Option<String>,
}

impl FileReport {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// What reading in order found: time going back, lines read already in
    /// an earlier input.
    fn order_words(&self) -> Vec<(DiagKind, String)> {
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        let mut out = Vec::new();
        if self.backwards > 0 {
            out.push((
                DiagKind::Backwards,
                format!(
                    "time goes back by more than a minute on {} line{}: the input is out of order and its figures \
                     may be wrong; name the files (they are read oldest first) or feed them oldest first",
                    self.backwards,
                    plural(self.backwards)
                ),
            ));
        }
        if self.duplicates > 0 {
            let message = format!(
                "{} line{} read already in an earlier input, counted once",
                self.duplicates,
                plural(self.duplicates)
            );
            out.push((DiagKind::Overlap, message));
        }
        out
    }

    /// `skipped N of M lines (why…)`, and the lines repaired, when a line
    /// was skipped or repaired. A repaired line may be skipped too: the
    /// repairs are said apart, not as a part of the skipped ones.
    fn skipped_words(&self) -> Option<String> {
        let total = self.skipped_total();
        let skipped = (total > 0).then(|| {
            let parts: Vec<String> = self.skipped.iter().map(|(k, v)| format!("{v} {}", k.as_str())).collect();
            format!("skipped {total} of {} lines ({})", self.lines, parts.join(", "))
        });
        let n = self.repaired_utf8;
        match skipped {
            None if n == 0 => None,
            None => Some(format!("{n} of {} lines with invalid UTF-8 repaired", self.lines)),
            Some(s) if n == 0 => Some(s),
            Some(s) => Some(format!("{s}; {n} with invalid UTF-8 repaired")),
        }
    }
}

fn padding_words(bytes: u64) -> String {
    let s = if bytes == 1 { "" } else { "s" };
    format!("{bytes} NUL byte{s} before the first line skipped (what a copytruncate rotation leaves)")
}

/// Everything the run has to say about its input.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub files: Vec<FileReport>,
    pub path_problems: Vec<PathProblem>,
    /// Postfix lines no rule recognised, per daemon: count and a sample.
    pub unrecognised: BTreeMap<String, (u64, String)>,
    /// `warning:`, `error:`, `fatal:` and `panic:` lines that are no event
    /// of their own (SASL failures are auth attempts), and master's
    /// messages, per kind.
    pub warnings: Warnings,
    pub postfix_lines: u64,
    pub other_lines: u64,
    /// Files named twice, read once.
    pub duplicates: Vec<crate::source::discover::Duplicate>,
    /// Print the first problems of each kind to stderr as they happen.
    pub verbose: bool,
    shown: BTreeMap<(usize, &'static str), u32>,
    /// Files [`Diagnostics::foreign_zone`] spoke of.
    foreign_zones: std::collections::BTreeSet<usize>,
    /// The first line where time goes back: (file, line).
    first_backwards: Option<(usize, u64)>,
}

/// How many problems of one kind per file are shown before only counting.
const SHOW_PER_KIND: u32 = 3;

impl Diagnostics {
    pub fn new(verbose: bool) -> Self {
        Diagnostics { verbose, ..Diagnostics::default() }
    }

    pub fn skip(&mut self, file: usize, line: u64, why: Skip, text: &[u8], to: &Handle) {
        if let Some(f) = self.files.get_mut(file) {
            *f.skipped.entry(why).or_default() += 1;
        }
        // `cell` has escaped what needs it; `{:?}` would escape the escapes.
        let excerpt = cell(&String::from_utf8_lossy(&text[..text.len().min(120)]), 60);
        self.note(file, line, DiagKind::Skipped(why), &format!("{}: \"{excerpt}\"", why.as_str()), to);
    }

    /// A line of `len` bytes, longer than `source::framing::MAX_LINE`: skipped.
    pub fn too_long(&mut self, file: usize, line: u64, len: u64, to: &Handle) {
        let why = Skip::TooLong;
        if let Some(f) = self.files.get_mut(file) {
            *f.skipped.entry(why).or_default() += 1;
        }
        self.note(file, line, DiagKind::Skipped(why), &format!("{} ({len} bytes)", why.as_str()), to);
    }

    pub fn repaired(&mut self, file: usize, line: u64, to: &Handle) {
        if let Some(f) = self.files.get_mut(file) {
            f.repaired_utf8 += 1;
        }
        self.note(file, line, DiagKind::RepairedUtf8, "invalid UTF-8, analysed with the bad bytes replaced", to);
    }

    pub fn unrecognised(&mut self, daemon: &str, payload: &str) {
        let e = self.unrecognised.entry(daemon.to_string()).or_insert_with(|| (0, cell(payload, 100)));
        e.0 += 1;
    }

    /// NUL padding skipped before a file's first line: always said, never
    /// partial (the lines after it are all there).
    pub fn padding(&mut self, file: usize, bytes: u64, to: &Handle) {
        let Some(f) = self.files.get_mut(file) else { return };
        f.padding += bytes;
        let message = padding_words(bytes);
        to.diagnostic(&Diagnostic { file: f.name.as_str(), line: None, kind: DiagKind::Padding, message: &message });
    }

    /// A time beside zone abbreviation `abbr`, which the log's zone (named
    /// `zone`) has not at that time: said once per file, whatever `--quiet`
    /// says, since the times are then likely off by the difference of the
    /// two zones.
    pub fn foreign_zone(&mut self, file: usize, line: u64, abbr: &str, zone: &str, to: &Handle) {
        let Some(f) = self.files.get(file) else { return };
        if !self.foreign_zones.insert(file) {
            return;
        }
        let message = format!(
            "the time is in zone {abbr}, which the log's zone ({}) does not use then: read in {}; \
             name the zone the log was written in with --log-tz",
            cell(zone, 60),
            cell(zone, 60)
        );
        let kind = DiagKind::ForeignZone;
        to.diagnostic(&Diagnostic { file: f.name.as_str(), line: Some(line), kind, message: &message });
    }

    /// What the program input `file` comes from said: always passed on.
    pub fn said(&mut self, file: usize, message: &str, to: &Handle) {
        if let Some(f) = self.files.get(file) {
            to.about_file(&f.name, DiagKind::Said, message);
        }
    }

    /// A line of `file` written more than a minute before the line read
    /// before it; `message` says by how much.
    pub fn backwards(&mut self, file: usize, line: u64, message: &str, to: &Handle) {
        if let Some(f) = self.files.get_mut(file) {
            f.backwards += 1;
        }
        self.first_backwards.get_or_insert((file, line));
        self.note(file, line, DiagKind::Backwards, message, to);
    }

    /// Where the input first goes back in time (file, line), when it does:
    /// its figures may then be wrong, and what would act on them (queue
    /// IDs for `postsuper`) must not be given.
    pub fn out_of_order(&self) -> Option<(&str, u64)> {
        let (file, line) = self.first_backwards?;
        Some((self.files.get(file).map_or("?", |f| f.name.as_str()), line))
    }

    /// Where a Parquet dataset says its input first went back in time
    /// (`file` as numbered here), unless an input read before went back.
    pub fn restore_first_backwards(&mut self, file: usize, line: u64) {
        self.first_backwards.get_or_insert((file, line));
    }

    /// A file-level problem: always reported.
    pub fn file_error(&mut self, file: usize, message: String, to: &Handle) {
        if let Some(f) = self.files.get_mut(file) {
            to.about_file(&f.name, DiagKind::FileError, &message);
            f.error = Some(message);
        }
    }

    fn note(&mut self, file: usize, line: u64, kind: DiagKind, message: &str, to: &Handle) {
        if !self.verbose {
            return;
        }
        let n = self.shown.entry((file, kind_name(kind))).or_default();
        *n += 1;
        if *n <= SHOW_PER_KIND {
            let name = self.files.get(file).map_or("?", |f| f.name.as_str());
            to.diagnostic(&Diagnostic { file: name, line: Some(line), kind, message });
        }
    }

    pub fn skipped_total(&self) -> u64 {
        self.files.iter().map(FileReport::skipped_total).sum()
    }

    /// True when some input was not analysed in full (a path that names
    /// nothing, a file that could not be read or ended early, a line
    /// skipped): results are partial. Repaired UTF-8 and NUL padding are
    /// not: every line was analysed.
    pub fn input_incomplete(&self) -> bool {
        !self.path_problems.is_empty() || self.files.iter().any(|f| f.error.is_some() || f.skipped_total() > 0)
    }

    /// Every problem with the input, one per file and kind, in words, for
    /// the "input problems" block of a summary: (file, what happened).
    /// Empty when the input was read whole.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> =
            self.path_problems.iter().map(|p| (p.path.clone(), p.message.clone())).collect();
        for f in &self.files {
            if let Some(e) = &f.error {
                out.push((f.name.clone(), e.clone()));
            }
            if let Some(skipped) = f.skipped_words() {
                out.push((f.name.clone(), skipped));
            }
            out.extend(f.order_words().into_iter().map(|(_, words)| (f.name.clone(), words)));
            if f.padding > 0 {
                out.push((f.name.clone(), padding_words(f.padding)));
            }
        }
        for d in &self.duplicates {
            out.push((d.dropped.clone(), d.words.clone()));
        }
        out
    }

    /// The closing diagnostics: empty files, skipped counts per file.
    pub fn report_summary(&self, to: &Handle) {
        for f in &self.files {
            if f.lines == 0 && f.error.is_none() {
                // A log rotated a moment ago is empty: its lines are in the
                // next file of the set, which the user may not have meant
                // to leave out.
                let hint = if f.stdin {
                    ""
                } else {
                    " (a log just rotated has its lines in the next file: mail.log.1 for mail.log)"
                };
                to.about_file(&f.name, DiagKind::Empty, &format!("empty, nothing to analyse{hint}"));
                continue;
            }
            for (kind, message) in f.order_words() {
                to.about_file(&f.name, kind, &message);
            }
            if let Some(message) = f.skipped_words() {
                to.about_file(&f.name, DiagKind::SkippedSummary, &message);
            }
        }
    }
}

/// Kinds are counted apart for [`SHOW_PER_KIND`] by this name; a line too
/// long and a line of junk are apart, as they always were.
fn kind_name(kind: DiagKind) -> &'static str {
    match kind {
        DiagKind::Skipped(why) => why.as_str(),
        DiagKind::RepairedUtf8 => "utf8",
        DiagKind::PathProblem => "path",
        DiagKind::FileError => "file",
        DiagKind::Empty => "empty",
        DiagKind::SkippedSummary => "summary",
        DiagKind::Padding => "padding",
        DiagKind::Duplicate => "duplicate",
        DiagKind::ForeignZone => "zone",
        DiagKind::Said => "said",
        DiagKind::Source => "source",
        DiagKind::Overlap => "overlap",
        DiagKind::Backwards => "backwards",
    }
}
