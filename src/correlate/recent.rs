//! The last few thousand of something, found by key: what links look back
//! at once a message has left the queue, or a delivery has been written.

use super::Map;
use std::hash::Hash;

/// How many values a [`Recent`] keeps.
const RECENT: usize = 10_000;

/// Values remembered under their keys, only the last [`RECENT`] pushed:
/// the oldest goes when a new one comes. Memory and lookups stay bounded
/// however long the log; scanning a plain list instead, on every lookup,
/// was several percent of ingest.
///
/// A ring of entries, each linked to the previous one of its key, and a
/// map from each key to its latest entry: a push allocates nothing (a
/// `Vec` of values per key did, and freeing them was a few percent of
/// correlating).
///
/// The map and links are made at the first lookup, from the ring, and kept
/// from then on: some logs never look up what others look up all the time
/// (hand-offs are asked for only by `orig_queue_id=`), and those paid a map
/// insert for nothing on every sent delivery answered `queued as`.
#[derive(Clone)]
pub(super) struct Recent<K, V> {
    /// Entry number `n` is at `n % RECENT`.
    ring: Vec<Entry<K, V>>,
    /// The number the next entry gets.
    next: u64,
    /// Each key's latest entry number. A key whose entries have all left
    /// the ring stays until the map reaches [`MAX_KEYS`], when all such
    /// keys go at once: removing each as its last entry left cost two more
    /// lookups per push, a few percent of correlating.
    latest: Map<K, u64>,
    /// Whether `latest` and the entries' links are made (and kept).
    indexed: bool,
}

/// Keys [`Recent::latest`] holds before the keys without entries go.
const MAX_KEYS: usize = 2 * RECENT;

#[derive(Clone)]
struct Entry<K, V> {
    key: K,
    value: V,
    /// The number of the previous entry of the same key, if any.
    previous: Option<u64>,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent { ring: Vec::new(), next: 0, latest: Map::default(), indexed: false }
    }
}

impl<K: Copy + Eq + Hash, V> Recent<K, V> {
    pub fn push(&mut self, key: K, value: V) {
        let n = self.next;
        self.next += 1;
        let previous = if self.indexed { self.link(key, n) } else { None };
        let entry = Entry { key, value, previous };
        let slot = (n % RECENT as u64) as usize;
        if slot == self.ring.len() {
            self.ring.push(entry);
        } else {
            self.ring[slot] = entry;
        }
    }

    /// Makes entry `n` of `key` the key's latest; returns the one before.
    fn link(&mut self, key: K, n: u64) -> Option<u64> {
        if self.latest.len() >= MAX_KEYS {
            let first_kept = self.first_kept();
            self.latest.retain(|_, &mut latest| latest >= first_kept);
        }
        self.latest.insert(key, n)
    }

    /// Makes the map and links of the entries in the ring, oldest first,
    /// if not made yet.
    fn index(&mut self) {
        if self.indexed {
            return;
        }
        self.indexed = true;
        for n in self.first_kept()..self.next {
            let slot = (n % RECENT as u64) as usize;
            let previous = self.link(self.ring[slot].key, n);
            self.ring[slot].previous = previous;
        }
    }

    /// The number of the oldest entry still in the ring.
    fn first_kept(&self) -> u64 {
        self.next.saturating_sub(RECENT as u64)
    }

    /// The entry numbered `n`, if it is still in the ring.
    fn entry(&self, n: u64) -> Option<&Entry<K, V>> {
        (n >= self.first_kept()).then(|| &self.ring[(n % RECENT as u64) as usize])
    }

    /// Every value remembered under `key`, oldest first.
    pub fn all(&mut self, key: &K) -> Vec<&V> {
        self.index();
        let mut values = Vec::new();
        let mut n = self.latest.get(key).copied();
        while let Some(e) = n.and_then(|n| self.entry(n)) {
            values.push(&e.value);
            n = e.previous;
        }
        values.reverse();
        values
    }

    /// The latest value remembered under `key`.
    pub fn latest(&mut self, key: &K) -> Option<&V> {
        self.index();
        self.latest.get(key).and_then(|&n| self.entry(n)).map(|e| &e.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the last RECENT values are remembered: the oldest go first.
    #[test]
    fn bounded_oldest_first() {
        let mut r: Recent<(u32, &str), usize> = Recent::default();
        r.push((1, "AAAA01"), 10);
        r.push((1, "AAAA01"), 11);
        for row in 0..RECENT - 2 {
            r.push((2, "BBBB02"), 100 + row);
        }
        // Full: both values of key 1 are still there.
        assert_eq!(r.all(&(1, "AAAA01")), [&10, &11]);
        assert_eq!(r.latest(&(1, "AAAA01")), Some(&11));
        r.push((3, "CCCC03"), 7);
        assert_eq!(r.all(&(1, "AAAA01")), [&11]);
        r.push((3, "CCCC03"), 8);
        assert!(r.all(&(1, "AAAA01")).is_empty());
        assert_eq!(r.latest(&(1, "AAAA01")), None);
        assert_eq!(r.all(&(3, "CCCC03")), [&7, &8]);
        assert_eq!(r.ring.len(), RECENT);
        for round in 0..3 * RECENT {
            r.push((4, "DDDD04"), round);
        }
        assert_eq!(r.all(&(4, "DDDD04")).len(), RECENT);
        assert_eq!(r.all(&(4, "DDDD04"))[0], &(2 * RECENT));
        assert!(r.all(&(3, "CCCC03")).is_empty());
    }

    /// Asked first at any point, and then again, a `Recent` answers as a
    /// plain list of its last RECENT pushes would.
    #[test]
    fn first_lookup_anywhere_answers_alike() {
        for first_ask in [0, 1, 7, RECENT - 1, RECENT, RECENT + 3, 3 * RECENT + 11] {
            let mut r: Recent<u32, usize> = Recent::default();
            let mut pushed: Vec<(u32, usize)> = Vec::new();
            let mut seed = first_ask as u64 + 1;
            for i in 0..4 * RECENT {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let key = (seed >> 33) as u32 % 50;
                r.push(key, i);
                pushed.push((key, i));
                if i >= first_ask && i % 997 == 0 || i == first_ask {
                    let kept = &pushed[pushed.len().saturating_sub(RECENT)..];
                    for k in 0..50 {
                        let want: Vec<&usize> = kept.iter().filter(|p| p.0 == k).map(|p| &p.1).collect();
                        assert_eq!(r.latest(&k), want.last().copied(), "key {k} after {i}");
                        assert_eq!(r.all(&k), want, "key {k} after {i}");
                    }
                }
            }
        }
    }

    /// Keys whose values all left are forgotten once the map is full: it
    /// never holds more than MAX_KEYS keys, and forgets none still in the ring.
    #[test]
    fn key_map_stays_bounded() {
        let mut r: Recent<u64, u64> = Recent::default();
        // Asked once: from then on the map is kept as values come.
        assert_eq!(r.latest(&0), None);
        for k in 0..10 * MAX_KEYS as u64 {
            r.push(k, k);
            assert!(r.latest.len() <= MAX_KEYS);
        }
        let last = 10 * MAX_KEYS as u64 - 1;
        for k in last + 1 - RECENT as u64..=last {
            assert_eq!(r.latest(&k), Some(&k));
        }
        assert_eq!(r.latest(&(last - RECENT as u64)), None);
    }
}
