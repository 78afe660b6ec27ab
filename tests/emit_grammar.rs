//! `suspects --emit` output goes to `postsuper -d -`, `nft -f`, a shell and
//! Postfix access tables: no log line may put anything there but the
//! addresses, networks, queue IDs and times postsleuth validated itself.
//!
//! The property test writes logs of a compromise (the shape of
//! `tests/suspects_support::incident_log`) whose SASL usernames, client
//! names, client IPs, queue IDs, HELO names and host are drawn from hostile
//! generators (shell metacharacters, newlines, CR, NUL, nft syntax, CIDR
//! catch-alls, overlong fields, terminal escapes) with a seeded PRNG, runs
//! the binary for every emit kind, and checks each emitted line against a
//! strict grammar of its kind:
//!
//! - `queue-ids`: `[0-9A-Za-z]{6,32}` and a queue ID by `QueueId::parse`;
//!   nothing else (no comments: the stream is for one `postsuper -d -`).
//! - `nft`: `# ` comments, then exactly the ruleset's fixed lines, each set
//!   element a network of the set's family.
//! - `iptables`: `# ` comments, or `iptables -I INPUT -s NET4 -j DROP` /
//!   `ip6tables -I INPUT -s NET6 -j DROP`.
//! - `postfix-access`: `# ` comments, or `NET<TAB>REJECT abuse of a
//!   compromised account`.
//! - `window`: `--since T --until T`, RFC 3339 UTC times; no comments (the
//!   line goes to `postsleuth top $(…)`).
//!
//! where NET4 is `a.b.c.d/32` or `a.b.c.0/24`, NET6 `x:…::/64` (never an
//! IPv4-mapped address), each in its canonical form with its host bits
//! zero, and a comment holds no control or bidi character. Where they are
//! installed, the consumers check it too: `nft -c -f`,
//! `iptables-restore --test`, `postmap -q` (none changes anything).

mod support;
mod suspects_support;

use postsleuth::queue::QueueId;
use regex::Regex;
use std::net::IpAddr;
use std::path::Path;
use support::{code, run, stderr, stdout, Rng};
use suspects_support::Log;

const EMITS: [&str; 5] = ["queue-ids", "nft", "iptables", "postfix-access", "window"];

/// Pieces an attacker controls the bytes of.
const HOSTILE: &[&str] = &[
    ";reboot",
    "$(reboot)",
    "`reboot`",
    "| sh -c id",
    "&& rm -rf /",
    "'",
    "\"",
    "\\",
    "\n",
    "\r",
    "\r\n",
    "\0",
    "\t",
    "\x1b[2J",
    "\u{202e}",
    "\u{85}",
    "\u{2028}",
    "} ; flush ruleset ; table ip x { chain y {",
    "elements = { 0.0.0.0/0 }",
    "0.0.0.0/0",
    "::/0",
    "# ",
    "-j ACCEPT",
    "--",
    "-d ALL",
    "ALL",
    "\tOK",
    " OK",
    "%0a",
    "${IFS}",
    "*",
    "ip saddr @attackers4 accept",
    ",",
    "[",
    "]",
    "<",
    ">",
    "=",
    ": ",
    "sasl_username=root",
];

/// What an attacker may put where a client IP belongs.
const HOSTILE_IPS: &[&str] = &[
    "0.0.0.0/0",
    "14.179.120.5;reboot",
    "::ffff:5.143.39.141",
    "::ffff:14.179.121.77",
    "1.2.3.4\n0.0.0.0/0\tOK",
    "fe80::1%eth0",
    "2001:db8::1/0",
    "999.1.2.3",
    "14.179.122.5 ",
    "14.179.119.05",
    "::",
    "0.0.0.0",
    "255.255.255.255",
    "2a02:6b8:0:1::5",
    "2a02:6b8:0:1::5/0",
    "5.143.40.1\0",
];

/// What an attacker may put where a queue ID belongs.
const HOSTILE_QIDS: &[&str] = &[
    "ABCDEF;reboot",
    "-d",
    "ALL",
    "ABC DEF123",
    "bcdfghjklmnzp",
    "0123456789ABCDEF0123",
    "A1B2C3\0D4E5",
    "A1B2C3\nALL",
    "4jh4nK5WRMz6fJ5;id",
];

fn hostile(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..1 + rng.below(4) {
        match rng.below(10) {
            0 => s.push_str(&"A".repeat(2000 + rng.below(6000))),
            1 => s.push_str(&rng.pick(HOSTILE).repeat(200)),
            2..=3 => s.push_str(&format!("w{}", rng.next_u64() % 1000)),
            _ => s.push_str(rng.pick::<&str>(HOSTILE)),
        }
    }
    s
}

/// A three-day compromise, as `tests/suspects_support::incident_log`:
/// `bob` sends hourly from one address; `user` logs in once; on day 3
/// twelve failed logins name `user`, then it logs in from a new address and
/// twenty addresses send 120 deferred messages as it. The attacker's
/// strings are planted throughout.
struct Incident<'r> {
    rng: &'r mut Rng,
    log: Log,
}

impl Incident<'_> {
    fn line(&mut self, secs: i64, tag: &str, payload: &str) {
        self.log.line(secs, tag, payload);
    }

    fn message(&mut self, at: i64, user: &str, client: &str, ip: &str, status: &str, hostile_qid: bool) {
        let qid = hostile_qid.then(|| self.rng.pick(HOSTILE_QIDS).to_string());
        self.log.submission(at, user, client, ip, qid, status);
    }

    /// The log, in time order, and the suspect's name as planted.
    fn write(seed: u64, path: &Path) -> String {
        let mut rng = Rng::new(seed);
        let user = format!("u{}{}", rng.next_u64() % 100, hostile(&mut rng));
        let host = if rng.below(4) == 0 {
            format!("mx1{}", rng.pick(&[";reboot", "$(id)", "`id`", "|sh", "\u{1b}[2J"]))
        } else {
            "mx1".into()
        };
        let mut log = Incident { rng: &mut rng, log: Log::on(&host) };
        let day = 86_400;
        for h in 0..60 {
            log.message(h * 3600 + 60, "bob@example.org", "unknown", "84.129.1.1", "sent", false);
        }
        log.message(9 * 3600, &user, "unknown", "84.129.221.81", "sent", false);
        for i in 0..12 {
            let at = 2 * day + 8 * 3600 + i * 60;
            let ip = format!("5.137.20.{}", 10 + i);
            let why = format!("authentication failure, sasl_username={user}");
            log.line(
                at,
                "postfix/smtpd[900]",
                &format!("warning: unknown[{ip}]: SASL LOGIN authentication failed: {why}"),
            );
        }
        log.message(2 * day + 10 * 3600, &user, "unknown", "5.137.20.156", "sent", false);
        for i in 0..120 {
            let at = 2 * day + 10 * 3600 + 1800 + i * 90;
            let mut ip = format!("14.179.119.{}", 1 + i % 20);
            let mut client = "unknown".to_string();
            if log.rng.below(10) == 0 {
                ip = log.rng.pick(HOSTILE_IPS).to_string();
            }
            if log.rng.below(5) == 0 {
                client = hostile(log.rng);
            }
            let bad_qid = log.rng.below(12) == 0;
            log.message(at, &user, &client, &ip, "deferred", bad_qid);
            if log.rng.below(8) == 0 {
                let helo = hostile(log.rng);
                let reject = format!(
                    "NOQUEUE: reject: RCPT from {client}[{ip}]: 554 5.7.1 <x@y.test>: Relay access denied; \
                     from=<a@b.test> to=<x@y.test> proto=ESMTP helo=<{helo}>"
                );
                log.line(at + 1, "postfix/smtpd[901]", &reject);
            }
        }
        let bytes = log.log.text().into_bytes();
        std::fs::write(path, bytes).expect("write log");
        user
    }
}

/// A network postsleuth may block: IPv4 `/32` or `/24`, IPv6 `/64`, in its
/// canonical form, host bits zero, never IPv4-mapped.
fn check_net(s: &str, v6: bool) -> Result<(), String> {
    let (addr, len) = s.split_once('/').ok_or_else(|| format!("{s:?}: no prefix length"))?;
    let len: u8 = len.parse().map_err(|_| format!("{s:?}: bad prefix length"))?;
    let ip: IpAddr = addr.parse().map_err(|_| format!("{s:?}: not an address"))?;
    if ip.to_string() != addr {
        return Err(format!("{s:?}: not in canonical form"));
    }
    match ip {
        IpAddr::V4(a) if !v6 && (len == 32 || (len == 24 && a.octets()[3] == 0)) => Ok(()),
        IpAddr::V6(a) if v6 && len == 64 && a.to_ipv4_mapped().is_none() && a.segments()[4..] == [0; 4] => Ok(()),
        _ => Err(format!("{s:?}: not a network of the {} kind", if v6 { "IPv6 /64" } else { "IPv4 /32 or /24" })),
    }
}

fn check_comment(l: &str) -> Result<(), String> {
    let bidi = |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let ok = l.starts_with("# ") && !l.chars().any(|c| c.is_control() || bidi(c) || c == '\u{2028}' || c == '\u{2029}');
    if ok {
        Ok(())
    } else {
        Err(format!("bad comment {l:?}"))
    }
}

fn check_nft(out: &str) -> Result<usize, String> {
    let mut lines = out.split_terminator('\n').peekable();
    while let Some(l) = lines.next_if(|l| l.starts_with('#')) {
        check_comment(l)?;
    }
    let expect = |want: &str, lines: &mut std::iter::Peekable<std::str::SplitTerminator<'_, char>>| match lines.next() {
        Some(l) if l == want => Ok(()),
        other => Err(format!("expected {want:?}, found {other:?}")),
    };
    let mut elements = 0;
    expect("table inet postsleuth {", &mut lines)?;
    for (name, v6, ty) in [("attackers4", false, "ipv4_addr"), ("attackers6", true, "ipv6_addr")] {
        expect(&format!("\tset {name} {{"), &mut lines)?;
        expect(&format!("\t\ttype {ty}"), &mut lines)?;
        expect("\t\tflags interval", &mut lines)?;
        if lines.next_if_eq(&"\t\telements = {").is_some() {
            let mut items = Vec::new();
            while let Some(l) = lines.next_if(|l| *l != "\t\t}") {
                items.push(l.strip_prefix("\t\t\t").ok_or_else(|| format!("bad element line {l:?}"))?);
            }
            expect("\t\t}", &mut lines)?;
            if items.is_empty() {
                return Err("empty elements".into());
            }
            for (i, item) in items.iter().enumerate() {
                let last = i + 1 == items.len();
                let net =
                    if last { *item } else { item.strip_suffix(',').ok_or_else(|| format!("{item:?}: no comma"))? };
                check_net(net, v6)?;
                elements += 1;
            }
        }
        expect("\t}", &mut lines)?;
    }
    for want in [
        "\tchain input {",
        "\t\ttype filter hook input priority -1; policy accept;",
        "\t\tip saddr @attackers4 drop",
        "\t\tip6 saddr @attackers6 drop",
        "\t}",
        "}",
    ] {
        expect(want, &mut lines)?;
    }
    match lines.next() {
        None => Ok(elements),
        Some(l) => Err(format!("after the ruleset: {l:?}")),
    }
}

/// Checks `out`, the output of `--emit what`, line by line; the number of
/// lines that are not comments.
fn check(what: &str, out: &str) -> Result<usize, String> {
    if !out.is_empty() && !out.ends_with('\n') {
        return Err("no final newline".into());
    }
    if what == "nft" {
        return if out.is_empty() { Ok(0) } else { check_nft(out) };
    }
    let ipt = Regex::new(r"^(iptables|ip6tables) -I INPUT -s ([0-9a-f.:/]+) -j DROP$").expect("regex");
    let access = Regex::new(r"^([0-9a-f.:/]+)\tREJECT abuse of a compromised account$").expect("regex");
    let qid = Regex::new(r"^[0-9A-Za-z]{6,32}$").expect("regex");
    let time = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)";
    let window = Regex::new(&format!(r"^--since {time} --until {time}$")).expect("regex");
    let mut n = 0;
    for l in out.split_terminator('\n') {
        let comments = matches!(what, "iptables" | "postfix-access");
        if comments && l.starts_with('#') {
            check_comment(l)?;
            continue;
        }
        match what {
            "queue-ids" => {
                if !qid.is_match(l) || QueueId::parse(l).is_none() {
                    return Err(format!("not a queue ID: {l:?}"));
                }
            }
            "iptables" => {
                let c = ipt.captures(l).ok_or_else(|| format!("not an iptables command: {l:?}"))?;
                check_net(&c[2], &c[1] == "ip6tables")?;
            }
            "postfix-access" => {
                let c = access.captures(l).ok_or_else(|| format!("not an access table entry: {l:?}"))?;
                check_net(&c[1], c[1].contains(':'))?;
            }
            "window" => {
                let c = window.captures(l).ok_or_else(|| format!("not a window: {l:?}"))?;
                for t in [&c[1], &c[2]] {
                    chrono::DateTime::parse_from_rfc3339(t).map_err(|e| format!("{t:?}: {e}"))?;
                }
            }
            _ => unreachable!("{what}"),
        }
        n += 1;
    }
    Ok(n)
}

/// The property: for every seed, every emit kind prints only lines of its
/// grammar, and (so that the check is not vacuous) the incident is found
/// and something is emitted for most seeds.
#[test]
fn hostile_logs_emit_only_grammatical_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seeds = 0..24u64;
    let mut emitted = [0usize; EMITS.len()];
    for seed in seeds.clone() {
        let log = dir.path().join(format!("mail-{seed}.log"));
        let user = Incident::write(seed, &log);
        for (k, what) in EMITS.iter().enumerate() {
            let o = run(&["suspects", "--exact", "--quiet", support::path_str(&log), "--emit", what], None);
            support::assert_no_panic(&o);
            // 3: lines of binary junk (a NUL) were skipped, and said.
            assert!(matches!(code(&o), 0 | 3), "seed {seed} --emit {what}: {}", stderr(&o));
            let out = stdout(&o);
            assert_eq!(out.as_bytes(), o.stdout.as_slice(), "seed {seed} --emit {what}: not UTF-8");
            match check(what, &out) {
                Ok(n) => emitted[k] += usize::from(n > 0),
                Err(e) => panic!("seed {seed} --emit {what} (user {user:?}): {e}\n{out}"),
            }
            if let Err(e) = consumer(what, &out, dir.path()) {
                panic!("seed {seed} --emit {what} (user {user:?}): {e}\n{out}");
            }
        }
    }
    let cases = seeds.count();
    for (what, n) in EMITS.iter().zip(emitted) {
        assert!(n * 2 > cases, "--emit {what} printed something for only {n} of {cases} seeds");
    }
}

/// The first of `names` installed.
fn tool(names: &[&str]) -> Option<String> {
    names.iter().find(|p| Path::new(p).exists()).map(|p| p.to_string())
}

/// Runs `program args` with `input` on its standard input: Err with its
/// stderr when it refuses it.
fn feed(program: &str, args: &[&str], input: &str) -> Result<(), String> {
    use std::io::Write;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).map_err(|e| e.to_string())?;
    let o = child.wait_with_output().map_err(|e| e.to_string())?;
    match o.status.success() {
        true => Ok(()),
        false => Err(format!("{program} {args:?} refused it: {}", String::from_utf8_lossy(&o.stderr))),
    }
}

/// The emitted text given to the tool that consumes it, where that is
/// installed and can check without changing anything: `nft -c -f`, and
/// `iptables-restore --test` / `ip6tables-restore --test` for the
/// commands (as the rules they add).
fn consumer(what: &str, out: &str, scratch: &Path) -> Result<(), String> {
    match what {
        "nft" if !out.is_empty() => {
            let Some(nft) = tool(&["/usr/sbin/nft", "/sbin/nft"]) else { return Ok(()) };
            let file = scratch.join("emitted.nft");
            std::fs::write(&file, out).map_err(|e| e.to_string())?;
            let o =
                std::process::Command::new(&nft).arg("-c").arg("-f").arg(&file).output().map_err(|e| e.to_string())?;
            match o.status.success() {
                true => Ok(()),
                false => Err(format!("nft -c refused it: {}", String::from_utf8_lossy(&o.stderr))),
            }
        }
        "iptables" => {
            for (cmd, restore) in [("iptables ", "iptables-restore"), ("ip6tables ", "ip6tables-restore")] {
                let Some(restore) = tool(&[&format!("/usr/sbin/{restore}"), &format!("/sbin/{restore}")]) else {
                    continue;
                };
                let rules: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix(cmd)).collect();
                if !rules.is_empty() {
                    feed(&restore, &["--test"], &format!("*filter\n{}\nCOMMIT\n", rules.join("\n")))?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A plain log of the incident with `ip` the compromise login and one of
/// the spam clients (the other nineteen ordinary IPv4 addresses).
fn incident_with(ip: &str, path: &Path) {
    let mut rng = Rng::new(7);
    let mut log = Incident { rng: &mut rng, log: Log::on("mx1") };
    let day = 86_400;
    for h in 0..60 {
        log.message(h * 3600 + 60, "bob@example.org", "unknown", "84.129.1.1", "sent", false);
    }
    log.message(9 * 3600, "carol@example.org", "unknown", "84.129.221.81", "sent", false);
    for i in 0..12 {
        let at = 2 * day + 8 * 3600 + i * 60;
        let why = "authentication failure, sasl_username=carol@example.org";
        log.line(
            at,
            "postfix/smtpd[900]",
            &format!("warning: unknown[5.137.20.{}]: SASL LOGIN authentication failed: {why}", 10 + i),
        );
    }
    log.message(2 * day + 10 * 3600, "carol@example.org", "unknown", ip, "sent", false);
    for i in 0..120 {
        let ip = if i % 20 == 0 { ip.to_string() } else { format!("14.179.119.{}", 1 + i % 20) };
        log.message(2 * day + 10 * 3600 + 1800 + i * 90, "carol@example.org", "unknown", &ip, "deferred", false);
    }
    std::fs::write(path, log.log.text()).expect("write log");
}

/// Postfix logs an IPv4 client of a dual-stack socket as `::ffff:a.b.c.d`:
/// it is an IPv4 address, blocked alone (/32) in the IPv4 set; in the IPv6
/// set `nft -c` refuses the whole ruleset, and `ip6tables -s a.b.c.0/24`
/// is no command.
#[test]
fn ipv4_mapped_client_is_blocked_as_ipv4() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("mail.log");
    incident_with("::ffff:5.143.39.141", &log);
    let emit = |what: &str| {
        let o = run(&["suspects", "--exact", "--quiet", support::path_str(&log), "--emit", what], None);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        stdout(&o)
    };
    let nft = emit("nft");
    check_nft(&nft).unwrap_or_else(|e| panic!("{e}\n{nft}"));
    let v4 = nft.split("set attackers6").next().unwrap_or_default();
    assert!(v4.contains("\t5.143.39.141/32"), "{nft}");
    let ipt = emit("iptables");
    assert!(ipt.contains("iptables -I INPUT -s 5.143.39.141/32 -j DROP\n"), "{ipt}");
    assert!(!ipt.contains("ip6tables"), "{ipt}");
    check("iptables", &ipt).unwrap_or_else(|e| panic!("{e}\n{ipt}"));
    consumer("nft", &nft, dir.path()).unwrap_or_else(|e| panic!("{e}\n{nft}"));
    consumer("iptables", &ipt, dir.path()).unwrap_or_else(|e| panic!("{e}\n{ipt}"));
}

/// `postsleuth top $(postsleuth suspects --emit window)`: the window is
/// only the options, whatever the account is called; its name goes to
/// stderr.
#[test]
fn window_is_only_options() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("mail.log");
    incident_with("5.143.39.141", &log);
    let o = run(&["suspects", "--exact", support::path_str(&log), "--emit", "window"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let window = stdout(&o);
    assert_eq!(check("window", &window), Ok(1), "{window}");
    assert!(stderr(&o).contains("carol@example.org"), "{}", stderr(&o));
    // `top` runs as a user types it (`support::run` puts its fixed options
    // before the subcommand).
    let top = std::process::Command::new(support::bin())
        .args(["top", "--exact", "--quiet", "--tz", "UTC", support::path_str(&log)])
        .args(window.split_whitespace())
        .output()
        .expect("run postsleuth top");
    assert_eq!(code(&top), 0, "top {window}: {}", stderr(&top));
}

/// The queue IDs of two hosts are never mixed in one stream meant for one
/// host's `postsuper -d -`: without `--host` nothing is printed and stderr
/// names the hosts (exit 4, refused); with it, only that host's IDs.
#[test]
fn queue_ids_of_several_hosts_are_not_mixed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let one = dir.path().join("mx1.log");
    incident_with("5.143.39.141", &one);
    // The same incident on a second host, its queue IDs told apart.
    let text = std::fs::read_to_string(&one).expect("log");
    let two = text.replace(" mx1 ", " mx2 ").replace(": A0000", ": B0000");
    let both = dir.path().join("both.log");
    let mut lines: Vec<&str> = text.lines().chain(two.lines()).collect();
    lines.sort_by_key(|l| l.split(' ').next().unwrap_or_default().to_string());
    std::fs::write(&both, lines.join("\n") + "\n").expect("write");
    let path = support::path_str(&both);

    let o = run(&["suspects", "--exact", path, "--emit", "queue-ids"], None);
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("mx1") && stderr(&o).contains("mx2") && stderr(&o).contains("--host"),
        "{}",
        stderr(&o)
    );

    for (host, prefix) in [("mx1", "A0000"), ("mx2", "B0000")] {
        let o = run(&["suspects", "--exact", path, "--emit", "queue-ids", "--host", host], None);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let ids = stdout(&o);
        assert!(check("queue-ids", &ids).is_ok_and(|n| n > 100), "{ids}");
        assert!(ids.lines().all(|l| l.starts_with(prefix)), "{host}: {ids}");
    }
}

/// The CIDR table reads without a warning in Postfix's own parser
/// (`postmap -q`), when Postfix is installed.
#[test]
fn access_table_reads_in_postmap() {
    let Some(postmap) = ["/usr/sbin/postmap", "/usr/bin/postmap"].into_iter().find(|p| Path::new(p).exists()) else {
        eprintln!("postmap not installed: skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("mail.log");
    incident_with("2a02:6b8:0:1::5", &log);
    let o = run(&["suspects", "--exact", "--quiet", support::path_str(&log), "--emit", "postfix-access"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let table = dir.path().join("postsleuth.cidr");
    std::fs::write(&table, &o.stdout).expect("write table");
    // An empty configuration of its own: a Postfix installed with "No
    // configuration" (CI's) has no /etc/postfix/main.cf.
    let config = dir.path().join("postfix");
    std::fs::create_dir(&config).expect("config dir");
    std::fs::write(config.join("main.cf"), "").expect("main.cf");
    let q = |ip: &str| {
        std::process::Command::new(postmap)
            .args(["-c", support::path_str(&config), "-q", ip, &format!("cidr:{}", table.display())])
            .output()
            .expect("run postmap")
    };
    for (ip, hit) in [("14.179.119.7", true), ("2a02:6b8:0:1::99", true), ("84.129.1.1", false)] {
        let r = q(ip);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!err.contains("warning") && !err.contains("fatal"), "postmap: {err}");
        assert_eq!(String::from_utf8_lossy(&r.stdout).contains("REJECT"), hit, "{ip}: {err}");
    }
}

/// The check itself refuses what an injection would look like.
#[test]
fn the_grammar_refuses_injections() {
    assert!(check("queue-ids", "ABCDEF1234\n").is_ok());
    for bad in ["ALL\n", "# host mx1\nABCDEF1234\n", "ABCDEF;reboot\n", "-d\n"] {
        assert!(check("queue-ids", bad).is_err(), "{bad:?}");
    }
    assert!(check("iptables", "iptables -I INPUT -s 0.0.0.0/0 -j DROP\n").is_err());
    assert!(check("iptables", "ip6tables -I INPUT -s 5.143.39.0/24 -j DROP\n").is_err());
    assert!(check("postfix-access", "::ffff:5.143.39.141/128\tREJECT abuse of a compromised account\n").is_err());
    assert!(check("postfix-access", "# a\u{202e}b\n").is_err());
    assert!(check("window", "# bob\n--since 2026-11-22T08:00:00Z --until 2026-11-22T09:00:00Z\n").is_err());
    assert!(check_net("5.143.39.7/24", false).is_err());
    assert!(check_net("2001:db8::1/64", true).is_err());
    // And so do the consumers, where installed.
    let dir = tempfile::tempdir().expect("temp dir");
    if tool(&["/usr/sbin/nft", "/sbin/nft"]).is_some() {
        let v4_in_v6 = "table inet postsleuth {\n\tset attackers6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\t\
                        elements = { 5.143.39.0/24 }\n\t}\n}\n";
        assert!(consumer("nft", v4_in_v6, dir.path()).is_err());
    }
    if tool(&["/usr/sbin/ip6tables-restore", "/sbin/ip6tables-restore"]).is_some() {
        assert!(consumer("iptables", "ip6tables -I INPUT -s 5.143.39.0/24 -j DROP\n", dir.path()).is_err());
    }
}
