//! Messages per hour for each account and uid, and which hours are
//! abnormal for it.
//!
//! The usual hour is a busy one: the 90th percentile over every hour of the
//! input, empty ones included. A person who sends three messages a day has
//! a usual hour of 0; an office application's is its daytime rate, so its
//! working hours are not a burst every morning; and a burst shorter than a
//! tenth of the input cannot raise its own bar (an average would). A longer
//! burst is found as a change of rate, and the usual hour is taken from
//! the day or more before it.

use super::burst::xlnx;
use super::{identity_exprs, numbers, strings, times, who_of, Line, Who, HOUR};
use crate::analyze::Frames;
use crate::time::Micros;
use polars::prelude::*;

/// One hour of one identity's mail.
#[derive(Clone, Debug, PartialEq)]
pub struct Hour {
    pub start: Micros,
    pub messages: u32,
    /// The hour's first message (its first log line).
    pub first: Line,
}

/// An identity's hourly volume and what is abnormal for it.
#[derive(Clone, Debug)]
pub struct Profile {
    pub who: Who,
    pub messages: u64,
    /// Messages in a busy hour (the 90th percentile), before any burst.
    pub usual: f64,
    /// Messages in one hour from which the hour is abnormal.
    pub bar: f64,
    pub peak: u32,
    /// The abnormal hours, in time order.
    pub abnormal: Vec<Hour>,
    /// Every hour with mail, for [`Profile::after`].
    hours: Vec<Hour>,
    span: Span,
    floor: f64,
}

impl Profile {
    /// The profile against the identity's usual hour before `t` (a
    /// candidate compromise), whatever came after: abnormal hours are those
    /// from `t`'s hour on. The question "is this login followed by abnormal
    /// volume?" compares with the account's own past, however long the
    /// burst that follows.
    pub fn after(&self, t: Micros, ratio: f64) -> Profile {
        let hour = t - t.rem_euclid(HOUR);
        let mut before: Vec<u32> = self.hours.iter().filter(|h| h.start < hour).map(|h| h.messages).collect();
        before.sort_unstable();
        let n = (hour - self.span.start).max(0) as u64 / HOUR as u64;
        let usual = percentile_with_zeros(&before, n, USUAL);
        let bar = ratio * usual.max(self.floor);
        let abnormal = self.hours.iter().filter(|h| h.start >= hour && f64::from(h.messages) >= bar).cloned().collect();
        Profile { usual, bar, abnormal, ..self.clone() }
    }

    /// The first message of the abnormal volume at or after `since` (the
    /// compromise login, whose own message starts it when they share an hour).
    pub fn onset(&self, since: Option<Micros>) -> Option<Line> {
        let h = self.abnormal.iter().find(|h| since.is_none_or(|t| h.start.saturating_add(HOUR) > t))?;
        match since {
            Some(t) if h.first.time < t => None,
            _ => Some(h.first.clone()),
        }
    }
}

/// Messages per identity and hour, with each hour's first message.
fn hourly(f: &Frames) -> LazyFrame {
    let t = col("first_seen").cast(DataType::Int64);
    f.accepted()
        .filter(col("root_sasl_username").is_not_null().or(col("root_uid").is_not_null()))
        .with_columns(identity_exprs())
        .select([
            col("kind"),
            col("name"),
            t.clone().alias("time"),
            (t.clone() - t % lit(HOUR)).alias("hour"),
            col("file"),
            col("line"),
        ])
        .sort(["time"], SortMultipleOptions::default().with_maintain_order(true))
        .group_by([col("kind"), col("name"), col("hour")])
        .agg([
            len().alias("messages"),
            col("time").first().alias("first"),
            col("file").first().alias("file"),
            col("line").first().alias("line"),
        ])
        .sort(["kind", "name", "hour"], SortMultipleOptions::default())
}

/// The hours the input spans: the first one's start, and how many.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: Micros,
    hours: u64,
}

/// The hours of the input (by its received messages, whoever sent them).
fn input_span(f: &Frames) -> PolarsResult<Span> {
    let t = col("first_seen").cast(DataType::Int64);
    let df = f.accepted().select([t.clone().min().alias("a"), t.max().alias("b")]).collect()?;
    let get = |c: &str| -> PolarsResult<Option<i64>> { Ok(df.column(c)?.i64()?.get(0)) };
    Ok(match (get("a")?, get("b")?) {
        (Some(a), Some(b)) => {
            let (a, b) = (a - a.rem_euclid(HOUR), b - b.rem_euclid(HOUR));
            Span { start: a, hours: ((b - a) / HOUR) as u64 + 1 }
        }
        _ => Span { start: 0, hours: 1 },
    })
}

/// Every identity's profile, accounts first, then uids.
pub fn profiles(f: &Frames, ratio: f64) -> PolarsResult<Vec<Profile>> {
    let span = input_span(f)?;
    let groups = grouped(&hourly(f).collect()?)?;
    let floor = site_floor(&groups);
    let profiles = groups.into_iter().map(|(who, rows)| {
        let floor = if matches!(who, Who::Account(_)) { floor } else { 1.0 };
        profile(who, rows, span, ratio, floor)
    });
    Ok(profiles.collect())
}

/// The hourly rows of [`hourly`], one group per identity.
fn grouped(df: &DataFrame) -> PolarsResult<Vec<(Who, Vec<Hour>)>> {
    let (kind, name) = (strings(df, "kind")?, strings(df, "name")?);
    let (start, first) = (times(df, "hour")?, times(df, "first")?);
    let (count, file, line) = (numbers(df, "messages")?, strings(df, "file")?, numbers(df, "line")?);
    let mut out = Vec::new();
    let mut i = 0;
    while i < df.height() {
        let j = (i..df.height()).find(|&j| kind[j] != kind[i] || name[j] != name[i]).unwrap_or(df.height());
        let who = who_of(kind[i].as_deref().unwrap_or(""), name[i].as_deref().unwrap_or(""));
        let rows: Vec<Hour> = (i..j)
            .map(|k| Hour {
                start: start[k].unwrap_or(0),
                messages: count[k].unwrap_or(0) as u32,
                first: Line {
                    time: first[k].unwrap_or(0),
                    file: file[k].clone().unwrap_or_default(),
                    line: line[k].unwrap_or(0),
                },
            })
            .collect();
        out.push((who, rows));
        i = j;
    }
    Ok(out)
}

/// The busiest hour of a typical account (the median of the accounts'
/// peak hours): an account's bar is never below `ratio` times it, so that on a
/// big server a busy person's ordinary afternoon is not a burst.
fn site_floor(groups: &[(Who, Vec<Hour>)]) -> f64 {
    let mut peaks: Vec<u32> = groups
        .iter()
        .filter(|(w, _)| matches!(w, Who::Account(_)))
        .map(|(_, rows)| rows.iter().map(|h| h.messages).max().unwrap_or(0))
        .collect();
    peaks.sort_unstable();
    percentile_with_zeros(&peaks, peaks.len() as u64, 0.5).max(1.0)
}

/// Hours of history a change point needs before it: a full day, so that
/// the night before an office day does not pass for the usual. (Tried: a
/// few hours when the rate after is abnormal outright. It found more bursts
/// in one-day logs, and flagged a business-hours web application in a log
/// rotated at midnight.)
const MIN_HISTORY_HOURS: u64 = 24;

/// The usual hour, the bar and the abnormal hours of one identity.
fn profile(who: Who, rows: Vec<Hour>, span: Span, ratio: f64, floor: f64) -> Profile {
    let mut counts: Vec<u32> = rows.iter().map(|h| h.messages).collect();
    counts.sort_unstable();
    let all = percentile_with_zeros(&counts, span.hours, USUAL);
    // A burst longer than a tenth of the input would raise its own bar:
    // the usual hour is then taken from before it.
    let usual = before_change(&rows, span, ratio).map_or(all, |before| before.min(all));
    let bar = ratio * usual.max(floor);
    Profile {
        who,
        messages: counts.iter().map(|&c| u64::from(c)).sum(),
        usual,
        bar,
        peak: counts.last().copied().unwrap_or(0),
        abnormal: rows.iter().filter(|h| f64::from(h.messages) >= bar).cloned().collect(),
        hours: rows,
        span,
        floor,
    }
}

/// The usual hour before the identity's volume jumped: the most likely
/// single change point of its hourly rate (two Poisson rates, maximum
/// likelihood), when a day of history precedes it and the rate after it is
/// at least half the abnormal bar. `None` otherwise.
fn before_change(rows: &[Hour], span: Span, ratio: f64) -> Option<f64> {
    let total: f64 = rows.iter().map(|h| f64::from(h.messages)).sum();
    let mut best: Option<(f64, usize, f64)> = None;
    let mut c1 = 0.0;
    for (j, h) in rows.iter().enumerate() {
        let n1 = (h.start - span.start).max(0) as u64 / HOUR as u64;
        if n1 >= MIN_HISTORY_HOURS && n1 < span.hours {
            let (n1f, n2f, c2) = (n1 as f64, (span.hours - n1) as f64, total - c1);
            let ll = xlnx(c1, n1f) + xlnx(c2, n2f);
            if c2 / n2f > c1 / n1f && best.is_none_or(|(b, _, _)| ll > b) {
                best = Some((ll, j, c2 / n2f));
            }
        }
        c1 += f64::from(h.messages);
    }
    let (_, j, after_rate) = best?;
    let mut before: Vec<u32> = rows[..j].iter().map(|h| h.messages).collect();
    before.sort_unstable();
    let hours = (rows[j].start - span.start).max(0) as u64 / HOUR as u64;
    let usual = percentile_with_zeros(&before, hours, USUAL);
    (after_rate >= ratio / 2.0 * usual.max(1.0)).then_some(usual)
}

/// Which hour is usual: the 90th percentile.
const USUAL: f64 = 0.9;

/// The `q` quantile (nearest rank below) of `sorted` padded with zeros to
/// `total` values.
pub fn percentile_with_zeros(sorted: &[u32], total: u64, q: f64) -> f64 {
    let total = total.max(sorted.len() as u64).max(1);
    let zeros = total - sorted.len() as u64;
    let rank = ((total - 1) as f64 * q.clamp(0.0, 1.0)).floor() as u64;
    if rank < zeros {
        0.0
    } else {
        sorted.get((rank - zeros) as usize).map_or(0.0, |&c| f64::from(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_count_quiet_hours() {
        assert_eq!(percentile_with_zeros(&[], 10, 0.5), 0.0);
        assert_eq!(percentile_with_zeros(&[5, 6, 7], 10, 0.5), 0.0);
        assert_eq!(percentile_with_zeros(&[5, 6, 7], 10, 0.9), 6.0);
        assert_eq!(percentile_with_zeros(&[1, 2, 3, 4, 5, 6], 7, 0.5), 3.0);
        assert_eq!(percentile_with_zeros(&[4, 9], 2, 0.5), 4.0);
        // More counted hours than the span (a clock step back): no panic.
        assert_eq!(percentile_with_zeros(&[1, 2, 3], 1, 0.5), 2.0);
        assert_eq!(percentile_with_zeros(&[], 0, 0.9), 0.0);
    }

    fn hour(start: Micros, messages: u32) -> Hour {
        Hour { start, messages, first: Line { time: start + 60_000_000, file: "f".into(), line: 1 } }
    }

    #[test]
    fn a_burst_is_abnormal_against_its_own_busy_hour() {
        let quiet: Vec<Hour> = (0..20).map(|h| hour(h * HOUR, 2)).collect();
        let mut rows = quiet;
        rows.extend((20..24).map(|h| hour(h * HOUR, 40)));
        let p = profile(Who::Uid(33), rows, Span { start: 0, hours: 48 }, 10.0, 1.0);
        assert_eq!(p.usual, 2.0);
        assert_eq!(p.bar, 20.0);
        assert_eq!(p.abnormal.len(), 4);
        assert_eq!(p.onset(None).map(|l| l.time), Some(20 * HOUR + 60_000_000));
        // The hour began before the compromise login: the login starts it.
        assert_eq!(p.onset(Some(20 * HOUR + 90_000_000)), None);
        assert_eq!(p.onset(Some(20 * HOUR + 1)).map(|l| l.time), Some(20 * HOUR + 60_000_000));
    }

    #[test]
    fn a_burst_longer_than_half_the_input_is_still_abnormal() {
        // A day at 1 message an hour, then 30 hours at 50.
        let mut rows: Vec<Hour> = (0..24).map(|h| hour(h * HOUR, 1)).collect();
        rows.extend((24..54).map(|h| hour(h * HOUR, 50)));
        let p = profile(Who::Uid(33), rows, Span { start: 0, hours: 54 }, 10.0, 1.0);
        assert_eq!(p.usual, 1.0);
        assert_eq!(p.abnormal.len(), 30);
    }

    #[test]
    fn an_office_day_after_a_night_is_not_a_change() {
        // Days of 8 busy hours at 20 and 16 quiet ones at 1.
        let rows: Vec<Hour> =
            (0..72).map(|h| hour(h * HOUR, if (8..16).contains(&(h % 24)) { 20 } else { 1 })).collect();
        let p = profile(Who::Uid(33), rows, Span { start: 0, hours: 72 }, 10.0, 1.0);
        assert!(p.abnormal.is_empty(), "{p:?}");
    }
}
