//! A dataset read back into the records of a run: the inputs and their
//! problems as the exports reported them, then every table's rows, export
//! by export (oldest input first), each export's rows in the order it
//! found them. Messages are numbered anew after those already read (logs
//! given beside the dataset, earlier exports); a delivery or continuation
//! follows its message.

use super::layout;
use super::lines::Stored;
use super::records;
use super::tables::{open, table, Rows, DAEMON_COLUMNS, INPUT_COLUMNS};
use super::write::{SCHEMA_VERSION, SKIPS};
use crate::correlate::Records;
use crate::diag::{Diagnostics, FileReport, Handle};
use crate::ingest::{ingest_observed, Dataset, IngestOptions};
use crate::source::discover::Duplicate;
use crate::source::{Input, PathProblem};
use crate::time::Micros;
use anyhow::Context;
use polars::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Reads the logs of `opts` (if it names any) and the datasets `stores`,
/// in that order, into one dataset in memory.
pub fn load(opts: &IngestOptions, stores: &[PathBuf], observer: &Handle) -> anyhow::Result<Dataset> {
    let mut ds =
        if opts.paths.is_empty() && !opts.journal { empty(opts, observer) } else { ingest_observed(opts, observer)? };
    for root in stores {
        read_store(&mut ds, root, opts.keep_details, opts.keep_delays)?;
    }
    if ds.inputs.is_empty() && ds.stored.exports.is_empty() {
        let names: Vec<String> = stores.iter().map(|p| crate::text::cell(&p.display().to_string(), 200)).collect();
        anyhow::bail!("nothing to read: no export in {}", names.join(", "));
    }
    Ok(ds)
}

fn empty(opts: &IngestOptions, observer: &Handle) -> Dataset {
    Dataset {
        records: Records::collecting(opts.keep_details),
        inputs: Vec::new(),
        diag: Diagnostics::new(opts.verbose),
        orphan_lines: 0,
        span: None,
        kept_lines: Vec::new(),
        observer: observer.clone(),
        stored: Stored::default(),
    }
}

/// One export found in the dataset: its `meta` row, and its partitions.
pub(super) struct Export {
    id: Arc<str>,
    first: Option<Micros>,
    last: Option<Micros>,
    pub(super) counts: HashMap<&'static str, u64>,
    out_of_order: Option<(String, u64)>,
    hosts: BTreeSet<String>,
    /// The `lines` parts of its partitions.
    lines: Arc<Vec<PathBuf>>,
}

/// The counters of an export, by their `meta` column names.
const COUNTS: [&str; 7] = [
    "postfix_lines",
    "other_lines",
    "orphan_lines",
    "damaged_addresses",
    "sessions_seen",
    "client_events_seen",
    "relay_failures_seen",
];

/// Per export (by rank), what its rows' names and numbers become here.
pub(super) struct Mapping {
    /// The export's input names → input numbers here.
    pub(super) files: Vec<HashMap<String, u32>>,
    /// The export's message numbers → message numbers here.
    pub(super) messages: Vec<HashMap<u32, u32>>,
    /// What the export's session numbers are shifted by.
    pub(super) session_base: Vec<u32>,
}

fn read_store(ds: &mut Dataset, root: &Path, details: bool, delays: bool) -> anyhow::Result<()> {
    let exports = read_meta(ds, root)?;
    if exports.is_empty() {
        return Ok(());
    }
    let rank: HashMap<Arc<str>, u32> = exports.iter().enumerate().map(|(i, e)| (e.id.clone(), i as u32)).collect();
    let mut map =
        Mapping { files: Vec::new(), messages: vec![HashMap::new(); exports.len()], session_base: Vec::new() };
    let inputs = table(root, layout::INPUTS, &INPUT_COLUMNS, &rank, "position", true)?;
    let daemons = table(root, layout::DAEMONS, &DAEMON_COLUMNS, &rank, "daemon", true)?;
    for (i, e) in exports.iter().enumerate() {
        let files = add_inputs(ds, e, &inputs.of(i as u32)?)?;
        map.files.push(files);
        add_daemons(&mut ds.diag, &daemons.of(i as u32)?)?;
        map.session_base.push(ds.records.session_count as u32);
        add_counts(ds, e, map.files.last().unwrap_or(&HashMap::new()));
    }
    drop((inputs, daemons));
    let r = &mut ds.records;
    records::messages(r, root, &rank, &mut map, details)?;
    records::deliveries(r, root, &rank, &map, details, delays)?;
    records::auth(r, root, &rank, &map)?;
    records::rejects(r, root, &rank, &map)?;
    if details {
        records::sessions(r, root, &rank, &map, &exports)?;
        records::client_events(r, root, &rank, &map)?;
        records::relay_failures(r, root, &rank, &map)?;
    }
    Ok(())
}

/// The exports of the dataset at `root` not read yet, oldest input first;
/// refused if one was written by a postsleuth that knows a newer layout.
fn read_meta(ds: &Dataset, root: &Path) -> anyhow::Result<Vec<Export>> {
    let parts = layout::parts(root, layout::META).with_context(|| format!("{}: cannot read", root.display()))?;
    let mut found: HashMap<String, Export> = HashMap::new();
    for part in &parts {
        let df = open(part, None)?;
        let version = df.column("schema_version")?.cast(&DataType::UInt32)?;
        if let Some(v) = version.u32()?.iter().flatten().find(|&v| v > SCHEMA_VERSION) {
            anyhow::bail!(
                "{}: written by a newer postsleuth (dataset schema {v}; this one reads up to {SCHEMA_VERSION}): upgrade postsleuth",
                part.display()
            );
        }
        let rows = Rows::new(&df);
        let (ids, hosts) = (rows.str("export")?, rows.str("host")?);
        let (first, last) = (rows.time("first")?, rows.time("last")?);
        let (back_file, back_line) = (rows.str("out_of_order_file")?, rows.u64("out_of_order_line")?);
        for i in 0..df.height() {
            let Some(id) = ids.get(i) else { continue };
            if ds.stored.exports.contains(id) {
                continue;
            }
            let e = found.entry(id.to_string()).or_insert_with(|| Export {
                id: id.into(),
                first: first.get(i),
                last: last.get(i),
                counts: COUNTS.iter().map(|&c| (c, rows.u64(c).ok().and_then(|v| v.get(i)).unwrap_or(0))).collect(),
                out_of_order: back_file.get(i).zip(back_line.get(i)).map(|(f, l)| (f.to_string(), l)),
                hosts: BTreeSet::new(),
                lines: Arc::new(Vec::new()),
            });
            e.hosts.extend(hosts.get(i).map(str::to_string));
            let lines = layout::sibling(root, part, layout::LINES);
            if lines.is_file() {
                Arc::make_mut(&mut e.lines).push(lines);
            }
        }
    }
    let mut exports: Vec<Export> = found.into_values().collect();
    exports.sort_by(|a, b| (a.first, &a.id).cmp(&(b.first, &b.id)));
    Ok(exports)
}

/// The inputs of export `e`, added after those read already: each keeps
/// its name unless an input read already has it (two servers'
/// `/var/log/mail.log`), which gets its host, then the export, in front.
fn add_inputs(ds: &mut Dataset, e: &Export, rows: &DataFrame) -> anyhow::Result<HashMap<String, u32>> {
    let mut taken: HashSet<String> = ds.inputs.iter().map(Input::display).collect();
    taken.extend(ds.diag.files.iter().map(|f| f.name.clone()));
    let r = Rows::new(rows);
    let (kind, file, kept, error) = (r.str("kind")?, r.str("file")?, r.str("kept")?, r.str("error")?);
    let (stdin, compression) = (r.bool("stdin")?, r.str("compression")?);
    let num = |name: &str, i: usize| r.u64(name).ok().and_then(|c| c.get(i)).unwrap_or(0);
    let hosts = hosts_label(&e.hosts);
    let mut files = HashMap::new();
    for i in 0..rows.height() {
        let name = file.get(i).unwrap_or("?").to_string();
        let error = error.get(i).map(str::to_string);
        match kind.get(i) {
            Some("file") => {
                let shown = [name.clone(), format!("{hosts}:{name}"), format!("{hosts}:{name} (export {})", e.id)]
                    .into_iter()
                    .find(|n| !taken.contains(n))
                    .unwrap_or_else(|| format!("{hosts}:{name} (export {}, {})", e.id, ds.inputs.len()));
                taken.insert(shown.clone());
                let number = ds.inputs.len() as u32;
                ds.stored.add(number, &e.id, &name, &e.lines);
                ds.inputs.push(Input::File(PathBuf::from(&shown)));
                let mut report = FileReport {
                    name: shown,
                    stdin: stdin.get(i).unwrap_or(false),
                    compression: compression_name(compression.get(i).unwrap_or("")),
                    lines: num("lines", i),
                    bytes: num("bytes", i),
                    repaired_utf8: num("repaired_utf8", i),
                    padding: num("padding", i),
                    duplicates: num("duplicates", i),
                    backwards: num("backwards", i),
                    error,
                    ..FileReport::default()
                };
                for (skip, column) in SKIPS {
                    // Only reasons that happened: a report lists each one it has.
                    if let n @ 1.. = num(column, i) {
                        report.skipped.insert(skip, n);
                    }
                }
                ds.diag.files.push(report);
                files.insert(name, number);
            }
            Some("path_problem") => {
                ds.diag.path_problems.push(PathProblem { path: name, message: error.unwrap_or_default() })
            }
            Some("duplicate") => ds.diag.duplicates.push(Duplicate {
                dropped: name,
                kept: kept.get(i).unwrap_or("").to_string(),
                words: error.unwrap_or_default(),
            }),
            _ => {}
        }
    }
    Ok(files)
}

/// `mx1`, `mx1+mx2`, `mx1+mx2+mx3+…`: whose inputs an export read.
fn hosts_label(hosts: &BTreeSet<String>) -> String {
    let mut names: Vec<&str> = hosts.iter().take(3).map(String::as_str).collect();
    if hosts.len() > 3 {
        names.push("…");
    }
    if names.is_empty() {
        return "?".into();
    }
    names.join("+")
}

/// The compressions ingest names, as the `&'static str` a report holds.
fn compression_name(s: &str) -> &'static str {
    ["plain", "gzip", "zstd", "xz", "bzip2"].into_iter().find(|&c| c == s).unwrap_or("")
}

fn add_daemons(d: &mut Diagnostics, rows: &DataFrame) -> anyhow::Result<()> {
    let r = Rows::new(rows);
    let (daemon, sample, unrecognised) = (r.str("daemon")?, r.str("sample")?, r.u64("unrecognised")?);
    let (level, text, warnings) = (r.str("level")?, r.str("text")?, r.u64("warnings")?);
    for i in 0..rows.height() {
        let Some(name) = daemon.get(i) else { continue };
        let sample = sample.get(i).unwrap_or("");
        if let n @ 1.. = unrecognised.get(i).unwrap_or(0) {
            d.unrecognised.entry(name.to_string()).or_insert((0, sample.to_string())).0 += n;
        }
        if let (Some(level), Some(text), n @ 1..) = (level.get(i), text.get(i), warnings.get(i).unwrap_or(0)) {
            d.warnings.restore(name, level, text, sample, n);
        }
    }
    Ok(())
}

fn add_counts(ds: &mut Dataset, e: &Export, files: &HashMap<String, u32>) {
    let n = |c: &str| e.counts.get(c).copied().unwrap_or(0);
    ds.diag.postfix_lines += n("postfix_lines");
    ds.diag.other_lines += n("other_lines");
    ds.orphan_lines += n("orphan_lines");
    let r = &mut ds.records;
    r.damaged_addresses += n("damaged_addresses");
    r.session_count += n("sessions_seen");
    r.client_events += n("client_events_seen");
    r.relay_failure_count += n("relay_failures_seen");
    if let (Some(a), Some(b)) = (e.first, e.last) {
        ds.span = Some(ds.span.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
    }
    if let Some(&file) = e.out_of_order.as_ref().and_then(|(f, _)| files.get(f)) {
        ds.diag.restore_first_backwards(file as usize, e.out_of_order.as_ref().map_or(0, |b| b.1));
    }
    ds.stored.exports.insert(e.id.to_string());
}
