//! Reads inputs and hands whole lines on in large chunks. Plain files are
//! read on the thread that parses them (see [`read_all`]); gzip, zstd, xz
//! and bzip2 are decompressed on a thread of its own, so that decompression
//! (the floor for compressed input) overlaps parsing on the second core.
//!
//! Compression is recognised by magic bytes, never by name; each may have
//! several members, frames or streams (`cat a.gz b.gz`). A read error
//! (truncated or corrupt data, I/O error) ends that file with a message
//! giving how many bytes of text (decompressed) were read; the lines before
//! it still count.
//!
//! Long with its unit tests, which sit at the end.

use super::discover::Input;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Bytes read at a time, and about the size of a chunk: small enough that a
/// chunk is still in the caches when the parse stage reads it (larger
/// chunks were slower and held more in flight).
const BLOCK: usize = 256 << 10;
/// A "line" longer than this with no newline is dropped while reading, so a
/// corrupt file cannot make us buffer gigabytes. Shorter overlong lines are
/// dropped by the parser (see `framing::MAX_LINE`).
const MAX_BUFFERED_LINE: usize = 4 << 20;

/// What reading yields, in order.
pub enum Chunk {
    Opened {
        file: u32,
        meta: FileMeta,
    },
    /// Complete lines (the last line of a file may lack its newline).
    Data {
        file: u32,
        bytes: Block,
    },
    /// `bytes` NUL bytes before the file's first line were dropped here.
    Padding {
        file: u32,
        bytes: u64,
    },
    /// One line of `len` bytes was too long to buffer and was dropped here.
    LongLine {
        file: u32,
        len: u64,
    },
    /// What the program an input comes from said on its stderr
    /// (journalctl's hints), escaped.
    Note {
        file: u32,
        message: String,
    },
    /// The file is done; `error` says why it ended early, or why it could not
    /// be read at all.
    End {
        file: u32,
        error: Option<String>,
    },
}

#[derive(Clone, Debug, Default)]
pub struct FileMeta {
    pub compression: &'static str,
    /// Size on disk (compressed bytes), for the progress bar.
    pub size: Option<u64>,
    pub mtime: Option<SystemTime>,
}

/// The bytes of a [`Chunk::Data`]. Once dropped, wherever that is (the
/// correlating thread, as a rule), its buffer goes back to the reader to be
/// read into again: a new buffer per chunk cost the reading thread a fresh,
/// zeroed and page-faulted 512 KiB every 256 KiB of input, and the
/// correlating thread the unmapping of the old one.
pub struct Block {
    bytes: Vec<u8>,
    home: Option<Recycler>,
}

impl std::ops::Deref for Block {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl From<Vec<u8>> for Block {
    /// Bytes that go nowhere when dropped.
    fn from(bytes: Vec<u8>) -> Self {
        Block { bytes, home: None }
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if let Some(home) = &self.home {
            home.give(std::mem::take(&mut self.bytes));
        }
    }
}

/// A buffer's capacity: a block, and a line cut at its end.
const CAPACITY: usize = 2 * BLOCK;
/// Buffers kept for reuse: more than can be in flight at once (the
/// channels' depths), so that the reader rarely allocates after its start.
const KEPT: usize = 32;

/// Buffers on their way back to the reader.
#[derive(Clone, Default)]
struct Recycler(Arc<Mutex<Vec<Vec<u8>>>>);

impl Recycler {
    /// An empty buffer of [`CAPACITY`] whose whole capacity is initialised
    /// (see [`read_room`]): a returned one, or else a new, zeroed one.
    fn take(&self) -> Vec<u8> {
        let kept = self.0.lock().ok().and_then(|mut kept| kept.pop());
        kept.unwrap_or_else(|| {
            let mut fresh = vec![0; CAPACITY];
            fresh.clear();
            fresh
        })
    }

    fn give(&self, mut buf: Vec<u8>) {
        // Only buffers `take` made: a buffer that grew (a long line) has
        // another capacity and is simply freed.
        if buf.capacity() != CAPACITY {
            return;
        }
        buf.clear();
        if let Ok(mut kept) = self.0.lock() {
            if kept.len() < KEPT {
                kept.push(buf);
            }
        }
    }
}

/// Makes `buf` `len` bytes long to read into, without zeroing what an
/// earlier chunk already wrote: only new bytes are zeroed.
fn read_room(buf: &mut Vec<u8>, len: usize) {
    if buf.capacity() == CAPACITY && len <= CAPACITY {
        // SAFETY: a Vec's capacity only grows, so one of CAPACITY is still
        // the allocation `Recycler::take` made, whose whole capacity was
        // zeroed then (`vec![0; CAPACITY]`); since, bytes were only ever
        // written with initialised values (reads, copies), and truncating a
        // `Vec<u8>` writes nothing. So all `len` bytes are initialised `u8`s.
        unsafe { buf.set_len(len) }
    } else {
        buf.resize(len, 0);
    }
}

/// Where chunks go, in order; false when the consumer stopped.
pub type Sink<'a> = dyn FnMut(Chunk) -> bool + 'a;

/// Reads every input in turn into `sink`, on this thread: the bytes of a
/// plain file are then still in this core's cache when its lines are
/// parsed (read on another core, fetching them was the largest single cost
/// of parsing). Compressed input is decompressed on a thread of its own, so
/// that decompressing and parsing overlap, and a compressed file starts
/// decompressing while the file before it is still read ([`super::ahead`]).
/// `progress` counts bytes read from disk.
pub fn read_all(inputs: &[Input], progress: &Arc<AtomicU64>, sink: &mut Sink) {
    let mut next = inputs.first().map(|input| super::ahead::Ahead::open(0, input, progress));
    for i in 0..inputs.len() {
        let Some(current) = next.take() else { return };
        next = inputs.get(i + 1).map(|input| super::ahead::Ahead::start((i + 1) as u32, input, progress));
        if !current.read(sink) {
            return; // the consumer stopped; dropping `next` stops its thread
        }
    }
}

/// An input opened, its format known from its first bytes.
pub(super) struct Opened {
    pub meta: FileMeta,
    pub format: &'static str,
    reader: BufReader<Counting<Box<dyn Read + Send>>>,
}

/// Opens `input` and names its format; the error ends the file.
pub(super) fn open(input: &Input, progress: &Arc<AtomicU64>) -> Result<Opened, String> {
    let (raw, mut meta) = match input {
        Input::Stdin => (Box::new(io::stdin()) as Box<dyn Read + Send>, FileMeta::default()),
        Input::File(p) => open_file(p)?,
        // Not a file to open: `super::ahead` runs journalctl for it.
        Input::Journal(_) => return Err("the journal is read through journalctl, not opened".into()),
    };
    let counted = Counting { inner: raw, count: progress.clone() };
    let mut reader = BufReader::with_capacity(256 << 10, counted);
    let format = detect(&mut reader).map_err(|e| format!("cannot read: {e}"))?;
    meta.compression = format;
    Ok(Opened { meta, format, reader })
}

/// Where a file is decompressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Decompress {
    /// On a thread of its own, while its lines are parsed here.
    Apart,
    /// On the calling thread (itself apart from the parsing).
    Here,
}

/// Reads an opened file to its end into `sink`. Returns false when the
/// consumer stopped.
pub(super) fn read_opened(file: u32, opened: Opened, sink: &mut Sink, how: Decompress) -> bool {
    let Opened { meta, format, reader: buffered } = opened;
    let size = meta.size;
    if !sink(Chunk::Opened { file, meta }) {
        return false;
    }
    match decode(format, buffered) {
        Ok(TextReader::Plain(r)) => match size {
            Some(size) => read_to_end(file, format, Shrinking { inner: r, size, read: 0 }, sink),
            None => read_to_end(file, format, r, sink),
        },
        Ok(TextReader::Compressed(d)) => match how {
            Decompress::Apart => decompressing(file, format, d, sink),
            Decompress::Here => read_to_end(file, format, d, sink),
        },
        Err(e) => sink(Chunk::End { file, error: Some(read_error(format, &e, 0)) }),
    }
}

/// A file's text: as it is, or through its decompressor.
enum TextReader<R> {
    Plain(R),
    /// Boxed: one dynamic call per read of a block costs nothing.
    Compressed(Box<dyn Read + Send>),
}

/// The reader of `format`'s text over `r`.
fn decode<R: BufRead + Send + 'static>(format: &'static str, r: R) -> io::Result<TextReader<R>> {
    // Every decoder reads concatenations to their end (`cat a.xz b.xz`).
    Ok(TextReader::Compressed(match format {
        "gzip" => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
        // Windows up to 2 GiB (`zstd --long=31`); memory is only taken when
        // a frame asks for it.
        "zstd" => {
            let mut d = zstd::stream::read::Decoder::with_buffer(r)?;
            d.window_log_max(31)?;
            Box::new(d)
        }
        "xz" => Box::new(Xz::new(r)?),
        "bzip2" => Box::new(bzip2::bufread::MultiBzDecoder::new(r)),
        _ => return Ok(TextReader::Plain(r)),
    }))
}

/// The text of the file at `path` (decompressed), with its metadata, for a
/// look at it before it is read ([`super::head`]); `Err` says why it cannot
/// be opened, which reading it will say again.
pub fn open_text(path: &std::path::Path) -> Result<(Box<dyn Read + Send>, FileMeta), String> {
    let (raw, mut meta) = open_file(path)?;
    let mut buffered = BufReader::with_capacity(64 << 10, raw);
    let format = detect(&mut buffered).map_err(|e| format!("cannot read: {e}"))?;
    meta.compression = format;
    match decode(format, buffered) {
        Ok(TextReader::Plain(r)) => Ok((Box::new(r), meta)),
        Ok(TextReader::Compressed(d)) => Ok((d, meta)),
        Err(e) => Err(read_error(format, &e, 0)),
    }
}

/// Reads `r` to its end into `sink`, then ends the file. False when the
/// consumer stopped.
fn read_to_end(file: u32, format: &'static str, r: impl Read, sink: &mut Sink) -> bool {
    let error = match pump(file, r, sink) {
        Ok(()) => None,
        Err(PumpError::Hangup) => return false,
        Err(PumpError::Read(e, at)) => Some(read_error(format, &e, at)),
        Err(PumpError::Binary(e)) => Some(e),
    };
    sink(Chunk::End { file, error })
}

/// [`read_to_end`] on a thread of its own, its chunks passed on to `sink`
/// here as they come. A thread the system refuses is no error: the file is
/// inflated here, in turn with its parsing, slower but the same (as ingest
/// does with a refused parse thread).
fn decompressing<R: Read + Send + 'static>(file: u32, format: &'static str, r: R, sink: &mut Sink) -> bool {
    decompressing_with(file, format, r, sink, |work| std::thread::Builder::new().spawn(work))
}

/// The work of the decompressing thread: true unless its consumer stopped.
type Work = Box<dyn FnOnce() -> bool + Send>;

/// [`decompressing`], its thread started by `spawn` (a stand-in in tests).
fn decompressing_with<R: Read + Send + 'static>(
    file: u32,
    format: &'static str,
    r: R,
    sink: &mut Sink,
    spawn: impl FnOnce(Work) -> io::Result<std::thread::JoinHandle<bool>>,
) -> bool {
    let (tx, rx) = sync_channel(8);
    // The reader goes to the thread once it runs, so that a refused thread
    // leaves it here to be read.
    let (give, take) = sync_channel::<R>(1);
    let work: Work = Box::new(move || match take.recv() {
        Ok(r) => read_to_end(file, format, r, &mut |chunk| tx.send(chunk).is_ok()),
        Err(_) => false,
    });
    let Ok(thread) = spawn(work) else {
        return read_to_end(file, format, r, sink);
    };
    if let Err(std::sync::mpsc::SendError(r)) = give.send(r) {
        // The thread ended before taking it, which only a bug does.
        return read_to_end(file, format, r, sink);
    }
    if !rx.into_iter().all(&mut *sink) {
        return false; // dropping `rx` ends the thread's sending
    }
    match thread.join() {
        Ok(_) => true,
        // A panic is a bug, not the input's fault: the file ends there, with
        // a message, and the other inputs are read.
        Err(_) => sink(Chunk::End { file, error: Some("decompressing failed (a bug in postsleuth)".into()) }),
    }
}

fn open_file(p: &std::path::Path) -> Result<(Box<dyn Read + Send>, FileMeta), String> {
    let f = open_regular(p)?;
    let md = f.metadata().ok();
    let meta =
        FileMeta { compression: "", size: md.as_ref().map(|m| m.len()), mtime: md.and_then(|m| m.modified().ok()) };
    Ok((Box::new(f), meta))
}

/// Opening a FIFO blocks until something writes to it, and a device may
/// never end: only regular files are read by name (a pipe comes as `-`).
/// The file is opened non-blocking and its type taken from the open file,
/// not from the name, so a FIFO put in a log's place between a check and
/// the open cannot hang the run.
fn open_regular(p: &std::path::Path) -> Result<File, String> {
    let reason = |e: io::Error| format!("cannot open: {}", io_reason(&e));
    let f = open_nonblocking(p).map_err(reason)?;
    if !f.metadata().map_err(reason)?.file_type().is_file() {
        return Err("not a regular file (a FIFO, socket or device); skipped (pipe it in as -)".into());
    }
    #[cfg(unix)]
    rustix::fs::fcntl_setfl(&f, rustix::fs::OFlags::empty()).map_err(|e| reason(e.into()))?;
    Ok(f)
}

#[cfg(unix)]
fn open_nonblocking(p: &std::path::Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32).open(p)
}

#[cfg(not(unix))]
fn open_nonblocking(p: &std::path::Path) -> io::Result<File> {
    File::open(p)
}

/// Why a file or folder could not be opened, in words that say what to do.
pub(crate) fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => {
            "permission denied (run as a user that can read the mail logs, e.g. in group adm)".into()
        }
        io::ErrorKind::NotFound => "no such file".into(),
        _ => e.to_string(),
    }
}

/// Names the format from its first bytes.
fn detect(r: &mut impl BufRead) -> io::Result<&'static str> {
    let head = r.fill_buf()?;
    Ok(match head {
        [0x1f, 0x8b, ..] => "gzip",
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => "xz",
        [b'B', b'Z', b'h', ..] => "bzip2",
        // A frame, or a skippable frame (magic 0x184D2A50 to 0x184D2A5F).
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "zstd",
        [m, 0x2a, 0x4d, 0x18, ..] if m & 0xf0 == 0x50 => "zstd",
        _ => "plain",
    })
}

pub(super) enum PumpError {
    Hangup,
    /// A read failed after this many bytes of text.
    Read(io::Error, u64),
    Binary(String),
}

/// Reads to the end, sending chunks of whole lines.
pub(super) fn pump(file: u32, mut r: impl Read, tx: &mut Sink) -> Result<(), PumpError> {
    let home = Recycler::default();
    let block = |bytes| Chunk::Data { file, bytes: Block { bytes, home: Some(home.clone()) } };
    let mut buf = home.take();
    let mut total = 0u64;
    let mut padding = 0u64;
    // Bytes of a giant line dropped so far, while looking for its end.
    let mut dropping: Option<u64> = None;
    loop {
        let start = buf.len();
        read_room(&mut buf, start + BLOCK);
        let n = match r.read(&mut buf[start..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                buf.truncate(start);
                continue;
            }
            Err(e) => {
                if let Some(dropped) = dropping {
                    // The error cut a line already too long: it is still one.
                    send(tx, Chunk::LongLine { file, len: dropped + start as u64 })?;
                } else {
                    // Bytes after the last newline are a line the error cut
                    // short (a truncated .gz ends mid-line): they go with the
                    // rest of the file rather than be analysed as half a line.
                    buf.truncate(memchr::memrchr(b'\n', &buf[..start]).map_or(0, |i| i + 1));
                    send(tx, block(buf))?;
                }
                return Err(PumpError::Read(e, total));
            }
        };
        buf.truncate(start + n);
        let mut n = n;
        if total == 0 && n > 0 && buf.first() == Some(&0) {
            // A copytruncate rotation leaves the file's old length as NULs
            // before the new lines: drop them rather than the whole file.
            let lead = buf.iter().take_while(|&&b| b == 0).count();
            buf.drain(..lead);
            padding += lead as u64;
            n -= lead;
            if buf.is_empty() {
                continue;
            }
        }
        if total == 0 && n > 0 && looks_binary(&buf) {
            return Err(PumpError::Binary("binary data, not a text log (control bytes at the start); skipped".into()));
        }
        // Said only once the rest is known to be text: binary data that
        // starts with a NUL is binary, not padded.
        if padding > 0 {
            send(tx, Chunk::Padding { file, bytes: std::mem::take(&mut padding) })?;
        }
        total += n as u64;
        if n == 0 {
            break;
        }
        if let Some(dropped) = dropping {
            match memchr::memchr(b'\n', &buf) {
                Some(i) => {
                    send(tx, Chunk::LongLine { file, len: dropped + i as u64 })?;
                    buf.drain(..=i);
                    dropping = None;
                }
                None => {
                    dropping = Some(dropped + buf.len() as u64);
                    buf.clear();
                    continue;
                }
            }
        }
        if buf.len() >= BLOCK {
            buf = flush_lines(buf, &home, block, tx)?;
            if buf.len() > MAX_BUFFERED_LINE {
                dropping = Some(buf.len() as u64);
                buf.clear();
            }
        }
    }
    if let Some(dropped) = dropping {
        send(tx, Chunk::LongLine { file, len: dropped })?;
    } else if !buf.is_empty() {
        send(tx, block(buf))?;
    }
    Ok(())
}

/// Sends the complete lines in `buf` as a chunk made by `block`, and
/// returns the unfinished tail, moved to a buffer from `home`.
fn flush_lines(
    mut buf: Vec<u8>,
    home: &Recycler,
    block: impl Fn(Vec<u8>) -> Chunk,
    tx: &mut Sink,
) -> Result<Vec<u8>, PumpError> {
    let Some(i) = memchr::memrchr(b'\n', &buf) else {
        return Ok(buf);
    };
    let mut next = home.take();
    next.extend_from_slice(&buf[i + 1..]);
    buf.truncate(i + 1);
    send(tx, block(buf))?;
    Ok(next)
}

fn send(tx: &mut Sink, c: Chunk) -> Result<(), PumpError> {
    if tx(c) {
        Ok(())
    } else {
        Err(PumpError::Hangup)
    }
}

/// `at` counts decompressed bytes (text), not bytes of the file.
pub(super) fn read_error(format: &str, e: &io::Error, at: u64) -> String {
    let what = match e.kind() {
        io::ErrorKind::UnexpectedEof => format!("truncated {format} data (the file ends mid-stream)"),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => format!("corrupt compressed data ({e})"),
        // The zstd crate gives its decoding errors as `Other`; an error of
        // the system (a disk's) keeps its OS code.
        io::ErrorKind::Other if format == "zstd" && e.raw_os_error().is_none() => {
            format!("corrupt compressed data ({e})")
        }
        _ => format!("read error ({e})"),
    };
    format!("{what} after {at} bytes of text; the rest of this file was skipped")
}

/// A text log has no NULs and few control bytes; a binary file (a queue
/// file, a database, an image) is full of them.
fn looks_binary(head: &[u8]) -> bool {
    let head = &head[..head.len().min(4096)];
    let odd = head.iter().filter(|&&c| c == 0 || (c < 0x20 && !matches!(c, b'\n' | b'\r' | b'\t' | 0x1b))).count();
    odd * 20 > head.len() || head.iter().take(512).any(|&c| c == 0)
}

/// xz streams, concatenated ones too. liblzma's own reader drops the text
/// it decoded in the call that met corrupt data, which can be the whole
/// file when it is small; this one hands that text on first, then the
/// error.
struct Xz<R> {
    inner: R,
    stream: liblzma::stream::Stream,
    error: Option<io::Error>,
}

impl<R: BufRead> Xz<R> {
    fn new(inner: R) -> io::Result<Self> {
        let stream = liblzma::stream::Stream::new_stream_decoder(u64::MAX, liblzma::stream::CONCATENATED)?;
        Ok(Xz { inner, stream, error: None })
    }
}

impl<R: BufRead> Read for Xz<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use liblzma::stream::{Action, Status};
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let input = self.inner.fill_buf()?;
            let eof = input.is_empty();
            let (out, inp) = (self.stream.total_out(), self.stream.total_in());
            let status = self.stream.process(input, buf, if eof { Action::Finish } else { Action::Run });
            let read = (self.stream.total_out() - out) as usize;
            let consumed = (self.stream.total_in() - inp) as usize;
            self.inner.consume(consumed);
            let status = match status {
                Ok(status) => status,
                Err(e) if read > 0 => {
                    self.error = Some(e.into());
                    return Ok(read);
                }
                Err(e) => return Err(e.into()),
            };
            if read > 0 || status == Status::StreamEnd {
                return Ok(read);
            }
            if eof {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the xz stream ends early"));
            }
            if consumed == 0 {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "corrupt xz stream"));
            }
        }
    }
}

/// Counts bytes read from disk, for the progress bar.
pub(super) struct Counting<R> {
    pub(super) inner: R,
    pub(super) count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A plain file that ends before the length it had when opened was cut
/// while read (logrotate's `copytruncate`, an admin's `> mail.log`): its
/// end is a read error, said with the file, not a quiet end. A file that
/// grows while read is read to the end it has then.
struct Shrinking<R> {
    inner: R,
    /// The length when opened.
    size: u64,
    read: u64,
}

impl<R: Read> Read for Shrinking<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if n == 0 && !buf.is_empty() && self.read < self.size {
            return Err(io::Error::other(format!(
                "the file shrank from {} to {} bytes while it was read: truncated",
                self.size, self.read
            )));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The type comes from the open file: a FIFO is refused at once, even
    /// when nothing will ever write to it (a blocking open would hang).
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("mail.log");
        rustix::fs::mknodat(rustix::fs::CWD, &fifo, rustix::fs::FileType::Fifo, 0o600.into(), 0).unwrap();
        let err = open_regular(&fifo).unwrap_err();
        assert!(err.starts_with("not a regular file"), "{err}");
        let plain = dir.path().join("plain.log");
        std::fs::write(&plain, "x\n").unwrap();
        let mut text = String::new();
        open_regular(&plain).unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "x\n");
    }

    /// Gives its text a few odd-sized pieces at a time.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 += 1;
            let n = buf.len().min(self.0.len()).min(BLOCK / 3 + self.1 * 7919 % BLOCK);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// A decompressing thread the system refuses: the file is inflated on
    /// the reading thread, into the same chunks.
    #[test]
    fn a_refused_decompressing_thread_changes_nothing() {
        use std::io::Write;
        let text: Vec<u8> = (0..50_000u32).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        let gz = gz.finish().unwrap();
        let read = |refuse: bool| {
            let mut got = Vec::new();
            let mut ends = Vec::new();
            let mut sink = |c: Chunk| {
                match c {
                    Chunk::Data { bytes, .. } => got.extend_from_slice(&bytes),
                    Chunk::End { error, .. } => ends.push(error),
                    _ => {}
                }
                true
            };
            let decoder = flate2::read::MultiGzDecoder::new(io::Cursor::new(gz.clone()));
            let finished = match refuse {
                true => decompressing_with(0, "gzip", decoder, &mut sink, |_| Err(io::Error::other("refused"))),
                false => decompressing(0, "gzip", decoder, &mut sink),
            };
            (finished, got, ends)
        };
        let (threaded, refused) = (read(false), read(true));
        assert!(threaded.1 == text && threaded.2 == [None]);
        assert!(refused == threaded);
    }

    /// Corrupt xz data after a good stream: the good stream's text comes
    /// first, then the error (liblzma's own reader drops that text).
    #[test]
    fn xz_hands_on_text_before_corrupt_data() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
        let one = std::fs::read(format!("{dir}compressed/one.log.xz")).unwrap();
        let mut data = std::fs::read(format!("{dir}compressed/two.log.xz")).unwrap();
        let mid = one.len() + (data.len() - one.len()) / 2;
        data[mid..mid + 16].iter_mut().for_each(|b| *b ^= 0x5a);
        let mut xz = Xz::new(io::Cursor::new(data)).unwrap();
        let mut got = Vec::new();
        let err = xz.read_to_end(&mut got).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        assert!(got.starts_with(&std::fs::read(format!("{dir}long_queue_ids.log")).unwrap()));
    }

    /// Buffers come back and are read into again without zeroing: the
    /// chunks still hold exactly the input, in whole lines, with nothing
    /// left over from a buffer's earlier chunk.
    #[test]
    fn recycled_buffers_carry_only_their_own_bytes() {
        let mut text = Vec::new();
        for i in 0..200_000u32 {
            text.extend_from_slice(format!("line {i} {}\n", "x".repeat((i % 97) as usize)).as_bytes());
        }
        text.extend_from_slice(b"last line without newline");
        let (tx, rx) = sync_channel(1);
        let input = text.clone();
        let reader = std::thread::spawn(move || pump(0, Trickle(&input, 0), &mut |c| tx.send(c).is_ok()).is_ok());
        let mut got = Vec::new();
        let mut chunks = 0;
        for chunk in rx {
            if let Chunk::Data { bytes, .. } = chunk {
                assert!(bytes.ends_with(b"\n") || bytes.ends_with(b"newline"));
                got.extend_from_slice(&bytes);
                chunks += 1;
            } // dropped here: its buffer goes back to the reader
        }
        assert!(reader.join().unwrap());
        // With one chunk in the channel, all but the first few are read into
        // a buffer an earlier chunk used.
        assert!(chunks > 20, "enough chunks to reuse buffers: {chunks}");
        assert!(got == text);
    }
}
