//! The syslog envelope: timestamp, host, program tag and pid, split off a
//! line without allocating.
//!
//! Two timestamp shapes are common and may be mixed in one run:
//! `Nov 23 03:13:00` (RFC 3164: no year, no zone, day padded with a space)
//! and `2026-11-23T03:13:00.123456+01:00` (RFC 3339, rsyslog's default on
//! Debian 12+). The program tag is `NAME/DAEMON[PID]`, where NAME is Postfix's
//! `syslog_name` and may itself contain slashes or dashes
//! (`postfix/submission/smtpd`): the daemon is the last component.
//!
//! journalctl's text forms are syslog lines with other timestamps: `short`
//! is RFC 3164 (day zero-padded), `short-iso` and `short-iso-precise` are
//! RFC 3339 (`+0100` or `+01:00`), `short-precise` is RFC 3164 with
//! microseconds; `short-full` and `short-unix` ([`journalctl`]) are tried
//! only when the common shapes fail, so that plain syslog pays nothing.

mod journalctl;
mod year;

pub use crate::envelope::{Envelope, Stamp};
pub use year::YearTracker;

use crate::time::{civil_to_micros, Micros};

/// The syslog envelope, as the parse stage plugs it in (see
/// [`crate::envelope`]).
pub struct Syslog;

impl crate::envelope::Split for Syslog {
    const FORMAT: crate::envelope::Format = crate::envelope::Format::Syslog;

    #[inline]
    fn split(line: &str) -> Option<Envelope<'_>> {
        parse(line)
    }

    fn is_marker(line: &str) -> bool {
        is_marker(line)
    }
}

/// Splits a line into its envelope, or `None` when it is not a syslog line.
pub fn parse(line: &str) -> Option<Envelope<'_>> {
    let (stamp, rest) = parse_stamp(line)?;
    // Single-byte checks by hand: `strip_prefix(' ')` costs a memcmp call,
    // and this runs for every line.
    if rest.as_bytes().first() != Some(&b' ') {
        return None;
    }
    let rest = &rest[1..];
    let h = match Head::in_window(rest.as_bytes()) {
        Some(found) => found?,
        None => Head::scan(rest.as_bytes())?,
    };
    let host = &rest[..h.host_end];
    let after = &rest[h.colon + 1..];
    let payload = if after.as_bytes().first() == Some(&b' ') { &after[1..] } else { after };
    let pid = match h.open {
        Some(open) => rest[open + 1..h.colon - 1].parse().ok()?,
        None => 0,
    };
    let program_end = h.open.unwrap_or(h.colon);
    let (instance, daemon) = match h.slash {
        Some(i) => (&rest[h.host_end + 1..i], &rest[i + 1..program_end]),
        None => ("", &rest[h.host_end + 1..program_end]),
    };
    if host.is_empty() || daemon.is_empty() {
        return None;
    }
    // `host instance/daemon`, side by side: the context's key as it is.
    let key = &rest[..program_end];
    Some(Envelope { stamp, host, instance, daemon, pid, payload, key })
}

/// Where the parts of `HOST NAME/DAEMON[PID]: ` are, as offsets in the text
/// after the timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Head {
    /// The space after the host.
    host_end: usize,
    /// The colon after the tag.
    colon: usize,
    /// The tag's `[` when it ends in `[PID]`.
    open: Option<usize>,
    /// The last `/` of the tag before its `[PID]`: the daemon follows it.
    slash: Option<usize>,
}

impl Head {
    /// From bit masks of the first 64 bytes, in one pass: two searches and
    /// two backward scans per line were a tenth of the parse thread's time.
    /// `None` when the head does not end within them (a long host name);
    /// `Some(None)` when it is no syslog head.
    fn in_window(rest: &[u8]) -> Option<Option<Head>> {
        use crate::bytemask::{first_from, last_in, masks};
        let mut padded = [0u8; 64];
        let window = match rest.get(..64) {
            Some(w) => w,
            None => {
                padded[..rest.len()].copy_from_slice(rest);
                &padded
            }
        };
        let [space, colon, open, slash, close] = masks(window, [b' ', b':', b'[', b'/', b']']);
        let host_end = first_from(space, 0)?;
        let colon = first_from(colon, host_end + 1)?;
        let tag = host_end + 1;
        let open = if colon > tag && close >> (colon - 1) & 1 == 1 {
            match last_in(open, tag, colon) {
                Some(o) => Some(o),
                None => return Some(None),
            }
        } else if last_in(space, tag, colon).is_some() {
            return Some(None);
        } else {
            None
        };
        let slash = last_in(slash, tag, open.unwrap_or(colon));
        Some(Some(Head { host_end, colon, open, slash }))
    }

    /// The same, by searching: for heads longer than the window.
    fn scan(rest: &[u8]) -> Option<Head> {
        let host_end = memchr::memchr(b' ', rest)?;
        let tag = host_end + 1;
        let colon = tag + memchr::memchr(b':', &rest[tag..])?;
        let t = &rest[tag..colon];
        let open = if t.last() == Some(&b']') {
            Some(tag + t.iter().rposition(|&c| c == b'[')?)
        } else if memchr::memchr(b' ', t).is_some() {
            return None;
        } else {
            None
        };
        let slash = rest[tag..open.unwrap_or(colon)].iter().rposition(|&c| c == b'/').map(|i| tag + i);
        Some(Head { host_end, colon, open, slash })
    }
}

fn parse_stamp(line: &str) -> Option<(Stamp, &str)> {
    let b = line.as_bytes();
    let (stamp, n) = if b.first()?.is_ascii_digit() {
        match parse_rfc3339(b) {
            Some((t, n)) => (Stamp::Exact(t), n),
            None => journalctl::unix(b)?,
        }
    } else {
        match parse_rfc3164(b) {
            Some(found) => found,
            None => journalctl::full(b)?,
        }
    };
    Some((stamp, line.get(n..)?))
}

/// Whether `line` is one journalctl writes between entries (`-- Boot …
/// --`, `-- No entries --`): no log line, and no junk either.
pub fn is_marker(line: &str) -> bool {
    journalctl::is_marker(line)
}

const MONTHS: [&[u8; 3]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// `Nov 23 03:13:00` or `Nov  3 03:13:00` (also tolerates `Nov 3 …`), and
/// journalctl's `Nov 03 03:13:00.123456` (`short-precise`).
fn parse_rfc3164(b: &[u8]) -> Option<(Stamp, usize)> {
    let mon = b.get(..3)?;
    let month = MONTHS.iter().position(|m| m[..] == *mon)? as u32 + 1;
    if *b.get(3)? != b' ' {
        return None;
    }
    let mut i = 4;
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let (day, n) = digits(b, i, 2)?;
    i = n;
    if *b.get(i)? != b' ' || !(1..=31).contains(&day) {
        return None;
    }
    let (secs, n) = parse_hms(b, i + 1)?;
    let (micros, n) = fraction(b, n)?;
    Some((Stamp::Local { month: month as u8, day: day as u8, secs, micros: micros as u32 }, n))
}

/// `2026-11-23T03:13:00[.ffffff](Z|±HH:MM)`.
fn parse_rfc3339(b: &[u8]) -> Option<(Micros, usize)> {
    let y = fixed(b, 0, 4)? as i32;
    let mo = fixed(b, 5, 2)?;
    let d = fixed(b, 8, 2)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !matches!(b.get(10), Some(b'T' | b' ')) {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let (secs, i) = parse_hms(b, 11)?;
    let (micros, mut i) = fraction(b, i)?;
    let offset = match b.get(i)? {
        b'Z' | b'z' => {
            i += 1;
            0
        }
        // `+01:00` (RFC 3339), or `+0100` as some syslog daemons and
        // shippers (and journalctl's `short-iso`) write it (ISO 8601 basic).
        b'+' | b'-' => {
            let (o, n) = offset(b, i, false)?;
            i = n;
            o
        }
        _ => return None,
    };
    let t = civil_to_micros(y, mo, d, 0, 0, 0) + secs as i64 * 1_000_000 + micros - offset;
    Some((t, i))
}

/// `.ffffff` at `i` (one digit or more; digits past six are dropped), in
/// microseconds, and the index after it; none at all is 0.
#[inline]
fn fraction(b: &[u8], mut i: usize) -> Option<(i64, usize)> {
    let mut micros = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 6 {
                micros = micros * 10 + (b[i] - b'0') as i64;
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..6 {
            micros *= 10;
        }
    }
    Some((micros, i))
}

/// A UTC offset `±HH:MM` or `±HHMM` at `i` (its sign), in microseconds
/// east of UTC, and the index after it. `hours_only`: `±HH` alone is one
/// too (tzdata's numeric abbreviations, such as `+04`).
fn offset(b: &[u8], i: usize, hours_only: bool) -> Option<(i64, usize)> {
    let sign = match b.get(i)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = fixed(b, i + 1, 2)? as i64;
    let colon = b.get(i + 3) == Some(&b':');
    let (m, end) = match fixed(b, i + if colon { 4 } else { 3 }, 2) {
        Some(m) => (m as i64, i + if colon { 6 } else { 5 }),
        None if hours_only && !colon => (0, i + 3),
        None => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some((sign * (h * 3600 + m * 60) * 1_000_000, end))
}

/// `HH:MM:SS` at `i`: seconds of the day and the index after it.
fn parse_hms(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let h = fixed(b, i, 2)?;
    let m = fixed(b, i + 3, 2)?;
    let s = fixed(b, i + 6, 2)?;
    if b.get(i + 2) != Some(&b':') || b.get(i + 5) != Some(&b':') || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some((h * 3600 + m * 60 + s.min(59), i + 8))
}

/// Exactly `n` ASCII digits at `i`.
fn fixed(b: &[u8], i: usize, n: usize) -> Option<u32> {
    let s = b.get(i..i + n)?;
    s.iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32))
}

/// One to `max` ASCII digits at `i`: the value and the index after them.
fn digits(b: &[u8], i: usize, max: usize) -> Option<(u32, usize)> {
    let mut v = 0u32;
    let mut j = i;
    while j < b.len() && j - i < max && b[j].is_ascii_digit() {
        v = v * 10 + (b[j] - b'0') as u32;
        j += 1;
    }
    (j > i).then_some((v, j))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3164_envelope() {
        let e = parse("Nov 23 03:13:00 mx1 postfix/smtpd[2310]: connect from x[1.2.3.4]").unwrap();
        assert_eq!(e.stamp, Stamp::Local { month: 11, day: 23, secs: 3 * 3600 + 13 * 60, micros: 0 });
        assert_eq!((e.host, e.instance, e.daemon, e.pid), ("mx1", "postfix", "smtpd", 2310));
        assert_eq!(e.payload, "connect from x[1.2.3.4]");
        assert_eq!(e.key, "mx1 postfix/smtpd");
    }

    #[test]
    fn padded_day_and_nested_instance() {
        let e = parse("Nov  3 03:13:00 mx1 postfix/submission/smtpd[88]: x").unwrap();
        assert_eq!(e.stamp, Stamp::Local { month: 11, day: 3, secs: 11580, micros: 0 });
        assert_eq!((e.instance, e.daemon), ("postfix/submission", "smtpd"));
        let e = parse("Nov  3 03:13:00 mx1 postfix-submission/smtpd[88]: x").unwrap();
        assert_eq!((e.instance, e.daemon), ("postfix-submission", "smtpd"));
    }

    #[test]
    fn rfc3339_with_fraction_and_offset() {
        let e = parse("2026-11-23T03:13:00.123456+01:00 mx1 postfix/qmgr[1200]: removed").unwrap();
        let expect = civil_to_micros(2026, 11, 23, 2, 13, 0) + 123_456;
        assert_eq!(e.stamp, Stamp::Exact(expect));
        let e = parse("2026-11-23T03:13:00Z mx1 postfix/qmgr[1200]: removed").unwrap();
        assert_eq!(e.stamp, Stamp::Exact(civil_to_micros(2026, 11, 23, 3, 13, 0)));
        let e = parse("2026-11-23T03:13:00.5-05:30 mx1 postfix/qmgr[1200]: removed").unwrap();
        assert_eq!(e.stamp, Stamp::Exact(civil_to_micros(2026, 11, 23, 8, 43, 0) + 500_000));
    }

    #[test]
    fn rfc3339_offset_without_colon() {
        let e = parse("2015-12-14T00:06:14+0000 mx1 postfix-inbound/qmgr[986]: 3pJjg82Vycz1JBJG: removed").unwrap();
        assert_eq!(e.stamp, Stamp::Exact(civil_to_micros(2015, 12, 14, 0, 6, 14)));
        assert_eq!((e.host, e.instance, e.daemon), ("mx1", "postfix-inbound", "qmgr"));
        let e = parse("2026-11-23T03:13:00.25-0530 mx1 postfix/qmgr[1200]: removed").unwrap();
        assert_eq!(e.stamp, Stamp::Exact(civil_to_micros(2026, 11, 23, 8, 43, 0) + 250_000));
        assert!(parse("2026-11-23T03:13:00+01 mx1 postfix/qmgr[1200]: removed").is_none());
        assert!(parse("2026-11-23T03:13:00+0160 mx1 postfix/qmgr[1200]: removed").is_none());
    }

    #[test]
    fn other_programs_are_not_postfix() {
        let e = parse("Nov 23 03:13:00 mx1 dovecot: imap-login: Login: user=<a>").unwrap();
        assert!(!e.is_postfix());
        assert_eq!(e.daemon, "dovecot");
        assert!(parse("Nov 23 03:13:00 mx1 postfix/smtpd[1]: x").unwrap().is_postfix());
    }

    /// The bit-mask split and the searching one agree on every head that
    /// fits the window, whatever bytes it is made of.
    #[test]
    fn heads_split_alike_in_and_out_of_the_window() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let alphabet = b" :[]/a1-";
        for _ in 0..200_000 {
            let len = next(70) as usize;
            let head: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len() as u64) as usize]).collect();
            if let Some(found) = Head::in_window(&head) {
                assert_eq!(found, Head::scan(&head), "{:?}", String::from_utf8_lossy(&head));
            }
        }
        let long = format!("{} postfix/smtpd[1]: x", "h".repeat(100));
        assert_eq!(Head::in_window(long.as_bytes()), None);
        assert_eq!(Head::scan(long.as_bytes()).map(|h| h.host_end), Some(100));
    }

    #[test]
    fn long_hosts_and_tags_still_split() {
        let host = "a-very-long-host-name.in.a.deep.subdomain.of.example.org";
        let line = format!("Nov 23 03:13:00 {host} postfix/submission/smtpd[88]: x");
        let e = parse(&line).unwrap();
        assert_eq!((e.host, e.instance, e.daemon, e.pid, e.payload), (host, "postfix/submission", "smtpd", 88, "x"));
        let e = parse("Nov 23 03:13:00 mx postfix/smtpd: no pid").unwrap();
        assert_eq!((e.instance, e.daemon, e.pid, e.payload), ("postfix", "smtpd", 0, "no pid"));
        assert!(parse("Nov 23 03:13:00 mx postfix/smtpd]: x").is_none());
        assert!(parse("Nov 23 03:13:00 mx post fix: x").is_none());
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "Nov",
            "Nov 23",
            "Foo 23 03:13:00 h p[1]: x",
            "Nov 23 25:13:00 h p[1]: x",
            "2026-13-01T00:00:00Z h p: x",
            "Nov 23 03:13:00 h",
            "Nov 23 03:13:00 h p[x]: y",
        ] {
            assert!(parse(s).is_none(), "{s:?}");
        }
    }
}
