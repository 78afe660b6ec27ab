//! A periodic abuse report as files: `report.md`, `report.html` (one
//! self-contained page: inline CSS and SVG, no script, no network),
//! `report.json` (every figure) and one CSV per table.
//!
//! Every string from the log is hostile. Each writer escapes for where it
//! lands: HTML (and SVG text) via [`html::esc`], Markdown via
//! [`super::markdown_escape`], CSV through [`super::write_frame`]'s
//! formula neutralising; JSON is JSON.
//!
//! The files depend only on the report and its [`Meta`]: the same input
//! gives the same bytes, except for the one line that says when the report
//! was generated.

mod csv;
mod html;
mod json;
mod markdown;
pub mod publish;
mod svg;

use crate::analyze::report::{Report, SuspectView};
use crate::analyze::Totals;
use crate::time::{Micros, Zone};

/// What a report says about how it was made.
pub struct Meta {
    /// RFC 3339 UTC; the only thing that differs between two runs on the
    /// same input.
    pub generated_at: String,
    pub version: &'static str,
    /// Zone of the period's boundaries and the times shown.
    pub zone: Zone,
    pub files: Vec<InputFile>,
    /// First and last line of the input (all of it, not only the period).
    pub span: Option<(Micros, Micros)>,
    /// Some input was missing or unreadable: the figures may be low.
    pub partial: bool,
    /// The logs begin after the previous period starts: its totals are low.
    pub previous_partial: bool,
    /// Where countries and ASNs came from, with the attribution the data's
    /// licence asks for.
    pub geo: String,
    /// Abuse-desk blocks shown in Markdown and HTML (JSON and CSV hold all).
    pub abuse_limit: usize,
}

/// One input file, as the report lists it.
pub struct InputFile {
    pub name: String,
    pub lines: u64,
    pub skipped: u64,
    pub error: Option<String>,
}

/// A file of the report: its name in the folder, and its bytes.
pub struct OutFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// All files of the report.
pub fn render(r: &Report, meta: &Meta) -> anyhow::Result<Vec<OutFile>> {
    let mut files = vec![
        OutFile { name: "report.md".into(), bytes: markdown::render(r, meta)?.into_bytes() },
        OutFile { name: "report.html".into(), bytes: html::render(r, meta)?.into_bytes() },
        OutFile { name: "report.json".into(), bytes: json::render(r, meta)? },
    ];
    files.extend(csv::render(r)?);
    Ok(files)
}

/// A total of the report: its id (JSON key, CSV row), its label, and
/// whether a rise is bad news (shown in red).
pub struct TotalRow {
    pub id: &'static str,
    pub label: &'static str,
    pub value: u64,
    pub previous: u64,
    pub rise_is_bad: bool,
}

/// id, label, the figure, whether a rise is bad.
type Pick = (&'static str, &'static str, fn(&Totals) -> u64, bool);

/// The totals, in the order they are shown.
pub fn total_rows(cur: &Totals, prev: &Totals) -> Vec<TotalRow> {
    let pick: [Pick; 16] = [
        ("received", "received", |t| t.received, false),
        ("delivered", "delivered", |t| t.delivered, false),
        ("deferred", "deferred", |t| t.deferred, true),
        ("bounced", "bounced", |t| t.bounced, true),
        ("rejected", "rejected", |t| t.rejected, true),
        ("held", "held", |t| t.held, true),
        ("discarded", "discarded", |t| t.discarded, true),
        ("expired", "expired", |t| t.expired, true),
        ("deleted", "deleted by postsuper", |t| t.deleted, true),
        ("still_queued", "still queued at end of input", |t| t.still_queued, false),
        ("bytes_received", "bytes received", |t| t.bytes_received, false),
        ("bytes_delivered", "bytes delivered", |t| t.bytes_delivered, false),
        ("senders", "senders", |t| t.senders, false),
        ("distinct_recipients", "distinct recipients", |t| t.distinct_recipients, false),
        ("auth_failures", "auth failures", |t| t.auth_failures, true),
        ("auth_successes", "successful logins", |t| t.auth_successes, false),
    ];
    pick.iter()
        .map(|&(id, label, f, bad)| TotalRow { id, label, value: f(cur), previous: f(prev), rise_is_bad: bad })
        .collect()
}

impl TotalRow {
    pub fn change(&self) -> i64 {
        self.value as i64 - self.previous as i64
    }

    /// Percent change, when there was something to compare with.
    pub fn change_pct(&self) -> Option<f64> {
        (self.previous > 0).then(|| self.change() as f64 * 100.0 / self.previous as f64)
    }

    /// `+12 (+4.5%)`, `−3 (−50%)`, `new`, or `=`.
    pub fn change_text(&self) -> String {
        match (self.change(), self.change_pct()) {
            (0, _) => "=".into(),
            (_, None) => "new".into(),
            (d, Some(p)) => {
                let sign = if d < 0 { "\u{2212}" } else { "+" };
                format!("{sign}{} ({}%)", thousands(d.unsigned_abs()), signed(p, if p.abs() < 10.0 { 1 } else { 0 }))
            }
        }
    }

    /// `up` or `down` (for colour), and whether that is bad news.
    pub fn direction(&self) -> (&'static str, bool) {
        match self.change() {
            0 => ("same", false),
            d if d > 0 => ("up", self.rise_is_bad),
            _ => ("down", false),
        }
    }
}

/// `+4.5` or `−3` (a true minus sign: it cannot start a CSV formula).
fn signed(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    if x < 0.0 {
        format!("\u{2212}{s}")
    } else {
        format!("+{s}")
    }
}

/// `1,234,567`: figures people compare at a glance.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 message`, `2,000 messages`, `3 addresses`, `2 countries`.
pub fn noun(n: u64, word: &str) -> String {
    if n == 1 {
        return format!("1 {word}");
    }
    let many = match word.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) => format!("{stem}ies"),
        _ if word.ends_with(['s', 'x']) => format!("{word}es"),
        _ => format!("{word}s"),
    };
    format!("{} {many}", thousands(n))
}

/// How the period is named in titles: `day 2026-11-22`.
pub fn period_title(r: &Report) -> String {
    match (r.period.kind, r.period.label.split_once('_')) {
        ("custom", Some((from, to))) => format!("{from} to {to}"),
        (kind, _) => format!("{kind} {}", r.period.label),
    }
}

/// `2026-11-22 00:00 → 2026-11-23 00:00 (UTC)`.
pub fn span_text(start: Micros, end: Micros, zone: &Zone) -> String {
    let short = |t: Micros| zone.format(t, false)[..16].to_string();
    format!("{} → {} ({})", short(start), short(end), zone)
}

/// One sentence per offender: what it did, when, in UTC (for abuse desks,
/// who do not share our zone).
pub fn offender_summary(o: &crate::analyze::report::Offender) -> String {
    let mut what = Vec::new();
    if o.auth_failures > 0 {
        let tried = noun(o.usernames_tried, "username");
        what.push(format!("{} (password guessing, {tried} tried)", noun(o.auth_failures, "failed SMTP AUTH login")));
    }
    if o.rejects > 0 {
        what.push(noun(o.rejects, "rejected SMTP command"));
    }
    if o.spam_messages > 0 {
        let n = noun(o.spam_messages, "message");
        what.push(format!("{n} sent after logging in with the stolen password of one of our users"));
    }
    let from = if o.ips.len() > 1 {
        format!("{} in {}", noun(o.ips.len() as u64, "address"), o.network)
    } else {
        o.subject.clone()
    };
    format!(
        "Between {} and {} (UTC), {from} made {} against our mail server.",
        crate::time::rfc3339_utc(o.first),
        crate::time::rfc3339_utc(o.last),
        what.join(" and ")
    )
}

/// Why the figures may be low, for the top of the report.
pub fn warnings(meta: &Meta) -> Vec<String> {
    let mut w = Vec::new();
    if meta.partial {
        w.push("Some input could not be read (see Input below): the figures may be low.".to_string());
    }
    if meta.previous_partial {
        let first = meta.span.map_or_else(|| "?".to_string(), |s| crate::time::rfc3339_utc(s.0));
        w.push(format!(
            "The logs begin at {first}, after the previous period began: its figures, and the changes, are incomplete."
        ));
    }
    w
}

/// What the abuse-desk section holds and how it was chosen.
pub fn abuse_intro(r: &Report, meta: &Meta) -> String {
    let l = &r.limits;
    let shown = r.offenders.len().min(meta.abuse_limit);
    format!(
        "{} networks (/24 for IPv4, /64 for IPv6) made at least {} auth failures or {} rejected commands in the \
         period, or sent mail as a compromised account (see Suspects); the {} with the most abuse are below, one \
         block each, ready to send to the network's abuse contact (whois IP, abuse-mailbox). Times are UTC. Check \
         each block before sending: a user's own office can mistype a password too.",
        r.offenders.len(),
        l.min_failures,
        l.min_rejects,
        shown
    )
}

/// `IN · AS45609 Bharti Airtel Ltd.` (what is known).
pub fn geo_text(o: &crate::analyze::report::Offender) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &o.country {
        parts.push(c.clone());
    }
    match (o.asn, &o.as_org) {
        (Some(a), Some(org)) => parts.push(format!("AS{a} {org}")),
        (Some(a), None) => parts.push(format!("AS{a}")),
        _ => {}
    }
    parts.join(" · ")
}

/// An offender's non-zero counts, labelled.
pub fn offender_counts(o: &crate::analyze::report::Offender) -> Vec<(&'static str, u64)> {
    [
        ("auth failures", o.auth_failures),
        ("usernames tried", o.usernames_tried),
        ("rejected commands", o.rejects),
        ("messages sent with a stolen password", o.spam_messages),
    ]
    .into_iter()
    .filter(|(_, v)| *v > 0)
    .collect()
}

/// An offending network's addresses with what each did (the first 20).
pub fn ip_list(o: &crate::analyze::report::Offender) -> String {
    let mut s: Vec<String> = o
        .ips
        .iter()
        .take(20)
        .map(|i| {
            let mut did = Vec::new();
            if i.auth_failures > 0 {
                did.push(noun(i.auth_failures, "auth failure"));
            }
            if i.rejects > 0 {
                did.push(format!("{} rejected", thousands(i.rejects)));
            }
            if i.spam_messages > 0 {
                did.push(format!("{} sent", noun(i.spam_messages, "message")));
            }
            format!("{} ({})", i.ip, did.join(", "))
        })
        .collect();
    if o.ips.len() > 20 {
        s.push(format!("and {} more", o.ips.len() - 20));
    }
    s.join(", ")
}

/// What a suspect is, as sentences: since when and why, what it did
/// after, the brute force before it. Times in `zone`.
pub fn suspect_story(v: &SuspectView, zone: &Zone) -> Vec<String> {
    let s = &v.suspect;
    let at = |t: Micros| zone.format(t, true);
    let mut out = Vec::new();
    match (&s.compromise, s.since()) {
        (Some(l), _) => out.push(format!(
            "Compromised since {}: the first login from somewhere new that abnormal volume followed came from {}.",
            at(l.time),
            l.place()
        )),
        (None, Some(t)) => out.push(format!("Abnormal volume since {} (no login marks the start).", at(t))),
        (None, None) => {}
    }
    let a = &s.after;
    out.push(format!(
        "From then on: {} to {}, {:.0}% of them deferred or bounced, from {} in {}; {} still queued at the end.",
        noun(a.messages, "message"),
        noun(a.recipients, "recipient"),
        a.troubled_share() * 100.0,
        noun(a.client_ips, "client IP"),
        noun(a.countries, "country"),
        thousands(a.still_queued)
    ));
    if let Some(w) = &s.wave {
        out.push(format!(
            "Before it: a brute-force wave of {} ({} naming the account) from {} in {}, {} to {}.",
            noun(w.failures, "auth failure"),
            thousands(w.named),
            noun(w.ips, "IP"),
            noun(w.networks, "network"),
            at(w.first.time),
            at(w.last.time)
        ));
    }
    if let Some(g) = &s.gun {
        out.push(format!(
            "A login from {} came right after {} from the same {}.",
            g.ip,
            noun(g.failures, "auth failure"),
            g.scope
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(value: u64, previous: u64) -> TotalRow {
        TotalRow { id: "x", label: "x", value, previous, rise_is_bad: true }
    }

    #[test]
    fn changes_read_naturally() {
        assert_eq!(row(150, 100).change_text(), "+50 (+50%)");
        assert_eq!(row(4000, 1000).change_text(), "+3,000 (+300%)");
        assert_eq!(row(95, 100).change_text(), "\u{2212}5 (\u{2212}5.0%)");
        assert_eq!(row(3, 0).change_text(), "new");
        assert_eq!(row(7, 7).change_text(), "=");
        assert_eq!(row(8, 7).direction(), ("up", true));
    }

    #[test]
    fn nouns_agree_with_their_number() {
        assert_eq!(noun(1, "message"), "1 message");
        assert_eq!(noun(2000, "message"), "2,000 messages");
        assert_eq!(noun(3, "address"), "3 addresses");
        assert_eq!(noun(2, "country"), "2 countries");
        assert_eq!(noun(0, "client IP"), "0 client IPs");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
