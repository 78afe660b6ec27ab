//! Postfix queue IDs, built the way Postfix builds them.
//!
//! Short IDs are `%05X` of the microseconds at queue-file creation followed by
//! the file's inode number in hex; long IDs (`enable_long_queue_ids = yes`)
//! are base-52 seconds (6 chars), base-52 microseconds (4 chars), `z`, and the
//! inode in base 51. Building them from the event time keeps them honest: an
//! analyzer may decode a long ID's arrival time and compare.

use std::collections::{HashSet, VecDeque};

use super::rng::Rng;

/// Postfix's `safe_chars`: digits and letters without vowels. Base 51 uses the
/// first 51 of them, so an inode part never contains the `z` separator.
const SAFE: &[u8; 52] = b"0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";

/// How many recently removed short IDs stay candidates for reuse.
const REUSE_WINDOW: usize = 256;

/// Fixed-size queue ID: copied into every flow, so it must not allocate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Qid {
    bytes: [u8; 16],
    len: u8,
}

impl Qid {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The bytes packed into one integer, for the set of live IDs. Unique
    /// because IDs contain no NUL bytes.
    fn key(&self) -> u128 {
        u128::from_le_bytes(self.bytes)
    }

    fn push(&mut self, c: u8) {
        self.bytes[usize::from(self.len)] = c;
        self.len += 1;
    }

    fn push_hex(&mut self, value: u64, width: usize) {
        let digits = 64 - value.leading_zeros() as usize;
        let width = width.max(digits.div_ceil(4)).max(1);
        for i in (0..width).rev() {
            self.push(b"0123456789ABCDEF"[((value >> (4 * i)) & 15) as usize]);
        }
    }

    fn push_safe(&mut self, mut value: u64, base: u64, pad: usize) {
        let mut tmp = [0u8; 16];
        let mut n = 0;
        while value > 0 || n < pad.max(1) {
            tmp[n] = SAFE[(value % base) as usize];
            value /= base;
            n += 1;
        }
        for &c in tmp[..n].iter().rev() {
            self.push(c);
        }
    }
}

/// Hands out queue IDs that are unique among messages still in the queue.
pub(crate) struct QidGen {
    long: bool,
    live: HashSet<u128>,
    /// Recently removed short IDs, oldest first.
    freed: VecDeque<Qid>,
    /// Base of the inode band the queue directory's files come from.
    inode_base: u64,
    /// How many IDs were handed out again after their earlier message was removed.
    pub(crate) reuses: u64,
}

impl QidGen {
    pub(crate) fn new(long: bool, rng: &mut Rng) -> Self {
        // Straddle 0xFFFFF/0x100000 so both 10- and 11-character short IDs appear.
        let inode_base = 0xF_0000 + rng.below(0x8000);
        QidGen { long, live: HashSet::new(), freed: VecDeque::new(), inode_base, reuses: 0 }
    }

    /// A new ID for a queue file created at time `t` (µs).
    pub(crate) fn alloc(&mut self, rng: &mut Rng, t: i64) -> Qid {
        if !self.long && rng.chance(0.003) {
            if let Some(q) = self.reuse(rng) {
                return q;
            }
        }
        loop {
            let q = self.fresh(rng, t);
            if self.live.insert(q.key()) {
                return q;
            }
        }
    }

    /// The queue file is gone (`removed`): its ID may come back later.
    pub(crate) fn free(&mut self, q: Qid) {
        self.live.remove(&q.key());
        if !self.long {
            if self.freed.len() == REUSE_WINDOW {
                self.freed.pop_front();
            }
            self.freed.push_back(q);
        }
    }

    fn reuse(&mut self, rng: &mut Rng) -> Option<Qid> {
        if self.freed.is_empty() {
            return None;
        }
        let q = self.freed[rng.index(self.freed.len())];
        if !self.live.insert(q.key()) {
            return None;
        }
        self.reuses += 1;
        Some(q)
    }

    fn inode(&self, rng: &mut Rng) -> u64 {
        // Mostly the busy band; a few files from a far part of the filesystem
        // give the occasional 12-character ID.
        if rng.chance(0.02) {
            0x1A3_0000 + rng.below(0x1_0000)
        } else {
            self.inode_base + rng.below(0x2_0000)
        }
    }

    fn fresh(&self, rng: &mut Rng, t: i64) -> Qid {
        let mut q = Qid { bytes: [0; 16], len: 0 };
        let (sec, usec) = (t.div_euclid(1_000_000) as u64, t.rem_euclid(1_000_000) as u64);
        let inode = self.inode(rng);
        if self.long {
            q.push_safe(sec, 52, 6);
            q.push_safe(usec, 52, 4);
            q.push(b'z');
            q.push_safe(inode, 51, 0);
        } else {
            q.push_hex(usec, 5);
            q.push_hex(inode, 0);
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &[u8], base: u64) -> u64 {
        s.iter().fold(0, |acc, c| {
            let v = SAFE.iter().position(|x| x == c).expect("safe char") as u64;
            assert!(v < base);
            acc * base + v
        })
    }

    #[test]
    fn short_ids_are_10_to_12_upper_hex_starting_with_usec() {
        let mut rng = Rng::new(1);
        let mut g = QidGen::new(false, &mut rng);
        let t = 1_795_000_000_123_456;
        for _ in 0..2000 {
            let q = g.alloc(&mut rng, t);
            let s = std::str::from_utf8(q.as_bytes()).expect("ascii");
            assert!((10..=12).contains(&s.len()), "{s}");
            assert!(s.bytes().all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c)));
            if g.reuses == 0 {
                assert_eq!(&s[..5], "1E240", "usec 123456 = 0x1E240");
            }
            g.free(q);
        }
    }

    #[test]
    fn long_ids_encode_the_creation_time() {
        let mut rng = Rng::new(2);
        let mut g = QidGen::new(true, &mut rng);
        let t = 1_795_000_000_654_321;
        let q = g.alloc(&mut rng, t);
        let s = q.as_bytes();
        let z = s.iter().rposition(|&c| c == b'z').expect("separator");
        assert_eq!(z, 10);
        assert_eq!(decode(&s[..6], 52), 1_795_000_000);
        assert_eq!(decode(&s[6..10], 52), 654_321);
        assert!(s.iter().all(|c| SAFE.contains(c)));
        assert!(!s[11..].contains(&b'z'));
    }

    #[test]
    fn live_ids_are_unique_and_short_ids_come_back() {
        let mut rng = Rng::new(3);
        let mut g = QidGen::new(false, &mut rng);
        let mut seen = HashSet::new();
        let mut live = Vec::new();
        for i in 0..50_000i64 {
            let q = g.alloc(&mut rng, i * 37);
            assert!(!live.contains(&q));
            seen.insert(q);
            live.push(q);
            if live.len() > 20 {
                g.free(live.remove(0));
            }
        }
        assert!(g.reuses > 0);
        assert_eq!(seen.len() as u64 + g.reuses, 50_000);
    }
}
