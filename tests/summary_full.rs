//! `summary --full`: pflogsumm's traffic sections (per day, per hour of the
//! day) as polars queries, on the display zone's wall clock, agreeing with
//! the grand totals.

use serde_json::Value;
use std::process::Command;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");

fn json(args: &[&str]) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_postsleuth")).args(args).output().expect("run postsleuth");
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

const FIGURES: [&str; 5] = ["received", "delivered", "deferred", "bounced", "rejected"];

/// The days add up to the totals; in New York the same input spans four
/// local dates; the hours of a three-day input are daily averages.
#[test]
fn traffic_per_day_and_hour() {
    let s = json(&["summary", "--full", "--format", "json", "--tz", "UTC", "-q", SAMPLE]);
    let days = s["traffic_per_day"].as_array().expect("days");
    let got: Vec<(String, u64)> =
        days.iter().map(|d| (d["day"].as_str().unwrap().to_string(), d["received"].as_u64().unwrap())).collect();
    let want = [("2026-11-20", 1342), ("2026-11-21", 2299), ("2026-11-22", 3072)];
    assert_eq!(got, want.map(|(d, n)| (d.to_string(), n)));
    for f in FIGURES {
        let sum: u64 = days.iter().map(|d| d[f].as_u64().unwrap()).sum();
        assert_eq!(sum, s["totals"][f].as_u64().unwrap(), "{f}");
        let hours = s["traffic_per_hour"].as_array().expect("hours");
        assert_eq!(hours.len(), 24);
        let avg: f64 = hours.iter().map(|h| h[f].as_f64().unwrap()).sum();
        assert!((avg * 3.0 - sum as f64).abs() <= 24.0 * 0.05 * 3.0 + 1e-6, "{f}: {avg} × 3 days vs {sum}");
    }
    let ny = json(&["summary", "--full", "--format", "json", "--tz", "America/New_York", "-q", SAMPLE]);
    let days: Vec<&str> =
        ny["traffic_per_day"].as_array().unwrap().iter().map(|d| d["day"].as_str().unwrap()).collect();
    assert_eq!(days, ["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]);
}

/// Across a DST change each line goes to its own local hour: 00:30Z is
/// 02:30 in Berlin before the change (+02:00), 01:30Z is 02:30 after it.
#[test]
fn hours_follow_the_zone_across_dst() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    let client = |t: &str, qid: &str| {
        format!("{t} mx1 postfix/submission/smtpd[700]: {qid}: client=unknown[192.0.2.7], sasl_method=PLAIN, sasl_username=ann@example.org\n")
    };
    let text = [client("2026-10-25T00:30:00Z", "1A2B3C4D5E"), client("2026-10-25T01:30:00Z", "2A2B3C4D5E")].concat();
    std::fs::write(&log, text).unwrap();
    let s = json(&["summary", "--full", "--format", "json", "--tz", "Europe/Berlin", "-q", log.to_str().unwrap()]);
    let hours: Vec<(u64, u64)> = s["traffic_per_hour"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["hour"].as_u64().unwrap(), h["received"].as_u64().unwrap()))
        .collect();
    assert_eq!(hours, [(2, 2)]);
}
