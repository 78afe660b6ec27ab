//! The rows of a dataset's record tables → the records correlation
//! makes, added after those read already.

use super::layout;
use super::read::{Export, Mapping};
use super::tables::{dt, table, Rows, BOOL, STR, U32, U64};
use crate::correlate::{
    AuthAttempt, Delivery, DeliveryDetail, DeliveryStatus, Interner, LineRef, Link, Message, MessageDetail, Origin,
    QueueId, Records, Reject, RelayFailure, ScreenEvent, Session, State, Sym,
};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Where a row's line is: its export's input of that name.
fn line_of(files: &HashMap<String, u32>, file: Option<&str>, line: Option<u64>) -> LineRef {
    let file = file.and_then(|f| files.get(f)).copied().unwrap_or(u32::MAX);
    LineRef { file, line: line.unwrap_or(0) }
}

fn intern(s: &mut Interner, text: Option<&str>) -> Sym {
    s.opt(text)
}

/// An address that may be absent (null) or empty (`<>`).
fn address(s: &mut Interner, text: Option<&str>) -> Option<Sym> {
    text.map(|t| s.intern(t))
}

fn origin(s: Option<&str>) -> Origin {
    match s {
        Some("smtpd") => Origin::Smtpd,
        Some("pickup") => Origin::Pickup,
        Some("notification") => Origin::Notification,
        _ => Origin::Unknown,
    }
}

fn state(s: Option<&str>) -> State {
    [
        State::Delivered,
        State::Bounced,
        State::Expired,
        State::Deleted,
        State::Held,
        State::Rejected,
        State::Discarded,
        State::Queued,
    ]
    .into_iter()
    .find(|st| Some(st.as_str()) == s)
    .unwrap_or(State::Unknown)
}

fn link(s: Option<&str>) -> Link {
    match s {
        Some("notification") => Link::NotificationOf,
        _ => Link::Reinjected,
    }
}

/// Each message of each export, numbered after those read already.
pub(super) fn messages(
    r: &mut Records,
    root: &Path,
    rank: &HashMap<Arc<str>, u32>,
    map: &mut Mapping,
    details: bool,
) -> anyhow::Result<()> {
    let mut spec: Vec<(&str, DataType)> = vec![
        ("export", STR),
        ("message", U32),
        ("host", STR),
        ("queue_id", STR),
        ("first_seen", dt()),
        ("last_seen", dt()),
        ("origin", STR),
        ("instance", STR),
        ("client_name", STR),
        ("client_ip", STR),
        ("sasl_method", STR),
        ("sasl_username", STR),
        ("sasl_sender", STR),
        ("uid", U32),
        ("sender", STR),
        ("size", U64),
        ("nrcpt", U32),
        ("parent", U32),
        ("link", STR),
        ("sent", U32),
        ("deferred", U32),
        ("bounced", U32),
        ("state", STR),
        ("file", STR),
        ("line", U64),
        ("session", U32),
    ];
    if details {
        spec.push(("message_id", STR));
    }
    let t = table(root, layout::MESSAGES, &spec, rank, "message", false)?;
    for k in 0..rank.len() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let ids = c.u32("message")?;
        let numbers = &mut map.messages[k];
        for (i, old) in ids.iter().enumerate() {
            numbers.insert(old.unwrap_or(u32::MAX), (r.messages.len() + i) as u32);
        }
        let numbers = &map.messages[k];
        let (files, session_base) = (&map.files[k], map.session_base[k]);
        let (host, queue_id, first_seen, last_seen) =
            (c.str("host")?, c.str("queue_id")?, c.time("first_seen")?, c.time("last_seen")?);
        let (org, instance, client_name, client_ip) =
            (c.str("origin")?, c.str("instance")?, c.str("client_name")?, c.str("client_ip")?);
        let (sasl_method, sasl_username, sasl_sender) =
            (c.str("sasl_method")?, c.str("sasl_username")?, c.str("sasl_sender")?);
        let (uid, sender, size, nrcpt) = (c.u32("uid")?, c.str("sender")?, c.u64("size")?, c.u32("nrcpt")?);
        let (parent, lnk, sent, deferred, bounced) =
            (c.u32("parent")?, c.str("link")?, c.u32("sent")?, c.u32("deferred")?, c.u32("bounced")?);
        let (st, file, line, session) = (c.str("state")?, c.str("file")?, c.u64("line")?, c.u32("session")?);
        let message_id = details.then(|| c.str("message_id")).transpose()?;
        for i in 0..df.height() {
            let s = &mut r.strings;
            let id = r.messages.len() as u32;
            let m = Message {
                id,
                host: intern(s, host.get(i)),
                queue_id: queue_id.get(i).and_then(QueueId::new).unwrap_or_default(),
                first_seen: first_seen.get(i).unwrap_or(0),
                last_seen: last_seen.get(i).unwrap_or(0),
                origin: origin(org.get(i)),
                instance: intern(s, instance.get(i)),
                client_name: intern(s, client_name.get(i)),
                client_ip: intern(s, client_ip.get(i)),
                sasl_method: intern(s, sasl_method.get(i)),
                sasl_username: intern(s, sasl_username.get(i)),
                sasl_sender: intern(s, sasl_sender.get(i)),
                uid: uid.get(i),
                sender: address(s, sender.get(i)),
                size: size.get(i),
                nrcpt: nrcpt.get(i),
                // A parent outside the dataset (another export) is no link here.
                parent: parent.get(i).and_then(|p| numbers.get(&p)).map(|&p| (p, link(lnk.get(i)))),
                sent: sent.get(i).unwrap_or(0),
                deferred: deferred.get(i).unwrap_or(0),
                bounced: bounced.get(i).unwrap_or(0),
                state: state(st.get(i)),
                session: session.get(i).map(|n| session_base + n),
                first_line: line_of(files, file.get(i), line.get(i)),
                ..Message::default()
            };
            r.messages.push(m);
            if let Some(ids) = message_id {
                r.message_details.push(MessageDetail { message_id: ids.get(i).map(Into::into), lines: Vec::new() });
            }
        }
    }
    Ok(())
}

/// Each delivery of each export, of its message as numbered here; with
/// `details` all of its detail, else with `delays` its delays only (what
/// `summary --section domains,delays` reads: see `Load::delays`).
pub(super) fn deliveries(
    r: &mut Records,
    root: &Path,
    rank: &HashMap<Arc<str>, u32>,
    map: &Mapping,
    details: bool,
    delays: bool,
) -> anyhow::Result<()> {
    let mut spec: Vec<(&str, DataType)> = vec![
        ("export", STR),
        ("seq", U32),
        ("message", U32),
        ("time", dt()),
        ("to", STR),
        ("status", STR),
        ("filter_hop", BOOL),
        ("file", STR),
        ("line", U64),
    ];
    let timing = details || delays;
    if timing {
        spec.extend([("delay", DataType::Float64), ("delays", STR)]);
    }
    if details {
        spec.extend([("daemon", STR), ("orig_to", STR), ("relay", STR), ("dsn", STR), ("response", STR)]);
    }
    let t = table(root, layout::DELIVERIES, &spec, rank, "seq", false)?;
    for k in 0..rank.len() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let (message, time, to, status) = (c.u32("message")?, c.time("time")?, c.str("to")?, c.str("status")?);
        let (hop, file, line) = (c.bool("filter_hop")?, c.str("file")?, c.u64("line")?);
        let timing = if timing { Some((c.f64("delay")?, c.str("delays")?)) } else { None };
        let detail = if details {
            Some((c.str("daemon")?, c.str("orig_to")?, c.str("relay")?, c.str("dsn")?, c.str("response")?))
        } else {
            None
        };
        for i in 0..df.height() {
            // A delivery whose message is in no partition read is left out.
            let Some(&msg) = message.get(i).and_then(|m| map.messages[k].get(&m)) else { continue };
            let s = &mut r.strings;
            let status_text = status.get(i);
            r.deliveries.push(Delivery {
                message: msg,
                time: time.get(i).unwrap_or(0),
                to: intern(s, to.get(i)),
                status: intern(s, status_text),
                outcome: DeliveryStatus::parse(status_text.unwrap_or("")),
                filter_hop: hop.get(i).unwrap_or(false),
                line: line_of(&map.files[k], file.get(i), line.get(i)),
            });
            let Some((delay, delays)) = timing else { continue };
            let mut d = DeliveryDetail {
                daemon: Sym::NONE,
                orig_to: Sym::NONE,
                relay: Sym::NONE,
                delay: delay.get(i).unwrap_or(0.0),
                delays: delays.get(i).and_then(crate::correlate::parse_delays),
                dsn: Sym::NONE,
                response: Box::default(),
            };
            if let Some((daemon, orig_to, relay, dsn, response)) = detail {
                d.daemon = intern(s, daemon.get(i));
                d.orig_to = intern(s, orig_to.get(i));
                d.relay = intern(s, relay.get(i));
                d.dsn = intern(s, dsn.get(i));
                d.response = response.get(i).unwrap_or("").into();
            }
            r.delivery_details.push(d);
        }
    }
    Ok(())
}

pub(super) fn auth(r: &mut Records, root: &Path, rank: &HashMap<Arc<str>, u32>, map: &Mapping) -> anyhow::Result<()> {
    let spec: Vec<(&str, DataType)> = vec![
        ("export", STR),
        ("seq", U32),
        ("time", dt()),
        ("host", STR),
        ("instance", STR),
        ("client_name", STR),
        ("client_ip", STR),
        ("sasl_method", STR),
        ("sasl_username", STR),
        ("success", BOOL),
        ("service", STR),
        ("file", STR),
        ("line", U64),
    ];
    let t = table(root, layout::AUTH, &spec, rank, "seq", false)?;
    for k in 0..rank.len() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let (time, host, instance, client_name) =
            (c.time("time")?, c.str("host")?, c.str("instance")?, c.str("client_name")?);
        let (client_ip, method, username, success) =
            (c.str("client_ip")?, c.str("sasl_method")?, c.str("sasl_username")?, c.bool("success")?);
        let (service, file, line) = (c.str("service")?, c.str("file")?, c.u64("line")?);
        for i in 0..df.height() {
            let s = &mut r.strings;
            r.auth.push(AuthAttempt {
                time: time.get(i).unwrap_or(0),
                host: intern(s, host.get(i)),
                instance: intern(s, instance.get(i)),
                client_name: intern(s, client_name.get(i)),
                client_ip: intern(s, client_ip.get(i)),
                method: intern(s, method.get(i)),
                username: intern(s, username.get(i)),
                success: success.get(i).unwrap_or(false),
                service: intern(s, service.get(i)),
                line: line_of(&map.files[k], file.get(i), line.get(i)),
            });
        }
    }
    Ok(())
}

pub(super) fn rejects(
    r: &mut Records,
    root: &Path,
    rank: &HashMap<Arc<str>, u32>,
    map: &Mapping,
) -> anyhow::Result<()> {
    let spec: Vec<(&str, DataType)> = [
        "export",
        "host",
        "instance",
        "daemon",
        "queue_id",
        "action",
        "via",
        "stage",
        "client_name",
        "client_ip",
        "code",
        "dsn",
        "reason",
        "sender",
        "recipient",
        "proto",
        "helo",
        "sasl_method",
        "sasl_username",
        "file",
    ]
    .into_iter()
    .map(|n| (n, STR))
    .chain([("seq", U32), ("time", dt()), ("line", U64)])
    .collect();
    let t = table(root, layout::REJECTS, &spec, rank, "seq", false)?;
    for k in 0..rank.len() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let s = |n: &str| c.str(n);
        let (time, host, instance, daemon, queue_id) =
            (c.time("time")?, s("host")?, s("instance")?, s("daemon")?, s("queue_id")?);
        let (action, via, stage, client_name, client_ip) =
            (s("action")?, s("via")?, s("stage")?, s("client_name")?, s("client_ip")?);
        let (code, dsn, reason, sender, recipient) =
            (s("code")?, s("dsn")?, s("reason")?, s("sender")?, s("recipient")?);
        let (proto, helo, sasl_method, sasl_username) =
            (s("proto")?, s("helo")?, s("sasl_method")?, s("sasl_username")?);
        let (file, line) = (s("file")?, c.u64("line")?);
        for i in 0..df.height() {
            let st = &mut r.strings;
            r.rejects.push(Reject {
                time: time.get(i).unwrap_or(0),
                host: intern(st, host.get(i)),
                instance: intern(st, instance.get(i)),
                daemon: intern(st, daemon.get(i)),
                queue_id: queue_id.get(i).and_then(QueueId::new),
                action: intern(st, action.get(i)),
                stage: intern(st, stage.get(i)),
                client_name: intern(st, client_name.get(i)),
                client_ip: intern(st, client_ip.get(i)),
                via: intern(st, via.get(i)),
                code: intern(st, code.get(i)),
                dsn: intern(st, dsn.get(i)),
                reason: reason.get(i).unwrap_or("").into(),
                sender: address(st, sender.get(i)),
                recipient: address(st, recipient.get(i)),
                proto: intern(st, proto.get(i)),
                helo: intern(st, helo.get(i)),
                sasl_method: intern(st, sasl_method.get(i)),
                sasl_username: intern(st, sasl_username.get(i)),
                line: line_of(&map.files[k], file.get(i), line.get(i)),
            });
        }
    }
    Ok(())
}

/// Every session, in its place by number (closed ones too: only read
/// with the details, which keep them).
pub(super) fn sessions(
    r: &mut Records,
    root: &Path,
    rank: &HashMap<Arc<str>, u32>,
    map: &Mapping,
    exports: &[Export],
) -> anyhow::Result<()> {
    let spec: Vec<(&str, DataType)> = vec![
        ("export", STR),
        ("session", U32),
        ("host", STR),
        ("instance", STR),
        ("pid", U32),
        ("client_name", STR),
        ("client_ip", STR),
        ("start", dt()),
        ("end", dt()),
        ("abort", STR),
        ("stats", STR),
        ("auth_failed", U32),
        ("auth_ok", BOOL),
        ("messages", U32),
        ("file", STR),
        ("line", U64),
    ];
    let t = table(root, layout::SESSIONS, &spec, rank, "session", false)?;
    for (k, export) in exports.iter().enumerate() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let (number, host, instance, pid) = (c.u32("session")?, c.str("host")?, c.str("instance")?, c.u32("pid")?);
        let (client_name, client_ip, start, end) =
            (c.str("client_name")?, c.str("client_ip")?, c.time("start")?, c.time("end")?);
        let (abort, stats, auth_failed, auth_ok) =
            (c.str("abort")?, c.str("stats")?, c.u32("auth_failed")?, c.bool("auth_ok")?);
        let (messages, file, line) = (c.u32("messages")?, c.str("file")?, c.u64("line")?);
        let base = map.session_base[k] as usize;
        let seen = export.counts.get("sessions_seen").copied().unwrap_or(0) as usize;
        if r.sessions.len() < base + seen {
            r.sessions.resize_with(base + seen, Session::default);
        }
        for i in 0..df.height() {
            let Some(at) = number.get(i).map(|n| base + n as usize).filter(|&at| at < base + seen) else { continue };
            let s = &mut r.strings;
            r.sessions[at] = Session {
                host: intern(s, host.get(i)),
                instance: intern(s, instance.get(i)),
                pid: pid.get(i).unwrap_or(0),
                client_name: intern(s, client_name.get(i)),
                client_ip: intern(s, client_ip.get(i)),
                start: start.get(i),
                end: end.get(i),
                abort: intern(s, abort.get(i)),
                stats: intern(s, stats.get(i)),
                auth_failed: auth_failed.get(i).unwrap_or(0),
                auth_ok: auth_ok.get(i).unwrap_or(false),
                messages: messages.get(i).unwrap_or(0),
                // The first of its lines: the one the table names.
                connect_line: Some(line_of(&map.files[k], file.get(i), line.get(i))),
                abort_line: None,
                end_line: None,
            };
        }
    }
    Ok(())
}

pub(super) fn client_events(
    r: &mut Records,
    root: &Path,
    rank: &HashMap<Arc<str>, u32>,
    map: &Mapping,
) -> anyhow::Result<()> {
    let spec: Vec<(&str, DataType)> = vec![
        ("export", STR),
        ("seq", U32),
        ("time", dt()),
        ("host", STR),
        ("daemon", STR),
        ("pid", U32),
        ("event", STR),
        ("client_name", STR),
        ("client_ip", STR),
        ("detail", STR),
        ("file", STR),
        ("line", U64),
    ];
    let t = table(root, layout::CLIENT_EVENTS, &spec, rank, "seq", false)?;
    for k in 0..rank.len() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let (time, host, daemon, pid) = (c.time("time")?, c.str("host")?, c.str("daemon")?, c.u32("pid")?);
        let (event, client_name, client_ip, detail) =
            (c.str("event")?, c.str("client_name")?, c.str("client_ip")?, c.str("detail")?);
        let (file, line) = (c.str("file")?, c.u64("line")?);
        for i in 0..df.height() {
            let s = &mut r.strings;
            r.screen.push(ScreenEvent {
                time: time.get(i).unwrap_or(0),
                host: intern(s, host.get(i)),
                daemon: intern(s, daemon.get(i)),
                pid: pid.get(i).unwrap_or(0),
                verdict: intern(s, event.get(i)),
                client_name: intern(s, client_name.get(i)),
                ip: intern(s, client_ip.get(i)),
                detail: detail.get(i).unwrap_or("").into(),
                line: line_of(&map.files[k], file.get(i), line.get(i)),
            });
        }
    }
    Ok(())
}

/// What a delivery agent's failure line says it is, as the parse stage
/// names them (`RelayFailure::what` is one of a fixed set).
fn failure_kind(s: Option<&str>) -> &'static str {
    const KINDS: [&str; 8] =
        ["connect", "said", "refused to talk", "lost connection", "timed out", "sasl failed", "certificate", "tls"];
    KINDS.into_iter().find(|&k| Some(k) == s).unwrap_or("other")
}

pub(super) fn relay_failures(
    r: &mut Records,
    root: &Path,
    rank: &HashMap<Arc<str>, u32>,
    map: &Mapping,
) -> anyhow::Result<()> {
    let spec: Vec<(&str, DataType)> = vec![
        ("export", STR),
        ("seq", U32),
        ("time", dt()),
        ("host", STR),
        ("daemon", STR),
        ("pid", U32),
        ("queue_id", STR),
        ("event", STR),
        ("relay", STR),
        ("relay_ip", STR),
        ("detail", STR),
        ("to", STR),
        ("delivery_line", U64),
        ("file", STR),
        ("line", U64),
    ];
    let t = table(root, layout::RELAY_FAILURES, &spec, rank, "seq", false)?;
    for k in 0..rank.len() {
        let df = t.of(k as u32)?;
        let c = Rows::new(&df);
        let (time, host, daemon, pid, queue_id) =
            (c.time("time")?, c.str("host")?, c.str("daemon")?, c.u32("pid")?, c.str("queue_id")?);
        let (event, relay, relay_ip, detail) = (c.str("event")?, c.str("relay")?, c.str("relay_ip")?, c.str("detail")?);
        let (to, delivery_line, file, line) = (c.str("to")?, c.u64("delivery_line")?, c.str("file")?, c.u64("line")?);
        for i in 0..df.height() {
            let s = &mut r.strings;
            let at = line_of(&map.files[k], file.get(i), line.get(i));
            let delivery = delivery_line.get(i).map(|l| (LineRef { file: at.file, line: l }, intern(s, to.get(i))));
            r.relay_failures.push(RelayFailure {
                time: time.get(i).unwrap_or(0),
                host: intern(s, host.get(i)),
                daemon: intern(s, daemon.get(i)),
                pid: pid.get(i).unwrap_or(0),
                queue_id: queue_id.get(i).and_then(QueueId::new),
                what: failure_kind(event.get(i)),
                relay: intern(s, relay.get(i)),
                relay_ip: intern(s, relay_ip.get(i)),
                detail: detail.get(i).unwrap_or("").into(),
                line: at,
                delivery,
            });
        }
    }
    Ok(())
}
