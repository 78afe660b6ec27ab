//! The batch pipeline left open: `watch` reads the history with
//! [`ingest_tail`] (the same threads and the same speed as any batch
//! command) and gets back the correlation unfinished, with the year of
//! each RFC 3164 input, which then goes on with the lines that follow
//! ([`Tail::feed`]). [`Tail::snapshot`] finishes a copy: the records so
//! far, as a batch command would have them at the end of its input.

use super::parse::{Contexts, Parsed};
use super::{now, read, share, Dataset, IngestError, IngestOptions, Keeper, Run, Tap};
use crate::diag::{Diagnostics, FileReport, Handle};
use crate::envelope::Format;
use crate::source::{Block, Input};
use crate::syslog::YearTracker;
use crate::time::{local_date, Micros};
use std::collections::HashMap;
use std::sync::Arc;

/// A correlation that goes on: its inputs so far, and what each needs to
/// read on where it stopped.
pub struct Tail {
    run: Run,
    inputs: Vec<Input>,
    /// The input [`Tail::run`] reads now, if any.
    current: Option<u32>,
    /// The year trackers of the inputs not read now.
    years: HashMap<u32, YearTracker>,
    /// Each input's envelope format, told by its first lines.
    formats: HashMap<u32, Format>,
}

/// Reads the inputs `opts` names as [`super::ingest`] does, and hands back
/// the correlation unfinished. `tap` hears every event, `keeper` gets
/// every line.
pub fn ingest_tail(
    opts: &IngestOptions,
    observer: &Handle,
    tap: Option<Tap>,
    keeper: Option<Keeper>,
) -> Result<Tail, IngestError> {
    let (run, inputs) = read(opts, observer, share::spawn, (tap, keeper))?;
    let current = inputs.len().checked_sub(1).map(|i| i as u32);
    Ok(Tail { run, inputs, current, years: HashMap::new(), formats: HashMap::new() })
}

impl Tail {
    /// Nothing read yet; the inputs named `inputs` (numbered in that order)
    /// to come. `tap` hears every event.
    pub fn new(opts: &IngestOptions, observer: Handle, inputs: &[String], tap: Option<Tap>) -> Tail {
        let mut run = Run::new(opts, Diagnostics::new(opts.verbose), observer, &[]);
        run.tap = tap;
        let mut tail = Tail { run, inputs: Vec::new(), current: None, years: HashMap::new(), formats: HashMap::new() };
        for name in inputs {
            tail.add_input(name);
        }
        tail
    }

    /// A new input (a file generation, the journal), by the name its
    /// evidence is quoted with; its number.
    pub fn add_input(&mut self, name: &str) -> u32 {
        self.inputs.push(Input::File(name.into()));
        self.run.diag.files.push(FileReport { name: name.to_string(), ..FileReport::default() });
        (self.inputs.len() - 1) as u32
    }

    /// The inputs, numbered as the records' [`crate::correlate::LineRef`]s.
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// Lines read of input `file`.
    pub fn lines_of(&self, file: u32) -> u64 {
        self.run.diag.files.get(file as usize).map_or(0, |f| f.lines)
    }

    /// The first and last time of the lines read.
    pub fn span(&self) -> Option<(Micros, Micros)> {
        self.run.span
    }

    /// The year tracker of input `file` as it stands: what a later reading
    /// of its next lines starts from ([`Tail::feed_with_year`]).
    pub fn year_of(&self, file: u32) -> YearTracker {
        if self.current == Some(file) {
            return self.run.year.clone();
        }
        self.years.get(&file).cloned().unwrap_or_else(|| self.fresh_year())
    }

    /// Correlates `text`, whole lines of input `file` (each ending in a
    /// newline) numbered from `first_line`.
    pub fn feed(&mut self, file: u32, first_line: u64, text: Vec<u8>) {
        self.switch_to(file, None);
        self.parse(file, first_line, text);
    }

    /// [`Tail::feed`], dating RFC 3164 lines from `year` (saved when they
    /// were first read) rather than from where the input stood.
    pub fn feed_with_year(&mut self, file: u32, first_line: u64, text: Vec<u8>, year: YearTracker) {
        self.switch_to(file, Some(year));
        self.parse(file, first_line, text);
    }

    fn parse(&mut self, file: u32, first_line: u64, text: Vec<u8>) {
        if text.is_empty() {
            return;
        }
        self.run.line = first_line.saturating_sub(1);
        let format = *self.formats.entry(file).or_insert_with(|| Format::sniff(&text));
        let chunk = Arc::new(Block::from(text));
        let run = &mut self.run;
        // Context numbers are the parse threads' of the history: lines read
        // here go by their names.
        Parsed::batches(&chunk, 0..chunk.len(), format, &mut Contexts::none(), |p| {
            run.parsed(file, &p);
            true
        });
    }

    /// Makes `file` the input read, keeping the year of the one before.
    fn switch_to(&mut self, file: u32, year: Option<YearTracker>) {
        if self.current != Some(file) {
            if let Some(old) = self.current {
                self.years.insert(old, self.run.year.clone());
            }
            let latest = self.run.span.map(|s| s.1);
            self.run.file = file;
            self.run.sequence.start_file(file as usize, latest);
            self.run.reading_stdin = false;
            self.run.year = self.years.remove(&file).unwrap_or_else(|| self.fresh_year());
            self.current = Some(file);
        }
        if let Some(year) = year {
            self.run.year = year;
        }
    }

    /// The year tracker of an input written up to now.
    fn fresh_year(&self) -> YearTracker {
        YearTracker::new(local_date(&self.run.log_zone, now()), self.run.forced_year)
    }

    /// Goes on where `old` stood, with the correlation made here (of fewer
    /// lines): `old`'s inputs, diagnostics, observer and tap, and each
    /// input's year and format.
    pub fn take_over(&mut self, old: Tail) {
        let Tail { run, inputs, current, years, formats } = old;
        self.run.diag = run.diag;
        self.run.observer = run.observer;
        self.run.tap = run.tap;
        self.run.keeper = run.keeper;
        self.run.year = run.year;
        self.run.file = run.file;
        self.inputs = inputs;
        self.current = current;
        self.years = years;
        self.formats = formats;
    }

    /// Reports to `observer` from now on (problems of each kind shown as
    /// they come when `verbose`).
    pub fn speak(&mut self, observer: Handle, verbose: bool) {
        self.run.observer = observer;
        self.run.diag.verbose = verbose;
    }

    /// Lets `tap` hear every event from now on.
    pub fn set_tap(&mut self, tap: Option<Tap>) {
        self.run.tap = tap;
    }

    /// Hands every line read to `keeper` from now on.
    pub fn set_keeper(&mut self, keeper: Option<Keeper>) {
        self.run.keeper = keeper;
    }

    /// The time of `line` (a line of input `file` not read yet), as it will
    /// be dated when read; `None` when it has no time. Nothing changes.
    pub fn peek_time(&self, file: u32, line: &[u8]) -> Option<Micros> {
        use crate::envelope::Split;
        let text = std::str::from_utf8(line).ok()?;
        let format = self.formats.get(&file).copied().unwrap_or_else(|| Format::sniff(line));
        let stamp = match format {
            Format::Journald => crate::envelope::journald::Journald::split(text)?.stamp,
            _ => crate::syslog::Syslog::split(text)?.stamp,
        };
        let (mut year, mut zone) = (self.year_of(file), self.run.zone.clone());
        Some(match stamp {
            crate::envelope::Stamp::Exact(t) => t,
            crate::envelope::Stamp::Local { month, day, secs, micros } => {
                let (month, day) = (u32::from(month), u32::from(day));
                let y = year.year_for(month, day);
                let local = crate::time::civil_to_micros(y, month, day, 0, 0, 0)
                    + i64::from(secs) * crate::time::MICROS_PER_SEC;
                zone.convert(local) + i64::from(micros)
            }
            crate::envelope::Stamp::Zoned { days, secs, abbr } => {
                let local = (i64::from(days) * 86_400 + i64::from(secs)) * crate::time::MICROS_PER_SEC;
                zone.convert_abbreviated(local, abbr.as_str()).unwrap_or_else(|| zone.convert(local))
            }
        })
    }

    /// The records so far, as a batch command has them at the end of its
    /// input: a copy of the correlation, finished, while this one goes on.
    pub fn snapshot(&self) -> Dataset {
        let correlator = self.run.correlator.clone();
        let orphan_lines = correlator.orphan_lines;
        Dataset {
            records: correlator.finish(),
            inputs: self.inputs.clone(),
            diag: Diagnostics::new(false),
            orphan_lines,
            span: self.run.span,
            kept_lines: Vec::new(),
            observer: Handle::default(),
            stored: Default::default(),
        }
    }
}
