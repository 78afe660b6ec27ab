//! The scan of one line of `journalctl -o json`: strict JSON (strings with
//! their escapes, nested values, nothing after the closing brace) without a
//! JSON library, looking only at the few fields the envelope reads.

use super::Stamp;

/// A field's value, as found on the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Value<'a> {
    Missing,
    /// The text between the quotes, and whether it holds an escape.
    Str(&'a str, bool),
    /// The text between the brackets of an array of numbers.
    Bytes(&'a str),
    /// `null`, a number, an object…: not what a field read holds.
    Other,
}

/// The fields read, from one scan of the object.
pub(super) struct Fields<'a> {
    pub(super) cursor: Value<'a>,
    pub(super) time: Value<'a>,
    pub(super) host: Value<'a>,
    pub(super) ident: Value<'a>,
    pub(super) comm: Value<'a>,
    pub(super) syslog_pid: Value<'a>,
    pub(super) pid: Value<'a>,
    pub(super) message: Value<'a>,
}

/// Deepest nesting of values skipped over.
const MAX_DEPTH: usize = 16;

impl<'a> Fields<'a> {
    pub(super) fn scan(line: &'a str) -> Option<Fields<'a>> {
        let b = line.as_bytes();
        let mut f = Fields {
            cursor: Value::Missing,
            time: Value::Missing,
            host: Value::Missing,
            ident: Value::Missing,
            comm: Value::Missing,
            syslog_pid: Value::Missing,
            pid: Value::Missing,
            message: Value::Missing,
        };
        let mut i = ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return None;
        }
        i = ws(b, i + 1);
        if b.get(i) == Some(&b'}') {
            i += 1;
        } else {
            loop {
                let (key, _, next) = string(b, i)?;
                i = ws(b, next);
                if b.get(i) != Some(&b':') {
                    return None;
                }
                i = ws(b, i + 1);
                let start = i;
                i = skip_value(b, i, 0)?;
                let slot = match &line[key] {
                    "__CURSOR" => Some(&mut f.cursor),
                    "__REALTIME_TIMESTAMP" => Some(&mut f.time),
                    "_HOSTNAME" => Some(&mut f.host),
                    "SYSLOG_IDENTIFIER" => Some(&mut f.ident),
                    "_COMM" => Some(&mut f.comm),
                    "SYSLOG_PID" => Some(&mut f.syslog_pid),
                    "_PID" => Some(&mut f.pid),
                    "MESSAGE" => Some(&mut f.message),
                    _ => None,
                };
                // A key given twice (journalctl never does): the first counts.
                if let Some(slot) = slot.filter(|s| **s == Value::Missing) {
                    *slot = value(line, start, i)?;
                }
                i = ws(b, i);
                match b.get(i) {
                    Some(b',') => i = ws(b, i + 1),
                    Some(b'}') => {
                        i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        (ws(b, i) == b.len()).then_some(f)
    }

    pub(super) fn stamp(&self) -> Option<Stamp> {
        let Value::Str(t, false) = self.time else { return None };
        if t.is_empty() || t.len() > 18 || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Some(Stamp::Exact(t.parse().ok()?))
    }

    pub(super) fn ident(&self) -> Value<'a> {
        match self.ident {
            Value::Missing => self.comm,
            v => v,
        }
    }

    /// `SYSLOG_PID`, else `_PID`, else 0.
    pub(super) fn pid(&self) -> u32 {
        let number = |v: Value| match v {
            Value::Str(s, false) if s.bytes().all(|c| c.is_ascii_digit()) => s.parse().ok(),
            _ => None,
        };
        number(self.syslog_pid).or_else(|| number(self.pid)).unwrap_or(0)
    }
}

/// What the value at `start..end` (already checked well-formed) is; the
/// first of an array of values, an array of numbers being bytes.
fn value(line: &str, start: usize, end: usize) -> Option<Value<'_>> {
    let b = line.as_bytes();
    Some(match b[start] {
        b'"' => {
            let (raw, escaped, _) = string(b, start)?;
            Value::Str(&line[raw], escaped)
        }
        b'[' => {
            let inner = &line[start + 1..end - 1];
            let first = ws(b, start + 1);
            match b.get(first) {
                Some(b'0'..=b'9') => Value::Bytes(inner),
                // Several values: the first (a string, or bytes).
                Some(b'"' | b'[') => value(line, first, skip_value(b, first, 0)?)?,
                _ => Value::Other,
            }
        }
        _ => Value::Other,
    })
}

/// The index of the first non-whitespace byte at or after `i`.
fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// The string starting with the quote at `i`: the range of its raw text,
/// whether it holds an escape, and the index after its closing quote.
fn string(b: &[u8], i: usize) -> Option<(std::ops::Range<usize>, bool, usize)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let mut j = start;
    let mut escaped = false;
    loop {
        j += memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
        if b[j] == b'"' {
            return Some((start..j, escaped, j + 1));
        }
        escaped = true;
        j += 2;
    }
}

/// The index after the value at `i`.
fn skip_value(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    match *b.get(i)? {
        b'"' => string(b, i).map(|(_, _, end)| end),
        open @ (b'[' | b'{') => {
            let close = if open == b'[' { b']' } else { b'}' };
            let mut j = ws(b, i + 1);
            if b.get(j) == Some(&close) {
                return Some(j + 1);
            }
            loop {
                if open == b'{' {
                    j = ws(b, string(b, j)?.2);
                    if b.get(j) != Some(&b':') {
                        return None;
                    }
                    j = ws(b, j + 1);
                }
                j = ws(b, skip_value(b, j, depth + 1)?);
                match b.get(j) {
                    Some(b',') => j = ws(b, j + 1),
                    Some(&c) if c == close => return Some(j + 1),
                    _ => return None,
                }
            }
        }
        _ => {
            let n = b[i..].iter().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.')).count();
            (n > 0).then_some(i + n)
        }
    }
}

/// The bytes of an array of numbers 0 to 255 (its text between brackets).
pub(super) fn bytes(inner: &str) -> Option<Vec<u8>> {
    inner.split(',').map(|n| n.trim_matches([' ', '\t', '\r', '\n']).parse::<u8>().ok()).collect()
}

/// Appends the JSON string `raw` (between its quotes), unescaped, to `out`.
/// `Some(true)` when a lone surrogate had to be replaced by U+FFFD; `None`
/// when it is no valid JSON string text.
pub(super) fn unescape(raw: &str, out: &mut String) -> Option<bool> {
    let b = raw.as_bytes();
    let mut repaired = false;
    let mut i = 0;
    while i < b.len() {
        let n = memchr::memchr(b'\\', &b[i..]).unwrap_or(b.len() - i);
        let plain = &raw[i..i + n];
        if plain.bytes().any(|c| c < 0x20 && c != b'\t') {
            return None;
        }
        out.push_str(plain);
        i += n;
        if i == b.len() {
            break;
        }
        let c = *b.get(i + 1)?;
        i += 2;
        out.push(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(b, i)?;
                i += 4;
                match hi {
                    0xd800..=0xdbff => match (b.get(i..i + 2), hex4(b, i + 2)) {
                        (Some(b"\\u"), Some(lo @ 0xdc00..=0xdfff)) => {
                            i += 6;
                            char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00))?
                        }
                        _ => {
                            repaired = true;
                            '\u{fffd}'
                        }
                    },
                    0xdc00..=0xdfff => {
                        repaired = true;
                        '\u{fffd}'
                    }
                    c => char::from_u32(c)?,
                }
            }
            _ => return None,
        });
    }
    Some(repaired)
}

/// Four hex digits at `i`.
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let s = b.get(i..i + 4)?;
    s.iter().try_fold(0u32, |acc, &c| Some(acc * 16 + (c as char).to_digit(16)?))
}
