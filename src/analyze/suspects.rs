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
pub mod burst;
pub mod remedy;
pub mod timeline;
pub mod volume;

use super::Frames;
use crate::time::Micros;
use baseline::Login;
use bruteforce::{Failures, Gun, Wave};
use burst::{Burst, Streams};
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
    /// At least one abnormal hour, or a burst: the rate after the compromise
    /// `ratio` × the usual one (see [`super::burst`]).
    pub const VOLUME: u32 = 3;
    /// At least `min_hours` abnormal hours.
    pub const SUSTAINED: u32 = 2;
    /// At least `min_ips` client IPs since the compromise, or
    /// [`super::SPREAD_AT_ONCE`] within [`super::burst::SPREAD_WINDOW`].
    pub const SPREAD: u32 = 2;
    /// At least [`super::FORGED_SENDERS`] envelope senders it never used before.
    pub const FORGED: u32 = 2;
    /// At least [`super::SPREAD_COUNTRIES`] countries since the compromise.
    pub const COUNTRIES: u32 = 1;
    /// At least [`super::TROUBLE_SHARE`] of the messages deferred or bounced.
    pub const TROUBLE: u32 = 1;
    /// At least `min_failures` failed logins naming the account before.
    pub const BRUTE_FORCE: u32 = 2;
    /// A login from an IP or network with `min_failures` failures just
    /// before; or the compromise login, from a source that never failed,
    /// right after a wave naming the account (separate infrastructure).
    pub const SMOKING_GUN: u32 = 2;
}

/// Countries since the compromise that make a botnet (one user travels to
/// one or two).
pub const SPREAD_COUNTRIES: u64 = 3;
/// Client IPs sending as one identity within minutes of each other: a
/// person has one or two devices at a time.
pub const SPREAD_AT_ONCE: u64 = 3;
/// Envelope senders an identity never used before, from its compromise on,
/// that say the senders are forged.
pub const FORGED_SENDERS: u64 = 3;
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
    /// Of those, on hold (`postsuper -h`).
    pub held: u64,
    /// Messages the admin deleted (`postsuper -d`).
    pub deleted: u64,
    /// Messages cleanup rejected (header/body checks, milters): rejects by
    /// the identity, not messages it sent.
    pub rejected: u64,
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
    /// What it sent from the compromise (or onset) on, as rates.
    pub burst: Option<Burst>,
    /// The first failed login from an attacker IP after its last success:
    /// the password was changed, and the abuse window ends there.
    pub ended: Option<Ended>,
    /// Without a compromise: its first login from somewhere new, which
    /// nothing abnormal followed (travel, a new phone).
    pub harmless_login: Option<Login>,
}

/// The end of the abuse: a failed login from an attacker's IP.
#[derive(Clone, Debug, PartialEq)]
pub struct Ended {
    pub ip: String,
    pub line: Line,
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
        if let Some(e) = &self.ended {
            ev.push((
                "failed login from an attacker IP after its logins: the password was changed".into(),
                e.line.clone(),
            ));
        }
        ev.sort_by_key(|(_, l)| l.time);
        ev
    }
}

/// Scores every account and uid that submitted mail, best suspect first.
pub fn suspects(f: &Frames, th: &Thresholds) -> PolarsResult<Vec<Suspect>> {
    let logins = baseline::logins(f)?;
    let failures = Failures::collect(f)?;
    let streams = Streams::collect(f)?;
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
        out.push(assess(profile, mine, &failures, &streams, th));
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
fn assess(volume: Profile, logins: &[&Login], failures: &Failures, streams: &Streams, th: &Thresholds) -> Suspect {
    let who = volume.who.clone();
    let after_wave = |t: Micros| match &who {
        Who::Account(a) => failures.named_before(a, t, th.lookback) >= th.min_failures,
        Who::Uid(_) => false,
    };
    let (compromise, volume, mut burst) = match pick_compromise(logins, &volume, &after_wave, th) {
        Some((l, since)) => (Some(l.clone()), since, None),
        None => match pick_by_burst(logins, streams, &who, &after_wave, th) {
            Some((l, b)) => (Some(l.clone()), volume, Some(b)),
            None => (None, volume, None),
        },
    };
    let since = compromise.as_ref().map(|l| l.time);
    let harmless_login = match compromise {
        Some(_) => None,
        None => logins.iter().find(|l| l.new.class() > 0).or(logins.iter().find(|l| l.new.ip && !l.new.first)),
    }
    .map(|l| (*l).clone());
    let mut onset = volume.onset(since);
    if compromise.is_none() && onset.is_none() {
        burst = streams.change(&who, th.ratio).filter(|b| b.abnormal);
        onset = burst.as_ref().and_then(|b| b.first.clone());
    }
    let until = since.or(onset.as_ref().map(|o| o.time));
    let (baseline_ips, attacker_ips) = split_ips(logins, until);
    if burst.is_none() {
        burst = until.and_then(|t| streams.after(&who, t, &baseline_ips, th.ratio));
    }
    let (wave, gun, ended) = match &who {
        Who::Account(a) => (
            failures.wave(a, until, th.lookback),
            failures.smoking_gun(logins, th),
            until.and_then(|t| ended(failures, a, logins, &attacker_ips, t)),
        ),
        Who::Uid(_) => (None, None, None),
    };
    Suspect {
        who,
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
        burst,
        ended,
        harmless_login,
    }
}

/// The first login from somewhere new that abnormal volume (against the
/// account's usual hour before it) follows within `horizon`, and the
/// account's volume seen from that login.
fn pick_compromise<'a>(
    logins: &[&'a Login],
    volume: &Profile,
    after_wave: &dyn Fn(Micros) -> bool,
    th: &Thresholds,
) -> Option<(&'a Login, Profile)> {
    let found: Vec<(&Login, Profile)> = logins
        .iter()
        .filter(|l| l.new.class() > 0)
        .filter_map(|l| {
            let after = volume.after(l.time, th.ratio);
            let soon = after.abnormal.iter().any(|h| h.start < l.time.saturating_add(th.horizon));
            soon.then_some((*l, after))
        })
        .collect();
    prefer_after_wave(found, |(l, _)| l.time, after_wave).into_iter().next()
}

/// Of candidate compromises, those that follow a brute-force wave naming
/// the account, when any does: in a short log the owner's own first login
/// (before the wave) is as new as the attacker's.
fn prefer_after_wave<T>(found: Vec<T>, time: impl Fn(&T) -> Micros, after_wave: &dyn Fn(Micros) -> bool) -> Vec<T> {
    if found.iter().any(|c| after_wave(time(c))) {
        found.into_iter().filter(|c| after_wave(time(c))).collect()
    } else {
        found
    }
}

/// When no abnormal hour follows a login: the login from an IP new to the
/// account after which its mail from new IPs is a burst (starting within
/// `horizon`), the likeliest change of its rate when several are.
/// Any new IP counts here, even on the account's first day: what follows
/// is the evidence, the novelty alone is not.
fn pick_by_burst<'a>(
    logins: &[&'a Login],
    streams: &Streams,
    who: &Who,
    after_wave: &dyn Fn(Micros) -> bool,
    th: &Thresholds,
) -> Option<(&'a Login, Burst)> {
    let mut found: Vec<(&Login, Burst)> = Vec::new();
    for (i, l) in logins.iter().enumerate().filter(|(_, l)| l.new.ip) {
        let own: BTreeSet<String> = logins[..i].iter().filter(|x| x.time < l.time).map(|x| x.ip.clone()).collect();
        let Some(b) = streams.after(who, l.time, &own, th.ratio) else { continue };
        let soon = b.first.as_ref().is_some_and(|m| m.time < l.time.saturating_add(th.horizon));
        if b.abnormal && soon {
            found.push((l, b));
        }
    }
    let mut found = prefer_after_wave(found, |(l, _)| l.time, after_wave);
    let times: Vec<Micros> = found.iter().map(|(l, _)| l.time).collect();
    let k = streams.likeliest(who, &times)?;
    Some(found.swap_remove(k))
}

/// The first failed login, after `t`, from an IP that logged in as the
/// account from `t` on and never succeeded again after that failure: its
/// old password stopped working.
fn ended(
    failures: &Failures,
    account: &str,
    logins: &[&Login],
    attackers: &BTreeSet<String>,
    t: Micros,
) -> Option<Ended> {
    attackers
        .iter()
        .filter_map(|ip| {
            let last_ok = logins.iter().filter(|l| &l.ip == ip && l.time >= t).map(|l| l.time).max()?;
            let line = failures.first_after(ip, account, last_ok)?;
            Some(Ended { ip: ip.clone(), line })
        })
        .min_by_key(|e| (e.line.time, e.line.line))
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
            // On the account's first day (or first login) a new IP alone is
            // no news; one that starts a burst is.
            1 => add(points::NEW_LOGIN, format!("login from {} ({what})", l.place())),
            _ if !l.new.first => {
                add(points::NEW_LOGIN, format!("login from {} ({what}) that starts the burst", l.place()))
            }
            _ => {}
        }
    }
    volume_reasons(s, th, &mut add);
    let a = &s.after;
    let scope = if s.since().is_some() { "since then" } else { "in all" };
    let at_once = s.burst.as_ref().map_or(0, |b| b.ips_at_once);
    if matches!(s.who, Who::Account(_)) && a.client_ips >= th.min_ips {
        add(points::SPREAD, format!("{} client IPs {scope}", a.client_ips));
    } else if matches!(s.who, Who::Account(_)) && s.since().is_some() && at_once >= SPREAD_AT_ONCE {
        let window = human_span(burst::SPREAD_WINDOW);
        add(points::SPREAD, format!("{at_once} client IPs sending as it within {window}"));
    }
    if a.countries >= SPREAD_COUNTRIES {
        add(points::COUNTRIES, format!("{} countries {scope}", a.countries));
    }
    if let Some(b) = s.burst.as_ref().filter(|b| s.since().is_some() && b.new_senders >= FORGED_SENDERS) {
        add(points::FORGED, format!("{} envelope senders it never used before (forged senders)", b.new_senders));
    }
    if a.messages >= TROUBLE_MIN_MESSAGES && a.troubled_share() >= TROUBLE_SHARE {
        add(
            points::TROUBLE,
            format!("{:.0}% of {} messages deferred or bounced", a.troubled_share() * 100.0, a.messages),
        );
    }
    let wave = s.wave.as_ref().filter(|w| w.named >= th.min_failures);
    if let Some(w) = wave {
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
    } else if let (Some(w), Some(l)) = (wave, &s.compromise) {
        if w.last.time <= l.time && !w.addresses.contains(&l.ip) {
            add(
                points::SMOKING_GUN,
                format!(
                    "login from {}, which never failed, {} after the wave (separate infrastructure)",
                    l.ip,
                    human_span(l.time - w.last.time)
                ),
            );
        }
    }
    notes(s, th, &mut add);
    r
}

/// Zero-point reasons: what stands out but is explained, so that `--all`
/// shows why an identity was not flagged.
fn notes(s: &Suspect, th: &Thresholds, add: &mut dyn FnMut(u32, String)) {
    if let Some(l) = &s.harmless_login {
        add(0, format!("login from {} ({}), with no abnormal volume after it", l.place(), l.new.describe()));
    }
    if let Some(w) = s.wave.as_ref().filter(|w| w.named < th.min_failures) {
        add(0, format!("{} naming it (fewer than {})", counted(w.named, "failed login"), th.min_failures));
    }
    let quiet = s.since().is_none();
    if quiet && matches!(s.who, Who::Uid(_)) {
        add(0, format!("{} through pickup, no abnormal hour or burst", counted(s.after.messages, "message")));
    }
}

/// Abnormal hours, or else a burst of rate: one [`points::VOLUME`].
fn volume_reasons(s: &Suspect, th: &Thresholds, add: &mut dyn FnMut(u32, String)) {
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
    } else if let Some(b) = s.burst.as_ref().filter(|b| b.abnormal) {
        add(
            points::VOLUME,
            format!(
                "burst: {} messages to {} recipients in {}, {:.0}× the usual rate ({:.1} messages an hour)",
                b.messages,
                b.recipients,
                human_span(b.lasted),
                b.times_usual(),
                b.usual
            ),
        );
    }
}

/// `1 message`, `2 messages`.
fn counted(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `3m 10s`, `2h 5m`, `1d 3h`: the two largest units.
pub fn human_span(t: Micros) -> String {
    let secs = (t / 1_000_000).max(0);
    let units = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let parts: Vec<String> = units
        .iter()
        .scan(secs, |left, &(size, name)| {
            let n = *left / size;
            *left %= size;
            Some((n, name))
        })
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, name)| format!("{n}{name}"))
        .collect();
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
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

/// What [`After`] counts of received messages: the accepted ones as sent,
/// the ones cleanup rejected as rejects.
fn after_aggs() -> Vec<Expr> {
    let ok = || col("state").neq(lit("rejected"));
    let count = |e: Expr| e.cast(DataType::UInt64).sum();
    vec![
        count(ok()).alias("messages"),
        col("recipients").filter(ok()).cast(DataType::UInt64).sum().alias("recipients"),
        count(ok().and(col("final_deferred").gt(lit(0)).or(col("final_bounced").gt(lit(0))))).alias("troubled"),
        col("root_client_ip").filter(ok()).drop_nulls().n_unique().cast(DataType::UInt64).alias("client_ips"),
        col("root_country").filter(ok()).drop_nulls().n_unique().cast(DataType::UInt64).alias("countries"),
        count(ok().not()).alias("rejected"),
        col("first_seen").filter(ok()).max().cast(DataType::Int64).alias("last"),
    ]
}

/// What [`After`] counts of queue files (content-filter copies too): what
/// `postsuper` acts on.
fn queue_aggs() -> Vec<Expr> {
    let count = |state: &str| col("state").eq(lit(state)).cast(DataType::UInt64).sum();
    vec![
        (count("queued") + count("held")).alias("still_queued"),
        count("held").alias("held"),
        count("deleted").alias("deleted"),
    ]
}

fn whole_input(f: &Frames) -> PolarsResult<HashMap<Who, After>> {
    let by_who = |lf: LazyFrame, aggs: Vec<Expr>| {
        attributed(lf).with_columns(identity_exprs()).group_by([col("kind"), col("name")]).agg(aggs).collect()
    };
    let df = by_who(f.received(), after_aggs())?;
    let files = by_who(f.messages.clone().lazy(), queue_aggs())?;
    let mut out: HashMap<Who, After> = HashMap::new();
    for (df, fill) in [(&df, after_row as fn(&DataFrame, usize, &mut After) -> PolarsResult<()>), (&files, queue_row)] {
        let (k, n) = (df.column("kind")?.str()?, df.column("name")?.str()?);
        for i in 0..df.height() {
            if let (Some(k), Some(n)) = (k.get(i), n.get(i)) {
                fill(df, i, out.entry(who_of(k, n)).or_default())?;
            }
        }
    }
    out.retain(|_, a| a.messages + a.rejected > 0);
    Ok(out)
}

pub(crate) fn who_of(kind: &str, name: &str) -> Who {
    match (kind, name.parse::<u32>()) {
        ("uid", Ok(u)) => Who::Uid(u),
        _ => Who::Account(name.to_string()),
    }
}

fn after_row(df: &DataFrame, i: usize, a: &mut After) -> PolarsResult<()> {
    let u = |c: &str| -> PolarsResult<u64> { Ok(df.column(c)?.u64()?.get(i).unwrap_or(0)) };
    (a.messages, a.recipients, a.troubled) = (u("messages")?, u("recipients")?, u("troubled")?);
    (a.client_ips, a.countries, a.rejected) = (u("client_ips")?, u("countries")?, u("rejected")?);
    a.last = df.column("last")?.i64()?.get(i);
    Ok(())
}

fn queue_row(df: &DataFrame, i: usize, a: &mut After) -> PolarsResult<()> {
    let u = |c: &str| -> PolarsResult<u64> { Ok(df.column(c)?.u64()?.get(i).unwrap_or(0)) };
    (a.still_queued, a.held, a.deleted) = (u("still_queued")?, u("held")?, u("deleted")?);
    Ok(())
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
    let mut a = After::default();
    let df = sent_since(f.received(), who, t, own_ips).select(after_aggs()).collect()?;
    if df.height() > 0 {
        after_row(&df, 0, &mut a)?;
    }
    let files = sent_since(f.messages.clone().lazy(), who, t, own_ips).select(queue_aggs()).collect()?;
    if files.height() > 0 {
        queue_row(&files, 0, &mut a)?;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_their_two_largest_units() {
        let s = 1_000_000;
        assert_eq!(human_span(0), "0s");
        assert_eq!(human_span(13 * s), "13s");
        assert_eq!(human_span(76 * s), "1m 16s");
        assert_eq!(human_span(3600 * s), "1h");
        assert_eq!(human_span((3600 + 5 * 60 + 9) * s), "1h 5m");
        assert_eq!(human_span((86_400 + 3 * 3600) * s), "1d 3h");
        assert_eq!(human_span(-5 * s), "0s");
    }

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(counted(1, "failed login"), "1 failed login");
        assert_eq!(counted(2, "message"), "2 messages");
    }
}
