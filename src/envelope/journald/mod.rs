//! The systemd journal's `journalctl -o json`: one JSON object per line.
//!
//! The fields read: `__REALTIME_TIMESTAMP` (microseconds since the epoch,
//! UTC, as a string: no year to infer), `_HOSTNAME`, `SYSLOG_IDENTIFIER`
//! (`postfix/smtpd`, `postfix/submission/smtpd`: split into instance and
//! daemon as a syslog tag is; `_COMM` when it is missing), `SYSLOG_PID`
//! else `_PID` (strings), and `MESSAGE`: a string, or an array of byte
//! values when it is not valid UTF-8 (then repaired as the syslog path
//! repairs invalid UTF-8). A field with several values is an array of them:
//! the first is read. `MESSAGE` is `null` when journalctl elided a large one
//! (without `--all`): such a line, like a malformed one, is no line of the
//! format.
//!
//! Every string is attacker-controlled: the object is scanned strictly
//! (strings with their escapes, nested values, nothing after the closing
//! brace), without a JSON library: only the few fields read are looked at,
//! and when none of them holds an escape the envelope borrows them from the
//! line ([`Split::split`]); otherwise they are decoded ([`Split::decode`]).
//!
//! Quoted as evidence, an entry is the line journalctl shows for it, and
//! its `__CURSOR` names it ([`readable`]).

mod scan;

use super::{Decoded, Envelope, Split, Stamp};
use scan::{bytes, unescape, Fields, Value};

pub struct Journald;

impl Journald {
    /// The first line is an object naming a journal field.
    pub fn sniff(first: &[u8]) -> bool {
        let line = match memchr::memchr(b'\n', first) {
            Some(n) => &first[..n],
            None => first,
        };
        line.first() == Some(&b'{')
            && (memchr::memmem::find(line, b"\"__REALTIME_TIMESTAMP\"").is_some()
                || memchr::memmem::find(line, b"\"MESSAGE\"").is_some())
    }
}

impl Split for Journald {
    const FORMAT: super::Format = super::Format::Journald;

    fn split(line: &str) -> Option<Envelope<'_>> {
        let f = Fields::scan(line)?;
        let stamp = f.stamp()?;
        let (Value::Str(host, false), Value::Str(message, false)) = (f.host, f.message) else {
            return None;
        };
        let ident = match f.ident() {
            Value::Str(s, false) => s,
            Value::Missing => "",
            _ => return None,
        };
        if host.is_empty() || [host, ident, message].iter().any(|s| s.bytes().any(|b| b < 0x20 && b != b'\t')) {
            // Control characters are not allowed raw in JSON strings.
            return None;
        }
        let (instance, daemon) = tag(ident)?;
        Some(Envelope { stamp, host, instance, daemon, pid: f.pid(), payload: message, key: "" })
    }

    fn decode(line: &str) -> Option<Decoded> {
        let f = Fields::scan(line)?;
        let stamp = f.stamp()?;
        let mut text = String::new();
        let mut repaired = false;
        let host = put(&mut text, f.host, &mut repaired)?;
        let ident = match f.ident() {
            Value::Missing => text.len()..text.len(),
            v => put(&mut text, v, &mut repaired)?,
        };
        let payload = put(&mut text, f.message, &mut repaired)?;
        // NUL would make names ambiguous when joined into a context key,
        // and a syslog line holding one is binary junk.
        if host.is_empty() || text.as_bytes().contains(&0) {
            return None;
        }
        // `tag` splits the identifier into a prefix and a suffix of it (an
        // identifier without a slash: an empty instance), so their places
        // follow from their lengths; an empty instance is a literal, not
        // part of `text`, and has no address in it.
        let (instance, daemon) = tag(&text[ident.clone()])?;
        let (instance, daemon) = (ident.start..ident.start + instance.len(), ident.end - daemon.len()..ident.end);
        Some(Decoded { stamp, host, instance, daemon, pid: f.pid(), payload, repaired, text })
    }
}

/// The line `journalctl -o short-iso-precise --utc` shows for the entry on
/// `line` (its offset written `+00:00`, as RFC 3339 has it), and the
/// entry's cursor when it has a well-formed one: evidence people can read
/// and find again. `None` when `line` is no entry.
pub fn readable(line: &str) -> Option<(String, Option<String>)> {
    if !line.starts_with('{') {
        return None;
    }
    let cursor = cursor_of(&Fields::scan(line)?).map(str::to_string);
    let decoded: Decoded;
    let env = match Journald::split(line) {
        Some(env) => env,
        None => {
            decoded = Journald::decode(line)?;
            decoded.envelope()
        }
    };
    let Stamp::Exact(t) = env.stamp else { return None };
    let time = crate::time::micros_to_utc(t).format("%Y-%m-%dT%H:%M:%S%.6f+00:00");
    let slash = if env.instance.is_empty() { "" } else { "/" };
    let pid = if env.pid > 0 { format!("[{}]", env.pid) } else { String::new() };
    let text = format!("{time} {} {}{slash}{}{pid}: {}", env.host, env.instance, env.daemon, env.payload);
    Some((text, cursor))
}

/// The `__CURSOR` of the entry on `line` (a line of `journalctl -o json`),
/// when it has a well-formed one: where `journalctl --after-cursor` goes on.
pub fn cursor(line: &str) -> Option<&str> {
    cursor_of(&Fields::scan(line)?)
}

fn cursor_of<'a>(f: &Fields<'a>) -> Option<&'a str> {
    match f.cursor {
        // A cursor is `s=…;i=…;b=…` in hex; anything else is not taken, so
        // that nothing forged lands where a reader may paste it, or on
        // journalctl's command line.
        Value::Str(c, false)
            if c.len() <= 512 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b"=;".contains(&b)) =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// Instance and daemon of a tag, split at its last slash as syslog does.
fn tag(ident: &str) -> Option<(&str, &str)> {
    match ident.rsplit_once('/') {
        Some((_, "")) => None,
        Some((instance, daemon)) => Some((instance, daemon)),
        None => Some(("", ident)),
    }
}

/// Appends the decoded value to `text`: where it is.
fn put(text: &mut String, v: Value, repaired: &mut bool) -> Option<std::ops::Range<usize>> {
    let start = text.len();
    match v {
        Value::Str(raw, _) => *repaired |= unescape(raw, text)?,
        Value::Bytes(raw) => {
            let bytes = bytes(raw)?;
            match String::from_utf8(bytes) {
                Ok(s) => text.push_str(&s),
                Err(e) => {
                    *repaired = true;
                    text.push_str(&String::from_utf8_lossy(e.as_bytes()));
                }
            }
        }
        Value::Missing | Value::Other => return None,
    }
    Some(start..text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"__CURSOR":"s=0a;i=1","__REALTIME_TIMESTAMP":"1764875048000000","__MONOTONIC_TIMESTAMP":"12","_BOOT_ID":"b","PRIORITY":"6","SYSLOG_FACILITY":"2","_TRANSPORT":"syslog","_HOSTNAME":"mx1","SYSLOG_IDENTIFIER":"postfix/submission/smtpd","SYSLOG_PID":"354","_PID":"9","MESSAGE":"connect from unknown[127.0.0.67]:56507"}"#;

    fn decoded(line: &str) -> Option<(String, String, String, u32, String, bool)> {
        let d = Journald::decode(line)?;
        let e = d.envelope();
        Some((e.host.into(), e.instance.into(), e.daemon.into(), e.pid, e.payload.into(), d.repaired))
    }

    #[test]
    fn splits_a_journalctl_json_line() {
        let e = Journald::split(LINE).unwrap();
        assert_eq!(e.stamp, Stamp::Exact(1_764_875_048_000_000));
        assert_eq!((e.host, e.instance, e.daemon, e.pid), ("mx1", "postfix/submission", "smtpd", 354));
        assert_eq!((e.payload, e.key), ("connect from unknown[127.0.0.67]:56507", ""));
        assert!(Journald::sniff(LINE.as_bytes()));
        assert!(Journald::sniff(b"{\"MESSAGE\":\"x\"}\n"));
        assert!(!Journald::sniff(b"Dec  4 19:04:23 mx1 postfix/smtpd[1]: {\"MESSAGE\""));
        assert!(!Journald::sniff(b"{\"a\":1}\n{\"MESSAGE\":\"x\"}"));
        // The decoding path agrees with the borrowing one.
        assert_eq!(
            decoded(LINE).unwrap(),
            ("mx1".into(), "postfix/submission".into(), "smtpd".into(), 354, e.payload.into(), false)
        );
    }

    #[test]
    fn an_entry_reads_as_journalctl_shows_it() {
        let (text, cursor) = readable(LINE).unwrap();
        assert_eq!(
            text,
            "2025-12-04T19:04:08.000000+00:00 mx1 postfix/submission/smtpd[354]: connect from unknown[127.0.0.67]:56507"
        );
        assert_eq!(cursor.as_deref(), Some("s=0a;i=1"));
        assert_eq!(super::cursor(LINE), Some("s=0a;i=1"));
        assert_eq!(super::cursor(&LINE.replace("s=0a;i=1", "s=0a;i=1 x")), None);
        assert_eq!(super::cursor(&LINE[..60]), None);
        let escaped = LINE.replace("connect from", r#"a \"q\""#).replace(r#""SYSLOG_PID":"354","_PID":"9","#, "");
        let (text, _) = readable(&escaped).unwrap();
        assert!(text.ends_with(r#"mx1 postfix/submission/smtpd: a "q" unknown[127.0.0.67]:56507"#), "{text}");
        let forged = LINE.replace("s=0a;i=1", "s=0a' ; rm -rf x");
        assert_eq!(readable(&forged).unwrap().1, None);
        assert_eq!(readable("Dec  4 19:04:08 mx1 postfix/smtpd[1]: x"), None);
        assert_eq!(readable(&LINE[..60]), None);
    }

    #[test]
    fn pids_identifiers_and_other_programs() {
        let no_syslog_pid = LINE.replace(r#""SYSLOG_PID":"354","#, "");
        assert_eq!(Journald::split(&no_syslog_pid).unwrap().pid, 9);
        let line =
            r#"{"__REALTIME_TIMESTAMP":"1","_HOSTNAME":"mx1","SYSLOG_IDENTIFIER":"dovecot","MESSAGE":"imap-login: x"}"#;
        let e = Journald::split(line).unwrap();
        assert!(!e.is_postfix());
        assert_eq!((e.daemon, e.pid), ("dovecot", 0));
        let line = r#"{"__REALTIME_TIMESTAMP":"1","_HOSTNAME":"h","_COMM":"smtpd","MESSAGE":"x"}"#;
        assert_eq!(Journald::split(line).unwrap().daemon, "smtpd");
        let line =
            r#"{"__REALTIME_TIMESTAMP":"1","_HOSTNAME":"h","SYSLOG_IDENTIFIER":["postfix/qmgr","x"],"MESSAGE":"m"}"#;
        assert_eq!(Journald::split(line).unwrap().daemon, "qmgr");
    }

    #[test]
    fn escapes_and_byte_arrays_are_decoded() {
        let line = LINE.replace("connect from", r#"a \"q\" \\ \/ \t \u00e9 \ud83d\ude00 \ud800 x"#);
        assert!(Journald::split(&line).is_none());
        let d = decoded(&line).unwrap();
        assert_eq!(d.4, "a \"q\" \\ / \t é 😀 \u{fffd} x unknown[127.0.0.67]:56507");
        assert!(d.5, "a lone surrogate is a repair");
        let bytes = |m: &str| LINE.replace(r#""connect from unknown[127.0.0.67]:56507""#, m);
        assert_eq!(decoded(&bytes("[104, 105]")).unwrap().4, "hi");
        let d = decoded(&bytes("[104,255,105]")).unwrap();
        assert_eq!((d.4.as_str(), d.5), ("h\u{fffd}i", true));
        let host = LINE.replace(r#""mx1""#, r#""m\u0078""#);
        assert_eq!(decoded(&host).unwrap().0, "mx");
    }

    #[test]
    fn malformed_lines_are_none() {
        let with = |from: &str, to: &str| LINE.replacen(from, to, 1);
        for bad in [
            String::new(),
            "{".into(),
            "{}".into(),
            LINE[..LINE.len() - 1].into(),
            format!("{LINE} x"),
            with("\"1764875048000000\"", "1764875048000000"),
            with("\"1764875048000000\"", "\"17x\""),
            with("\"MESSAGE\":\"connect from unknown[127.0.0.67]:56507\"", "\"MESSAGE\":null"),
            with("\"MESSAGE\"", "\"MESSAGE_ID\""),
            with("\"mx1\"", "\"\""),
            with("connect", r"con\qnect"),
            with("connect", r"con\u12"),
            with("connect", r"con\u0000"),
            with("connect", "con\u{1}nect"),
            with("\"mx1\"", "[256]"),
            with("\"postfix/submission/smtpd\"", "\"postfix/\""),
            with(",\"_PID\"", "\"_PID\""),
            with("\"PRIORITY\":\"6\"", "\"PRIORITY\":{\"a\":[1,[2,{}]]}x"),
        ] {
            assert!(Journald::split(&bad).is_none() && Journald::decode(&bad).is_none(), "{bad}");
        }
        // Nested values of fields not read are skipped.
        let nested = with("\"PRIORITY\":\"6\"", "\"PRIORITY\":{\"a\":[1,[2,{}]],\"b\":null}");
        assert!(Journald::split(&nested).is_some());
        let deep = with("\"PRIORITY\":\"6\"", &format!("\"PRIORITY\":{}{}", "[".repeat(100), "]".repeat(100)));
        assert!(Journald::split(&deep).is_none());
    }

    /// Lines mangled at random (JSON's own characters and escapes, in
    /// place of a byte of a real line) never panic, and whenever the line
    /// lends its fields, decoding them gives the same envelope.
    #[test]
    fn mangled_lines_split_and_decode_alike() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let pieces = [
            "\"", "\\", "\\u", "\\ud800", "\\udc00", "{", "}", "[", "]", ",", ":", "0", "255", "é", " ", "null", "/",
            "",
        ];
        for _ in 0..100_000 {
            let mut line: Vec<char> = LINE.chars().collect();
            for _ in 0..1 + next(3) {
                let at = next(line.len());
                let piece = pieces[next(pieces.len())];
                line.splice(at..at + usize::from(next(2) == 0).min(line.len() - at), piece.chars());
            }
            let line: String = line.into_iter().collect();
            let decoded = Journald::decode(&line);
            if let Some(e) = Journald::split(&line) {
                let d = decoded.unwrap_or_else(|| panic!("{line}"));
                assert_eq!(d.envelope(), e, "{line}");
            }
        }
    }
}
