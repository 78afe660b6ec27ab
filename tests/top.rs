//! `postsleuth top`: every key and metric on a fixture small enough to count
//! by hand (tests/fixtures/top_small.log):
//!
//! - alice@example.com: 2 messages from 198.51.100.10 and .11, 3 recipients
//!   (gmail sent, yahoo deferred; gmail bounced), 1000 + 2000 bytes;
//! - bob@example.org: 1 message from 203.0.113.5, 1 recipient, 5000 bytes;
//! - uid 33 (pickup, no IP): 1 message, 3 recipients (2 hotmail, 1 gmail);
//! - rejects: 192.0.2.7 and .8 with HELO evil.example, 203.0.113.99 with
//!   other.example, all to example.com;
//! - failed logins: 192.0.2.50 ×3 (one naming alice), 192.0.2.51 ×1.

use std::process::Command;

const FIXTURE: &str = "tests/fixtures/top_small.log";

/// Runs `top ARGS` as CSV and returns the rows (header first) cut to the
/// first `cols` columns.
fn top(args: &[&str], cols: usize) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .arg("top")
        .args(args)
        .args(["--format", "csv", "--tz", "UTC", "--exact", "-q", FIXTURE])
        .output()
        .expect("run postsleuth");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| l.split(',').take(cols).collect::<Vec<_>>().join(","))
        .collect()
}

fn check(args: &[&str], expected: &[&str]) {
    let cols = expected[0].split(',').count();
    assert_eq!(top(args, cols), expected, "top {}", args.join(" "));
}

#[test]
fn accounts_by_every_volume_metric() {
    check(&["--by", "account"], &["account,messages", "alice@example.com,2", "bob@example.org,1"]);
    check(
        &["--by", "account", "--metric", "recipients"],
        &["account,recipients", "alice@example.com,3", "bob@example.org,1"],
    );
    check(
        &["--by", "account", "--metric", "bytes"],
        &["account,bytes", "bob@example.org,5000", "alice@example.com,3000"],
    );
    check(
        &["--by", "account", "--metric", "deferred"],
        &["account,deferred", "alice@example.com,1", "bob@example.org,0"],
    );
    check(
        &["--by", "account", "--metric", "bounced"],
        &["account,bounced", "alice@example.com,1", "bob@example.org,0"],
    );
    // Documentation addresses are in no country (they counted as one).
    check(
        &["--by", "account", "--metric", "distinct-countries"],
        &["account,distinct_countries", "alice@example.com,0", "bob@example.org,0"],
    );
    check(
        &["--by", "account", "--metric", "distinct-ips"],
        &["account,distinct_ips", "alice@example.com,2", "bob@example.org,1"],
    );
}

#[test]
fn full_row_for_an_account() {
    check(
        &["--by", "account"],
        &[
            "account,messages,recipients,distinct_recipients,bytes,deferred,bounced,distinct_ips,distinct_countries,first,last",
            "alice@example.com,2,3,3,3000,1,1,2,0,2026-11-23T10:00:01Z,2026-11-23T10:30:01Z",
            "bob@example.org,1,1,1,5000,0,0,1,0,2026-11-23T11:10:01Z,2026-11-23T11:10:01Z",
        ],
    );
}

#[test]
fn uids_ips_networks_senders() {
    check(&["--by", "uid", "--metric", "recipients"], &["uid,recipients", "33,3"]);
    // Ties are broken by the key, so the order is stable.
    check(&["--by", "ip"], &["ip,messages", "198.51.100.10,1", "198.51.100.11,1", "203.0.113.5,1"]);
    check(&["--by", "net"], &["net,messages", "198.51.100.0/24,2", "203.0.113.0/24,1"]);
    check(
        &["--by", "sender"],
        &["sender,messages", "alice@example.com,2", "bob@example.org,1", "www-data@mx1.example.com,1"],
    );
    check(
        &["--by", "sender-domain"],
        &["sender_domain,messages", "example.com,2", "example.org,1", "mx1.example.com,1"],
    );
}

#[test]
fn recipient_domains() {
    check(
        &["--by", "recipient-domain"],
        &["recipient_domain,messages,recipients", "gmail.com,4,4", "hotmail.com,1,2", "yahoo.com,1,1"],
    );
    check(&["--by", "recipient-domain", "--metric", "rejected"], &["recipient_domain,rejected", "example.com,3"]);
}

#[test]
fn rejects_and_helo() {
    check(&["--by", "helo", "--metric", "rejected"], &["helo,rejected", "evil.example,2", "other.example,1"]);
    check(&["--by", "ip", "--metric", "rejected", "--limit", "2"], &["ip,rejected", "192.0.2.7,1", "192.0.2.8,1"]);
}

#[test]
fn failed_logins() {
    check(
        &["--by", "ip", "--metric", "auth-failures"],
        &["ip,auth_failures,usernames_tried", "192.0.2.50,3,1", "192.0.2.51,1,0"],
    );
    check(&["--by", "net", "--metric", "auth-failures"], &["net,auth_failures", "192.0.2.0/24,4"]);
    check(&["--by", "account", "--metric", "auth-failures"], &["account,auth_failures", "alice@example.com,1"]);
}

#[test]
fn countries_and_asns_of_documentation_addresses() {
    // RFC 5737 addresses are no country: they show as what they are.
    check(&["--by", "country"], &["country,messages", "documentation,3"]);
    check(&["--by", "country", "--metric", "auth-failures"], &["country,auth_failures", "documentation,4"]);
    check(&["--by", "asn"], &["asn,messages"]);
}

#[test]
fn ranking_per_hour() {
    check(
        &["--by", "account", "--every", "1h"],
        &[
            "bucket,rank,account,messages",
            "2026-11-23T10:00:00Z,1,alice@example.com,2",
            "2026-11-23T11:00:00Z,1,bob@example.org,1",
        ],
    );
    check(
        &["--by", "ip", "--every", "30m", "--limit", "1"],
        &[
            "bucket,rank,ip,messages",
            "2026-11-23T10:00:00Z,1,198.51.100.10,1",
            "2026-11-23T10:30:00Z,1,198.51.100.11,1",
            "2026-11-23T11:00:00Z,1,203.0.113.5,1",
        ],
    );
}

#[test]
fn time_window_cuts_messages() {
    check(
        &["--by", "account", "--since", "2026-11-23T10:15:00Z"],
        &["account,messages", "alice@example.com,1", "bob@example.org,1"],
    );
    check(&["--by", "account", "--until", "2026-11-23 10:15"], &["account,messages", "alice@example.com,1"]);
}

#[test]
fn impossible_pairs_are_usage_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["top", "--by", "helo", "--exact", FIXTURE])
        .output()
        .expect("run postsleuth");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use --metric rejected"));
}

#[test]
fn sub_second_and_row_count_buckets_are_usage_errors() {
    // `1ns` panicked in polars (a bucket of 0 µs), `1us` aborted asking for
    // terabytes, `1i` (rows, not time) failed with exit code 1.
    for every in ["1ns", "999ns", "1us", "1ms", "1i", "0s"] {
        let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
            .args(["top", "--every", every, "--format", "csv", "--exact", "-q", FIXTURE])
            .output()
            .expect("run postsleuth");
        assert_eq!(out.status.code(), Some(2), "--every {every}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("use a duration like"), "--every {every}");
    }
    check(
        &["--by", "account", "--every", "1d"],
        &[
            "bucket,rank,account,messages",
            "2026-11-23T00:00:00Z,1,alice@example.com,2",
            "2026-11-23T00:00:00Z,2,bob@example.org,1",
        ],
    );
}

/// Days and hours start on the display zone's midnights and hours, not
/// UTC's (a New York day starts at 05:00Z in November; a Kolkata hour at
/// :30Z). Times in CSV stay UTC.
#[test]
fn buckets_follow_the_display_zone() {
    let run = |tz: &str, every: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
            .args(["top", "--by", "account", "--every", every, "--format", "csv", "--tz", tz, "--exact", "-q"])
            .arg(FIXTURE)
            .output()
            .expect("run postsleuth");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines().skip(1).map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",")).collect::<Vec<_>>()
    };
    assert_eq!(
        run("America/New_York", "1d"),
        ["2026-11-23T05:00:00Z,1,alice@example.com", "2026-11-23T05:00:00Z,2,bob@example.org"]
    );
    assert_eq!(
        run("Asia/Kolkata", "1h"),
        [
            "2026-11-23T09:30:00Z,1,alice@example.com",
            "2026-11-23T10:30:00Z,1,alice@example.com",
            "2026-11-23T10:30:00Z,2,bob@example.org"
        ]
    );
}
