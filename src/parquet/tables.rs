//! A table of a dataset read: the rows of each of its parts, of the
//! exports being read, each column of the type postsleuth writes it in.

use super::layout;
use super::write::SKIPS;
use anyhow::Context;
use polars::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

pub(super) type Spec = [(&'static str, DataType)];

pub(super) fn dt() -> DataType {
    DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
}

pub(super) const STR: DataType = DataType::String;
pub(super) const U32: DataType = DataType::UInt32;
pub(super) const U64: DataType = DataType::UInt64;
pub(super) const BOOL: DataType = DataType::Boolean;

pub(super) static INPUT_COLUMNS: std::sync::LazyLock<Vec<(&str, DataType)>> = std::sync::LazyLock::new(|| {
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

pub(super) static DAEMON_COLUMNS: [(&str, DataType); 7] = [
    ("export", STR),
    ("daemon", STR),
    ("unrecognised", U64),
    ("sample", STR),
    ("level", STR),
    ("text", STR),
    ("warnings", U64),
];

/// A table's rows of every export read, in order (export, then `order`).
pub(super) struct Table {
    df: DataFrame,
    /// Where each export's rows start in `df`, and (last) where they end.
    bounds: Vec<usize>,
}

impl Table {
    /// The rows of export `rank`.
    pub(super) fn of(&self, rank: u32) -> PolarsResult<DataFrame> {
        let (a, b) = (self.bounds[rank as usize], self.bounds[rank as usize + 1]);
        Ok(self.df.slice(a as i64, b - a))
    }
}

/// Reads `spec`'s columns of every part of `table`, keeps the rows of the
/// exports in `rank`, sorted by export and `order`. `once`: the table
/// is the same in every partition of an export (inputs, daemons): one
/// part of each export is read.
pub(super) fn table(
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
pub(super) fn open_some(path: &Path, columns: &[String]) -> anyhow::Result<DataFrame> {
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
pub(super) fn select(df: DataFrame, spec: &Spec) -> PolarsResult<DataFrame> {
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
pub(super) struct Rows<'a>(&'a DataFrame);

impl<'a> Rows<'a> {
    pub(super) fn new(df: &'a DataFrame) -> Self {
        Rows(df)
    }

    pub(super) fn str(&self, name: &str) -> PolarsResult<&'a StringChunked> {
        self.0.column(name)?.str()
    }

    pub(super) fn u32(&self, name: &str) -> PolarsResult<&'a UInt32Chunked> {
        self.0.column(name)?.u32()
    }

    pub(super) fn u64(&self, name: &str) -> PolarsResult<&'a UInt64Chunked> {
        self.0.column(name)?.u64()
    }

    pub(super) fn f64(&self, name: &str) -> PolarsResult<&'a Float64Chunked> {
        self.0.column(name)?.f64()
    }

    pub(super) fn bool(&self, name: &str) -> PolarsResult<&'a BooleanChunked> {
        self.0.column(name)?.bool()
    }

    /// Microseconds since the epoch.
    pub(super) fn time(&self, name: &str) -> PolarsResult<&'a Int64Chunked> {
        Ok(self.0.column(name)?.datetime()?.physical())
    }
}
