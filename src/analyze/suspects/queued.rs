//! The suspects' messages in the live queue: what the log says was
//! compromised, joined with what the queue holds now. A queued message is a
//! suspect's when the queue file names its SASL account (or, for a uid,
//! pickup's `Received:` header names its uid) and it arrived from the
//! compromise on: the owner's own mail from before stays out of
//! `postsuper -d`.

use super::{Suspect, Who};
use crate::queue::spool::Queued;

/// The suspect among `chosen` whose message `q` is, if any.
pub fn owner<'a>(chosen: &[&'a Suspect], q: &Queued) -> Option<&'a Suspect> {
    chosen.iter().copied().find(|s| is_theirs(s, q))
}

fn is_theirs(s: &Suspect, q: &Queued) -> bool {
    let same = match &s.who {
        // Postfix compares SASL names as the backend does; the log and
        // the queue file hold the same text, case aside.
        Who::Account(name) => q.file.attribute("sasl_username").is_some_and(|u| u.eq_ignore_ascii_case(name)),
        Who::Uid(uid) => q.uid() == Some(*uid),
    };
    // A message whose arrival is unknown is kept out: it cannot be told
    // from the owner's own mail.
    let after = match (s.since(), q.arrival()) {
        (Some(since), Some(arrived)) => arrived >= since,
        (None, Some(_)) => true,
        (_, None) => false,
    };
    same && after
}

/// Per suspect, in `chosen`'s order: how many of its messages wait, in
/// which queues, and since when.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Waiting {
    pub messages: u64,
    pub deferred: u64,
    pub hold: u64,
    /// incoming, active and maildrop: on their way.
    pub moving: u64,
    pub oldest: Option<i64>,
}

/// [`Waiting`] of each of `chosen` among `queued` (the messages a scan
/// kept with [`owner`]).
pub fn waiting(chosen: &[&Suspect], queued: &[Queued]) -> Vec<Waiting> {
    let mut out = vec![Waiting::default(); chosen.len()];
    for q in queued {
        let Some(i) = chosen.iter().position(|s| is_theirs(s, q)) else { continue };
        let w = &mut out[i];
        w.messages += 1;
        match q.queue {
            "deferred" => w.deferred += 1,
            "hold" => w.hold += 1,
            _ => w.moving += 1,
        }
        if let Some(t) = q.arrival() {
            w.oldest = Some(w.oldest.map_or(t, |o| o.min(t)));
        }
    }
    out
}
