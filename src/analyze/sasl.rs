//! SASL-authenticated messages as postfix-logwatch shows them: per
//! account, per method, per client; beside `summary`'s ranking of
//! accounts, which counts the same messages.

use super::Frames;
use polars::prelude::*;

/// The accepted messages with a SASL account, per `account`,
/// `sasl_method`, `client_name` and `client_ip`: `messages`. The `limit`
/// accounts with the most messages, most first, each with its `limit`
/// busiest (method, client) pairs.
pub fn accounts(f: &Frames, limit: usize) -> PolarsResult<DataFrame> {
    let keys = [col("sasl_username").alias("account"), col("sasl_method"), col("client_name"), col("client_ip")];
    let pairs = f
        .accepted()
        .filter(col("sasl_username").is_not_null())
        .group_by(keys)
        .agg([len().cast(DataType::UInt64).alias("messages")]);
    let per_account = pairs.clone().group_by([col("account")]).agg([col("messages").sum().alias("account_messages")]);
    let sorted = pairs
        .join(per_account, [col("account")], [col("account")], JoinArgs::new(JoinType::Inner))
        .sort_by_exprs(
            [
                col("account_messages"),
                col("account"),
                col("messages"),
                col("sasl_method"),
                col("client_ip"),
                col("client_name"),
            ],
            SortMultipleOptions::default()
                .with_order_descending_multi([true, false, true, false, false, false])
                .with_nulls_last(true),
        )
        .collect()?;
    // The first `limit` rows of each of the first `limit` accounts.
    let accounts = sorted.column("account")?.str()?;
    let (mut keep, mut seen, mut last, mut rows) = (Vec::with_capacity(sorted.height()), 0usize, None, 0usize);
    for account in accounts.iter() {
        if account != last {
            (last, seen, rows) = (account, seen + 1, 0);
        }
        rows += 1;
        keep.push(seen <= limit && rows <= limit);
    }
    let mask = BooleanChunked::new("keep".into(), keep);
    sorted.filter(&mask)?.drop("account_messages")
}
