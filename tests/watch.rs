//! `postsleuth watch`, run as a binary on logs the tests append to while
//! it follows them: simulated incidents (the alert names the account and
//! compromise time `suspects` gives on the finished log, within minutes of
//! log time of the first spam, and within a second of wall time of the line
//! that shows it), the quiet scenario (no alert), hand-made hostile lines
//! (escaped text, valid JSON, no shell), a restart with --state (no line
//! missed or read twice, no alert sent twice), the metrics.
//!
//! The twenty-seed runs of every scenario are `benches/watch_accuracy.sh`.

mod suspects_support;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use suspects_support::{file_lines, Log, Sim};

/// One watch at a time: they each take a core, and the latency check
/// needs one.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `postsleuth watch`, its alerts (each with when it was read)
/// and its metrics.
struct Watch {
    child: Child,
    port: u16,
    alerts: Arc<Mutex<Vec<(Instant, String)>>>,
    stderr: Arc<Mutex<String>>,
}

impl Watch {
    /// `watch LOG ARGS… --metrics PORT`.
    fn start(log: &Path, args: &[&str]) -> Watch {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
            .arg("watch")
            .arg(log)
            .args(args)
            .args(["--metrics", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start watch");
        let alerts: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
        let out = child.stdout.take().unwrap();
        let sink = alerts.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push((Instant::now(), line));
            }
        });
        let stderr: Arc<Mutex<String>> = Arc::default();
        let mut err = child.stderr.take().unwrap();
        let keep = stderr.clone();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            keep.lock().unwrap().push_str(&s);
        });
        let w = Watch { child, port, alerts, stderr };
        // The history is read and judged: lines written from now on are
        // the live ones.
        let ready = || w.metric("postsleuth_watch_evaluations_total").is_some_and(|n| n >= 1.0);
        assert!(w.until(Duration::from_secs(120), ready), "watch started");
        w
    }

    /// The metrics page.
    fn page(&self) -> Option<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").ok()?;
        let mut page = String::new();
        s.read_to_string(&mut page).ok()?;
        Some(page)
    }

    fn metric(&self, name: &str) -> Option<f64> {
        let page = self.page()?;
        page.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    /// Waits up to `limit` for `cond`.
    fn until(&self, limit: Duration, cond: impl Fn() -> bool) -> bool {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if cond() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Waits until `n` lines were read and judged (no evaluation for a
    /// second after).
    fn settle(&mut self, n: usize) {
        let read =
            self.until(Duration::from_secs(600), || self.metric("postsleuth_watch_lines_total") == Some(n as f64));
        let alive = self.child.try_wait().map(|s| s.is_none()).unwrap_or(false);
        let stderr = self.stderr.lock().unwrap().clone();
        assert!(
            read,
            "watch (alive {alive}) read {:?} lines, not {n}: {stderr}",
            self.metric("postsleuth_watch_lines_total")
        );
        let mut last = self.metric("postsleuth_watch_evaluations_total");
        loop {
            std::thread::sleep(Duration::from_millis(1200));
            let now = self.metric("postsleuth_watch_evaluations_total");
            if now == last {
                return;
            }
            last = now;
        }
    }

    fn json_alerts(&self) -> Vec<Value> {
        self.alerts.lock().unwrap().iter().map(|(_, l)| serde_json::from_str(l).expect("an alert is JSON")).collect()
    }

    fn text_alerts(&self) -> Vec<String> {
        self.alerts.lock().unwrap().iter().map(|(_, l)| l.clone()).collect()
    }

    /// Stops it as an admin would (SIGTERM) and waits; its exit code.
    fn stop(mut self) -> (Option<i32>, String) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let status = self.child.wait().expect("wait for watch");
        std::thread::sleep(Duration::from_millis(100));
        let stderr = self.stderr.lock().unwrap().clone();
        (status.code(), stderr)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Appends `lines` to `log`, flushed.
fn append(log: &Path, lines: &[Vec<u8>]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(log).unwrap();
    let mut all = Vec::new();
    for l in lines {
        all.extend_from_slice(l);
        all.push(b'\n');
    }
    f.write_all(&all).unwrap();
    f.flush().unwrap();
}

/// A live copy of a simulated set: its rotated files as they are (their
/// modification times too, as rotation keeps them), and an empty
/// `mail.log` to append its last day to; those lines.
fn live_copy(sim: &Sim, dir: &Path) -> (PathBuf, Vec<Vec<u8>>) {
    for f in &sim.truth.files {
        if f.name != "mail.log" {
            copy_as_is(&sim.path().join(&f.name), &dir.join(&f.name));
        }
    }
    let log = dir.join("mail.log");
    std::fs::write(&log, b"").unwrap();
    (log, file_lines(&sim.path().join("mail.log")))
}

fn copy_as_is(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
    let mtime = std::fs::metadata(from).unwrap().modified().unwrap();
    std::fs::File::options().write(true).open(to).unwrap().set_modified(mtime).unwrap();
}

fn year(sim: &Sim) -> String {
    sim.truth.span.as_ref().unwrap().start[..4].to_string()
}

fn micros(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp_micros()
}

/// The first message of the abnormal volume, as `suspects` says it.
fn first_spam(s: &Value) -> i64 {
    let onset = s["volume"]["onset"]["time"].as_str().or(s["burst"]["first"]["time"].as_str());
    micros(onset.or(s["compromised_at"].as_str()).expect("a dated suspect"))
}

/// Replays `scenario`'s last day into the log watch follows, after its
/// catch-up on the rotated days; checks the first alert naming the culprit
/// (at most five log minutes after its first spam) and every compromise
/// time alerted for it (the one `suspects` gives on the finished set).
fn incident_alerted_as_suspects_dates_it(scenario: &str, seed: u64, format: &str) {
    let sim = Sim::new(scenario, seed, format);
    let culprit = sim.culprit().expect("an incident");
    let sus = sim.suspects(&[]);
    let expected = sus["suspects"].as_array().unwrap().iter().find(|s| s["suspect"] == culprit.as_str()).unwrap();
    assert_eq!(expected["flagged"], true, "{scenario} {seed}: suspects flags {culprit}");
    let dir = tempfile::tempdir().unwrap();
    let (log, lines) = live_copy(&sim, dir.path());
    let y = year(&sim);
    let mut w = Watch::start(&log, &["--from-start", "--format", "json", "--log-tz", "UTC", "--year", &y, "-q"]);
    append(&log, &lines);
    w.settle(lines.len());
    let alerts = w.json_alerts();
    let mine: Vec<&Value> = alerts.iter().filter(|a| a["suspect"] == culprit.as_str()).collect();
    let first = mine.first().unwrap_or_else(|| panic!("{scenario} {seed}: no alert names {culprit}: {alerts:?}"));
    let late = micros(first["at"].as_str().unwrap()) - first_spam(expected);
    assert!(late <= 5 * 60_000_000, "{scenario} {seed}: first alert {} s after the first spam", late / 1_000_000);
    let dated: Vec<&&Value> = mine.iter().filter(|a| a["compromised_at"].is_string()).collect();
    assert!(!dated.is_empty(), "{scenario} {seed}: no alert dates the compromise");
    for a in &dated {
        assert_eq!(a["compromised_at"], expected["compromised_at"], "{scenario} {seed}: {a}");
    }
    assert!(mine.iter().any(|a| a["alert"] == "suspect"), "{scenario} {seed}: a suspect alert follows");
    let (code, stderr) = w.stop();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn sasl_compromise_is_alerted_as_suspects_dates_it() {
    let _one = serial();
    incident_alerted_as_suspects_dates_it("sasl-compromise", 1, "rfc3164");
}

#[test]
fn slow_brute_force_is_alerted_as_suspects_dates_it() {
    let _one = serial();
    incident_alerted_as_suspects_dates_it("slow-brute-force", 2, "rfc3339");
}

#[test]
fn separate_infrastructure_is_alerted_as_suspects_dates_it() {
    let _one = serial();
    incident_alerted_as_suspects_dates_it("separate-infra", 3, "rfc3164");
}

/// A hacked script has no login: it is alerted (its abnormal volume
/// through pickup at once, then as a suspect), with the compromise time
/// `suspects` gives: the start of its abnormal volume on the finished log.
#[test]
fn webapp_script_is_alerted_with_the_suspects_time() {
    let _one = serial();
    let sim = Sim::new("webapp-script", 1, "rfc3164");
    let sus = sim.suspects(&[]);
    let expected = &sus["suspects"][0];
    assert_eq!(expected["suspect"], "uid=33");
    let dir = tempfile::tempdir().unwrap();
    let (log, lines) = live_copy(&sim, dir.path());
    let y = year(&sim);
    let mut w = Watch::start(&log, &["--from-start", "--format", "json", "--log-tz", "UTC", "--year", &y, "-q"]);
    append(&log, &lines);
    w.settle(lines.len());
    let alerts = w.json_alerts();
    let mine: Vec<&Value> = alerts.iter().filter(|a| a["suspect"] == "uid=33").collect();
    assert_eq!(mine.first().map(|a| a["crossed"][0]["what"].clone()), Some("pickup-burst".into()), "{alerts:?}");
    let suspect = mine.iter().find(|a| a["alert"] == "suspect").expect("a suspect alert");
    assert_eq!(suspect["compromised_at"], expected["compromised_at"]);
    assert!(mine.iter().all(|a| a["compromised_at"].is_null() || a["compromised_at"] == expected["compromised_at"]));
    assert!(alerts.iter().all(|a| a["suspect"] == "uid=33"), "nothing else: {alerts:?}");
}

#[test]
fn quiet_scenario_gives_no_alert() {
    let _one = serial();
    for (seed, format) in [(1, "rfc3164"), (2, "rfc3339")] {
        let sim = Sim::new("quiet", seed, format);
        let dir = tempfile::tempdir().unwrap();
        let (log, lines) = live_copy(&sim, dir.path());
        let y = year(&sim);
        let mut w = Watch::start(&log, &["--from-start", "--log-tz", "UTC", "--year", &y, "-q"]);
        append(&log, &lines);
        w.settle(lines.len());
        assert!(w.metric("postsleuth_watch_evaluations_total").unwrap() > 50.0, "judged often");
        assert_eq!(w.text_alerts(), Vec::<String>::new(), "quiet seed {seed}");
        let (code, _) = w.stop();
        assert_eq!(code, Some(0));
    }
}

/// The compromise login of the sasl-compromise scenario is what the first
/// alert stands on: written alone into a log watch has read up to the line
/// before, its alert comes within a second of wall time.
#[test]
fn alert_comes_within_a_second_of_the_line_behind_it() {
    let _one = serial();
    let sim = Sim::new("sasl-compromise", 1, "rfc3164");
    let login = sim.truth.first_malicious.as_ref().expect("a login");
    assert_eq!(login.file, "mail.log");
    let dir = tempfile::tempdir().unwrap();
    let (log, lines) = live_copy(&sim, dir.path());
    let y = year(&sim);
    let mut w = Watch::start(&log, &["--from-start", "--format", "json", "--log-tz", "UTC", "--year", &y, "-q"]);
    let before = login.line as usize - 1;
    append(&log, &lines[..before]);
    w.settle(before);
    let culprit = sim.culprit().unwrap();
    let named = || w.json_alerts().into_iter().filter(|a| a["suspect"] == culprit.as_str()).count();
    assert_eq!(named(), 0, "nothing names the account before its compromise login");
    let written = Instant::now();
    append(&log, &lines[before..before + 1]);
    assert!(w.until(Duration::from_secs(10), || named() > 0), "alerted");
    let alerts = w.alerts.lock().unwrap().clone();
    let parsed = alerts.iter().map(|(t, l)| (*t, serde_json::from_str::<Value>(l).unwrap()));
    let (read, alert) = parsed.into_iter().find(|(_, a)| a["suspect"] == culprit.as_str()).unwrap();
    let latency = read.duration_since(written);
    assert_eq!(alert["seen_through"]["line"], login.line, "judged with the login line");
    assert_eq!(alert["compromised_at"].as_str(), Some(login.time.as_str()));
    assert!(latency < Duration::from_secs(1), "alert {latency:?} after its line");
}

/// Stopped mid-stream (SIGTERM) and started again with the same --state
/// while lines were written: every line is read once, baselines are back
/// at once (the culprit is still alerted, with its time), and no alert is
/// sent twice.
#[test]
fn restart_with_state_misses_no_line_and_repeats_no_alert() {
    let _one = serial();
    let sim = Sim::new("sasl-compromise", 3, "rfc3339");
    let culprit = sim.culprit().unwrap();
    let sus = sim.suspects(&[]);
    let expected =
        sus["suspects"].as_array().unwrap().iter().find(|s| s["suspect"] == culprit.as_str()).unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let (log, lines) = live_copy(&sim, dir.path());
    let state = dir.path().join("watch.state");
    let y = year(&sim);
    let st = state.to_str().unwrap();
    let args = ["--from-start", "--format", "json", "--log-tz", "UTC", "--year", &y, "-q", "--state", st];
    let login = sim.truth.first_malicious.as_ref().unwrap().line as usize;
    // Stopped a few minutes after the compromise login; restarted an hour
    // of log later.
    let (a, b) = (login + 50, login + 600);
    let mut w = Watch::start(&log, &args);
    append(&log, &lines[..a]);
    w.settle(a);
    let first = w.json_alerts();
    let (code, stderr) = w.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(state.exists(), "written on SIGTERM");
    append(&log, &lines[a..b]);
    let mut w = Watch::start(&log, &args);
    append(&log, &lines[b..]);
    w.settle(lines.len() - a);
    let second = w.json_alerts();
    let (code, _) = w.stop();
    assert_eq!(code, Some(0));
    let all: Vec<&Value> = first.iter().chain(&second).collect();
    let news = |a: &&&Value| a["because"] == "new";
    let new_keys: Vec<String> = all.iter().filter(news).map(|a| a["suspect"].to_string()).collect();
    let mut unique = new_keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(new_keys.len(), unique.len(), "a new alert twice: {new_keys:?}");
    assert!(first.iter().any(|a| a["suspect"] == culprit.as_str()), "alerted before the stop");
    assert!(second.iter().all(|a| a["because"] != "new" || a["suspect"] != culprit.as_str()));
    let dated: Vec<&&Value> =
        all.iter().filter(|a| a["suspect"] == culprit.as_str() && a["compromised_at"].is_string()).collect();
    for a in &dated {
        assert_eq!(a["compromised_at"], expected["compromised_at"], "{a}");
    }
    assert!(second.iter().any(|a| a["suspect"] == culprit.as_str() && a["alert"] == "suspect"), "{second:?}");
}

/// Log strings written by an attacker (a SASL username and a HELO with
/// terminal escapes and shell syntax) reach a text alert escaped, a JSON
/// alert as valid JSON holding them as they are, and the --exec program
/// only on its standard input: no shell ever runs them.
#[test]
fn hostile_strings_are_escaped_and_never_reach_a_shell() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let pwned = dir.path().join("pwned");
    let user = format!("x\u{1b}[2J\u{1b}]0;owned\u{7}$(touch {p});`touch {p}`'\"\\@example.org", p = pwned.display());
    let mut log = Log::default();
    // Its own login on the first day, from its own network; failures and a
    // login from another network on the next.
    log.message(600, &user, "192.0.2.10", "sent");
    for i in 0..12 {
        let why = format!("authentication failure, sasl_username={user}");
        let tag = "postfix/smtpd[900]";
        log.line(
            90_000 + i * 30,
            tag,
            &format!("warning: unknown[198.51.100.{}]: SASL LOGIN authentication failed: {why}", 10 + i),
        );
    }
    let helo = format!("$(touch {})\u{1b}[31m", pwned.display());
    log.line(
        89_000,
        "postfix/smtpd[901]",
        &format!(
            "NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <a@b.example>: Relay access denied; \
             from=<a@b.example> to=<a@b.example> proto=ESMTP helo=<{helo}>"
        ),
    );
    log.message(90_600, &user, "203.0.113.77", "sent");
    let lines: Vec<Vec<u8>> = log.text().lines().map(|l| l.as_bytes().to_vec()).collect();
    let path = dir.path().join("mail.log");
    std::fs::write(&path, b"").unwrap();
    let got = dir.path().join("exec-input");
    let g = got.to_str().unwrap();
    for format in ["text", "json"] {
        let _ = std::fs::remove_file(&got);
        std::fs::write(&path, b"").unwrap();
        let script = "cat >> \"$0\"";
        let mut w = Watch::start(
            &path,
            &["--format", format, "-q", "--exec", "/bin/sh", "--exec-arg", "-c", "--exec-arg", script, "--exec-arg", g],
        );
        append(&path, &lines);
        w.settle(lines.len());
        let (code, _) = w.stop();
        assert_eq!(code, Some(0));
        let out = w_text(&got);
        let alerts: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).expect("--exec gets JSON")).collect();
        let named = alerts.iter().find(|a| a["suspect"] == user.as_str()).expect("the account is alerted");
        assert_eq!(named["crossed"][0]["what"], "login-after-failures");
        assert!(!pwned.exists(), "a shell ran a log string");
        let _ = named;
    }
    // Text: one line per alert, no control character, the escapes shown.
    std::fs::write(&path, b"").unwrap();
    let mut w = Watch::start(&path, &["-q"]);
    append(&path, &lines);
    w.settle(lines.len());
    let text = w.text_alerts();
    let (code, _) = w.stop();
    assert_eq!(code, Some(0));
    let named: Vec<&String> =
        text.iter().filter(|l| l.contains("login-after-failures") || l.contains("after 12 auth")).collect();
    assert!(!named.is_empty(), "{text:?}");
    for l in &text {
        assert!(!l.chars().any(|c| c.is_control()), "a control character in {l:?}");
        assert!(l.starts_with("postsleuth ALERT "), "{l}");
    }
    assert!(named.iter().any(|l| l.contains(r"x\x1b[2J\x1b]0;owned\x07$(touch")), "{named:?}");
    assert!(!pwned.exists());
}

fn w_text(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// The metrics: postfix_exporter's counters of the lines read, exact; on
/// loopback only unless --metrics-public.
#[test]
fn metrics_count_what_the_lines_say() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    std::fs::write(&path, b"").unwrap();
    let mut log = Log::default();
    for i in 0..3 {
        log.message(100 + i * 60, "bob@example.org", "192.0.2.7", if i == 2 { "deferred" } else { "sent" });
    }
    log.line(
        50,
        "postfix/smtpd[901]",
        "warning: unknown[198.51.100.3]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
    );
    log.line(
        60,
        "postfix/smtpd[901]",
        "NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <a@b.example>: Relay access denied; \
         from=<a@b.example> to=<a@b.example> proto=ESMTP helo=<x>",
    );
    let lines: Vec<Vec<u8>> = log.text().lines().map(|l| l.as_bytes().to_vec()).collect();
    let mut w = Watch::start(&path, &["-q"]);
    append(&path, &lines);
    w.settle(lines.len());
    let page = w.page().unwrap();
    for want in [
        "postfix_smtpd_sasl_authentication_failures_total 1\n",
        "postfix_smtpd_messages_rejected_total{code=\"554\"} 1\n",
        "postfix_smtpd_messages_processed_total{sasl_method=\"LOGIN\"} 3\n",
        "postfix_smtp_status_total{status=\"deferred\"} 1\n",
        "postfix_smtp_status_total{status=\"sent\"} 2\n",
        "postfix_qmgr_messages_inserted_receipients_count 3\n",
        "postfix_qmgr_messages_removed_total 2\n",
        &format!("postsleuth_watch_lines_total {}\n", lines.len()),
        "postsleuth_account_messages{account=\"bob@example.org\"} 3\n",
    ] {
        assert!(page.contains(want), "no {want:?} in\n{page}");
    }
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"));
    drop(w);
    let refused = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["watch", path.to_str().unwrap(), "--metrics", "0.0.0.0:0", "-q"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));
}

/// --from-start reads the rotated, compressed history through the batch
/// pipeline and then follows the live file from its last line: lines
/// appended afterwards are read once, the history not again, and an
/// incident in the history is alerted at once, dated as `suspects` dates it.
#[test]
fn catch_up_reads_the_history_once_and_alerts_on_it() {
    let _one = serial();
    let sim = Sim::new("sasl-compromise", 2, "rfc3339");
    let culprit = sim.culprit().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    for f in &sim.truth.files {
        copy_as_is(&sim.path().join(&f.name), &dir.path().join(&f.name));
    }
    let sus = suspects_support::run_json(&suspects_support::strings(&[
        "suspects",
        "--format",
        "json",
        "--tz",
        "UTC",
        "--log-tz",
        "UTC",
        "-q",
        dir.path().to_str().unwrap(),
    ]));
    let y = year(&sim);
    let mut w = Watch::start(&log, &["--from-start", "--format", "json", "--log-tz", "UTC", "--year", &y, "-q"]);
    assert_eq!(w.metric("postsleuth_watch_lines_total"), Some(0.0), "the history is not read again");
    let alerts = w.json_alerts();
    let named = alerts.iter().find(|a| a["suspect"] == culprit.as_str() && a["alert"] == "suspect").expect("alerted");
    assert_eq!(named["compromised_at"], sus["suspects"][0]["compromised_at"]);
    let more: Vec<Vec<u8>> = (0..5)
        .map(|i| {
            format!("2026-11-22T00:00:0{i}.000000+00:00 mx1 postfix/smtpd[77]: connect from unknown[192.0.2.{i}]")
                .into_bytes()
        })
        .collect();
    append(&log, &more);
    w.settle(5);
    assert!(w.page().unwrap().contains("postsleuth_watch_lines_total 5\n"));
}

/// The README's --exec example (scripts/watch-alert.sh) with stand-ins for
/// mail(1) and postsuper: the admin gets the alert as the mail's body, and
/// postsuper -h only the queue IDs of this host that are queue IDs by their
/// syntax, on its standard input.
#[test]
fn example_exec_script_holds_only_queue_ids() {
    if Command::new("jq").arg("--version").output().is_err() {
        eprintln!("jq is not installed: the example script is not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let d = dir.path().display();
    for (name, body) in [
        ("mail", format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > {d}/mail-args\ncat > {d}/mail-body\n")),
        ("postsuper", format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > {d}/postsuper-args\ncat > {d}/postsuper-in\n")),
    ] {
        let p = bin.join(name);
        std::fs::write(&p, body).unwrap();
        let _ = Command::new("chmod").arg("+x").arg(&p).status();
    }
    let alert = serde_json::json!({
        "alert": "suspect", "suspect": "x$(touch pwned)\nSubject: y", "because": "new",
        "next_steps": {"queue_ids": [
            {"host": "mx1", "queue_id": "6EBA6FCDDE"},
            {"host": "mx1", "queue_id": "4jh4nK5WRMz6fJ5"},
            {"host": "mx1", "queue_id": "$(touch pwned)"},
            {"host": "mx1", "queue_id": "../../etc/passwd"},
            {"host": "mx2", "queue_id": "7F1E2C0A11"}
        ]}
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/watch-alert.sh");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut child = Command::new(&script)
        .env("PATH", path)
        .env("POSTSLEUTH_HOST", "mx1")
        .env("POSTSLEUTH_ADMIN", "admin@example.org")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(alert.to_string().as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    assert_eq!(read("postsuper-args"), "-h\n-\n");
    assert_eq!(read("postsuper-in"), "6EBA6FCDDE\n4jh4nK5WRMz6fJ5\n");
    assert_eq!(read("mail-args"), "-s\npostsleuth watch: suspect alert\nadmin@example.org\n");
    let body: Value = serde_json::from_str(&read("mail-body")).unwrap();
    assert_eq!(body, alert);
    assert!(!dir.path().join("pwned").exists());
}
