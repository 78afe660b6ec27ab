//! A queue file read on demand, for [`super::record::Records`]: most of a
//! spam queue's files are a few kilobytes and are read in one call; of a
//! large one only the envelope, the headers and the extracted section are
//! read, never the body. Opened read-only, never locked: Postfix's own
//! readers (qmgr, postcat) lock; a reader that only looks must not get in
//! their way.

use super::record::Input;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// How much is read at a time.
const CHUNK: usize = 64 << 10;

pub struct Window<'f> {
    file: &'f File,
    len: u64,
    start: u64,
    buf: Vec<u8>,
    /// Bytes read from the file, for the progress display.
    pub read: u64,
}

impl<'f> Window<'f> {
    pub fn new(file: &'f File, len: u64) -> Window<'f> {
        Window { file, len, start: 0, buf: Vec::new(), read: 0 }
    }
}

impl Input for Window<'_> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read(&mut self, offset: u64, n: usize) -> io::Result<&[u8]> {
        let end = offset.saturating_add(n as u64).min(self.len);
        let have = self.start..self.start + self.buf.len() as u64;
        if offset < have.start || end > have.end {
            let want = usize::try_from(end.saturating_sub(offset)).unwrap_or(usize::MAX).max(CHUNK);
            let want = want.min(usize::try_from(self.len.saturating_sub(offset)).unwrap_or(usize::MAX));
            self.buf.resize(want, 0);
            let mut got = 0;
            while got < want {
                match self.file.read_at(&mut self.buf[got..], offset + got as u64) {
                    Ok(0) => break,
                    Ok(k) => got += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            // A file cut short while read (qmgr does not, but an admin may)
            // reads as what is there: the records then say it is truncated.
            self.buf.truncate(got);
            self.start = offset;
            self.read += got as u64;
        }
        let from = usize::try_from(offset - self.start).unwrap_or(usize::MAX).min(self.buf.len());
        let to = usize::try_from(end.saturating_sub(self.start)).unwrap_or(usize::MAX).min(self.buf.len()).max(from);
        Ok(&self.buf[from..to])
    }
}
