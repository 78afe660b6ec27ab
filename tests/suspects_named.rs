//! `postsleuth suspects --suspect NAME` with a name the input does not hold:
//! it said "No account or uid reaches the threshold" above a table whose
//! first row was far above it, and `--emit` told the user to "name one with
//! --suspect" when they had.

use std::process::Command;

const FIXTURE: &str = "tests/fixtures/top_small.log";

fn suspects(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .arg("suspects")
        .args(args)
        .args(["--tz", "UTC", "--exact", FIXTURE])
        .output()
        .expect("run postsleuth");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).expect("utf-8"), String::from_utf8(out.stderr).expect("utf-8"))
}

#[test]
fn an_unknown_name_is_reported_as_such() {
    let (out, err) = suspects(&["--suspect", "nobody@example.com"]);
    assert!(err.contains("--suspect \"nobody@example.com\": no successful login or message"), "{err}");
    assert!(out.contains("No account or uid named with --suspect logged in or sent mail"), "{out}");
    assert!(!out.contains("reaches the threshold"), "{out}");

    let (out, err) = suspects(&["--suspect", "nobody@example.com", "--emit", "nft"]);
    assert_eq!(out, "");
    assert!(err.contains("nobody@example.com"), "{err}");
    assert!(!err.contains("name one with --suspect"), "{err}");

    // A known name is shown, and not reported as unknown.
    let (out, err) = suspects(&["--suspect", "alice@example.com"]);
    assert!(out.contains("alice@example.com"), "{out}");
    assert!(!err.contains("no successful login"), "{err}");
}
