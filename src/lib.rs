//! postsleuth: a fast forensic analyzer for Postfix mail logs.
//!
//! The data flow, one module per stage (each depends only on those above):
//!
//! ```text
//! source     find the rotated set, open plain/gzip by magic bytes, frame lines;
//!            or follow a file through its rotations, or the journal, live
//! envelope   each line's time, host, instance, daemon, pid: one format per
//!            input, sniffed (syslog: RFC 3164/3339, in `syslog`)
//! event      the Postfix payload → one typed Event
//! correlate  Events → Message, Delivery, AuthAttempt, Reject, Session records,
//!            handed to a sink (`Records` collects them)
//! frame      records → polars DataFrames (the one place that knows the schema)
//! parquet    records ⇄ a Parquet dataset (export writes it, analyses read it)
//! analyze    lazy polars queries: rankings, time series, suspects, the live
//!            thresholds
//! render     terminal tables, JSON, CSV, Markdown, alerts
//! live       watch: the rolling window, its kept lines, evaluations,
//!            alerts sent, state file, metrics
//! ```
//!
//! [`ingest`] wires source → correlate; `commands` wire the rest per
//! subcommand. [`live`] is `watch`'s engine: lines from a follower go on
//! through the same correlation (`ingest::tail`, which the history read at
//! start hands over unfinished); each evaluation finishes a copy of it,
//! frames the window and runs `analyze::suspects` and `analyze::signals`;
//! alerts go to `render::alert`. The library prints nothing: diagnostics and progress go to
//! the caller's [`diag::Handle`]. Helpers any stage may use: `bytemask`
//! (where bytes are in a 64-byte block), `mem` (memory hints), `parallel`
//! (jobs on all cores).

pub mod analyze;
pub mod atomic;
pub mod bytemask;
pub mod cli;
pub mod commands;
pub mod correlate;
pub mod diag;
pub mod duration;
pub mod enrich;
pub mod envelope;
pub mod event;
pub mod frame;
pub mod ingest;
pub mod live;
pub mod mem;
pub mod parallel;
pub mod parquet;
pub mod queue;
pub mod render;
pub mod simulate;
pub mod source;
pub mod syslog;
pub mod text;
pub mod time;
pub mod window;

/// Where a run's time goes (`POSTSLEUTH_TIMINGS=1`): the commands' to report.
pub use commands::timings;
