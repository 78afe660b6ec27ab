//! What went wrong with the input, kept per file: skipped lines by reason,
//! files that could not be read, Postfix lines no rule recognised. The first
//! few problems of each kind are shown as they happen (file:line), the rest
//! are counted and summed up at the end.

use crate::source::PathProblem;
use crate::text::cell;
use std::collections::BTreeMap;

/// Why a line was not analysed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// No syslog envelope (timestamp, host, tag): junk, or another format.
    NotSyslog,
    /// Longer than `source::framing::MAX_LINE`.
    TooLong,
    /// Contains NUL bytes (a crash leaves runs of them in a log).
    Binary,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::NotSyslog => "not a syslog line",
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
    /// Why the file could not be read, or ended early.
    pub error: Option<String>,
}

impl FileReport {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// Everything the run has to say about its input.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub files: Vec<FileReport>,
    pub path_problems: Vec<PathProblem>,
    /// Postfix lines no rule recognised, per daemon: count and a sample.
    pub unrecognised: BTreeMap<String, (u64, String)>,
    /// `warning:` lines per daemon (other than SASL failures).
    pub warnings: BTreeMap<String, u64>,
    pub postfix_lines: u64,
    pub other_lines: u64,
    /// Print the first problems of each kind to stderr as they happen.
    pub verbose: bool,
    shown: BTreeMap<(usize, &'static str), u32>,
}

/// How many problems of one kind per file are shown before only counting.
const SHOW_PER_KIND: u32 = 3;

impl Diagnostics {
    pub fn new(verbose: bool) -> Self {
        Diagnostics { verbose, ..Diagnostics::default() }
    }

    pub fn skip(&mut self, file: usize, line: u64, why: Skip, text: &[u8]) {
        if let Some(f) = self.files.get_mut(file) {
            *f.skipped.entry(why).or_default() += 1;
        }
        // `cell` has escaped what needs it; `{:?}` would escape the escapes.
        let excerpt = cell(&String::from_utf8_lossy(&text[..text.len().min(120)]), 60);
        self.note(file, line, why.as_str(), &format!("{}: \"{excerpt}\"", why.as_str()));
    }

    /// A line of `len` bytes, longer than `source::framing::MAX_LINE`: skipped.
    pub fn too_long(&mut self, file: usize, line: u64, len: u64) {
        let why = Skip::TooLong;
        if let Some(f) = self.files.get_mut(file) {
            *f.skipped.entry(why).or_default() += 1;
        }
        self.note(file, line, why.as_str(), &format!("{} ({len} bytes)", why.as_str()));
    }

    pub fn repaired(&mut self, file: usize, line: u64) {
        if let Some(f) = self.files.get_mut(file) {
            f.repaired_utf8 += 1;
        }
        self.note(file, line, "utf8", "invalid UTF-8, analysed with the bad bytes replaced");
    }

    pub fn unrecognised(&mut self, daemon: &str, payload: &str) {
        let e = self.unrecognised.entry(daemon.to_string()).or_insert_with(|| (0, cell(payload, 100)));
        e.0 += 1;
    }

    /// A file-level problem: always shown.
    pub fn file_error(&mut self, file: usize, message: String) {
        if let Some(f) = self.files.get_mut(file) {
            eprintln!("postsleuth: {}: {message}", cell(&f.name, 200));
            f.error = Some(message);
        }
    }

    fn note(&mut self, file: usize, line: u64, kind: &'static str, message: &str) {
        if !self.verbose {
            return;
        }
        let n = self.shown.entry((file, kind)).or_default();
        *n += 1;
        if *n <= SHOW_PER_KIND {
            let name = self.files.get(file).map_or("?", |f| f.name.as_str());
            eprintln!("postsleuth: {}:{line}: {message}", cell(name, 200));
        }
    }

    pub fn skipped_total(&self) -> u64 {
        self.files.iter().map(FileReport::skipped_total).sum()
    }

    /// True when some input could not be read in full: results are partial.
    pub fn input_incomplete(&self) -> bool {
        !self.path_problems.is_empty() || self.files.iter().any(|f| f.error.is_some())
    }

    /// The closing lines on stderr: empty files, skipped counts per file.
    pub fn print_summary(&self) {
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
                eprintln!("postsleuth: {}: empty, nothing to analyse{hint}", cell(&f.name, 200));
                continue;
            }
            let total = f.skipped_total();
            if total == 0 && f.repaired_utf8 == 0 {
                continue;
            }
            let mut parts: Vec<String> = f.skipped.iter().map(|(k, v)| format!("{v} {}", k.as_str())).collect();
            if f.repaired_utf8 > 0 {
                parts.push(format!("{} with invalid UTF-8 repaired", f.repaired_utf8));
            }
            eprintln!(
                "postsleuth: {}: skipped {total} of {} lines ({})",
                cell(&f.name, 200),
                f.lines,
                parts.join(", ")
            );
        }
    }
}
