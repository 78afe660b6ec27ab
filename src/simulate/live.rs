//! `simulate --live`: the log written as it happens, in accelerated real
//! time, for `watch` to follow. Each line is appended to `mail.log` (and
//! written through, whole lines only) once the wall clock reaches its
//! simulated time divided by the speed; at each simulated midnight the file
//! is rotated as logrotate with `delaycompress` does it (rename `mail.log`
//! to `mail.log.1`, the old `.1` to `.2` and gzip it, the older `.N.gz` up
//! by one, a new `mail.log`), so that the follower meets real rotations.
//! The files end as the batch run writes them, byte for byte.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use flate2::write::GzEncoder;
use flate2::Compression;

use super::writer::rotated_name;
use super::SimError;

/// How a live run goes.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Simulated seconds per wall-clock second.
    pub speed: f64,
    /// Simulated time from the start written at once (µs), before the
    /// pace starts: the history before the interesting part.
    pub skip: i64,
    /// Set (by Ctrl-C) to stop after the last whole line written.
    pub stop: Arc<AtomicBool>,
}

/// Lines buffered while behind the pace are written at least this often.
const FLUSH: Duration = Duration::from_millis(50);
/// Longest sleep between looks at the stop flag.
const NAP: Duration = Duration::from_millis(100);

pub(crate) struct Live {
    dir: PathBuf,
    opts: LiveOptions,
    /// The wall time of simulated time `sim0`.
    wall0: Instant,
    sim0: i64,
    file: Option<File>,
    /// Files begun so far (one a simulated day).
    begun: usize,
    last_write: Instant,
    /// Where the batch run cuts `mail.log`'s chunks, and `mail.log.1`'s.
    cuts: Vec<u64>,
    cuts_1: Vec<u64>,
}

impl Live {
    /// A live writer into `dir`, whose simulated time starts at `start`.
    pub(crate) fn new(dir: &Path, start: i64, opts: LiveOptions) -> Live {
        let now = Instant::now();
        Live {
            dir: dir.to_path_buf(),
            sim0: start + opts.skip.max(0),
            opts,
            wall0: now,
            file: None,
            begun: 0,
            last_write: now,
            cuts: Vec::new(),
            cuts_1: Vec::new(),
        }
    }

    pub(crate) fn stopped(&self) -> bool {
        self.opts.stop.load(Ordering::Relaxed)
    }

    /// When a line of simulated time `t` is due.
    fn due(&self, t: i64) -> Instant {
        let secs = (t - self.sim0).max(0) as f64 / 1e6 / self.opts.speed;
        self.wall0 + Duration::from_secs_f64(secs.min(1e9))
    }

    /// Whether lines before one of time `t` must be written now: it is due
    /// later (the caller then writes them and waits), or the ones buffered
    /// have waited long enough.
    pub(crate) fn must_write_before(&self, t: i64) -> bool {
        let now = Instant::now();
        self.due(t) > now || now.duration_since(self.last_write) >= FLUSH
    }

    /// Sleeps until a line of time `t` is due, or the run is stopped.
    pub(crate) fn wait_for(&self, t: i64) {
        let due = self.due(t);
        while !self.stopped() {
            let now = Instant::now();
            if now >= due {
                return;
            }
            std::thread::sleep((due - now).min(NAP));
        }
    }

    fn path(&self, age: usize) -> PathBuf {
        self.dir.join(rotated_name(age))
    }

    fn io(&self, age: usize) -> impl Fn(io::Error) -> SimError + '_ {
        move |e| SimError::Io { path: self.path(age), source: e }
    }

    /// Begins the next day's file: the first, or a rotation.
    pub(crate) fn open(&mut self) -> Result<(), SimError> {
        if self.begun > 0 {
            self.rotate()?;
        }
        self.file = Some(File::create(self.path(0)).map_err(self.io(0))?);
        self.begun += 1;
        let cuts_2 = std::mem::replace(&mut self.cuts_1, std::mem::take(&mut self.cuts));
        if self.begun > 2 {
            self.compress_second(&cuts_2)?;
        }
        Ok(())
    }

    /// The batch run would write a chunk of `mail.log` ending at `at`.
    pub(crate) fn cut_at(&mut self, at: u64) {
        self.cuts.push(at);
    }

    /// Appends whole lines.
    pub(crate) fn write(&mut self, lines: &[u8]) -> Result<(), SimError> {
        self.last_write = Instant::now();
        match self.file.as_mut() {
            Some(f) => f.write_all(lines).map_err(|e| SimError::Io { path: self.dir.join(rotated_name(0)), source: e }),
            None => Ok(()),
        }
    }

    /// Ends the day's file: stamped with its last line's time, as the
    /// batch run stamps it.
    pub(crate) fn close(&mut self, mtime: SystemTime) -> Result<(), SimError> {
        match self.file.take() {
            Some(f) => f.set_modified(mtime).map_err(self.io(0)),
            None => Ok(()),
        }
    }

    /// logrotate's renames: `.N.gz` to `.N+1.gz` from the oldest, `.1` to
    /// `.2` (compressed once the new file is there), `mail.log` to `.1`.
    fn rotate(&mut self) -> Result<(), SimError> {
        for age in (2..self.begun).rev() {
            std::fs::rename(self.path(age), self.path(age + 1)).map_err(self.io(age))?;
        }
        if self.begun >= 2 {
            std::fs::rename(self.path(1), self.second_plain()).map_err(self.io(1))?;
        }
        std::fs::rename(self.path(0), self.path(1)).map_err(self.io(0))
    }

    /// `mail.log.2` before its compression.
    fn second_plain(&self) -> PathBuf {
        self.dir.join("mail.log.2")
    }

    /// `delaycompress`: the file rotated twice is gzipped as the batch run
    /// writes it (in the chunks it cuts at `cuts`), keeping its time, and
    /// the plain one removed.
    fn compress_second(&self, cuts: &[u64]) -> Result<(), SimError> {
        let plain = self.second_plain();
        if !plain.exists() {
            return Ok(());
        }
        let io = |e| SimError::Io { path: plain.clone(), source: e };
        let mtime = std::fs::metadata(&plain).and_then(|m| m.modified()).map_err(io)?;
        let mut text = Vec::new();
        File::open(&plain).and_then(|mut f| f.read_to_end(&mut text)).map_err(io)?;
        let tmp = self.dir.join(".mail.log.2.gz.tmp");
        let tmp_io = |e| SimError::Io { path: tmp.clone(), source: e };
        let out = File::create(&tmp).map_err(tmp_io)?;
        let mut gz = GzEncoder::new(io::BufWriter::with_capacity(1 << 20, out), Compression::fast());
        let mut from = 0;
        for &to in cuts.iter().chain([&(text.len() as u64)]) {
            let to = (to as usize).clamp(from, text.len());
            gz.write_all(&text[from..to]).map_err(tmp_io)?;
            from = to;
        }
        let file = gz.finish().and_then(|w| w.into_inner().map_err(|e| e.into_error())).map_err(tmp_io)?;
        file.set_modified(mtime).map_err(tmp_io)?;
        std::fs::rename(&tmp, self.path(2)).map_err(self.io(2))?;
        std::fs::remove_file(&plain).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{simulate, Scenario, SimOptions};
    use super::*;

    fn opts(dir: &Path, live: Option<LiveOptions>) -> SimOptions {
        SimOptions {
            out: dir.into(),
            days: 4,
            volume: 0.05,
            scenario: Scenario::SaslCompromise,
            live,
            ..SimOptions::default()
        }
    }

    fn live(speed: f64, skip: i64) -> LiveOptions {
        LiveOptions { speed, skip, stop: Arc::new(AtomicBool::new(false)) }
    }

    /// At a speed nothing waits for, the live run's files (rotated and
    /// compressed on the way) and truth are the batch run's, byte for byte.
    #[test]
    fn live_at_a_huge_speed_writes_the_batch_bytes() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let batch = simulate(&opts(a.path(), None)).unwrap();
        let lived = simulate(&opts(b.path(), Some(live(1e12, 0)))).unwrap();
        assert_eq!(batch, lived);
        let names: Vec<&str> = batch.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["mail.log.3.gz", "mail.log.2.gz", "mail.log.1", "mail.log"]);
        for name in names.iter().chain(&["truth.json"]) {
            let (x, y) = (std::fs::read(a.path().join(name)).unwrap(), std::fs::read(b.path().join(name)).unwrap());
            assert!(x == y, "{name} differs");
            let (x, y) =
                (std::fs::metadata(a.path().join(name)).unwrap(), std::fs::metadata(b.path().join(name)).unwrap());
            if *name != "truth.json" {
                assert_eq!(x.modified().unwrap(), y.modified().unwrap(), "{name}'s time");
            }
        }
        let mut left: Vec<String> = std::fs::read_dir(b.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["mail.log", "mail.log.1", "mail.log.2.gz", "mail.log.3.gz", "truth.json"], "no leftovers");
    }

    /// Stopped while it waits for the next line's time: truth.json is there,
    /// and mail.log holds whole lines, the batch run's first ones.
    #[test]
    fn a_stopped_live_run_leaves_whole_lines() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        simulate(&opts(a.path(), None)).unwrap();
        let day = 86_400_000_000;
        let l = live(1.0, day);
        let stop = l.stop.clone();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            stop.store(true, Ordering::Relaxed);
        });
        simulate(&opts(b.path(), Some(l))).unwrap();
        stopper.join().unwrap();
        let batch = std::fs::read(a.path().join("mail.log.3.gz")).unwrap();
        let mut day0 = Vec::new();
        flate2::read::GzDecoder::new(&batch[..]).read_to_end(&mut day0).unwrap();
        let written = std::fs::read(b.path().join("mail.log")).unwrap();
        assert!(day0.starts_with(&written), "the batch run's first lines");
        assert!(written.is_empty() || written.ends_with(b"\n"), "whole lines");
        assert!(!b.path().join("mail.log.1").exists(), "not rotated after the stop");
        assert_eq!(
            std::fs::read(a.path().join("truth.json")).unwrap(),
            std::fs::read(b.path().join("truth.json")).unwrap()
        );
    }
}
