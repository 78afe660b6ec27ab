//! `postsleuth check`: read the logs and say what was understood. The first
//! thing to run on logs from an unfamiliar server, and the ingest benchmark
//! (parse + correlate as the analyses run them, without the texts only
//! `trace` and `export` keep).

use super::{display_zone, finish, load, stdout, Load, Outcome};
use crate::cli::Io;
use clap::Args;
use polars::prelude::*;
use std::time::Instant;

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
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
    let warnings: u64 = d.warnings.values().sum();
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
        // Postfix's `warning:`, `error:` and `fatal:` lines that are no
        // event of their own: SASL authentication failures are written as
        // warnings too, and counted as auth attempts.
        ("other postfix warnings", warnings),
        ("lines of messages begun before the input", ds.orphan_lines),
        ("messages", r.messages.len() as u64),
        ("deliveries", r.deliveries.len() as u64),
        ("auth attempts", r.auth.len() as u64),
        ("rejects", r.rejects.len() as u64),
        ("sessions", r.session_count),
        ("milliseconds", (secs * 1000.0).round() as u64),
        ("MB/s", (bytes as f64 / 1e6 / secs.max(1e-9)).round() as u64),
    ];
    let df = df!(
        "what" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "value" => rows.iter().map(|r| r.1).collect::<Vec<_>>()
    )?;
    let mut out = stdout();
    crate::render::write_frame(&df, a.io.output.format, &zone, &mut out)?;
    finish(out, ds)
}
