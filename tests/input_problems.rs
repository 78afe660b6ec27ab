//! What the run says about its input where the figures are read, not only
//! on stderr: the summary opens with an "input problems" block, `check`
//! lists every file with its counts, and skipped lines make the run partial
//! (exit 3) like a truncated file does.

mod support;

use std::path::{Path, PathBuf};
use support::{path_str, received, run, summary_json, GOOD_RECEIVED};

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// `n` bytes that look like nothing (xorshift, fixed seed): never a
/// syslog line, sometimes NUL bytes, sometimes newlines.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

/// A good log with 1 MB of random bytes in its middle, then a second good
/// log: the text around the junk is all analysed.
fn junk_in_the_middle(dir: &Path) -> PathBuf {
    let mut data = support::good_log().into_bytes();
    data.extend(random_bytes(1 << 20));
    data.push(b'\n');
    data.extend(support::tail_lines("mx2").join("\n").as_bytes());
    data.push(b'\n');
    write(dir, "junk.log", &data)
}

/// 1 MB of random bytes inside a log exited 0, as if complete, while a
/// truncated .gz exited 3; the summary did not say so where its figures are.
#[test]
fn junk_in_the_middle_is_partial_and_said_first() {
    let dir = tempfile::tempdir().unwrap();
    let p = junk_in_the_middle(dir.path());
    let (code, v, err) = summary_json(&[path_str(&p)], None);
    assert_eq!(code, 3, "{err}");
    assert_eq!(received(&v), GOOD_RECEIVED + 1, "the lines after the junk are analysed");
    let skipped = v["files"][0]["skipped"].as_u64().unwrap();
    assert!(skipped > 1000, "{v}");
    let problems = v["input_problems"].as_array().expect("input_problems");
    assert_eq!(problems.len(), 1, "{v}");
    assert_eq!(problems[0]["file"], path_str(&p));
    let problem = problems[0]["problem"].as_str().unwrap();
    assert!(problem.starts_with(&format!("skipped {skipped} of ")), "{problem}");

    // The text summary opens with the same words, before the totals.
    let o = run(&["summary", path_str(&p)], None);
    let text = support::stdout(&o);
    let block = text.find("Input problems:").expect("an input problems block");
    assert!(block < text.find("Grand totals").unwrap(), "{text}");
    assert!(text.contains(&format!("  {}: {problem}\n", path_str(&p))), "{text}");
}

/// A clean input has no block, and an empty list in JSON.
#[test]
fn a_clean_input_has_no_problems_block() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "good.log", support::good_log().as_bytes());
    let (code, v, err) = summary_json(&[path_str(&p)], None);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(v["input_problems"], serde_json::json!([]));
    let text = support::stdout(&run(&["summary", path_str(&p)], None));
    assert!(!text.contains("Input problems"), "{text}");
}

/// Every kind of problem has its line: a missing path, a truncated gzip,
/// padding, a file named twice.
#[cfg(unix)]
#[test]
fn every_problem_is_listed_once() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.log", support::good_log().as_bytes());
    let gz = support::gzip(support::tail_lines("mx3").join("\n").as_bytes());
    let cut = write(dir.path(), "cut.log.gz", &gz[..gz.len() - 12]);
    let mut padded = vec![0u8; 4096];
    padded.extend(support::tail_lines("mx4").join("\n").as_bytes());
    let padded = write(dir.path(), "padded.log", &padded);
    let missing = dir.path().join("missing.log");
    let again = dir.path().join("again.log");
    std::os::unix::fs::symlink(&good, &again).unwrap();
    let (code, v, err) =
        summary_json(&[path_str(&good), path_str(&cut), path_str(&padded), path_str(&missing), path_str(&again)], None);
    assert_eq!(code, 3, "{err}");
    let problems: Vec<(String, String)> = v["input_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["file"].as_str().unwrap().to_string(), p["problem"].as_str().unwrap().to_string()))
        .collect();
    let name = |p: &Path| path_str(p).to_string();
    let files: Vec<&str> = problems.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(files, [name(&missing), name(&cut), name(&padded), name(&again)], "{problems:?}");
    assert_eq!(problems[0].1, "no such file or directory");
    assert!(problems[1].1.starts_with("truncated gzip data (the file ends mid-stream)"), "{problems:?}");
    assert_eq!(problems[2].1, "4096 NUL bytes before the first line skipped (what a copytruncate rotation leaves)");
    assert_eq!(problems[3].1, format!("the same file as {}; read once", name(&good)));
}

/// `check` listed no files: which of them held the skipped lines?
#[test]
fn check_lists_every_file_with_its_counts() {
    let dir = tempfile::tempdir().unwrap();
    let junk = junk_in_the_middle(dir.path());
    let good = write(dir.path(), "good.log", support::good_log().as_bytes());
    let o = run(&["check", "--files", "--format", "json", path_str(&good), path_str(&junk)], None);
    assert_eq!(support::code(&o), 3, "{}", support::stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let good_lines = support::good_log().lines().count() as u64;
    let good_bytes = support::good_log().len() as u64;
    assert_eq!(
        rows[0],
        serde_json::json!({"file": path_str(&good), "compression": "plain", "lines": good_lines,
            "bytes": good_bytes, "skipped": 0, "repaired_utf8": 0, "padding": 0, "problem": null})
    );
    assert_eq!(rows[1]["file"], path_str(&junk));
    assert!(rows[1]["skipped"].as_u64().unwrap() > 1000);

    // Without --files, JSON keeps the counts scripts read; the terminal
    // shows both tables.
    let o = run(&["check", "--format", "json", path_str(&good)], None);
    let counts: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(counts[0], serde_json::json!({"what": "files", "value": 1}));
    let text = support::stdout(&run(&["check", path_str(&good), path_str(&junk)], None));
    assert!(text.contains("skipped lines") && text.contains("compression"), "{text}");
    assert!(text.contains("junk.log"), "{text}");
}

/// A file name that is not UTF-8 gave "nothing to read: no input" without
/// naming it; it is read, and named (its bad byte shown replaced).
#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"mail\xff.log"));
    std::fs::write(&odd, support::good_log()).unwrap();
    let o = std::process::Command::new(support::bin())
        .args(["summary", "--format", "json"])
        .args(support::FIXED)
        .arg(&odd)
        .output()
        .unwrap();
    assert_eq!(support::code(&o), 0, "{}", support::stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(received(&v), GOOD_RECEIVED);
    assert_eq!(v["files"][0]["file"], odd.to_string_lossy().as_ref());
}
