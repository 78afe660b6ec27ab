//! postsleuth's grand totals against Debian's pflogsumm (1.1.x) on the same
//! simulated log.
//!
//! pflogsumm reads one stream, so the rotated set is concatenated oldest
//! first. Its "Grand Totals" are parsed and checked twice:
//!
//! 1. against pflogsumm's own counting rules (read from /usr/sbin/pflogsumm)
//!    applied to postsleuth's exported rows — which proves both tools read
//!    the same lines, and pins down every difference to a rule;
//! 2. against postsleuth's summary, exactly where the definitions agree, and
//!    by the documented relation where they differ by design:
//!
//! | figure | relation |
//! | --- | --- |
//! | received | equal, unless the filter's re-injection smtpd logs as plain `postfix/smtpd` (or `…/smtps`, `…/submission`): then pflogsumm adds every re-injected copy |
//! | delivered | pflogsumm adds the hand-overs to the content filter |
//! | deferred | pflogsumm's "deferrals" = postsleuth's deferred (+ deferred hand-overs); its "deferred" counts distinct queue IDs |
//! | bounced, rejected, held, discarded | equal (both count postscreen's `NOQUEUE: reject:`) |
//! | bytes received | pflogsumm loses the size of a message whose short queue ID was used before (it never forgets a queue ID's size) |
//! | bytes delivered | pflogsumm adds the hand-overs, and prices a reused queue ID's deliveries at the earlier message's size |
//! | senders | equal but for senders seen only on messages with a reused queue ID |
//! | recipients | pflogsumm's: distinct addresses with a `status=sent` line, the hand-overs to the filter included; postsleuth's `distinct_recipients`: distinct addresses of final deliveries (hand-overs excluded) whatever their outcome |
//!
//! If pflogsumm is not installed (or not at `POSTSLEUTH_PFLOGSUMM`, when
//! set) the tests fail when `CI` is set (`.ci/run` installs it) and are
//! skipped with a note otherwise.

mod accept;
#[path = "pflogsumm/tables.rs"]
mod tables;

use accept::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

/// pflogsumm's command (`POSTSLEUTH_PFLOGSUMM` if set), or `None` (skip)
/// when it is missing outside CI.
fn pflogsumm() -> Option<String> {
    let cands = match std::env::var("POSTSLEUTH_PFLOGSUMM") {
        Ok(c) => vec![c],
        Err(_) => ["pflogsumm", "/usr/sbin/pflogsumm", "/usr/bin/pflogsumm"].map(String::from).to_vec(),
    };
    for cand in cands {
        if Command::new(&cand).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return Some(cand);
        }
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("pflogsumm is not installed (CI is set): apt-get install -y pflogsumm");
    }
    eprintln!("note: pflogsumm not installed; skipping the comparison (apt-get install -y pflogsumm)");
    None
}

/// pflogsumm's `adj_int_units`: above 512k a figure is shown in k (1024),
/// above 512m in m, truncated.
fn units(v: u64) -> (u64, char) {
    if v > 536_870_912 {
        (v / 1_048_576, 'm')
    } else if v > 524_288 {
        (v / 1024, 'k')
    } else {
        (v, ' ')
    }
}

/// The "Grand Totals" block: label → (figure, unit), plus "deferrals".
fn grand_totals(report: &str) -> BTreeMap<String, (u64, char)> {
    let line_re = regex::Regex::new(r"^\s*(\d+)([km ])\s+(.+?)\s*$").unwrap();
    let deferrals_re = regex::Regex::new(r"\((\d+)([km ]?)\s*deferrals\)").unwrap();
    let mut out = BTreeMap::new();
    let start = report.find("Grand Totals").expect("Grand Totals in pflogsumm's report");
    for line in report[start..].lines().skip(4) {
        if line.starts_with("Per-") || line.contains("----") {
            break;
        }
        let Some(c) = line_re.captures(line) else { continue };
        let n: u64 = c[1].parse().unwrap();
        let unit = c[2].chars().next().unwrap();
        let label = c[3].split(" (").next().unwrap().trim().to_string();
        if let Some(d) = deferrals_re.captures(&c[3]) {
            out.insert("deferrals".into(), (d[1].parse().unwrap(), d[2].chars().next().unwrap_or(' ')));
        }
        out.insert(label, (n, unit));
    }
    for want in ["received", "delivered", "forwarded", "deferred", "bounced", "rejected", "held", "discarded"] {
        assert!(out.contains_key(want), "no {want:?} in pflogsumm's Grand Totals: {out:?}\n{report}");
    }
    out
}

/// Runs pflogsumm on `log` and returns its report.
fn run_pflogsumm(cmd: &str, log: &Path) -> String {
    let out = Command::new(cmd).arg(log).output().expect("run pflogsumm");
    assert!(out.status.success(), "pflogsumm failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 report")
}

/// pflogsumm lower-cases the domain of an address (not the local part).
fn pf_address(a: &str) -> String {
    match a.split_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_lowercase()),
        None => a.to_string(),
    }
}

/// The rows a comparison reads, from `postsleuth export`.
struct Rows {
    messages: Vec<Value>,
    deliveries: Vec<Value>,
    rejects: Vec<Value>,
    /// File names in reading order, to put rows in log order.
    files: Vec<String>,
}

impl Rows {
    /// (file, line) of a row's first line: log order.
    fn order(&self, row: &Value) -> (usize, u64) {
        let name = base_name(str_of(row, "file"));
        let f = self.files.iter().position(|n| n == name).unwrap_or_else(|| panic!("{name} not read"));
        (f, u64_of(row, "line"))
    }

    /// Index (into `messages`) of the first message, in log order, that
    /// has a size for each queue ID: the one pflogsumm's `%msgSizes`
    /// remembers for that queue ID for the rest of the log.
    fn first_sized(&self) -> HashMap<&str, usize> {
        let mut idx: Vec<usize> = (0..self.messages.len()).collect();
        idx.sort_by_key(|&i| self.order(&self.messages[i]));
        let mut first = HashMap::new();
        for i in idx {
            let m = &self.messages[i];
            if m["size"].is_u64() {
                first.entry(str_of(m, "queue_id")).or_insert(i);
            }
        }
        first
    }

    fn deliveries(&self, status: &str, hop: Option<bool>) -> impl Iterator<Item = &Value> + '_ {
        let status = status.to_string();
        self.deliveries
            .iter()
            .filter(move |d| str_of(d, "status") == status && hop.is_none_or(|h| bool_of(d, "filter_hop") == h))
    }
}

fn forwarded(d: &Value) -> bool {
    str_of(d, "response").contains("forwarded as ")
}

/// pflogsumm's Grand Totals computed by its rules from postsleuth's rows.
/// `reinject_counted`: the re-injection smtpd logs under a name pflogsumm
/// takes for smtpd, so its `client=` lines count as received.
fn pflogsumm_rules(r: &Rows, reinject_counted: bool) -> BTreeMap<String, u64> {
    let first = r.first_sized();
    // `client=` of `postfix[/smtps|/submission]/smtpd`, or pickup `uid=`.
    let received: Vec<usize> = (0..r.messages.len())
        .filter(|&i| {
            let m = &r.messages[i];
            match str_of(m, "origin") {
                "pickup" => true,
                "smtpd" => reinject_counted || !bool_of(m, "is_continuation"),
                _ => false,
            }
        })
        .collect();
    // Size and sender count only at the first `from=, size=` of a queue ID.
    let counted: Vec<&Value> = received
        .iter()
        .filter(|&&i| first.get(str_of(&r.messages[i], "queue_id")) == Some(&i))
        .map(|&i| &r.messages[i])
        .collect();
    let sender = |m: &Value| match opt_str(m, "sender") {
        None | Some("") => "from=<>".to_string(),
        Some(s) => pf_address(s),
    };
    let size_of_qid = |d: &Value| u64_of(&r.messages[first[str_of(d, "queue_id")]], "size");
    let delivered: Vec<&Value> = r.deliveries("sent", None).filter(|d| !forwarded(d)).collect();
    let deferred_qids: BTreeSet<&str> = r.deliveries("deferred", None).map(|d| str_of(d, "queue_id")).collect();
    let action = |a: &str| r.rejects.iter().filter(|x| str_of(x, "action") == a).count() as u64;
    BTreeMap::from([
        ("received".into(), received.len() as u64),
        ("delivered".into(), delivered.len() as u64),
        ("forwarded".into(), r.deliveries("sent", None).filter(|d| forwarded(d)).count() as u64),
        ("deferred".into(), deferred_qids.len() as u64),
        ("deferrals".into(), r.deliveries("deferred", None).count() as u64),
        ("bounced".into(), r.deliveries("bounced", None).count() as u64),
        ("rejected".into(), action("reject")),
        ("held".into(), action("hold")),
        ("discarded".into(), action("discard")),
        ("bytes received".into(), counted.iter().map(|m| u64_of(m, "size")).sum()),
        ("bytes delivered".into(), delivered.iter().map(|d| size_of_qid(d)).sum()),
        ("senders".into(), counted.iter().map(|m| sender(m)).collect::<BTreeSet<_>>().len() as u64),
        (
            "recipients".into(),
            delivered.iter().map(|d| pf_address(str_of(d, "to"))).collect::<BTreeSet<_>>().len() as u64,
        ),
    ])
}

const BYTES: [&str; 2] = ["bytes received", "bytes delivered"];

/// pflogsumm's report equals its rules applied to postsleuth's rows.
#[track_caller]
fn assert_same_reading(pf: &BTreeMap<String, (u64, char)>, rules: &BTreeMap<String, u64>) {
    for (label, &n) in rules {
        let want = if BYTES.contains(&label.as_str()) { units(n) } else { (n, ' ') };
        assert_eq!(pf.get(label), Some(&want), "pflogsumm {label:?} vs its rules on postsleuth's rows ({n})");
    }
}

/// What one comparison found, for the assertions and the log.
struct Compared {
    case: Case,
    /// `summary --full`, every row of every table.
    summary: Value,
    rows: Rows,
    pf: BTreeMap<String, (u64, char)>,
    /// pflogsumm's whole report.
    report: String,
}

/// postsleuth's rows and every section of its summary, for `input`.
fn postsleuth_on(input: Vec<String>, file: &str) -> (Rows, Value) {
    let rows = Rows {
        messages: export_with("messages", input.clone()),
        deliveries: export_with("deliveries", input.clone()),
        rejects: export_with("rejects", input.clone()),
        files: vec![file.into()],
    };
    let mut full = input;
    full.extend(["--full", "--limit", "1000000"].map(String::from));
    (rows, summary_with(full))
}

/// Simulates `spec`, runs pflogsumm on the concatenated set (after `edit`
/// of its text) and postsleuth on the same file.
fn compare(cmd: &str, spec: Spec, edit: impl Fn(&str) -> String) -> Compared {
    let case = Case::simulate(spec);
    let text = String::from_utf8(case.concatenated()).expect("UTF-8 log");
    let log = case.dir.path().join("all.log");
    std::fs::write(&log, edit(&text)).unwrap();
    let report = run_pflogsumm(cmd, &log);
    let pf = grand_totals(&report);
    let (rows, summary) = postsleuth_on(case.input_file(&log), "all.log");
    eprintln!("{spec:?}\n  pflogsumm: {pf:?}\n  postsleuth: {}", summary["totals"]);
    Compared { case, summary, rows, pf, report }
}

/// The documented relations between pflogsumm's and postsleuth's totals.
#[track_caller]
fn assert_relations(c: &Compared, reinject_counted: bool) {
    let (t, pf, r) = (&c.case.truth, &c.pf, &c.rows);
    let ps = |name: &str| total(&c.summary, name);
    let n = |label: &str| pf[label].0;
    let hops = |status: &str| r.deliveries(status, Some(true)).count() as u64;
    let continuations = r.messages.iter().filter(|m| bool_of(m, "is_continuation")).count() as u64;
    assert_eq!(continuations, t.content_filter_continuations);
    assert!(continuations > 0 && hops("sent") > 0, "the log has a content filter");

    // received
    let extra = if reinject_counted { continuations } else { 0 };
    assert_eq!(n("received"), ps("received") + extra, "received (+ re-injected copies: {reinject_counted})");
    assert_eq!(n("received"), t.total_messages + extra, "received vs truth");
    // delivered, forwarded
    let fwd_final = r.deliveries("sent", Some(false)).filter(|d| forwarded(d)).count() as u64;
    assert_eq!(n("forwarded"), fwd_final + r.deliveries("sent", Some(true)).filter(|d| forwarded(d)).count() as u64);
    assert_eq!(n("delivered"), ps("delivered") + hops("sent") - fwd_final, "delivered = final + hand-overs");
    assert_eq!(n("delivered") + n("forwarded"), t.deliveries["sent"], "every status=sent line");
    // deferred, bounced
    assert_eq!(n("deferrals"), ps("deferred") + hops("deferred"), "deferrals = postsleuth deferred");
    assert_eq!(n("deferrals"), t.deliveries["deferred"]);
    // pflogsumm's deferred: distinct messages with a deferral, but keyed by
    // queue ID, so a reused ID's later deferred message is not counted again.
    let mut deferred_msgs: BTreeMap<u64, &str> = BTreeMap::new();
    for d in r.deliveries("deferred", None) {
        deferred_msgs.insert(u64_of(d, "message"), str_of(d, "queue_id"));
    }
    let merged = deferred_msgs.len() - deferred_msgs.values().collect::<BTreeSet<_>>().len();
    assert_eq!(n("deferred") + merged as u64, deferred_msgs.len() as u64, "deferred = messages with a deferral");
    assert_eq!(n("bounced"), ps("bounced") + hops("bounced"));
    assert_eq!(n("bounced"), t.deliveries["bounced"]);
    // rejected (postscreen's included on both sides), held, discarded
    assert_eq!(n("rejected"), ps("rejected"), "rejected");
    assert_eq!(n("rejected"), t.noqueue_rejects, "rejected vs truth (smtpd + postscreen)");
    assert!(t.postscreen_rejects > 0, "postscreen rejects are part of it");
    assert_eq!((n("held"), n("discarded")), (ps("held"), ps("discarded")), "held, discarded");

    // bytes received: postsleuth's, less what pflogsumm loses to reused
    // queue IDs, plus the re-injected copies it counts.
    let first = r.first_sized();
    let lost: u64 = received(&r.messages)
        .iter()
        .filter(|m| first.get(str_of(m, "queue_id")) != Some(&(u64_of(m, "message") as usize)))
        .map(|m| u64_of(m, "size"))
        .sum();
    let copies: u64 = if reinject_counted {
        r.messages
            .iter()
            .enumerate()
            .filter(|(i, m)| bool_of(m, "is_continuation") && first[str_of(m, "queue_id")] == *i)
            .map(|(_, m)| u64_of(m, "size"))
            .sum()
    } else {
        0
    };
    assert_eq!(pf["bytes received"], units(ps("bytes_received") - lost + copies), "bytes received");
    if t.queue_id_reuses > 0 && !t.long_ids {
        assert!(lost > 0, "a reused queue ID cost pflogsumm some bytes");
    }
    // bytes delivered: postsleuth's is the final deliveries at their own
    // message's size.
    let size_of = |d: &Value| u64_of(&r.messages[u64_of(d, "message") as usize], "size");
    let own: u64 = r.deliveries("sent", Some(false)).map(size_of).sum();
    assert_eq!(ps("bytes_delivered"), own, "postsleuth bytes delivered");
    // senders, recipients: postsleuth's are over received / final sent.
    let senders: BTreeSet<&str> = received(&r.messages).iter().filter_map(|m| opt_str(m, "sender")).collect();
    assert_eq!(ps("senders"), senders.len() as u64);
    let finals: BTreeSet<&str> =
        r.deliveries.iter().filter(|d| !bool_of(d, "filter_hop")).map(|d| str_of(d, "to")).collect();
    assert_eq!(ps("distinct_recipients"), finals.len() as u64, "distinct_recipients: final deliveries, any outcome");
    let sent_finals: BTreeSet<&str> = r.deliveries("sent", Some(false)).map(|d| str_of(d, "to")).collect();
    let all: BTreeSet<&str> = r.deliveries("sent", None).map(|d| str_of(d, "to")).collect();
    assert_eq!(n("recipients"), all.len() as u64, "recipients: hand-over addresses included");
    // pflogsumm's and postsleuth's differ by the addresses only a hand-over
    // delivered, and by those no final delivery sent (deferred, bounced).
    let hop_only = all.difference(&sent_finals).count() as u64;
    let unsent = finals.difference(&sent_finals).count() as u64;
    assert_eq!(n("recipients") - hop_only, ps("distinct_recipients") - unsent, "same delivered addresses");
}

/// The messages export lists a message's row at its index.
fn assert_message_index(rows: &Rows) {
    for (i, m) in rows.messages.iter().enumerate() {
        assert_eq!(u64_of(m, "message"), i as u64, "messages export is indexed by message");
    }
}

fn run(spec: Spec) {
    let Some(cmd) = pflogsumm() else { return };
    let c = compare(&cmd, spec, str::to_string);
    assert_message_index(&c.rows);
    // Reading the concatenated file gives postsleuth the same totals as
    // reading the rotated set.
    assert_eq!(c.summary["totals"], c.case.summary()["totals"], "one file vs the rotated set");
    assert_same_reading(&c.pf, &pflogsumm_rules(&c.rows, false));
    assert_relations(&c, false);
    tables::assert_tables(&c.report, &c.rows, &c.summary);
}

/// Short queue IDs (some reused), RFC 3164, three days with a gzip file.
#[test]
fn grand_totals_rfc3164_short_ids() {
    run(Spec::new("sasl-compromise", 1, "rfc3164").days(3));
}

/// Long queue IDs (never reused), RFC 3339.
#[test]
fn grand_totals_rfc3339_long_ids() {
    run(Spec::new("sasl-compromise", 2, "rfc3339").long_ids());
}

#[test]
fn grand_totals_webapp_script() {
    run(Spec::new("webapp-script", 1, "rfc3164"));
}

/// The README's case: a re-injection listener without its own
/// `syslog_name` logs as `postfix/smtpd`, and pflogsumm then counts every
/// message that went through the filter twice. postsleuth's figures do not
/// change.
#[test]
fn reinjected_copies_logged_as_plain_smtpd() {
    let Some(cmd) = pflogsumm() else { return };
    let spec = Spec::new("sasl-compromise", 1, "rfc3164");
    let c = compare(&cmd, spec, |t| t.replace(" postfix/reinject/smtpd[", " postfix/smtpd["));
    assert_message_index(&c.rows);
    assert_eq!(c.summary["totals"], c.case.summary()["totals"], "postsleuth counts the same either way");
    assert_same_reading(&c.pf, &pflogsumm_rules(&c.rows, true));
    assert_relations(&c, true);
}

/// pflogsumm's tables against postsleuth's sections on one log that is no
/// simulation (RFC 3339 times in UTC, so both read the same wall clock).
fn tables_of(cmd: &str, text: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("all.log");
    std::fs::write(&log, text).unwrap();
    let report = run_pflogsumm(cmd, &log);
    let input = ["--tz", "UTC", "--log-tz", "UTC", "--quiet", "--exact"].map(String::from).to_vec();
    let (rows, summary) = postsleuth_on([input, vec![log.to_str().unwrap().to_string()]].concat(), "all.log");
    tables::assert_tables(&report, &rows, &summary);
}

/// The bundled incident (three days, a content filter, postscreen).
#[test]
fn tables_on_sample_logs() {
    let Some(cmd) = pflogsumm() else { return };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let mut all = Vec::new();
    for name in ["mail.log.2.gz", "mail.log.1", "mail.log"] {
        let raw = std::fs::read(dir.join(name)).unwrap();
        if name.ends_with(".gz") {
            std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&raw[..]), &mut all).unwrap();
        } else {
            all.extend_from_slice(&raw);
        }
    }
    tables_of(&cmd, &all);
}

/// The sections' fixture: the null sender, a pickup submission, reject
/// warnings, header checks, a milter, postscreen.
#[test]
fn tables_on_fixtures() {
    let Some(cmd) = pflogsumm() else { return };
    for name in ["sections.log", "content_filter_reinjection.log", "queue_id_reuse.log"] {
        let text = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).unwrap();
        eprintln!("{name}");
        tables_of(&cmd, &text);
    }
}
