//! One definition and one name per figure (issue 17, item 7): what a new
//! user tripped over on `sample-logs/`, each pinned by a test.

use serde_json::Value;
use std::process::{Command, Output};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");

fn postsleuth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_postsleuth")).args(args).output().expect("run postsleuth")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(args: &[&str]) -> Value {
    let o = postsleuth(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// A log file of `lines` in a fresh directory.
fn log(lines: &[&str]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mail.log");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let p = p.to_str().unwrap().to_string();
    (dir, p)
}

/// `check`'s "postfix warnings" are the warnings that are no event of their
/// own: SASL failures are auth attempts, warnings naming a client are client
/// events. The label is the one the corpora's check.sh reads (it was
/// renamed "other postfix warnings" for a while, and check.sh lost it).
#[test]
fn check_names_the_warnings_it_counts() {
    let (_dir, p) = log(&[
        "2026-11-21T10:00:00+00:00 mx1 postfix/smtpd[100]: warning: unknown[192.0.2.50]: SASL LOGIN authentication failed: authentication failure",
        "2026-11-21T10:00:01+00:00 mx1 postfix/smtpd[100]: warning: database /etc/postfix/virtual.db is older than source file /etc/postfix/virtual",
        // A warning naming a client is a client event, no "other" warning.
        "2026-11-21T10:00:02+00:00 mx1 postfix/smtpd[100]: warning: hostname x.example does not resolve to address 192.0.2.51",
    ]);
    let rows = json(&["check", "--format", "json", "-q", &p]);
    let get = |what: &str| rows.as_array().unwrap().iter().find(|r| r["what"] == what).map(|r| r["value"].clone());
    assert_eq!(get("other postfix warnings"), None, "one name, the one scripts read");
    assert_eq!(get("postfix warnings"), Some(1.into()));
    assert_eq!(get("auth attempts"), Some(1.into()), "the SASL failure is an auth attempt");
    assert_eq!(get("client events"), Some(1.into()));
}

#[test]
fn one_file_is_one_file() {
    let (_dir, p) = log(&["2026-11-21T10:00:00+00:00 mx1 postfix/pickup[1]: 0A1B2C3D4E: uid=33 from=<www-data>"]);
    let o = postsleuth(&["--exact", "-q", "--tz", "UTC", &p]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("\n1 file, 1 lines"), "{out}");
    let o = postsleuth(&["-q", "--tz", "UTC", SAMPLE]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("\n3 files, "));
}

/// A bad IP is a usage error naming it, not a blank row.
#[test]
fn geo_lookup_refuses_what_is_not_an_ip() {
    let o = postsleuth(&["geo", "lookup", "192.0.2.1", "not-an-ip"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).contains("\"not-an-ip\": not an IP address"), "{}", stderr(&o));
    let ok = json(&["geo", "lookup", "192.0.2.1", "[2001:db8::1]", "--format", "json"]);
    assert_eq!(ok.as_array().unwrap().len(), 2);
}

/// Options the simulator refuses are usage errors (exit 2), like clap's.
#[test]
fn simulate_bad_options_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    for args in [["--days", "0"], ["--volume", "0"], ["--hostname", "bad host"]] {
        let o = postsleuth(&[&["simulate", "--out", out][..], &args[..]].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("postsleuth: invalid simulation options: "), "{}", stderr(&o));
    }
}

/// `--year 9999` let a log's lines run into the year 10000, which JSON
/// wrote as `"+10000-…"`: the accepted range ends at 9000.
#[test]
fn year_is_bounded() {
    let (_dir, p) = log(&[
        "Dec 31 23:59:00 mx1 postfix/pickup[1]: 0A1B2C3D4E: uid=33 from=<www-data>",
        "Jan  1 00:01:00 mx1 postfix/pickup[1]: 1A1B2C3D4E: uid=33 from=<www-data>",
    ]);
    let o = postsleuth(&["--year", "9999", "--log-tz", "UTC", "--format", "json", "-q", &p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("9999 is not in 1970..=9000"), "{}", stderr(&o));
    let v = json(&["--year", "9000", "--log-tz", "UTC", "--format", "json", "-q", &p]);
    assert_eq!(v["first"], "9000-12-31T23:59:00Z");
    assert_eq!(v["last"], "9001-01-01T00:01:00Z");
}

/// trace: one object, as its help says; a message one of whose four
/// recipients bounced is not "bounced".
#[test]
fn trace_says_what_became_of_the_recipients() {
    let o = postsleuth(&["trace", "EC321F74B8", "--tz", "UTC", "-q", SAMPLE]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("message EC321F74B8 on mx1: 1 of 4 recipients bounced, 3 sent\n"), "{text}");
    assert!(!text.contains(": bounced\n"), "{text}");
    let v = json(&["trace", "EC321F74B8", "--format", "json", "-q", SAMPLE]);
    assert_eq!(v["query"], "EC321F74B8");
    let m = v["flows"][0]["messages"].as_array().unwrap().iter().find(|m| m["queue_id"] == "EC321F74B8").unwrap();
    assert_eq!(m["recipients"], serde_json::json!({"total": 4, "sent": 3, "deferred": 0, "bounced": 1}));
}

#[test]
fn trace_without_a_match_exits_1() {
    let o = postsleuth(&["trace", "NOSUCHID", "-q", SAMPLE]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "postsleuth: no message matches \"NOSUCHID\"\n");
}

/// CSV rows of `top ARGS` on the sample, as header → value maps.
fn top_csv(args: &[&str]) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut all = vec!["top", "--format", "csv", "--tz", "UTC", "-q"];
    all.extend_from_slice(args);
    all.push(SAMPLE);
    let o = postsleuth(&all);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(str::to_string).collect();
    lines.map(|l| header.iter().cloned().zip(l.split(',').map(str::to_string)).collect()).collect()
}

fn n(row: &std::collections::BTreeMap<String, String>, k: &str) -> u64 {
    row.get(k).unwrap_or_else(|| panic!("no {k} in {row:?}")).parse().unwrap()
}

/// `recipients` is (message, recipient) pairs wherever it appears,
/// `distinct_recipients` distinct addresses: the totals said "recipients"
/// for distinct delivered addresses (9015), `top --by account` for pairs
/// (julien: 8995), `--by recipient-domain` for distinct addresses again.
#[test]
fn recipients_are_pairs_and_distinct_recipients_addresses() {
    let julien = &top_csv(&["--by", "account", "-n", "1"])[0];
    assert_eq!((n(julien, "recipients"), n(julien, "distinct_recipients")), (8995, 8251));
    let gmail =
        top_csv(&["--by", "recipient-domain", "-n", "3"]).into_iter().find(|r| r["recipient_domain"] == "gmail.com");
    let gmail = gmail.unwrap();
    assert!(n(&gmail, "recipients") > n(&gmail, "distinct_recipients"), "{gmail:?}");
    let v = json(&["--format", "json", "-q", SAMPLE]);
    assert!(v["totals"].get("recipients").is_none(), "the totals have no pair count under the pairs' name");
    let distinct = v["totals"]["distinct_recipients"].as_u64().unwrap();
    assert!(distinct > 9015, "every final address, the bounced ones too: {distinct}");
}

/// A window cuts deliveries by their own time in the rankings as in the
/// totals: julien's deferred and bounced within the hour were 45 and 36
/// against totals of 40 and 35 (his messages' later retries counted).
#[test]
fn rankings_count_the_deliveries_in_the_window() {
    let w = ["--since", "2026-11-21T12:00:00Z", "--until", "2026-11-21T13:00:00Z"];
    let mut args = vec!["--format", "json", "-q"];
    args.extend(w);
    args.push(SAMPLE);
    let totals = json(&args)["totals"].clone();
    let (deferred, bounced) = (totals["deferred"].as_u64().unwrap(), totals["bounced"].as_u64().unwrap());
    assert_eq!((deferred, bounced), (40, 35));
    let rows = top_csv(&[&["--by", "account", "-n", "1000"][..], &w[..]].concat());
    assert_eq!(rows[0]["account"], "julien.fournier@example.com");
    assert_eq!((n(&rows[0], "deferred"), n(&rows[0], "bounced")), (39, 35));
    let sum = |k: &str| rows.iter().map(|r| n(r, k)).sum::<u64>();
    assert!(sum("deferred") <= deferred && sum("bounced") <= bounced);
    // Per bucket too: the hour's bucket holds the hour's deliveries.
    let hourly = top_csv(&[&["--by", "account", "--every", "1h", "-n", "1"][..], &w[..]].concat());
    assert_eq!((n(&hourly[0], "deferred"), n(&hourly[0], "bounced")), (39, 35));
}

/// Every key a message is ranked by counts the window's deliveries: by
/// network, sender, sender domain, country and AS the sums were 45 deferred
/// and 36 bounced against the window's totals of 40 and 35, in `top` and in
/// the summary's rankings alike. By sender every delivery has its key: the
/// sums are the totals; by client IP one pickup message's is left out.
#[test]
fn every_message_key_counts_the_deliveries_in_the_window() {
    let w = ["--since", "2026-11-21T12:00:00Z", "--until", "2026-11-21T13:00:00Z"];
    let sums = |rows: &Value| {
        let sum = |f: &str| rows.as_array().unwrap().iter().map(|r| r[f].as_u64().unwrap()).sum::<u64>();
        (sum("deferred"), sum("bounced"))
    };
    for (key, want) in [
        ("sender", (40, 35)),
        ("sender-domain", (40, 35)),
        ("net", (39, 35)),
        ("country", (39, 35)),
        ("asn", (39, 35)),
        ("ip", (39, 35)),
        ("account", (39, 35)),
    ] {
        let rows = json(
            &[&["top", "--by", key, "-n", "100000", "--format", "json", "-q", "--tz", "UTC"][..], &w, &[SAMPLE]]
                .concat(),
        );
        assert_eq!(sums(&rows), want, "top --by {key}");
    }
    let mut args = vec!["--format", "json", "-q", "--tz", "UTC"];
    args.extend(w);
    args.push(SAMPLE);
    let v = json(&args);
    let section = |k: &str| sums(&v[k]);
    // The top 10 of each: within the totals, the sender domains all of them.
    assert_eq!(section("top_sender_domains"), (40, 35));
    for k in ["top_sasl_accounts", "top_client_ips", "top_client_countries"] {
        let (d, b) = section(k);
        assert!(d <= 40 && b <= 35, "{k}: {d} {b}");
    }
    // The same columns with and without a window.
    let open = json(&["--format", "json", "-q", SAMPLE]);
    let keys = |v: &Value| v["top_sasl_accounts"][0].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&v), keys(&open));
}

/// `distinct_countries` counts countries, as `suspects` does: an address
/// class (private, documentation…) is none. julien's 15 counted the
/// documentation range; an account seen only from a private address had 1.
#[test]
fn distinct_countries_are_countries() {
    let rows = json(&[
        "top",
        "--by",
        "account",
        "--metric",
        "distinct-countries",
        "-n",
        "1",
        "--format",
        "json",
        "-q",
        SAMPLE,
    ]);
    assert_eq!(
        (rows[0]["account"].as_str(), rows[0]["distinct_countries"].as_u64()),
        (Some("julien.fournier@example.com"), Some(14))
    );
    let (_dir, p) = log(&[
        "2026-11-21T10:00:00+00:00 mx1 postfix/smtpd[100]: connect from lan[10.1.2.3]",
        "2026-11-21T10:00:01+00:00 mx1 postfix/smtpd[100]: 0A1B2C3D4E: client=lan[10.1.2.3], sasl_method=PLAIN, sasl_username=office@example.org",
        "2026-11-21T10:00:01+00:00 mx1 postfix/qmgr[101]: 0A1B2C3D4E: from=<office@example.org>, size=500, nrcpt=1 (queue active)",
        "2026-11-21T10:00:02+00:00 mx1 postfix/smtp[102]: 0A1B2C3D4E: to=<x@example.net>, relay=mx.example.net[198.51.100.7]:25, delay=1, delays=0.1/0/0.4/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
        "2026-11-21T10:00:02+00:00 mx1 postfix/qmgr[101]: 0A1B2C3D4E: removed",
    ]);
    let rows = json(&["top", "--by", "account", "--format", "json", "-q", "--tz", "UTC", &p]);
    assert_eq!(rows[0]["distinct_countries"], 0, "{rows}");
}

/// The day report ranked julien at 943 deferred against a day total of 753.
#[test]
fn day_report_rankings_stay_within_the_day() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = postsleuth(&["report", "--since", "2026-11-21", "--out", out, "--tz", "UTC", "-q", SAMPLE]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let path = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path().join("report.json");
    let r: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let total = r["totals"]["deferred"]["value"].as_u64().unwrap();
    let julien = &r["rankings"]["top_accounts"][0];
    assert_eq!(julien["account"], "julien.fournier@example.com");
    let deferred = julien["deferred"].as_u64().unwrap();
    assert!(deferred <= total, "julien {deferred} > day {total}");
    assert_eq!((deferred, total), (736, 753));
}

/// One name for failed SASL logins: `auth_failures`, and for the distinct
/// usernames they named: `usernames_tried`.
#[test]
fn auth_failures_and_usernames_tried_have_one_name() {
    let ips = top_csv(&["--by", "ip", "--metric", "auth-failures", "-n", "1"]);
    assert!(ips[0].contains_key("auth_failures") && ips[0].contains_key("usernames_tried"), "{:?}", ips[0]);
    let o = postsleuth(&["timeline", "julien.fournier@example.com", "--format", "csv", "-q", SAMPLE]);
    let header = String::from_utf8_lossy(&o.stdout).lines().next().unwrap().to_string();
    assert!(header.starts_with("bucket,logins,auth_failures,"), "{header}");
    let o = postsleuth(&["suspects", "--format", "json", "-q", SAMPLE]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!text.contains("\"accounts_named\""), "suspects' brute-force sources say usernames_tried");
}
