//! The last few thousand of something, found by key: what links look back
//! at once a message has left the queue, or a delivery has been written.

use super::Map;
use std::collections::VecDeque;
use std::hash::Hash;

/// How many values a [`Recent`] keeps.
const RECENT: usize = 10_000;

/// Values remembered under their keys, only the last [`RECENT`] pushed:
/// the oldest goes when a new one comes. Memory and lookups stay bounded
/// however long the log; scanning a plain list instead, on every lookup,
/// was several percent of ingest.
pub(super) struct Recent<K, V> {
    by_key: Map<K, Vec<V>>,
    /// One key per value, oldest first.
    order: VecDeque<K>,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent { by_key: Map::default(), order: VecDeque::new() }
    }
}

impl<K: Copy + Eq + Hash, V> Recent<K, V> {
    pub fn push(&mut self, key: K, value: V) {
        self.by_key.entry(key).or_default().push(value);
        self.order.push_back(key);
        if self.order.len() > RECENT {
            let Some(old) = self.order.pop_front() else { return };
            // The values of one key go in and out in order: the oldest is first.
            if let Some(values) = self.by_key.get_mut(&old) {
                values.remove(0);
                if values.is_empty() {
                    self.by_key.remove(&old);
                }
            }
        }
    }

    /// Every value remembered under `key`, oldest first.
    pub fn all(&self, key: &K) -> &[V] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }

    /// The latest value remembered under `key`.
    pub fn latest(&self, key: &K) -> Option<&V> {
        self.all(key).last()
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
        assert_eq!(r.all(&(1, "AAAA01")), [10, 11]);
        assert_eq!(r.latest(&(1, "AAAA01")), Some(&11));
        r.push((3, "CCCC03"), 7);
        assert_eq!(r.all(&(1, "AAAA01")), [11]);
        r.push((3, "CCCC03"), 8);
        assert_eq!(r.all(&(1, "AAAA01")), [] as [usize; 0]);
        assert_eq!(r.latest(&(1, "AAAA01")), None);
        assert_eq!(r.all(&(3, "CCCC03")), [7, 8]);
        assert_eq!(r.order.len(), RECENT);
        assert_eq!(r.by_key.values().map(Vec::len).sum::<usize>(), RECENT);
    }
}
