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

/// Rows that each stand for one of far fewer distinct values (accounts,
/// IPs, statuses, a client's country), and those values, each computed
/// once, on its key's first row. Columns of the rows are gathered from
/// columns of the values ([`Distinct::gather`]): building them row by row
/// read every row's text from the interner (a cache miss each, on a big
/// log), copied it, and computed derived values (domains, networks,
/// geolocation) again and again.
pub struct Distinct<V> {
    /// Each row's value, by its index in `values`; null for none.
    rows: IdxCa,
    pub values: Vec<V>,
}

/// A key of [`Distinct::of`]. Interned numbers, which are small and dense,
/// say [`RowKey::dense`]: they index a table, one read per row, instead of
/// being hashed and probed for in a map.
pub trait RowKey: Copy + Eq + std::hash::Hash {
    /// The key as a small number, one per key; `None`: hashed.
    fn dense(self) -> Option<usize> {
        None
    }
}

impl RowKey for crate::correlate::Sym {
    fn dense(self) -> Option<usize> {
        Some(self.0 as usize)
    }
}

/// An address that may be absent: absent and the empty one (`<>`) differ.
impl RowKey for Option<crate::correlate::Sym> {
    fn dense(self) -> Option<usize> {
        Some(self.map_or(0, |s| s.0 as usize + 1))
    }
}

/// An interned number that may be null (`…_id` columns).
impl RowKey for Option<u32> {
    fn dense(self) -> Option<usize> {
        Some(self.map_or(0, |n| n as usize + 1))
    }
}

/// Fieldless enums: their discriminant.
impl RowKey for crate::correlate::Origin {
    fn dense(self) -> Option<usize> {
        Some(self as usize)
    }
}

impl RowKey for crate::correlate::State {
    fn dense(self) -> Option<usize> {
        Some(self as usize)
    }
}

impl RowKey for Option<&str> {}
#[cfg(test)]
impl RowKey for u32 {}

/// Dense keys past this are hashed: a table of this many entries (64 MB)
/// is as much as one column's index should take.
const MAX_DENSE: usize = 16 << 20;

/// Where each key's value is: a table for dense keys, a map for the rest.
struct KeyIndex<K> {
    table: Vec<IdxSize>,
    map: std::collections::HashMap<K, Option<IdxSize>, foldhash::fast::RandomState>,
}

/// In [`KeyIndex::table`]: a key not seen yet, and one whose value is null.
const UNSEEN: IdxSize = IdxSize::MAX;
const NULL: IdxSize = IdxSize::MAX - 1;

impl<K: RowKey> KeyIndex<K> {
    /// The index of `k`'s value, computing it with `new` the first time.
    fn get(&mut self, k: K, new: impl FnOnce() -> Option<IdxSize>) -> Option<IdxSize> {
        match k.dense().filter(|&d| d < MAX_DENSE) {
            Some(d) => {
                if d >= self.table.len() {
                    self.table.resize((d + 1).next_power_of_two(), UNSEEN);
                }
                if self.table[d] == UNSEEN {
                    self.table[d] = new().unwrap_or(NULL);
                }
                Some(self.table[d]).filter(|&i| i != NULL)
            }
            None => *self.map.entry(k).or_insert_with(new),
        }
    }
}

impl<V> Distinct<V> {
    /// `rows` gives each row's key, which tells values apart, and what
    /// `value` computes the value from; `None`: the row is null.
    pub fn of<K: RowKey, A>(rows: impl Iterator<Item = (K, A)>, mut value: impl FnMut(A) -> Option<V>) -> Distinct<V> {
        let mut index = KeyIndex { table: Vec::new(), map: Default::default() };
        let mut values: Vec<V> = Vec::new();
        let mut last: Option<(K, Option<IdxSize>)> = None;
        let mut out: Vec<Option<IdxSize>> = Vec::with_capacity(rows.size_hint().0);
        for (k, a) in rows {
            // Neighbouring rows often share a key: a message's deliveries,
            // a client's messages.
            let i = match last {
                Some((lk, li)) if lk == k => li,
                _ => index.get(k, || {
                    value(a).map(|v| {
                        values.push(v);
                        (values.len() - 1) as IdxSize
                    })
                }),
            };
            last = Some((k, i));
            out.push(i);
        }
        Distinct { rows: IdxCa::from_iter_options("".into(), out.into_iter()), values }
    }

    /// The column `name` of the rows, from `per_value`: one entry for each
    /// of [`Distinct::values`], in their order.
    pub fn gather(&self, name: &str, per_value: Series) -> PolarsResult<Column> {
        Ok(per_value.take(&self.rows)?.with_name(name.into()).into_column())
    }
}

/// A text column of values that repeat, through [`Distinct`]. `text` gives
/// a key's text, `None` for null.
pub fn repeated_str<K, S>(
    name: &str,
    keys: impl Iterator<Item = K>,
    text: impl Fn(K) -> Option<S>,
) -> PolarsResult<Column>
where
    K: RowKey,
    S: AsRef<str>,
{
    let d = Distinct::of(keys.map(|k| (k, k)), text);
    let texts = StringChunked::from_iter_values("".into(), d.values.iter().map(|t| t.as_ref()));
    d.gather(name, texts.into_series())
}

pub fn u32_col(name: &str, v: impl Iterator<Item = u32>) -> Column {
    Column::new(name.into(), v.collect::<Vec<u32>>())
}

/// Built straight from the iterator, as [`str_col`]: no vector of options
/// on the way.
pub fn opt_u32(name: &str, v: impl Iterator<Item = Option<u32>>) -> Column {
    UInt32Chunked::from_iter_options(name.into(), v).into_column()
}

pub fn opt_u64(name: &str, v: impl Iterator<Item = Option<u64>>) -> Column {
    UInt64Chunked::from_iter_options(name.into(), v).into_column()
}

pub fn u64_col(name: &str, v: impl Iterator<Item = u64>) -> Column {
    Column::new(name.into(), v.collect::<Vec<u64>>())
}

/// A `Datetime(us, UTC)` column, its numbers taken as they are (no cast,
/// no copy: on a big log, casting copied millions of times).
pub fn dt(name: &str, v: impl Iterator<Item = Micros>) -> PolarsResult<Column> {
    let micros = Int64Chunked::from_vec(name.into(), v.collect());
    Ok(micros.into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)).into_column())
}

/// [`dt`] of times that may be unknown (null).
pub fn opt_dt(name: &str, v: impl Iterator<Item = Option<Micros>>) -> PolarsResult<Column> {
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

    /// Gathered from distinct texts, a column reads exactly as one built
    /// row by row: nulls, empty texts and repeats in place.
    #[test]
    fn repeated_texts_gather_like_rows() {
        let keys = [3u32, 3, 0, 7, 3, 9, 9, 7, 0];
        let text = |k: u32| match k {
            0 => None,
            9 => Some(String::new()),
            k => Some(format!("text {k}")),
        };
        let gathered = repeated_str("t", keys.iter().copied(), text).unwrap();
        let values: Vec<Option<String>> = gathered.str().unwrap().iter().map(|v| v.map(String::from)).collect();
        assert_eq!(values, keys.iter().map(|&k| text(k)).collect::<Vec<_>>());
        let empty = repeated_str("t", std::iter::empty::<u32>(), text).unwrap();
        assert_eq!((empty.len(), empty.dtype()), (0, &DataType::String));
    }

    /// Keys told apart by table (interned numbers) gather like hashed ones:
    /// absent and the empty address differ, a value that is null is null
    /// again, and numbers too big for the table are hashed.
    #[test]
    fn dense_keys_gather_like_rows() {
        use crate::correlate::Sym;
        let big = Sym(MAX_DENSE as u32 + 3);
        let keys =
            [Some(Sym(5)), None, Some(Sym::NONE), Some(Sym(5)), Some(big), None, Some(big), Some(Sym(9)), Some(Sym(9))];
        let text = |k: Option<Sym>| match k {
            Some(Sym(9)) => None,
            k => k.map(|s| format!("s{}", s.0)),
        };
        let gathered = repeated_str("t", keys.iter().copied(), text).unwrap();
        let values: Vec<Option<String>> = gathered.str().unwrap().iter().map(|v| v.map(String::from)).collect();
        assert_eq!(values, keys.iter().map(|&k| text(k)).collect::<Vec<_>>());
        let calls = std::cell::Cell::new(0);
        let d = Distinct::of(keys.iter().map(|&k| (k, k)), |k| {
            calls.set(calls.get() + 1);
            text(k)
        });
        assert_eq!((calls.get(), d.values.len()), (5, 3), "each of the 5 keys computed once; 3 are not null");
    }
}
