//! The systemd journal as an input: `journalctl -o json` run as a child,
//! its output streamed into the reader like a file's (no copy on disk), and
//! what it says on stderr passed on as diagnostics.
//!
//! Its lines cannot be read again the same way (the journal moves on, and
//! rotates), so ingest keeps them for quoting, as it does standard input's.

use super::reader::{self, Chunk, FileMeta, Sink};
use crate::time::{micros_to_utc, Micros, MICROS_PER_SEC};
use std::ffi::OsString;
use std::io::{self, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// What to ask journalctl for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// A directory of journal files (`journalctl --directory`).
    pub directory: Option<PathBuf>,
    /// One journal file (`journalctl --file`).
    pub file: Option<PathBuf>,
    /// Entries from this instant on, and before this one: the run's
    /// `--since`/`--until`, so that only the window is read.
    pub since: Option<Micros>,
    pub until: Option<Micros>,
}

/// The program run, found on `PATH`.
pub const PROGRAM: &str = "journalctl";

/// Most bytes of journalctl's stderr kept for the messages; the rest is
/// read and dropped, so that journalctl never blocks on a full pipe.
const MAX_STDERR: usize = 16 << 10;

impl Query {
    /// The name used in messages and evidence.
    pub fn display(&self) -> String {
        match (&self.directory, &self.file) {
            (Some(p), _) | (None, Some(p)) => format!("<journal {}>", p.display()),
            (None, None) => "<journal>".into(),
        }
    }

    /// journalctl's arguments. The match is the mail facility
    /// (`SYSLOG_FACILITY=2`), what rsyslog writes to mail.log: Postfix logs
    /// there whatever its `syslog_name` (`postfix/smtpd`,
    /// `postfix-out/smtp`, …, which a list of identifiers or units would
    /// have to name one by one), and so does Dovecot, its usual SASL
    /// backend; other programs' lines stay out. The bounds are absolute
    /// and in UTC, so that neither journalctl's nor postsleuth's zone
    /// matters; `--until` is inclusive in journalctl and exclusive here,
    /// which only reads a line that is then left out.
    pub fn args(&self) -> Vec<OsString> {
        self.args_with(&[])
    }

    /// [`Query::args`] with `extra` options before the match: how
    /// [`super::follow`] asks for `--follow` and where to start.
    pub fn args_with(&self, extra: &[OsString]) -> Vec<OsString> {
        let mut args: Vec<OsString> = ["-o", "json", "--no-pager"].map(OsString::from).to_vec();
        if let Some(d) = &self.directory {
            args.push("--directory".into());
            args.push(d.into());
        }
        if let Some(f) = &self.file {
            args.push("--file".into());
            args.push(f.into());
        }
        for (option, bound) in [("--since", self.since), ("--until", self.until)] {
            if let Some(t) = bound {
                args.push(option.into());
                args.push(utc(t).into());
            }
        }
        args.extend_from_slice(extra);
        args.push("SYSLOG_FACILITY=2".into());
        args
    }
}

/// `2026-12-04 19:03:00 UTC`, with `.ffffff` when there is a fraction: a
/// time as journalctl's `--since` takes it, whatever its zone.
pub(super) fn utc(t: Micros) -> String {
    let whole = micros_to_utc(t).format("%Y-%m-%d %H:%M:%S");
    match t.rem_euclid(MICROS_PER_SEC) {
        0 => format!("{whole} UTC"),
        us => format!("{whole}.{us:06} UTC"),
    }
}

/// Whether journalctl is an executable file on `PATH`.
pub fn installed() -> bool {
    on_path(PROGRAM)
}

/// Whether `name` is an executable file in a directory of `PATH`.
pub fn on_path(name: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else { return false };
    std::env::split_paths(&path).any(|dir| executable(&dir.join(name)))
}

#[cfg(unix)]
fn executable(p: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(p: &std::path::Path) -> bool {
    p.is_file()
}

/// Runs journalctl for `query` and streams its output into `sink` as input
/// `file`, then ends it: with an error when journalctl could not be run or
/// failed. False when the consumer stopped.
pub fn read(file: u32, query: &Query, sink: &mut Sink, progress: &Arc<AtomicU64>) -> bool {
    let mut child = match Command::new(PROGRAM)
        .args(query.args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return sink(Chunk::End { file, error: Some(cannot_run(&e)) }),
    };
    let stderr = Stderr::start(child.stderr.take());
    if !sink(Chunk::Opened { file, meta: FileMeta::default() }) {
        stop(&mut child);
        return false;
    }
    let Some(stdout) = child.stdout.take() else {
        stop(&mut child);
        return sink(Chunk::End { file, error: Some("journalctl gave no output to read".into()) });
    };
    let counted = reader::Counting { inner: stdout, count: progress.clone() };
    let cut = match reader::pump(file, counted, sink) {
        Ok(()) => None,
        Err(reader::PumpError::Hangup) => {
            stop(&mut child);
            return false;
        }
        Err(reader::PumpError::Read(e, at)) => Some(reader::read_error("journalctl output", &e, at)),
        Err(reader::PumpError::Binary(e)) => Some(e),
    };
    if cut.is_some() {
        stop(&mut child);
    }
    let status = child.wait();
    let said = stderr.finish();
    let failed = match status {
        Ok(s) if s.success() => None,
        Ok(s) => Some(failure(&s, &said)),
        Err(e) => Some(format!("journalctl could not be waited for: {e}")),
    };
    let words = joined(&said);
    if failed.is_none() && !words.is_empty() {
        let message = format!("journalctl: {}{}", crate::text::cell(&words, 300), permission_hint(&words));
        if !sink(Chunk::Note { file, message }) {
            return false;
        }
    }
    sink(Chunk::End { file, error: cut.or(failed) })
}

/// Ends a journalctl whose output is no longer read.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

pub(super) fn cannot_run(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "journalctl not found: the journal is read through journalctl \
                                    (Debian's systemd package); name the log files instead"
            .into(),
        io::ErrorKind::PermissionDenied => "cannot run journalctl: permission denied".into(),
        _ => format!("cannot run journalctl: {e}"),
    }
}

/// Why journalctl failed, in its own words.
fn failure(status: &std::process::ExitStatus, said: &str) -> String {
    let how = match status.code() {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".into(),
    };
    let words = joined(said);
    let hint = permission_hint(&words);
    match words.is_empty() {
        true => format!("journalctl failed ({how}){hint}"),
        false => format!("journalctl failed ({how}): {}{hint}", crate::text::cell(&words, 300)),
    }
}

/// journalctl's lines in one (its hints are indented paragraphs).
pub(super) fn joined(said: &str) -> String {
    said.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// What to do when journalctl says the user may not read the system's
/// journal (it may still exit 0, showing only the user's own entries).
pub(super) fn permission_hint(said: &str) -> &'static str {
    let lower = said.to_ascii_lowercase();
    if lower.contains("insufficient permissions") || lower.contains("not seeing messages from other users") {
        " (the system journal needs root, or a user in group systemd-journal or adm)"
    } else {
        ""
    }
}

/// journalctl's stderr, read while its stdout is: on a thread of its own,
/// or (a thread refused) after stdout ends, which is as good unless it says
/// more than a pipe holds.
enum Stderr {
    Thread(std::thread::JoinHandle<String>),
    Later(Option<ChildStderr>),
}

impl Stderr {
    fn start(stderr: Option<ChildStderr>) -> Stderr {
        let Some(stderr) = stderr else { return Stderr::Later(None) };
        let (give, take) = std::sync::mpsc::sync_channel::<ChildStderr>(1);
        let work = move || take.recv().map(collect).unwrap_or_default();
        match std::thread::Builder::new().spawn(work) {
            Ok(thread) => match give.send(stderr) {
                Ok(()) => Stderr::Thread(thread),
                Err(std::sync::mpsc::SendError(stderr)) => Stderr::Later(Some(stderr)),
            },
            Err(_) => Stderr::Later(Some(stderr)),
        }
    }

    fn finish(self) -> String {
        match self {
            Stderr::Thread(t) => t.join().unwrap_or_default(),
            Stderr::Later(Some(stderr)) => collect(stderr),
            Stderr::Later(None) => String::new(),
        }
    }
}

/// The first [`MAX_STDERR`] bytes of `r`, read to its end.
fn collect(mut r: impl Read) -> String {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => kept.extend_from_slice(&buf[..n.min(MAX_STDERR.saturating_sub(kept.len()))]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::civil_to_micros;

    #[test]
    fn arguments_carry_the_window_in_utc() {
        let q = Query {
            since: Some(civil_to_micros(2026, 12, 4, 19, 3, 0)),
            until: Some(civil_to_micros(2026, 12, 4, 20, 0, 0) + 250_000),
            ..Query::default()
        };
        let args: Vec<String> = q.args().into_iter().map(|a| a.into_string().unwrap()).collect();
        assert_eq!(
            args,
            [
                "-o",
                "json",
                "--no-pager",
                "--since",
                "2026-12-04 19:03:00 UTC",
                "--until",
                "2026-12-04 20:00:00.250000 UTC",
                "SYSLOG_FACILITY=2"
            ]
        );
        let q = Query { directory: Some("/var/log/journal".into()), ..Query::default() };
        assert_eq!(q.args()[3..5], [OsString::from("--directory"), "/var/log/journal".into()]);
        assert_eq!(q.display(), "<journal /var/log/journal>");
        assert_eq!(Query::default().display(), "<journal>");
        assert_eq!(utc(-1), "1969-12-31 23:59:59.999999 UTC");
    }

    #[test]
    fn permission_problems_say_what_to_do() {
        assert!(permission_hint("No journal files were opened due to insufficient permissions.").contains("adm"));
        assert_eq!(permission_hint("Failed to open files: No such file or directory"), "");
        assert_eq!(collect(&b"x"[..]), "x");
        assert_eq!(collect(&vec![b'a'; MAX_STDERR * 3][..]).len(), MAX_STDERR);
    }
}
