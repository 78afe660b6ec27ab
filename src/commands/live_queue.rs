//! `suspects --spool DIR`: the suspects joined with the live queue. The
//! log says who was compromised and since when; the queue says which of
//! their messages wait now, which `--emit queue-ids` then gives instead of
//! those the log alone leaves queued.

use crate::analyze::suspects::queued::{owner, waiting};
use crate::analyze::suspects::Suspect;
use crate::queue::{scan, Queued, Scan, Skip};
use crate::render::doc::{Block, Document};
use crate::render::queue::list_frame;
use crate::text::cell;
use polars::prelude::*;
use std::path::Path;

/// The suspects' messages in the queue at `spool` (read-only), the files
/// that could not be read said on stderr; true in the second place when a
/// file was damaged or unreadable (the answer is then partial).
pub fn scan_for(spool: &Path, chosen: &[&Suspect]) -> anyhow::Result<(Scan, bool)> {
    let found = scan(spool, &[], &|q| owner(chosen, q).is_some(), &|_, _| {})?;
    for k in found.skipped.iter().take(10) {
        super::console::say(&format!("postsleuth: {}: {}", cell(&k.path, 200), k.why));
    }
    if found.skipped.len() > 10 {
        super::console::say(&format!("postsleuth: … and {} more queue files skipped", found.skipped.len() - 10));
    }
    let partial = found.skipped.iter().any(|k| matches!(k.why, Skip::Damaged(_) | Skip::Unreadable(_)));
    Ok((found, partial))
}

/// What `--emit queue-ids` says on stderr beside the IDs.
pub fn note(spool: &Path, found: &Scan) -> String {
    let n = found.messages.len();
    let s = if n == 1 { "" } else { "s" };
    format!(
        "{n} message{s} of theirs in the queue at {} now, from each one's compromise on where it is known \
         (for postsuper -d - or postsuper -h -)",
        cell(&spool.display().to_string(), 200)
    )
}

/// The section of the report: per suspect, its messages waiting now, then
/// the oldest `limit` of each one's, each with what its file says.
pub fn section(
    d: &mut Document,
    spool: &Path,
    chosen: &[&Suspect],
    found: &Scan,
    geo: &crate::enrich::Geo,
    limit: usize,
) -> PolarsResult<()> {
    let rows = waiting(chosen, &found.messages);
    let frame = df!(
        "suspect" => chosen.iter().map(|s| s.who.to_string()).collect::<Vec<_>>(),
        "queued" => rows.iter().map(|w| w.messages).collect::<Vec<_>>(),
        "deferred" => rows.iter().map(|w| w.deferred).collect::<Vec<_>>(),
        "hold" => rows.iter().map(|w| w.hold).collect::<Vec<_>>(),
        "on_their_way" => rows.iter().map(|w| w.moving).collect::<Vec<_>>()
    )?;
    let mut frame = frame;
    frame.with_column(crate::frame::opt_dt("oldest", rows.iter().map(|w| w.oldest))?)?;
    d.heading(2, format!("In the queue now ({})", spool.display()));
    d.push(Block::Table { key: Some("live_queue".into()), frame, people: true, csv: true });
    let mut lists = Vec::new();
    let mut more = Vec::new();
    for s in chosen {
        let mut theirs: Vec<Queued> =
            found.messages.iter().filter(|q| owner(std::slice::from_ref(s), q).is_some()).cloned().collect();
        theirs.sort_by_key(|q| q.arrival());
        if theirs.len() > limit {
            more.push(format!(
                "{}: {} more (postsleuth queue --{} --list)",
                s.who,
                theirs.len() - limit,
                who_option(s)
            ));
        }
        theirs.truncate(limit);
        // The suspect's column says whose they are: not its account and uid again.
        let mut frame = list_frame(&theirs, geo)?.drop_many(["account", "uid"]);
        let who = s.who.to_string();
        frame.insert_column(0, Column::new("suspect".into(), vec![who; frame.height()]))?;
        lists.push(frame);
    }
    let mut all = lists.into_iter().reduce(|mut a, b| {
        let _ = a.vstack_mut(&b);
        a
    });
    if let Some(frame) = all.take().filter(|f| f.height() > 0) {
        d.heading(2, "Their messages in the queue, oldest first");
        d.push(Block::Table { key: Some("live_queue_messages".into()), frame, people: true, csv: true });
        if !more.is_empty() {
            d.push(Block::Lines(more));
        }
    }
    Ok(())
}

/// The `queue` option that selects a suspect's messages.
fn who_option(s: &Suspect) -> String {
    match &s.who {
        crate::analyze::suspects::Who::Account(name) => format!("account {}", cell(name, 100)),
        crate::analyze::suspects::Who::Uid(uid) => format!("uid {uid}"),
    }
}
