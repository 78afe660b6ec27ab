//! `--since` / `--until`: the time window a command looks at.
//!
//! Accepts RFC 3339 (`2026-11-22T08:00:00+01:00`), plain dates and times in
//! the display zone (`2026-11-22`, `2026-11-22 08:00`), durations back from
//! now in the grammar of [`crate::duration`] (`90m`, `1h30m`, `24h`, `7d`,
//! `2w`; `1mo`, `1y`: the same wall-clock time that many calendar months
//! earlier in the display zone), and calendar words in the display zone
//! (`today`, `yesterday`, `this-week`, `last-week`, `this-month`,
//! `last-month`). A calendar word names the *start* of that period, so
//! `--since yesterday --until today` is all of yesterday.

use crate::duration::Length;
use crate::time::{civil_to_micros, local_date, micros_to_utc, Micros, Zone, MICROS_PER_SEC};
use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime};

/// Parses one bound given to `option`, relative to `now`, with local forms
/// in `zone`.
pub fn parse_bound(option: &str, s: &str, zone: &Zone, now: Micros) -> Result<Micros, String> {
    let raw = s;
    let s = s.trim();
    // A duration: digits and unit letters only (a date has dashes).
    let is_duration = s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.contains(|c: char| c.is_ascii_alphabetic());
    if is_duration {
        let l = Length::parse(option, raw)?;
        return back_from(&l, zone, now).ok_or_else(|| format!("{option} {raw:?}: that is before the year 1"));
    }
    if let Some(d) = calendar_word(s, zone, now) {
        return Ok(local_midnight(zone, d));
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(local_to_utc(zone, naive));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(local_midnight(zone, d));
    }
    Err(format!(
        "{option} {raw:?}: use RFC 3339 (2026-11-22T08:00:00Z), a date (2026-11-22), \
         a date and time (2026-11-22 08:00), a duration back from now (1h30m, 7d, 1mo), \
         or today, yesterday, this-week, last-week, this-month, last-month"
    ))
}

/// `l` before `now`: weeks, days and hours as fixed lengths (a day is 24
/// hours), months as calendar months of the wall clock in `zone`.
fn back_from(l: &Length, zone: &Zone, now: Micros) -> Option<Micros> {
    let fixed = Length { months: 0, ..*l }.fixed("", "").unwrap_or(0);
    let mut t = now;
    if l.months > 0 {
        let off = zone.offset_at(now) * MICROS_PER_SEC;
        let wall = micros_to_utc(now.checked_add(off)?).naive_utc();
        let earlier = wall.checked_sub_months(Months::new(u32::try_from(l.months).ok()?))?;
        t = local_to_utc(zone, earlier);
    }
    t.checked_sub(fixed)
}

fn calendar_word(s: &str, zone: &Zone, now: Micros) -> Option<NaiveDate> {
    let today = local_date(zone, now);
    let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
    let first = today.with_day(1)?;
    Some(match s {
        "today" => today,
        "yesterday" => today - Duration::days(1),
        "this-week" => monday,
        "last-week" => monday - Duration::days(7),
        "this-month" => first,
        "last-month" => (first - Duration::days(1)).with_day(1)?,
        _ => return None,
    })
}

fn local_midnight(zone: &Zone, d: NaiveDate) -> Micros {
    local_to_utc(zone, d.and_hms_opt(0, 0, 0).unwrap_or_default())
}

fn local_to_utc(zone: &Zone, naive: NaiveDateTime) -> Micros {
    let off = zone.offset_at_local(naive);
    civil_to_micros(naive.year(), naive.month(), naive.day(), 0, 0, 0)
        + naive.and_utc().timestamp().rem_euclid(86_400) * MICROS_PER_SEC
        - off * MICROS_PER_SEC
}

/// A half-open window `[since, until)`; either end may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<Micros>,
    pub until: Option<Micros>,
}

impl Window {
    pub fn parse(since: Option<&str>, until: Option<&str>, zone: &Zone, now: Micros) -> Result<Window, String> {
        let w = Window {
            since: since.map(|s| parse_bound("--since", s, zone, now)).transpose()?,
            until: until.map(|s| parse_bound("--until", s, zone, now)).transpose()?,
        };
        if let (Some(a), Some(b)) = (w.since, w.until) {
            if a >= b {
                return Err("--since must be before --until".into());
            }
        }
        Ok(w)
    }

    pub fn contains(&self, t: Micros) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }

    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> Zone {
        Zone::parse("UTC").unwrap()
    }

    #[test]
    fn absolute_forms() {
        let now = civil_to_micros(2026, 11, 23, 12, 0, 0);
        let z = utc();
        assert_eq!(parse_bound("--since", "2026-11-22", &z, now), Ok(civil_to_micros(2026, 11, 22, 0, 0, 0)));
        assert_eq!(parse_bound("--since", "2026-11-22 08:30", &z, now), Ok(civil_to_micros(2026, 11, 22, 8, 30, 0)));
        assert_eq!(
            parse_bound("--since", "2026-11-22T08:00:00+01:00", &z, now),
            Ok(civil_to_micros(2026, 11, 22, 7, 0, 0))
        );
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        assert_eq!(parse_bound("--since", "2026-11-22", &berlin, now), Ok(civil_to_micros(2026, 11, 21, 23, 0, 0)));
    }

    #[test]
    fn relative_and_calendar_forms() {
        // Monday 2026-11-23, noon UTC.
        let now = civil_to_micros(2026, 11, 23, 12, 0, 0);
        let z = utc();
        assert_eq!(parse_bound("--since", "24h", &z, now), Ok(civil_to_micros(2026, 11, 22, 12, 0, 0)));
        assert_eq!(parse_bound("--since", "7d", &z, now), Ok(civil_to_micros(2026, 11, 16, 12, 0, 0)));
        assert_eq!(parse_bound("--since", "yesterday", &z, now), Ok(civil_to_micros(2026, 11, 22, 0, 0, 0)));
        assert_eq!(parse_bound("--since", "last-week", &z, now), Ok(civil_to_micros(2026, 11, 16, 0, 0, 0)));
        assert_eq!(parse_bound("--since", "last-month", &z, now), Ok(civil_to_micros(2026, 10, 1, 0, 0, 0)));
        assert!(parse_bound("--since", "soon", &z, now).unwrap_err().starts_with("--since \"soon\": use RFC 3339"));
        // The duration grammar every option shares.
        assert_eq!(parse_bound("--since", "1h30m", &z, now), Ok(civil_to_micros(2026, 11, 23, 10, 30, 0)));
        assert_eq!(parse_bound("--since", "1d12h", &z, now), Ok(civil_to_micros(2026, 11, 22, 0, 0, 0)));
        assert_eq!(parse_bound("--since", "1mo", &z, now), Ok(civil_to_micros(2026, 10, 23, 12, 0, 0)));
        assert_eq!(parse_bound("--since", "1y", &z, now), Ok(civil_to_micros(2025, 11, 23, 12, 0, 0)));
        assert_eq!(
            parse_bound("--until", "0h", &z, now),
            Err("--until \"0h\": use a duration like 15m, 1h30m, 6h, 1d, 1w, 1mo".into())
        );
        // A month back keeps the wall-clock time across a DST change.
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        assert_eq!(parse_bound("--since", "1mo", &berlin, now), Ok(civil_to_micros(2026, 10, 23, 11, 0, 0)));
        // The end of a month with fewer days: its last day.
        let march31 = civil_to_micros(2026, 3, 31, 12, 0, 0);
        assert_eq!(parse_bound("--since", "1mo", &z, march31), Ok(civil_to_micros(2026, 2, 28, 12, 0, 0)));
    }

    #[test]
    fn window_is_half_open() {
        let z = utc();
        let now = civil_to_micros(2026, 11, 23, 12, 0, 0);
        let w = Window::parse(Some("yesterday"), Some("today"), &z, now).unwrap();
        assert!(w.contains(civil_to_micros(2026, 11, 22, 23, 59, 59)));
        assert!(!w.contains(civil_to_micros(2026, 11, 23, 0, 0, 0)));
        assert!(Window::parse(Some("today"), Some("yesterday"), &z, now).is_err());
    }
}
