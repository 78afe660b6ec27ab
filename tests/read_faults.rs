//! Faults while a log is being read: truncated, renamed (rotated), deleted
//! or appended to under the reader. Each run has a time limit (a reader
//! that follows a growing file, or waits, fails the test instead of
//! hanging it); each says what happened to which file, and the exit code
//! is the documented one (0: all read; 3: partial, the file named).
//!
//! The fault is made once the binary has read the first megabytes of a
//! log of about sixty (its position in `/proc/PID/fdinfo`), while it is
//! still reading; a run that finished reading first is tried again.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(60);

/// `n` connect/disconnect pairs (one session each), a second apart.
fn write_log(path: &Path, n: u64) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create log"));
    for i in 0..n {
        let t = chrono::DateTime::from_timestamp(1_795_132_800 + i as i64, 0).expect("time");
        let t = t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00");
        let ip = format!("192.0.2.{}", i % 250 + 1);
        writeln!(out, "{t} mx1 postfix/smtpd[{}]: connect from unknown[{ip}]", 1000 + i % 5000).expect("write");
        writeln!(
            out,
            "{t} mx1 postfix/smtpd[{}]: disconnect from unknown[{ip}] ehlo=1 quit=1 commands=2",
            1000 + i % 5000
        )
        .expect("write");
    }
    out.flush().expect("flush");
}

fn spawn(args: &[&str]) -> Child {
    Command::new(support::bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn postsleuth")
}

/// Waits until `child` has read at least `at` bytes of `path` through one
/// descriptor (its position in `/proc/PID/fdinfo`: the look at the file's
/// first lines before it is read is not the read); false when it ended
/// first.
fn reading(child: &mut Child, path: &Path, at: u64) -> bool {
    let proc = PathBuf::from(format!("/proc/{}", child.id()));
    let start = Instant::now();
    while start.elapsed() < LIMIT {
        if let Ok(entries) = std::fs::read_dir(proc.join("fd")) {
            for e in entries.flatten() {
                if std::fs::read_link(e.path()).is_ok_and(|l| l == path) {
                    let info = std::fs::read_to_string(proc.join("fdinfo").join(e.file_name())).unwrap_or_default();
                    let pos = info.lines().find_map(|l| l.strip_prefix("pos:")).and_then(|p| p.trim().parse().ok());
                    if pos.is_some_and(|p: u64| p >= at) {
                        return true;
                    }
                }
            }
        }
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    false
}

/// The child's output, or a failed test when it outlives [`LIMIT`].
fn finish(mut child: Child, what: &str) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("{what}: postsleuth still running after {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().expect("output")
}

fn args(log: &Path) -> Vec<String> {
    ["summary", "--exact", "--tz", "UTC", "--format", "json", log.to_str().expect("UTF-8 path")]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Runs `summary` on `log`, doing `fault` once the file is open; up to
/// three tries until the fault came while the file was being read
/// (`landed` says so from the output).
fn with_fault(log: &Path, fault: impl Fn(&Path), landed: impl Fn(&Output) -> bool) -> Output {
    let mut last = None;
    for _ in 0..3 {
        write_log(log, 300_000);
        let a = args(log);
        let mut child = spawn(&a.iter().map(String::as_str).collect::<Vec<_>>());
        // Past the first two megabytes of about sixty.
        if reading(&mut child, log, 2 << 20) {
            fault(log);
        }
        let o = finish(child, "fault");
        support::assert_no_panic(&o);
        if landed(&o) {
            return o;
        }
        last = Some(o);
    }
    last.expect("a run")
}

/// The lines read of the one file.
fn lines(o: &Output) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", support::stdout(o), support::stderr(o)));
    v.pointer("/files/0/lines").and_then(|n| n.as_u64()).unwrap_or_else(|| panic!("no line count in {v:#}"))
}

/// Truncated while read (`> mail.log`, copytruncate): the lines read are
/// analysed, the file is named as cut short, exit 3.
#[test]
fn truncated_while_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("mail.log");
    let truncate = |p: &Path| {
        std::fs::OpenOptions::new().write(true).open(p).expect("open").set_len(1 << 20).expect("truncate");
    };
    let o = with_fault(&log, truncate, |o| o.status.code() == Some(3));
    let err = support::stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("mail.log") && err.contains("shrank"), "{err}");
    assert!(lines(&o) > 0 && lines(&o) < 600_000, "{err}");
}

/// Renamed (rotated) or deleted while read: the open file is read to its
/// end, every line of it analysed, exit 0.
#[test]
fn rotated_or_deleted_while_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("mail.log");
    for (what, fault) in [
        (
            "renamed",
            Box::new(|p: &Path| std::fs::rename(p, p.with_extension("log.1")).expect("rename")) as Box<dyn Fn(&Path)>,
        ),
        ("deleted", Box::new(|p: &Path| std::fs::remove_file(p).expect("remove"))),
    ] {
        let o = with_fault(&log, fault, |_| true);
        assert_eq!(o.status.code(), Some(0), "{what}: {}", support::stderr(&o));
        assert_eq!(lines(&o), 600_000, "{what}");
        let _ = std::fs::remove_file(log.with_extension("log.1"));
    }
}

/// Appended to while read, faster than a reader that followed it could
/// keep up with for long: read to the end it has, exit 0, no hang.
#[test]
fn appended_while_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("mail.log");
    write_log(&log, 300_000);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (log, stop) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().append(true).open(&log).expect("open");
            let line = b"2026-11-25T00:00:00.000000+00:00 mx1 postfix/smtpd[9]: connect from unknown[192.0.2.9]\n";
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for _ in 0..1000 {
                    f.write_all(line).expect("append");
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let a = args(&log);
    let o = finish(spawn(&a.iter().map(String::as_str).collect::<Vec<_>>()), "appended");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().expect("writer");
    assert_eq!(o.status.code(), Some(0), "{}", support::stderr(&o));
    assert!(lines(&o) >= 600_000);
}

/// Runs the binary without the capabilities that let root read anything
/// (so that mode 000 means unreadable, as for the admin's own account);
/// None where `setpriv` cannot do that (not root, no util-linux).
fn run_unprivileged(args: &[&std::ffi::OsStr]) -> Option<Output> {
    let out = Command::new("setpriv")
        .args(["--bounding-set=-dac_override,-dac_read_search", "--"])
        .arg(env!("CARGO_BIN_EXE_postsleuth"))
        .args(args)
        .output()
        .ok()?;
    let unable = String::from_utf8_lossy(&out.stderr).starts_with("setpriv:");
    (!unable).then_some(out)
}

#[test]
fn unreadable_members_of_a_rotated_set_are_named_and_the_rest_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("mail.log");
    write_log(&log, 3);
    std::fs::copy(&log, dir.path().join("mail.log.1")).expect("copy");
    let old = dir.path().join("old");
    std::fs::create_dir(&old).expect("mkdir");
    std::fs::copy(&log, old.join("mail.log")).expect("copy");
    let deny = |p: &Path, mode| std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    deny(&dir.path().join("mail.log.1"), 0o000);
    deny(&old, 0o000);
    let args = ["summary".as_ref(), "--format".as_ref(), "json".as_ref(), log.as_os_str(), old.as_os_str()];
    let out = run_unprivileged(&args);
    deny(&old, 0o755);
    let Some(out) = out else {
        eprintln!("skipped: setpriv cannot drop root's read-anything capabilities here");
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("mail.log.1: cannot open: permission denied"), "{stderr}");
    assert!(stderr.contains("old: cannot list the folder: permission denied"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    let files = json["files"].as_array().expect("files");
    let read: Vec<_> = files.iter().map(|f| (f["file"].as_str().unwrap_or_default(), f["lines"].as_u64())).collect();
    assert!(read.iter().any(|(f, n)| f.ends_with("/mail.log") && *n == Some(6)), "{read:?}");
}
