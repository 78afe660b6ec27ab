//! pflogsumm's "Host/Domain Summary": delivery by recipient domain
//! (delivered, bytes delivered, deferred, average and longest delay) and
//! received by sender domain (messages, bytes). Counted as the totals are:
//! final deliveries (hand-overs to a content filter left out), messages
//! once through content filters.

use super::sections::{ranked, rounded};
use super::{is, Frames};
use polars::prelude::*;

/// Per recipient domain: `delivered`, `bytes_delivered`, `deferred` (as
/// the totals), `avg_delay` (mean `delay=` of the delivered, seconds) and
/// `max_delay` (the longest `delay=` of a delivered or deferred attempt: a
/// deferred message has waited that long too, as pflogsumm counts it).
/// Most delivered first.
pub fn by_recipient_domain(f: &Frames, limit: usize) -> PolarsResult<DataFrame> {
    let sent = || is("status", "sent");
    let deferred = || is("status", "deferred");
    let q = f.final_deliveries().filter(sent().or(deferred())).group_by([col("recipient_domain")]).agg([
        sent().sum().cast(DataType::UInt64).alias("delivered"),
        col("size").filter(sent()).sum().cast(DataType::UInt64).alias("bytes_delivered"),
        deferred().sum().cast(DataType::UInt64).alias("deferred"),
        col("delay").filter(sent()).mean().alias("avg_delay"),
        col("delay").max().alias("max_delay"),
    ]);
    let by = [("delivered", true), ("bytes_delivered", true), ("deferred", true), ("recipient_domain", false)];
    rounded(ranked(q, &by, limit).collect()?, 2)
}

/// Per sender domain: the accepted messages (`messages`, as `top` counts
/// them) and their `bytes`; the null sender `<>` and senders without a
/// domain are the empty domain. Messages whose sender is not in the input
/// are left out. Most messages first.
pub fn by_sender_domain(f: &Frames, limit: usize) -> PolarsResult<DataFrame> {
    let q = f
        .accepted()
        .filter(col("sender_domain").is_not_null())
        .group_by([col("sender_domain")])
        .agg([len().cast(DataType::UInt64).alias("messages"), col("size").sum().cast(DataType::UInt64).alias("bytes")]);
    ranked(q, &[("messages", true), ("bytes", true), ("sender_domain", false)], limit).collect()
}
