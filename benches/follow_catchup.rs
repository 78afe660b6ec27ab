//! How fast `source::follow::FileFollower` catches up on a backlog: a file
//! read with `Start::Beginning` through polls, against a plain read of the
//! same file into a buffer (the page cache's speed) and the batch reader's
//! line splitting. A plain `main` timed with `Instant`:
//!
//! ```text
//! cargo bench --bench follow_catchup                 # a 1 GB file made in /tmp
//! cargo bench --bench follow_catchup -- FILE         # an existing log
//! ```
//!
//! Each figure is the best of three runs, the file in the page cache (a
//! first read warms it), so that it measures the follower, not the disk.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use postsleuth::source::follow::{FileFollower, LiveLine, LiveSource, Start};

/// Lines of the shapes and lengths Postfix writes, numbered so that none
/// repeats, to about `bytes` bytes.
fn make(path: &Path, bytes: u64) {
    let shapes = [
        "postfix/smtpd[2310]: connect from unknown[94.251.111.{}]",
        "postfix/smtpd[2310]: {}A4C0FF0: client=unknown[94.251.111.121], sasl_method=LOGIN, sasl_username=email@ourdomain.com",
        "postfix/cleanup[2402]: {}A4C0FF0: message-id=<20261123031300.{}@ourdomain.com>",
        "postfix/qmgr[1200]: {}A4C0FF0: from=<non-existent@ourdomain.com>, size=1145, nrcpt=1 (queue active)",
        "postfix/smtp[2405]: {}A4C0FF0: to=<x@gmail.com>, relay=alt1.gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=1.2, delays=0.05/0.01/0.5/0.64, dsn=4.7.28, status=deferred (host said: 421-4.7.28 try again later)",
        "postfix/qmgr[1200]: {}A4C0FF0: removed",
    ];
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let (mut written, mut n) = (0u64, 0u64);
    while written < bytes {
        let shape = shapes[(n % shapes.len() as u64) as usize];
        let line = format!("Nov 23 03:{:02}:{:02} mx1 {}\n", n / 60 % 60, n % 60, shape.replace("{}", &n.to_string()));
        out.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        n += 1;
    }
    out.flush().unwrap();
}

/// Reads the whole file through the follower: bytes of text and lines.
fn follow(path: &Path) -> (u64, u64) {
    let mut f = FileFollower::open(path, Start::Beginning).unwrap();
    let mut out: Vec<LiveLine> = Vec::new();
    let (mut bytes, mut lines) = (0u64, 0u64);
    loop {
        out.clear();
        f.poll(Duration::ZERO, &mut out).unwrap();
        if out.is_empty() {
            return (bytes, lines);
        }
        lines += out.len() as u64;
        bytes += out.iter().map(|l| l.bytes.len() as u64 + 1).sum::<u64>();
    }
}

/// Reads the whole file into one reused buffer: the page cache's speed.
fn plain_read(path: &Path) -> (u64, u64) {
    let mut f = std::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            return (bytes, 0);
        }
        bytes += n as u64;
    }
}

/// The batch reader's splitting, on the same reads: lines counted.
fn batch_split(path: &Path) -> (u64, u64) {
    let mut f = std::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let (mut bytes, mut lines, mut tail) = (0u64, 0u64, 0usize);
    loop {
        let n = f.read(&mut buf[tail..]).unwrap();
        if n == 0 {
            return (bytes, lines);
        }
        let end = tail + n;
        let cut = memchr::memrchr(b'\n', &buf[..end]).map_or(0, |i| i + 1);
        postsleuth::ingest::for_each_line(&buf[..cut], |_| lines += 1);
        bytes += cut as u64;
        buf.copy_within(cut..end, 0);
        tail = end - cut;
    }
}

fn best_of(what: &str, size: u64, mut run: impl FnMut() -> (u64, u64)) {
    let mut best = f64::MAX;
    let mut got = (0, 0);
    for _ in 0..3 {
        let t = Instant::now();
        got = run();
        best = best.min(t.elapsed().as_secs_f64());
    }
    let lines = if got.1 > 0 { format!(", {} lines", got.1) } else { String::new() };
    println!("{what:<34} {best:6.3} s  {:7.0} MB/s  ({} bytes{lines})", size as f64 / best / 1e6, got.0);
}

fn main() {
    let arg = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let made: Option<tempfile::TempDir> = arg.is_none().then(|| tempfile::tempdir_in("/tmp").unwrap());
    let path: PathBuf = match (&arg, &made) {
        (Some(a), _) => a.into(),
        (None, Some(d)) => {
            let p = d.path().join("mail.log");
            make(&p, 1 << 30);
            p
        }
        (None, None) => unreachable!(),
    };
    let size = std::fs::metadata(&path).unwrap().len();
    plain_read(&path);
    println!("file: {} ({size} bytes), best of 3, in the page cache", path.display());
    best_of("read into a buffer (no lines)", size, || plain_read(&path));
    best_of("batch line split (for_each_line)", size, || batch_split(&path));
    best_of("FileFollower, Start::Beginning", size, || follow(&path));
}
