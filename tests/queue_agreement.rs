//! The queue reader against Postfix's own tools, on a spool a real Postfix
//! 3.7 wrote (tests/fixtures/queue, made by scripts/queue-fixtures/make.sh):
//! every field postsleuth reads equals what `postcat` printed for that file
//! (saved beside it, and printed afresh when postcat is installed), and the
//! queues, senders, recipients, arrival times and delay reasons equal
//! `postqueue -j`'s.

use postsleuth::queue::message::{Status, ATTRIBUTES};
use postsleuth::queue::{scan, Queued};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/queue")
}

fn messages() -> Vec<Queued> {
    let spool = dir().join("spool");
    let mut s = scan(&spool, &[], &|_| true, &|_, _| {}).expect("the fixture spool reads");
    postsleuth::queue::spool::add_reasons(&spool, &mut s.messages).expect("the defer logs read");
    assert!(s.skipped.is_empty(), "{:?}", s.skipped);
    assert_eq!(s.vanished, 0);
    s.messages
}

/// What postcat printed, in the fields postsleuth reads.
#[derive(Debug, Default, PartialEq)]
struct Fields {
    sizes: Option<Vec<u64>>,
    /// Seconds, as postcat shows them.
    arrival: Option<i64>,
    sender: Option<String>,
    full_name: Option<String>,
    attributes: Vec<(String, String)>,
    recipients: Vec<(String, Option<String>, &'static str)>,
    subject: Option<String>,
    from: Option<String>,
    message_id: Option<String>,
    uid: Option<u32>,
}

/// Reads postcat's output: envelope lines as `label: value`, then the
/// headers of MESSAGE CONTENTS up to the blank line, then the extracted
/// section's records.
fn from_postcat(text: &str) -> Fields {
    let mut f = Fields::default();
    let mut section = "";
    let mut original = None;
    let mut headers: Vec<String> = Vec::new();
    let mut in_headers = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("*** ") {
            section = if rest.starts_with("ENVELOPE") {
                "envelope"
            } else if rest.starts_with("MESSAGE CONTENTS") {
                in_headers = true;
                "content"
            } else if rest.starts_with("HEADER EXTRACTED") {
                "extracted"
            } else {
                "end"
            };
            continue;
        }
        if section == "content" {
            if !in_headers {
                continue;
            }
            if line.is_empty() {
                in_headers = false;
            } else if line.starts_with([' ', '\t']) {
                if let Some(last) = headers.last_mut() {
                    last.push_str(line);
                }
            } else {
                headers.push(line.to_string());
            }
            continue;
        }
        let Some((label, value)) = line.split_once(": ").or_else(|| line.strip_suffix(':').map(|l| (l, ""))) else {
            continue;
        };
        let value = value.to_string();
        match label {
            "message_size" => f.sizes = Some(value.split_whitespace().map(|n| n.parse().unwrap()).collect()),
            "message_arrival_time" => f.arrival = Some(ctime(&value)),
            // postcat shows the create_time attribute as a time.
            "create_time" => f.attributes.push(("create_time".into(), ctime(&value).to_string())),
            "sender" => f.sender = Some(value),
            "sender_fullname" => f.full_name = Some(value),
            "named_attribute" => {
                let (n, v) = value.split_once('=').unwrap();
                if ATTRIBUTES.contains(&n) {
                    f.attributes.push((n.to_string(), v.to_string()));
                }
            }
            "original_recipient" => original = Some(value),
            "recipient" => f.recipients.push((value, original.take(), if section == "extracted" { "R+" } else { "R" })),
            "done_recipient" => f.recipients.push((value, original.take(), "D")),
            _ => {}
        }
    }
    let header = |name: &str| {
        headers.iter().find_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.strip_prefix(' ').unwrap_or(v).to_string())
        })
    };
    f.subject = header("subject");
    f.from = header("from");
    f.message_id = header("message-id");
    f.uid = header("received").and_then(|r| {
        let at = r.find("(Postfix, from userid ")? + 22;
        r[at..].split(')').next()?.parse().ok()
    });
    f
}

/// postcat's `ctime(3)` times, in the zone of the machine the fixtures
/// were made and are read on (UTC).
fn ctime(s: &str) -> i64 {
    let t = chrono::NaiveDateTime::parse_from_str(s, "%a %b %e %H:%M:%S %Y").unwrap_or_else(|e| panic!("{s}: {e}"));
    t.and_utc().timestamp()
}

fn from_reader(q: &Queued) -> Fields {
    let file = &q.file;
    let status = |r: &postsleuth::queue::message::Recipient| match (r.status, r.extracted) {
        (Status::Pending, false) => "R",
        (Status::Pending, true) => "R+",
        (Status::Done, _) => "D",
        (Status::Cancelled, _) => "/",
        (Status::Killed, _) => "K",
    };
    Fields {
        sizes: file.sizes.map(|s| {
            let mut v = vec![s.content_size, s.data_offset, s.recipients, s.qmgr_flags];
            v.extend(s.content_length);
            v.extend(s.smtputf8);
            v
        }),
        arrival: file.arrival.map(|a| a / 1_000_000),
        sender: file.sender.clone(),
        full_name: file.full_name.clone(),
        attributes: file.attributes.clone(),
        recipients: file.recipients.iter().map(|r| (r.address.clone(), r.original.clone(), status(r))).collect(),
        subject: file.subject.clone(),
        from: file.from.clone(),
        message_id: file.message_id.clone(),
        uid: file.uid,
    }
}

#[test]
fn every_field_equals_the_saved_postcat_output() {
    let messages = messages();
    assert_eq!(messages.len(), 18);
    for q in &messages {
        let truth = std::fs::read_to_string(dir().join("truth").join(format!("{}.postcat", q.id))).unwrap();
        assert_eq!(from_reader(q), from_postcat(&truth), "{} in {}", q.id, q.queue);
    }
}

#[test]
fn the_long_subject_is_joined_from_its_fragments() {
    let m = messages();
    let q = m.iter().find(|q| q.file.subject.as_deref().is_some_and(|s| s.starts_with("Long subject 0001"))).unwrap();
    let subject = q.file.subject.as_deref().unwrap();
    assert_eq!(subject.len(), 200 * 18 - 1, "longer than line_length_limit (2048): L fragments");
    assert!(subject.ends_with("Long subject 0200"));
}

#[test]
fn queues_recipients_arrival_and_reasons_equal_postqueue() {
    let text = std::fs::read_to_string(dir().join("truth/postqueue.json")).unwrap();
    let truth: BTreeMap<String, Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v["queue_id"].as_str().unwrap().to_string(), v))
        .collect();
    let messages = messages();
    assert_eq!(messages.len(), truth.len());
    for q in &messages {
        let t = &truth[q.id.as_str()];
        assert_eq!(t["queue_name"], q.queue, "{}", q.id);
        assert_eq!(t["arrival_time"].as_i64(), q.arrival().map(|a| a / 1_000_000), "{}", q.id);
        assert_eq!(t["sender"].as_str(), q.file.sender.as_deref(), "{}", q.id);
        // showq lists the recipients in its own order.
        let mut want: Vec<(&str, Option<&str>)> = t["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["address"].as_str().unwrap(), r["delay_reason"].as_str()))
            .collect();
        let mut got: Vec<(&str, Option<&str>)> = q
            .file
            .pending()
            .map(|r| {
                let why = q.reasons.iter().rev().find(|w| w.recipient == r.address).and_then(|w| w.reason.as_deref());
                (r.address.as_str(), why)
            })
            .collect();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{}", q.id);
    }
}

#[test]
fn long_queue_ids_hold_their_files_creation_time() {
    for q in messages().iter().filter(|q| q.id.is_long()) {
        let created = q.file.attribute("create_time").and_then(|t| t.parse::<i64>().ok());
        // maildrop files (postdrop's) have no create_time: their arrival is it.
        let created = created.or(q.file.arrival.map(|a| a / 1_000_000));
        assert_eq!(q.id.created().map(|c| c / 1_000_000), created, "{}", q.id);
    }
}

/// The saved postcat output, checked against a fresh run of the installed
/// postcat (with CI set, a missing postcat fails instead of skipping).
#[test]
fn the_saved_truth_equals_a_fresh_postcat() {
    let postcat = ["/usr/sbin/postcat", "postcat"].into_iter().find(|p| Command::new(p).arg("-h").output().is_ok());
    let Some(postcat) = postcat else {
        assert!(std::env::var_os("CI").is_none(), "CI: postcat is not installed");
        eprintln!("postcat not installed: skipped");
        return;
    };
    let spool = dir().join("spool");
    // An empty configuration: Postfix's defaults, whatever (if anything)
    // the machine's own main.cf says.
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("main.cf"), "").unwrap();
    for q in messages() {
        let path = walk_find(&spool.join(q.queue), q.id.as_str()).unwrap();
        let out = Command::new(postcat).env("TZ", "UTC").arg("-c").arg(config.path()).arg(&path).output().unwrap();
        assert!(out.status.success(), "postcat {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
        let fresh = String::from_utf8_lossy(&out.stdout);
        let saved = std::fs::read_to_string(dir().join("truth").join(format!("{}.postcat", q.id))).unwrap();
        let body = |s: &str| s.lines().filter(|l| !l.starts_with("*** ")).map(str::to_string).collect::<Vec<_>>();
        assert_eq!(body(&fresh), body(&saved), "{}", q.id);
        assert_eq!(from_postcat(&fresh), from_reader(&q), "{}", q.id);
    }
}

fn walk_find(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()? {
        let p = e.ok()?.path();
        if p.is_dir() {
            if let Some(f) = walk_find(&p, name) {
                return Some(f);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}
