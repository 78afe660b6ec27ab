//! `postsleuth trace QUERY`: every matching message, its record and its raw
//! lines with file:line, following re-injection and notification links. The
//! log-based replacement for `postcat -q ID | grep …`.

use super::{display_zone, finish, load, stdout, window, Load, Outcome, UsageError};
use crate::analyze::trace::{flow_lines, flows};
use crate::cli::Io;
use crate::correlate::LineRef;
use crate::render::trace::{write_json, write_text};
use crate::render::Format;
use crate::source::fetch::fetch_lines;
use crate::text::printable;
use clap::Args;
use std::collections::BTreeSet;

pub const TRACE_ABOUT: &str = "\
Every message matching QUERY, with its record and its raw log lines (file:line), in time order,
following content-filter re-injection and bounce notifications. The log-based replacement for
`postcat -q ID | grep …`.

QUERY is a queue ID (840A4C0FF0 or 4Y7Lrk1TnQz4BfX), a Message-ID (with or without <>), or an
address: matched against envelope senders, recipients and SASL usernames.

A message's line says what became of its recipients: `delivered` when all were sent,
`1 of 4 recipients bounced, 3 sent` when some bounced, or its state (queued, held, deleted,
expired, rejected, discarded). --format json gives one object: the query and its flows, each
with its messages (each with its recipients' total, sent, deferred and bounced) and its lines
(file, line, text; for an entry of the journal also its cursor, and as text the line journalctl
shows for it). When no message matches, trace says so and exits with 1.

Examples:
  postsleuth trace 840A4C0FF0
  postsleuth trace '<20261123031300.4F1@example.com>' /var/log/mail.log
  postsleuth trace victim@example.com sample-logs/ --format json";

#[derive(Args, Debug, Clone)]
pub struct TraceArgs {
    /// Queue ID, Message-ID or address.
    pub query: String,
    #[command(flatten)]
    pub io: Io,
}

pub fn run(a: &TraceArgs) -> anyhow::Result<Outcome> {
    if matches!(a.io.output.format, Format::Csv | Format::Markdown) {
        // A flow is a record and its lines, not a table: say so rather than
        // print text the user asked not to get.
        return Err(UsageError(
            "trace prints text or --format json; for rows of messages and deliveries use `postsleuth export`".into(),
        )
        .into());
    }
    let zone = display_zone(&a.io.output)?;
    let window = window(&a.io.input, &zone)?;
    let ds = load(&a.io.input, Load { lines: true, quote: true, ..Load::DETAILS }, &window)?;
    let mut flows = flows(&ds.records, &a.query);
    flows.retain(|f| f.iter().any(|&id| window.contains(ds.records.messages[id as usize].first_seen)));
    let wanted: BTreeSet<LineRef> = flows.iter().flat_map(|f| flow_lines(&ds.records, f)).collect();
    let text = fetch_lines(&ds.inputs, &wanted, &ds.kept_lines);
    let mut out = stdout();
    match a.io.output.format {
        Format::Json => write_json(&ds, &a.query, &flows, &text, &mut out)?,
        _ => write_text(&ds, &flows, &text, &zone, &mut out)?,
    }
    let outcome = finish(out, ds)?;
    if flows.is_empty() {
        // Exit 1, as for nothing to analyse: a script can tell "no such
        // message" from a trace.
        anyhow::bail!("no message matches {:?}", printable(&a.query));
    }
    Ok(outcome)
}
