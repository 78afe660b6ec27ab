//! The order of the input, end to end through the binary: files are read
//! oldest first whatever order they are named in; a copy of a file's text
//! beside it is read once; lines two overlapping inputs share are counted
//! once; time going back is named with file:line; and input out of order
//! never gives queue IDs for `postsuper` (exit 4). Figures are those of
//! `sample-logs/` (6713 messages received, none still queued).

mod support;

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use support::{code, path_str, received, run, stderr, stdout, summary_json};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs").join(name)
}

/// The text of `sample-logs/NAME`, decompressed.
fn sample_text(name: &str) -> Vec<u8> {
    let data = std::fs::read(sample(name)).unwrap();
    if !name.ends_with(".gz") {
        return data;
    }
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(&data[..]).read_to_end(&mut text).unwrap();
    text
}

/// The sample logs fed newest first, as `cat mail.log mail.log.1; zcat
/// mail.log.2.gz` would.
fn newest_first() -> Vec<u8> {
    [sample_text("mail.log"), sample_text("mail.log.1"), sample_text("mail.log.2.gz")].concat()
}

fn gzip(text: &[u8]) -> Vec<u8> {
    support::gzip(text)
}

/// The first `n` lines of `text` (or the lines from `from` on, `n` None).
fn lines(text: &[u8], from: usize, n: Option<usize>) -> Vec<u8> {
    let all: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let end = n.map_or(all.len(), |n| (from + n).min(all.len()));
    all[from..end].concat()
}

/// The summary without its list of files (their names differ) and its
/// input problems (which say what was read once).
fn totals(v: &Value) -> Value {
    let mut v = v.clone();
    v.as_object_mut().unwrap().remove("files");
    v.as_object_mut().unwrap().remove("input_problems");
    v
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn files_named_newest_first_are_read_oldest_first() {
    let set = path_str(&sample("mail.log")).to_string();
    let (code, want, err) = summary_json(&[&set], None);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!((received(&want), &want["totals"]["still_queued"]), (6713, &Value::from(0)));
    let named = [sample("mail.log"), sample("mail.log.1"), sample("mail.log.2.gz")];
    let mut args: Vec<&str> = named.iter().map(|p| path_str(p)).collect();
    args.push("--exact");
    // Read in the order given, they gave 6734 received and 21 still queued.
    let (code, got, err) = summary_json(&args, None);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(got, want, "the same summary as the rotated set, files in the same order");
    let files: Vec<&Value> = got["files"].as_array().unwrap().iter().map(|f| &f["file"]).collect();
    assert_eq!(files, [path_str(&named[2]), path_str(&named[1]), path_str(&named[0])]);
}

#[test]
fn standard_input_newest_first_is_named_out_of_order() {
    let input = newest_first();
    let (code, v, err) = summary_json(&["-"], Some(&input));
    // Other outputs still print, with the warning.
    assert_eq!(code, 0, "{err}");
    assert_eq!((received(&v), &v["totals"]["still_queued"]), (6734, &Value::from(21)));
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "postsleuth: <stdin>:45495: time goes back 1d 23h55m here (2026-11-22 23:59:26Z, then \
             2026-11-21 00:03:32Z): the input is out of order",
            "postsleuth: <stdin>:91400: time goes back 1d 23h59m here (2026-11-21 23:59:48Z, then \
             2026-11-20 00:00:10Z): the input is out of order",
            "postsleuth: <stdin>: time goes back by more than a minute on 2 lines: the input is out of order and \
             its figures may be wrong; name the files (they are read oldest first) or feed them oldest first",
        ]
    );
}

/// Before, this printed 21 queue IDs of messages deleted long ago.
#[test]
fn input_out_of_order_gives_no_queue_ids() {
    let o = run(&["suspects", "-", "--emit", "queue-ids"], Some(&newest_first()));
    support::assert_no_panic(&o);
    assert_eq!((code(&o), stdout(&o).as_str()), (4, ""), "{}", stderr(&o));
    let err = stderr(&o);
    let last = err.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        "postsleuth: no queue IDs: the input is out of order (time goes back at <stdin>:45495), so messages it \
         shows still queued may be long gone; name the log files (they are then read oldest first) or feed them \
         oldest first (zcat mail.log.2.gz; cat mail.log.1 mail.log) and run again"
    );
    // Said with --quiet too: it is why nothing is printed.
    let o = run(&["suspects", "-", "--emit", "queue-ids", "--quiet"], Some(&newest_first()));
    assert_eq!((code(&o), stdout(&o).as_str()), (4, ""));
    assert_eq!(stderr(&o).lines().collect::<Vec<_>>(), [last]);
    // Fed oldest first: nothing still queued, and no refusal.
    let oldest_first = [sample_text("mail.log.2.gz"), sample_text("mail.log.1"), sample_text("mail.log")].concat();
    let o = run(&["suspects", "-", "--emit", "queue-ids"], Some(&oldest_first));
    assert_eq!((code(&o), stdout(&o).as_str()), (0, ""), "{}", stderr(&o));
    // Other emits are given, with the warning.
    let o = run(&["suspects", "-", "--emit", "window"], Some(&newest_first()));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).starts_with("--since 2026-11-21T02:24:19Z "), "{}", stdout(&o));
    assert!(stderr(&o).contains("<stdin>:45495: time goes back"));
}

/// Standard input stays where it is named: a file older than it, named
/// after it, starts before its end.
#[test]
fn an_input_older_than_the_one_before_it_is_out_of_order() {
    let newer = [sample_text("mail.log.1"), sample_text("mail.log")].concat();
    let old = sample("mail.log.2.gz");
    let o = run(&["suspects", "-", path_str(&old), "--emit", "queue-ids"], Some(&newer));
    assert_eq!((code(&o), stdout(&o).as_str()), (4, ""), "{}", stderr(&o));
    let err = stderr(&o);
    let want = format!(
        "postsleuth: {}:1: starts at 2026-11-20 00:00:10Z, 2d 23h59m before the end of <stdin> \
         (2026-11-22 23:59:26Z), read before it: the inputs are out of order",
        old.display()
    );
    assert!(err.lines().any(|l| l == want), "{err}");
    assert!(err.contains(&format!("time goes back at {}:1)", old.display())), "{err}");
    // Named first, the older file goes first: in order.
    let o = run(&["suspects", path_str(&old), "-", "--emit", "queue-ids"], Some(&newer));
    let note = "postsleuth: no message of theirs is still queued or held at the end of the input\n";
    assert_eq!((code(&o), stdout(&o).as_str(), stderr(&o).as_str()), (0, "", note));
}

/// `mail.log` beside a gzipped copy of itself (the issue's `all.log` and
/// `all.log.gz`, expanded as one rotated set, were counted twice).
#[test]
fn a_compressed_copy_beside_its_log_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_text("mail.log");
    let plain = write(dir.path(), "all.log", &text);
    let gz = write(dir.path(), "all.log.gz", &gzip(&text));
    let (_, alone, _) = summary_json(&[path_str(&plain), "--exact"], None);
    assert_eq!(received(&alone), 3093);
    let warning =
        format!("postsleuth: {}: the same lines as {}, a copy of it; read once", gz.display(), plain.display());
    // As a rotated set (the base name), and named, the copy first.
    for args in [vec![path_str(&plain)], vec![path_str(&gz), path_str(&plain), "--exact"]] {
        let (code, v, err) = summary_json(&args, None);
        assert_eq!((code, err.lines().collect::<Vec<_>>()), (0, vec![warning.as_str()]), "{args:?}");
        let problem = format!("the same lines as {}, a copy of it; read once", plain.display());
        assert_eq!(v["input_problems"], serde_json::json!([{"file": path_str(&gz), "problem": problem}]));
        let mut v = v.clone();
        v["input_problems"] = alone["input_problems"].clone();
        assert_eq!(v, alone, "{args:?}: the plain one is read, alone");
    }
}

/// `mail.log.1` and `mail.log.1.gz` after an interrupted logrotate: the
/// set reads like the sample's last two days.
#[test]
fn an_interrupted_compression_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let day1 = sample_text("mail.log.1");
    write(dir.path(), "mail.log.1", &day1);
    write(dir.path(), "mail.log.1.gz", &gzip(&day1));
    write(dir.path(), "mail.log", &sample_text("mail.log"));
    let (_, want, _) = summary_json(&[path_str(&sample("mail.log.1")), path_str(&sample("mail.log")), "--exact"], None);
    let (code, got, err) = summary_json(&[path_str(dir.path())], None);
    assert_eq!(code, 0, "{err}");
    let warning = format!(
        "postsleuth: {}: the same lines as {}, a copy of it; read once",
        dir.path().join("mail.log.1.gz").display(),
        dir.path().join("mail.log.1").display()
    );
    assert_eq!(err.lines().collect::<Vec<_>>(), [warning]);
    assert_eq!(totals(&got), totals(&want));
    assert_eq!(received(&got), 5371);
}

/// A longer later copy shares the first 64 KiB (and more) of the shorter:
/// both are read, their common lines once, whichever is named first.
#[test]
fn a_longer_copy_is_kept_and_shared_lines_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_text("mail.log");
    let long = write(dir.path(), "long.log", &text);
    let short = write(dir.path(), "short.log", &lines(&text, 0, Some(30_000)));
    let (_, alone, _) = summary_json(&[path_str(&long), "--exact"], None);
    for (first, second) in [(&short, &long), (&long, &short)] {
        let (code, v, err) = summary_json(&[path_str(first), path_str(second), "--exact"], None);
        assert_eq!(code, 0, "{err}");
        assert_eq!(totals(&v), totals(&alone), "{}", first.display());
        let files: Vec<(&Value, &Value)> =
            v["files"].as_array().unwrap().iter().map(|f| (&f["file"], &f["lines"])).collect();
        assert_eq!(files.len(), 2, "neither dropped as a copy");
        assert_eq!(
            err.lines().collect::<Vec<_>>(),
            [
                format!(
                    "postsleuth: {}: covers the same time as {}, from 2026-11-22 00:00:12Z to 2026-11-22 14:34:45Z \
                     (30000 lines read in both are counted once)",
                    second.display(),
                    first.display()
                ),
                format!("postsleuth: {}: 30000 lines read already in an earlier input, counted once", second.display()),
            ]
        );
    }
}

/// Two exports of overlapping windows of one log: each line once.
#[test]
fn overlapping_exports_count_each_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_text("mail.log");
    let (_, alone, _) = summary_json(&[path_str(&sample("mail.log")), "--exact"], None);
    let late = write(dir.path(), "late.log", &lines(&text, 20_000, None));
    let early = write(dir.path(), "early.log", &lines(&text, 0, Some(30_000)));
    let (code, v, err) = summary_json(&[path_str(&late), path_str(&early), "--exact"], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(totals(&v), totals(&alone));
    let files: Vec<(&Value, &Value)> =
        v["files"].as_array().unwrap().iter().map(|f| (&f["file"], &f["lines"])).collect();
    assert_eq!(
        files,
        [(&Value::from(path_str(&early)), &Value::from(30_000)), (&Value::from(path_str(&late)), &Value::from(25_494))]
    );
    assert!(err.contains("(10000 lines read in both are counted once)"), "{err}");
    assert!(err.contains(&format!("{}: 10000 lines read already in an earlier input, counted once", late.display())));
}

/// The journal's JSON the same way: two exports of overlapping windows
/// give the figures of the whole.
#[test]
fn overlapping_journal_exports_count_each_entry_once() {
    let dir = tempfile::tempdir().unwrap();
    let json = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journal/mail.log.json");
    let text = std::fs::read(&json).unwrap();
    let n = text.iter().filter(|&&b| b == b'\n').count();
    let (_, whole, _) = summary_json(&[path_str(&json), "--exact"], None);
    assert!(received(&whole) > 0);
    let one = write(dir.path(), "one.json", &lines(&text, 0, Some(2 * n / 3)));
    let two = write(dir.path(), "two.json", &lines(&text, n / 3, None));
    let (code, v, err) = summary_json(&[path_str(&two), path_str(&one), "--exact"], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(totals(&v), totals(&whole));
    let twice = 2 * n / 3 - n / 3;
    assert!(err.contains(&format!("{}: {twice} lines read already in an earlier input", two.display())), "{err}");
}

/// Dec 31 → Jan 1 in RFC 3164 stamps is time going forward, and a
/// straggler a few seconds back is within the clock skew allowed.
#[test]
fn a_new_year_is_no_going_back() {
    let log = "Dec 31 23:59:58 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]\n\
               Jan  1 00:00:01 mx1 postfix/smtpd[1]: disconnect from a[192.0.2.1] commands=0\n\
               Dec 31 23:59:59 mx1 postfix/smtpd[2]: connect from b[192.0.2.2]\n\
               Jan  1 00:00:03 mx1 postfix/smtpd[2]: disconnect from b[192.0.2.2] commands=0\n";
    let (code, v, err) = summary_json(&["-"], Some(log.as_bytes()));
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!((&v["first"], &v["last"]), (&Value::from("2026-12-31T23:59:58Z"), &Value::from("2027-01-01T00:00:03Z")));
}
