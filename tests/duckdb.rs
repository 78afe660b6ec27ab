//! The SQL in sql/ asks a dataset the questions postsleuth answers, and
//! DuckDB's answers are postsleuth's: the same rankings, row for row and
//! figure for figure, and for a simple incident the same compromised
//! account and compromise time as `suspects`.
//!
//! Needs Python's duckdb module (`.ci/run` installs it): with CI set, its
//! absence fails the test; otherwise the test is skipped, saying so.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn postsleuth(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth")).args(args).output().expect("run postsleuth");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "postsleuth {args:?}: {stderr}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn duckdb_available() -> bool {
    let probe = Command::new("python3").args(["-c", "import duckdb"]).output();
    if probe.is_ok_and(|o| o.status.success()) {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but Python's duckdb module is missing (python3 -m pip install duckdb)"
    );
    eprintln!("skipped: Python's duckdb module is missing (python3 -m pip install duckdb)");
    false
}

/// sql/run.py's answers: query name → rows.
fn sql_answers(dataset: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/run.py");
    let out = Command::new("python3").arg(&script).args(["duckdb", s(dataset), "--json"]).output().expect("python3");
    assert!(out.status.success(), "sql/run.py: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("sql/run.py --json prints JSON")
}

/// `2026-11-21T08:15:00Z` of SQL's microseconds (postsleuth's JSON times
/// are whole seconds; the simulated log's are too).
fn rfc3339(micros: &Value) -> Value {
    let us = micros.as_i64().expect("microseconds");
    let t = chrono::DateTime::from_timestamp_micros(us).expect("a time");
    Value::String(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Each row of postsleuth's ranking, with the figures `columns` names, is
/// the same row of SQL's (its times `first_us`/`last_us` as postsleuth's
/// `first`/`last`).
fn assert_same_ranking(name: &str, ours: &Value, sql: &Value, columns: &[&str]) {
    let (ours, sql) = (ours.as_array().unwrap(), sql.as_array().unwrap());
    assert!(!ours.is_empty(), "{name}: postsleuth ranks nothing");
    assert_eq!(ours.len(), sql.len(), "{name}: rows\nours {ours:?}\nsql {sql:?}");
    for (i, (o, q)) in ours.iter().zip(sql).enumerate() {
        for c in columns {
            assert_eq!(o[c], q[c], "{name} row {i}, {c}\nours {o}\nsql {q}");
        }
        assert_eq!(o["first"], rfc3339(&q["first_us"]), "{name} row {i}, first");
        assert_eq!(o["last"], rfc3339(&q["last_us"]), "{name} row {i}, last");
    }
}

#[test]
fn sql_answers_as_postsleuth_does() {
    if !duckdb_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (logs, ds) = (tmp.path().join("logs"), tmp.path().join("ds"));
    let sim = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["simulate", "--out", s(&logs), "--days", "3", "--seed", "7"])
        .output()
        .unwrap();
    assert!(sim.status.success());
    postsleuth(&["export", "--format", "parquet", "--out", s(&ds), "--log-tz", "UTC", "--quiet", s(&logs)]);
    let sql = sql_answers(&ds);
    let top = |by: &str, metric: &str| -> Value {
        let out = postsleuth(&["top", "--by", by, "--metric", metric, "--format", "json", "--quiet", s(&ds)]);
        serde_json::from_str(&out).unwrap()
    };
    let volume = ["messages", "recipients", "bytes", "deferred", "bounced"];
    let mut accounts: Vec<&str> = volume.to_vec();
    accounts.extend(["distinct_recipients", "distinct_ips", "distinct_countries", "account"]);
    assert_same_ranking("top accounts", &top("account", "messages"), &sql["top_accounts"], &accounts);
    let mut ips: Vec<&str> = volume.to_vec();
    ips.extend(["distinct_recipients", "ip"]);
    assert_same_ranking("top IPs", &top("ip", "messages"), &sql["top_ips"], &ips);
    let mut countries: Vec<&str> = volume.to_vec();
    countries.extend(["distinct_ips", "country"]);
    assert_same_ranking("countries", &top("country", "messages"), &sql["countries"], &countries);
    let failures = ["ip", "auth_failures", "usernames_tried"];
    assert_same_ranking("brute force", &top("ip", "auth-failures"), &sql["brute_force"], &failures);

    let out = postsleuth(&["suspects", "--format", "json", "--quiet", s(&ds)]);
    let suspects: Value = serde_json::from_str(&out).unwrap();
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(logs.join("truth.json")).unwrap()).unwrap();
    let first = &suspects["suspects"][0];
    let account = first["suspect"].as_str().expect("a suspect account");
    let compromises = sql["compromise"].as_array().unwrap();
    let found = compromises.iter().find(|c| c["account"] == account).unwrap_or_else(|| {
        panic!("SQL finds no compromise of {account}: {compromises:?}");
    });
    assert_eq!(rfc3339(&found["compromised_us"]), first["compromised_at"], "{found}");
    assert_eq!(compromises.len(), 1, "only the compromised account: {compromises:?}");
    assert!(truth.to_string().contains(account), "the simulation planted {account}");
}
