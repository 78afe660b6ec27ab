//! With no PATH: `/var/log/mail.log*`, `/var/log/maillog*`,
//! `/var/log/postfix.log*`, then Postfix's `maillog_file`, then the
//! journal, and one line on stderr saying which; when there is none, one
//! message naming them all. The tests move `/var/log` under a directory of
//! their own (`POSTSLEUTH_LOG_ROOT`, a test hook) and put stand-in `postconf`
//! and `journalctl` scripts alone on PATH.

mod common;

use common::{fixture, path_str};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const SYSLOG: [&str; 3] = ["real_incident/mail.log.2.gz", "real_incident/mail.log.1", "real_incident/mail.log"];
const JOURNAL: [&str; 3] = ["journal/mail.log.2.json", "journal/mail.log.1.json", "journal/mail.log.json"];

/// A machine: a root directory for the logs, and a directory of programs.
struct Machine {
    root: tempfile::TempDir,
    bin: tempfile::TempDir,
}

impl Machine {
    fn new() -> Machine {
        Machine { root: tempfile::tempdir().unwrap(), bin: tempfile::tempdir().unwrap() }
    }

    /// Copies fixture `from` to `to` under the root.
    fn log(&self, to: &str, from: &str) -> &Machine {
        let path = self.root.path().join(to.trim_start_matches('/'));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::copy(fixture(from), path).unwrap();
        self
    }

    /// `postconf -h maillog_file` prints `value`.
    fn maillog_file(&self, value: &str) -> &Machine {
        let script = format!(
            "#!/bin/sh\n[ \"$*\" = '-h maillog_file' ] || {{ echo \"unexpected: $*\" >&2; exit 2; }}\necho '{value}'\n"
        );
        self.program("postconf", &script)
    }

    /// `journalctl` writes its arguments to `journalctl.args` beside it and
    /// gives the incident's journal.
    fn journalctl(&self) -> &Machine {
        let d = self.bin.path().display();
        let files: Vec<String> = JOURNAL.iter().map(|f| format!("'{}'", path_str(&fixture(f)))).collect();
        let script = format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{d}/journalctl.args'\n/bin/cat {}\n",
            files.join(" ")
        );
        self.program("journalctl", &script)
    }

    fn program(&self, name: &str, script: &str) -> &Machine {
        use std::os::unix::fs::PermissionsExt;
        let path = self.bin.path().join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        self
    }

    fn journalctl_ran(&self) -> bool {
        self.bin.path().join("journalctl.args").exists()
    }

    /// `/var/log` as the run names it.
    fn var_log(&self) -> String {
        path_str(&self.root.path().join("var/log"))
    }

    /// Runs `postsleuth summary` with no PATH: exit code, stdout, stderr.
    fn run(&self, extra: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
            .args(["summary", "--format", "json", "--tz", "UTC", "--log-tz", "UTC", "--year", "2026"])
            .args(extra)
            .env("POSTSLEUTH_LOG_ROOT", self.root.path())
            .env("PATH", self.bin.path())
            .output()
            .expect("run postsleuth");
        let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8");
        (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
    }

    /// The run's totals, and what it said on stderr; it must succeed.
    fn totals(&self) -> (Value, String) {
        let (code, out, err) = self.run(&[]);
        assert_eq!(code, 0, "{err}");
        (serde_json::from_str::<Value>(&out).unwrap()["totals"].clone(), err)
    }
}

fn syslog_totals() -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["--format", "json", "--log-tz", "UTC", "--year", "2026", "--exact", "--quiet"])
        .args(SYSLOG.map(|f| path_str(&fixture(f))))
        .output()
        .unwrap();
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["totals"].clone()
}

/// mail.log and its rotations come first, whatever else there is.
#[test]
fn mail_log_comes_first() {
    let m = Machine::new();
    m.log("/var/log/mail.log", SYSLOG[2])
        .log("/var/log/mail.log.1", SYSLOG[1])
        .log("/var/log/mail.log.2.gz", SYSLOG[0]);
    m.log("/var/log/postfix.log", SYSLOG[2]).log("/srv/mail/own.log", SYSLOG[2]);
    m.maillog_file("/srv/mail/own.log").journalctl();
    let (totals, err) = m.totals();
    assert_eq!(totals, syslog_totals());
    assert_eq!(err, format!("postsleuth: {}/mail.log*: no PATH given: reading it (3 files)\n", m.var_log()));
    assert!(!m.journalctl_ran());
}

/// Postfix's own log in /var/log, when syslog's names are not there.
#[test]
fn postfix_log_after_syslogs_names() {
    let m = Machine::new();
    m.log("/var/log/postfix.log", SYSLOG[2]).journalctl();
    let (totals, err) = m.totals();
    assert_eq!(totals["received"], 67, "{totals:#}");
    assert_eq!(err, format!("postsleuth: {}/postfix.log*: no PATH given: reading it (1 file)\n", m.var_log()));
}

/// No mail log in /var/log: the file Postfix's maillog_file names.
#[test]
fn maillog_file_when_there_is_no_mail_log() {
    let m = Machine::new();
    m.log("/srv/mail/own.log", SYSLOG[2]).maillog_file("/srv/mail/own.log").journalctl();
    let (totals, err) = m.totals();
    assert_eq!(totals["received"], 67);
    let own = path_str(&m.root.path().join("srv/mail/own.log"));
    let v = m.var_log();
    assert_eq!(
        err,
        format!(
            "postsleuth: {own}: no PATH given and no {v}/mail.log*, {v}/maillog*, {v}/postfix.log*: \
             reading Postfix's maillog_file (1 file)\n"
        )
    );
    assert!(!m.journalctl_ran());
}

/// No mail log and no maillog_file: the journal, asked for the window.
#[test]
fn the_journal_when_there_is_no_file() {
    for maillog_file in ["", "/srv/mail/gone.log"] {
        let m = Machine::new();
        m.maillog_file(maillog_file).journalctl();
        let (totals, err) = m.totals();
        assert_eq!(totals, syslog_totals());
        let v = m.var_log();
        let own = match maillog_file {
            "" => "Postfix's maillog_file is not set".to_string(),
            f => format!("Postfix's maillog_file {f} does not exist"),
        };
        assert_eq!(
            err,
            format!(
                "postsleuth: <journal>: no PATH given, no {v}/mail.log*, {v}/maillog*, {v}/postfix.log*, \
                 and {own}: reading the systemd journal (journalctl)\n"
            )
        );
        assert!(m.journalctl_ran());
    }
    let m = Machine::new();
    m.journalctl();
    let (code, _, err) = m.run(&["--since", "2026-12-04T19:04:00Z", "--quiet"]);
    assert_eq!((code, err.as_str()), (0, ""), "--quiet: the choice is not said");
    let args = std::fs::read_to_string(m.bin.path().join("journalctl.args")).unwrap();
    assert_eq!(args, "-o\njson\n--no-pager\n--since\n2026-12-04 19:04:00 UTC\nSYSLOG_FACILITY=2\n");
}

/// Nothing anywhere: one message (it used to come twice, and named only
/// /var/log), naming every source and how to point at each; exit 1.
#[test]
fn nothing_found_is_said_once_naming_every_source() {
    let m = Machine::new();
    let (code, out, err) = m.run(&[]);
    assert_eq!((code, out.as_str()), (1, ""));
    let v = m.var_log();
    assert_eq!(
        err,
        format!(
            "postsleuth: nothing to read: no PATH given, no {v}/mail.log*, {v}/maillog*, {v}/postfix.log*, \
             no postconf to ask for Postfix's maillog_file, and no journalctl for the systemd journal. \
             Name the log (postsleuth /path/to/mail.log, or - for standard input), read the journal \
             (postsleuth --journal), or ask Postfix where it logs (postconf maillog_file)\n"
        )
    );
    assert_eq!(err.lines().count(), 1);
    assert!(Path::new(&m.root.path()).read_dir().unwrap().next().is_none());
}
