//! `suspects --spool DIR`: the suspects of the log joined with the live
//! queue. The spool and its log in `tests/fixtures/queue/` were made by a
//! real Postfix (`scripts/queue-fixtures/make.sh`); the queue IDs expected
//! are those whose `postcat` output (saved beside them) names the account
//! or uid.

mod common;

use common::{fixture, path_str};
use std::process::Command;

fn suspects(extra: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["suspects", "--tz", "UTC", "--log-tz", "UTC", "--year", "2026", "--exact"])
        .arg(path_str(&fixture("queue/truth/maillog")))
        .args(["--spool", &path_str(&fixture("queue/spool"))])
        .args(extra)
        .output()
        .expect("run postsleuth");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8");
    (o.status.code().unwrap_or(-1), text(o.stdout), text(o.stderr))
}

/// The queue IDs whose saved `postcat -q` output has `line`.
fn postcat_ids(line: &str) -> Vec<String> {
    let dir = fixture("queue/truth");
    let mut ids: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            let name = p.file_name()?.to_str()?.strip_suffix(".postcat")?.to_string();
            std::fs::read_to_string(&p).ok()?.lines().any(|l| l.trim() == line).then_some(name)
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn queue_ids_of_an_account_come_from_the_live_queue() {
    let (code, out, err) = suspects(&["--suspect", "alice@example.test", "--emit", "queue-ids"]);
    assert_eq!(code, 0, "{err}");
    let mut got: Vec<String> = out.lines().map(str::to_string).collect();
    got.sort();
    let want = postcat_ids("named_attribute: sasl_username=alice@example.test");
    assert_eq!(want.len(), 7, "the fixture holds alice's seven messages");
    assert_eq!(got, want);
    assert!(err.starts_with("postsleuth: 7 messages of theirs in the queue at "), "{err}");
}

#[test]
fn queue_ids_of_a_uid_are_its_pickup_messages() {
    let (code, out, err) = suspects(&["--suspect", "uid=33", "--emit", "queue-ids"]);
    assert_eq!(code, 0, "{err}");
    let mut got: Vec<String> = out.lines().map(str::to_string).collect();
    got.sort();
    assert_eq!(got, ["0DA33D8189", "137CFD818B", "1711ED818F", "4jh4nK5WRMz6fJ5"]);
    // bob's are nobody's here.
    let (_, out, _) = suspects(&["--suspect", "alice@example.test", "--emit", "queue-ids"]);
    for id in postcat_ids("named_attribute: sasl_username=bob@example.test") {
        assert!(!out.contains(&id), "{id} is bob's");
    }
}

#[test]
fn the_report_says_what_waits_now() {
    let (code, out, err) = suspects(&["--suspect", "alice@example.test", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["live_queue"],
        serde_json::json!([{"suspect": "alice@example.test", "queued": 7, "deferred": 7, "hold": 0,
            "on_their_way": 0, "oldest": "2026-12-04T21:46:05Z"}])
    );
    let messages = v["live_queue_messages"].as_array().expect("live_queue_messages");
    assert_eq!(messages.len(), 7);
    assert!(messages.iter().all(|m| m["suspect"] == "alice@example.test" && m["queue"] == "deferred"));
    let mut ids: Vec<&str> = messages.iter().map(|m| m["queue_id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, postcat_ids("named_attribute: sasl_username=alice@example.test"));
    let (_, text, _) = suspects(&["--suspect", "alice@example.test", "-n", "3"]);
    assert!(text.contains("In the queue now ("), "{text}");
    assert!(
        text.contains("alice@example.test: 4 more (postsleuth queue --account alice@example.test --list)"),
        "{text}"
    );
}

#[test]
fn a_directory_that_is_no_spool_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["suspects", "--tz", "UTC", "--log-tz", "UTC", "--year", "2026", "--exact"])
        .arg(path_str(&fixture("queue/truth/maillog")))
        .args(["--spool", dir.path().to_str().unwrap(), "--suspect", "alice@example.test"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no Postfix queue here"), "{err}");
}
