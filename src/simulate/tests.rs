//! End-to-end checks: run the simulator into a temporary directory, read the
//! files back the naive way, and hold the truth to what is actually there.
//!
//! Long because it holds the simulator's end-to-end checks, one per incident
//! shape.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};

use super::*;

/// One file read back: its name and lines.
struct LogFile {
    name: String,
    lines: Vec<String>,
}

fn opts(dir: &Path, scenario: Scenario, volume: f64) -> SimOptions {
    SimOptions { out: dir.to_path_buf(), scenario, volume, ..SimOptions::default() }
}

fn read_back(dir: &Path, truth: &Truth) -> Vec<LogFile> {
    truth
        .files
        .iter()
        .map(|f| {
            let raw = std::fs::read(dir.join(&f.name)).expect("log file exists");
            let text = if f.gzip {
                assert_eq!(&raw[..2], &[0x1f, 0x8b], "{} is gzip", f.name);
                let mut s = String::new();
                flate2::read::MultiGzDecoder::new(&raw[..]).read_to_string(&mut s).expect("valid gzip");
                s
            } else {
                String::from_utf8(raw).expect("utf-8 log")
            };
            LogFile { name: f.name.clone(), lines: text.lines().map(str::to_string).collect() }
        })
        .collect()
}

fn simulate_into(o: &SimOptions) -> (Truth, Vec<LogFile>) {
    let truth = simulate(o).expect("simulation runs");
    let files = read_back(&o.out, &truth);
    (truth, files)
}

fn all_lines(files: &[LogFile]) -> impl Iterator<Item = &str> {
    files.iter().flat_map(|f| f.lines.iter().map(String::as_str))
}

/// The text after `TAG[PID]: ` (or `TAG: `).
fn message(line: &str) -> &str {
    line.split_once("]: ").or_else(|| line.split_once(": ")).map_or("", |(_, m)| m)
}

/// `NAME[IP]` → `IP`, from the first bracket pair at or after `from`.
fn ip_in(text: &str) -> &str {
    let open = text.find('[').expect("[");
    let close = open + text[open..].find(']').expect("]");
    &text[open + 1..close]
}

fn count(files: &[LogFile], needle: &str) -> u64 {
    all_lines(files).filter(|l| l.contains(needle)).count() as u64
}

/// Parses the envelope and returns (time in seconds, rest after the tag).
fn envelope(line: &str, format: TimestampFormat, year: i32) -> i64 {
    match format {
        TimestampFormat::Rfc3164 => {
            let stamp = &line[..15];
            let month = &stamp[..3];
            assert!(stamp.as_bytes()[3] == b' ', "{line}");
            let day = &stamp[4..6];
            assert!(day.starts_with(' ') || !day.starts_with('0'), "day padding: {line}");
            assert!(day.trim_start().len() == 1 || !day.starts_with(' '), "{line}");
            let text = format!("{year} {month} {} {}", day.trim_start(), &stamp[7..]);
            let naive = chrono::NaiveDateTime::parse_from_str(&text, "%Y %b %d %H:%M:%S")
                .unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(&line[15..16], " ");
            naive.and_utc().timestamp()
        }
        TimestampFormat::Rfc3339 => {
            let stamp = &line[..32];
            assert!(stamp.ends_with("+00:00") && stamp.as_bytes()[19] == b'.', "{line}");
            let t = DateTime::parse_from_rfc3339(stamp).unwrap_or_else(|e| panic!("{e}: {line}"));
            t.timestamp()
        }
    }
}

/// Host, then `tag[pid]: ` or `dovecot: `.
fn check_tag(rest: &str, line: &str) {
    let rest = rest.strip_prefix("mx1 ").unwrap_or_else(|| panic!("host: {line}"));
    let colon = rest.find(": ").unwrap_or_else(|| panic!("tag: {line}"));
    let tag = &rest[..colon];
    if tag == "dovecot" {
        return;
    }
    let open = tag.find('[').unwrap_or_else(|| panic!("pid: {line}"));
    assert!(tag.ends_with(']'), "{line}");
    let pid = &tag[open + 1..tag.len() - 1];
    assert!(!pid.is_empty() && pid.bytes().all(|c| c.is_ascii_digit()), "{line}");
    let name = &tag[..open];
    let ok = name.starts_with("postfix/") || name == "opendkim" || name == "amavis";
    assert!(ok, "program: {line}");
}

fn check_envelopes(files: &[LogFile], format: TimestampFormat) {
    let mut last = i64::MIN;
    for f in files {
        for line in &f.lines {
            let t = envelope(line, format, 2026);
            assert!(t >= last, "time goes back at {}: {line}", f.name);
            last = t;
            let skip = if format == TimestampFormat::Rfc3164 { 16 } else { 33 };
            check_tag(&line[skip..], line);
        }
    }
}

#[test]
fn names_parse_and_print() {
    for (s, _) in SCENARIO_NAMES {
        let sc: Scenario = s.parse().expect("known scenario");
        assert_eq!(sc.to_string(), s);
        assert!(SCENARIO_LIST.contains(s), "{s} listed");
    }
    for s in ["rfc3164", "rfc3339"] {
        let f: TimestampFormat = s.parse().expect("known format");
        assert_eq!(f.to_string(), s);
    }
    let err = "nope".parse::<Scenario>().expect_err("unknown");
    assert!(err.to_string().contains("sasl-compromise"));
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (tempdir(), tempdir(), tempdir());
    let oa = opts(a.path(), Scenario::SaslCompromise, 0.05);
    let ta = simulate(&oa).expect("a");
    let tb = simulate(&SimOptions { out: b.path().into(), ..oa.clone() }).expect("b");
    assert_eq!(ta, tb);
    for f in &ta.files {
        let x = std::fs::read(a.path().join(&f.name)).expect("a file");
        let y = std::fs::read(b.path().join(&f.name)).expect("b file");
        assert!(x == y, "{} differs between identical runs", f.name);
    }
    let json = std::fs::read_to_string(a.path().join("truth.json")).expect("truth.json");
    let parsed: Truth = serde_json::from_str(&json).expect("truth.json parses");
    assert_eq!(parsed, ta);
    let tc = simulate(&SimOptions { out: c.path().into(), seed: 2, ..oa }).expect("c");
    assert_ne!(ta.files, tc.files);
}

#[test]
fn envelopes_are_well_formed_and_sorted_in_both_formats() {
    for format in [TimestampFormat::Rfc3164, TimestampFormat::Rfc3339] {
        let dir = tempdir();
        let o = SimOptions { format, ..opts(dir.path(), Scenario::SaslCompromise, 0.05) };
        let (truth, files) = simulate_into(&o);
        check_envelopes(&files, format);
        for (f, tf) in files.iter().zip(&truth.files) {
            assert_eq!(f.lines.len() as u64, tf.lines, "{}", f.name);
        }
    }
}

#[test]
fn rfc3164_days_are_space_padded() {
    let dir = tempdir();
    let start = Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).single().expect("date");
    let o = SimOptions { start, days: 2, ..opts(dir.path(), Scenario::Quiet, 0.03) };
    let (_, files) = simulate_into(&o);
    assert!(files[0].lines.iter().all(|l| l.starts_with("Nov  2 ")));
    assert!(files[1].lines.iter().all(|l| l.starts_with("Nov  3 ")));
    check_envelopes(&files, TimestampFormat::Rfc3164);
}

#[test]
fn files_are_rotated_like_logrotate_with_mtime_of_last_line() {
    let dir = tempdir();
    let (truth, files) = simulate_into(&opts(dir.path(), Scenario::Quiet, 0.03));
    let names: Vec<&str> = truth.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["mail.log.2.gz", "mail.log.1", "mail.log"]);
    for f in &files {
        let last = f.lines.last().expect("a day has lines");
        let t = envelope(last, TimestampFormat::Rfc3164, 2026);
        let meta = std::fs::metadata(dir.path().join(&f.name)).expect("metadata");
        let mtime = meta.modified().expect("mtime");
        let secs = mtime.duration_since(std::time::UNIX_EPOCH).expect("after epoch");
        assert_eq!(secs.as_secs() as i64, t, "{}", f.name);
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn refuses_old_logs_unless_forced() {
    let dir = tempdir();
    std::fs::write(dir.path().join("mail.log"), "old\n").expect("seed file");
    std::fs::write(dir.path().join("mail.log.7.gz"), "old").expect("seed file");
    let o = opts(dir.path(), Scenario::Quiet, 0.02);
    assert!(matches!(simulate(&o), Err(SimError::OutNotEmpty(_))));
    let o = SimOptions { force: true, ..o };
    simulate(&o).expect("forced run");
    assert!(!dir.path().join("mail.log.7.gz").exists(), "stale rotation removed");
    assert!(dir.path().join("truth.json").exists());
    let bad = SimOptions { days: 0, ..o };
    assert!(matches!(simulate(&bad), Err(SimError::BadOptions(_))));
}

/// IP → number of `SASL … authentication failed` lines.
fn auth_failures(files: &[LogFile]) -> BTreeMap<String, u64> {
    let mut by_ip = BTreeMap::new();
    for l in all_lines(files) {
        let m = message(l);
        if m.starts_with("warning: ") && m.contains(": SASL ") && m.contains(" authentication failed: ") {
            let who = &m[..m.find(": SASL ").expect("sasl")];
            *by_ip.entry(ip_in(who).to_string()).or_insert(0) += 1;
        } else if let Some((_, n)) = m.split_once("(auth failed, ") {
            // Dovecot's: every attempt it counts.
            let n: u64 = n[..n.find(' ').expect("attempts")].parse().expect("a count");
            let rip = &m[m.find(", rip=").expect("rip") + 6..];
            *by_ip.entry(rip[..rip.find(',').expect(",")].to_string()).or_insert(0) += n;
        }
    }
    by_ip
}

/// The attempts of Dovecot's `(auth failed, N attempts …)` lines.
fn dovecot_attempts(files: &[LogFile]) -> u64 {
    all_lines(files)
        .filter_map(|l| l.split_once("(auth failed, "))
        .map(|(_, n)| n[..n.find(' ').expect("attempts")].parse::<u64>().expect("a count"))
        .sum()
}

/// `sasl_username` → `client=` lines.
fn submissions(files: &[LogFile]) -> BTreeMap<String, u64> {
    let mut by_user = BTreeMap::new();
    for l in all_lines(files).filter(|l| l.contains(": client=")) {
        if let Some((_, user)) = l.split_once(", sasl_username=") {
            *by_user.entry(user.to_string()).or_insert(0) += 1;
        }
    }
    by_user
}

fn pickups(files: &[LogFile]) -> BTreeMap<u32, u64> {
    let mut by_uid = BTreeMap::new();
    for l in all_lines(files).filter(|l| l.contains(" postfix/pickup[")) {
        let uid = message(l).split_once("uid=").expect("uid").1;
        let uid: u32 = uid.split(' ').next().expect("n").parse().expect("number");
        *by_uid.entry(uid).or_insert(0) += 1;
    }
    by_uid
}

/// The queue ID a Postfix message line starts with.
fn qid_of(line: &str) -> Option<&str> {
    let m = message(line);
    let (q, _) = m.split_once(": ")?;
    let ok = q.len() >= 10 && q.bytes().all(|c| c.is_ascii_alphanumeric());
    ok.then_some(q)
}

/// Follows spam messages (the attacker's `client=` lines) through content
/// filter continuations; returns distinct (message, recipient) pairs.
fn spam_pairs(files: &[LogFile], victim: &str, attackers: &BTreeSet<String>) -> usize {
    let mut live: HashMap<String, usize> = HashMap::new();
    let mut pairs = BTreeSet::new();
    let mut next = 0;
    for l in all_lines(files) {
        let Some(q) = qid_of(l) else { continue };
        let m = message(l);
        if m.contains(": client=") && l.ends_with(&format!("sasl_username={victim}")) {
            if attackers.contains(ip_in(m)) {
                live.insert(q.to_string(), next);
                next += 1;
            }
        } else if let (Some(&origin), Some(rest)) = (live.get(q), m.strip_prefix(q)) {
            if let Some(to) = rest.strip_prefix(": to=<") {
                let rcpt = &to[..to.find('>').expect(">")];
                pairs.insert((origin, rcpt.to_string()));
                if to.contains("relay=127.0.0.1[127.0.0.1]:10024") {
                    let b = to.rsplit("queued as ").next().expect("queued as");
                    live.insert(b.trim_end_matches(')').to_string(), origin);
                }
            } else if rest == ": removed" {
                live.remove(q);
            }
        }
    }
    pairs.len()
}

#[test]
fn sasl_truth_matches_a_naive_recount() {
    let dir = tempdir();
    let (truth, files) = simulate_into(&opts(dir.path(), Scenario::SaslCompromise, 0.1));
    let victim = truth.compromised_account.clone().expect("victim");
    // Authentication failures, per IP and in total.
    assert_eq!(auth_failures(&files), truth.auth_failures_by_ip);
    assert_eq!(truth.auth_failures, auth_failures(&files).values().sum::<u64>());
    let dovecot = all_lines(&files).filter(|l| l.contains("(auth failed, ")).count() as u64;
    assert_eq!(truth.auth_failures, count(&files, " authentication failed: ") + dovecot_attempts(&files));
    assert!(dovecot > 0, "IMAP guesses in the noise");
    let bf = truth.brute_force.clone().expect("a wave");
    assert_eq!(bf.target, victim);
    assert!(bf.failures >= 100 && bf.ips >= 20 && bf.failures <= truth.auth_failures, "{bf:?}");
    assert!(bf.start < bf.end);
    // Per-account and per-uid message counts.
    assert_eq!(submissions(&files), truth.messages_by_account);
    assert_eq!(pickups(&files), truth.messages_by_uid);
    assert_eq!(truth.noqueue_rejects, count(&files, "NOQUEUE: reject: "));
    let ps_rejects = all_lines(&files)
        .filter(|l| l.contains(" postfix/postscreen[") && l.contains("NOQUEUE: reject: "))
        .count() as u64;
    assert_eq!(truth.postscreen_rejects, ps_rejects);
    check_first_login(&truth, &files, &victim);
    check_spam(&truth, &files, &victim);
    check_queue_counts(&truth, &files);
}

fn check_first_login(truth: &Truth, files: &[LogFile], victim: &str) {
    let ev = truth.first_malicious.clone().expect("first login");
    let f = files.iter().find(|f| f.name == ev.file).expect("named file");
    let line = &f.lines[ev.line as usize - 1];
    assert!(line.contains(": client=") && line.ends_with(&format!("sasl_username={victim}")), "{line}");
    let ip = ev.ip.clone().expect("ip");
    assert_eq!(ip_in(message(line)), ip);
    let t = envelope(line, truth.format, 2026);
    assert_eq!(clock::iso_seconds(t * 1_000_000), ev.time);
    let bf = truth.brute_force.clone().expect("wave");
    assert!(bf.end < ev.time, "the takeover follows the guessing");
    assert!(!truth.auth_failures_by_ip.contains_key(&ip), "probe comes from a new address");
}

fn check_spam(truth: &Truth, files: &[LogFile], victim: &str) {
    let attackers: BTreeSet<String> = truth.attacker_ip_list.iter().cloned().collect();
    assert_eq!(attackers.len() as u64, truth.attacker_ips);
    let ev = truth.first_malicious.clone().expect("first login");
    let mut spam = 0;
    let mut seen_attackers = BTreeSet::new();
    let mut before = true;
    for f in files {
        for (i, l) in f.lines.iter().enumerate() {
            if f.name == ev.file && i as u64 + 1 == ev.line {
                before = false;
            }
            if !(l.contains(": client=") && l.ends_with(&format!("sasl_username={victim}"))) {
                continue;
            }
            let ip = ip_in(message(l)).to_string();
            if attackers.contains(&ip) {
                assert!(!before, "attacker IP {ip} used before the takeover");
                spam += 1;
                seen_attackers.insert(ip);
            }
        }
    }
    assert_eq!(spam, truth.spam_messages);
    assert_eq!(seen_attackers, attackers);
    assert_eq!(spam_pairs(files, victim, &attackers) as u64, truth.spam_recipients);
    assert!(truth.spam_recipients > truth.spam_messages, "spam has many recipients");
    let deleted = all_lines(files).filter(|l| l.contains("postsuper[") && l.ends_with(": removed")).count() as u64;
    assert_eq!(deleted, truth.postsuper_deleted);
    let summary = format!("Deleted: {deleted} message");
    assert_eq!(count(files, &summary), 1);
}

fn check_queue_counts(truth: &Truth, files: &[LogFile]) {
    let clients = count(files, ": client=");
    let reinjected = count(files, ": client=localhost[127.0.0.1]");
    assert_eq!(reinjected, truth.content_filter_continuations);
    assert_eq!(clients - reinjected + truth.pickup_messages, truth.total_messages);
    assert_eq!(truth.expired, count(files, ", status=expired, returned to sender"));
    assert_eq!(truth.bounce_notifications, count(files, ": sender non-delivery notification: "));
    for status in ["sent", "deferred", "bounced"] {
        let n = all_lines(files).filter(|l| l.contains(": to=<") && l.contains(&format!(", status={status} "))).count()
            as u64;
        assert_eq!(truth.deliveries[status], n, "{status}");
    }
    // Each queue file has exactly one cleanup line: repeats are reused IDs.
    let mut cleanup: HashMap<&str, u64> = HashMap::new();
    for l in all_lines(files).filter(|l| l.contains(" postfix/cleanup[")) {
        *cleanup.entry(qid_of(l).expect("qid")).or_insert(0) += 1;
    }
    let reused: u64 = cleanup.values().map(|n| n - 1).sum();
    assert!(truth.queue_id_reuses >= reused && truth.queue_id_reuses <= reused + 2);
}

#[test]
fn one_day_still_tells_the_whole_story() {
    let dir = tempdir();
    let o = SimOptions { days: 1, ..opts(dir.path(), Scenario::SaslCompromise, 0.05) };
    let (truth, files) = simulate_into(&o);
    assert_eq!(truth.files.len(), 1);
    assert_eq!(truth.files[0].name, "mail.log");
    let bf = truth.brute_force.clone().expect("wave");
    let ev = truth.first_malicious.clone().expect("takeover");
    assert!(bf.end < ev.time && ev.file == "mail.log");
    assert!(truth.spam_messages > 50);
    assert_eq!(count(&files, "postsuper["), truth.postsuper_deleted + 1);
}

#[test]
fn year_rollover_keeps_order_and_mtime() {
    let dir = tempdir();
    let start = Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).single().expect("date");
    let o = SimOptions { start, days: 2, ..opts(dir.path(), Scenario::Quiet, 0.02) };
    let (truth, files) = simulate_into(&o);
    assert!(files[0].lines.iter().all(|l| l.starts_with("Dec 31 ")));
    assert!(files[1].lines.iter().all(|l| l.starts_with("Jan  1 ")));
    let last = truth.files[1].last.clone().expect("lines");
    assert!(last.starts_with("2027-01-01T"), "{last}");
    let mtime = std::fs::metadata(dir.path().join("mail.log")).expect("meta").modified().expect("mtime");
    let year = DateTime::<Utc>::from(mtime).format("%Y").to_string();
    assert_eq!(year, "2027");
}

#[test]
fn webapp_script_is_attributed_to_uid_33() {
    let dir = tempdir();
    let (truth, files) = simulate_into(&opts(dir.path(), Scenario::WebappScript, 0.1));
    assert_eq!(truth.compromised_uid, Some(33));
    assert_eq!(truth.compromised_account, None);
    assert!(truth.brute_force.is_none());
    let ev = truth.first_malicious.clone().expect("first spam");
    assert_eq!(ev.ip, None);
    let f = files.iter().find(|f| f.name == ev.file).expect("file");
    assert!(f.lines[ev.line as usize - 1].contains(": uid=33 from=<www-data>"));
    assert_eq!(pickups(&files), truth.messages_by_uid);
    let uid33 = truth.messages_by_uid[&33];
    assert!(truth.spam_messages >= 200 && truth.spam_messages < uid33, "{truth:?}");
    assert_eq!(
        truth.postsuper_deleted,
        all_lines(&files).filter(|l| l.contains("postsuper[") && l.ends_with(": removed")).count() as u64
    );
}

#[test]
fn quiet_has_no_incident() {
    let dir = tempdir();
    let (truth, files) = simulate_into(&opts(dir.path(), Scenario::Quiet, 0.05));
    assert_eq!(truth.compromised_account, None);
    assert_eq!(truth.compromised_uid, None);
    assert!(truth.first_malicious.is_none() && truth.brute_force.is_none());
    assert_eq!((truth.spam_messages, truth.postsuper_deleted), (0, 0));
    assert_eq!(count(&files, "postsuper["), 0);
    assert!(truth.auth_failures > 0, "background scanners still knock");
}

#[test]
fn long_queue_ids_are_long() {
    let dir = tempdir();
    let o = SimOptions { long_ids: true, ..opts(dir.path(), Scenario::SaslCompromise, 0.03) };
    let (truth, files) = simulate_into(&o);
    let mut n = 0;
    for l in all_lines(&files).filter(|l| l.contains(" postfix/cleanup[")) {
        let q = qid_of(l).expect("qid");
        let z = q.rfind('z').expect("z separator");
        assert_eq!(z, 10, "{q}");
        assert!(!q.bytes().any(|c| b"aeiouAEIOU".contains(&c)), "{q}");
        n += 1;
    }
    assert!(n > 100);
    assert_eq!(truth.queue_id_reuses, 0);
}

#[test]
fn short_queue_ids_are_upper_hex() {
    let dir = tempdir();
    let (_, files) = simulate_into(&opts(dir.path(), Scenario::Quiet, 0.05));
    for l in all_lines(&files).filter(|l| l.contains(" postfix/cleanup[")) {
        let q = qid_of(l).expect("qid");
        assert!((10..=12).contains(&q.len()), "{q}");
        assert!(q.bytes().all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c)), "{q}");
    }
}

#[test]
fn smtpd_sessions_open_and_close_per_pid() {
    let dir = tempdir();
    let (_, files) = simulate_into(&opts(dir.path(), Scenario::SaslCompromise, 0.05));
    let mut open: HashMap<String, bool> = HashMap::new();
    for l in all_lines(&files).filter(|l| l.contains("/smtpd[")) {
        let key = l.split_whitespace().nth(4).expect("tag").to_string();
        let m = message(l);
        if m.starts_with("connect from ") {
            assert!(!open.insert(key.clone(), true).unwrap_or(false), "{key} reused while open: {l}");
        } else if m.starts_with("disconnect from ") {
            assert!(open.insert(key.clone(), false).unwrap_or(false), "{key} closed twice: {l}");
        }
    }
}

#[test]
fn volume_scales_the_output() {
    let (a, b) = (tempdir(), tempdir());
    let small = simulate(&opts(a.path(), Scenario::SaslCompromise, 0.05)).expect("small");
    let big = simulate(&opts(b.path(), Scenario::SaslCompromise, 0.2)).expect("big");
    let bytes = |t: &Truth| t.files.iter().map(|f| f.bytes).sum::<u64>() as f64;
    let ratio = bytes(&big) / bytes(&small);
    assert!((3.0..5.5).contains(&ratio), "bytes ratio {ratio}");
    let spam = big.spam_messages as f64 / small.spam_messages as f64;
    assert!((3.0..5.5).contains(&spam), "spam ratio {spam}");
    assert!(big.brute_force.expect("wave").failures > small.brute_force.expect("wave").failures * 3);
}

/// The attack scenarios other than `sasl-compromise`.
const SHAPES: [Scenario; 8] = [
    Scenario::EarlyCaught,
    Scenario::ShortHistory,
    Scenario::SlowBruteForce,
    Scenario::SeparateInfra,
    Scenario::Ipv6Attacker,
    Scenario::PortLogging,
    Scenario::DovecotFailures,
    Scenario::ResetRetry,
];

/// The line an [`Evidence`] points at.
fn line_at<'a>(files: &'a [LogFile], ev: &Evidence) -> &'a str {
    let f = files.iter().find(|f| f.name == ev.file).expect("named file");
    &f.lines[ev.line as usize - 1]
}

/// The `/24` or `/64` an address sits in, as text.
fn network(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>().expect("ip") {
        std::net::IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}")
        }
        std::net::IpAddr::V6(v6) => format!("{:x?}", &v6.segments()[..4]),
    }
}

#[test]
fn attack_shapes_tell_their_story() {
    for (i, &scenario) in SHAPES.iter().enumerate() {
        let dir = tempdir();
        let format = if i % 2 == 0 { TimestampFormat::Rfc3164 } else { TimestampFormat::Rfc3339 };
        let o = SimOptions { days: 2, format, seed: i as u64 + 1, ..opts(dir.path(), scenario, 0.1) };
        let (truth, files) = simulate_into(&o);
        check_envelopes(&files, format);
        let victim = truth.compromised_account.clone().expect("victim");
        assert_eq!(auth_failures(&files), truth.auth_failures_by_ip, "{scenario}");
        // Rejected by cleanup: a client= line, but not an accepted message.
        let mut accepted = submissions(&files);
        for (user, n) in &truth.rejected_by_cleanup {
            *accepted.get_mut(user).expect("rejected user submitted") -= n;
        }
        accepted.retain(|_, n| *n > 0);
        assert_eq!(accepted, truth.messages_by_account, "{scenario}");
        let rejected: u64 = truth.rejected_by_cleanup.values().sum();
        assert_eq!(count(&files, ": reject: header Subject: "), rejected, "{scenario}");
        let ev = truth.first_malicious.clone().expect("takeover");
        let line = line_at(&files, &ev);
        assert!(line.contains(": client=") && line.ends_with(&format!("sasl_username={victim}")), "{line}");
        let ip = ev.ip.clone().expect("ip");
        let bf = truth.brute_force.clone().expect("wave");
        assert!(bf.end < ev.time && bf.target == victim, "{scenario}: {bf:?}");
        assert!(truth.spam_recipients > truth.spam_messages, "{scenario}");
        assert!(truth.forged_senders * 2 > truth.spam_messages, "{scenario}: forged senders");
        let failed_before = truth.auth_failures_by_ip.contains_key(&ip);
        match scenario {
            Scenario::SeparateInfra | Scenario::Ipv6Attacker => {
                assert!(!failed_before, "{scenario}: login from a fresh address");
                let nets: BTreeSet<String> = truth.auth_failures_by_ip.keys().map(|a| network(a)).collect();
                assert!(!nets.contains(&network(&ip)), "{scenario}: login network never failed");
            }
            _ => assert!(failed_before, "{scenario}: the guessing address got in"),
        }
        if scenario == Scenario::Ipv6Attacker {
            assert!(ip.contains(':') && line.contains(&format!("client=unknown[{ip}]")), "{line}");
            assert!(truth.attacker_ip_list.iter().filter(|a| a.contains(':')).count() >= 2);
        }
        check_shape(scenario, &truth, &files, &victim);
    }
}

fn check_shape(scenario: Scenario, truth: &Truth, files: &[LogFile], victim: &str) {
    let ev = truth.first_malicious.clone().expect("takeover");
    let span = truth.span.clone().expect("span");
    let secs = |t: &str| DateTime::parse_from_rfc3339(t).expect("time").timestamp();
    let bf = truth.brute_force.clone().expect("wave");
    match scenario {
        Scenario::EarlyCaught => {
            let into = secs(&span.end) - secs(&ev.time);
            assert!((5 * 60..40 * 60).contains(&into), "log ends {into} s after the takeover");
            assert_eq!(count(files, "postsuper["), 0, "nobody reacted yet");
        }
        Scenario::ShortHistory => {
            assert_eq!(files.len(), 1);
            assert!(secs(&span.end) - secs(&span.start) < 3600, "{span:?}");
            let own = all_lines(files)
                .take_while(|l| !l.contains(&format!("client=unknown[{}]", ev.ip.clone().unwrap_or_default())))
                .filter(|l| l.contains(": client=") && l.ends_with(&format!("sasl_username={victim}")))
                .count();
            assert!(own <= 2, "{own} messages of her own");
            assert!((40..=260).contains(&truth.spam_messages), "{}", truth.spam_messages);
        }
        Scenario::SlowBruteForce => {
            assert!((30..=80).contains(&bf.failures) && (15..=40).contains(&bf.ips), "{bf:?}");
            assert!(count(files, "(reason unavailable), sasl_username=") >= bf.failures);
            assert!(count(files, "lost connection after AUTH from ") > 3);
        }
        Scenario::PortLogging => {
            for l in all_lines(files).filter(|l| l.contains(": client=") || l.contains("disconnect from ")) {
                let m = message(l);
                let close = m.find(']').expect("]");
                assert!(m[close + 1..].starts_with(':'), "port after the address: {l}");
            }
        }
        Scenario::DovecotFailures => {
            let lines: Vec<&str> = all_lines(files).collect();
            let mut n = 0;
            for (i, l) in lines.iter().enumerate().filter(|(_, l)| l.contains(" dovecot: auth: passwd-file(")) {
                let inside = &l[l.find("passwd-file(").expect("(") + 12..l.find("): ").expect(")")];
                let (user, ip) = inside.split_once(',').expect("user,ip");
                let next = lines[i + 1..].iter().find(|x| x.contains(" authentication failed: ")).expect("warning");
                assert!(
                    next.contains(&format!("[{ip}]")) && next.ends_with(&format!("sasl_username={user}")),
                    "{next}"
                );
                n += 1;
            }
            assert!(n as u64 >= bf.failures / 2, "{n} dovecot lines");
        }
        Scenario::ResetRetry => {
            let end = truth.abuse_end.clone().expect("abuse end");
            let line = line_at(files, &end);
            assert!(line.contains(" authentication failed: ") && line.ends_with(&format!("sasl_username={victim}")));
            let ip = end.ip.clone().expect("ip");
            assert!(truth.attacker_ip_list.contains(&ip) && end.time > ev.time, "{end:?}");
            assert!(truth.attacker_retries >= 1 && truth.held >= 2);
            assert_eq!(count(files, ": placed on hold"), truth.held);
            assert_eq!(count(files, &format!("Placed on hold: {} messages", truth.held)), 1);
        }
        _ => {}
    }
}

#[test]
fn traps_are_innocent_and_named() {
    let dir = tempdir();
    let (truth, files) = simulate_into(&SimOptions { days: 2, ..opts(dir.path(), Scenario::Traps, 0.1) });
    assert_eq!((truth.compromised_account.as_deref(), truth.compromised_uid), (None, None));
    assert!(truth.first_malicious.is_none() && truth.brute_force.is_none() && truth.spam_messages == 0);
    assert_eq!(truth.traps.len(), 3, "{:?}", truth.traps);
    let (traveler, typo) = (&truth.traps[0], &truth.traps[1]);
    assert_eq!(truth.traps[2], "uid=1001");
    assert_eq!(pickups(&files).get(&1001), Some(&2));
    // The typo: one failure naming himself, then a login from the same address.
    let fail = all_lines(&files)
        .find(|l| l.contains(" authentication failed: ") && l.ends_with(&format!("sasl_username={typo}")))
        .expect("typo");
    let ip = ip_in(message(fail)).to_string();
    let after = all_lines(&files).skip_while(|l| *l != fail).skip(1);
    let login = after.filter(|l| l.contains(": client=")).find(|l| l.ends_with(&format!("sasl_username={typo}")));
    assert_eq!(ip_in(message(login.expect("login after the typo"))), ip);
    // The traveler: a couple of messages from one address in a travel country.
    let sent = truth.messages_by_account.get(traveler).copied().unwrap_or(0);
    assert!(sent >= 2, "{traveler} sent {sent}");
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}
