//! `suspects` on the incident shapes that hour-sized buckets could not see,
//! simulated: a log of under an hour with little history, an incident caught
//! minutes in, the password reset and the attacker's failed retries, and
//! the traps (travel, a typo, cron mail) that must stay below the threshold.
//! `benches/suspects_shapes.sh` runs the same checks over twenty seeds of
//! every scenario.

mod suspects_support;

use serde_json::Value;
use suspects_support::*;

/// The culprit is flagged and first, and its compromise is the attacker's
/// first login to the second, at the same file:line.
#[track_caller]
fn check_exact(sim: &Sim, v: &Value) {
    let first = &v["suspects"][0];
    let culprit = sim.truth.compromised_account.clone().expect("a compromised account");
    assert_eq!(first["suspect"], culprit.as_str(), "{v:#}");
    assert_eq!(first["flagged"], true);
    let truth = sim.truth.first_malicious.as_ref().expect("first malicious");
    assert_eq!(first["compromised_at"], truth.time.as_str(), "{first:#}");
    assert_eq!(base_name(first["login"]["file"].as_str().unwrap_or("")), truth.file);
    assert_eq!(first["login"]["line"], truth.line);
}

#[test]
fn a_log_of_under_an_hour_still_gives_the_attackers_login() {
    for (seed, format) in [(1, "rfc3164"), (2, "rfc3339"), (4, "rfc3339")] {
        let sim = Sim::new("short-history", seed, format);
        let v = sim.suspects(&[]);
        check_exact(&sim, &v);
        // header_checks rejects are the account's rejects, not its messages.
        let first = &v["suspects"][0];
        let account = first["suspect"].as_str().unwrap_or("");
        let rejected = sim.truth.rejected_by_cleanup.get(account).copied().unwrap_or(0);
        assert!(rejected > 0, "seed {seed}: the scenario rejects some spam");
        assert_eq!(first["after"]["rejected_by_cleanup"], rejected, "seed {seed}");
    }
}

#[test]
fn an_incident_caught_minutes_in() {
    for (seed, format) in [(1, "rfc3164"), (2, "rfc3339")] {
        let sim = Sim::new("early-caught", seed, format);
        check_exact(&sim, &sim.suspects(&[]));
    }
}

#[test]
fn the_attackers_failed_retries_end_the_abuse_window() {
    let sim = Sim::new("reset-retry", 3, "rfc3164");
    let v = sim.suspects(&[]);
    check_exact(&sim, &v);
    let (ended, truth) = (&v["suspects"][0]["abuse_ended"], sim.truth.abuse_end.as_ref().expect("abuse_end"));
    assert_eq!(ended["time"], truth.time.as_str(), "{ended:#}");
    assert_eq!(base_name(ended["file"].as_str().unwrap_or("")), truth.file);
    assert_eq!(ended["line"], truth.line);
    // The window to review runs to the retries, not only to the last message.
    let window = run_ok(&sim.args(&["suspects", "--emit", "window"]));
    let until = window.lines().find_map(|l| l.split("--until ").nth(1)).expect("--until");
    assert!(until >= truth.time.as_str(), "{window}");
}

#[test]
fn traps_stay_below_the_threshold_and_say_why() {
    let sim = Sim::new("traps", 5, "rfc3164");
    assert!(sim.truth.traps.len() >= 3, "{:?}", sim.truth.traps);
    let v = sim.suspects(&["--all"]);
    let all = v["suspects"].as_array().expect("suspects");
    assert!(all.iter().all(|s| s["flagged"] == false), "{v:#}");
    for trap in &sim.truth.traps {
        let s = all.iter().find(|s| s["suspect"] == trap.as_str()).unwrap_or_else(|| panic!("{trap} under --all"));
        assert!(!s["reasons"].as_array().is_none_or(Vec::is_empty), "{trap}: {s:#}");
    }
}
