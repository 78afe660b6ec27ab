//! Interned strings: accounts, IPs, hosts, relays and senders repeat
//! millions of times in a log; each is stored once and referred to by a
//! 4-byte [`Sym`].
//!
//! All strings live back to back in one arena, and the hash table holds a
//! 16-byte slot per string (its symbol, length, and where its text is): one
//! allocation per growth instead of two boxes per distinct string, and a
//! lookup that touches the table and, on a hit, one place in the arena.
//! Slots of 4 bytes (the symbol alone, its text found through `starts`)
//! would take less memory but cost one more cache miss per lookup, and on
//! the ingest hot path lookups are most of the cost of correlating a line.

use std::hash::BuildHasher;

/// An interned string. `Sym::NONE` is the empty string and means "absent".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

impl Sym {
    pub const NONE: Sym = Sym(0);

    pub fn is_none(self) -> bool {
        self == Sym::NONE
    }
}

/// Open addressing with linear probing, written out rather than taken from
/// hashbrown: ingest asks for a string's slot lines before it interns it
/// ([`Interner::prefetch`]), which needs the slot's address from the hash,
/// and no map crate exposes that.
#[derive(Clone)]
pub struct Interner {
    /// A power of two long, at most 3/4 full. A slot says where its text
    /// lies, so that a lookup touches one slot and, on a likely hit, the
    /// arena: on a big log most lookups miss the cache, and going through
    /// `starts` first was one more miss each time.
    slots: Vec<Slot>,
    /// Seeded per run: attacker-chosen names cannot be crafted to collide.
    hasher: foldhash::fast::RandomState,
    /// Every string, back to back.
    text: String,
    /// Where string `i` starts in `text`; string `i` ends where `i + 1` starts.
    starts: Vec<usize>,
}

/// Bits of [`Slot::start_tag`] that hold where the text starts: 1 TiB of
/// distinct strings. The other 24 hold bits of the hash, so that most
/// probes that are not the string are told apart without reading it.
const START_BITS: u32 = 40;
const START_MASK: u64 = (1 << START_BITS) - 1;

/// A table slot: 16 bytes, four to a cache line. Empty when `len` is 0
/// (the empty string is never in the table: it is [`Sym::NONE`]).
#[derive(Clone, Copy, Default)]
struct Slot {
    sym: u32,
    len: u32,
    start_tag: u64,
}

impl Slot {
    fn start(self) -> usize {
        (self.start_tag & START_MASK) as usize
    }

    fn text(self, arena: &str) -> &str {
        arena.get(self.start()..self.start() + self.len as usize).unwrap_or("")
    }
}

fn tag(hash: u64) -> u64 {
    hash & !START_MASK
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            slots: vec![Slot::default(); 1024],
            hasher: foldhash::fast::RandomState::default(),
            text: String::new(),
            starts: vec![0, 0],
        }
    }
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        if s.is_empty() {
            return Sym::NONE;
        }
        let hash = self.hasher.hash_one(s);
        match self.probe(s, hash) {
            Ok(sym) => sym,
            Err(free) => self.insert(s, hash, free),
        }
    }

    /// Where `s` is: its symbol, or the free slot where it would go.
    fn probe(&self, s: &str, hash: u64) -> Result<Sym, usize> {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot.len == 0 {
                return Err(i);
            }
            if slot.len as usize == s.len() && slot.start_tag & !START_MASK == tag(hash) && slot.text(&self.text) == s {
                return Ok(Sym(slot.sym));
            }
            i = (i + 1) & mask;
        }
    }

    fn insert(&mut self, s: &str, hash: u64, free: usize) -> Sym {
        let start = self.text.len();
        // Limits far past what memory holds (ingest's strings are parts of
        // lines of at most 64 KiB): a slot could not say where such a string
        // is, and the table would silently give one string two symbols.
        assert!(
            start as u64 <= START_MASK && s.len() <= u32::MAX as usize && self.len() < u32::MAX as usize,
            "string interner full: over 1 TiB or 4 G distinct strings"
        );
        let slot = Slot { sym: self.len() as u32, len: s.len() as u32, start_tag: start as u64 | tag(hash) };
        self.text.push_str(s);
        self.starts.push(self.text.len());
        self.slots[free] = slot;
        if self.len() * 4 > self.slots.len() * 3 {
            self.grow();
        }
        Sym(slot.sym)
    }

    /// Doubles the table, placing every string anew from its text's hash.
    /// The strings are taken in the arena's order, so their texts are read
    /// one after the other: taken in the old table's order, each text would
    /// be a cache miss somewhere in the arena, and on a big log the last
    /// growth would stall ingest.
    fn grow(&mut self) {
        self.slots = vec![Slot::default(); self.slots.len() * 2];
        let mask = self.slots.len() - 1;
        for (sym, bounds) in self.starts.windows(2).enumerate().skip(1) {
            let (start, end) = (bounds[0], bounds[1]);
            let hash = self.hasher.hash_one(self.text.get(start..end).unwrap_or(""));
            let mut i = hash as usize & mask;
            while self.slots[i].len != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = Slot { sym: sym as u32, len: (end - start) as u32, start_tag: start as u64 | tag(hash) };
        }
    }

    /// Asks the CPU for the table slot where `s` would be found, so that
    /// interning it a little later does not wait on memory.
    pub fn prefetch(&self, s: &str) {
        let hash = self.hasher.hash_one(s);
        if let Some(slot) = self.slots.get(hash as usize & (self.slots.len() - 1)) {
            crate::mem::prefetch(slot);
        }
    }

    /// Interns `Some(s)`; `None` becomes [`Sym::NONE`].
    pub fn opt(&mut self, s: Option<&str>) -> Sym {
        s.map_or(Sym::NONE, |s| self.intern(s))
    }

    pub fn get(&self, sym: Sym) -> &str {
        let i = sym.0 as usize;
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => self.text.get(a..b).unwrap_or(""),
            _ => "",
        }
    }

    /// Looks a string up without adding it.
    pub fn find(&self, s: &str) -> Option<Sym> {
        if s.is_empty() {
            return Some(Sym::NONE);
        }
        self.probe(s, self.hasher.hash_one(s)).ok()
    }

    /// How many distinct strings are held (the empty one included).
    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once() {
        let mut i = Interner::default();
        let a = i.intern("bob@example.org");
        assert_eq!(i.intern("bob@example.org"), a);
        assert_ne!(i.intern("alice@example.org"), a);
        assert_eq!(i.get(a), "bob@example.org");
        assert_eq!(i.intern(""), Sym::NONE);
        assert_eq!(i.find("nobody"), None);
        assert_eq!(i.find("alice@example.org"), Some(Sym(2)));
    }

    #[test]
    fn survives_growth_and_prefixes() {
        // Strings that are prefixes of each other sit side by side in the
        // arena: each must come back whole, also after the table rehashed.
        let mut i = Interner::default();
        let syms: Vec<Sym> = (0..10_000).map(|n| i.intern(&"x".repeat(n % 50 + 1))).collect();
        assert_eq!(i.len(), 51);
        for (n, s) in syms.iter().enumerate() {
            assert_eq!(i.get(*s), "x".repeat(n % 50 + 1));
        }
        let many: Vec<Sym> = (0..50_000).map(|n| i.intern(&n.to_string())).collect();
        for (n, s) in many.iter().enumerate() {
            assert_eq!(i.get(*s), n.to_string());
            assert_eq!(i.find(&n.to_string()), Some(*s));
        }
        assert_eq!(i.get(Sym(u32::MAX)), "");
    }

    /// Strings of one length (IPs) differ only in their text: probing
    /// must compare text, not just length and hash bits, and a prefetch
    /// changes nothing.
    #[test]
    fn same_length_strings_stay_apart() {
        let mut i = Interner::default();
        let ips: Vec<String> =
            (0..100_000u32).map(|n| format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255)).collect();
        let syms: Vec<Sym> = ips.iter().map(|ip| i.intern(ip)).collect();
        for (ip, sym) in ips.iter().zip(&syms) {
            i.prefetch(ip);
            assert_eq!(i.intern(ip), *sym);
            assert_eq!(i.get(*sym), ip);
        }
        assert_eq!(i.len(), 100_001);
        assert_eq!(i.find(""), Some(Sym::NONE));
    }
}
