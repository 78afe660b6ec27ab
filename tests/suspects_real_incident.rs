//! `suspects` on an incident recorded with a real Postfix 3.7 and Dovecot
//! on loopback (`tests/fixtures/real_incident/`, made by
//! `scripts/real-incident/make.sh`): four minutes of log rotated twice, a
//! slow distributed brute force, the attacker's login from an address that
//! never failed, about sixty spam messages from three addresses (one IPv6),
//! two rejected by header_checks, the password reset and the attacker's
//! failed retries, and three traps. Checked against its `truth.json`.

mod common;

use serde_json::Value;
use common::{fixture, path_str, run_ok};

fn truth() -> Value {
    let text = std::fs::read_to_string(fixture("real_incident/truth.json")).expect("truth.json");
    serde_json::from_str(&text).expect("truth.json is JSON")
}

fn suspects() -> Value {
    let dir = path_str(&fixture("real_incident"));
    let year = truth()["year"].to_string();
    let out =
        run_ok(&["suspects", "--all", "--format", "json", "--tz", "UTC", "--log-tz", "UTC", "--year", &year, &dir]);
    serde_json::from_str(&out).expect("suspects --format json")
}

fn base_name(path: &Value) -> &str {
    path.as_str().unwrap_or("").rsplit('/').next().unwrap_or("")
}

#[test]
fn the_cracked_account_and_the_exact_second_of_the_compromise() {
    let (t, v) = (truth(), suspects());
    let first = &v["suspects"][0];
    assert_eq!(first["suspect"], t["compromised_account"], "{v:#}");
    assert_eq!(first["flagged"], true);
    let fm = &t["first_malicious"];
    assert_eq!(first["compromised_at"], fm["time"]);
    assert_eq!(first["basis"], "login");
    assert_eq!(base_name(&first["login"]["file"]), fm["file"].as_str().unwrap_or("?"));
    assert_eq!(first["login"]["line"], fm["line"]);
    assert_eq!(first["login"]["ip"], fm["ip"]);
}

#[test]
fn the_response_is_read_back() {
    let (t, v) = (truth(), suspects());
    let first = &v["suspects"][0];
    // The attacker's failed retries with the old password end the abuse.
    let (ended, reset) = (&first["abuse_ended"], &t["reset"]);
    assert_eq!(ended["time"], reset["time"], "{first:#}");
    assert_eq!(base_name(&ended["file"]), reset["file"].as_str().unwrap_or("?"));
    assert_eq!(ended["line"], reset["line"]);
    // header_checks rejects are rejects, not messages sent.
    let after = &first["after"];
    assert_eq!(after["messages"], t["spam_accepted"], "{after:#}");
    assert_eq!(after["rejected_by_cleanup"], t["spam_rejected_by_cleanup"]);
    assert_eq!(after["held"], t["held"]);
    assert_eq!(after["deleted"], t["deleted"]);
    assert_eq!(after["client_ips"], t["attacker_ips"].as_array().map_or(0, Vec::len));
}

#[test]
fn no_trap_is_flagged_and_each_says_why() {
    let (t, v) = (truth(), suspects());
    let all = v["suspects"].as_array().expect("suspects");
    let flagged: Vec<&Value> = all.iter().filter(|s| s["flagged"] == true).map(|s| &s["suspect"]).collect();
    assert_eq!(flagged, vec![&t["compromised_account"]], "{v:#}");
    for trap in t["traps"].as_array().expect("traps") {
        let s = all.iter().find(|s| &s["suspect"] == trap).unwrap_or_else(|| panic!("{trap} under --all"));
        let reasons = s["reasons"].as_array().expect("reasons");
        assert!(!reasons.is_empty(), "{trap}: a reason under --all");
        assert!(s["score"].as_u64().unwrap_or(99) < 5, "{trap}: {s:#}");
    }
}
