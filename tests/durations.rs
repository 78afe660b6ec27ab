//! One grammar for durations (src/duration.rs), end to end: every option
//! that takes one reads compound forms (`1h30m`), calendar forms where they
//! make sense (`--every 1mo` of top and timeline, `--since 1mo`), and says
//! the same thing when it cannot.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");
const JULIEN: &str = "julien.fournier@example.com";

fn postsleuth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_postsleuth")).args(args).output().expect("run postsleuth")
}

fn ok(args: &[&str]) -> String {
    let out = postsleuth(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// CSV rows as header → value maps.
fn csv(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    lines.map(|l| header.iter().map(|h| h.to_string()).zip(l.split(',').map(str::to_string)).collect()).collect()
}

#[test]
fn top_every_month() {
    let rows = csv(&ok(&["top", "--every", "1mo", "-n", "1", "--format", "csv", "--tz", "UTC", "-q", SAMPLE]));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["bucket"], "2026-11-01T00:00:00Z");
    assert_eq!(rows[0]["account"], JULIEN);
    assert_eq!(rows[0]["messages"], "2767");
}

#[test]
fn timeline_every_month() {
    let rows = csv(&ok(&["timeline", JULIEN, "--every", "1mo", "--format", "csv", "--tz", "UTC", "-q", SAMPLE]));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["bucket"], "2026-11-01T00:00:00Z");
    assert_eq!(rows[0]["messages"], "2767");
    // In Berlin the month starts an hour earlier.
    let rows =
        csv(&ok(&["timeline", JULIEN, "--every", "1mo", "--format", "csv", "--tz", "Europe/Berlin", "-q", SAMPLE]));
    assert_eq!(rows[0]["bucket"], "2026-10-31T23:00:00Z");
}

#[test]
fn compound_buckets_in_top_and_timeline() {
    let top = csv(&ok(&["top", "--every", "1d12h", "-n", "1", "--format", "csv", "--tz", "UTC", "-q", SAMPLE]));
    let buckets: Vec<&str> = top.iter().map(|r| r["bucket"].as_str()).collect();
    assert_eq!(buckets, ["2026-11-19T12:00:00Z", "2026-11-21T00:00:00Z", "2026-11-22T12:00:00Z"]);
    let tl = csv(&ok(&["timeline", JULIEN, "--every", "1h30m", "--format", "csv", "--tz", "UTC", "-q", SAMPLE]));
    assert!(tl.len() > 10);
    for r in &tl {
        let minute = &r["bucket"][14..16];
        assert!(minute == "00" || minute == "30", "{}", r["bucket"]);
    }
}

/// `--since 1h30m` is an hour and a half before now.
#[test]
fn since_compound_duration() {
    let now = chrono::Utc::now().timestamp();
    let v: Value = serde_json::from_str(&ok(&["--since", "1h30m", "--format", "json", "-q", SAMPLE])).unwrap();
    let since = chrono::DateTime::parse_from_rfc3339(v["since"].as_str().unwrap()).unwrap().timestamp();
    assert!((since - (now - 5400)).abs() < 120, "since {since}, now {now}");
    // And a calendar month back.
    ok(&["top", "--since", "1mo", "-q", SAMPLE]);
    ok(&["timeline", JULIEN, "--until", "1y", "-q", SAMPLE]);
}

/// Every duration option says the same thing about a bad value (exit 2).
#[test]
fn one_error_message() {
    let cases: [&[&str]; 6] = [
        &["top", "--every", "1x"],
        &["timeline", JULIEN, "--every", "0h"],
        &["suspects", "--horizon=-1h"],
        &["suspects", "--lookback", "h"],
        &["timeline", JULIEN, "--lookback", "99999999999999999999s"],
        &["top", "--since", "12q"],
    ];
    for args in cases {
        let mut all = args.to_vec();
        all.extend(["-q", SAMPLE]);
        let out = postsleuth(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let (option, value) = match args[args.len() - 1].split_once('=') {
            Some((o, v)) => (o, v),
            None => (args[args.len() - 2], args[args.len() - 1]),
        };
        let want = format!("postsleuth: {option} {value:?}: use ");
        assert!(err.starts_with(&want), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // A fixed length is needed: months say why.
    let out = postsleuth(&["suspects", "--horizon", "1mo", "-q", SAMPLE]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a month has no fixed length"));
}

/// Across the end of summer time (Berlin, 2026-10-25 01:00Z), 6-hour
/// buckets start at 00, 06, 12 and 18 local time on both sides, in top and
/// timeline alike.
#[test]
fn six_hour_buckets_follow_local_midnight_across_dst() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    ok(&["simulate", "--out", out, "--start", "2026-10-24", "--days", "2", "--format", "rfc3339"]);
    let local_hour = |bucket: &str| {
        let t = chrono::DateTime::parse_from_rfc3339(bucket).unwrap().timestamp();
        let change = chrono::DateTime::parse_from_rfc3339("2026-10-25T01:00:00Z").unwrap().timestamp();
        let off = if t < change { 2 } else { 1 };
        ((t / 3600 + off) % 24) as u32
    };
    let check = |args: &[&str], what: &str| {
        let mut all = args.to_vec();
        all.extend(["--every", "6h", "--tz", "Europe/Berlin", "--format", "csv", "-q", out]);
        let rows = csv(&ok(&all));
        assert!(rows.len() >= 6, "{what}: {rows:?}");
        assert!(rows.iter().any(|r| r["bucket"].as_str() > "2026-10-25T06"), "{what} reaches past the change");
        for r in &rows {
            assert!([0, 6, 12, 18].contains(&local_hour(&r["bucket"])), "{what}: bucket {}", r["bucket"]);
        }
    };
    check(&["top", "-n", "3"], "top");
    let truth: Value = serde_json::from_slice(&std::fs::read(Path::new(out).join("truth.json")).unwrap()).unwrap();
    let victim = truth["compromised_account"].as_str().expect("a compromised account").to_string();
    check(&["timeline", &victim], "timeline");
}
