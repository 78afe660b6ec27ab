//! Bad input, end to end through the binary: each problem gets one clear
//! message on stderr naming the file (and `file:line` for a line), the rest
//! of the input is still analysed (checked with a figure from `summary
//! --format json`), skipped lines are counted, and the exit code says
//! whether the results are complete (0), partial (3) or empty (1).

mod support;

use std::path::{Path, PathBuf};
use support::{gzip, path_str, received, run, summary_json, GOOD_RECEIVED};

/// A temp dir holding `good.log` (the full good log).
fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.log");
    std::fs::write(&good, support::good_log()).unwrap();
    (dir, good)
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// The lines of stderr that start with `postsleuth: {prefix}`.
fn lines_about<'a>(stderr: &'a str, prefix: &str) -> Vec<&'a str> {
    let want = format!("postsleuth: {prefix}");
    stderr.lines().filter(|l| l.starts_with(&want)).collect()
}

/// The entry for `name` in the summary's `files` list.
fn file_entry<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["files"].as_array().unwrap().iter().find(|f| f["file"] == name).unwrap_or_else(|| panic!("{name} not in {v}"))
}

/// Export `table` as JSON → rows.
fn export_rows(table: &str, paths: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["export", "--table", table, "--format", "json"];
    args.extend_from_slice(paths);
    let o = run(&args, None);
    support::assert_no_panic(&o);
    serde_json::from_slice::<Vec<serde_json::Value>>(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", support::stdout(&o), support::stderr(&o)))
}

#[test]
fn good_log_alone_is_complete() {
    let (_d, good) = setup();
    let (code, v, err) = summary_json(&[path_str(&good)], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(received(&v), GOOD_RECEIVED);
    assert_eq!(err, "", "a clean log leaves stderr empty");
}

/// A gzip file cut short: the lines before the cut count, the file is named
/// with how much was read, and the run is partial.
#[test]
fn truncated_gzip() {
    let (dir, good) = setup();
    let mut text = support::tail_lines("mx2").join("\n");
    text.push('\n');
    for i in 0..3000 {
        text.push_str(&format!(
            "Nov 23 05:{:02}:{:02} mx2 postfix/smtpd[{}]: connect from unknown[198.51.100.{}]\n",
            (i / 60) % 60,
            i % 60,
            5000 + i,
            i % 250
        ));
    }
    let gz = gzip(text.as_bytes());
    let cut = write(dir.path(), "cut.gz", &gz[..gz.len() / 2]);
    let (code, v, err) = summary_json(&[path_str(&cut), path_str(&good)], None);
    assert_eq!(code, 3, "{err}");
    let about = lines_about(&err, &format!("{}: ", cut.display()));
    assert_eq!(about.len(), 1, "one message about the cut file:\n{err}");
    let msg = about[0];
    let rest = msg
        .strip_prefix(&format!("postsleuth: {}: truncated gzip data (the file ends mid-stream) after ", cut.display()));
    let rest = rest.unwrap_or_else(|| panic!("message shape: {msg}"));
    let (bytes, tail) = rest.split_once(' ').unwrap();
    let bytes: u64 = bytes.parse().unwrap_or_else(|_| panic!("byte count in {msg}"));
    assert!(bytes > 0 && bytes < text.len() as u64, "{msg}");
    assert_eq!(tail, "bytes of text; the rest of this file was skipped");
    // The good file is read in full, and so is the message before the cut.
    assert_eq!(received(&v), GOOD_RECEIVED + 1);
    let f = file_entry(&v, path_str(&cut));
    assert!(f["error"].as_str().unwrap().contains("truncated gzip"), "{f}");
    assert!(f["lines"].as_u64().unwrap() > 6, "{f}");
    // The cut falls inside a line: that partial line is dropped, not
    // analysed as if it were whole (it would be an unrecognised smtpd line).
    assert_eq!(v["unrecognised"], serde_json::json!({}), "{v}");
    assert_eq!(file_entry(&v, path_str(&good))["error"], serde_json::Value::Null);
}

/// A binary file among the logs (random bytes with NULs): skipped whole,
/// named, partial.
#[test]
fn binary_file() {
    let (dir, good) = setup();
    let mut rng = support::Rng::new(7);
    let mut data = rng.bytes(20_000);
    data[10] = 0;
    let bin = write(dir.path(), "queue.db", &data);
    let (code, v, err) = summary_json(&[path_str(&bin), path_str(&good)], None);
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        lines_about(&err, &format!("{}", bin.display())),
        [format!("postsleuth: {}: binary data, not a text log (control bytes at the start); skipped", bin.display())]
    );
    assert_eq!(received(&v), GOOD_RECEIVED);
    assert_eq!(file_entry(&v, path_str(&bin))["lines"], 0);
}

/// Files that are only the first bytes of a zstd, xz or bzip2 file: read as
/// that format (by content), so named as cut short, and partial.
#[test]
fn compressed_headers_alone() {
    let (dir, good) = setup();
    for (name, magic, kind) in [
        ("a.xz", &b"\xfd7zXZ\x00\x00\x04"[..], "xz"),
        ("a.bz2", &b"BZh91AY&SY"[..], "bzip2"),
        ("a.zst", &b"\x28\xb5\x2f\xfd\x00\x58"[..], "zstd"),
    ] {
        let p = write(dir.path(), name, magic);
        let (code, v, err) = summary_json(&[path_str(&p), path_str(&good)], None);
        assert_eq!(code, 3, "{err}");
        assert_eq!(
            lines_about(&err, path_str(&p)),
            [format!(
                "postsleuth: {}: truncated {kind} data (the file ends mid-stream) after 0 bytes of text; the rest of \
                 this file was skipped",
                p.display()
            )]
        );
        assert_eq!(received(&v), GOOD_RECEIVED);
    }
}

/// A gzip file whose header is corrupt: named, partial.
#[test]
fn corrupt_gzip_header() {
    let (dir, good) = setup();
    let p = write(dir.path(), "bad.gz", b"\x1f\x8bnot really gzip at all");
    let (code, v, err) = summary_json(&[path_str(&p), path_str(&good)], None);
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        lines_about(&err, path_str(&p)),
        [format!(
            "postsleuth: {}: corrupt compressed data (invalid gzip header) after 0 bytes of text; the rest of this \
             file was skipped",
            p.display()
        )]
    );
    assert_eq!(received(&v), GOOD_RECEIVED);
}

/// A relative name is shown as the user typed it (`mail.log`, not
/// `./mail.log`) in messages and evidence, like names with a directory.
#[test]
fn relative_names_are_shown_as_typed() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = support::good_log().into_bytes();
    data.extend(b"junk line\n");
    write(dir.path(), "mail.log", &data);
    let o = support::run_in(Some(dir.path()), &["summary", "--format", "json", "mail.log"], None);
    support::assert_no_panic(&o);
    let err = support::stderr(&o);
    assert_eq!(support::code(&o), 3, "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["files"][0]["file"], "mail.log");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "postsleuth: mail.log:38: not a syslog line: \"junk line\"",
            "postsleuth: mail.log: skipped 1 of 38 lines (1 not a syslog line)"
        ]
    );
}

/// Only unreadable input: nothing was analysed, so exit 1 (as for a missing
/// path), not 3, with the file's own message first.
#[test]
fn nothing_readable_is_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = support::Rng::new(9).bytes(5000);
    data[0] = 0;
    let bin = write(dir.path(), "queue.db", &data);
    let mut cases = vec![(
        vec![path_str(&bin).to_string()],
        format!("{}: binary data, not a text log (control bytes at the start); skipped", bin.display()),
    )];
    if Path::new("/proc/self/mem").exists() {
        let why = "/proc/self/mem: cannot read: Input/output error (os error 5)".to_string();
        cases.push((vec!["--exact".into(), "/proc/self/mem".into()], why));
    }
    for (args, why) in cases {
        let mut a = vec!["summary"];
        a.extend(args.iter().map(String::as_str));
        let o = run(&a, None);
        support::assert_no_panic(&o);
        assert_eq!(support::code(&o), 1, "{args:?}: {}", support::stderr(&o));
        assert!(o.stdout.is_empty());
        assert_eq!(
            support::stderr(&o).lines().collect::<Vec<_>>(),
            // Each problem once, then what follows from it (it was said twice).
            [format!("postsleuth: {why}"), "postsleuth: nothing to read: the input above could not be read".into()]
        );
    }
}

/// NUL bytes and junk inside an otherwise good text file: those lines are
/// skipped with file:line and counted; the rest is analysed; partial (exit
/// 3: a skipped line is input not analysed, like a truncated file's end).
#[test]
fn junk_lines_inside_a_text_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = support::good_log().into_bytes();
    data.extend(b"\0\0\0\0\0\0 crash residue \0\0\n"); // line 38
    data.extend(b"this is not syslog at all\n"); // line 39
    data.extend(support::tail_lines("mx2").join("\n").as_bytes()); // lines 40-45
    let p = write(dir.path(), "mixed.log", &data);
    let (code, v, err) = summary_json(&[path_str(&p)], None);
    assert_eq!(code, 3, "{err}");
    let name = p.display();
    assert_eq!(
        lines_about(&err, &format!("{name}")),
        [
            format!(
                r#"postsleuth: {name}:38: binary junk (NUL bytes): "\x00\x00\x00\x00\x00\x00 crash residue \x00\x00""#
            ),
            format!(r#"postsleuth: {name}:39: not a syslog line: "this is not syslog at all""#),
            format!("postsleuth: {name}: skipped 2 of 45 lines (1 not a syslog line, 1 binary junk (NUL bytes))"),
        ]
    );
    assert_eq!(received(&v), GOOD_RECEIVED + 1);
    assert_eq!(file_entry(&v, path_str(&p))["skipped"], 2);
}

/// Invalid UTF-8 in a line: analysed with U+FFFD for the bad bytes, reported
/// with file:line and counted; nothing is lost, so the run is complete.
#[test]
fn invalid_utf8_line() {
    let (dir, good) = setup();
    let mut data = Vec::new();
    let tail = support::tail_lines("mx2");
    data.extend(tail[0].as_bytes());
    data.push(b'\n');
    // Line 2: the client= line, with a SASL username holding bad bytes.
    data.extend(b"Nov 23 04:00:01 mx2 postfix/smtpd[4000]: ABCDEF0123: client=tail.example[192.0.2.44], sasl_method=PLAIN, sasl_username=b\xffa\xc3d@example.test\n");
    for l in &tail[2..] {
        data.extend(l.as_bytes());
        data.push(b'\n');
    }
    let bad = write(dir.path(), "latin1.log", &data);
    let (code, v, err) = summary_json(&[path_str(&bad), path_str(&good)], None);
    assert_eq!(code, 0, "{err}");
    let name = bad.display();
    assert_eq!(
        lines_about(&err, &format!("{name}")),
        [
            format!("postsleuth: {name}:2: invalid UTF-8, analysed with the bad bytes replaced"),
            format!("postsleuth: {name}: 1 of 6 lines with invalid UTF-8 repaired"),
        ]
    );
    assert_eq!(received(&v), GOOD_RECEIVED + 1);
    assert_eq!(file_entry(&v, path_str(&bad))["repaired_utf8"], 1);
    let rows = export_rows("messages", &[path_str(&bad)]);
    let m = rows.iter().find(|r| r["queue_id"] == "ABCDEF0123").expect("message analysed");
    assert_eq!(m["sasl_username"], "b\u{fffd}a\u{fffd}d@example.test");
}

/// A file with good lines, one `len`-byte line at line 3, then the tail
/// message (its `client=` line is line 4, its delivery line 7).
fn file_with_long_line(dir: &Path, name: &str, len: usize, final_newline: bool) -> PathBuf {
    let tail = support::tail_lines("mx2");
    let mut data = Vec::new();
    for l in ["Nov 23 03:59:00 mx2 postfix/smtpd[3999]: connect from a.example[192.0.2.1]", &tail[0]] {
        data.extend(l.as_bytes());
        data.push(b'\n');
    }
    data.extend(std::iter::repeat_n(b'A', len));
    data.push(b'\n');
    data.extend(tail[1..].join("\n").as_bytes());
    if final_newline {
        data.push(b'\n');
    }
    write(dir, name, &data)
}

/// A 10 MB line: too long to buffer, skipped while reading with file:line;
/// the lines after it keep their true line numbers and are analysed.
#[test]
fn ten_megabyte_line() {
    let (dir, good) = setup();
    for (len, name) in [(10 << 20, "huge.log"), (100_000, "long.log")] {
        let p = file_with_long_line(dir.path(), name, len, true);
        let (code, v, err) = summary_json(&[path_str(&p), path_str(&good)], None);
        assert_eq!(code, 3, "{name}: {err}");
        let shown = p.display();
        assert_eq!(
            lines_about(&err, &format!("{shown}")),
            [
                format!("postsleuth: {shown}:3: line too long ({len} bytes)"),
                format!("postsleuth: {shown}: skipped 1 of 8 lines (1 line too long)"),
            ],
            "{name}"
        );
        assert_eq!(received(&v), GOOD_RECEIVED + 1, "{name}");
        assert_eq!(file_entry(&v, path_str(&p))["skipped"], 1);
        let rows = export_rows("messages", &[path_str(&p)]);
        let m = rows.iter().find(|r| r["queue_id"] == "ABCDEF0123").expect("message after the long line");
        assert_eq!(m["line"], 4, "{name}: line numbers after the long line");
        let rows = export_rows("deliveries", &[path_str(&p)]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["line"], 7, "{name}");
    }
}

/// [`file_with_long_line`]'s text with a second 10 MB line last, with no
/// newline: 9 lines, the 3rd and the 9th too long.
fn two_giant_lines(dir: &Path) -> Vec<u8> {
    let p = file_with_long_line(dir, "huge.log", 10 << 20, true);
    let mut data = std::fs::read(&p).unwrap();
    data.extend(std::iter::repeat_n(b'B', 10 << 20));
    data
}

/// The same through gzip and standard input, with the giant line last and
/// unterminated.
#[test]
fn ten_megabyte_line_gzipped_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let data = two_giant_lines(dir.path());
    let (code, v, err) = summary_json(&["-"], Some(&gzip(&data)));
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        lines_about(&err, "<stdin>"),
        [
            format!("postsleuth: <stdin>:3: line too long ({} bytes)", 10 << 20),
            format!("postsleuth: <stdin>:9: line too long ({} bytes)", 10 << 20),
            "postsleuth: <stdin>: skipped 2 of 9 lines (2 line too long)".to_string(),
        ]
    );
    assert_eq!(received(&v), 1);
}

/// `trace` quotes standard input from memory (it cannot be read twice): a
/// line too long to buffer must still take its place, or every later quote
/// is the line after the one meant.
#[test]
fn trace_on_stdin_quotes_the_right_lines_after_a_giant_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = file_with_long_line(dir.path(), "huge.log", 10 << 20, true);
    let data = std::fs::read(&p).unwrap();
    let o = run(&["trace", "--format", "json", "ABCDEF0123", "-"], Some(&data));
    support::assert_no_panic(&o);
    assert_eq!(support::code(&o), 3, "{}", support::stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let tail = support::tail_lines("mx2");
    let lines = v["flows"][0]["lines"].as_array().unwrap();
    let quoted: Vec<(u64, &str)> =
        lines.iter().map(|l| (l["line"].as_u64().unwrap(), l["text"].as_str().unwrap_or("(none)"))).collect();
    // Lines 4.. are tail[1..]; line 2 (tail[0]) is the session's connect.
    let mut want = vec![(2, tail[0].as_str())];
    want.extend((1..tail.len()).map(|i| (i as u64 + 3, tail[i].as_str())));
    assert_eq!(quoted, want);
}

/// A file that opens but cannot be read. Tests run as root in CI, where
/// `chmod 000` does not stop reading (CAP_DAC_OVERRIDE), so this uses a path
/// whose read genuinely fails for any user: `/proc/self/mem` opens (a process
/// may open its own memory), but reading offset 0 fails with EIO because
/// address 0 is never mapped. postsleuth opens it in its own process, so
/// "self" is postsleuth.
#[test]
fn unreadable_file() {
    let (_d, good) = setup();
    let mem = Path::new("/proc/self/mem");
    if !mem.exists() {
        eprintln!("no /proc/self/mem here; skipping");
        return;
    }
    for exact in [true, false] {
        let mut paths = vec!["/proc/self/mem", path_str(&good)];
        if exact {
            paths.insert(0, "--exact");
        }
        let (code, v, err) = summary_json(&paths, None);
        assert_eq!(code, 3, "{err}");
        assert_eq!(
            lines_about(&err, "/proc/self/mem"),
            ["postsleuth: /proc/self/mem: cannot read: Input/output error (os error 5)"]
        );
        assert_eq!(received(&v), GOOD_RECEIVED);
        assert!(file_entry(&v, "/proc/self/mem")["error"].as_str().unwrap().starts_with("cannot read"));
    }
}

/// `chmod 000` stops a non-root user: the message says what to do. (Root
/// reads through it, so there this test has nothing to prove and returns.)
#[test]
fn permission_denied_when_not_root() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, good) = setup();
    let p = write(dir.path(), "secret.log", support::good_log().as_bytes());
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&p).is_ok() {
        return; // running as root
    }
    let (code, v, err) = summary_json(&[path_str(&p), path_str(&good)], None);
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        lines_about(&err, path_str(&p)),
        [format!(
            "postsleuth: {}: cannot open: permission denied (run as a user that can read the mail logs, e.g. in \
             group adm)",
            p.display()
        )]
    );
    assert_eq!(received(&v), GOOD_RECEIVED);
}

/// A path whose lookup fails with something other than "not found": a
/// symlink loop (ELOOP), which no permission bypasses.
#[test]
fn path_that_cannot_be_opened() {
    let (dir, good) = setup();
    let lp = dir.path().join("loop.log");
    std::os::unix::fs::symlink(&lp, &lp).unwrap();
    let (code, v, err) = summary_json(&[path_str(&lp), path_str(&good)], None);
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        lines_about(&err, path_str(&lp)),
        [format!("postsleuth: {}: Too many levels of symbolic links (os error 40)", lp.display())]
    );
    assert_eq!(received(&v), GOOD_RECEIVED);
}

#[test]
fn missing_path_alongside_a_good_file() {
    let (dir, good) = setup();
    let missing = dir.path().join("nope.log");
    let (code, v, err) = summary_json(&[path_str(&missing), path_str(&good)], None);
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [format!("postsleuth: {}: no such file or directory", missing.display())]
    );
    assert_eq!(received(&v), GOOD_RECEIVED);
}

#[test]
fn missing_path_alone() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.log");
    let o = run(&["summary", "--format", "json", path_str(&missing)], None);
    support::assert_no_panic(&o);
    assert_eq!(support::code(&o), 1);
    assert!(o.stdout.is_empty());
    let err = support::stderr(&o);
    let shown = missing.display();
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            format!("postsleuth: {shown}: no such file or directory"),
            "postsleuth: nothing to read: the input above could not be read".into(),
        ]
    );
}

#[test]
fn stdin_plain_and_gzip() {
    let text = support::good_log().into_bytes();
    for data in [text.clone(), gzip(&text)] {
        let (code, v, err) = summary_json(&["-"], Some(&data));
        assert_eq!(code, 0, "{err}");
        assert_eq!(err, "");
        assert_eq!(received(&v), GOOD_RECEIVED);
        assert_eq!(file_entry(&v, "<stdin>")["lines"], support::GOOD_LINES.len() as u64);
    }
    // With a file alongside, and a truncated gzip on stdin: partial, named.
    let dir = tempfile::tempdir().unwrap();
    let mut tail = support::tail_lines("mx2").join("\n");
    tail.push('\n');
    let other = write(dir.path(), "other.log", tail.as_bytes());
    let gz = gzip(&text);
    // Named oldest first: standard input keeps its place among the inputs.
    let (code, v, err) = summary_json(&["-", path_str(&other)], Some(&gz[..gz.len() - 12]));
    assert_eq!(code, 3, "{err}");
    let about = lines_about(&err, "<stdin>: ");
    assert_eq!(about.len(), 1, "{err}");
    assert!(
        about[0].starts_with("postsleuth: <stdin>: truncated gzip data (the file ends mid-stream) after "),
        "{err}"
    );
    assert!(received(&v) >= 1);
}

/// A gzip file cut short inside a giant line: the line is still counted as
/// too long (it was once lost: the read error sent an empty chunk instead).
#[test]
fn truncated_gzip_inside_a_giant_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = two_giant_lines(dir.path());
    let gz = gzip(&data);
    let cut = write(dir.path(), "cut.gz", &gz[..gz.len() - 64]);
    let (code, _v, err) = summary_json(&[path_str(&cut)], None);
    assert_eq!(code, 3, "{err}");
    let about = lines_about(&err, &format!("{}", cut.display()));
    let shown = cut.display();
    assert!(about.iter().any(|l| l.starts_with(&format!("postsleuth: {shown}:9: line too long ("))), "{err}");
    assert!(
        about.iter().any(|l| l.starts_with(&format!("postsleuth: {shown}: skipped 2 of 9 lines (2 line too long)"))),
        "{err}"
    );
    assert!(about.iter().any(|l| l.contains("truncated gzip data")), "{err}");
}

/// An empty file (a log rotated a moment ago) is said to be empty, and
/// where its lines went; the rest is analysed and the run is complete.
#[test]
fn empty_file_is_named() {
    let (dir, good) = setup();
    let empty = write(dir.path(), "mail.log", b"");
    let (code, v, err) = summary_json(&[path_str(&empty), path_str(&good)], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(received(&v), GOOD_RECEIVED);
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [format!(
            "postsleuth: {}: empty, nothing to analyse (a log just rotated has its lines in the next file: \
             mail.log.1 for mail.log)",
            empty.display()
        )]
    );
    // Alone, it is still no error: an empty log is a valid, empty answer.
    let (code, v, err) = summary_json(&[path_str(&empty)], None);
    assert_eq!((code, received(&v)), (0, 0), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // Empty standard input is said to be empty, without the hint about
    // rotated files, which cannot apply to a pipe.
    let (code, _, err) = summary_json(&["-"], Some(b""));
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.lines().collect::<Vec<_>>(), ["postsleuth: <stdin>: empty, nothing to analyse"]);
}

/// Two missing paths: each is named once, then what follows (the reason
/// used to be printed a second time in the final error).
#[test]
fn every_path_missing_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    let o = run(&["summary", path_str(&a), path_str(&b)], None);
    support::assert_no_panic(&o);
    assert_eq!(support::code(&o), 1);
    assert_eq!(
        support::stderr(&o).lines().collect::<Vec<_>>(),
        [
            format!("postsleuth: {}: no such file or directory", a.display()),
            format!("postsleuth: {}: no such file or directory", b.display()),
            "postsleuth: nothing to read: none of the 2 inputs above could be read".to_string(),
        ]
    );
}

/// A FIFO among the rotated logs (`mkfifo mail.log.1`): opening it would
/// wait for a writer forever. It is named and skipped; the rest is analysed
/// and the run is partial.
#[test]
fn a_fifo_among_the_logs_is_skipped_not_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "mail.log", support::good_log().as_bytes());
    let fifo = dir.path().join("mail.log.1");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo unavailable: test skipped");
        return;
    }
    let mut child = std::process::Command::new(support::bin())
        .args(["summary", "--format", "json", path_str(dir.path())])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("postsleuth waited on the FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    support::assert_no_panic(&o);
    assert_eq!(support::code(&o), 3, "{}", support::stderr(&o));
    let err = support::stderr(&o);
    assert!(err.contains("mail.log.1: not a regular file"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["totals"]["received"].as_u64().unwrap_or(0) > 0, "{v}");
}

/// What `copytruncate` leaves when the writer does not append: the old
/// length as NUL bytes, then new lines. The padding is skipped and said;
/// the lines after it are all analysed, at their own line numbers (the
/// whole file used to be rejected as binary).
#[test]
fn nul_padding_before_the_first_line_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let text = support::good_log();
    let mut data = vec![0u8; 100_000];
    data.extend(text.as_bytes());
    let padded = write(dir.path(), "padded.log", &data);
    let plain = write(dir.path(), "plain.log", text.as_bytes());
    let (code, padded_json, err) = support::summary_json(&["--exact", path_str(&padded)], None);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("padded.log: 100000 NUL bytes before the first line skipped"), "{err}");
    let (_, plain_json, _) = support::summary_json(&["--exact", path_str(&plain)], None);
    assert_eq!(padded_json["totals"], plain_json["totals"]);
    assert_eq!(padded_json["files"][0]["lines"], plain_json["files"][0]["lines"]);
}

/// One file named twice, as a path and through a symlink: its messages
/// were counted twice. It is read once, and the second name is said.
#[test]
fn a_file_named_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "mail.log", support::good_log().as_bytes());
    let link = dir.path().join("alias.log");
    std::os::unix::fs::symlink(&log, &link).unwrap();
    let (_, once, _) = support::summary_json(&["--exact", path_str(&log)], None);
    let (code, twice, err) = support::summary_json(&["--exact", path_str(&log), path_str(&link)], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(twice["totals"], once["totals"]);
    assert!(err.contains(&format!("{}: the same file as {}; read once", link.display(), log.display())), "{err}");
}
