//! Walking the spool: every queue directory, hashed subdirectories to any
//! depth, each file named like a queue ID read with [`super::message`].
//! Strictly read-only: files are opened for reading (no symlink followed,
//! no FIFO waited on), never locked, moved or changed. qmgr moves files
//! between queues all the time: a file gone between the listing and the
//! reading is counted, not an error.

use super::file::Window;
use super::id::QueueId;
use super::logs::{self, Reason};
use super::message::{self, QueueFile};
use super::record::Damage;
use crate::time::Micros;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The queues, in the order mail moves through them, then the two that
/// only an admin fills.
pub const QUEUES: [&str; 7] = ["maildrop", "incoming", "active", "deferred", "hold", "corrupt", "saved"];

/// Deeper than any `hash_queue_depth` (Postfix allows 1 to 16 levels).
const MAX_DEPTH: usize = 17;

/// A message in the queue.
#[derive(Debug, Clone)]
pub struct Queued {
    pub queue: &'static str,
    pub id: QueueId,
    /// The file's size on disk.
    pub size: u64,
    /// The file's owner: for `maildrop`, the submitting user.
    pub owner: u32,
    pub file: QueueFile,
    /// From `defer/` (or `bounce/`), when read.
    pub reasons: Vec<Reason>,
}

impl Queued {
    /// The local submitter: pickup's `Received:` header, or for a file
    /// still in maildrop its owner (what pickup will read). Mail that came
    /// over SMTP has none: requeued with `postsuper -r`, it passes pickup
    /// again and gets the postfix user's uid, which says nothing of who
    /// sent it.
    pub fn uid(&self) -> Option<u32> {
        if self.file.attribute("client_address").is_some() || self.file.attribute("log_client_address").is_some() {
            return None;
        }
        self.file.uid.or((self.queue == "maildrop").then_some(self.owner))
    }

    /// When it arrived; else when its file was made (a long ID says).
    pub fn arrival(&self) -> Option<Micros> {
        self.file.arrival.or_else(|| self.id.created())
    }
}

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    #[error("name is not a queue ID")]
    NotAnId,
    #[error("not a regular file")]
    NotRegular,
    #[error("still being written (mode without owner-execute)")]
    BeingWritten,
    #[error("{0}")]
    Damaged(#[from] Damage),
    #[error("cannot read: {0}")]
    Unreadable(String),
}

/// A file not read, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// Relative to the spool, as listed (may hold anything: escape it).
    pub path: String,
    pub why: Skip,
}

/// What a scan read.
#[derive(Debug, Default)]
pub struct Scan {
    /// The messages kept, by queue then ID.
    pub messages: Vec<Queued>,
    /// Files listed in the queues.
    pub files: u64,
    /// Messages read (kept or not).
    pub read: u64,
    /// Files gone between the listing and the reading.
    pub vanished: u64,
    pub skipped: Vec<Skipped>,
}

/// The spool, or a queue in it, cannot be listed.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error(
        "{0}: permission denied. The Postfix queue is readable by root and the postfix user only: \
         run as root (sudo postsleuth queue) or as postfix (sudo -u postfix postsleuth queue)"
    )]
    Permission(String),
    #[error("{0}: no Postfix queue here (no maildrop, incoming, active, deferred or hold directory); see --spool")]
    NotASpool(String),
    #[error("{0}: {1}")]
    Io(String, io::Error),
}

/// Opens `path` read-only without following a symlink or waiting on a FIFO.
pub fn open(path: &Path) -> io::Result<File> {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    OpenOptions::new().read(true).custom_flags(flags.bits() as i32).open(path)
}

/// One listed file: its queue and path.
struct Listed {
    queue: &'static str,
    path: PathBuf,
}

/// Reads the `queues` of `spool` (all when empty); keeps the messages
/// `keep` accepts; `progress(done, total)` after each file.
pub fn scan(
    spool: &Path,
    queues: &[&'static str],
    keep: &(dyn Fn(&Queued) -> bool + Sync),
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Scan, SpoolError> {
    let queues: Vec<&'static str> = if queues.is_empty() { QUEUES.to_vec() } else { queues.to_vec() };
    let shown = |p: &Path| p.display().to_string();
    match fs::read_dir(spool) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => return Err(SpoolError::Permission(shown(spool))),
        Err(e) => return Err(SpoolError::Io(shown(spool), e)),
        Ok(_) => {}
    }
    if !["maildrop", "incoming", "active", "deferred", "hold"].iter().any(|q| spool.join(q).is_dir()) {
        return Err(SpoolError::NotASpool(shown(spool)));
    }
    let mut listed = Vec::new();
    let mut skipped = Vec::new();
    for q in &queues {
        list(spool, &spool.join(q), q, 0, &mut listed, &mut skipped)?;
    }
    let total = listed.len() as u64;
    let done = AtomicU64::new(0);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    let chunk = listed.len().div_ceil(workers).max(1);
    let parts: Vec<Part> = std::thread::scope(|s| {
        let handles: Vec<_> = listed
            .chunks(chunk)
            .map(|files| {
                let done = &done;
                s.spawn(move || {
                    read_all(spool, files, keep, &|| progress(done.fetch_add(1, Ordering::Relaxed) + 1, total))
                })
            })
            .collect();
        // A worker that panicked (it should not: nothing in the reader
        // panics on input) loses its files rather than the run.
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut scan = Scan { files: total, skipped, ..Scan::default() };
    for p in parts {
        scan.messages.extend(p.messages);
        scan.skipped.extend(p.skipped);
        scan.read += p.read;
        scan.vanished += p.vanished;
    }
    let order = |q: &str| QUEUES.iter().position(|x| *x == q).unwrap_or(QUEUES.len());
    scan.messages.sort_by(|a, b| (order(a.queue), &a.id).cmp(&(order(b.queue), &b.id)));
    scan.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(scan)
}

/// Lists `dir` (a queue or a hash level under it).
fn list(
    spool: &Path,
    dir: &Path,
    queue: &'static str,
    depth: usize,
    out: &mut Vec<Listed>,
    skipped: &mut Vec<Skipped>,
) -> Result<(), SpoolError> {
    let rel = |p: &Path| p.strip_prefix(spool).unwrap_or(p).display().to_string();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        // A queue that does not exist (corrupt, saved are made on demand)
        // or a hash directory removed meanwhile holds nothing.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Err(SpoolError::Permission(dir.display().to_string()))
        }
        Err(e) => return Err(SpoolError::Io(dir.display().to_string(), e)),
    };
    for entry in entries {
        let Ok(entry) = entry else { continue };
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() && depth + 1 < MAX_DEPTH {
            list(spool, &path, queue, depth + 1, out, skipped)?;
        } else if kind.is_file() {
            out.push(Listed { queue, path });
        } else {
            skipped.push(Skipped { path: rel(&path), why: Skip::NotRegular });
        }
    }
    Ok(())
}

#[derive(Default)]
struct Part {
    messages: Vec<Queued>,
    skipped: Vec<Skipped>,
    read: u64,
    vanished: u64,
}

fn read_all(spool: &Path, files: &[Listed], keep: &(dyn Fn(&Queued) -> bool + Sync), tick: &dyn Fn()) -> Part {
    let mut part = Part::default();
    for f in files {
        let rel = f.path.strip_prefix(spool).unwrap_or(&f.path).display().to_string();
        match read_one(f) {
            Ok(Some(q)) => {
                part.read += 1;
                if keep(&q) {
                    part.messages.push(q);
                }
            }
            Ok(None) => part.vanished += 1,
            Err(why) => part.skipped.push(Skipped { path: rel, why }),
        }
        tick();
    }
    part
}

/// One file; `None` when it is gone.
fn read_one(f: &Listed) -> Result<Option<Queued>, Skip> {
    let name = f.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let id = QueueId::parse(name).ok_or(Skip::NotAnId)?;
    let file = match open(&f.path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Skip::Unreadable(e.to_string())),
    };
    let meta = file.metadata().map_err(|e| Skip::Unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(Skip::NotRegular);
    }
    // postdrop and cleanup create files 0600 and make them 0700 when
    // complete; pickup and qmgr leave the others alone, and so do we.
    if matches!(f.queue, "maildrop" | "incoming") && meta.mode() & 0o100 == 0 {
        return Err(Skip::BeingWritten);
    }
    let parsed = message::read(Window::new(&file, meta.len()))?;
    Ok(Some(Queued { queue: f.queue, id, size: meta.len(), owner: meta.uid(), file: parsed, reasons: Vec::new() }))
}

/// Adds each message's defer (or bounce) log: the logs are listed once
/// and read only for the messages kept.
pub fn add_reasons(spool: &Path, messages: &mut [Queued]) -> Result<(), SpoolError> {
    let mut logs: HashMap<String, PathBuf> = HashMap::new();
    for dir in ["bounce", "defer"] {
        let mut listed = Vec::new();
        let mut ignored = Vec::new();
        list(spool, &spool.join(dir), "deferred", 0, &mut listed, &mut ignored)?;
        for l in listed {
            if let Some(name) = l.path.file_name().and_then(|n| n.to_str()).filter(|n| QueueId::parse(n).is_some()) {
                logs.insert(name.to_string(), l.path);
            }
        }
    }
    for m in messages {
        if let Some(path) = logs.get(m.id.as_str()) {
            m.reasons = logs::read(path).unwrap_or_default();
        }
    }
    Ok(())
}
