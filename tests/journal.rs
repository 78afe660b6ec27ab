//! `journalctl -o json` as input, recognised from its content. The fixtures
//! in `tests/fixtures/journal/` were written by the real journald tooling
//! (`systemd-journal-remote` from the export format, read back with
//! `journalctl --file F -o json`; `make.py` there) from the syslog files of
//! `tests/fixtures/real_incident/`: the same run in both formats.

mod common;

use common::{fixture, path_str};
use serde_json::Value;
use std::collections::HashSet;
use std::io::Write;
use std::process::{Command, Stdio};

const SYSLOG: [&str; 3] = ["real_incident/mail.log.2.gz", "real_incident/mail.log.1", "real_incident/mail.log"];
const JOURNAL: [&str; 3] = ["journal/mail.log.2.json", "journal/mail.log.1.json", "journal/mail.log.json"];

/// Runs postsleuth on `files` (fixture names, `-` for stdin) with `stdin`:
/// exit code, stdout, stderr.
fn run(args: &[&str], files: &[&str], stdin: Option<Vec<u8>>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_postsleuth"));
    cmd.args(args).args(["--format", "json", "--tz", "UTC", "--log-tz", "UTC", "--year", "2026", "--exact"]);
    cmd.args(files.iter().map(|f| if *f == "-" { "-".to_string() } else { path_str(&fixture(f)) }));
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn postsleuth");
    let writer = stdin.map(|data| {
        let mut w = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let _ = w.write_all(&data);
        })
    });
    let out = child.wait_with_output().expect("run postsleuth");
    if let Some(w) = writer {
        w.join().unwrap();
    }
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8");
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

/// The JSON of a clean run (exit 0, nothing on stderr).
fn json(args: &[&str], files: &[&str], stdin: Option<Vec<u8>>) -> Value {
    let (code, out, err) = run(args, files, stdin);
    assert_eq!((code, err.as_str()), (0, ""), "{args:?} {files:?}");
    serde_json::from_str(&out).expect("JSON")
}

/// A summary without the names of its files.
fn figures(mut v: Value) -> Value {
    for key in ["files", "input_problems"] {
        for f in v[key].as_array_mut().expect(key) {
            f.as_object_mut().unwrap().remove("file");
        }
    }
    v
}

/// `suspects` without file names and cursors, and its evidence text
/// without the time it begins with (`Dec  4 19:04:08` in syslog,
/// `2026-12-04T19:04:08.000000+00:00` from the journal).
fn findings(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("file");
            m.remove("cursor");
            if let Some(Value::String(text)) = m.get_mut("text") {
                // Every line of the incident is from host mx1.
                *text = text.split_once(" mx1 ").map_or("", |(_, rest)| rest).to_string();
            }
            m.values_mut().for_each(findings);
        }
        Value::Array(a) => a.iter_mut().for_each(findings),
        _ => {}
    }
}

fn files(names: &[&str]) -> Vec<u8> {
    names.iter().flat_map(|n| std::fs::read(fixture(n)).unwrap()).collect()
}

#[test]
fn the_journal_and_the_syslog_of_one_run_give_the_same_summary() {
    let syslog = json(&["summary"], &SYSLOG, None);
    let journal = json(&["summary"], &JOURNAL, None);
    assert_eq!(journal["totals"]["received"], 83, "{journal:#}");
    assert_eq!(journal["files"][1]["lines"], 285);
    assert_eq!(figures(journal), figures(syslog));
}

#[test]
fn the_journal_names_the_same_suspect_at_the_same_second() {
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(fixture("real_incident/truth.json")).unwrap())
        .expect("truth.json");
    let mut syslog = json(&["suspects", "--all"], &SYSLOG, None);
    let mut journal = json(&["suspects", "--all"], &JOURNAL, None);
    let first = &journal["suspects"][0];
    assert_eq!(first["suspect"], truth["compromised_account"], "{journal:#}");
    assert_eq!(first["compromised_at"], truth["first_malicious"]["time"]);
    assert_eq!(first["compromised_at"], syslog["suspects"][0]["compromised_at"]);
    assert_eq!(first["login"]["line"], truth["first_malicious"]["line"]);
    assert!(base(&first["login"]["file"]) == "mail.log.1.json", "{first:#}");
    findings(&mut syslog);
    findings(&mut journal);
    assert_eq!(journal, syslog);
}

/// Evidence from the journal's JSON, in `suspects` and `trace`, is the line
/// journalctl shows for the entry (`-o short-iso-precise --utc`, as the
/// real journalctl wrote `text/` from the same entries, its offset written
/// `+00:00`), named by file:line and by the entry's cursor.
#[test]
fn journal_evidence_is_the_line_journalctl_shows_with_its_cursor() {
    let shown = std::fs::read_to_string(fixture("journal/text/short-iso-precise.log")).unwrap();
    let shown: HashSet<String> = shown.lines().map(|l| l.replacen("+0000 ", "+00:00 ", 1)).collect();
    let check = |e: &Value| {
        let file = std::fs::read_to_string(e["file"].as_str().expect("file")).unwrap();
        let raw = file.lines().nth(e["line"].as_u64().expect("line") as usize - 1).unwrap();
        let entry: Value = serde_json::from_str(raw).unwrap();
        assert_eq!(e["cursor"], entry["__CURSOR"], "{e:#}");
        assert!(shown.contains(e["text"].as_str().expect("text")), "{e:#}");
    };
    let v = json(&["suspects"], &JOURNAL, None);
    let evidence = v["suspects"][0]["evidence"].as_array().expect("evidence");
    assert!(evidence.len() >= 3, "{v:#}");
    evidence.iter().for_each(check);
    let v = json(&["trace", "4D375C44C1"], &JOURNAL, None);
    let lines = v["flows"][0]["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 9, "{v:#}");
    lines.iter().for_each(check);
    // For people: the cursor under file:line, the line as journalctl shows it.
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["suspects", "--tz", "UTC", "--exact"])
        .args(JOURNAL.map(|f| path_str(&fixture(f))))
        .output()
        .unwrap();
    let out = String::from_utf8(out.stdout).unwrap();
    let (cursor, text) = (evidence[0]["cursor"].as_str().unwrap(), evidence[0]["text"].as_str().unwrap());
    assert!(out.contains(&format!("\n      cursor {cursor}\n      {text}\n")), "{out}");
}

/// The report quotes journal entries alike: readable text and cursor in
/// report.json, Markdown, and a last `cursor` column in
/// offender_evidence.csv.
#[test]
fn the_report_names_journal_entries_by_cursor() {
    let out = tempfile::tempdir().unwrap();
    let dir = path_str(out.path());
    let status = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["report", "--period", "day", "--since", "2026-12-04", "--tz", "UTC", "--log-tz", "UTC", "--exact"])
        .args(["--out", &dir, "--quiet"])
        .args(JOURNAL.map(|f| path_str(&fixture(f))))
        .status()
        .unwrap();
    assert!(status.success());
    let day = out.path().join("2026-12-04");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(day.join("report.json")).unwrap()).unwrap();
    let evidence = report["suspects"][0]["evidence"].as_array().expect("evidence");
    let login = evidence.iter().find(|e| e["line"] == report["suspects"][0]["login"]["line"]).expect("login");
    assert!(login["cursor"].as_str().is_some_and(|c| c.starts_with("s=")), "{login:#}");
    assert!(login["text"].as_str().unwrap().starts_with("2026-12-04T19:04:08.000000+00:00 mx1 "), "{login:#}");
    let md = std::fs::read_to_string(day.join("report.md")).unwrap();
    assert!(md.contains(&format!(":{} (cursor {}): ", login["line"], login["cursor"].as_str().unwrap())), "{md}");
    let csv = std::fs::read_to_string(day.join("offender_evidence.csv")).unwrap();
    assert!(csv.starts_with("subject,time,file,line,text,cursor\n"), "{csv}");
    assert!(csv.lines().nth(1).is_some_and(|l| l.contains(",s=")), "{csv}");
}

fn base(v: &Value) -> &str {
    v.as_str().unwrap_or("").rsplit('/').next().unwrap_or("")
}

/// journalctl writes a `MESSAGE` that is not valid UTF-8 as an array of
/// byte values: read like the syslog line with the same bytes, repaired
/// alike; a string with escapes (`\"`, `\\`) is read unescaped.
#[test]
fn messages_as_byte_arrays_and_with_escapes() {
    let text = std::fs::read_to_string(fixture("journal/extra.json")).unwrap();
    assert!(text.contains(r#""MESSAGE":[99,111,110,110,101,99,116"#), "the fixture holds a byte array");
    assert!(text.contains(r#"from=<\"a \\\"b\\\"\"@example.org>"#), "and a string with escapes");
    let syslog = run(&["summary"], &["journal/extra.log"], None);
    let journal = run(&["summary"], &["journal/extra.json"], None);
    assert_eq!(journal.0, 0, "{}", journal.2);
    let (s, j): (Value, Value) = (serde_json::from_str(&syslog.1).unwrap(), serde_json::from_str(&journal.1).unwrap());
    assert_eq!(j["files"][0]["repaired_utf8"], 3, "{j:#}");
    assert_eq!(j["totals"]["rejected"], 1);
    assert_eq!(figures(j), figures(s));
    // The same lines repaired, named alike.
    let lines = |err: &str, name: &str| err.replace(&path_str(&fixture(name)), "F");
    assert_eq!(lines(&journal.2, "journal/extra.json"), lines(&syslog.2, "journal/extra.log"));
    // The escaped sender and helo, read back by export as syslog has them.
    let rejects = |name: &str| {
        let (code, out, err) = run(&["export", "--table", "rejects"], &[name], None);
        assert_eq!(code, 0, "{err}");
        let mut v: Value = serde_json::from_str(&out).unwrap();
        v[0].as_object_mut().unwrap().remove("file");
        v
    };
    let j = rejects("journal/extra.json");
    assert_eq!((j[0]["sender"].as_str(), j[0]["helo"].as_str()), (Some(r#""a \"b\""@example.org"#), Some(r"h\x")));
    assert_eq!(j, rejects("journal/extra.log"));
}

/// A line that is no journal entry is skipped and named with file:line, as
/// a bad syslog line is, in the journal's words; the rest is read.
#[test]
fn a_malformed_line_is_skipped_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("journal/mail.log.1.json")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let cut = &lines[9][..40];
    let no_time = r#"{"MESSAGE":"no time","_HOSTNAME":"mx1"}"#;
    lines.insert(3, no_time);
    lines.insert(10, cut);
    let path = dir.path().join("j.json");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let p = path_str(&path);
    let mut both = JOURNAL.map(|f| path_str(&fixture(f))).to_vec();
    both[1] = p.clone();
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["summary", "--format", "json", "--tz", "UTC", "--log-tz", "UTC", "--exact"])
        .args(&both)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            format!("postsleuth: {p}:4: not a journal record: \"{no_time}\""),
            format!("postsleuth: {p}:11: not a journal record: \"{cut}\""),
            format!("postsleuth: {p}: skipped 2 of 287 lines (2 not a journal record)"),
        ]
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][1]["skipped"], 2);
    assert_eq!(v["totals"], json(&["summary"], &SYSLOG, None)["totals"]);
}

/// Journal and syslog files (plain and gzip) in one run, each recognised by
/// its content: the run's figures and suspect as from syslog alone.
#[test]
fn journal_and_syslog_files_mix_in_one_run() {
    let mixed = ["real_incident/mail.log.2.gz", "journal/mail.log.1.json", "real_incident/mail.log"];
    assert_eq!(figures(json(&["summary"], &mixed, None)), figures(json(&["summary"], &SYSLOG, None)));
    let v = json(&["suspects", "--all"], &mixed, None);
    assert_eq!(v["suspects"][0]["suspect"], "carol@example.test");
    assert_eq!(v["suspects"][0]["compromised_at"], "2026-12-04T19:04:08Z");
}

/// The journal on standard input, as `journalctl -o json | postsleuth -`
/// gives it; also gzipped, and after a syslog file.
#[test]
fn the_journal_on_standard_input() {
    let want = json(&["summary"], &SYSLOG, None)["totals"].clone();
    let v = json(&["summary"], &["-"], Some(files(&JOURNAL)));
    assert_eq!(v["files"][0]["file"], "<stdin>");
    assert_eq!(v["files"][0]["lines"], 87 + 285 + 709);
    assert_eq!(v["totals"], want);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&files(&JOURNAL)).unwrap();
    assert_eq!(json(&["summary"], &["-"], Some(gz.finish().unwrap()))["totals"], want);
    let v = json(&["summary"], &["real_incident/mail.log.2.gz", "-"], Some(files(&JOURNAL[1..])));
    assert_eq!(v["totals"], want);
}
