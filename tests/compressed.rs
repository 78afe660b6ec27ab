//! zstd, xz and bzip2 input, end to end through the binary: told by magic
//! bytes (never by name), read whole across concatenated frames / streams,
//! truncated ones named with the bytes of text read (exit 3, the rest still
//! analysed), and their rotated names found when a directory or base name
//! is expanded. Fixtures: tests/fixtures/compressed (see its make.sh).

mod support;

use std::path::{Path, PathBuf};
use support::{path_str, received, summary_json, GOOD_RECEIVED};

const EXTS: [(&str, &str); 3] = [("zst", "zstd"), ("xz", "xz"), ("bz2", "bzip2")];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A copy of `from` in `dir` under `name` (so no name tells the format).
fn copy(from: &Path, dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::copy(from, &p).unwrap();
    p
}

/// `summary --format json` of `paths`, without the per-file list (whose
/// names and formats differ between a plain file and its compressed copy)
/// and the files' names in the input problems.
fn totals(paths: &[&str]) -> (i32, serde_json::Value, String) {
    let (code, mut v, err) = summary_json(paths, None);
    v.as_object_mut().unwrap().remove("files");
    for p in v["input_problems"].as_array_mut().into_iter().flatten() {
        p.as_object_mut().unwrap().remove("file");
    }
    (code, v, err)
}

/// Lines of stderr other than the ones saying the input is out of order:
/// `two.log.*` and `cut.log.*` join two fixtures as they are, the second
/// (03:13) hours before the first (09:41), and a second one covers the
/// time of `good.log`.
fn besides_order(err: &str) -> Vec<&str> {
    err.lines().filter(|l| !l.contains(": time goes back ") && !l.contains(": covers the same time as ")).collect()
}

/// `text` compressed as `ext` ("zst", "xz", "bz2").
fn compress(ext: &str, text: &[u8]) -> Vec<u8> {
    use std::io::Write;
    match ext {
        "zst" => zstd::stream::encode_all(text, 3).unwrap(),
        "xz" => liblzma::encode_all(text, 6).unwrap(),
        _ => {
            let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            bz.write_all(text).unwrap();
            bz.finish().unwrap()
        }
    }
}

/// The plain text of the given fixtures, concatenated, in a file in `dir`.
fn plain(dir: &Path, parts: &[&str]) -> PathBuf {
    let text: Vec<u8> = parts.iter().flat_map(|p| std::fs::read(fixture(p)).unwrap()).collect();
    let p = dir.join("plain.log");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn each_compressor_reads_like_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let plain = plain(dir.path(), &["long_queue_ids.log"]);
    let (code, want, err) = totals(&[path_str(&plain)]);
    assert_eq!(code, 0, "{err}");
    assert!(received(&want) > 0, "{want}");
    for (ext, kind) in EXTS {
        // Named without an extension: the content says what it is.
        let p = copy(&fixture(&format!("compressed/one.log.{ext}")), dir.path(), &format!("one-{ext}"));
        let (code, got, err) = totals(&[path_str(&p)]);
        assert_eq!((code, err.as_str()), (0, ""), "{kind}");
        assert_eq!(got, want, "{kind}");
        let (_, v, _) = summary_json(&[path_str(&p)], None);
        assert_eq!(v["files"][0]["error"], serde_json::Value::Null, "{kind}: {v}");
    }
}

/// `cat a.zst b.zst`, `cat a.xz b.xz`, `cat a.bz2 b.bz2`: both read.
#[test]
fn concatenated_frames_and_streams_are_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let plain = plain(dir.path(), &["long_queue_ids.log", "short_queue_ids.log"]);
    let (code, want, err) = totals(&[path_str(&plain)]);
    assert_eq!(code, 0, "{err}");
    let (_, one, _) = totals(&[path_str(&fixture("long_queue_ids.log"))]);
    assert!(received(&want) > received(&one), "the second part adds messages");
    for (ext, kind) in EXTS {
        let p = fixture(&format!("compressed/two.log.{ext}"));
        let (code, got, err) = totals(&[path_str(&p)]);
        assert_eq!((code, besides_order(&err)), (0, vec![]), "{kind}");
        assert!(err.contains(&format!("{}:14: time goes back 6h28m", p.display())), "{kind}: {err}");
        assert_eq!(got, want, "{kind}");
    }
}

/// A zstd file that opens with a skippable frame (magic 0x184D2A5?) is
/// still zstd.
#[test]
fn zstd_skippable_frame_first() {
    let (code, want, err) = totals(&[path_str(&fixture("long_queue_ids.log"))]);
    assert_eq!(code, 0, "{err}");
    let (code, got, err) = totals(&[path_str(&fixture("compressed/skip.log.zst"))]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(got, want);
}

/// Cut in the middle of its second stream: named with the bytes of text
/// read, exit 3, the first stream and the other file analysed.
#[test]
fn truncated_streams_are_named_and_the_rest_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.log");
    std::fs::write(&good, support::good_log()).unwrap();
    let first = std::fs::read(fixture("long_queue_ids.log")).unwrap().len() as u64;
    let (_, alone, _) = totals(&[path_str(&fixture("long_queue_ids.log"))]);
    for (ext, kind) in EXTS {
        let cut = fixture(&format!("compressed/cut.log.{ext}"));
        let (code, v, err) = summary_json(&[path_str(&cut), path_str(&good)], None);
        assert_eq!(code, 3, "{kind}: {err}");
        let about: Vec<&str> = besides_order(&err).into_iter().filter(|l| l.contains(path_str(&cut))).collect();
        assert_eq!(about.len(), 1, "{kind}: one message about the cut file:\n{err}");
        let prefix = format!("postsleuth: {}: truncated {kind} data (the file ends mid-stream) after ", cut.display());
        let rest = about[0].strip_prefix(&prefix).unwrap_or_else(|| panic!("message shape: {}", about[0]));
        let (bytes, tail) = rest.split_once(' ').unwrap();
        let bytes: u64 = bytes.parse().unwrap_or_else(|_| panic!("byte count in {rest}"));
        assert!(bytes >= first, "{kind}: the whole first stream is read ({bytes} < {first})");
        assert_eq!(tail, "bytes of text; the rest of this file was skipped");
        // The good file in full, and the first stream's messages at least.
        assert!(received(&v) >= GOOD_RECEIVED + received(&alone), "{kind}: {v}");
        let f = v["files"].as_array().unwrap().iter().find(|f| f["file"] == path_str(&cut)).unwrap();
        assert!(f["error"].as_str().unwrap().contains(&format!("truncated {kind}")), "{f}");
        assert_eq!(v["unrecognised"], serde_json::json!({}), "{kind}: the cut line is dropped: {v}");
    }
}

/// Bytes overwritten inside the second stream: corrupt, named, exit 3,
/// the first stream still analysed.
#[test]
fn corrupt_streams_are_named_and_the_rest_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let (_, alone, _) = totals(&[path_str(&fixture("long_queue_ids.log"))]);
    for (ext, kind) in EXTS {
        let one = std::fs::read(fixture(&format!("compressed/one.log.{ext}"))).unwrap();
        let mut data = std::fs::read(fixture(&format!("compressed/two.log.{ext}"))).unwrap();
        let mid = one.len() + (data.len() - one.len()) / 2;
        for b in &mut data[mid..mid + 16] {
            *b ^= 0x5a;
        }
        let p = dir.path().join(format!("bad-{ext}"));
        std::fs::write(&p, &data).unwrap();
        let (code, v, err) = summary_json(&[path_str(&p)], None);
        assert_eq!(code, 3, "{kind}: {err}");
        let about: Vec<&str> = besides_order(&err).into_iter().filter(|l| l.contains(path_str(&p))).collect();
        assert_eq!(about.len(), 1, "{kind}:\n{err}");
        assert!(
            about[0].starts_with(&format!("postsleuth: {}: corrupt compressed data (", p.display()))
                && about[0].ends_with("bytes of text; the rest of this file was skipped"),
            "{kind}: {}",
            about[0]
        );
        assert!(received(&v) >= received(&alone), "{kind}: {v}");
    }
}

/// Each rotated-name form is found by expanding its directory or base
/// name, oldest first, and read. Each file holds another day (copies of
/// one text would be read once).
#[test]
fn rotated_names_are_found_and_ordered() {
    let sets: [(&str, &[&str]); 3] = [
        ("mail.log", &["mail.log.4.bz2", "mail.log.3.xz", "mail.log.2.zst", "mail.log.1", "mail.log"]),
        ("maillog", &["maillog-20261120.bz2", "maillog-20261121.zst", "maillog-20261122.xz", "maillog"]),
        (
            "postfix.log",
            &["postfix.log.20261123-042020.bz2", "postfix.log.20261123-052020.xz", "postfix.log.20261124-000000.zst"],
        ),
    ];
    let text = std::fs::read_to_string(fixture("long_queue_ids.log")).unwrap();
    for (base, names) in sets {
        let dir = tempfile::tempdir().unwrap();
        for (day, name) in names.iter().enumerate() {
            let text = text.replace("Nov 23 ", &format!("Nov {} ", 10 + day));
            let data = match name.rsplit_once('.').map(|(_, e)| e) {
                Some(e @ ("zst" | "xz" | "bz2")) => compress(e, text.as_bytes()),
                _ => text.into_bytes(),
            };
            std::fs::write(dir.path().join(name), data).unwrap();
        }
        for expand in [dir.path().to_path_buf(), dir.path().join(base)] {
            let (code, v, err) = summary_json(&[path_str(&expand)], None);
            assert_eq!(code, 0, "{base}: {err}");
            let files: Vec<String> = v["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| Path::new(f["file"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned())
                .collect();
            assert_eq!(files, *names, "{}", expand.display());
            for f in v["files"].as_array().unwrap() {
                assert_eq!(f["error"], serde_json::Value::Null, "{f}");
                assert!(f["lines"].as_u64().unwrap() > 0, "{f}");
            }
        }
    }
}
