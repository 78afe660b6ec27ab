//! `timeline`: one account, IP or uid, bucket by bucket: logins (from where),
//! auth failures, messages, recipients, deferred and bounced, with the
//! compromise, the brute-force wave and the abnormal hours marked.
//!
//! Every bucket between the target's first and last activity is a row, the
//! empty ones too: a quiet night before the burst is part of the story.

use super::{Suspect, Who, HOUR};
use crate::analyze::Frames;
use crate::duration::Bucket;
use crate::time::{civil_to_micros, micros_to_utc, Micros, Zone, MICROS_PER_SEC};
use chrono::Datelike;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Whose timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Account(String),
    Ip(String),
    Uid(u32),
}

impl Target {
    /// `uid=33`, an IP address (as Postfix writes it), or a SASL username.
    pub fn parse(s: &str) -> Target {
        if let Ok(ip) = s.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            return Target::Ip(ip.to_string());
        }
        match Who::parse(s) {
            Who::Uid(u) => Target::Uid(u),
            Who::Account(a) => Target::Account(a),
        }
    }
}

/// What to mark: instants (the compromise) and spans (the wave, abnormal hours).
#[derive(Clone, Debug, Default)]
pub struct Marks {
    pub points: Vec<(Micros, String)>,
    pub spans: Vec<(Micros, Micros, String)>,
}

impl Marks {
    /// A suspect's compromise, onset, wave and abnormal hours.
    pub fn of(s: &Suspect, zone: &Zone) -> Marks {
        let mut m = Marks::default();
        let clock = |t: Micros| zone.format(t, false).get(11..).unwrap_or_default().to_string();
        if let Some(l) = &s.compromise {
            m.points.push((l.time, format!("compromise {} from {}", clock(l.time), l.ip)));
        }
        if let Some(o) = &s.onset {
            m.points.push((o.time, format!("volume starts {}", clock(o.time))));
        }
        if let Some(w) = &s.wave {
            m.spans.push((w.first.time, w.last.time.saturating_add(1), "brute force".into()));
        }
        for h in &s.volume.abnormal {
            m.spans.push((h.start, h.start.saturating_add(HOUR), "abnormal volume".into()));
        }
        m
    }

    /// The marks of the bucket that spans the instants `from..to`.
    fn at(&self, from: Micros, to: Micros) -> String {
        let mut out: Vec<&str> = Vec::new();
        for (a, z, what) in &self.spans {
            if *a < to && *z > from && !out.contains(&what.as_str()) {
                out.push(what);
            }
        }
        for (t, what) in &self.points {
            if (from..to).contains(t) {
                out.push(what);
            }
        }
        out.join("; ")
    }
}

const DAY: Micros = 24 * HOUR;

/// How instants fall into buckets that start on the display zone's wall
/// clock, as `top --every` has them: each instant goes to the bucket its
/// local time truncates to (days and sub-day lengths counted from local
/// midnight of 1970-01-01, weeks from a Monday, months from January 1970),
/// taken back to an instant. So days start at local midnight and `6h` at
/// 00, 06, 12 and 18 local time on both sides of a DST change; in the hour
/// a fall-back repeats, an hour's bucket is two buckets, one per pass.
pub struct Clock {
    every: Bucket,
    zone: Zone,
}

impl Clock {
    /// Buckets of `every` in `zone`.
    pub fn new(every: Bucket, zone: Zone) -> Clock {
        let every = match every {
            Bucket::Wall(us) => Bucket::Wall(us.max(1)),
            Bucket::Weeks(n) => Bucket::Weeks(n.max(1)),
            Bucket::Months(n) => Bucket::Months(n.max(1)),
        };
        Clock { every, zone }
    }

    /// The key of the bucket holding instant `t`: the instant it starts.
    fn key(&self, t: Micros) -> Micros {
        let off = self.zone.offset_at(t) * MICROS_PER_SEC;
        let wall = t.saturating_add(off);
        let start = match self.every {
            Bucket::Wall(every) => wall - wall.rem_euclid(every),
            // The epoch was a Thursday: weeks count from Monday 1970-01-05.
            Bucket::Weeks(n) => wall - (wall - 4 * DAY).rem_euclid(n * 7 * DAY),
            Bucket::Months(n) => {
                let d = micros_to_utc(wall).date_naive();
                let months = (d.year() as i64 - 1970) * 12 + d.month0() as i64;
                let first = months - months.rem_euclid(n);
                let (y, m) = (1970 + first.div_euclid(12), first.rem_euclid(12) as u32 + 1);
                civil_to_micros(y as i32, m, 1, 0, 0, 0)
            }
        };
        self.instant(start, off)
    }

    /// The instant of local time `wall` (µs, as if UTC): in a repeated hour
    /// the one at offset `prefer` when it is either, in a skipped one the
    /// offset before the gap.
    fn instant(&self, wall: Micros, prefer: Micros) -> Micros {
        let naive = micros_to_utc(wall).naive_utc();
        let (early, late) = self.zone.offsets_at_local(naive);
        let off = if late * MICROS_PER_SEC == prefer { late } else { early };
        wall - off * MICROS_PER_SEC
    }

    /// The instant the bucket keyed `key` begins.
    fn start(&self, key: Micros) -> Micros {
        key
    }

    /// The key of the bucket after the one keyed `key`.
    fn next(&self, key: Micros) -> Micros {
        let step = self.every.step();
        let mut t = key;
        loop {
            t = t.saturating_add(step);
            let k = self.key(t);
            if k > key || t == Micros::MAX {
                return k;
            }
        }
    }

    /// `lf` with a `bucket` column: the key of each row's `time`.
    fn keyed(&self, lf: LazyFrame) -> PolarsResult<LazyFrame> {
        let mut df = lf.collect()?;
        let times = df.column("time")?.cast(&DataType::Int64)?;
        let keys: Vec<Option<i64>> = times.i64()?.iter().map(|t| t.map(|t| self.key(t))).collect();
        df.with_column(Column::new("bucket".into(), keys))?;
        Ok(df.lazy())
    }
}

fn auth_of(f: &Frames, target: &Target, success: bool) -> Option<LazyFrame> {
    let ok = if success { col("success") } else { col("success").not() };
    let who = match target {
        // SASL usernames are as the client typed them; Dovecot and Cyrus
        // treat them without case, and so does the timeline.
        Target::Account(a) => col("sasl_username").str().to_lowercase().eq(lit(a.to_lowercase())),
        Target::Ip(ip) => col("client_ip").eq(lit(ip.as_str())),
        Target::Uid(_) => return None,
    };
    Some(f.auth.clone().lazy().filter(ok.and(who.fill_null(lit(false)))))
}

fn messages_of(f: &Frames, target: &Target) -> LazyFrame {
    let who = match target {
        Target::Account(a) => col("root_sasl_username").str().to_lowercase().eq(lit(a.to_lowercase())),
        Target::Ip(ip) => col("root_client_ip").eq(lit(ip.as_str())),
        Target::Uid(u) => col("root_uid").eq(lit(*u)).and(col("root_sasl_username").is_null()),
    };
    f.accepted().rename(["first_seen"], ["time"], true).filter(who.fill_null(lit(false)))
}

/// The final deliveries of `target`'s submissions, when the frames say
/// whose they are.
fn deliveries_of(f: &Frames, target: &Target) -> Option<LazyFrame> {
    if f.deliveries.column("root_sasl_username").is_err() {
        return None;
    }
    let who = match target {
        Target::Account(a) => col("root_sasl_username").str().to_lowercase().eq(lit(a.to_lowercase())),
        Target::Ip(ip) => col("root_client_ip").eq(lit(ip.as_str())),
        Target::Uid(u) => col("root_uid").eq(lit(*u)).and(col("root_sasl_username").is_null()),
    };
    Some(crate::analyze::top::submitted_deliveries(f)?.filter(who.fill_null(lit(false))))
}

/// The timeline of `target` per `every` µs; times of the marks in `zone`.
pub fn timeline(f: &Frames, target: &Target, clock: &Clock, marks: &Marks) -> PolarsResult<DataFrame> {
    // Messages in the bucket they were first seen in; recipients, deferred
    // and bounced in the bucket of the deliveries, as `top` and the totals
    // count them (a message's retries fall in later buckets).
    let msgs = clock.keyed(messages_of(f, target))?.group_by([col("bucket")]);
    let mut facts = match deliveries_of(f, target) {
        Some(dels) => {
            let wanted = ["recipients", "deferred", "bounced"];
            let aggs = crate::analyze::top::delivery_aggregations().into_iter().filter(|(n, _)| wanted.contains(n));
            let dels =
                clock.keyed(dels)?.group_by([col("bucket")]).agg(aggs.map(|(n, e)| e.alias(n)).collect::<Vec<_>>());
            vec![msgs.agg([len().cast(DataType::UInt64).alias("messages")]).collect()?, dels.collect()?]
        }
        None => vec![msgs
            .agg([
                len().cast(DataType::UInt64).alias("messages"),
                col("recipients").cast(DataType::UInt64).sum().alias("recipients"),
                col("final_deferred").cast(DataType::UInt64).sum().alias("deferred"),
                col("final_bounced").cast(DataType::UInt64).sum().alias("bounced"),
            ])
            .collect()?],
    };
    let logins = auth_of(f, target, true).map(|l| clock.keyed(l)).transpose()?;
    let failures = auth_of(f, target, false).map(|l| clock.keyed(l)).transpose()?;
    if let (Some(l), Some(x)) = (&logins, &failures) {
        facts.push(l.clone().group_by([col("bucket")]).agg([len().cast(DataType::UInt64).alias("logins")]).collect()?);
        facts.push(
            x.clone().group_by([col("bucket")]).agg([len().cast(DataType::UInt64).alias("auth_failures")]).collect()?,
        );
    }
    let Some(mut out) = skeleton(&facts, clock)? else {
        return Ok(DataFrame::empty());
    };
    for fact in facts {
        out =
            out.lazy().join(fact.lazy(), [col("bucket")], [col("bucket")], JoinArgs::new(JoinType::Left)).collect()?;
    }
    let buckets: Vec<Micros> = out.column("bucket")?.i64()?.iter().map(|b| b.unwrap_or(0)).collect();
    if let Some(l) = logins {
        let (from, countries) = origins(l, target, &buckets)?;
        let name = if matches!(target, Target::Ip(_)) { "accounts" } else { "ips" };
        out.with_column(Column::new(name.into(), from))?;
        out.with_column(Column::new("countries".into(), countries))?;
    }
    let starts: Vec<i64> = buckets.iter().map(|&b| clock.start(b)).collect();
    let mark: Vec<String> =
        buckets.iter().zip(&starts).map(|(&b, &from)| marks.at(from, clock.start(clock.next(b)))).collect();
    out.with_column(Column::new("mark".into(), mark))?;
    out.with_column(Column::new("bucket".into(), starts))?;
    // Figures and the mark first, the long lists of IPs and countries last:
    // a narrow terminal drops trailing columns, and the figures are what the
    // eye scans down for the burst.
    let order = [
        "bucket",
        "logins",
        "auth_failures",
        "messages",
        "recipients",
        "mark",
        "deferred",
        "bounced",
        "countries",
        "ips",
        "accounts",
    ];
    let cols: Vec<&str> = order.iter().copied().filter(|c| out.column(c).is_ok()).collect();
    let numbers = ["logins", "auth_failures", "messages", "recipients", "deferred", "bounced"];
    let fill: Vec<Expr> = numbers.iter().filter(|c| cols.contains(c)).map(|c| col(*c).fill_null(lit(0u64))).collect();
    out.lazy()
        .with_columns(fill)
        .with_column(col("bucket").cast(DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))))
        .select(cols.iter().map(|c| col(*c)).collect::<Vec<_>>())
        .collect()
}

/// Every bucket from the earliest to the latest in `facts`; `None` when
/// the target did nothing.
fn skeleton(facts: &[DataFrame], clock: &Clock) -> PolarsResult<Option<DataFrame>> {
    let mut span: Option<(Micros, Micros)> = None;
    for f in facts {
        let b = f.column("bucket")?.i64()?;
        if let (Some(lo), Some(hi)) = (b.min(), b.max()) {
            span = Some(span.map_or((lo, hi), |(a, z)| (a.min(lo), z.max(hi))));
        }
    }
    let Some((lo, hi)) = span else { return Ok(None) };
    // A bucket per step; bounded so that a tiny --every over years of log
    // cannot exhaust memory.
    let mut all = vec![lo];
    while let Some(&b) = all.last().filter(|&&b| b < hi && all.len() < 1_000_000) {
        all.push(clock.next(b));
    }
    Ok(Some(DataFrame::new_infer_height(vec![Column::new("bucket".into(), all)])?))
}

/// Per bucket: where the logins came from (`ip (CC) ×n`, or the accounts
/// for an IP's timeline), the most frequent first, and the countries.
fn origins(logins: LazyFrame, target: &Target, buckets: &[Micros]) -> PolarsResult<(Vec<String>, Vec<String>)> {
    let who = if matches!(target, Target::Ip(_)) { "sasl_username" } else { "client_ip" };
    let df = logins
        .group_by([col("bucket"), col(who).alias("who"), col("country")])
        .agg([len().alias("n")])
        .sort_by_exprs(
            [col("bucket"), col("n"), col("who")],
            SortMultipleOptions::default().with_order_descending_multi([false, true, false]),
        )
        .collect()?;
    let (b, w) = (df.column("bucket")?.i64()?, df.column("who")?.str()?);
    let (c, n) = (df.column("country")?.str()?, df.column("n")?.cast(&DataType::UInt64)?);
    let n = n.u64()?;
    let mut per: BTreeMap<i64, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for i in 0..df.height() {
        let (Some(bucket), who) = (b.get(i), w.get(i).unwrap_or("?")) else { continue };
        let e = per.entry(bucket).or_default();
        let country = c.get(i).unwrap_or("?");
        let times = n.get(i).unwrap_or(0);
        e.0.push(if times > 1 { format!("{who} ({country}) ×{times}") } else { format!("{who} ({country})") });
        if !e.1.iter().any(|x| x == country) {
            e.1.push(country.to_string());
        }
    }
    let shown = |v: &[String]| match v.len() {
        0..=3 => v.join(", "),
        n => format!("{}, +{} more", v[..3].join(", "), n - 3),
    };
    Ok(buckets.iter().map(|bk| per.get(bk).map_or_else(Default::default, |(w, c)| (shown(w), shown(c)))).unzip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(Target::parse("uid=33"), Target::Uid(33));
        assert_eq!(Target::parse("198.51.100.7"), Target::Ip("198.51.100.7".into()));
        assert_eq!(Target::parse("[2001:DB8::5]"), Target::Ip("2001:db8::5".into()));
        assert_eq!(Target::parse("bob@example.org"), Target::Account("bob@example.org".into()));
        assert_eq!(Target::parse("uid=x"), Target::Account("uid=x".into()));
    }

    #[test]
    fn marks_fall_in_their_bucket() {
        let m = Marks {
            points: vec![(2 * HOUR + 5, "compromise".into())],
            spans: vec![(HOUR, 3 * HOUR, "brute force".into())],
        };
        assert_eq!(m.at(0, HOUR), "");
        assert_eq!(m.at(HOUR, 2 * HOUR), "brute force");
        assert_eq!(m.at(2 * HOUR, 3 * HOUR), "brute force; compromise");
        assert_eq!(m.at(3 * HOUR, 4 * HOUR), "");
    }

    /// Days start at local midnight on both sides of a DST change (Berlin
    /// went from +02:00 to +01:00 on 2026-10-25); hours are hours of time.
    #[test]
    fn day_buckets_follow_the_zone_across_dst() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let utc = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros();
        let days = Clock::new(Bucket::Wall(DAY), berlin.clone());
        for (t, midnight) in [
            ("2026-10-24T21:59:59Z", "2026-10-23T22:00:00Z"),
            ("2026-10-24T22:00:00Z", "2026-10-24T22:00:00Z"),
            ("2026-10-25T22:59:59Z", "2026-10-24T22:00:00Z"),
            ("2026-10-25T23:00:00Z", "2026-10-25T23:00:00Z"),
            ("2026-10-26T12:00:00Z", "2026-10-25T23:00:00Z"),
        ] {
            assert_eq!(days.start(days.key(utc(t))), utc(midnight), "{t}");
        }
        // Tehran jumped from +03:30 to +04:30 at midnight on 2021-03-22:
        // that day began at 01:00.
        let tehran = Clock::new(Bucket::Wall(DAY), Zone::parse("Asia/Tehran").unwrap());
        for (t, start) in [
            ("2021-03-21T19:45:00Z", "2021-03-20T20:30:00Z"),
            ("2021-03-21T20:45:00Z", "2021-03-21T20:30:00Z"),
            ("2021-03-22T10:00:00Z", "2021-03-21T20:30:00Z"),
        ] {
            assert_eq!(tehran.start(tehran.key(utc(t))), utc(start), "{t}");
        }
        // Weeks begin on Monday (2026-10-19), local midnight.
        let weeks = Clock::new(Bucket::Weeks(1), berlin.clone());
        assert_eq!(weeks.start(weeks.key(utc("2026-10-25T12:00:00Z"))), utc("2026-10-18T22:00:00Z"));
        assert_eq!(weeks.start(weeks.key(utc("2026-10-26T00:00:00Z"))), utc("2026-10-25T23:00:00Z"));
        let hours = Clock::new(Bucket::Wall(HOUR), berlin.clone());
        let (a, b) = (utc("2026-10-25T00:30:00Z"), utc("2026-10-25T01:30:00Z"));
        assert_ne!(hours.key(a), hours.key(b), "the repeated wall-clock hour is two buckets");
        assert_eq!(hours.start(hours.key(a)), utc("2026-10-25T00:00:00Z"));
        assert_eq!(hours.start(hours.key(b)), utc("2026-10-25T01:00:00Z"));
        assert_eq!(hours.next(hours.key(a)), hours.key(b), "the second pass follows the first");
    }

    /// Sub-day buckets follow the zone's midnight on both sides of a DST
    /// change, as `top --every` has them: 6h buckets start at 00, 06, 12
    /// and 18 local time (not 05, 11, 17, 23 after the change).
    #[test]
    fn sub_day_buckets_follow_local_midnight_across_dst() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let utc = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros();
        let six = Clock::new(Bucket::Wall(6 * HOUR), berlin.clone());
        let mut starts = vec![six.key(utc("2026-10-24T08:00:00Z"))];
        while starts.len() < 8 {
            starts.push(six.next(*starts.last().unwrap()));
        }
        let local: Vec<String> = starts.iter().map(|&t| berlin.format(t, false)).collect();
        assert_eq!(
            local,
            [
                "2026-10-24 06:00:00",
                "2026-10-24 12:00:00",
                "2026-10-24 18:00:00",
                "2026-10-25 00:00:00",
                "2026-10-25 06:00:00",
                "2026-10-25 12:00:00",
                "2026-10-25 18:00:00",
                "2026-10-26 00:00:00",
            ]
        );
        // The bucket over the change is seven hours of time.
        assert_eq!(starts[4] - starts[3], 7 * HOUR);
        assert_eq!(six.key(utc("2026-10-25T04:59:59Z")), utc("2026-10-24T22:00:00Z"));
        assert_eq!(six.key(utc("2026-10-25T05:00:00Z")), utc("2026-10-25T05:00:00Z"));
    }

    /// Calendar months start on the 1st at local midnight.
    #[test]
    fn month_buckets() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let utc = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros();
        let months = Clock::new(Bucket::Months(1), berlin.clone());
        assert_eq!(months.key(utc("2026-10-31T22:59:59Z")), utc("2026-09-30T22:00:00Z"));
        assert_eq!(months.key(utc("2026-10-31T23:00:00Z")), utc("2026-10-31T23:00:00Z"));
        assert_eq!(months.next(utc("2026-09-30T22:00:00Z")), utc("2026-10-31T23:00:00Z"));
        assert_eq!(months.next(utc("2026-12-31T23:00:00Z")), utc("2027-01-31T23:00:00Z"));
        // Quarters count from January.
        let quarters = Clock::new(Bucket::Months(3), Zone::parse("UTC").unwrap());
        assert_eq!(quarters.key(utc("2026-05-15T12:00:00Z")), utc("2026-04-01T00:00:00Z"));
        assert_eq!(quarters.next(utc("2026-04-01T00:00:00Z")), utc("2026-07-01T00:00:00Z"));
    }
}
