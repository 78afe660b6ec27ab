//! Bursts that are not compromises: volume at the very start of a freshly
//! rotated log has no history to be abnormal against. A newsletter account
//! that sends sixty messages in two minutes from its one server, and a web
//! application's steady pickup mail, must not be told as bursts; the same
//! volume from several addresses at once, right after the account's first
//! login, still is.

use serde_json::Value;
use std::fmt::Write as _;
use std::process::Command;

/// One SASL submission (smtpd, cleanup, qmgr, a deferred delivery, removed
/// later never: the relay is down), in Postfix 3.7's formats.
fn submission(log: &mut String, t: u32, n: u32, user: &str, ip: &str, sender: &str) {
    let (m, s) = (t / 60, t % 60);
    let at = format!("Dec  4 10:{m:02}:{s:02} mx1");
    let (pid, qid) = (3000 + n, format!("{:010X}", 0x003F_2A10_0000_u64 + u64::from(n) * 977));
    let _ = writeln!(log, "{at} postfix/submission/smtpd[{pid}]: connect from unknown[{ip}]");
    let _ = writeln!(
        log,
        "{at} postfix/submission/smtpd[{pid}]: {qid}: client=unknown[{ip}], sasl_method=PLAIN, sasl_username={user}"
    );
    let _ = writeln!(log, "{at} postfix/cleanup[900]: {qid}: message-id=<{n}@example.test>");
    let _ = writeln!(log, "{at} postfix/qmgr[800]: {qid}: from=<{sender}>, size=2048, nrcpt=1 (queue active)");
    let _ = writeln!(
        log,
        "{at} postfix/smtp[{}]: {qid}: to=<reader{n}@example.org>, relay=none, delay=0.2, delays=0.1/0/0.1/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:2525: Connection refused)",
        5000 + n
    );
    let _ = writeln!(
        log,
        "{at} postfix/submission/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6"
    );
}

/// One message a web application hands to sendmail (pickup, `uid=33`).
fn pickup(log: &mut String, t: u32, n: u32) {
    let (m, s) = (t / 60, t % 60);
    let at = format!("Dec  4 10:{m:02}:{s:02} mx1");
    let qid = format!("{:010X}", 0x005B_2A10_0000_u64 + u64::from(n) * 977);
    let _ = writeln!(log, "{at} postfix/pickup[700]: {qid}: uid=33 from=<www-data>");
    let _ = writeln!(log, "{at} postfix/cleanup[900]: {qid}: message-id=<w{n}@mx1.example.test>");
    let _ = writeln!(
        log,
        "{at} postfix/qmgr[800]: {qid}: from=<www-data@mx1.example.test>, size=900, nrcpt=1 (queue active)"
    );
    let _ = writeln!(
        log,
        "{at} postfix/smtp[{}]: {qid}: to=<customer{n}@example.org>, relay=none, delay=0.2, delays=0.1/0/0.1/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:2525: Connection refused)",
        6000 + n
    );
}

/// A few ordinary users over ten minutes, so that a typical account exists.
fn ordinary(log: &mut String) {
    for (i, user) in ["ann", "ben", "cat", "dan"].iter().enumerate() {
        for k in 0..2u32 {
            let t = 30 + i as u32 * 97 + k * 240;
            let ip = format!("198.51.100.{}", 10 + i);
            submission(
                log,
                t,
                900 + i as u32 * 10 + k,
                &format!("{user}@example.test"),
                &ip,
                &format!("{user}@example.test"),
            );
        }
    }
}

fn suspects(log: &str) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mail.log");
    // Postfix's lines are time-ordered in a real log.
    let mut lines: Vec<&str> = log.lines().collect();
    lines.sort_by_key(|l| l.get(..15).unwrap_or("").to_string());
    std::fs::write(&path, lines.join("\n") + "\n").expect("write log");
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["suspects", "--all", "--format", "json", "--tz", "UTC", "--log-tz", "UTC", "--year", "2026", "-q"])
        .arg(&path)
        .output()
        .expect("run postsleuth");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn find<'a>(v: &'a Value, who: &str) -> &'a Value {
    v["suspects"].as_array().and_then(|a| a.iter().find(|s| s["suspect"] == who)).unwrap_or(&Value::Null)
}

#[test]
fn a_newsletter_at_the_start_of_a_rotated_log_is_no_burst() {
    let mut log = String::new();
    ordinary(&mut log);
    for n in 0..60 {
        submission(&mut log, 2 + n * 2, n, "news@example.test", "198.51.100.50", "news@example.test");
    }
    let v = suspects(&log);
    let news = find(&v, "news@example.test");
    assert_eq!(news["compromised_at"], Value::Null, "{news:#}");
    assert_ne!(news["burst"]["abnormal"], true, "{news:#}");
}

#[test]
fn the_same_volume_from_several_addresses_at_once_is_one() {
    let mut log = String::new();
    ordinary(&mut log);
    for n in 0..60 {
        let ip = format!("203.0.113.{}", 1 + n % 4);
        submission(&mut log, 2 + n * 2, n, "news@example.test", &ip, &format!("promo{n}@spam.example"));
    }
    let v = suspects(&log);
    let news = find(&v, "news@example.test");
    assert_eq!(news["flagged"], true, "{news:#}");
    assert_eq!(news["compromised_at"], "2026-12-04T10:00:02Z");
    assert_eq!(news["burst"]["abnormal"], true);
}

#[test]
fn a_web_applications_steady_mail_from_the_first_line_is_no_burst() {
    let mut log = String::new();
    ordinary(&mut log);
    for n in 0..60 {
        pickup(&mut log, 1 + n * 9, n);
    }
    let v = suspects(&log);
    let uid = find(&v, "uid=33");
    assert_eq!(uid["compromised_at"], Value::Null, "{uid:#}");
    assert_ne!(uid["burst"]["abnormal"], true, "{uid:#}");
}
