//! `postsleuth report`, end to end through the binary: hostile log strings
//! escaped in every file (HTML, SVG, Markdown, CSV; kept exactly in JSON),
//! report.json against a simulated incident's truth, periods and folder
//! names, cron behaviour (silence, exit codes, atomic replacement, same
//! input → same files but one line).

mod support;

use postsleuth::simulate::Truth;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::parse_csv;

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(2)>";

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    p.to_str().expect("UTF-8 path").to_string()
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_postsleuth"));
    c.arg("report").args(args).env_remove("SOURCE_DATE_EPOCH");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run postsleuth")
}

/// Runs `report`; it must succeed silently, as cron wants it.
#[track_caller]
fn run_ok(args: &[&str], env: &[(&str, &str)]) {
    let o = run(args, env);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "report {args:?}: {err}");
    assert!(o.stdout.is_empty() && o.stderr.is_empty(), "report {args:?} was not silent: {err}");
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

fn json(dir: &Path) -> Value {
    serde_json::from_str(&read(dir, "report.json")).expect("report.json is JSON")
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

// ---------------------------------------------------------------- hostile

/// The report of `report_hostile.log`, every network an offender.
fn hostile() -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let f = fixture("report_hostile.log");
    run_ok(&["--since", "2026-11-23", "--tz", "UTC", "--min-failures", "1", "--min-rejects", "1", "--out", o, &f], &[]);
    let dir = out.path().join("2026-11-23");
    (out, dir)
}

fn assert_no_controls(what: &str, s: &str) {
    let bad: Vec<char> = s.chars().filter(|&c| c.is_control() && c != '\n').collect();
    assert!(bad.is_empty(), "{what}: raw control characters {bad:?}");
}

/// Every tag in the page is one the report writes, and none has an event
/// handler: a log string cannot have added markup.
fn assert_only_our_markup(html: &str) {
    const TAGS: &[&str] = &[
        "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "br", "section",
        "div", "span", "table", "tr", "th", "td", "svg", "line", "text", "rect", "polyline", "article", "pre",
        "footer", "ul", "li", "code",
    ];
    let tag = regex::Regex::new(r"<(/?)([!A-Za-z][A-Za-z0-9]*)([^>]*)>").unwrap();
    for c in tag.captures_iter(html) {
        assert!(TAGS.contains(&&c[2]), "unexpected tag <{}{}>", &c[1], &c[2]);
        assert!(!c[3].to_lowercase().contains(" on"), "event handler in {}", &c[0]);
    }
    let opened = html.matches('<').count();
    assert_eq!(opened, tag.find_iter(html).count(), "a '<' that starts no tag of ours");
}

#[test]
fn html_escapes_every_log_string() {
    let (_out, dir) = hostile();
    let html = read(&dir, "report.html");
    assert_no_controls("report.html", &html);
    assert_only_our_markup(&html);
    // Shown, escaped: SASL usernames (rankings, chart legend), the sender
    // domain, the HELO, the message-id (evidence), ANSI escapes as text.
    for want in [
        "\\x1b[2J&lt;script&gt;alert(1)&lt;/script&gt;",
        "\\x1b]0;pwned\\x07&quot;&gt;&lt;img src=x onerror=alert(2)&gt;",
        "=HYPERLINK(&quot;http://evil.test/&quot;,&quot;x&quot;)",
        "helo=&lt;\\x1b[2J\\x1b]0;pwned\\x07&lt;script&gt;",
        "Message-ID: &lt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;&lt;script&gt;",
        "&lt;script",
    ] {
        assert!(html.contains(want), "report.html lacks {want:?}");
    }
    let legend = html.split("id=\"c-acct\"").nth(1).expect("the accounts chart").split("</svg>").next().unwrap();
    assert!(legend.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"), "SVG legend: {legend}");
    assert!(html.contains("Content-Security-Policy"), "no CSP");
}

#[test]
fn markdown_escapes_every_log_string() {
    let (_out, dir) = hostile();
    let md = read(&dir, "report.md");
    assert_no_controls("report.md", &md);
    assert!(!md.contains('<'), "raw '<' in report.md");
    for want in
        ["&lt;script&gt;alert(1)&lt;/script&gt;", "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;", "\\\\x1b\\[2J"]
    {
        assert!(md.contains(want), "report.md lacks {want:?}");
    }
    // No `|` from the log splits a table cell.
    let mut cells = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            cells = None;
            continue;
        }
        let n = line.matches('|').count() - line.matches("\\|").count();
        assert_eq!(*cells.get_or_insert(n), n, "row with a different cell count: {line}");
    }
}

#[test]
fn csv_cells_cannot_become_formulas() {
    let (_out, dir) = hostile();
    let mut all = Vec::new();
    let csvs: Vec<String> = names(&dir).into_iter().filter(|n| n.ends_with(".csv")).collect();
    assert!(csvs.len() >= 15, "{csvs:?}");
    for name in csvs {
        let rows = parse_csv(&read(&dir, &name));
        let width = rows[0].len();
        for r in &rows {
            assert_eq!(r.len(), width, "{name}: ragged row {r:?}");
            for cell in r {
                let number = cell.parse::<f64>().is_ok();
                assert!(number || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{name}: formula-like {cell:?}");
            }
        }
        all.extend(rows.into_iter().flatten());
    }
    for want in ["'=HYPERLINK(\"http://evil.test/\",\"x\")", "'@SUM(A1)", "'-2", "'+cmd|' /c calc'!a0"] {
        assert!(all.iter().any(|c| c == want), "no CSV cell {want:?}");
    }
}

#[test]
fn json_keeps_log_strings_exactly() {
    let (_out, dir) = hostile();
    let j = json(&dir);
    let users: Vec<&str> = j["rankings"]["auth_failures_by_account"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["account"].as_str())
        .collect();
    assert!(users.contains(&format!("\x1b[2J{SCRIPT}").as_str()), "{users:?}");
    let helo = j["rankings"]["rejects_by_helo"][0]["helo"].as_str().unwrap();
    assert_eq!(helo, format!("\x1b[2J\x1b]0;pwned\x07{SCRIPT}{IMG}"));
    let evidence = j["offenders"][0]["evidence"].as_array().unwrap();
    assert!(evidence.iter().all(|e| e["text"].is_string()), "{evidence:?}");
}

// ------------------------------------------------------ simulated truth

/// A simulated incident (2 days from 2026-11-20, RFC 3339 timestamps).
fn simulate(seed: u64) -> (tempfile::TempDir, Truth) {
    simulate_scenario("sasl-compromise", seed)
}

fn simulate_scenario(scenario: &str, seed: u64) -> (tempfile::TempDir, Truth) {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["simulate", "--scenario", scenario, "--volume", "0.3", "--days", "2", "--format", "rfc3339"])
        .args(["--seed", &seed.to_string()])
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let truth = serde_json::from_str(&read(dir.path(), "truth.json")).unwrap();
    (dir, truth)
}

/// Runs a report of the simulation; returns the report folder.
fn sim_report(sim: &Path, out: &Path, period: &[&str]) -> PathBuf {
    let (s, o) = (sim.to_str().unwrap(), out.to_str().unwrap());
    let mut args = period.to_vec();
    args.extend(["--tz", "UTC", "--out", o, s]);
    run_ok(&args, &[]);
    let dirs: Vec<String> = names(out).into_iter().collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    out.join(&dirs[0])
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn sum(v: &Value) -> u64 {
    v.as_array().unwrap().iter().map(u).sum()
}

#[test]
fn whole_incident_matches_truth() {
    let (sim, truth) = simulate(11);
    let out = tempfile::tempdir().unwrap();
    let dir = sim_report(sim.path(), out.path(), &["--since", "2026-11-20", "--until", "2026-11-22"]);
    assert_eq!(dir.file_name().unwrap(), "2026-11-20_2026-11-22");
    let j = json(&dir);
    let victim = truth.compromised_account.clone().expect("a compromised account");
    let top = &j["rankings"]["top_accounts"][0];
    assert_eq!(top["account"], victim.as_str());
    assert_eq!(u(&top["messages"]), truth.messages_by_account[&victim]);
    assert_eq!(u(&j["totals"]["received"]["value"]), truth.total_messages);
    assert_eq!(u(&j["totals"]["auth_failures"]["value"]), truth.auth_failures);
    for row in j["rankings"]["top_uids"].as_array().unwrap() {
        assert_eq!(u(&row["messages"]), truth.messages_by_uid[&(u(&row["uid"]) as u32)], "{row}");
    }
    let worst = truth.auth_failures_by_ip.values().max().copied().unwrap();
    let first = &j["rankings"]["auth_failures_by_ip"][0];
    assert_eq!(u(&first["auth_failures"]), worst);
    assert_eq!(truth.auth_failures_by_ip[first["ip"].as_str().unwrap()], worst);
    // The hourly series add up to the totals.
    assert_eq!(sum(&j["per_hour"]["messages"]), truth.total_messages);
    assert_eq!(sum(&j["per_hour"]["auth_failures"]), truth.auth_failures);
    assert_eq!(j["per_hour"]["accounts"][0]["account"], victim.as_str());
    assert_eq!(sum(&j["per_hour"]["accounts"][0]["messages"]), truth.messages_by_account[&victim]);
    assert_eq!(j["per_hour"]["hours"].as_array().unwrap().len(), 48);
    check_suspect(&j, &truth);
    check_offenders(&j, &truth);
}

/// The one suspect is the victim, compromised at the attacker's first login.
fn check_suspect(j: &Value, truth: &Truth) {
    let suspects = j["suspects"].as_array().unwrap();
    assert_eq!(suspects.len(), 1, "{suspects:#?}");
    let first = truth.first_malicious.as_ref().unwrap();
    // The names `suspects --format json` uses (see CHANGELOG.md).
    assert_eq!(suspects[0]["suspect"].as_str(), truth.compromised_account.as_deref());
    assert_eq!(suspects[0]["compromised_at"].as_str(), Some(first.time.as_str()));
    assert_eq!(suspects[0]["login"]["line"], first.line);
    let quoted = suspects[0]["evidence"].as_array().unwrap();
    assert!(quoted.iter().any(|e| e["line"] == first.line && e["text"].is_string()), "{quoted:#?}");
}

/// Every IP with 10 or more failed logins is in an offending network with
/// its exact count, and every quoted line is the input's line.
fn check_offenders(j: &Value, truth: &Truth) {
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut spam: BTreeMap<String, u64> = BTreeMap::new();
    let offenders = j["offenders"].as_array().unwrap();
    for o in offenders {
        for ip in o["ips"].as_array().unwrap() {
            seen.insert(ip["ip"].as_str().unwrap().to_string(), u(&ip["auth_failures"]));
            if u(&ip["spam_messages"]) > 0 {
                spam.insert(ip["ip"].as_str().unwrap().to_string(), u(&ip["spam_messages"]));
            }
        }
        let lines = o["evidence"].as_array().unwrap();
        assert!(!lines.is_empty() && lines.len() <= 5, "{o}");
        for e in lines {
            let file = e["file"].as_str().unwrap();
            let text = std::fs::read_to_string(file).unwrap();
            let line = text.lines().nth(u(&e["line"]) as usize - 1).unwrap();
            assert_eq!(e["text"].as_str(), Some(line), "{file}:{}", e["line"]);
            assert!(line.starts_with(&e["time"].as_str().unwrap()[..19]), "time of {line}");
        }
    }
    for (ip, &n) in &truth.auth_failures_by_ip {
        if n >= 10 {
            assert_eq!(seen.get(ip), Some(&n), "{ip} made {n} failed logins");
        }
    }
    // The botnet that sent as the victim: every IP, every message.
    assert_eq!(spam.keys().cloned().collect::<BTreeSet<_>>(), truth.attacker_ip_list.iter().cloned().collect());
    assert_eq!(spam.values().sum::<u64>(), truth.spam_messages);
    let abuse = |o: &Value| u(&o["auth_failures"]) + u(&o["rejects"]) + u(&o["spam_messages"]);
    let order: Vec<u64> = offenders.iter().map(abuse).collect();
    assert!(order.windows(2).all(|w| w[0] >= w[1]), "most abuse first: {order:?}");
}

#[test]
fn a_day_is_compared_with_the_day_before() {
    let (sim, truth) = simulate(12);
    let out = tempfile::tempdir().unwrap();
    let dir = sim_report(sim.path(), out.path(), &["--period", "day", "--since", "2026-11-21"]);
    assert_eq!(dir.file_name().unwrap(), "2026-11-21");
    let j = json(&dir);
    assert_eq!(j["period"]["start"], "2026-11-21T00:00:00Z");
    assert_eq!(j["period"]["previous"]["start"], "2026-11-20T00:00:00Z");
    assert_eq!(j["period"]["previous_partial"], false);
    for name in ["received", "auth_failures"] {
        let t = &j["totals"][name];
        let (value, previous) = (u(&t["value"]), u(&t["previous"]));
        assert_eq!(t["change"].as_i64(), Some(value as i64 - previous as i64), "{name}");
        let whole = if name == "received" { truth.total_messages } else { truth.auth_failures };
        assert_eq!(value + previous, whole, "{name}: the two days add up to the whole incident");
    }
    assert_eq!(j["per_hour"]["hours"].as_array().unwrap().len(), 24);
    let md = read(&dir, "report.md");
    assert!(md.contains("# Postfix abuse report, day 2026-11-21"), "{md}");
}

#[test]
fn a_quiet_server_has_no_suspect_and_no_botnet() {
    let (sim, _) = simulate_scenario("quiet", 18);
    let out = tempfile::tempdir().unwrap();
    let dir = sim_report(sim.path(), out.path(), &["--since", "2026-11-21"]);
    let j = json(&dir);
    assert_eq!(j["suspects"], serde_json::json!([]));
    assert!(j["offenders"].as_array().unwrap().iter().all(|o| u(&o["spam_messages"]) == 0));
    assert!(read(&dir, "report.md").contains("No account or uid looks compromised in this period"));
}

#[test]
fn folders_are_named_after_the_period() {
    let (sim, _) = simulate(13);
    for (period, name) in [("week", "2026-W47"), ("month", "2026-11")] {
        let out = tempfile::tempdir().unwrap();
        let dir = sim_report(sim.path(), out.path(), &["--period", period, "--since", "2026-11-21"]);
        assert_eq!(dir.file_name().unwrap(), name);
        let j = json(&dir);
        assert_eq!(j["period"]["kind"], period);
        assert_eq!(j["period"]["previous_partial"], true, "the logs begin after the previous {period}");
        let mut files = names(&dir);
        files.retain(|n| !n.ends_with(".csv"));
        assert_eq!(files, BTreeSet::from(["report.html".into(), "report.json".into(), "report.md".into()]));
    }
}

// ------------------------------------------------------------------- cron

#[test]
fn same_input_gives_the_same_files_but_one_line() {
    let (sim, _) = simulate(14);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let s = sim.path().to_str().unwrap();
    for (out, epoch) in [(&a, "1"), (&b, "2000000000")] {
        let o = out.path().to_str().unwrap();
        run_ok(&["--since", "2026-11-21", "--tz", "UTC", "--out", o, s], &[("SOURCE_DATE_EPOCH", epoch)]);
    }
    let (da, db) = (a.path().join("2026-11-21"), b.path().join("2026-11-21"));
    assert_eq!(names(&da), names(&db));
    for name in names(&da) {
        let (x, y) = (read(&da, &name), read(&db, &name));
        let differ = x.lines().zip(y.lines()).filter(|(p, q)| p != q).count();
        assert_eq!(x.lines().count(), y.lines().count(), "{name}");
        let expect = usize::from(!name.ends_with(".csv"));
        assert_eq!(differ, expect, "{name}: lines that differ between runs");
    }
    assert!(read(&da, "report.json").contains("\"generated_at\": \"1970-01-01T00:00:01Z\""));
}

#[test]
fn a_rerun_replaces_the_folder_whole() {
    let (sim, _) = simulate(15);
    let out = tempfile::tempdir().unwrap();
    let dir = sim_report(sim.path(), out.path(), &["--since", "2026-11-21"]);
    std::fs::write(dir.join("stale.txt"), "from an older run").unwrap();
    sim_report(sim.path(), out.path(), &["--since", "2026-11-21"]);
    assert!(!dir.join("stale.txt").exists(), "the old folder was not replaced whole");
    assert_eq!(names(out.path()), BTreeSet::from(["2026-11-21".to_string()]), "temporary folders left behind");
}

#[test]
fn failures_write_nothing_and_say_why() {
    let (sim, _) = simulate(16);
    let s = sim.path().to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    // A period the logs do not reach.
    let r = run(&["--since", "2020-01-01", "--tz", "UTC", "--out", o, s], &[]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("nothing to report for day 2020-01-01"));
    assert!(names(out.path()).is_empty());
    // An output directory that cannot be made.
    let file = out.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let r = run(&["--since", "2026-11-21", "--tz", "UTC", "--out", file.to_str().unwrap(), s], &[]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("cannot create the report directory"));
    // A usage error.
    let r = run(&["--tz", "Mars/Olympus", "--out", o, s], &[]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(names(out.path()), BTreeSet::from(["a-file".to_string()]));
}

#[test]
fn missing_input_gives_a_report_and_exit_3() {
    let (sim, _) = simulate(17);
    let out = tempfile::tempdir().unwrap();
    let missing = sim.path().join("maillog-gone");
    let args = ["--since", "2026-11-21", "--tz", "UTC", "--out", out.path().to_str().unwrap()];
    let r = run(&[&args[..], &[sim.path().to_str().unwrap(), missing.to_str().unwrap()]].concat(), &[]);
    assert_eq!(r.status.code(), Some(3), "{}", String::from_utf8_lossy(&r.stderr));
    let j = json(&out.path().join("2026-11-21"));
    assert_eq!(j["input"]["partial"], true);
}
