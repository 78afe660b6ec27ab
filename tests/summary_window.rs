//! `postsleuth summary --since/--until`: the header says which window the
//! figures are for (the logs' span alone read as if the window had been
//! ignored: `--since` after the last line showed the full span over zeros).

use std::process::Command;

const FIXTURE: &str = "tests/fixtures/top_small.log";

fn summary(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .arg("summary")
        .args(args)
        .args(["--tz", "UTC", "--exact", "-q", FIXTURE])
        .output()
        .expect("run postsleuth");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn header_names_the_window() {
    let text = summary(&["--since", "2026-11-23T10:15:00Z"]);
    let head: Vec<&str> = text.lines().take(4).collect();
    assert_eq!(head[2], "figures for 2026-11-23 10:15:00Z .. … (--since/--until)", "{text}");

    let text = summary(&[]);
    assert!(!text.contains("figures for"), "{text}");

    let json: serde_json::Value =
        serde_json::from_str(&summary(&["--until", "2026-11-24", "--format", "json"])).expect("json");
    assert_eq!(json["since"], serde_json::Value::Null);
    assert_eq!(json["until"], "2026-11-24T00:00:00Z");
}
