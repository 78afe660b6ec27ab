//! Deferrals, bounces, rejects and reject warnings grouped by reason
//! (pflogsumm's "message deferral/bounce/reject/reject warning detail"): the
//! DSN, and the reply text shaped ([`crate::event::shape`]) so that the
//! same reason groups whatever address, client, server or queue ID it
//! names. Counted as the totals are: final deliveries, rejects by action.

use super::sections::ranked;
use super::{is, Frames};
use crate::event::shape::shape;
use polars::prelude::*;

/// The reason of a reply: what the remote server said (after `host X[IP]
/// said: `), without its SMTP code and enhanced status (the DSN has its
/// column), shaped.
pub fn reason_of(text: &str) -> String {
    let said = crate::event::fields::find_str(text, " said: ").map_or(text, |i| &text[i + 7..]);
    shape(without_status(said.trim_start()))
}

/// `550 5.1.1 text`, `550-5.1.1 text`, `4.7.1 text` → `text`.
fn without_status(s: &str) -> &str {
    let b = s.as_bytes();
    let s =
        if b.len() > 3 && b[..3].iter().all(u8::is_ascii_digit) && matches!(b[3], b' ' | b'-') { &s[4..] } else { s };
    match s.split_once(' ') {
        Some((dsn, rest)) if is_dsn(dsn) => rest,
        _ => s,
    }
}

fn is_dsn(s: &str) -> bool {
    let mut parts = s.split('.');
    matches!(s.as_bytes().first(), Some(b'2' | b'4' | b'5'))
        && (0..3).all(|_| {
            parts.next().is_some_and(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|c| c.is_ascii_digit()))
        })
        && parts.next().is_none()
}

/// Final deferred attempts by `dsn` and `reason`: `deferred`.
pub fn deferrals(f: &Frames, limit: usize) -> PolarsResult<DataFrame> {
    let rows = f.final_deliveries().filter(is("status", "deferred"));
    by_reason(rows, &["dsn"], "response", reason_of, "deferred", limit)
}

/// Final bounced deliveries by relay (its name, without address and port),
/// `dsn` and `reason`: `bounced`.
pub fn bounces(f: &Frames, limit: usize) -> PolarsResult<DataFrame> {
    let relay = col("relay").str().split(lit("[")).list().first().alias("relay");
    let rows = f.final_deliveries().filter(is("status", "bounced")).with_column(relay);
    by_reason(rows, &["relay", "dsn"], "response", reason_of, "bounced", limit)
}

/// Rejects (the totals' `rejected`) by `stage`, `dsn` and `reason`.
pub fn rejects(f: &Frames, limit: usize) -> PolarsResult<DataFrame> {
    let rows = f.rejects.clone().lazy().filter(is("action", "reject"));
    by_reason(rows, &["stage", "dsn"], "reason", shape, "rejected", limit)
}

/// Reject warnings: smtpd's `reject_warning:` (`warn_if_reject`) and
/// cleanup's header/body `warning:`, by `stage`, `dsn` and `reason`:
/// `reject_warnings`.
pub fn reject_warnings(f: &Frames, limit: usize) -> PolarsResult<DataFrame> {
    let rows = f.rejects.clone().lazy().filter(is("action", "reject_warning").or(is("action", "warning")));
    by_reason(rows, &["stage", "dsn"], "reason", shape, "reject_warnings", limit)
}

/// `rows` counted by `keys` and the reason `reason` makes of column `text`,
/// as `count`, most first. The rows are counted by their texts first, so
/// each distinct text is shaped once.
fn by_reason(
    rows: LazyFrame,
    keys: &[&str],
    text: &str,
    reason: fn(&str) -> String,
    count: &str,
    limit: usize,
) -> PolarsResult<DataFrame> {
    let mut group: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    group.push(col(text));
    let mut distinct = rows.group_by(group).agg([len().cast(DataType::UInt64).alias(count)]).collect()?;
    let shaped: StringChunked = distinct
        .column(text)?
        .str()?
        .iter()
        .map(|t| t.map(reason))
        .collect::<StringChunked>()
        .with_name("reason".into());
    distinct = distinct.drop(text)?;
    distinct.with_column(shaped.into_column())?;
    let mut by: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    by.push(col("reason"));
    let q = distinct.lazy().group_by(by).agg([col(count).sum().cast(DataType::UInt64)]);
    let mut order: Vec<(&str, bool)> = vec![(count, true)];
    order.extend(keys.iter().map(|k| (*k, false)));
    order.push(("reason", false));
    ranked(q, &order, limit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_lose_the_server_and_status() {
        assert_eq!(
            reason_of("host mx.example[192.0.2.1] said: 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown (in reply to RCPT TO command)"),
            "<address>: Recipient address rejected: User unknown (in reply to RCPT TO command)"
        );
        assert_eq!(
            reason_of("host alt1.gmail-smtp-in.l.google.com[142.250.1.27] said: 421-4.7.28 Our system has detected an unusual rate"),
            "Our system has detected an unusual rate"
        );
        assert_eq!(
            reason_of("connect to mx.example[192.0.2.1]:25: Connection refused"),
            "connect to host[IP]:N: Connection refused"
        );
        assert_eq!(reason_of("4.4.1 no answer"), "no answer");
        assert_eq!(reason_of("550"), "N", "a bare code is a number");
    }
}
