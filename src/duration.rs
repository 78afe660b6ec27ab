//! The one grammar for durations, whatever option takes one (`--every`,
//! `--since`/`--until` back from now, `--horizon`, `--lookback`).
//!
//! A duration is one or more `<number><unit>` terms, summed: `90s`, `15m`,
//! `1h30m`, `1d12h`, `2w`, `1mo`, `1y`. Units: `s`, `m` (minutes), `h`,
//! `d`, `w`, `mo` (months), `y` (12 months). Zero, negative and overflowing
//! durations are refused. Months and years have no fixed length: an option
//! that needs one ([`Length::fixed`]) refuses them and says so; buckets and
//! times back from now take them as calendar months in the display zone.

use crate::time::{Micros, MICROS_PER_SEC};

const DAY: Micros = 86_400 * MICROS_PER_SEC;
/// Longest duration accepted: no log spans more, and sums stay far from
/// overflowing an `i64` of microseconds.
const MAX_YEARS: i64 = 1000;

/// A parsed duration: calendar months, weeks and days, and a fixed part.
/// Weeks and days are kept apart from hours because buckets of days and
/// weeks start at local midnight (weeks on Monday), not every 24 hours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Length {
    pub months: i64,
    pub weeks: i64,
    pub days: i64,
    /// Hours, minutes and seconds, in µs.
    pub micros: Micros,
}

/// How instants fall into buckets of a [`Length`], in the display zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    /// Calendar months, from the first of the month at local midnight,
    /// counted from January 1970 (`3mo` is quarters).
    Months(i64),
    /// Weeks from Monday, local midnight.
    Weeks(i64),
    /// A length of wall-clock time counted from local midnight of
    /// 1970-01-01: whole days start at local midnight across a DST change,
    /// and `6h` at 00, 06, 12 and 18 local time.
    Wall(Micros),
}

/// The message every option gives for a duration it cannot read.
pub fn usage(option: &str, value: &str) -> String {
    format!("{option} {value:?}: use a duration like 15m, 1h30m, 6h, 1d, 1w, 1mo")
}

impl Length {
    /// Reads `value`, the argument of `option` (named in the error).
    pub fn parse(option: &str, value: &str) -> Result<Length, String> {
        Length::read(value.trim()).ok_or_else(|| usage(option, value))
    }

    fn read(s: &str) -> Option<Length> {
        let mut l = Length::default();
        let mut rest = s;
        if rest.is_empty() {
            return None;
        }
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let letters = rest[digits..].bytes().take_while(u8::is_ascii_alphabetic).count();
            if digits == 0 || letters == 0 {
                return None;
            }
            let n: i64 = rest[..digits].parse().ok()?;
            let unit = &rest[digits..digits + letters];
            let (field, scale) = match unit {
                "s" => (&mut l.micros, MICROS_PER_SEC),
                "m" => (&mut l.micros, 60 * MICROS_PER_SEC),
                "h" => (&mut l.micros, 3600 * MICROS_PER_SEC),
                "d" => (&mut l.days, 1),
                "w" => (&mut l.weeks, 1),
                "mo" => (&mut l.months, 1),
                "y" => (&mut l.months, 12),
                _ => return None,
            };
            *field = field.checked_add(n.checked_mul(scale)?)?;
            rest = &rest[digits + letters..];
        }
        // Bounded: no log spans more, and the fixed length cannot overflow.
        let total = l.approx_micros()?;
        (total > 0 && total <= MAX_YEARS * 12 * 31 * DAY).then_some(l)
    }

    /// The length with a month taken as 31 days: for bounds and steps only.
    fn approx_micros(&self) -> Option<Micros> {
        let days = self.months.checked_mul(31)?.checked_add(self.weeks.checked_mul(7)?)?.checked_add(self.days)?;
        days.checked_mul(DAY)?.checked_add(self.micros)
    }

    /// The shortest span of time a bucket of this length can cover (a DST
    /// change takes at most an hour from a wall-clock span): a step that
    /// visits every bucket is at most this.
    fn shortest_micros(&self) -> Micros {
        let days = self.months * 28 + self.weeks * 7 + self.days;
        (days * DAY + self.micros).saturating_sub(if days > 0 { 3600 * MICROS_PER_SEC } else { 0 })
    }

    /// The length in µs, for an option that needs a fixed one: a week is
    /// 7 days, a day 24 hours; a month has no fixed length.
    pub fn fixed(&self, option: &str, value: &str) -> Result<Micros, String> {
        if self.months != 0 {
            return Err(format!(
                "{option} {value:?}: a month has no fixed length here: use days or weeks (30d, 4w), \
                 or a duration like 15m, 1h30m, 6h, 1d, 1w"
            ));
        }
        self.approx_micros().ok_or_else(|| usage(option, value))
    }

    /// The length as buckets: calendar months, weeks or wall-clock time.
    /// Months do not mix with other units (a bucket of `1mo2d` has no
    /// start); weeks with days are days, days with hours a length of time.
    pub fn bucket(&self, option: &str, value: &str) -> Result<Bucket, String> {
        match *self {
            Length { months, weeks: 0, days: 0, micros: 0 } if months > 0 => Ok(Bucket::Months(months)),
            Length { months: 0, weeks, days: 0, micros: 0 } if weeks > 0 => Ok(Bucket::Weeks(weeks)),
            Length { months: 0, .. } => Ok(Bucket::Wall(self.fixed(option, value)?)),
            _ => Err(format!(
                "{option} {value:?}: a bucket of months takes months or years alone (1mo, 3mo, 1y); \
                 or use a duration like 15m, 1h30m, 6h, 1d, 1w"
            )),
        }
    }
}

impl Bucket {
    /// The duration string polars reads for the same buckets (`1mo`, `2w`,
    /// `1d`, `5400s`).
    pub fn polars(&self) -> String {
        match *self {
            Bucket::Months(n) => format!("{n}mo"),
            Bucket::Weeks(n) => format!("{n}w"),
            Bucket::Wall(us) if us % DAY == 0 => format!("{}d", us / DAY),
            Bucket::Wall(us) => format!("{}s", us / MICROS_PER_SEC),
        }
    }

    /// A step in time that lands in every bucket it walks over: half the
    /// shortest a bucket can be, between a second and 12 hours.
    pub fn step(&self) -> Micros {
        let l = match *self {
            Bucket::Months(n) => Length { months: n, ..Default::default() },
            Bucket::Weeks(n) => Length { weeks: n, ..Default::default() },
            Bucket::Wall(us) => Length { micros: us, ..Default::default() },
        };
        (l.shortest_micros() / 2).clamp(MICROS_PER_SEC, 12 * 3600 * MICROS_PER_SEC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Micros = 3600 * MICROS_PER_SEC;

    fn parse(s: &str) -> Result<Length, String> {
        Length::parse("--every", s)
    }

    #[test]
    fn good_forms() {
        let l = |months, weeks, days, micros| Ok(Length { months, weeks, days, micros });
        assert_eq!(parse("90s"), l(0, 0, 0, 90 * MICROS_PER_SEC));
        assert_eq!(parse("15m"), l(0, 0, 0, H / 4));
        assert_eq!(parse("1h30m"), l(0, 0, 0, 3 * H / 2));
        assert_eq!(parse(" 6h "), l(0, 0, 0, 6 * H));
        assert_eq!(parse("1d12h"), l(0, 0, 1, 12 * H));
        assert_eq!(parse("2w"), l(0, 2, 0, 0));
        assert_eq!(parse("1mo"), l(1, 0, 0, 0));
        assert_eq!(parse("1y2mo"), l(14, 0, 0, 0));
        assert_eq!(parse("30m1h"), l(0, 0, 0, 3 * H / 2), "terms in any order are summed");
    }

    #[test]
    fn bad_forms_name_the_option_and_the_value() {
        for bad in ["", "h", "10", "1.5h", "0h", "0m0s", "-1h", "+1h", "1 h", "1H", "1x", "1mon", "h1", "1h-", "１h"] {
            let e = parse(bad).expect_err(bad);
            assert_eq!(e, format!("--every {bad:?}: use a duration like 15m, 1h30m, 6h, 1d, 1w, 1mo"));
        }
    }

    #[test]
    fn overflow_is_refused() {
        for big in ["99999999999999999999s", "9223372036854775807h", "999999999999999w", "1001y", "400000d"] {
            assert!(parse(big).is_err(), "{big}");
        }
        assert!(parse("1000y").is_ok());
    }

    #[test]
    fn fixed_lengths_refuse_months() {
        let fixed = |s: &str| parse(s).and_then(|l| l.fixed("--horizon", s));
        assert_eq!(fixed("1h30m"), Ok(3 * H / 2));
        assert_eq!(fixed("1w1d"), Ok(8 * 24 * H));
        let e = fixed("1mo").unwrap_err();
        assert!(e.starts_with("--horizon \"1mo\": a month has no fixed length"), "{e}");
    }

    #[test]
    fn buckets() {
        let b = |s: &str| parse(s).and_then(|l| l.bucket("--every", s));
        assert_eq!(b("1mo"), Ok(Bucket::Months(1)));
        assert_eq!(b("1y"), Ok(Bucket::Months(12)));
        assert_eq!(b("2w"), Ok(Bucket::Weeks(2)));
        assert_eq!(b("1w2d"), Ok(Bucket::Wall(9 * 24 * H)));
        assert_eq!(b("1d12h"), Ok(Bucket::Wall(36 * H)));
        assert!(b("1mo2d").unwrap_err().contains("months or years alone"));
        let polars = |s: &str| b(s).unwrap().polars();
        assert_eq!(polars("1mo"), "1mo");
        assert_eq!(polars("1w"), "1w");
        assert_eq!(polars("1d"), "1d");
        assert_eq!(polars("7d"), "7d");
        assert_eq!(polars("1h30m"), "5400s");
        assert_eq!(polars("90m"), "5400s");
        assert_eq!(polars("1d12h"), "129600s");
        assert_eq!(b("1mo").unwrap().step(), 12 * H);
        assert_eq!(b("1h").unwrap().step(), H / 2);
        assert_eq!(b("1s").unwrap().step(), MICROS_PER_SEC);
    }
}
