//! Correlation driven by real log lines (parsed by the real stages).

use super::*;
use crate::syslog::{self, Stamp};

/// Runs RFC 3339 lines through syslog → event → correlate.
fn run(lines: &[&str]) -> Records {
    run_with(lines, true)
}

fn run_with(lines: &[&str], keep_details: bool) -> Records {
    run_numbered(lines, keep_details, |_, _| NO_CONTEXT)
}

/// [`run_with`], each line's context numbered by `number(line index,
/// (host, instance, daemon))`.
fn run_numbered(
    lines: &[&str],
    keep_details: bool,
    mut number: impl FnMut(usize, (&str, &str, &str)) -> u32,
) -> Records {
    let mut c = Correlator::new(true, keep_details);
    for (i, text) in lines.iter().enumerate() {
        let env = syslog::parse(text).unwrap_or_else(|| panic!("not syslog: {text}"));
        let Stamp::Exact(time) = env.stamp else { panic!("use RFC 3339 stamps: {text}") };
        let line = LineRef { file: 0, line: i as u64 + 1 };
        let cx = LineCtx::new(&env, time, line, number(i, (env.host, env.instance, env.daemon)));
        let ev = crate::event::parse(env.daemon, env.payload).unwrap_or_else(|| panic!("not parsed: {text}"));
        c.feed(&cx, &ev);
    }
    c.finish()
}

fn by_qid<'a>(r: &'a Records, qid: &str) -> &'a Message {
    r.messages.iter().find(|m| m.queue_id.as_str() == qid).unwrap_or_else(|| panic!("no message {qid}"))
}

#[test]
fn milter_reject_is_split_like_an_smtpd_reject() {
    let r = run(&[
        "2026-11-23T17:04:01Z mx1 postfix/smtpd[9405]: 1D2E3F4A5B: client=mail.example.org[203.0.113.50]",
        "2026-11-23T17:04:02Z mx1 postfix/cleanup[9406]: 1D2E3F4A5B: milter-reject: END-OF-MESSAGE from mail.example.org[203.0.113.50]: 5.7.1 Spam message rejected; from=<news@example.org> to=<info@example.com> proto=ESMTP helo=<mail.example.org>",
    ]);
    assert_eq!(r.rejects.len(), 1);
    let x = &r.rejects[0];
    let s = |sym| r.str(sym);
    assert_eq!((s(x.action), s(x.stage), s(x.daemon)), ("reject", "END-OF-MESSAGE", "cleanup"));
    assert_eq!((s(x.client_name), s(x.client_ip)), ("mail.example.org", "203.0.113.50"));
    assert_eq!((s(x.code), s(x.dsn), &*x.reason), ("", "5.7.1", "Spam message rejected"));
    assert_eq!(x.sender.map(s), Some("news@example.org"));
    assert_eq!(x.recipient.map(s), Some("info@example.com"));
    assert_eq!((s(x.proto), s(x.helo)), ("ESMTP", "mail.example.org"));
    assert_eq!(by_qid(&r, "1D2E3F4A5B").state, State::Rejected);
}

#[test]
fn header_reject_keeps_the_match_and_finds_helo_and_dsn() {
    let detail = "header Subject: mail from the boss from unknown[203.0.113.9]; from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<x.example.org>: 5.7.1 Message content rejected";
    let line = format!("2026-11-23T17:04:02Z mx1 postfix/cleanup[9406]: 2D2E3F4A5B: reject: {detail}");
    let r = run(&[&line]);
    let x = &r.rejects[0];
    let s = |sym| r.str(sym);
    assert_eq!((s(x.stage), &*x.reason), ("header", detail));
    assert_eq!((s(x.client_name), s(x.client_ip)), ("unknown", "203.0.113.9"));
    assert_eq!((s(x.dsn), s(x.proto), s(x.helo)), ("5.7.1", "ESMTP", "x.example.org"));
    assert_eq!((x.sender.map(s), x.recipient.map(s)), (Some("a@example.org"), Some("b@example.com")));
}

/// The re-injected copy can be delivered and removed before the filter's
/// `250 … queued as` line reaches the log: it is still a continuation.
#[test]
fn reinjected_copy_finished_before_the_queued_as_line() {
    let r = run(&[
        "2026-11-23T13:10:01Z mx1 postfix/smtpd[11280]: 3pJjg82Vycz1JBJG: client=unknown[203.0.113.44], sasl_method=PLAIN, sasl_username=tj@example.com",
        "2026-11-23T13:10:01Z mx1 postfix/qmgr[986]: 3pJjg82Vycz1JBJG: from=<tj@example.com>, size=4000, nrcpt=1 (queue active)",
        "2026-11-23T13:10:02Z mx1 postfix/smtpd[11290]: 3pJjgB6dpKz1JBPW: client=localhost[127.0.0.1]",
        "2026-11-23T13:10:02Z mx1 postfix/qmgr[986]: 3pJjgB6dpKz1JBPW: from=<tj@example.com>, size=4800, nrcpt=1 (queue active)",
        "2026-11-23T13:10:02Z mx1 postfix/lmtp[11505]: 3pJjgB6dpKz1JBPW: to=<amy@example.com>, relay=mx1.example.com[private/dovecot-lmtp], delay=0.01, delays=0/0/0/0.01, dsn=2.0.0, status=sent (250 2.0.0 <amy@example.com> Saved)",
        "2026-11-23T13:10:02Z mx1 postfix/qmgr[986]: 3pJjgB6dpKz1JBPW: removed",
        "2026-11-23T13:10:02Z mx1 postfix/lmtp[11504]: 3pJjg82Vycz1JBJG: to=<amy@example.com>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0.2/0/0/0.8, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 3pJjgB6dpKz1JBPW)",
        "2026-11-23T13:10:02Z mx1 postfix/qmgr[986]: 3pJjg82Vycz1JBJG: removed",
    ]);
    let (a, b) = (by_qid(&r, "3pJjg82Vycz1JBJG"), by_qid(&r, "3pJjgB6dpKz1JBPW"));
    assert_eq!(b.parent, Some((a.id, Link::Reinjected)));
    assert_eq!(r.root_ids()[b.id as usize], a.id);
    assert_eq!(r.root_ids()[a.id as usize], a.id);
    assert_eq!(r.deliveries.iter().map(|d| d.filter_hop).collect::<Vec<_>>(), [false, true]);
}

/// An older message that used the same short ID is not the continuation.
#[test]
fn queued_as_does_not_link_to_an_older_message_with_the_same_id() {
    let r = run(&[
        "2026-11-23T13:00:00Z mx1 postfix/pickup[1201]: 5B5B5B5B5B: uid=33 from=<www-data>",
        "2026-11-23T13:00:01Z mx1 postfix/qmgr[986]: 5B5B5B5B5B: removed",
        "2026-11-23T13:10:01Z mx1 postfix/pickup[1201]: 4A4A4A4A4A: uid=33 from=<www-data>",
        "2026-11-23T13:10:02Z mx1 postfix/smtp[11504]: 4A4A4A4A4A: to=<amy@example.com>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0.2/0/0/0.8, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 5B5B5B5B5B)",
        "2026-11-23T13:10:02Z mx1 postfix/smtpd[11290]: 5B5B5B5B5B: client=localhost[127.0.0.1]",
    ]);
    let ids: Vec<(&str, Option<(u32, Link)>)> = r.messages.iter().map(|m| (m.queue_id.as_str(), m.parent)).collect();
    assert_eq!(ids, [("5B5B5B5B5B", None), ("4A4A4A4A4A", None), ("5B5B5B5B5B", Some((1, Link::Reinjected)))]);
}

/// A content filter on another host (not loopback) that passes XFORWARD:
/// the copy names its original with `orig_queue_id=`, and the original's
/// `queued as` delivery is a hop, not a final delivery, in either order.
#[test]
fn remote_filter_hop_is_found_through_orig_queue_id() {
    let hop = "2026-11-23T13:20:02Z mx1 postfix/smtp[8103]: 6C6C6C6C6C: to=<amy@example.net>, relay=filter.example.com[192.0.2.25]:10024, delay=0.7, delays=0.1/0.01/0.01/0.58, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[192.0.2.1]:10025): 250 2.0.0 Ok: queued as 7D7D7D7D7D)";
    let copy = "2026-11-23T13:20:02Z mx1 postfix/smtpd[8104]: 7D7D7D7D7D: client=filter.example.com[192.0.2.25], orig_queue_id=6C6C6C6C6C, orig_client=unknown[203.0.113.5]";
    let head = "2026-11-23T13:20:01Z mx1 postfix/smtpd[8101]: 6C6C6C6C6C: client=unknown[203.0.113.5], sasl_method=LOGIN, sasl_username=eve@example.com";
    let out = "2026-11-23T13:20:03Z mx1 postfix/smtp[8105]: 7D7D7D7D7D: to=<amy@example.net>, relay=mx.example.net[198.51.100.25]:25, delay=1, delays=0.01/0.01/0.5/0.48, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 8E8E8E8E8E)";
    for lines in [[head, hop, copy, out], [head, copy, hop, out]] {
        let r = run(&lines);
        let (a, b) = (by_qid(&r, "6C6C6C6C6C"), by_qid(&r, "7D7D7D7D7D"));
        assert_eq!(b.parent, Some((a.id, Link::Reinjected)));
        let hops: Vec<(u32, bool)> = r.deliveries.iter().map(|d| (d.message, d.filter_hop)).collect();
        assert_eq!(hops, [(a.id, true), (b.id, false)], "{lines:?}");
    }
}

/// local(8) delivering to a .forward or an alias resubmits the message as a
/// new queue file (`forwarded as NEWID`): the same message, counted once,
/// its final deliveries attributed to whoever sent the original.
#[test]
fn local_forward_is_a_continuation() {
    let r = run(&[
        "2026-11-23T21:00:01Z mx1 postfix/smtpd[9701]: 8B3F1C0D2E: client=unknown[203.0.113.5], sasl_method=LOGIN, sasl_username=eve@example.com",
        "2026-11-23T21:00:01Z mx1 postfix/cleanup[9702]: 9C4A2D1E3F: message-id=<fwd.1@example.com>",
        "2026-11-23T21:00:01Z mx1 postfix/local[9703]: 8B3F1C0D2E: to=<bob@mx1.example.com>, relay=local, delay=0.1, delays=0.05/0.01/0/0.04, dsn=2.0.0, status=sent (forwarded as 9C4A2D1E3F)",
        "2026-11-23T21:00:02Z mx1 postfix/smtp[9704]: 9C4A2D1E3F: to=<bob@example.org>, relay=mx.example.org[203.0.113.80]:25, delay=1, delays=0.01/0.01/0.5/0.48, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 1F2F3F4F5F)",
    ]);
    let (a, b) = (by_qid(&r, "8B3F1C0D2E"), by_qid(&r, "9C4A2D1E3F"));
    assert_eq!(b.parent, Some((a.id, Link::Reinjected)));
    assert_eq!(
        r.deliveries.iter().map(|d| (d.message, d.filter_hop)).collect::<Vec<_>>(),
        [(a.id, true), (b.id, false)]
    );
}

/// One recipient bounced, another deferred, no `removed`: the message is
/// still in the queue (and must be offered to `postsuper -d`), not bounced.
#[test]
fn partly_bounced_message_without_removed_is_still_queued() {
    let r = run(&[
        "2026-11-21T10:00:01Z mx1 postfix/submission/smtpd[1]: EEEE555555: client=unknown[198.51.100.7], sasl_method=LOGIN, sasl_username=bob@example.com",
        "2026-11-21T10:00:02Z mx1 postfix/qmgr[2]: EEEE555555: from=<bob@example.com>, size=1000, nrcpt=2 (queue active)",
        "2026-11-21T10:00:03Z mx1 postfix/smtp[3]: EEEE555555: to=<a@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=1, delays=0.1/0.1/0.4/0.4, dsn=5.1.1, status=bounced (host said: 550 5.1.1 no such user (in reply to RCPT TO command))",
        "2026-11-21T10:00:03Z mx1 postfix/smtp[3]: EEEE555555: to=<b@yahoo.com>, relay=mta5.am0.yahoodns.net[67.195.204.72]:25, delay=1, delays=0.1/0.1/0.4/0.4, dsn=4.7.0, status=deferred (host said: 421 4.7.0 try later (in reply to MAIL FROM command))",
        "2026-11-21T10:00:04Z mx1 postfix/submission/smtpd[1]: FFFF555555: client=unknown[198.51.100.7], sasl_method=LOGIN, sasl_username=bob@example.com",
        "2026-11-21T10:00:05Z mx1 postfix/qmgr[2]: FFFF555555: from=<bob@example.com>, size=1000, nrcpt=1 (queue active)",
        "2026-11-21T10:00:06Z mx1 postfix/smtp[3]: FFFF555555: to=<a@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=1, delays=0.1/0.1/0.4/0.4, dsn=5.1.1, status=bounced (host said: 550 5.1.1 no such user (in reply to RCPT TO command))",
        "2026-11-21T10:00:06Z mx1 postfix/qmgr[2]: FFFF555555: removed",
    ]);
    assert_eq!(by_qid(&r, "EEEE555555").state, State::Queued);
    assert_eq!(by_qid(&r, "FFFF555555").state, State::Bounced);
}

/// Without details (the analyses), a closed session's slot is reused, so
/// that sessions cost memory only while open, and its texts are not kept; a
/// message then names no session, since its slot may hold another one by
/// the end.
#[test]
fn closed_sessions_are_kept_only_with_details() {
    let lines = [
        "2026-11-23T09:00:00Z mx1 postfix/submission/smtpd[500]: connect from unknown[198.51.100.7]",
        "2026-11-23T09:00:01Z mx1 postfix/submission/smtpd[500]: 4A1B2C3D4E: client=unknown[198.51.100.7], sasl_method=PLAIN, sasl_username=ann",
        "2026-11-23T09:00:02Z mx1 postfix/submission/smtpd[500]: disconnect from unknown[198.51.100.7] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6",
        "2026-11-23T09:01:00Z mx1 postfix/submission/smtpd[501]: connect from unknown[203.0.113.9]",
        "2026-11-23T09:01:01Z mx1 postfix/submission/smtpd[501]: 5B2C3D4E5F: client=unknown[203.0.113.9], sasl_method=PLAIN, sasl_username=bob",
        "2026-11-23T09:01:02Z mx1 postfix/submission/smtpd[502]: connect from unknown[192.0.2.1]",
    ];
    let all = run_with(&lines, true);
    assert_eq!(all.sessions.len(), 3);
    assert_eq!(by_qid(&all, "4A1B2C3D4E").session, Some(0));
    assert_eq!(all.auth.len(), 2);

    let lean = run_with(&lines, false);
    // The first session's slot went to the second; the third is open too.
    assert_eq!(lean.sessions.len(), 2);
    assert_eq!((lean.session_count, all.session_count), (3, 3));
    assert_eq!(lean.sessions[0].pid, 501);
    assert_eq!(by_qid(&lean, "4A1B2C3D4E").session, None);
    // Sessions' texts are for trace and export: not even interned here.
    assert_eq!(all.str(all.sessions[2].client_ip), "192.0.2.1");
    assert!(lean.sessions[0].client_ip.is_none() && lean.sessions[0].stats.is_none());
    assert_eq!(lean.strings.find("192.0.2.1"), None);
    // Logins are still recorded once per session.
    assert_eq!(lean.auth.len(), 2);
    assert_eq!(lean.messages.len(), 2);
}

/// Details (what only trace and export show) sit row for row beside the
/// records when kept, and cost nothing when not.
#[test]
fn details_are_kept_row_for_row_or_not_at_all() {
    let lines = [
        "2026-11-23T10:00:00Z mx1 postfix/pickup[800]: 6C7D8E9F0A: uid=33 from=<www-data>",
        "2026-11-23T10:00:00Z mx1 postfix/cleanup[801]: 6C7D8E9F0A: message-id=<x1@mx1.example.com>",
        "2026-11-23T10:00:01Z mx1 postfix/qmgr[802]: 6C7D8E9F0A: from=<www-data@mx1.example.com>, size=900, nrcpt=2 (queue active)",
        "2026-11-23T10:00:02Z mx1 postfix/smtp[803]: 6C7D8E9F0A: to=<a@example.net>, relay=mx.example.net[192.0.2.25]:25, delay=2, delays=0.1/0/0.9/1, dsn=2.0.0, status=sent (250 2.0.0 Ok (queued as 1A))",
        "2026-11-23T10:00:02Z mx1 postfix/smtp[803]: 6C7D8E9F0A: to=<b@example.net>, orig_to=<b@old.example>, relay=none, delay=2, delays=0.1/0/1.9/0, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.26]:25: Connection timed out)",
    ];
    let all = run_with(&lines, true);
    assert_eq!((all.deliveries.len(), all.delivery_details.len()), (2, 2));
    assert_eq!(all.message_details.len(), all.messages.len());
    assert_eq!(all.message_id(0), Some("x1@mx1.example.com"));
    let (d, x) = all.deliveries_of(0).nth(1).unwrap();
    let x = x.unwrap();
    assert_eq!((all.str(d.to), all.str(d.status)), ("b@example.net", "deferred"));
    assert_eq!((all.str(x.orig_to), all.str(x.relay), all.str(x.dsn)), ("b@old.example", "none", "4.4.1"));
    assert_eq!(&*x.response, "connect to mx.example.net[192.0.2.26]:25: Connection timed out");
    assert_eq!(all.delivery_detail(0).map(|x| &*x.response), Some("250 2.0.0 Ok (queued as 1A)"));
    assert_eq!(all.message_detail(0).map(|m| m.lines.len()), Some(5));

    let lean = run_with(&lines, false);
    assert_eq!(lean.deliveries.len(), 2);
    // Lines were asked for (run_with keeps them), so messages have a detail,
    // but without its message-id; deliveries have none.
    assert!(lean.delivery_details.is_empty());
    assert_eq!(lean.message_id(0), None);
    assert_eq!(lean.strings.find("4.4.1"), None, "a detail's strings are not even interned");
}

/// Lines whose host, instance and daemon come numbered (from the parse
/// stage) correlate as lines that go by name, also when the two mix (past
/// the numbers' limit) and when two hosts use the same queue IDs.
#[test]
fn numbered_contexts_correlate_like_names() {
    let lines = [
        "2026-11-23T10:00:00Z mx1 postfix/submission/smtpd[10]: connect from a[192.0.2.1]",
        "2026-11-23T10:00:01Z mx1 postfix/submission/smtpd[10]: 4F1A2B3C4D: client=a[192.0.2.1], sasl_method=PLAIN, sasl_username=ann",
        "2026-11-23T10:00:01Z mx2 postfix/smtpd[10]: connect from b[192.0.2.2]",
        "2026-11-23T10:00:02Z mx2 postfix/smtpd[10]: 4F1A2B3C4D: client=b[192.0.2.2]",
        "2026-11-23T10:00:02Z mx1 postfix/qmgr[2]: 4F1A2B3C4D: from=<ann@example.org>, size=100, nrcpt=1 (queue active)",
        "2026-11-23T10:00:03Z mx2 postfix/qmgr[2]: 4F1A2B3C4D: from=<bob@example.net>, size=200, nrcpt=1 (queue active)",
        "2026-11-23T10:00:04Z mx1 postfix/smtp[3]: 4F1A2B3C4D: to=<x@example.com>, relay=r[198.51.100.1]:25, delay=1, delays=0.1/0/0.4/0.5, dsn=2.0.0, status=sent (250 ok)",
        "2026-11-23T10:00:04Z mx2 postfix/smtp[3]: 4F1A2B3C4D: to=<y@example.com>, relay=none, delay=1, delays=0.1/0/0.4/0.5, dsn=4.4.1, status=deferred (connect timed out)",
        "2026-11-23T10:00:05Z mx1 postfix/qmgr[2]: 4F1A2B3C4D: removed",
    ];
    let describe = |r: &Records| -> Vec<String> {
        r.messages
            .iter()
            .map(|m| {
                let s = |x: Sym| r.str(x).to_string();
                format!(
                    "{} {} {} {} {:?} {} {} {}",
                    s(m.host),
                    s(m.instance),
                    m.queue_id,
                    m.sender.map(s).unwrap_or_default(),
                    m.state,
                    m.sent,
                    m.deferred,
                    m.sasl_username.is_none()
                )
            })
            .collect()
    };
    let by_name = describe(&run(&lines));
    let mut numbers: Vec<(String, String, String)> = Vec::new();
    let mut numbered = |i: usize, (h, inst, d): (&str, &str, &str)| {
        if i % 3 == 2 {
            return NO_CONTEXT;
        }
        let names = (h.to_string(), inst.to_string(), d.to_string());
        let n = numbers.iter().position(|x| *x == names).unwrap_or_else(|| {
            numbers.push(names);
            numbers.len() - 1
        });
        n as u32
    };
    assert_eq!(describe(&run_numbered(&lines, true, &mut numbered)), by_name);
    assert_eq!(by_name.len(), 2);
    assert!(by_name[0].starts_with("mx1 postfix/submission 4F1A2B3C4D ann@example.org"), "{by_name:?}");
    assert!(by_name[1].starts_with("mx2 postfix 4F1A2B3C4D bob@example.net"), "{by_name:?}");
}

/// postscreen's verdicts are kept with the details only: no analysis reads
/// them, and on a spam-heavy log they are a tenth of the lines.
#[test]
fn screen_verdicts_are_kept_only_with_details() {
    let lines = [
        "2026-11-23T09:00:00Z mx1 postfix/postscreen[90]: CONNECT from [198.51.100.7]:40000 to [192.0.2.25]:25",
        "2026-11-23T09:00:01Z mx1 postfix/postscreen[90]: PASS NEW [198.51.100.7]:40000",
    ];
    let all = run_with(&lines, true);
    assert_eq!(all.screen.len(), 2);
    assert_eq!(all.str(all.screen[1].verdict), "PASS NEW");
    let lean = run_with(&lines, false);
    assert!(lean.screen.is_empty());
    assert_eq!(lean.strings.find("198.51.100.7"), None);
}

/// The seam after correlation: a sink that only counts plugs in where
/// [`Records`] collects, and sees every record [`Records`] keeps.
#[test]
fn a_counting_sink_plugs_in() {
    #[derive(Default, Debug, PartialEq)]
    struct Counts {
        auth: usize,
        rejects: usize,
        screen: usize,
        sessions: usize,
        open_at_end: usize,
        messages: usize,
        deliveries: usize,
        strings_named: bool,
    }
    impl Sink for Counts {
        fn auth(&mut self, a: AuthAttempt, strings: &Interner) {
            self.auth += 1;
            self.strings_named |= !strings.get(a.client_ip).is_empty();
        }
        fn reject(&mut self, _: Reject, _: &Interner) {
            self.rejects += 1;
        }
        fn screen(&mut self, _: ScreenEvent, _: &Interner) {
            self.screen += 1;
        }
        fn session(&mut self, _: u32, _: Session, still_open: bool, _: &Interner) {
            self.sessions += 1;
            self.open_at_end += usize::from(still_open);
        }
        fn finish(&mut self, ledger: Ledger) {
            self.messages = ledger.messages.len();
            self.deliveries = ledger.deliveries.len();
        }
    }
    let lines = [
        "2026-11-23T09:00:00Z mx1 postfix/submission/smtpd[500]: connect from unknown[198.51.100.7]",
        "2026-11-23T09:00:01Z mx1 postfix/submission/smtpd[500]: 4A1B2C3D4E: client=unknown[198.51.100.7], sasl_method=PLAIN, sasl_username=ann",
        "2026-11-23T09:00:01Z mx1 postfix/qmgr[1200]: 4A1B2C3D4E: from=<ann@example.com>, size=1145, nrcpt=1 (queue active)",
        "2026-11-23T09:00:02Z mx1 postfix/smtp[2405]: 4A1B2C3D4E: to=<x@example.org>, relay=mx.example.org[192.0.2.25]:25, delay=1.2, delays=0.05/0.01/0.5/0.64, dsn=2.0.0, status=sent (250 ok)",
        "2026-11-23T09:00:02Z mx1 postfix/submission/smtpd[500]: disconnect from unknown[198.51.100.7] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6",
        "2026-11-23T09:01:00Z mx1 postfix/smtpd[501]: connect from unknown[203.0.113.9]",
        "2026-11-23T09:01:01Z mx1 postfix/smtpd[501]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
        "2026-11-23T09:01:02Z mx1 postfix/smtpd[501]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <x@y.example>: Relay access denied; from=<a@b.example> to=<x@y.example> proto=ESMTP helo=<h>",
    ];
    let mut c = Correlator::with_sink(Counts::default(), false, true);
    let mut collect = Correlator::new(false, true);
    for (i, text) in lines.iter().enumerate() {
        let env = syslog::parse(text).unwrap();
        let Stamp::Exact(time) = env.stamp else { panic!("use RFC 3339 stamps: {text}") };
        let cx = LineCtx::new(&env, time, LineRef { file: 0, line: i as u64 + 1 }, NO_CONTEXT);
        let ev = crate::event::parse(env.daemon, env.payload).unwrap();
        c.feed(&cx, &ev);
        collect.feed(&cx, &ev);
    }
    let (counts, r) = (c.finish(), collect.finish());
    let want = Counts {
        auth: r.auth.len(),
        rejects: r.rejects.len(),
        screen: r.screen.len(),
        sessions: r.session_count as usize,
        open_at_end: 1,
        messages: r.messages.len(),
        deliveries: r.deliveries.len(),
        strings_named: true,
    };
    assert_eq!(counts, want);
    assert_eq!((counts.auth, counts.rejects, counts.sessions, counts.messages, counts.deliveries), (2, 1, 2, 1, 1));
}
