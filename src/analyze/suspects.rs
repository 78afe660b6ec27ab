//! `suspects`: which SASL account (cracked password) or local uid (hacked
//! script) was taken over, since when, and the log lines that say so.
//!
//! The method, in the order an admin would reason:
//!
//! 1. **Volume**, at the time scale the input covers: abnormal *hours*
//!    ([`volume`]: each identity's messages per hour against its usual busy
//!    hour, the 90th percentile, or the day or more before a long burst),
//!    and, for inputs too short for hours, a *burst* ([`burst`]: the rate
//!    of messages and recipients from a moment on against the identity's
//!    own rate before it and a typical account's, over at least minutes).
//! 2. **Where logins come from** ([`baseline`]): every successful login,
//!    in time order, marked with what was new about it for that account (IP,
//!    network, ASN, country) and whether other accounts use that country.
//! 3. **The compromise** is the first successful login from somewhere new
//!    that is followed (within `horizon`) by abnormal volume, measured
//!    against the account's usual volume *before that login*; when a
//!    brute-force wave names the account, the first such login after it (in
//!    a short log the owner's own first login is as new as the attacker's).
//!    Without such a login (a uid; a webmail on 127.0.0.1), the start of the
//!    abnormal volume stands in for it.
//! 4. **Brute force** ([`bruteforce`]): auth failures naming the account in
//!    the `lookback` before the compromise, however few per source, the wave
//!    they belong to, a login from an IP or network that was failing just
//!    before (the smoking gun), and the attacker's failed retries after the
//!    password was changed (the end of the abuse).
//! 5. **Score** ([`score`]): points for each independent piece of evidence
//!    (see [`points`]); an identity at or above the threshold is a suspect.
//!    What it did from the compromise on is in [`after`].
//!
//! Everything is learned from the input itself: no list of "bad" countries,
//! no external reputation.

pub mod after;
pub mod baseline;
pub mod bruteforce;
pub mod burst;
pub mod queued;
pub mod remedy;
pub mod score;
pub mod timeline;
pub mod volume;

pub use after::After;
pub(crate) use after::{identity_exprs, numbers, sent_since, strings, times, who_of};
pub use score::{counted, human_span, points, FORGED_SENDERS, SPREAD_AT_ONCE, SPREAD_COUNTRIES, TROUBLE_SHARE};

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
    /// The first auth failure from an attacker IP after its last success:
    /// the password was changed, and the abuse window ends there.
    pub ended: Option<Ended>,
    /// Without a compromise: its first login from somewhere new, which
    /// nothing abnormal followed (travel, a new phone).
    pub harmless_login: Option<Login>,
}

/// The end of the abuse: an auth failure from an attacker's IP.
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
            ev.push(("first auth failure naming the account".into(), w.first_named.clone()));
            if w.last_named != w.first_named {
                ev.push(("last auth failure naming the account".into(), w.last_named.clone()));
            }
        }
        if let Some(g) = &self.gun {
            ev.push((format!("auth failure from the same {} just before a success", g.scope), g.last_failure.clone()));
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
                "auth failure from an attacker IP after its logins: the password was changed".into(),
                e.line.clone(),
            ));
        }
        ev.sort_by_key(|(_, l)| l.time);
        ev
    }
}

/// Scores every account and uid that submitted mail, best suspect first.
pub fn suspects(f: &Frames, th: &Thresholds) -> PolarsResult<Vec<Suspect>> {
    Ok(suspects_learned(f, th)?.0)
}

/// What scoring learned of the frames besides the suspects: `watch`'s own
/// checks ask the same of every login and auth failure.
pub struct Learned {
    pub logins: Vec<Login>,
    pub failures: Failures,
}

/// [`suspects`], and what was learned on the way.
pub fn suspects_learned(f: &Frames, th: &Thresholds) -> PolarsResult<(Vec<Suspect>, Learned)> {
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
    after::fill_after(f, &mut out)?;
    for s in &mut out {
        s.reasons = score::score(s, th);
        s.score = s.reasons.iter().map(|r| r.points).sum();
    }
    out.sort_by(|a, b| b.score.cmp(&a.score).then(b.after.messages.cmp(&a.after.messages)).then(a.who.cmp(&b.who)));
    Ok((out, Learned { logins, failures }))
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
/// is the evidence, the novelty alone is not. The account's first login in
/// the input has no history to be abnormal against (a busy newsletter
/// account in a freshly rotated log would be a burst): there, the volume
/// must also come from several IPs at once.
fn pick_by_burst<'a>(
    logins: &[&'a Login],
    streams: &Streams,
    who: &Who,
    after_wave: &dyn Fn(Micros) -> bool,
    th: &Thresholds,
) -> Option<(&'a Login, Burst)> {
    let mut found: Vec<(&Login, Burst)> = Vec::new();
    // The IPs of the logins before each one (logins are in time order).
    let (mut own, mut known) = (BTreeSet::new(), 0);
    for l in logins.iter().filter(|l| l.new.ip) {
        while known < logins.len() && logins[known].time < l.time {
            own.insert(logins[known].ip.clone());
            known += 1;
        }
        let Some(b) = streams.after(who, l.time, &own, th.ratio) else { continue };
        let soon = b.first.as_ref().is_some_and(|m| m.time < l.time.saturating_add(th.horizon));
        let spread = !l.new.first || b.ips_at_once >= SPREAD_AT_ONCE;
        if b.abnormal && soon && spread {
            found.push((l, b));
        }
    }
    let mut found = prefer_after_wave(found, |(l, _)| l.time, after_wave);
    let times: Vec<Micros> = found.iter().map(|(l, _)| l.time).collect();
    let k = streams.likeliest(who, &times)?;
    Some(found.swap_remove(k))
}

/// The first auth failure, after `t`, from an IP that logged in as the
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
