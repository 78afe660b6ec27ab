//! Following a log live (`source::follow`): real files in a temporary
//! directory, rotated in every logrotate style while they are followed and
//! while the follower is stopped, with polls driven from the test thread.
//! Every test checks the exact lines read (input, line number, bytes):
//! nothing lost, nothing twice.

use postsleuth::source::follow::{
    FileFollower, FollowError, FollowState, JournalFollower, LiveLine, LiveSource, Start, MAX_LINE,
};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A line read: input, line number, text.
type Got = (u32, u64, String);

/// The writer of a log (syslog's descriptor): lines appended to the file
/// it opened, whatever its name is now.
struct Writer {
    file: File,
    tag: String,
    n: usize,
}

impl Writer {
    /// Opens (creating) `path` for appending; its lines say `tag`.
    fn open(path: &Path, tag: &str) -> Writer {
        let file = OpenOptions::new().create(true).append(true).open(path).unwrap();
        Writer { file, tag: tag.into(), n: 0 }
    }

    /// The text of its next line.
    fn next_line(&mut self) -> String {
        self.n += 1;
        let n = self.n;
        format!(
            "Nov 20 {:02}:{:02}:{:02} mx1 postfix/smtpd[{}]: {} {n}: connect from unknown[192.0.2.{}]",
            n / 3600 % 24,
            n / 60 % 60,
            n % 60,
            1000 + n,
            self.tag,
            n % 250
        )
    }

    /// Appends `k` lines; returns them as they should be read, as line
    /// numbers `first..` of input `input`.
    fn write(&mut self, k: usize, input: u32) -> Vec<Got> {
        let mut text = String::new();
        let mut got = Vec::new();
        for _ in 0..k {
            let line = self.next_line();
            text.push_str(&line);
            text.push('\n');
            got.push((input, self.n as u64, line));
        }
        self.file.write_all(text.as_bytes()).unwrap();
        got
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.file.write_all(bytes).unwrap();
    }
}

fn dir() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("mail.log");
    (d, p)
}

/// Polls until a poll gives nothing (each poll waits for nothing).
fn drain(f: &mut impl LiveSource) -> Vec<Got> {
    let mut got = Vec::new();
    for _ in 0..1000 {
        let mut out: Vec<LiveLine> = Vec::new();
        f.poll(Duration::ZERO, &mut out).unwrap();
        if out.is_empty() {
            return got;
        }
        got.extend(out.into_iter().map(|l| (l.input, l.line, String::from_utf8_lossy(&l.bytes).into_owned())));
    }
    panic!("the follower never ran dry");
}

fn gzip(path: &Path) -> PathBuf {
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    let mut enc = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(&std::fs::read(path).unwrap()).unwrap();
    enc.finish().unwrap();
    std::fs::remove_file(path).unwrap();
    gz
}

fn renumber(got: Vec<Got>, input: u32, first: u64) -> Vec<Got> {
    got.into_iter().enumerate().map(|(i, (_, _, t))| (input, first + i as u64, t)).collect()
}

fn notices(f: &mut impl LiveSource) -> String {
    f.take_notices().join("\n")
}

fn resume(path: &Path, state: &FollowState) -> FileFollower {
    // Through JSON, as a state file keeps it.
    let json = serde_json::to_string(state).unwrap();
    FileFollower::open(path, Start::Resume(serde_json::from_str(&json).unwrap())).unwrap()
}

/// logrotate's rename and `create`, then `compress` right away: the writer
/// goes on writing to the renamed file until it reopens the name, and the
/// old file is compressed and deleted right after; everything is read
/// once, in order, the partial last line of the old file completed there.
#[test]
fn rename_and_create_mid_stream() {
    let (d, path) = dir();
    let mut w = Writer::open(&path, "first");
    let mut want = w.write(100, 0);
    let mut f = FileFollower::open(&path, Start::Beginning).unwrap();
    assert_eq!(drain(&mut f), want);
    let mut more = w.write(20, 0);
    w.raw(b"half a li");
    assert_eq!(drain(&mut f), more);
    want.append(&mut more);
    // Rotation: renamed, a new empty file; the writer still writes the old.
    std::fs::rename(&path, d.path().join("mail.log.1")).unwrap();
    File::create(&path).unwrap();
    w.raw(b"ne\n");
    w.n += 1;
    let mut old = w.write(3, 0);
    let got = drain(&mut f);
    assert_eq!(got[0], (0, 121, "half a line".into()));
    assert_eq!(got[1..], old[..]);
    want.push(got[0].clone());
    want.append(&mut old);
    // The writer reopens the name; the old file is written once more just
    // before, and compressed away before the follower looks.
    let mut last_old = w.write(2, 0);
    w.raw(b"no newline at its end");
    let mut w = Writer::open(&path, "second");
    let mut new = w.write(10, 1);
    let gz = gzip(&d.path().join("mail.log.1"));
    let got = drain(&mut f);
    let mut expect = last_old.clone();
    expect.push((0, 127, "no newline at its end".into()));
    expect.extend(new.clone());
    assert_eq!(got, expect);
    want.append(&mut last_old);
    want.push((0, 127, "no newline at its end".into()));
    want.append(&mut new);
    let said = notices(&mut f);
    assert!(said.contains(&format!("mail.log: rotated (the file read is now {})", gz.display())), "{said}");
    assert_eq!(f.input_name(0), gz.display().to_string());
    assert_eq!(f.input_name(1), path.display().to_string());
    assert_eq!(drain(&mut f), []);
    assert_eq!(want.len(), 137);
}

/// `copytruncate`: the file is copied, then truncated in place. Lines
/// written after the last read and before the copy are read from the copy
/// (plain, or already compressed); what comes after, from 0.
#[test]
fn copytruncate_mid_stream() {
    for compress in [false, true] {
        let (d, path) = dir();
        let mut w = Writer::open(&path, "first");
        let mut f = FileFollower::open(&path, Start::Beginning).unwrap();
        assert_eq!(drain(&mut f).len(), 0);
        let want = w.write(50, 0);
        assert_eq!(drain(&mut f), want);
        let unread = w.write(10, 0);
        let copy = d.path().join("mail.log.1");
        std::fs::copy(&path, &copy).unwrap();
        if compress {
            gzip(&copy);
        }
        w.file.set_len(0).unwrap();
        let mut w2 = Writer::open(&path, "second");
        let after = w2.write(5, 1);
        let got = drain(&mut f);
        assert_eq!(got, [unread, after].concat(), "compress: {compress}");
        let said = notices(&mut f);
        assert!(
            said.contains("truncated in place at") && said.contains("10 lines written before it read from"),
            "{said}"
        );
        assert!(
            f.input_name(0).ends_with(if compress { "mail.log.1.gz" } else { "mail.log.1" }),
            "{}",
            f.input_name(0)
        );
        assert_eq!(f.input_name(1), path.display().to_string());
    }
}

/// A truncation with no copy, the file written past the old length before
/// the follower looks: told by its first bytes, read from 0; and the hole
/// of NULs a writer that does not append leaves is skipped.
#[test]
fn truncation_without_copy_and_with_a_hole() {
    let (_d, path) = dir();
    let mut w = Writer::open(&path, "first");
    let mut f = FileFollower::open(&path, Start::Beginning).unwrap();
    let want = w.write(3, 0);
    assert_eq!(drain(&mut f), want);
    w.file.set_len(0).unwrap();
    let mut w2 = Writer::open(&path, "second");
    let longer = w2.write(10, 1);
    assert_eq!(drain(&mut f), longer);
    assert!(notices(&mut f).contains("no copy of it found"));

    // A writer at its old offset (no O_APPEND): NULs up to there.
    let size = std::fs::metadata(&path).unwrap().len();
    let mut w3 = Writer::open(&path, "third");
    w3.file = OpenOptions::new().write(true).open(&path).unwrap();
    w3.file.set_len(0).unwrap();
    use std::io::Seek;
    w3.file.seek(std::io::SeekFrom::Start(size)).unwrap();
    let after_hole = w3.write(4, 2);
    assert_eq!(drain(&mut f), after_hole);
    let said = notices(&mut f);
    assert!(said.contains(&format!("{size} NUL bytes before the first line")), "{said}");
}

/// `postfix logrotate`: maillog_file renamed to a dated name and
/// compressed; postlogd creates the file again at its next line. The name
/// is missing meanwhile.
#[test]
fn postfix_logrotate_mid_stream() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("postfix.log");
    let mut w = Writer::open(&path, "first");
    let mut f = FileFollower::open(&path, Start::Beginning).unwrap();
    let want = w.write(40, 0);
    assert_eq!(drain(&mut f), want);
    let late = w.write(3, 0);
    let dated = d.path().join("postfix.log.20261123-042020");
    std::fs::rename(&path, &dated).unwrap();
    let gz = gzip(&dated);
    let got = drain(&mut f);
    assert_eq!(got, late, "read through the descriptor of the deleted file");
    assert!(notices(&mut f).contains("gone (renamed or deleted)"));
    assert_eq!(drain(&mut f), []);
    let mut w = Writer::open(&path, "second");
    let new = w.write(7, 1);
    assert_eq!(drain(&mut f), new);
    assert_eq!(f.input_name(0), gz.display().to_string());
}

/// Deleted and created again: the old file's last lines through the
/// descriptor, then the new file.
#[test]
fn deleted_and_recreated_mid_stream() {
    let (_d, path) = dir();
    let mut w = Writer::open(&path, "first");
    let mut f = FileFollower::open(&path, Start::Beginning).unwrap();
    let want = w.write(20, 0);
    assert_eq!(drain(&mut f), want);
    let late = w.write(2, 0);
    std::fs::remove_file(&path).unwrap();
    let mut w2 = Writer::open(&path, "second");
    let new = w2.write(5, 1);
    assert_eq!(drain(&mut f), [late, new].concat());
    let said = notices(&mut f);
    assert!(said.contains("replaced (the file read was deleted"), "{said}");
    assert!(f.input_name(0).ends_with("(no longer there)"), "{}", f.input_name(0));
}

/// A name that holds nothing at the start is waited for, then read from
/// its first line, whatever the start.
#[test]
fn a_missing_file_is_waited_for() {
    let (_d, path) = dir();
    let mut f = FileFollower::open(&path, Start::End).unwrap();
    assert!(notices(&mut f).contains("does not exist (yet): waiting for it"));
    assert_eq!(drain(&mut f), []);
    assert_eq!(notices(&mut f), "", "said once");
    let mut w = Writer::open(&path, "first");
    let want = w.write(12, 0);
    assert_eq!(drain(&mut f), want);
    assert!(notices(&mut f).contains("there now: following it"));
}

/// From the end: what is there is not read, the line numbers of what
/// comes are exact, and a line being written at the start is read whole.
#[test]
fn from_the_end_line_numbers_stay_exact() {
    let (_d, path) = dir();
    let mut w = Writer::open(&path, "first");
    // NULs a truncation left before the first line are no line.
    w.raw(&[0; 3]);
    w.write(10, 0);
    w.raw(b"being writ");
    let mut f = FileFollower::open(&path, Start::End).unwrap();
    assert_eq!(drain(&mut f), []);
    w.raw(b"ten\n");
    w.n += 1;
    let more = w.write(3, 0);
    let got = drain(&mut f);
    assert_eq!(got[0], (0, 11, "being written".into()));
    assert_eq!(got[1..], more[..]);
    assert_eq!(got[3].1, 14);
}

/// The rotated set first, oldest first, compressed ones too, then the file.
#[test]
fn with_rotations_reads_the_history_first() {
    let (d, path) = dir();
    let mut w2 = Writer::open(&d.path().join("mail.log.2"), "two");
    let two = w2.write(5, 0);
    gzip(&d.path().join("mail.log.2"));
    let mut w1 = Writer::open(&d.path().join("mail.log.1"), "one");
    let one = w1.write(4, 1);
    let mut w = Writer::open(&path, "zero");
    let zero = w.write(3, 2);
    let mut f = FileFollower::open(&path, Start::WithRotations).unwrap();
    assert_eq!(drain(&mut f), [two, one, zero].concat());
    assert!(f.input_name(0).ends_with("mail.log.2.gz"));
    assert!(f.input_name(1).ends_with("mail.log.1"));
    assert_eq!(f.input_name(2), path.display().to_string());
    assert_eq!(notices(&mut f), "");
}

/// A restart from a checkpoint goes on after the last line read, line
/// numbers and all; a line being written then is read whole after it.
#[test]
fn a_restart_goes_on_where_it_stopped() {
    let (_d, path) = dir();
    let mut w = Writer::open(&path, "first");
    let mut f = FileFollower::open(&path, Start::Beginning).unwrap();
    let want = w.write(30, 0);
    assert_eq!(drain(&mut f), want);
    w.raw(b"half");
    assert_eq!(drain(&mut f), []);
    let state = f.checkpoint();
    drop(f);
    w.raw(b" a line\n");
    w.n += 1;
    let more = w.write(10, 0);
    let mut f = resume(&path, &state);
    let got = drain(&mut f);
    assert_eq!(got[0], (0, 31, "half a line".into()));
    assert_eq!(got[1..], renumber(more, 0, 32)[..]);
    assert_eq!(notices(&mut f), "");
}

/// Rotations while stopped: the file read then is found among the rotated
/// siblings (renamed; renamed and compressed; two rotations), the rest of
/// it read, then the files rotated after it, then the new file.
#[test]
fn a_restart_after_rotations_while_stopped() {
    for case in ["renamed", "compressed", "twice"] {
        let (d, path) = dir();
        let mut w = Writer::open(&path, "first");
        let mut f = FileFollower::open(&path, Start::Beginning).unwrap();
        let want = w.write(30, 0);
        assert_eq!(drain(&mut f), want);
        let state = f.checkpoint();
        drop(f);
        let tail = w.write(5, 0);
        let one = d.path().join("mail.log.1");
        std::fs::rename(&path, &one).unwrap();
        let mut w = Writer::open(&path, "second");
        let mut want = tail;
        let old = match case {
            "renamed" => one.clone(),
            "compressed" => gzip(&one),
            _ => {
                let second = w.write(6, 1);
                std::fs::rename(&one, d.path().join("mail.log.2")).unwrap();
                let two = gzip(&d.path().join("mail.log.2"));
                std::fs::rename(&path, &one).unwrap();
                w = Writer::open(&path, "third");
                want.extend(second);
                two
            }
        };
        let input = if case == "twice" { 2 } else { 1 };
        want.extend(w.write(7, input));
        let mut f = resume(&path, &state);
        assert_eq!(drain(&mut f), want, "{case}");
        let said = notices(&mut f);
        assert!(said.contains("changed while stopped: reading the rest of"), "{case}: {said}");
        assert_eq!(f.input_name(0), old.display().to_string(), "{case}");
        assert_eq!(f.input_name(input), path.display().to_string());
        if case == "twice" {
            assert!(said.contains("then the 1 rotated after it"), "{said}");
            assert_eq!(f.input_name(1), one.display().to_string());
        }
    }
}

/// `copytruncate` while stopped: the rest of the file read then comes from
/// the copy, then the file from 0.
#[test]
fn a_restart_after_copytruncate_while_stopped() {
    let (d, path) = dir();
    let mut w = Writer::open(&path, "first");
    let mut f = FileFollower::open(&path, Start::Beginning).unwrap();
    let want = w.write(30, 0);
    assert_eq!(drain(&mut f), want);
    let state = f.checkpoint();
    drop(f);
    let tail = w.write(5, 0);
    std::fs::copy(&path, d.path().join("mail.log.1")).unwrap();
    w.file.set_len(0).unwrap();
    let mut w = Writer::open(&path, "second");
    let new = w.write(3, 1);
    let mut f = resume(&path, &state);
    assert_eq!(drain(&mut f), [tail, new].concat());
    assert!(f.input_name(0).ends_with("mail.log.1"));
}

/// The file read before the restart is gone for good: said, and the file
/// there now is read from its start.
#[test]
fn a_restart_when_the_old_file_is_gone() {
    let (_d, path) = dir();
    let mut w = Writer::open(&path, "first");
    let mut f = FileFollower::open(&path, Start::Beginning).unwrap();
    let want = w.write(30, 0);
    assert_eq!(drain(&mut f), want);
    let state = f.checkpoint();
    drop(f);
    std::fs::remove_file(&path).unwrap();
    let mut w = Writer::open(&path, "second");
    let new = w.write(3, 1);
    let mut f = resume(&path, &state);
    assert_eq!(drain(&mut f), new);
    assert!(notices(&mut f).contains("is no longer there, under this name or a rotated one"));
}

/// A state of another name or source, a directory, are refused.
#[test]
fn wrong_states_and_paths_are_errors() {
    let (d, path) = dir();
    Writer::open(&path, "first").write(3, 0);
    let f = FileFollower::open(&path, Start::Beginning).unwrap();
    let state = f.checkpoint();
    let other = d.path().join("maillog");
    let err = FileFollower::open(&other, Start::Resume(state)).err().unwrap();
    assert!(matches!(&err, FollowError::State(m) if m.contains("is for")), "{err}");
    let err = FileFollower::open(d.path(), Start::End).err().unwrap();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    let journal = serde_json::from_str(
        r#"{"source":"journal","version":1,"cursor":null,"after_cursor":0,"line":0,"since":null}"#,
    )
    .unwrap();
    assert!(FileFollower::open(&path, Start::Resume(journal)).is_err());
}

/// Lines longer than MAX_LINE are skipped and said with their number, as
/// the batch reader does; invalid UTF-8 and odd bytes pass unchanged.
#[test]
fn giant_lines_and_invalid_utf8() {
    let (_d, path) = dir();
    let mut w = Writer::open(&path, "first");
    let mut f = FileFollower::open(&path, Start::Beginning).unwrap();
    w.raw(b"before\n");
    w.raw(&vec![b'x'; 3 * MAX_LINE]);
    assert_eq!(drain(&mut f), [(0, 1, "before".to_string())]);
    w.raw(&vec![b'y'; 2 * MAX_LINE]);
    w.raw(b"\nbad \xff\xfe\x1b[31m utf-8\r\nafter\n");
    let mut out = Vec::new();
    f.poll(Duration::ZERO, &mut out).unwrap();
    let bytes: Vec<(u64, &[u8])> = out.iter().map(|l| (l.line, &l.bytes[..])).collect();
    assert_eq!(bytes, [(3, &b"bad \xff\xfe\x1b[31m utf-8"[..]), (4, b"after")]);
    let said = notices(&mut f);
    assert!(said.contains(&format!("mail.log:2: a line of {} bytes", 5 * MAX_LINE)), "{said}");
}

/// A poll waits up to its timeout for lines, and returns with them.
#[test]
fn a_poll_waits_for_lines() {
    let (_d, path) = dir();
    let mut w = Writer::open(&path, "first");
    let mut f = FileFollower::open(&path, Start::End).unwrap();
    f.set_interval(Duration::from_millis(10));
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        w.write(2, 0)
    });
    let mut out = Vec::new();
    for _ in 0..100 {
        f.poll(Duration::from_secs(1), &mut out).unwrap();
        if out.len() == 2 {
            break;
        }
    }
    let want = writer.join().unwrap();
    let got: Vec<Got> = out.into_iter().map(|l| (l.input, l.line, String::from_utf8(l.bytes).unwrap())).collect();
    assert_eq!(got, want);
}

// ---- the journal, through a stand-in journalctl ----

const ENTRIES: [&str; 3] = [
    r#"{"__CURSOR":"s=a;i=1","__REALTIME_TIMESTAMP":"1796411063000000","_HOSTNAME":"mx1","SYSLOG_IDENTIFIER":"postfix/smtpd","SYSLOG_PID":"7","MESSAGE":"connect from unknown[192.0.2.1]"}"#,
    r#"{"__CURSOR":"s=a;i=2","__REALTIME_TIMESTAMP":"1796411064000000","_HOSTNAME":"mx1","SYSLOG_IDENTIFIER":"postfix/smtpd","SYSLOG_PID":"7","MESSAGE":"disconnect from unknown[192.0.2.1]"}"#,
    r#"{"__CURSOR":"s=a;i=3","__REALTIME_TIMESTAMP":"1796411065000000","_HOSTNAME":"mx1","SYSLOG_IDENTIFIER":"postfix/qmgr","SYSLOG_PID":"8","MESSAGE":"ABC: removed"}"#,
];

/// A stand-in journalctl: writes its arguments to `args` (one a line,
/// runs apart by a blank line), gives the entries of `entries` (after the
/// one `--after-cursor` names), then follows: stays alive, giving nothing,
/// unless `entries.exit` says to end.
struct FakeJournal {
    dir: tempfile::TempDir,
}

impl FakeJournal {
    fn new(entries: &[&str]) -> FakeJournal {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        std::fs::write(dir.path().join("entries"), entries.join("\n") + "\n").unwrap();
        let script = format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >> '{d}/args'\necho >> '{d}/args'\n\
             cursor=\nwhile [ $# -gt 0 ]; do [ \"$1\" = --after-cursor ] && cursor=\"$2\"; shift; done\n\
             if [ -n \"$cursor\" ]; then\n  awk -v c=\"\\\"__CURSOR\\\":\\\"$cursor\\\"\" 'found {{ print }} index($0, c) {{ found = 1 }}' '{d}/entries'\n\
             else\n  cat '{d}/entries'\nfi\n\
             echo 'Hint: you are not seeing messages from other users' >&2\n\
             if [ -e '{d}/exit' ]; then rm '{d}/exit'; exit 0; fi\nexec sleep 30\n"
        );
        let path = dir.path().join("journalctl");
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        FakeJournal { dir }
    }

    fn program(&self) -> PathBuf {
        self.dir.path().join("journalctl")
    }

    /// The arguments of each run so far.
    fn runs(&self) -> Vec<Vec<String>> {
        let args = std::fs::read_to_string(self.dir.path().join("args")).unwrap_or_default();
        args.split("\n\n").filter(|r| !r.is_empty()).map(|r| r.lines().map(str::to_string).collect()).collect()
    }

    /// New entries, for the next run: the file is replaced, so that a run
    /// still reading the old one reads none of them.
    fn set_entries(&self, entries: &[&str]) {
        let tmp = self.dir.path().join("entries.tmp");
        std::fs::write(&tmp, entries.join("\n") + "\n").unwrap();
        std::fs::rename(&tmp, self.dir.path().join("entries")).unwrap();
    }
}

/// Polls until `n` lines came (journalctl runs apart: no timing asserted,
/// only a bound so that a bug cannot hang the test).
fn journal_lines(j: &mut JournalFollower, n: usize) -> Vec<(u32, u64, String)> {
    let mut out = Vec::new();
    for _ in 0..200 {
        j.poll(Duration::from_millis(100), &mut out).unwrap();
        if out.len() >= n {
            break;
        }
    }
    out.into_iter().map(|l| (l.input, l.line, String::from_utf8(l.bytes).unwrap())).collect()
}

fn numbered(entries: &[&str], first: u64) -> Vec<(u32, u64, String)> {
    entries.iter().enumerate().map(|(i, e)| (0, first + i as u64, e.to_string())).collect()
}

const QUERY_TAIL: &str = "SYSLOG_FACILITY=2";

/// The lines are journalctl's JSON objects as it writes them (what the
/// batch journal input reads); a restart goes on after the cursor of the
/// last one, line numbers and all.
#[test]
fn the_journal_followed_and_resumed_after_its_cursor() {
    let fake = FakeJournal::new(&ENTRIES[..2]);
    let query = postsleuth::source::journal::Query::default();
    let mut j = JournalFollower::open_with(fake.program().as_os_str(), &query, Start::Beginning).unwrap();
    assert_eq!(journal_lines(&mut j, 2), numbered(&ENTRIES[..2], 1));
    assert_eq!(j.input_name(0), "<journal>");
    let state = j.checkpoint();
    let FollowState::Journal(js) = &state else { panic!("{state:?}") };
    assert_eq!((js.cursor.as_deref(), js.line), (Some("s=a;i=2"), 2));
    // What journalctl says on stderr comes apart from its output.
    let mut said = String::new();
    for _ in 0..50 {
        j.poll(Duration::from_millis(100), &mut Vec::new()).unwrap();
        said += &notices(&mut j);
        if !said.is_empty() {
            break;
        }
    }
    assert!(said.contains("journalctl: Hint: you are not seeing messages from other users"), "{said}");
    assert!(said.contains("in group systemd-journal or adm"), "{said}");
    drop(j);
    fake.set_entries(&ENTRIES);
    let json = serde_json::to_string(&state).unwrap();
    let mut j = JournalFollower::open_with(
        fake.program().as_os_str(),
        &query,
        Start::Resume(serde_json::from_str(&json).unwrap()),
    )
    .unwrap();
    assert_eq!(journal_lines(&mut j, 1), numbered(&ENTRIES[2..], 3));
    drop(j);
    let runs = fake.runs();
    let base = ["-o", "json", "--no-pager", "--follow"];
    assert_eq!(runs[0], [&base[..], &["--no-tail", QUERY_TAIL]].concat());
    assert_eq!(runs[1], [&base[..], &["--no-tail", "--after-cursor", "s=a;i=2", QUERY_TAIL]].concat());
    // A line of the batch journal input's format.
    let fields: serde_json::Value = serde_json::from_str(ENTRIES[2]).unwrap();
    assert_eq!(fields["MESSAGE"], "ABC: removed");
}

/// From the end: `--lines=0`. journalctl ending is said, and it is run
/// again after the last entry read.
#[test]
fn the_journal_from_the_end_and_journalctl_run_again() {
    let fake = FakeJournal::new(&ENTRIES[..1]);
    std::fs::write(fake.dir.path().join("exit"), "").unwrap();
    let query = postsleuth::source::journal::Query::default();
    let mut j = JournalFollower::open_with(fake.program().as_os_str(), &query, Start::End).unwrap();
    j.set_retry(Duration::from_millis(50));
    assert_eq!(journal_lines(&mut j, 1), numbered(&ENTRIES[..1], 1));
    fake.set_entries(&ENTRIES);
    assert_eq!(journal_lines(&mut j, 2), numbered(&ENTRIES[1..], 2));
    let said = notices(&mut j);
    assert!(said.contains("journalctl: it ended") && said.contains("running it again"), "{said}");
    let runs = fake.runs();
    assert_eq!(runs[0][3..], ["--follow", "--lines=0", QUERY_TAIL]);
    assert_eq!(runs[1][3..], ["--follow", "--no-tail", "--after-cursor", "s=a;i=1", QUERY_TAIL]);
}

/// A journalctl that fails before giving anything stops following, with
/// its words; one that cannot be run at all, at once.
#[test]
fn a_failing_journalctl_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let script = d.path().join("journalctl");
    std::fs::write(&script, "#!/bin/sh\necho 'Failed to open files: No such file or directory' >&2\nexit 1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let query = postsleuth::source::journal::Query::default();
    let mut j = JournalFollower::open_with(script.as_os_str(), &query, Start::End).unwrap();
    let mut out = Vec::new();
    let mut err = None;
    for _ in 0..50 {
        if let Err(e) = j.poll(Duration::from_millis(100), &mut out) {
            err = Some(e);
            break;
        }
    }
    let err = err.expect("an error").to_string();
    assert!(err.contains("exit status 1") && err.contains("Failed to open files"), "{err}");
    let missing = d.path().join("nope");
    let err = JournalFollower::open_with(missing.as_os_str(), &query, Start::End).err().unwrap();
    assert!(err.to_string().contains("journalctl not found"), "{err}");
}

// ---- a live simulation, rotated as logrotate does, followed as it is written ----

/// The lines of a finished log file, gzip or plain.
fn file_lines(path: &Path) -> Vec<String> {
    let raw = std::fs::read(path).unwrap();
    let text = match raw.starts_with(&[0x1f, 0x8b]) {
        true => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&raw[..]), &mut s).unwrap();
            s
        }
        false => String::from_utf8(raw).unwrap(),
    };
    text.lines().map(str::to_string).collect()
}

/// `simulate --live` writes mail.log as it happens and rotates it at each
/// simulated midnight (rename, new file, the day before compressed); a
/// follower started before it reads every line from its first one on,
/// once, each numbered as in the file it ends up in. Whatever the timing,
/// the lines read are the files' lines from the first one read: nothing
/// lost, nothing twice.
#[test]
fn a_live_simulation_is_followed_through_its_rotations() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("sim");
    let path = out.join("mail.log");
    let mut f = FileFollower::open(&path, Start::End).unwrap();
    f.set_interval(Duration::from_millis(5));
    let mut sim = std::process::Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["simulate", "--out", out.to_str().unwrap(), "--days", "3", "--volume", "0.05", "--seed", "7"])
        .args(["--live", "--speed", "200000"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut got: Vec<LiveLine> = Vec::new();
    let status = loop {
        f.poll(Duration::from_millis(20), &mut got).unwrap();
        if let Some(status) = sim.try_wait().unwrap() {
            break status;
        }
    };
    assert!(status.success());
    for _ in 0..10 {
        f.poll(Duration::ZERO, &mut got).unwrap();
    }
    let days: Vec<Vec<String>> =
        ["mail.log.2.gz", "mail.log.1", "mail.log"].iter().map(|n| file_lines(&out.join(n))).collect();
    assert!(!got.is_empty());
    // The day of the first line read: the file first opened.
    let first = String::from_utf8(got[0].bytes.clone()).unwrap();
    let day0 = days.iter().position(|d| d.contains(&first)).expect("a line of the files");
    for l in &got {
        let text = String::from_utf8(l.bytes.clone()).unwrap();
        let day = day0 + l.input as usize;
        assert_eq!(days[day].get(l.line as usize - 1), Some(&text), "input {} line {}", l.input, l.line);
    }
    let want: Vec<&String> = days[day0..].iter().flatten().collect();
    let read: Vec<String> = got.iter().map(|l| String::from_utf8(l.bytes.clone()).unwrap()).collect();
    assert_eq!(read.len(), want.len() - (days[day0].iter().position(|l| *l == first).unwrap()));
    assert_eq!(f.input_name(got.last().unwrap().input), path.display().to_string());
    let said = notices(&mut f);
    if got.last().unwrap().input > 0 {
        assert!(said.contains("mail.log: rotated (the file read is now"), "{said}");
    }
    eprintln!("followed from day {day0}: {} lines, {} files; said:\n{said}", read.len(), got.last().unwrap().input + 1);
}

/// `--speed` and `--skip` belong to `--live`, and must make sense: usage
/// errors (exit 2), nothing written.
#[test]
fn live_simulation_options_are_checked() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("sim");
    for (args, says) in [
        (&["--speed", "5"][..], "--live"),
        (&["--live", "--speed", "0"], "--speed 0: use a positive number"),
        (&["--live", "--skip", "3x"], "--skip \"3x\": use a duration"),
    ] {
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_postsleuth"))
            .args(["simulate", "--out", out.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?}");
    }
}

/// The real journalctl, on a journal file systemd-journal-remote writes:
/// followed from its first entry (the lines are the batch journal input's,
/// which its envelope reads), resumed after a cursor, and from the end.
#[test]
fn the_real_journalctl_followed_and_resumed() {
    use postsleuth::envelope::{journald::Journald, Format, Split};
    let remote = PathBuf::from("/lib/systemd/systemd-journal-remote");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path).any(|d| d.join("journalctl").is_file());
    if !found || !remote.is_file() {
        eprintln!("skipped: needs journalctl and systemd-journal-remote (Debian's systemd, systemd-journal-remote)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mail.journal");
    let mut export = String::new();
    for i in 1..=3 {
        let us = (1_796_410_800 + i * 60) * 1_000_000i64;
        export.push_str(&format!(
            "__REALTIME_TIMESTAMP={us}\n__MONOTONIC_TIMESTAMP={i}000000\n_BOOT_ID=6f0c5e1a2b3c4d5e8f9a0b1c2d3e4f50\n\
             _HOSTNAME=mx1\nSYSLOG_FACILITY=2\nSYSLOG_IDENTIFIER=postfix/smtpd\nSYSLOG_PID=7\n\
             MESSAGE=connect from unknown[192.0.2.{i}]\n\n"
        ));
    }
    let mut child = std::process::Command::new(&remote)
        .args(["-o".as_ref(), file.as_os_str(), "-".as_ref()])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(export.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let query = postsleuth::source::journal::Query { file: Some(file.clone()), ..Default::default() };
    let mut j = JournalFollower::open(&query, Start::Beginning).unwrap();
    let got = journal_lines(&mut j, 3);
    let payloads: Vec<String> = got
        .iter()
        .map(|(input, _, line)| {
            assert_eq!((*input, Format::sniff(line.as_bytes())), (0, Format::Journald));
            Journald::split(line).expect("the batch journal envelope reads it").payload.to_string()
        })
        .collect();
    assert_eq!(payloads, (1..=3).map(|i| format!("connect from unknown[192.0.2.{i}]")).collect::<Vec<_>>());
    assert_eq!(got.iter().map(|g| g.1).collect::<Vec<_>>(), [1, 2, 3]);
    let state = j.checkpoint();
    drop(j);
    // Back to after the second entry: its cursor, and two lines read.
    let FollowState::Journal(mut js) = state else { panic!() };
    let second: serde_json::Value = serde_json::from_str(&got[1].2).unwrap();
    js.cursor = Some(second["__CURSOR"].as_str().unwrap().to_string());
    js.line = 2;
    let mut j = JournalFollower::open(&query, Start::Resume(FollowState::Journal(js))).unwrap();
    let again = journal_lines(&mut j, 1);
    // journalctl writes the fields in an order of its own each run.
    let fields = |l: &str| serde_json::from_str::<serde_json::Value>(l).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].0, again[0].1, fields(&again[0].2)), (0, 3, fields(&got[2].2)));
    drop(j);
    let mut j = JournalFollower::open(&query, Start::End).unwrap();
    let mut out = Vec::new();
    j.poll(Duration::from_millis(500), &mut out).unwrap();
    assert_eq!(out, [], "from the end: nothing old");
}

/// Both followers can be moved to a thread of their own, or boxed.
#[test]
fn followers_are_send_and_object_safe() {
    fn send<T: Send>() {}
    send::<FileFollower>();
    send::<JournalFollower>();
    let (_d, path) = dir();
    let boxed: Box<dyn LiveSource + Send> = Box::new(FileFollower::open(&path, Start::End).unwrap());
    assert_eq!(boxed.input_name(0), format!("{} (input 0)", path.display()));
}
