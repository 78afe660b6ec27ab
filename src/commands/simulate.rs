//! `postsleuth simulate`: a realistic incident with its ground truth.

use super::{Outcome, UsageError};
use crate::duration::Length;
use crate::simulate::{simulate, LiveOptions, SimError, SimOptions};
use clap::Args;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

pub const SIMULATE_ABOUT: &str = "\
Write a realistic Postfix incident as a logrotate-style set (mail.log, mail.log.1,
mail.log.2.gz, … one day per file) plus truth.json, the facts an analysis should find:
the compromised account or uid, the attacker's first login (time and file:line), the
brute-force wave, spam and recipient counts, per-account and per-IP figures.

Scenarios (the attack ones differ from sasl-compromise in one or two ways; unless said
otherwise they guess for minutes in office hours of the last day, the guessing address that
got in logs in, and 5-40 bots send tens of messages a minute with forged envelope senders):
  sasl-compromise   a cracked password: hours of brute force, first login from a new IP, a
                    botnet's spam burst (deferred, bounced), the admin's postsuper -d
  webapp-script     a hacked web application sending through pickup as uid 33 (www-data)
  quiet             ordinary traffic only, for false-positive checks
  early-caught      the log ends about 10 minutes into the spam run (nobody reacted yet);
                    two spam messages rejected by header_checks
  short-history     ignores --days: one file under an hour long (from 06:25), a victim with
                    0-2 messages of her own, a short wave, 50-200 spam messages in minutes
  slow-brute-force  30-60 failures from 20-40 IPs, one or two each, over minutes, a third
                    lost after AUTH (Postfix 3.9 with Dovecot: (reason unavailable), sasl_username=…)
  separate-infra    the first login comes from a network (and country) that never failed
  ipv6-attacker     the first login and part of the bots over IPv6
  port-logging      smtpd_client_port_logging = yes: client=name[ip]:port everywhere
  dovecot-failures  Dovecot SASL: Postfix 3.9 failure lines plus Dovecot's own
                    auth: passwd-file(user,ip): Password mismatch / unknown user
  reset-retry       the password is reset: the bots' logins fail (truth: abuse_end), the admin
                    holds a few queued spam messages and deletes the rest
  trap-travel       no incident: a user sends 2-3 messages from a hotel abroad, hours apart
  trap-typo         no incident: a user fails once from his usual IP, then logs in
  trap-cron         no incident: a new local uid (1001) mails twice from cron
  traps             no incident: the three traps in one log (truth: traps)

The same options and seed give byte-identical files.

--live writes the same lines as they happen, for `postsleuth watch` to follow: truth.json
first, then mail.log line by line in accelerated real time (--speed simulated seconds per
second; --skip writes the first part at once), rotated at each simulated midnight as
logrotate with delaycompress does (mail.log becomes mail.log.1, the old .1 mail.log.2.gz).
The files end byte-identical to the batch run's; Ctrl-C stops after a whole line.

Examples:
  postsleuth simulate --out /tmp/incident && postsleuth /tmp/incident
  postsleuth simulate --out /tmp/big --volume 100 --days 3       (about 1.7 GB, for benchmarks)
  postsleuth simulate --out /tmp/web --scenario webapp-script --format rfc3339 --long-ids
  postsleuth simulate --out /tmp/live --live --speed 600 --skip 2d9h   (watch it with postsleuth watch)";

#[derive(Args, Debug, Clone)]
pub struct SimulateArgs {
    /// Directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The incident to plant (see the list above).
    #[arg(long, default_value = "sasl-compromise")]
    pub scenario: String,
    /// Days to simulate, one log file per day.
    #[arg(long, default_value_t = 3)]
    pub days: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timestamp shape: rfc3164 (Nov 23 03:13:00) or rfc3339.
    #[arg(long, default_value = "rfc3164")]
    pub format: String,
    /// Long queue IDs (enable_long_queue_ids = yes).
    #[arg(long)]
    pub long_ids: bool,
    /// Traffic multiplier: 1 is about 15 MB, 100 about 1.7 GB.
    #[arg(long, default_value_t = 1.0)]
    pub volume: f64,
    /// First day (UTC).
    #[arg(long, default_value = "2026-11-20")]
    pub start: String,
    #[arg(long, default_value = "mx1")]
    pub hostname: String,
    /// Replace the mail.log* files of an earlier simulation in DIR.
    #[arg(long)]
    pub force: bool,
    /// Write mail.log live, each line when its time comes (see above).
    #[arg(long)]
    pub live: bool,
    /// With --live: simulated seconds per wall-clock second.
    #[arg(long, default_value_t = 600.0, requires = "live")]
    pub speed: f64,
    /// With --live: the first DURATION of simulated time written at once
    /// (e.g. 2d9h: the history before the incident).
    #[arg(long, value_name = "DURATION", requires = "live")]
    pub skip: Option<String>,
}

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
        live: match a.live {
            true => Some(live_options(a)?),
            false => None,
        },
    };
    // Options the simulator refuses, and a directory it would not
    // overwrite, are the user's to change: usage errors (exit 2).
    let truth = simulate(&opts).map_err(|e| match e {
        SimError::BadOptions(_) | SimError::OutNotEmpty(_) => anyhow::Error::from(UsageError(e.to_string())),
        e => e.into(),
    })?;
    let files: Vec<&str> = truth.files.iter().map(|f| f.name.as_str()).collect();
    if opts.live.as_ref().is_some_and(|l| l.stop.load(Ordering::Relaxed)) {
        eprintln!("postsleuth: stopped: {} holds the lines written so far, whole", a.out.display());
        return Ok(Outcome::Complete);
    }
    eprintln!("postsleuth: wrote {} and truth.json to {}", files.join(", "), a.out.display());
    Ok(Outcome::Complete)
}

/// `--live`'s options, and Ctrl-C (or SIGTERM) set to stop it at a whole
/// line: a second Ctrl-C ends it at once.
fn live_options(a: &SimulateArgs) -> anyhow::Result<LiveOptions> {
    let usage = |e: String| UsageError(e);
    if !(a.speed.is_finite() && a.speed > 0.0) {
        return Err(usage(format!("--speed {}: use a positive number of simulated seconds per second", a.speed)).into());
    }
    let skip = match &a.skip {
        Some(s) => Length::parse("--skip", s).and_then(|l| l.fixed("--skip", s)).map_err(usage)?,
        None => 0,
    };
    let stop = crate::atomic::stop_flag();
    Ok(LiveOptions { speed: a.speed, skip, stop })
}
