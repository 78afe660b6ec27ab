//! Following a file by name through its rotations.
//!
//! The file read is held open, and told from whatever the name holds now by
//! device and inode. At the end of what it holds so far:
//!
//! - the name holds the same file: it grew (read on), or it is shorter than
//!   the position read, or no longer begins as it did: truncated in place
//!   (`copytruncate`, `> mail.log`), read again from 0 as a new generation,
//!   after the lines the copy holds beyond the position read;
//! - the name holds another file (logrotate's rename and `create`, `postfix
//!   logrotate`'s rename to a dated name, a delete and recreate): the old one
//!   is read to its end through the descriptor (renamed, compressed and
//!   deleted, it still reads), then the files rotated in between, if any,
//!   then the new one. The switch waits while the new file is empty and the
//!   old one is still there: until the writer (syslog, postlogd) reopens the
//!   name, it writes to the old file;
//! - the name holds nothing (renamed away, not yet recreated): wait.
//!
//! A poll reads with large reads, cuts lines with `memchr`, and looks at the
//! name (a `stat` and a read of the first bytes) only when the file has no
//! more to give; idle, it sleeps a short interval between looks. A plain
//! sleep and look works on every filesystem (NFS, overlays, bind mounts,
//! where inotify misses or never sees writes), and costs nothing at a few
//! looks a second.

use super::cut::{Cutter, Event};
use super::siblings::{self, id_of, FileId, Known, Sibling, Text};
use super::state::{FileState, Fingerprint, FollowState, GenState, FP_LEN, VERSION};
use super::{FollowError, LiveLine, LiveSource, Start, BUDGET, DEFAULT_INTERVAL};
use std::collections::VecDeque;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Bytes asked for per read: large, so that a catch-up on gigabytes costs
/// few system calls.
const READ: usize = 1 << 20;
/// Earlier generations kept in the state, to name their inputs.
const EARLIER: usize = 64;

/// Follows one file by name; see the module's documentation.
pub struct FileFollower {
    path: PathBuf,
    /// The generation being read; `None` until the name holds a file.
    gen: Option<Gen>,
    /// Rotated siblings to read, oldest first, before the name's file.
    queue: VecDeque<PathBuf>,
    next_input: u32,
    earlier: Vec<GenState>,
    notices: Vec<String>,
    events: Vec<Event>,
    buf: Vec<u8>,
    interval: Duration,
    /// What is wrong with the name now (missing, unreadable): said once.
    trouble: Option<String>,
}

/// One file read.
struct Gen {
    input: u32,
    text: Text,
    id: FileId,
    /// The name it was opened under.
    name: PathBuf,
    /// Opened as the followed name: it may grow, be truncated, be renamed.
    live: bool,
    cut: Cutter,
    fp: Fingerprint,
}

/// What a step of a poll did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Something: step again.
    Busy,
    /// Nothing more to do until the input changes.
    Idle,
}

impl Gen {
    fn state(&self) -> GenState {
        GenState {
            input: self.input,
            line: self.cut.line,
            offset: self.cut.committed,
            dev: self.id.0,
            ino: self.id.1,
            fingerprint: self.fp,
            name: self.name.to_string_lossy().into_owned(),
        }
    }

    fn known(&self) -> Known {
        Known { id: self.id, fp: self.fp }
    }

    fn compressed(&self) -> bool {
        matches!(self.text, Text::Decoded(_))
    }

    /// Whether its file has no name any more (deleted, or compressed away).
    fn deleted(&self) -> bool {
        match &self.text {
            Text::Plain(f) => f.metadata().is_ok_and(|m| links(&m) == 0),
            Text::Decoded(_) => true,
        }
    }

    /// Whether the file still begins as it did when read.
    fn begins_as_read(&self) -> bool {
        match &self.text {
            Text::Plain(f) => self.fp.matches(&head_at(f, self.fp.len as usize)),
            Text::Decoded(_) => true,
        }
    }
}

#[cfg(unix)]
fn links(m: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    m.nlink()
}

#[cfg(not(unix))]
fn links(_: &std::fs::Metadata) -> u64 {
    1
}

/// Up to `len` first bytes of `f`, read without moving its position.
#[cfg(unix)]
fn head_at(f: &std::fs::File, len: usize) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let mut head = vec![0; len];
    let mut got = 0;
    while got < len {
        match f.read_at(&mut head[got..], got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    head.truncate(got);
    head
}

#[cfg(not(unix))]
fn head_at(_: &std::fs::File, _: usize) -> Vec<u8> {
    Vec::new()
}

/// `path` for messages.
fn shown(path: &Path) -> String {
    crate::text::printable(&path.display().to_string()).into_owned()
}

/// Why `path` cannot be followed, if it exists and cannot: not a regular
/// file, or not readable.
fn unfollowable(path: &Path) -> Option<FollowError> {
    let error = |message: String| Some(FollowError::File { path: shown(path), message });
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => error("not a regular file: only a log file can be followed".into()),
        Ok(_) => match std::fs::File::open(path) {
            Ok(_) => None,
            Err(e) => error(reason(&e)),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => error(reason(&e)),
    }
}

fn reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => {
            "permission denied (run as a user that can read the mail logs, e.g. in group adm)".into()
        }
        io::ErrorKind::NotFound => "no such file".into(),
        _ => e.to_string(),
    }
}

/// Reads and drops `n` bytes of `text`, feeding them to `fp`; false when it
/// ends before.
fn skip(text: &mut Text, n: u64, fp: &mut Fingerprint, buf: &mut [u8]) -> bool {
    let mut at = 0u64;
    while at < n {
        let want = buf.len().min((n - at) as usize);
        match text.read(&mut buf[..want]) {
            Ok(0) => return false,
            Ok(got) => {
                fp.extend(at, &buf[..got]);
                at += got as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

/// Opens `path` as generation `input`, positioned at `offset` after line
/// `line` of it (where the file must reach).
fn open_gen(path: &Path, input: u32, live: bool, offset: u64, line: u64, buf: &mut [u8]) -> Result<Gen, String> {
    let siblings::Opened { mut text, id } = siblings::open(path)?;
    let mut fp = Fingerprint::empty();
    match &mut text {
        Text::Plain(f) => {
            fp = Fingerprint::of(&head_at(f, FP_LEN as usize));
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            if size < offset || f.seek(SeekFrom::Start(offset)).is_err() {
                return Err(format!("shorter ({size} bytes) than the position to go on from ({offset})"));
            }
        }
        Text::Decoded(_) => {
            if !skip(&mut text, offset, &mut fp, buf) {
                return Err(format!("its text is shorter than the position to go on from ({offset} bytes)"));
            }
        }
    }
    Ok(Gen { input, text, id, name: path.to_path_buf(), live, cut: Cutter::at(offset, line), fp })
}

/// The offset after the last newline of `f` (a plain file) and the lines
/// before it: where following from the end starts, line numbers exact.
fn end_of(f: &mut std::fs::File, buf: &mut [u8]) -> io::Result<(u64, u64)> {
    f.seek(SeekFrom::Start(0))?;
    let (mut at, mut lines, mut after_last) = (0u64, 0u64, 0u64);
    // NULs before the first line are no line (see `Cutter`).
    let mut begun = false;
    loop {
        let n = match f.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let mut chunk = &buf[..n];
        if !begun {
            let nuls = chunk.iter().take_while(|&&b| b == 0).count();
            chunk = &chunk[nuls..];
            at += nuls as u64;
            after_last = at;
            begun = !chunk.is_empty();
        }
        lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        if let Some(i) = memchr::memrchr(b'\n', chunk) {
            after_last = at + i as u64 + 1;
        }
        at += chunk.len() as u64;
    }
    f.seek(SeekFrom::Start(after_last))?;
    Ok((after_last, lines))
}

impl FileFollower {
    /// Follows `path` from `start`. A name that holds nothing yet is waited
    /// for (a notice says so); one that holds something unreadable, or no
    /// regular file, is an error, as is a state of another source or name.
    pub fn open(path: &Path, start: Start) -> Result<FileFollower, FollowError> {
        if let Some(e) = unfollowable(path) {
            return Err(e);
        }
        let mut f = FileFollower {
            path: path.to_path_buf(),
            gen: None,
            queue: VecDeque::new(),
            next_input: 0,
            earlier: Vec::new(),
            notices: Vec::new(),
            events: Vec::new(),
            buf: vec![0; READ],
            interval: DEFAULT_INTERVAL,
            trouble: None,
        };
        match start {
            Start::End => f.open_at_end(),
            Start::Beginning => {}
            Start::WithRotations => {
                let all = siblings::one_per_rank(siblings::siblings(path));
                f.queue = all.into_iter().map(|s| s.path).collect();
            }
            Start::Resume(state) => f.resume(state)?,
        }
        if f.gen.is_none() {
            f.open_next();
        }
        Ok(f)
    }

    /// How long to sleep between looks when there is nothing new.
    pub fn set_interval(&mut self, interval: Duration) {
        self.interval = interval;
    }

    fn open_at_end(&mut self) {
        let mut gen = match open_gen(&self.path, 0, true, 0, 0, &mut self.buf) {
            Ok(gen) => gen,
            Err(_) => return, // missing: waited for, as any start
        };
        let end = match &mut gen.text {
            Text::Plain(file) => end_of(file, &mut self.buf),
            // A compressed file under the followed name is read whole.
            Text::Decoded(_) => Ok((0, 0)),
        };
        match end {
            Ok((offset, line)) => {
                gen.cut = Cutter::at(offset, line);
                self.next_input = 1;
                self.gen = Some(gen);
            }
            Err(e) => self.say(format!("cannot read to its end ({e}); reading it from its beginning")),
        }
    }

    fn resume(&mut self, state: FollowState) -> Result<(), FollowError> {
        let FollowState::File(st) = state else {
            return Err(FollowError::State("is the journal's, not a file's".into()));
        };
        if st.version != VERSION {
            return Err(FollowError::State(format!("has version {}, not {VERSION}", st.version)));
        }
        let name = self.path.to_string_lossy();
        if st.path != name {
            let (was, now) = (crate::text::printable(&st.path), crate::text::printable(&name));
            return Err(FollowError::State(format!("is for {was}, not {now}")));
        }
        self.next_input = st.next_input;
        self.earlier = st.earlier;
        let Some(g) = st.current else { return Ok(()) };
        let known = Known { id: (g.dev, g.ino), fp: g.fingerprint };
        let same_file = std::fs::metadata(&self.path).is_ok_and(|m| id_of(&m) == known.id);
        if same_file {
            if let Ok(gen) = open_gen(&self.path, g.input, true, g.offset, g.line, &mut self.buf) {
                if known.fp.matches(&head_at_gen(&gen)) {
                    self.gen = Some(gen);
                    return Ok(());
                }
            }
        }
        let all = siblings::siblings(&self.path);
        let found = siblings::locate(&all, &known)
            .and_then(|s| open_gen(&s.path, g.input, false, g.offset, g.line, &mut self.buf).ok().map(|gen| (s, gen)));
        match found {
            Some((s, gen)) => {
                let newer = siblings::newer_than(&all, s.rank);
                let also = match newer.len() {
                    0 => String::new(),
                    n => format!(", then the {n} rotated after it"),
                };
                self.say(format!("changed while stopped: reading the rest of {}{also} first", shown(&s.path)));
                self.queue = newer.into_iter().map(|s| s.path).collect();
                self.gen = Some(gen);
            }
            None => self.say(format!(
                "the file read before the restart ({}, {} lines in) is no longer there, under this name or \
                 a rotated one: what was written to it after that is missing; reading the file there now from \
                 its beginning",
                crate::text::printable(&g.name),
                g.line
            )),
        }
        Ok(())
    }

    /// Something to tell about the followed name.
    fn say(&mut self, what: String) {
        self.notices.push(format!("{}: {what}", shown(&self.path)));
    }

    /// What is wrong with the name now, said once while it lasts.
    fn trouble(&mut self, what: String) {
        if self.trouble.as_deref() != Some(&what) {
            self.say(what.clone());
            self.trouble = Some(what);
        }
    }

    /// The events of cutting `gen`, as notices naming its file.
    fn tell_events(&mut self) {
        let Some(gen) = &self.gen else { return };
        let name = shown(&gen.name);
        for e in self.events.drain(..) {
            self.notices.push(match e {
                Event::Long { line, len } => format!(
                    "{name}:{line}: a line of {len} bytes, longer than {} (no Postfix line is): skipped",
                    super::MAX_LINE
                ),
                Event::Nuls(n) => format!("{name}: {n} NUL bytes before the first line (left by a truncation) skipped"),
            });
        }
    }

    /// Opens the next file to read: the next queued sibling, else the name's.
    fn open_next(&mut self) -> Step {
        while let Some(p) = self.queue.pop_front() {
            match open_gen(&p, self.next_input, false, 0, 0, &mut self.buf) {
                Ok(gen) => {
                    self.next_input += 1;
                    self.gen = Some(gen);
                    return Step::Busy;
                }
                Err(e) => self.notices.push(format!("{}: {e}; skipped", shown(&p))),
            }
        }
        match open_gen(&self.path, self.next_input, true, 0, 0, &mut self.buf) {
            Ok(gen) => {
                self.next_input += 1;
                self.gen = Some(gen);
                if self.trouble.take().is_some() {
                    self.say("there now: following it".into());
                }
                Step::Busy
            }
            Err(e) => {
                let missing = !self.path.exists();
                self.trouble(match missing {
                    true => "does not exist (yet): waiting for it".into(),
                    false => format!("{e}; trying again"),
                });
                Step::Idle
            }
        }
    }

    /// Ends the generation read: its last line without a newline is a
    /// line; it joins the earlier ones.
    fn finish(&mut self, out: &mut Vec<LiveLine>) {
        if let Some(gen) = self.gen.as_mut() {
            gen.cut.finish(gen.input, out, &mut self.events);
        }
        self.tell_events();
        if let Some(gen) = self.gen.take() {
            self.earlier.push(gen.state());
            if self.earlier.len() > EARLIER {
                self.earlier.remove(0);
            }
        }
    }

    /// Reads what the generation has, up to `budget` bytes: whether it
    /// reached the end, and the bytes read.
    fn read_some(&mut self, out: &mut Vec<LiveLine>, budget: &mut usize) -> io::Result<(bool, usize)> {
        let Some(gen) = self.gen.as_mut() else { return Ok((true, 0)) };
        let (mut at_end, mut read) = (false, 0);
        while *budget > 0 {
            let n = match gen.text.read(&mut self.buf) {
                Ok(0) => {
                    at_end = true;
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.tell_events();
                    return Err(e);
                }
            };
            gen.fp.extend(gen.cut.pos, &self.buf[..n]);
            gen.cut.feed(&self.buf[..n], gen.input, out, &mut self.events);
            *budget = budget.saturating_sub(n);
            read += n;
        }
        self.tell_events();
        Ok((at_end, read))
    }

    /// One step of a poll.
    fn step(&mut self, out: &mut Vec<LiveLine>, budget: &mut usize) -> Step {
        let Some(gen) = &self.gen else { return self.open_next() };
        let live = gen.live;
        // Truncated and written past the position read since the last look:
        // told by the first bytes, before reading on from the old position.
        if live && !gen.compressed() && !gen.begins_as_read() {
            self.truncated(out);
            return Step::Busy;
        }
        match self.read_some(out, budget) {
            Ok((true, read)) => self.at_end(out, budget, read > 0),
            Ok((false, _)) => Step::Busy,
            Err(e) if live => {
                self.trouble(format!("read error ({e}); trying again"));
                Step::Idle
            }
            Err(e) => {
                let name = self.gen.as_ref().map(|g| shown(&g.name)).unwrap_or_default();
                self.notices.push(format!("{name}: read error ({e}); the rest of this file was skipped"));
                self.finish(out);
                self.open_next()
            }
        }
    }

    /// At the end of what the generation holds so far: what the name holds
    /// says what comes next. `read`: whether this step read anything.
    fn at_end(&mut self, out: &mut Vec<LiveLine>, budget: &mut usize, read: bool) -> Step {
        if !self.queue.is_empty() {
            // Rotated siblings are written no more: on to the next.
            self.finish(out);
            return self.open_next();
        }
        let Some(gen) = &self.gen else { return Step::Idle };
        match std::fs::metadata(&self.path) {
            Ok(m) if id_of(&m) == gen.id => {
                if gen.compressed() {
                    return Step::Idle; // a compressed file under the name: read whole, it grows no more
                }
                if m.len() < gen.cut.pos || !gen.begins_as_read() {
                    self.truncated(out);
                    return Step::Busy;
                }
                self.trouble = None;
                // Grown since the read that met the end: read on, but only
                // after a sleep unless this step read anything, should the
                // size said and the data read disagree (NFS caches sizes).
                match m.len() > gen.cut.pos && read {
                    true => Step::Busy,
                    false => Step::Idle,
                }
            }
            Ok(m) if m.is_file() => {
                if m.len() == 0 && !gen.compressed() && !gen.deleted() {
                    // The writer has not reopened the name yet.
                    return Step::Idle;
                }
                // What the writer put in the old file before it reopened
                // the name, read before the switch.
                if let Ok((false, _)) = self.read_some(out, budget) {
                    return Step::Busy;
                }
                self.rotated(out);
                Step::Busy
            }
            Ok(_) => {
                self.trouble("is no regular file now: waiting for the log file to come back".into());
                Step::Idle
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if gen.live {
                    self.trouble("gone (renamed or deleted): waiting for the new file".into());
                }
                Step::Idle
            }
            Err(e) => {
                self.trouble(format!("{}; trying again", reason(&e)));
                Step::Idle
            }
        }
    }

    /// The name holds another file: the old one is read; the ones rotated
    /// after it, if any, come before the new one.
    fn rotated(&mut self, out: &mut Vec<LiveLine>) {
        let Some(gen) = &self.gen else { return };
        let all = siblings::siblings(&self.path);
        let found: Option<Sibling> = siblings::locate(&all, &gen.known()).cloned();
        let newer = found.as_ref().map(|s| siblings::newer_than(&all, s.rank)).unwrap_or_default();
        let what = match (&found, gen.live) {
            (Some(s), true) => Some(format!("rotated (the file read is now {})", shown(&s.path))),
            (None, true) => Some("replaced (the file read was deleted or moved away)".into()),
            (_, false) => None,
        };
        let then = match newer.len() {
            0 => String::new(),
            n => format!("; reading the {n} files rotated since first"),
        };
        self.finish(out);
        match what {
            Some(what) => self.say(format!("{what}{then}; following the new file")),
            None if !then.is_empty() => self.say(then[2..].to_string()),
            None => {}
        }
        self.queue = newer.into_iter().map(|s| s.path).collect();
        self.trouble = None;
        self.open_next();
    }

    /// The file is shorter than the position read, or begins otherwise:
    /// truncated in place. logrotate's `copytruncate` copies the file, then
    /// truncates it: the lines written between the last read and the
    /// truncation are in the copy only, and are read from it first, when
    /// it can be found (plain or compressed). Lines written between the end
    /// of the copy and the truncation are in neither file: a window of
    /// `copytruncate` itself (its manual says so), which no reader can
    /// close. Lines written after the truncation are read from 0.
    fn truncated(&mut self, out: &mut Vec<LiveLine>) {
        let Some(mut gen) = self.gen.take_if(|g| !g.compressed()) else { return };
        let was = gen.cut.pos;
        let before = out.len();
        let all = siblings::siblings(&self.path);
        let copy = siblings::locate(&all, &gen.known()).cloned();
        let mut recovered = String::new();
        if let Some(copy) = &copy {
            if let Ok(mut opened) = siblings::open(&copy.path) {
                let mut fp = Fingerprint::empty();
                if skip(&mut opened.text, was, &mut fp, &mut self.buf) {
                    let mut rest = Vec::new();
                    let _ = opened.text.read_to_end(&mut rest);
                    gen.cut.feed(&rest, gen.input, out, &mut self.events);
                }
                recovered = format!("; {} lines written before it read from {}", out.len() - before, shown(&copy.path));
            }
        }
        if copy.is_none() {
            recovered =
                "; no copy of it found among the rotations: lines written just before it, if any, are lost".into();
        }
        let Text::Plain(mut file) = std::mem::replace(&mut gen.text, Text::Decoded(Box::new(io::empty()))) else {
            return;
        };
        self.gen = Some(gen);
        self.finish(out);
        self.say(format!("truncated in place at {was} bytes (copytruncate?){recovered}; reading it from its start"));
        let _ = file.seek(SeekFrom::Start(0));
        let fp = Fingerprint::of(&head_at(&file, FP_LEN as usize));
        let id = file.metadata().map(|m| id_of(&m)).unwrap_or_default();
        self.gen = Some(Gen {
            input: self.next_input,
            text: Text::Plain(file),
            id,
            name: self.path.clone(),
            live: true,
            cut: Cutter::at(0, 0),
            fp,
        });
        self.next_input += 1;
    }

    /// Where generation `known` is now: the name, a rotated sibling, or
    /// nowhere.
    fn where_now(&self, known: &Known, name: &str) -> String {
        let at_name = std::fs::metadata(&self.path).is_ok_and(|m| id_of(&m) == known.id)
            && siblings::open(&self.path)
                .is_ok_and(|mut o| known.fp.matches(&siblings::read_head(&mut o.text, known.fp.len as usize)));
        if at_name {
            return self.path.display().to_string();
        }
        match siblings::locate(&siblings::siblings(&self.path), known) {
            Some(s) => s.path.display().to_string(),
            None => format!("{name} (no longer there)"),
        }
    }
}

/// The first bytes of a generation's file, up to what its fingerprint
/// covers (a plain file: read without moving).
fn head_at_gen(gen: &Gen) -> Vec<u8> {
    match &gen.text {
        Text::Plain(f) => head_at(f, gen.fp.len as usize),
        Text::Decoded(_) => Vec::new(),
    }
}

impl LiveSource for FileFollower {
    fn poll(&mut self, timeout: Duration, out: &mut Vec<LiveLine>) -> Result<(), FollowError> {
        let deadline = Instant::now() + timeout;
        let before = out.len();
        let mut budget = BUDGET;
        loop {
            let step = self.step(out, &mut budget);
            if budget == 0 {
                return Ok(());
            }
            if step == Step::Busy {
                continue;
            }
            let now = Instant::now();
            if out.len() > before || now >= deadline {
                return Ok(());
            }
            std::thread::sleep(self.interval.min(deadline - now));
        }
    }

    fn input_name(&self, input: u32) -> String {
        if let Some(gen) = self.gen.as_ref().filter(|g| g.input == input) {
            return self.where_now(&gen.known(), &gen.name.display().to_string());
        }
        match self.earlier.iter().find(|g| g.input == input) {
            Some(g) => self.where_now(&Known { id: (g.dev, g.ino), fp: g.fingerprint }, &g.name),
            None => format!("{} (input {input})", self.path.display()),
        }
    }

    fn checkpoint(&self) -> FollowState {
        FollowState::File(FileState {
            version: VERSION,
            path: self.path.to_string_lossy().into_owned(),
            current: self.gen.as_ref().map(Gen::state),
            earlier: self.earlier.clone(),
            next_input: self.next_input,
        })
    }

    fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}
