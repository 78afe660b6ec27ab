//! Command-line definitions. Every command reads logs the same way
//! ([`InputArgs`]) and writes tables the same way ([`OutputArgs`]).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  error: nothing could be analysed, or the output could not be written
  2  usage error (bad option or argument)
  3  partial: results were produced, but some input was missing, unreadable
     or damaged (each problem is named on stderr with its file)";

const ABOUT: &str = "Fast forensic analyzer for Postfix mail logs: which SASL account or local \
script sent what, from where, since when.";

const LONG_ABOUT: &str = "\
Fast forensic analyzer for Postfix mail logs: which SASL account or local script sent what, \
from where, since when. Reads mail.log and its rotated, gzipped siblings directly; never \
touches the queue or the logs.

With no command, runs `summary`. With no PATH, reads /var/log/mail.log* (or /var/log/maillog*).
A directory or a base name such as /var/log/mail.log expands to its rotated set
(mail.log.3.gz … mail.log.1, mail.log), read oldest first; `-` reads standard input.

Examples:
  postsleuth                                  summary of /var/log/mail.log*
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
    pub summary: SummaryArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// One screen: totals, time span, input problems, top senders (the default).
    #[command(long_about = SUMMARY_ABOUT, after_help = EXIT_CODES)]
    Summary(SummaryArgs),
    /// Rank accounts, uids, IPs, networks, senders… by a metric, overall or per time bucket.
    #[command(long_about = TOP_ABOUT, after_help = EXIT_CODES)]
    Top(TopArgs),
    /// Every matching message and its raw log lines, in order, with file:line.
    #[command(long_about = TRACE_ABOUT, after_help = EXIT_CODES)]
    Trace(TraceArgs),
    /// Write a realistic incident (rotated mail.log set + truth.json) to try postsleuth on.
    #[command(long_about = SIMULATE_ABOUT, after_help = EXIT_CODES)]
    Simulate(SimulateArgs),
    /// Read the logs and report what was understood: files, lines, records, problems, speed.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Look up IPs (country, ASN) or rebuild the embedded tables from newer CSV files.
    #[command(subcommand)]
    Geo(GeoCommand),
    /// Dump correlated records (messages, deliveries, auth, rejects, sessions) as rows.
    #[command(long_about = EXPORT_ABOUT, after_help = EXIT_CODES)]
    Export(ExportArgs),
    /// Write a dated abuse report (Markdown, HTML with charts, JSON, CSV) for a day, week or month.
    #[command(long_about = REPORT_ABOUT, after_help = EXIT_CODES)]
    Report(ReportArgs),
    /// Which account or uid was compromised, since when (login, file:line), and what to clean up.
    #[command(long_about = SUSPECTS_ABOUT, after_help = EXIT_CODES)]
    Suspects(SuspectsArgs),
    /// One account, IP or uid=N hour by hour: logins, failures, messages, with the compromise marked.
    #[command(long_about = TIMELINE_ABOUT, after_help = EXIT_CODES)]
    Timeline(TimelineArgs),
}

const SUMMARY_ABOUT: &str = "\
One screen: grand totals comparable to pflogsumm's (received, delivered, deferred, bounced,
rejected, held, discarded, bytes, senders, recipients), the time span and input read, then the
top 10 SASL accounts, local uids, client IPs, countries, sender domains and auth-failure
sources. This is what `postsleuth` runs when no command is given.

Examples:
  postsleuth                                   /var/log/mail.log and its rotated siblings
  postsleuth sample-logs/ --since 2026-11-21 --until 2026-11-22
  postsleuth /var/log/mail.log --since yesterday --format json | jq .totals
  postsleuth --format markdown > summary.md";

const TRACE_ABOUT: &str = "\
Every message matching QUERY, with its record and its raw log lines (file:line), in time order,
following content-filter re-injection and bounce notifications. The log-based replacement for
`postcat -q ID | grep …`.

QUERY is a queue ID (840A4C0FF0 or 4Y7Lrk1TnQz4BfX), a Message-ID (with or without <>), or an
address: matched against envelope senders, recipients and SASL usernames.

Examples:
  postsleuth trace 840A4C0FF0
  postsleuth trace '<20261123031300.4F1@example.com>' /var/log/mail.log
  postsleuth trace victim@example.com sample-logs/ --format json";

const TOP_ABOUT: &str = "\
Rank who sent what: by SASL account, local uid, client IP or network, sender, sender or
recipient domain, or HELO name; by messages, recipients, bytes, deferred or bounced
recipients, rejects, failed logins, or distinct client IPs. With --every, the ranking per
time bucket, so a burst shows when it started.

Messages are counted once, by their original submission: a content filter's re-injected
copy counts for the SASL account and client IP that sent the original.

Examples:
  postsleuth top --by account                     who sent the most messages
  postsleuth top --by ip --metric auth-failures   brute-force sources
  postsleuth top --by account --every 1h --limit 3 --since yesterday
  postsleuth top --by net --metric rejected --format csv > rejects-by-network.csv";

const SIMULATE_ABOUT: &str = "\
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

Examples:
  postsleuth simulate --out /tmp/incident && postsleuth /tmp/incident
  postsleuth simulate --out /tmp/big --volume 100 --days 3       (about 1.7 GB, for benchmarks)
  postsleuth simulate --out /tmp/web --scenario webapp-script --format rfc3339 --long-ids";

const EXPORT_ABOUT: &str = "\
Dump correlated records as rows, one table at a time, for your own analysis.

Tables: messages (one per queue ID life), deliveries (one per recipient per attempt), auth
(logins, successful and failed), rejects (NOQUEUE and cleanup verdicts), sessions (smtpd
connect → disconnect). Timestamps are UTC (RFC 3339).

Examples:
  postsleuth export --table messages --format csv > messages.csv
  postsleuth export --table auth --format json sample-logs/ | jq '.[] | select(.success == false)'";

/// Where the logs are and how to read their timestamps.
#[derive(Args, Debug, Clone, Default)]
pub struct InputArgs {
    /// Log files, directories or base names (rotated siblings are added); `-` for stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Read only the named files, not their rotated siblings.
    #[arg(long)]
    pub exact: bool,
    /// Year of the oldest line for RFC 3164 timestamps (default: inferred from file times).
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i32).range(1970..=9999))]
    pub year: Option<i32>,
    /// Zone the log's RFC 3164 timestamps were written in (IANA name, or `local`).
    #[arg(long, value_name = "ZONE", default_value = "local")]
    pub log_tz: String,
    /// Only look at what happened from this time on: RFC 3339, a date, `24h`, `7d`, `yesterday`, `last-week`…
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
    /// Whether standard input (`-`) is among the paths: it cannot be read
    /// twice, so commands that quote lines keep its lines as they read.
    pub fn reads_stdin(&self) -> bool {
        self.paths.iter().any(|p| p.as_os_str() == "-")
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Aligned table for the terminal.
    #[default]
    Table,
    /// JSON: a table is an array of row objects with snake_case keys; commands
    /// with several tables (summary, suspects, trace) give one object holding them.
    Json,
    /// RFC 4180 CSV with a header row; formula-like cells are neutralised.
    Csv,
    /// GitHub-flavoured Markdown table.
    Markdown,
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

#[derive(Args, Debug, Clone, Default)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug, Clone)]
pub struct TraceArgs {
    /// Queue ID, Message-ID or address.
    pub query: String,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What `top` ranks.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// SASL username (of the original submission).
    Account,
    /// Local uid that submitted through pickup (sendmail, PHP mail()).
    Uid,
    /// Client IP address.
    Ip,
    /// Client network: /24 for IPv4, /64 for IPv6.
    Net,
    /// Envelope sender address.
    Sender,
    /// Envelope sender domain.
    SenderDomain,
    /// HELO/EHLO name (logged by Postfix only on rejects).
    Helo,
    /// Recipient domain.
    RecipientDomain,
    /// Country of the client IP.
    Country,
    /// Autonomous system (network operator) of the client IP.
    Asn,
}

/// What `top` ranks by.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Messages submitted (counted once through content filters).
    Messages,
    /// Distinct final recipients.
    Recipients,
    /// Message bytes received.
    Bytes,
    /// Deferred delivery attempts.
    Deferred,
    /// Bounced recipients.
    Bounced,
    /// Rejected SMTP commands (NOQUEUE and cleanup rejects).
    Rejected,
    /// Failed SASL logins.
    AuthFailures,
    /// Distinct client IPs.
    DistinctIps,
    /// Distinct client countries (a cracked account is used from many).
    DistinctCountries,
}

#[derive(Args, Debug, Clone)]
pub struct TopArgs {
    #[arg(long, value_enum, default_value_t = Key::Account)]
    pub by: Key,
    #[arg(long, value_enum, default_value_t = Metric::Messages)]
    pub metric: Metric,
    /// Rank per time bucket: 15m, 1h, 6h, 1d, 1w…
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,
    /// How many to show (per bucket with --every).
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Messages,
    Deliveries,
    Auth,
    Rejects,
    Sessions,
}

#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value_t = Table::Messages)]
    pub table: Table,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Subcommand, Debug)]
pub enum GeoCommand {
    /// Country, ASN and organisation of each IP, and which data answered.
    Lookup {
        #[arg(required = true, value_name = "IP")]
        ips: Vec<String>,
        /// MaxMind Country .mmdb or imported table [env: POSTSLEUTH_GEOIP].
        #[arg(long, value_name = "FILE")]
        geoip: Option<PathBuf>,
        /// MaxMind ASN .mmdb or imported table [env: POSTSLEUTH_ASN_DB].
        #[arg(long, value_name = "FILE")]
        asn_db: Option<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Build country/ASN tables from ip-location-db CSV files
    /// (geo-whois-asn-country-ipv4.csv, …-ipv6.csv, asn-ipv4.csv, asn-ipv6.csv).
    /// Use the output with --geoip DIR/country.bin.gz --asn-db DIR/asn.bin.gz.
    Import {
        /// Country CSV files (ip_range_start,ip_range_end,country_code).
        #[arg(long = "country", value_name = "CSV")]
        country: Vec<PathBuf>,
        /// ASN CSV files (ip_range_start,ip_range_end,as_number,as_organization).
        #[arg(long = "asn", value_name = "CSV")]
        asn: Vec<PathBuf>,
        /// Directory for country.bin.gz and asn.bin.gz.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

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
}

const REPORT_ABOUT: &str = "\
Write a periodic abuse report into OUT/LABEL/: report.md, report.html (one self-contained file,
inline SVG charts, no scripts, no network), report.json (every figure) and one CSV per table.
It holds the totals and their change against the previous period, the suspects (compromised
accounts and uids, with their compromise time and evidence, as `suspects` finds them), the top
accounts, uids, IPs, networks, countries, ASNs and sender domains, failed logins, charts per hour,
and one block of evidence (UTC, with sample log lines) per offending IP or network, ready for its
abuse desk: brute-force and reject sources, and the botnet that sent as a compromised account.

The period: with neither --since nor --until, the last complete day, week (Monday to Sunday)
or month before now, in --tz, so that a cron job after midnight reports on the day before;
--since alone picks the period holding that time; --since and --until together report exactly
that window. LABEL is 2026-11-22 (day), 2026-W47 (week), 2026-11 (month) or START_END.

Cron-friendly: nothing on stdout; the folder is written under a temporary name and renamed,
so a report is either complete or absent (a re-run replaces it whole); the same input gives the
same files except for the one generated-at line (SOURCE_DATE_EPOCH fixes that too).

Examples:
  postsleuth report                                    yesterday, from /var/log/mail.log*
  postsleuth report --period week --out /srv/reports   last week (cron: Mondays at 00:10)
  postsleuth report --period day --since 2026-11-21 --tz UTC --out reports sample-logs/
  postsleuth report --since '2026-11-21 08:00' --until '2026-11-21 20:00' /var/log/mail.log

Crontab:
  5 0 * * *  postsleuth report --out /srv/reports --quiet";

/// How long a report's period is.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReportPeriod {
    /// A calendar day, midnight to midnight.
    #[default]
    Day,
    /// An ISO week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Length of the period reported on, and of the previous one it is compared with.
    #[arg(long, value_enum, default_value_t = ReportPeriod::Day)]
    pub period: ReportPeriod,
    /// Directory the dated report folder is written into (created if missing).
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Zone for the period's boundaries and the times shown (abuse-desk evidence is always UTC).
    #[arg(long, value_name = "ZONE", default_value = "local")]
    pub tz: String,
    /// Rows per ranking.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Failed logins from one network (/24, /64) that make it an offender for the abuse desk.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub min_failures: u64,
    /// Rejected commands from one network that make it an offender for the abuse desk.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub min_rejects: u64,
    /// Abuse-desk blocks shown in report.md and report.html (all are in report.json and offenders.csv).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub abuse_limit: usize,
    #[command(flatten)]
    pub input: InputArgs,
}

const SUSPECTS_ABOUT: &str = "\
Rank SASL accounts and local uids by how likely they were taken over, and say since when.

Everything is learned from the input itself, at the time scale it covers (four minutes of log
or four weeks): each account's usual volume, where it logs in from, and a typical account's
rate. The compromise = the first successful login from an IP new to the account (after a
brute-force wave naming it, when there is one) that is followed by abnormal volume: abnormal
hours when the input has hours of history, else a burst of rate. Then the brute-force wave
before it, what followed (messages, recipients, deferred/bounced share, client IPs,
countries, envelope senders, held, deleted and rejected messages), the end of the abuse when
the attacker's retries start failing (the password was changed), a score with the reasons
behind it, and the log lines (file:line, raw text) that prove each claim. A uid (a web
application sending through pickup) has no logins: its compromise time is the start of its
abnormal volume.

Score (a suspect from --threshold 5):
  +3  the compromise login is from a country no other account uses (+2 if it is only new to
      the account, or a new IP that starts the burst)
  +3  abnormal volume: an hour with >= --ratio times its usual busy hour (the 90th percentile
      of its hours, taken from before a long burst), or a burst: from the login on, messages
      (>= 10) or recipients (>= 30) at >= --ratio times the usual rate, the usual rate being
      the larger of its own before the login and a typical account's (the median), over at
      least 5 minutes
  +2  at least --min-hours abnormal hours (sustained)
  +2  >= --min-ips client IPs since the compromise, or >= 3 sending as it within 15 minutes
  +1  >= 3 countries since the compromise
  +2  >= 3 envelope senders it never used before (forged senders), since the compromise
  +1  >= 30% of its messages (at least 10) deferred or bounced
  +2  >= --min-failures failed logins naming the account before, from any number of IPs
      (a slow, distributed brute force counts the same as a fast one)
  +2  a login from a new IP whose IP or network failed >= --min-failures times just before (the
      smoking gun), or the compromise login from an IP that never failed, after the wave
      (separate infrastructure)
Messages cleanup rejected (header_checks, body_checks, milters) are rejects, not messages
sent. --all also lists the accounts and uids below the threshold with what was seen and
explained (+0: a login from a new place with no burst after it, a few failed logins, a uid's
ordinary pickup mail).

--emit prints what to do next and nothing else; postsleuth never deletes or blocks anything:
  queue-ids        the suspects' messages still queued or held at the end of the input (and
                   the bounce notifications about them), one per line, for postsuper -d -
  nft              attacker IPs and networks as an nftables ruleset (nft -f FILE)
  iptables         the same as iptables/ip6tables commands
  postfix-access   the same as a Postfix CIDR table for check_client_access
  window           the time to review: --since/--until from the brute force to the last
                   message or the attacker's first failed retry, whichever is later

Examples:
  postsleuth suspects                             /var/log/mail.log and its rotated siblings
  postsleuth suspects sample-logs/ --format json | jq '.suspects[0].compromised_at'
  postsleuth suspects --emit queue-ids | postsuper -d -
  postsleuth suspects --emit nft > /etc/nftables.d/postsleuth.nft
  postsleuth suspects --suspect uid=33 --emit window
  postsleuth suspects --all --threshold 3 --since 7d";

const TIMELINE_ABOUT: &str = "\
One account, client IP or local uid, bucket by bucket (an hour unless --every says otherwise):
successful logins and where from (IP and country; for an IP, the accounts), failed logins
(naming the account, or from the IP), messages, recipients, deferred and bounced deliveries.
The mark column shows the brute-force wave, the abnormal hours and the estimated compromise
instant, found as `suspects` finds them (same scoring options).

Examples:
  postsleuth timeline julien.fournier@example.com sample-logs/
  postsleuth timeline 113.187.92.112 sample-logs/ --every 6h
  postsleuth timeline uid=33 --since 2d --format csv > uid33.csv";

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
    /// How soon after a login from somewhere new abnormal volume must start for it to be the compromise (15m, 1h30m, 1d).
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub horizon: String,
    /// How long before the compromise failed logins count as its brute-force wave.
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub lookback: String,
    /// Failed logins that make a brute-force wave (naming the account) or a smoking gun (from one IP or network).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub min_failures: u64,
    /// Client IPs after the compromise that make a botnet.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub min_ips: u64,
}

/// What `suspects --emit` prints.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    /// Queue IDs still queued or held, one per line (for `postsuper -d -`).
    QueueIds,
    /// Attacker IPs and networks as an nftables ruleset.
    Nft,
    /// Attacker IPs and networks as iptables/ip6tables commands.
    Iptables,
    /// Attacker IPs and networks as a Postfix CIDR table for check_client_access.
    PostfixAccess,
    /// The time window to review, as --since/--until.
    Window,
}

#[derive(Args, Debug, Clone)]
pub struct SuspectsArgs {
    /// Only this account or uid=N, whatever its score (repeatable).
    #[arg(long = "suspect", value_name = "ACCOUNT|uid=N")]
    pub suspects: Vec<String>,
    /// Also list the accounts and uids below the threshold.
    #[arg(long)]
    pub all: bool,
    /// Print what to do next instead of the report.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub emit: Option<Emit>,
    /// How many brute-force sources (IPs, networks) to list.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Last: its help heading would otherwise carry over to the options after it.
    #[command(flatten)]
    pub scoring: ScoringArgs,
}

#[derive(Args, Debug, Clone)]
pub struct TimelineArgs {
    /// A SASL username, a client IP, or uid=N.
    pub target: String,
    /// Bucket size: 15m, 1h, 6h, 1d, 1w… Days start at midnight in --tz, also across a DST change; weeks on Monday.
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub every: String,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Last: its help heading would otherwise carry over to the options after it.
    #[command(flatten)]
    pub scoring: ScoringArgs,
}
