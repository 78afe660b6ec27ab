//! RFC 3164 timestamps have no year: infer it.
//!
//! A file's newest line is not after the file's modification time, so the
//! first line's year is the reference date's year, or the one before when its
//! month and day lie after the reference. From there the year advances when the
//! month wraps (Dec → Jan). A line whose month jumps back by half a year or
//! more is a straggler from the old year (syslog from many hosts is not
//! perfectly ordered at midnight), not a new year.

use chrono::{Datelike, NaiveDate};

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct YearTracker {
    reference: NaiveDate,
    forced: Option<i32>,
    state: Option<(i32, u32)>,
}

impl YearTracker {
    /// `reference` is the date (in the log's zone) no line may be after,
    /// usually the file's mtime; `forced` is the year of the first line.
    pub fn new(reference: NaiveDate, forced: Option<i32>) -> Self {
        YearTracker { reference, forced, state: None }
    }

    pub fn year_for(&mut self, month: u32, day: u32) -> i32 {
        let Some((year, prev)) = self.state else {
            let year = self.forced.unwrap_or_else(|| self.first_year(month, day));
            self.state = Some((year, month));
            return year;
        };
        if prev >= month + 6 {
            self.state = Some((year + 1, month));
            year + 1
        } else if month >= prev + 6 {
            year - 1
        } else {
            self.state = Some((year, month));
            year
        }
    }

    fn first_year(&self, month: u32, day: u32) -> i32 {
        let r = self.reference;
        if (month, day) <= (r.month(), r.day()) {
            r.year()
        } else {
            r.year() - 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn rollover_within_a_file() {
        let mut t = YearTracker::new(date(2027, 1, 1), None);
        assert_eq!(t.year_for(12, 31), 2026);
        assert_eq!(t.year_for(12, 31), 2026);
        assert_eq!(t.year_for(1, 1), 2027);
    }

    #[test]
    fn straggler_stays_in_old_year() {
        let mut t = YearTracker::new(date(2027, 1, 2), None);
        assert_eq!(t.year_for(12, 31), 2026);
        assert_eq!(t.year_for(1, 1), 2027);
        assert_eq!(t.year_for(12, 31), 2026);
        assert_eq!(t.year_for(1, 1), 2027);
    }

    #[test]
    fn same_year_when_before_reference() {
        let mut t = YearTracker::new(date(2026, 11, 23), None);
        assert_eq!(t.year_for(11, 20), 2026);
        // A line after the reference date must be from the year before.
        let mut t = YearTracker::new(date(2026, 11, 23), None);
        assert_eq!(t.year_for(11, 24), 2025);
    }

    #[test]
    fn forced_year_applies_to_first_line() {
        let mut t = YearTracker::new(date(2030, 1, 1), Some(2024));
        assert_eq!(t.year_for(12, 30), 2024);
        assert_eq!(t.year_for(1, 2), 2025);
    }
}
