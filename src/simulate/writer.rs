//! The rotated log set on disk: one file per simulated day, named the way
//! logrotate with `delaycompress` leaves them (`mail.log.2.gz`, `mail.log.1`,
//! `mail.log`).
//!
//! Lines are formatted on the generating thread into 1 MiB chunks; a second
//! thread writes (and for `.gz` files compresses) them, so gzip never stalls
//! generation. Each file is written under a temporary name and renamed when
//! complete, with its mtime set to its last line's time: analyzers infer the
//! RFC 3164 year from it. The same lines may instead be only counted (for
//! the truth of a live run, before it), or written live ([`super::live`]).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::atomic::Scratch;

use super::clock::{iso_seconds, Stamper, DAY};
use super::put::Put;
use super::truth::TruthFile;
use super::{SimError, TimestampFormat};

const CHUNK: usize = 1 << 20;

/// The name logrotate gives the file `age` rotations old.
pub(crate) fn rotated_name(age: usize) -> String {
    match age {
        0 => "mail.log".to_string(),
        1 => "mail.log.1".to_string(),
        n => format!("mail.log.{n}.gz"),
    }
}

/// Whether `name` is one of the names [`rotated_name`] produces.
pub(crate) fn is_rotated_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("mail.log") else {
        return false;
    };
    let rest = rest.strip_suffix(".gz").unwrap_or(rest);
    rest.is_empty() || rest.strip_prefix('.').is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
}

enum Cmd {
    /// Begin the file that becomes `path` when closed (written under a
    /// scratch name until then: see [`crate::atomic`]).
    Open {
        path: PathBuf,
        gzip: bool,
    },
    Data(Vec<u8>),
    Close {
        path: PathBuf,
        mtime: SystemTime,
    },
}

/// Where a sink's lines go.
pub(crate) enum Output {
    /// The files, written on a thread of their own.
    Files,
    /// Nowhere: the lines are counted (files, lines, bytes, times) only.
    Counted,
    /// Into `mail.log`, live.
    Live(super::live::LiveOptions),
}

/// Where chunks of lines go, once formatted.
enum Dest {
    Thread { tx: Option<SyncSender<Cmd>>, spare: Receiver<Vec<u8>>, thread: Option<JoinHandle<Result<(), SimError>>> },
    Counted,
    Live(Box<super::live::Live>),
}

/// Where formatted lines go. Infallible per line: an I/O failure on the
/// writer thread is remembered and reported by [`Sink::finish`].
pub(crate) struct Sink {
    dir: PathBuf,
    names: Vec<String>,
    start: i64,
    file: usize,
    file_end: i64,
    buf: Vec<u8>,
    stamper: Stamper,
    host: Vec<u8>,
    lines: u64,
    bytes: u64,
    /// Bytes of the file before its current chunk (see [`Sink::end`]).
    mark: u64,
    first: Option<i64>,
    last: Option<i64>,
    done: Vec<TruthFile>,
    out: Dest,
    failed: bool,
    /// The live writer's error, reported by [`Sink::finish`].
    error: Option<SimError>,
    /// A live run stopped: the length of the buffer then.
    cut_off: Option<usize>,
}

impl Sink {
    pub(crate) fn open(
        dir: &Path,
        days: u32,
        start: i64,
        format: TimestampFormat,
        host: &str,
        output: Output,
    ) -> Result<Sink, SimError> {
        let n = days as usize;
        let names = (0..n).map(|d| rotated_name(n - 1 - d)).collect();
        let out = match output {
            Output::Files => {
                let (tx, rx) = sync_channel(4);
                let (spare_tx, spare) = sync_channel(8);
                let thread = std::thread::Builder::new()
                    .name("log-writer".into())
                    .spawn(move || write_files(rx, spare_tx))
                    .map_err(SimError::NoThread)?;
                Dest::Thread { tx: Some(tx), spare, thread: Some(thread) }
            }
            Output::Counted => Dest::Counted,
            Output::Live(opts) => Dest::Live(Box::new(super::live::Live::new(dir, start, opts))),
        };
        let mut sink = Sink {
            dir: dir.to_path_buf(),
            names,
            start,
            file: 0,
            file_end: start + DAY,
            buf: Vec::with_capacity(CHUNK + 4096),
            stamper: Stamper::new(format),
            host: host.as_bytes().to_vec(),
            lines: 0,
            bytes: 0,
            mark: 0,
            first: None,
            last: None,
            done: Vec::new(),
            out,
            failed: false,
            error: None,
            cut_off: None,
        };
        sink.open_current();
        Ok(sink)
    }

    /// Starts a line at time `t` with its syslog envelope
    /// (`TIME HOST TAG[PID]: `) and returns the buffer for the message text.
    /// Finish it with [`Sink::end`].
    pub(crate) fn begin(&mut self, t: i64, tag: &str, pid: Option<u32>) -> &mut Vec<u8> {
        if let Dest::Live(live) = &self.out {
            if live.must_write_before(t) {
                // The lines so far are whole: out they go, then the wait.
                self.flush_chunk();
                if let Dest::Live(live) = &self.out {
                    live.wait_for(t);
                }
            }
            if self.stopped() && self.cut_off.is_none() {
                // Stopped: lines begun from now on are not written.
                self.cut_off = Some(self.buf.len());
            }
        }
        while t >= self.file_end && self.file + 1 < self.names.len() && self.cut_off.is_none() {
            self.rotate();
        }
        self.first.get_or_insert(t);
        self.last = Some(t);
        self.lines += 1;
        self.stamper.put(&mut self.buf, t);
        self.buf.s(" ").b(&self.host).s(" ").s(tag);
        if let Some(pid) = pid {
            self.buf.s("[").n(pid.into()).s("]");
        }
        self.buf.s(": ")
    }

    /// The line being written, to append more of its text.
    pub(crate) fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Appends `tail` and ends the line.
    pub(crate) fn b_end(&mut self, tail: &str) {
        self.buf.extend_from_slice(tail.as_bytes());
        self.end();
    }

    pub(crate) fn end(&mut self) {
        self.buf.push(b'\n');
        // Where the batch run cuts its chunks, whatever the output: a live
        // run compresses its rotations in the same pieces, since deflate's
        // output depends on them.
        let at = self.bytes + self.buf.len() as u64;
        if at - self.mark >= CHUNK as u64 {
            self.mark = at;
            match &mut self.out {
                Dest::Live(live) => live.cut_at(at),
                Dest::Thread { .. } | Dest::Counted => self.flush_chunk(),
            }
        }
    }

    /// The file name and 1-based number of the line last begun.
    pub(crate) fn here(&self) -> (&str, u64) {
        (&self.names[self.file], self.lines)
    }

    /// Formats `t` the way anvil writes times inside its messages.
    pub(crate) fn put_bsd_time(&mut self, t: i64) {
        self.stamper.put_rfc3164(&mut self.buf, t);
    }

    /// Whether the run should end: writing failed, or a live run was
    /// stopped.
    pub(crate) fn failed(&self) -> bool {
        self.failed || self.stopped()
    }

    /// Whether a live run was stopped (Ctrl-C).
    pub(crate) fn stopped(&self) -> bool {
        matches!(&self.out, Dest::Live(live) if live.stopped())
    }

    /// Closes every remaining file (days with no lines still get one; not
    /// when a live run was stopped) and waits for the writer thread.
    pub(crate) fn finish(mut self) -> Result<Vec<TruthFile>, SimError> {
        if let Some(len) = self.cut_off {
            self.buf.truncate(len);
        }
        while self.file + 1 < self.names.len() && self.cut_off.is_none() {
            self.rotate();
        }
        self.close_current();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let Dest::Thread { tx, thread, .. } = &mut self.out else {
            return Ok(std::mem::take(&mut self.done));
        };
        drop(tx.take());
        match thread.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err(SimError::WriterPanicked),
            _ if self.failed => Err(SimError::WriterPanicked),
            _ => Ok(std::mem::take(&mut self.done)),
        }
    }

    fn send(&mut self, cmd: Cmd) {
        let result = match &mut self.out {
            Dest::Thread { tx, .. } => {
                if tx.as_ref().is_some_and(|tx| tx.send(cmd).is_err()) {
                    // The writer stopped on an error; finish() will report it.
                    self.failed = true;
                    *tx = None;
                }
                Ok(())
            }
            Dest::Counted => Ok(()),
            Dest::Live(live) => match cmd {
                Cmd::Open { .. } => live.open(),
                Cmd::Data(chunk) => live.write(&chunk),
                Cmd::Close { mtime, .. } => live.close(mtime),
            },
        };
        if let Err(e) = result {
            self.failed = true;
            self.error.get_or_insert(e);
        }
    }

    fn flush_chunk(&mut self) {
        self.bytes += self.buf.len() as u64;
        let fresh = match &mut self.out {
            Dest::Thread { spare, .. } => spare.try_recv().unwrap_or_else(|_| Vec::with_capacity(CHUNK + 4096)),
            Dest::Counted => return self.buf.clear(),
            Dest::Live(live) => {
                if let Err(e) = live.write(&self.buf) {
                    self.failed = true;
                    self.error.get_or_insert(e);
                }
                return self.buf.clear();
            }
        };
        let full = std::mem::replace(&mut self.buf, fresh);
        self.send(Cmd::Data(full));
    }

    fn rotate(&mut self) {
        self.close_current();
        self.file += 1;
        self.file_end += DAY;
        self.open_current();
    }

    fn open_current(&mut self) {
        let gzip = self.names[self.file].ends_with(".gz");
        let path = self.dir.join(&self.names[self.file]);
        self.send(Cmd::Open { path, gzip });
    }

    fn close_current(&mut self) {
        self.flush_chunk();
        let name = self.names[self.file].clone();
        // An empty day's file is stamped with the end of its day.
        let last = self.last.unwrap_or(self.start + (self.file as i64 + 1) * DAY - 1);
        let mtime = UNIX_EPOCH + Duration::from_micros(last.max(0) as u64);
        let path = self.dir.join(&name);
        self.send(Cmd::Close { path, mtime });
        self.done.push(TruthFile {
            gzip: name.ends_with(".gz"),
            name,
            lines: self.lines,
            bytes: self.bytes,
            first: self.first.map(iso_seconds),
            last: self.last.map(iso_seconds),
        });
        (self.lines, self.bytes, self.mark, self.first, self.last) = (0, 0, 0, None, None);
    }
}

enum Out {
    Plain(BufWriter<File>),
    /// Boxed: the encoder's state dwarfs a `BufWriter`, and there is one `Out` per run.
    Gzip(Box<GzEncoder<BufWriter<File>>>),
}

/// The writer thread: owns the open file, returns emptied buffers for reuse.
fn write_files(rx: Receiver<Cmd>, spare: SyncSender<Vec<u8>>) -> Result<(), SimError> {
    let mut out: Option<(Out, Scratch)> = None;
    for cmd in rx {
        match cmd {
            Cmd::Open { path, gzip } => out = Some(create(&path, gzip)?),
            Cmd::Data(mut chunk) => {
                if let Some((o, scratch)) = out.as_mut() {
                    write_chunk(o, &chunk).map_err(|e| io_err(scratch.path(), e))?;
                }
                chunk.clear();
                let _ = spare.try_send(chunk);
            }
            Cmd::Close { path, mtime } => {
                if let Some((o, scratch)) = out.take() {
                    close(o, mtime).map_err(|e| io_err(scratch.path(), e))?;
                    scratch.publish(&path).map_err(|e| io_err(&path, e))?;
                }
            }
        }
    }
    Ok(())
}

fn io_err(path: &Path, source: io::Error) -> SimError {
    SimError::Io { path: path.to_path_buf(), source }
}

fn create(path: &Path, gzip: bool) -> Result<(Out, Scratch), SimError> {
    let (scratch, file) = Scratch::file(path).map_err(|e| io_err(path, e))?;
    let w = BufWriter::with_capacity(CHUNK, file);
    let out = if gzip { Out::Gzip(Box::new(GzEncoder::new(w, Compression::fast()))) } else { Out::Plain(w) };
    Ok((out, scratch))
}

fn write_chunk(out: &mut Out, chunk: &[u8]) -> io::Result<()> {
    match out {
        Out::Plain(w) => w.write_all(chunk),
        Out::Gzip(g) => g.write_all(chunk),
    }
}

fn close(out: Out, mtime: SystemTime) -> io::Result<()> {
    let buffered = match out {
        Out::Plain(w) => w,
        Out::Gzip(g) => g.finish()?,
    };
    let file = buffered.into_inner().map_err(|e| e.into_error())?;
    file.set_modified(mtime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logrotate_names() {
        assert_eq!(rotated_name(0), "mail.log");
        assert_eq!(rotated_name(1), "mail.log.1");
        assert_eq!(rotated_name(4), "mail.log.4.gz");
        for ok in ["mail.log", "mail.log.1", "mail.log.12.gz", "mail.log.gz"] {
            assert!(is_rotated_name(ok), "{ok}");
        }
        for no in ["mail.log.bak", "mail.logx", "mail.log.", "maillog", "truth.json"] {
            assert!(!is_rotated_name(no), "{no}");
        }
    }
}
