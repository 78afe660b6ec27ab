//! Interned strings: accounts, IPs, hosts, relays and senders repeat
//! millions of times in a log; each is stored once and referred to by a
//! 4-byte [`Sym`].
//!
//! All strings live back to back in one arena, and the hash table holds a
//! 16-byte entry per string (its symbol and where its text is): one
//! allocation per growth instead of two boxes per distinct string, and a
//! lookup that touches the table and, on a hit, one place in the arena.
//! Entries of 4 bytes (the symbol alone, its text found through `starts`)
//! took 6 MB less per million strings but one more cache miss per lookup,
//! and on the ingest hot path lookups are most of the cost of correlating
//! a line.

use hashbrown::HashTable;
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

pub struct Interner {
    /// Where each string is, found by the hash of its text. An entry says
    /// where its text lies, so that a lookup touches the table and the arena
    /// only: on a big log most lookups miss the cache, and going through
    /// `starts` first was one more miss each time.
    table: HashTable<Entry>,
    /// Seeded per run: attacker-chosen names cannot be crafted to collide.
    hasher: foldhash::fast::RandomState,
    /// Every string, back to back.
    text: String,
    /// Where string `i` starts in `text`; string `i` ends where `i + 1` starts.
    starts: Vec<usize>,
}

/// A table entry: a symbol and where its text is in the arena.
#[derive(Clone, Copy)]
struct Entry {
    sym: u32,
    len: u32,
    start: usize,
}

impl Entry {
    fn text(self, arena: &str) -> &str {
        arena.get(self.start..self.start + self.len as usize).unwrap_or("")
    }
}

impl Default for Interner {
    fn default() -> Self {
        let mut i = Interner {
            table: HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
            text: String::new(),
            starts: vec![0],
        };
        i.intern("");
        i
    }
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        let hash = self.hasher.hash_one(s);
        let Interner { table, hasher, text, starts } = self;
        if let Some(e) = table.find(hash, |e| e.len as usize == s.len() && e.text(text) == s) {
            return Sym(e.sym);
        }
        // Lines are at most 64 KiB, so a string always fits a u32 length.
        let entry = Entry { sym: (starts.len() - 1) as u32, len: s.len() as u32, start: text.len() };
        text.push_str(s);
        starts.push(text.len());
        table.insert_unique(hash, entry, |e| hasher.hash_one(e.text(text)));
        Sym(entry.sym)
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
        let hash = self.hasher.hash_one(s);
        self.table.find(hash, |e| e.len as usize == s.len() && e.text(&self.text) == s).map(|e| Sym(e.sym))
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
}
