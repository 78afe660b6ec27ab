//! `--journal`: postsleuth runs journalctl itself and reads its output. The
//! tests put a stand-in `journalctl` first on PATH (a script that writes
//! down its arguments, then gives the JSON fixtures the real journalctl
//! wrote, see `tests/fixtures/journal/make.py`); one test runs the real
//! journalctl on a journal file systemd-journal-remote makes, when both are
//! installed.

mod common;

use common::{fixture, path_str};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const SYSLOG: [&str; 3] = ["real_incident/mail.log.2.gz", "real_incident/mail.log.1", "real_incident/mail.log"];
const JOURNAL: [&str; 3] = ["journal/mail.log.2.json", "journal/mail.log.1.json", "journal/mail.log.json"];

/// A directory holding a stand-in `journalctl`: it writes its arguments,
/// one a line, to `args` beside it, then `out` on stdout and `err` on
/// stderr, and exits with `code`.
struct Fake {
    dir: tempfile::TempDir,
}

impl Fake {
    fn new(out: &[u8], err: &str, code: i32) -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        std::fs::write(dir.path().join("out"), out).unwrap();
        std::fs::write(dir.path().join("err"), err).unwrap();
        let script = format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{d}/args'\n\
             /bin/cat '{d}/out'\n/bin/cat '{d}/err' >&2\nexit {code}\n"
        );
        write_script(&dir.path().join("journalctl"), &script);
        Fake { dir }
    }

    /// The stand-in for the journal of the whole incident.
    fn incident() -> Fake {
        Fake::new(&concat(&JOURNAL), "", 0)
    }

    fn args(&self) -> Vec<String> {
        let args = std::fs::read_to_string(self.dir.path().join("args")).unwrap_or_default();
        args.lines().map(str::to_string).collect()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn write_script(path: &Path, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, script).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn concat(names: &[&str]) -> Vec<u8> {
    names.iter().flat_map(|n| std::fs::read(fixture(n)).unwrap()).collect()
}

/// Runs postsleuth with `PATH` set to `path` only: exit code, stdout, stderr.
fn run(path: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(args)
        .args(["--format", "json", "--tz", "UTC", "--log-tz", "UTC", "--year", "2026", "--exact"])
        .env("PATH", path)
        .output()
        .expect("run postsleuth");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8");
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

fn json(path: &Path, args: &[&str]) -> Value {
    let (code, out, err) = run(path, args);
    assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
    serde_json::from_str(&out).expect("JSON")
}

fn with_syslog<'a>(args: &[&'a str], files: &'a [String]) -> Vec<&'a str> {
    args.iter().copied().chain(files.iter().map(String::as_str)).collect()
}

fn syslog_files() -> Vec<String> {
    SYSLOG.iter().map(|f| path_str(&fixture(f))).collect()
}

const BARE: [&str; 4] = ["-o", "json", "--no-pager", "SYSLOG_FACILITY=2"];

/// The journal through journalctl gives the figures and the suspect of
/// the syslog files of the same run; journalctl is asked for the mail
/// facility as JSON, and evidence names the journal entry by its cursor.
#[test]
fn the_journal_through_journalctl_gives_the_syslog_runs_figures() {
    let fake = Fake::incident();
    let files = syslog_files();
    let syslog = json(fake.path(), &with_syslog(&["summary"], &files));
    let journal = json(fake.path(), &["summary", "--journal"]);
    assert_eq!(fake.args(), BARE);
    assert_eq!(journal["files"][0]["file"], "<journal>");
    assert_eq!(journal["files"][0]["lines"], 87 + 285 + 709);
    assert_eq!(journal["totals"], syslog["totals"]);
    assert_eq!(journal["totals"]["received"], 83);

    let want = &json(fake.path(), &with_syslog(&["suspects"], &files))["suspects"][0];
    let got = &json(fake.path(), &["suspects", "--journal"])["suspects"][0];
    assert_eq!((&got["suspect"], &got["compromised_at"]), (&want["suspect"], &want["compromised_at"]));
    let entries: Vec<Value> =
        String::from_utf8(concat(&JOURNAL)).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let evidence = got["evidence"].as_array().unwrap();
    let login = evidence.iter().find(|e| e["line"] == got["login"]["line"]).expect("the login quoted");
    assert_eq!((&login["file"], &got["login"]["file"]), (&"<journal>".into(), &"<journal>".into()), "{got:#}");
    let entry = &entries[login["line"].as_u64().unwrap() as usize - 1];
    assert_eq!(login["cursor"], entry["__CURSOR"]);
    let text = login["text"].as_str().unwrap();
    assert!(text.starts_with("2026-12-04T19:04:08.000000+00:00 mx1 postfix/submission/smtpd["), "{text}");
    assert!(text.ends_with(entry["MESSAGE"].as_str().unwrap()), "{text}");
}

/// `--since` and `--until`, read in the display zone, reach journalctl as
/// absolute UTC times; postsleuth still cuts to the window itself.
#[test]
fn the_window_reaches_journalctl_in_utc() {
    let fake = Fake::incident();
    let window = ["--since", "2026-12-04 20:03", "--until", "2026-12-04T19:05:00.5Z"];
    fn cmd<'a>(window: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
        [&["summary"][..], window, args].concat()
    }
    let zone = ["--tz", "Europe/Berlin"];
    let run_in = |args: Vec<&str>| {
        let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
            .args(&args)
            .args(zone)
            .args(["--format", "json", "--log-tz", "UTC", "--year", "2026", "--exact", "--quiet"])
            .env("PATH", fake.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let journal = run_in(cmd(&window, &["--journal"]));
    let since_until = ["--since", "2026-12-04 19:03:00 UTC", "--until", "2026-12-04 19:05:00.500000 UTC"];
    assert_eq!(fake.args(), [&BARE[..3], &since_until, &BARE[3..]].concat());
    let files = syslog_files();
    let syslog = run_in(cmd(&window, &files.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(journal["totals"], syslog["totals"]);
    assert!(journal["totals"]["received"].as_u64() < Some(83), "{journal:#}");
    // A journal directory or file of one's own: journalctl's --directory, --file.
    run_in(cmd(&window, &["--journal-dir", "/srv/journal/remote"]));
    assert_eq!(fake.args()[3..5], ["--directory", "/srv/journal/remote"]);
    run_in(cmd(&window, &["--journal-file", "/srv/x.journal"]));
    assert_eq!(fake.args()[3..5], ["--file", "/srv/x.journal"]);
}

/// The journal and files in one run: the run's figures, once each.
#[test]
fn the_journal_and_files_in_one_run() {
    let fake = Fake::new(&concat(&JOURNAL[1..]), "", 0);
    let first = path_str(&fixture(SYSLOG[0]));
    let v = json(fake.path(), &["summary", "--journal", &first]);
    let files: Vec<&str> = v["files"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(files, [first.as_str(), "<journal>"]);
    assert_eq!(v["totals"], json(fake.path(), &with_syslog(&["summary"], &syslog_files()))["totals"]);
}

/// No journalctl: said, and nothing to read (exit 1); beside a file, the
/// file's figures, partial (exit 3).
#[test]
fn no_journalctl_is_said_plainly() {
    let empty = tempfile::tempdir().unwrap();
    let (code, out, err) = run(empty.path(), &["summary", "--journal"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "postsleuth: <journal>: journalctl not found: the journal is read through journalctl \
         (Debian's systemd package); name the log files instead\n\
         postsleuth: nothing to read: the input above could not be read\n"
    );
    let first = path_str(&fixture(SYSLOG[0]));
    let (code, out, _) = run(empty.path(), &["summary", "--journal", &first]);
    assert_eq!(code, 3);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["files"][0]["lines"], 87);
}

/// journalctl failing (a user who may not read the system journal) is
/// said in its own words, with what to do; nothing to read (exit 1).
#[test]
fn journalctl_failing_is_said_in_its_words() {
    let fake = Fake::new(b"", "No journal files were opened due to insufficient permissions.\n", 1);
    let (code, _, err) = run(fake.path(), &["summary", "--journal"]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "postsleuth: <journal>: journalctl failed (exit status 1): No journal files were opened due to \
         insufficient permissions. (the system journal needs root, or a user in group systemd-journal or adm)\n\
         postsleuth: nothing to read: the input above could not be read\n"
    );
}

/// journalctl's hint that only the user's own entries are shown (it exits
/// 0) is passed on, in one line, with what to do.
#[test]
fn journalctl_hints_are_passed_on() {
    let hint = "Hint: You are currently not seeing messages from other users and the system.\n      \
                Users in groups 'adm', 'systemd-journal' can see all messages.\n      \
                Pass -q to turn off this notice.\n";
    let fake = Fake::new(&concat(&JOURNAL), hint, 0);
    let (code, out, err) = run(fake.path(), &["summary", "--journal"]);
    assert_eq!(code, 0);
    assert_eq!(
        err,
        "postsleuth: <journal>: journalctl: Hint: You are currently not seeing messages from other users and \
         the system. Users in groups 'adm', 'systemd-journal' can see all messages. Pass -q to turn off this \
         notice. (the system journal needs root, or a user in group systemd-journal or adm)\n"
    );
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["totals"]["received"], 83);
}

/// The real journalctl, on a journal file systemd-journal-remote writes:
/// it takes the window as postsleuth passes it (UTC, with a fraction), so
/// that only the entries in it are read.
#[test]
fn the_real_journalctl_takes_the_window() {
    let remote = PathBuf::from("/lib/systemd/systemd-journal-remote");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path).any(|d| d.join("journalctl").is_file());
    if !found || !remote.is_file() {
        eprintln!("skipped: needs journalctl and systemd-journal-remote (Debian's systemd, systemd-journal-remote)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mail.journal");
    // Three connections, a minute apart; the window holds the second only.
    let mut export = String::new();
    for (i, minute) in [1, 2, 3].iter().enumerate() {
        let us = (1_796_410_800 + minute * 60) * 1_000_000i64;
        export.push_str(&format!(
            "__REALTIME_TIMESTAMP={us}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID=6f0c5e1a2b3c4d5e8f9a0b1c2d3e4f50\n\
             _HOSTNAME=mx1\nSYSLOG_FACILITY=2\nSYSLOG_IDENTIFIER=postfix/smtpd\nSYSLOG_PID=7\n\
             MESSAGE=connect from unknown[192.0.2.{i}]\n\n",
            i + 1
        ));
    }
    let mut child = Command::new(&remote)
        .args(["-o".as_ref(), file.as_os_str(), "-".as_ref()])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), export.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let f = path_str(&file);
    let window = ["--since", "2026-12-04T19:02:00Z", "--until", "2026-12-04T19:02:59.5Z"];
    let args = [&["summary", "--journal-file", f.as_str()][..], &window].concat();
    let v = json(Path::new(&path), &args);
    assert_eq!(v["files"][0]["lines"], 1, "{v:#}");
    let all = json(Path::new(&path), &["summary", "--journal-file", f.as_str()]);
    assert_eq!(all["files"][0]["lines"], 3, "{all:#}");
}
