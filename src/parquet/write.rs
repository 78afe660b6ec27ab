//! `export --format parquet --out DIR`: a run's records as partitions of
//! a dataset, one per host and UTC day, each replacing the one of the same
//! host and day a former export wrote (never added to it: exporting a day
//! twice gives its rows once).
//!
//! Which day a record belongs to: a message, its deliveries and its
//! content filter's continuations go with the day (and host) of the
//! original submission's first line, so a chain is never cut between two
//! partitions; every other record goes with its own time. Each partition
//! also holds the export's account of its input (`inputs`, `daemons`,
//! `meta`) and the raw text of the lines its messages, logins and rejects
//! point to (`lines`), so that it can be read alone on another machine.
//!
//! Everything is written into a scratch folder inside DIR first, then each
//! partition's folder is renamed into place (swapped atomically with the
//! one it replaces, where the system can).

use super::layout::{self, TABLES};
use crate::atomic::{self, Scratch};
use crate::correlate::{LineRef, Records, Sym};
use crate::diag::{Diagnostics, Skip};
use crate::enrich::{add_geo_columns, Geo, GeoColumns};
use crate::frame::{self, Detail};
use crate::ingest::Dataset;
use crate::time::Micros;
use crate::window::Window;
use anyhow::Context;
use polars::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// The version of the tables' layout (sql/SCHEMA.md): a reader refuses a
/// dataset written with a higher one.
pub const SCHEMA_VERSION: u32 = 1;

/// What an export wrote.
#[derive(Debug)]
pub struct Written {
    /// The export's id, in every row it wrote.
    pub export: String,
    /// (host, date) of each partition written, sorted.
    pub partitions: Vec<(String, String)>,
}

/// The partitions of one export: (host, day), numbered as first met.
#[derive(Default)]
struct Parts {
    keys: Vec<(Sym, i64)>,
    index: HashMap<(Sym, i64), u32>,
}

impl Parts {
    fn of(&mut self, host: Sym, t: Micros) -> u32 {
        let key = (host, layout::day_of(t));
        let next = self.keys.len() as u32;
        *self.index.entry(key).or_insert_with(|| {
            self.keys.push(key);
            next
        })
    }

    fn folder(&self, root: &Path, table: &str, part: usize, r: &Records) -> std::path::PathBuf {
        let (host, day) = self.keys[part];
        layout::partition(root, table, r.str(host), day)
    }
}

/// Which partition each row of each table goes to (`None`: outside the
/// window, not written).
struct Assigned {
    messages: Vec<Option<u32>>,
    deliveries: Vec<Option<u32>>,
    auth: Vec<Option<u32>>,
    rejects: Vec<Option<u32>>,
    sessions: Vec<Option<u32>>,
    client_events: Vec<Option<u32>>,
    relay_failures: Vec<Option<u32>>,
}

fn assign(ds: &Dataset, window: &Window, parts: &mut Parts) -> Assigned {
    let r = &ds.records;
    let roots = r.root_ids();
    let messages: Vec<Option<u32>> = roots
        .iter()
        .map(|&root| r.messages.get(root as usize))
        .map(|root| root.filter(|m| window.contains(m.first_seen)).map(|m| parts.of(m.host, m.first_seen)))
        .collect();
    let deliveries = r.deliveries.iter().map(|d| messages.get(d.message as usize).copied().flatten()).collect();
    let mut own = |host: Sym, t: Micros| window.contains(t).then(|| parts.of(host, t));
    let auth = r.auth.iter().map(|a| own(a.host, a.time)).collect();
    let rejects = r.rejects.iter().map(|x| own(x.host, x.time)).collect();
    let client_events = r.screen.iter().map(|x| own(x.host, x.time)).collect();
    let relay_failures = r.relay_failures.iter().map(|x| own(x.host, x.time)).collect();
    let first = ds.span.map_or(0, |s| s.0);
    let sessions = r.sessions.iter().map(|s| own(s.host, s.start.or(s.end).unwrap_or(first))).collect();
    Assigned { messages, deliveries, auth, rejects, sessions, client_events, relay_failures }
}

/// An id no other export has: when it was made, and by which process.
fn export_id() -> String {
    let now = chrono::Utc::now();
    format!("{}-{}", now.format("%Y-%m-%dT%H:%M:%S%.6fZ"), std::process::id())
}

/// Writes the records of `ds` in `window` as partitions of the dataset at
/// `root` (created if missing). `geo` gives the country and AS columns.
pub fn export(ds: &Dataset, root: &Path, window: &Window, geo: &Geo) -> anyhow::Result<Written> {
    std::fs::create_dir_all(root).with_context(|| format!("{}: cannot create the dataset folder", root.display()))?;
    let target = root.join("export");
    atomic::sweep_stale(&target);
    let scratch = Scratch::dir(&target).with_context(|| format!("{}: cannot create a folder", root.display()))?;
    let mut parts = Parts::default();
    let assigned = assign(ds, window, &mut parts);
    let export = export_id();
    let w = Writer { ds, scratch: scratch.path(), parts: &parts, export: &export };
    w.records(&assigned, geo)?;
    w.lines(&assigned)?;
    w.about_input(window)?;
    ds.observer.stage(crate::diag::Stage::Writing);
    scratch.pause_if_asked();
    for part in 0..parts.keys.len() {
        for table in TABLES {
            let (from, to) =
                (parts.folder(scratch.path(), table, part, &ds.records), parts.folder(root, table, part, &ds.records));
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("{}: cannot create", parent.display()))?;
            }
            swap_in(&from, &to).with_context(|| format!("{}: cannot publish", to.display()))?;
        }
    }
    drop(scratch);
    atomic::sync_dir(root);
    let mut partitions: Vec<(String, String)> =
        parts.keys.iter().map(|&(h, d)| (ds.records.str(h).to_string(), layout::date_name(d))).collect();
    partitions.sort();
    Ok(Written { export, partitions })
}

/// Puts `new` in place of `target`. Where the system can swap two names
/// in one step, a reader sees the old partition or the new one, never
/// none; elsewhere the old one is moved aside first. What was replaced
/// ends up at `new`, inside the scratch, which goes with it.
fn swap_in(new: &Path, target: &Path) -> std::io::Result<()> {
    if !target.exists() {
        return std::fs::rename(new, target);
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        if renameat_with(CWD, new, CWD, target, RenameFlags::EXCHANGE).is_ok() {
            return Ok(());
        }
    }
    let aside = new.with_extension("old");
    std::fs::rename(target, &aside)?;
    if let Err(e) = std::fs::rename(new, target) {
        let _ = std::fs::rename(&aside, target);
        return Err(e);
    }
    std::fs::rename(&aside, new)
}

struct Writer<'a> {
    ds: &'a Dataset,
    scratch: &'a Path,
    parts: &'a Parts,
    export: &'a str,
}

impl Writer<'_> {
    /// The tables of records, one after the other (each frame gone before
    /// the next is built).
    fn records(&self, a: &Assigned, geo: &Geo) -> anyhow::Result<()> {
        let ds = self.ds;
        let mut messages = frame::messages(ds, Detail::All)?;
        add_geo_columns(&mut messages, "root_client_ip", "root_", geo, GeoColumns::All)?;
        self.table(layout::MESSAGES, messages, &a.messages)?;
        self.table(layout::DELIVERIES, numbered(frame::deliveries(ds, Detail::All)?)?, &a.deliveries)?;
        let geolocated = |mut df: DataFrame| -> PolarsResult<DataFrame> {
            add_geo_columns(&mut df, "client_ip", "", geo, GeoColumns::All)?;
            numbered(df)
        };
        self.table(layout::AUTH, geolocated(frame::auth(ds, Detail::All)?)?, &a.auth)?;
        self.table(layout::REJECTS, geolocated(frame::rejects(ds, Detail::All)?)?, &a.rejects)?;
        let mut sessions = frame::sessions(ds)?;
        let n = sessions.height() as u32;
        sessions.insert_column(0, Column::new("session".into(), (0..n).collect::<Vec<u32>>()))?;
        self.table(layout::SESSIONS, sessions, &a.sessions)?;
        self.table(layout::CLIENT_EVENTS, geolocated(frame::client_events(ds)?)?, &a.client_events)?;
        self.table(layout::RELAY_FAILURES, numbered(frame::relay_failures(ds)?)?, &a.relay_failures)
    }

    /// Writes the rows of `df` into the partitions `assigned` names, every
    /// partition getting its part (empty where it has no row).
    fn table(&self, table: &str, df: DataFrame, assigned: &[Option<u32>]) -> anyhow::Result<()> {
        let mut df = df;
        df.with_column(self.export_column(df.height()))?;
        let mut rows: Vec<Vec<IdxSize>> = vec![Vec::new(); self.parts.keys.len()];
        for (i, p) in assigned.iter().enumerate() {
            if let Some(p) = p {
                rows[*p as usize].push(i as IdxSize);
            }
        }
        for (part, rows) in rows.into_iter().enumerate() {
            let mut piece = df.take(&IdxCa::from_vec("".into(), rows))?;
            self.write(table, part, &mut piece)?;
        }
        Ok(())
    }

    fn export_column(&self, height: usize) -> Column {
        let value = Scalar::new(DataType::String, AnyValue::StringOwned(self.export.into()));
        Column::new_scalar("export".into(), value, height)
    }

    fn write(&self, table: &str, part: usize, df: &mut DataFrame) -> anyhow::Result<()> {
        let dir = self.parts.folder(self.scratch, table, part, &self.ds.records);
        std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
        let path = dir.join(layout::PART);
        let mut write = || -> anyhow::Result<()> {
            let mut file = std::fs::File::create(&path)?;
            ParquetWriter::new(&mut file).finish(df)?;
            file.sync_all()?;
            Ok(())
        };
        write().with_context(|| format!("{}: cannot write", path.display()))
    }

    /// `lines`: the raw text of every line a message (its first), login
    /// or reject of the partition points to.
    fn lines(&self, a: &Assigned) -> anyhow::Result<()> {
        let r = &self.ds.records;
        let mut per_part: Vec<Vec<LineRef>> = vec![Vec::new(); self.parts.keys.len()];
        let mut place = |p: Option<u32>, l: LineRef| {
            if let Some(p) = p {
                per_part[p as usize].push(l);
            }
        };
        r.messages.iter().zip(&a.messages).for_each(|(m, &p)| place(p, m.first_line));
        r.auth.iter().zip(&a.auth).for_each(|(x, &p)| place(p, x.line));
        r.rejects.iter().zip(&a.rejects).for_each(|(x, &p)| place(p, x.line));
        let wanted: BTreeSet<LineRef> = per_part.iter().flatten().copied().collect();
        let texts = super::lines::fetch(self.ds, &wanted);
        drop(wanted);
        for (part, mut refs) in per_part.into_iter().enumerate() {
            refs.sort_unstable();
            refs.dedup();
            let found: Vec<(LineRef, &crate::source::fetch::Fetched)> =
                refs.into_iter().filter_map(|l| texts.get(&l).map(|t| (l, t))).collect();
            let mut df = df!(
                "file" => found.iter().map(|(l, _)| self.ds.file_name(*l)).collect::<Vec<_>>(),
                "line" => found.iter().map(|(l, _)| l.line).collect::<Vec<u64>>(),
                "text" => found.iter().map(|(_, t)| t.text.as_str()).collect::<Vec<_>>(),
                "cursor" => found.iter().map(|(_, t)| t.cursor.as_deref()).collect::<Vec<_>>(),
            )?;
            df.with_column(self.export_column(df.height()))?;
            self.write(layout::LINES, part, &mut df)?;
        }
        Ok(())
    }

    /// `inputs`, `daemons` and `meta`: the export's account of its input,
    /// the same in each of its partitions (but for meta's host and date).
    fn about_input(&self, window: &Window) -> anyhow::Result<()> {
        let (mut inputs, mut daemons) = (inputs_frame(&self.ds.diag)?, daemons_frame(&self.ds.diag)?);
        inputs.with_column(self.export_column(inputs.height()))?;
        daemons.with_column(self.export_column(daemons.height()))?;
        for part in 0..self.parts.keys.len() {
            self.write(layout::INPUTS, part, &mut inputs.clone())?;
            self.write(layout::DAEMONS, part, &mut daemons.clone())?;
            let mut meta = self.meta_frame(part, window)?;
            self.write(layout::META, part, &mut meta)?;
        }
        Ok(())
    }

    fn meta_frame(&self, part: usize, window: &Window) -> PolarsResult<DataFrame> {
        let ds = self.ds;
        let r = &ds.records;
        let (host, day) = self.parts.keys[part];
        let back = ds.diag.out_of_order();
        let time = |name: &str, t: Option<Micros>| frame::opt_dt(name, std::iter::once(t));
        let u64s = |name: &str, v: u64| Column::new(name.into(), [v]);
        let columns = vec![
            Column::new("export".into(), [self.export]),
            Column::new("schema_version".into(), [SCHEMA_VERSION]),
            Column::new("postsleuth_version".into(), [env!("CARGO_PKG_VERSION")]),
            time("exported_at", Some(chrono::Utc::now().timestamp_micros()))?,
            Column::new("host".into(), [r.str(host)]),
            Column::new("date".into(), [layout::date_name(day)]),
            time("since", window.since)?,
            time("until", window.until)?,
            time("first", ds.span.map(|s| s.0))?,
            time("last", ds.span.map(|s| s.1))?,
            u64s("postfix_lines", ds.diag.postfix_lines),
            u64s("other_lines", ds.diag.other_lines),
            u64s("orphan_lines", ds.orphan_lines),
            u64s("damaged_addresses", r.damaged_addresses),
            u64s("sessions_seen", r.session_count),
            u64s("client_events_seen", r.client_events),
            u64s("relay_failures_seen", r.relay_failure_count),
            Column::new("out_of_order_file".into(), [back.map(|b| b.0)]),
            Column::new("out_of_order_line".into(), [back.map(|b| b.1)]),
        ];
        let mut df = DataFrame::new_infer_height(columns)?;
        df.rechunk_mut();
        Ok(df)
    }
}

/// `df` with a `seq` column: each row's number in its export, the order
/// postsleuth found the records in, which reading the dataset back keeps.
fn numbered(mut df: DataFrame) -> PolarsResult<DataFrame> {
    let n = df.height() as u32;
    df.with_column(Column::new("seq".into(), (0..n).collect::<Vec<u32>>()))?;
    Ok(df)
}

/// The reasons a line is skipped, by their column names.
pub(super) const SKIPS: [(Skip, &str); 4] = [
    (Skip::NotSyslog, "skipped_not_syslog"),
    (Skip::NotJournal, "skipped_not_journal"),
    (Skip::TooLong, "skipped_too_long"),
    (Skip::Binary, "skipped_binary"),
];

/// `inputs`: each file read (`file`), path that named nothing readable
/// (`path_problem`) and file named twice (`duplicate`), as the run
/// reported them.
fn inputs_frame(d: &Diagnostics) -> PolarsResult<DataFrame> {
    struct Row<'a> {
        kind: &'static str,
        position: u32,
        file: &'a str,
        kept: Option<&'a str>,
        report: Option<&'a crate::diag::FileReport>,
        error: Option<&'a str>,
    }
    let mut rows: Vec<Row> = Vec::new();
    for (i, f) in d.files.iter().enumerate() {
        let error = f.error.as_deref();
        rows.push(Row { kind: "file", position: i as u32, file: &f.name, kept: None, report: Some(f), error });
    }
    for (i, p) in d.path_problems.iter().enumerate() {
        let error = Some(p.message.as_str());
        rows.push(Row { kind: "path_problem", position: i as u32, file: &p.path, kept: None, report: None, error });
    }
    for (i, x) in d.duplicates.iter().enumerate() {
        let (kept, error) = (Some(x.kept.as_str()), Some(x.words.as_str()));
        rows.push(Row { kind: "duplicate", position: i as u32, file: &x.dropped, kept, report: None, error });
    }
    let num = |name: &str, f: &dyn Fn(&crate::diag::FileReport) -> u64| {
        Column::new(name.into(), rows.iter().map(|r| r.report.map_or(0, f)).collect::<Vec<u64>>())
    };
    let mut columns = vec![
        Column::new("kind".into(), rows.iter().map(|r| r.kind).collect::<Vec<_>>()),
        Column::new("position".into(), rows.iter().map(|r| r.position).collect::<Vec<_>>()),
        Column::new("file".into(), rows.iter().map(|r| r.file).collect::<Vec<_>>()),
        Column::new("kept".into(), rows.iter().map(|r| r.kept).collect::<Vec<_>>()),
        Column::new("stdin".into(), rows.iter().map(|r| r.report.is_some_and(|f| f.stdin)).collect::<Vec<_>>()),
        Column::new("compression".into(), rows.iter().map(|r| r.report.map(|f| f.compression)).collect::<Vec<_>>()),
        num("lines", &|f| f.lines),
        num("bytes", &|f| f.bytes),
    ];
    for (skip, name) in SKIPS {
        columns.push(num(name, &|f| f.skipped.get(&skip).copied().unwrap_or(0)));
    }
    columns.extend([
        num("repaired_utf8", &|f| f.repaired_utf8),
        num("padding", &|f| f.padding),
        num("duplicates", &|f| f.duplicates),
        num("backwards", &|f| f.backwards),
        Column::new("error".into(), rows.iter().map(|r| r.error).collect::<Vec<_>>()),
    ]);
    DataFrame::new_infer_height(columns)
}

/// `daemons`: per daemon, the Postfix lines no rule recognised (with the
/// first as a sample), a row with no `level`; then one row per kind of
/// warning (daemon, level, shape of the text: `summary --section
/// warnings`), with its count and first line.
fn daemons_frame(d: &Diagnostics) -> PolarsResult<DataFrame> {
    let mut daemon: Vec<&str> = d.unrecognised.keys().map(String::as_str).collect();
    let mut unrecognised: Vec<u64> = d.unrecognised.values().map(|u| u.0).collect();
    let mut sample: Vec<&str> = d.unrecognised.values().map(|u| u.1.as_str()).collect();
    let (mut level, mut text, mut warnings): (Vec<Option<&str>>, Vec<Option<&str>>, Vec<u64>) =
        daemon.iter().map(|_| (None, None, 0)).collect();
    for (kind, tally) in d.warnings.iter() {
        daemon.push(&kind.daemon);
        unrecognised.push(0);
        sample.push(&tally.sample);
        level.push(Some(kind.level));
        text.push(Some(&kind.text));
        warnings.push(tally.count);
    }
    df!(
        "daemon" => daemon,
        "unrecognised" => unrecognised,
        "sample" => sample,
        "level" => level,
        "text" => text,
        "warnings" => warnings,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A partition replaced is replaced whole: none of its old files stay,
    /// and the old folder ends up where the new one was (in the scratch).
    #[test]
    fn swapping_in_replaces_a_folder_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (new, target) = (dir.path().join("new"), dir.path().join("target"));
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("stale"), "old").unwrap();
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(new.join("part-0.parquet"), "new").unwrap();
        swap_in(&new, &target).unwrap();
        assert_eq!(std::fs::read_to_string(target.join("part-0.parquet")).unwrap(), "new");
        assert!(!target.join("stale").exists());
        assert!(new.join("stale").exists(), "the old partition is left in the scratch");
        let fresh = dir.path().join("fresh");
        std::fs::create_dir_all(&fresh).unwrap();
        let other = dir.path().join("other");
        swap_in(&fresh, &other).unwrap();
        assert!(other.is_dir() && !fresh.exists());
    }
}
