//! What the file-reading targets share: a scratch directory of this
//! process's own.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `$TMPDIR/postsleuth-fuzz-PID-NAME`, made once: each input overwrites
/// the files it names (a directory made and removed per input would cost
/// more than most inputs take to read).
pub fn scratch(name: &str) -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("postsleuth-fuzz-{}-{name}", std::process::id()));
        // A failure here is the machine's, not the input's: say so loudly.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("cannot create the scratch directory");
        dir
    })
}

/// Options for a deterministic ingest: the year and zone given, so that
/// neither the files' mtimes nor the machine's zone decide the outcome.
#[allow(dead_code)] // not every target ingests
pub fn options(paths: Vec<PathBuf>, exact: bool) -> postsleuth::ingest::IngestOptions {
    postsleuth::ingest::IngestOptions {
        paths,
        exact,
        year: Some(2026),
        log_zone: postsleuth::time::Zone::parse("UTC").expect("UTC is a zone"),
        keep_lines: true,
        verbose: false,
        ..Default::default()
    }
}
