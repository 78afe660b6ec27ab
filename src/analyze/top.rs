//! `top`: rank one identity (account, uid, IP, network, sender, domain,
//! HELO) by one metric, overall or per time bucket.
//!
//! Each metric is counted from the frame that holds it ("fact"): messages
//! for volume, deliveries for recipient domains, rejects, failed logins.
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
    /// Distinct final recipients.
    Recipients,
    /// Message bytes received.
    Bytes,
    /// Deferred delivery attempts.
    Deferred,
    /// Bounced recipients.
    Bounced,
    /// Rejected SMTP commands (NOQUEUE and cleanup rejects).
    Rejected,
    /// Failed SASL logins.
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
fn aggregations_for(fact: Fact, key: Key, m: &str) -> Vec<Expr> {
    let mut aggs: Vec<Expr> = aggregations(fact)
        .into_iter()
        .filter(|(name, _)| *name == m || !trivial(key).contains(name))
        .map(|(name, e)| e.alias(name))
        .collect();
    if key == Key::Asn {
        let org = if fact == Fact::Messages { "root_as_org" } else { "as_org" };
        aggs.insert(0, col(org).drop_nulls().first().alias("as_org"));
    }
    aggs
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
            ("distinct_countries", col("root_country").drop_nulls().n_unique()),
        ],
        Fact::Deliveries => vec![
            ("messages", col("root").n_unique()),
            ("recipients", col("to_id").n_unique()),
            ("deferred", col("status").eq(lit("deferred")).sum()),
            ("bounced", col("status").eq(lit("bounced")).sum()),
            ("distinct_ips", col("root_client_ip").drop_nulls().n_unique()),
        ],
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

/// Why a key/metric pair cannot be ranked.
fn unsupported(key: Key, metric: Metric) -> String {
    let hint = match key {
        Key::Helo => " (Postfix logs HELO names only when it rejects: use --metric rejected)",
        Key::RecipientDomain => " (use messages, recipients, deferred, bounced or rejected)",
        _ => "",
    };
    format!("cannot rank --by {} by --metric {}{hint}", key_name(key), metric_name(metric).replace('_', "-"))
}

/// Checks a request before any log is read: the pair can be ranked.
pub fn validate(key: Key, metric: Metric) -> Result<(), String> {
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
pub fn top(f: &Frames, key: Key, metric: Metric, every: Option<Buckets>, limit: usize) -> Result<LazyFrame, String> {
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
        None => lf
            .group_by([col(name)])
            .agg(aggregations_for(fact, key, m))
            .sort_by_exprs(
                [col(m), col(name)],
                SortMultipleOptions::default().with_order_descending_multi([true, false]),
            )
            .limit(limit as IdxSize)
            .select([col(name), col(m), all().exclude_cols([name, m]).as_expr()]),
        Some(every) => per_bucket(lf, fact, key, m, every, limit)?,
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

fn per_bucket(lf: LazyFrame, fact: Fact, key: Key, m: &str, b: Buckets, limit: usize) -> Result<LazyFrame, String> {
    // Each row goes to the bucket its time truncates to on the zone's wall
    // clock (a day is a local day, `6h` starts at 00, 06, 12 and 18 local
    // time, DST included); the buckets go back to UTC for rendering.
    // (polars' dynamic groups start each group's windows at its own first
    // row and step by fixed hours: across a DST change the groups that
    // began before it had their sub-day buckets an hour off.)
    let zone = match b.zone.filter(|z| *z != "UTC") {
        Some(z) => TimeZone::opt_try_new(Some(z)).map_err(|e| e.to_string())?,
        None => None,
    };
    let lf = match &zone {
        Some(z) => lf.with_column(col("time").dt().convert_time_zone(z.clone())),
        None => lf,
    };
    let name = key_name(key);
    let every = b.every.polars();
    let rank = col(name).cum_count(false).over([col("bucket")]).map_err(|e| e.to_string())?.alias("rank");
    let ranked = lf
        .with_column(col("time").dt().truncate(lit(every)).alias("bucket"))
        .group_by([col("bucket"), col(name)])
        .agg(aggregations_for(fact, key, m))
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
