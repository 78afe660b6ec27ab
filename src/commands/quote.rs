//! Evidence quoting, in one place: the raw text of log lines named by file
//! and line number, read back from the inputs (or from the lines of
//! standard input and the journal, kept as they were read, or from the
//! Parquet dataset the input came from).

use crate::correlate::LineRef;
use crate::ingest::Dataset;
use crate::source::fetch::Fetched;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Lines read back by (file as displayed, line number).
#[derive(Default)]
pub struct Quoted(BTreeMap<(String, u64), Fetched>);

impl Quoted {
    /// The text of `line` of `file` (and its journal cursor), if it could
    /// be read back.
    pub fn get(&self, file: &str, line: u64) -> Option<Fetched> {
        self.0.get(&(file.to_string(), line)).cloned()
    }
}

/// Reads back the lines `wanted` names (files as [`Dataset::file_name`]
/// shows them); names of no input are left out.
pub fn quote<'a>(ds: &Dataset, wanted: impl IntoIterator<Item = (&'a str, u64)>) -> Quoted {
    let index: HashMap<String, u32> = ds.inputs.iter().enumerate().map(|(i, f)| (f.display(), i as u32)).collect();
    let refs: BTreeSet<LineRef> =
        wanted.into_iter().filter_map(|(file, line)| index.get(file).map(|&file| LineRef { file, line })).collect();
    let text = crate::parquet::fetch(ds, &refs);
    Quoted(text.into_iter().map(|(r, t)| ((ds.file_name(r), r.line), t)).collect())
}
