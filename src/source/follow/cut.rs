//! One generation's bytes, as they come, cut into lines the way the batch
//! reader cuts them ([`crate::source::framing`]): without `\n` or `\r\n`;
//! a line longer than [`MAX_LINE`] skipped (its number counted), as the
//! batch parser skips it; NULs before the first line (a `copytruncate`
//! leaves the old length as a hole when the writer does not append)
//! dropped, as the batch reader drops them. Memory stays bounded: an
//! overlong line is counted, not kept.

use super::{LiveLine, MAX_LINE};

/// What the cutting met that the user should hear of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Event {
    /// Line `line` was `len` bytes long: skipped.
    Long { line: u64, len: u64 },
    /// `bytes` NULs before the first line were dropped.
    Nuls(u64),
}

#[derive(Debug, Default)]
pub(super) struct Cutter {
    /// The bytes of the line not finished yet.
    partial: Vec<u8>,
    /// The length so far of an overlong line being skipped, and whether
    /// its last byte is a `\r` (not counted if the `\n` follows).
    dropping: Option<(u64, bool)>,
    /// Past the NULs a generation may begin with.
    begun: bool,
    /// Lines cut (returned or skipped).
    pub line: u64,
    /// Offset after the last line cut: where a restart goes on.
    pub committed: u64,
    /// Offset after the bytes fed.
    pub pos: u64,
}

impl Cutter {
    /// A cutter at `offset` of a generation, after its line `line`.
    pub fn at(offset: u64, line: u64) -> Cutter {
        Cutter { begun: offset > 0, line, committed: offset, pos: offset, ..Cutter::default() }
    }

    /// Cuts `bytes`, the next ones of the generation, into `out`.
    pub fn feed(&mut self, mut bytes: &[u8], input: u32, out: &mut Vec<LiveLine>, events: &mut Vec<Event>) {
        if !self.begun {
            let nuls = bytes.iter().take_while(|&&b| b == 0).count();
            bytes = &bytes[nuls..];
            self.pos += nuls as u64;
            self.committed = self.pos;
            if nuls > 0 {
                match events.last_mut() {
                    Some(Event::Nuls(n)) => *n += nuls as u64,
                    _ => events.push(Event::Nuls(nuls as u64)),
                }
            }
            if bytes.is_empty() {
                return;
            }
            self.begun = true;
        }
        let base = self.pos;
        self.pos += bytes.len() as u64;
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', bytes) {
            self.end_line(&bytes[start..nl], input, out, events);
            self.committed = base + nl as u64 + 1;
            start = nl + 1;
        }
        let tail = &bytes[start..];
        let cr = |b: &[u8], or: bool| b.last().map_or(or, |&c| c == b'\r');
        match &mut self.dropping {
            Some((len, last_cr)) => {
                *len += tail.len() as u64;
                *last_cr = cr(tail, *last_cr);
            }
            // A `\r` may still be cut from a line one byte over.
            None if self.partial.len() + tail.len() > MAX_LINE + 1 => {
                let len = (self.partial.len() + tail.len()) as u64;
                self.dropping = Some((len, cr(tail, cr(&self.partial, false))));
                self.partial = Vec::new();
            }
            None => self.partial.extend_from_slice(tail),
        }
    }

    /// Ends the generation: a last line without its `\n` is a line.
    pub fn finish(&mut self, input: u32, out: &mut Vec<LiveLine>, events: &mut Vec<Event>) {
        if self.dropping.is_some() || !self.partial.is_empty() {
            self.end_line(b"", input, out, events);
            self.committed = self.pos;
        }
    }

    /// Whether bytes of an unfinished line are held.
    #[cfg(test)]
    pub fn has_partial(&self) -> bool {
        self.dropping.is_some() || !self.partial.is_empty()
    }

    fn end_line(&mut self, piece: &[u8], input: u32, out: &mut Vec<LiveLine>, events: &mut Vec<Event>) {
        self.line += 1;
        if let Some((len, last_cr)) = self.dropping.take() {
            let cr = piece.last().map_or(last_cr, |&c| c == b'\r');
            events.push(Event::Long { line: self.line, len: len + piece.len() as u64 - u64::from(cr) });
            return;
        }
        let mut bytes = match self.partial.is_empty() {
            true => piece.to_vec(),
            false => {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(piece);
                whole
            }
        };
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        if bytes.len() > MAX_LINE {
            events.push(Event::Long { line: self.line, len: bytes.len() as u64 });
            return;
        }
        out.push(LiveLine { bytes, input, line: self.line });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines cut: number and bytes.
    type Cut = Vec<(u64, Vec<u8>)>;

    fn cut(pieces: &[&[u8]], finish: bool) -> (Cut, Vec<Event>, Cutter) {
        let mut c = Cutter::at(0, 0);
        let (mut out, mut events) = (Vec::new(), Vec::new());
        for p in pieces {
            c.feed(p, 3, &mut out, &mut events);
        }
        if finish {
            c.finish(3, &mut out, &mut events);
        }
        assert!(out.iter().all(|l| l.input == 3));
        (out.into_iter().map(|l| (l.line, l.bytes)).collect(), events, c)
    }

    #[test]
    fn lines_come_whole_whatever_the_pieces() {
        let text = b"one\r\ntwo\n\nthree \xff\xfe\nfour";
        let want: Cut = [&b"one"[..], b"two", b"", b"three \xff\xfe"]
            .iter()
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, l.to_vec()))
            .collect();
        for split in 0..text.len() {
            let (lines, events, c) = cut(&[&text[..split], &text[split..]], false);
            assert_eq!((&lines, &events), (&want, &vec![]), "split at {split}");
            assert_eq!((c.committed, c.pos, c.line), (text.len() as u64 - 4, text.len() as u64, 4));
            assert!(c.has_partial());
        }
        let (lines, _, c) = cut(&[text], true);
        assert_eq!(lines.last(), Some(&(5, b"four".to_vec())));
        assert_eq!((c.committed, c.has_partial()), (text.len() as u64, false));
    }

    #[test]
    fn overlong_lines_are_counted_and_skipped() {
        let long = vec![b'x'; MAX_LINE + 1];
        let exact = vec![b'y'; MAX_LINE];
        let mut text = b"a\n".to_vec();
        text.extend_from_slice(&long);
        text.extend_from_slice(b"\r\n");
        text.extend_from_slice(&exact);
        text.extend_from_slice(b"\r\nb\n");
        text.extend_from_slice(&vec![b'z'; 3 * MAX_LINE]);
        for step in [1000, 70_000, text.len()] {
            let pieces: Vec<&[u8]> = text.chunks(step).collect();
            let (lines, events, c) = cut(&pieces, true);
            let got: Vec<(u64, usize)> = lines.iter().map(|(n, l)| (*n, l.len())).collect();
            assert_eq!(got, [(1, 1), (3, MAX_LINE), (4, 1)], "pieces of {step}");
            let long_len = (MAX_LINE + 1) as u64;
            let tail = (3 * MAX_LINE) as u64;
            assert_eq!(events, [Event::Long { line: 2, len: long_len }, Event::Long { line: 5, len: tail }]);
            assert!(c.partial.capacity() <= 2 * MAX_LINE + 2, "bounded: {}", c.partial.capacity());
        }
    }

    #[test]
    fn nuls_before_the_first_line_are_dropped() {
        let (lines, events, c) = cut(&[&[0; 10], &[0, 0, b'a', 0, b'\n']], false);
        assert_eq!(lines, [(1, b"a\0".to_vec())]);
        assert_eq!(events, [Event::Nuls(12)]);
        assert_eq!(c.committed, 15);
        // Only at a generation's start: a cutter resumed mid-file keeps them.
        let mut c = Cutter::at(5, 1);
        let mut out = Vec::new();
        c.feed(b"\0x\n", 0, &mut out, &mut Vec::new());
        assert_eq!(out, [LiveLine { bytes: b"\0x".to_vec(), input: 0, line: 2 }]);
        assert_eq!(c.committed, 8);
    }
}
