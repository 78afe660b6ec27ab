//! Dovecot's lines in the mail log, end to end: its logins and failures are
//! auth records with their service, each attempt counted once, whether a
//! login process (IMAP, POP3, submission) or Postfix's SASL client asked
//! Dovecot's auth service; and suspects counts IMAP guesses in the wave.

mod common;
mod suspects_support;

use common::*;
use serde_json::{json, Value};

const Y2026: &[&str] = &["--year", "2026", "--exact"];

fn counts(p: &std::path::Path, extra: &[&str]) -> serde_json::Map<String, Value> {
    let f = path_str(p);
    let mut args = vec!["check", "--format", "json", "--log-tz", "UTC", "--quiet"];
    args.extend_from_slice(extra);
    args.push(&f);
    let rows: Vec<Value> = serde_json::from_str(&run_ok(&args)).expect("check JSON");
    rows.into_iter().filter_map(|r| Some((r["what"].as_str()?.to_string(), r["value"].clone()))).collect()
}

/// A login process's `Disconnected (auth failed, N attempts …)` is N
/// failures, and the auth service's lines of its session are not counted
/// again; a connection that logs in after failing has only the auth
/// service's word for the failure; an SMTP AUTH checked by Dovecot is
/// Postfix's one failure, named by Dovecot when Postfix does not name it;
/// a session's failure whose verdict is not in the input still counts.
#[test]
fn dovecot_logins_and_failures() {
    let p = fixture("dovecot_auth.log");
    let fail = |ip: &str, user: &str, service: &str, line: u64| {
        let user = if user.is_empty() { Value::Null } else { json!(user) };
        json!({"client_ip": ip, "sasl_username": user, "success": false, "service": service, "line": line})
    };
    let ann = fail("192.0.2.50", "ann@example.test", "imap", 4);
    let anon = fail("192.0.2.53", "", "submission", 12);
    check_rows(
        &export("auth", &p, Y2026),
        vec![
            ann.clone(),
            ann.clone(),
            ann,
            fail("192.0.2.60", "bob@example.test", "imap", 5),
            json!({"client_ip": "192.0.2.60", "sasl_username": "bob@example.test", "sasl_method": "PLAIN",
                "success": true, "service": "imap", "line": 6}),
            // Postfix's warning names no account; Dovecot's verdict before it does.
            json!({"client_ip": "192.0.2.51", "sasl_username": "ann@example.test", "sasl_method": "LOGIN",
                "success": false, "service": "smtp", "instance": "postfix/submission", "line": 8}),
            fail("192.0.2.52", "admin@example.test", "smtp", 10),
            fail("2001:db8::7", "carl@example.test", "pop3", 11),
            anon.clone(),
            anon,
            // A user name cannot move the address: the last rip= is Dovecot's.
            fail("192.0.2.54", "x>, method=PLAIN, rip=203.0.113.9, lip=198.51.100.1, session=<no>", "imap", 13),
            fail("192.0.2.56", "dora@example.test", "dovecot", 16),
        ],
    );
    let c = counts(&p, &["--year", "2026"]);
    assert_eq!(c["auth attempts"], 12);
    assert_eq!(c["postfix lines"], 2);
    assert_eq!(c["other programs' lines"], 14);
    assert_eq!(c["unrecognised postfix lines"], 0);
}

/// The real Postfix + Dovecot incident: every `auth: passwd-file(…)`
/// verdict is the backend of a Postfix SASL failure, so the auth records
/// are the same with and without Dovecot's lines.
#[test]
fn smtp_auth_through_dovecot_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let real = fixture("real_incident");
    let mut all = String::new();
    for name in ["mail.log.2.gz", "mail.log.1", "mail.log"] {
        let lines = suspects_support::file_lines(&real.join(name));
        for l in lines {
            all.push_str(&String::from_utf8(l).unwrap());
            all.push('\n');
        }
    }
    let with = dir.path().join("with.log");
    let without = dir.path().join("without.log");
    std::fs::write(&with, &all).unwrap();
    let postfix_only: String = all.lines().filter(|l| !l.contains(" dovecot: ")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&without, &postfix_only).unwrap();
    assert!(all.matches(" dovecot: auth: passwd-file(").count() >= 40);
    let strip = |rows: Vec<Value>| -> Vec<Value> {
        rows.into_iter()
            .map(|mut r| {
                // Dropping Dovecot's lines moves the line numbers.
                r.as_object_mut().unwrap().remove("file");
                r.as_object_mut().unwrap().remove("line");
                r
            })
            .collect()
    };
    let a = strip(export("auth", &with, Y2026));
    let b = strip(export("auth", &without, Y2026));
    assert_eq!(a, b);
    let failures = a.iter().filter(|r| r["success"] == false).count();
    assert_eq!(failures, all.matches("authentication failed").count());
    assert!(a.iter().all(|r| r["service"] == "smtp"));
}

/// Guesses over IMAP are part of the wave before a compromise; the
/// attacker's IMAP login is evidence of the cracked password.
#[test]
fn imap_guesses_join_the_wave() {
    let user = "victim@example.com";
    let mut log = suspects_support::incident_log(user);
    // 2026-11-22T08:30Z and 08:40Z: two IMAP connections of the wave.
    for (at, ip, n) in [("08:30:00", "5.137.20.40", 3), ("08:40:00", "5.137.20.41", 2)] {
        log.push_str(&format!(
            "2026-11-22T{at}.000000+00:00 mx1 dovecot: imap-login: Disconnected (auth failed, {n} attempts in 9 secs): \
             user=<{user}>, method=PLAIN, rip={ip}, lip=198.51.100.1, TLS, session=<s{n}>\n"
        ));
    }
    let mut lines: Vec<&str> = log.lines().collect();
    lines.sort_by_key(|l| l.get(..26).unwrap_or(""));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mail.log");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let args = suspects_support::strings(&["suspects", "--format", "json", "--tz", "UTC", "--quiet", "--exact"]);
    let mut args = args;
    args.push(path_str(&p));
    let v = suspects_support::run_json(&args);
    let first = &v["suspects"][0];
    assert_eq!(first["suspect"], user, "{v:#}");
    assert_eq!(first["brute_force"]["failures"], 17, "{:#}", first["brute_force"]);
    assert_eq!(first["brute_force"]["naming_account"], 17, "{:#}", first["brute_force"]);
    assert_eq!(first["brute_force"]["ips"], 14, "{:#}", first["brute_force"]);
    assert_eq!(first["compromised_at"], "2026-11-22T10:00:01Z");
}

/// The attacker reading the victim's mailbox over IMAP before sending: that
/// login, from an address new to the account, is the compromise.
#[test]
fn an_imap_login_is_evidence_of_the_cracked_password() {
    let user = "victim@example.com";
    let mut log = suspects_support::incident_log(user);
    log.push_str(&format!(
        "2026-11-22T09:50:00.000000+00:00 mx1 dovecot: imap-login: Login: user=<{user}>, method=PLAIN, \
         rip=5.137.20.156, lip=198.51.100.1, mpid=777, TLS, session=<atk>\n"
    ));
    let mut lines: Vec<&str> = log.lines().collect();
    lines.sort_by_key(|l| l.get(..26).unwrap_or(""));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mail.log");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let mut args = suspects_support::strings(&["suspects", "--format", "json", "--tz", "UTC", "--quiet", "--exact"]);
    args.push(path_str(&p));
    let v = suspects_support::run_json(&args);
    let first = &v["suspects"][0];
    assert_eq!(first["suspect"], user, "{v:#}");
    assert_eq!(first["compromised_at"], "2026-11-22T09:50:00Z", "{:#}", first);
    assert_eq!(first["login"]["ip"], "5.137.20.156");
}
