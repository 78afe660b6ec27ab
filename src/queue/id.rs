//! Queue IDs as Postfix names its queue files. A [`QueueId`] exists only
//! once its syntax is checked: it is what may reach `postsuper -d -`, where
//! a file name from the spool (written by whoever could write there) may not.
//!
//! Short IDs are upper-case hex: the enqueue time's microseconds (five
//! digits), then the inode. Long IDs (`enable_long_queue_ids = yes`) are in
//! Postfix's "safe" alphabet (digits and consonants): the enqueue time in
//! seconds (base 52, at least six characters), its microseconds (base 52,
//! exactly four), `z`, then the inode (base 51, so without `z`). The time in
//! a long ID is when the file was created: for a message requeued with
//! `postsuper -r`, the requeue, not the arrival.

use crate::time::{Micros, MICROS_PER_SEC};
use std::fmt;

/// Digits, then the upper- and lower-case consonants: Postfix's
/// `safe_ultostr` alphabet. The first 51 are the inode's base 51.
const SAFE: &[u8; 52] = b"0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";

/// Longest ID accepted: a 64-bit inode in base 16 is 16 digits, plus 5 for
/// the microseconds; in base 51, 12 characters after 11 of time and the `z`.
const MAX_LEN: usize = 32;

/// A syntactically valid queue ID.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueId(String);

impl QueueId {
    /// `s` as a queue ID, if it is one.
    pub fn parse(s: &str) -> Option<QueueId> {
        (is_short(s) || long_parts(s).is_some()).then(|| QueueId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_long(&self) -> bool {
        !is_short(&self.0)
    }

    /// When a long ID's file was created (µs since the epoch); short IDs
    /// hold only the microseconds.
    pub fn created(&self) -> Option<Micros> {
        let (secs, usecs, _) = long_parts(&self.0)?;
        secs.checked_mul(MICROS_PER_SEC)?.checked_add(usecs)
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_short(s: &str) -> bool {
    (6..=21).contains(&s.len()) && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'))
}

fn digit(c: u8, base: usize) -> Option<i64> {
    SAFE[..base].iter().position(|&d| d == c).map(|p| p as i64)
}

fn number(s: &[u8], base: usize) -> Option<i64> {
    s.iter().try_fold(0i64, |n, &c| n.checked_mul(base as i64)?.checked_add(digit(c, base)?))
}

/// Seconds, microseconds and inode of a long ID. The separator is the last
/// `z`: the inode part has none, the time part may.
fn long_parts(s: &str) -> Option<(i64, i64, i64)> {
    let b = s.as_bytes();
    if b.len() > MAX_LEN {
        return None;
    }
    let z = b.iter().rposition(|&c| c == b'z')?;
    let (time, inode) = (&b[..z], &b[z + 1..]);
    if time.len() < 10 || inode.is_empty() {
        return None;
    }
    let (secs, usecs) = time.split_at(time.len() - 4);
    let usecs = number(usecs, 52)?;
    (usecs < MICROS_PER_SEC).then_some(())?;
    Some((number(secs, 52)?, usecs, number(inode, 51)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long() {
        let short = QueueId::parse("CC034D8174").unwrap();
        assert!(!short.is_long());
        assert_eq!(short.created(), None);
        // Written by the fixtures' Postfix at 2026-12-04T21:46:14Z
        // (its create_time; postsuper -r requeued it then).
        let long = QueueId::parse("4jh4nL6Qxgz6f94").unwrap();
        assert!(long.is_long());
        let t = long.created().unwrap();
        assert_eq!(t / MICROS_PER_SEC, 1_796_420_774);
        assert!(t % MICROS_PER_SEC < MICROS_PER_SEC);
    }

    #[test]
    fn refuses_what_is_not_an_id() {
        for bad in [
            "",
            "cc034d8174",
            "ABC",
            "../../etc/passwd",
            "CC034D8174\n",
            "4jh4nL6Qxgz",
            "4jh4nL6Qxgza",
            "4jh4nz6Qxg",
            "-d ALL",
            "4jh4nL6Qxgz6f9é",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz1",
        ] {
            assert_eq!(QueueId::parse(bad), None, "{bad:?}");
        }
        // A microseconds part of a million or more is no time.
        assert_eq!(QueueId::parse("000000zzzzz1"), None);
    }
}
