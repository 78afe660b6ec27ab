//! Postfix's record format, read as Postfix's `rec_get` reads it: one type
//! byte, the data length in base 128 (seven bits a byte, lowest first, the
//! high bit set on every byte but the last), then the data. `p` records hold
//! a decimal file offset: 0 is a placeholder, anything else means "go on
//! reading there" (edits are appended after the end and linked in this way);
//! `w` records are padding. Every byte may be damaged or hostile: nothing
//! here trusts a length or an offset without checking it against the file.

use std::io;

/// Where the bytes come from: a whole file in memory (tests, small files)
/// or a file read on demand ([`super::file::Window`]).
pub trait Input {
    /// The file's length.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// `n` bytes at `offset`, or fewer at the end of the file.
    fn read(&mut self, offset: u64, n: usize) -> io::Result<&[u8]>;
}

impl Input for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read(&mut self, offset: u64, n: usize) -> io::Result<&[u8]> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(<[u8]>::len(self));
        let end = start.saturating_add(n).min(<[u8]>::len(self));
        Ok(&self[start..end])
    }
}

/// Why a file could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    #[error("empty file")]
    Empty,
    #[error("not a queue file (first record {0:?})")]
    NotQueueFile(char),
    #[error("truncated at offset {0}")]
    Truncated(u64),
    #[error("record length {len} at offset {offset} is past the end of the file")]
    PastEnd { offset: u64, len: u64 },
    #[error("record length at offset {0} has too many bytes")]
    BadLength(u64),
    #[error("record at offset {0} is longer than any Postfix writes")]
    TooLong(u64),
    #[error("malformed pointer record at offset {0}")]
    BadPointer(u64),
    #[error("more than {MAX_JUMPS} pointer jumps (a pointer loop)")]
    PointerLoop,
    #[error("ends without an end record")]
    NoEnd,
    #[error("{0}")]
    Io(String),
}

impl From<io::Error> for Damage {
    fn from(e: io::Error) -> Damage {
        Damage::Io(e.to_string())
    }
}

/// Pointer jumps allowed in one file. Postfix itself stops after 10,000
/// backward jumps; each inserted header costs one, each batch of added
/// recipients one.
pub const MAX_JUMPS: u32 = 10_000;

/// Longest record accepted. Postfix cuts content lines into fragments of
/// `line_length_limit` (2048 by default) and envelope records are short;
/// a megabyte leaves room for any setting without reading a hostile
/// length's gigabytes.
pub const MAX_RECORD: u64 = 1 << 20;

/// One record: its type byte and where its data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub kind: u8,
    /// File offset of the type byte.
    pub offset: u64,
    /// File offset and length of the data.
    pub data_at: u64,
    pub len: u64,
}

/// Records in file order, pointers followed and padding skipped.
pub struct Records<I> {
    pub input: I,
    pos: u64,
    jumps: u32,
}

impl<I: Input> Records<I> {
    pub fn new(input: I) -> Records<I> {
        Records { input, pos: 0, jumps: 0 }
    }

    /// Goes on reading at `offset` (the extracted section, found from the
    /// size record, without reading the body).
    pub fn seek(&mut self, offset: u64) {
        self.pos = offset;
    }

    /// The data of `r`.
    pub fn data(&mut self, r: &Record) -> Result<&[u8], Damage> {
        // `r.len` was checked against MAX_RECORD and the file's length.
        let n = usize::try_from(r.len).map_err(|_| Damage::TooLong(r.offset))?;
        let data = self.input.read(r.data_at, n)?;
        if data.len() != n {
            return Err(Damage::Truncated(r.data_at));
        }
        Ok(data)
    }

    /// The next record; `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<Record>, Damage> {
        loop {
            let Some(r) = self.raw()? else { return Ok(None) };
            match r.kind {
                b'p' => {
                    let target = pointer(self.data(&r)?).ok_or(Damage::BadPointer(r.offset))?;
                    if target != 0 {
                        self.jumps += 1;
                        if self.jumps > MAX_JUMPS {
                            return Err(Damage::PointerLoop);
                        }
                        if target >= self.input.len() {
                            return Err(Damage::BadPointer(r.offset));
                        }
                        self.pos = target;
                    }
                }
                b'w' => {}
                _ => return Ok(Some(r)),
            }
        }
    }

    /// The record at the current position, unfollowed.
    fn raw(&mut self) -> Result<Option<Record>, Damage> {
        let offset = self.pos;
        let file_len = self.input.len();
        if offset >= file_len {
            return Ok(None);
        }
        // A type byte and at most five length bytes (35 bits), as Postfix
        // accepts lengths that fit an int.
        let head = self.input.read(offset, 6)?;
        let Some(&kind) = head.first() else { return Err(Damage::Truncated(offset)) };
        let mut len: u64 = 0;
        let mut used = None;
        for (i, &b) in head[1..].iter().enumerate() {
            len |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                used = Some(i + 1);
                break;
            }
        }
        let used = match used {
            Some(n) => n as u64,
            None if head.len() < 6 => return Err(Damage::Truncated(offset)),
            None => return Err(Damage::BadLength(offset)),
        };
        if len > MAX_RECORD {
            return Err(Damage::TooLong(offset));
        }
        let data_at = offset + 1 + used;
        if data_at + len > file_len {
            return Err(Damage::PastEnd { offset, len });
        }
        self.pos = data_at + len;
        Ok(Some(Record { kind, offset, data_at, len }))
    }
}

/// A pointer record's offset: decimal digits, space-padded.
fn pointer(data: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(data).ok()?.trim();
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// One record as Postfix's `rec_put` writes it.
    pub fn rec(kind: u8, data: &[u8]) -> Vec<u8> {
        let mut out = vec![kind];
        let mut n = data.len();
        loop {
            let mut b = (n & 0x7f) as u8;
            n >>= 7;
            if n != 0 {
                b |= 0x80;
            }
            out.push(b);
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(data);
        out
    }

    fn kinds(bytes: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, Damage> {
        let mut r = Records::new(bytes);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record()? {
            let d = r.data(&rec)?.to_vec();
            out.push((rec.kind, d));
            if rec.kind == b'E' {
                break;
            }
        }
        Ok(out)
    }

    #[test]
    fn lengths_are_base_128_low_bits_first() {
        let long = vec![b'x'; 300];
        let bytes = rec(b'N', &long);
        assert_eq!(&bytes[..3], &[b'N', 0x80 | (300 & 0x7f) as u8, (300 >> 7) as u8]);
        assert_eq!(kinds(&bytes).unwrap(), vec![(b'N', long)]);
    }

    #[test]
    fn pointers_are_followed_and_padding_skipped() {
        // S, then a pointer to an appended R, which points back to E.
        let mut f = rec(b'S', b"a@b");
        let ptr_at = f.len();
        f.extend(rec(b'p', b"              0"));
        let e_at = f.len();
        f.extend(rec(b'E', b""));
        f.extend(rec(b'w', b"pad"));
        let appended = f.len();
        f.extend(rec(b'R', b"c@d"));
        f.extend(rec(b'p', format!("{e_at:15}").as_bytes()));
        let p = rec(b'p', format!("{appended:15}").as_bytes());
        f[ptr_at..ptr_at + p.len()].copy_from_slice(&p);
        let got = kinds(&f).unwrap();
        assert_eq!(got.iter().map(|k| k.0).collect::<Vec<_>>(), b"SRE");
    }

    #[test]
    fn damage_is_named() {
        assert_eq!(kinds(&[b'S', 0x85]), Err(Damage::Truncated(0)));
        assert_eq!(kinds(&[b'S', 5, b'a']), Err(Damage::PastEnd { offset: 0, len: 5 }));
        assert_eq!(kinds(&[b'S', 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), Err(Damage::BadLength(0)));
        assert_eq!(kinds(&[b'S', 0xff, 0xff, 0xff, 0x7f]), Err(Damage::TooLong(0)));
        assert_eq!(kinds(&rec(b'p', b"12x")), Err(Damage::BadPointer(0)));
        assert_eq!(kinds(&rec(b'p', b"999999")), Err(Damage::BadPointer(0)));
        // A pointer to itself.
        let mut f = rec(b'S', b"x");
        let at = f.len();
        f.extend(rec(b'p', format!("{at:15}").as_bytes()));
        assert_eq!(kinds(&f), Err(Damage::PointerLoop));
    }
}
