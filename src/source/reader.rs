//! Reads inputs on their own thread and hands whole lines to the parser in
//! large chunks: decompression (the floor for .gz input) overlaps parsing on
//! the second core.
//!
//! Compression is recognised by magic bytes, never by name; gzip may have
//! several members (`cat a.gz b.gz`). A read error (truncated gzip, I/O
//! error) ends that file with a message; the lines before it still count.

use super::discover::Input;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::SystemTime;

/// Bytes read at a time, and about the size of a chunk: small enough that a
/// chunk is still in the caches when the parse stage reads it (1 MiB chunks
/// were a little slower and held 14 MB more in flight).
const BLOCK: usize = 256 << 10;
/// A "line" longer than this with no newline is dropped while reading, so a
/// corrupt file cannot make us buffer gigabytes. Shorter overlong lines are
/// dropped by the parser (see `ingest::MAX_LINE`).
const MAX_BUFFERED_LINE: usize = 4 << 20;

/// What the reader thread sends, in order.
pub enum Chunk {
    Opened {
        file: u32,
        meta: FileMeta,
    },
    /// Complete lines (the last line of a file may lack its newline).
    Data {
        file: u32,
        bytes: Vec<u8>,
    },
    /// One line of `len` bytes was too long to buffer and was dropped here.
    LongLine {
        file: u32,
        len: u64,
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

/// Starts the reader thread. `progress` counts bytes read from disk.
pub fn spawn(inputs: Vec<Input>, progress: Arc<AtomicU64>) -> Receiver<Chunk> {
    let (tx, rx) = sync_channel(8);
    std::thread::spawn(move || {
        for (i, input) in inputs.iter().enumerate() {
            if !read_one(i as u32, input, &tx, &progress) {
                return; // the receiver is gone
            }
        }
    });
    rx
}

/// Returns false when the receiver hung up.
fn read_one(file: u32, input: &Input, tx: &SyncSender<Chunk>, progress: &Arc<AtomicU64>) -> bool {
    let opened = match input {
        Input::Stdin => Ok((Box::new(io::stdin()) as Box<dyn Read + Send>, FileMeta::default())),
        Input::File(p) => open_file(p),
    };
    let (raw, mut meta) = match opened {
        Ok(x) => x,
        Err(e) => return tx.send(Chunk::End { file, error: Some(e) }).is_ok(),
    };
    let counted = Counting { inner: raw, count: progress.clone() };
    let mut buffered = BufReader::with_capacity(256 << 10, counted);
    let reader: Box<dyn Read> = match detect(&mut buffered) {
        Ok("gzip") => {
            meta.compression = "gzip";
            Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
        }
        Ok("plain") => {
            meta.compression = "plain";
            Box::new(buffered)
        }
        Ok(other) => {
            let tool = if other == "bzip2" { "bz" } else { other };
            let error = format!(
                "compressed with {other}, which postsleuth does not read; decompress it and pipe it in \
                 (e.g. {tool}cat FILE | postsleuth … -)"
            );
            return tx.send(Chunk::End { file, error: Some(error) }).is_ok();
        }
        Err(e) => return tx.send(Chunk::End { file, error: Some(format!("cannot read: {e}")) }).is_ok(),
    };
    if tx.send(Chunk::Opened { file, meta }).is_err() {
        return false;
    }
    let error = match pump(file, reader, tx) {
        Ok(()) => None,
        Err(PumpError::Hangup) => return false,
        Err(PumpError::Read(e)) => Some(e),
    };
    tx.send(Chunk::End { file, error }).is_ok()
}

fn open_file(p: &std::path::Path) -> Result<(Box<dyn Read + Send>, FileMeta), String> {
    let f = File::open(p).map_err(|e| format!("cannot open: {}", io_reason(&e)))?;
    let md = f.metadata().ok();
    let meta =
        FileMeta { compression: "", size: md.as_ref().map(|m| m.len()), mtime: md.and_then(|m| m.modified().ok()) };
    Ok((Box::new(f), meta))
}

fn io_reason(e: &io::Error) -> String {
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
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "zstd",
        _ => "plain",
    })
}

enum PumpError {
    Hangup,
    Read(String),
}

/// Reads to the end, sending chunks of whole lines.
fn pump(file: u32, mut r: impl Read, tx: &SyncSender<Chunk>) -> Result<(), PumpError> {
    let mut buf: Vec<u8> = Vec::with_capacity(2 * BLOCK);
    let mut total = 0u64;
    // Bytes of a giant line dropped so far, while looking for its end.
    let mut dropping: Option<u64> = None;
    loop {
        let start = buf.len();
        buf.resize(start + BLOCK, 0);
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
                    send(tx, Chunk::Data { file, bytes: buf })?;
                }
                return Err(PumpError::Read(read_error(&e, total)));
            }
        };
        buf.truncate(start + n);
        if total == 0 && n > 0 && looks_binary(&buf) {
            return Err(PumpError::Read("binary data, not a text log (control bytes at the start); skipped".into()));
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
            buf = flush_lines(file, buf, tx)?;
            if buf.len() > MAX_BUFFERED_LINE {
                dropping = Some(buf.len() as u64);
                buf.clear();
            }
        }
    }
    if let Some(dropped) = dropping {
        send(tx, Chunk::LongLine { file, len: dropped })?;
    } else if !buf.is_empty() {
        send(tx, Chunk::Data { file, bytes: buf })?;
    }
    Ok(())
}

/// Sends the complete lines in `buf` and returns the unfinished tail.
fn flush_lines(file: u32, mut buf: Vec<u8>, tx: &SyncSender<Chunk>) -> Result<Vec<u8>, PumpError> {
    let Some(i) = memchr::memrchr(b'\n', &buf) else {
        return Ok(buf);
    };
    let mut rest = Vec::with_capacity(2 * BLOCK);
    rest.extend_from_slice(&buf[i + 1..]);
    buf.truncate(i + 1);
    send(tx, Chunk::Data { file, bytes: buf })?;
    Ok(rest)
}

fn send(tx: &SyncSender<Chunk>, c: Chunk) -> Result<(), PumpError> {
    tx.send(c).map_err(|_| PumpError::Hangup)
}

fn read_error(e: &io::Error, at: u64) -> String {
    let what = match e.kind() {
        io::ErrorKind::UnexpectedEof => "truncated gzip data (the file ends mid-stream)".to_string(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => format!("corrupt compressed data ({e})"),
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

/// Counts bytes read from disk, for the progress bar.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
