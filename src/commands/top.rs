//! `postsleuth top --by KEY --metric M [--every D]`: rankings for people and
//! scripts.

use super::{display_zone, finish, load_frames, stdout, Outcome};
use crate::analyze::top::{top, validate, Buckets};
use crate::cli::TopArgs;

pub fn run(a: &TopArgs) -> anyhow::Result<Outcome> {
    let zone = display_zone(&a.output)?;
    validate(a.by, a.metric, a.every.as_deref()).map_err(super::UsageError)?;
    let (ds, frames) = load_frames(&a.input, &zone, false)?;
    // Only buckets need the zone's name (for `local`, read from the system).
    let zone_name = a.every.as_ref().and_then(|_| zone.iana_name());
    let every = a.every.as_deref().map(|every| Buckets { every, zone: zone_name.as_deref() });
    let lf = top(&frames, a.by, a.metric, every, a.limit).map_err(super::UsageError)?;
    let df = lf.collect()?;
    let mut out = stdout();
    crate::render::write_frame(&df, a.output.format, &zone, &mut out)?;
    finish(out, ds)
}
