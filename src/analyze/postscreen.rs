//! postscreen's statistics: its verdicts (PASS NEW, PASS OLD, PREGREET,
//! DNSBL rank, HANGUP, …) with the client IPs they were about, and
//! dnsblog's listings by DNSBL (postscreen's own `DNSBL rank` line does
//! not name the lists).

use super::is;
use super::sections::ranked;
use polars::prelude::*;

/// Per postscreen verdict (`event`): `events` and their `distinct_ips`.
pub fn verdicts(events: &DataFrame, limit: usize) -> PolarsResult<DataFrame> {
    if events.column("event").is_err() {
        return df!("event" => Vec::<String>::new(), "events" => Vec::<u64>::new(), "distinct_ips" => Vec::<u64>::new());
    }
    let q = events.clone().lazy().filter(is("daemon", "postscreen")).group_by([col("event")]).agg([
        len().cast(DataType::UInt64).alias("events"),
        col("client_ip").drop_nulls().n_unique().cast(DataType::UInt64).alias("distinct_ips"),
    ]);
    ranked(q, &[("events", true), ("event", false)], limit).collect()
}

/// Per DNSBL (`list`: the domain of dnsblog's `listed by domain D as A`):
/// `listings` and their `distinct_ips`.
pub fn listings(events: &DataFrame, limit: usize) -> PolarsResult<DataFrame> {
    if events.column("event").is_err() {
        return df!("list" => Vec::<String>::new(), "listings" => Vec::<u64>::new(), "distinct_ips" => Vec::<u64>::new());
    }
    let list = col("detail").str().split(lit(" ")).list().first().alias("list");
    let q = events
        .clone()
        .lazy()
        .filter(is("daemon", "dnsblog").and(is("event", "listed")))
        .with_column(list)
        .group_by([col("list")])
        .agg([
            len().cast(DataType::UInt64).alias("listings"),
            col("client_ip").drop_nulls().n_unique().cast(DataType::UInt64).alias("distinct_ips"),
        ]);
    ranked(q, &[("listings", true), ("list", false)], limit).collect()
}
