//! Shared helpers for the hostile-input tests (no_panic, bad_input, hostile, report):
//! a deterministic PRNG, real Postfix lines, and a way to run the binary.
//! Each test crate uses a different subset.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// splitmix64: tiny, deterministic, good enough to pick bytes and offsets.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// A small, coherent Postfix log covering every daemon postsleuth reads, in
/// both envelope shapes (RFC 3164 and RFC 3339). Read with `--year 2026
/// --log-tz UTC`, it holds exactly [`GOOD_RECEIVED`] received messages.
pub const GOOD_LINES: &[&str] = &[
    "Nov 23 03:12:58 mx1 postfix/smtpd[2310]: connect from unknown[94.251.111.121]",
    "Nov 23 03:12:59 mx1 postfix/smtpd[2310]: warning: unknown[94.251.111.121]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
    "Nov 23 03:12:59 mx1 postfix/submission/smtpd[2311]: warning: host.example[2001:db8::5]: SASL PLAIN authentication failed: authentication failure, sasl_username=bob@example.org",
    "Nov 23 03:13:00 mx1 postfix/smtpd[2310]: 840A4C0FF0: client=unknown[94.251.111.121], sasl_method=LOGIN, sasl_username=email@ourdomain.com",
    "Nov 23 03:13:00 mx1 postfix/cleanup[2402]: 840A4C0FF0: message-id=<20261123031300.4F1@ourdomain.com>",
    "Nov 23 03:13:00 mx1 postfix/qmgr[1200]: 840A4C0FF0: from=<non-existent@ourdomain.com>, size=1145, nrcpt=1 (queue active)",
    "Nov 23 03:13:01 mx1 postfix/smtpd[2310]: disconnect from unknown[94.251.111.121] ehlo=1 auth=1/2 mail=1 rcpt=1 data=1 quit=1 commands=6/7",
    "Nov 23 03:13:02 mx1 postfix/smtp[2405]: 840A4C0FF0: to=<x@gmail.com>, relay=alt1.gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=1.2, delays=0.05/0.01/0.5/0.64, dsn=4.7.28, status=deferred (host alt1.gmail-smtp-in.l.google.com[142.250.1.27] said: 421-4.7.28 (rate (limited)), see x (in reply to end of DATA command))",
    "Nov 23 03:13:03 mx1 postfix/smtpd[2312]: connect from unknown[1.2.3.4]",
    "Nov 23 03:13:03 mx1 postfix/smtpd[2312]: NOQUEUE: reject: RCPT from unknown[1.2.3.4]: 554 5.7.1 <x@y.test>: Relay access denied; from=<a@b.test> to=<x@y.test> proto=ESMTP helo=<h.test>",
    "Nov 23 03:13:03 mx1 postfix/smtpd[2312]: lost connection after RCPT from unknown[1.2.3.4]",
    "Nov 23 03:13:04 mx1 postfix/smtpd[2312]: disconnect from unknown[1.2.3.4] ehlo=1 mail=1 rcpt=0/1 commands=2/3",
    "Nov 23 03:13:05 mx1 postfix/pickup[1201]: 7F1E2C0A11: uid=33 from=<www-data>",
    "Nov 23 03:13:05 mx1 postfix/cleanup[2402]: 7F1E2C0A11: message-id=<20261123031305.AB@mx1.example.test>",
    "Nov 23 03:13:05 mx1 postfix/qmgr[1200]: 7F1E2C0A11: from=<www-data@mx1.example.test>, size=800, nrcpt=2 (queue active)",
    "Nov 23 03:13:06 mx1 postfix/local[2500]: 7F1E2C0A11: to=<root@mx1.example.test>, orig_to=<root>, relay=local, delay=0.1, delays=0.05/0/0/0.05, dsn=2.0.0, status=sent (delivered to mailbox)",
    "Nov 23 03:13:06 mx1 postfix/smtp[2405]: 7F1E2C0A11: to=<nobody@nowhere.test>, relay=none, delay=0.2, delays=0.1/0/0.1/0, dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name=nowhere.test type=A: Host not found)",
    "Nov 23 03:13:06 mx1 postfix/bounce[2410]: 7F1E2C0A11: sender non-delivery notification: 9A2B3C4D5E",
    "Nov 23 03:13:06 mx1 postfix/qmgr[1200]: 7F1E2C0A11: removed",
    "Nov 23 03:13:07 mx1 postfix/postscreen[900]: CONNECT from [5.6.7.8]:4567 to [10.0.0.1]:25",
    "Nov 23 03:13:07 mx1 postfix/postscreen[900]: PREGREET 11 after 0.1 from [5.6.7.8]:4567: EHLO x\\r\\n",
    "Nov 23 03:13:07 mx1 postfix/postscreen[900]: DNSBL rank 3 for [5.6.7.8]:4567",
    "Nov 23 03:13:08 mx1 postfix/postscreen[900]: NOQUEUE: reject: RCPT from [5.6.7.8]:4567: 550 5.7.1 Service unavailable; client [5.6.7.8] blocked using zen.spamhaus.org; from=<a@b.test>, to=<x@y.test>, proto=ESMTP, helo=<evil>",
    "Nov 23 03:13:09 mx1 postfix/anvil[901]: statistics: max connection rate 1/60s for (smtp:1.2.3.4) at Nov 23 03:13:03",
    "Nov 23 03:13:10 mx1 postfix/qmgr[1200]: 840A4C0FF0: from=<non-existent@ourdomain.com>, status=expired, returned to sender",
    "Nov 23 03:13:10 mx1 postfix/postsuper[3000]: 840A4C0FF0: placed on hold",
    "Nov 23 03:13:11 mx1 postfix/postsuper[3000]: 840A4C0FF0: removed",
    "2026-11-23T03:14:00.123456+00:00 mx1 postfix/smtpd[2320]: 4Y7Lrk1TnQz4BfX: client=mail.example.net[2001:db8::25]",
    "2026-11-23T03:14:00.200000+00:00 mx1 postfix/cleanup[2402]: 4Y7Lrk1TnQz4BfX: message-id=<x@example.net>",
    "2026-11-23T03:14:00.300000+00:00 mx1 postfix/qmgr[1200]: 4Y7Lrk1TnQz4BfX: from=<alice@example.net>, size=2000, nrcpt=1 (queue active)",
    "2026-11-23T03:14:01.000000+00:00 mx1 postfix/smtp[2406]: 4Y7Lrk1TnQz4BfX: to=<localuser@example.test>, relay=127.0.0.1[127.0.0.1]:10025, delay=0.03, delays=0.01/0.01/0.01/0, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4jXt634mSNz6fK9)",
    "2026-11-23T03:14:01.100000+00:00 mx1 postfix/reinject/smtpd[13097]: 4jXt634mSNz6fK9: client=localhost[127.0.0.1], orig_queue_id=4Y7Lrk1TnQz4BfX, orig_client=mail.example.net[2001:db8::25]",
    "2026-11-23T03:14:02+00:00 mx1 postfix/qmgr[1200]: 4Y7Lrk1TnQz4BfX: removed",
    "2026-11-23T03:14:02+00:00 mx1 postfix/virtual[2600]: 4jXt634mSNz6fK9: to=<localuser@example.test>, relay=virtual, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to maildir)",
    "2026-11-23T03:14:02+00:00 mx1 postfix/qmgr[1200]: 4jXt634mSNz6fK9: removed",
    "Nov 23 03:15:00 mx1 dovecot: imap-login: Login: user=<bob>, method=PLAIN, rip=10.0.0.9",
    "Nov 23 03:15:01 mx1 postfix/master[1]: reload -- version 3.7.11, configuration /etc/postfix",
];

/// Received messages in [`GOOD_LINES`]: 840A4C0FF0 (smtpd + SASL),
/// 7F1E2C0A11 (pickup), 4Y7Lrk1TnQz4BfX (smtpd; its re-injected
/// continuation 4jXt634mSNz6fK9 is not counted again).
pub const GOOD_RECEIVED: u64 = 3;

/// [`GOOD_LINES`] as a file's contents.
pub fn good_log() -> String {
    let mut s = GOOD_LINES.join("\n");
    s.push('\n');
    s
}

/// A second, different good log (its own queue IDs, one received message),
/// to prove lines after a problem are still analysed.
pub fn tail_lines(host: &str) -> Vec<String> {
    vec![
        format!("Nov 23 04:00:00 {host} postfix/smtpd[4000]: connect from tail.example[192.0.2.44]"),
        format!("Nov 23 04:00:01 {host} postfix/smtpd[4000]: ABCDEF0123: client=tail.example[192.0.2.44]"),
        format!("Nov 23 04:00:01 {host} postfix/cleanup[4001]: ABCDEF0123: message-id=<tail@example.test>"),
        format!("Nov 23 04:00:01 {host} postfix/qmgr[4002]: ABCDEF0123: from=<tail@example.test>, size=321, nrcpt=1 (queue active)"),
        format!("Nov 23 04:00:02 {host} postfix/smtp[4003]: ABCDEF0123: to=<dst@example.org>, relay=mx.example.org[198.51.100.7]:25, delay=1, delays=0.1/0.1/0.4/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)"),
        format!("Nov 23 04:00:02 {host} postfix/qmgr[4002]: ABCDEF0123: removed"),
    ]
}

/// The flags that make results independent of the machine: RFC 3164 years
/// and zones fixed, display in UTC.
pub const FIXED: &[&str] = &["--year", "2026", "--log-tz", "UTC", "--tz", "UTC"];

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_postsleuth")
}

/// Runs the binary with `args` (and [`FIXED`]), feeding `stdin`.
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run_in(None, args, stdin)
}

/// [`run`] in the working directory `cwd`.
pub fn run_in(cwd: Option<&Path>, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(bin());
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    // The fixed flags go right after the subcommand, so that `--` in `args`
    // (for a query such as `-2`) does not turn them into paths.
    match args.first() {
        Some(&c) if matches!(c, "summary" | "trace" | "export" | "check" | "suspects") => {
            cmd.arg(c).args(FIXED).args(&args[1..])
        }
        _ => cmd.args(FIXED).args(args),
    };
    cmd.env("COLUMNS", "200").env_remove("RUST_BACKTRACE");
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn postsleuth");
    if let Some(data) = stdin {
        let mut w = child.stdin.take().unwrap();
        let data = data.to_vec();
        // A writer thread: the child may fill its stdout pipe before it has
        // read all of stdin.
        let t = std::thread::spawn(move || {
            let _ = w.write_all(&data);
        });
        let out = child.wait_with_output().expect("wait");
        t.join().unwrap();
        return out;
    }
    child.wait_with_output().expect("wait")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Asserts nothing on stderr looks like a Rust panic.
pub fn assert_no_panic(o: &Output) {
    let e = stderr(o);
    assert!(!e.contains("panicked") && !e.contains("RUST_BACKTRACE"), "panic on stderr:\n{e}");
    assert_ne!(o.status.code(), Some(101), "exit 101 = panic; stderr:\n{e}");
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// `summary --format json` over `paths` → (exit code, parsed JSON, stderr).
pub fn summary_json(paths: &[&str], stdin: Option<&[u8]>) -> (i32, serde_json::Value, String) {
    let mut args = vec!["summary", "--format", "json"];
    args.extend_from_slice(paths);
    let o = run(&args, stdin);
    assert_no_panic(&o);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("summary JSON invalid ({e}); stdout:\n{}\nstderr:\n{}", stdout(&o), stderr(&o)));
    (code(&o), v, stderr(&o))
}

pub fn received(v: &serde_json::Value) -> u64 {
    v["totals"]["received"].as_u64().unwrap_or_else(|| panic!("no totals.received in {v}"))
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Splits RFC 4180 CSV into rows of fields.
pub fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted && field.is_empty() && row.is_empty(), "CSV ends mid-row: {s}");
    rows
}
