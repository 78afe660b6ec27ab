//! Following the systemd journal: `journalctl --follow -o json` on the
//! batch journal input's query (the mail facility, `--directory`,
//! `--file`: [`Query`]), from the end (`--lines=0`), from the query's
//! `--since` or the oldest entry (`--no-tail`), or after a cursor
//! (`--after-cursor`). Its lines are handed on as journalctl writes them,
//! one JSON object each: the lines the batch journal input reads, which the
//! `journald` envelope parses ([`crate::envelope::Format::Journald`]).
//!
//! journalctl's output is read on a thread of its own (a pipe has no
//! timeout to wait with), its stderr on another, turned into notices. Should
//! journalctl end, it is run again after the last entry read, after a pause
//! that grows while it keeps failing; only a first run that fails before
//! giving anything stops following.

use super::state::{FollowState, JournalState, VERSION};
use super::{FollowError, LiveLine, LiveSource, Start, BUDGET, MAX_LINE};
use crate::source::journal::{self as batch, Query};
use crate::time::Micros;
use std::ffi::{OsStr, OsString};
use std::io::{self, BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A line longer than this is not kept, only counted: its cursor is then
/// unknown (the batch reader's bound on a line it buffers).
const KEEP: usize = 4 << 20;
/// Lines of stderr said per run of journalctl, at most.
const SAID: usize = 20;
/// The longest pause before running journalctl again.
const MAX_RETRY: Duration = Duration::from_secs(60);

/// A line of journalctl's output, or what is left of one too long.
enum Raw {
    Kept(Vec<u8>),
    Dropped(u64),
}

/// What the reading thread sends.
enum Piece {
    Lines(Vec<Raw>),
    End(Option<io::Error>),
}

/// journalctl running.
struct Running {
    child: Child,
    lines: Receiver<Piece>,
    said: Receiver<String>,
    /// What it said on stderr, passed on as notices.
    told: Vec<String>,
}

/// Follows the journal; see the module's documentation.
pub struct JournalFollower {
    program: OsString,
    query: Query,
    running: Option<Running>,
    cursor: Option<String>,
    after_cursor: u64,
    line: u64,
    /// Where following began, while no entry is read.
    since: Option<Micros>,
    /// With `Start::End` and nothing read yet: a new run starts at the end
    /// again, or (once `since` is set, on a restart) from that time.
    from_end: bool,
    /// Lines to drop at the start of this run: read before, after the cursor.
    skip: u64,
    got_any: bool,
    notices: Vec<String>,
    retry: Duration,
    pause: Duration,
    restart_at: Option<Instant>,
}

fn now_micros() -> Micros {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as Micros)
}

impl JournalFollower {
    /// Follows the journal `query` names (its `until` is left out), through
    /// the `journalctl` on `PATH`.
    pub fn open(query: &Query, start: Start) -> Result<JournalFollower, FollowError> {
        JournalFollower::open_with(OsStr::new(batch::PROGRAM), query, start)
    }

    /// [`JournalFollower::open`] through `program` instead of journalctl.
    pub fn open_with(program: &OsStr, query: &Query, start: Start) -> Result<JournalFollower, FollowError> {
        let mut j = JournalFollower {
            program: program.to_os_string(),
            query: Query { since: None, until: None, ..query.clone() },
            running: None,
            cursor: None,
            after_cursor: 0,
            line: 0,
            since: None,
            from_end: false,
            skip: 0,
            got_any: false,
            notices: Vec::new(),
            retry: Duration::from_secs(1),
            pause: Duration::from_secs(1),
            restart_at: None,
        };
        match start {
            Start::End => {
                j.from_end = true;
                j.since = Some(now_micros());
            }
            Start::Beginning | Start::WithRotations => j.since = query.since,
            Start::Resume(FollowState::Journal(st)) => {
                if st.version != VERSION {
                    return Err(FollowError::State(format!("has version {}, not {VERSION}", st.version)));
                }
                (j.cursor, j.after_cursor, j.line, j.since) = (st.cursor, st.after_cursor, st.line, st.since);
            }
            Start::Resume(FollowState::File(_)) => {
                return Err(FollowError::State("is a file's, not the journal's".into()));
            }
        }
        j.spawn().map_err(FollowError::Journal)?;
        Ok(j)
    }

    /// The first pause before running journalctl again once it ended.
    pub fn set_retry(&mut self, retry: Duration) {
        self.retry = retry;
        self.pause = retry;
    }

    /// journalctl's arguments for the next run.
    fn args(&self) -> Vec<OsString> {
        let mut extra: Vec<OsString> = vec!["--follow".into()];
        let mut query = self.query.clone();
        match (&self.cursor, self.from_end) {
            (Some(c), _) => extra.extend(["--no-tail".into(), "--after-cursor".into(), c.into()]),
            (None, true) => extra.push("--lines=0".into()),
            (None, false) => {
                extra.push("--no-tail".into());
                query.since = self.since;
            }
        }
        query.args_with(&extra)
    }

    fn spawn(&mut self) -> Result<(), String> {
        let mut child = Command::new(&self.program)
            .args(self.args())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| batch::cannot_run(&e))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("journalctl gave no output to read".into());
        };
        let (tx, lines) = sync_channel(16);
        let (say, said) = sync_channel(SAID);
        let started =
            std::thread::Builder::new().name("journalctl".into()).spawn(move || read_lines(stdout, &tx)).and_then(
                |_| std::thread::Builder::new().name("journalctl-err".into()).spawn(move || read_said(stderr, &say)),
            );
        if let Err(e) = started {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("cannot start a thread to read journalctl: {e}"));
        }
        self.skip = self.after_cursor;
        self.running = Some(Running { child, lines, said, told: Vec::new() });
        Ok(())
    }

    /// Takes the lines of a piece into `out`.
    fn take(&mut self, lines: Vec<Raw>, out: &mut Vec<LiveLine>) -> usize {
        let mut bytes = 0;
        for raw in lines {
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            self.line += 1;
            self.got_any = true;
            match raw {
                Raw::Kept(b) => {
                    bytes += b.len();
                    match std::str::from_utf8(&b).ok().and_then(crate::envelope::journald::cursor) {
                        Some(c) => {
                            self.cursor = Some(c.to_string());
                            self.after_cursor = 0;
                        }
                        None => self.after_cursor += 1,
                    }
                    if b.len() > MAX_LINE {
                        self.long(b.len() as u64);
                    } else {
                        out.push(LiveLine { bytes: b, input: 0, line: self.line });
                    }
                }
                Raw::Dropped(len) => {
                    self.after_cursor += 1;
                    self.long(len);
                }
            }
        }
        bytes
    }

    fn long(&mut self, len: u64) {
        let name = self.query.display();
        self.notices.push(format!("{name}:{}: an entry of {len} bytes, longer than {MAX_LINE}: skipped", self.line));
    }

    /// Passes on what journalctl said on stderr.
    fn tell_said(&mut self) {
        let Some(run) = self.running.as_mut() else { return };
        while let Ok(said) = run.said.try_recv() {
            let hint = batch::permission_hint(&said);
            self.notices.push(format!("journalctl: {}{hint}", crate::text::cell(&said, 300)));
            run.told.push(said);
        }
    }

    /// journalctl ended: said, and run again later; an error when its
    /// first run failed before it gave anything.
    fn ended(&mut self, error: Option<io::Error>) -> Result<(), FollowError> {
        self.tell_said();
        let Some(mut run) = self.running.take() else { return Ok(()) };
        // Its stderr, to the end: why it failed.
        let status = run.child.wait();
        let mut new: Vec<String> = Vec::new();
        while let Ok(said) = run.said.recv_timeout(Duration::from_millis(200)) {
            new.push(said);
        }
        let how = match (&status, &error) {
            (_, Some(e)) => format!("its output could not be read ({e})"),
            (Ok(s), None) => match s.code() {
                Some(0) => "it ended".to_string(),
                Some(code) => format!("it failed (exit status {code})"),
                None => "it was killed by a signal".to_string(),
            },
            (Err(e), None) => format!("it could not be waited for ({e})"),
        };
        let words = |lines: &[String]| {
            let said = batch::joined(&lines.join("\n"));
            match said.is_empty() {
                true => String::new(),
                false => format!(": {}{}", crate::text::cell(&said, 300), batch::permission_hint(&said)),
            }
        };
        if !self.got_any && self.restart_at.is_none() && !status.as_ref().is_ok_and(|s| s.success()) {
            let all = [run.told, new].concat();
            return Err(FollowError::Journal(format!("journalctl: {how}{}", words(&all))));
        }
        self.notices.push(format!(
            "journalctl: {how}{}; running it again in {} s, after the last entry read",
            words(&new),
            self.pause.as_secs_f32()
        ));
        self.restart_at = Some(Instant::now() + self.pause);
        self.pause = (self.pause * 2).min(MAX_RETRY);
        if self.from_end && self.cursor.is_none() {
            // Nothing read yet: the next run starts where following began.
            self.from_end = false;
        }
        Ok(())
    }
}

impl LiveSource for JournalFollower {
    fn poll(&mut self, timeout: Duration, out: &mut Vec<LiveLine>) -> Result<(), FollowError> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.running.is_none() {
                let at = self.restart_at.unwrap_or_else(Instant::now);
                let now = Instant::now();
                if at > now {
                    std::thread::sleep((at - now).min(deadline.saturating_duration_since(now)));
                    if Instant::now() < at {
                        return Ok(());
                    }
                }
                if let Err(e) = self.spawn() {
                    self.notices.push(format!("journalctl: {e}; trying again in {} s", self.pause.as_secs_f32()));
                    self.restart_at = Some(Instant::now() + self.pause);
                    self.pause = (self.pause * 2).min(MAX_RETRY);
                    return Ok(());
                }
            }
            self.tell_said();
            let Some(run) = self.running.as_ref() else { return Ok(()) };
            let wait = deadline.saturating_duration_since(Instant::now());
            let piece = match run.lines.recv_timeout(wait) {
                Ok(piece) => piece,
                Err(RecvTimeoutError::Timeout) => return Ok(()),
                Err(RecvTimeoutError::Disconnected) => Piece::End(None),
            };
            let mut taken = 0;
            let mut next = Some(piece);
            while let Some(piece) = next.take() {
                match piece {
                    Piece::Lines(lines) => taken += self.take(lines, out),
                    Piece::End(error) => {
                        self.ended(error)?;
                        break;
                    }
                }
                if taken < BUDGET {
                    next = self.running.as_ref().and_then(|run| match run.lines.try_recv() {
                        Ok(p) => Some(p),
                        Err(TryRecvError::Empty) => None,
                        Err(TryRecvError::Disconnected) => Some(Piece::End(None)),
                    });
                }
            }
            if taken > 0 {
                // A run that gives entries is a good one: the next pause is short.
                self.pause = self.retry;
                self.tell_said();
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Ok(());
            }
        }
    }

    fn input_name(&self, _input: u32) -> String {
        self.query.display()
    }

    fn checkpoint(&self) -> FollowState {
        FollowState::Journal(JournalState {
            version: VERSION,
            cursor: self.cursor.clone(),
            after_cursor: self.after_cursor,
            line: self.line,
            since: if self.cursor.is_none() { self.since } else { None },
        })
    }

    fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}

impl Drop for JournalFollower {
    fn drop(&mut self) {
        if let Some(mut run) = self.running.take() {
            let _ = run.child.kill();
            let _ = run.child.wait();
        }
    }
}

/// The reading thread: journalctl's lines, in pieces as they come.
fn read_lines(stdout: impl Read, tx: &SyncSender<Piece>) {
    let mut r = BufReader::with_capacity(256 << 10, stdout);
    let mut partial: Vec<u8> = Vec::new();
    let mut dropped: Option<u64> = None;
    loop {
        let buf = match r.fill_buf() {
            Ok([]) => break,
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = tx.send(Piece::End(Some(e)));
                return;
            }
        };
        let mut lines = Vec::new();
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', buf) {
            let piece = &buf[start..nl];
            lines.push(match dropped.take() {
                Some(n) => Raw::Dropped(n + piece.len() as u64),
                None if partial.len() + piece.len() > KEEP => {
                    let n = partial.len() + piece.len();
                    partial = Vec::new();
                    Raw::Dropped(n as u64)
                }
                None if partial.is_empty() => Raw::Kept(piece.to_vec()),
                None => {
                    partial.extend_from_slice(piece);
                    Raw::Kept(std::mem::take(&mut partial))
                }
            });
            start = nl + 1;
        }
        let tail = &buf[start..];
        match &mut dropped {
            Some(n) => *n += tail.len() as u64,
            None if partial.len() + tail.len() > KEEP => {
                dropped = Some((partial.len() + tail.len()) as u64);
                partial = Vec::new();
            }
            None => partial.extend_from_slice(tail),
        }
        let n = buf.len();
        r.consume(n);
        if !lines.is_empty() && tx.send(Piece::Lines(lines)).is_err() {
            return;
        }
    }
    // A line cut by journalctl's end has no cursor read yet: the next run
    // gives it again, whole.
    let _ = tx.send(Piece::End(None));
}

/// The stderr thread: journalctl's lines there, the first [`SAID`] of them
/// passed on, the rest read and dropped so that it never blocks.
fn read_said(stderr: impl Read, tx: &SyncSender<String>) {
    let mut sent = 0;
    for line in BufReader::new(stderr).split(b'\n') {
        let Ok(line) = line else { break };
        let text = String::from_utf8_lossy(&line).trim().to_string();
        if text.is_empty() || sent >= SAID {
            continue;
        }
        sent += 1;
        if tx.send(text).is_err() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args_of(j: &JournalFollower) -> Vec<String> {
        j.args().into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    /// What journalctl is asked for, at each start: the batch query's
    /// arguments, with the follow options before the match.
    #[test]
    fn arguments_for_each_start() {
        let mut j = JournalFollower {
            program: "journalctl".into(),
            query: Query { directory: Some("/j".into()), ..Query::default() },
            running: None,
            cursor: None,
            after_cursor: 0,
            line: 0,
            since: Some(1_796_411_063_000_000),
            from_end: true,
            skip: 0,
            got_any: false,
            notices: Vec::new(),
            retry: Duration::from_secs(1),
            pause: Duration::from_secs(1),
            restart_at: None,
        };
        let head = ["-o", "json", "--no-pager", "--directory", "/j"];
        let with = |tail: &[&'static str]| [&head[..], tail].concat();
        assert_eq!(args_of(&j), with(&["--follow", "--lines=0", "SYSLOG_FACILITY=2"]));
        j.from_end = false;
        assert_eq!(
            args_of(&j),
            with(&["--since", "2026-12-04 19:04:23 UTC", "--follow", "--no-tail", "SYSLOG_FACILITY=2"])
        );
        j.cursor = Some("s=1;i=2".into());
        assert_eq!(args_of(&j), with(&["--follow", "--no-tail", "--after-cursor", "s=1;i=2", "SYSLOG_FACILITY=2"]));
    }

    #[test]
    fn lines_are_read_whole_and_long_ones_counted() {
        let mut text = b"{\"a\":1}\n".to_vec();
        text.extend(vec![b'x'; KEEP + 10]);
        text.extend_from_slice(b"\n{\"b\":2}\n{\"cut\"");
        let (tx, rx) = sync_channel(1000);
        read_lines(&text[..], &tx);
        let mut got = Vec::new();
        while let Ok(piece) = rx.try_recv() {
            match piece {
                Piece::Lines(lines) => got.extend(lines.into_iter().map(|l| match l {
                    Raw::Kept(b) if b.len() < 100 => String::from_utf8(b).unwrap(),
                    Raw::Kept(b) => format!("kept {}", b.len()),
                    Raw::Dropped(n) => format!("<{n}>"),
                })),
                Piece::End(e) => got.push(format!("end {}", e.is_some())),
            }
        }
        assert_eq!(got, ["{\"a\":1}".to_string(), format!("<{}>", KEEP + 10), "{\"b\":2}".into(), "end false".into()]);
    }
}
