//! No input makes postsleuth panic. Deterministic fuzzing (a seeded PRNG, no
//! extra crates): random byte strings and mutations of real Postfix lines of
//! every daemon go through the envelope parser, the event parser and the
//! correlator; the records they leave are built into frames and rendered in
//! every format; and the binary reads a file of the same junk.

mod support;

use postsleuth::correlate::{Correlator, LineCtx, LineRef, NO_CONTEXT};
use postsleuth::diag::Diagnostics;
use postsleuth::ingest::Dataset;
use postsleuth::render::Format;
use postsleuth::syslog::{self, Stamp};
use postsleuth::time::{Zone, MICROS_PER_SEC};
use support::{Rng, GOOD_LINES};

/// Fragments that steer mutations into the parsers' decision points: the
/// separators they search for, multi-byte characters next to them (a byte
/// index off by one would split a character and panic), and extremes.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "]:",
    "]: ",
    ": ",
    ":",
    " ",
    ", ",
    "<",
    ">",
    "<>",
    "\"",
    "=",
    "(",
    ")",
    "/",
    "[]",
    "[1.2.3.4]",
    "[1.2.3.4]:25",
    " from ",
    " to ",
    "from=<",
    "to=<",
    "orig_to=<",
    ", status=",
    "status=",
    "relay=",
    "delay=",
    "delays=",
    "dsn=",
    "size=",
    "nrcpt=",
    "uid=",
    "client=",
    "sasl_username=",
    "sasl_method=",
    "orig_queue_id=",
    "orig_client=",
    "message-id=",
    "message repeated 3 times: [ ",
    "message repeated 4294967295 times: [ x]",
    "NOQUEUE: ",
    "reject: ",
    "warning: ",
    "SASL ",
    " authentication failed",
    " notification: ",
    "; from=<",
    "helo=<",
    "auth=",
    "/",
    "0/",
    "4294967296",
    "99999999999999999999",
    "-1",
    "é",
    "€",
    "😀",
    "\u{202e}",
    "\u{1b}",
    "\u{0}",
    "\u{fffd}",
    "\t",
    "\r",
    "840A4C0FF0",
    "4Y7Lrk1TnQz4BfXzzzzzzzzzzzz",
    "Feb 30",
    "Dec 31 23:59:60",
    "9999-12-31T23:59:59.9999999+99:99",
    "0000-01-01T00:00:00Z",
    " for (",
    "PASS NEW ",
    "statistics: ",
    "postfix/",
    "postfix//smtpd[",
    "[4294967295]",
    "[-1]",
];

fn mutate(rng: &mut Rng, line: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = line.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = v.len();
        match rng.below(9) {
            // Truncate anywhere, even inside a multi-byte character.
            0 => v.truncate(rng.below(len + 1)),
            // Flip one byte to anything.
            1 if len > 0 => {
                let i = rng.below(len);
                v[i] = rng.next_u64() as u8;
            }
            // Insert random bytes.
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let junk = rng.bytes(n);
                v.splice(i..i, junk);
            }
            // Insert a token the parsers look for.
            3 | 4 => {
                let i = rng.below(len + 1);
                let t = rng.pick(TOKENS).as_bytes().to_vec();
                v.splice(i..i, t);
            }
            // Delete a range.
            5 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(20)).min(len);
                v.drain(a..b);
            }
            // Splice the head of this line onto the tail of another.
            6 => {
                let a = rng.below(len + 1);
                let b = rng.below(other.len() + 1);
                v.truncate(a);
                v.extend_from_slice(&other[b..]);
            }
            // Duplicate a range.
            7 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(40)).min(len);
                let dup = v[a..b].to_vec();
                v.splice(b..b, dup);
            }
            // Replace a range with a token.
            _ if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(10)).min(len);
                let t = rng.pick(TOKENS).as_bytes().to_vec();
                v.splice(a..b, t);
            }
            _ => {}
        }
    }
    v
}

/// What ingest does with one line, minus the I/O: lossy UTF-8, envelope,
/// event, correlation. True when the line became an event.
fn feed(c: &mut Correlator, raw: &[u8], n: u64) -> bool {
    let text = String::from_utf8_lossy(raw);
    let Some(env) = syslog::parse(&text) else { return false };
    let _ = env.is_postfix();
    let time = match env.stamp {
        Stamp::Exact(t) => t,
        Stamp::Local { month, day, secs, .. } => {
            (month as i64 * 31 + day as i64) * 86_400 * MICROS_PER_SEC + secs as i64
        }
        Stamp::Zoned { days, secs, .. } => (days as i64 * 86_400 + secs as i64) * MICROS_PER_SEC,
    };
    let cx = LineCtx::new(&env, time, LineRef { file: 0, line: n }, NO_CONTEXT);
    match postsleuth::event::parse(env.daemon, env.payload) {
        Some(ev) => {
            c.feed(&cx, &ev);
            true
        }
        None => false,
    }
}

/// Builds every frame from what the correlator kept and renders it in every
/// format: hostile records must not panic the later stages either. Returns
/// how many messages there were.
fn build_and_render(c: Correlator) -> usize {
    let ds = Dataset {
        records: c.finish(),
        inputs: vec![postsleuth::source::Input::Stdin],
        diag: Diagnostics::default(),
        orphan_lines: 0,
        span: None,
        kept_lines: Vec::new(),
        observer: Default::default(),
        stored: Default::default(),
    };
    let frames = [
        postsleuth::frame::messages(&ds, postsleuth::frame::Detail::All),
        postsleuth::frame::deliveries(&ds, postsleuth::frame::Detail::All),
        postsleuth::frame::auth(&ds, postsleuth::frame::Detail::All),
        postsleuth::frame::rejects(&ds, postsleuth::frame::Detail::All),
        postsleuth::frame::sessions(&ds),
    ];
    for df in frames {
        let df = df.expect("frame builds");
        for format in [Format::Table, Format::Json, Format::Csv, Format::Markdown] {
            let mut out = Vec::new();
            postsleuth::render::write_frame(&df, format, &Zone::Named(chrono_tz::UTC), &mut out).expect("renders");
        }
    }
    ds.records.messages.len()
}

const MUTATED_CASES: usize = 150_000;
const RANDOM_CASES: usize = 50_000;

#[test]
fn parsers_and_correlator_survive_mutated_postfix_lines() {
    let mut rng = Rng::new(0x5eed_0001);
    // Every other round without details, as the analyses run it: closed
    // sessions' slots are then reused.
    let fresh = |round: usize| Correlator::new(true, round % 2 == 0);
    let mut c = fresh(0);
    let (mut events, mut messages) = (0, 0);
    for n in 0..MUTATED_CASES {
        let line = rng.pick(GOOD_LINES).as_bytes();
        let other = rng.pick(GOOD_LINES).as_bytes();
        let junk = mutate(&mut rng, line, other);
        events += feed(&mut c, &junk, n as u64 + 1) as usize;
        // Unmutated lines in between keep messages and sessions in flight,
        // so mutated lines hit existing state too.
        if n % 7 == 0 {
            feed(&mut c, line, n as u64 + 1);
        }
        // Start afresh now and then, rendering what was built.
        if n % 50_000 == 49_999 {
            messages += build_and_render(std::mem::replace(&mut c, fresh(n / 50_000 + 1)));
        }
    }
    messages += build_and_render(c);
    // The mutations must leave enough lines intact to reach the event
    // parsers and the correlator, or this test proves little.
    assert!(events > MUTATED_CASES / 4, "only {events} of {MUTATED_CASES} mutated lines became events");
    assert!(messages > 1000, "only {messages} messages built");
}

#[test]
fn parsers_and_correlator_survive_random_bytes() {
    let mut rng = Rng::new(0x5eed_0002);
    let mut c = Correlator::new(false, true);
    // Random bytes rarely get past the timestamp: half the cases get a valid
    // envelope prefix, so the payload parsers see random bytes too.
    let prefixes: &[&[u8]] = &[
        b"",
        b"Nov 23 03:13:00 mx1 postfix/smtpd[1]: ",
        b"Nov 23 03:13:00 mx1 postfix/qmgr[1]: 840A4C0FF0: ",
        b"Nov 23 03:13:00 mx1 postfix/smtp[1]: 840A4C0FF0: to=<",
        b"Nov 23 03:13:00 mx1 postfix/cleanup[1]: 840A4C0FF0: ",
        b"Nov 23 03:13:00 mx1 postfix/postscreen[1]: ",
        b"Nov 23 03:13:00 mx1 postfix/anvil[1]: statistics: ",
        b"Nov 23 03:13:00 mx1 postfix/bounce[1]: 840A4C0FF0: ",
        b"Nov 23 03:13:00 mx1 postfix/pickup[1]: 840A4C0FF0: uid=",
        b"Nov 23 03:13:00 mx1 postfix/postsuper[1]: ",
        b"2026-11-23T03:14:00.123456+00:00 mx1 postfix/smtpd[1]: warning: ",
        b"2026-11-23T03:14:00Z mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from ",
    ];
    for n in 0..RANDOM_CASES {
        let mut line = rng.pick(prefixes).to_vec();
        let len = rng.below(160);
        if rng.below(2) == 0 {
            line.extend(rng.bytes(len));
        } else {
            // Printable structure-heavy junk: more likely to pass the checks.
            const ALPHABET: &[u8] = b"[]<>:=,; ()/.@0123456789ABCDEFz-_\"'fromtosize";
            line.extend((0..len).map(|_| *rng.pick(ALPHABET)));
        }
        feed(&mut c, &line, n as u64 + 1);
    }
    build_and_render(c);
}

/// The whole binary over a file of such junk, after a few good lines (so
/// the file is read as text): it must finish with 0 or 3, never panic.
#[test]
fn binary_survives_a_file_of_junk() {
    let mut rng = Rng::new(0x5eed_0003);
    let mut data = support::good_log().into_bytes();
    for _ in 0..5_000 {
        let line = rng.pick(GOOD_LINES).as_bytes();
        let other = rng.pick(GOOD_LINES).as_bytes();
        let n = rng.below(200);
        let junk = if rng.below(10) == 0 { rng.bytes(n) } else { mutate(&mut rng, line, other) };
        data.extend(junk);
        data.push(b'\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.log");
    std::fs::write(&path, &data).unwrap();
    let p = support::path_str(&path);
    for args in [
        vec!["summary", p],
        vec!["summary", "--format", "json", p],
        vec!["summary", "--format", "markdown", p],
        vec!["export", "--table", "messages", "--format", "csv", p],
        vec!["export", "--table", "deliveries", p],
        vec!["export", "--table", "auth", "--format", "json", p],
        vec!["export", "--table", "rejects", "--format", "markdown", p],
        vec!["export", "--table", "sessions", p],
        vec!["trace", "840A4C0FF0", p],
        vec!["trace", "email@ourdomain.com", "--format", "json", p],
    ] {
        let o = support::run(&args, None);
        support::assert_no_panic(&o);
        assert!(matches!(support::code(&o), 0 | 3), "{args:?}: exit {:?}\n{}", o.status, support::stderr(&o));
        assert!(!o.stdout.is_empty(), "{args:?}: no output");
    }
}
