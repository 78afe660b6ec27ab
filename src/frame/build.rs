//! Column builders: iterators of plain values → polars columns.

use crate::time::Micros;
use polars::prelude::*;

#[derive(Default)]
pub struct Cols(Vec<Column>);

impl Cols {
    pub fn push(&mut self, c: Column) {
        self.0.push(c);
    }

    pub fn finish(self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(self.0)
    }
}

/// String columns are built straight from the iterator: no vector of
/// millions of `&str` or `String`s on the way, which on a big log cost
/// more memory than the column itself.
pub fn str_col<S: AsRef<str>>(name: &str, v: impl Iterator<Item = S>) -> Column {
    StringChunked::from_iter_values(name.into(), v).into_column()
}

pub fn opt_str<S: AsRef<str>>(name: &str, v: impl Iterator<Item = Option<S>>) -> Column {
    StringChunked::from_iter_options(name.into(), v).into_column()
}

pub fn u32_col(name: &str, v: impl Iterator<Item = u32>) -> Column {
    Column::new(name.into(), v.collect::<Vec<u32>>())
}

pub fn opt_u32(name: &str, v: impl Iterator<Item = Option<u32>>) -> Column {
    Column::new(name.into(), v.collect::<Vec<Option<u32>>>())
}

pub fn u64_col(name: &str, v: impl Iterator<Item = u64>) -> Column {
    Column::new(name.into(), v.collect::<Vec<u64>>())
}

/// A `Datetime(us, UTC)` column.
pub fn dt(name: &str, v: impl Iterator<Item = Option<Micros>>) -> PolarsResult<Column> {
    let s = Series::new(name.into(), v.collect::<Vec<Option<i64>>>());
    Ok(s.cast(&DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)))?.into())
}
