//! What `watch` checks besides the `suspects` rules: absolute thresholds
//! over the last stretch of the log, the way policy daemons and
//! exporters watch a live server, each a short query of the frames.
//!
//! - messages and recipients per account or uid in the last
//!   [`Limits::rate_window`] (policyd-rate-limit's limits; a uid's is a
//!   burst through pickup);
//! - distinct client IPs and countries an account logged in from in the
//!   last 24 hours (postfwd's anti-geoip plugin);
//! - deferred deliveries in the last rate window, far above the usual
//!   (receivers throttle spam);
//! - a brute-force wave: auth failures from many IPs in the last hour,
//!   however few each (a slow, distributed wave counts the same);
//! - a login from somewhere new to the account (a network, ASN or country;
//!   its first login, from a country no other account uses) after at least
//!   `min_failures` auth failures naming it (the success that follows a
//!   wave), before any spam;
//! - a uid's volume through pickup abnormal by the `suspects` rule (an hour
//!   or a burst at `ratio` times its usual), before the hours that make it
//!   sustained and a suspect.
//!
//! Each is data ([`Signal`]): what crossed which threshold, and the lines
//! that show it.

use super::suspects::baseline::Login;
use super::suspects::bruteforce::Failures;
use super::suspects::{identity_exprs, numbers, strings, times, who_of, Learned, Line, Suspect, Thresholds, Who, HOUR};
use super::Frames;
use crate::time::Micros;
use polars::prelude::*;

/// The thresholds of the live signals.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The stretch rates are counted over.
    pub rate_window: Micros,
    /// Messages of one account or uid in a rate window.
    pub max_messages: u64,
    /// Recipients of one account or uid in a rate window.
    pub max_recipients: u64,
    /// Client IPs one account logs in from in 24 hours.
    pub max_ips: u64,
    /// Countries one account logs in from in 24 hours.
    pub max_countries: u64,
    /// Deferred deliveries in a rate window, when also
    /// [`Limits::surge_ratio`] times the usual.
    pub max_deferred: u64,
    pub surge_ratio: f64,
    /// Auth failures in an hour, from at least [`Limits::wave_ips`] IPs,
    /// that make a brute-force wave.
    pub wave_failures: u64,
    pub wave_ips: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rate_window: HOUR,
            max_messages: 100,
            max_recipients: 300,
            max_ips: 10,
            max_countries: 3,
            max_deferred: 200,
            surge_ratio: 10.0,
            wave_failures: 30,
            wave_ips: 10,
        }
    }
}

const DAY: Micros = 24 * HOUR;

/// Which threshold a signal crossed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Messages,
    Recipients,
    Ips,
    Countries,
    DeferredSurge,
    BruteForceWave,
    LoginAfterFailures,
    PickupBurst,
}

impl Kind {
    /// The name alerts use.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Messages => "messages",
            Kind::Recipients => "recipients",
            Kind::Ips => "client-ips",
            Kind::Countries => "countries",
            Kind::DeferredSurge => "deferred-surge",
            Kind::BruteForceWave => "brute-force-wave",
            Kind::LoginAfterFailures => "login-after-failures",
            Kind::PickupBurst => "pickup-burst",
        }
    }
}

/// A threshold crossed.
#[derive(Clone, Debug, PartialEq)]
pub struct Signal {
    pub kind: Kind,
    /// Whose: an account or uid; none for the whole server.
    pub who: Option<Who>,
    pub value: f64,
    pub threshold: f64,
    /// Over how long `value` was counted.
    pub over: Micros,
    /// What it is, in words.
    pub what: String,
    /// The lines that show it, each with what it shows.
    pub lines: Vec<(String, Line)>,
    /// When the account was likely taken over, if it tells (the login
    /// after the failures).
    pub since: Option<Line>,
}

/// Every threshold crossed at `now` (the newest line's time); `learned`
/// is what `suspects` learned of the same frames.
pub fn check(
    f: &Frames,
    limits: &Limits,
    th: &Thresholds,
    now: Micros,
    learned: &Learned,
) -> PolarsResult<Vec<Signal>> {
    let mut out = rates(f, limits, now)?;
    out.extend(spread(f, limits, now)?);
    out.extend(deferred_surge(f, limits, now)?);
    out.extend(wave(f, limits, now)?);
    out.extend(logins_after_failures(&learned.logins, &learned.failures, limits, th, now));
    Ok(out)
}

/// The accounts with the most messages in the frames: account, messages,
/// recipients, deferred or bounced deliveries; at most `n`.
pub fn top_accounts(f: &Frames, n: usize) -> PolarsResult<Vec<(String, u64, u64, u64)>> {
    let df = f
        .accepted()
        .filter(col("root_sasl_username").is_not_null())
        .group_by([col("root_sasl_username")])
        .agg([
            len().cast(DataType::UInt64).alias("messages"),
            col("recipients").sum().cast(DataType::UInt64).alias("recipients"),
            (col("final_deferred") + col("final_bounced")).sum().cast(DataType::UInt64).alias("troubled"),
        ])
        .sort_by_exprs(
            [col("messages"), col("root_sasl_username")],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .limit(n as IdxSize)
        .collect()?;
    let names = strings(&df, "root_sasl_username")?;
    let (m, r, t) = (numbers(&df, "messages")?, numbers(&df, "recipients")?, numbers(&df, "troubled")?);
    Ok((0..df.height())
        .map(|i| (names[i].clone().unwrap_or_default(), m[i].unwrap_or(0), r[i].unwrap_or(0), t[i].unwrap_or(0)))
        .collect())
}

/// Messages and recipients per account and uid in the last rate window.
fn rates(f: &Frames, limits: &Limits, now: Micros) -> PolarsResult<Vec<Signal>> {
    let from = now - limits.rate_window;
    let df = f
        .accepted()
        .filter(col("root_sasl_username").is_not_null().or(col("root_uid").is_not_null()))
        .filter(col("first_seen").cast(DataType::Int64).gt_eq(lit(from)))
        .with_columns(identity_exprs())
        .sort(["first_seen"], SortMultipleOptions::default().with_maintain_order(true))
        .group_by([col("kind"), col("name")])
        .agg([
            len().cast(DataType::UInt64).alias("messages"),
            col("recipients").sum().cast(DataType::UInt64).alias("recipients"),
            col("first_seen").first().alias("first"),
            col("file").first().alias("file"),
            col("line").first().alias("line"),
        ])
        .sort(["kind", "name"], SortMultipleOptions::default())
        .collect()?;
    let (kinds, names) = (strings(&df, "kind")?, strings(&df, "name")?);
    let (messages, recipients) = (numbers(&df, "messages")?, numbers(&df, "recipients")?);
    let (first, files, lines) = (times(&df, "first")?, strings(&df, "file")?, numbers(&df, "line")?);
    let mut out = Vec::new();
    for i in 0..df.height() {
        let who = who_of(kinds[i].as_deref().unwrap_or(""), names[i].as_deref().unwrap_or(""));
        let line = Line {
            time: first[i].unwrap_or(from),
            file: files[i].clone().unwrap_or_default(),
            line: lines[i].unwrap_or(0),
        };
        let via = if matches!(who, Who::Uid(_)) { " through pickup" } else { "" };
        let span = super::suspects::human_span(limits.rate_window);
        for (kind, value, max, word) in [
            (Kind::Messages, messages[i].unwrap_or(0), limits.max_messages, "messages"),
            (Kind::Recipients, recipients[i].unwrap_or(0), limits.max_recipients, "recipients"),
        ] {
            if value >= max {
                out.push(Signal {
                    kind,
                    who: Some(who.clone()),
                    value: value as f64,
                    threshold: max as f64,
                    over: limits.rate_window,
                    what: format!("{value} {word}{via} in the last {span} (limit {max})"),
                    lines: vec![(format!("first message of the last {span}"), line.clone())],
                    since: None,
                });
            }
        }
    }
    Ok(out)
}

/// Distinct client IPs and countries of each account's logins in the last
/// 24 hours.
fn spread(f: &Frames, limits: &Limits, now: Micros) -> PolarsResult<Vec<Signal>> {
    let df = f
        .auth
        .clone()
        .lazy()
        .filter(col("success").and(col("sasl_username").is_not_null()))
        .filter(col("time").cast(DataType::Int64).gt_eq(lit(now - DAY)))
        .sort(["time"], SortMultipleOptions::default().with_maintain_order(true))
        .group_by([col("sasl_username")])
        .agg([
            col("client_ip").n_unique().cast(DataType::UInt64).alias("ips"),
            col("country").drop_nulls().n_unique().cast(DataType::UInt64).alias("countries"),
            col("time").last().alias("last"),
            col("file").last().alias("file"),
            col("line").last().alias("line"),
        ])
        .sort(["sasl_username"], SortMultipleOptions::default())
        .collect()?;
    let names = strings(&df, "sasl_username")?;
    let (ips, countries) = (numbers(&df, "ips")?, numbers(&df, "countries")?);
    let (last, files, lines) = (times(&df, "last")?, strings(&df, "file")?, numbers(&df, "line")?);
    let mut out = Vec::new();
    for i in 0..df.height() {
        let who = Who::Account(names[i].clone().unwrap_or_default());
        let line = Line {
            time: last[i].unwrap_or(now),
            file: files[i].clone().unwrap_or_default(),
            line: lines[i].unwrap_or(0),
        };
        for (kind, value, max, word) in [
            (Kind::Ips, ips[i].unwrap_or(0), limits.max_ips, "client IPs"),
            (Kind::Countries, countries[i].unwrap_or(0), limits.max_countries, "countries"),
        ] {
            if value >= max {
                out.push(Signal {
                    kind,
                    who: Some(who.clone()),
                    value: value as f64,
                    threshold: max as f64,
                    over: DAY,
                    what: format!("logins from {value} {word} in the last 24h (limit {max})"),
                    lines: vec![("latest login".into(), line.clone())],
                    since: None,
                });
            }
        }
    }
    Ok(out)
}

/// Deferred deliveries in the last rate window against the usual number
/// per rate window before it.
fn deferred_surge(f: &Frames, limits: &Limits, now: Micros) -> PolarsResult<Vec<Signal>> {
    let from = now - limits.rate_window;
    let t = || col("time").cast(DataType::Int64);
    let df = f
        .final_deliveries()
        .filter(col("status").eq(lit("deferred")))
        .select([
            t().gt_eq(lit(from)).sum().cast(DataType::UInt64).alias("recent"),
            t().lt(lit(from)).sum().cast(DataType::UInt64).alias("before"),
            t().min().alias("first"),
        ])
        .collect()?;
    let (recent, before) = (numbers(&df, "recent")?[0].unwrap_or(0), numbers(&df, "before")?[0].unwrap_or(0));
    let first = times(&df, "first")?[0].unwrap_or(from);
    // The usual per rate window, over what the frames hold before it.
    let windows = ((from - first).max(0) as f64 / limits.rate_window as f64).max(1.0);
    let usual = before as f64 / windows;
    let bar = (limits.max_deferred as f64).max(limits.surge_ratio * usual);
    if (recent as f64) < bar {
        return Ok(Vec::new());
    }
    let span = super::suspects::human_span(limits.rate_window);
    Ok(vec![Signal {
        kind: Kind::DeferredSurge,
        who: None,
        value: recent as f64,
        threshold: bar,
        over: limits.rate_window,
        what: format!("{recent} deliveries deferred in the last {span} (usually {usual:.0}; limit {bar:.0})"),
        lines: Vec::new(),
        since: None,
    }])
}

/// Auth failures in the last hour from many IPs.
fn wave(f: &Frames, limits: &Limits, now: Micros) -> PolarsResult<Vec<Signal>> {
    let df = f
        .auth
        .clone()
        .lazy()
        .filter(col("success").not())
        .filter(col("time").cast(DataType::Int64).gt_eq(lit(now - HOUR)))
        .sort(["time"], SortMultipleOptions::default().with_maintain_order(true))
        .select([
            len().cast(DataType::UInt64).alias("failures"),
            col("client_ip").n_unique().cast(DataType::UInt64).alias("ips"),
            col("sasl_username").drop_nulls().n_unique().cast(DataType::UInt64).alias("accounts"),
            col("time").first().alias("first"),
            col("file").first().alias("file"),
            col("line").first().alias("line"),
        ])
        .collect()?;
    let (failures, ips) = (numbers(&df, "failures")?[0].unwrap_or(0), numbers(&df, "ips")?[0].unwrap_or(0));
    if failures < limits.wave_failures || ips < limits.wave_ips {
        return Ok(Vec::new());
    }
    let accounts = numbers(&df, "accounts")?[0].unwrap_or(0);
    let line = Line {
        time: times(&df, "first")?[0].unwrap_or(now),
        file: strings(&df, "file")?[0].clone().unwrap_or_default(),
        line: numbers(&df, "line")?[0].unwrap_or(0),
    };
    Ok(vec![Signal {
        kind: Kind::BruteForceWave,
        who: None,
        value: failures as f64,
        threshold: limits.wave_failures as f64,
        over: HOUR,
        what: format!(
            "{failures} auth failures in the last hour from {ips} IPs, naming {accounts} accounts (limit {} from {} IPs)",
            limits.wave_failures, limits.wave_ips
        ),
        lines: vec![("first auth failure of the last hour".into(), line)],
        since: None,
    }])
}

/// Logins in the last rate window from somewhere new to the account, after
/// at least `min_failures` auth failures naming it in the `lookback`
/// before; each account's first such login (the likely compromise) dates it.
fn logins_after_failures(
    logins: &[Login],
    failures: &Failures,
    limits: &Limits,
    th: &Thresholds,
    now: Micros,
) -> Vec<Signal> {
    // Each account's first qualifying login, and its latest.
    let mut found: std::collections::BTreeMap<&str, (&Login, &Login, u64)> = Default::default();
    // Somewhere new as `suspects` weighs it: a new network, ASN or country
    // (not the next address of the same DHCP pool), or a first login from
    // a country no other account uses.
    for l in logins.iter().filter(|l| l.new.class() > 0) {
        let named = failures.named_before(&l.account, l.time, th.lookback);
        if named >= th.min_failures {
            let e = found.entry(l.account.as_str()).or_insert((l, l, named));
            (e.1, e.2) = (l, named);
        }
    }
    let mut out = Vec::new();
    for (account, (first, latest, named)) in found {
        if latest.time < now - limits.rate_window {
            continue;
        }
        let mut lines = Vec::new();
        if let Some(w) = failures.wave(account, Some(first.time), th.lookback) {
            lines.push(("first auth failure naming the account".into(), w.first_named.clone()));
        }
        lines.push(("first login from somewhere new after the failures".into(), first.line.clone()));
        if latest.line != first.line {
            lines.push(("latest login from somewhere new after failures".into(), latest.line.clone()));
        }
        out.push(Signal {
            kind: Kind::LoginAfterFailures,
            who: Some(Who::Account(account.to_string())),
            value: named as f64,
            threshold: th.min_failures as f64,
            over: th.lookback,
            what: format!(
                "{} from {} after {named} auth failures naming the account (limit {})",
                if first.new.first { "the account's first login" } else { "login" },
                first.place(),
                th.min_failures
            ),
            lines,
            since: Some(first.line.clone()),
        });
    }
    out
}

/// The uids whose mail through pickup is abnormal by the `suspects` volume
/// rule, though not (yet) enough to make them suspects: `all` is every
/// identity `suspects` scored.
pub fn pickup_bursts(all: &[Suspect], th: &Thresholds) -> Vec<Signal> {
    let mut out = Vec::new();
    for s in all.iter().filter(|s| matches!(s.who, Who::Uid(_)) && !s.is_flagged(th)) {
        let hours = s.volume.abnormal.len();
        let burst = s.burst.as_ref().filter(|b| b.abnormal);
        let (Some(onset), true) = (s.onset.clone(), hours > 0 || burst.is_some()) else { continue };
        let what = match burst.filter(|_| hours == 0) {
            Some(b) => format!(
                "{} messages through pickup in {}, {:.0}× its usual rate",
                b.messages,
                super::suspects::human_span(b.lasted),
                b.times_usual()
            ),
            None => format!(
                "{hours} abnormal hours through pickup (≥ {:.0} messages; usual {:.0} per hour)",
                s.volume.bar, s.volume.usual
            ),
        };
        out.push(Signal {
            kind: Kind::PickupBurst,
            who: Some(s.who.clone()),
            value: s.volume.abnormal.iter().map(|h| f64::from(h.messages)).fold(0.0, f64::max),
            threshold: s.volume.bar,
            over: HOUR,
            what,
            // Not dated: the start of a uid's abnormal volume moves as its
            // usual hour is learned from more of the log; the suspect alert
            // that follows gives the time the finished log gives.
            lines: vec![("first message of the abnormal volume".into(), onset)],
            since: None,
        });
    }
    out
}
