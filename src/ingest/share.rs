//! Sharing the parsing between the two threads of ingest.
//!
//! The parse thread reads the input, cuts each chunk into pieces of whole
//! lines ([`Job`]s) and sends each piece to the correlating thread, in
//! order, before it parses it. Whichever thread claims a piece first parses
//! it. The correlating thread, when the piece it needs next is still being
//! parsed, parses a later piece instead of waiting. Correlation cannot be
//! shared (it sees the lines one by one, in log order), but parsing can, so
//! that neither thread waits for the other while there is parsing left to
//! do.

use super::parse::{Contexts, Parsed};
use crate::envelope::Format;
use crate::source::{reader, Block, Chunk, Input};
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;

/// Bytes of a piece (it ends at the end of the line there): a few hundred
/// lines, a tenth of a millisecond of parsing, so that neither thread
/// waits long for the other.
const PIECE: usize = 64 << 10;
/// Pieces the parse thread keeps sent but not yet parsed: the ones the
/// correlating thread can take when it would otherwise wait.
const LOOKAHEAD: usize = 2;
/// Stages in flight between the threads.
const DEPTH: usize = 8;
/// Stages the correlating thread takes out of the channel ahead of need,
/// looking for a piece to parse.
const MAX_AHEAD: usize = 16;

/// What reaches correlation, in input order: the reader's chunks, their
/// data in pieces.
pub enum Stage {
    /// Any chunk but `Data`, passed through.
    Chunk(Chunk),
    Job(Arc<Job>),
}

/// A piece of a chunk, parsed by whichever thread claims it first.
pub struct Job {
    pub file: u32,
    format: Format,
    chunk: Arc<Block>,
    range: Range<usize>,
    claimed: AtomicBool,
    parsed: OnceLock<Vec<Parsed>>,
}

impl Job {
    fn new(file: u32, format: Format, chunk: Arc<Block>, range: Range<usize>) -> Arc<Job> {
        Arc::new(Job { file, format, chunk, range, claimed: AtomicBool::new(false), parsed: OnceLock::new() })
    }

    /// True for the one caller that is to parse the piece.
    fn claim(&self) -> bool {
        !self.claimed.swap(true, Ordering::AcqRel)
    }

    /// Parses the piece (by its claimer), then wakes `waiting`, which may be
    /// waiting for it. Should parsing panic, the piece counts as parsed,
    /// with no lines, so that nobody waits for it forever.
    fn run(&self, contexts: &mut Contexts, waiting: Option<&Thread>) {
        struct Done<'a>(&'a Job, Option<&'a Thread>);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                let _ = self.0.parsed.set(Vec::new());
                if let Some(t) = self.1 {
                    t.unpark();
                }
            }
        }
        let done = Done(self, waiting);
        let mut batches = Vec::new();
        Parsed::batches(&self.chunk, self.range.clone(), self.format, contexts, |p| {
            batches.push(p);
            true
        });
        let _ = self.parsed.set(batches);
        drop(done);
    }

    /// The piece's lines in batches, once parsed.
    pub fn parsed(&self) -> Option<&[Parsed]> {
        self.parsed.get().map(Vec::as_slice)
    }
}

/// Cuts a chunk of whole lines into pieces of about [`PIECE`] bytes, each
/// ending at the end of a line.
fn pieces(bytes: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let end = match bytes.get(start + PIECE..) {
            Some(rest) => memchr::memchr(b'\n', rest).map_or(bytes.len(), |i| start + PIECE + i + 1),
            None => bytes.len(),
        };
        let piece = start..end;
        start = end;
        Some(piece)
    })
}

/// Where the parse side sends its stages.
trait Sink {
    /// Sends `stage` if there is room now, else gives it back; `Ok(false)`
    /// when the correlating side is gone.
    fn offer(&mut self, stage: Stage) -> Result<bool, Stage>;
    /// Sends `stage`, waiting for room; false when the other side is gone.
    fn send(&mut self, stage: Stage) -> bool;
}

impl Sink for SyncSender<Stage> {
    fn offer(&mut self, stage: Stage) -> Result<bool, Stage> {
        match self.try_send(stage) {
            Ok(()) => Ok(true),
            Err(TrySendError::Full(stage)) => Err(stage),
            Err(TrySendError::Disconnected(_)) => Ok(false),
        }
    }

    fn send(&mut self, stage: Stage) -> bool {
        SyncSender::send(self, stage).is_ok()
    }
}

/// Correlation itself, called in turn with reading when there is no parse
/// thread: there is always room.
struct Direct<F>(F);

impl<F: FnMut(Stage) -> bool> Sink for Direct<F> {
    fn offer(&mut self, stage: Stage) -> Result<bool, Stage> {
        Ok((self.0)(stage))
    }

    fn send(&mut self, stage: Stage) -> bool {
        (self.0)(stage)
    }
}

/// The parse side: reads the inputs, sends every piece, and parses those
/// the correlating side has not taken.
struct Parser<S> {
    sink: S,
    contexts: Contexts,
    /// The file being read and its format, sniffed from its first bytes.
    format: Option<(u32, Format)>,
    /// Sent and not yet parsed here, oldest first.
    pending: VecDeque<Arc<Job>>,
    /// The correlating thread, to wake when a piece it may wait for is done.
    waiting: Option<Thread>,
    /// Tests slow this side down, so that the other parses more.
    #[cfg(test)]
    pause: std::time::Duration,
}

impl<S: Sink> Parser<S> {
    fn new(sink: S, waiting: Option<Thread>) -> Self {
        Parser {
            sink,
            contexts: Contexts::share(0, 2),
            format: None,
            pending: VecDeque::new(),
            waiting,
            #[cfg(test)]
            pause: std::time::Duration::ZERO,
        }
    }

    /// Reads every input in turn; false when the correlating side stopped.
    fn read_all(&mut self, inputs: &[Input], progress: &Arc<AtomicU64>) -> bool {
        let mut alive = true;
        reader::read_all(inputs, progress, &mut |chunk| {
            alive = match chunk {
                Chunk::Data { file, bytes } => self.data(file, bytes),
                other => self.put(Stage::Chunk(other)),
            };
            alive
        });
        while alive && self.parse_one() {}
        alive
    }

    fn data(&mut self, file: u32, bytes: Block) -> bool {
        let format = match self.format {
            Some((f, format)) if f == file => format,
            _ => {
                let format = Format::sniff(&bytes);
                self.format = Some((file, format));
                format
            }
        };
        let chunk = Arc::new(bytes);
        for range in pieces(&chunk) {
            let job = Job::new(file, format, chunk.clone(), range);
            if !self.put(Stage::Job(job.clone())) {
                return false;
            }
            self.pending.push_back(job);
        }
        while self.pending.len() > LOOKAHEAD {
            self.parse_one();
        }
        true
    }

    /// Sends `stage`. While there is no room, pending pieces are parsed
    /// here rather than left for the other side, which is the busy one.
    fn put(&mut self, mut stage: Stage) -> bool {
        loop {
            match self.sink.offer(stage) {
                Ok(alive) => return alive,
                Err(back) => stage = back,
            }
            if !self.parse_one() {
                return self.sink.send(stage);
            }
        }
    }

    /// Parses the oldest pending piece, unless the other side took it;
    /// false when none is pending.
    fn parse_one(&mut self) -> bool {
        let Some(job) = self.pending.pop_front() else { return false };
        if job.claim() {
            #[cfg(test)]
            std::thread::sleep(self.pause);
            job.run(&mut self.contexts, self.waiting.as_ref());
        }
        true
    }
}

/// Starts the parse thread, which reads the inputs too (see
/// [`reader::read_all`]); read its stages with a [`Feed`]. `progress`
/// counts bytes read from disk. A thread the system refuses is the
/// caller's to handle: [`parse_here`] does the same work on the calling
/// thread.
pub fn spawn(inputs: Vec<Input>, progress: Arc<AtomicU64>) -> std::io::Result<Receiver<Stage>> {
    let (tx, rx) = sync_channel(DEPTH);
    let waiting = std::thread::current();
    std::thread::Builder::new()
        .name("parse".into())
        .spawn(move || Parser::new(tx, Some(waiting)).read_all(&inputs, &progress))?;
    Ok(rx)
}

/// Reads and parses every input on this thread, handing each stage,
/// parsed, to `correlate`, in order; stops early when it returns false.
pub fn parse_here(inputs: &[Input], progress: &Arc<AtomicU64>, mut correlate: impl FnMut(Stage) -> bool) {
    let mut feed = Feed::here();
    Parser::new(
        Direct(|stage: Stage| {
            feed.ready(&stage);
            correlate(stage)
        }),
        None,
    )
    .read_all(inputs, progress);
}

/// The correlating side: the stages in order, each piece parsed, by the
/// parse thread or here.
pub struct Feed {
    rx: Option<Receiver<Stage>>,
    /// Taken out of the channel, not yet handed on.
    ahead: VecDeque<Stage>,
    contexts: Contexts,
}

impl Feed {
    pub fn new(rx: Receiver<Stage>) -> Feed {
        Feed { rx: Some(rx), ahead: VecDeque::new(), contexts: Contexts::share(1, 2) }
    }

    /// For [`parse_here`]: no channel, no other thread.
    fn here() -> Feed {
        Feed { rx: None, ahead: VecDeque::new(), contexts: Contexts::share(1, 2) }
    }

    /// The next stage, parsed; `None` once the parse thread is done.
    pub fn next(&mut self) -> Option<Stage> {
        let stage = match self.ahead.pop_front() {
            Some(stage) => stage,
            None => self.rx.as_ref()?.recv().ok()?,
        };
        self.ready(&stage);
        Some(stage)
    }

    /// Returns once `stage`'s piece is parsed: parsed here if nobody has
    /// claimed it; else, while the parse thread parses it, later pieces
    /// are parsed here, and only when there is none, this thread waits.
    fn ready(&mut self, stage: &Stage) {
        let Stage::Job(job) = stage else { return };
        if job.claim() {
            job.run(&mut self.contexts, None);
            return;
        }
        while job.parsed().is_none() {
            if self.rx.is_none() {
                return; // claimed by no other thread: cannot happen
            }
            if !self.parse_ahead() {
                std::thread::park();
            }
        }
    }

    /// Parses the first piece after the awaited one that nobody has
    /// claimed, taking stages out of the channel to find one; false when
    /// there is none.
    fn parse_ahead(&mut self) -> bool {
        if let Some(rx) = &self.rx {
            while self.ahead.len() < MAX_AHEAD {
                match rx.try_recv() {
                    Ok(stage) => self.ahead.push_back(stage),
                    Err(_) => break,
                }
            }
        }
        for stage in &self.ahead {
            if let Stage::Job(job) = stage {
                if job.claim() {
                    job.run(&mut self.contexts, None);
                    return true;
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::parse::Kind;

    #[test]
    fn pieces_end_at_line_ends_and_cover_the_chunk() {
        let line = |i: usize| format!("line {i} {}\n", "x".repeat(i % 300));
        let text: String = (0..3000).map(line).collect();
        let bytes = text.as_bytes();
        let cut: Vec<Range<usize>> = pieces(bytes).collect();
        assert!(cut.len() > 3);
        assert_eq!(cut.first().map(|r| r.start), Some(0));
        assert_eq!(cut.last().map(|r| r.end), Some(bytes.len()));
        for w in cut.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert_eq!(bytes[w[0].end - 1], b'\n');
            assert!(w[0].len() >= PIECE);
        }
        // A chunk shorter than a piece, or without a final newline, is one.
        assert_eq!(pieces(b"a\nb").collect::<Vec<_>>(), vec![0..3]);
        assert_eq!(pieces(b"").count(), 0);
    }

    /// The lines of a run, as correlation sees them: (file, raw line,
    /// context number) in order, and how many pieces the correlating side
    /// parsed itself.
    fn correlated(feed: &mut Feed) -> (Vec<(u32, String, u32)>, usize) {
        let mut seen = Vec::new();
        let mut here = 0;
        while let Some(stage) = feed.next() {
            let Stage::Job(job) = stage else { continue };
            for p in job.parsed().unwrap() {
                for l in p.lines() {
                    let Kind::Postfix(pl) = &l.kind else { panic!("not parsed") };
                    here += usize::from(pl.context >= (crate::correlate::MAX_CONTEXTS / 2) as u32);
                    seen.push((job.file, String::from_utf8_lossy(l.raw).into_owned(), pl.context));
                }
            }
        }
        (seen, here)
    }

    /// With a parse thread slower than correlation, the correlating side
    /// parses pieces too, and every line still comes once, in order, each
    /// context with a number of its own whichever side gave it.
    #[test]
    fn a_slow_parse_thread_shares_its_work_and_order_holds() {
        let lines: Vec<String> = (0..20_000)
            .map(|i| {
                format!(
                    "Nov 23 06:{:02}:00 mx{} postfix/smtpd[{i}]: connect from a[192.0.2.{}]",
                    i % 60,
                    i % 3,
                    i % 250
                )
            })
            .collect();
        let text = lines.join("\n") + "\n";
        let chunks: Vec<Vec<u8>> = text.as_bytes().chunks(256 << 10).map(<[u8]>::to_vec).collect();
        // Cut at line ends, as the reader does.
        let mut blocks = Vec::new();
        let mut rest = Vec::new();
        for c in chunks {
            rest.extend_from_slice(&c);
            let end = rest.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            blocks.push(rest.drain(..end).collect::<Vec<u8>>());
        }
        let (tx, rx) = sync_channel(DEPTH);
        let waiting = std::thread::current();
        let parser = std::thread::spawn(move || {
            let mut p = Parser::new(tx, Some(waiting));
            p.pause = std::time::Duration::from_millis(2);
            for b in blocks {
                assert!(p.data(0, b.into()));
            }
            while p.parse_one() {}
        });
        let (seen, here) = correlated(&mut Feed::new(rx));
        parser.join().unwrap();
        assert_eq!(seen.iter().map(|s| s.1.as_str()).collect::<Vec<_>>(), lines);
        assert!(here > 0, "the correlating side parsed nothing");
        assert!(here < lines.len(), "the parse thread parsed nothing");
        // One number per context and side; no number for two contexts.
        let mut names: std::collections::HashMap<u32, &str> = Default::default();
        for (_, raw, n) in &seen {
            let host = raw.split(' ').nth(3).unwrap();
            assert_eq!(*names.entry(*n).or_insert(host), host);
        }
    }

    /// Without a parse thread, the same stages come, each parsed here.
    #[test]
    fn parsing_here_parses_every_piece() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let inputs = vec![Input::File(dir.join("auth_failures.log"))];
        let mut lines = 0;
        parse_here(&inputs, &Arc::new(AtomicU64::new(0)), |stage| {
            if let Stage::Job(job) = stage {
                lines += job.parsed().unwrap().iter().map(|p| p.lines().len()).sum::<usize>();
            }
            true
        });
        let want = std::fs::read_to_string(dir.join("auth_failures.log")).unwrap().lines().count();
        assert_eq!(lines, want);
    }
}
