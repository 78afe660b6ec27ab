//! pflogsumm's "Senders by message count/size" and "Recipients by message
//! count/size": envelope senders by their accepted messages, recipients by
//! the final deliveries to them, each with the bytes.

use super::sections::ranked;
use super::{is, Frames};
use polars::prelude::*;

/// What a table is ranked by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Count,
    Bytes,
}

/// Per envelope sender: its accepted `messages` and their `bytes` (as
/// `top --by sender` counts them); the null sender is the empty address.
pub fn senders(f: &Frames, by: By, limit: usize) -> PolarsResult<DataFrame> {
    let q = f
        .accepted()
        .filter(col("sender").is_not_null())
        .group_by([col("sender")])
        .agg([len().cast(DataType::UInt64).alias("messages"), col("size").sum().cast(DataType::UInt64).alias("bytes")]);
    let order = match by {
        By::Count => [("messages", true), ("bytes", true), ("sender", false)],
        By::Bytes => [("bytes", true), ("messages", true), ("sender", false)],
    };
    ranked(q, &order, limit).collect()
}

/// Per recipient address: `delivered` (its final `status=sent`
/// deliveries) and `bytes_delivered`.
pub fn recipients(f: &Frames, by: By, limit: usize) -> PolarsResult<DataFrame> {
    let q = f.final_deliveries().filter(is("status", "sent")).group_by([col("to").alias("recipient")]).agg([
        len().cast(DataType::UInt64).alias("delivered"),
        col("size").sum().cast(DataType::UInt64).alias("bytes_delivered"),
    ]);
    let order = match by {
        By::Count => [("delivered", true), ("bytes_delivered", true), ("recipient", false)],
        By::Bytes => [("bytes_delivered", true), ("delivered", true), ("recipient", false)],
    };
    ranked(q, &order, limit).collect()
}
