//! The `client-events` table: evidence about a client outside messages and
//! sessions (postscreen and tlsproxy verdicts, dnsblog listings, anvil
//! statistics, smtpd's warnings naming a client), and the `relay-failures`
//! table: evidence about a server postsleuth's host talked to.

use super::build::{dt, opt_str, opt_u64, str_col, u32_col, u64_col, Cols};
use super::{file_col, opt_sym, sym_col};
use crate::ingest::Dataset;
use polars::prelude::*;

pub fn client_events(ds: &Dataset) -> PolarsResult<DataFrame> {
    ds.observer.stage(crate::diag::Stage::BuildingFrames);
    let r = &ds.records;
    let x = &r.screen;
    let mut c = Cols::default();
    c.try_col(|| dt("time", x.iter().map(|x| x.time)));
    c.try_col(|| sym_col("host", r, x.iter().map(|x| x.host)));
    c.try_col(|| sym_col("daemon", r, x.iter().map(|x| x.daemon)));
    c.col(|| u32_col("pid", x.iter().map(|x| x.pid)));
    c.try_col(|| sym_col("event", r, x.iter().map(|x| x.verdict)));
    c.try_col(|| opt_sym("client_name", r, x.iter().map(|x| x.client_name)));
    c.try_col(|| opt_sym("client_ip", r, x.iter().map(|x| x.ip)));
    c.try_col(|| super::net_col("client_net", r, x.iter().map(|x| x.ip)));
    c.col(|| str_col("detail", x.iter().map(|x| &*x.detail)));
    c.col(|| file_col(ds, x.iter().map(|x| x.line)));
    c.col(|| u64_col("line", x.iter().map(|x| x.line.line)));
    c.finish()
}

/// The `relay-failures` table: a delivery agent's own words on a failed
/// attempt, with the delivery line they explain.
pub fn relay_failures(ds: &Dataset) -> PolarsResult<DataFrame> {
    ds.observer.stage(crate::diag::Stage::BuildingFrames);
    let r = &ds.records;
    let x = &r.relay_failures;
    let mut c = Cols::default();
    c.try_col(|| dt("time", x.iter().map(|x| x.time)));
    c.try_col(|| sym_col("host", r, x.iter().map(|x| x.host)));
    c.try_col(|| sym_col("daemon", r, x.iter().map(|x| x.daemon)));
    c.col(|| u32_col("pid", x.iter().map(|x| x.pid)));
    c.col(|| opt_str("queue_id", x.iter().map(|x| x.queue_id.map(|q| q.to_string()))));
    c.col(|| str_col("event", x.iter().map(|x| x.what)));
    c.try_col(|| sym_col("relay", r, x.iter().map(|x| x.relay)));
    c.try_col(|| opt_sym("relay_ip", r, x.iter().map(|x| x.relay_ip)));
    c.col(|| str_col("detail", x.iter().map(|x| &*x.detail)));
    c.try_col(|| opt_sym("to", r, x.iter().map(|x| x.delivery.map_or(crate::correlate::Sym::NONE, |d| d.1))));
    c.col(|| opt_u64("delivery_line", x.iter().map(|x| x.delivery.map(|d| d.0.line))));
    c.col(|| file_col(ds, x.iter().map(|x| x.line)));
    c.col(|| u64_col("line", x.iter().map(|x| x.line.line)));
    c.finish()
}
