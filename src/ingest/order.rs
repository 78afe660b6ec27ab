//! Before reading: the inputs in the order they are read, oldest first
//! whatever order they were named in, without the copies of another's text.
//!
//! Correlation follows each message through the lines in the order it sees
//! them: read newest first, a message's `removed` comes before its
//! `client=`, and every message of the older file looks still queued. Each
//! file's head ([`source::head`]) says when its first line was written;
//! files are read in that order. Only where the head cannot tell (standard
//! input, a file with no envelope in its first bytes) does the named order
//! hold: such an input keeps its place, the others are ordered around it.

use crate::diag::{DiagKind, Handle};
use crate::envelope::Stamp;
use crate::source::discover::Duplicate;
use crate::source::head::{read_head, Head, HEAD, SMALL};
use crate::source::{copies, Input};
use crate::syslog::YearTracker;
use crate::time::{civil_to_micros, local_date, LocalToUtc, Micros, Zone, MICROS_PER_SEC};

/// The inputs to read, in order, and when each one's first line was
/// written (as far as its head tells).
pub struct Ordered {
    pub inputs: Vec<Input>,
    pub firsts: Vec<Option<Micros>>,
    /// The copies dropped, said already.
    pub copies: Vec<Duplicate>,
}

/// Looks at each file's head, drops the copies (saying so) and orders the
/// rest oldest first.
pub fn prepare(inputs: Vec<Input>, forced_year: Option<i32>, zone: &Zone, observer: &Handle) -> Ordered {
    let heads: Vec<Option<Head>> = inputs
        .iter()
        .map(|i| match i {
            Input::File(p) => read_head(p, SMALL),
            // Read once, as they come: no look ahead.
            Input::Stdin | Input::Journal(_) => None,
        })
        .collect();
    let copies = copies::copies(&inputs, &heads);
    let mut said = Vec::new();
    for c in &copies {
        let (dropped, kept) = (inputs[c.dropped].display(), inputs[c.kept].display());
        let message = format!("the same lines as {}, a copy of it; read once", crate::text::cell(&kept, 200));
        observer.about_file(&dropped, DiagKind::Duplicate, &message);
        said.push(Duplicate { dropped, kept, words: message });
    }
    let (inputs, heads): (Vec<Input>, Vec<Option<Head>>) = inputs
        .into_iter()
        .zip(heads)
        .enumerate()
        .filter(|(i, _)| !copies.iter().any(|c| c.dropped == *i))
        .map(|(_, pair)| pair)
        .unzip();
    let stamps: Vec<Option<Stamp>> = inputs.iter().zip(&heads).map(|(i, h)| first_stamp(i, h.as_ref())).collect();
    let firsts = first_times(&heads, &stamps, forced_year, zone);
    let order = oldest_first(&firsts);
    Ordered {
        inputs: order.iter().map(|&i| inputs[i].clone()).collect(),
        firsts: order.iter().map(|&i| firsts[i]).collect(),
        copies: said,
    }
}

/// When the first line of the input was written: from its small head, or
/// when that has none (a long line of junk first), from a longer one.
fn first_stamp(input: &Input, head: Option<&Head>) -> Option<Stamp> {
    let head = head?;
    match (head.first_stamp(), input) {
        (None, Input::File(p)) if !head.whole && !head.damaged => read_head(p, HEAD)?.first_stamp(),
        (stamp, _) => stamp,
    }
}

/// The indexes of `firsts` in reading order: the known times sorted
/// (stably: equal times keep their named order) into the places that known
/// times held, each unknown one left in its place.
pub fn oldest_first(firsts: &[Option<Micros>]) -> Vec<usize> {
    let mut known: Vec<usize> = (0..firsts.len()).filter(|&i| firsts[i].is_some()).collect();
    known.sort_by_key(|&i| firsts[i]);
    let mut sorted = known.into_iter();
    (0..firsts.len()).map(|i| if firsts[i].is_some() { sorted.next().unwrap_or(i) } else { i }).collect()
}

/// When each input's first line was written, in UTC, the year of an RFC
/// 3164 stamp inferred as reading infers it: from the file's mtime; with
/// `--year`, which names the year of the oldest line, from the dates
/// alone.
fn first_times(
    heads: &[Option<Head>],
    stamps: &[Option<Stamp>],
    forced_year: Option<i32>,
    zone: &Zone,
) -> Vec<Option<Micros>> {
    let mut to_utc = LocalToUtc::new(zone.clone());
    let year_of = forced_year.map(|y| oldest_year(y, stamps));
    heads
        .iter()
        .zip(stamps)
        .map(|(h, stamp)| match (*stamp)? {
            Stamp::Exact(t) => Some(t),
            Stamp::Local { month, day, secs, micros } => {
                let (month, day) = (u32::from(month), u32::from(day));
                let year = match &year_of {
                    Some(year_of) => year_of(month, day, secs),
                    None => {
                        let reference = h.as_ref()?.mtime.map_or_else(super::now, super::system_to_micros);
                        YearTracker::new(local_date(zone, reference), None).year_for(month, day)
                    }
                };
                Some(to_utc.convert(local(year, month, day, secs)) + i64::from(micros))
            }
            // The order needs no exact instant: the zone's offset is at
            // most a day off, far less than the span of a rotation.
            Stamp::Zoned { days, secs, abbr } => {
                let local = (i64::from(days) * 86_400 + i64::from(secs)) * MICROS_PER_SEC;
                Some(to_utc.convert_abbreviated(local, abbr.as_str()).unwrap_or_else(|| to_utc.convert(local)))
            }
        })
        .collect()
}

/// With `--year`: the RFC 3164 dates of the inputs go round the calendar;
/// the oldest is the one after the widest gap between them (`Nov 23`
/// through `Jan 2`: Nov 23), and has the year named; dates before it in the
/// calendar are of the year after, as reading them in order makes them.
fn oldest_year(year: i32, stamps: &[Option<Stamp>]) -> impl Fn(u32, u32, u32) -> i32 {
    let at = move |month, day, secs| local(year, month, day, secs) - local(year, 1, 1, 0);
    let mut dates: Vec<Micros> = stamps
        .iter()
        .filter_map(|s| match s {
            Some(Stamp::Local { month, day, secs, .. }) => Some(at(u32::from(*month), u32::from(*day), *secs)),
            _ => None,
        })
        .collect();
    dates.sort_unstable();
    let length = local(year + 1, 1, 1, 0) - local(year, 1, 1, 0);
    let mut oldest = dates.first().copied().unwrap_or(0);
    let mut widest = dates.first().zip(dates.last()).map_or(0, |(a, b)| a + length - b);
    for w in dates.windows(2) {
        if w[1] - w[0] > widest {
            (widest, oldest) = (w[1] - w[0], w[1]);
        }
    }
    move |month, day, secs| if at(month, day, secs) >= oldest { year } else { year + 1 }
}

fn local(year: i32, month: u32, day: u32, secs: u32) -> Micros {
    civil_to_micros(year, month, day, 0, 0, 0) + secs as i64 * MICROS_PER_SEC
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn known_times_sort_around_unknown_ones() {
        assert_eq!(oldest_first(&[Some(30), Some(10), Some(20)]), [1, 2, 0]);
        // Unknown ones (standard input, a head with no envelope) stay put.
        assert_eq!(oldest_first(&[Some(30), None, Some(10), Some(20)]), [2, 1, 3, 0]);
        assert_eq!(oldest_first(&[None, Some(2), Some(1), None]), [0, 2, 1, 3]);
        // Equal times keep the named order.
        assert_eq!(oldest_first(&[Some(5), Some(1), Some(5), Some(1)]), [1, 3, 0, 2]);
        assert_eq!(oldest_first(&[]), Vec::<usize>::new());
    }

    fn head(line: &str, mtime: &str) -> Option<Head> {
        let t = chrono::DateTime::parse_from_rfc3339(mtime).unwrap().timestamp() as u64;
        Some(Head {
            bytes: format!("{line}\n").into_bytes(),
            whole: true,
            compression: "plain",
            mtime: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(t)),
            ..Head::default()
        })
    }

    /// RFC 3164 years come from each file's mtime (Dec before Jan across
    /// a new year), or with `--year` from the dates alone, the oldest
    /// having it; exact stamps stay as they are.
    #[test]
    fn first_times_infer_years_as_reading_does() {
        let utc = Zone::parse("UTC").unwrap();
        let heads = [
            head("Jan  1 00:00:05 mx postfix/qmgr[1]: x", "2027-01-01T06:25:00Z"),
            head("Dec 31 23:59:58 mx postfix/qmgr[1]: x", "2027-01-01T00:00:00Z"),
            head("2026-12-30T10:00:00Z mx postfix/qmgr[1]: x", "2030-01-01T00:00:00Z"),
            None,
            head("not a log line", "2027-01-01T00:00:00Z"),
        ];
        let at = |y, mo, d, h, mi, s| Some(civil_to_micros(y, mo, d, h, mi, s));
        let stamps: Vec<Option<Stamp>> = heads.iter().map(|h| h.as_ref().and_then(Head::first_stamp)).collect();
        let got = first_times(&heads, &stamps, None, &utc);
        assert_eq!(
            got,
            [at(2027, 1, 1, 0, 0, 5), at(2026, 12, 31, 23, 59, 58), at(2026, 12, 30, 10, 0, 0), None, None]
        );
        assert_eq!(oldest_first(&got), [2, 1, 0, 3, 4]);
        let got = first_times(&heads, &stamps, Some(2030), &utc);
        assert_eq!(
            got,
            [at(2031, 1, 1, 0, 0, 5), at(2030, 12, 31, 23, 59, 58), at(2026, 12, 30, 10, 0, 0), None, None]
        );
        // Copies whose mtimes say nothing (all now): with --year, the dates
        // alone order them.
        let days = ["Nov 10", "Dec 30", "Jan  2", "Nov 12"];
        let copied: Vec<Option<Head>> =
            days.iter().map(|d| head(&format!("{d} 06:00:00 mx postfix/qmgr[1]: x"), "2027-11-11T00:00:00Z")).collect();
        let copied_stamps: Vec<Option<Stamp>> = copied.iter().map(|h| h.as_ref().and_then(Head::first_stamp)).collect();
        let got = first_times(&copied, &copied_stamps, Some(2026), &utc);
        let six = |y, mo, d| at(y, mo, d, 6, 0, 0);
        assert_eq!(got, [six(2026, 11, 10), six(2026, 12, 30), six(2027, 1, 2), six(2026, 11, 12)]);
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        assert_eq!(first_times(&heads[..1], &stamps[..1], None, &berlin), [at(2026, 12, 31, 23, 0, 5)]);
    }
}
