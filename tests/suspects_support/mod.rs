//! Helpers for tests/suspects.rs: simulate a small incident with the
//! binary, run `suspects`/`timeline` on it, and read input lines back as
//! bytes (plain or gzip) to compare quoted evidence with.
#![allow(dead_code)]

use postsleuth::simulate::Truth;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary.
pub fn run(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_postsleuth")).args(args).output().expect("run postsleuth")
}

/// Runs the binary; it must exit 0. Returns stdout.
#[track_caller]
pub fn run_ok(args: &[String]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "postsleuth {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

#[track_caller]
pub fn run_json(args: &[String]) -> Value {
    let out = run_ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("postsleuth {args:?}: not JSON ({e}): {out}"))
}

pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// A simulated log set in a temp dir, and its truth.
pub struct Sim {
    pub dir: tempfile::TempDir,
    pub truth: Truth,
}

impl Sim {
    /// `simulate --scenario S --seed N --format F --volume 0.3 --days 2`.
    pub fn new(scenario: &str, seed: u64, format: &str) -> Sim {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut args = strings(&["simulate", "--scenario", scenario, "--format", format, "--volume", "0.3"]);
        args.extend(["--days".into(), "2".into(), "--seed".into(), seed.to_string()]);
        args.extend(["--out".into(), dir.path().to_str().expect("UTF-8 temp path").into()]);
        run_ok(&args);
        let truth: Truth = serde_json::from_slice(&std::fs::read(dir.path().join("truth.json")).expect("truth.json"))
            .expect("truth.json parses");
        Sim { dir, truth }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The options every run uses: UTC in and out, the year, quiet, the set.
    pub fn input(&self) -> Vec<String> {
        let year = self.truth.span.as_ref().expect("span").start[..4].to_string();
        let mut a = strings(&["--tz", "UTC", "--log-tz", "UTC", "--quiet", "--year"]);
        a.push(year);
        a.push(self.dir.path().to_str().expect("UTF-8 temp path").into());
        a
    }

    /// `postsleuth CMD ARGS… INPUT`.
    pub fn args(&self, cmd: &[&str]) -> Vec<String> {
        let mut a = strings(cmd);
        a.extend(self.input());
        a
    }

    /// `suspects --format json` (with `extra` options).
    pub fn suspects(&self, extra: &[&str]) -> Value {
        let mut cmd = vec!["suspects", "--format", "json"];
        cmd.extend_from_slice(extra);
        run_json(&self.args(&cmd))
    }

    /// The compromised account or `uid=N`.
    pub fn culprit(&self) -> Option<String> {
        let t = &self.truth;
        t.compromised_account.clone().or(t.compromised_uid.map(|u| format!("uid={u}")))
    }
}

/// Every line of a log file as bytes, gzip or not (by magic bytes).
pub fn file_lines(path: &Path) -> Vec<Vec<u8>> {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let data = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out).expect("gunzip");
        out
    } else {
        raw
    };
    let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    lines
}

/// The file name without its directory (postsleuth names files as given).
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A three-day log, built line by line: `bob@example.org` sends one message
/// an hour from Germany; `user` logs in once from Germany on day 1; on day 3
/// twelve failed logins name `user`, then it logs in from Russia (the
/// compromise, 2026-11-22T10:00:00Z) and 20 Vietnamese addresses send 120
/// deferred messages as `user` over three hours.
pub fn incident_log(user: &str) -> String {
    let mut log = Log::default();
    let day = 86_400;
    for h in 0..60 {
        log.message(h * 3600 + 60, "bob@example.org", "84.129.1.1", "sent");
    }
    log.message(9 * 3600, user, "84.129.221.81", "sent");
    for i in 0..12 {
        let at = 2 * day + 8 * 3600 + i * 60;
        let ip = format!("5.137.20.{}", 10 + i);
        let why = format!("authentication failure, sasl_username={user}");
        log.line(at, "postfix/smtpd[900]", &format!("warning: unknown[{ip}]: SASL LOGIN authentication failed: {why}"));
    }
    log.message(2 * day + 10 * 3600, user, "5.137.20.156", "sent");
    for i in 0..120 {
        let ip = format!("14.179.119.{}", 1 + i % 20);
        log.message(2 * day + 10 * 3600 + 1800 + i * 90, user, &ip, "deferred");
    }
    log.text()
}

/// Lines of a hand-made log on one host, times in seconds from
/// 2026-11-20T00:00:00Z, written in any order and read in time order.
pub struct Log {
    lines: Vec<(i64, String)>,
    next: u32,
    host: String,
}

impl Default for Log {
    fn default() -> Self {
        Log::on("mx1")
    }
}

impl Log {
    pub fn on(host: &str) -> Log {
        Log { lines: Vec::new(), next: 0, host: host.to_string() }
    }

    pub fn line(&mut self, secs: i64, tag: &str, payload: &str) {
        let t = chrono::DateTime::from_timestamp(1_795_132_800 + secs, 0).expect("time");
        let line = format!("{} {} {tag}: {payload}\n", t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00"), self.host);
        self.lines.push((secs, line));
    }

    /// One SASL submission from `unknown[ip]` with one recipient and its delivery.
    pub fn message(&mut self, at: i64, user: &str, ip: &str, status: &str) {
        self.submission(at, user, "unknown", ip, None, status);
    }

    /// [`Log::message`] from `client[ip]`, under `qid` (else one of its own).
    pub fn submission(&mut self, at: i64, user: &str, client: &str, ip: &str, qid: Option<String>, status: &str) {
        self.next += 1;
        let qid = qid.unwrap_or_else(|| format!("{:010X}", 0xA0_0000_0000u64 + u64::from(self.next)));
        let pid = 3000 + self.next % 900;
        let smtpd = format!("postfix/submission/smtpd[{pid}]");
        self.line(at, &smtpd, &format!("connect from {client}[{ip}]"));
        self.line(at + 1, &smtpd, &format!("{qid}: client={client}[{ip}], sasl_method=LOGIN, sasl_username={user}"));
        self.line(
            at + 1,
            "postfix/qmgr[100]",
            &format!("{qid}: from=<sender@example.org>, size=1000, nrcpt=1 (queue active)"),
        );
        self.line(
            at + 2,
            &smtpd,
            &format!("disconnect from {client}[{ip}] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6"),
        );
        let (dsn, why) =
            if status == "sent" { ("2.0.0", "250 2.0.0 OK") } else { ("4.7.0", "421 4.7.0 try again later") };
        let relay = "relay=mx.example.net[192.0.2.25]:25, delay=2, delays=0/0/1/1";
        let to = format!("{qid}: to=<rcpt{}@example.net>, {relay}, dsn={dsn}, status={status} ({why})", self.next);
        self.line(at + 3, "postfix/smtp[200]", &to);
        if status == "sent" {
            self.line(at + 3, "postfix/qmgr[100]", &format!("{qid}: removed"));
        }
    }

    /// The log in time order (stable: each message's lines stay in their
    /// order).
    pub fn text(mut self) -> String {
        self.lines.sort_by_key(|(t, _)| *t);
        self.lines.into_iter().map(|(_, l)| l).collect()
    }
}
