//! Shared helpers for the fixture tests (ingest_fixtures, trace): paths of
//! the committed fixtures, a way to run the binary and read its JSON, and an
//! assertion that names the fixture line a wrong value came from.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `tests/fixtures/NAME`, absolute.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn path_str(p: &Path) -> String {
    p.to_str().expect("fixture paths are UTF-8").to_string()
}

/// The lines of a fixture, as committed.
pub fn fixture_lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(name)).unwrap().lines().map(str::to_string).collect()
}

/// Runs the binary; it must succeed (exit 0) and be silent on stderr.
pub fn run_ok(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth")).args(args).output().expect("run postsleuth");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "postsleuth {args:?} failed: {stderr}");
    assert!(stderr.is_empty(), "postsleuth {args:?} wrote to stderr: {stderr}");
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

fn json_of(args: &[&str]) -> Value {
    let out = run_ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("postsleuth {args:?}: not JSON ({e}): {out}"))
}

/// Adds `extra`, and `--log-tz UTC` unless `extra` names a zone.
fn with_log_tz<'a>(args: &mut Vec<&'a str>, extra: &[&'a str]) {
    if !extra.contains(&"--log-tz") {
        args.extend(["--log-tz", "UTC"]);
    }
    args.extend_from_slice(extra);
}

/// `export --table TABLE --format json` of `path`, times in UTC, as rows.
/// `extra` are more options (`--year 2026`, `--exact`, `--log-tz ZONE`).
pub fn export(table: &str, path: &Path, extra: &[&str]) -> Vec<Value> {
    let p = path_str(path);
    let mut args = vec!["export", "--table", table, "--format", "json", "--tz", "UTC", "--quiet"];
    with_log_tz(&mut args, extra);
    args.push(&p);
    match json_of(&args) {
        Value::Array(rows) => rows,
        other => panic!("export {table}: not an array: {other}"),
    }
}

/// The summary (`postsleuth --format json`) of `path`.
pub fn summary(path: &Path, extra: &[&str]) -> Value {
    let p = path_str(path);
    let mut args = vec!["--format", "json", "--tz", "UTC", "--quiet"];
    with_log_tz(&mut args, extra);
    args.push(&p);
    json_of(&args)
}

/// `trace QUERY --format json` of `path`: the flows.
pub fn trace(query: &str, path: &Path, extra: &[&str]) -> Vec<Value> {
    let p = path_str(path);
    let mut args = vec!["trace", query, "--format", "json", "--quiet"];
    with_log_tz(&mut args, extra);
    args.push(&p);
    match json_of(&args) {
        Value::Object(mut o) if o["query"] == query => match o.remove("flows") {
            Some(Value::Array(flows)) => flows,
            other => panic!("trace {query}: flows not an array: {other:?}"),
        },
        other => panic!("trace {query}: not an object with the query: {other}"),
    }
}

/// Asserts that `row` has every key of `expected` (an object) with exactly
/// that value; other keys are not checked (each test names what it proves).
#[track_caller]
pub fn check(row: &Value, expected: Value) {
    let Value::Object(want) = expected else { panic!("expected must be an object") };
    for (k, v) in &want {
        let got = row.get(k).unwrap_or_else(|| panic!("no column {k:?} in {row:#}"));
        assert_eq!(got, v, "column {k:?} of {row:#}");
    }
}

/// Asserts each row in turn (same count, same order).
#[track_caller]
pub fn check_rows(rows: &[Value], expected: Vec<Value>) {
    assert_eq!(rows.len(), expected.len(), "row count; rows: {rows:#?}");
    for (row, want) in rows.iter().zip(expected) {
        check(row, want);
    }
}

/// One column of every row.
pub fn column<'a>(rows: &'a [Value], key: &str) -> Vec<&'a Value> {
    rows.iter().map(|r| r.get(key).unwrap_or_else(|| panic!("no column {key:?} in {r:#}"))).collect()
}

/// A summary total by name.
#[track_caller]
pub fn total(summary: &Value, name: &str) -> u64 {
    summary["totals"][name].as_u64().unwrap_or_else(|| panic!("no total {name:?} in {:#}", summary["totals"]))
}

/// Every file of the summary was read whole: no skipped lines, no errors,
/// and no Postfix line that no rule recognised.
#[track_caller]
pub fn assert_clean_read(summary: &Value, lines: &[u64]) {
    let files = summary["files"].as_array().expect("files");
    let got: Vec<(u64, u64)> =
        files.iter().map(|f| (f["lines"].as_u64().unwrap(), f["skipped"].as_u64().unwrap())).collect();
    let want: Vec<(u64, u64)> = lines.iter().map(|&n| (n, 0)).collect();
    assert_eq!(got, want, "lines and skipped per file: {files:#?}");
    assert!(files.iter().all(|f| f["error"].is_null()), "{files:#?}");
    assert_eq!(summary["unrecognised"], serde_json::json!({}), "unrecognised Postfix lines");
}

/// The `(file, line, text)` of a trace flow's lines.
pub fn flow_lines(flow: &Value) -> Vec<(String, u64, String)> {
    flow["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["file"].as_str().expect("file").to_string(),
                l["line"].as_u64().expect("line"),
                l["text"].as_str().expect("text").to_string(),
            )
        })
        .collect()
}

/// What a flow's lines must be: `line` numbers of the fixture `name` (a
/// single file), with the fixture's own text.
pub fn expected_lines(name: &str, file: &Path, numbers: &[u64]) -> Vec<(String, u64, String)> {
    let text = fixture_lines(name);
    numbers.iter().map(|&n| (path_str(file), n, text[n as usize - 1].clone())).collect()
}
