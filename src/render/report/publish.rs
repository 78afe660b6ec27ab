//! Writing a report folder so that nobody ever sees half of one: the files
//! go into a hidden temporary folder next to the target, are flushed to
//! disk, and the folder is renamed into place. A re-run replaces the old
//! folder whole (it is moved aside, the new one renamed in, the old one
//! removed), so stale files from an earlier run cannot linger either. An
//! interrupted or failed run leaves no temporary folder ([`crate::atomic`]).

use super::OutFile;
use crate::atomic::{self, Scratch};
use anyhow::Context;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `files` as `out/label/`, atomically; returns that path.
/// `label` must be a plain name (the period's label, never a log string).
pub fn publish(out: &Path, label: &str, files: &[OutFile]) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(is_plain_name(label), "bad report name {label:?}");
    fs::create_dir_all(out).with_context(|| format!("{}: cannot create the report directory", out.display()))?;
    let target = out.join(label);
    atomic::sweep_stale(&target);
    let scratch = Scratch::dir(&target).with_context(|| format!("{}: cannot create a folder", out.display()))?;
    for f in files {
        write_synced(&scratch.path().join(&f.name), &f.bytes)?;
    }
    atomic::sync_dir(scratch.path());
    scratch.pause_if_asked();
    swap_in(scratch.path(), &target, &out.join(format!(".{label}.old-{}", std::process::id())))?;
    scratch.forget();
    atomic::sync_parent(&target);
    Ok(target)
}

/// The period labels postsleuth makes: letters, digits, `-`, `_`.
fn is_plain_name(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('.') && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn write_synced(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(path)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    write().with_context(|| format!("{}: cannot write", path.display()))
}

/// Renames `new` to `target`, moving an existing `target` aside first and
/// removing it afterwards (or putting it back if the rename fails).
fn swap_in(new: &Path, target: &Path, aside: &Path) -> anyhow::Result<()> {
    let existed = match fs::rename(target, aside) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e).with_context(|| format!("{}: cannot replace", target.display())),
    };
    if let Err(e) = fs::rename(new, target) {
        if existed {
            let _ = fs::rename(aside, target);
        }
        return Err(e).with_context(|| format!("{}: cannot write", target.display()));
    }
    if existed {
        let _ = fs::remove_dir_all(aside);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> OutFile {
        OutFile { name: name.into(), bytes: text.as_bytes().to_vec() }
    }

    #[test]
    fn replaces_a_report_whole_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = publish(dir.path(), "2026-11-22", &[file("a.csv", "1"), file("old.csv", "x")]).unwrap();
        publish(dir.path(), "2026-11-22", &[file("a.csv", "2")]).unwrap();
        assert_eq!(fs::read_to_string(target.join("a.csv")).unwrap(), "2");
        assert!(!target.join("old.csv").exists(), "a stale file survived the re-run");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["2026-11-22"]);
    }

    #[test]
    fn refuses_names_that_are_paths() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", "..", "../x", "a/b", ".hidden"] {
            assert!(publish(dir.path(), bad, &[]).is_err(), "{bad:?}");
        }
    }
}
