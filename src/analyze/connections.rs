//! smtpd connection statistics (pflogsumm's `--smtpd-stats`): connections
//! from `connect from` to `disconnect from`, from how many client IPs,
//! and how long they lasted.

use super::sections::rounded;
use polars::prelude::*;

/// One row: `connections` (smtpd sessions with both their connect and
/// their disconnect in the input, every smtpd instance's), their
/// `distinct_ips`, and `total_connect_time`, `avg_connect_time`,
/// `max_connect_time` in seconds.
pub fn summary(sessions: &DataFrame) -> PolarsResult<DataFrame> {
    if sessions.height() == 0 || sessions.column("start").is_err() {
        return df!(
            "connections" => [0u64], "distinct_ips" => [0u64],
            "total_connect_time" => [0f64], "avg_connect_time" => [None::<f64>], "max_connect_time" => [None::<f64>]
        );
    }
    let micros = |c: &str| col(c).cast(DataType::Int64);
    let seconds = ((micros("end") - micros("start")).cast(DataType::Float64) / lit(1e6)).alias("seconds");
    sessions
        .clone()
        .lazy()
        .filter(col("start").is_not_null().and(col("end").is_not_null()))
        .select([col("client_ip"), seconds])
        .select([
            len().cast(DataType::UInt64).alias("connections"),
            col("client_ip")
                .filter(col("client_ip").neq(lit("")))
                .n_unique()
                .cast(DataType::UInt64)
                .alias("distinct_ips"),
            col("seconds").sum().alias("total_connect_time"),
            col("seconds").mean().alias("avg_connect_time"),
            col("seconds").max().alias("max_connect_time"),
        ])
        .collect()
        .and_then(|df| rounded(df, 1))
}
