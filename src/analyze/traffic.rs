//! Traffic per day and per hour of the day (pflogsumm's "Per-Day Traffic
//! Summary" and "Per-Hour Traffic"): received, delivered, deferred, bounced
//! and rejected, on the display zone's wall clock. Counted as the totals
//! are ([`super::totals`]): messages by when they were first seen,
//! deliveries and rejects by their own time.

use super::{is, is_received, Frames};
use crate::time::{Micros, Zone, MICROS_PER_SEC};
use polars::prelude::*;

const FIGURES: [&str; 5] = ["received", "delivered", "deferred", "bounced", "rejected"];

/// Per day: `day` (the local date) and the five figures, oldest first.
pub fn per_day(f: &Frames, zone: &Zone, span: Option<(Micros, Micros)>) -> PolarsResult<DataFrame> {
    let events = events(f, zone, span)?;
    let day = col("local").dt().date().alias("day");
    tally(events.with_column(day), "day")?.sort(["day"], Default::default()).collect()
}

/// Per hour of the day (0–23): the five figures, averaged over the days of
/// the input when it spans more than one (pflogsumm's daily average).
pub fn per_hour(f: &Frames, zone: &Zone, span: Option<(Micros, Micros)>) -> PolarsResult<DataFrame> {
    let days = local_days(zone, span).max(1) as f64;
    let events = events(f, zone, span)?;
    let hour = col("local").dt().hour().alias("hour");
    let mut q = tally(events.with_column(hour), "hour")?.sort(["hour"], Default::default());
    if days > 1.0 {
        // To a tenth (rounding needs a polars feature this build leaves out).
        let tenths =
            |n: &str| (col(n).cast(DataType::Float64) * lit(10.0) / lit(days) + lit(0.5)).cast(DataType::Int64);
        let avg = FIGURES.iter().map(|n| (tenths(n).cast(DataType::Float64) / lit(10.0)).alias(*n));
        q = q.with_columns(avg.collect::<Vec<_>>());
    }
    super::sections::rounded(q.collect()?, 1)
}

/// One row per event: its `kind` (one of the figures) and `local`, its
/// time on the zone's wall clock.
fn events(f: &Frames, zone: &Zone, span: Option<(Micros, Micros)>) -> PolarsResult<LazyFrame> {
    let kind = |lf: LazyFrame, time: &str, name: &str| lf.select([col(time).alias("time"), lit(name).alias("kind")]);
    let finals = || f.final_deliveries();
    let parts = [
        kind(f.messages.clone().lazy().filter(is_received()), "first_seen", "received"),
        kind(finals().filter(is("status", "sent")), "time", "delivered"),
        kind(finals().filter(is("status", "deferred")), "time", "deferred"),
        kind(finals().filter(is("status", "bounced")), "time", "bounced"),
        kind(f.rejects.clone().lazy().filter(is("action", "reject")), "time", "rejected"),
    ];
    let all = concat(parts, UnionArgs::default())?;
    Ok(all.with_column(local_time(zone, span)))
}

/// `time` moved to the zone's wall clock. The offset changes a few times a
/// year at most: it is looked up hour by hour over the span, and each
/// stretch of one offset becomes one arm of a `when` chain.
fn local_time(zone: &Zone, span: Option<(Micros, Micros)>) -> Expr {
    let micros = col("time").cast(DataType::Int64);
    let Some((first, last)) = span else { return micros.alias("local") };
    const HOUR: Micros = 3600 * MICROS_PER_SEC;
    let mut changes: Vec<(Micros, i64)> = Vec::new();
    let mut t = first - first.rem_euclid(HOUR);
    while t <= last.saturating_add(HOUR) {
        let off = zone.offset_at(t);
        if changes.last().is_none_or(|&(_, o)| o != off) {
            changes.push((t, off));
        }
        t += HOUR;
    }
    let seconds = |o: i64| lit(o * MICROS_PER_SEC);
    let mut offset = seconds(changes.first().map_or(0, |c| c.1));
    for &(at, off) in changes.iter().skip(1) {
        offset = when(col("time").cast(DataType::Int64).gt_eq(lit(at))).then(seconds(off)).otherwise(offset);
    }
    (micros + offset).cast(DataType::Datetime(TimeUnit::Microseconds, None)).alias("local")
}

/// The number of local dates the span touches.
fn local_days(zone: &Zone, span: Option<(Micros, Micros)>) -> i64 {
    span.map_or(1, |(a, b)| {
        let (a, b) = (crate::time::local_date(zone, a), crate::time::local_date(zone, b));
        (b - a).num_days() + 1
    })
}

/// The five figures per `key`, every figure a column (0 where none).
fn tally(events: LazyFrame, key: &str) -> PolarsResult<LazyFrame> {
    let counts = FIGURES.iter().map(|n| col("kind").eq(lit(*n)).cast(DataType::UInt64).sum().alias(*n));
    Ok(events.group_by([col(key)]).agg(counts.collect::<Vec<_>>()))
}
