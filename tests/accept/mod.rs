//! Shared helpers for the end-to-end acceptance tests (acceptance,
//! pflogsumm): simulate a log set with the binary, read its `truth.json`,
//! and ask the binary about it (summary, top, export, geo lookup), all as
//! JSON. Each test owns its simulation (a temp dir removed when it ends).
#![allow(dead_code)]

use postsleuth::simulate::Truth;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Small enough that a whole case (simulation and a dozen analyses) takes
/// about a second in release: ~700–1600 messages and 26k lines over 2 days.
pub const VOLUME: &str = "0.3";

/// Runs the binary; it must exit 0 and, unless `noisy`, keep stderr empty.
#[track_caller]
fn run(args: &[String], noisy: bool) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth")).args(args).output().expect("run postsleuth");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "postsleuth {args:?} failed: {stderr}");
    assert!(noisy || stderr.is_empty(), "postsleuth {args:?} wrote to stderr: {stderr}");
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

#[track_caller]
fn run_json(args: &[String]) -> Value {
    let out = run(args, false);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("postsleuth {args:?}: not JSON ({e}): {out}"))
}

#[track_caller]
fn rows(v: Value, what: &str) -> Vec<Value> {
    match v {
        Value::Array(rows) => rows,
        other => panic!("{what}: not an array: {other}"),
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// What to simulate.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub scenario: &'static str,
    pub seed: u64,
    pub format: &'static str,
    pub long_ids: bool,
    pub days: u32,
}

impl Spec {
    pub const fn new(scenario: &'static str, seed: u64, format: &'static str) -> Spec {
        Spec { scenario, seed, format, long_ids: false, days: 2 }
    }

    pub const fn long_ids(mut self) -> Spec {
        self.long_ids = true;
        self
    }

    pub const fn days(mut self, days: u32) -> Spec {
        self.days = days;
        self
    }

    /// The `simulate` arguments (without `--out`).
    pub fn args(&self) -> Vec<String> {
        let mut a = strings(&["simulate", "--scenario", self.scenario, "--format", self.format, "--volume", VOLUME]);
        a.extend(["--seed".into(), self.seed.to_string(), "--days".into(), self.days.to_string()]);
        if self.long_ids {
            a.push("--long-ids".into());
        }
        a
    }
}

/// Runs `postsleuth simulate ARGS --out DIR`.
pub fn simulate_into(spec: &Spec, dir: &Path) {
    let mut args = spec.args();
    args.extend(["--out".into(), path_str(dir)]);
    run(&args, true);
}

pub fn path_str(p: &Path) -> String {
    p.to_str().expect("temp paths are UTF-8").to_string()
}

/// One simulated log set, its truth, and the binary's answers about it.
pub struct Case {
    pub spec: Spec,
    pub dir: tempfile::TempDir,
    pub truth: Truth,
}

impl Case {
    pub fn simulate(spec: Spec) -> Case {
        let dir = tempfile::tempdir().expect("temp dir");
        simulate_into(&spec, dir.path());
        let json = std::fs::read(dir.path().join("truth.json")).expect("truth.json");
        let truth: Truth = serde_json::from_slice(&json).expect("truth.json parses");
        assert_eq!(truth.scenario.to_string(), spec.scenario);
        Case { spec, dir, truth }
    }

    /// Year of the first line, for RFC 3164 timestamps (which carry none).
    pub fn year(&self) -> String {
        self.truth.span.as_ref().expect("span").start[..4].to_string()
    }

    /// The input options every analysis uses: UTC in and out, the year,
    /// and the simulated set.
    pub fn input(&self) -> Vec<String> {
        let mut a = strings(&["--tz", "UTC", "--log-tz", "UTC", "--quiet", "--year"]);
        a.push(self.year());
        a.push(path_str(self.dir.path()));
        a
    }

    /// The same options for one other file of this case (read alone).
    pub fn input_file(&self, file: &Path) -> Vec<String> {
        let mut a = self.input();
        a.pop();
        a.extend(["--exact".into(), path_str(file)]);
        a
    }

    /// `postsleuth --format json …`: the summary.
    pub fn summary(&self) -> Value {
        summary_with(self.input())
    }

    /// `postsleuth export --table TABLE --format json …`.
    pub fn export(&self, table: &str) -> Vec<Value> {
        export_with(table, self.input())
    }

    /// `postsleuth top --by BY --metric METRIC --format json EXTRA…`.
    pub fn top(&self, by: &str, metric: &str, extra: &[&str]) -> Vec<Value> {
        let mut a = strings(&["top", "--by", by, "--metric", metric, "--format", "json"]);
        a.extend(strings(extra));
        a.extend(self.input());
        rows(run_json(&a), "top")
    }

    /// The simulated files, oldest first, as truth lists them.
    pub fn files(&self) -> Vec<PathBuf> {
        self.truth.files.iter().map(|f| self.dir.path().join(&f.name)).collect()
    }

    /// Every line of the rotated set, oldest file first, gzip undone: the
    /// one stream a single-file reader such as pflogsumm needs.
    pub fn concatenated(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for (f, p) in self.truth.files.iter().zip(self.files()) {
            let raw = std::fs::read(&p).expect("read log");
            if f.gzip {
                flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut all).expect("gunzip");
            } else {
                all.extend_from_slice(&raw);
            }
        }
        all
    }
}

/// `postsleuth --format json INPUT…`.
pub fn summary_with(input: Vec<String>) -> Value {
    let mut a = strings(&["--format", "json"]);
    a.extend(input);
    run_json(&a)
}

/// `postsleuth export --table TABLE --format json INPUT…`.
pub fn export_with(table: &str, input: Vec<String>) -> Vec<Value> {
    let mut a = strings(&["export", "--table", table, "--format", "json"]);
    a.extend(input);
    rows(run_json(&a), table)
}

/// Country of each IP, from `postsleuth geo lookup --format json`.
pub fn countries(ips: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut a = strings(&["geo", "lookup", "--format", "json"]);
    a.extend(ips.iter().cloned());
    rows(run_json(&a), "geo lookup")
        .iter()
        .map(|r| (str_of(r, "ip").to_string(), str_of(r, "country").to_string()))
        .collect()
}

/// A string column of a row.
#[track_caller]
pub fn str_of<'a>(row: &'a Value, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("no string {key:?} in {row}"))
}

/// A string-or-null column of a row.
#[track_caller]
pub fn opt_str<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    match row.get(key) {
        Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        _ => panic!("no string-or-null {key:?} in {row}"),
    }
}

#[track_caller]
pub fn u64_of(row: &Value, key: &str) -> u64 {
    row.get(key).and_then(Value::as_u64).unwrap_or_else(|| panic!("no integer {key:?} in {row}"))
}

#[track_caller]
pub fn bool_of(row: &Value, key: &str) -> bool {
    row.get(key).and_then(Value::as_bool).unwrap_or_else(|| panic!("no boolean {key:?} in {row}"))
}

/// A summary total by name.
#[track_caller]
pub fn total(summary: &Value, name: &str) -> u64 {
    u64_of(&summary["totals"], name)
}

/// Original submissions (what postsleuth calls received): messages that
/// are neither a content filter's re-injected copy nor Postfix's own
/// notification.
pub fn received(messages: &[Value]) -> Vec<&Value> {
    messages.iter().filter(|m| !bool_of(m, "is_continuation") && str_of(m, "origin") != "notification").collect()
}

/// A ranking as `key → metric`.
#[track_caller]
pub fn ranking(rows: &[Value], key: &str, metric: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for r in rows {
        let k = match &r[key] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => panic!("{key} is {other} in {r}"),
        };
        assert!(out.insert(k, u64_of(r, metric)).is_none(), "{key} twice in the ranking: {r}");
    }
    out
}

/// Counts of each item.
pub fn tally<I: IntoIterator<Item = String>>(items: I) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for i in items {
        *out.entry(i).or_insert(0) += 1;
    }
    out
}

/// The file name of a path as postsleuth shows it (it shows the path given).
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
