//! Outputs that appear whole or not at all: every file or folder postsleuth
//! writes is first written under a hidden scratch name next to its target
//! (`.NAME.tmp-PID`), flushed, and renamed into place. A write that fails
//! (a full disk, a quota) removes its scratch; so does Ctrl-C, SIGTERM or
//! SIGHUP once [`remove_scratch_on_signals`] is installed, and a scratch
//! left by a run that was killed outright (SIGKILL, a power cut) is swept
//! by the next run that writes the same target ([`sweep_stale`]).

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Scratch paths not yet published: what a signal must remove.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Set when a command asked to stop on its own at a signal
/// ([`stop_flag`]) instead of being ended by it.
static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// The exit status of a run ended by signal `sig`, as a shell reports it.
pub fn signal_status(sig: i32) -> u8 {
    (128 + sig).clamp(0, 255) as u8
}

/// From now on SIGINT, SIGTERM and SIGHUP remove every unpublished scratch
/// and end the run with status 128 + the signal (130 for Ctrl-C), unless a
/// command took them over with [`stop_flag`]. Without this, the default
/// action would end the run at once and leave the scratch behind.
pub fn remove_scratch_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    // Failing to install leaves the default action: a leftover scratch,
    // swept by the next run. Not worth refusing to run for.
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
    let spawned = std::thread::Builder::new().name("signals".into()).spawn(move || {
        for sig in signals.forever() {
            if let Some(stop) = STOP.get() {
                // The second signal ends the run even while it is stopping.
                if !stop.swap(true, Ordering::SeqCst) {
                    continue;
                }
            }
            remove_pending();
            std::process::exit(i32::from(signal_status(sig)));
        }
    });
    drop(spawned);
}

/// For a command that stops cleanly on its own (saving its state): the
/// first signal sets the returned flag instead of ending the run.
pub fn stop_flag() -> Arc<AtomicBool> {
    STOP.get_or_init(|| Arc::new(AtomicBool::new(false))).clone()
}

fn remove_pending() {
    let pending = PENDING.lock().unwrap_or_else(|p| p.into_inner());
    for path in pending.iter() {
        remove_any(path);
    }
}

fn remove_any(path: &Path) {
    if fs::remove_dir_all(path).is_err() {
        let _ = fs::remove_file(path);
    }
}

/// A hidden file or folder next to its target that becomes the target when
/// published; dropped unpublished, it is removed.
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// The scratch name for `target`: `.NAME.tmp-PID` in the same folder,
    /// so the final rename never crosses file systems.
    fn name_for(target: &Path) -> PathBuf {
        let mut name = OsString::from(".");
        name.push(target.file_name().unwrap_or_else(|| "out".as_ref()));
        name.push(format!(".tmp-{}", std::process::id()));
        target.with_file_name(name)
    }

    fn register(path: PathBuf) -> Scratch {
        PENDING.lock().unwrap_or_else(|p| p.into_inner()).push(path.clone());
        Scratch { path }
    }

    /// An empty scratch folder for `target`.
    pub fn dir(target: &Path) -> io::Result<Scratch> {
        let path = Self::name_for(target);
        remove_any(&path);
        fs::create_dir(&path)?;
        Ok(Self::register(path))
    }

    /// A scratch file for `target`, created empty and open for writing.
    pub fn file(target: &Path) -> io::Result<(Scratch, fs::File)> {
        let path = Self::name_for(target);
        let file = fs::File::create(&path)?;
        Ok((Self::register(path), file))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the scratch to `target` (replacing a file; a folder target
    /// must not exist: see the report's swap).
    pub fn publish(self, target: &Path) -> io::Result<()> {
        self.pause_if_asked();
        fs::rename(&self.path, target)?;
        sync_parent(target);
        self.forget();
        Ok(())
    }

    /// The fault-injection tests' hook: with POSTSLEUTH_TEST_PAUSE_WRITE_MS
    /// set, a written scratch waits that long before it is published, so a
    /// test can interrupt the run exactly mid-write (tests/write_faults.rs).
    pub fn pause_if_asked(&self) {
        let Some(ms) = std::env::var("POSTSLEUTH_TEST_PAUSE_WRITE_MS").ok().and_then(|v| v.parse().ok()) else {
            return;
        };
        eprintln!("postsleuth: test pause before publishing {}", self.path.display());
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }

    /// The scratch was renamed by the caller: nothing left to remove.
    pub fn forget(self) {
        unregister(&self.path);
        std::mem::forget(self);
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        remove_any(&self.path);
        unregister(&self.path);
    }
}

fn unregister(path: &Path) {
    PENDING.lock().unwrap_or_else(|p| p.into_inner()).retain(|p| p != path);
}

/// Writes `bytes` to `path` through a scratch file: readers see the old
/// content or the new, never half of it; on failure the old one stays.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (scratch, mut file) = Scratch::file(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    scratch.publish(path)
}

/// Makes a rename durable; not every file system can, and nothing depends
/// on it beyond a power cut, so failures are ignored.
pub fn sync_parent(path: &Path) {
    sync_dir(path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")));
}

/// Makes the entries of `dir` durable (see [`sync_parent`]).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes the scratches of `target` that runs no longer alive left
/// behind (killed before they could clean up). A process id is only
/// known dead where /proc shows live ones; elsewhere nothing is removed.
pub fn sweep_stale(target: &Path) {
    let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else { return };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    if !Path::new("/proc/self").exists() {
        return;
    }
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".tmp-");
    let Some(prefix) = prefix.to_str().map(str::to_owned) else { return };
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else { continue };
        let dead = pid.parse::<u32>().is_ok_and(|pid| !Path::new("/proc").join(pid.to_string()).exists());
        if dead {
            remove_any(&entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_replaces_whole_and_leaves_no_scratch() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("state.json");
        write(&target, b"one").unwrap();
        write(&target, b"two").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["state.json"]);
        assert!(PENDING.lock().unwrap().iter().all(|p| !p.starts_with(dir.path())));
    }

    #[test]
    fn an_unpublished_scratch_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report");
        let scratch = Scratch::dir(&target).unwrap();
        fs::write(scratch.path().join("a.csv"), "x").unwrap();
        let path = scratch.path().to_path_buf();
        drop(scratch);
        assert!(!path.exists());
        assert!(!target.exists());
    }

    #[test]
    fn sweeps_the_scratch_of_dead_runs_only() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("2026-11-21");
        // No process has pid 4194304 + 1 (above Linux's pid_max limit).
        let dead = dir.path().join(".2026-11-21.tmp-4194305");
        let alive = dir.path().join(format!(".2026-11-21.tmp-{}", std::process::id()));
        let other = dir.path().join(".2026-11-22.tmp-4194305");
        for d in [&dead, &alive, &other] {
            fs::create_dir(d).unwrap();
        }
        sweep_stale(&target);
        assert!(!dead.exists(), "a dead run's scratch survived");
        assert!(alive.exists(), "a live run's scratch was removed");
        assert!(other.exists(), "another target's scratch was removed");
    }
}
