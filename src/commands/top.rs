//! `postsleuth top --by KEY --metric M [--every D]`: rankings for people and
//! scripts.

use super::{display_zone, finish, load_frames, stdout, Outcome};
use crate::analyze::top::{key_name, metric_name, top, validate, Buckets, RankError};
use crate::analyze::top::{Key, Metric};
use crate::cli::Io;
use crate::duration::Length;
use clap::Args;

pub const TOP_ABOUT: &str = "\
Rank who sent what: by SASL account, local uid, client IP or network, sender, sender or
recipient domain, or HELO name; by messages, recipients, bytes, deferred or bounced
recipients, rejects, auth failures (failed SASL logins), or distinct client IPs. With
--every, the ranking per time bucket, so a burst shows when it started.

Messages are counted once, by their original submission: a content filter's re-injected
copy counts for the SASL account and client IP that sent the original.

Examples:
  postsleuth top --by account                     who sent the most messages
  postsleuth top --by ip --metric auth-failures   brute-force sources
  postsleuth top --by account --every 1h --limit 3 --since yesterday
  postsleuth top --by net --metric rejected --format csv > rejects-by-network.csv";

#[derive(Args, Debug, Clone)]
pub struct TopArgs {
    #[arg(long, value_enum, default_value_t = Key::Account)]
    pub by: Key,
    #[arg(long, value_enum, default_value_t = Metric::Messages)]
    pub metric: Metric,
    /// Rank per time bucket: 15m, 1h30m, 6h, 1d, 1w, 1mo… Buckets start on --tz's wall clock (days at midnight, also across a DST change; weeks on Monday; months on the 1st).
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,
    /// How many to show (per bucket with --every).
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    #[command(flatten)]
    pub io: Io,
}

pub fn run(a: &TopArgs) -> anyhow::Result<Outcome> {
    let zone = display_zone(&a.io.output)?;
    validate(a.by, a.metric).map_err(worded)?;
    let every = a.every.as_deref().map(|e| Length::parse("--every", e).and_then(|l| l.bucket("--every", e)));
    let every = every.transpose().map_err(super::UsageError)?;
    let (ds, frames) = load_frames(&a.io.input, &zone, false)?;
    // Only buckets need the zone's name (for `local`, read from the system).
    let zone_name = every.and_then(|_| zone.iana_name());
    let every = every.map(|every| Buckets { every, zone: zone_name.as_deref() });
    let lf = top(&frames, a.by, a.metric, every, a.limit).map_err(worded)?;
    let df = lf.collect()?;
    let mut out = stdout();
    crate::render::write_frame(&df, a.io.output.format, &zone, &mut out)?;
    finish(out, ds)
}

/// A ranking that cannot be made, in the words of this command's flags.
fn worded(e: RankError) -> super::UsageError {
    let RankError::Unrankable { key, metric } = e else { return super::UsageError(e.to_string()) };
    let hint = match key {
        Key::Helo => " (Postfix logs HELO names only when it rejects: use --metric rejected)",
        Key::RecipientDomain => " (use messages, recipients, deferred, bounced or rejected)",
        _ => "",
    };
    super::UsageError(format!(
        "cannot rank --by {} by --metric {}{hint}",
        key_name(key),
        metric_name(metric).replace('_', "-")
    ))
}
