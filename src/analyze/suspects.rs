//! `suspects`: which SASL account (cracked password) or local uid (hacked
//! script) was taken over, since when, and the log lines that say so.
//!
//! The method, in the order an admin would reason:
//!
//! 1. **Volume** ([`volume`]): each account's and uid's messages per hour,
//!    against its own usual busy hour (the 90th percentile over the input,
//!    quiet hours included, or over the day or more before a long burst).
//!    An hour is abnormal from `ratio` × that, and never below `ratio` × the
//!    peak hour of a typical account (for accounts) or `ratio` messages.
//! 2. **Where logins come from** ([`baseline`]): every successful login,
//!    in time order, marked with what was new about it for that account (IP,
//!    network, ASN, country) and whether other accounts log in from that
//!    country. Being new to an account means something once it has a day of
//!    history; before that, only another country than its first logins', or
//!    a country foreign to the whole server, counts.
//! 3. **The compromise** is the first successful login from somewhere new
//!    that is followed (within `horizon`) by abnormal volume, measured
//!    against the account's usual hour *before that login* (so a burst that
//!    fills most of the input still stands out). Without such a login (a
//!    uid; a webmail on 127.0.0.1), the start of the abnormal volume stands
//!    in for it.
//! 4. **Brute force** ([`bruteforce`]): failed logins naming the account in
//!    the `lookback` before the compromise, the wave they belong to, and a
//!    login from an IP or network that was failing just before (the smoking
//!    gun).
//! 5. **Score**: points for each independent piece of evidence (see
//!    [`points`]); an identity at or above the threshold is a suspect.
//!
//! Everything is learned from the input itself: no list of "bad" countries,
//! no external reputation.

pub mod baseline;
pub mod bruteforce;
pub mod remedy;
pub mod timeline;
pub mod volume;

use super::Frames;
use crate::time::Micros;
use baseline::Login;
use bruteforce::{Failures, Gun, Wave};
use polars::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use volume::Profile;

pub const HOUR: Micros = 3_600_000_000;

/// Points per piece of evidence. Calibrated on simulated incidents: a
/// cracked account collects 10 or more, a hacked script 5 or more, and no
/// ordinary account or uid reaches 5.
pub mod points {
    /// First login from a country no other account logs in from.
    pub const FOREIGN_LOGIN: u32 = 3;
    /// First login from an IP and a network, ASN or country new to the account.
    pub const NEW_LOGIN: u32 = 2;
    /// At least one abnormal hour.
    pub const VOLUME: u32 = 3;
    /// At least `min_hours` abnormal hours.
    pub const SUSTAINED: u32 = 2;
    /// At least `min_ips` client IPs since the compromise.
    pub const SPREAD: u32 = 2;
    /// At least [`super::SPREAD_COUNTRIES`] countries since the compromise.
    pub const COUNTRIES: u32 = 1;
    /// At least [`super::TROUBLE_SHARE`] of the messages deferred or bounced.
    pub const TROUBLE: u32 = 1;
    /// At least `min_failures` failed logins naming the account before.
    pub const BRUTE_FORCE: u32 = 2;
    /// A login from an IP or network with `min_failures` failures just before.
    pub const SMOKING_GUN: u32 = 2;
}

/// Countries since the compromise that make a botnet (one user travels to
/// one or two).
pub const SPREAD_COUNTRIES: u64 = 3;
/// Share of messages deferred or bounced that looks like spam: receivers
/// refuse or throttle it; ordinary mail is deferred a few percent of the time.
pub const TROUBLE_SHARE: f64 = 0.3;
/// Fewer messages than this say nothing about a deferred share.
const TROUBLE_MIN_MESSAGES: u64 = 10;

/// The options of the method.
#[derive(Clone, Debug)]
pub struct Thresholds {
    /// Score from which an identity is a suspect.
    pub threshold: u32,
    /// An hour is abnormal from this many times the usual hour.
    pub ratio: f64,
    /// Abnormal hours that make the volume sustained.
    pub min_hours: usize,
    /// How soon after a new login abnormal volume must start.
    pub horizon: Micros,
    /// How far before the compromise failures belong to its wave.
    pub lookback: Micros,
    /// Failures that make a brute-force wave or a smoking gun.
    pub min_failures: u64,
    /// Client IPs since the compromise that make a botnet.
    pub min_ips: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            threshold: 5,
            ratio: 10.0,
            min_hours: 3,
            horizon: 24 * HOUR,
            lookback: 24 * HOUR,
            min_failures: 10,
            min_ips: 5,
        }
    }
}

/// Who sent: a SASL account or a local uid (pickup).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Who {
    Account(String),
    Uid(u32),
}

impl Who {
    /// `uid=33` is a uid; anything else is a SASL username.
    pub fn parse(s: &str) -> Who {
        match s.strip_prefix("uid=").and_then(|n| n.parse().ok()) {
            Some(uid) => Who::Uid(uid),
            None => Who::Account(s.to_string()),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Who::Account(_) => "account",
            Who::Uid(_) => "uid",
        }
    }
}

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Who::Account(a) => f.write_str(a),
            Who::Uid(u) => write!(f, "uid={u}"),
        }
    }
}

/// A log line behind a claim: when, and where to read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub time: Micros,
    pub file: String,
    pub line: u64,
}

/// One piece of evidence and what it is worth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub points: u32,
    pub text: String,
}

/// What an identity did from its compromise (or onset) on; over the whole
/// input when nothing stands out. For an account, messages from the IPs it
/// used before the compromise are left out: those are its owner's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct After {
    pub messages: u64,
    pub recipients: u64,
    /// Messages with at least one deferred or bounced delivery.
    pub troubled: u64,
    pub client_ips: u64,
    pub countries: u64,
    /// Messages (and content-filter copies) still `queued` or `held` at the end of the input.
    pub still_queued: u64,
    pub last: Option<Micros>,
}

impl After {
    pub fn troubled_share(&self) -> f64 {
        if self.messages == 0 {
            0.0
        } else {
            self.troubled as f64 / self.messages as f64
        }
    }
}

/// One account or uid, scored.
#[derive(Clone, Debug)]
pub struct Suspect {
    pub who: Who,
    pub score: u32,
    pub reasons: Vec<Reason>,
    /// The estimated compromise: the login that started it.
    pub compromise: Option<Login>,
    /// The first message of the abnormal volume.
    pub onset: Option<Line>,
    pub volume: Profile,
    pub after: After,
    pub wave: Option<Wave>,
    pub gun: Option<Gun>,
    /// IPs the account logged in from before the compromise: its owner's.
    pub baseline_ips: BTreeSet<String>,
    /// IPs that logged in as the account from the compromise on, not in the baseline.
    pub attacker_ips: BTreeSet<String>,
}

impl Suspect {
    /// The estimated compromise time: the login, or the start of the volume.
    pub fn since(&self) -> Option<Micros> {
        self.compromise.as_ref().map(|l| l.time).or(self.onset.as_ref().map(|o| o.time))
    }

    /// How the time was found: `login` or `volume`.
    pub fn basis(&self) -> Option<&'static str> {
        if self.compromise.is_some() {
            Some("login")
        } else {
            self.onset.as_ref().map(|_| "volume")
        }
    }

    pub fn is_flagged(&self, th: &Thresholds) -> bool {
        self.score >= th.threshold
    }

    /// The lines behind the claims, in time order, each with what it shows.
    pub fn evidence(&self) -> Vec<(String, Line)> {
        let mut ev: Vec<(String, Line)> = Vec::new();
        if let Some(w) = &self.wave {
            ev.push(("first failed login naming the account".into(), w.first_named.clone()));
            if w.last_named != w.first_named {
                ev.push(("last failed login naming the account".into(), w.last_named.clone()));
            }
        }
        if let Some(g) = &self.gun {
            ev.push((format!("failed login from the same {} just before a success", g.scope), g.last_failure.clone()));
            if self.compromise.as_ref().map(|l| &l.line) != Some(&g.login) {
                ev.push(("success after those failures".into(), g.login.clone()));
            }
        }
        if let Some(l) = &self.compromise {
            ev.push(("compromise: first login from somewhere new, then abnormal volume".into(), l.line.clone()));
        }
        if let Some(o) = &self.onset {
            if self.compromise.as_ref().map(|l| &l.line) != Some(o) {
                ev.push(("first message of the abnormal volume".into(), o.clone()));
            }
        }
        ev.sort_by_key(|(_, l)| l.time);
        ev
    }
}

/// Scores every account and uid that submitted mail, best suspect first.
pub fn suspects(f: &Frames, th: &Thresholds) -> PolarsResult<Vec<Suspect>> {
    let logins = baseline::logins(f)?;
    let failures = Failures::collect(f)?;
    let mut by_account: HashMap<&str, Vec<&Login>> = HashMap::new();
    for l in &logins {
        by_account.entry(l.account.as_str()).or_default().push(l);
    }
    let mut out = Vec::new();
    for profile in volume::profiles(f, th.ratio)? {
        let mine = match &profile.who {
            Who::Account(a) => by_account.get(a.as_str()).map_or(&[][..], |v| v.as_slice()),
            Who::Uid(_) => &[],
        };
        out.push(assess(profile, mine, &failures, th));
    }
    fill_after(f, &mut out)?;
    for s in &mut out {
        s.reasons = score(s, th);
        s.score = s.reasons.iter().map(|r| r.points).sum();
    }
    out.sort_by(|a, b| b.score.cmp(&a.score).then(b.after.messages.cmp(&a.after.messages)).then(a.who.cmp(&b.who)));
    Ok(out)
}

/// Where one identity stands: its compromise login, onset, wave and gun.
fn assess(volume: Profile, logins: &[&Login], failures: &Failures, th: &Thresholds) -> Suspect {
    let (compromise, volume) = match pick_compromise(logins, &volume, th) {
        Some((l, since)) => (Some(l.clone()), since),
        None => (None, volume),
    };
    let since = compromise.as_ref().map(|l| l.time);
    let onset = volume.onset(since);
    let until = since.or(onset.as_ref().map(|o| o.time));
    let (baseline_ips, attacker_ips) = split_ips(logins, until);
    let (wave, gun) = match &volume.who {
        Who::Account(a) => (failures.wave(a, until, th.lookback), failures.smoking_gun(logins, th)),
        Who::Uid(_) => (None, None),
    };
    Suspect {
        who: volume.who.clone(),
        score: 0,
        reasons: Vec::new(),
        compromise,
        onset,
        volume,
        after: After::default(),
        wave,
        gun,
        baseline_ips,
        attacker_ips,
    }
}

/// The first login from somewhere new that abnormal volume (against the
/// account's usual hour before it) follows within `horizon`, and the
/// account's volume seen from that login.
fn pick_compromise<'a>(logins: &[&'a Login], volume: &Profile, th: &Thresholds) -> Option<(&'a Login, Profile)> {
    logins.iter().filter(|l| l.new.class() > 0).find_map(|l| {
        let after = volume.after(l.time, th.ratio);
        let soon = after.abnormal.iter().any(|h| h.start < l.time.saturating_add(th.horizon));
        soon.then_some((*l, after))
    })
}

/// The account's own IPs (before `until`) and the new ones from then on.
fn split_ips(logins: &[&Login], until: Option<Micros>) -> (BTreeSet<String>, BTreeSet<String>) {
    let Some(t) = until else {
        return (logins.iter().map(|l| l.ip.clone()).collect(), BTreeSet::new());
    };
    let before: BTreeSet<String> = logins.iter().filter(|l| l.time < t).map(|l| l.ip.clone()).collect();
    let after = logins.iter().filter(|l| l.time >= t && !before.contains(&l.ip)).map(|l| l.ip.clone()).collect();
    (before, after)
}

/// The evidence, as points with the figures behind them.
fn score(s: &Suspect, th: &Thresholds) -> Vec<Reason> {
    let mut r = Vec::new();
    let mut add = |points: u32, text: String| r.push(Reason { points, text });
    if let Some(l) = &s.compromise {
        let what = l.new.describe();
        match l.new.class() {
            2 => add(
                points::FOREIGN_LOGIN,
                format!("login from {} ({what}), a country no other account uses", l.place()),
            ),
            _ => add(points::NEW_LOGIN, format!("login from {} ({what})", l.place())),
        }
    }
    let v = &s.volume;
    if let Some(peak) = v.abnormal.iter().map(|h| h.messages).max() {
        add(
            points::VOLUME,
            format!(
                "{} abnormal hours (≥ {:.0} messages; usual {:.0} per hour), peak {peak}",
                v.abnormal.len(),
                v.bar,
                v.usual
            ),
        );
        if v.abnormal.len() >= th.min_hours {
            add(points::SUSTAINED, format!("sustained: {} abnormal hours (≥ {})", v.abnormal.len(), th.min_hours));
        }
    }
    let a = &s.after;
    let scope = if s.since().is_some() { "since then" } else { "in all" };
    if matches!(s.who, Who::Account(_)) && a.client_ips >= th.min_ips {
        add(points::SPREAD, format!("{} client IPs {scope}", a.client_ips));
    }
    if a.countries >= SPREAD_COUNTRIES {
        add(points::COUNTRIES, format!("{} countries {scope}", a.countries));
    }
    if a.messages >= TROUBLE_MIN_MESSAGES && a.troubled_share() >= TROUBLE_SHARE {
        add(
            points::TROUBLE,
            format!("{:.0}% of {} messages deferred or bounced", a.troubled_share() * 100.0, a.messages),
        );
    }
    if let Some(w) = s.wave.as_ref().filter(|w| w.named >= th.min_failures) {
        let when = if s.since().is_some() { "before" } else { "in the input" };
        add(
            points::BRUTE_FORCE,
            format!("{} failed logins naming it {when} ({} in the wave, from {} IPs)", w.named, w.failures, w.ips),
        );
    }
    if let Some(g) = &s.gun {
        add(
            points::SMOKING_GUN,
            format!("login from {} after {} failures from the same {}", g.ip, g.failures, g.scope),
        );
    }
    r
}

/// Fills [`Suspect::after`]: one grouped query for identities where nothing
/// stands out, one filtered query per identity with a compromise or onset.
fn fill_after(f: &Frames, out: &mut [Suspect]) -> PolarsResult<()> {
    let totals = whole_input(f)?;
    for s in out.iter_mut() {
        s.after = match s.since() {
            None => totals.get(&s.who).cloned().unwrap_or_default(),
            Some(t) => since(f, &s.who, t, &s.baseline_ips)?,
        };
    }
    Ok(())
}

/// `kind` and `name` of the identity a message counts for.
pub(crate) fn identity_exprs() -> [Expr; 2] {
    let is_account = col("root_sasl_username").is_not_null();
    [
        when(is_account.clone()).then(lit("account")).otherwise(lit("uid")).alias("kind"),
        when(is_account)
            .then(col("root_sasl_username"))
            .otherwise(col("root_uid").cast(DataType::String))
            .alias("name"),
    ]
}

fn attributed(lf: LazyFrame) -> LazyFrame {
    lf.filter(col("root_sasl_username").is_not_null().or(col("root_uid").is_not_null()))
}

fn after_aggs() -> Vec<Expr> {
    vec![
        len().cast(DataType::UInt64).alias("messages"),
        col("recipients").cast(DataType::UInt64).sum().alias("recipients"),
        (col("final_deferred").gt(lit(0)).or(col("final_bounced").gt(lit(0))))
            .cast(DataType::UInt64)
            .sum()
            .alias("troubled"),
        col("root_client_ip").drop_nulls().n_unique().cast(DataType::UInt64).alias("client_ips"),
        col("root_country").drop_nulls().n_unique().cast(DataType::UInt64).alias("countries"),
        col("first_seen").max().cast(DataType::Int64).alias("last"),
    ]
}

fn queued() -> Expr {
    col("state").eq(lit("queued")).or(col("state").eq(lit("held")))
}

fn whole_input(f: &Frames) -> PolarsResult<HashMap<Who, After>> {
    let grouped = attributed(f.received()).with_columns(identity_exprs()).group_by([col("kind"), col("name")]);
    let df = grouped.agg(after_aggs()).collect()?;
    let queued_df = attributed(f.messages.clone().lazy().filter(queued()))
        .with_columns(identity_exprs())
        .group_by([col("kind"), col("name")])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()?;
    let mut still: HashMap<Who, u64> = HashMap::new();
    let (k, n, c) = (queued_df.column("kind")?.str()?, queued_df.column("name")?.str()?, queued_df.column("n")?.u64()?);
    for i in 0..queued_df.height() {
        if let (Some(k), Some(n)) = (k.get(i), n.get(i)) {
            still.insert(who_of(k, n), c.get(i).unwrap_or(0));
        }
    }
    let mut out = HashMap::new();
    let (k, n) = (df.column("kind")?.str()?, df.column("name")?.str()?);
    for i in 0..df.height() {
        if let (Some(k), Some(n)) = (k.get(i), n.get(i)) {
            let who = who_of(k, n);
            let mut a = after_row(&df, i)?;
            a.still_queued = still.get(&who).copied().unwrap_or(0);
            out.insert(who, a);
        }
    }
    Ok(out)
}

pub(crate) fn who_of(kind: &str, name: &str) -> Who {
    match (kind, name.parse::<u32>()) {
        ("uid", Ok(u)) => Who::Uid(u),
        _ => Who::Account(name.to_string()),
    }
}

fn after_row(df: &DataFrame, i: usize) -> PolarsResult<After> {
    let u = |c: &str| -> PolarsResult<u64> { Ok(df.column(c)?.u64()?.get(i).unwrap_or(0)) };
    Ok(After {
        messages: u("messages")?,
        recipients: u("recipients")?,
        troubled: u("troubled")?,
        client_ips: u("client_ips")?,
        countries: u("countries")?,
        still_queued: 0,
        last: df.column("last")?.i64()?.get(i),
    })
}

/// The messages an identity sent from `t` on, its owner's IPs left out.
pub(crate) fn sent_since(lf: LazyFrame, who: &Who, t: Micros, own_ips: &BTreeSet<String>) -> LazyFrame {
    let mine = match who {
        Who::Account(a) => col("root_sasl_username").eq(lit(a.as_str())),
        Who::Uid(u) => col("root_uid").eq(lit(*u)).and(col("root_sasl_username").is_null()),
    };
    let mut cond = mine.and(col("first_seen").cast(DataType::Int64).gt_eq(lit(t)));
    if !own_ips.is_empty() {
        let own = Series::new("own".into(), own_ips.iter().map(String::as_str).collect::<Vec<_>>());
        cond = cond.and(col("root_client_ip").is_in(lit(own).implode(false), false).fill_null(lit(false)).not());
    }
    lf.filter(cond)
}

fn since(f: &Frames, who: &Who, t: Micros, own_ips: &BTreeSet<String>) -> PolarsResult<After> {
    let df = sent_since(f.received(), who, t, own_ips).select(after_aggs()).collect()?;
    let mut a = if df.height() == 0 { After::default() } else { after_row(&df, 0)? };
    let q = sent_since(f.messages.clone().lazy(), who, t, own_ips).filter(queued()).select([len().alias("n")]);
    a.still_queued = q.collect()?.column("n")?.get(0)?.extract::<u64>().unwrap_or(0);
    Ok(a)
}

/// Times of a datetime column as µs.
pub(crate) fn times(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<Micros>>> {
    Ok(df.column(name)?.cast(&DataType::Int64)?.i64()?.iter().collect())
}

/// A string column, owned.
pub(crate) fn strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(df.column(name)?.cast(&DataType::String)?.str()?.iter().map(|s| s.map(str::to_string)).collect())
}

/// An integer column as u64.
pub(crate) fn numbers(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<u64>>> {
    Ok(df.column(name)?.cast(&DataType::UInt64)?.u64()?.iter().collect())
}
