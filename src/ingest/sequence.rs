//! While reading: the order of the lines in time. Two things break it.
//!
//! **Time going back**: a line written more than [`SKEW`] before the line
//! read before it (in its input, or, for an input's first line, at the end
//! of the input read before) means the input is out of order: fed newest
//! first (`cat mail.log mail.log.1 | postsleuth -`), or an input read after
//! a later one because its time could not be told beforehand. Its figures
//! may be wrong; the line is named, counted, and still read.
//!
//! **Overlaps**: two inputs covering the same time (two exports of one
//! journal window, a longer later copy of a log, a copytruncate race).
//! Every input's first time is known before reading (`order`), so while an
//! input is read, its lines from the first time of any later input on are
//! kept, as hashes of what makes a line itself (host, time, program, pid,
//! text: the same in any envelope format); a later input's lines up to the
//! latest time read before it that match a kept hash were read already,
//! and are dropped, one for each kept. Nothing overlaps as a rule: then no
//! line is kept or looked up, and each line costs three comparisons. Memory
//! is bounded by the overlap.
//!
//! An input whose first line falls inside the input read before it is an
//! overlap, not time going back: it is named as one when it ends.

use crate::time::{Micros, MICROS_PER_SEC};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

/// How far a line may be earlier than the one before it: the clock skew
/// between the hosts of a busy central log stays under it.
pub const SKEW: Micros = 60 * MICROS_PER_SEC;

/// What to do with a line, and what to say about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Read,
    /// Read in an earlier input already: not again.
    Twice,
    /// More than [`SKEW`] earlier than the line before it, at `from`: read.
    Back {
        from: Micros,
    },
    /// The input's first line, more than [`SKEW`] before the end (`from`)
    /// of the input read before it (`after`) and before its start: read.
    StartsBack {
        from: Micros,
        after: usize,
    },
}

/// Two inputs covering the same stretch of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overlap {
    pub earlier: usize,
    pub later: usize,
    pub from: Micros,
    pub to: Micros,
    /// Lines of the later input dropped as read in the earlier one.
    pub twice: u64,
}

pub struct Sequence {
    /// Per input (in reading order): from this time on, its lines are kept
    /// for a later input that starts then.
    keep_from: Vec<Micros>,
    file: usize,
    started: bool,
    /// No line has been read in this input yet.
    first_pending: bool,
    /// Lines from here on are kept ([`Micros::MIN`] until the input's
    /// first line: it takes the slow way).
    keep_now: Micros,
    /// Lines up to here are looked up among the kept ones.
    check_until: Micros,
    /// The time of the line before.
    prev: Micros,
    /// Kept lines of the inputs read so far: hash → (input, count).
    kept: HashMap<u64, (usize, u32), foldhash::fast::RandomState>,
    /// Lines of this input to keep once it ends (never matched against
    /// its own lines: a line written twice in one input is two lines).
    adding: Vec<u64>,
    hasher: foldhash::quality::RandomState,
    /// Per input: the time of its first and of its last line.
    ranges: Vec<Option<(Micros, Micros)>>,
    /// The last input that had a line.
    last_ranged: Option<usize>,
    /// Lines dropped, per (earlier, later) input.
    twice: BTreeMap<(usize, usize), u64>,
}

impl Sequence {
    /// `firsts`: when each input's first line was written, in reading
    /// order, where its head tells.
    pub fn new(firsts: &[Option<Micros>]) -> Sequence {
        let mut keep_from = vec![Micros::MAX; firsts.len()];
        let mut earliest = Micros::MAX;
        for (i, first) in firsts.iter().enumerate().rev() {
            keep_from[i] = earliest;
            if let Some(t) = first {
                earliest = earliest.min(*t);
            }
        }
        Sequence {
            keep_from,
            file: 0,
            started: false,
            first_pending: true,
            keep_now: Micros::MIN,
            check_until: Micros::MIN,
            prev: Micros::MIN,
            kept: HashMap::default(),
            adding: Vec::new(),
            hasher: foldhash::quality::RandomState::default(),
            ranges: vec![None; firsts.len()],
            last_ranged: None,
            twice: BTreeMap::new(),
        }
    }

    /// Input `file` starts; `latest` is the latest time read before it.
    pub fn start_file(&mut self, file: usize, latest: Option<Micros>) {
        self.file = file;
        self.started = true;
        self.first_pending = true;
        self.keep_now = Micros::MIN;
        self.check_until = match (self.kept.is_empty(), latest) {
            (false, Some(t)) => t,
            _ => Micros::MIN,
        };
    }

    /// The verdict on a line written at `time`; `key` gives what makes it
    /// itself besides its time, asked for (and hashed) only when the line
    /// may be kept or looked up.
    #[inline(always)]
    pub fn line<K: Hash>(&mut self, time: Micros, key: impl FnOnce() -> K) -> Verdict {
        if time > self.check_until && time < self.keep_now && time >= self.prev.saturating_sub(SKEW) {
            self.prev = time;
            return Verdict::Read;
        }
        self.slow(time, key())
    }

    #[inline(never)]
    fn slow(&mut self, time: Micros, key: impl Hash) -> Verdict {
        let first = std::mem::replace(&mut self.first_pending, false);
        if first {
            self.keep_now = self.keep_from.get(self.file).copied().unwrap_or(Micros::MAX);
            if let Some(r) = self.ranges.get_mut(self.file) {
                *r = Some((time, time));
            }
        }
        let (look, keep) = (time <= self.check_until, time >= self.keep_now);
        let hash = (look || keep).then(|| self.hasher.hash_one((time, key)));
        if let (true, Some(h)) = (look, hash) {
            if let Some((from, n)) = self.kept.get_mut(&h) {
                let from = *from;
                *n -= 1;
                if *n == 0 {
                    self.kept.remove(&h);
                }
                *self.twice.entry((from, self.file)).or_default() += 1;
                self.prev = time;
                return Verdict::Twice;
            }
        }
        if let (true, Some(h)) = (keep, hash) {
            self.adding.push(h);
        }
        let prev = std::mem::replace(&mut self.prev, time);
        if time >= prev.saturating_sub(SKEW) {
            return Verdict::Read;
        }
        if !first {
            return Verdict::Back { from: prev };
        }
        let before = self.last_ranged.and_then(|k| Some((k, self.ranges.get(k).copied().flatten()?)));
        match before {
            // Inside the input before: an overlap, said when this one ends.
            Some((_, (start, _))) if time >= start => Verdict::Read,
            Some((after, _)) => Verdict::StartsBack { from: prev, after },
            None => Verdict::Read,
        }
    }

    /// The input being read ends: its kept lines are kept for the later
    /// ones, and the overlaps of its time with earlier inputs' are named
    /// (longer than [`SKEW`], or with lines read twice: a rotation's last
    /// and first seconds are no overlap).
    pub fn end_file(&mut self, file: usize) -> Vec<Overlap> {
        if !self.started || file != self.file {
            return Vec::new();
        }
        self.started = false;
        let Some(Some(range)) = self.ranges.get_mut(file) else { return Vec::new() };
        range.1 = self.prev;
        let (lo, hi) = (range.0.min(range.1), range.0.max(range.1));
        self.last_ranged = Some(file);
        for h in self.adding.drain(..) {
            let e = self.kept.entry(h).or_insert((file, 0));
            *e = (file, e.1 + 1);
        }
        let mut out = Vec::new();
        for (earlier, r) in self.ranges.iter().enumerate().take(file) {
            let Some((a, b)) = *r else { continue };
            let (from, to) = (lo.max(a.min(b)), hi.min(a.max(b)));
            let twice = self.twice.get(&(earlier, file)).copied().unwrap_or(0);
            if twice > 0 || to.saturating_sub(from) > SKEW {
                out.push(Overlap { earlier, later: file, from, to, twice });
            }
        }
        out
    }
}

/// `1d 23h56m`, `2h05m`, `3m20s`: how far time went back.
pub fn span_words(micros: Micros) -> String {
    let s = micros.max(0) / MICROS_PER_SEC;
    let (d, h, m) = (s / 86_400, s / 3600 % 24, s / 60 % 60);
    match (d, h) {
        (0, 0) => format!("{m}m{:02}s", s % 60),
        (0, h) => format!("{h}h{m:02}m"),
        (d, h) => format!("{d}d {h}h{m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Micros = MICROS_PER_SEC;

    /// Feeds `files` (each a list of (second, text)) through a sequence
    /// whose first times are the files' own; the verdicts, and the
    /// overlaps named at each end.
    fn run(files: &[&[(i64, &str)]]) -> (Vec<Vec<Verdict>>, Vec<Overlap>) {
        let firsts: Vec<Option<Micros>> = files.iter().map(|f| f.first().map(|l| l.0 * S)).collect();
        let mut seq = Sequence::new(&firsts);
        let (mut verdicts, mut overlaps) = (Vec::new(), Vec::new());
        let mut latest: Option<Micros> = None;
        for (i, f) in files.iter().enumerate() {
            seq.start_file(i, latest);
            let mut v = Vec::new();
            for (t, text) in f.iter() {
                let verdict = seq.line(t * S, || text);
                if verdict != Verdict::Twice {
                    latest = Some(latest.map_or(t * S, |l| l.max(t * S)));
                }
                v.push(verdict);
            }
            verdicts.push(v);
            overlaps.extend(seq.end_file(i));
        }
        (verdicts, overlaps)
    }

    use Verdict::{Back, Read, StartsBack, Twice};

    #[test]
    fn a_rotated_set_in_order_is_read_whole() {
        // The last lines of one file may be a few seconds after the next
        // one's first (logged between the rename and the reopen).
        let (v, o) = run(&[&[(0, "a"), (100, "b"), (200, "c")], &[(199, "d"), (300, "e")]]);
        assert_eq!(v, [vec![Read, Read, Read], vec![Read, Read]]);
        assert!(o.is_empty());
        // Skew under a minute between hosts is no going back.
        let (v, _) = run(&[&[(100, "a"), (41, "b"), (100, "c")]]);
        assert_eq!(v, [vec![Read, Read, Read]]);
    }

    #[test]
    fn time_going_back_is_named_inside_one_input_and_between_inputs() {
        let (v, o) = run(&[&[(1000, "a"), (2000, "b"), (0, "c"), (10, "d"), (-100, "e")]]);
        assert_eq!(v, [vec![Read, Read, Back { from: 2000 * S }, Read, Back { from: 10 * S }]]);
        assert!(o.is_empty());
        // An input starting before the start of the one read before it
        // (its time could not be told: standard input) goes back too.
        let firsts = [None, Some(0)];
        let mut seq = Sequence::new(&firsts);
        seq.start_file(0, None);
        assert_eq!([seq.line(1000 * S, || "a"), seq.line(2000 * S, || "b")], [Read, Read]);
        assert!(seq.end_file(0).is_empty());
        seq.start_file(1, Some(2000 * S));
        assert_eq!(seq.line(0, || "c"), StartsBack { from: 2000 * S, after: 0 });
        assert_eq!(seq.line(500 * S, || "d"), Read);
        assert!(seq.end_file(1).is_empty(), "no common time");
    }

    /// A longer copy: its lines already read are dropped, the rest read,
    /// and the overlap named with the count.
    #[test]
    fn a_longer_copy_adds_only_its_new_lines() {
        let short: &[(i64, &str)] = &[(0, "a"), (10, "b"), (10, "b"), (20, "c")];
        let long: &[(i64, &str)] = &[(0, "a"), (10, "b"), (10, "b"), (20, "c"), (30, "d"), (40, "e")];
        let (v, o) = run(&[short, long]);
        assert_eq!(v, [vec![Read; 4], vec![Twice, Twice, Twice, Twice, Read, Read]]);
        assert_eq!(o, [Overlap { earlier: 0, later: 1, from: 0, to: 20 * S, twice: 4 }]);
        // The other way round: the short one is all read already.
        let (v, o) = run(&[long, short]);
        assert_eq!(v, [vec![Read; 6], vec![Twice; 4]]);
        assert_eq!(o, [Overlap { earlier: 0, later: 1, from: 0, to: 20 * S, twice: 4 }]);
    }

    /// Two exports of overlapping windows; a line written twice in the
    /// first is dropped in the second only as often as the first had it.
    #[test]
    fn overlapping_windows_read_each_line_once() {
        let one: &[(i64, &str)] = &[(0, "a"), (100, "b"), (200, "c"), (200, "c"), (300, "d")];
        let two: &[(i64, &str)] = &[(200, "c"), (200, "c"), (200, "c"), (250, "x"), (300, "d"), (400, "e")];
        let (v, o) = run(&[one, two]);
        assert_eq!(v[1], [Twice, Twice, Read, Read, Twice, Read]);
        assert_eq!(o, [Overlap { earlier: 0, later: 1, from: 200 * S, to: 300 * S, twice: 3 }]);
        // Inputs of other hosts over the same hours: named, nothing dropped.
        let (v, o) = run(&[&[(0, "mx1 a"), (3600, "mx1 b")], &[(5, "mx2 a"), (3605, "mx2 b")]]);
        assert_eq!(v, [vec![Read, Read], vec![Read, Read]]);
        assert_eq!(o, [Overlap { earlier: 0, later: 1, from: 5 * S, to: 3600 * S, twice: 0 }]);
    }

    /// With nothing overlapping, no line is kept: the map stays empty.
    #[test]
    fn nothing_is_kept_when_nothing_overlaps() {
        let firsts = [Some(0), Some(1000 * S)];
        let mut seq = Sequence::new(&firsts);
        seq.start_file(0, None);
        for t in 0..1000 {
            assert_eq!(seq.line(t * S, || t), Read);
        }
        assert!(seq.end_file(0).is_empty());
        assert!(seq.kept.is_empty() && seq.adding.is_empty());
        seq.start_file(1, Some(999 * S));
        assert_eq!(seq.check_until, Micros::MIN);
    }

    /// Stamps at the ends of time (a journal's `__REALTIME_TIMESTAMP` is
    /// whatever the line says) neither overflow nor panic.
    #[test]
    fn extreme_times_are_no_trouble() {
        let (v, o) = run(&[&[(i64::MAX / S, "a"), (i64::MIN / S, "b")], &[(i64::MIN / S, "b"), (0, "c")]]);
        assert_eq!(v[0], [Read, Back { from: i64::MAX / S * S }]);
        assert_eq!(o.len(), 1);
        assert!(!span_words(i64::MAX).is_empty());
    }

    #[test]
    fn spans_in_words() {
        assert_eq!(span_words(200 * S), "3m20s");
        assert_eq!(span_words(7500 * S), "2h05m");
        assert_eq!(span_words((86_400 + 23 * 3600 + 56 * 60 + 5) * S), "1d 23h56m");
    }
}
