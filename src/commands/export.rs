//! `postsleuth export --table T`: correlated records as rows.

use super::{display_zone, finish, load, stdout, window, Load, Outcome};
use crate::analyze::in_window;
use crate::cli::Io;
use crate::frame;
use crate::frame::Table;
use clap::Args;

pub const EXPORT_ABOUT: &str = "\
Dump correlated records as rows, one table at a time, for your own analysis.

Tables: messages (one per queue ID life), deliveries (one per recipient per attempt), auth
(logins, successful and failed), rejects (NOQUEUE, milter, before-queue filter and cleanup
verdicts), sessions (smtpd connect → disconnect, or known from an abort), client-events
(postscreen and tlsproxy verdicts, dnsblog listings, anvil statistics, smtpd warnings naming
a client), relay-failures (smtp/lmtp's connect to, host said, lost connection with…, with the
delivery line they explain). Timestamps are UTC (RFC 3339).

Examples:
  postsleuth export --table messages --format csv > messages.csv
  postsleuth export --table auth --format json sample-logs/ | jq '.[] | select(.success == false)'";

#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value_t = Table::Messages)]
    pub table: Table,
    #[command(flatten)]
    pub io: Io,
}

pub fn run(a: &ExportArgs) -> anyhow::Result<Outcome> {
    let zone = display_zone(&a.io.output)?;
    let window = window(&a.io.input, &zone)?;
    let ds = load(&a.io.input, Load::DETAILS, &window)?;
    let df = match a.table {
        Table::Messages => in_window(frame::messages(&ds, frame::Detail::All)?, "first_seen", &window)?,
        Table::Deliveries => in_window(frame::deliveries(&ds, frame::Detail::All)?, "time", &window)?,
        Table::Auth => in_window(frame::auth(&ds, frame::Detail::All)?, "time", &window)?,
        Table::Rejects => in_window(frame::rejects(&ds, frame::Detail::All)?, "time", &window)?,
        Table::Sessions => in_window(frame::sessions(&ds)?, "start", &window)?,
        Table::ClientEvents => in_window(frame::client_events(&ds)?, "time", &window)?,
        Table::RelayFailures => in_window(frame::relay_failures(&ds)?, "time", &window)?,
    };
    let mut out = stdout();
    crate::render::write_frame(&df, a.io.output.format, &zone, &mut out)?;
    finish(out, ds)
}
