//! Reads chosen lines back from the input, for quoting evidence: records keep
//! only file and line number, and the raw text is fetched once at the end,
//! counting lines exactly as ingest did.

use super::reader::{self, Chunk};
use super::Input;
use crate::correlate::LineRef;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// A line read back, as evidence shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// The line as written; for an entry of the journal's JSON, the line
    /// journalctl shows for it (`TIME HOST TAG[PID]: MESSAGE`), not the
    /// object.
    pub text: String,
    /// The journal's cursor of an entry of its JSON, which names it
    /// wherever the journal is read (`journalctl --cursor CURSOR -n 1`).
    pub cursor: Option<String>,
}

impl Fetched {
    /// The evidence a line read back gives.
    pub fn of(raw: &str) -> Fetched {
        match crate::envelope::journald::readable(raw) {
            Some((text, cursor)) => Fetched { text, cursor },
            None => Fetched { text: raw.to_string(), cursor: None },
        }
    }
}

/// The text of `wanted` lines. `kept` stands in for the inputs that cannot
/// be read twice (standard input, the journal): their lines as ingest kept
/// them, by input. Lines that can no longer be read (the file changed or
/// vanished) are missing from the result.
pub fn fetch_lines(inputs: &[Input], wanted: &BTreeSet<LineRef>, kept: &[Vec<Box<str>>]) -> BTreeMap<LineRef, Fetched> {
    let mut out = BTreeMap::new();
    let files: BTreeSet<u32> = wanted.iter().map(|r| r.file).collect();
    for file in files {
        match inputs.get(file as usize) {
            Some(input) if input.read_once() => {
                let lines = kept.get(file as usize).map_or(&[][..], Vec::as_slice);
                for r in wanted.range(LineRef { file, line: 0 }..=LineRef { file, line: u64::MAX }) {
                    if let Some(text) = lines.get(r.line.saturating_sub(1) as usize) {
                        out.insert(*r, Fetched::of(text));
                    }
                }
            }
            Some(input) => fetch_from(file, input.clone(), wanted, &mut out),
            None => {}
        }
    }
    out
}

fn fetch_from(file: u32, input: Input, wanted: &BTreeSet<LineRef>, out: &mut BTreeMap<LineRef, Fetched>) {
    let last =
        wanted.range(LineRef { file, line: 0 }..=LineRef { file, line: u64::MAX }).next_back().map_or(0, |r| r.line);
    let mut line = 0u64;
    // Read on this thread: a few quoted lines need no second core.
    reader::read_all(&[input], &Arc::new(AtomicU64::new(0)), &mut |chunk| {
        match chunk {
            Chunk::Data { bytes, .. } => super::framing::for_each_line(&bytes, |l| {
                line += 1;
                let r = LineRef { file, line };
                if wanted.contains(&r) {
                    out.insert(r, Fetched::of(&String::from_utf8_lossy(l)));
                }
            }),
            Chunk::LongLine { .. } => line += 1,
            Chunk::Opened { .. } | Chunk::Padding { .. } | Chunk::Note { .. } | Chunk::End { .. } => {}
        }
        line < last // past the last line wanted: stop reading
    });
}
