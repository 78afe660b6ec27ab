//! Acceptance: postsleuth's analysis of simulated incidents, end to end
//! through the binary, against the simulator's `truth.json`.
//!
//! Each test simulates one log set (small: volume 0.3, 2–3 days), asks the
//! binary about it (`--format json` summary, `top`, `export`, `geo lookup`)
//! and asserts exactly where postsleuth's definitions and the truth's agree:
//! totals, messages per SASL account and per uid, failed logins per IP, the
//! compromised account or uid on top, the attacker's first login (time and
//! file:line), the botnet's countries in the spam window. The quiet scenario
//! checks that nothing stands out where nothing happened.

mod accept;

use accept::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// As many rows as any ranking here can have.
const ALL: &[&str] = &["--limit", "1000000"];

/// A simulation and the binary's answers that every check reads.
struct Seen {
    case: Case,
    summary: Value,
    messages: Vec<Value>,
    deliveries: Vec<Value>,
    auth: Vec<Value>,
    rejects: Vec<Value>,
}

impl Seen {
    fn new(spec: Spec) -> Seen {
        let case = Case::simulate(spec);
        Seen {
            summary: case.summary(),
            messages: case.export("messages"),
            deliveries: case.export("deliveries"),
            auth: case.export("auth"),
            rejects: case.export("rejects"),
            case,
        }
    }

    fn truth(&self) -> &postsleuth::simulate::Truth {
        &self.case.truth
    }

    /// Position of a file (as postsleuth names it) in the rotated set.
    fn file_index(&self, path: &str) -> usize {
        let name = base_name(path);
        self.truth().files.iter().position(|f| f.name == name).unwrap_or_else(|| panic!("{path} is not in truth"))
    }

    /// (time, file, line) of a row: log order.
    fn order(&self, row: &Value, time: &str) -> (String, usize, u64) {
        (str_of(row, time).to_string(), self.file_index(str_of(row, "file")), u64_of(row, "line"))
    }
}

/// Every file was read whole and every Postfix line understood; the span
/// is the truth's.
fn check_read(s: &Seen) {
    let t = s.truth();
    let files = s.summary["files"].as_array().expect("files");
    let got: Vec<(&str, u64, u64)> =
        files.iter().map(|f| (base_name(str_of(f, "file")), u64_of(f, "lines"), u64_of(f, "skipped"))).collect();
    let want: Vec<(&str, u64, u64)> = t.files.iter().map(|f| (f.name.as_str(), f.lines, 0)).collect();
    assert_eq!(got, want, "files read, oldest first: (name, lines, skipped)");
    assert!(files.iter().all(|f| f["error"].is_null()), "{files:#?}");
    assert_eq!(s.summary["unrecognised"], serde_json::json!({}), "unrecognised Postfix lines");
    let span = t.span.as_ref().expect("span");
    assert_eq!((str_of(&s.summary, "first"), str_of(&s.summary, "last")), (&*span.start, &*span.end), "span");
}

/// The grand totals, where postsleuth's definition is the truth's.
fn check_totals(s: &Seen) {
    let (t, sum) = (s.truth(), &s.summary);
    let recv = received(&s.messages);
    assert_eq!(total(sum, "received"), t.total_messages, "received = SASL + inbound + pickup originals");
    assert_eq!(recv.len() as u64, t.total_messages, "received rows in export messages");
    // The parts of received, by how they came in.
    let by = |f: &dyn Fn(&Value) -> bool| recv.iter().filter(|m| f(m)).count() as u64;
    let smtpd = |m: &Value| str_of(m, "origin") == "smtpd";
    assert_eq!(by(&|m| smtpd(m) && opt_str(m, "sasl_username").is_some()), t.submitted_messages, "SASL submissions");
    assert_eq!(by(&|m| smtpd(m) && opt_str(m, "sasl_username").is_none()), t.inbound_messages, "inbound MX mail");
    assert_eq!(by(&|m| str_of(m, "origin") == "pickup"), t.pickup_messages, "pickup");
    // What received leaves out, counted apart.
    let continuations = s.messages.iter().filter(|m| bool_of(m, "is_continuation")).count() as u64;
    assert_eq!(continuations, t.content_filter_continuations, "content-filter continuations");
    let notifications = s.messages.iter().filter(|m| str_of(m, "origin") == "notification").count() as u64;
    assert_eq!(notifications, t.bounce_notifications, "bounce notifications");

    assert_eq!(total(sum, "auth_failures"), t.auth_failures, "auth failures");
    assert_eq!(total(sum, "deleted"), t.postsuper_deleted, "deleted by postsuper");
    assert_eq!(total(sum, "expired"), t.expired, "expired");

    // Rejects: truth's noqueue_rejects counts `NOQUEUE: reject:` of smtpd and
    // postscreen together (postscreen's are rejected RCPT commands too, after
    // a DNSBL verdict; pflogsumm counts both); postsleuth's `rejected` as well.
    assert_eq!(total(sum, "rejected"), t.noqueue_rejects, "rejected (smtpd + postscreen NOQUEUE)");
    let rejects_by = tally(s.rejects.iter().map(|r| format!("{} {}", str_of(r, "daemon"), str_of(r, "action"))));
    let mut want = BTreeMap::from([("smtpd reject".to_string(), t.noqueue_rejects - t.postscreen_rejects)]);
    if t.postscreen_rejects > 0 {
        want.insert("postscreen reject".into(), t.postscreen_rejects);
    }
    assert_eq!(rejects_by, want, "rejects by daemon");
    assert!(t.postscreen_rejects > 0, "the simulation has postscreen rejects to count");

    // Deliveries: truth counts every `to=` line by status, hand-overs to the
    // content filter included; postsleuth's totals leave those out.
    let dels = |status: &str, hop: bool| {
        s.deliveries.iter().filter(|d| str_of(d, "status") == status && bool_of(d, "filter_hop") == hop).count() as u64
    };
    let statuses = ["sent", "deferred", "bounced"];
    for status in statuses {
        let all = dels(status, false) + dels(status, true);
        assert_eq!(all, t.deliveries[status], "to= lines with status={status}");
    }
    assert_eq!(total(sum, "delivered"), dels("sent", false), "delivered = final status=sent");
    assert_eq!(total(sum, "delivered") + dels("sent", true), t.deliveries["sent"], "delivered + filter hand-overs");
    assert_eq!(total(sum, "deferred") + dels("deferred", true), t.deliveries["deferred"], "deferred");
    assert_eq!(total(sum, "bounced") + dels("bounced", true), t.deliveries["bounced"], "bounced");
    assert!(dels("sent", true) > 0, "the simulation has a content filter");
}

/// Messages per SASL account, from the export and from `top`, are the
/// truth's for every account; the summary's ranking is `top`'s head.
fn check_accounts(s: &Seen) {
    let t = s.truth();
    let counted = tally(
        received(&s.messages)
            .into_iter()
            .filter(|m| str_of(m, "origin") == "smtpd")
            .filter_map(|m| opt_str(m, "root_sasl_username").map(str::to_string)),
    );
    assert_eq!(counted, t.messages_by_account, "export messages: originals per root_sasl_username");
    let top = s.case.top("account", "messages", ALL);
    assert_eq!(ranking(&top, "account", "messages"), t.messages_by_account, "top --by account");
    let head: Vec<(&str, u64)> = top.iter().take(10).map(|r| (str_of(r, "account"), u64_of(r, "messages"))).collect();
    let summary = s.summary["top_sasl_accounts"].as_array().expect("top_sasl_accounts");
    let shown: Vec<(&str, u64)> = summary.iter().map(|r| (str_of(r, "account"), u64_of(r, "messages"))).collect();
    assert_eq!(shown, head, "the summary's top accounts are top's first 10");
}

/// Messages per pickup uid.
fn check_uids(s: &Seen) {
    let t = s.truth();
    let want: BTreeMap<String, u64> = t.messages_by_uid.iter().map(|(u, n)| (u.to_string(), *n)).collect();
    let top = s.case.top("uid", "messages", ALL);
    assert_eq!(ranking(&top, "uid", "messages"), want, "top --by uid");
    let picked = tally(
        received(&s.messages)
            .into_iter()
            .filter(|m| str_of(m, "origin") == "pickup")
            .map(|m| u64_of(m, "uid").to_string()),
    );
    assert_eq!(picked, want, "export messages: pickup originals per uid");
}

/// Failed logins per client IP: the auth table, `top` and the summary.
fn check_auth_failures(s: &Seen) {
    let t = s.truth();
    let failed: Vec<&Value> = s.auth.iter().filter(|a| !bool_of(a, "success")).collect();
    let per_ip = tally(failed.iter().map(|a| str_of(a, "client_ip").to_string()));
    assert_eq!(per_ip, t.auth_failures_by_ip, "export auth: failures per client_ip");
    let top = s.case.top("ip", "auth-failures", ALL);
    assert_eq!(ranking(&top, "ip", "auth_failures"), t.auth_failures_by_ip, "top --by ip --metric auth-failures");
    let most = t.auth_failures_by_ip.values().max().copied();
    let first = s.summary["top_auth_failure_sources"].as_array().expect("top_auth_failure_sources").first();
    assert_eq!(first.map(|r| u64_of(r, "auth_failures")), most, "the summary's top auth-failure source");
}

/// sasl-compromise: the account on top, its spam, the attacker's first
/// login, the brute-force wave before it.
fn check_compromise(s: &Seen) {
    let t = s.truth();
    let victim = t.compromised_account.as_deref().expect("compromised account");
    let sent = t.messages_by_account[victim];
    let first = &s.summary["top_sasl_accounts"][0];
    assert_eq!((str_of(first, "account"), u64_of(first, "messages")), (victim, sent), "summary: top account");
    assert!(sent > 10 * s.case.top("account", "messages", &["--limit", "2"])[1]["messages"].as_u64().unwrap());

    // The spam: the victim's messages from the attacker's IPs.
    let attackers: BTreeSet<&str> = t.attacker_ip_list.iter().map(String::as_str).collect();
    assert_eq!(attackers.len() as u64, t.attacker_ips);
    let spam: Vec<&Value> = received(&s.messages)
        .into_iter()
        .filter(|m| opt_str(m, "root_sasl_username") == Some(victim))
        .filter(|m| opt_str(m, "root_client_ip").is_some_and(|ip| attackers.contains(ip)))
        .collect();
    assert_eq!(spam.len() as u64, t.spam_messages, "spam messages: the victim's from attacker IPs");
    let ips: BTreeSet<&str> = spam.iter().filter_map(|m| opt_str(m, "root_client_ip")).collect();
    assert_eq!(ips, attackers, "every attacker IP sent, none else as the victim");
    let rcpts: u64 = spam.iter().map(|m| u64_of(m, "recipients")).sum();
    assert_eq!(rcpts, t.spam_recipients, "spam recipients (continuations folded in)");

    // The first login: the auth row behind the first attacker client= line.
    let ev = t.first_malicious.as_ref().expect("first malicious");
    let ip = ev.ip.as_deref().expect("the first login has an IP");
    let logins: Vec<&Value> = s
        .auth
        .iter()
        .filter(|a| bool_of(a, "success") && opt_str(a, "sasl_username") == Some(victim))
        .filter(|a| attackers.contains(str_of(a, "client_ip")))
        .collect();
    let earliest = logins.iter().min_by_key(|a| s.order(a, "time")).expect("attacker logins");
    let got = (str_of(earliest, "client_ip"), str_of(earliest, "time"), base_name(str_of(earliest, "file")));
    assert_eq!(got, (ip, &*ev.time, &*ev.file), "first attacker login: ip, time, file");
    assert_eq!(u64_of(earliest, "line"), ev.line, "first attacker login: line");
    let msg = spam.iter().min_by_key(|m| s.order(m, "first_seen")).expect("spam");
    let got = (str_of(msg, "first_seen"), base_name(str_of(msg, "file")), u64_of(msg, "line"));
    assert_eq!(got, (&*ev.time, &*ev.file, ev.line), "the first spam message starts at the first login");

    // The wave: at least its failures and IPs in its span, aimed at the victim.
    let bf = t.brute_force.as_ref().expect("brute force");
    assert_eq!(bf.target, victim);
    let wave: Vec<&Value> = s
        .auth
        .iter()
        .filter(|a| !bool_of(a, "success"))
        .filter(|a| (&*bf.start..=&*bf.end).contains(&str_of(a, "time")))
        .collect();
    let wave_ips: BTreeSet<&str> = wave.iter().map(|a| str_of(a, "client_ip")).collect();
    assert!(wave.len() as u64 >= bf.failures && wave_ips.len() as u64 >= bf.ips, "{bf:?}");
    let named = tally(wave.iter().filter_map(|a| opt_str(a, "sasl_username").map(str::to_string)));
    let most = named.iter().max_by_key(|(_, n)| **n).map(|(u, _)| u.as_str());
    assert_eq!(most, Some(victim), "the username the wave tried most");
}

/// Issue 5: in the spam window, `top --by country` counts every country
/// exactly as the messages export geolocated with `geo lookup` does, and
/// the botnet's countries lead it.
fn check_spam_window_countries(s: &Seen) {
    let t = s.truth();
    let victim = t.compromised_account.as_deref().expect("compromised account");
    let attackers: BTreeSet<String> = t.attacker_ip_list.iter().cloned().collect();
    let recv = received(&s.messages);
    let spam: Vec<&&Value> = recv
        .iter()
        .filter(|m| opt_str(m, "root_sasl_username") == Some(victim))
        .filter(|m| opt_str(m, "root_client_ip").is_some_and(|ip| attackers.contains(ip)))
        .collect();
    // [first login, last spam message + 1 s): whole seconds, as shown.
    let since = t.first_malicious.as_ref().expect("first malicious").time.clone();
    let last = spam.iter().map(|m| str_of(m, "first_seen")).max().expect("spam").to_string();
    let until = (chrono::DateTime::parse_from_rfc3339(&last).expect("time") + chrono::Duration::seconds(1))
        .to_utc()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let window: Vec<&&Value> = recv
        .iter()
        .filter(|m| (since.as_str()..until.as_str()).contains(&str_of(m, "first_seen")))
        .filter(|m| opt_str(m, "root_client_ip").is_some())
        .collect();
    let ips: BTreeSet<String> =
        window.iter().filter_map(|m| opt_str(m, "root_client_ip").map(str::to_string)).collect();
    assert!(attackers.is_subset(&ips), "the window holds every attacker IP");
    let country = countries(&ips);
    let of = |m: &Value| country[opt_str(m, "root_client_ip").unwrap()].clone();
    let want = tally(window.iter().map(|m| of(m)));
    let botnet = tally(spam.iter().map(|m| of(m)));

    let top = s.case.top("country", "messages", &["--since", &since, "--until", &until, "--limit", "1000"]);
    let got = ranking(&top, "country", "messages");
    assert_eq!(got, want, "top --by country in {since}..{until} vs export + geo lookup");
    for (c, n) in &botnet {
        assert!(got.get(c).is_some_and(|m| m >= n), "botnet country {c}: {n} spam messages, ranking {got:?}");
    }
    let head: Vec<&str> = top.iter().take(10).map(|r| str_of(r, "country")).collect();
    let botnet_in_head = head.iter().filter(|c| botnet.contains_key(**c)).count();
    assert!(botnet.contains_key(head[0]) && botnet_in_head >= 5, "top 10 {head:?}, botnet {botnet:?}");
}

/// Where nothing happened, nothing stands out. The bounds are far below
/// the incidents (hundreds of messages from one identity, tens of failed
/// logins from one IP) and above anything ordinary traffic reaches.
fn check_nothing_stands_out(s: &Seen, accounts_too: bool) {
    const MAX_MESSAGES: u64 = 60;
    const MAX_FAILURES: u64 = 5;
    let t = s.truth();
    if accounts_too {
        let top = &s.summary["top_sasl_accounts"][0];
        assert!(u64_of(top, "messages") <= MAX_MESSAGES, "busiest account {top}");
        assert!(t.compromised_account.is_none() && t.brute_force.is_none());
        let top = &s.summary["top_auth_failure_sources"][0];
        assert!(u64_of(top, "auth_failures") <= MAX_FAILURES, "busiest failing IP {top}");
        assert!(t.messages_by_account.values().all(|&n| n <= MAX_MESSAGES));
    }
    if t.compromised_uid.is_none() {
        let top = &s.summary["top_local_uids_pickup"][0];
        assert!(u64_of(top, "messages") <= MAX_MESSAGES, "busiest uid {top}");
    }
}

fn check_common(s: &Seen) {
    check_read(s);
    check_totals(s);
    check_accounts(s);
    check_uids(s);
    check_auth_failures(s);
}

fn sasl_compromise(spec: Spec) {
    let s = Seen::new(spec);
    check_common(&s);
    check_compromise(&s);
    check_spam_window_countries(&s);
    check_nothing_stands_out(&s, false);
}

#[test]
fn sasl_compromise_seed1_rfc3164() {
    sasl_compromise(Spec::new("sasl-compromise", 1, "rfc3164"));
}

/// Without `--year`, the year of RFC 3164 lines comes from the files'
/// mtimes (which simulate sets to each file's last line): same answers.
#[test]
fn rfc3164_year_inferred_from_mtimes() {
    let case = Case::simulate(Spec::new("sasl-compromise", 5, "rfc3164"));
    let mut input = case.input();
    let at = input.iter().position(|a| a == "--year").unwrap();
    input.drain(at..at + 2);
    let (with, without) = (case.summary(), summary_with(input));
    for key in ["first", "last", "totals", "top_sasl_accounts", "top_auth_failure_sources"] {
        assert_eq!(without[key], with[key], "{key} without --year");
    }
    assert_eq!(str_of(&without, "first"), case.truth.span.as_ref().unwrap().start);
}

#[test]
fn sasl_compromise_seed2_rfc3339_long_ids() {
    sasl_compromise(Spec::new("sasl-compromise", 2, "rfc3339").long_ids());
}

/// Three days: the oldest file is gzipped.
#[test]
fn sasl_compromise_seed3_rfc3164_three_days() {
    let spec = Spec::new("sasl-compromise", 3, "rfc3164").days(3);
    let s = Seen::new(spec);
    assert!(s.truth().files[0].gzip, "mail.log.2.gz");
    check_common(&s);
    check_compromise(&s);
    check_spam_window_countries(&s);
}

#[test]
fn sasl_compromise_seed4_rfc3339() {
    sasl_compromise(Spec::new("sasl-compromise", 4, "rfc3339"));
}

#[test]
fn webapp_script_uid33() {
    let s = Seen::new(Spec::new("webapp-script", 1, "rfc3164"));
    check_common(&s);
    let t = s.truth();
    assert_eq!(t.compromised_uid, Some(33));
    let sent = t.messages_by_uid[&33];
    let first = &s.summary["top_local_uids_pickup"][0];
    assert_eq!((u64_of(first, "uid"), u64_of(first, "messages")), (33, sent), "summary: top uid");
    assert!(sent >= t.spam_messages && t.spam_messages > 0);
    // The script's first spam: a pickup uid=33 message starting at that line.
    let ev = t.first_malicious.as_ref().expect("first spam");
    assert_eq!(ev.ip, None);
    let at: Vec<(&str, Option<u64>)> = s
        .messages
        .iter()
        .filter(|m| base_name(str_of(m, "file")) == ev.file && u64_of(m, "line") == ev.line)
        .map(|m| (str_of(m, "first_seen"), m["uid"].as_u64()))
        .collect();
    assert_eq!(at, vec![(ev.time.as_str(), Some(33))], "the message at {}:{}", ev.file, ev.line);
    check_nothing_stands_out(&s, true);
}

#[test]
fn quiet_has_no_incident() {
    let s = Seen::new(Spec::new("quiet", 5, "rfc3339"));
    check_common(&s);
    let t = s.truth();
    assert!(t.first_malicious.is_none() && t.compromised_uid.is_none());
    assert_eq!((t.spam_messages, t.postsuper_deleted, total(&s.summary, "deleted")), (0, 0, 0));
    check_nothing_stands_out(&s, true);
}

/// The same simulate options twice give byte-identical files, and so the
/// same analysis.
#[test]
fn simulate_is_deterministic_through_the_binary() {
    let spec = Spec::new("sasl-compromise", 7, "rfc3339").long_ids().days(3);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    simulate_into(&spec, a.path());
    simulate_into(&spec, b.path());
    let listing = |d: &std::path::Path| {
        let mut names: Vec<String> =
            std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    };
    let names = listing(a.path());
    assert_eq!(names, ["mail.log", "mail.log.1", "mail.log.2.gz", "truth.json"]);
    assert_eq!(listing(b.path()), names);
    for n in &names {
        let (x, y) = (std::fs::read(a.path().join(n)).unwrap(), std::fs::read(b.path().join(n)).unwrap());
        assert!(x == y, "{n} differs between two runs with the same options");
    }
}
