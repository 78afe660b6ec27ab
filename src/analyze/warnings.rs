//! pflogsumm's "Warnings", "Fatal Errors", "Panics" and "Master daemon
//! messages" in one table: each kind of line (daemon, level, the text's
//! shape) with its count and its first line. Counted over all the input
//! read, as `check` counts lines (not cut by --since/--until).

use super::sections::ranked;
use crate::diag::Warnings;
use polars::prelude::*;

/// The levels, worst first; `master` is master(8)'s own word.
const LEVELS: [&str; 5] = ["panic", "fatal", "error", "warning", "master"];

/// `level`, `daemon`, `message` (the shape), `count`, `sample`: worst
/// level first, then most frequent.
pub fn table(w: &Warnings, limit: usize) -> PolarsResult<DataFrame> {
    let rows: Vec<_> = w.iter().collect();
    let rank = |l: &str| LEVELS.iter().position(|x| *x == l).unwrap_or(LEVELS.len()) as u32;
    let df = df!(
        "level" => rows.iter().map(|(k, _)| k.level).collect::<Vec<_>>(),
        "daemon" => rows.iter().map(|(k, _)| k.daemon.as_str()).collect::<Vec<_>>(),
        "message" => rows.iter().map(|(k, _)| k.text.as_str()).collect::<Vec<_>>(),
        "count" => rows.iter().map(|(_, t)| t.count).collect::<Vec<_>>(),
        "sample" => rows.iter().map(|(_, t)| t.sample.as_str()).collect::<Vec<_>>(),
        "severity" => rows.iter().map(|(k, _)| rank(k.level)).collect::<Vec<_>>()
    )?;
    let q = ranked(df.lazy(), &[("severity", false), ("count", true), ("daemon", false), ("message", false)], limit);
    q.select([all().exclude_cols(["severity"]).as_expr()]).collect()
}
