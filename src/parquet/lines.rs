//! Evidence lines of inputs read from a dataset. Their raw text travels in
//! the dataset (`table=lines`: the lines a message, login or reject points
//! to, which are the lines analyses quote) and is never read from a file
//! of the same name here: on the machine that analyses a fleet,
//! `/var/log/mail.log` is another log.

use crate::correlate::LineRef;
use crate::diag::{DiagKind, Handle};
use crate::ingest::Dataset;
use crate::source::fetch::{fetch_lines, Fetched};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

/// Where the inputs of a dataset's exports have their lines.
#[derive(Clone, Debug, Default)]
pub struct Stored {
    /// By input number (its place in [`Dataset::inputs`]).
    inputs: BTreeMap<u32, StoredInput>,
    /// The exports read, by id: one read twice (the same folder named
    /// twice) is read once.
    pub(super) exports: BTreeSet<String>,
}

#[derive(Clone, Debug)]
struct StoredInput {
    export: Arc<str>,
    /// The input's name in its export (its name here may have been told
    /// apart from another input's).
    name: String,
    /// The `lines` parts of its export.
    parts: Arc<Vec<PathBuf>>,
}

impl Stored {
    /// Input `input` is `name` of `export`, whose lines are in `parts`.
    pub(super) fn add(&mut self, input: u32, export: &Arc<str>, name: &str, parts: &Arc<Vec<PathBuf>>) {
        let stored = StoredInput { export: export.clone(), name: name.to_string(), parts: parts.clone() };
        self.inputs.insert(input, stored);
    }

    /// Whether input `file` was read from a dataset.
    pub fn holds(&self, file: u32) -> bool {
        self.inputs.contains_key(&file)
    }

    /// The texts of `wanted` lines of stored inputs that the dataset has;
    /// a part that cannot be read is named to `observer`.
    fn fetch(&self, wanted: &BTreeSet<LineRef>, observer: &Handle) -> BTreeMap<LineRef, Fetched> {
        // The wanted inputs of each export, with its parts.
        let mut by_export: BTreeMap<&str, Group> = BTreeMap::new();
        let files: BTreeSet<u32> = wanted.iter().map(|r| r.file).collect();
        for file in files {
            if let Some(s) = self.inputs.get(&file) {
                by_export.entry(&s.export).or_insert_with(|| (&s.parts, Vec::new())).1.push((s, file));
            }
        }
        let mut out = BTreeMap::new();
        for (parts, inputs) in by_export.into_values() {
            for part in parts.iter() {
                if let Err(e) = read_part(part, &inputs, wanted, &mut out) {
                    observer.about_file(&part.display().to_string(), DiagKind::FileError, &format!("{e:#}"));
                }
            }
        }
        out
    }
}

/// An export's `lines` parts, and its inputs wanted (with their numbers).
type Group<'a> = (&'a Arc<Vec<PathBuf>>, Vec<(&'a StoredInput, u32)>);

/// The wanted lines of `inputs` in one `lines` part.
fn read_part(
    part: &std::path::Path,
    inputs: &[(&StoredInput, u32)],
    wanted: &BTreeSet<LineRef>,
    out: &mut BTreeMap<LineRef, Fetched>,
) -> anyhow::Result<()> {
    let columns = ["export", "file", "line", "text", "cursor"].map(String::from).to_vec();
    let df = super::tables::open(part, Some(columns))?;
    let (export, file, line) = (df.column("export")?.str()?, df.column("file")?.str()?, df.column("line")?.u64()?);
    let (text, cursor) = (df.column("text")?.str()?, df.column("cursor")?.str()?);
    for i in 0..df.height() {
        let (Some(e), Some(f), Some(l), Some(t)) = (export.get(i), file.get(i), line.get(i), text.get(i)) else {
            continue;
        };
        let Some(&(_, input)) = inputs.iter().find(|(s, _)| &*s.export == e && s.name == f) else { continue };
        let r = LineRef { file: input, line: l };
        if wanted.contains(&r) {
            out.insert(r, Fetched { text: t.to_string(), cursor: cursor.get(i).map(str::to_string) });
        }
    }
    Ok(())
}

/// The texts of `wanted` lines: from the dataset for its inputs, read
/// back from the logs for the others. Lines that can no longer be read
/// are missing (those of a `lines` part that cannot be read, too).
pub fn fetch(ds: &Dataset, wanted: &BTreeSet<LineRef>) -> BTreeMap<LineRef, Fetched> {
    let (stored, logs): (BTreeSet<LineRef>, BTreeSet<LineRef>) = wanted.iter().partition(|r| ds.stored.holds(r.file));
    let mut out = fetch_lines(&ds.inputs, &logs, &ds.kept_lines);
    if !stored.is_empty() {
        out.extend(ds.stored.fetch(&stored, &ds.observer));
    }
    out
}
