//! A stand-in for `source::follow` (built on another branch) behind the
//! same interface, until it lands: a file read to its end, then polled for
//! appended bytes; a new inode or a shorter file starts a new generation.
//! To be deleted when the real follower is merged.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One complete line (without its newline) of generation `input`, 1-based
/// `line` within it.
pub struct LiveLine {
    pub bytes: Vec<u8>,
    pub input: u32,
    pub line: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FollowError(pub String);

/// What a restart needs to go on after the last line polled.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FollowState {
    path: PathBuf,
    ino: u64,
    offset: u64,
    input: u32,
    line: u64,
}

pub enum Start {
    End,
    Beginning,
    Resume(FollowState),
}

pub trait LiveSource {
    fn poll(&mut self, timeout: Duration, out: &mut Vec<LiveLine>) -> Result<(), FollowError>;
    fn input_name(&self, input: u32) -> String;
    fn checkpoint(&self) -> FollowState;
    fn take_notices(&mut self) -> Vec<String>;
}

pub struct FileFollower {
    path: PathBuf,
    file: Option<File>,
    ino: u64,
    offset: u64,
    input: u32,
    line: u64,
    partial: Vec<u8>,
    notices: Vec<String>,
}

impl FileFollower {
    pub fn open(path: &Path, start: Start) -> Result<FileFollower, FollowError> {
        let err = |e: std::io::Error| FollowError(format!("{}: {e}", path.display()));
        let mut f = FileFollower {
            path: path.to_path_buf(),
            file: None,
            ino: 0,
            offset: 0,
            input: 0,
            line: 0,
            partial: Vec::new(),
            notices: Vec::new(),
        };
        let mut file = File::open(path).map_err(err)?;
        let meta = file.metadata().map_err(err)?;
        f.ino = meta.ino();
        match start {
            Start::Beginning => {}
            Start::End => {
                let mut buf = vec![0u8; 1 << 16];
                loop {
                    let n = file.read(&mut buf).map_err(err)?;
                    if n == 0 {
                        break;
                    }
                    f.line += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
                    f.offset += n as u64;
                }
                // A last line without its newline is read when it ends.
                let mut tail = Vec::new();
                let back = f.offset.min(1 << 16);
                file.seek(SeekFrom::Start(f.offset - back)).map_err(err)?;
                file.read_to_end(&mut tail).map_err(err)?;
                let cut = memchr::memrchr(b'\n', &tail).map_or(0, |i| i + 1);
                f.offset -= (tail.len() - cut) as u64;
                file.seek(SeekFrom::Start(f.offset)).map_err(err)?;
            }
            Start::Resume(s) => {
                if s.ino == f.ino && meta.len() >= s.offset {
                    f.offset = s.offset;
                    f.line = s.line;
                    f.input = s.input;
                    file.seek(SeekFrom::Start(f.offset)).map_err(err)?;
                } else {
                    f.input = s.input + 1;
                    f.notices.push(format!("{}: not the file of the saved state: read from its start", path.display()));
                }
            }
        }
        f.file = Some(file);
        Ok(f)
    }

    fn read_more(&mut self, out: &mut Vec<LiveLine>) -> std::io::Result<bool> {
        let Some(file) = self.file.as_mut() else { return Ok(false) };
        let mut buf = vec![0u8; 1 << 16];
        let mut any = false;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            self.offset += n as u64;
            let mut rest = &buf[..n];
            while let Some(i) = memchr::memchr(b'\n', rest) {
                self.partial.extend_from_slice(&rest[..i]);
                self.line += 1;
                out.push(LiveLine { bytes: std::mem::take(&mut self.partial), input: self.input, line: self.line });
                rest = &rest[i + 1..];
                any = true;
            }
            self.partial.extend_from_slice(rest);
            if out.len() > 65_536 {
                break;
            }
        }
        Ok(any)
    }

    /// A rotation or truncation: the file by the name is another one.
    fn check_rotation(&mut self) -> std::io::Result<()> {
        let Ok(meta) = std::fs::metadata(&self.path) else { return Ok(()) };
        let shorter = meta.ino() == self.ino && meta.len() < self.offset;
        if meta.ino() != self.ino || shorter {
            self.file = Some(File::open(&self.path)?);
            self.ino = meta.ino();
            self.offset = 0;
            self.line = 0;
            self.input += 1;
            self.partial.clear();
            self.notices.push(format!("{}: a new file (rotated or truncated)", self.path.display()));
        }
        Ok(())
    }
}

impl LiveSource for FileFollower {
    fn poll(&mut self, timeout: Duration, out: &mut Vec<LiveLine>) -> Result<(), FollowError> {
        let path = self.path.display().to_string();
        let err = |e: std::io::Error| FollowError(format!("{path}: {e}"));
        let until = Instant::now() + timeout;
        loop {
            let got = self.read_more(out).map_err(err)?;
            if got {
                return Ok(());
            }
            self.check_rotation().map_err(err)?;
            if self.read_more(out).map_err(err)? {
                return Ok(());
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(Duration::from_millis(10)));
        }
    }

    fn input_name(&self, input: u32) -> String {
        if input == self.input {
            self.path.display().to_string()
        } else {
            format!("{} (generation {input})", self.path.display())
        }
    }

    fn checkpoint(&self) -> FollowState {
        let unread = self.partial.len() as u64;
        FollowState {
            path: self.path.clone(),
            ino: self.ino,
            offset: self.offset - unread,
            input: self.input,
            line: self.line,
        }
    }

    fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}
