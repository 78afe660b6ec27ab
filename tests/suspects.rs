//! `postsleuth suspects` and `timeline`, end to end through the binary:
//! on simulated incidents against their truth.json (the compromised account
//! or uid first, the compromise time and file:line exact, nothing flagged
//! when nothing happened), evidence quoted byte for byte, `--emit` output,
//! and hostile names on a hand-made log.

mod suspects_support;

use serde_json::Value;
use std::collections::BTreeSet;
use suspects_support::*;

/// The compromised account ranks first, and its estimated compromise is the
/// attacker's first login: the same second, the same file:line.
fn check_sasl_compromise(seed: u64, format: &str) {
    let sim = Sim::new("sasl-compromise", seed, format);
    let v = sim.suspects(&[]);
    let first = &v["suspects"][0];
    let culprit = sim.culprit().expect("a compromised account");
    assert_eq!(first["suspect"], culprit.as_str(), "seed {seed} {format}: {v:#}");
    assert_eq!(first["flagged"], true);
    let truth = sim.truth.first_malicious.as_ref().expect("first malicious");
    assert_eq!(first["compromised_at"], truth.time.as_str(), "seed {seed} {format}");
    assert_eq!(first["basis"], "login");
    let login = &first["login"];
    assert_eq!(base_name(login["file"].as_str().unwrap_or("")), truth.file, "seed {seed} {format}");
    assert_eq!(login["line"], truth.line, "seed {seed} {format}");
    assert_eq!(login["ip"].as_str(), truth.ip.as_deref());
    // The wave it found is the simulated one, give or take background noise.
    let (bf, wave) = (sim.truth.brute_force.as_ref().expect("a wave"), &first["brute_force"]);
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
    let start = wave["first"]["time"].as_str().unwrap_or("");
    assert!((at(start) - at(&bf.start)).abs() <= 900, "seed {seed}: wave from {start}, truth {}", bf.start);
    let failures = wave["failures"].as_u64().unwrap_or(0) as f64;
    assert!((failures / bf.failures as f64 - 1.0).abs() < 0.1, "seed {seed}: {failures} vs {}", bf.failures);
    // Only the culprit is flagged.
    let flagged: Vec<&Value> = v["suspects"].as_array().unwrap().iter().filter(|s| s["flagged"] == true).collect();
    assert_eq!(flagged.len(), 1, "seed {seed} {format}: {v:#}");
}

#[test]
fn sasl_compromise_rfc3164_seeds() {
    for seed in [1, 3, 5] {
        check_sasl_compromise(seed, "rfc3164");
    }
}

#[test]
fn sasl_compromise_rfc3339_seeds() {
    for seed in [2, 4, 6] {
        check_sasl_compromise(seed, "rfc3339");
    }
}

#[test]
fn webapp_script_uid_ranks_first() {
    for (seed, format) in [(1, "rfc3164"), (2, "rfc3339")] {
        let sim = Sim::new("webapp-script", seed, format);
        let v = sim.suspects(&[]);
        let first = &v["suspects"][0];
        assert_eq!(first["suspect"], "uid=33", "seed {seed}: {v:#}");
        assert_eq!(first["kind"], "uid");
        assert_eq!(first["basis"], "volume");
        // The estimate is the start of the burst: after the script started,
        // within a couple of hours of it.
        let (got, want) =
            (first["compromised_at"].as_str().unwrap_or(""), &sim.truth.first_malicious.as_ref().unwrap().time);
        assert!(got >= want.as_str(), "seed {seed}: {got} before {want}");
        let gap =
            chrono::DateTime::parse_from_rfc3339(got).unwrap() - chrono::DateTime::parse_from_rfc3339(want).unwrap();
        assert!(gap.num_minutes() <= 120, "seed {seed}: onset {got}, script started {want}");
    }
}

#[test]
fn quiet_flags_nobody() {
    for (seed, format) in [(1, "rfc3164"), (2, "rfc3339"), (3, "rfc3164")] {
        let sim = Sim::new("quiet", seed, format);
        let v = sim.suspects(&[]);
        assert_eq!(v["suspects"], serde_json::json!([]), "seed {seed}: {v:#}");
        // With --all the ranking is there, all below the threshold.
        let all = sim.suspects(&["--all"]);
        assert!(all["suspects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["flagged"] == false && s["score"].as_u64() < Some(5)));
        let text = run_ok(&sim.args(&["suspects"]));
        assert!(text.contains("No account or uid reaches the threshold"), "{text}");
    }
}

/// Every evidence line, in JSON and in the terminal report, is the input
/// line it names, byte for byte (gzip files included).
#[test]
fn evidence_is_quoted_exactly() {
    let sim = Sim::new("sasl-compromise", 7, "rfc3339");
    let v = sim.suspects(&[]);
    let evidence = v["suspects"][0]["evidence"].as_array().expect("evidence").clone();
    assert!(evidence.len() >= 3, "{evidence:?}");
    let mut quoted = 0;
    for e in &evidence {
        let (file, line) = (e["file"].as_str().unwrap(), e["line"].as_u64().unwrap() as usize);
        let lines = file_lines(std::path::Path::new(file));
        assert_eq!(e["text"].as_str().unwrap().as_bytes(), lines[line - 1].as_slice(), "{file}:{line}");
        quoted += 1;
    }
    assert_eq!(quoted, evidence.len());
    // The terminal report: `file:line  (claim)` then the line itself.
    let text = run_ok(&sim.args(&["suspects"]));
    let report: Vec<&str> = text.lines().collect();
    for e in &evidence {
        let (file, line) = (e["file"].as_str().unwrap(), e["line"].as_u64().unwrap());
        let at = report.iter().position(|l| l.trim_start().starts_with(&format!("{file}:{line}  ("))).expect("quoted");
        assert_eq!(report[at + 1].trim_start(), e["text"].as_str().unwrap());
    }
}

/// `--emit queue-ids` lists exactly the culprit's messages still queued:
/// the log is cut before the admin's `postsuper -d`, so spam is left.
#[test]
fn emit_queue_ids_before_the_cleanup() {
    let sim = Sim::new("sasl-compromise", 3, "rfc3164");
    let log = sim.path().join("mail.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let cut = text.find("postfix/postsuper").expect("a postsuper line");
    let keep = &text[..text[..cut].rfind('\n').unwrap() + 1];
    // Keep the file's time, from which RFC 3164 years are inferred.
    let mtime = std::fs::metadata(&log).unwrap().modified().unwrap();
    std::fs::write(&log, keep).unwrap();
    std::fs::File::options().write(true).open(&log).unwrap().set_modified(mtime).unwrap();

    let out = run_ok(&sim.args(&["suspects", "--emit", "queue-ids"]));
    let emitted: BTreeSet<&str> = out.lines().collect();
    assert!(emitted.len() > 5, "{out}");
    let v = sim.suspects(&[]);
    let (culprit, since) = (sim.culprit().unwrap(), v["suspects"][0]["compromised_at"].as_str().unwrap().to_string());
    assert_eq!(v["suspects"][0]["after"]["still_queued"].as_u64(), Some(emitted.len() as u64));
    let rows = run_json(&sim.args(&["export", "--table", "messages", "--format", "json"]));
    let mut expected = BTreeSet::new();
    for m in rows.as_array().unwrap() {
        let queued = matches!(m["state"].as_str(), Some("queued" | "held"));
        let theirs = m["root_sasl_username"] == culprit.as_str() && m["first_seen"].as_str() >= Some(since.as_str());
        if queued && theirs {
            expected.insert(m["queue_id"].as_str().unwrap().to_string());
        }
    }
    let expected: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    // Bounce notifications about the spam may be listed too; nothing else.
    assert!(expected.is_subset(&emitted), "missing {:?}", expected.difference(&emitted).collect::<Vec<_>>());
    for extra in emitted.difference(&expected) {
        let m = rows.as_array().unwrap().iter().find(|m| m["queue_id"] == *extra).expect("known queue ID");
        assert_eq!(m["link"], "notification", "{m}");
    }
}

#[test]
fn emit_block_lists_and_window() {
    let sim = Sim::new("sasl-compromise", 2, "rfc3339");
    let probe = sim.truth.first_malicious.as_ref().unwrap().ip.clone().unwrap();
    let nft = run_ok(&sim.args(&["suspects", "--emit", "nft"]));
    assert!(nft.contains("table inet postsleuth {") && nft.contains(&format!("{probe}/32")), "{nft}");
    assert_eq!(nft.matches('{').count(), nft.matches('}').count());
    let ipt = run_ok(&sim.args(&["suspects", "--emit", "iptables"]));
    for l in ipt.lines().filter(|l| !l.starts_with('#')) {
        let ok = l.starts_with("iptables -I INPUT -s ") || l.starts_with("ip6tables -I INPUT -s ");
        assert!(ok && l.ends_with(" -j DROP"), "{l}");
    }
    let access = run_ok(&sim.args(&["suspects", "--emit", "postfix-access"]));
    let entries: Vec<&str> = access.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(entries.iter().all(|l| l.contains("/") && l.contains("\tREJECT ")), "{access}");
    assert_eq!(entries.len(), ipt.lines().filter(|l| !l.starts_with('#')).count());
    // Every attacker IP of the truth is blocked, by address or network.
    let blocked: Vec<&str> = entries.iter().map(|l| l.split('\t').next().unwrap()).collect();
    for ip in &sim.truth.attacker_ip_list {
        let net = postsleuth::frame::net::network(ip).unwrap();
        assert!(blocked.contains(&format!("{ip}/32").as_str()) || blocked.contains(&net.as_str()), "{ip} not blocked");
    }
    // The window: from the brute force to after the last spam message.
    let window = run_ok(&sim.args(&["suspects", "--emit", "window"]));
    let bf = sim.truth.brute_force.as_ref().unwrap();
    let since = window.split("--since ").nth(1).and_then(|s| s.split(' ').next()).expect("--since");
    assert!(since <= bf.start.as_str(), "{window}");
}

/// The account's timeline adds up to its messages and marks the compromise
/// in the right hour; the attacker IP's timeline names the account.
#[test]
fn timeline_marks_the_compromise() {
    let sim = Sim::new("sasl-compromise", 1, "rfc3164");
    let culprit = sim.culprit().unwrap();
    let rows = run_json(&sim.args(&["timeline", &culprit, "--format", "json"]));
    let rows = rows.as_array().unwrap();
    let total: u64 = rows.iter().map(|r| r["messages"].as_u64().unwrap()).sum();
    assert_eq!(total, sim.truth.messages_by_account[&culprit]);
    let truth = sim.truth.first_malicious.as_ref().unwrap();
    let hour = format!("{}:00:00Z", &truth.time[..13]);
    let marked = rows.iter().find(|r| r["mark"].as_str().unwrap_or("").contains("compromise")).expect("a mark");
    assert_eq!(marked["bucket"], hour.as_str());
    assert!(marked["mark"].as_str().unwrap().contains(&truth.time[11..19]));
    assert!(rows.iter().any(|r| r["mark"].as_str().unwrap_or("").contains("brute force")));
    assert!(rows.iter().any(|r| r["mark"].as_str().unwrap_or("").contains("abnormal volume")));
    // Buckets are contiguous hours.
    let n = rows.len();
    let (a, z) = (rows[0]["bucket"].as_str().unwrap(), rows[n - 1]["bucket"].as_str().unwrap());
    let hours = (chrono::DateTime::parse_from_rfc3339(z).unwrap() - chrono::DateTime::parse_from_rfc3339(a).unwrap())
        .num_hours() as usize;
    assert_eq!(hours + 1, n);

    let ip = truth.ip.clone().unwrap();
    let by_ip = run_json(&sim.args(&["timeline", &ip, "--every", "1d", "--format", "json"]));
    let by_ip = by_ip.as_array().unwrap();
    assert!(by_ip.iter().any(|r| r["accounts"].as_str().unwrap_or("").contains(&culprit)), "{by_ip:?}");
    assert!(by_ip.iter().any(|r| r["mark"].as_str().unwrap_or("").contains("compromise")));

    let uid = run_json(&sim.args(&["timeline", "uid=33", "--every", "6h", "--format", "json"]));
    let uid_total: u64 = uid.as_array().unwrap().iter().map(|r| r["messages"].as_u64().unwrap()).sum();
    assert_eq!(uid_total, sim.truth.messages_by_uid[&33]);
}

/// A SASL username full of terminal escapes and bidi overrides is found and
/// quoted, but never reaches the terminal raw; Markdown and emitted scripts
/// are escaped too.
#[test]
fn hostile_account_names_are_neutralised() {
    let user = "mallory\u{1b}[2J\u{202e}@example.com";
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    std::fs::write(&log, incident_log(user)).unwrap();
    let input = strings(&["--tz", "UTC", "--quiet", "--exact", log.to_str().unwrap()]);
    let with = |cmd: &[&str]| {
        let mut a = strings(cmd);
        a.extend(input.iter().cloned());
        a
    };
    let v = run_json(&with(&["suspects", "--format", "json"]));
    let first = &v["suspects"][0];
    assert_eq!(first["suspect"], user, "{v:#}");
    assert_eq!(first["compromised_at"], "2026-11-22T10:00:01Z");
    assert_eq!(first["login"]["ip"], "5.137.20.156");
    assert_eq!(first["brute_force"]["naming_account"], 12);
    assert_eq!(first["after"]["still_queued"], 120);
    // (CSV is for machines: it keeps the name as logged, like JSON.)
    for cmd in [&["suspects"][..], &["suspects", "--format", "markdown"], &["timeline", user]] {
        let out = run_ok(&with(cmd));
        assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}'), "{cmd:?}: {out}");
        assert!(out.contains(if cmd[0] == "timeline" { "compromise" } else { "mallory" }), "{cmd:?}: {out}");
    }
    for what in ["window", "nft", "iptables", "postfix-access", "queue-ids"] {
        let out = run_ok(&with(&["suspects", "--emit", what]));
        assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}'), "{what}: {out}");
        assert!(out.lines().all(|l| !l.trim().is_empty() || what == "nft"), "{what}");
    }
    let blocks = run_ok(&with(&["suspects", "--emit", "iptables"]));
    assert!(blocks.contains("-s 14.179.119.0/24 ") && blocks.contains("-s 5.137.20.0/24 "), "{blocks}");
    // The owner's own address and the other account's are never blocked.
    assert!(!blocks.contains("84.129."), "{blocks}");
}

#[test]
fn bad_options_are_usage_errors() {
    let sim = Sim::new("quiet", 4, "rfc3339");
    for bad in [
        &["suspects", "--ratio", "0"][..],
        &["suspects", "--horizon", "5y"],
        &["suspects", "--lookback", "soon"],
        &["timeline", "bob@example.org", "--every", "0h"],
        &["suspects", "--emit", "delete-everything"],
        &["timeline", "uid=www-data"],
    ] {
        let out = run(&sim.args(bad));
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // Nothing to emit is not an error.
    assert_eq!(run_ok(&sim.args(&["suspects", "--emit", "queue-ids"])), "");
    // An unknown target is an empty timeline.
    assert_eq!(run_ok(&sim.args(&["timeline", "nobody@example.org", "--format", "csv"])).trim(), "");
}

/// Odd input never makes `suspects` or `timeline` panic: empty, an empty
/// SASL username, an escape as the username, the largest uid, IPv6.
#[test]
fn odd_input_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let odd = "Nov 20 10:00:00 mx1 postfix/smtpd[1]: ABC: client=x[1.2.3.4], sasl_method=LOGIN, sasl_username=\n\
               Nov 20 10:00:00 mx1 postfix/smtpd[1]: warning: x[::1]: SASL LOGIN authentication failed: \
               authentication failure, sasl_username=\u{1b}\n\
               Nov 20 10:00:01 mx1 postfix/pickup[2]: DEF: uid=4294967295 from=<a>\n";
    for (name, text) in [("empty.log", ""), ("odd.log", odd)] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let p = path.to_str().unwrap();
        for cmd in [
            &["suspects", "--all"][..],
            &["suspects", "--format", "json", "--threshold", "0"],
            &["suspects", "--emit", "nft", "--threshold", "0"],
            &["suspects", "--emit", "queue-ids", "--threshold", "0"],
            &["timeline", "uid=4294967295"],
            &["timeline", "::1", "--every", "1w"],
            &["timeline", ""],
        ] {
            let mut args = strings(cmd);
            args.extend(strings(&["--quiet", "--exact", "--year", "2026", "--log-tz", "UTC", p]));
            let out = run(&args);
            assert_eq!(out.status.code(), Some(0), "{name} {cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

/// The bundled incident, day by day in New York: days start at local
/// midnight (05:00Z in November), and the account matches whatever case it
/// is typed in, logins and messages as well as failures.
#[test]
fn timeline_days_follow_the_display_zone_and_ignore_case() {
    let logs = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");
    let days = |who: &str| {
        let args: Vec<String> =
            ["timeline", who, logs, "--every", "1d", "--tz", "America/New_York", "--format", "csv", "-q"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        run_ok(&args).lines().map(|l| l.split(',').take(5).collect::<Vec<_>>().join(",")).collect::<Vec<_>>()
    };
    let lower = days("julien.fournier@example.com");
    assert_eq!(
        lower,
        [
            // Recipients by the day of their deliveries: a message of the
            // 21st retried on the 22nd counts there too.
            "bucket,logins,auth_failures,messages,recipients",
            "2026-11-20T05:00:00Z,2,308,2,9",
            "2026-11-21T05:00:00Z,406,563,1432,4724",
            "2026-11-22T05:00:00Z,385,0,1333,4297",
        ]
    );
    assert_eq!(days("JULIEN.Fournier@example.com"), lower);
}

/// Across a DST change (Berlin: +02:00 until 2026-10-25 01:00Z, then
/// +01:00) every day still starts at local midnight. Days after the change
/// used to start an hour late, at the offset of the first line.
#[test]
fn timeline_days_start_at_local_midnight_across_dst() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    let client = |t: &str, qid: &str| {
        format!("{t} mx1 postfix/submission/smtpd[700]: {qid}: client=unknown[198.51.100.7], sasl_method=PLAIN, sasl_username=ann@example.org\n")
    };
    let text = [
        client("2026-10-24T08:00:00Z", "1A2B3C4D5E"),
        client("2026-10-24T22:30:00Z", "2A2B3C4D5E"),
        client("2026-10-25T22:30:00Z", "3A2B3C4D5E"),
        client("2026-10-25T23:30:00Z", "4A2B3C4D5E"),
    ]
    .concat();
    std::fs::write(&log, text).unwrap();
    let args: Vec<String> = [
        "timeline",
        "ann@example.org",
        log.to_str().unwrap(),
        "--exact",
        "--every",
        "1d",
        "--tz",
        "Europe/Berlin",
        "--format",
        "csv",
        "-q",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<String> =
        run_ok(&args).lines().skip(1).map(|l| l.split(',').take(4).collect::<Vec<_>>().join(",")).collect();
    assert_eq!(
        rows,
        [
            // bucket, logins (each client= line: no session seen), failures, messages
            "2026-10-23T22:00:00Z,1,0,1",
            "2026-10-24T22:00:00Z,2,0,2",
            "2026-10-25T23:00:00Z,1,0,1",
        ]
    );
}
