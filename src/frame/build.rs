//! Column builders: iterators of plain values → polars columns.

use crate::parallel::{in_order, Job};
use crate::time::Micros;
use polars::prelude::*;

/// A column to build: run when the frame is finished.
type Builder<'a> = Job<'a, PolarsResult<Column>>;

/// The columns of one frame, built together by [`Cols::finish`]. Each
/// column reads the records on its own, so they are built on all cores at
/// once: one after the other, building the frames of a big log was a fifth
/// of `summary`'s time with one core idle.
#[derive(Default)]
pub struct Cols<'a>(Vec<Builder<'a>>);

/// At most this many columns are built at once: each has its builder's
/// buffers in memory until it is done.
const MAX_THREADS: usize = 4;

impl<'a> Cols<'a> {
    pub fn col(&mut self, build: impl FnOnce() -> Column + Send + 'a) {
        self.0.push(Box::new(move || Ok(build())));
    }

    pub fn try_col(&mut self, build: impl FnOnce() -> PolarsResult<Column> + Send + 'a) {
        self.0.push(Box::new(build));
    }

    /// Builds the columns, in parallel, into a frame in the order they
    /// were added.
    pub fn finish(self) -> PolarsResult<DataFrame> {
        let columns = in_order(self.0, MAX_THREADS).into_iter().collect::<PolarsResult<Vec<Column>>>()?;
        DataFrame::new_infer_height(columns)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns built in parallel, some slower than others, come out in the
    /// order they were added; an error in any one is the frame's error.
    #[test]
    fn parallel_columns_keep_their_order() {
        let mut c = Cols::default();
        for i in 0..40u32 {
            c.col(move || u32_col(&format!("c{i}"), (0..(40 - i) * 1000).map(|_| i).take(3)));
        }
        let df = c.finish().unwrap();
        let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
        assert_eq!(names, (0..40).map(|i| format!("c{i}")).collect::<Vec<_>>());
        assert_eq!(df.height(), 3);
        let mut c = Cols::default();
        c.col(|| u32_col("a", [1].into_iter()));
        c.try_col(|| Err(PolarsError::ComputeError("broken".into())));
        assert!(c.finish().is_err());
    }
}
