//! Interned strings: accounts, IPs, hosts, relays and senders repeat
//! millions of times in a log; each is stored once and referred to by a
//! 4-byte [`Sym`].

use std::collections::HashMap;

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
    map: HashMap<Box<str>, Sym, foldhash::fast::RandomState>,
    strings: Vec<Box<str>>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut i = Interner { map: HashMap::default(), strings: Vec::new() };
        i.intern("");
        i
    }
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        let sym = Sym(self.strings.len() as u32);
        self.strings.push(s.into());
        self.map.insert(s.into(), sym);
        sym
    }

    /// Interns `Some(s)`; `None` becomes [`Sym::NONE`].
    pub fn opt(&mut self, s: Option<&str>) -> Sym {
        s.map_or(Sym::NONE, |s| self.intern(s))
    }

    pub fn get(&self, sym: Sym) -> &str {
        self.strings.get(sym.0 as usize).map_or("", |s| s)
    }

    /// Looks a string up without adding it.
    pub fn find(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
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
    }
}
