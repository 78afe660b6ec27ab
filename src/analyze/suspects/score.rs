//! The score: points for each independent piece of evidence, with the
//! figures behind them as the reasons people read, and zero-point notes
//! for what stands out but is explained.

use super::{burst, Reason, Suspect, Thresholds, Who};
use crate::time::Micros;

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
    /// At least `min_failures` auth failures naming the account before.
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

/// The evidence, as points with the figures behind them.
pub fn score(s: &Suspect, th: &Thresholds) -> Vec<Reason> {
    let mut r = Vec::new();
    let mut add = |points: u32, text: String| r.push(Reason { points, text });
    if let Some(l) = &s.compromise {
        let what = l.new.describe();
        match l.new.class() {
            2 => {
                add(points::FOREIGN_LOGIN, format!("login from {}: {what}, a country no other account uses", l.place()))
            }
            // On the account's first day (or first login) a new IP alone is
            // no news; one that starts a burst is.
            1 => add(points::NEW_LOGIN, format!("login from {}: {what}", l.place())),
            _ if !l.new.first => {
                add(points::NEW_LOGIN, format!("login from {}: {what}, and the burst starts", l.place()))
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
            format!("{} auth failures naming it {when} ({} in the wave, from {} IPs)", w.named, w.failures, w.ips),
        );
    }
    if let Some(g) = &s.gun {
        add(
            points::SMOKING_GUN,
            format!("login from {} after {} auth failures from the same {}", g.ip, g.failures, g.scope),
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
        add(0, format!("login from {}: {}, with no abnormal volume after it", l.place(), l.new.describe()));
    }
    if let Some(w) = s.wave.as_ref().filter(|w| w.named < th.min_failures) {
        add(0, format!("{} naming it (fewer than {})", counted(w.named, "auth failure"), th.min_failures));
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
pub fn counted(n: u64, word: &str) -> String {
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
        assert_eq!(counted(1, "auth failure"), "1 auth failure");
        assert_eq!(counted(2, "message"), "2 messages");
    }
}
