//! `top`: rank one identity (account, uid, IP, network, sender, domain,
//! HELO) by one metric, overall or per time bucket.
//!
//! Each metric is counted from the frame that holds it ("fact"): messages
//! for volume, deliveries for recipient domains, rejects, auth failures.
//! The key is renamed to the user's word (`account`, `ip`, …) so that every
//! output speaks the same language whatever frame it came from.

use super::Frames;
use crate::duration::Bucket;
use clap::ValueEnum;
use polars::prelude::*;

/// What `top` ranks.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// SASL username (of the original submission).
    Account,
    /// Local uid that submitted through pickup (sendmail, PHP mail()).
    Uid,
    /// Client IP address.
    Ip,
    /// Client network: /24 for IPv4, /64 for IPv6.
    Net,
    /// Envelope sender address.
    Sender,
    /// Envelope sender domain.
    SenderDomain,
    /// HELO/EHLO name (logged by Postfix only on rejects).
    Helo,
    /// Recipient domain.
    RecipientDomain,
    /// Country of the client IP.
    Country,
    /// Autonomous system (network operator) of the client IP.
    Asn,
}

/// What `top` ranks by.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Messages submitted (counted once through content filters).
    Messages,
    /// (message, recipient) pairs: each message's distinct recipients (final deliveries, any outcome), summed.
    Recipients,
    /// Message bytes received.
    Bytes,
    /// Deferred delivery attempts.
    Deferred,
    /// Bounced recipients.
    Bounced,
    /// Rejected SMTP commands (NOQUEUE and cleanup rejects).
    Rejected,
    /// Auth failures: failed SASL logins.
    AuthFailures,
    /// Distinct client IPs.
    DistinctIps,
    /// Distinct client countries (a cracked account is used from many).
    DistinctCountries,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fact {
    Messages,
    /// Messages cleanup rejected: an account's or uid's rejects (NOQUEUE
    /// rejects name no account before Postfix 3.10).
    CleanupRejects,
    Deliveries,
    Rejects,
    Auth,
}

/// The user's name for a key, used as the output column.
pub fn key_name(k: Key) -> &'static str {
    match k {
        Key::Account => "account",
        Key::Uid => "uid",
        Key::Ip => "ip",
        Key::Net => "net",
        Key::Sender => "sender",
        Key::SenderDomain => "sender_domain",
        Key::Helo => "helo",
        Key::RecipientDomain => "recipient_domain",
        Key::Country => "country",
        Key::Asn => "asn",
    }
}

pub fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Messages => "messages",
        Metric::Recipients => "recipients",
        Metric::Bytes => "bytes",
        Metric::Deferred => "deferred",
        Metric::Bounced => "bounced",
        Metric::Rejected => "rejected",
        Metric::AuthFailures => "auth_failures",
        Metric::DistinctIps => "distinct_ips",
        Metric::DistinctCountries => "distinct_countries",
    }
}

fn fact_for(key: Key, metric: Metric) -> Fact {
    match metric {
        Metric::Rejected if matches!(key, Key::Account | Key::Uid) => Fact::CleanupRejects,
        Metric::Rejected => Fact::Rejects,
        Metric::AuthFailures => Fact::Auth,
        _ if key == Key::RecipientDomain => Fact::Deliveries,
        _ => Fact::Messages,
    }
}

/// The column holding `key` in a fact's frame.
fn key_column(fact: Fact, key: Key) -> Option<&'static str> {
    use Key::*;
    match (fact, key) {
        (Fact::Messages | Fact::CleanupRejects | Fact::Deliveries, Account) => Some("root_sasl_username"),
        (Fact::Messages | Fact::CleanupRejects | Fact::Deliveries, Uid) => Some("root_uid"),
        (Fact::Messages | Fact::Deliveries, Ip) => Some("root_client_ip"),
        (Fact::Messages, Net) => Some("root_client_net"),
        (Fact::Messages | Fact::Rejects, Sender) => Some("sender"),
        (Fact::Messages | Fact::Rejects, SenderDomain) => Some("sender_domain"),
        (Fact::Deliveries | Fact::Rejects, RecipientDomain) => Some("recipient_domain"),
        (Fact::Rejects, Helo) => Some("helo"),
        (Fact::Rejects | Fact::Auth, Ip) => Some("client_ip"),
        (Fact::Rejects | Fact::Auth, Net) => Some("client_net"),
        (Fact::Auth, Account) => Some("sasl_username"),
        (Fact::Messages, Country) => Some("root_country"),
        (Fact::Messages, Asn) => Some("root_asn"),
        (Fact::Rejects | Fact::Auth, Country) => Some("country"),
        (Fact::Rejects | Fact::Auth, Asn) => Some("asn"),
        _ => None,
    }
}

/// The rows of a fact, in the window, with their time column named `time`.
fn fact_frame(f: &Frames, fact: Fact) -> LazyFrame {
    match fact {
        Fact::Messages => f.accepted().rename(["first_seen"], ["time"], true),
        Fact::CleanupRejects => f.rejected_by_cleanup().rename(["first_seen"], ["time"], true),
        Fact::Deliveries => f.final_deliveries(),
        Fact::Rejects => f.rejects.clone().lazy().filter(col("action").eq(lit("reject"))),
        Fact::Auth => f.auth.clone().lazy().filter(col("success").not()),
    }
}

/// The aggregations of a ranking of `key` by metric `m`: what its fact can
/// count, without the figures that say nothing for this key ([`trivial`]);
/// for `--by asn`, the organisation's name too.
fn aggregations_for(fact: Fact, key: Key, m: &str) -> Vec<(&'static str, Expr)> {
    let mut aggs: Vec<(&str, Expr)> = aggregations(fact)
        .into_iter()
        .filter(|(name, _)| *name == m || !trivial(key).contains(name))
        .map(|(name, e)| (name, e.alias(name)))
        .collect();
    if key == Key::Asn {
        let org = if fact == Fact::Messages { "root_as_org" } else { "as_org" };
        aggs.insert(0, ("as_org", col(org).drop_nulls().first().alias("as_org")));
    }
    aggs
}

/// The figures of a message key that are counted from deliveries: the
/// final deliveries *in the window* (or bucket), as the totals count them,
/// whenever their message came in. [`delivery_aggregations`].
const DELIVERY_FIGURES: [&str; 4] = ["recipients", "distinct_recipients", "deferred", "bounced"];

/// The delivery figures of final deliveries, by the names of
/// [`DELIVERY_FIGURES`]: `recipients` are (message, recipient) pairs (a
/// message counted once through content filters, each of its addresses
/// once whatever the outcome), `distinct_recipients` distinct addresses,
/// `deferred` deferred attempts, `bounced` bounced deliveries.
pub fn delivery_aggregations() -> Vec<(&'static str, Expr)> {
    let pair = col("root").cast(DataType::UInt64) * lit(1u64 << 32) + col("to_id").cast(DataType::UInt64);
    vec![
        ("recipients", pair.n_unique().cast(DataType::UInt64)),
        ("distinct_recipients", col("to_id").n_unique().cast(DataType::UInt64)),
        ("deferred", col("status").eq(lit("deferred")).sum().cast(DataType::UInt64)),
        ("bounced", col("status").eq(lit("bounced")).sum().cast(DataType::UInt64)),
    ]
}

/// The final deliveries of `key`'s submissions, keyed by `name`, when the
/// deliveries frame says whose they are (the original submission's account,
/// uid, client IP, network, sender, country, AS: the frames `top`, `report`
/// and `suspects` read, and summary's when cut to a window; not summary's
/// otherwise, which leave those columns out as its figures need no join).
///
/// Deliveries of messages in the window that are no submission of their
/// own (a content filter's copy without its original, Postfix's
/// notifications) are left out, as the messages' counts leave them out.
fn deliveries_of_key(f: &Frames, fact: Fact, key: Key, name: &str) -> Option<LazyFrame> {
    let column = match (fact, key) {
        (Fact::Messages, Key::Account) => "root_sasl_username",
        (Fact::Messages, Key::Uid) => "root_uid",
        (Fact::Messages, Key::Ip) => "root_client_ip",
        // Only in a window's frames: see `frame::deliveries_with_roots`.
        (Fact::Messages, Key::Net) => "root_client_net",
        (Fact::Messages, Key::Sender) => "root_sender",
        (Fact::Messages, Key::SenderDomain) => "root_sender_domain",
        (Fact::Messages, Key::Country) => "root_country",
        (Fact::Messages, Key::Asn) => "root_asn",
        _ => return None,
    };
    if f.deliveries.column(column).is_err() {
        return None;
    }
    Some(submitted_deliveries(f)?.filter(col(column).is_not_null()).with_column(col(column).alias(name)))
}

/// Final deliveries, less those of messages in the window that are no
/// submission of their own (a content filter's copy without its original,
/// Postfix's notifications), as the messages' counts leave them out.
/// `None` when the frames lack the columns (summary's).
pub fn submitted_deliveries(f: &Frames) -> Option<LazyFrame> {
    let has = |df: &DataFrame, c: &str| df.column(c).is_ok();
    if !(has(&f.deliveries, "root") && has(&f.deliveries, "to_id") && has(&f.messages, "message")) {
        return None;
    }
    let accepted = super::is_received().and(col("state").neq(lit("rejected")));
    let others = f
        .messages
        .clone()
        .lazy()
        .filter(accepted.not())
        .select([col("message").alias("root"), lit(true).alias("no_submission")]);
    let dels = f
        .final_deliveries()
        .join(others, [col("root")], [col("root")], JoinArgs::new(JoinType::Left))
        .filter(col("no_submission").is_null());
    Some(dels)
}

/// `lf` grouped by `keys` with `aggs`; for a message key whose deliveries
/// are known, the delivery figures come from them, joined on the keys.
fn grouped(
    f: &Frames,
    lf: LazyFrame,
    fact: Fact,
    key: Key,
    m: &str,
    keys: &[Expr],
    bucket: &dyn Fn(LazyFrame) -> LazyFrame,
) -> LazyFrame {
    let name = key_name(key);
    let aggs = aggregations_for(fact, key, m);
    let Some(dels) = deliveries_of_key(f, fact, key, name) else {
        return bucket(lf).group_by(keys).agg(aggs.into_iter().map(|(_, e)| e).collect::<Vec<_>>());
    };
    let (mut from_messages, mut names) = (Vec::new(), Vec::new());
    for (n, e) in aggs {
        names.push(n);
        // Distinct recipients are a figure of the identities that send,
        // not of where they send from: shown with a window and without.
        if n == "recipients" && matches!(key, Key::Account | Key::Uid | Key::Ip) {
            names.push("distinct_recipients");
        }
        if !DELIVERY_FIGURES.contains(&n) {
            from_messages.push(e);
        }
    }
    let from_deliveries: Vec<Expr> =
        delivery_aggregations().into_iter().filter(|(n, _)| names.contains(n)).map(|(n, e)| e.alias(n)).collect();
    let msgs = bucket(lf).group_by(keys).agg(from_messages);
    let dels = bucket(dels).group_by(keys).agg(from_deliveries);
    let join = JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns);
    let key_names: Vec<&str> = if keys.len() == 2 { vec!["bucket", name] } else { vec![name] };
    let figures = names.iter().filter(|n| !matches!(**n, "first" | "last" | "as_org"));
    let fill: Vec<Expr> = figures.map(|n| col(*n).fill_null(lit(0))).collect();
    let mut select: Vec<Expr> = key_names.iter().map(|k| col(*k)).collect();
    select.extend(names.iter().map(|n| col(*n)));
    msgs.join(dels, keys.to_vec(), keys.to_vec(), join).with_columns(fill).select(select)
}

/// Each aggregation of a fact, by the name of its column.
fn aggregations(fact: Fact) -> Vec<(&'static str, Expr)> {
    let span = [("first", col("time").min()), ("last", col("time").max())];
    let mut aggs = match fact {
        Fact::Messages => vec![
            ("messages", len()),
            ("recipients", col("recipients").sum()),
            ("bytes", col("size").sum()),
            ("deferred", col("final_deferred").sum()),
            ("bounced", col("final_bounced").sum()),
            // By interned number: the same count as the texts', faster.
            ("distinct_ips", col("root_client_ip_id").drop_nulls().n_unique()),
            // Two-letter codes only, as `suspects` counts them: the column
            // also names address classes (private, documentation…).
            (
                "distinct_countries",
                col("root_country").filter(col("root_country").str().len_bytes().eq(lit(2))).drop_nulls().n_unique(),
            ),
        ],
        Fact::Deliveries => {
            let mut v = vec![("messages", col("root").n_unique())];
            v.extend(delivery_aggregations());
            v.push(("distinct_ips", col("root_client_ip").drop_nulls().n_unique()));
            v
        }
        Fact::Rejects => vec![("rejected", len()), ("distinct_ips", col("client_ip").drop_nulls().n_unique())],
        Fact::CleanupRejects => {
            vec![("rejected", len()), ("distinct_ips", col("root_client_ip_id").drop_nulls().n_unique())]
        }
        Fact::Auth => vec![
            ("auth_failures", len()),
            ("distinct_ips", col("client_ip").n_unique()),
            ("usernames_tried", col("sasl_username").drop_nulls().n_unique()),
        ],
    };
    aggs.extend(span);
    aggs
}

/// Whether `metric` is one of a fact's figures: any of its
/// [`aggregations`] but the time span.
fn has_metric(fact: Fact, metric: &str) -> bool {
    !matches!(metric, "first" | "last") && aggregations(fact).iter().any(|(name, _)| *name == metric)
}

/// Why a ranking cannot be made; the command words it in its own flags.
#[derive(Debug, thiserror::Error)]
pub enum RankError {
    /// No fact holds both: Postfix logs HELO names only when it rejects,
    /// recipient domains have no client or login.
    #[error("{} cannot be ranked by {}", key_name(*key), metric_name(*metric))]
    Unrankable { key: Key, metric: Metric },
    /// The query itself failed (a zone polars does not know).
    #[error("{0}")]
    Query(String),
}

fn unsupported(key: Key, metric: Metric) -> RankError {
    RankError::Unrankable { key, metric }
}

/// Checks a request before any log is read: the pair can be ranked.
pub fn validate(key: Key, metric: Metric) -> Result<(), RankError> {
    let fact = fact_for(key, metric);
    if key_column(fact, key).is_none() || !has_metric(fact, metric_name(metric)) {
        return Err(unsupported(key, metric));
    }
    Ok(())
}

/// Time buckets for a ranking over time: their length, and the zone
/// (IANA name) whose midnights and hours they start on; UTC's if `None`.
#[derive(Clone, Copy, Debug)]
pub struct Buckets<'a> {
    pub every: Bucket,
    pub zone: Option<&'a str>,
}

/// A query ranking `key` by `metric`: overall, or per bucket with the top
/// `limit` of each bucket.
pub fn top(f: &Frames, key: Key, metric: Metric, every: Option<Buckets>, limit: usize) -> Result<LazyFrame, RankError> {
    let fact = fact_for(key, metric);
    let column = key_column(fact, key).ok_or_else(|| unsupported(key, metric))?;
    let m = metric_name(metric);
    if !has_metric(fact, m) {
        return Err(unsupported(key, metric));
    }
    let name = key_name(key);
    let mut lf = fact_frame(f, fact).filter(col(column).is_not_null());
    lf = lf.with_column(col(column).alias(name));
    let lf = match every {
        None => grouped(f, lf, fact, key, m, &[col(name)], &|lf| lf)
            .sort_by_exprs(
                [col(m), col(name)],
                SortMultipleOptions::default().with_order_descending_multi([true, false]),
            )
            .limit(limit as IdxSize)
            .select([col(name), col(m), all().exclude_cols([name, m]).as_expr()]),
        Some(every) => per_bucket(f, lf, fact, key, m, every, limit)?,
    };
    Ok(lf)
}

/// Figures that are the same on every row of a ranking by `key`: ranked by
/// IP, each row has one distinct IP and one country.
fn trivial(key: Key) -> &'static [&'static str] {
    match key {
        Key::Ip => &["distinct_ips", "distinct_countries"],
        Key::Country => &["distinct_countries"],
        _ => &[],
    }
}

fn per_bucket(
    f: &Frames,
    lf: LazyFrame,
    fact: Fact,
    key: Key,
    m: &str,
    b: Buckets,
    limit: usize,
) -> Result<LazyFrame, RankError> {
    // Each row goes to the bucket its time truncates to on the zone's wall
    // clock (a day is a local day, `6h` starts at 00, 06, 12 and 18 local
    // time, DST included); the buckets go back to UTC for rendering.
    // (polars' dynamic groups start each group's windows at its own first
    // row and step by fixed hours: across a DST change the groups that
    // began before it had their sub-day buckets an hour off.)
    let zone = match b.zone.filter(|z| *z != "UTC") {
        Some(z) => TimeZone::opt_try_new(Some(z)).map_err(|e| RankError::Query(e.to_string()))?,
        None => None,
    };
    let every = b.every.polars();
    let bucket = |lf: LazyFrame| {
        let lf = match &zone {
            Some(z) => lf.with_column(col("time").dt().convert_time_zone(z.clone())),
            None => lf,
        };
        lf.with_column(col("time").dt().truncate(lit(every.as_str())).alias("bucket"))
    };
    let name = key_name(key);
    let rank =
        col(name).cum_count(false).over([col("bucket")]).map_err(|e| RankError::Query(e.to_string()))?.alias("rank");
    let ranked = grouped(f, lf, fact, key, m, &[col("bucket"), col(name)], &bucket)
        .with_column(col("bucket").dt().convert_time_zone(TimeZone::UTC))
        .sort_by_exprs(
            [col("bucket"), col(m), col(name)],
            SortMultipleOptions::default().with_order_descending_multi([false, true, false]),
        )
        .with_column(rank)
        .filter(col("rank").lt_eq(lit(limit as u32)))
        .select([
            col("bucket"),
            col("rank"),
            col(name),
            col(m),
            all().exclude_cols([name, m, "bucket", "rank"]).as_expr(),
        ]);
    Ok(ranked)
}
