//! Command-line definitions. Every command reads logs the same way
//! ([`InputArgs`]) and writes tables the same way ([`OutputArgs`]).

use crate::analyze::suspects::Thresholds;
use crate::commands::UsageError;
use crate::commands::{check, export, geo, queue, report, simulate, summary, suspects, timeline, top, trace, watch};
use crate::duration::Length;
use crate::render::Format;
use crate::time::Micros;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  error: nothing could be analysed, or the output could not be written;
     for trace, no message matched the query
  2  usage error (bad option or argument)
  3  partial: results were produced, but some input was missing, unreadable
     or damaged (each problem is named on stderr with its file)
  4  refused: suspects --emit queue-ids printed nothing because the input is out
     of order (time goes back: stderr names where); queue IDs from it could name
     the wrong messages";

const ABOUT: &str = "Fast forensic analyzer for Postfix mail logs: which SASL account or local \
script sent what, from where, since when.";

const LONG_ABOUT: &str = "\
Fast forensic analyzer for Postfix mail logs: which SASL account or local script sent what, \
from where, since when. Reads mail.log and its rotated, gzipped siblings directly, and \
(`queue`) the Postfix queue itself; never changes the queue or the logs.

With no command, runs `summary`. With no PATH, reads the first of /var/log/mail.log*,
/var/log/maillog*, /var/log/postfix.log*, Postfix's maillog_file and the systemd journal
that exists, and says which. A directory or a base name such as /var/log/mail.log expands to
its rotated set (mail.log.3.gz … mail.log.1, mail.log); `-` reads standard input; --journal
reads the journal. Inputs are read oldest first (by their first line's time) whatever order
they are named in, a copy of another read once. journalctl's output (-o json, short,
short-iso, short-precise, short-full…) is read like a log file, recognised by its content.

Examples:
  postsleuth                                  summary of /var/log/mail.log*
  postsleuth --journal --since yesterday      summary of the journal since yesterday
  postsleuth sample-logs/                     summary of the bundled incident
  postsleuth trace 840A4C0FF0                 every line of one message, with file:line
  postsleuth trace spammer@example.com /var/log/mail.log
  postsleuth export --table messages --format csv > messages.csv";

#[derive(Parser, Debug)]
#[command(name = "postsleuth", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXIT_CODES)]
#[command(args_conflicts_with_subcommands = true, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub summary: summary::SummaryArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// One screen: totals, time span, input problems, top senders (the default).
    #[command(long_about = summary::SUMMARY_ABOUT, after_help = EXIT_CODES)]
    Summary(summary::SummaryArgs),
    /// Rank accounts, uids, IPs, networks, senders… by a metric, overall or per time bucket.
    #[command(long_about = top::TOP_ABOUT, after_help = EXIT_CODES)]
    Top(top::TopArgs),
    /// Every matching message and its raw log lines, in order, with file:line.
    #[command(long_about = trace::TRACE_ABOUT, after_help = EXIT_CODES)]
    Trace(trace::TraceArgs),
    /// Write a realistic incident (rotated mail.log set + truth.json) to try postsleuth on.
    #[command(long_about = simulate::SIMULATE_ABOUT, after_help = EXIT_CODES)]
    Simulate(simulate::SimulateArgs),
    /// Read the logs and report what was understood: files, lines, records, problems, speed.
    #[command(after_help = EXIT_CODES)]
    Check(check::CheckArgs),
    /// Look up IPs (country, ASN) or rebuild the embedded tables from newer CSV files.
    #[command(subcommand)]
    Geo(geo::GeoCommand),
    /// Dump correlated records (messages, deliveries, auth, rejects, sessions, client events) as rows.
    #[command(long_about = export::EXPORT_ABOUT, after_help = EXIT_CODES)]
    Export(export::ExportArgs),
    /// Write a dated abuse report (Markdown, HTML with charts, JSON, CSV) for a day, week or month.
    #[command(long_about = report::REPORT_ABOUT, after_help = EXIT_CODES)]
    Report(report::ReportArgs),
    /// Which account or uid was compromised, since when (login, file:line), and what to clean up.
    #[command(long_about = suspects::SUSPECTS_ABOUT, after_help = EXIT_CODES)]
    Suspects(suspects::SuspectsArgs),
    /// One account, IP or uid=N hour by hour: logins, auth failures, messages, with the compromise marked.
    #[command(long_about = timeline::TIMELINE_ABOUT, after_help = EXIT_CODES)]
    Timeline(timeline::TimelineArgs),
    /// The Postfix queue itself, read-only: who queued what, its age by domain, the IDs to delete.
    #[command(long_about = queue::QUEUE_ABOUT, after_help = EXIT_CODES)]
    Queue(queue::QueueArgs),
    /// Follow the log live and alert when an account or uid is taken over, with the evidence.
    #[command(long_about = watch::WATCH_ABOUT, after_help = EXIT_CODES)]
    Watch(watch::WatchArgs),
}

/// Where the logs are and how to read their timestamps.
#[derive(Args, Debug, Clone, Default)]
pub struct InputArgs {
    /// Log files, directories or base names (rotated siblings are added); `-` for stdin; Parquet datasets (export --format parquet).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Read only the named files, not their rotated siblings.
    #[arg(long)]
    pub exact: bool,
    /// Read the systemd journal (through journalctl: the mail facility, where Postfix and Dovecot log), besides any PATH; --since and --until are passed on.
    #[arg(long)]
    pub journal: bool,
    /// Read the journal files in this directory (journalctl --directory), e.g. copied from another machine; implies --journal.
    #[arg(long, value_name = "DIR", conflicts_with = "journal_file")]
    pub journal_dir: Option<PathBuf>,
    /// Read this journal file (journalctl --file); implies --journal.
    #[arg(long, value_name = "FILE")]
    pub journal_file: Option<PathBuf>,
    /// Year of the oldest line for RFC 3164 timestamps, 1970 to 9000 (default: inferred from file times).
    // Bounded well below 9999: a log's lines run on into the years after
    // its first, and RFC 3339 has no year 10000.
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i32).range(1970..=9000))]
    pub year: Option<i32>,
    /// Zone the log's RFC 3164 timestamps were written in (IANA name, or `local`).
    #[arg(long, value_name = "ZONE", default_value = "local")]
    pub log_tz: String,
    /// Only look at what happened from this time on: RFC 3339, a date, a duration back from now (`1h30m`, `7d`, `1mo`), `yesterday`, `last-week`…
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only look at what happened before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// MaxMind GeoLite2/GeoIP2 Country (or City) .mmdb, or a table from `geo import` [env: POSTSLEUTH_GEOIP].
    #[arg(long, value_name = "FILE")]
    pub geoip: Option<PathBuf>,
    /// MaxMind GeoLite2 ASN .mmdb, or a table from `geo import` [env: POSTSLEUTH_ASN_DB].
    #[arg(long, value_name = "FILE")]
    pub asn_db: Option<PathBuf>,
    /// No progress bar and no per-line warnings (file errors are still shown).
    #[arg(long, short)]
    pub quiet: bool,
}

impl InputArgs {
    /// Whether the journal is to be read besides the paths.
    pub fn reads_journal(&self) -> bool {
        self.journal || self.journal_dir.is_some() || self.journal_file.is_some()
    }
}

/// How tables and times are shown.
#[derive(Args, Debug, Clone, Default)]
pub struct OutputArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Zone for displayed times (IANA name, `UTC`, or `local`). JSON and CSV use UTC.
    #[arg(long, value_name = "ZONE", default_value = "local")]
    pub tz: String,
}

/// What every command that reads logs and shows tables takes: the input
/// and the output, in that order in `--help`.
#[derive(Args, Debug, Clone, Default)]
pub struct Io {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How `suspects` and `timeline` decide what is abnormal.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Scoring")]
pub struct ScoringArgs {
    /// Score from which an account or uid is a suspect.
    #[arg(long, value_name = "POINTS", default_value_t = 5)]
    pub threshold: u32,
    /// Abnormal: an hour with this many times the identity's usual busy hour (its 90th percentile, at least 1 message), or a rate this many times its usual rate.
    #[arg(long, value_name = "X", default_value_t = 10.0)]
    pub ratio: f64,
    /// Abnormal hours that make the volume sustained.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub min_hours: usize,
    /// How soon after a login from somewhere new abnormal volume must start for it to be the compromise (15m, 1h30m, 1d; no months).
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub horizon: String,
    /// How long before the compromise auth failures count as its brute-force wave (same forms as --horizon).
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub lookback: String,
    /// Auth failures (failed SASL logins) that make a brute-force wave (naming the account) or a smoking gun (from one IP or network).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub min_failures: u64,
    /// Client IPs after the compromise that make a botnet.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub min_ips: u64,
}

impl ScoringArgs {
    /// The scoring options, checked.
    pub fn thresholds(&self) -> Result<Thresholds, UsageError> {
        let s = self;
        if !(s.ratio.is_finite() && s.ratio >= 1.0) {
            return Err(UsageError(format!("--ratio {}: use a number of at least 1", s.ratio)));
        }
        Ok(Thresholds {
            threshold: s.threshold,
            ratio: s.ratio,
            min_hours: s.min_hours.max(1),
            horizon: duration("--horizon", &s.horizon)?,
            lookback: duration("--lookback", &s.lookback)?,
            min_failures: s.min_failures.max(1),
            min_ips: s.min_ips,
        })
    }
}

/// `watch`'s absolute thresholds, beside the `suspects` rules: rates per
/// account or uid (policyd-rate-limit style), logins from many IPs or
/// countries (postfwd's anti-geoip style), a deferred surge, a brute-force
/// wave.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Live thresholds")]
pub struct RateArgs {
    /// The stretch of log the rates below are counted over.
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub rate_window: String,
    /// Messages of one account or uid (through pickup) in a rate window.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_messages: u64,
    /// Recipients of one account or uid in a rate window.
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub max_recipients: u64,
    /// Client IPs one account logs in from in 24 hours.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_ips: u64,
    /// Countries one account logs in from in 24 hours.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_countries: u64,
    /// Deferred deliveries in a rate window (when also 10 times the usual).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_deferred: u64,
    /// Auth failures in an hour, from at least --wave-ips IPs, that make a brute-force wave.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub wave_failures: u64,
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub wave_ips: u64,
}

impl RateArgs {
    pub fn limits(&self) -> Result<crate::analyze::signals::Limits, UsageError> {
        Ok(crate::analyze::signals::Limits {
            rate_window: duration("--rate-window", &self.rate_window)?,
            max_messages: self.max_messages.max(1),
            max_recipients: self.max_recipients.max(1),
            max_ips: self.max_ips.max(1),
            max_countries: self.max_countries.max(1),
            max_deferred: self.max_deferred.max(1),
            wave_failures: self.wave_failures.max(1),
            wave_ips: self.wave_ips.max(1),
            ..Default::default()
        })
    }
}

/// A fixed-length duration option (`--horizon`, `--lookback`) in µs: the
/// grammar of [`crate::duration`], months refused.
pub fn duration(option: &str, s: &str) -> Result<Micros, UsageError> {
    Length::parse(option, s).and_then(|l| l.fixed(option, s)).map_err(UsageError)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MICROS_PER_SEC;

    #[test]
    fn durations() {
        assert_eq!(duration("--x", "24h").ok(), Some(24 * 3600 * MICROS_PER_SEC));
        assert_eq!(duration("--x", "1h30m").ok(), Some(5400 * MICROS_PER_SEC));
        assert_eq!(duration("--x", "2w").ok(), Some(14 * 86_400 * MICROS_PER_SEC));
        for bad in ["", "h", "10", "0h", "1mo", "1y", "-1h", "99999999999999999w"] {
            assert!(duration("--x", bad).is_err(), "{bad}");
        }
    }
}
