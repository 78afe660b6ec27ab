//! One serde view per concept, so that a suspect (or a quoted line) has the
//! same fields and names wherever it is written: `suspects --format json`,
//! `report.json`.

use super::doc::Quote;
use crate::analyze::suspects::{Line, Suspect, Thresholds};
use crate::source::fetch::Fetched;
use crate::time::{rfc3339_utc, MICROS_PER_SEC};
use serde::Serialize;
use serde_json::{json, Value};

/// A suspect as machines read it.
#[derive(Serialize)]
pub struct SuspectView {
    pub rank: usize,
    pub suspect: String,
    pub kind: &'static str,
    pub score: u32,
    pub flagged: bool,
    pub compromised_at: Option<String>,
    pub basis: Option<&'static str>,
    pub reasons: Vec<Value>,
    pub login: Option<Value>,
    pub volume: Value,
    pub brute_force: Option<Value>,
    pub smoking_gun: Option<Value>,
    pub burst: Option<Value>,
    pub abuse_ended: Option<Value>,
    pub after: Value,
    pub attacker_ips: Vec<String>,
    pub evidence: Vec<Quote>,
}

/// `{time, file, line}` of a log line.
pub fn line(l: &Line) -> Value {
    json!({"time": rfc3339_utc(l.time), "file": l.file, "line": l.line})
}

impl SuspectView {
    /// `s` ranked `rank`, with its evidence quoted (`text` gives a line's
    /// text, and cursor, by file and line).
    pub fn new(rank: usize, s: &Suspect, th: &Thresholds, text: &dyn Fn(&Line) -> Option<Fetched>) -> SuspectView {
        let evidence = s
            .evidence()
            .into_iter()
            .map(|(claim, l)| {
                let (text, cursor) = text(&l).map_or((None, None), |f| (Some(f.text), f.cursor));
                Quote {
                    time: rfc3339_utc(l.time),
                    file: l.file.clone(),
                    line: l.line,
                    claim: Some(claim),
                    text,
                    cursor,
                }
            })
            .collect();
        SuspectView {
            rank,
            suspect: s.who.to_string(),
            kind: s.who.kind(),
            score: s.score,
            flagged: s.is_flagged(th),
            compromised_at: s.since().map(rfc3339_utc),
            basis: s.basis(),
            reasons: s.reasons.iter().map(|r| json!({"points": r.points, "reason": r.text})).collect(),
            login: s.compromise.as_ref().map(|l| {
                json!({
                "time": rfc3339_utc(l.time), "ip": l.ip, "network": l.net, "country": l.country,
                "asn": l.asn, "as_org": l.as_org, "file": l.line.file, "line": l.line.line,
                "new": l.new.describe(), "foreign_country": l.new.foreign})
            }),
            volume: json!({"usual_per_hour": s.volume.usual, "abnormal_from": s.volume.bar,
                "abnormal_hours": s.volume.abnormal.len(), "peak_hour": s.volume.peak,
                "onset": s.onset.as_ref().map(line)}),
            brute_force: s.wave.as_ref().map(|w| {
                json!({"failures": w.failures, "naming_account": w.named,
                "ips": w.ips, "networks": w.networks, "first": line(&w.first), "last": line(&w.last)})
            }),
            smoking_gun: s.gun.as_ref().map(|g| {
                json!({"ip": g.ip, "scope": g.scope, "failures": g.failures,
                "login": line(&g.login), "last_failure": line(&g.last_failure)})
            }),
            burst: s.burst.as_ref().map(|b| {
                json!({"from": rfc3339_utc(b.from), "messages": b.messages,
                "recipients": b.recipients, "seconds": b.lasted / MICROS_PER_SEC,
                "messages_per_hour": b.rate, "usual_per_hour": b.usual,
                "recipients_per_hour": b.recipient_rate, "usual_recipients_per_hour": b.usual_recipients,
                "times_usual": b.times_usual(), "abnormal": b.abnormal, "ips_at_once": b.ips_at_once,
                "new_senders": b.new_senders, "first": b.first.as_ref().map(line)})
            }),
            abuse_ended: s.ended.as_ref().map(|e| {
                let mut v = line(&e.line);
                v["ip"] = json!(e.ip);
                v
            }),
            after: json!({"messages": s.after.messages, "recipients": s.after.recipients,
                "deferred_or_bounced": s.after.troubled, "client_ips": s.after.client_ips,
                "countries": s.after.countries, "still_queued": s.after.still_queued,
                "held": s.after.held, "deleted": s.after.deleted, "rejected_by_cleanup": s.after.rejected,
                "last": s.after.last.map(rfc3339_utc)}),
            attacker_ips: s.attacker_ips.iter().cloned().collect(),
            evidence,
        }
    }
}
