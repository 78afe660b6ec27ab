//! `summary --full` and `--section`: pflogsumm's and postfix-logwatch's
//! sections, exact figures on a hand-made log in Postfix's own line shapes
//! (`fixtures/sections.log`: five delivered messages, a bounce, deferrals,
//! every kind of reject, reject warnings, sessions, postscreen and dnsblog,
//! warnings, a fatal error, a panic and master's messages), in every format.

mod common;

use common::{fixture, path_str, run_ok};
use serde_json::{json, Value};

fn sections(extra: &[&str]) -> Value {
    let log = path_str(&fixture("sections.log"));
    let mut args = vec!["summary", "--format", "json", "--tz", "UTC", "--log-tz", "UTC", "-q"];
    args.extend_from_slice(extra);
    args.push(&log);
    serde_json::from_str(&run_ok(&args)).expect("JSON")
}

fn full() -> Value {
    sections(&["--full"])
}

#[track_caller]
fn table(v: &Value, key: &str) -> Vec<Value> {
    v[key].as_array().unwrap_or_else(|| panic!("no table {key}: {v}")).clone()
}

#[test]
fn delivery_and_received_by_domain() {
    let v = full();
    assert_eq!(
        table(&v, "delivery_by_recipient_domain"),
        [
            json!({"recipient_domain": "gmail.example", "delivered": 3, "bytes_delivered": 3300, "deferred": 2,
                "avg_delay": 200.67, "max_delay": 599.0}),
            json!({"recipient_domain": "example.com", "delivered": 3, "bytes_delivered": 2200, "deferred": 0,
                "avg_delay": 0.9, "max_delay": 2.0}),
        ],
        "yahoo.example's one delivery bounced: neither delivered nor deferred"
    );
    assert_eq!(
        table(&v, "received_by_sender_domain"),
        [
            json!({"sender_domain": "example.org", "messages": 2, "bytes": 2500}),
            json!({"sender_domain": "example.net", "messages": 1, "bytes": 1000}),
            json!({"sender_domain": "", "messages": 1, "bytes": 700}),
            json!({"sender_domain": "mx1.example.com", "messages": 1, "bytes": 300}),
        ],
        "the two messages cleanup and a milter rejected were not accepted"
    );
    let delivered: u64 =
        table(&v, "delivery_by_recipient_domain").iter().map(|r| r["delivered"].as_u64().unwrap()).sum();
    assert_eq!(delivered, v["totals"]["delivered"].as_u64().unwrap(), "one definition of delivered");
}

#[test]
fn senders_and_recipients() {
    let v = full();
    let senders = [
        json!({"sender": "ann@example.org", "messages": 2, "bytes": 2500}),
        json!({"sender": "alice@example.net", "messages": 1, "bytes": 1000}),
        json!({"sender": "", "messages": 1, "bytes": 700}),
        json!({"sender": "www-data@mx1.example.com", "messages": 1, "bytes": 300}),
    ];
    assert_eq!(table(&v, "senders_by_messages"), senders);
    assert_eq!(table(&v, "senders_by_bytes"), senders);
    let r = |to: &str, n: u64, bytes: u64| json!({"recipient": to, "delivered": n, "bytes_delivered": bytes});
    assert_eq!(
        table(&v, "recipients_by_deliveries"),
        [
            r("bob@example.com", 3, 2200),
            r("dave@gmail.example", 1, 2000),
            r("carol@gmail.example", 1, 1000),
            r("frank@gmail.example", 1, 300)
        ]
    );
    // The limit cuts every ranked table, and ranks by bytes where asked.
    let two = sections(&["--section", "senders,recipients", "--limit", "2"]);
    assert_eq!(table(&two, "senders_by_bytes").len(), 2);
    assert_eq!(table(&two, "recipients_by_bytes"), [r("bob@example.com", 3, 2200), r("dave@gmail.example", 1, 2000)]);
    assert!(two.get("totals").is_none() && two.get("top_sasl_accounts").is_none(), "only the sections asked for");
}

#[test]
fn deferrals_bounces_and_rejects_by_reason() {
    let v = full();
    assert_eq!(
        table(&v, "deferral_detail"),
        [json!({"dsn": "4.4.1", "reason": "connect to host[IP]:N: Connection timed out", "deferred": 2})],
        "two servers, one reason"
    );
    assert_eq!(
        table(&v, "bounce_detail"),
        [json!({"relay": "mx.yahoo.example", "dsn": "5.1.1",
            "reason": "<address>: Recipient address rejected: User unknown (in reply to RCPT TO command)", "bounced": 1})]
    );
    let rej = |stage: &str, dsn: &str, reason: &str, n: u64| json!({"stage": stage, "dsn": dsn, "reason": reason, "rejected": n});
    assert_eq!(
        table(&v, "reject_detail"),
        [
            rej("RCPT", "5.7.1", "<address>: Relay access denied", 2),
            rej("END-OF-MESSAGE", "5.7.1", "Spam message rejected", 1),
            rej("RCPT", "5.1.1", "<address>: Recipient address rejected: User unknown in virtual mailbox table", 1),
            rej(
                "RCPT",
                "5.7.1",
                "Service unavailable; Client host [IP] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/IP",
                1
            ),
            rej("RCPT", "5.7.1", "Service unavailable; client [IP] blocked using b.barracudacentral.org", 1),
            rej(
                "header",
                "5.7.1",
                "header Subject: BUY NOW from unknown[IP]; from=<address> to=<address> proto=ESMTP helo=<name>: N.N.N message content rejected",
                1
            ),
        ]
    );
    let total: u64 = table(&v, "reject_detail").iter().map(|r| r["rejected"].as_u64().unwrap()).sum();
    assert_eq!(total, v["totals"]["rejected"].as_u64().unwrap(), "one definition of rejected");
    let t = |t: &str, list: Value, n: u64| json!({"type": t, "list": list, "rejected": n, "distinct_ips": 1});
    assert_eq!(
        table(&v, "rejects_by_type"),
        [
            t("relay denied", Value::Null, 2),
            t("RBL", json!("b.barracudacentral.org"), 1),
            t("RBL", json!("zen.spamhaus.org"), 1),
            t("header", Value::Null, 1),
            t("milter", Value::Null, 1),
            t("unknown user", Value::Null, 1),
        ]
    );
    // warn_if_reject's `reject_warning:` and header_checks' WARN.
    assert_eq!(
        table(&v, "reject_warning_detail"),
        [
            json!({"stage": "RCPT", "dsn": "4.7.1", "reason": "Client host rejected: cannot find your hostname, [IP]",
                "reject_warnings": 1}),
            json!({"stage": "header", "dsn": null,
                "reason": "header Subject: hello from host[IP]; from=<address> to=<address> proto=ESMTP helo=<name>",
                "reject_warnings": 1}),
        ]
    );
}

#[test]
fn connections_postscreen_and_sasl() {
    let v = full();
    assert_eq!(
        table(&v, "smtpd_connections"),
        [json!({"connections": 7, "distinct_ips": 7, "total_connect_time": 33.0, "avg_connect_time": 4.7,
            "max_connect_time": 10.0})]
    );
    let e = |event: &str, n: u64| json!({"event": event, "events": n, "distinct_ips": n});
    assert_eq!(
        table(&v, "postscreen"),
        [e("CONNECT", 3), e("DISCONNECT", 1), e("DNSBL", 1), e("PASS NEW", 1), e("PASS OLD", 1), e("PREGREET", 1)]
    );
    assert_eq!(
        table(&v, "dnsbl_listings"),
        [
            json!({"list": "zen.spamhaus.org", "listings": 2, "distinct_ips": 2}),
            json!({"list": "b.barracudacentral.org", "listings": 1, "distinct_ips": 1}),
        ]
    );
    assert_eq!(
        table(&v, "sasl_accounts"),
        [
            json!({"account": "ann@example.org", "sasl_method": "LOGIN", "client_name": "unknown",
                "client_ip": "192.0.2.21", "messages": 1}),
            json!({"account": "ann@example.org", "sasl_method": "PLAIN", "client_name": "ws.example.org",
                "client_ip": "192.0.2.20", "messages": 1}),
        ]
    );
    assert_eq!(v["top_sasl_accounts"][0]["messages"], 2, "the ranking counts the same messages");
}

/// Linear between the closest ranks, over the six delivered deliveries:
/// total delays 0.2, 0.5, 1, 2, 2, 599.
#[test]
fn delay_percentiles() {
    let v = full();
    let rows = table(&v, "delivery_delays");
    let names: Vec<&str> = rows.iter().map(|r| r["delay"].as_str().unwrap()).collect();
    assert_eq!(names, ["before_qmgr", "in_qmgr", "conn_setup", "transmission", "total"]);
    assert_eq!(
        rows[4],
        json!({"delay": "total", "deliveries": 6, "p0": 0.2, "p25": 0.63, "p50": 1.5, "p75": 2.0, "p90": 300.5,
            "p95": 449.75, "p98": 539.3, "p100": 599.0})
    );
    assert_eq!(
        rows[0],
        json!({"delay": "before_qmgr", "deliveries": 6, "p0": 0.1, "p25": 0.1, "p50": 0.3, "p75": 0.88, "p90": 295.5,
            "p95": 442.75, "p98": 531.1, "p100": 590.0})
    );
}

#[test]
fn warnings_fatal_errors_panics_and_master() {
    let v = full();
    let w = table(&v, "warnings");
    let got: Vec<(&str, &str, &str, u64)> = w
        .iter()
        .map(|r| {
            (
                r["level"].as_str().unwrap(),
                r["daemon"].as_str().unwrap(),
                r["message"].as_str().unwrap(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("panic", "smtpd", "myfree: corrupt or unallocated memory block", 1),
            ("fatal", "smtpd", "no SASL authentication mechanisms", 1),
            ("warning", "smtpd", "database /etc/postfix/virtual.db is older than source file /etc/postfix/virtual", 2),
            ("warning", "master", "process /usr/lib/postfix/sbin/smtpd pid N exit status N", 1),
            ("warning", "smtpd", "TLS library problem: host[NJhostile", 1),
            ("master", "master", "daemon started -- version N.N.N, configuration /etc/postfix", 1),
            ("master", "master", "terminating on signal N", 1),
        ]
    );
    assert_eq!(w[3]["sample"], "warning: process /usr/lib/postfix/sbin/smtpd pid 103 exit status 1", "the first line");
    assert_eq!(w[4]["sample"], "warning: TLS library problem: \u{1b}[2Jhostile", "JSON keeps the text exactly");
    assert!(
        v["unrecognised"].as_object().unwrap().is_empty(),
        "fatal: and panic: are understood: {}",
        v["unrecognised"]
    );
    // check counts the same lines, master's own messages apart.
    let log = path_str(&fixture("sections.log"));
    let rows: Value =
        serde_json::from_str(&run_ok(&["check", "--format", "json", "-q", "--log-tz", "UTC", &log])).unwrap();
    let warnings = rows.as_array().unwrap().iter().find(|r| r["what"] == "postfix warnings").unwrap();
    assert_eq!(warnings["value"], 6);
}

/// Every section in every format; the hostile sample is escaped where
/// people read it.
#[test]
fn every_format() {
    let log = path_str(&fixture("sections.log"));
    let args = |format: &'static str| {
        vec!["summary", "--full", "--format", format, "--tz", "UTC", "--log-tz", "UTC", "-q", log.as_str()]
    };
    let t = run_ok(&args("table"));
    for title in [
        "Delivery by recipient domain",
        "Received by sender domain",
        "Senders by bytes",
        "Recipients by deliveries",
        "Deferrals by reason",
        "Bounces by relay and reason",
        "Rejects by type",
        "Rejects by reason",
        "Reject warnings by reason",
        "smtpd connections",
        "postscreen verdicts",
        "DNSBL listings by list",
        "Delivery delays (seconds)",
        "SASL accounts by method and client",
        "Warnings, errors, fatal errors, panics, master",
    ] {
        assert!(t.contains(&format!("\n{title}\n")), "{title} in the table output:\n{t}");
    }
    assert!(t.contains("\\x1b[2Jhostile") && !t.contains('\u{1b}'), "escaped for the terminal");
    let csv = run_ok(&args("csv"));
    assert!(csv.contains("# Rejects by type\ntype,list,rejected,distinct_ips\nrelay denied,,2,1\n"), "{csv}");
    assert!(csv.contains("# Delivery delays (seconds)\ndelay,deliveries,p0,"), "{csv}");
    assert!(!csv.contains('\u{1b}'), "escaped for spreadsheets");
    let md = run_ok(&args("markdown"));
    assert!(md.contains("## SASL accounts by method and client"), "{md}");
}

/// The plain summary shows what it always showed; a section needing the
/// details changes none of its figures.
#[test]
fn default_sections_are_unchanged_by_the_others() {
    let plain = sections(&[]);
    let full = full();
    for key in ["totals", "top_sasl_accounts", "top_client_ips", "top_sender_domains", "top_auth_failure_sources"] {
        assert_eq!(plain[key], full[key], "{key}");
    }
    assert!(plain.get("traffic_per_day").is_none() && plain.get("warnings").is_none());
    let named = sections(&["--section", "totals,rankings"]);
    assert_eq!(named, plain, "the default is totals,rankings");
}

/// header_checks' actions that let a message go on (WARN, INFO, PREPEND,
/// REDIRECT, a milter's header REDIRECT) are records in the rejects table,
/// with the action as logged; the message is delivered all the same, and
/// none of them is a reject.
#[test]
fn header_check_actions_are_records() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    let q = "2B00000001";
    let env = "from=<a@example.net> to=<b@example.com> proto=ESMTP helo=<mx.example.net>";
    let lines = [
        format!("2026-12-02T08:00:00+00:00 mx1 postfix/smtpd[1]: {q}: client=mx.example.net[198.51.100.1]"),
        format!("2026-12-02T08:00:01+00:00 mx1 postfix/cleanup[2]: {q}: warning: header Subject: hi from mx.example.net[198.51.100.1]; {env}"),
        format!("2026-12-02T08:00:01+00:00 mx1 postfix/cleanup[2]: {q}: info: header X-Mailer: x from mx.example.net[198.51.100.1]; {env}"),
        format!("2026-12-02T08:00:01+00:00 mx1 postfix/cleanup[2]: {q}: prepend: header Received: x from mx.example.net[198.51.100.1]; {env}: X-Seen: yes"),
        format!("2026-12-02T08:00:01+00:00 mx1 postfix/cleanup[2]: {q}: milter-header-redirect: header X-Spam: yes from mx.example.net[198.51.100.1]; {env}: trap@example.com"),
        format!("2026-12-02T08:00:02+00:00 mx1 postfix/qmgr[3]: {q}: from=<a@example.net>, size=900, nrcpt=1 (queue active)"),
        format!("2026-12-02T08:00:03+00:00 mx1 postfix/lmtp[4]: {q}: to=<b@example.com>, relay=mx1[private/dovecot-lmtp], delay=1, delays=0.1/0/0/0.9, dsn=2.0.0, status=sent (250 2.0.0 Saved)"),
        format!("2026-12-02T08:00:03+00:00 mx1 postfix/qmgr[3]: {q}: removed"),
    ];
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let rows = common::export("rejects", &log, &[]);
    let got: Vec<(&str, Option<&str>, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap(),
                r["via"].as_str(),
                r["queue_id"].as_str().unwrap(),
                r["recipient"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("warning", None, q, "b@example.com"),
            ("info", None, q, "b@example.com"),
            ("prepend", None, q, "b@example.com"),
            ("redirect", Some("milter"), q, "b@example.com"),
        ]
    );
    let s = common::summary(&log, &[]);
    assert_eq!((s["totals"]["delivered"].as_u64(), s["totals"]["rejected"].as_u64()), (Some(1), Some(0)));
    let messages = common::export("messages", &log, &[]);
    assert_eq!(messages[0]["state"], "delivered");
}

/// Each section alone loads what it reads, and no less: the same tables
/// as in `--full`, which loads everything.
#[test]
fn each_section_alone_is_as_in_full() {
    let v = full();
    let keys: [(&str, &[&str]); 13] = [
        ("traffic", &["traffic_per_day", "traffic_per_hour"]),
        ("domains", &["delivery_by_recipient_domain", "received_by_sender_domain"]),
        ("senders", &["senders_by_messages", "senders_by_bytes"]),
        ("recipients", &["recipients_by_deliveries", "recipients_by_bytes"]),
        ("deferrals", &["deferral_detail"]),
        ("bounces", &["bounce_detail"]),
        ("rejects", &["rejects_by_type", "reject_detail"]),
        ("reject-warnings", &["reject_warning_detail"]),
        ("connections", &["smtpd_connections"]),
        ("postscreen", &["postscreen", "dnsbl_listings"]),
        ("delays", &["delivery_delays"]),
        ("sasl", &["sasl_accounts"]),
        ("warnings", &["warnings"]),
    ];
    for (section, tables) in keys {
        let alone = sections(&["--section", section]);
        for t in tables {
            assert_eq!(alone[t], v[t], "--section {section}: {t}");
        }
    }
}
