//! The envelope of a log line: when, on which host and by which program it
//! was written, split from the payload. One implementation per input format
//! (vector's "format", after the framing of [`crate::source::framing`]),
//! picked per input by [`Format::sniff`] on its first bytes, the way
//! compression is picked by magic bytes.
//!
//! Adding a format is one file with a [`Split`]
//! implementation, one arm in [`Format`] and one rule in [`Format::sniff`];
//! the compiler then lists the `match`es that must learn it. Correlation
//! sees only [`Envelope`]: it never looks at a format's bytes.

pub mod journald;
#[cfg(test)]
pub mod tab;

use crate::time::Micros;
use std::ops::Range;

/// When a line was written, as far as the line itself says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    /// RFC 3164 (also journalctl's `short` and `short-precise`): the year
    /// must be inferred, the zone supplied. Narrow fields keep a stamp, and
    /// so every parsed line, as small as before `micros` was added.
    Local { month: u8, day: u8, secs: u32, micros: u32 },
    /// A date and wall-clock time beside its zone's abbreviation
    /// (journalctl's `short-full`: `CET`, `EDT`): the zone is supplied and
    /// the abbreviation tells which of its offsets was in force, which the
    /// hour a DST fall-back repeats needs.
    Zoned { days: i32, secs: u32, abbr: Abbr },
    /// An exact instant (RFC 3339, the journal).
    Exact(Micros),
}

/// A zone abbreviation as a line wrote it, kept inline (up to
/// [`Abbr::MAX`] ASCII letters, padded with NULs) so that a [`Stamp`]
/// needs no lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Abbr([u8; Abbr::MAX]);

impl Abbr {
    /// tzdata's longest alphabetic abbreviations have five letters
    /// (`CHADT`, `ACWST`).
    pub const MAX: usize = 6;

    /// `None` unless `s` is 1 to [`Abbr::MAX`] ASCII letters.
    pub fn new(s: &[u8]) -> Option<Abbr> {
        if s.is_empty() || s.len() > Abbr::MAX || !s.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        let mut a = [0; Abbr::MAX];
        a[..s.len()].copy_from_slice(s);
        Some(Abbr(a))
    }

    pub fn as_str(&self) -> &str {
        let n = self.0.iter().position(|&c| c == 0).unwrap_or(Abbr::MAX);
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0[..n]).unwrap_or_default()
    }
}

/// One line's envelope. All slices borrow from the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub stamp: Stamp,
    pub host: &'a str,
    /// The tag without its daemon: `postfix`, `postfix/submission`,
    /// `postfix-out`; empty when the tag has no slash (not Postfix).
    pub instance: &'a str,
    /// The last component of the tag: `smtpd`, `qmgr`, or the whole tag of
    /// another program (`dovecot`, `opendkim`).
    pub daemon: &'a str,
    pub pid: u32,
    pub payload: &'a str,
    /// A text that names `host`, `instance` and `daemon` together, without
    /// ambiguity among lines of the same format, when the format has one at
    /// hand (syslog: the stretch `host instance/daemon` of the line): the
    /// parse stage numbers contexts by it without a copy. Empty when the
    /// format has none; then the three names are joined into one.
    pub key: &'a str,
}

impl Envelope<'_> {
    /// Postfix always logs as `syslog_name/daemon`; other programs sharing
    /// the input (dovecot, amavis, opendkim) use a bare name.
    pub fn is_postfix(&self) -> bool {
        !self.instance.is_empty()
    }
}

/// How one format splits a line into its envelope. An associated function,
/// not a method on a value: the parse loop is compiled once per format and
/// chooses one per piece of input, so no line pays for a dynamic call.
pub trait Split {
    /// The format, for what is said of lines that are none of it.
    const FORMAT: Format;

    /// The envelope of `line`, or `None` when the line is not of this format.
    fn split(line: &str) -> Option<Envelope<'_>>;

    /// Whether `line`, which is none of the format's lines, is one the tool
    /// that writes the format puts between them (journalctl's `-- Boot …
    /// --`): not junk, and not said. Asked only of lines `decode` refused.
    fn is_marker(line: &str) -> bool {
        let _ = line;
        false
    }

    /// The envelope of a line `split` could not lend from itself, its
    /// fields decoded into a text of their own (the journal's JSON
    /// escapes); `None` when the line is not of this format. Asked only of
    /// lines `split` refused, so a format whose fields are always on the
    /// line as they are has nothing to decode.
    fn decode(line: &str) -> Option<Decoded> {
        let _ = line;
        None
    }
}

/// An [`Envelope`] whose names and payload are in a text of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub stamp: Stamp,
    pub host: Range<usize>,
    pub instance: Range<usize>,
    pub daemon: Range<usize>,
    pub pid: u32,
    pub payload: Range<usize>,
    /// Invalid UTF-8 (or a lone surrogate) was replaced by U+FFFD.
    pub repaired: bool,
}

impl Decoded {
    /// The envelope, borrowing from [`Decoded::text`].
    pub fn envelope(&self) -> Envelope<'_> {
        self.envelope_in(&self.text)
    }

    /// The envelope, borrowing from `text`, which must be
    /// [`Decoded::text`] (or a copy of it).
    pub fn envelope_in<'a>(&self, text: &'a str) -> Envelope<'a> {
        let at = |r: &Range<usize>| text.get(r.clone()).unwrap_or_default();
        Envelope {
            stamp: self.stamp,
            host: at(&self.host),
            instance: at(&self.instance),
            daemon: at(&self.daemon),
            pid: self.pid,
            payload: at(&self.payload),
            key: "",
        }
    }
}

/// The formats an input may be in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// RFC 3164 or RFC 3339 syslog lines ([`crate::syslog`]), mixed freely.
    #[default]
    Syslog,
    /// `journalctl -o json` ([`journald`]).
    Journald,
    /// A tab-separated stand-in ([`tab`]): proof that a second format plugs
    /// in without a change to correlation.
    #[cfg(test)]
    Tab,
}

impl Format {
    /// What a line that is none of the format's is called.
    pub fn skip(self) -> crate::diag::Skip {
        match self {
            Format::Syslog => crate::diag::Skip::NotSyslog,
            Format::Journald => crate::diag::Skip::NotJournal,
            #[cfg(test)]
            Format::Tab => crate::diag::Skip::NotSyslog,
        }
    }

    /// The format of an input, from its first bytes (after decompression).
    /// Syslog is the default: a file of junk is reported line by line as
    /// "not a syslog line", as it always was. journalctl's text forms are
    /// syslog lines ([`crate::syslog`]). The journal's JSON: a first
    /// line that is an object naming `__REALTIME_TIMESTAMP` or `MESSAGE`.
    pub fn sniff(first: &[u8]) -> Format {
        if journald::Journald::sniff(first) {
            return Format::Journald;
        }
        #[cfg(test)]
        if tab::Tab::sniff(first) {
            return Format::Tab;
        }
        Format::Syslog
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every parsed line holds a stamp: the abbreviation and microseconds
    /// of journalctl's forms cost it no size.
    #[test]
    fn a_stamp_is_two_words() {
        assert_eq!(std::mem::size_of::<Stamp>(), 16);
        assert_eq!(Abbr::new(b"CEST").map(|a| a.as_str().to_string()).as_deref(), Some("CEST"));
        assert_eq!(Abbr::new(b"ABCDEF").map(|a| a.as_str().len()), Some(6));
        assert!(Abbr::new(b"ABCDEFG").is_none() && Abbr::new(b"").is_none() && Abbr::new(b"C\0T").is_none());
    }
}
