//! `watch --state FILE`: what a restart needs to go on as if it had not
//! stopped: where the follower was (the next line to read), the lines of
//! the window (so that baselines and the correlation are back at once),
//! and the alerts sent (so that none is sent twice).
//!
//! One file, written whole to a temporary file beside it and renamed over
//! it: a crash leaves the old state or the new one, never half of one. Its
//! first line names the format, its second is a JSON header, and the
//! window's compressed lines follow as bytes.

use super::alert::Memory;
use super::follow::FollowState;
use super::retain::{Retained, Stored};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

const MAGIC: &str = "postsleuth watch state 1";

/// The state file's header.
#[derive(Serialize, Deserialize)]
pub struct Header {
    /// What was followed, as named on the command line.
    pub source: String,
    pub follow: FollowState,
    pub memory: Memory,
    /// The correlation's inputs, by number.
    pub inputs: Vec<String>,
    /// The follower's inputs → the correlation's.
    pub live: BTreeMap<u32, u32>,
    pub retained: Stored,
    /// When it was written (wall clock).
    pub written: String,
}

/// A state file read back.
pub struct Loaded {
    pub source: String,
    pub follow: FollowState,
    pub memory: Memory,
    pub inputs: Vec<String>,
    pub live: BTreeMap<u32, u32>,
    pub retained: Retained,
}

/// What [`write`] saves.
pub struct Saving<'a> {
    pub source: &'a str,
    pub follow: FollowState,
    pub memory: &'a Memory,
    pub inputs: Vec<String>,
    pub live: &'a BTreeMap<u32, u32>,
    pub retained: &'a mut Retained,
}

/// Writes the state to `path`, atomically.
pub fn write(path: &Path, s: Saving) -> std::io::Result<()> {
    let (stored, blocks) = s.retained.to_store();
    let header = Header {
        source: s.source.to_string(),
        follow: s.follow,
        memory: s.memory.clone(),
        inputs: s.inputs,
        live: s.live.clone(),
        retained: stored,
        written: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let json = serde_json::to_string(&header).map_err(std::io::Error::other)?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "state".into());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&temp)?);
        writeln!(f, "{MAGIC}")?;
        writeln!(f, "{json}")?;
        for b in blocks {
            f.write_all(b)?;
        }
        let f = f.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Reads the state at `path`; `None` when there is none yet.
pub fn read(path: &Path) -> Result<Option<Loaded>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let bad = |why: &str| format!("{}: not a postsleuth watch state file ({why})", path.display());
    let mut parts = bytes.splitn(3, |&b| b == b'\n');
    if parts.next() != Some(MAGIC.as_bytes()) {
        return Err(bad("its first line"));
    }
    let header: Header = serde_json::from_slice(parts.next().unwrap_or_default()).map_err(|e| bad(&e.to_string()))?;
    let retained = Retained::from_store(header.retained, parts.next().unwrap_or_default()).map_err(|e| bad(&e))?;
    Ok(Some(Loaded {
        source: header.source,
        follow: header.follow,
        memory: header.memory,
        inputs: header.inputs,
        live: header.live,
        retained,
    }))
}
