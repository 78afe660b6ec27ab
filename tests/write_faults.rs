//! Faults while writing: a full disk, an `--out` that cannot be written, a
//! signal mid-write, a run killed outright. In every case no partial report
//! or file is left under its final name nor as a hidden scratch, the message
//! names what failed, and the exit code is the documented one (1 for an
//! output that could not be written, 128 + the signal for a signal).
//!
//! The full disk is a small tmpfs: mounting one needs root; elsewhere those
//! tests say so and pass (CI runs as root). A signal "mid-write" is sent
//! while the run waits, written but unpublished, at the pause the
//! POSTSLEUTH_TEST_PAUSE_WRITE_MS hook makes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_postsleuth"))
}

fn sample_logs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
}

/// The day's report of sample-logs/ into `out`.
fn report_command(out: &Path) -> Command {
    let mut cmd = bin();
    cmd.args(["report", "--period", "day", "--since", "2026-11-21", "--tz", "UTC", "--out"])
        .arg(out)
        .arg(sample_logs());
    cmd
}

fn report_into(out: &Path) -> Output {
    report_command(out).output().expect("run postsleuth")
}

/// Everything under `dir`, hidden names included, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// A tmpfs of `kib` KiB (read-only with `ro`), unmounted when dropped; None
/// where mounting is not allowed.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(kib: u32, ro: bool) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let opts = format!("size={kib}k{}", if ro { ",ro" } else { "" });
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &opts, "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_leaves_no_partial_report() {
    // Room for the folder and the first files, not for the whole report.
    let Some(fs) = Tmpfs::mount(24, false) else { return };
    let out = report_into(fs.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains(&fs.path().display().to_string()), "the message names no path: {stderr}");
    assert_eq!(entries(fs.path()), Vec::<String>::new(), "something was left on the full disk");
}

#[test]
fn a_full_disk_keeps_the_previous_report() {
    let Some(fs) = Tmpfs::mount(2048, false) else { return };
    assert_eq!(report_into(fs.path()).status.code(), Some(0));
    let before = std::fs::read(fs.path().join("2026-11-21/report.md")).expect("first report");
    // Fill the disk, then re-run: the old report must survive whole.
    let filler = fs.path().join("filler");
    let _ = std::fs::write(&filler, vec![b'x'; 4 << 20]);
    let out = report_into(fs.path());
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(fs.path().join("2026-11-21/report.md")).expect("old report"), before);
    assert_eq!(entries(fs.path()), ["2026-11-21", "filler"]);
}

#[test]
fn a_read_only_out_is_an_error_naming_it() {
    let Some(fs) = Tmpfs::mount(64, true) else { return };
    let out = report_into(&fs.path().join("reports"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Read-only file system") && stderr.contains("reports"), "{stderr}");
}

#[test]
fn an_out_under_a_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").expect("write");
    let out = report_into(&file.join("reports"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not-a-folder/reports: cannot create the report directory"), "{stderr}");
    assert_eq!(entries(dir.path()), ["not-a-folder"]);
}

#[test]
fn a_full_standard_output_is_an_error() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else { return };
    let out = bin()
        .args(["top", "--by", "ip", "--limit", "5000", "--format", "csv"])
        .arg(sample_logs())
        .stdout(full)
        .output()
        .expect("run postsleuth");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

#[test]
fn a_full_disk_fails_simulate_cleanly() {
    let Some(fs) = Tmpfs::mount(256, false) else { return };
    let out = bin()
        .args(["simulate", "--days", "2", "--seed", "1", "--out"])
        .arg(fs.path())
        .output()
        .expect("run postsleuth");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    let left: Vec<String> = entries(fs.path()).into_iter().filter(|n| n.starts_with('.')).collect();
    assert_eq!(left, Vec::<String>::new(), "scratch files were left");
}

/// Starts a report that pauses, written but unpublished; returns the child
/// once it says so.
fn paused_report(out: &Path) -> std::process::Child {
    let mut child = report_command(out)
        .env("POSTSLEUTH_TEST_PAUSE_WRITE_MS", "20000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run postsleuth");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let paused = lines.any(|l| l.is_ok_and(|l| l.contains("test pause before publishing")));
    assert!(paused, "the run never reached its pause");
    child
}

fn signal(child: &std::process::Child, sig: &str) {
    let ok = Command::new("kill").args(["-s", sig, &child.id().to_string()]).status().expect("kill");
    assert!(ok.success());
}

fn signalled_report_leaves_nothing(sig: &str, code: i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = paused_report(dir.path());
    let scratch = entries(dir.path());
    assert!(scratch.len() == 1 && scratch[0].starts_with(".2026-11-21.tmp-"), "{scratch:?}");
    signal(&child, sig);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(code), "SIG{sig}");
    assert_eq!(entries(dir.path()), Vec::<String>::new(), "SIG{sig} left a scratch");
}

#[test]
fn ctrl_c_mid_write_leaves_nothing() {
    signalled_report_leaves_nothing("INT", 130);
}

#[test]
fn sigterm_mid_write_leaves_nothing() {
    signalled_report_leaves_nothing("TERM", 143);
}

#[test]
fn the_scratch_of_a_killed_run_is_swept_by_the_next() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = paused_report(dir.path());
    signal(&child, "KILL");
    let _ = child.wait();
    // The pid of a killed child can come back only after many forks; wait
    // a moment for /proc to forget it.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(entries(dir.path()).len(), 1, "SIGKILL cannot clean up: the scratch stays until the next run");
    assert_eq!(report_into(dir.path()).status.code(), Some(0));
    assert_eq!(entries(dir.path()), ["2026-11-21"]);
}
