//! Time as postsleuth keeps it: `i64` microseconds since the Unix epoch, UTC.
//!
//! Parsing log timestamps happens millions of times per second, so the civil
//! date arithmetic here is hand-rolled (Howard Hinnant's `days_from_civil`)
//! instead of going through chrono for every line. chrono and chrono-tz are
//! used where a zone's rules are needed: converting RFC 3164 local times
//! (cached per hour) and displaying.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use std::fmt;

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

pub const MICROS_PER_SEC: i64 = 1_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y } as i64;
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Microseconds of a civil date and time taken as UTC.
pub fn civil_to_micros(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Micros {
    let days = days_from_civil(y, mo, d);
    (days * 86_400 + h as i64 * 3600 + mi as i64 * 60 + s as i64) * MICROS_PER_SEC
}

/// A time zone as the user names it: the machine's local zone, or an IANA name.
#[derive(Clone, Debug, PartialEq)]
pub enum Zone {
    Local,
    Named(chrono_tz::Tz),
}

impl Zone {
    /// `local`, `UTC` or any IANA name such as `Europe/Berlin`.
    pub fn parse(s: &str) -> Result<Zone, String> {
        if s.eq_ignore_ascii_case("local") {
            return Ok(Zone::Local);
        }
        if s.eq_ignore_ascii_case("utc") {
            return Ok(Zone::Named(chrono_tz::UTC));
        }
        s.parse::<chrono_tz::Tz>()
            .map(Zone::Named)
            .map_err(|_| format!("unknown time zone {s:?}: use an IANA name such as UTC or Europe/Berlin, or 'local'"))
    }

    /// The zone's IANA name (`Europe/Paris`); for `local`, `TZ` or the
    /// system's zone, when it can be told.
    pub fn iana_name(&self) -> Option<String> {
        match self {
            Zone::Named(tz) => Some(tz.name().to_string()),
            Zone::Local => std::env::var("TZ")
                .ok()
                .map(|s| s.trim_start_matches(':').to_string())
                .filter(|s| s.parse::<chrono_tz::Tz>().is_ok())
                .or_else(|| iana_time_zone::get_timezone().ok()),
        }
    }

    /// Offset from UTC in seconds at a local wall-clock time. An ambiguous
    /// time (DST fall-back) takes the earlier instant; a skipped one (spring
    /// forward) takes the offset before the gap, as syslog daemons do.
    pub fn offset_at_local(&self, naive: NaiveDateTime) -> i64 {
        self.offsets_at_local(naive).0
    }

    /// The offsets of the earlier and the later instant a local time may
    /// be: the same twice, except in the hour a DST fall-back repeats.
    pub fn offsets_at_local(&self, naive: NaiveDateTime) -> (i64, i64) {
        fn pick<T: TimeZone>(r: LocalResult<DateTime<T>>, tz: &T, naive: NaiveDateTime) -> (i64, i64) {
            let off = |t: &DateTime<T>| t.offset().fix().local_minus_utc() as i64;
            match r {
                LocalResult::Single(t) => (off(&t), off(&t)),
                LocalResult::Ambiguous(a, b) => (off(&a), off(&b)),
                LocalResult::None => {
                    // Read as UTC, a day earlier is before the gap in every
                    // zone (three hours was not east of UTC+3: Tehran's
                    // midnight jumps took the offset after the gap).
                    let before = naive - chrono::Duration::days(1);
                    let o = tz.offset_from_utc_datetime(&before).fix().local_minus_utc() as i64;
                    (o, o)
                }
            }
        }
        match self {
            Zone::Local => pick(chrono::Local.from_local_datetime(&naive), &chrono::Local, naive),
            Zone::Named(tz) => pick(tz.from_local_datetime(&naive), tz, naive),
        }
    }

    /// Offset from UTC in seconds at an instant.
    pub fn offset_at(&self, t: Micros) -> i64 {
        let utc = micros_to_utc(t).naive_utc();
        match self {
            Zone::Local => chrono::Local.offset_from_utc_datetime(&utc).fix().local_minus_utc() as i64,
            Zone::Named(tz) => tz.offset_from_utc_datetime(&utc).fix().local_minus_utc() as i64,
        }
    }

    /// `2026-11-23 03:13:00` in this zone (with `+01:00` when `offset` is set).
    pub fn format(&self, t: Micros, with_offset: bool) -> String {
        let off = self.offset_at(t);
        let local = micros_to_utc(t + off * MICROS_PER_SEC).naive_utc();
        let mut s = local.format("%Y-%m-%d %H:%M:%S").to_string();
        if with_offset {
            s.push_str(&format_offset(off));
        }
        s
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Local => f.write_str("local"),
            Zone::Named(tz) => f.write_str(tz.name()),
        }
    }
}

fn format_offset(off: i64) -> String {
    if off == 0 {
        return "Z".to_string();
    }
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.abs();
    format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
}

/// RFC 3339 in UTC with second precision: the form for JSON, CSV and evidence.
pub fn rfc3339_utc(t: Micros) -> String {
    micros_to_utc(t).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn micros_to_utc(t: Micros) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(t).unwrap_or_default()
}

/// Converts RFC 3164 wall-clock times to UTC, remembering the offset of the
/// last hour seen: log lines arrive in time order, so the zone rules are
/// consulted about once per hour of log instead of once per line.
#[derive(Clone)]
pub struct LocalToUtc {
    zone: Zone,
    cache_key: i64,
    /// Offsets of the earlier and the later reading of the cached hour.
    cache_offsets: (i64, i64),
    /// The instant of the previous line.
    last: Micros,
    /// The zone's rules by name, for its abbreviations: looked up once, on
    /// the first time written beside one.
    rules: Option<Option<chrono_tz::Tz>>,
    /// The hour, abbreviation and offset of the last such time.
    named: Option<(i64, String, Option<i64>)>,
}

/// How far back a line may step (syslog lines from different processes are
/// a little out of order) and still be read in the first pass of an hour
/// that a DST fall-back repeats.
const REORDER: Micros = 10 * 60 * MICROS_PER_SEC;

impl LocalToUtc {
    pub fn new(zone: Zone) -> Self {
        LocalToUtc { zone, cache_key: i64::MIN, cache_offsets: (0, 0), last: i64::MIN, rules: None, named: None }
    }

    /// Converts a local wall-clock time (given as if it were UTC) written
    /// beside its zone's abbreviation (`CET`, `CEST`): by the zone's offset
    /// of that name then, which also tells the two passes of the hour a
    /// DST fall-back repeats apart. `None` when the zone has no offset of
    /// that name at that time (the log was written in another zone): the
    /// caller then reads it as [`LocalToUtc::convert`] does. A zone whose
    /// rules cannot be told by name (`local` without a known IANA name) has
    /// no abbreviations to check: the time is read as `convert` reads it.
    pub fn convert_abbreviated(&mut self, local_as_utc: Micros, abbr: &str) -> Option<Micros> {
        use chrono_tz::OffsetName;
        let hour = local_as_utc.div_euclid(3600 * MICROS_PER_SEC);
        let offset = match &self.named {
            Some((h, a, offset)) if *h == hour && a == abbr => *offset,
            _ => {
                let zone = &self.zone;
                let rules = *self.rules.get_or_insert_with(|| match zone {
                    Zone::Named(tz) => Some(*tz),
                    Zone::Local => zone.iana_name().and_then(|n| n.parse().ok()),
                });
                let Some(tz) = rules else { return Some(self.convert(local_as_utc)) };
                let naive = micros_to_utc(local_as_utc).naive_utc();
                let (a, b) = match tz.from_local_datetime(&naive) {
                    LocalResult::Single(t) => (Some(t), None),
                    LocalResult::Ambiguous(a, b) => (Some(a), Some(b)),
                    LocalResult::None => (None, None),
                };
                let offset = [a, b].into_iter().flatten().find(|t| t.offset().abbreviation() == Some(abbr));
                let offset = offset.map(|t| t.offset().fix().local_minus_utc() as i64);
                self.named = Some((hour, abbr.to_string(), offset));
                offset
            }
        };
        let t = local_as_utc - offset? * MICROS_PER_SEC;
        self.last = t;
        Some(t)
    }

    /// Converts a local wall-clock time, given as if it were UTC. In the hour
    /// a DST fall-back repeats, a line is read in the first pass unless that
    /// would take the log back in time: then it is in the second.
    pub fn convert(&mut self, local_as_utc: Micros) -> Micros {
        let hour = local_as_utc.div_euclid(3600 * MICROS_PER_SEC);
        if hour != self.cache_key {
            self.cache_key = hour;
            let naive = micros_to_utc(local_as_utc).naive_utc();
            self.cache_offsets = self.zone.offsets_at_local(naive);
        }
        let (early, late) = self.cache_offsets;
        let first = local_as_utc - early * MICROS_PER_SEC;
        let t = if early != late && first < self.last.saturating_sub(REORDER) {
            local_as_utc - late * MICROS_PER_SEC
        } else {
            first
        };
        self.last = t;
        t
    }
}

/// The calendar date of an instant in a zone, for year inference from mtimes.
pub fn local_date(zone: &Zone, t: Micros) -> NaiveDate {
    let off = zone.offset_at(t);
    micros_to_utc(t + off * MICROS_PER_SEC).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_matches_chrono() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2026, 11, 23), (2026, 12, 31), (2027, 1, 1), (1969, 12, 31)] {
            let expect = NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
            assert_eq!(days_from_civil(y, m, d) * 86_400, expect, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn named_zone_converts_local_times() {
        let z = Zone::parse("Europe/Berlin").unwrap();
        let mut c = LocalToUtc::new(z);
        // 2026-11-23 03:13:00 CET is 02:13:00 UTC.
        let local = civil_to_micros(2026, 11, 23, 3, 13, 0);
        assert_eq!(c.convert(local), civil_to_micros(2026, 11, 23, 2, 13, 0));
        // Summer time: +02:00.
        let local = civil_to_micros(2026, 7, 1, 12, 0, 0);
        assert_eq!(c.convert(local), civil_to_micros(2026, 7, 1, 10, 0, 0));
    }

    #[test]
    fn repeated_hour_of_dst_fall_back_goes_forward() {
        // 2026-10-25, Paris: 03:00 CEST falls back to 02:00 CET.
        let mut c = LocalToUtc::new(Zone::parse("Europe/Paris").unwrap());
        let conv = |c: &mut LocalToUtc, h, m| c.convert(civil_to_micros(2026, 10, 25, h, m, 0));
        assert_eq!(conv(&mut c, 1, 50), civil_to_micros(2026, 10, 24, 23, 50, 0));
        assert_eq!(conv(&mut c, 2, 10), civil_to_micros(2026, 10, 25, 0, 10, 0));
        assert_eq!(conv(&mut c, 2, 59), civil_to_micros(2026, 10, 25, 0, 59, 0));
        // A line a little out of order stays in the first pass.
        assert_eq!(conv(&mut c, 2, 57), civil_to_micros(2026, 10, 25, 0, 57, 0));
        // The clock went back: the second pass.
        assert_eq!(conv(&mut c, 2, 10), civil_to_micros(2026, 10, 25, 1, 10, 0));
        assert_eq!(conv(&mut c, 2, 30), civil_to_micros(2026, 10, 25, 1, 30, 0));
        assert_eq!(conv(&mut c, 3, 5), civil_to_micros(2026, 10, 25, 2, 5, 0));
    }

    /// journalctl's `short-full` names the abbreviation: in the hour a
    /// fall-back repeats, it tells the passes apart, whatever the order of
    /// the lines; an abbreviation the zone does not have then is none.
    #[test]
    fn abbreviations_pick_the_offset() {
        let mut c = LocalToUtc::new(Zone::parse("Europe/Berlin").unwrap());
        let local = |h, m| civil_to_micros(2026, 10, 25, h, m, 0);
        assert_eq!(c.convert_abbreviated(local(2, 30), "CET"), Some(civil_to_micros(2026, 10, 25, 1, 30, 0)));
        assert_eq!(c.convert_abbreviated(local(2, 30), "CEST"), Some(civil_to_micros(2026, 10, 25, 0, 30, 0)));
        assert_eq!(c.convert_abbreviated(local(2, 40), "CET"), Some(civil_to_micros(2026, 10, 25, 1, 40, 0)));
        assert_eq!(c.convert_abbreviated(local(1, 30), "CEST"), Some(civil_to_micros(2026, 10, 24, 23, 30, 0)));
        assert_eq!(c.convert_abbreviated(local(1, 30), "CET"), None);
        assert_eq!(c.convert_abbreviated(civil_to_micros(2026, 7, 1, 12, 0, 0), "EDT"), None);
        let mut c = LocalToUtc::new(Zone::parse("America/New_York").unwrap());
        let local = civil_to_micros(2026, 11, 1, 1, 30, 0);
        assert_eq!(c.convert_abbreviated(local, "EDT"), Some(civil_to_micros(2026, 11, 1, 5, 30, 0)));
        assert_eq!(c.convert_abbreviated(local, "EST"), Some(civil_to_micros(2026, 11, 1, 6, 30, 0)));
    }

    #[test]
    fn formats_in_zone() {
        let z = Zone::parse("UTC").unwrap();
        let t = civil_to_micros(2026, 11, 23, 3, 13, 0);
        assert_eq!(z.format(t, false), "2026-11-23 03:13:00");
        assert_eq!(rfc3339_utc(t), "2026-11-23T03:13:00Z");
        assert!(Zone::parse("Mars/Olympus").is_err());
    }
}
