//! `postsleuth check`: read the logs and say what was understood. The first
//! thing to run on logs from an unfamiliar server, and the ingest benchmark
//! (parse + correlate, no analysis).

use super::{display_zone, finish, load, stdout, Outcome};
use crate::cli::CheckArgs;
use polars::prelude::*;
use std::time::Instant;

pub fn run(a: &CheckArgs) -> anyhow::Result<Outcome> {
    let zone = display_zone(&a.output)?;
    let started = Instant::now();
    let ds = load(&a.input, false)?;
    let secs = started.elapsed().as_secs_f64();
    let d = &ds.diag;
    let r = &ds.records;
    let bytes: u64 = d.files.iter().map(|f| f.bytes).sum();
    let lines: u64 = d.files.iter().map(|f| f.lines).sum();
    let unrecognised: u64 = d.unrecognised.values().map(|v| v.0).sum();
    let warnings: u64 = d.warnings.values().sum();
    let rows: Vec<(&str, f64)> = vec![
        ("files", d.files.len() as f64),
        ("bytes (uncompressed)", bytes as f64),
        ("lines", lines as f64),
        ("postfix lines", d.postfix_lines as f64),
        ("other programs' lines", d.other_lines as f64),
        ("skipped lines", d.skipped_total() as f64),
        ("unrecognised postfix lines", unrecognised as f64),
        ("postfix warnings", warnings as f64),
        ("lines of messages begun before the input", ds.orphan_lines as f64),
        ("messages", r.messages.len() as f64),
        ("deliveries", r.deliveries.len() as f64),
        ("auth attempts", r.auth.len() as f64),
        ("rejects", r.rejects.len() as f64),
        ("sessions", r.sessions.len() as f64),
        ("seconds", secs),
        ("MB/s", bytes as f64 / 1e6 / secs.max(1e-9)),
    ];
    let df = df!(
        "what" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "value" => rows.iter().map(|r| r.1).collect::<Vec<_>>()
    )?;
    let mut out = stdout();
    crate::render::write_frame(&df, a.output.format, &zone, &mut out)?;
    finish(out, ds)
}
