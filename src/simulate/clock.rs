//! Simulated time: `i64` microseconds since the Unix epoch, UTC, and the two
//! syslog timestamp shapes.

use chrono::{DateTime, Datelike, SecondsFormat, Utc};

use super::put::Put;
use super::TimestampFormat;

pub(crate) const SEC: i64 = 1_000_000;
pub(crate) const MIN: i64 = 60 * SEC;
pub(crate) const HOUR: i64 = 60 * MIN;
pub(crate) const DAY: i64 = 24 * HOUR;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Formats line timestamps, caching the date part: every line of a day shares
/// it, and chrono's calendar arithmetic per line would be wasted work.
pub(crate) struct Stamper {
    format: TimestampFormat,
    day_start: i64,
    day_end: i64,
    /// `"Nov 20 "` (RFC 3164, day padded with a space).
    bsd: Vec<u8>,
    /// `"2026-11-20T"`.
    iso: Vec<u8>,
}

impl Stamper {
    pub(crate) fn new(format: TimestampFormat) -> Self {
        Stamper { format, day_start: 0, day_end: 0, bsd: Vec::new(), iso: Vec::new() }
    }

    /// Appends the line timestamp for `t` in the configured format.
    pub(crate) fn put(&mut self, buf: &mut Vec<u8>, t: i64) {
        match self.format {
            TimestampFormat::Rfc3164 => self.put_rfc3164(buf, t),
            TimestampFormat::Rfc3339 => self.put_rfc3339(buf, t),
        }
    }

    /// `Nov 20 03:13:00`: also the shape anvil uses inside its message text.
    pub(crate) fn put_rfc3164(&mut self, buf: &mut Vec<u8>, t: i64) {
        self.refresh(t);
        buf.extend_from_slice(&self.bsd);
        put_hms(buf, t - self.day_start);
    }

    /// `2026-11-20T03:13:00.123456+00:00`.
    pub(crate) fn put_rfc3339(&mut self, buf: &mut Vec<u8>, t: i64) {
        self.refresh(t);
        buf.extend_from_slice(&self.iso);
        put_hms(buf, t - self.day_start);
        buf.s(".").n0(t.rem_euclid(SEC) as u64, 6).s("+00:00");
    }

    fn refresh(&mut self, t: i64) {
        if (self.day_start..self.day_end).contains(&t) {
            return;
        }
        self.day_start = t - t.rem_euclid(DAY);
        self.day_end = self.day_start + DAY;
        let date = to_datetime(self.day_start).date_naive();
        self.bsd.clear();
        let month = MONTHS[date.month0() as usize];
        self.bsd.s(month).s(if date.day() < 10 { "  " } else { " " });
        self.bsd.n(date.day().into()).s(" ");
        self.iso.clear();
        self.iso.n0(date.year().max(0) as u64, 4).s("-");
        self.iso.n0(date.month().into(), 2).s("-").n0(date.day().into(), 2);
        self.iso.s("T");
    }
}

/// `YYYYMMDDhhmmss`, as in Postfix-made Message-IDs.
pub(crate) fn put_compact_time(buf: &mut Vec<u8>, t: i64) {
    let dt = to_datetime(t);
    let date = dt.date_naive();
    buf.n0(date.year().max(0) as u64, 4).n0(date.month().into(), 2);
    buf.n0(date.day().into(), 2);
    let secs = t.rem_euclid(DAY) / SEC;
    let secs = secs as u64;
    buf.n0(secs / 3600, 2).n0(secs / 60 % 60, 2).n0(secs % 60, 2);
}

/// `HH:MM:SS` for an offset into the day.
fn put_hms(buf: &mut Vec<u8>, into_day: i64) {
    let secs = (into_day / SEC) as u64;
    buf.n0(secs / 3600, 2).s(":").n0(secs / 60 % 60, 2).s(":");
    buf.n0(secs % 60, 2);
}

/// Simulated time to chrono; times outside chrono's range cannot occur because
/// options are validated, so falling back to the epoch is only a safety net.
pub(crate) fn to_datetime(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t).unwrap_or_default()
}

/// RFC 3339 UTC with second precision, the shape truth.json uses.
pub(crate) fn iso_seconds(t: i64) -> String {
    to_datetime(t - t.rem_euclid(SEC)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).expect("valid test time").timestamp_micros()
    }

    fn render(format: TimestampFormat, t: i64) -> String {
        let mut st = Stamper::new(format);
        let mut b = Vec::new();
        st.put(&mut b, t);
        String::from_utf8(b).expect("ascii")
    }

    #[test]
    fn rfc3164_pads_the_day_with_a_space() {
        let t = at("2026-11-03T04:05:06.789Z");
        assert_eq!(render(TimestampFormat::Rfc3164, t), "Nov  3 04:05:06");
        let t = at("2026-11-20T23:59:59.999999Z");
        assert_eq!(render(TimestampFormat::Rfc3164, t), "Nov 20 23:59:59");
    }

    #[test]
    fn rfc3339_has_microseconds_and_utc_offset() {
        let t = at("2026-01-02T03:13:00.000042Z");
        assert_eq!(render(TimestampFormat::Rfc3339, t), "2026-01-02T03:13:00.000042+00:00");
    }

    #[test]
    fn cache_follows_day_changes() {
        let mut st = Stamper::new(TimestampFormat::Rfc3164);
        let mut b = Vec::new();
        st.put(&mut b, at("2026-12-31T23:00:00Z"));
        b.push(b'|');
        st.put(&mut b, at("2027-01-01T00:00:01Z"));
        assert_eq!(b, b"Dec 31 23:00:00|Jan  1 00:00:01");
        assert_eq!(iso_seconds(at("2026-11-21T09:41:07.9Z")), "2026-11-21T09:41:07Z");
    }
}
