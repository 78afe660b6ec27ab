//! Where the mail log is when no path is given: the first of these there
//! is, in order.
//!
//! 1. `/var/log/mail.log*`, `/var/log/maillog*` (rsyslog's names on Debian
//!    and on Red Hat), then `/var/log/postfix.log*` (Postfix's own logging,
//!    the usual `maillog_file`), each with its rotations;
//! 2. the file Postfix itself writes, `postconf -h maillog_file`, when
//!    postconf is installed and names a regular file (or rotations of one):
//!    containers and servers without syslog;
//! 3. the systemd journal, when journalctl is installed: Debian 12 and
//!    later install no syslog daemon, and Postfix's lines are only there.
//!
//! Test hooks, for tests only: `POSTSLEUTH_LOG_ROOT` puts `/var/log` (and
//! the file `maillog_file` names) under another root directory, and the
//! `postconf` and `journalctl` run are the first on `PATH`, which tests
//! point at scripts of their own.

use super::discover::{expand, Input};
use super::journal::{self, Query};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The syslog daemons' names for the mail log, and Postfix's own.
const LOGS: [&str; 3] = ["/var/log/mail.log", "/var/log/maillog", "/var/log/postfix.log"];

/// What was found.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// The inputs of the first source there is; `name` and `why` say which
    /// it is, in one line.
    Source { inputs: Vec<Input>, name: String, why: String },
    /// None: why, and how to point at each.
    Nothing(String),
}

/// The first default source there is; the journal, if it is the one, is
/// asked for `query`.
pub fn find(query: &Query) -> Found {
    let root = std::env::var_os("POSTSLEUTH_LOG_ROOT").map(PathBuf::from);
    let under = |p: &str| match &root {
        Some(r) => r.join(p.trim_start_matches('/')),
        None => PathBuf::from(p),
    };
    let logs: Vec<PathBuf> = LOGS.iter().map(|l| under(l)).collect();
    for p in &logs {
        if let Ok(inputs) = expand(p, false) {
            if !inputs.is_empty() {
                let name = format!("{}*", p.display());
                let why = format!("no PATH given: reading it ({})", count(inputs.len()));
                return Found::Source { inputs, name, why };
            }
        }
    }
    let logs = format!("no {}", logs.iter().map(|p| format!("{}*", p.display())).collect::<Vec<_>>().join(", "));
    let own = match maillog_file() {
        Maillog::Set(value) => {
            let p = under(&value);
            match own_log(&p) {
                Ok(inputs) => {
                    let name = p.display().to_string();
                    let why =
                        format!("no PATH given and {logs}: reading Postfix's maillog_file ({})", count(inputs.len()));
                    return Found::Source { inputs, name, why };
                }
                Err(why) => format!("Postfix's maillog_file {} {why}", crate::text::cell(&value, 200)),
            }
        }
        Maillog::Unset => "Postfix's maillog_file is not set".into(),
        Maillog::NoPostconf => "no postconf to ask for Postfix's maillog_file".into(),
    };
    if journal::installed() {
        let why = format!("no PATH given, {logs}, and {own}: reading the systemd journal (journalctl)");
        return Found::Source { inputs: vec![Input::Journal(query.clone())], name: query.display(), why };
    }
    Found::Nothing(format!(
        "no PATH given, {logs}, {own}, and no journalctl for the systemd journal. Name the log \
         (postsleuth /path/to/mail.log, or - for standard input), read the journal \
         (postsleuth --journal), or ask Postfix where it logs (postconf maillog_file)"
    ))
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 file".into()
    } else {
        format!("{n} files")
    }
}

/// What `postconf -h maillog_file` says.
enum Maillog {
    NoPostconf,
    Unset,
    Set(String),
}

fn maillog_file() -> Maillog {
    if !journal::on_path("postconf") {
        return Maillog::NoPostconf;
    }
    let out = Command::new("postconf").args(["-h", "maillog_file"]).stdin(Stdio::null()).stderr(Stdio::null()).output();
    match out {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            match text.lines().next().map(str::trim) {
                Some(value) if !value.is_empty() => Maillog::Set(value.to_string()),
                _ => Maillog::Unset,
            }
        }
        // A Postfix without the parameter (before 3.4), or not configured.
        _ => Maillog::Unset,
    }
}

/// The file `maillog_file` names and its rotations (`postfix logrotate`
/// renames it to `postfix.log.20261123-042020`), or why there are none.
/// `/dev/stdout`, a container's choice, is no file to read.
fn own_log(p: &Path) -> Result<Vec<Input>, &'static str> {
    match std::fs::metadata(p) {
        Ok(m) if !m.is_file() => Err("is not a regular file"),
        _ => match expand(p, false) {
            Ok(inputs) if !inputs.is_empty() => Ok(inputs),
            _ => Err("does not exist"),
        },
    }
}
