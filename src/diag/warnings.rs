//! The lines Postfix writes about its own trouble (`warning:`, `error:`,
//! `fatal:`, `panic:`) that are no event of their own, and master(8)'s
//! messages: counted per daemon, level and shape of the text
//! ([`crate::event::shape`]), each kind with the first line's text.

use std::collections::BTreeMap;

/// Kinds kept apart; past this many (a log full of varied junk), new kinds
/// of a daemon and level are counted together.
const MAX_KINDS: usize = 1000;

/// The text kept of a sample, in bytes.
const MAX_SAMPLE: usize = 300;

/// One kind of line: who wrote it, how bad it is, what it says.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct WarningKind {
    pub daemon: String,
    /// `panic`, `fatal`, `error`, `warning`, or `master` for master(8)'s
    /// own messages.
    pub level: &'static str,
    /// The text after the level, shaped.
    pub text: String,
}

/// How often a kind came, and its first line's text (as written: whoever
/// shows it escapes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub sample: String,
}

#[derive(Clone, Debug, Default)]
pub struct Warnings {
    kinds: BTreeMap<WarningKind, Tally>,
}

/// What master(8) writes that is no warning.
pub const MASTER: &str = "master";

/// The levels a line's prefix gives (`crate::event::WARNING_LEVELS`, in
/// its order); master's own messages have none.
const LEVELS: [&str; 4] = ["warning", "error", "fatal", "panic"];

impl Warnings {
    /// A line of `daemon` whose `payload` starts with a level
    /// ([`crate::event::WARNING_LEVELS`]), or master's message.
    pub fn add(&mut self, daemon: &str, payload: &str) {
        let (level, text) = level_of(payload);
        let mut kind = WarningKind { daemon: daemon.to_string(), level, text: crate::event::shape::shape(text) };
        if self.kinds.len() >= MAX_KINDS && !self.kinds.contains_key(&kind) {
            kind.text = "(other kinds)".into();
        }
        self.tally(kind, || sample(payload)).count += 1;
    }

    /// The `warning:`, `error:`, `fatal:` and `panic:` lines (check's
    /// "postfix warnings"), not master's messages.
    /// Adds `count` lines of a kind [`Warnings::iter`] gave (read back from
    /// a dataset); an unknown level is taken for master's messages.
    pub fn restore(&mut self, daemon: &str, level: &str, text: &str, sample: &str, count: u64) {
        let level = LEVELS.into_iter().find(|&l| l == level).unwrap_or(MASTER);
        let kind = WarningKind { daemon: daemon.to_string(), level, text: text.to_string() };
        self.tally(kind, || sample.to_string()).count += count;
    }

    /// The tally of `kind`, begun with the sample `first` gives.
    fn tally(&mut self, kind: WarningKind, first: impl FnOnce() -> String) -> &mut Tally {
        self.kinds.entry(kind).or_insert_with(|| Tally { count: 0, sample: first() })
    }

    pub fn count(&self) -> u64 {
        self.kinds.iter().filter(|(k, _)| k.level != MASTER).map(|(_, t)| t.count).sum()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&WarningKind, &Tally)> {
        self.kinds.iter()
    }
}

/// `fatal: no SASL authentication mechanisms` → (`fatal`, `no SASL …`).
fn level_of(payload: &str) -> (&'static str, &str) {
    for (prefix, level) in crate::event::WARNING_LEVELS.iter().zip(LEVELS) {
        if let Some(rest) = payload.strip_prefix(prefix) {
            return (level, rest.trim_start());
        }
    }
    (MASTER, payload)
}

fn sample(payload: &str) -> String {
    let mut end = payload.len().min(MAX_SAMPLE);
    while !payload.is_char_boundary(end) {
        end -= 1;
    }
    payload[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_group_by_shape() {
        let mut w = Warnings::default();
        w.add("master", "warning: process /usr/lib/postfix/sbin/smtpd pid 4321 exit status 1");
        w.add("master", "warning: process /usr/lib/postfix/sbin/smtpd pid 98 exit status 1");
        w.add("master", "daemon started -- version 3.7.11, configuration /etc/postfix");
        w.add("smtpd", "fatal: no SASL authentication mechanisms");
        w.add("smtpd", "panic: myfree: corrupt or unallocated memory block");
        let got: Vec<(&str, &str, u64)> = w.iter().map(|(k, t)| (k.daemon.as_str(), k.level, t.count)).collect();
        assert_eq!(
            got,
            [("master", "master", 1), ("master", "warning", 2), ("smtpd", "fatal", 1), ("smtpd", "panic", 1)]
        );
        let (k, t) = w.iter().nth(1).unwrap();
        assert_eq!(k.text, "process /usr/lib/postfix/sbin/smtpd pid N exit status N");
        assert_eq!(t.sample, "warning: process /usr/lib/postfix/sbin/smtpd pid 4321 exit status 1", "the first line");
        assert_eq!(w.count(), 4, "master's own messages are no warnings");
    }

    #[test]
    fn kinds_are_bounded_and_samples_cut() {
        let mut w = Warnings::default();
        // Kinds told apart by a word of letters (digits would all be `N`).
        let letter = |n: usize| (b'a' + (n % 26) as u8) as char;
        let word = |i: usize| format!("{}{}{}", letter(i), letter(i / 26), letter(i / 676));
        for i in 0..MAX_KINDS + 50 {
            w.add("smtpd", &format!("warning: kind {} {}", word(i), "é".repeat(400)));
        }
        assert_eq!(w.iter().count(), MAX_KINDS + 1);
        assert_eq!(w.count(), (MAX_KINDS + 50) as u64);
        assert!(w.iter().all(|(_, t)| t.sample.len() <= MAX_SAMPLE));
    }
}
