//! `watch`'s alerts: the data (what `--format json` writes and `--exec`
//! reads), and one line each: text for a terminal or a log (every log
//! string escaped, so that an alert is one line and moves no cursor), or a
//! JSON object per line.

use super::doc::Quote;
use crate::text::{cell, printable};
use serde::Serialize;
use std::fmt::Write as _;

/// One alert, as `--format json` writes it and `--exec` reads it.
#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    /// `suspect` (the `suspects` rules flag it) or `signal` (an absolute
    /// threshold only).
    pub alert: &'static str,
    /// The newest log line's time when it was found.
    pub at: String,
    /// The account or `uid=N`; none for the whole server.
    pub suspect: Option<String>,
    /// `account` or `uid`.
    pub kind: Option<&'static str>,
    /// Why it is sent now: `new`, `higher score`, `new evidence: …`,
    /// `new compromise time`, `still going` (an hour on).
    pub because: String,
    pub score: Option<u32>,
    pub threshold: Option<u32>,
    pub compromised_at: Option<String>,
    /// `login` or `volume`: how the compromise time was found.
    pub basis: Option<&'static str>,
    /// The compromise login: IP, network, country, ASN, file and line.
    pub login: Option<serde_json::Value>,
    /// Every threshold crossed.
    pub crossed: Vec<Crossed>,
    pub reasons: Vec<Reason>,
    pub evidence: Vec<Quote>,
    pub next_steps: NextSteps,
    /// The newest line read when it was found.
    pub seen_through: Option<Seen>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Crossed {
    /// `score`, `messages`, `recipients`, `client-ips`, …
    pub what: String,
    pub value: f64,
    pub threshold: f64,
    /// The stretch of log `value` is counted over, in seconds, if any.
    pub over_seconds: Option<i64>,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Reason {
    pub points: u32,
    pub reason: String,
}

/// What to do next; postsleuth does none of it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NextSteps {
    /// The suspect's messages still queued or held, each a queue ID by its
    /// syntax: for `postsuper -h` (hold) or `postsuper -d` (delete) on
    /// their host.
    pub queue_ids: Vec<QueuedId>,
    /// Attacker addresses and networks (CIDR), for a firewall or a Postfix
    /// CIDR access table.
    pub block: Vec<String>,
    /// The time to review, as `--since`/`--until`.
    pub review: Option<[String; 2]>,
    /// The commands `suspects` prints, for this log.
    pub commands: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct QueuedId {
    pub host: String,
    pub queue_id: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Seen {
    pub time: String,
    pub file: String,
    pub line: u64,
}

/// Longest quoted log line in a text alert.
const QUOTE_MAX: usize = 240;
/// Queue IDs and networks a text alert lists (the JSON has them all).
const LIST_MAX: usize = 10;

/// ` …` when a list of `n` was cut.
fn more(n: usize) -> &'static str {
    if n > LIST_MAX {
        " …"
    } else {
        ""
    }
}

/// The alert as one line of text (no newline at the end).
pub fn text(a: &Alert) -> String {
    let mut o = String::from("postsleuth ALERT ");
    let _ = write!(o, "{} {}", a.at, a.alert);
    if let (Some(who), Some(kind)) = (&a.suspect, a.kind) {
        let _ = write!(o, " {} ({kind})", printable(who));
    } else {
        o.push_str(" server");
    }
    if let (Some(score), Some(th)) = (a.score, a.threshold) {
        let _ = write!(o, " score {score} (threshold {th})");
    }
    let _ = write!(o, " [{}]", printable(&a.because));
    if let Some(t) = &a.compromised_at {
        let _ = write!(o, ": compromised {t}");
        if let Some(l) = &a.login {
            let place = l["place"].as_str().unwrap_or("?");
            let file = l["file"].as_str().unwrap_or("?");
            let _ = write!(o, " by a login from {}, {}:{}", printable(place), printable(file), l["line"]);
        } else {
            match a.basis {
                Some("volume") => o.push_str(" (the start of its abnormal volume)"),
                Some(b) => {
                    let _ = write!(o, " ({b})");
                }
                None => {}
            }
        }
    }
    let crossed: Vec<String> = a.crossed.iter().map(|c| printable(&c.detail).into_owned()).collect();
    let _ = write!(o, "; crossed: {}", crossed.join(", "));
    if !a.reasons.is_empty() {
        let reasons: Vec<String> =
            a.reasons.iter().map(|r| format!("+{} {}", r.points, printable(&r.reason))).collect();
        let _ = write!(o, "; reasons: {}", reasons.join("; "));
    }
    for q in &a.evidence {
        let claim = q.claim.as_deref().map(printable).unwrap_or_default();
        let text = q.text.as_deref().map_or_else(|| "(no longer readable)".into(), |t| cell(t, QUOTE_MAX));
        let _ = write!(o, "; evidence {}:{} ({claim}) \"{text}\"", printable(&q.file), q.line);
    }
    let n = &a.next_steps;
    if !n.queue_ids.is_empty() {
        let ids: Vec<String> =
            n.queue_ids.iter().take(LIST_MAX).map(|q| format!("{}@{}", q.queue_id, printable(&q.host))).collect();
        let _ = write!(o, "; still queued ({}): {}{}", n.queue_ids.len(), ids.join(" "), more(n.queue_ids.len()));
    }
    if !n.block.is_empty() {
        let cidrs: Vec<&str> = n.block.iter().take(LIST_MAX).map(String::as_str).collect();
        let _ = write!(o, "; block ({}): {}{}", n.block.len(), cidrs.join(" "), more(n.block.len()));
    }
    if let Some([since, until]) = &n.review {
        let _ = write!(o, "; review: --since {since} --until {until}");
    }
    for c in &n.commands {
        let _ = write!(o, "; next: {}", printable(c));
    }
    o
}

/// The alert as one line of JSON (no newline at the end).
pub fn json(a: &Alert) -> String {
    // Serialising plain structs of strings and numbers cannot fail; an
    // empty object says so should it ever.
    serde_json::to_string(a).unwrap_or_else(|_| "{}".into())
}
