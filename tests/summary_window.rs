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

/// A delivery inside the window counts its message's bytes, even when the
/// message came in before the window began (its bytes went out in the
/// window; they counted as zero before).
#[test]
fn bytes_delivered_in_the_window_whenever_received() {
    let json: serde_json::Value = serde_json::from_str(
        &Command::new(env!("CARGO_BIN_EXE_postsleuth"))
            .args(["summary", "--since", "2026-11-23T10:00:00Z", "--format", "json", "--exact", "-q"])
            .arg("tests/fixtures/window_edge.log")
            .output()
            .map(|o| String::from_utf8(o.stdout).expect("utf-8"))
            .expect("run postsleuth"),
    )
    .expect("json");
    let t = &json["totals"];
    assert_eq!((&t["received"], &t["bytes_received"]), (&0.into(), &0.into()), "{t}");
    assert_eq!((&t["delivered"], &t["bytes_delivered"]), (&1.into(), &4321.into()), "{t}");
}
