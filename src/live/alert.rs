//! The memory of the alerts sent: one per suspect per hour (of log time)
//! unless it escalates.

use crate::time::Micros;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What an alert was about, to tell whether the next one escalates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sent {
    /// Log time it was sent at.
    pub at: Micros,
    pub score: u32,
    pub kinds: BTreeSet<String>,
    pub compromised_at: Option<Micros>,
}

/// The alerts sent, by suspect (`""` for the whole server): kept in the
/// state file, so that a restart does not send them again.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Memory {
    sent: BTreeMap<String, Sent>,
}

/// How often an alert about one suspect is repeated while nothing changes.
pub const REPEAT: Micros = crate::analyze::suspects::HOUR;

impl Memory {
    /// Why an alert about `key` with `now` is to be sent, or `None` when it
    /// is not: one was sent less than [`REPEAT`] ago, and this one does not
    /// escalate (a score higher than any sent, a kind of evidence never
    /// sent: evidence that comes and goes, as a rate over a sliding window
    /// does, is news the first time only; another compromise time).
    /// Remembers it when sent.
    pub fn admit(&mut self, key: &str, now: Sent) -> Option<String> {
        let Some(last) = self.sent.get(key) else {
            self.sent.insert(key.to_string(), now);
            return Some("new".into());
        };
        let new_kinds: Vec<&str> = now.kinds.iter().filter(|k| !last.kinds.contains(*k)).map(String::as_str).collect();
        let because = if now.score > last.score {
            format!("higher score (was {})", last.score)
        } else if !new_kinds.is_empty() {
            format!("new evidence: {}", new_kinds.join(", "))
        } else if now.compromised_at.is_some() && now.compromised_at != last.compromised_at {
            "new compromise time".to_string()
        } else if now.at >= last.at.saturating_add(REPEAT) {
            "still going".to_string()
        } else {
            return None;
        };
        let mut kinds = now.kinds;
        kinds.extend(last.kinds.iter().cloned());
        let merged = Sent {
            at: now.at,
            score: now.score.max(last.score),
            kinds,
            compromised_at: now.compromised_at.or(last.compromised_at),
        };
        self.sent.insert(key.to_string(), merged);
        Some(because)
    }

    /// The compromise time last alerted for `key`.
    pub fn compromised_at(&self, key: &str) -> Option<Micros> {
        self.sent.get(key).and_then(|s| s.compromised_at)
    }

    /// Forgets what was sent before `cutoff` (the window's start): a
    /// memory bounded like the window.
    pub fn forget_before(&mut self, cutoff: Micros) {
        self.sent.retain(|_, s| s.at >= cutoff);
    }

    pub fn len(&self) -> usize {
        self.sent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sent.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(at: Micros, score: u32, kinds: &[&str]) -> Sent {
        Sent { at, score, kinds: kinds.iter().map(|k| k.to_string()).collect(), compromised_at: Some(5) }
    }

    #[test]
    fn once_an_hour_unless_it_escalates() {
        let mut m = Memory::default();
        assert_eq!(m.admit("a", sent(0, 7, &["suspect"])).as_deref(), Some("new"));
        assert_eq!(m.admit("a", sent(10, 7, &["suspect"])), None);
        assert_eq!(m.admit("a", sent(20, 6, &["suspect"])), None, "a lower score is no news");
        assert_eq!(m.admit("a", sent(30, 9, &["suspect"])).as_deref(), Some("higher score (was 7)"));
        assert_eq!(m.admit("a", sent(40, 9, &["suspect", "burst"])).as_deref(), Some("new evidence: burst"));
        assert_eq!(m.admit("a", sent(50, 9, &["suspect"])), None);
        assert_eq!(m.admit("a", sent(55, 9, &["suspect", "burst"])), None, "seen before");
        assert_eq!(m.admit("a", sent(50 + REPEAT, 9, &["suspect"])).as_deref(), Some("still going"));
        assert_eq!(m.admit("b", sent(60, 1, &[])).as_deref(), Some("new"));
        let mut moved = sent(70 + REPEAT, 9, &["suspect"]);
        moved.compromised_at = Some(6);
        assert_eq!(m.admit("a", moved).as_deref(), Some("new compromise time"));
        m.forget_before(61);
        assert_eq!(m.len(), 1);
    }
}
