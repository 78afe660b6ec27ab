//! Following a log live: a file through every logrotate style, or the
//! systemd journal through `journalctl --follow`. The consumer (`watch`)
//! polls a [`LiveSource`] for complete lines, asks it for a
//! [`FollowState`] to keep across restarts, and drains its notices.
//!
//! A file is followed by name, with the file it has open told apart by
//! device and inode ([`file`]): a rename (logrotate's `create`, `postfix
//! logrotate`) or a delete and recreate is a new file under the name, read
//! once the old one is read to its end through the descriptor kept open
//! (renamed, compressed and deleted, it still reads); a file that shrinks
//! under the position read (`copytruncate`) starts again at 0. Each file
//! read is a generation with its own line numbers, so that `file:line`
//! evidence stays exact. The state names the generation by its identity
//! and a fingerprint of its first bytes ([`state`]), so that a restart
//! after rotations finds it among the rotated siblings ([`siblings`]),
//! compressed or not, and reads the rest of it, and the files rotated
//! since, before the current file: nothing lost, nothing twice.
//!
//! Lines are cut as the batch reader cuts them ([`cut`]): without `\n` or
//! `\r\n`, bytes as they are (invalid UTF-8 too); a line longer than
//! [`MAX_LINE`] is skipped, its number counted, and said.

mod cut;
mod file;
mod journal;
mod siblings;
mod state;

pub use file::FileFollower;
pub use journal::JournalFollower;
pub use state::{FileState, Fingerprint, FollowState, GenState, JournalState};

pub use super::framing::MAX_LINE;
use std::time::Duration;

/// One complete line read live, without its trailing `\n` (nor a `\r`
/// before it). A last line with no `\n` yet is not returned until it is
/// complete, or until its file is rotated away: then it is returned as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveLine {
    pub bytes: Vec<u8>,
    /// The generation the line came from: the file as first opened is 0,
    /// the next file under the name (after a rotation or a truncation) 1,
    /// and so on; name it with [`LiveSource::input_name`]. The journal is
    /// input 0.
    pub input: u32,
    /// 1-based line number within that generation (resumed from a state,
    /// numbering goes on where it was).
    pub line: u64,
}

/// A live source of lines.
pub trait LiveSource {
    /// Waits at most `timeout` for new lines and appends the complete ones
    /// to `out` (it may return with none, and returns as soon as it has
    /// some). Errors only for what cannot continue (the path unreadable at
    /// start, journalctl failing before it gave anything); transient
    /// problems become notices.
    fn poll(&mut self, timeout: Duration, out: &mut Vec<LiveLine>) -> Result<(), FollowError>;

    /// The display name of an input index: `/var/log/mail.log`, or
    /// `/var/log/mail.log.1` for a generation renamed away since (found
    /// again by its inode or its fingerprint, best effort), or
    /// `<journal>`.
    fn input_name(&self, input: u32) -> String;

    /// Everything a restart needs to continue exactly after the last line
    /// returned by [`poll`](LiveSource::poll) (serde, stable JSON).
    fn checkpoint(&self) -> FollowState;

    /// What the user should hear of (a rotation, a truncation, a file
    /// missing or unreadable for a while, a line too long, journalctl's
    /// words), each naming the file, escaped for a terminal; drained.
    fn take_notices(&mut self) -> Vec<String>;
}

/// Where following starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// After the last complete line there is now (the journal: `-n 0`).
    End,
    /// From the file's first byte (the journal: from the query's `since`,
    /// else its oldest entry).
    Beginning,
    /// A file's rotated siblings first, oldest first, compressed ones too
    /// (`mail.log.2.gz`, `mail.log.1`: the set the batch commands read),
    /// each a generation of its own, then the file from its first byte:
    /// history to catch up on. The journal takes it as [`Start::Beginning`].
    WithRotations,
    /// Exactly after the last line a checkpoint covered.
    Resume(FollowState),
}

/// What stops following.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FollowError {
    /// The file cannot be followed (not readable, not a regular file).
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// The state given to resume from is not this source's.
    #[error("the state to resume from {0}")]
    State(String),
    /// journalctl cannot be run, or failed before giving anything.
    #[error("{0}")]
    Journal(String),
}

/// How long a follower sleeps between looks at its input when idle: short
/// enough that a line is seen well within a second, long enough to cost
/// nothing.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(200);

/// Bytes of text a poll hands over at most before it returns, so that a
/// catch-up on gigabytes comes in pieces the consumer can keep up with.
const BUDGET: usize = 8 << 20;
