//! `postsleuth simulate`: a realistic incident with its ground truth.

use super::{Outcome, UsageError};
use crate::cli::SimulateArgs;
use crate::simulate::{simulate, SimOptions};

pub fn run(a: &SimulateArgs) -> anyhow::Result<Outcome> {
    let usage = |e: String| UsageError(e);
    let start = chrono::NaiveDate::parse_from_str(&a.start, "%Y-%m-%d")
        .map_err(|_| usage(format!("--start {:?}: use a date like 2026-11-20", a.start)))?;
    let opts = SimOptions {
        out: a.out.clone(),
        force: a.force,
        days: a.days,
        seed: a.seed,
        scenario: a.scenario.parse().map_err(|e| usage(format!("--scenario: {e}")))?,
        format: a.format.parse().map_err(|e| usage(format!("--format: {e}")))?,
        long_ids: a.long_ids,
        volume: a.volume,
        start: start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
        hostname: a.hostname.clone(),
    };
    let truth = simulate(&opts)?;
    let files: Vec<&str> = truth.files.iter().map(|f| f.name.as_str()).collect();
    eprintln!("postsleuth: wrote {} and truth.json to {}", files.join(", "), a.out.display());
    Ok(Outcome::Complete)
}
