//! pflogsumm's tables beside postsleuth's sections (`summary --full`): per
//! day, per hour, by recipient domain, by sender domain, senders and
//! recipients. Each is checked as the grand totals are: pflogsumm's
//! figures against its own rules applied to postsleuth's exported rows
//! (both read the same lines), postsleuth's against its definitions on the
//! same rows, and the two against each other through the differences the
//! README names ("Differences from pflogsumm"), each computed here:
//!
//! - **hand-overs**: pflogsumm counts a hand-over to a content filter as a
//!   delivery (delivered, deferred and bounced per day and hour; sent,
//!   defers and delays per recipient domain; recipients);
//! - **rejected per day and hour**: pflogsumm's includes reject warnings,
//!   holds and discards, and leaves out smtpd's milter and before-queue
//!   filter rejects;
//! - **reused queue IDs**: pflogsumm keeps a queue ID's first size and
//!   sender for the rest of the log (senders, sender domains, bytes);
//! - **no sender domain**: pflogsumm files the null sender `<>` and senders
//!   without a domain under the client's domain, postsleuth under the
//!   empty domain; pflogsumm lower-cases the domain of every address;
//! - **hours over several days**: pflogsumm rounds the daily average to a
//!   whole number, postsleuth to a tenth; hours without traffic are not
//!   rows of postsleuth's table.

use super::*;

/// One pflogsumm table: each row's whitespace-separated words (empty when
/// pflogsumm says `none` or leaves the table out).
fn pf_table<'a>(report: &'a str, title: &str) -> Vec<Vec<&'a str>> {
    let lines: Vec<&str> = report.lines().collect();
    let Some(at) = lines.iter().position(|l| l.starts_with(title)) else { return Vec::new() };
    if lines[at].ends_with(": none") {
        return Vec::new();
    }
    // The title's underline, then a column header and its underline.
    let mut i = at + 2;
    if lines.get(i + 1).is_some_and(|l| l.trim_start().starts_with("---")) {
        i += 2;
    }
    lines[i..].iter().take_while(|l| !l.trim().is_empty()).map(|l| l.split_whitespace().collect()).collect()
}

/// `1234k` → (1234, 'k'); `56` → (56, ' ').
fn pf_number(w: &str) -> (u64, char) {
    match w.strip_suffix(['k', 'm']) {
        Some(n) => (n.parse().unwrap(), w.chars().last().unwrap()),
        None => (w.parse().unwrap_or_else(|_| panic!("not a pflogsumm number: {w}")), ' '),
    }
}

/// pflogsumm's `adj_time_units` and `%5.1f %s`: `1.8 m`.
fn pf_time(secs: f64) -> String {
    let (v, unit) = if secs > 3600.0 {
        (secs / 3600.0, 'h')
    } else if secs > 60.0 {
        (secs / 60.0, 'm')
    } else {
        (secs, 's')
    };
    format!("{v:.1} {unit}")
}

/// `Nov 20 2026` → `11-20`: pflogsumm dates RFC 3164 lines in the year
/// it runs in, so days are compared without their year.
fn pf_date(words: &[&str]) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == words[0]).unwrap() + 1;
    format!("{month:02}-{:02}", words[1].parse::<u32>().unwrap())
}

/// `2026-11-20T…` → `11-20`.
fn day(t: &str) -> String {
    t[5..10].to_string()
}

fn hour(t: &str) -> String {
    t[11..13].to_string()
}

/// pflogsumm's `gimme_domain` of a client: the IP for `unknown`, else the
/// name cut to its last two labels (three for `xx.co.uk`-like ones).
fn gimme_domain(name: &str, ip: &str) -> String {
    if name.is_empty() || name == "unknown" {
        return ip.to_string();
    }
    let re = regex::Regex::new(r"^(.*)\.([^.]+)\.([^.]{3}|[^.]{2,3}\.[^.]{2})$").unwrap();
    match re.captures(name) {
        Some(c) => format!("{}.{}", &c[2], &c[3]).to_lowercase(),
        None => name.to_string(),
    }
}

/// The day-or-hour tables' five figures, in pflogsumm's column order.
const TRAFFIC: [&str; 5] = ["received", "delivered", "deferred", "bounced", "rejected"];

type Traffic = BTreeMap<String, [u64; 5]>;

fn add(t: &mut Traffic, key: String, column: usize) {
    t.entry(key).or_insert([0; 5])[column] += 1;
}

/// Whether pflogsumm counts a reject row in its "rejected" per day and
/// hour: smtpd's and postscreen's reject, reject_warning, hold and discard,
/// cleanup's reject, milter-reject, warning, hold and discard.
fn pf_counts_reject(x: &Value) -> bool {
    let (action, via, daemon) = (str_of(x, "action"), opt_str(x, "via").unwrap_or(""), str_of(x, "daemon"));
    match via {
        "" => matches!(action, "reject" | "reject_warning" | "hold" | "discard" | "warning"),
        "milter" => daemon == "cleanup" && action == "reject",
        _ => false,
    }
}

/// Traffic by `key` of each line's time, by pflogsumm's rules.
fn pf_traffic(r: &Rows, key: fn(&str) -> String) -> Traffic {
    let mut t = Traffic::new();
    for m in r.messages.iter().filter(|m| pf_received(m)) {
        add(&mut t, key(str_of(m, "first_seen")), 0);
    }
    for d in &r.deliveries {
        let column = match str_of(d, "status") {
            "sent" if !forwarded(d) => 1,
            "deferred" => 2,
            "bounced" => 3,
            _ => continue,
        };
        add(&mut t, key(str_of(d, "time")), column);
    }
    for x in r.rejects.iter().filter(|x| pf_counts_reject(x)) {
        add(&mut t, key(str_of(x, "time")), 4);
    }
    t
}

/// What pflogsumm counts and postsleuth does not, by `key`: hand-overs
/// (delivered, deferred, bounced), rejects that are none of postsleuth's
/// `rejected`; less what postsleuth counts and pflogsumm does not (smtpd's
/// milter and proxy rejects), as a signed difference per figure.
fn traffic_delta(r: &Rows, key: fn(&str) -> String) -> BTreeMap<String, [i64; 5]> {
    let mut t: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    let mut bump = |k: String, c: usize, by: i64| t.entry(k).or_insert([0; 5])[c] += by;
    for d in r.deliveries.iter().filter(|d| bool_of(d, "filter_hop")) {
        let column = match str_of(d, "status") {
            "sent" if !forwarded(d) => 1,
            "deferred" => 2,
            "bounced" => 3,
            _ => continue,
        };
        bump(key(str_of(d, "time")), column, 1);
    }
    for x in &r.rejects {
        let ours = str_of(x, "action") == "reject";
        match (pf_counts_reject(x), ours) {
            (true, false) => bump(key(str_of(x, "time")), 4, 1),
            (false, true) => bump(key(str_of(x, "time")), 4, -1),
            _ => {}
        }
    }
    t
}

/// postsleuth's rows of a day-or-hour table, by `key_column`.
fn ps_traffic(rows: &[Value], key_column: &str) -> BTreeMap<String, [f64; 5]> {
    rows.iter()
        .map(|row| {
            let k = match &row[key_column] {
                Value::String(s) => day(&format!("{s}T")),
                Value::Number(n) => format!("{:02}", n.as_u64().unwrap()),
                other => panic!("{key_column}: {other}"),
            };
            (k, TRAFFIC.map(|f| row[f].as_f64().unwrap()))
        })
        .collect()
}

/// Per day: pflogsumm's table is its rules on the rows; postsleuth's is
/// pflogsumm's less the named differences.
fn per_day(report: &str, r: &Rows, summary: &Value) {
    let pf: Traffic = pf_table(report, "Per-Day Traffic Summary")
        .iter()
        .map(|w| (pf_date(w), [3, 4, 5, 6, 7].map(|i| pf_number(w[i]).0)))
        .collect();
    let days = summary["traffic_per_day"].as_array().unwrap();
    if days.len() < 2 {
        assert!(pf.is_empty(), "pflogsumm shows days only for several");
        return;
    }
    assert_eq!(pf, pf_traffic(r, day), "pflogsumm's per-day table is its rules on postsleuth's rows");
    let ours = ps_traffic(days, "day");
    let delta = traffic_delta(r, day);
    assert_eq!(ours.keys().collect::<Vec<_>>(), pf.keys().collect::<Vec<_>>(), "the same days");
    for (k, figures) in &pf {
        for (i, name) in TRAFFIC.iter().enumerate() {
            let d = delta.get(k).map_or(0, |d| d[i]);
            assert_eq!(ours[k][i] as i64 + d, figures[i] as i64, "{k} {name}: postsleuth + difference = pflogsumm");
        }
    }
}

/// Per hour: pflogsumm's daily average is the whole number nearest its
/// hour's count over the days, postsleuth's the tenth nearest.
fn per_hour(report: &str, r: &Rows, summary: &Value) {
    let days = summary["traffic_per_day"].as_array().unwrap().len().max(1) as u64;
    let pf: Traffic = pf_table(report, "Per-Hour Traffic")
        .iter()
        .map(|w| (w[0][..2].to_string(), [1, 2, 3, 4, 5].map(|i| pf_number(w[i]).0)))
        .collect();
    assert_eq!(pf.len(), 24, "pflogsumm shows every hour");
    let sums = pf_traffic(r, hour);
    let delta = traffic_delta(r, hour);
    let ours = ps_traffic(summary["traffic_per_hour"].as_array().unwrap(), "hour");
    for (h, figures) in &pf {
        let sum = sums.get(h).copied().unwrap_or([0; 5]);
        for (i, name) in TRAFFIC.iter().enumerate() {
            // Perl's `int($n / $days + .5)`.
            assert_eq!(figures[i], (sum[i] as f64 / days as f64 + 0.5) as u64, "pflogsumm {h}h {name}");
            let own = sum[i] as i64 - delta.get(h).map_or(0, |d| d[i]);
            let want =
                if days > 1 { ((own as f64 * 10.0 / days as f64 + 0.5) as i64) as f64 / 10.0 } else { own as f64 };
            let got = ours.get(h).map_or(0.0, |o| o[i]);
            assert_eq!(got, want, "postsleuth {h}h {name}: (pflogsumm's count - difference) / {days} days, to a tenth");
        }
    }
    assert!(ours.keys().all(|h| pf.contains_key(h)), "hours of the day");
}

/// `(count, bytes)` per key.
type Counted = BTreeMap<String, (u64, u64)>;

fn count(map: &mut Counted, key: String, bytes: u64) {
    let e = map.entry(key).or_insert((0, 0));
    e.0 += 1;
    e.1 += bytes;
}

/// `key → (count, bytes)` as pflogsumm shows them (with units).
type Shown = BTreeMap<String, ((u64, char), (u64, char))>;

/// A pflogsumm table of `count bytes … key` rows, its key last.
fn pf_counted(rows: &[Vec<&str>], count_at: usize, bytes_at: usize) -> Shown {
    rows.iter().map(|w| (w[w.len() - 1].to_string(), (pf_number(w[count_at]), pf_number(w[bytes_at])))).collect()
}

fn with_units(c: &Counted) -> Shown {
    c.iter().map(|(k, &(n, b))| (k.clone(), (units(n), units(b)))).collect()
}

/// Whether pflogsumm counts a message as received (its `client=` line
/// from smtpd, or pickup's `uid=`), a re-injected copy's smtpd aside.
fn pf_received(m: &Value) -> bool {
    str_of(m, "origin") == "pickup" || (str_of(m, "origin") == "smtpd" && !bool_of(m, "is_continuation"))
}

/// The messages pflogsumm counts senders of: received, at the first sized
/// message of each queue ID.
fn pf_senders_of(r: &Rows) -> Vec<&Value> {
    let first = r.first_sized();
    r.messages
        .iter()
        .filter(|m| pf_received(m))
        .filter(|m| first.get(str_of(m, "queue_id")) == Some(&(u64_of(m, "message") as usize)))
        .collect()
}

fn pf_sender(m: &Value) -> String {
    match opt_str(m, "sender") {
        None | Some("") => "from=<>".to_string(),
        Some(s) => pf_address(s),
    }
}

/// pflogsumm's sending domain: the sender's, else the client's.
fn pf_sender_domain(m: &Value) -> String {
    let a = pf_sender(m);
    match a.split_once('@') {
        Some((local, domain)) if !local.is_empty() => domain.to_string(),
        _ if str_of(m, "origin") == "pickup" => a,
        _ => gimme_domain(opt_str(m, "client_name").unwrap_or(""), opt_str(m, "client_ip").unwrap_or("")),
    }
}

/// A postsleuth table's `key → (count, bytes)`.
fn ps_counted(rows: &[Value], key: &str, n: &str, bytes: &str) -> Counted {
    rows.iter().map(|r| (str_of(r, key).to_string(), (u64_of(r, n), u64_of(r, bytes)))).collect()
}

/// postsleuth's accepted messages with a known sender.
fn accepted_senders(r: &Rows) -> Vec<&Value> {
    received(&r.messages)
        .into_iter()
        .filter(|m| str_of(m, "state") != "rejected" && opt_str(m, "sender").is_some())
        .collect()
}

/// Senders and sender domains: pflogsumm's are its rules on the rows;
/// postsleuth's differ by the messages of reused queue IDs, the case of
/// domains, and (domains) where a sender has none.
fn senders(report: &str, r: &Rows, summary: &Value) {
    let counted = pf_senders_of(r);
    let mut pf_users = Counted::new();
    let mut pf_domains = Counted::new();
    for m in &counted {
        count(&mut pf_users, pf_sender(m), u64_of(m, "size"));
        count(&mut pf_domains, pf_sender_domain(m), u64_of(m, "size"));
    }
    let by_count = pf_table(report, "Senders by message count");
    let by_size = pf_table(report, "Senders by message size");
    let pf_n: BTreeMap<String, (u64, char)> = by_count.iter().map(|w| (w[1].to_string(), pf_number(w[0]))).collect();
    let pf_b: BTreeMap<String, (u64, char)> = by_size.iter().map(|w| (w[1].to_string(), pf_number(w[0]))).collect();
    assert_eq!(pf_n, pf_users.iter().map(|(k, v)| (k.clone(), units(v.0))).collect(), "senders by count");
    assert_eq!(pf_b, pf_users.iter().map(|(k, v)| (k.clone(), units(v.1))).collect(), "senders by size");
    let domains = pf_counted(&pf_table(report, "Host/Domain Summary: Messages Received"), 0, 1);
    assert_eq!(domains, with_units(&pf_domains), "sender domains");

    // postsleuth: accepted messages by sender (and domain); the counted
    // ones and the messages pflogsumm lost to a reused queue ID are all.
    let ours = ps_counted(summary["senders_by_messages"].as_array().unwrap(), "sender", "messages", "bytes");
    let mut want = Counted::new();
    let mut lost = Counted::new();
    let counted_ids: BTreeSet<u64> = counted.iter().map(|m| u64_of(m, "message")).collect();
    let first = r.first_sized();
    for m in accepted_senders(r) {
        let size = m["size"].as_u64().unwrap_or(0);
        count(&mut want, str_of(m, "sender").to_string(), size);
        if !counted_ids.contains(&u64_of(m, "message")) {
            let reused = first.get(str_of(m, "queue_id")).is_some_and(|&i| i != u64_of(m, "message") as usize);
            assert!(reused && pf_received(m), "only a reused queue ID loses pflogsumm a sender: {m}");
            count(&mut lost, pf_sender(m), size);
        }
    }
    assert_eq!(ours, want, "postsleuth's senders: its accepted messages");
    let mut back = Counted::new();
    for (s, &(n, b)) in &ours {
        let e = back.entry(if s.is_empty() { "from=<>".into() } else { pf_address(s) }).or_insert((0, 0));
        e.0 += n;
        e.1 += b;
    }
    for (s, &(n, b)) in &lost {
        let e = back.get_mut(s).unwrap();
        (e.0, e.1) = (e.0 - n, e.1 - b);
    }
    back.retain(|_, v| v.0 > 0);
    assert_eq!(back, pf_users, "postsleuth's senders, less the reused queue IDs' messages, are pflogsumm's");
    let ours_domains =
        ps_counted(summary["received_by_sender_domain"].as_array().unwrap(), "sender_domain", "messages", "bytes");
    let mut by_domain = Counted::new();
    for m in accepted_senders(r) {
        count(&mut by_domain, opt_str(m, "sender_domain").unwrap_or("").to_string(), m["size"].as_u64().unwrap_or(0));
    }
    assert_eq!(ours_domains, by_domain, "postsleuth's sender domains: the empty one where a sender has none");
}

/// Recipients: pflogsumm's count the hand-overs too, at the size of each
/// queue ID's first message.
fn recipients(report: &str, r: &Rows, summary: &Value) {
    let first = r.first_sized();
    let size_of_qid = |d: &Value| first.get(str_of(d, "queue_id")).map_or(0, |&i| u64_of(&r.messages[i], "size"));
    let mut pf = Counted::new();
    let mut hops: BTreeMap<String, u64> = BTreeMap::new();
    for d in r.deliveries("sent", None).filter(|d| !forwarded(d)) {
        count(&mut pf, pf_address(str_of(d, "to")), size_of_qid(d));
        if bool_of(d, "filter_hop") {
            *hops.entry(pf_address(str_of(d, "to"))).or_default() += 1;
        }
    }
    let by_count = pf_table(report, "Recipients by message count");
    let pf_n: BTreeMap<String, (u64, char)> = by_count.iter().map(|w| (w[1].to_string(), pf_number(w[0]))).collect();
    assert_eq!(pf_n, pf.iter().map(|(k, v)| (k.clone(), units(v.0))).collect(), "recipients by count");
    let by_size = pf_table(report, "Recipients by message size");
    let pf_b: BTreeMap<String, (u64, char)> = by_size.iter().map(|w| (w[1].to_string(), pf_number(w[0]))).collect();
    assert_eq!(pf_b, pf.iter().map(|(k, v)| (k.clone(), units(v.1))).collect(), "recipients by size");
    let ours = ps_counted(
        summary["recipients_by_deliveries"].as_array().unwrap(),
        "recipient",
        "delivered",
        "bytes_delivered",
    );
    let mut want = Counted::new();
    for d in r.deliveries("sent", Some(false)) {
        count(&mut want, str_of(d, "to").to_string(), u64_of(&r.messages[u64_of(d, "message") as usize], "size"));
    }
    assert_eq!(ours, want, "postsleuth's recipients: final deliveries, each at its own message's size");
    for (a, &(n, _)) in &pf {
        let own = ours.iter().filter(|(k, _)| pf_address(k) == *a).map(|(_, v)| v.0).sum::<u64>();
        assert_eq!(own + hops.get(a).copied().unwrap_or(0), n, "{a}: postsleuth's + hand-overs = pflogsumm's");
    }
}

/// Per recipient domain: sent, bytes, defers, average and longest delay.
#[derive(Debug, Default, PartialEq)]
struct DomainFigures {
    sent: u64,
    bytes: u64,
    defers: u64,
    delay_sum: f64,
    delay_max: f64,
}

fn recipient_domain(to: &str) -> String {
    let a = pf_address(to);
    a.split_once('@').map_or(a.clone(), |(_, d)| d.to_string())
}

/// Delivery by recipient domain: pflogsumm's rules (every delivery line,
/// hand-overs included) and postsleuth's (final deliveries) on the rows,
/// and the hand-overs between them.
fn recipient_domains(report: &str, r: &Rows, summary: &Value) {
    let first = r.first_sized();
    let size_of_qid = |d: &Value| first.get(str_of(d, "queue_id")).map_or(0, |&i| u64_of(&r.messages[i], "size"));
    let delay = |d: &Value| d["delay"].as_f64().unwrap();
    let tally = |finals_only: bool, own_size: bool| {
        let mut t: BTreeMap<String, DomainFigures> = BTreeMap::new();
        for d in r.deliveries.iter().filter(|d| !finals_only || !bool_of(d, "filter_hop")) {
            let status = str_of(d, "status");
            if !(status == "sent" && !forwarded(d) || status == "deferred") {
                continue;
            }
            let f = t.entry(recipient_domain(str_of(d, "to"))).or_default();
            if status == "sent" {
                f.sent += 1;
                f.bytes +=
                    if own_size { u64_of(&r.messages[u64_of(d, "message") as usize], "size") } else { size_of_qid(d) };
                f.delay_sum += delay(d);
            } else {
                f.defers += 1;
            }
            f.delay_max = f.delay_max.max(delay(d));
        }
        t
    };
    let pf_rules = tally(false, false);
    let pf: BTreeMap<String, (String, String, String, String, String)> =
        pf_table(report, "Host/Domain Summary: Message Delivery")
            .iter()
            .map(|w| {
                let n = |i: usize| format!("{:?}", pf_number(w[i]));
                (w[7].to_string(), (n(0), n(1), n(2), format!("{} {}", w[3], w[4]), format!("{} {}", w[5], w[6])))
            })
            .collect();
    let want: BTreeMap<String, (String, String, String, String, String)> = pf_rules
        .iter()
        .map(|(k, f)| {
            let avg = if f.sent > 0 { f.delay_sum / f.sent as f64 } else { 0.0 };
            let n = |v: u64| format!("{:?}", units(v));
            (k.clone(), (n(f.sent), n(f.bytes), n(f.defers), pf_time(avg), pf_time(f.delay_max)))
        })
        .collect();
    assert_eq!(pf, want, "pflogsumm's recipient domains are its rules on postsleuth's rows");
    let ours_rules = tally(true, true);
    for row in summary["delivery_by_recipient_domain"].as_array().unwrap() {
        let f = &ours_rules[str_of(row, "recipient_domain")];
        assert_eq!(
            (
                u64_of(row, "delivered"),
                u64_of(row, "bytes_delivered"),
                u64_of(row, "deferred"),
                row["max_delay"].as_f64()
            ),
            (f.sent, f.bytes, f.defers, Some(f.delay_max)),
            "postsleuth's {row}: final deliveries"
        );
        // The mean to 0.01 s (either way at a tie: sums in another order
        // differ in their last bit).
        match row["avg_delay"].as_f64() {
            Some(avg) => {
                let mean = f.delay_sum / f.sent as f64;
                assert!(
                    (avg - mean).abs() <= 0.005 + 1e-9 && (avg * 100.0 - (avg * 100.0).round()).abs() < 1e-6,
                    "{row}: {mean}"
                );
            }
            None => assert_eq!(f.sent, 0, "{row}: an average of delivered deliveries"),
        }
        let p = &pf_rules[str_of(row, "recipient_domain")];
        let hop = |status: &str| {
            r.deliveries(status, Some(true))
                .filter(|d| !forwarded(d) && recipient_domain(str_of(d, "to")) == str_of(row, "recipient_domain"))
                .count() as u64
        };
        assert_eq!((f.sent + hop("sent"), f.defers + hop("deferred")), (p.sent, p.defers), "{row}: + hand-overs");
    }
    assert_eq!(summary["delivery_by_recipient_domain"].as_array().unwrap().len(), ours_rules.len(), "every domain");
}

/// Every table of a comparison.
pub fn assert_tables(report: &str, r: &Rows, summary: &Value) {
    per_day(report, r, summary);
    per_hour(report, r, summary);
    recipient_domains(report, r, summary);
    senders(report, r, summary);
    recipients(report, r, summary);
}
