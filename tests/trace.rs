//! `postsleuth trace QUERY`: each flow holds the matching message and
//! everything linked to it (content-filter copies, notifications), and
//! every one of their lines plus their smtpd sessions' connect and
//! disconnect, in file:line order, with the exact text of the log.

mod common;

use common::*;
use serde_json::{json, Value};
use std::process::Command;

const Y2026: &[&str] = &["--year", "2026", "--exact"];

fn queue_ids(flow: &Value) -> Vec<&str> {
    flow["messages"].as_array().unwrap().iter().map(|m| m["queue_id"].as_str().unwrap()).collect()
}

/// Traces `query` in the single-file fixture `name`; expects one flow per
/// entry of `want`: its queue IDs and its line numbers.
#[track_caller]
fn assert_flows(name: &str, query: &str, want: &[(&[&str], Vec<u64>)]) -> Vec<Value> {
    let p = fixture(name);
    let flows = trace(query, &p, Y2026);
    assert_eq!(flows.len(), want.len(), "flows for {query:?}: {flows:#?}");
    for (flow, (ids, lines)) in flows.iter().zip(want) {
        assert_eq!(queue_ids(flow), *ids, "queue IDs for {query:?}");
        assert_eq!(flow_lines(flow), expected_lines(name, &p, lines), "lines for {query:?}");
    }
    flows
}

#[test]
fn by_queue_id() {
    let flows = assert_flows("short_queue_ids.log", "840A4C0FF0", &[(&["840A4C0FF0"], (1..=7).collect())]);
    check(
        &flows[0]["messages"][0],
        json!({"host": "mx1", "state": "delivered", "origin": "smtpd", "client_ip": "203.0.113.45",
            "sasl_username": "alice@example.com", "sender": "alice@example.com", "size": 1145, "nrcpt": 1,
            "message_id": "20261123031301.840A4C0FF0@mail.example.com", "parent": null,
            "first_seen": "2026-11-23T03:13:01Z", "last_seen": "2026-11-23T03:13:03Z"}),
    );
    check(
        &flows[0]["messages"][0]["deliveries"][0],
        json!({"to": "bob@example.net", "status": "sent", "dsn": "2.0.0", "filter_hop": false,
            "time": "2026-11-23T03:13:03Z"}),
    );
    // A pickup message has no session lines; a long queue ID works alike.
    assert_flows("short_queue_ids.log", "3C5D7E9F1A2", &[(&["3C5D7E9F1A2"], vec![8, 9, 10, 11])]);
    assert_flows(
        "long_queue_ids.log",
        "4Y7Lrk1TnQz4BfX",
        &[(&["4Y7Lrk1TnQz4BfX", "4Y7Lrn0DcJz4BgC"], (1..=13).collect())],
    );
}

/// A reused short queue ID names two unrelated messages: two flows.
#[test]
fn reused_queue_id_gives_two_flows() {
    assert_flows(
        "queue_id_reuse.log",
        "5A1B2C3D4E",
        &[(&["5A1B2C3D4E"], (1..=7).collect()), (&["5A1B2C3D4E"], (8..=13).collect())],
    );
}

/// Same queue ID on two hosts of a central syslog: two flows, each with
/// only its own host's lines.
#[test]
fn same_queue_id_on_two_hosts() {
    let flows = assert_flows(
        "two_hosts.log",
        "C0FFEE1234",
        &[(&["C0FFEE1234"], vec![1, 3, 5, 8, 9, 12, 13]), (&["C0FFEE1234"], vec![2, 4, 6, 7, 10, 11])],
    );
    let hosts: Vec<&Value> = flows.iter().map(|f| &f["messages"][0]["host"]).collect();
    assert_eq!(hosts, [&json!("mx1"), &json!("mx2")]);
}

/// The amavis flow: the original (submission, SASL), its copy re-injected
/// on 127.0.0.1:10025, both sessions, and not the amavis line (line 10).
const AMAVIS_FLOW: [u64; 15] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16];

#[test]
fn by_message_id_with_and_without_brackets() {
    for q in ["<amavis.flow@example.com>", "amavis.flow@example.com"] {
        assert_flows(
            "content_filter_reinjection.log",
            q,
            &[(&["4jXt5Q1bBNz6fD2", "4jXt5R2cCPz6fD7"], AMAVIS_FLOW.to_vec())],
        );
    }
    assert_flows(
        "long_queue_ids.log",
        "<f7c1a2b3-9d4e-4f00-8a11-0123456789ab@example.com>",
        &[(&["4Y7Lrk1TnQz4BfX", "4Y7Lrn0DcJz4BgC"], (1..=13).collect())],
    );
}

#[test]
fn by_recipient_sender_and_sasl_username() {
    let amavis: &[(&[&str], Vec<u64>)] = &[(&["4jXt5Q1bBNz6fD2", "4jXt5R2cCPz6fD7"], AMAVIS_FLOW.to_vec())];
    // Addresses compare case-insensitively.
    assert_flows("content_filter_reinjection.log", "XENA@example.org", amavis);
    assert_flows("content_filter_reinjection.log", "<walter@example.net>", amavis);
    assert_flows("content_filter_reinjection.log", "victor@example.com", amavis);
    // A recipient of both flows' originals would give both; zoe is only in
    // the XFORWARD flow.
    assert_flows(
        "content_filter_reinjection.log",
        "zoe@example.com",
        &[(&["4jXt634czfz6fF0", "4jXt634mSNz6fK9"], (17..=30).collect())],
    );
    // The sender of a bounced message: the bounce comes with it.
    assert_flows(
        "bounce_notification.log",
        "walt@mx1.example.com",
        &[(&["1F2E3D4C5B", "2A3B4C5D6E"], (1..=11).collect())],
    );
}

/// Tracing the re-injected copy (or a notification) finds the whole flow
/// from the original submission.
#[test]
fn follows_reinjection_from_either_end() {
    let xforward: Vec<u64> = (17..=30).collect();
    for q in ["4jXt634czfz6fF0", "4jXt634mSNz6fK9"] {
        let flows = assert_flows(
            "content_filter_reinjection.log",
            q,
            &[(&["4jXt634czfz6fF0", "4jXt634mSNz6fK9"], xforward.clone())],
        );
        let msgs = &flows[0]["messages"];
        check(&msgs[0], json!({"parent": null, "sasl_username": "yusuf@example.com", "client_ip": "203.0.113.10"}));
        check(&msgs[1], json!({"parent": "4jXt634czfz6fF0", "client_ip": "127.0.0.1", "state": "delivered"}));
        check(&msgs[0]["deliveries"][0], json!({"to": "zoe@example.com", "filter_hop": true}));
        check(&msgs[1]["deliveries"][0], json!({"to": "zoe@example.com", "filter_hop": false, "status": "sent"}));
    }
    // The copy finished before the `queued as` line: still one flow.
    assert_flows(
        "reinjection_child_removed_first.log",
        "3pJjgB6dpKz1JBPW",
        &[(&["3pJjg82Vycz1JBJG", "3pJjgB6dpKz1JBPW"], (1..=13).collect())],
    );
    // An alias forwarded elsewhere by local(8).
    assert_flows("local_forward.log", "bob@example.org", &[(&["8B3F1C0D2E", "9C4A2D1E3F"], (1..=12).collect())]);
    // The expired message, its delay notification and its bounce.
    assert_flows(
        "bounce_notification.log",
        "5D6E7F8A9B",
        &[(&["3B4C5D6E7F", "4C5D6E7F8A", "5D6E7F8A9B"], (12..=31).collect())],
    );
}

/// A message whose life spans a rotation: lines from mail.log.1.gz, then
/// mail.log, in that order, each quoted from its own file.
#[test]
fn across_rotated_files() {
    let dir = fixture("rotation_boundary");
    let flows = trace("9F8E7D6C5B", &dir, &["--year", "2026"]);
    assert_eq!(flows.len(), 1);
    let old_text = fixture_lines("rotation_boundary.mail.log.1.txt");
    let cur_text = fixture_lines("rotation_boundary/mail.log");
    let old = path_str(&dir.join("mail.log.1.gz"));
    let cur = path_str(&dir.join("mail.log"));
    let mut want: Vec<(String, u64, String)> =
        (1..=6).map(|n| (old.clone(), n, old_text[n as usize - 1].clone())).collect();
    want.extend([2u64, 3, 4].map(|n| (cur.clone(), n, cur_text[n as usize - 1].clone())));
    assert_eq!(flow_lines(&flows[0]), want);
}

/// No match: an object with no flows, a note naming the query, exit 1.
#[test]
fn no_match_is_no_flow_a_note_and_exit_1() {
    let p = path_str(&fixture("short_queue_ids.log"));
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["trace", "nobody@example.invalid", "--format", "json", "--log-tz", "UTC", "--year", "2026"])
        .args(["--exact", "--quiet", &p])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        json!({"query": "nobody@example.invalid", "flows": []})
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "postsleuth: no message matches \"nobody@example.invalid\"\n");
}

/// Options that cannot mean anything are usage errors (exit 2), not a
/// silently different output: trace is not a table, and a year outside
/// 1970..=9999 put every line at the epoch.
#[test]
fn meaningless_options_are_usage_errors() {
    let p = path_str(&fixture("short_queue_ids.log"));
    for bad in [
        &["trace", "840A4C0FF0", &p, "--format", "csv"][..],
        &["trace", "840A4C0FF0", &p, "--format", "markdown"],
        &["check", &p, "--year", "262143"],
        &["check", &p, "--year", "0"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_postsleuth")).args(bad).output().expect("run postsleuth");
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// `check --format json` gives its counts as JSON integers.
#[test]
fn check_counts_are_integers() {
    let p = path_str(&fixture("short_queue_ids.log"));
    let rows: Value = serde_json::from_str(&run_ok(&["check", &p, "--year", "2026", "--format", "json"])).unwrap();
    let lines = rows.as_array().unwrap().iter().find(|r| r["what"] == "lines").unwrap();
    assert!(lines["value"].is_u64(), "{lines}");
}
