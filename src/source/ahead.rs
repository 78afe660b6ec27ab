//! The next compressed file decompresses while the one before it is read.
//! Decompression is the floor of a compressed file's reading, and one
//! file's decompression is one core's work: started only once the file
//! before is done, it leaves the other core idle whenever parsing is ahead
//! of it. Started early, its chunks wait in a bounded channel (memory stays
//! bounded whatever the file's size) and reach the sink in input order.

use super::reader::{self, Chunk, Decompress, Opened, Sink};
use super::Input;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Chunks (of about 256 KiB of text each) decompressed ahead, at most.
const AHEAD: usize = 64;

/// One input, ready for its turn.
pub(super) enum Ahead {
    /// Opened (or not: why), read in its turn. Plain files are read on the
    /// parsing thread itself, for the cache (see [`reader::read_all`]).
    Opened { file: u32, opened: Result<Opened, String> },
    /// Not opened yet: standard input, which must not be waited for while
    /// the files before it are read, and the journal (journalctl is run in
    /// its turn).
    Later { file: u32, input: Input, progress: Arc<AtomicU64> },
    /// Decompressing on a thread of its own.
    Running { file: u32, rx: Receiver<Chunk>, thread: JoinHandle<bool> },
}

impl Ahead {
    /// Input `file`, to be read now.
    pub fn open(file: u32, input: &Input, progress: &Arc<AtomicU64>) -> Ahead {
        match input {
            Input::Journal(_) => Ahead::Later { file, input: input.clone(), progress: progress.clone() },
            _ => Ahead::Opened { file, opened: reader::open(input, progress) },
        }
    }

    /// Input `file`, to be read after the current one: a compressed file
    /// starts decompressing now.
    pub fn start(file: u32, input: &Input, progress: &Arc<AtomicU64>) -> Ahead {
        if matches!(input, Input::Stdin | Input::Journal(_)) {
            return Ahead::Later { file, input: input.clone(), progress: progress.clone() };
        }
        match reader::open(input, progress) {
            Ok(opened) if opened.format != "plain" => Ahead::spawn(file, opened),
            opened => Ahead::Opened { file, opened },
        }
    }

    fn spawn(file: u32, opened: Opened) -> Ahead {
        let (tx, rx) = sync_channel(AHEAD);
        // The file goes to the thread once it runs, so that a refused
        // thread leaves it here, to be read in its turn as if not ahead.
        let (give, take) = sync_channel::<Opened>(1);
        let work = move || match take.recv() {
            Ok(opened) => reader::read_opened(file, opened, &mut |chunk| tx.send(chunk).is_ok(), Decompress::Here),
            Err(_) => false,
        };
        let Ok(thread) = std::thread::Builder::new().name("ahead".into()).spawn(work) else {
            return Ahead::Opened { file, opened: Ok(opened) };
        };
        match give.send(opened) {
            Ok(()) => Ahead::Running { file, rx, thread },
            // The thread ended before taking it, which only a bug does.
            Err(std::sync::mpsc::SendError(opened)) => Ahead::Opened { file, opened: Ok(opened) },
        }
    }

    /// Reads the input to its end into `sink`; false when the consumer
    /// stopped.
    pub fn read(self, sink: &mut Sink) -> bool {
        match self {
            Ahead::Opened { file, opened: Ok(opened) } => reader::read_opened(file, opened, sink, Decompress::Apart),
            Ahead::Opened { file, opened: Err(error) } => sink(Chunk::End { file, error: Some(error) }),
            Ahead::Later { file, input: Input::Journal(query), progress } => {
                super::journal::read(file, &query, sink, &progress)
            }
            Ahead::Later { file, input, progress } => {
                Ahead::Opened { file, opened: reader::open(&input, &progress) }.read(sink)
            }
            Ahead::Running { file, rx, thread } => {
                if !rx.into_iter().all(&mut *sink) {
                    return false; // dropping `rx` ends the thread's sending
                }
                match thread.join() {
                    Ok(_) => true,
                    // A panic is a bug, not the input's fault: the file ends
                    // there, with a message, and the other inputs are read.
                    Err(_) => {
                        sink(Chunk::End { file, error: Some("decompressing failed (a bug in postsleuth)".into()) })
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::gzip;

    /// What a sink saw: (file, event) in order, the data of a file joined
    /// (chunks may be cut between any two lines).
    fn read(inputs: &[Input]) -> Vec<(u32, String)> {
        let mut seen: Vec<(u32, String)> = Vec::new();
        reader::read_all(inputs, &Arc::new(AtomicU64::new(0)), &mut |chunk| {
            let (file, event) = match chunk {
                Chunk::Data { file, bytes } => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    match seen.last_mut() {
                        Some((f, last)) if *f == file && !last.starts_with('<') => last.push_str(&text),
                        _ => seen.push((file, text)),
                    }
                    return true;
                }
                Chunk::Opened { file, meta } => (file, format!("<open {}>", meta.compression)),
                Chunk::Padding { file, bytes } => (file, format!("<padding {bytes}>")),
                Chunk::LongLine { file, len } => (file, format!("<long {len}>")),
                Chunk::End { file, error } => (file, format!("<end {error:?}>")),
                Chunk::Note { file, message } => (file, format!("<note {message}>")),
            };
            seen.push((file, event));
            true
        });
        seen
    }

    /// Files decompressed ahead come in their turn, whole, in order; a
    /// missing file in the middle ends in its turn with its error.
    #[test]
    fn files_read_ahead_come_in_order() {
        let d = tempfile::tempdir().unwrap();
        let text = |n: u32| -> String { (0..40_000u32).map(|i| format!("file {n} line {i}\n")).collect() };
        std::fs::write(d.path().join("a"), text(0)).unwrap();
        std::fs::write(d.path().join("b.gz"), gzip(text(1).as_bytes())).unwrap();
        std::fs::write(d.path().join("d.gz"), gzip(text(3).as_bytes())).unwrap();
        let inputs: Vec<Input> =
            ["a", "b.gz", "missing", "d.gz"].iter().map(|n| Input::File(d.path().join(n))).collect();
        let seen = read(&inputs);
        let want = vec![
            (0, "<open plain>".to_string()),
            (0, text(0)),
            (0, "<end None>".into()),
            (1, "<open gzip>".into()),
            (1, text(1)),
            (1, "<end None>".into()),
            (2, "<end Some(\"cannot open: no such file\")>".into()),
            (3, "<open gzip>".into()),
            (3, text(3)),
            (3, "<end None>".into()),
        ];
        assert_eq!(seen.len(), want.len(), "{:?}", seen.iter().map(|s| (s.0, s.1.len())).collect::<Vec<_>>());
        for (got, want) in seen.iter().zip(&want) {
            assert!(
                got == want,
                "{:?} != {:?}",
                (got.0, &got.1[..got.1.len().min(40)]),
                (want.0, &want.1[..want.1.len().min(40)])
            );
        }
    }

    /// A consumer that stops mid-way stops the reading ahead too: nothing
    /// hangs.
    #[test]
    fn a_consumer_that_stops_ends_the_reading_ahead() {
        let d = tempfile::tempdir().unwrap();
        let text: String = (0..200_000u32).map(|i| format!("line {i}\n")).collect();
        for n in ["a.gz", "b.gz", "c.gz"] {
            std::fs::write(d.path().join(n), gzip(text.as_bytes())).unwrap();
        }
        let inputs: Vec<Input> = ["a.gz", "b.gz", "c.gz"].iter().map(|n| Input::File(d.path().join(n))).collect();
        let mut chunks = 0;
        reader::read_all(&inputs, &Arc::new(AtomicU64::new(0)), &mut |_| {
            chunks += 1;
            chunks < 3
        });
        assert_eq!(chunks, 3);
    }
}
