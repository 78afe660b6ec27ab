//! `postsleuth queue [--spool DIR]`: the Postfix queue itself, read
//! natively and read-only: who queued what, where it waits, since when,
//! and (with --emit queue-ids) which messages to delete or hold.

use super::{display_zone, stdout, Outcome, UsageError};
use crate::cli::OutputArgs;
use crate::duration::Length;
use crate::enrich::Geo;
use crate::queue::select::{Filter, Net};
use crate::queue::spool::{add_reasons, scan, Skip};
use crate::queue::tally::{rank, shape, Key};
use crate::render::doc::{Block, Document};
use crate::render::queue::{header, list_frame, queue_ids, rank_frame, shape_frame, Summary};
use clap::{Args, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

pub const QUEUE_ABOUT: &str = "\
Read the Postfix queue itself (natively: no postcat, one process for the whole spool) and say
who queued what: messages per queue, the oldest, total size, the top SASL accounts, local uids
(pickup), client IPs and countries, sender and recipient domains and subjects, then qshape's
picture: messages by age (minutes) per recipient domain, or per --by key. The client of a
message a content filter re-injected is the original one (XFORWARD), not 127.0.0.1.

Strictly read-only: files are opened for reading only and never locked, moved or changed;
postsleuth never runs postsuper. Files qmgr moves while they are read are skipped and counted.

The queue is readable by root and the postfix user only: run as root, or `sudo -u postfix`.
Without permission postsleuth names the directory it could not read and exits with 1.

Examples:
  sudo postsleuth queue                              the summary of the live queue
  sudo postsleuth queue --account alice@example.org --queue deferred
  sudo postsleuth queue --uid 33 --emit queue-ids | sudo postsuper -d -
  sudo postsleuth queue --account alice@example.org --list --format csv > alice-queued.csv
  sudo postsleuth queue --by sender-domain --older-than 1d --format csv";

/// What `queue --emit` prints.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueEmit {
    /// The selected queue IDs, one per line, for `postsuper -d -` or `postsuper -h -`.
    QueueIds,
}

/// A queue, by its directory's name.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueName {
    Maildrop,
    Incoming,
    Active,
    Deferred,
    Hold,
    Corrupt,
    Saved,
}

impl QueueName {
    fn dir(self) -> &'static str {
        match self {
            QueueName::Maildrop => "maildrop",
            QueueName::Incoming => "incoming",
            QueueName::Active => "active",
            QueueName::Deferred => "deferred",
            QueueName::Hold => "hold",
            QueueName::Corrupt => "corrupt",
            QueueName::Saved => "saved",
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct QueueArgs {
    /// The queue directory (default: `postconf -h queue_directory`, else /var/spool/postfix).
    #[arg(long, value_name = "DIR")]
    pub spool: Option<PathBuf>,
    /// Rows of the age picture: recipient domain (qshape), sender domain (qshape -s), account, uid, ip…
    #[arg(long, value_enum, default_value_t = Key::RecipientDomain)]
    pub by: Key,
    /// Only messages sent by this SASL account.
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// Only messages a local user (pickup) submitted as this uid.
    #[arg(long, value_name = "N")]
    pub uid: Option<u32>,
    /// Only messages from this client IP or network (CIDR).
    #[arg(long, value_name = "IP[/LEN]")]
    pub client: Option<String>,
    /// Only messages with this envelope sender (`@domain`: any sender of the domain).
    #[arg(long, value_name = "ADDRESS")]
    pub sender: Option<String>,
    /// Only messages with a pending recipient in this domain.
    #[arg(long, value_name = "DOMAIN")]
    pub recipient_domain: Option<String>,
    /// Only these queues (repeat the option for several).
    #[arg(long, value_enum)]
    pub queue: Vec<QueueName>,
    /// Only messages that arrived longer ago than this (15m, 6h, 2d).
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<String>,
    /// Only messages that arrived from this time on (RFC 3339, a date, a duration back from now, `yesterday`…).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// One row per selected message instead of the summary (ID, queue, arrival, account, uid,
    /// client, country, sender, recipients, bytes, subject, why deferred), oldest first.
    #[arg(long, conflicts_with = "emit")]
    pub list: bool,
    /// Print the selected queue IDs instead of the summary (the count goes to stderr).
    #[arg(long, value_enum)]
    pub emit: Option<QueueEmit>,
    /// Rows per ranking and in the age picture.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// MaxMind GeoLite2/GeoIP2 Country (or City) .mmdb, or a table from `geo import` [env: POSTSLEUTH_GEOIP].
    #[arg(long, value_name = "FILE")]
    pub geoip: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The ranked sections.
const SECTIONS: [(&str, Key); 7] = [
    ("Top SASL accounts", Key::Account),
    ("Top local uids (pickup)", Key::Uid),
    ("Top client IPs", Key::Ip),
    ("Top client countries", Key::Country),
    ("Top sender domains", Key::SenderDomain),
    ("Top recipient domains", Key::RecipientDomain),
    ("Top subjects", Key::Subject),
];

pub fn run(a: &QueueArgs) -> anyhow::Result<Outcome> {
    let zone = display_zone(&a.output)?;
    let now = chrono::Utc::now().timestamp_micros();
    let filter = filter(a, &zone, now)?;
    let filtered = a.account.is_some()
        || a.uid.is_some()
        || a.client.is_some()
        || a.sender.is_some()
        || a.recipient_domain.is_some()
        || a.older_than.is_some()
        || a.since.is_some()
        || !a.queue.is_empty();
    let geo = Geo::from_env_or_args(a.geoip.as_deref(), None)?;
    let spool = a.spool.clone().unwrap_or_else(default_spool);
    let queues: Vec<&'static str> = a.queue.iter().map(|q| q.dir()).collect();

    let bar = (!a.quiet && std::io::stderr().is_terminal()).then(progress_bar);
    let tick = |done: u64, total: u64| {
        if let Some(b) = &bar {
            b.set_length(total);
            b.set_position(done);
        }
    };
    let mut scan = scan(&spool, &queues, &|q| filter.matches(q), &tick)?;
    add_reasons(&spool, &mut scan.messages)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let spool_name = spool.display().to_string();
    for k in scan.skipped.iter().take(10) {
        super::console::say(&format!("postsleuth: {}: {}", crate::text::cell(&k.path, 200), k.why));
    }
    if scan.skipped.len() > 10 {
        super::console::say(&format!("postsleuth: … and {} more files skipped", scan.skipped.len() - 10));
    }
    let partial = scan.skipped.iter().any(|k| matches!(k.why, Skip::Damaged(_) | Skip::Unreadable(_)));
    let outcome = if partial { Outcome::Partial } else { Outcome::Complete };

    let mut out = stdout();
    if a.emit == Some(QueueEmit::QueueIds) {
        out.write_all(queue_ids(&scan.messages).as_bytes())?;
        out.flush()?;
        let n = scan.messages.len();
        super::console::say(&format!(
            "postsleuth: {n} queue ID{} (for postsuper -d - or postsuper -h -)",
            if n == 1 { "" } else { "s" }
        ));
        return Ok(outcome);
    }

    let messages = &scan.messages;
    let summary = Summary { spool: &spool_name, scan: &scan, selected: messages, filtered, shape_by: a.by.name(), now };
    let mut d = Document::default();
    header(&mut d, &summary, &zone);
    if a.list {
        d.heading(2, "Messages");
        d.push(Block::Table {
            key: Some("messages".into()),
            frame: list_frame(messages, &geo)?,
            people: true,
            csv: true,
        });
        crate::render::doc::write(&d, a.output.format, &zone, &mut out)?;
        out.flush()?;
        return Ok(outcome);
    }
    d.heading(2, "Messages per queue");
    let per_queue = rank(messages, Key::Queue, &geo, usize::MAX);
    d.push(Block::Table {
        key: Some("queues".into()),
        frame: rank_frame("queue", &per_queue)?,
        people: true,
        csv: true,
    });
    for (title, key) in SECTIONS {
        let rows = rank(messages, key, &geo, a.limit);
        let json_key = title.to_lowercase().replace(['(', ')'], "").replace([' ', '-'], "_");
        d.heading(2, title);
        d.push(Block::Table { key: Some(json_key), frame: rank_frame(key.name(), &rows)?, people: true, csv: true });
    }
    let what = if a.by == Key::RecipientDomain { "recipients" } else { "messages" };
    d.heading(2, format!("Age of queued {what} in minutes, by {}", summary.shape_by.replace('_', " ")));
    let rows = shape(messages, a.by, &geo, now, a.limit);
    d.push(Block::Table { key: Some("age".into()), frame: shape_frame(a.by.name(), &rows)?, people: true, csv: true });
    crate::render::doc::write(&d, a.output.format, &zone, &mut out)?;
    out.flush()?;
    Ok(outcome)
}

fn filter(a: &QueueArgs, zone: &crate::time::Zone, now: i64) -> Result<Filter, UsageError> {
    let client =
        match &a.client {
            Some(c) => Some(Net::parse(c).ok_or_else(|| {
                UsageError(format!("--client {c:?}: use an IP address or a network like 192.0.2.0/24"))
            })?),
            None => None,
        };
    let older = match &a.older_than {
        Some(s) => Some(Length::parse("--older-than", s).and_then(|l| l.fixed("--older-than", s)).map_err(UsageError)?),
        None => None,
    };
    let since = match &a.since {
        Some(s) => Some(crate::window::parse_bound("--since", s, zone, now).map_err(UsageError)?),
        None => None,
    };
    Ok(Filter {
        account: a.account.clone(),
        uid: a.uid,
        client,
        sender: a.sender.clone(),
        recipient_domain: a.recipient_domain.clone(),
        before: older.map(|d| now - d),
        since,
    })
}

/// Where Postfix keeps its queue: `postconf -h queue_directory`, else
/// Debian's and Postfix's default.
fn default_spool() -> PathBuf {
    let asked = std::process::Command::new("postconf")
        .args(["-h", "queue_directory"])
        .stderr(std::process::Stdio::null())
        .output();
    match asked {
        Ok(o) if o.status.success() => {
            let dir = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if dir.starts_with('/') {
                return PathBuf::from(dir);
            }
            PathBuf::from("/var/spool/postfix")
        }
        _ => PathBuf::from("/var/spool/postfix"),
    }
}

fn progress_bar() -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} queue files {per_sec} ETA {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    b.set_style(style);
    b
}
