//! `watch`'s alerts, one line each: text for a terminal or a log (every
//! log string escaped, so that an alert is one line and moves no cursor),
//! or a JSON object per line.

use crate::live::alert::Alert;
use crate::text::{cell, printable};
use std::fmt::Write as _;

/// Longest quoted log line in a text alert.
const QUOTE_MAX: usize = 240;

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
        let ids: Vec<String> = n.queue_ids.iter().map(|q| format!("{}@{}", q.queue_id, printable(&q.host))).collect();
        let _ = write!(o, "; still queued ({}): {}", ids.len(), ids.join(" "));
    }
    if !n.block.is_empty() {
        let _ = write!(o, "; block: {}", n.block.join(" "));
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
