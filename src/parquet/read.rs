//! A dataset read back into the records of a run: the inputs and their
//! problems as the exports reported them, then every table's rows, export
//! by export (oldest input first), each export's rows in the order it
//! found them. Messages are numbered anew after those already read (logs
//! given beside the dataset, earlier exports); a delivery or continuation
//! follows its message.

use super::layout;
use super::lines::Stored;
use super::write::{SCHEMA_VERSION, SKIPS};
use crate::correlate::{
    AuthAttempt, Delivery, DeliveryDetail, DeliveryStatus, Interner, LineRef, Link, Message, MessageDetail, Origin,
    QueueId, Records, Reject, RelayFailure, ScreenEvent, Session, State, Sym,
};
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
        read_store(&mut ds, root, opts.keep_details)?;
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
struct Export {
    id: Arc<str>,
    first: Option<Micros>,
    last: Option<Micros>,
    counts: HashMap<&'static str, u64>,
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
struct Mapping {
    /// The export's input names → input numbers here.
    files: Vec<HashMap<String, u32>>,
    /// The export's message numbers → message numbers here.
    messages: Vec<HashMap<u32, u32>>,
    /// What the export's session numbers are shifted by.
    session_base: Vec<u32>,
}

fn read_store(ds: &mut Dataset, root: &Path, details: bool) -> anyhow::Result<()> {
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
    messages(r, root, &rank, &mut map, details)?;
    deliveries(r, root, &rank, &map, details)?;
    auth(r, root, &rank, &map)?;
    rejects(r, root, &rank, &map)?;
    if details {
        sessions(r, root, &rank, &map, &exports)?;
        client_events(r, root, &rank, &map)?;
        relay_failures(r, root, &rank, &map)?;
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
    let (daemon, sample, unrecognised, warnings) =
        (r.str("daemon")?, r.str("sample")?, r.u64("unrecognised")?, r.u64("warnings")?);
    for i in 0..rows.height() {
        let Some(name) = daemon.get(i) else { continue };
        if let n @ 1.. = unrecognised.get(i).unwrap_or(0) {
            let sample = sample.get(i).unwrap_or("").to_string();
            d.unrecognised.entry(name.to_string()).or_insert((0, sample)).0 += n;
        }
        if let n @ 1.. = warnings.get(i).unwrap_or(0) {
            *d.warnings.entry(name.to_string()).or_default() += n;
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

type Spec = [(&'static str, DataType)];

fn dt() -> DataType {
    DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
}

const STR: DataType = DataType::String;
const U32: DataType = DataType::UInt32;
const U64: DataType = DataType::UInt64;
const BOOL: DataType = DataType::Boolean;

static INPUT_COLUMNS: std::sync::LazyLock<Vec<(&str, DataType)>> = std::sync::LazyLock::new(|| {
    let mut v = vec![
        ("export", STR),
        ("kind", STR),
        ("position", U32),
        ("file", STR),
        ("kept", STR),
        ("stdin", BOOL),
        ("compression", STR),
        ("lines", U64),
        ("bytes", U64),
        ("repaired_utf8", U64),
        ("padding", U64),
        ("duplicates", U64),
        ("backwards", U64),
        ("error", STR),
    ];
    v.extend(SKIPS.iter().map(|(_, c)| (*c, U64)));
    v
});

static DAEMON_COLUMNS: [(&str, DataType); 5] =
    [("export", STR), ("daemon", STR), ("unrecognised", U64), ("sample", STR), ("warnings", U64)];

/// A table's rows of every export read, in order (export, then `order`).
struct Table {
    df: DataFrame,
    /// Where each export's rows start in `df`, and (last) where they end.
    bounds: Vec<usize>,
}

impl Table {
    /// The rows of export `rank`.
    fn of(&self, rank: u32) -> PolarsResult<DataFrame> {
        let (a, b) = (self.bounds[rank as usize], self.bounds[rank as usize + 1]);
        Ok(self.df.slice(a as i64, b - a))
    }
}

/// Reads `spec`'s columns of every part of `table`, keeps the rows of the
/// exports in `rank`, sorted by export and `order`. `once`: the table
/// is the same in every partition of an export (inputs, daemons): one
/// part of each export is read.
fn table(
    root: &Path,
    table: &str,
    spec: &Spec,
    rank: &HashMap<Arc<str>, u32>,
    order: &str,
    once: bool,
) -> anyhow::Result<Table> {
    let parts = layout::parts(root, table).with_context(|| format!("{}: cannot read", root.display()))?;
    let mut seen: HashSet<u32> = HashSet::new();
    let mut pieces: Vec<DataFrame> = Vec::new();
    for part in &parts {
        let names: Vec<String> = spec.iter().map(|(n, _)| n.to_string()).collect();
        let df = open_some(part, &names)?;
        let mut piece =
            anyhow::Context::with_context(select(df, spec), || format!("{}: unexpected columns", part.display()))?;
        let ranks: UInt32Chunked =
            piece.column("export")?.str()?.iter().map(|e| e.and_then(|e| rank.get(e).copied())).collect();
        if once {
            let Some(r) = ranks.iter().flatten().next() else { continue };
            if !seen.insert(r) {
                continue;
            }
        }
        piece.with_column(ranks.with_name(RANK.into()).into_column())?;
        pieces.push(piece.filter(&piece.column(RANK)?.is_not_null())?);
    }
    let mut df = match pieces.pop() {
        Some(mut last) => {
            for p in pieces {
                last.vstack_mut_owned(p)?;
            }
            last
        }
        None => {
            let mut schema: Schema = spec.iter().map(|(n, t)| Field::new((*n).into(), t.clone())).collect();
            schema.insert(RANK.into(), U32);
            DataFrame::empty_with_schema(&schema)
        }
    };
    df = df.sort([RANK, order], SortMultipleOptions::default().with_maintain_order(true))?;
    df.rechunk_mut();
    let mut bounds = vec![0usize; rank.len() + 1];
    for r in df.column(RANK)?.u32()?.iter().flatten() {
        bounds[r as usize + 1] += 1;
    }
    for i in 1..bounds.len() {
        bounds[i] += bounds[i - 1];
    }
    Ok(Table { df, bounds })
}

const RANK: &str = "__export_rank";

/// `columns` of one part file, those it has.
fn open_some(path: &Path, columns: &[String]) -> anyhow::Result<DataFrame> {
    let read = || -> anyhow::Result<DataFrame> {
        let mut reader = ParquetReader::new(std::fs::File::open(path)?);
        let schema = reader.schema()?;
        let present: Vec<String> = columns.iter().filter(|c| schema.contains(c.as_str())).cloned().collect();
        Ok(reader.with_columns(Some(present)).finish()?)
    };
    read().with_context(|| format!("{}: cannot read", path.display()))
}

/// The columns of `spec` from `df`, each of its type; one the file lacks
/// (written by an older postsleuth) is null.
fn select(df: DataFrame, spec: &Spec) -> PolarsResult<DataFrame> {
    let height = df.height();
    let columns = spec
        .iter()
        .map(|(name, dtype)| match df.column(name) {
            Ok(c) => c.cast(dtype),
            Err(_) => Ok(Column::full_null((*name).into(), height, dtype)),
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new(height, columns)
}

/// One part file, whole or only `columns`.
pub(super) fn open(path: &Path, columns: Option<Vec<String>>) -> anyhow::Result<DataFrame> {
    let read = || -> anyhow::Result<DataFrame> {
        let file = std::fs::File::open(path)?;
        Ok(ParquetReader::new(file).with_columns(columns).finish()?)
    };
    read().with_context(|| format!("{}: cannot read", path.display()))
}

/// Typed access to a frame's columns by row (the frame was given each
/// column's type by [`select`], or by the writer).
struct Rows<'a>(&'a DataFrame);

impl<'a> Rows<'a> {
    fn new(df: &'a DataFrame) -> Self {
        Rows(df)
    }

    fn str(&self, name: &str) -> PolarsResult<&'a StringChunked> {
        self.0.column(name)?.str()
    }

    fn u32(&self, name: &str) -> PolarsResult<&'a UInt32Chunked> {
        self.0.column(name)?.u32()
    }

    fn u64(&self, name: &str) -> PolarsResult<&'a UInt64Chunked> {
        self.0.column(name)?.u64()
    }

    fn f64(&self, name: &str) -> PolarsResult<&'a Float64Chunked> {
        self.0.column(name)?.f64()
    }

    fn bool(&self, name: &str) -> PolarsResult<&'a BooleanChunked> {
        self.0.column(name)?.bool()
    }

    /// Microseconds since the epoch.
    fn time(&self, name: &str) -> PolarsResult<&'a Int64Chunked> {
        Ok(self.0.column(name)?.datetime()?.physical())
    }
}

/// Where a row's line is: its export's input of that name.
fn line_of(files: &HashMap<String, u32>, file: Option<&str>, line: Option<u64>) -> LineRef {
    let file = file.and_then(|f| files.get(f)).copied().unwrap_or(u32::MAX);
    LineRef { file, line: line.unwrap_or(0) }
}

fn intern(s: &mut Interner, text: Option<&str>) -> Sym {
    s.opt(text)
}

/// An address that may be absent (null) or empty (`<>`).
fn address(s: &mut Interner, text: Option<&str>) -> Option<Sym> {
    text.map(|t| s.intern(t))
}

fn origin(s: Option<&str>) -> Origin {
    match s {
        Some("smtpd") => Origin::Smtpd,
        Some("pickup") => Origin::Pickup,
        Some("notification") => Origin::Notification,
        _ => Origin::Unknown,
    }
}

fn state(s: Option<&str>) -> State {
    [
        State::Delivered,
        State::Bounced,
        State::Expired,
        State::Deleted,
        State::Held,
        State::Rejected,
        State::Discarded,
        State::Queued,
    ]
    .into_iter()
    .find(|st| Some(st.as_str()) == s)
    .unwrap_or(State::Unknown)
}

fn link(s: Option<&str>) -> Link {
    match s {
        Some("notification") => Link::NotificationOf,
        _ => Link::Reinjected,
    }
}

/// Each message of each export, numbered after those read already.
fn messages(
    r: &mut Records,
    root: &Path,
    rank: &HashMap<Arc<str>, u32>,
    map: &mut Mapping,
    details: bool,
) -> anyhow::Result<()> {
    let mut spec: Vec<(&str, DataType)> = vec![
        ("export", STR),
        ("message", U32),
        ("host", STR),
        ("queue_id", STR),
        ("first_seen", dt()),
        ("last_seen", dt()),
        ("origin", STR),
        ("instance", STR),
        ("client_name", STR),
        ("client_ip", STR),
        ("sasl_method", STR),
        ("sasl_username", STR),
        ("sasl_sender", STR),
        ("uid", U32),
        ("sender", STR),
        ("size", U64),
        ("nrcpt", U32),
        ("parent", U32),
        ("link", STR),
        ("sent", U32),
        ("deferred", U32),
        ("bounced", U32),
        ("state", STR),
        ("file", STR),
        ("line", U64),
        ("session", U32),
    ];
    if details {
        spec.push(("message_id", STR));
    }
    let t = table(root, layout::MESSAGES, &spec, rank, "message", false)?;
    for k in 0..rank.len() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let ids = c.u32("message")?;
        let numbers = &mut map.messages[k];
        for (i, old) in ids.iter().enumerate() {
            numbers.insert(old.unwrap_or(u32::MAX), (r.messages.len() + i) as u32);
        }
        let numbers = &map.messages[k];
        let (files, session_base) = (&map.files[k], map.session_base[k]);
        let (host, queue_id, first_seen, last_seen) =
            (c.str("host")?, c.str("queue_id")?, c.time("first_seen")?, c.time("last_seen")?);
        let (org, instance, client_name, client_ip) =
            (c.str("origin")?, c.str("instance")?, c.str("client_name")?, c.str("client_ip")?);
        let (sasl_method, sasl_username, sasl_sender) =
            (c.str("sasl_method")?, c.str("sasl_username")?, c.str("sasl_sender")?);
        let (uid, sender, size, nrcpt) = (c.u32("uid")?, c.str("sender")?, c.u64("size")?, c.u32("nrcpt")?);
        let (parent, lnk, sent, deferred, bounced) =
            (c.u32("parent")?, c.str("link")?, c.u32("sent")?, c.u32("deferred")?, c.u32("bounced")?);
        let (st, file, line, session) = (c.str("state")?, c.str("file")?, c.u64("line")?, c.u32("session")?);
        let message_id = details.then(|| c.str("message_id")).transpose()?;
        for i in 0..df.height() {
            let s = &mut r.strings;
            let id = r.messages.len() as u32;
            let m = Message {
                id,
                host: intern(s, host.get(i)),
                queue_id: queue_id.get(i).and_then(QueueId::new).unwrap_or_default(),
                first_seen: first_seen.get(i).unwrap_or(0),
                last_seen: last_seen.get(i).unwrap_or(0),
                origin: origin(org.get(i)),
                instance: intern(s, instance.get(i)),
                client_name: intern(s, client_name.get(i)),
                client_ip: intern(s, client_ip.get(i)),
                sasl_method: intern(s, sasl_method.get(i)),
                sasl_username: intern(s, sasl_username.get(i)),
                sasl_sender: intern(s, sasl_sender.get(i)),
                uid: uid.get(i),
                sender: address(s, sender.get(i)),
                size: size.get(i),
                nrcpt: nrcpt.get(i),
                // A parent outside the dataset (another export) is no link here.
                parent: parent.get(i).and_then(|p| numbers.get(&p)).map(|&p| (p, link(lnk.get(i)))),
                sent: sent.get(i).unwrap_or(0),
                deferred: deferred.get(i).unwrap_or(0),
                bounced: bounced.get(i).unwrap_or(0),
                state: state(st.get(i)),
                session: session.get(i).map(|n| session_base + n),
                first_line: line_of(files, file.get(i), line.get(i)),
                ..Message::default()
            };
            r.messages.push(m);
            if let Some(ids) = message_id {
                r.message_details.push(MessageDetail { message_id: ids.get(i).map(Into::into), lines: Vec::new() });
            }
        }
    }
    Ok(())
}

/// Each delivery of each export, of its message as numbered here.
fn deliveries(
    r: &mut Records,
    root: &Path,
    rank: &HashMap<Arc<str>, u32>,
    map: &Mapping,
    details: bool,
) -> anyhow::Result<()> {
    let mut spec: Vec<(&str, DataType)> = vec![
        ("export", STR),
        ("seq", U32),
        ("message", U32),
        ("time", dt()),
        ("to", STR),
        ("status", STR),
        ("filter_hop", BOOL),
        ("file", STR),
        ("line", U64),
    ];
    if details {
        let more = [("daemon", STR), ("orig_to", STR), ("relay", STR), ("delay", DataType::Float64)];
        spec.extend(more);
        spec.extend([("delays", STR), ("dsn", STR), ("response", STR)]);
    }
    let t = table(root, layout::DELIVERIES, &spec, rank, "seq", false)?;
    for k in 0..rank.len() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let (message, time, to, status) = (c.u32("message")?, c.time("time")?, c.str("to")?, c.str("status")?);
        let (hop, file, line) = (c.bool("filter_hop")?, c.str("file")?, c.u64("line")?);
        let detail = if details {
            Some((c.str("daemon")?, c.str("orig_to")?, c.str("relay")?, c.f64("delay")?, c.str("delays")?))
        } else {
            None
        };
        let (dsn, response) = if details { (Some(c.str("dsn")?), Some(c.str("response")?)) } else { (None, None) };
        for i in 0..df.height() {
            // A delivery whose message is in no partition read is left out.
            let Some(&msg) = message.get(i).and_then(|m| map.messages[k].get(&m)) else { continue };
            let s = &mut r.strings;
            let status_text = status.get(i);
            r.deliveries.push(Delivery {
                message: msg,
                time: time.get(i).unwrap_or(0),
                to: intern(s, to.get(i)),
                status: intern(s, status_text),
                outcome: DeliveryStatus::parse(status_text.unwrap_or("")),
                filter_hop: hop.get(i).unwrap_or(false),
                line: line_of(&map.files[k], file.get(i), line.get(i)),
            });
            if let (Some((daemon, orig_to, relay, delay, delays)), Some(dsn), Some(response)) = (detail, dsn, response)
            {
                r.delivery_details.push(DeliveryDetail {
                    daemon: intern(s, daemon.get(i)),
                    orig_to: intern(s, orig_to.get(i)),
                    relay: intern(s, relay.get(i)),
                    delay: delay.get(i).unwrap_or(0.0),
                    delays: delays.get(i).and_then(crate::correlate::parse_delays),
                    dsn: intern(s, dsn.get(i)),
                    response: response.get(i).unwrap_or("").into(),
                });
            }
        }
    }
    Ok(())
}

fn auth(r: &mut Records, root: &Path, rank: &HashMap<Arc<str>, u32>, map: &Mapping) -> anyhow::Result<()> {
    let spec: Vec<(&str, DataType)> = vec![
        ("export", STR),
        ("seq", U32),
        ("time", dt()),
        ("host", STR),
        ("instance", STR),
        ("client_name", STR),
        ("client_ip", STR),
        ("sasl_method", STR),
        ("sasl_username", STR),
        ("success", BOOL),
        ("service", STR),
        ("file", STR),
        ("line", U64),
    ];
    let t = table(root, layout::AUTH, &spec, rank, "seq", false)?;
    for k in 0..rank.len() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let (time, host, instance, client_name) =
            (c.time("time")?, c.str("host")?, c.str("instance")?, c.str("client_name")?);
        let (client_ip, method, username, success) =
            (c.str("client_ip")?, c.str("sasl_method")?, c.str("sasl_username")?, c.bool("success")?);
        let (service, file, line) = (c.str("service")?, c.str("file")?, c.u64("line")?);
        for i in 0..df.height() {
            let s = &mut r.strings;
            r.auth.push(AuthAttempt {
                time: time.get(i).unwrap_or(0),
                host: intern(s, host.get(i)),
                instance: intern(s, instance.get(i)),
                client_name: intern(s, client_name.get(i)),
                client_ip: intern(s, client_ip.get(i)),
                method: intern(s, method.get(i)),
                username: intern(s, username.get(i)),
                success: success.get(i).unwrap_or(false),
                service: intern(s, service.get(i)),
                line: line_of(&map.files[k], file.get(i), line.get(i)),
            });
        }
    }
    Ok(())
}

fn rejects(r: &mut Records, root: &Path, rank: &HashMap<Arc<str>, u32>, map: &Mapping) -> anyhow::Result<()> {
    let spec: Vec<(&str, DataType)> = [
        "export",
        "host",
        "instance",
        "daemon",
        "queue_id",
        "action",
        "via",
        "stage",
        "client_name",
        "client_ip",
        "code",
        "dsn",
        "reason",
        "sender",
        "recipient",
        "proto",
        "helo",
        "sasl_method",
        "sasl_username",
        "file",
    ]
    .into_iter()
    .map(|n| (n, STR))
    .chain([("seq", U32), ("time", dt()), ("line", U64)])
    .collect();
    let t = table(root, layout::REJECTS, &spec, rank, "seq", false)?;
    for k in 0..rank.len() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let s = |n: &str| c.str(n);
        let (time, host, instance, daemon, queue_id) =
            (c.time("time")?, s("host")?, s("instance")?, s("daemon")?, s("queue_id")?);
        let (action, via, stage, client_name, client_ip) =
            (s("action")?, s("via")?, s("stage")?, s("client_name")?, s("client_ip")?);
        let (code, dsn, reason, sender, recipient) =
            (s("code")?, s("dsn")?, s("reason")?, s("sender")?, s("recipient")?);
        let (proto, helo, sasl_method, sasl_username) =
            (s("proto")?, s("helo")?, s("sasl_method")?, s("sasl_username")?);
        let (file, line) = (s("file")?, c.u64("line")?);
        for i in 0..df.height() {
            let st = &mut r.strings;
            r.rejects.push(Reject {
                time: time.get(i).unwrap_or(0),
                host: intern(st, host.get(i)),
                instance: intern(st, instance.get(i)),
                daemon: intern(st, daemon.get(i)),
                queue_id: queue_id.get(i).and_then(QueueId::new),
                action: intern(st, action.get(i)),
                stage: intern(st, stage.get(i)),
                client_name: intern(st, client_name.get(i)),
                client_ip: intern(st, client_ip.get(i)),
                via: intern(st, via.get(i)),
                code: intern(st, code.get(i)),
                dsn: intern(st, dsn.get(i)),
                reason: reason.get(i).unwrap_or("").into(),
                sender: address(st, sender.get(i)),
                recipient: address(st, recipient.get(i)),
                proto: intern(st, proto.get(i)),
                helo: intern(st, helo.get(i)),
                sasl_method: intern(st, sasl_method.get(i)),
                sasl_username: intern(st, sasl_username.get(i)),
                line: line_of(&map.files[k], file.get(i), line.get(i)),
            });
        }
    }
    Ok(())
}

/// Every session, in its place by number (closed ones too: only read
/// with the details, which keep them).
fn sessions(
    r: &mut Records,
    root: &Path,
    rank: &HashMap<Arc<str>, u32>,
    map: &Mapping,
    exports: &[Export],
) -> anyhow::Result<()> {
    let spec: Vec<(&str, DataType)> = vec![
        ("export", STR),
        ("session", U32),
        ("host", STR),
        ("instance", STR),
        ("pid", U32),
        ("client_name", STR),
        ("client_ip", STR),
        ("start", dt()),
        ("end", dt()),
        ("abort", STR),
        ("stats", STR),
        ("auth_failed", U32),
        ("auth_ok", BOOL),
        ("messages", U32),
        ("file", STR),
        ("line", U64),
    ];
    let t = table(root, layout::SESSIONS, &spec, rank, "session", false)?;
    for (k, export) in exports.iter().enumerate() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let (number, host, instance, pid) = (c.u32("session")?, c.str("host")?, c.str("instance")?, c.u32("pid")?);
        let (client_name, client_ip, start, end) =
            (c.str("client_name")?, c.str("client_ip")?, c.time("start")?, c.time("end")?);
        let (abort, stats, auth_failed, auth_ok) =
            (c.str("abort")?, c.str("stats")?, c.u32("auth_failed")?, c.bool("auth_ok")?);
        let (messages, file, line) = (c.u32("messages")?, c.str("file")?, c.u64("line")?);
        let base = map.session_base[k] as usize;
        let seen = export.counts.get("sessions_seen").copied().unwrap_or(0) as usize;
        if r.sessions.len() < base + seen {
            r.sessions.resize_with(base + seen, Session::default);
        }
        for i in 0..df.height() {
            let Some(at) = number.get(i).map(|n| base + n as usize).filter(|&at| at < base + seen) else { continue };
            let s = &mut r.strings;
            r.sessions[at] = Session {
                host: intern(s, host.get(i)),
                instance: intern(s, instance.get(i)),
                pid: pid.get(i).unwrap_or(0),
                client_name: intern(s, client_name.get(i)),
                client_ip: intern(s, client_ip.get(i)),
                start: start.get(i),
                end: end.get(i),
                abort: intern(s, abort.get(i)),
                stats: intern(s, stats.get(i)),
                auth_failed: auth_failed.get(i).unwrap_or(0),
                auth_ok: auth_ok.get(i).unwrap_or(false),
                messages: messages.get(i).unwrap_or(0),
                // The first of its lines: the one the table names.
                connect_line: Some(line_of(&map.files[k], file.get(i), line.get(i))),
                abort_line: None,
                end_line: None,
            };
        }
    }
    Ok(())
}

fn client_events(r: &mut Records, root: &Path, rank: &HashMap<Arc<str>, u32>, map: &Mapping) -> anyhow::Result<()> {
    let spec: Vec<(&str, DataType)> = vec![
        ("export", STR),
        ("seq", U32),
        ("time", dt()),
        ("host", STR),
        ("daemon", STR),
        ("pid", U32),
        ("event", STR),
        ("client_name", STR),
        ("client_ip", STR),
        ("detail", STR),
        ("file", STR),
        ("line", U64),
    ];
    let t = table(root, layout::CLIENT_EVENTS, &spec, rank, "seq", false)?;
    for k in 0..rank.len() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let (time, host, daemon, pid) = (c.time("time")?, c.str("host")?, c.str("daemon")?, c.u32("pid")?);
        let (event, client_name, client_ip, detail) =
            (c.str("event")?, c.str("client_name")?, c.str("client_ip")?, c.str("detail")?);
        let (file, line) = (c.str("file")?, c.u64("line")?);
        for i in 0..df.height() {
            let s = &mut r.strings;
            r.screen.push(ScreenEvent {
                time: time.get(i).unwrap_or(0),
                host: intern(s, host.get(i)),
                daemon: intern(s, daemon.get(i)),
                pid: pid.get(i).unwrap_or(0),
                verdict: intern(s, event.get(i)),
                client_name: intern(s, client_name.get(i)),
                ip: intern(s, client_ip.get(i)),
                detail: detail.get(i).unwrap_or("").into(),
                line: line_of(&map.files[k], file.get(i), line.get(i)),
            });
        }
    }
    Ok(())
}

/// What a delivery agent's failure line says it is, as the parse stage
/// names them (`RelayFailure::what` is one of a fixed set).
fn failure_kind(s: Option<&str>) -> &'static str {
    const KINDS: [&str; 8] =
        ["connect", "said", "refused to talk", "lost connection", "timed out", "sasl failed", "certificate", "tls"];
    KINDS.into_iter().find(|&k| Some(k) == s).unwrap_or("other")
}

fn relay_failures(r: &mut Records, root: &Path, rank: &HashMap<Arc<str>, u32>, map: &Mapping) -> anyhow::Result<()> {
    let spec: Vec<(&str, DataType)> = vec![
        ("export", STR),
        ("seq", U32),
        ("time", dt()),
        ("host", STR),
        ("daemon", STR),
        ("pid", U32),
        ("queue_id", STR),
        ("event", STR),
        ("relay", STR),
        ("relay_ip", STR),
        ("detail", STR),
        ("to", STR),
        ("delivery_line", U64),
        ("file", STR),
        ("line", U64),
    ];
    let t = table(root, layout::RELAY_FAILURES, &spec, rank, "seq", false)?;
    for k in 0..rank.len() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let (time, host, daemon, pid, queue_id) =
            (c.time("time")?, c.str("host")?, c.str("daemon")?, c.u32("pid")?, c.str("queue_id")?);
        let (event, relay, relay_ip, detail) = (c.str("event")?, c.str("relay")?, c.str("relay_ip")?, c.str("detail")?);
        let (to, delivery_line, file, line) = (c.str("to")?, c.u64("delivery_line")?, c.str("file")?, c.u64("line")?);
        for i in 0..df.height() {
            let s = &mut r.strings;
            let at = line_of(&map.files[k], file.get(i), line.get(i));
            let delivery = delivery_line.get(i).map(|l| (LineRef { file: at.file, line: l }, intern(s, to.get(i))));
            r.relay_failures.push(RelayFailure {
                time: time.get(i).unwrap_or(0),
                host: intern(s, host.get(i)),
                daemon: intern(s, daemon.get(i)),
                pid: pid.get(i).unwrap_or(0),
                queue_id: queue_id.get(i).and_then(QueueId::new),
                what: failure_kind(event.get(i)),
                relay: intern(s, relay.get(i)),
                relay_ip: intern(s, relay_ip.get(i)),
                detail: detail.get(i).unwrap_or("").into(),
                line: at,
                delivery,
            });
        }
    }
    Ok(())
}
