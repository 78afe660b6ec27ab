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

/// Milters' verdicts (smtpd with NOQUEUE or a queue ID, and cleanup) and a
/// before-queue filter's (`proxy-reject`, `proxy-accept`) are rejects with
/// their stage, code and text; a verdict on a whole message makes it
/// rejected, held or discarded; `proxy-accept`'s `queued as` gives the
/// filter's re-injected message the session's client.
#[test]
fn milter_and_proxy_verdicts() {
    let p = fixture("milter_and_proxy.log");
    check_rows(
        &export("rejects", &p, Y2026),
        vec![
            json!({"daemon": "smtpd", "queue_id": null, "action": "reject", "via": "milter", "stage": "RCPT",
                "client_name": "mail.example.org", "client_ip": "203.0.113.20", "code": "451", "dsn": "4.7.1",
                "reason": "Greylisting in action, please come back later", "sender": "news@example.org",
                "recipient": "ann@example.com", "helo": "mail.example.org", "line": 2}),
            json!({"queue_id": "7C3D4E5F6A", "action": "reject", "via": "milter", "stage": "DATA",
                "client_ip": "198.51.100.31", "code": "550", "dsn": "5.7.1", "reason": "Command rejected",
                "sender": "promo@example.net", "recipient": "bob@example.com", "line": 6}),
            json!({"queue_id": "8D4E5F6A7B", "action": "hold", "via": "milter", "stage": "END-OF-MESSAGE",
                "client_ip": "203.0.113.21", "code": null, "dsn": null, "reason": "milter triggers HOLD action",
                "line": 10}),
            json!({"daemon": "cleanup", "queue_id": "9E5F6A7B8C", "action": "discard", "via": "milter",
                "stage": "END-OF-MESSAGE", "client_ip": "192.0.2.60", "reason": "milter triggers DISCARD action",
                "recipient": "dora@example.com", "line": 14}),
            json!({"daemon": "smtpd", "queue_id": null, "action": "accept", "via": "proxy", "stage": "END-OF-MESSAGE",
                "client_name": "sender.example.net", "client_ip": "198.51.100.32", "code": "250", "dsn": "2.0.0",
                "reason": "from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as AF6A7B8C9D",
                "sender": "eve@example.net", "recipient": "fay@example.com", "line": 21}),
            json!({"action": "reject", "via": "proxy", "client_ip": "198.51.100.32", "code": "554", "dsn": "5.7.0",
                "reason": "Reject, id=4105-01 - spam", "recipient": "gus@example.com", "line": 25}),
            json!({"action": "reject", "via": "proxy", "client_ip": "198.51.100.32", "code": null, "dsn": null,
                "reason": "", "sender": "eve@example.net", "recipient": "hal@example.com", "proto": "ESMTP",
                "helo": "sender.example.net", "line": 26}),
        ],
    );
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"queue_id": "7C3D4E5F6A", "state": "rejected"}),
            json!({"queue_id": "8D4E5F6A7B", "state": "held"}),
            json!({"queue_id": "9E5F6A7B8C", "state": "discarded"}),
            json!({"queue_id": "AF6A7B8C9D", "client_name": "sender.example.net", "client_ip": "198.51.100.32",
                "state": "delivered", "session": 4}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[27]);
    assert_eq!((total(&s, "rejected"), total(&s, "held"), total(&s, "discarded")), (4, 1, 1));
    let c = counts(&p);
    assert_eq!(count(&c, "rejects"), 7);
}

/// A session whose `connect` is not in the input is known from its abort
/// (`lost connection after …`, `too many errors`, pipelining, timeout, TLS
/// handshake, bare newline, `NOQUEUE: lost connection`), with its client;
/// the `disconnect` that follows closes that session, abort kept.
#[test]
fn session_aborts_without_connect() {
    let p = fixture("session_aborts_without_connect.log");
    let s =
        |pid: u32, ip: &str, abort: &str, line: u64| json!({"pid": pid, "client_ip": ip, "abort": abort, "line": line});
    let sessions = export("sessions", &p, Y2026);
    check_rows(
        &sessions,
        vec![
            s(5101, "203.0.113.81", "lost connection after CONNECT", 1),
            s(5102, "198.51.100.82", "too many errors after RCPT", 3),
            s(5103, "2001:db8::83", "improper command pipelining after EHLO", 5),
            s(5104, "192.0.2.84", "timeout after DATA (1024 bytes)", 6),
            s(5105, "192.0.2.85", "SSL_accept error", 7),
            s(5106, "203.0.113.86", "bare <LF> received after CONNECT", 8),
            s(5107, "192.0.2.87", "lost connection after CONNECT", 9),
            s(5108, "198.51.100.88", "lost connection after AUTH", 10),
            // Two aborts of one process naming two clients: two sessions
            // (the first one's `disconnect` is missing).
            s(5109, "192.0.2.89", "lost connection after CONNECT", 13),
            s(5109, "192.0.2.90", "lost connection after STARTTLS", 14),
        ],
    );
    check(&sessions[0], json!({"start": null, "end": "2026-11-23T06:00:01Z", "stats": "commands=0/0"}));
    check(&sessions[1], json!({"client_name": "unknown", "end": "2026-11-23T06:00:11Z"}));
    check(&sessions[2], json!({"end": null}));
    check(&sessions[7], json!({"start": "2026-11-23T06:01:00Z", "auth_failed": 1}));
    let c = counts(&p);
    // `check` keeps no session texts, so it cannot tell the two clients of
    // pid 5109 apart: one session there.
    assert_eq!((count(&c, "sessions"), count(&c, "unrecognised postfix lines")), (9, 0));
    assert_clean_read(&summary(&p, Y2026), &[14]);
}

/// local(8) writes `to=user@host` without brackets: a delivery like any
/// other. `status=expired, returned to sender` names the sender of a
/// message whose `from=` line is before the input.
#[test]
fn local_unbracketed_and_expired() {
    let p = fixture("local_unbracketed_and_expired.log");
    check_rows(
        &export("deliveries", &p, Y2026),
        vec![
            json!({"queue_id": "1C2D3E4F5A", "daemon": "local", "to": "ops@mx1.example.com",
                "orig_to": "root@localhost", "relay": "local", "dsn": "2.0.0", "status": "sent",
                "response": "delivered to command: procmail -a \"$EXTENSION\"", "line": 4}),
            json!({"to": "nobody-here@mx1.example.com", "orig_to": null, "relay": "local", "dsn": "5.1.1",
                "status": "bounced", "response": "unknown user: \"nobody-here\"", "line": 5}),
        ],
    );
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"queue_id": "1C2D3E4F5A", "uid": 0, "sender": "root@mx1.example.com", "state": "bounced"}),
            json!({"queue_id": "2D3E4F5A6B", "sender": "old@example.org", "state": "expired"}),
            json!({"queue_id": "3E4F5A6B7C", "sender": "", "state": "expired"}),
        ],
    );
    assert_clean_read(&summary(&p, Y2026), &[8]);
}

/// SASL failures without a mechanism, and Postfix 3.9's
/// `sasl_username=(unavailable)` (no account named).
#[test]
fn sasl_failure_variants() {
    let p = fixture("sasl_failure_variants.log");
    check_rows(
        &export("auth", &p, Y2026),
        vec![
            json!({"client_ip": "192.0.2.40", "sasl_method": "", "sasl_username": null, "success": false, "line": 1}),
            json!({"client_ip": "192.0.2.41", "sasl_method": "PLAIN", "sasl_username": null, "line": 2}),
            json!({"client_ip": "192.0.2.41", "sasl_method": "LOGIN", "sasl_username": "ivan@example.com", "line": 3}),
        ],
    );
    let c = counts(&p);
    assert_eq!((count(&c, "auth attempts"), count(&c, "postfix warnings")), (3, 0));
}

/// postscreen's and tlsproxy's verdicts, dnsblog's listings, anvil's
/// statistics and smtpd's warnings naming a client are client events with
/// the client's IP; cache sweeps are understood and recorded nowhere.
#[test]
fn client_events() {
    let p = fixture("client_events.log");
    let e = |daemon: &str, event: &str, ip: &str, line: u64| json!({"daemon": daemon, "event": event, "client_ip": ip, "line": line});
    let rows = export("client-events", &p, Y2026);
    check_rows(
        &rows,
        vec![
            e("postscreen", "CONNECT", "203.0.113.90", 1),
            e("dnsblog", "listed", "203.0.113.90", 2),
            e("postscreen", "PREGREET", "203.0.113.90", 3),
            e("postscreen", "DNSBL", "203.0.113.90", 4),
            e("postscreen", "HANGUP", "203.0.113.90", 5),
            e("postscreen", "DISCONNECT", "203.0.113.90", 6),
            e("postscreen", "PASS NEW", "2001:db8::91", 7),
            e("postscreen", "COMMAND TIME LIMIT", "198.51.100.92", 8),
            e("postscreen", "NON-SMTP COMMAND", "198.51.100.93", 9),
            e("postscreen", "ALLOWLISTED", "192.0.2.94", 10),
            e("tlsproxy", "CONNECT", "192.0.2.95", 12),
            e("tlsproxy", "DISCONNECT", "192.0.2.95", 13),
            e("smtpd", "hostname does not resolve", "198.51.100.96", 14),
            e("smtpd", "Connection rate limit exceeded", "198.51.100.97", 15),
            e("smtpd", "Message delivery request rate limit exceeded", "198.51.100.97", 16),
            e("anvil", "max connection rate 31/60s", "198.51.100.97", 17),
            e("anvil", "max connection count 2", "2001:db8::91", 18),
        ],
    );
    check(&rows[1], json!({"pid": 8102, "client_net": "203.0.113.0/24", "detail": "zen.example.org as 127.0.0.2"}));
    check(&rows[3], json!({"detail": "rank 3 for [203.0.113.90]:50001", "time": "2026-11-23T09:00:06Z"}));
    check(&rows[12], json!({"client_name": "bad.example.net", "detail": "Name or service not known"}));
    check(
        &rows[13],
        json!({"client_name": "flood.example.net",
        "detail": "31 from flood.example.net[198.51.100.97] for service smtp"}),
    );
    check(&rows[15], json!({"client_name": null, "detail": "smtp"}));
    let c = counts(&p);
    assert_eq!((count(&c, "client events"), count(&c, "postfix warnings")), (17, 0));
    assert_clean_read(&summary(&p, Y2026), &[20]);
}

/// smtp(8)'s own words on a failed attempt are relay failures, each with
/// the delivery line it explains (the next of its process, of the same
/// message when it names one); qmgr's `skipped, still being delivered`,
/// cleanup's `map lookup problem`, anvil's `(smtp:unknown)` and smtpd's
/// `discarding EHLO keywords` are understood.
#[test]
fn relay_failures_and_queue_chatter() {
    let p = fixture("relay_failures.log");
    let f = |what: &str, relay: &str, ip: &str, qid: Value, to: Value, delivery: Value, line: u64| {
        json!({"event": what, "relay": relay, "relay_ip": ip, "queue_id": qid, "to": to,
            "delivery_line": delivery, "line": line})
    };
    let (q, bob, cat) = (json!("3C4D5E6F70"), json!("bob@example.net"), json!("cat@example.org"));
    check_rows(
        &export("relay-failures", &p, Y2026),
        vec![
            f("connect", "mx1.example.net[198.51.100.25]:25", "198.51.100.25", Value::Null, bob.clone(), json!(6), 3),
            f("connect", "mx2.example.net[198.51.100.26]:25", "198.51.100.26", Value::Null, bob.clone(), json!(6), 4),
            f("said", "mx3.example.net[198.51.100.27]", "198.51.100.27", q.clone(), bob, json!(6), 5),
            f("lost connection", "mx.example.org[203.0.113.25]", "203.0.113.25", q, cat, json!(8), 7),
            f(
                "timed out",
                "mx.example.com[192.0.2.88]",
                "192.0.2.88",
                json!("4D5E6F7081"),
                Value::Null,
                Value::Null,
                9,
            ),
            f(
                "sasl failed",
                "relay.example.com[192.0.2.89]",
                "192.0.2.89",
                json!("5E6F708192"),
                Value::Null,
                Value::Null,
                10,
            ),
            f("certificate", "mx.example.com[192.0.2.90]:25", "192.0.2.90", Value::Null, Value::Null, Value::Null, 11),
        ],
    );
    check(
        &export("relay-failures", &p, Y2026)[2],
        json!({"detail": "450 4.7.1 <bob@example.net>: Recipient address rejected: Greylisted (in reply to RCPT TO command)"}),
    );
    let c = counts(&p);
    assert_eq!(count(&c, "relay failures"), 7);
    assert_eq!(count(&c, "unrecognised postfix lines"), 0);
    assert_eq!(count(&c, "postfix warnings"), 0);
    // The two failures of messages whose `client=` is not in the input.
    assert_eq!(count(&c, "lines of messages begun before the input"), 2);
    assert_clean_read(&summary(&p, Y2026), &[15]);
}

/// Postfix ≥ 3.10's `sasl_method=`/`sasl_username=` after the HELO name
/// attribute a reject to the authenticated account; a HELO name that forges
/// them attributes it to nobody, authenticated or not.
#[test]
fn reject_sasl_fields() {
    let p = fixture("reject_sasl_fields.log");
    check_rows(
        &export("rejects", &p, Y2026),
        vec![
            json!({"helo": "ws1.example.test", "sasl_method": "PLAIN", "sasl_username": "ann@example.test",
                "client_ip": "192.0.2.31", "line": 1}),
            json!({"helo": "x> sasl_method=PLAIN sasl_username=bob@example.test", "sasl_username": null,
                "client_ip": "203.0.113.77", "line": 2}),
            json!({"sasl_username": null, "sasl_method": null, "client_ip": "203.0.113.78", "line": 3}),
        ],
    );
    assert_eq!(count(&counts(&p), "rejects"), 3);
}
