//! The parse stage: lines, UTF-8, the envelope (in the input's
//! [`Format`]) and the Postfix payload of a piece of input, which depend on
//! nothing but the line. Which
//! thread parses which piece is [`super::share`]'s business.
//!
//! A parsed line borrows from its chunk: a [`Parsed`] owns (a share of) the
//! chunk's bytes and the lines that point into them, and hands the lines
//! out only for as long as it lives.
//!
//! Long with its unit tests, which sit at the end.

use crate::correlate::{MAX_CONTEXTS, NO_CONTEXT};
use crate::envelope::{Envelope, Format, Split, Stamp};
use crate::event::{self, Event};
use crate::source::framing::MAX_LINE;
use crate::source::Block;
use std::ops::Range;
use std::sync::Arc;

/// One line as the parse stage left it.
pub struct Line<'a> {
    /// As read, without its newline (and CR).
    pub raw: &'a [u8],
    pub kind: Kind<'a>,
}

// Unboxed on purpose: nearly every line is Postfix's, and a box per line,
// allocated here and freed on the correlating thread, cost more than the
// wasted bytes of the rare small variants.
#[allow(clippy::large_enum_variant)]
pub enum Kind<'a> {
    Empty,
    /// A line the tool that wrote the input puts between entries
    /// (journalctl's `-- Boot … --`): neither a log line nor junk.
    Marker,
    TooLong,
    Binary,
    /// Not a line of the input's `format`. `repaired`: it had invalid UTF-8.
    NotOfFormat {
        repaired: bool,
        format: Format,
    },
    /// A line of another program (dovecot, amavis…).
    Other {
        repaired: bool,
        stamp: Stamp,
    },
    Postfix(PostfixLine<'a>),
    /// A line of Dovecot's that tells of a login ([`event::dovecot`]): an
    /// other program's line with an event for correlation.
    Dovecot(PostfixLine<'a>),
}

pub struct PostfixLine<'a> {
    pub repaired: bool,
    /// Time, host, tag and pid; its payload is the line's whole payload.
    pub env: Envelope<'a>,
    /// The payload to parse (inside rsyslog's `message repeated N times: [ … ]`).
    pub payload: &'a str,
    /// How many lines this one stands for (N for `message repeated N times`).
    pub repeat: u32,
    /// `None`: no rule recognises the payload.
    pub event: Option<Event<'a>>,
    /// The number of this line's host, instance and daemon ([`Contexts`]).
    pub context: u32,
}

/// Numbers for the (host, instance, daemon) of Postfix lines, given here so
/// that correlation finds a line's context by number instead of comparing
/// and interning three names on every line. One `Contexts` numbers one
/// thread's lines for a whole run: the same three names always get the
/// same number.
///
/// Each thread that parses has its own `Contexts`, numbering from its own
/// share of the numbers ([`Contexts::share`]): correlation only needs a
/// number to always mean the same names, not the same names to always have
/// one number.
pub struct Contexts {
    numbers: std::collections::HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    base: u32,
    limit: usize,
    /// The names of an envelope without a [`Envelope::key`], joined.
    joined: String,
}

impl Contexts {
    /// Share `i` of `n` of the [`MAX_CONTEXTS`] numbers; lines of contexts
    /// past it get [`NO_CONTEXT`].
    pub fn share(i: usize, n: usize) -> Self {
        let size = MAX_CONTEXTS / n.max(1);
        Contexts { numbers: Default::default(), base: (i.min(n) * size) as u32, limit: size, joined: String::new() }
    }

    /// Numbers nothing: every line gets [`NO_CONTEXT`].
    pub fn none() -> Self {
        Contexts::with_limit(0)
    }

    fn with_limit(limit: usize) -> Self {
        Contexts { numbers: Default::default(), base: 0, limit, joined: String::new() }
    }

    /// The number of the context of `env`.
    fn number(&mut self, env: &Envelope) -> u32 {
        if self.limit == 0 {
            return NO_CONTEXT;
        }
        let key = if env.key.is_empty() {
            // NUL is in no parsed line (a line with one is binary junk), so
            // joined names are never another format's key, nor ambiguous.
            self.joined.clear();
            for part in [env.host, "\0", env.instance, "\0", env.daemon] {
                self.joined.push_str(part);
            }
            self.joined.as_str()
        } else {
            env.key
        };
        if let Some(&n) = self.numbers.get(key) {
            return n;
        }
        if self.numbers.len() >= self.limit {
            return NO_CONTEXT;
        }
        let n = self.base + self.numbers.len() as u32;
        let key: Box<str> = key.into();
        self.numbers.insert(key, n);
        n
    }
}

/// Most lines one [`Parsed`] holds. A parsed line takes a few hundred
/// bytes whatever its length, so a piece of empty or tiny lines (a file of
/// newlines) would otherwise cost hundreds of times its size while it waits
/// to be correlated; batches keep that bounded.
const MAX_BATCH: usize = 1024;

/// A batch of a chunk's lines, parsed, and the chunk's bytes they borrow
/// from (shared with the chunk's other batches).
pub struct Parsed {
    // Declared before what it borrows from, so it is dropped first.
    lines: Vec<Line<'static>>,
    /// Lines with invalid UTF-8, repaired; `lines` may borrow from them.
    /// `String`, not `Box<str>`: moving a box asserts it is the only way to
    /// its text, which the lines pointing into it would contradict.
    repaired: Vec<String>,
    /// The chunk, held only so that it outlives the lines pointing into it.
    _chunk: Arc<Block>,
    /// Input bytes this batch stands for: the chunk's on its first batch.
    counted: usize,
}

impl Parsed {
    pub fn lines(&self) -> &[Line<'_>] {
        &self.lines
    }

    /// Bytes of input this batch accounts for.
    pub fn len(&self) -> usize {
        self.counted
    }

    /// Parses `range` of a chunk (whole lines) in `format`, handing each
    /// batch of at most [`MAX_BATCH`] lines to `emit`, in order; stops
    /// early when `emit` returns false.
    pub fn batches(
        chunk: &Arc<Block>,
        range: Range<usize>,
        format: Format,
        contexts: &mut Contexts,
        emit: impl FnMut(Parsed) -> bool,
    ) -> bool {
        match format {
            Format::Syslog => Parsed::batches_in::<crate::syslog::Syslog>(chunk, range, contexts, emit),
            Format::Journald => Parsed::batches_in::<crate::envelope::journald::Journald>(chunk, range, contexts, emit),
            #[cfg(test)]
            Format::Tab => Parsed::batches_in::<crate::envelope::tab::Tab>(chunk, range, contexts, emit),
        }
    }

    /// [`Parsed::batches`], compiled for one format.
    fn batches_in<F: Split>(
        chunk: &Arc<Block>,
        range: Range<usize>,
        contexts: &mut Contexts,
        mut emit: impl FnMut(Parsed) -> bool,
    ) -> bool {
        let bytes = chunk.get(range).unwrap_or_default();
        // SAFETY: the lines borrow from the chunk's heap buffer, which every
        // batch keeps alive through its `Arc` and which nothing writes to,
        // reallocates or frees while a batch exists (the `Block` is never
        // touched again but to be dropped with the last `Arc`, when its
        // buffer goes back to the reader), and from the
        // strings in each batch's `repaired`, which are only moved (their
        // text stays put). `lines()` lends the lines only for as long as
        // `&self`, and `lines` is dropped before the rest (declaration order).
        let text: &'static [u8] = unsafe { std::slice::from_raw_parts(bytes.as_ptr(), bytes.len()) };
        // Most chunks are clean text: checked once here, their lines need
        // no check of their own (a `\n` never splits a UTF-8 sequence, so
        // each line of valid text is valid text).
        let clean: Option<&'static str> =
            if memchr::memchr(0, text).is_none() { std::str::from_utf8(text).ok() } else { None };
        let batch_of = |counted| Parsed { lines: Vec::new(), repaired: Vec::new(), _chunk: chunk.clone(), counted };
        let mut batch = batch_of(text.len());
        let mut ok = true;
        crate::source::framing::for_each_line(text, |raw| {
            if !ok {
                return;
            }
            if batch.lines.len() == MAX_BATCH {
                ok = emit(std::mem::replace(&mut batch, batch_of(0)));
                if !ok {
                    return;
                }
            }
            if batch.lines.is_empty() {
                batch.lines.reserve(MAX_BATCH.min(text.len() / 80 + 1));
            }
            let at = offset_in(text, raw);
            // The line is parsed straight into its place in the batch: built
            // aside and pushed, its few hundred bytes were copied twice, a
            // twelfth of this thread's time.
            batch.lines.push(Line { raw, kind: Kind::Empty });
            let Some(line) = batch.lines.last_mut() else { return };
            match clean.and_then(|c| c.get(at..at + raw.len())) {
                Some(text) => classify_clean::<F>(text, &mut batch.repaired, contexts, &mut line.kind),
                None => classify::<F>(raw, &mut batch.repaired, contexts, &mut line.kind),
            }
        });
        ok && emit(batch)
    }
}

/// Where `part` (a slice of `whole`) begins in `whole`.
fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize)
}

/// [`classify`] of a line from a chunk known to be UTF-8 without NULs.
fn classify_clean<F: Split>(
    text: &'static str,
    decoded: &mut Vec<String>,
    contexts: &mut Contexts,
    out: &mut Kind<'static>,
) {
    match text.len() {
        0 => *out = Kind::Empty,
        n if n > MAX_LINE => *out = Kind::TooLong,
        _ => text_kind::<F>(text, false, decoded, contexts, out),
    }
}

/// Parses one line into `out`. Invalid UTF-8 is repaired into a string in
/// `repaired`, which the kind may borrow from for as long as the string lives.
fn classify<F: Split>(
    raw: &'static [u8],
    repaired: &mut Vec<String>,
    contexts: &mut Contexts,
    out: &mut Kind<'static>,
) {
    if raw.is_empty() {
        *out = Kind::Empty;
        return;
    }
    if raw.len() > MAX_LINE {
        *out = Kind::TooLong;
        return;
    }
    if memchr::memchr(0, raw).is_some() {
        *out = Kind::Binary;
        return;
    }
    match std::str::from_utf8(raw) {
        Ok(text) => text_kind::<F>(text, false, repaired, contexts, out),
        Err(_) => {
            let fixed = String::from_utf8_lossy(raw).into_owned();
            // SAFETY: the string's text stays where it is until the `Parsed`
            // holding both it and this line is dropped (see `Parsed::new`).
            let text: &'static str = unsafe { &*(fixed.as_str() as *const str) };
            repaired.push(fixed);
            text_kind::<F>(text, true, repaired, contexts, out)
        }
    }
}

/// Parses a line of text into `out`. The event is parsed last, into its
/// place: returned up through the kind, it was copied at each level. A
/// format's decoded fields ([`Split::decode`]) go into `decoded`, which the
/// kind borrows from as it does from repaired lines.
fn text_kind<F: Split>(
    text: &'static str,
    mut repaired: bool,
    decoded: &mut Vec<String>,
    contexts: &mut Contexts,
    out: &mut Kind<'static>,
) {
    let env = match F::split(text) {
        Some(env) => env,
        None => match F::decode(text) {
            Some(d) => {
                repaired |= d.repaired;
                // SAFETY: as for a repaired line in `classify`: the text
                // stays where it is until the `Parsed` holding both it and
                // this line is dropped.
                let own: &'static str = unsafe { &*(d.text.as_str() as *const str) };
                let env = d.envelope_in(own);
                decoded.push(d.text);
                env
            }
            None if F::is_marker(text) => {
                *out = Kind::Marker;
                return;
            }
            None => {
                *out = Kind::NotOfFormat { repaired, format: F::FORMAT };
                return;
            }
        },
    };
    if !env.is_postfix() {
        let (payload, repeat) = repeated(env.payload);
        match (env.daemon == "dovecot").then(|| event::dovecot::parse(payload)).flatten() {
            Some(ev) => {
                let context = contexts.number(&env);
                *out = Kind::Dovecot(PostfixLine { repaired, env, payload, repeat, event: Some(ev), context });
            }
            None => *out = Kind::Other { repaired, stamp: env.stamp },
        }
        return;
    }
    let (payload, repeat) = repeated(env.payload);
    let context = contexts.number(&env);
    *out = Kind::Postfix(PostfixLine { repaired, env, payload, repeat, event: None, context });
    if let Kind::Postfix(line) = out {
        line.event = event::parse(env.daemon, payload);
    }
}

/// rsyslog's `message repeated 3 times: [ payload]`: the payload, and how
/// many times it stands for (the repeats plus the original is not implied:
/// the original line was logged separately).
fn repeated(payload: &str) -> (&str, u32) {
    let parse = || {
        let rest = payload.strip_prefix("message repeated ")?;
        let (n, rest) = rest.split_once(" times: [")?;
        let n: u32 = n.parse().ok()?;
        let inner = rest.strip_suffix(']')?;
        Some((inner.trim_start(), n.min(100_000)))
    };
    parse().unwrap_or((payload, 1))
}

/// A chunk of `bytes`, for tests.
#[cfg(test)]
pub fn chunk(bytes: &[u8]) -> Arc<Block> {
    Arc::new(bytes.to_vec().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_lines_expand() {
        assert_eq!(
            repeated("message repeated 3 times: [ warning: unknown[1.2.3.4]: SASL LOGIN authentication failed: x]"),
            ("warning: unknown[1.2.3.4]: SASL LOGIN authentication failed: x", 3)
        );
        assert_eq!(repeated("connect from x[1.2.3.4]"), ("connect from x[1.2.3.4]", 1));
    }

    #[test]
    fn lines_keep_pointing_at_their_text() {
        let text = b"Nov 23 06:00:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]\n\n\
            Nov 23 06:00:01 mx postfix/smtpd[1]: connect from b\xff[192.0.2.2]\n\
            junk\x00\nNov 23 06:00:02 mx dovecot: imap-login: x\nnot syslog\n";
        let mut all = Vec::new();
        assert!(Parsed::batches(&chunk(text), 0..text.len(), Format::Syslog, &mut Contexts::share(0, 1), |p| {
            all.push(p);
            true
        }));
        assert_eq!(all.len(), 1);
        // Moving the owner moves no text: the lines still read right.
        let moved = std::thread::spawn(move || all.pop().unwrap()).join().unwrap();
        let kinds: Vec<String> = moved
            .lines()
            .iter()
            .map(|l| match &l.kind {
                Kind::Postfix(p) => match &p.event {
                    Some(Event::Connect { client }) => format!("connect {} {} {}", client.name, client.ip, p.repaired),
                    _ => "other postfix".into(),
                },
                Kind::Empty => "empty".into(),
                Kind::Binary => "binary".into(),
                Kind::TooLong => "too long".into(),
                Kind::NotOfFormat { .. } => "not syslog".into(),
                Kind::Marker => "marker".into(),
                Kind::Other { .. } | Kind::Dovecot(_) => "other".into(),
            })
            .collect();
        assert_eq!(
            kinds,
            ["connect a 192.0.2.1 false", "empty", "connect b\u{fffd} 192.0.2.2 true", "binary", "other", "not syslog"]
        );
        assert_eq!(moved.lines()[3].raw, b"junk\x00");
    }

    /// A clean chunk (valid UTF-8, no NUL) takes the shortcut; its lines
    /// come out as the line-by-line checks would have them, CRLF included.
    #[test]
    fn clean_chunks_classify_like_dirty_ones() {
        let text = "Nov 23 06:00:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]\r\n\n\
            Nov 23 06:00:02 mx dovecot: imap-login: é\nnot syslog\nNov 23 06:00:03 mx postfix/smtpd[1]: connect from b[192.0.2.2]";
        let describe = |p: &Parsed| -> Vec<String> {
            p.lines()
                .iter()
                .map(|l| match &l.kind {
                    Kind::Postfix(p) => format!("postfix {:?} {}", p.payload, p.repaired),
                    Kind::Empty => "empty".into(),
                    Kind::Other { repaired, .. } => format!("other {repaired}"),
                    Kind::Dovecot(p) => format!("dovecot {:?} {}", p.payload, p.repaired),
                    Kind::NotOfFormat { repaired, .. } => format!("not syslog {repaired}"),
                    Kind::Binary | Kind::TooLong | Kind::Marker => "?".into(),
                })
                .collect()
        };
        let mut clean = Vec::new();
        Parsed::batches(&chunk(text.as_bytes()), 0..text.len(), Format::Syslog, &mut Contexts::share(0, 1), |p| {
            clean.extend(describe(&p));
            true
        });
        let mut repaired = Vec::new();
        let one_by_one: Vec<String> = text
            .split('\n')
            .map(|l| {
                let raw: &'static [u8] = Box::leak(l.trim_end_matches('\r').as_bytes().to_vec().into_boxed_slice());
                let mut line = Line { raw, kind: Kind::Empty };
                classify::<crate::syslog::Syslog>(raw, &mut repaired, &mut Contexts::share(0, 1), &mut line.kind);
                describe(&Parsed {
                    lines: vec![line],
                    repaired: Vec::new(),
                    _chunk: Arc::new(Vec::new().into()),
                    counted: 0,
                })
                .remove(0)
            })
            .collect();
        assert_eq!(clean, one_by_one);
        assert_eq!(clean[0], "postfix \"connect from a[192.0.2.1]\" false");
        assert_eq!(clean.len(), 5);
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    /// The same host, instance and daemon get the same number, others the
    /// next; past the limit, lines get none.
    #[test]
    fn contexts_are_numbered_once_up_to_the_limit() {
        let mut contexts = Contexts::with_limit(2);
        let mut number = |line: &str| contexts.number(&crate::syslog::parse(line).unwrap());
        assert_eq!(number("Nov 23 06:00:00 mx postfix/smtpd[1]: x"), 0);
        assert_eq!(number("Nov 23 06:00:00 mx postfix/qmgr[2]: x"), 1);
        assert_eq!(number("Nov 23 06:00:01 mx postfix/smtpd[9]: y"), 0);
        assert_eq!(number("Nov 23 06:00:01 mx2 postfix/smtpd[9]: y"), NO_CONTEXT);
        assert_eq!(number("Nov 23 06:00:02 mx postfix/qmgr[2]: z"), 1);
        let line = "Nov 23 06:00:00 mx postfix/submission/smtpd[1]: x";
        assert_eq!(Contexts::none().number(&crate::syslog::parse(line).unwrap()), NO_CONTEXT);
        // Another instance is another context.
        let mut contexts = Contexts::share(0, 1);
        let number = |contexts: &mut Contexts, line: &str| contexts.number(&crate::syslog::parse(line).unwrap());
        assert_eq!(number(&mut contexts, line), 0);
        assert_eq!(number(&mut contexts, "2026-11-23T06:00:00Z mx postfix/smtpd[1]: x"), 1);
        assert_eq!(number(&mut contexts, "2026-11-23T06:00:00.5+01:00 mx postfix/submission/smtpd[7]: y"), 0);
    }

    /// A chunk of empty lines comes in batches of at most MAX_BATCH lines,
    /// which together count the chunk's bytes once and every line once.
    #[test]
    fn many_tiny_lines_come_in_bounded_batches() {
        let n = MAX_BATCH * 2 + 7;
        let mut sizes = Vec::new();
        let mut bytes = 0;
        let newlines = chunk(&vec![b'\n'; n]);
        assert!(Parsed::batches(&newlines, 0..n, Format::Syslog, &mut Contexts::none(), |p| {
            sizes.push(p.lines().len());
            bytes += p.len();
            true
        }));
        assert_eq!(sizes, [MAX_BATCH, MAX_BATCH, 7]);
        assert_eq!(bytes, n);
        // Stopping early stops.
        let mut calls = 0;
        assert!(!Parsed::batches(&newlines, 0..n, Format::Syslog, &mut Contexts::none(), |_| {
            calls += 1;
            false
        }));
        assert_eq!(calls, 1);
    }
}
