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
    Summary(SummaryArgs),
    /// Every matching message and its raw log lines, in order, with file:line.
    #[command(long_about = TRACE_ABOUT, after_help = EXIT_CODES)]
    Trace(TraceArgs),
    /// Dump correlated records (messages, deliveries, auth, rejects, sessions) as rows.
    #[command(long_about = EXPORT_ABOUT, after_help = EXIT_CODES)]
    Export(ExportArgs),
}

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
    #[arg(long, value_name = "YYYY")]
    pub year: Option<i32>,
    /// Zone the log's RFC 3164 timestamps were written in (IANA name, or `local`).
    #[arg(long, value_name = "ZONE", default_value = "local")]
    pub log_tz: String,
    /// No progress bar and no per-line warnings (file errors are still shown).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Aligned table for the terminal.
    #[default]
    Table,
    /// One JSON array of row objects.
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
