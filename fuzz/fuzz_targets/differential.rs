//! Differential: simulate a log set (scenario, seed, format, queue IDs,
//! volume and days from the input), write it, ingest it, and hold the
//! result to the simulator's truth: every line read and none skipped,
//! every Postfix line recognised, every `to=` line a delivery of the
//! status the truth counts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use postsleuth::simulate::{simulate, Scenario, SimOptions, TimestampFormat};
use std::collections::BTreeMap;

mod common;

const SCENARIOS: [&str; 15] = [
    "sasl-compromise",
    "webapp-script",
    "quiet",
    "early-caught",
    "short-history",
    "slow-brute-force",
    "separate-infra",
    "ipv6-attacker",
    "port-logging",
    "dovecot-failures",
    "reset-retry",
    "trap-travel",
    "trap-typo",
    "trap-cron",
    "traps",
];

fuzz_target!(|data: &[u8]| {
    let Some((head, _)) = data.split_first_chunk::<12>() else { return };
    let seed = u64::from_le_bytes(head[..8].try_into().unwrap_or_default());
    let Ok(scenario) = SCENARIOS[usize::from(head[8]) % SCENARIOS.len()].parse::<Scenario>() else { return };
    let format = if head[9] & 1 == 0 { TimestampFormat::Rfc3164 } else { TimestampFormat::Rfc3339 };
    let dir = common::scratch("differential");
    let opts = SimOptions {
        out: dir.to_path_buf(),
        force: true,
        days: 1 + u32::from(head[11] % 2),
        seed,
        scenario,
        format,
        long_ids: head[9] & 2 != 0,
        // Small: each input simulates and reads a whole set.
        volume: 0.005 + f64::from(head[10]) / 255.0 * 0.03,
        ..Default::default()
    };
    let truth = simulate(&opts).expect("the simulator refused its own options");
    let paths = truth.files.iter().map(|f| dir.join(&f.name)).collect();
    let set = postsleuth::ingest::ingest(&common::options(paths, true)).expect("the simulated set reads");
    let lines: u64 = set.diag.files.iter().map(|f| f.lines).sum();
    assert_eq!(lines, truth.files.iter().map(|f| f.lines).sum::<u64>(), "lines read");
    for f in &set.diag.files {
        assert_eq!((f.skipped_total(), &f.error), (0, &None), "{}", f.name);
    }
    assert!(set.diag.unrecognised.is_empty(), "unrecognised: {:?}", set.diag.unrecognised);
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    for d in &set.records.deliveries {
        *by_status.entry(set.records.strings.get(d.status).to_string()).or_default() += 1;
    }
    let truth: BTreeMap<String, u64> = truth.deliveries.into_iter().filter(|&(_, n)| n > 0).collect();
    assert_eq!(by_status, truth, "deliveries by status");
});
