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
pub(super) struct Recent<K, V> {
    /// Entry number `n` is at `n % RECENT`.
    ring: Vec<Entry<K, V>>,
    /// The number the next entry gets.
    next: u64,
    /// Each key's latest entry number; keys whose entries all left the
    /// ring are removed, so the map holds at most [`RECENT`] keys.
    latest: Map<K, u64>,
}

struct Entry<K, V> {
    key: K,
    value: V,
    /// The number of the previous entry of the same key, if any.
    previous: Option<u64>,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent { ring: Vec::new(), next: 0, latest: Map::default() }
    }
}

impl<K: Copy + Eq + Hash, V> Recent<K, V> {
    pub fn push(&mut self, key: K, value: V) {
        let n = self.next;
        self.next += 1;
        let previous = self.latest.insert(key, n);
        let entry = Entry { key, value, previous };
        let slot = (n % RECENT as u64) as usize;
        if slot == self.ring.len() {
            self.ring.push(entry);
            return;
        }
        let old = std::mem::replace(&mut self.ring[slot], entry);
        // The entry pushed out was its key's latest: the key is gone.
        if old.key != key && self.latest.get(&old.key) == Some(&(n - RECENT as u64)) {
            self.latest.remove(&old.key);
        }
    }

    /// The entry numbered `n`, if it is still in the ring.
    fn entry(&self, n: u64) -> Option<&Entry<K, V>> {
        (n + RECENT as u64 >= self.next).then(|| &self.ring[(n % RECENT as u64) as usize])
    }

    /// Every value remembered under `key`, oldest first.
    pub fn all(&self, key: &K) -> Vec<&V> {
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
    pub fn latest(&self, key: &K) -> Option<&V> {
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
        // Keys whose values all left are forgotten: the map stays bounded.
        assert_eq!(r.latest.len(), 2);
        for round in 0..3 * RECENT {
            r.push((4, "DDDD04"), round);
        }
        assert_eq!(r.latest.len(), 1);
        assert_eq!(r.all(&(4, "DDDD04")).len(), RECENT);
        assert_eq!(r.all(&(4, "DDDD04"))[0], &(2 * RECENT));
    }
}
