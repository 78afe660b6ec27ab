//! journalctl's text forms whose timestamps are no syslog shape, and the
//! lines it writes between entries. Tried only after the common shapes
//! fail (see [`super::parse_stamp`]).
//!
//! - `short-full`: `Fri 2026-12-04 19:03:00 CET host tag[pid]: msg`, the
//!   weekday, date and time in the zone journalctl ran in, and that zone's
//!   abbreviation (`%Z`). `UTC`, `GMT` and numeric abbreviations (`+04`,
//!   `-0330`: tzdata's names for zones without letters) give the instant;
//!   letters (`CET`, `CEST`, `EST`) name no offset by themselves (`IST` is
//!   India, Ireland or Israel), so they are read in the log's zone
//!   (`--log-tz`), the abbreviation choosing between its offsets in the
//!   hour a DST fall-back repeats ([`Stamp::Zoned`]).
//! - `short-unix`: `1796410980.000000 host tag[pid]: msg`, seconds since the
//!   epoch.
//! - Markers: `-- Boot 3f6a… --`, `-- No entries --`, and the `-- Logs begin
//!   at …, end at … --` or `-- Reboot --` of older versions.

use super::{fixed, fraction, offset, parse_hms};
use crate::envelope::{Abbr, Stamp};
use crate::time::days_from_civil;

/// Weekdays from the epoch's: 1970-01-01 was a Thursday.
const WEEKDAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];

/// `Fri 2026-12-04 19:03:00 ZONE`: the stamp and the index after it.
#[cold]
pub(super) fn full(b: &[u8]) -> Option<(Stamp, usize)> {
    let weekday = b.get(..3)?;
    let (y, mo, d) = (fixed(b, 4, 4)? as i32, fixed(b, 9, 2)?, fixed(b, 12, 2)?);
    let seps = [(3, b' '), (8, b'-'), (11, b'-'), (14, b' ')];
    if seps.iter().any(|&(i, c)| b.get(i) != Some(&c)) || chrono::NaiveDate::from_ymd_opt(y, mo, d).is_none() {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    if WEEKDAYS[days.rem_euclid(7) as usize][..] != *weekday {
        return None;
    }
    let (secs, i) = parse_hms(b, 15)?;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let start = i + 1;
    let end = start + memchr::memchr(b' ', b.get(start..)?)?;
    let zone = &b[start..end];
    let local = (days * 86_400 + secs as i64) * 1_000_000;
    let stamp = match zone {
        b"UTC" | b"GMT" => Stamp::Exact(local),
        [b'+' | b'-', ..] => match offset(zone, 0, true)? {
            (east, n) if n == zone.len() => Stamp::Exact(local - east),
            _ => return None,
        },
        _ => Stamp::Zoned { days: i32::try_from(days).ok()?, secs, abbr: Abbr::new(zone)? },
    };
    Some((stamp, end))
}

/// `1796410980.123456`: the stamp and the index after it. journalctl always
/// writes the fraction, which keeps other lines starting with digits out.
#[cold]
pub(super) fn unix(b: &[u8]) -> Option<(Stamp, usize)> {
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=11).contains(&digits) || b.get(digits) != Some(&b'.') {
        return None;
    }
    let secs: i64 = std::str::from_utf8(&b[..digits]).ok()?.parse().ok()?;
    let (micros, n) = fraction(b, digits)?;
    Some((Stamp::Exact(secs * 1_000_000 + micros), n))
}

/// `-- … --`, as journalctl writes its markers.
pub(super) fn is_marker(line: &str) -> bool {
    line.len() <= 200
        && line.len() >= 6
        && line.starts_with("-- ")
        && line.ends_with(" --")
        && !line.bytes().any(|c| c.is_ascii_control())
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use crate::time::civil_to_micros;

    #[test]
    fn short_full_with_utc_numeric_and_lettered_zones() {
        let e = parse("Fri 2026-12-04 19:03:00 UTC mx1 postfix/smtpd[7]: connect from x[192.0.2.1]").unwrap();
        assert_eq!(e.stamp, Stamp::Exact(civil_to_micros(2026, 12, 4, 19, 3, 0)));
        assert_eq!(
            (e.host, e.instance, e.daemon, e.pid, e.payload),
            ("mx1", "postfix", "smtpd", 7, "connect from x[192.0.2.1]")
        );
        let at =
            |zone: &str| parse(&format!("Fri 2026-12-04 19:03:00 {zone} mx1 postfix/smtpd[7]: x")).map(|e| e.stamp);
        assert_eq!(at("GMT"), Some(Stamp::Exact(civil_to_micros(2026, 12, 4, 19, 3, 0))));
        assert_eq!(at("+04"), Some(Stamp::Exact(civil_to_micros(2026, 12, 4, 15, 3, 0))));
        assert_eq!(at("-0330"), Some(Stamp::Exact(civil_to_micros(2026, 12, 4, 22, 33, 0))));
        let days = days_from_civil(2026, 12, 4) as i32;
        let cet = Stamp::Zoned { days, secs: 19 * 3600 + 180, abbr: Abbr::new(b"CET").unwrap() };
        assert_eq!(at("CET"), Some(cet));
        for bad in ["+4", "+04x", "+2500", "C3T", "TOOLONG", ""] {
            assert_eq!(at(bad), None, "{bad:?}");
        }
        // The weekday must be the date's; the date must exist.
        assert!(parse("Sat 2026-12-04 19:03:00 UTC mx1 postfix/smtpd[7]: x").is_none());
        assert!(parse("Mon 2026-02-30 19:03:00 UTC mx1 postfix/smtpd[7]: x").is_none());
        assert!(parse("Fri 2026-12-04 19:03:00 UTC").is_none());
    }

    #[test]
    fn short_unix_and_short_precise() {
        let e = parse("1796410980.250000 mx1 postfix/qmgr[9]: removed").unwrap();
        assert_eq!(e.stamp, Stamp::Exact(1_796_410_980_250_000));
        assert!(parse("1796410980 mx1 postfix/qmgr[9]: removed").is_none());
        let e = parse("Dec 04 19:03:00.123456 mx1 postfix/qmgr[9]: removed").unwrap();
        assert_eq!(e.stamp, Stamp::Local { month: 12, day: 4, secs: 19 * 3600 + 180, micros: 123_456 });
        assert_eq!(e.payload, "removed");
        assert!(parse("Dec 04 19:03:00. mx1 postfix/qmgr[9]: removed").is_none());
    }

    #[test]
    fn markers() {
        for m in ["-- Boot 3f6a0c1d2e3f40516273849aabbccdde --", "-- No entries --", "-- Reboot --"] {
            assert!(is_marker(m), "{m}");
        }
        assert!(is_marker("-- Logs begin at Fri 2026-12-04 19:03:00 UTC, end at Fri 2026-12-04 20:03:00 UTC. --"));
        for not in ["--", "-- x", "x --", "-- \u{1b}[31m --", "Dec 04 19:03:00 mx1 postfix/qmgr[9]: -- x --"] {
            assert!(!is_marker(not), "{not}");
        }
    }
}
