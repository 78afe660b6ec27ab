//! `postsleuth timeline ACCOUNT|IP|uid=N`: one identity bucket by bucket,
//! with the brute force, the abnormal hours and the compromise marked as
//! `suspects` finds them.

use super::{display_zone, finish, load_frames, stdout, Outcome};
use crate::analyze::suspects::timeline::{timeline, Clock, Marks, Target};
use crate::analyze::suspects::{self as sus, Who};
use crate::cli::{Io, ScoringArgs};
use crate::duration::Length;
use crate::text::printable;
use clap::Args;

pub const TIMELINE_ABOUT: &str = "\
One account, client IP or local uid, bucket by bucket (an hour unless --every says otherwise):
successful logins and where from (IP and country; for an IP, the accounts), auth
failures (failed SASL logins naming the account, or from the IP), messages; recipients,
deferred and bounced deliveries by the bucket they happened in.
The mark column shows the brute-force wave, the abnormal hours and the estimated compromise
instant, found as `suspects` finds them (same scoring options).

Examples:
  postsleuth timeline julien.fournier@example.com sample-logs/
  postsleuth timeline 113.187.92.112 sample-logs/ --every 6h
  postsleuth timeline uid=33 --since 2d --format csv > uid33.csv";

#[derive(Args, Debug, Clone)]
pub struct TimelineArgs {
    /// A SASL username, a client IP, or uid=N.
    pub target: String,
    /// Bucket size: 15m, 1h30m, 6h, 1d, 1w, 1mo… Buckets start on --tz's wall clock (days at midnight, also across a DST change; weeks on Monday; months on the 1st), as in `top --every`.
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub every: String,
    #[command(flatten)]
    pub io: Io,
    /// Last: its help heading would otherwise carry over to the options after it.
    #[command(flatten)]
    pub scoring: ScoringArgs,
}

pub fn run(a: &TimelineArgs) -> anyhow::Result<Outcome> {
    let zone = display_zone(&a.io.output)?;
    let th = a.scoring.thresholds()?;
    let every = Length::parse("--every", &a.every).and_then(|l| l.bucket("--every", &a.every));
    let every = every.map_err(super::UsageError)?;
    let target = Target::parse(&a.target);
    if a.target.starts_with("uid=") && !matches!(target, Target::Uid(_)) {
        return Err(super::UsageError(format!("{:?}: uid=N takes a number, e.g. uid=33", printable(&a.target))).into());
    }
    let (ds, frames) = load_frames(&a.io.input, &zone, true)?;
    let suspects = sus::suspects(&frames, &th)?;
    let mut marks = Marks::default();
    for s in &suspects {
        let mine = match (&target, &s.who) {
            (Target::Account(t), Who::Account(a)) => t.eq_ignore_ascii_case(a),
            (Target::Uid(t), Who::Uid(u)) => t == u,
            // An IP's timeline marks the compromises it made.
            (Target::Ip(ip), Who::Account(a)) if s.is_flagged(&th) => {
                if let Some(l) = s.compromise.as_ref().filter(|l| &l.ip == ip) {
                    let m = Marks::of(s, &zone).points.into_iter().filter(|(t, _)| *t == l.time);
                    marks.points.extend(m.map(|(t, what)| (t, format!("{what} as {a}"))));
                }
                false
            }
            _ => false,
        };
        if mine {
            marks = Marks::of(s, &zone);
        }
    }
    let clock = Clock::new(every, zone.clone());
    let df = timeline(&frames, &target, &clock, &marks)?;
    if df.height() == 0 && !a.io.input.quiet {
        super::console::say(&format!("postsleuth: nothing found for {:?}", printable(&a.target)));
    }
    let mut out = stdout();
    crate::render::write_frame(&df, a.io.output.format, &zone, &mut out)?;
    finish(out, ds)
}
