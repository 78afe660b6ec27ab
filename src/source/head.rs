//! A look at each file before it is read: its first bytes of text
//! (decompressed), which tell when its first line was written (so that the
//! inputs can be read oldest first whatever order they were named in) and
//! give it a fingerprint (so that a file beside a copy of itself is read
//! once). Standard input cannot be looked at twice and has no head.

use super::reader;
use crate::envelope::{Format, Split, Stamp};
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::path::Path;
use std::time::SystemTime;

/// Bytes of text looked at for a file's first time and a first comparison
/// with the others: a read of a few pages, a few microseconds of
/// decompression. Only files alike that far are looked at further.
pub const SMALL: usize = 4 << 10;
/// Bytes of text a fingerprint covers.
pub const HEAD: usize = 64 << 10;
/// NUL padding skipped before a head (what `copytruncate` leaves: the old
/// length of the file), at most: past it, the file has no head.
const MAX_PADDING: u64 = 1 << 30;

/// The first bytes of a file's text, after any NUL padding.
#[derive(Clone, Debug, Default)]
pub struct Head {
    pub bytes: Vec<u8>,
    /// NUL bytes before `bytes`.
    pub padding: u64,
    /// The text ended there: `bytes` is all of it.
    pub whole: bool,
    /// The text could not be read that far (truncated, corrupt).
    pub damaged: bool,
    /// "plain", "gzip", "zstd"…
    pub compression: &'static str,
    pub mtime: Option<SystemTime>,
}

/// The first `limit` bytes of text of the file at `path`; `None` when it
/// cannot be opened (its reading names the problem).
pub fn read_head(path: &Path, limit: usize) -> Option<Head> {
    let (mut text, meta) = reader::open_text(path).ok()?;
    let mut head = Head { compression: meta.compression, mtime: meta.mtime, ..Head::default() };
    const PADDING_BLOCK: usize = 64 << 10;
    let mut block = vec![0u8; (limit + 1).min(PADDING_BLOCK)];
    while head.bytes.len() <= limit && head.padding <= MAX_PADDING {
        // One byte past the limit tells whether the text ends there;
        // padding is skipped a larger block at a time.
        let want = match (head.bytes.len(), head.padding) {
            (0, 1..) => {
                block.resize(PADDING_BLOCK, 0);
                PADDING_BLOCK
            }
            (n, _) => (limit + 1 - n).min(block.len()),
        };
        let n = match text.read(&mut block[..want]) {
            Ok(0) => {
                head.whole = true;
                break;
            }
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => {
                head.damaged = true;
                break;
            }
        };
        let got = &block[..n];
        let lead = if head.bytes.is_empty() { got.iter().take_while(|&&b| b == 0).count() } else { 0 };
        head.padding += lead as u64;
        head.bytes.extend_from_slice(&got[lead..]);
    }
    if head.bytes.len() > limit {
        head.bytes.truncate(limit);
        head.whole = false;
    }
    Some(head)
}

impl Head {
    /// A hash of the head (its padding, its bytes, and whether that was
    /// all of the text): equal for two files whose text may be the same.
    /// `None` for a file with no text, or damaged (two copies of nothing are
    /// no duplicates, and a damaged copy is not the same text).
    pub fn fingerprint(&self) -> Option<u64> {
        if self.bytes.is_empty() || self.damaged {
            return None;
        }
        let mut h = foldhash::quality::FixedState::default().build_hasher();
        h.write_u64(self.padding);
        h.write(&self.bytes);
        h.write_u8(u8::from(self.whole));
        Some(h.finish())
    }

    /// When the first line was written: the stamp of the first line that
    /// has an envelope, in the format sniffed as reading sniffs it. A line
    /// cut at the end of the head is not read.
    pub fn first_stamp(&self) -> Option<Stamp> {
        let text = &self.bytes[..];
        let end = if self.whole { text.len() } else { memchr::memrchr(b'\n', text)? };
        let text = &text[..end];
        match Format::sniff(text) {
            Format::Syslog => first::<crate::syslog::Syslog>(text),
            Format::Journald => first::<crate::envelope::journald::Journald>(text),
            #[cfg(test)]
            Format::Tab => first::<crate::envelope::tab::Tab>(text),
        }
    }
}

/// The stamp of the first line of `text` in format `F`; lines with invalid
/// UTF-8 are repaired first, as reading repairs them.
fn first<F: Split>(text: &[u8]) -> Option<Stamp> {
    let mut found = None;
    crate::source::framing::for_each_line(text, |raw| {
        if found.is_some() || raw.is_empty() || raw.len() > crate::source::framing::MAX_LINE || raw.contains(&0) {
            return;
        }
        let line = String::from_utf8_lossy(raw);
        found = F::split(&line).map(|e| e.stamp).or_else(|| F::decode(&line).map(|d| d.stamp));
    });
    found
}

/// Whether the files at `a` and `b` hold the same text (decompressed),
/// read whole side by side up to the first difference. A file that cannot
/// be read to its end is not the same as any other.
pub fn same_text(a: &Path, b: &Path) -> bool {
    let (Ok((ra, _)), Ok((rb, _))) = (reader::open_text(a), reader::open_text(b)) else {
        return false;
    };
    same_stream(ra, rb)
}

fn same_stream(mut a: impl Read, mut b: impl Read) -> bool {
    const BLOCK: usize = 256 << 10;
    let (mut x, mut y) = (vec![0u8; BLOCK], vec![0u8; BLOCK]);
    loop {
        let (Some(n), Some(m)) = (fill(&mut a, &mut x), fill(&mut b, &mut y)) else {
            return false;
        };
        if x[..n] != y[..m] {
            return false;
        }
        if n == 0 {
            return true;
        }
    }
}

/// Fills `buf` as far as the stream goes: the bytes read (fewer only at
/// its end), `None` on a read error.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> Option<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::gzip;

    fn lines(n: usize, from: usize) -> Vec<u8> {
        (from..from + n)
            .flat_map(|i| {
                format!("Nov 23 06:{:02}:{:02} mx postfix/smtpd[{i}]: connect from a[192.0.2.1]\n", i / 60 % 60, i % 60)
                    .into_bytes()
            })
            .collect()
    }

    /// A file and its gzipped copy have one fingerprint; a file that only
    /// shares their first 64 KiB has it too (so it must be confirmed whole),
    /// and a short file differs from a longer one that starts with it.
    #[test]
    fn fingerprints_see_the_text_not_the_file() {
        let d = tempfile::tempdir().unwrap();
        let text = lines(2000, 0);
        assert!(text.len() > HEAD);
        let longer = [text.clone(), lines(10, 5000)].concat();
        let short = lines(10, 0);
        let files = [
            ("a.log", text.clone()),
            ("a.log.gz", gzip(&text)),
            ("longer.log", longer.clone()),
            ("short.log", short.clone()),
            ("short-and-more.log", [short.clone(), lines(1, 99)].concat()),
            ("empty.log", Vec::new()),
            ("cut.gz", gzip(&text)[..3000].to_vec()),
        ];
        for (name, data) in &files {
            std::fs::write(d.path().join(name), data).unwrap();
        }
        let head = |name: &str| read_head(&d.path().join(name), HEAD).unwrap();
        let print = |name: &str| head(name).fingerprint();
        assert_eq!(head("a.log.gz").compression, "gzip");
        assert_eq!(head("a.log").bytes.len(), HEAD);
        assert!(print("a.log").is_some());
        assert_eq!(print("a.log"), print("a.log.gz"));
        assert_eq!(print("a.log"), print("longer.log"));
        assert_ne!(print("short.log"), print("short-and-more.log"));
        assert_eq!(print("empty.log"), None);
        assert!(head("cut.gz").damaged);
        assert_eq!(print("cut.gz"), None);
        assert!(read_head(&d.path().join("missing.log"), HEAD).is_none());
        // A small head stops at its limit; padding is skipped, and counted.
        let small = read_head(&d.path().join("a.log.gz"), SMALL).unwrap();
        assert_eq!((small.bytes.len(), small.whole), (SMALL, false));
        assert_eq!(&small.bytes[..], &text[..SMALL]);
        std::fs::write(d.path().join("padded.log"), [vec![0; 200_000], short.clone()].concat()).unwrap();
        let padded = read_head(&d.path().join("padded.log"), SMALL).unwrap();
        assert_eq!((padded.padding, &padded.bytes, padded.whole), (200_000, &short, true));
        assert!(padded.first_stamp().is_some());
        assert_ne!(padded.fingerprint(), read_head(&d.path().join("short.log"), SMALL).unwrap().fingerprint());
        // The whole text tells them apart.
        let p = |name: &str| d.path().join(name);
        assert!(same_text(&p("a.log"), &p("a.log.gz")));
        assert!(!same_text(&p("a.log"), &p("longer.log")));
        assert!(!same_text(&p("longer.log"), &p("a.log")));
        assert!(!same_text(&p("a.log.gz"), &p("cut.gz")));
        assert!(same_text(&p("short.log"), &p("short.log")));
    }

    #[test]
    fn streams_compare_across_uneven_reads() {
        struct Drip<'a>(&'a [u8], usize);
        impl Read for Drip<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(self.1);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let text = lines(5000, 0);
        assert!(same_stream(Drip(&text, 7), Drip(&text, 100_003)));
        assert!(!same_stream(Drip(&text, 7), Drip(&text[..text.len() - 1], 4096)));
        assert!(same_stream(Drip(b"", 1), Drip(b"", 1)));
    }

    #[test]
    fn first_stamp_after_junk_and_in_each_format() {
        let head = |bytes: &[u8], whole| Head { bytes: bytes.to_vec(), whole, ..Head::default() };
        let syslog = b"junk\n\nNov 23 06:00:01 mx postfix/smtpd[1]: x\nNov 23 06:00:02 mx postfix/smtpd[1]: y\n";
        assert_eq!(
            head(syslog, true).first_stamp(),
            Some(Stamp::Local { month: 11, day: 23, secs: 6 * 3600 + 1, micros: 0 })
        );
        let iso = b"2026-11-23T06:00:01Z mx postfix/smtpd[1]: x\n";
        let exact = crate::time::civil_to_micros(2026, 11, 23, 6, 0, 1);
        assert_eq!(head(iso, true).first_stamp(), Some(Stamp::Exact(exact)));
        // A line cut at the end of the head is not read.
        assert_eq!(head(b"2026-11-23T06:00:01Z mx postfix/smtpd[1]: x", false).first_stamp(), None);
        let journal = br#"{"__REALTIME_TIMESTAMP":"1795413601000000","_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"postfix/smtpd","SYSLOG_PID":"1","MESSAGE":"x"}
"#;
        assert_eq!(head(journal, true).first_stamp(), Some(Stamp::Exact(1_795_413_601_000_000)));
        assert_eq!(head(b"no envelope here\n", true).first_stamp(), None);
    }
}
