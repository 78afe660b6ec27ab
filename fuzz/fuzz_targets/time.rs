//! The user's time and duration options: `--every`/`--horizon` durations,
//! `--since`/`--until` bounds (in a fixed and a DST zone, at a `now` the
//! input picks), `--tz` names. First line: the option value; second line
//! (if any): the `--until` of a window.
#![no_main]
use libfuzzer_sys::fuzz_target;
use postsleuth::duration::Length;
use postsleuth::time::Zone;
use postsleuth::window::{parse_bound, Window};

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (now, rest) = data.split_at(8);
    // Any instant from the year 1 to 9999: beyond that no clock is.
    let span = 315_537_897_600_000_000i64;
    let now = i64::from_le_bytes(now.try_into().unwrap_or_default()).rem_euclid(span) - 62_135_596_800_000_000;
    let text = String::from_utf8_lossy(rest);
    let (first, second) = match text.split_once('\n') {
        Some((a, b)) => (a, Some(b)),
        None => (&*text, None),
    };
    if let Ok(l) = Length::parse("--every", first) {
        let _ = l.fixed("--horizon", first);
        if let Ok(b) = l.bucket("--every", first) {
            let _ = (b.polars(), b.step());
        }
    }
    let _ = Zone::parse(first);
    for zone in ["UTC", "Europe/Berlin"].iter().filter_map(|z| Zone::parse(z).ok()) {
        let _ = parse_bound("--since", first, &zone, now);
        if let Ok(w) = Window::parse(Some(first), second, &zone, now) {
            let _ = (w.contains(now), w.is_open());
        }
    }
});
