//! Delivery delays as postfix-logwatch's `--delays` shows them: the
//! percentiles of each part of `delays=a/b/c/d` (before the queue manager,
//! in it, connection set-up, transmission) and of the total `delay=`, over
//! the delivered (final `status=sent`) deliveries. A re-injected copy's
//! delays count from its re-injection, as Postfix logs them.

use super::sections::rounded;
use super::{is, Frames};
use crate::frame::DELAY_PARTS;
use polars::prelude::*;

/// The percentiles shown (postfix-logwatch's default set).
pub const PERCENTILES: [u32; 8] = [0, 25, 50, 75, 90, 95, 98, 100];

/// The rows, in the order of `delays=a/b/c/d`, then the total.
const ROWS: [(&str, &str); 5] = [
    ("before_qmgr", DELAY_PARTS[0]),
    ("in_qmgr", DELAY_PARTS[1]),
    ("conn_setup", DELAY_PARTS[2]),
    ("transmission", DELAY_PARTS[3]),
    ("total", "delay"),
];

/// One row per part (`delay`: before_qmgr, in_qmgr, conn_setup,
/// transmission, total) with the `deliveries` it is known for and the
/// percentiles `p0` … `p100` in seconds (linear between the closest ranks,
/// to 0.01 s).
pub fn percentiles(f: &Frames) -> PolarsResult<DataFrame> {
    let mut exprs = Vec::new();
    for (name, column) in ROWS {
        let values = col(column).cast(DataType::Float64);
        exprs.push(values.clone().count().cast(DataType::UInt64).alias(format!("{name}/deliveries")));
        for p in PERCENTILES {
            let q = values.clone().quantile(lit(f64::from(p) / 100.0), QuantileMethod::Linear);
            exprs.push(q.alias(format!("{name}/p{p}")));
        }
    }
    let one = f.final_deliveries().filter(is("status", "sent")).select(exprs).collect()?;
    let get_u = |name: &str| -> PolarsResult<u64> { Ok(one.column(name)?.u64()?.get(0).unwrap_or(0)) };
    let get_f = |name: &str| -> PolarsResult<Option<f64>> { Ok(one.column(name)?.f64()?.get(0)) };
    let mut columns = vec![Column::new("delay".into(), ROWS.map(|r| r.0).to_vec())];
    let counts: Vec<u64> = ROWS.iter().map(|(n, _)| get_u(&format!("{n}/deliveries"))).collect::<PolarsResult<_>>()?;
    columns.push(Column::new("deliveries".into(), counts));
    for p in PERCENTILES {
        let values: Vec<Option<f64>> =
            ROWS.iter().map(|(n, _)| get_f(&format!("{n}/p{p}"))).collect::<PolarsResult<_>>()?;
        columns.push(Column::new(format!("p{p}").into(), values));
    }
    rounded(DataFrame::new_infer_height(columns)?, 2)
}
