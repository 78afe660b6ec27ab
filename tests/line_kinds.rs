//! The Postfix line kinds beyond a message's life (milters, before-queue
//! filters, sessions without their `connect`, warnings, postscreen…), one
//! fixture each (tests/fixtures/NAME.log), read end to end through the
//! binary: each must come out as exported records with exact values and be
//! counted by `check`, and no line may be left unrecognised.

mod common;

use common::*;
use serde_json::{json, Value};

const Y2026: &[&str] = &["--year", "2026", "--exact"];

/// `check --format json` of a fixture, as {what: value}.
fn counts(p: &std::path::Path) -> serde_json::Map<String, Value> {
    let f = path_str(p);
    let out = run_ok(&["check", "--format", "json", "--log-tz", "UTC", "--quiet", "--year", "2026", "--exact", &f]);
    let rows: Vec<Value> = serde_json::from_str(&out).expect("check JSON");
    rows.into_iter().filter_map(|r| Some((r["what"].as_str()?.to_string(), r["value"].clone()))).collect()
}

#[track_caller]
fn count(c: &serde_json::Map<String, Value>, what: &str) -> u64 {
    c.get(what).and_then(Value::as_u64).unwrap_or_else(|| panic!("no count {what:?} in {c:#?}"))
}

/// A network, a scoped address or shell text between the brackets is no
/// client IP: the record keeps its account and queue ID, without an IP,
/// and `check` counts the damage. IPv4-mapped IPv6 is the IPv4 address.
#[test]
fn damaged_client_addresses() {
    let p = fixture("damaged_client_addresses.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"queue_id": "5A1B2C3D4E", "client_name": "unknown", "client_ip": null,
                "sasl_username": "erin@example.com", "sender": "erin@example.com", "state": "delivered"}),
            json!({"queue_id": "6B2C3D4E5F", "client_name": "mail.example.org", "client_ip": "192.0.2.77",
                "sasl_username": "gina@example.com", "state": "queued"}),
        ],
    );
    // The auth table writes a missing text as "" (its columns are never null).
    check_rows(
        &export("auth", &p, Y2026),
        vec![
            json!({"client_ip": "", "sasl_username": "erin@example.com", "success": true, "line": 2}),
            json!({"client_name": "gw.example.org", "client_ip": "", "sasl_username": "erin@example.com",
                "success": false, "line": 8}),
            json!({"client_ip": "", "client_net": null, "sasl_method": "PLAIN", "success": false, "line": 10}),
            json!({"client_ip": "192.0.2.77", "client_net": "192.0.2.0/24", "success": false, "line": 11}),
            json!({"client_ip": "192.0.2.77", "sasl_username": "gina@example.com", "success": true, "line": 12}),
        ],
    );
    check_rows(
        &export("rejects", &p, Y2026),
        vec![json!({"client_name": "lan.example.org", "client_ip": null, "client_net": null,
            "recipient": "x@example.net", "line": 9})],
    );
    let c = counts(&p);
    assert_eq!(count(&c, "damaged client addresses"), 4);
    assert_eq!(count(&c, "unrecognised postfix lines"), 0);
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[12]);
}
