use super::*;

fn c<'a>(name: &'a str, ip: &'a str) -> Client<'a> {
    Client { name, ip, damaged: false }
}

#[test]
fn client_line_with_sasl() {
    let e = parse(
        "smtpd",
        "840A4C0FF0: client=unknown[94.251.111.121], sasl_method=LOGIN, sasl_username=email@ourdomain.com",
    );
    let Some(Event::ClientLine(l)) = e else { panic!("{e:?}") };
    assert_eq!(l.queue_id, "840A4C0FF0");
    assert_eq!(l.client, c("unknown", "94.251.111.121"));
    assert_eq!(l.sasl_method, Some("LOGIN"));
    assert_eq!(l.sasl_username, Some("email@ourdomain.com"));
}

#[test]
fn client_line_reinjected() {
    let e = parse(
        "smtpd",
        "4jXt634mSNz6fK9: client=localhost[127.0.0.1], orig_queue_id=4jXt634czfz6fF0, orig_client=unknown[127.0.0.10]",
    );
    let Some(Event::ClientLine(l)) = e else { panic!("{e:?}") };
    assert_eq!(l.orig_queue_id, Some("4jXt634czfz6fF0"));
    assert_eq!(l.orig_client, Some(c("unknown", "127.0.0.10")));
}

/// A damaged address loses its IP, not the line: the account and queue ID
/// stay, even with `, ` or `]` inside the brackets.
#[test]
fn client_line_with_damaged_address() {
    for line in [
        "5A1B2C3D4E: client=unknown[192.0.2.1;rm -rf /], sasl_method=LOGIN, sasl_username=erin@example.com",
        "5A1B2C3D4E: client=unknown[192.0.2.1, sasl_username=mallory], sasl_method=LOGIN, sasl_username=erin@example.com",
        "5A1B2C3D4E: client=unknown[a]b]:25, sasl_method=LOGIN, sasl_username=erin@example.com",
    ] {
        let e = parse("smtpd", line);
        assert_eq!(e.as_ref().map(Event::damaged_addresses), Some(1));
        let Some(Event::ClientLine(l)) = e else { panic!("{line}: {e:?}") };
        assert_eq!(l.queue_id, "5A1B2C3D4E");
        assert_eq!(l.client, Client { name: "unknown", ip: "", damaged: true }, "{line}");
        assert_eq!((l.sasl_method, l.sasl_username), (Some("LOGIN"), Some("erin@example.com")), "{line}");
    }
}

#[test]
fn auth_failures_with_and_without_username() {
    let e = parse("smtpd", "warning: unknown[94.251.111.121]: SASL LOGIN authentication failed: UGFzc3dvcmQ6");
    assert_eq!(
        e,
        Some(Event::AuthFailed {
            client: c("unknown", "94.251.111.121"),
            method: "LOGIN",
            username: None,
            reason: "UGFzc3dvcmQ6"
        })
    );
    let e = parse(
        "smtpd",
        "warning: host.example[2001:db8::5]: SASL PLAIN authentication failed: authentication failure, sasl_username=bob@example.org",
    );
    assert_eq!(
        e,
        Some(Event::AuthFailed {
            client: c("host.example", "2001:db8::5"),
            method: "PLAIN",
            username: Some("bob@example.org"),
            reason: "authentication failure"
        })
    );
    assert_eq!(parse("smtpd", "warning: something else happened"), Some(Event::Warning));
    let e = parse("smtpd", "warning: unknown[192.0.2.40]: SASL authentication failed: authentication failure");
    assert!(matches!(e, Some(Event::AuthFailed { method: "", reason: "authentication failure", .. })), "{e:?}");
    let e = parse(
        "smtpd",
        "warning: unknown[192.0.2.41]: SASL PLAIN authentication failed: authentication failure, sasl_username=(unavailable)",
    );
    assert!(matches!(e, Some(Event::AuthFailed { method: "PLAIN", username: None, .. })), "{e:?}");
}

/// `smtpd_client_port_logging = yes` appends `:port` to every client.
#[test]
fn client_port_logging() {
    let e = parse(
        "smtpd",
        "warning: unknown[203.0.113.66]:50412: SASL LOGIN authentication failed: authentication failure, sasl_username=alice@example.com",
    );
    assert_eq!(
        e,
        Some(Event::AuthFailed {
            client: c("unknown", "203.0.113.66"),
            method: "LOGIN",
            username: Some("alice@example.com"),
            reason: "authentication failure"
        })
    );
    let e = parse("smtpd", "disconnect from client.example.com[2001:db8::77]:60001 ehlo=1 auth=0/2 commands=1/3");
    assert_eq!(
        e,
        Some(Event::Disconnect {
            client: c("client.example.com", "2001:db8::77"),
            stats: "ehlo=1 auth=0/2 commands=1/3",
            auth_failed: 2
        })
    );
    let e = parse("smtpd", "disconnect from unknown[192.0.2.1]:4000");
    assert_eq!(e, Some(Event::Disconnect { client: c("unknown", "192.0.2.1"), stats: "", auth_failed: 0 }));
    let e = parse("smtpd", "connect from unknown[192.0.2.1]:4000");
    assert_eq!(e, Some(Event::Connect { client: c("unknown", "192.0.2.1") }));
}

#[test]
fn disconnect_counts_failed_auth() {
    let e = parse("smtpd", "disconnect from unknown[94.251.111.121] ehlo=1 auth=0/1 quit=1 commands=2/3");
    assert_eq!(
        e,
        Some(Event::Disconnect {
            client: c("unknown", "94.251.111.121"),
            stats: "ehlo=1 auth=0/1 quit=1 commands=2/3",
            auth_failed: 1
        })
    );
}

/// Only the `auth=` statistic counts, wherever it stands, and only as
/// `ok/attempted`.
#[test]
fn failed_auth_is_read_from_the_auth_statistic_only() {
    let failed = |stats: &str| match parse("smtpd", &format!("disconnect from unknown[192.0.2.1] {stats}")) {
        Some(Event::Disconnect { auth_failed, .. }) => auth_failed,
        e => panic!("{stats}: {e:?}"),
    };
    assert_eq!(failed("auth=0/3 quit=1 commands=1/4"), 3);
    assert_eq!(failed("ehlo=1 xauth=0/9 auth=1/2 commands=2/3"), 1);
    assert_eq!(failed("ehlo=1 auth=1 commands=2"), 0);
    assert_eq!(failed("ehlo=1 auth="), 0);
    assert_eq!(failed("ehlo=1 xauth=0/9 commands=1/10"), 0);
    assert_eq!(failed("ehlo=1 auth=0/5"), 5);
}

#[test]
fn session_aborts() {
    let e = parse("smtpd", "lost connection after AUTH from unknown[1.2.3.4]");
    assert_eq!(
        e,
        Some(Event::SessionAbort { client: c("unknown", "1.2.3.4"), reason: "lost connection", after: "AUTH" })
    );
    let e = parse("smtpd", "too many errors after AUTH from unknown[1.2.3.4]");
    assert!(matches!(e, Some(Event::SessionAbort { reason: "too many errors", .. })));
    fn abort(line: &str) -> (&str, &str, &str) {
        match parse("smtpd", line) {
            Some(Event::SessionAbort { client, reason, after }) => (client.ip, reason, after),
            e => panic!("{line}: {e:?}"),
        }
    }
    assert_eq!(
        abort("NOQUEUE: lost connection after CONNECT from unknown[192.0.2.25]"),
        ("192.0.2.25", "lost connection", "CONNECT")
    );
    assert_eq!(abort("SSL_accept error from unknown[192.0.2.26]: -1"), ("192.0.2.26", "SSL_accept error", ""));
    assert_eq!(
        abort("SSL_accept error from x.example[192.0.2.26]:4567: lost connection"),
        ("192.0.2.26", "SSL_accept error", "")
    );
    assert_eq!(
        abort("bare <LF> received after DATA from x.example[2001:db8::9]"),
        ("2001:db8::9", "bare <LF> received", "DATA")
    );
    assert_eq!(
        abort("improper command pipelining after QUIT from unknown[192.0.2.27]:"),
        ("192.0.2.27", "improper command pipelining", "QUIT")
    );
}

#[test]
fn noqueue_reject() {
    let e = parse(
        "smtpd",
        "NOQUEUE: reject: RCPT from unknown[1.2.3.4]: 554 5.7.1 <x@y>: Relay access denied; from=<a@b> to=<x@y> proto=ESMTP helo=<h>",
    );
    let Some(Event::Reject(r)) = e else { panic!("{e:?}") };
    assert_eq!((r.action, r.stage, r.client), ("reject", "RCPT", c("unknown", "1.2.3.4")));
    assert_eq!((r.code, r.dsn, r.reason), ("554", "5.7.1", "<x@y>: Relay access denied"));
    assert_eq!((r.sender, r.recipient, r.proto, r.helo), (Some("a@b"), Some("x@y"), Some("ESMTP"), Some("h")));
}

#[test]
fn reject_without_sender_keeps_its_fields() {
    // CONNECT and EHLO rejects come before MAIL FROM: no `from=`.
    let e = parse(
        "smtpd",
        "NOQUEUE: reject: CONNECT from unknown[192.0.2.99]: 554 5.7.1 <unknown[192.0.2.99]>: Client host rejected: Access denied; proto=SMTP",
    );
    let Some(Event::Reject(r)) = e else { panic!("{e:?}") };
    assert_eq!((r.stage, r.code, r.dsn), ("CONNECT", "554", "5.7.1"));
    assert_eq!(r.reason, "<unknown[192.0.2.99]>: Client host rejected: Access denied");
    assert_eq!((r.sender, r.recipient, r.proto, r.helo), (None, None, Some("SMTP"), None));
    let e = parse(
        "smtpd",
        "NOQUEUE: reject: EHLO from unknown[192.0.2.98]: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname; proto=SMTP helo=<localhost>",
    );
    let Some(Event::Reject(r)) = e else { panic!("{e:?}") };
    assert_eq!(r.reason, "<localhost>: Helo command rejected: need fully-qualified hostname");
    assert_eq!((r.sender, r.proto, r.helo), (None, Some("SMTP"), Some("localhost")));
    // A `; ` inside the reason is not the envelope.
    let e = parse(
        "smtpd",
        "NOQUEUE: reject: RCPT from unknown[203.0.113.7]: 554 5.7.1 Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.7; from=<> to=<info@example.com> proto=ESMTP helo=<[203.0.113.7]>",
    );
    let Some(Event::Reject(r)) = e else { panic!("{e:?}") };
    assert_eq!(
        r.reason,
        "Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.7"
    );
    assert_eq!((r.sender, r.recipient, r.helo), (Some(""), Some("info@example.com"), Some("[203.0.113.7]")));
}

#[test]
fn postscreen_reject_uses_commas() {
    let e = parse(
        "postscreen",
        "NOQUEUE: reject: RCPT from [1.2.3.4]:4567: 550 5.7.1 Service unavailable; client [1.2.3.4] blocked using zen.spamhaus.org; from=<a@b>, to=<x@y>, proto=ESMTP, helo=<evil>",
    );
    let Some(Event::Reject(r)) = e else { panic!("{e:?}") };
    assert_eq!(r.client.ip, "1.2.3.4");
    assert_eq!((r.sender, r.recipient, r.helo), (Some("a@b"), Some("x@y"), Some("evil")));
}

#[test]
fn hostile_helo_is_kept_whole() {
    let e = parse(
        "smtpd",
        "NOQUEUE: reject: RCPT from unknown[1.2.3.4]: 554 5.7.1 <x@y>: Relay access denied; from=<a@b> to=<x@y> proto=ESMTP helo=<\"><img src=x onerror=alert(1)> to=<z>",
    );
    let Some(Event::Reject(r)) = e else { panic!("{e:?}") };
    assert_eq!(r.helo, Some("\"><img src=x onerror=alert(1)> to=<z"));
}

#[test]
fn delivery_with_nested_parentheses() {
    let e = parse(
        "smtp",
        "840A4C0FF0: to=<x@gmail.com>, relay=alt1.gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=1.2, delays=0.05/0.01/0.5/0.64, dsn=4.7.28, status=deferred (host alt1.gmail-smtp-in.l.google.com[142.250.1.27] said: 421-4.7.28 (rate (limited)), see x (in reply to end of DATA command))",
    );
    let Some(Event::Delivery(d)) = e else { panic!("{e:?}") };
    assert_eq!(d.to, "x@gmail.com");
    assert_eq!(d.relay, "alt1.gmail-smtp-in.l.google.com[142.250.1.27]:25");
    assert_eq!(d.fields, "delay=1.2, delays=0.05/0.01/0.5/0.64, dsn=4.7.28");
    assert_eq!(d.outcome, DeliveryStatus::Deferred);
    assert_eq!(
        (d.field("delay"), d.field("delays"), d.field("dsn"), d.status),
        ("1.2", "0.05/0.01/0.5/0.64", "4.7.28", "deferred")
    );
    assert_eq!(
        d.response,
        "host alt1.gmail-smtp-in.l.google.com[142.250.1.27] said: 421-4.7.28 (rate (limited)), see x (in reply to end of DATA command)"
    );
}

#[test]
fn delivery_with_orig_to_and_conn_use() {
    let e = parse(
        "smtp",
        "ABCDEF1234: to=<a@x.test>, orig_to=<alias@x.test>, relay=mx.x.test[192.0.2.1]:25, conn_use=2, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 99AA)",
    );
    let Some(Event::Delivery(d)) = e else { panic!("{e:?}") };
    assert_eq!(
        (d.to, d.orig_to, d.status, d.outcome),
        ("a@x.test", Some("alias@x.test"), "sent", DeliveryStatus::Sent)
    );
    assert_eq!((d.relay, d.field("conn_use"), d.field("dsn")), ("mx.x.test[192.0.2.1]:25", "2", "2.0.0"));
    assert_eq!(d.response, "250 2.0.0 Ok: queued as 99AA");
}

/// Fields in an order Postfix does not write, or missing: the relay is
/// still found, and a missing field is empty.
#[test]
fn delivery_fields_out_of_order() {
    let e = parse("smtp", "ABCDEF1234: to=<a@x.test>, delay=0.5, relay=none, dsn=4.4.1, status=deferred (timed out)");
    let Some(Event::Delivery(d)) = e else { panic!("{e:?}") };
    assert_eq!((d.relay, d.field("delay"), d.field("dsn"), d.field("delays")), ("none", "0.5", "4.4.1", ""));
    let e = parse("smtp", "ABCDEF1234: to=<a@x.test>, relay=local, status=sent (delivered to mailbox)");
    let Some(Event::Delivery(d)) = e else { panic!("{e:?}") };
    assert_eq!((d.relay, d.fields, d.field("dsn")), ("local", "", ""));
}

#[test]
fn queue_manager_lines() {
    assert_eq!(
        parse("qmgr", "840A4C0FF0: from=<non-existent@ourdomain.com>, size=1145, nrcpt=1 (queue active)"),
        Some(Event::QueueActive { queue_id: "840A4C0FF0", sender: "non-existent@ourdomain.com", size: 1145, nrcpt: 1 })
    );
    assert_eq!(
        parse("qmgr", "840A4C0FF0: from=<a@b>, status=expired, returned to sender"),
        Some(Event::Expired { queue_id: "840A4C0FF0", sender: "a@b" })
    );
    assert_eq!(parse("qmgr", "840A4C0FF0: removed"), Some(Event::Removed { queue_id: "840A4C0FF0" }));
}

#[test]
fn pickup_cleanup_bounce_postsuper() {
    assert_eq!(
        parse("pickup", "7F1E2C0A11: uid=33 from=<www-data>"),
        Some(Event::Pickup { queue_id: "7F1E2C0A11", uid: 33, sender: "www-data" })
    );
    assert_eq!(
        parse("cleanup", "7F1E2C0A11: message-id=<20261123.abc@host>"),
        Some(Event::MessageId { queue_id: "7F1E2C0A11", message_id: "20261123.abc@host" })
    );
    assert!(matches!(
        parse("cleanup", "7F1E2C0A11: milter-reject: END-OF-MESSAGE from x[1.2.3.4]: 5.7.1 Spam; from=<a> to=<b> proto=ESMTP helo=<h>"),
        Some(Event::CleanupAction { action: CleanupVerdict::Reject, .. })
    ));
    assert_eq!(
        parse("bounce", "840A4C0FF0: sender non-delivery notification: 9A2B3C4D5E"),
        Some(Event::Notification { queue_id: "840A4C0FF0", kind: "sender non-delivery", new_queue_id: "9A2B3C4D5E" })
    );
    assert_eq!(
        parse("postsuper", "840A4C0FF0: removed"),
        Some(Event::Postsuper { queue_id: "840A4C0FF0", action: PostsuperAction::Removed })
    );
    assert_eq!(parse("postsuper", "Deleted: 5 messages"), Some(Event::Noise));
}

#[test]
fn postscreen_and_anvil() {
    fn ev(daemon: &str, line: &str) -> (String, String, String, String) {
        match parse(daemon, line) {
            Some(Event::ClientEvent { what, client, detail }) => {
                (what.into(), client.name.into(), client.ip.into(), detail.into())
            }
            e => panic!("{line}: {e:?}"),
        }
    }
    let s = |a: &str| a.to_string();
    assert_eq!(
        ev("postscreen", "PASS NEW [192.0.2.4]:5678"),
        (s("PASS NEW"), s(""), s("192.0.2.4"), s("[192.0.2.4]:5678"))
    );
    assert_eq!(ev("postscreen", "DNSBL rank 3 for [2001:db8::1]:5678").0, "DNSBL");
    assert_eq!(ev("postscreen", "COMMAND TIME LIMIT from [192.0.2.5]:3608 after CONNECT").0, "COMMAND TIME LIMIT");
    assert_eq!(
        ev("postscreen", "NON-SMTP COMMAND from [192.0.2.6]:45284 after CONNECT: GET / HTTP/1.1").0,
        "NON-SMTP COMMAND"
    );
    assert_eq!(ev("postscreen", "PREGREET 14 after 0.08 from [192.0.2.7]:59415: EHLO x\\r\\n").2, "192.0.2.7");
    assert_eq!(ev("postscreen", "DENYLISTED [192.0.2.8]:1234").0, "DENYLISTED");
    assert_eq!(ev("tlsproxy", "DISCONNECT [192.0.2.9]:51637").0, "DISCONNECT");
    assert_eq!(
        parse("postscreen", "cache btree:/var/lib/postfix/postscreen_cache full cleanup: retained=2 dropped=1 entries"),
        Some(Event::Noise)
    );
    assert_eq!(
        ev("dnsblog", "addr 192.0.2.10 listed by domain zen.example.org as 127.0.0.2"),
        (s("listed"), s(""), s("192.0.2.10"), s("zen.example.org as 127.0.0.2"))
    );
    assert_eq!(
        ev("anvil", "statistics: max connection rate 1/60s for (smtp:192.0.2.11) at Nov 23 03:13:00"),
        (s("max connection rate 1/60s"), s(""), s("192.0.2.11"), s("smtp"))
    );
    assert_eq!(
        ev("anvil", "statistics: max connection count 1 for (smtpd:2001:db8:0:1::3) at Oct 26 17:46:59").2,
        "2001:db8:0:1::3"
    );
    assert_eq!(
        ev("anvil", "statistics: max connection count 1 for (127.0.0.1:2525:192.0.2.12) at Oct 26 19:46:00").3,
        "127.0.0.1:2525"
    );
    assert_eq!(parse("anvil", "statistics: max cache size 1 at Oct 26 18:13:50"), Some(Event::Noise));
    assert_eq!(
        ev(
            "smtpd",
            "warning: hostname bad.example.com does not resolve to address 192.0.2.44: Name or service not known"
        ),
        (s("hostname does not resolve"), s("bad.example.com"), s("192.0.2.44"), s("Name or service not known"))
    );
    assert_eq!(
        ev("smtpd", "warning: Connection rate limit exceeded: 31 from spam.example.org[192.0.2.123] for service smtpd"),
        (
            s("Connection rate limit exceeded"),
            s("spam.example.org"),
            s("192.0.2.123"),
            s("31 from spam.example.org[192.0.2.123] for service smtpd")
        )
    );
    assert_eq!(
        ev("smtpd", "warning: Message delivery request rate limit exceeded: 334 from spam.example.com[192.0.2.227] for service submission").0,
        "Message delivery request rate limit exceeded"
    );
}

#[test]
fn unknown_lines_are_none() {
    assert_eq!(parse("smtpd", "something odd happened"), None);
    assert_eq!(parse("tlsproxy", "something odd"), None);
}

#[test]
fn milter_and_proxy_verdicts() {
    let e = parse("smtpd", "NOQUEUE: milter-reject: RCPT from x.example[192.0.2.5]: 451 4.7.1 Try later; from=<a@b> to=<c@d> proto=ESMTP helo=<x>");
    let Some(Event::Reject(r)) = e else { panic!("{e:?}") };
    assert_eq!(
        (r.action, r.via, r.stage, r.code, r.dsn, r.reason),
        ("reject", "milter", "RCPT", "451", "4.7.1", "Try later")
    );
    // Written bare, with NOQUEUE, or with a queue ID: the same verdict.
    for line in [
        "proxy-reject: END-OF-MESSAGE: 554 5.7.0 Spam; from=<a@b> to=<c@d> proto=ESMTP helo=<x>",
        "NOQUEUE: proxy-reject: END-OF-MESSAGE: 554 5.7.0 Spam; from=<a@b> to=<c@d> proto=ESMTP helo=<x>",
        "1A2B3C4D5E: proxy-reject: END-OF-MESSAGE: 554 5.7.0 Spam; from=<a@b> to=<c@d> proto=ESMTP helo=<x>",
    ] {
        let e = parse("smtpd", line);
        let Some(Event::Reject(r)) = e else { panic!("{line}: {e:?}") };
        assert_eq!(
            (r.action, r.via, r.stage, r.code, r.dsn, r.reason),
            ("reject", "proxy", "END-OF-MESSAGE", "554", "5.7.0", "Spam")
        );
        assert_eq!((r.sender, r.recipient, r.client), (Some("a@b"), Some("c@d"), Client::default()));
    }
    let e = parse("smtpd", "proxy-reject: END-OF-MESSAGE: ; from=<a@b> to=<c@d> proto=ESMTP helo=<x>");
    let Some(Event::Reject(r)) = e else { panic!("{e:?}") };
    assert_eq!((r.reason, r.recipient), ("", Some("c@d")));
    let e = parse(
        "smtpd",
        "proxy-accept: END-OF-MESSAGE: 250 2.0.0 Ok: queued as 4F5A6B7C8D; from=<a@b> to=<c@d> proto=ESMTP helo=<x>",
    );
    let Some(Event::Reject(r)) = e else { panic!("{e:?}") };
    assert_eq!((r.action, r.via, r.queued_as), ("accept", "proxy", Some("4F5A6B7C8D")));
    assert_eq!(parse("smtpd", "proxy-accept: junk"), None);
}
