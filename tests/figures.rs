//! One definition and one name per figure (issue 17, item 7): what a new
//! user tripped over on `sample-logs/`, each pinned by a test.

use serde_json::Value;
use std::process::{Command, Output};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");

fn postsleuth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_postsleuth")).args(args).output().expect("run postsleuth")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(args: &[&str]) -> Value {
    let o = postsleuth(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// A log file of `lines` in a fresh directory.
fn log(lines: &[&str]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mail.log");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let p = p.to_str().unwrap().to_string();
    (dir, p)
}

/// `check` counted only the warnings that are no event of their own, and
/// called them "postfix warnings" on a log whose 2889 `warning:` lines are
/// SASL failures: it now names what it counts.
#[test]
fn check_names_the_warnings_it_counts() {
    let (_dir, p) = log(&[
        "2026-11-21T10:00:00+00:00 mx1 postfix/smtpd[100]: warning: unknown[192.0.2.50]: SASL LOGIN authentication failed: authentication failure",
        "2026-11-21T10:00:01+00:00 mx1 postfix/smtpd[100]: warning: hostname x.example does not resolve to address 192.0.2.51",
    ]);
    let rows = json(&["check", "--format", "json", "-q", &p]);
    let get = |what: &str| rows.as_array().unwrap().iter().find(|r| r["what"] == what).map(|r| r["value"].clone());
    assert_eq!(get("postfix warnings"), None, "the old, wrong name");
    assert_eq!(get("other postfix warnings"), Some(1.into()));
    assert_eq!(get("auth attempts"), Some(1.into()), "the SASL failure is an auth attempt");
}

#[test]
fn one_file_is_one_file() {
    let (_dir, p) = log(&["2026-11-21T10:00:00+00:00 mx1 postfix/pickup[1]: 0A1B2C3D4E: uid=33 from=<www-data>"]);
    let o = postsleuth(&["--exact", "-q", "--tz", "UTC", &p]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("\n1 file, 1 lines"), "{out}");
    let o = postsleuth(&["-q", "--tz", "UTC", SAMPLE]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("\n3 files, "));
}

/// A bad IP is a usage error naming it, not a blank row.
#[test]
fn geo_lookup_refuses_what_is_not_an_ip() {
    let o = postsleuth(&["geo", "lookup", "192.0.2.1", "not-an-ip"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).contains("\"not-an-ip\": not an IP address"), "{}", stderr(&o));
    let ok = json(&["geo", "lookup", "192.0.2.1", "[2001:db8::1]", "--format", "json"]);
    assert_eq!(ok.as_array().unwrap().len(), 2);
}

/// Options the simulator refuses are usage errors (exit 2), like clap's.
#[test]
fn simulate_bad_options_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    for args in [["--days", "0"], ["--volume", "0"], ["--hostname", "bad host"]] {
        let o = postsleuth(&[&["simulate", "--out", out][..], &args[..]].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("postsleuth: invalid simulation options: "), "{}", stderr(&o));
    }
}

/// `--year 9999` let a log's lines run into the year 10000, which JSON
/// wrote as `"+10000-…"`: the accepted range ends at 9000.
#[test]
fn year_is_bounded() {
    let (_dir, p) = log(&[
        "Dec 31 23:59:00 mx1 postfix/pickup[1]: 0A1B2C3D4E: uid=33 from=<www-data>",
        "Jan  1 00:01:00 mx1 postfix/pickup[1]: 1A1B2C3D4E: uid=33 from=<www-data>",
    ]);
    let o = postsleuth(&["--year", "9999", "--log-tz", "UTC", "--format", "json", "-q", &p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("9999 is not in 1970..=9000"), "{}", stderr(&o));
    let v = json(&["--year", "9000", "--log-tz", "UTC", "--format", "json", "-q", &p]);
    assert_eq!(v["first"], "9000-12-31T23:59:00Z");
    assert_eq!(v["last"], "9001-01-01T00:01:00Z");
}

/// trace: one object, as its help says; a message one of whose four
/// recipients bounced is not "bounced".
#[test]
fn trace_says_what_became_of_the_recipients() {
    let o = postsleuth(&["trace", "EC321F74B8", "--tz", "UTC", "-q", SAMPLE]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("message EC321F74B8 on mx1: 1 of 4 recipients bounced, 3 sent\n"), "{text}");
    assert!(!text.contains(": bounced\n"), "{text}");
    let v = json(&["trace", "EC321F74B8", "--format", "json", "-q", SAMPLE]);
    assert_eq!(v["query"], "EC321F74B8");
    let m = v["flows"][0]["messages"].as_array().unwrap().iter().find(|m| m["queue_id"] == "EC321F74B8").unwrap();
    assert_eq!(m["recipients"], serde_json::json!({"total": 4, "sent": 3, "deferred": 0, "bounced": 1}));
}

#[test]
fn trace_without_a_match_exits_1() {
    let o = postsleuth(&["trace", "NOSUCHID", "-q", SAMPLE]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "postsleuth: no message matches \"NOSUCHID\"\n");
}
