//! journalctl's text forms (`-o short`, `short-iso`, `short-iso-precise`,
//! `short-precise`, `short-full`), recognised from their content. The
//! fixtures in `tests/fixtures/journal/text/` and `dst/` were written by the
//! real journalctl from journal files systemd-journal-remote made of the
//! syslog lines of `tests/fixtures/real_incident/` (`make.py` there): the
//! same run as the syslog files, in each form.

mod common;

use common::{fixture, path_str};
use serde_json::Value;
use std::process::Command;

const SYSLOG: [&str; 3] = ["real_incident/mail.log.2.gz", "real_incident/mail.log.1", "real_incident/mail.log"];
const FORMS: [&str; 5] = ["short", "short-iso", "short-iso-precise", "short-precise", "short-full"];

/// Runs postsleuth on fixture `files`: exit code, stdout, stderr.
fn run(args: &[&str], files: &[String]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(args)
        .args(["--format", "json", "--tz", "UTC", "--year", "2026", "--exact"])
        .args(files)
        .output()
        .expect("run postsleuth");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8");
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

/// The JSON of a clean run (exit 0, nothing on stderr).
fn json(args: &[&str], files: &[String]) -> Value {
    let (code, out, err) = run(args, files);
    assert_eq!((code, err.as_str()), (0, ""), "{args:?} {files:?}");
    serde_json::from_str(&out).expect("JSON")
}

fn paths(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| path_str(&fixture(n))).collect()
}

fn form(name: &str) -> Vec<String> {
    paths(&[&format!("journal/text/{name}.log")])
}

/// Each form of the whole incident (the real journalctl's, `TZ=UTC`) gives
/// the syslog run's totals and suspect, at the same second; journalctl's
/// `-- Boot … --` line among them is neither a skipped line nor said.
#[test]
fn each_journalctl_text_form_reads_as_the_syslog_run() {
    let utc = ["--log-tz", "UTC"];
    let syslog = json(&[&["summary"][..], &utc].concat(), &paths(&SYSLOG));
    let suspect = json(&[&["suspects"][..], &utc].concat(), &paths(&SYSLOG))["suspects"][0].clone();
    assert_eq!(syslog["totals"]["received"], 83);
    assert_eq!(suspect["compromised_at"], "2026-12-04T19:04:08Z");
    for name in FORMS {
        let text = std::fs::read_to_string(fixture(&format!("journal/text/{name}.log"))).unwrap();
        assert_eq!(text.lines().nth(87), Some("-- Boot 6f0c5e1a2b3c4d5e8f9a0b1c2d3e4f50 --"), "{name}");
        let v = json(&[&["summary"][..], &utc].concat(), &form(name));
        assert_eq!(v["totals"], syslog["totals"], "{name}");
        assert_eq!(
            (v["files"][0]["lines"].as_u64(), v["files"][0]["skipped"].as_u64()),
            (Some(1082), Some(0)),
            "{name}"
        );
        let s = &json(&[&["suspects"][..], &utc].concat(), &form(name))["suspects"][0];
        assert_eq!((&s["suspect"], &s["compromised_at"]), (&suspect["suspect"], &suspect["compromised_at"]), "{name}");
        // The login line's number counts the lines before it, the marker too.
        let line = s["login"]["line"].as_u64().unwrap() as usize;
        assert!(text.lines().nth(line - 1).unwrap().contains("sasl_username=carol@example.test"), "{name}");
    }
}

/// What journalctl writes when nothing matches is no junk: nothing is
/// skipped, nothing said.
#[test]
fn no_entries_is_no_junk() {
    let v = json(&["summary", "--log-tz", "UTC"], &form("no-entries"));
    assert_eq!((v["files"][0]["lines"].as_u64(), v["files"][0]["skipped"].as_u64()), (Some(1), Some(0)));
    assert_eq!(v["totals"]["received"], 0);
}

fn first_seen(v: &Value) -> Vec<&str> {
    v.as_array().expect("rows").iter().map(|m| m["first_seen"].as_str().unwrap()).collect()
}

/// Around the end of summer time in Berlin (03:00 CEST back to 02:00 CET):
/// three messages at 02:40 CEST, 02:10 CET and 02:40 CET. Every text form
/// journalctl wrote with `TZ=Europe/Berlin`, read with that `--log-tz`,
/// gives the JSON's instants: `short-full` by its abbreviations, the others
/// by their offsets or by the wall clock going back.
#[test]
fn every_form_gives_the_journals_instants_across_a_dst_change() {
    let want = ["2026-10-25T00:40:23Z", "2026-10-25T01:10:24Z", "2026-10-25T01:40:25Z"];
    let export = ["export", "--table", "messages"];
    let json_run = json(&[&export[..], &["--log-tz", "UTC"]].concat(), &paths(&["journal/dst/dst.json"]));
    assert_eq!(first_seen(&json_run), want);
    let full = std::fs::read_to_string(fixture("journal/dst/short-full.log")).unwrap();
    assert!(full.contains(" 02:40:23 CEST ") && full.contains(" 02:40:25 CET "), "the fixture has both");
    for name in ["short", "short-iso", "short-precise", "short-full"] {
        let v = json(
            &[&export[..], &["--log-tz", "Europe/Berlin"]].concat(),
            &paths(&[&format!("journal/dst/{name}.log")]),
        );
        assert_eq!(first_seen(&v), want, "{name}");
    }
}

/// `short-full` read in a zone that has not its abbreviations (the log was
/// written in Berlin, read with `--log-tz UTC`): read in that zone, and said
/// once for the file, where it starts.
#[test]
fn an_abbreviation_the_log_zone_lacks_is_said_once() {
    let files = paths(&["journal/dst/short-full.log"]);
    let (code, out, err) = run(&["export", "--table", "messages", "--log-tz", "UTC"], &files);
    assert_eq!(code, 0, "{err}");
    let zone = format!(
        "postsleuth: {}:1: the time is in zone CEST, which the log's zone (UTC) does not use then: \
         read in UTC; name the zone the log was written in with --log-tz",
        files[0]
    );
    // Read in the wrong zone, the hour of the fall-back comes twice: time
    // goes back, and is said so.
    let back = format!(
        "postsleuth: {}:11: time goes back 29m59s here (2026-10-25 02:40:23Z, then 2026-10-25 02:10:24Z): \
         the input is out of order",
        files[0]
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[..2], [zone.as_str(), back.as_str()], "{err}");
    assert_eq!(lines.len(), 3, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(first_seen(&v), ["2026-10-25T02:40:23Z", "2026-10-25T02:10:24Z", "2026-10-25T02:40:25Z"]);
}

/// A syslog file, journalctl's text and its JSON in one run, each
/// recognised by its content: the figures of the syslog run.
#[test]
fn text_forms_mix_with_syslog_and_json_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read_to_string(fixture("journal/text/short-full.log")).unwrap();
    // The lines of mail.log.1 (after mail.log.2's 87, the boot marker first).
    let part: Vec<&str> = full.lines().skip(87).take(286).collect();
    assert!(part[0].starts_with("-- Boot ") && part[285].starts_with("Fri 2026-12-04 19:04:22 UTC "));
    let middle = dir.path().join("mail.log.1.short-full");
    std::fs::write(&middle, part.join("\n") + "\n").unwrap();
    let files = vec![
        path_str(&fixture("real_incident/mail.log.2.gz")),
        path_str(&middle),
        path_str(&fixture("journal/mail.log.json")),
    ];
    let mixed = json(&["summary", "--log-tz", "UTC"], &files);
    assert_eq!(mixed["totals"], json(&["summary", "--log-tz", "UTC"], &paths(&SYSLOG))["totals"]);
}
