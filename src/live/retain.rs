//! The lines of the detection window, kept to correlate them again: a
//! long run's correlation is rebuilt from them now and then, so that what
//! is older than the window (records, interned strings, in-flight state)
//! is let go, and evidence is quoted from them whatever the rotation did
//! to the file since.
//!
//! Lines are kept as written, in blocks of consecutive lines of one input,
//! each compressed with zstd once full: log lines shrink about tenfold, so
//! the window costs a tenth of its size in memory and in the state file.

use crate::syslog::YearTracker;
use crate::time::Micros;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Bytes of lines a block holds before it is compressed.
const BLOCK_BYTES: usize = 256 << 10;
/// zstd's fastest levels compress log lines nearly as well as its default.
const LEVEL: i32 = 1;

/// Consecutive lines of one input.
#[derive(Clone, Serialize, Deserialize)]
pub struct Block {
    pub file: u32,
    pub first_line: u64,
    pub lines: u64,
    /// The latest time of a line read up to the end of the block.
    pub newest: Micros,
    /// The input's year tracker before the block's first line: what dates
    /// its RFC 3164 lines as they were dated when first read.
    pub year: YearTracker,
    /// Length of the lines, uncompressed.
    raw_len: u64,
    /// No more lines go into it.
    #[serde(skip)]
    full: bool,
    /// The lines (each ending in a newline), zstd-compressed when sealed;
    /// in the state file after its header ([`Retained::write`]).
    #[serde(skip)]
    data: Vec<u8>,
    /// Length of `data` in the state file.
    stored: u64,
    sealed: bool,
}

impl Block {
    /// The lines, each ending in a newline.
    pub fn text(&self) -> std::io::Result<Vec<u8>> {
        if self.sealed {
            zstd::bulk::decompress(&self.data, self.raw_len as usize)
        } else {
            Ok(self.data.clone())
        }
    }

    fn seal(&mut self) {
        if self.sealed {
            return;
        }
        if let Ok(mut c) = zstd::bulk::compress(&self.data, LEVEL) {
            c.shrink_to_fit();
            self.data = c;
            self.sealed = true;
            self.full = true;
        }
    }

    /// The block without its lines.
    fn clone_meta(&self) -> Block {
        Block {
            file: self.file,
            first_line: self.first_line,
            lines: self.lines,
            newest: self.newest,
            year: self.year.clone(),
            raw_len: self.raw_len,
            data: Vec::new(),
            stored: self.stored,
            sealed: self.sealed,
            full: true,
        }
    }

    /// Memory the block takes.
    fn size(&self) -> usize {
        self.data.capacity()
    }
}

/// The kept lines, oldest first.
#[derive(Default, Clone)]
pub struct Retained {
    blocks: VecDeque<Block>,
}

/// How the kept lines are described in the state file's header.
#[derive(Serialize, Deserialize)]
pub struct Stored {
    blocks: Vec<Block>,
}

impl Retained {
    /// Keeps line `line` of input `file`, written at `time` if it tells;
    /// `year` is the input's year tracker after it.
    pub fn keep(&mut self, file: u32, line: u64, raw: &[u8], time: Option<Micros>, year: &YearTracker) {
        let continues = self.blocks.back().is_some_and(|b| {
            !b.sealed && !b.full && b.file == file && b.first_line + b.lines == line && b.data.len() < BLOCK_BYTES
        });
        if !continues {
            if let Some(b) = self.blocks.back_mut() {
                b.full = true;
            }
            let newest = self.newest().unwrap_or(Micros::MIN);
            self.blocks.push_back(Block {
                file,
                first_line: line,
                lines: 0,
                newest,
                year: year.clone(),
                raw_len: 0,
                data: Vec::with_capacity(BLOCK_BYTES + 1024),
                stored: 0,
                sealed: false,
                full: false,
            });
        }
        if let Some(b) = self.blocks.back_mut() {
            b.data.extend_from_slice(raw);
            b.data.push(b'\n');
            b.lines += 1;
            b.raw_len = b.data.len() as u64;
            if let Some(t) = time {
                b.newest = b.newest.max(t);
            }
        }
    }

    /// Compresses up to `max` full blocks, the newest first (the oldest
    /// are the first to go); how many it compressed. Lines are kept as
    /// they come and compressed after, a few at a time, so that neither
    /// reading the history nor a burst of lines waits on it.
    pub fn compress_some(&mut self, max: usize) -> usize {
        let mut done = 0;
        for b in self.blocks.iter_mut().rev().filter(|b| b.full && !b.sealed) {
            if done == max {
                break;
            }
            b.seal();
            done += 1;
        }
        done
    }

    /// Lets go of the blocks whose lines are all before `cutoff`.
    pub fn drop_before(&mut self, cutoff: Micros) {
        while self.blocks.len() > 1 && self.blocks.front().is_some_and(|b| b.newest < cutoff) {
            self.blocks.pop_front();
        }
    }

    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.blocks.iter()
    }

    pub fn newest(&self) -> Option<Micros> {
        self.blocks.back().map(|b| b.newest)
    }

    /// Memory the kept lines take.
    pub fn size(&self) -> usize {
        self.blocks.iter().map(Block::size).sum()
    }

    pub fn lines(&self) -> u64 {
        self.blocks.iter().map(|b| b.lines).sum()
    }

    /// The blocks' description, for the state file's header, and their
    /// bytes, to write after it; every block is compressed first.
    pub fn to_store(&mut self) -> (Stored, Vec<&[u8]>) {
        for b in self.blocks.iter_mut() {
            b.seal();
            b.stored = b.data.len() as u64;
        }
        let meta = self.blocks.iter().map(|b| Block { data: Vec::new(), ..b.clone_meta() }).collect();
        (Stored { blocks: meta }, self.blocks.iter().map(|b| b.data.as_slice()).collect())
    }

    /// The kept lines of a state file: its header's description, and the
    /// bytes after the header.
    pub fn from_store(stored: Stored, mut bytes: &[u8]) -> Result<Retained, String> {
        let mut blocks = VecDeque::new();
        for mut b in stored.blocks {
            let n = usize::try_from(b.stored).map_err(|_| "block too long")?;
            if n > bytes.len() {
                return Err("the state file is cut short".into());
            }
            b.data = bytes[..n].to_vec();
            bytes = &bytes[n..];
            blocks.push_back(b);
        }
        Ok(Retained { blocks })
    }

    /// The text of line `line` of input `file`, if kept.
    pub fn line(&self, file: u32, line: u64) -> Option<String> {
        let b =
            self.blocks.iter().find(|b| b.file == file && (b.first_line..b.first_line + b.lines).contains(&line))?;
        let text = b.text().ok()?;
        let n = (line - b.first_line) as usize;
        let raw = text.split(|&c| c == b'\n').nth(n)?;
        Some(String::from_utf8_lossy(raw).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year() -> YearTracker {
        YearTracker::new(chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(), None)
    }

    fn keep(r: &mut Retained, file: u32, line: u64, text: &str, time: Micros) {
        r.keep(file, line, text.as_bytes(), Some(time), &year());
    }

    #[test]
    fn keeps_lines_by_input_and_number() {
        let mut r = Retained::default();
        keep(&mut r, 0, 1, "a", 5);
        keep(&mut r, 0, 2, "b", 10);
        r.keep(0, 3, b"c", None, &year());
        keep(&mut r, 0, 5, "e", 20);
        keep(&mut r, 1, 1, "x", 30);
        assert_eq!(r.blocks().count(), 3, "a gap and another input start blocks");
        assert_eq!(r.lines(), 5);
        assert_eq!(r.compress_some(10), 2, "the last block is still open");
        assert_eq!(r.line(0, 3).as_deref(), Some("c"));
        assert_eq!(r.line(0, 1).as_deref(), Some("a"), "from a compressed block");
        assert_eq!(r.line(0, 4), None);
        assert_eq!(r.line(1, 1).as_deref(), Some("x"));
        assert_eq!(r.newest(), Some(30));
        r.drop_before(15);
        assert_eq!(r.lines(), 2, "the first block ends at 10");
        r.drop_before(100);
        assert_eq!(r.lines(), 1, "the last block stays");
    }

    #[test]
    fn full_blocks_are_compressed_and_read_back() {
        let mut r = Retained::default();
        let line = "x".repeat(1000);
        for i in 0..600u64 {
            keep(&mut r, 0, i + 1, &line, i as i64);
        }
        assert!(r.blocks().count() >= 2);
        while r.compress_some(1) > 0 {}
        assert!(r.size() < 600 * 1000 / 2, "compressed: {}", r.size());
        assert_eq!(r.line(0, 5).map(|l| l.len()), Some(1000));
        let text: usize = r.blocks().map(|b| b.text().unwrap().len()).sum();
        assert_eq!(text, 600 * 1001);
    }

    #[test]
    fn stored_and_read_back() {
        let mut r = Retained::default();
        for i in 0..300u64 {
            keep(&mut r, (i / 100) as u32, i % 100 + 1, &format!("line {i}"), i as i64);
        }
        let (meta, bytes) = r.to_store();
        let json = serde_json::to_string(&meta).unwrap();
        let all: Vec<u8> = bytes.concat();
        let back = Retained::from_store(serde_json::from_str(&json).unwrap(), &all).unwrap();
        assert_eq!(back.lines(), 300);
        assert_eq!(back.line(2, 50).as_deref(), Some("line 249"));
        assert_eq!(back.newest(), Some(299));
        assert!(Retained::from_store(serde_json::from_str(&json).unwrap(), &all[..all.len() - 1]).is_err());
        let mut more = back;
        keep(&mut more, 2, 101, "after", 400);
        assert_eq!(more.line(2, 101).as_deref(), Some("after"), "a stored block takes no more lines");
    }
}
