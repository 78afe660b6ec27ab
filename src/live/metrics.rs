//! `watch --metrics`: the counters postfix_exporter users know (the same
//! names as kumina/postfix_exporter where it has one), counted from every
//! event as it is correlated, plus per-account figures for the current top
//! accounts only, so that the number of series stays bounded whatever the
//! log holds (the exporter's per-user counters grew without bound), and
//! `watch`'s own figures. Served as Prometheus' text exposition format by
//! a small HTTP server on a loopback address unless told otherwise.

use crate::correlate::LineCtx;
use crate::event::{CleanupVerdict, DeliveryStatus, Event};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Distinct values a label takes before the rest count as `other`: label
/// values come from log lines, and each is a series.
const MAX_LABEL_VALUES: usize = 32;

/// Recipients per message, as postfix_exporter buckets them.
const RCPT_BUCKETS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];
/// Message sizes in bytes, as postfix_exporter buckets them.
const SIZE_BUCKETS: [f64; 7] = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Counts by a label whose values come from the log, bounded.
#[derive(Clone, Debug, Default)]
pub struct Labelled(BTreeMap<String, u64>);

impl Labelled {
    pub fn add(&mut self, value: &str) {
        let known = self.0.contains_key(value);
        let key = if known || self.0.len() < MAX_LABEL_VALUES { value } else { "other" };
        *self.0.entry(key.to_string()).or_default() += 1;
    }
}

#[derive(Clone, Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram { bounds, counts: vec![0; bounds.len()], sum: 0.0, count: 0 }
    }

    fn observe(&mut self, v: f64) {
        for (b, c) in self.bounds.iter().zip(self.counts.iter_mut()) {
            if v <= *b {
                *c += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }
}

/// Counted from the events of every line read.
#[derive(Clone, Debug)]
pub struct Counters {
    pub smtpd_connects: u64,
    pub smtpd_disconnects: u64,
    pub smtpd_lost: Labelled,
    pub smtpd_processed: Labelled,
    pub smtpd_rejected: Labelled,
    pub sasl_failures: u64,
    pub qmgr_rcpt: Histogram,
    pub qmgr_size: Histogram,
    pub qmgr_removed: u64,
    pub cleanup_processed: u64,
    pub cleanup_rejected: u64,
    pub smtp_status: Labelled,
    pub pickup: u64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            smtpd_connects: 0,
            smtpd_disconnects: 0,
            smtpd_lost: Labelled::default(),
            smtpd_processed: Labelled::default(),
            smtpd_rejected: Labelled::default(),
            sasl_failures: 0,
            qmgr_rcpt: Histogram::new(&RCPT_BUCKETS),
            qmgr_size: Histogram::new(&SIZE_BUCKETS),
            qmgr_removed: 0,
            cleanup_processed: 0,
            cleanup_rejected: 0,
            smtp_status: Labelled::default(),
            pickup: 0,
        }
    }
}

/// A word of Postfix's own vocabulary (a command, a SASL mechanism): what
/// a label may hold as it is; anything else counts as `other`.
fn word(s: &str) -> &str {
    let ok = !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        s
    } else {
        "other"
    }
}

impl Counters {
    /// Counts one event of a line of `cx`'s daemon.
    pub fn event(&mut self, cx: &LineCtx, ev: &Event) {
        let smtpd = cx.daemon == "smtpd";
        match ev {
            Event::Connect { .. } if smtpd => self.smtpd_connects += 1,
            Event::Disconnect { .. } if smtpd => self.smtpd_disconnects += 1,
            Event::SessionAbort { reason, after, .. } if smtpd && reason.starts_with("lost connection") => {
                self.smtpd_lost.add(word(after))
            }
            Event::ClientLine(l) if smtpd => self.smtpd_processed.add(l.sasl_method.map_or("", word)),
            Event::Reject(r) if smtpd && r.action == "reject" && r.queue_id.is_none() => {
                let code =
                    if r.code.len() == 3 && r.code.bytes().all(|b| b.is_ascii_digit()) { r.code } else { "other" };
                self.smtpd_rejected.add(code)
            }
            Event::AuthFailed { .. } if smtpd => self.sasl_failures += 1,
            Event::QueueActive { size, nrcpt, .. } => {
                self.qmgr_rcpt.observe(f64::from(*nrcpt));
                self.qmgr_size.observe(*size as f64);
            }
            Event::Removed { .. } if cx.daemon == "qmgr" || cx.daemon == "nqmgr" => self.qmgr_removed += 1,
            Event::MessageId { .. } if cx.daemon == "cleanup" => self.cleanup_processed += 1,
            Event::CleanupAction { action: CleanupVerdict::Reject, .. } if cx.daemon == "cleanup" => {
                self.cleanup_rejected += 1
            }
            Event::Delivery(d) if cx.daemon == "smtp" => self.smtp_status.add(match d.outcome {
                DeliveryStatus::Sent => "sent",
                DeliveryStatus::Deferred => "deferred",
                DeliveryStatus::Bounced => "bounced",
                DeliveryStatus::Expired => "expired",
                DeliveryStatus::Other => "other",
            }),
            Event::Pickup { .. } => self.pickup += 1,
            _ => {}
        }
    }
}

/// One account's figures over the window, for the top accounts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountFigures {
    pub account: String,
    pub messages: u64,
    pub recipients: u64,
    pub troubled: u64,
    pub score: u32,
}

/// Everything the metrics page shows.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    pub counters: Counters,
    pub lines: u64,
    /// Lines of the followed file passed over, read by the catch-up.
    pub skipped: u64,
    pub alerts: Labelled,
    pub evaluations: u64,
    pub evaluation_seconds_total: f64,
    pub evaluation_seconds_last: f64,
    pub rebuilds: u64,
    pub window_lines: u64,
    pub window_bytes: u64,
    pub top: Vec<AccountFigures>,
}

pub type Shared = Arc<Mutex<Metrics>>;

/// One of an account's figures.
type Figure = fn(&AccountFigures) -> u64;

/// A label value as the exposition format writes it: backslash, double
/// quote and newline escaped.
pub fn label_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The page.
pub fn render(m: &Metrics) -> String {
    let mut o = String::new();
    let c = &m.counters;
    let counter = |o: &mut String, name: &str, help: &str, v: u64| {
        let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
    };
    counter(&mut o, "postfix_smtpd_connects_total", "Total number of incoming connections.", c.smtpd_connects);
    counter(&mut o, "postfix_smtpd_disconnects_total", "Total number of incoming disconnections.", c.smtpd_disconnects);
    counter(
        &mut o,
        "postfix_smtpd_sasl_authentication_failures_total",
        "Total number of SASL authentication failures.",
        c.sasl_failures,
    );
    counter(
        &mut o,
        "postfix_qmgr_messages_removed_total",
        "Total number of messages removed from mail queues.",
        c.qmgr_removed,
    );
    counter(
        &mut o,
        "postfix_cleanup_messages_processed_total",
        "Total number of messages processed by cleanup.",
        c.cleanup_processed,
    );
    counter(
        &mut o,
        "postfix_cleanup_messages_rejected_total",
        "Total number of messages rejected by cleanup.",
        c.cleanup_rejected,
    );
    counter(
        &mut o,
        "postfix_pickup_messages_total",
        "Total number of messages submitted locally through pickup.",
        c.pickup,
    );
    labelled(
        &mut o,
        "postfix_smtpd_connections_lost_total",
        "Total number of connections lost.",
        "after_stage",
        &c.smtpd_lost,
    );
    labelled(
        &mut o,
        "postfix_smtpd_messages_processed_total",
        "Total number of messages processed.",
        "sasl_method",
        &c.smtpd_processed,
    );
    labelled(
        &mut o,
        "postfix_smtpd_messages_rejected_total",
        "Total number of NOQUEUE rejects.",
        "code",
        &c.smtpd_rejected,
    );
    labelled(
        &mut o,
        "postfix_smtp_status_total",
        "Total number of smtp(8) delivery attempts by status.",
        "status",
        &c.smtp_status,
    );
    histogram(
        &mut o,
        "postfix_qmgr_messages_inserted_receipients",
        "Number of receipients per message inserted into the mail queues.",
        &c.qmgr_rcpt,
    );
    histogram(
        &mut o,
        "postfix_qmgr_messages_inserted_size_bytes",
        "Size of messages inserted into the mail queues in bytes.",
        &c.qmgr_size,
    );
    counter(&mut o, "postsleuth_watch_lines_total", "Log lines read.", m.lines);
    counter(
        &mut o,
        "postsleuth_watch_caught_up_lines_total",
        "Lines of the followed file passed over: read while catching up.",
        m.skipped,
    );
    labelled(&mut o, "postsleuth_watch_alerts_total", "Alerts written, by kind.", "alert", &m.alerts);
    counter(&mut o, "postsleuth_watch_evaluations_total", "Evaluations of the window.", m.evaluations);
    counter(&mut o, "postsleuth_watch_rebuilds_total", "Rebuilds of the correlation from the kept lines.", m.rebuilds);
    let gauge = |o: &mut String, name: &str, help: &str, v: f64| {
        let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
    };
    gauge(&mut o, "postsleuth_watch_evaluation_seconds_total", "Time spent evaluating.", m.evaluation_seconds_total);
    gauge(&mut o, "postsleuth_watch_evaluation_seconds", "What the last evaluation took.", m.evaluation_seconds_last);
    gauge(&mut o, "postsleuth_watch_window_lines", "Log lines kept for the window.", m.window_lines as f64);
    gauge(&mut o, "postsleuth_watch_window_bytes", "Bytes the kept lines take.", m.window_bytes as f64);
    let per_account: [(&str, &str, Figure); 4] = [
        ("postsleuth_account_messages", "Messages of a top account in the window.", |a| a.messages),
        ("postsleuth_account_recipients", "Recipients of a top account in the window.", |a| a.recipients),
        (
            "postsleuth_account_deferred_bounced",
            "Deferred or bounced deliveries of a top account in the window.",
            |a| a.troubled,
        ),
        ("postsleuth_account_score", "suspects score of a top account.", |a| u64::from(a.score)),
    ];
    for (name, help, get) in per_account {
        let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} gauge");
        for a in &m.top {
            let _ = writeln!(o, "{name}{{account=\"{}\"}} {}", label_value(&a.account), get(a));
        }
    }
    o
}

fn labelled(o: &mut String, name: &str, help: &str, label: &str, values: &Labelled) {
    let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} counter");
    for (v, n) in &values.0 {
        let _ = writeln!(o, "{name}{{{label}=\"{}\"}} {n}", label_value(v));
    }
}

fn histogram(o: &mut String, name: &str, help: &str, h: &Histogram) {
    let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} histogram");
    for (b, n) in h.bounds.iter().zip(&h.counts) {
        let _ = writeln!(o, "{name}_bucket{{le=\"{b}\"}} {n}");
    }
    let _ = writeln!(o, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(o, "{name}_sum {}\n{name}_count {}", h.sum, h.count);
}

/// Serves the metrics on `listener`, one connection at a time, on a
/// thread of its own, until the process ends.
pub fn serve(listener: TcpListener, metrics: Shared) -> std::io::Result<()> {
    std::thread::Builder::new().name("metrics".into()).spawn(move || {
        for conn in listener.incoming().flatten() {
            let _ = answer(conn, &metrics);
        }
    })?;
    Ok(())
}

/// Largest request head read: a scraper's is a few hundred bytes.
const MAX_REQUEST: usize = 8 << 10;

fn answer(mut conn: TcpStream, metrics: &Shared) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    conn.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut parts = line.split(|&b| b == b' ');
    let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let (status, body) = match (method, path) {
        (b"GET", b"/metrics") => {
            let page = metrics.lock().map(|m| render(&m)).unwrap_or_default();
            ("200 OK", page)
        }
        (b"GET", b"/") => ("200 OK", "postsleuth watch: metrics at /metrics\n".to_string()),
        (b"GET", _) => ("404 Not Found", "not found\n".to_string()),
        _ => ("405 Method Not Allowed", "only GET\n".to_string()),
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(reply.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(label_value("plain@example.org"), "plain@example.org");
    }

    #[test]
    fn labels_from_the_log_are_bounded() {
        let mut l = Labelled::default();
        for i in 0..100 {
            l.add(&format!("v{i}"));
        }
        assert_eq!(l.0.len(), MAX_LABEL_VALUES + 1);
        assert_eq!(l.0.get("other"), Some(&(100 - MAX_LABEL_VALUES as u64)));
        assert_eq!(word("AUTH"), "AUTH");
        assert_eq!(word("x\"y"), "other");
    }

    #[test]
    fn histograms_are_cumulative() {
        let mut m = Metrics::default();
        for n in [1, 3, 200] {
            m.counters.qmgr_rcpt.observe(n as f64);
        }
        m.top.push(AccountFigures { account: "e\"vil\n".into(), messages: 3, ..AccountFigures::default() });
        let page = render(&m);
        assert!(page.contains("postfix_qmgr_messages_inserted_receipients_bucket{le=\"1\"} 1\n"), "{page}");
        assert!(page.contains("postfix_qmgr_messages_inserted_receipients_bucket{le=\"4\"} 2\n"));
        assert!(page.contains("postfix_qmgr_messages_inserted_receipients_bucket{le=\"+Inf\"} 3\n"));
        assert!(page.contains("postfix_qmgr_messages_inserted_receipients_count 3\n"));
        assert!(page.contains("postsleuth_account_messages{account=\"e\\\"vil\\n\"} 3\n"));
    }
}
