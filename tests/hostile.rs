//! Attacker-written strings (HELO, envelope sender, SASL username,
//! message-id, and whole lines a local user can send with `logger -t
//! postfix/smtpd`) must not reach the user's terminal as escape sequences,
//! break a table, run as a spreadsheet formula, or render as HTML; JSON keeps
//! them exactly.

mod support;

use support::{parse_csv, run, stderr, stdout};

const CLEAR: &str = "\x1b[2J";
const TITLE: &str = "\x1b]0;title\x07";
const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";
const LINK: &str = "=HYPERLINK(\"http://evil.test/\",\"x\")";

/// Values the fixture plants, and where.
fn auth_fail_user() -> String {
    format!("{CLEAR}{SCRIPT}")
}
fn client_user() -> String {
    format!("{TITLE}{IMG}")
}
fn message_id() -> String {
    format!("{IMG}{CLEAR}@evil.test")
}
fn helo() -> String {
    format!("{CLEAR}{TITLE}{SCRIPT}{IMG}")
}
fn link_sender() -> String {
    format!("{LINK}@evil.test")
}

fn fixture() -> String {
    let lines = [
        "Nov 23 06:00:00 mx3 postfix/smtpd[6000]: connect from unknown[203.0.113.9]".to_string(),
        format!("Nov 23 06:00:01 mx3 postfix/smtpd[6000]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: authentication failure, sasl_username={}", auth_fail_user()),
        "Nov 23 06:00:02 mx3 postfix/smtpd[6000]: warning: unknown[203.0.113.9]: SASL PLAIN authentication failed: authentication failure, sasl_username=@SUM(A1)".to_string(),
        format!("Nov 23 06:00:03 mx3 postfix/smtpd[6000]: 0A1B2C3D4E: client=unknown[203.0.113.9], sasl_method=PLAIN, sasl_username={}", client_user()),
        format!("Nov 23 06:00:03 mx3 postfix/cleanup[6001]: 0A1B2C3D4E: message-id=<{}>", message_id()),
        format!("Nov 23 06:00:03 mx3 postfix/qmgr[6002]: 0A1B2C3D4E: from=<{}>, size=100, nrcpt=1 (queue active)", link_sender()),
        format!("Nov 23 06:00:04 mx3 postfix/smtp[6003]: 0A1B2C3D4E: to=<+1@evil.test>, relay=none, delay=0.1, delays=0/0/0/0.1, dsn=4.4.1, status=deferred (connect to evil.test[203.0.113.10]:25: {SCRIPT}{CLEAR})"),
        format!("Nov 23 06:00:05 mx3 postfix/smtpd[6000]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <-2@evil.test>: Relay access denied; from=<-2@evil.test> to=<-2@evil.test> proto=ESMTP helo=<{}>", helo()),
        "Nov 23 06:00:06 mx3 postfix/smtpd[6000]: disconnect from unknown[203.0.113.9] ehlo=1 auth=1/3 rcpt=0/1 commands=2/5".to_string(),
        "Nov 23 06:00:07 mx3 postfix/smtpd[6004]: 0B1B2C3D4E: client=unknown[203.0.113.9], sasl_method=LOGIN, sasl_username=+1".to_string(),
        "Nov 23 06:00:07 mx3 postfix/qmgr[6002]: 0B1B2C3D4E: from=<@SUM(A1)>, size=50, nrcpt=1 (queue active)".to_string(),
        format!("Nov 23 06:00:08 mx3 postfix/smtpd[6005]: 0C1B2C3D4E: client=unknown[203.0.113.9], sasl_method=LOGIN, sasl_username={LINK}"),
        "Nov 23 06:00:08 mx3 postfix/qmgr[6002]: 0C1B2C3D4E: from=<-2>, size=60, nrcpt=1 (queue active)".to_string(),
        "Nov 23 06:00:09 mx3 postfix/pickup[6006]: 0D1B2C3D4E: uid=1000 from=<+cmd|' /C calc'!A0>".to_string(),
        // Whole lines a local user can write with `logger -t postfix/…`:
        // they are counted as unrecognised and sampled.
        format!("Nov 23 06:00:10 mx3 postfix/smtpd[6007]: {SCRIPT}{CLEAR}{TITLE}"),
        format!("Nov 23 06:00:11 mx3 postfix/{}[6008]: hello", "<img src=x onerror=alert(1)>"),
        format!("Nov 23 06:00:12 {CLEAR}<svg/onload=alert(1)> postfix/qmgr[6009]: 0E1B2C3D4E: from=<a@b>, size=1, nrcpt=1 (queue active)"),
    ];
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: String,
}

fn setup() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("hostile.log");
    std::fs::write(&p, fixture()).unwrap();
    Fixture { path: support::path_str(&p).to_string(), _dir: dir }
}

const TABLES: [&str; 5] = ["messages", "deliveries", "auth", "rejects", "sessions"];

/// Runs, checks it ran cleanly, returns stdout.
fn output(args: &[&str]) -> String {
    let o = run(args, None);
    support::assert_no_panic(&o);
    assert_eq!(support::code(&o), 0, "{args:?}: {}", stderr(&o));
    assert!(!o.stderr.contains(&0x1b) && !o.stderr.contains(&0x07), "{args:?}: raw control bytes on stderr");
    stdout(&o)
}

fn assert_no_terminal_controls(what: &str, s: &str) {
    assert!(!s.contains('\x1b'), "{what}: raw ESC in output:\n{s}");
    assert!(!s.contains('\x07'), "{what}: raw BEL in output:\n{s}");
    assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{what}: raw control character in output:\n{s}");
}

/// Every table drawn by comfy-table keeps its frame: each line of one table
/// is as wide as its top border.
fn assert_tables_intact(what: &str, s: &str) {
    let mut width = None;
    for line in s.lines() {
        if line.starts_with('┌') {
            width = Some(line.chars().count());
        }
        if let Some(w) = width {
            assert_eq!(line.chars().count(), w, "{what}: table line of the wrong width:\n{line}\nin\n{s}");
        }
        if line.starts_with('└') {
            width = None;
        }
    }
}

#[test]
fn terminal_tables_have_no_escapes_and_stay_intact() {
    let f = setup();
    let p = f.path.as_str();
    let mut runs: Vec<Vec<&str>> = vec![vec!["summary", p], vec![p]];
    for t in TABLES {
        runs.push(vec!["export", "--table", t, p]);
    }
    runs.push(vec!["trace", "0A1B2C3D4E", p]);
    runs.push(vec!["trace", "+1", p]);
    runs.push(vec!["trace", "--", "-2", p]);
    for args in runs {
        let out = output(&args);
        let what = format!("{args:?}");
        assert_no_terminal_controls(&what, &out);
        assert_tables_intact(&what, &out);
    }
    // The escaped form is still there for the analyst to read (on a
    // terminal wide enough that comfy-table does not wrap the cell).
    let wide = std::process::Command::new(support::bin())
        .arg("export")
        .args(support::FIXED)
        .args(["--table", "rejects", p])
        .env("COLUMNS", "2000")
        .output()
        .unwrap();
    let out = stdout(&wide);
    assert!(out.contains("\\x1b[2J") && out.contains("\\x1b]0;"), "{out}");
    let out = output(&["trace", "0A1B2C3D4E", p]);
    assert!(out.contains("message-id  <\"><img src=x onerror=alert(1)>\\x1b[2J@evil.test>"), "{out}");
}

#[test]
fn csv_cells_are_neutralised() {
    let f = setup();
    let mut all = Vec::new();
    for t in TABLES {
        let out = output(&["export", "--table", t, "--format", "csv", &f.path]);
        let rows = parse_csv(&out);
        let width = rows[0].len();
        for r in &rows {
            assert_eq!(r.len(), width, "{t}: ragged CSV row {r:?}");
            for cell in r {
                let number = cell.parse::<f64>().is_ok();
                assert!(
                    number || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{t}: formula-like cell {cell:?}"
                );
            }
        }
        all.extend(rows.into_iter().flatten());
    }
    assert!(!all.iter().any(|c| c.contains(['\x1b', '\x07'])), "raw control characters in CSV: {all:?}");
    assert!(all.iter().any(|c| c.contains("\\x1b[2J")), "ESC not shown escaped in CSV: {all:?}");
    for want in [
        format!("'{}", link_sender()),
        format!("'{LINK}"),
        "'+1".to_string(),
        "'+1@evil.test".to_string(),
        "'-2".to_string(),
        "'-2@evil.test".to_string(),
        "'@SUM(A1)".to_string(),
        "'+cmd|' /C calc'!A0".to_string(),
    ] {
        assert!(all.contains(&want), "no CSV cell {want:?} in {all:?}");
    }
}

#[test]
fn markdown_has_no_raw_html() {
    let f = setup();
    let p = f.path.as_str();
    let mut runs: Vec<Vec<&str>> = Vec::new();
    for t in TABLES {
        runs.push(vec!["export", "--table", t, "--format", "markdown", p]);
    }
    runs.push(vec!["summary", "--format", "markdown", p]);
    for args in runs {
        let out = output(&args);
        // The summary's closing section is checked on its own below.
        let out = out.split("Unrecognised Postfix lines").next().unwrap().to_string();
        let what = format!("{args:?}");
        assert_no_terminal_controls(&what, &out);
        let lower = out.to_lowercase();
        for tag in ["<script", "<img", "<svg"] {
            assert!(!lower.contains(tag), "{what}: raw {tag} in Markdown:\n{out}");
        }
        // Every row of a table has as many cells as its header: no `|` got
        // through unescaped.
        let mut cells = None;
        for line in out.lines() {
            if !line.starts_with('|') {
                cells = None;
                continue;
            }
            let n = unescaped_pipes(line);
            assert_eq!(*cells.get_or_insert(n), n, "{what}: row with a different cell count: {line}");
        }
    }
}

/// The summary's "Unrecognised Postfix lines" section quotes whole lines a
/// local user can write (`logger -t postfix/smtpd '<script>…'`), and in
/// Markdown it is written without escaping: commands/summary.rs
/// `write_problems` prints `sample` and the daemon name raw for every format.
/// Fix there (not in this helper's files): escape both with
/// `render::markdown_escape` when the format is Markdown.
#[test]
fn markdown_summary_unrecognised_section_has_no_raw_html() {
    let f = setup();
    let out = output(&["summary", "--format", "markdown", &f.path]);
    let section = out.split("Unrecognised Postfix lines").nth(1).expect("section present").to_lowercase();
    for tag in ["<script", "<img"] {
        assert!(!section.contains(tag), "raw {tag} in the Markdown summary:\n{out}");
    }
}

fn unescaped_pipes(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
    }
    n
}

#[test]
fn json_keeps_the_original_strings() {
    let f = setup();
    let mut tables = std::collections::BTreeMap::new();
    for t in TABLES {
        let out = output(&["export", "--table", t, "--format", "json", &f.path]);
        let v: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{t}: {e}\n{out}"));
        assert!(!out.contains('\x1b'), "JSON escapes ESC");
        tables.insert(t, v);
    }
    let m = tables["messages"].iter().find(|m| m["queue_id"] == "0A1B2C3D4E").expect("message");
    assert_eq!(m["sasl_username"], client_user());
    assert_eq!(m["message_id"], message_id());
    assert_eq!(m["sender"], link_sender());
    let users: Vec<&str> = tables["auth"].iter().filter_map(|a| a["sasl_username"].as_str()).collect();
    for u in [auth_fail_user().as_str(), "@SUM(A1)", client_user().as_str(), "+1", LINK] {
        assert!(users.contains(&u), "auth lacks {u:?}: {users:?}");
    }
    let r = &tables["rejects"][0];
    assert_eq!(r["helo"], helo());
    assert_eq!(r["sender"], "-2@evil.test");
    let d = &tables["deliveries"][0];
    assert_eq!(d["to"], "+1@evil.test");
    assert_eq!(d["response"], format!("connect to evil.test[203.0.113.10]:25: {SCRIPT}{CLEAR}"));
    // summary and trace JSON are valid and exact too.
    let out = output(&["summary", "--format", "json", &f.path]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["top_sasl_accounts"].to_string().contains(&serde_json::to_string(&client_user()).unwrap()));
    let out = output(&["trace", "0A1B2C3D4E", "--format", "json", &f.path]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["flows"][0]["messages"][0]["message_id"], message_id());
    let line = v["flows"][0]["lines"].as_array().unwrap().iter().find(|l| l["line"] == 5).expect("line 5 quoted");
    assert!(line["text"].as_str().unwrap().ends_with(&format!("message-id=<{}>", message_id())));
}
