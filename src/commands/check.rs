//! `postsleuth check`: read the logs and say what was understood. The first
//! thing to run on logs from an unfamiliar server, and the ingest benchmark
//! (parse + correlate as the analyses run them, without the texts only
//! `trace` and `export` keep).

use super::{display_zone, finish, load, stdout, Load, Outcome};
use crate::cli::Io;
use crate::diag::{Diagnostics, FileReport};
use crate::render::Format;
use clap::Args;
use polars::prelude::*;
use std::io::Write;
use std::time::Instant;

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// Only the table of input files (name, format, compression, lines,
    /// bytes, skipped, repaired, padding, problem), in any --format. The
    /// terminal and Markdown show it under the counts anyway; JSON and CSV
    /// give the counts alone unless this is asked, as scripts read them.
    #[arg(long)]
    pub files: bool,
    #[command(flatten)]
    pub io: Io,
}

pub fn run(a: &CheckArgs) -> anyhow::Result<Outcome> {
    let zone = display_zone(&a.io.output)?;
    let started = Instant::now();
    let window = super::window(&a.io.input, &zone)?;
    let ds = load(&a.io.input, Load::FRAMES, &window)?;
    let secs = started.elapsed().as_secs_f64();
    let d = &ds.diag;
    let r = &ds.records;
    let bytes: u64 = d.files.iter().map(|f| f.bytes).sum();
    let lines: u64 = d.files.iter().map(|f| f.lines).sum();
    let unrecognised: u64 = d.unrecognised.values().map(|v| v.0).sum();
    let warnings = d.warnings.count();
    // Whole numbers, so that `--format json` gives counts as integers; the
    // timing in milliseconds and whole MB/s for the same reason.
    let rows: Vec<(&str, u64)> = vec![
        ("files", d.files.len() as u64),
        ("bytes (uncompressed)", bytes),
        ("lines", lines),
        ("postfix lines", d.postfix_lines),
        ("other programs' lines", d.other_lines),
        ("skipped lines", d.skipped_total()),
        ("unrecognised postfix lines", unrecognised),
        // Postfix's `warning:`, `error:`, `fatal:` and `panic:` lines that
        // are no event of their own: SASL authentication failures are
        // written as warnings too, and counted as auth attempts. The label
        // is the one scripts read (the corpora's check.sh among them).
        ("postfix warnings", warnings),
        ("lines of messages begun before the input", ds.orphan_lines),
        // A record whose client address was a network or junk keeps the
        // rest of its line (account, queue ID), without an IP.
        ("damaged client addresses", r.damaged_addresses),
        ("messages", r.messages.len() as u64),
        ("deliveries", r.deliveries.len() as u64),
        ("auth attempts", r.auth.len() as u64),
        ("rejects", r.rejects.len() as u64),
        ("sessions", r.session_count),
        ("client events", r.client_events),
        ("relay failures", r.relay_failure_count),
        ("milliseconds", (secs * 1000.0).round() as u64),
        ("MB/s", (bytes as f64 / 1e6 / secs.max(1e-9)).round() as u64),
    ];
    let df = df!(
        "what" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "value" => rows.iter().map(|r| r.1).collect::<Vec<_>>()
    )?;
    let format = a.io.output.format;
    let mut out = stdout();
    let people = matches!(format, Format::Table | Format::Markdown);
    if !a.files {
        crate::render::write_frame(&df, format, &zone, &mut out)?;
    }
    if a.files || people {
        if people && !a.files {
            writeln!(out)?;
        }
        crate::render::write_frame(&files(&ds.diag)?, format, &zone, &mut out)?;
    }
    finish(out, ds)
}

/// One row per input, as read: where the counts above came from.
fn files(d: &Diagnostics) -> PolarsResult<DataFrame> {
    let f = &d.files;
    let problem = |r: &FileReport| -> Option<String> {
        let mut why: Vec<String> = r.error.iter().cloned().collect();
        why.extend(d.duplicates.iter().filter(|x| x.kept == r.name).map(|x| format!("also named as {}", x.dropped)));
        (!why.is_empty()).then(|| why.join("; "))
    };
    df!(
        "file" => f.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        "compression" => f.iter().map(|r| r.compression).collect::<Vec<_>>(),
        "lines" => f.iter().map(|r| r.lines).collect::<Vec<_>>(),
        "bytes" => f.iter().map(|r| r.bytes).collect::<Vec<_>>(),
        "skipped" => f.iter().map(FileReport::skipped_total).collect::<Vec<_>>(),
        "repaired_utf8" => f.iter().map(|r| r.repaired_utf8).collect::<Vec<_>>(),
        "padding" => f.iter().map(|r| r.padding).collect::<Vec<_>>(),
        "problem" => f.iter().map(problem).collect::<Vec<_>>()
    )
}
