//! One Postfix edge case per fixture (tests/fixtures/NAME.log), read end to
//! end through the binary: `export --table … --format json` and the summary
//! must hold exactly the records the lines describe. RFC 3164 fixtures are
//! read with `--year 2026` (except where the year is what is tested).

mod common;

use common::*;
use serde_json::{json, Value};
use std::fs::File;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// A single fixture among others in its folder: no rotated siblings.
const Y2026: &[&str] = &["--year", "2026", "--exact"];

fn read(name: &str) -> (std::path::PathBuf, String) {
    let p = fixture(name);
    let s = path_str(&p);
    (p, s)
}

/// `YYYY-MM-DDTHH:MM:SSZ` as a SystemTime, for file mtimes.
fn at(rfc3339: &str) -> SystemTime {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap();
    SystemTime::UNIX_EPOCH + Duration::from_secs(t.timestamp() as u64)
}

fn set_mtime(p: &Path, t: &str) {
    File::options().write(true).open(p).unwrap().set_modified(at(t)).unwrap();
}

#[test]
fn short_queue_ids() {
    let (p, f) = read("short_queue_ids.log");
    let msgs = export("messages", &p, Y2026);
    check_rows(
        &msgs,
        vec![
            json!({"host": "mx1", "queue_id": "840A4C0FF0", "origin": "smtpd", "instance": "postfix",
                "client_name": "unknown", "client_ip": "203.0.113.45", "sasl_method": "LOGIN",
                "sasl_username": "alice@example.com", "message_id": "20261123031301.840A4C0FF0@mail.example.com",
                "sender": "alice@example.com", "size": 1145, "nrcpt": 1, "state": "delivered", "sent": 1,
                "deferred": 0, "first_seen": "2026-11-23T03:13:01Z", "last_seen": "2026-11-23T03:13:03Z",
                "parent": null, "is_continuation": false, "file": f, "line": 2}),
            json!({"host": "mx1", "queue_id": "3C5D7E9F1A2", "origin": "pickup", "uid": 1000, "client_ip": null,
                "sasl_username": null, "sender": "carol@example.com", "size": 612, "state": "queued", "sent": 0,
                "deferred": 1, "first_seen": "2026-11-23T03:20:10Z", "last_seen": "2026-11-23T03:20:41Z",
                "file": f, "line": 8}),
            json!({"host": "mx1", "queue_id": "1B2C3D4E5F6A", "origin": "smtpd", "client_name": "mail.example.net",
                "client_ip": "198.51.100.30", "sasl_username": null, "sender": "news@example.net", "size": 20480,
                "state": "delivered", "sent": 1, "first_seen": "2026-11-23T03:25:03Z", "file": f, "line": 13}),
        ],
    );
    let lens: Vec<usize> = column(&msgs, "queue_id").iter().map(|q| q.as_str().unwrap().len()).collect();
    assert_eq!(lens, [10, 11, 12]);
    check_rows(
        &export("deliveries", &p, Y2026),
        vec![
            // `queued as` from a remote MX is not a re-injection.
            json!({"queue_id": "840A4C0FF0", "daemon": "smtp", "to": "bob@example.net",
                "relay": "mx.example.net[198.51.100.25]:25", "delay": 1.9, "delays": "0.05/0.01/0.9/0.94",
                "dsn": "2.0.0", "status": "sent", "response": "250 2.0.0 Ok: queued as 4F1A2B3C4D",
                "filter_hop": false, "time": "2026-11-23T03:13:03Z", "line": 6}),
            json!({"queue_id": "3C5D7E9F1A2", "to": "dave@example.org", "relay": "none", "delay": 31.0,
                "dsn": "4.4.1", "status": "deferred",
                "response": "connect to mx.example.org[203.0.113.80]:25: Connection timed out", "line": 11}),
            json!({"queue_id": "1B2C3D4E5F6A", "daemon": "local", "to": "alice@example.com", "relay": "local",
                "status": "sent", "response": "delivered to mailbox", "line": 17}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[18]);
    let totals: Vec<u64> = [
        "received",
        "delivered",
        "deferred",
        "still_queued",
        "bytes_received",
        "bytes_delivered",
        "distinct_recipients",
    ]
    .iter()
    .map(|t| total(&s, t))
    .collect();
    // distinct_recipients: every address of a final delivery, the deferred one too.
    assert_eq!(totals, [3, 2, 1, 1, 1145 + 612 + 20480, 1145 + 20480, 3]);
}

#[test]
fn long_queue_ids() {
    let (p, f) = read("long_queue_ids.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"host": "mx2", "queue_id": "4Y7Lrk1TnQz4BfX", "origin": "smtpd", "client_ip": "192.0.2.17",
                "sasl_method": "PLAIN", "sasl_username": "frank@example.com",
                "message_id": "f7c1a2b3-9d4e-4f00-8a11-0123456789ab@example.com", "sender": "frank@example.com",
                "size": 3377, "nrcpt": 2, "state": "bounced", "sent": 1, "bounced": 1, "recipients": 2,
                "first_seen": "2026-11-23T09:41:18Z", "last_seen": "2026-11-23T09:41:20Z", "file": f, "line": 2}),
            json!({"host": "mx2", "queue_id": "4Y7Lrn0DcJz4BgC", "origin": "notification", "parent": 0,
                "link": "notification", "is_continuation": false, "root": 1, "sender": "", "size": 5480,
                "state": "delivered", "first_seen": "2026-11-23T09:41:20Z", "line": 8}),
        ],
    );
    check_rows(
        &export("deliveries", &p, Y2026),
        vec![
            json!({"queue_id": "4Y7Lrk1TnQz4BfX", "to": "grace@example.net", "status": "sent",
                "response": "250 2.0.0 Ok: queued as 4Y7Lrm2VbHz9KqW", "filter_hop": false, "line": 6}),
            json!({"queue_id": "4Y7Lrk1TnQz4BfX", "to": "heidi@example.org", "status": "bounced", "dsn": "5.1.1",
                "response": "host mx.example.org[203.0.113.80] said: 550 5.1.1 <heidi@example.org>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
                "line": 7}),
            json!({"queue_id": "4Y7Lrn0DcJz4BgC", "daemon": "virtual", "to": "frank@example.com",
                "relay": "virtual", "status": "sent", "line": 12}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[13]);
    // The bounce notification is Postfix's own message: not "received".
    assert_eq!((total(&s, "received"), total(&s, "delivered"), total(&s, "bounced")), (1, 2, 1));
}

#[test]
fn queue_id_reuse_is_two_messages() {
    let (p, f) = read("queue_id_reuse.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"message": 0, "queue_id": "5A1B2C3D4E", "origin": "smtpd", "sasl_username": "alice@example.com",
                "message_id": "first@example.com", "sender": "alice@example.com", "size": 1000,
                "state": "delivered", "sent": 1, "deferred": 0, "first_seen": "2026-11-23T10:00:01Z",
                "last_seen": "2026-11-23T10:00:02Z", "file": f, "line": 2, "session": 0}),
            json!({"message": 1, "queue_id": "5A1B2C3D4E", "origin": "pickup", "uid": 33, "sasl_username": null,
                "client_ip": null, "message_id": "second@mx1.example.com", "sender": "www-data@mx1.example.com",
                "size": 2000, "state": "delivered", "sent": 1, "deferred": 1,
                "first_seen": "2026-11-23T10:07:30Z", "last_seen": "2026-11-23T10:37:31Z", "file": f, "line": 8,
                "session": null}),
        ],
    );
    check_rows(
        &export("deliveries", &p, Y2026),
        vec![
            json!({"message": 0, "to": "bob@example.net", "status": "sent", "line": 6}),
            json!({"message": 1, "to": "victim@example.org", "status": "deferred", "line": 11}),
            json!({"message": 1, "to": "victim@example.org", "status": "sent", "line": 12}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[13]);
    assert_eq!((total(&s, "received"), total(&s, "delivered"), total(&s, "deferred")), (2, 2, 1));
}

/// The committed mail.log.1.gz is the readable fixture gzipped in two
/// members (as `cat a.gz b.gz` or some rotation tools make them).
#[test]
fn rotation_boundary_gzip_is_the_readable_fixture_in_two_members() {
    use std::io::Read;
    let gz = std::fs::read(fixture("rotation_boundary/mail.log.1.gz")).unwrap();
    let mut all = String::new();
    flate2::read::MultiGzDecoder::new(&gz[..]).read_to_string(&mut all).unwrap();
    assert_eq!(all, std::fs::read_to_string(fixture("rotation_boundary.mail.log.1.txt")).unwrap());
    let mut first = String::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut first).unwrap();
    assert_eq!(first.lines().count(), 3, "the first member holds 3 of the 6 lines");
}

#[test]
fn rotation_boundary_is_one_message() {
    let dir = fixture("rotation_boundary");
    let (old, cur) = (path_str(&dir.join("mail.log.1.gz")), path_str(&dir.join("mail.log")));
    let msgs = export("messages", &dir, &["--year", "2026"]);
    check_rows(
        &msgs,
        vec![json!({"queue_id": "9F8E7D6C5B", "origin": "smtpd", "sasl_username": "ivan@example.com",
            "client_ip": "192.0.2.66", "sender": "ivan@example.com", "state": "delivered", "sent": 1, "deferred": 1,
            "first_seen": "2026-11-22T23:58:41Z", "last_seen": "2026-11-23T00:09:13Z", "file": old, "line": 2,
            "session": 0})],
    );
    check_rows(
        &export("deliveries", &dir, &["--year", "2026"]),
        vec![
            json!({"status": "deferred", "time": "2026-11-22T23:59:12Z", "file": old, "line": 6}),
            json!({"status": "sent", "time": "2026-11-23T00:09:13Z", "file": cur, "line": 3}),
        ],
    );
    let s = summary(&dir, &["--year", "2026"]);
    assert_clean_read(&s, &[6, 4]);
    assert_eq!(column(s["files"].as_array().unwrap(), "file"), [&json!(old), &json!(cur)]);
    assert_eq!((total(&s, "received"), total(&s, "delivered"), total(&s, "still_queued")), (1, 1, 0));
}

/// Without `--year`, each rotated file's year comes from its own mtime.
#[test]
fn rotation_boundary_years_from_mtimes() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, mtime) in [("mail.log.1.gz", "2026-11-23T06:25:00Z"), ("mail.log", "2026-11-23T12:00:00Z")] {
        let to = tmp.path().join(name);
        std::fs::copy(fixture("rotation_boundary").join(name), &to).unwrap();
        set_mtime(&to, mtime);
    }
    let msgs = export("messages", tmp.path(), &[]);
    check_rows(
        &msgs,
        vec![json!({"queue_id": "9F8E7D6C5B", "first_seen": "2026-11-22T23:58:41Z",
            "last_seen": "2026-11-23T00:09:13Z", "state": "delivered"})],
    );
}

#[test]
fn year_rollover_from_mtime() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("year_rollover.log");
    std::fs::copy(fixture("year_rollover.log"), &p).unwrap();
    set_mtime(&p, "2027-01-01T12:00:00Z");
    check_rows(
        &export("messages", &p, &["--exact"]),
        vec![json!({"queue_id": "0A1B2C3D4E", "sasl_username": "kim@example.com", "state": "delivered",
            "first_seen": "2026-12-31T23:59:58Z", "last_seen": "2027-01-01T00:00:03Z", "line": 2})],
    );
    check_rows(
        &export("sessions", &p, &["--exact"]),
        vec![json!({"pid": 5120, "client_ip": "198.51.100.77", "start": "2026-12-31T23:59:58Z",
            "end": "2027-01-01T00:00:00Z", "messages": 1, "auth_ok": true})],
    );
    check_rows(
        &export("deliveries", &p, &["--exact"]),
        vec![json!({"to": "lee@example.net", "time": "2027-01-01T00:00:03Z", "status": "sent"})],
    );
    // The Dec 31 line logged after a Jan 1 line (another process, late)
    // stays in 2026: the span does not run to the end of 2027.
    let s = summary(&p, &["--exact"]);
    assert_clean_read(&s, &[8]);
    assert_eq!((&s["first"], &s["last"]), (&json!("2026-12-31T23:59:58Z"), &json!("2027-01-01T00:00:03Z")));
    // `--year` names the oldest line's year and overrides the mtime.
    let s = summary(&p, &["--exact", "--year", "2030"]);
    assert_eq!((&s["first"], &s["last"]), (&json!("2030-12-31T23:59:58Z"), &json!("2031-01-01T00:00:03Z")));
}

/// RFC 3164 lines (local time, here Europe/Berlin = +01:00 in November) and
/// RFC 3339 lines with fractions and offsets (`+01:00`, `Z`, `-05:00`, and
/// journald's `+0100`) in one file, one message spanning both.
#[test]
fn mixed_timestamps() {
    let (p, f) = read("mixed_timestamps.log");
    let opts = ["--year", "2026", "--exact", "--log-tz", "Europe/Berlin"];
    check_rows(
        &export("messages", &p, &opts),
        vec![
            json!({"queue_id": "6D5C4B3A29", "state": "delivered", "first_seen": "2026-11-23T02:13:01Z",
                "last_seen": "2026-11-23T02:13:05Z", "file": f, "line": 2}),
            json!({"queue_id": "7E6D5C4B3A", "state": "queued", "first_seen": "2026-11-23T02:14:00Z",
                "last_seen": "2026-11-23T02:14:01Z", "file": f, "line": 9}),
        ],
    );
    check_rows(
        &export("sessions", &p, &opts),
        vec![
            json!({"pid": 2310, "start": "2026-11-23T02:13:00Z", "end": "2026-11-23T02:13:02Z", "messages": 1}),
            json!({"pid": 2320, "start": "2026-11-23T02:14:00Z", "end": "2026-11-23T02:14:02Z", "messages": 1}),
        ],
    );
    let s = summary(&p, &opts);
    assert_clean_read(&s, &[12]);
    assert_eq!((&s["first"], &s["last"]), (&json!("2026-11-23T02:13:00Z"), &json!("2026-11-23T02:14:02Z")));
}

/// The same, to the microsecond, through the library (JSON shows seconds).
#[test]
fn mixed_timestamps_keep_fractions() {
    use postsleuth::time::{civil_to_micros, Zone};
    let opts = postsleuth::ingest::IngestOptions {
        paths: vec![fixture("mixed_timestamps.log")],
        exact: true,
        year: Some(2026),
        log_zone: Zone::parse("Europe/Berlin").unwrap(),
        keep_lines: false,
        keep_details: true,
        progress: false,
        verbose: false,
        ..Default::default()
    };
    let ds = postsleuth::ingest::ingest(&opts).unwrap();
    let r = &ds.records;
    let t = |h, mi, s, us| civil_to_micros(2026, 11, 23, h, mi, s) + us;
    let seen: Vec<(i64, i64)> = r.messages.iter().map(|m| (m.first_seen, m.last_seen)).collect();
    assert_eq!(seen, [(t(2, 13, 1, 0), t(2, 13, 5, 200_000)), (t(2, 14, 0, 500_000), t(2, 14, 1, 999_999))]);
    assert_eq!(r.deliveries[0].time, t(2, 13, 5, 123_456));
    let sessions: Vec<(Option<i64>, Option<i64>)> = r.sessions.iter().map(|s| (s.start, s.end)).collect();
    assert_eq!(sessions, [(Some(t(2, 13, 0, 0)), Some(t(2, 13, 2, 0))), (Some(t(2, 14, 0, 0)), Some(t(2, 14, 2, 0)))]);
}

#[test]
fn ipv6_clients() {
    let (p, _) = read("ipv6_clients.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"queue_id": "8B7A6C5D4E", "client_name": "client6.example.org", "client_ip": "2001:db8:10::25",
                "sasl_username": "olivia@example.com", "root_client_ip": "2001:db8:10::25", "state": "delivered"}),
            json!({"queue_id": "9C8B7A6D5E", "client_name": "localhost", "client_ip": "::1", "sasl_username": null,
                "sender": "root@mx1.example.com", "state": "delivered"}),
        ],
    );
    check_rows(
        &export("deliveries", &p, Y2026),
        vec![
            json!({"to": "peggy@example.net", "relay": "mx.example.net[2001:db8:20::1]:25", "status": "sent"}),
            json!({"to": "root@mx1.example.com", "orig_to": "postmaster@mx1.example.com", "relay": "local",
                "status": "sent"}),
        ],
    );
    check_rows(
        &export("auth", &p, Y2026),
        vec![
            json!({"client_ip": "2001:db8:10::25", "sasl_method": "PLAIN", "sasl_username": "olivia@example.com",
                "success": true, "line": 2}),
            json!({"client_name": "unknown", "client_ip": "2001:db8:bad::66", "sasl_method": "LOGIN",
                "sasl_username": "olivia@example.com", "success": false, "time": "2026-11-23T11:05:02Z",
                "line": 9}),
        ],
    );
    check_rows(
        &export("rejects", &p, Y2026),
        vec![json!({"client_ip": "2001:db8:bad::66", "stage": "RCPT", "code": "554", "dsn": "5.7.1",
            "reason": "<quentin@example.net>: Relay access denied", "sender": "spoof@example.com",
            "recipient": "quentin@example.net", "helo": "[IPv6:2001:db8:bad::66]", "line": 10})],
    );
    check_rows(
        &export("sessions", &p, Y2026),
        vec![
            json!({"pid": 6001, "client_ip": "2001:db8:10::25", "auth_ok": true, "auth_failed": 0, "messages": 1}),
            json!({"pid": 6004, "client_ip": "2001:db8:bad::66", "auth_ok": false, "auth_failed": 1, "messages": 0,
                "stats": "ehlo=1 auth=0/1 mail=1 rcpt=0/1 quit=1 commands=3/5"}),
            json!({"pid": 6005, "client_ip": "::1", "messages": 1}),
        ],
    );
    assert_clean_read(&summary(&p, Y2026), &[18]);
}

/// `syslog_name` with a slash (`postfix/submission`) and with a dash
/// (`postfix-submission`): the daemon is smtpd, the instance the rest.
#[test]
fn submission_instances() {
    let (p, _) = read("submission_instances.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"queue_id": "2E3F4A5B6C", "instance": "postfix/submission", "sasl_method": "PLAIN",
                "sasl_username": "rob@example.com", "sasl_sender": null, "client_ip": "198.51.100.14",
                "state": "delivered", "session": 0}),
            json!({"queue_id": "3F4A5B6C7D", "instance": "postfix-submission", "sasl_method": "LOGIN",
                "sasl_username": "tina@example.com", "sasl_sender": "tina@example.com", "client_ip": "203.0.113.99",
                "state": "delivered", "session": 1}),
        ],
    );
    check_rows(
        &export("auth", &p, Y2026),
        vec![
            json!({"instance": "postfix/submission", "sasl_username": "rob@example.com", "success": true}),
            json!({"instance": "postfix-submission", "sasl_username": "tina@example.com", "success": true}),
            json!({"instance": "postfix-submission", "client_ip": "203.0.113.200", "sasl_method": "LOGIN",
                "sasl_username": null, "success": false, "line": 17}),
        ],
    );
    check_rows(
        &export("sessions", &p, Y2026),
        vec![
            json!({"instance": "postfix/submission", "pid": 7101, "auth_ok": true, "messages": 1, "abort": null}),
            json!({"instance": "postfix-submission", "pid": 7201, "auth_ok": true, "messages": 1}),
            json!({"instance": "postfix-submission", "pid": 7202, "auth_ok": false, "auth_failed": 1,
                "abort": "lost connection after AUTH", "messages": 0}),
        ],
    );
    assert_clean_read(&summary(&p, Y2026), &[19]);
}

/// A content filter re-injects each message as a new queue ID: amavis on
/// 127.0.0.1:10024 (`queued as` in its answer), and a filter passing
/// XFORWARD (`orig_queue_id=` on the copy's `client=` line). The copy is the
/// same message: counted once, attributed to the original's account and IP.
#[test]
fn content_filter_reinjection() {
    let (p, f) = read("content_filter_reinjection.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"message": 0, "queue_id": "4jXt5Q1bBNz6fD2", "instance": "postfix/submission",
                "client_ip": "192.0.2.201", "sasl_username": "victor@example.com", "parent": null, "link": null,
                "root": 0, "is_continuation": false, "root_sasl_username": "victor@example.com",
                "root_client_ip": "192.0.2.201", "state": "delivered", "file": f, "line": 2}),
            json!({"message": 1, "queue_id": "4jXt5R2cCPz6fD7", "instance": "postfix/reinject",
                "client_name": "localhost", "client_ip": "127.0.0.1", "sasl_username": null, "parent": 0,
                "link": "reinjected", "root": 0, "is_continuation": true,
                "root_sasl_username": "victor@example.com", "root_client_ip": "192.0.2.201",
                "message_id": "amavis.flow@example.com", "size": 2300, "state": "queued", "line": 7}),
            json!({"message": 2, "queue_id": "4jXt634czfz6fF0", "client_ip": "203.0.113.10",
                "sasl_username": "yusuf@example.com", "root": 2, "is_continuation": false, "state": "delivered",
                "line": 18}),
            json!({"message": 3, "queue_id": "4jXt634mSNz6fK9", "client_ip": "127.0.0.1", "sasl_username": null,
                "parent": 2, "link": "reinjected", "root": 2, "is_continuation": true,
                "root_sasl_username": "yusuf@example.com", "root_client_ip": "203.0.113.10", "state": "delivered",
                "line": 23}),
        ],
    );
    check_rows(
        &export("deliveries", &p, Y2026),
        vec![
            json!({"message": 0, "to": "walter@example.net", "relay": "127.0.0.1[127.0.0.1]:10024",
                "status": "sent", "filter_hop": true, "line": 11}),
            json!({"message": 0, "to": "xena@example.org", "filter_hop": true, "line": 12}),
            json!({"message": 1, "root": 0, "to": "walter@example.net", "status": "sent", "filter_hop": false,
                "root_sasl_username": "victor@example.com", "root_client_ip": "192.0.2.201", "line": 15}),
            json!({"message": 1, "root": 0, "to": "xena@example.org", "status": "deferred", "filter_hop": false,
                "root_sasl_username": "victor@example.com", "root_client_ip": "192.0.2.201", "line": 16}),
            json!({"message": 2, "to": "zoe@example.com", "relay": "127.0.0.1[127.0.0.1]:10025",
                "filter_hop": true, "line": 26}),
            json!({"message": 3, "root": 2, "daemon": "lmtp", "to": "zoe@example.com", "status": "sent",
                "filter_hop": false, "root_sasl_username": "yusuf@example.com", "root_client_ip": "203.0.113.10",
                "line": 29}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[30]);
    let totals: Vec<u64> = [
        "received",
        "delivered",
        "deferred",
        "still_queued",
        "distinct_recipients",
        "auth_successes",
        "bytes_received",
    ]
    .iter()
    .map(|t| total(&s, t))
    .collect();
    // distinct_recipients: the deferred address too.
    assert_eq!(totals, [2, 2, 1, 1, 3, 2, 1800 + 900]);
    let accounts: Vec<(&Value, &Value)> =
        s["top_sasl_accounts"].as_array().unwrap().iter().map(|r| (&r["account"], &r["messages"])).collect();
    assert_eq!(accounts, [(&json!("victor@example.com"), &json!(1)), (&json!("yusuf@example.com"), &json!(1))]);
    let ips = column(s["top_client_ips"].as_array().unwrap(), "ip");
    assert_eq!(ips, [&json!("192.0.2.201"), &json!("203.0.113.10")], "127.0.0.1 sent nothing of its own");
}

/// The filter's copy can be delivered and removed before the filter's `250
/// … queued as` reaches the log (lines of different processes are not
/// ordered): still one message.
#[test]
fn reinjection_child_removed_first() {
    let (p, _) = read("reinjection_child_removed_first.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"queue_id": "3pJjg82Vycz1JBJG", "instance": "postfix-inbound", "client_ip": "203.0.113.44",
                "is_continuation": false, "state": "delivered"}),
            json!({"queue_id": "3pJjgB6dpKz1JBPW", "client_ip": "127.0.0.1", "parent": 0, "link": "reinjected",
                "is_continuation": true, "root": 0, "root_client_ip": "203.0.113.44", "state": "delivered"}),
        ],
    );
    check_rows(
        &export("deliveries", &p, Y2026),
        vec![
            json!({"message": 1, "to": "tj@example.com", "filter_hop": false, "root_client_ip": "203.0.113.44"}),
            json!({"message": 0, "to": "tj@example.com", "filter_hop": true}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[13]);
    assert_eq!((total(&s, "received"), total(&s, "delivered"), total(&s, "bytes_received")), (1, 1, 4000));
}

/// A content filter on another host: only XFORWARD's `orig_queue_id=` says
/// the copy continues the original, and the original's delivery to the
/// filter is a hop, not a delivery.
#[test]
fn remote_content_filter() {
    let (p, _) = read("remote_content_filter.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"queue_id": "6C7D8E9F0A", "sasl_username": "eve@example.com", "is_continuation": false}),
            json!({"queue_id": "7D8E9F0A1B", "client_name": "filter.example.com", "client_ip": "192.0.2.25",
                "parent": 0, "link": "reinjected", "is_continuation": true, "root_sasl_username": "eve@example.com",
                "root_client_ip": "203.0.113.5"}),
        ],
    );
    check_rows(
        &export("deliveries", &p, Y2026),
        vec![
            json!({"message": 0, "relay": "filter.example.com[192.0.2.25]:10024", "filter_hop": true}),
            json!({"message": 1, "to": "amy@example.net", "status": "sent", "filter_hop": false,
                "root_sasl_username": "eve@example.com"}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[14]);
    assert_eq!((total(&s, "received"), total(&s, "delivered")), (1, 1));
}

#[test]
fn bounce_notification() {
    let (p, _) = read("bounce_notification.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"message": 0, "queue_id": "1F2E3D4C5B", "origin": "pickup", "uid": 1001,
                "sender": "walt@mx1.example.com", "state": "bounced", "sent": 1, "bounced": 1}),
            json!({"message": 1, "queue_id": "2A3B4C5D6E", "origin": "notification", "parent": 0,
                "link": "notification", "is_continuation": false, "root": 1, "sender": "", "state": "delivered",
                "message_id": "20261123140002.2A3B4C5D6E@mx1.example.com", "line": 6}),
            json!({"message": 2, "queue_id": "3B4C5D6E7F", "origin": "smtpd", "sasl_username": "xavier@example.com",
                "state": "expired", "deferred": 2, "first_seen": "2026-11-23T14:10:01Z",
                "last_seen": "2026-11-28T14:10:50Z"}),
            json!({"message": 3, "queue_id": "4C5D6E7F8A", "origin": "notification", "parent": 2,
                "link": "notification", "state": "delivered"}),
            json!({"message": 4, "queue_id": "5D6E7F8A9B", "origin": "notification", "parent": 2,
                "link": "notification", "state": "delivered", "first_seen": "2026-11-28T14:10:50Z"}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[31]);
    let totals: Vec<u64> =
        ["received", "delivered", "deferred", "bounced", "expired", "still_queued", "distinct_recipients"]
            .iter()
            .map(|t| total(&s, t))
            .collect();
    // distinct_recipients: the bounced and expired addresses too.
    assert_eq!(totals, [2, 4, 2, 1, 1, 0, 5]);
}

#[test]
fn pickup_uid() {
    let (p, _) = read("pickup_uid.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"queue_id": "6E7F8A9B0C", "origin": "pickup", "uid": 33, "root_uid": 33, "instance": "postfix",
                "client_ip": null, "sender": "www-data@mx1.example.com", "nrcpt": 3, "recipients": 3,
                "state": "queued", "sent": 2, "deferred": 1, "line": 1}),
            json!({"queue_id": "7F8A9B0C1D", "origin": "pickup", "uid": 0, "root_uid": 0,
                "sender": "root@mx1.example.com", "state": "delivered", "line": 7}),
        ],
    );
    check_rows(
        &export("deliveries", &p, Y2026),
        vec![
            json!({"to": "one@example.net", "status": "sent", "root_uid": 33}),
            json!({"to": "two@example.net", "status": "sent", "root_uid": 33}),
            json!({"to": "three@example.org", "status": "deferred", "dsn": "4.7.0", "root_uid": 33}),
            json!({"to": "admin@mx1.example.com", "orig_to": "root", "status": "sent", "root_uid": 0,
                "response": "delivered to command: /usr/bin/procmail -a \"$EXTENSION\""}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[11]);
    let uids: Vec<(&Value, &Value)> =
        s["top_local_uids_pickup"].as_array().unwrap().iter().map(|r| (&r["uid"], &r["messages"])).collect();
    assert_eq!(uids, [(&json!(0), &json!(1)), (&json!(33), &json!(1))]);
}

#[test]
fn postsuper_delete_hold_release() {
    let (p, _) = read("postsuper_delete.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"queue_id": "8A9B0C1D2E", "state": "deleted", "deferred": 1, "last_seen": "2026-11-23T16:20:00Z"}),
            json!({"queue_id": "9B0C1D2E3F", "state": "held", "deferred": 1, "last_seen": "2026-11-23T16:20:30Z"}),
            json!({"queue_id": "0C1D2E3F4A", "uid": 1002, "state": "delivered", "deferred": 1, "sent": 1,
                "last_seen": "2026-11-23T16:25:02Z"}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[22]);
    let totals: Vec<u64> =
        ["received", "deleted", "held", "still_queued", "delivered", "deferred"].iter().map(|t| total(&s, t)).collect();
    assert_eq!(totals, [3, 1, 1, 0, 1, 3]);
}

#[test]
fn noqueue_reject() {
    let (p, _) = read("noqueue_reject.log");
    let spamhaus = "Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.7";
    let header = "header Subject: Cheap meds from the pharmacy from unknown[203.0.113.9]; from=<promo@example.org> to=<info@example.com> proto=ESMTP helo=<promo.example.org>: 5.7.1 Message content rejected";
    check_rows(
        &export("rejects", &p, Y2026),
        vec![
            json!({"daemon": "smtpd", "queue_id": null, "action": "reject", "stage": "RCPT",
                "client_name": "unknown", "client_ip": "203.0.113.7", "code": "554", "dsn": "5.7.1",
                "reason": spamhaus, "sender": "spam@example.org", "recipient": "info@example.com",
                "proto": "ESMTP", "helo": "[203.0.113.7]", "time": "2026-11-23T17:00:01Z", "line": 2}),
            json!({"stage": "RCPT", "client_name": "relay.example.net", "client_ip": "198.51.100.40",
                "reason": "<someone@example.org>: Relay access denied", "sender": "",
                "recipient": "someone@example.org", "helo": "relay.example.net", "line": 5}),
            json!({"stage": "CONNECT", "client_ip": "192.0.2.99", "code": "554", "dsn": "5.7.1",
                "reason": "<unknown[192.0.2.99]>: Client host rejected: Access denied", "sender": null,
                "recipient": null, "proto": "SMTP", "helo": null, "line": 8}),
            json!({"stage": "EHLO", "client_ip": "192.0.2.98", "code": "504", "dsn": "5.5.2",
                "reason": "<localhost>: Helo command rejected: need fully-qualified hostname", "sender": null,
                "proto": "SMTP", "helo": "localhost", "line": 11}),
            json!({"daemon": "smtpd", "queue_id": "1D2E3F4A5B", "stage": "RCPT", "code": "550", "dsn": "5.1.1",
                "reason": "<ghost@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
                "sender": "news@example.org", "recipient": "ghost@example.com", "line": 16}),
            json!({"daemon": "cleanup", "queue_id": "1D2E3F4A5B", "action": "reject", "stage": "END-OF-MESSAGE",
                "client_name": "mail.example.org", "client_ip": "203.0.113.50", "code": null, "dsn": "5.7.1",
                "reason": "Spam message rejected", "sender": "news@example.org", "recipient": "info@example.com",
                "proto": "ESMTP", "helo": "mail.example.org", "line": 18}),
            json!({"daemon": "postscreen", "stage": "RCPT", "client_name": null, "client_ip": "192.0.2.77",
                "code": "550", "dsn": "5.5.1", "reason": "Protocol error", "sender": "a@example.org",
                "recipient": "b@example.com", "proto": "ESMTP", "helo": "x.example.org", "line": 21}),
            json!({"daemon": "cleanup", "queue_id": "2E3F4A5B6C", "action": "reject", "stage": "header",
                "client_name": "unknown", "client_ip": "203.0.113.9", "code": null, "dsn": "5.7.1",
                "reason": header, "sender": "promo@example.org", "recipient": "info@example.com",
                "proto": "ESMTP", "helo": "promo.example.org", "line": 24}),
        ],
    );
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"queue_id": "1D2E3F4A5B", "client_ip": "203.0.113.50", "message_id": "newsletter.77@example.org",
                "state": "rejected", "session": 4}),
            json!({"queue_id": "2E3F4A5B6C", "client_ip": "203.0.113.9", "state": "rejected", "session": 5}),
        ],
    );
    check_rows(
        &export("sessions", &p, Y2026),
        vec![
            json!({"pid": 9401, "messages": 0, "stats": "ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4"}),
            json!({"pid": 9402, "messages": 0}),
            json!({"pid": 9403, "messages": 0, "stats": "commands=0/0"}),
            json!({"pid": 9404, "abort": "lost connection after EHLO"}),
            json!({"pid": 9405, "messages": 1}),
            json!({"pid": 9407, "messages": 1}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[25]);
    assert_eq!(total(&s, "rejected"), 8);
}

/// Failures with and without the username, rsyslog's `message repeated N
/// times: [ … ]` (N more failures, on the line's own file:line), and the
/// login that finally worked.
#[test]
fn auth_failures() {
    let (p, f) = read("auth_failures.log");
    let fail = |ip: &str, method: &str, user: Option<&str>, time: &str, line: u64| {
        json!({"client_name": "unknown", "client_ip": ip, "sasl_method": method, "sasl_username": user,
            "success": false, "time": time, "file": f, "line": line})
    };
    check_rows(
        &export("auth", &p, Y2026),
        vec![
            fail("203.0.113.66", "LOGIN", None, "2026-11-23T18:00:02Z", 2),
            fail("203.0.113.66", "LOGIN", None, "2026-11-23T18:00:04Z", 3),
            fail("203.0.113.66", "LOGIN", None, "2026-11-23T18:00:04Z", 3),
            fail("203.0.113.66", "LOGIN", None, "2026-11-23T18:00:04Z", 3),
            fail("203.0.113.67", "PLAIN", Some("alice@example.com"), "2026-11-23T18:01:02Z", 7),
            fail("203.0.113.68", "LOGIN", Some("bob@example.com"), "2026-11-23T18:02:02Z", 11),
            fail("203.0.113.68", "LOGIN", Some("alice@example.com"), "2026-11-23T18:02:04Z", 12),
            json!({"client_name": "client.example.com", "client_ip": "198.51.100.60", "sasl_method": "PLAIN",
                "sasl_username": "alice@example.com", "success": false, "line": 15}),
            // One success per session, though both messages carry it.
            json!({"client_ip": "198.51.100.60", "sasl_username": "alice@example.com", "success": true,
                "time": "2026-11-23T18:03:03Z", "line": 16}),
        ],
    );
    check_rows(
        &export("sessions", &p, Y2026),
        vec![
            json!({"pid": 9501, "auth_failed": 4, "auth_ok": false, "abort": "too many errors after AUTH"}),
            json!({"pid": 9502, "auth_failed": 1, "auth_ok": false, "abort": "lost connection after AUTH"}),
            json!({"pid": 9503, "auth_failed": 2, "auth_ok": false, "abort": null}),
            json!({"pid": 9504, "auth_failed": 1, "auth_ok": true, "messages": 2}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[22]);
    assert_eq!((total(&s, "auth_failures"), total(&s, "auth_successes")), (8, 1));
    check(
        &s["top_auth_failure_sources"][0],
        json!({"ip": "203.0.113.66", "auth_failures": 4, "usernames_tried": 0,
            "first": "2026-11-23T18:00:02Z", "last": "2026-11-23T18:00:04Z"}),
    );
}

/// Response texts with nested parentheses and commas, a quoted local part
/// with a comma, `conn_use=`, `orig_to=`, and pipe/local responses that end
/// in parentheses of their own.
#[test]
fn nested_parentheses() {
    let (p, _) = read("nested_parentheses.log");
    check_rows(
        &export("deliveries", &p, Y2026),
        vec![
            json!({"to": "big@example.net", "relay": "mx.example.net[198.51.100.25]:25", "delay": 2.1,
                "delays": "0.02/0.01/1/1.1", "dsn": "4.7.28", "status": "deferred",
                "response": "host mx.example.net[198.51.100.25] said: 421-4.7.28 Our system has detected an unusual rate of unsolicited mail (see https://support.example.net/mail/?p=RateLimit, section (b), for more info). 421 4.7.28 To protect our users, mail has been temporarily rate limited. a1b2c3 - gsmtp (in reply to end of DATA command)"}),
            json!({"to": "\"last, first\"@example.org", "relay": "mx.example.org[203.0.113.80]:25", "delay": 3.0,
                "dsn": "5.7.1", "status": "bounced",
                "response": "host mx.example.org[203.0.113.80] said: 550 5.7.1 Message rejected (policy (strict), see https://example.org/why?a=1,b=2) (in reply to end of DATA command)"}),
            json!({"daemon": "local", "to": "zed@mx1.example.com", "orig_to": "zed+list@mx1.example.com",
                "relay": "local", "status": "sent",
                "response": "delivered to command: /usr/bin/procmail -a \"$EXTENSION\" (wrapper, v2)"}),
            json!({"daemon": "pipe", "to": "archive@mx1.example.com", "relay": "dovecot", "status": "sent",
                "response": "delivered via dovecot service (dovecot-lda, 2.3.19)"}),
            json!({"queue_id": "5B6C7D8E9F", "to": "zed@mx1.example.com", "status": "sent"}),
        ],
    );
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            // One recipient deferred and no `removed`: still in the queue,
            // whatever happened to the others.
            json!({"queue_id": "4A5B6C7D8E", "state": "queued", "sent": 2, "deferred": 1, "bounced": 1}),
            json!({"queue_id": "5B6C7D8E9F", "origin": "notification", "parent": 0, "state": "delivered"}),
        ],
    );
    assert_clean_read(&summary(&p, Y2026), &[12]);
}

/// Central syslog: two hosts use the same queue ID and the same smtpd pid
/// at the same second. The host is part of every key.
#[test]
fn two_hosts_same_queue_id() {
    let (p, _) = read("two_hosts.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"host": "mx1", "queue_id": "C0FFEE1234", "client_ip": "203.0.113.21",
                "sasl_username": "amy@example.com", "message_id": "on.mx1@example.com", "sender": "amy@example.com",
                "size": 1000, "state": "delivered", "session": 0}),
            json!({"host": "mx2", "queue_id": "C0FFEE1234", "client_ip": "203.0.113.22",
                "sasl_username": "ben@example.com", "message_id": "on.mx2@example.com", "sender": "ben@example.com",
                "size": 2000, "state": "queued", "session": 1}),
        ],
    );
    check_rows(
        &export("deliveries", &p, Y2026),
        vec![
            json!({"host": "mx2", "to": "carl@example.org", "status": "deferred", "root_sasl_username": "ben@example.com"}),
            json!({"host": "mx1", "to": "dana@example.net", "status": "sent", "root_sasl_username": "amy@example.com"}),
        ],
    );
    check_rows(
        &export("sessions", &p, Y2026),
        vec![
            json!({"host": "mx1", "pid": 1234, "client_ip": "203.0.113.21", "messages": 1, "line": 1}),
            json!({"host": "mx2", "pid": 1234, "client_ip": "203.0.113.22", "messages": 1, "line": 2}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[13]);
    assert_eq!((total(&s, "received"), total(&s, "delivered"), total(&s, "still_queued")), (2, 1, 1));
}

/// local(8) delivering to an alias or .forward that points elsewhere
/// resubmits the message (`forwarded as NEWID`): one message, not two.
#[test]
fn local_forward() {
    let (p, _) = read("local_forward.log");
    check_rows(
        &export("messages", &p, Y2026),
        vec![
            json!({"queue_id": "8B3F1C0D2E", "origin": "smtpd", "client_ip": "198.51.100.30", "is_continuation": false,
                "state": "delivered"}),
            json!({"queue_id": "9C4A2D1E3F", "origin": "unknown", "parent": 0, "link": "reinjected",
                "is_continuation": true, "root": 0, "root_client_ip": "198.51.100.30", "sender": "news@example.net",
                "state": "delivered", "line": 6}),
        ],
    );
    check_rows(
        &export("deliveries", &p, Y2026),
        vec![
            json!({"message": 0, "daemon": "local", "to": "bob@mx1.example.com", "orig_to": "postmaster@example.com",
                "response": "forwarded as 9C4A2D1E3F", "filter_hop": true}),
            json!({"message": 1, "root": 0, "to": "bob@example.org", "filter_hop": false,
                "root_client_ip": "198.51.100.30"}),
            json!({"message": 1, "root": 0, "to": "bob.backup@example.net", "filter_hop": false}),
        ],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[12]);
    assert_eq!((total(&s, "received"), total(&s, "delivered"), total(&s, "distinct_recipients")), (1, 2, 2));
}

/// `smtpd_client_port_logging = yes`: every client is `name[ip]:port`.
#[test]
fn client_port_logging() {
    let (p, _) = read("client_port_logging.log");
    check_rows(
        &export("auth", &p, Y2026),
        vec![
            json!({"client_name": "unknown", "client_ip": "203.0.113.66", "sasl_method": "LOGIN",
                "sasl_username": "alice@example.com", "success": false, "line": 2}),
            json!({"client_name": "client.example.com", "client_ip": "2001:db8::77", "sasl_method": "PLAIN",
                "sasl_username": "alice@example.com", "success": true, "line": 5}),
        ],
    );
    check_rows(
        &export("sessions", &p, Y2026),
        vec![
            json!({"pid": 9801, "client_ip": "203.0.113.66", "auth_failed": 1, "auth_ok": false,
                "end": "2026-11-23T22:00:03Z", "stats": "ehlo=1 auth=0/1 quit=1 commands=2/3"}),
            json!({"pid": 9802, "client_ip": "2001:db8::77", "auth_failed": 0, "auth_ok": true, "messages": 1,
                "end": "2026-11-23T22:01:02Z"}),
        ],
    );
    check_rows(
        &export("rejects", &p, Y2026),
        vec![json!({"queue_id": "3A4B5C6D7E", "client_ip": "2001:db8::77", "code": "550", "dsn": "5.1.1",
            "recipient": "nobody@example.com", "line": 6})],
    );
    check_rows(
        &export("messages", &p, Y2026),
        vec![json!({"queue_id": "3A4B5C6D7E", "client_ip": "2001:db8::77", "state": "delivered", "session": 1})],
    );
    let s = summary(&p, Y2026);
    assert_clean_read(&s, &[11]);
    assert_eq!((total(&s, "auth_failures"), total(&s, "auth_successes")), (1, 1));
}
