//! The sections pflogsumm (1.1.x) and postfix-logwatch users read, by
//! name: what each needs loaded, and the titled tables it gives. Each
//! section's query lives in the module of its concept (traffic, domains,
//! addresses, reasons, reject_types, connections, postscreen, delays,
//! sasl, warnings); this only names and gathers them.

use super::Frames;
use super::{addresses, connections, delays, domains, postscreen, reasons, reject_types, sasl, traffic, warnings};
use crate::diag::Warnings;
use crate::frame::Detail;
use crate::time::{Micros, Zone};
use clap::ValueEnum;
use polars::prelude::*;

/// A section of `summary` (`--section`), in the order they are shown.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// Grand totals (received, delivered, deferred, bounced, rejected, …).
    Totals,
    /// The top accounts, uids, client IPs, countries, sender domains and auth-failure sources.
    Rankings,
    /// Traffic per day and per hour of the day (pflogsumm's).
    Traffic,
    /// Delivery by recipient domain, and received by sender domain.
    Domains,
    /// Senders by messages and by bytes.
    Senders,
    /// Recipients by deliveries and by bytes.
    Recipients,
    /// Deferrals by DSN and reason.
    Deferrals,
    /// Bounces by relay, DSN and reason.
    Bounces,
    /// Rejects by type (relay denied, unknown user, RBL and its list, HELO, …) and by reason.
    Rejects,
    /// Reject warnings (warn_if_reject, header/body WARN) by reason.
    RejectWarnings,
    /// smtpd connections: how many, from how many IPs, for how long.
    Connections,
    /// postscreen's verdicts, and DNSBL listings by list.
    Postscreen,
    /// Percentiles of delivery delays (delays=a/b/c/d and the total).
    Delays,
    /// SASL-authenticated messages per account, method and client.
    Sasl,
    /// Warnings, errors, fatal errors, panics and master's messages, with a sample each.
    Warnings,
}

impl Section {
    /// What `summary` shows without `--section` or `--full`.
    pub const DEFAULT: [Section; 2] = [Section::Totals, Section::Rankings];

    pub fn all() -> Vec<Section> {
        Section::value_variants().to_vec()
    }

    /// What ingest must keep for the section beyond the records every
    /// analysis reads.
    pub fn keeps(self) -> Keep {
        use Section::*;
        match self {
            Domains | Delays => Keep::Delays,
            Deferrals | Bounces | Connections | Postscreen => Keep::Details,
            _ => Keep::Records,
        }
    }

    /// The frames' columns the section reads.
    pub fn columns(self) -> Detail {
        use Section::*;
        match self {
            Totals | Rankings | Traffic | Warnings => Detail::Summary,
            Senders | Recipients | Rejects | RejectWarnings => Detail::Analysis,
            Domains | Deferrals | Bounces | Connections | Postscreen | Delays | Sasl => Detail::Sections,
        }
    }
}

/// What ingest keeps, least first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Keep {
    /// The records the analyses read.
    Records,
    /// And each delivery's delays (`delay=`, `delays=a/b/c/d`).
    Delays,
    /// And every detail: relays, DSNs, replies, closed sessions, client events.
    Details,
}

/// What the sections are computed from.
pub struct Inputs<'a> {
    pub frames: &'a Frames,
    /// smtpd sessions (`frame::sessions`), when details were kept.
    pub sessions: Option<&'a DataFrame>,
    /// postscreen, dnsblog, tlsproxy, anvil events (`frame::client_events`).
    pub client_events: Option<&'a DataFrame>,
    pub warnings: &'a Warnings,
    pub zone: &'a Zone,
    /// The days the figures are of.
    pub span: Option<(Micros, Micros)>,
    /// Rows per ranked table.
    pub limit: usize,
}

/// A table of a section: its JSON key, its title.
pub struct Table {
    pub key: &'static str,
    pub title: &'static str,
    pub frame: DataFrame,
}

fn table(key: &'static str, title: &'static str, frame: DataFrame) -> Table {
    Table { key, title, frame }
}

/// The tables of `section` (none for totals and rankings, which summary
/// computes itself, on both cores).
pub fn tables(section: Section, i: &Inputs) -> PolarsResult<Vec<Table>> {
    let (f, n) = (i.frames, i.limit);
    let empty = DataFrame::empty;
    Ok(match section {
        Section::Totals | Section::Rankings => Vec::new(),
        Section::Traffic => vec![
            table("traffic_per_day", "Traffic per day", traffic::per_day(f, i.zone, i.span)?),
            // Over several days, the figures are each hour's daily average.
            table("traffic_per_hour", "Traffic per hour", traffic::per_hour(f, i.zone, i.span)?),
        ],
        Section::Domains => vec![
            table("delivery_by_recipient_domain", "Delivery by recipient domain", domains::by_recipient_domain(f, n)?),
            table("received_by_sender_domain", "Received by sender domain", domains::by_sender_domain(f, n)?),
        ],
        Section::Senders => vec![
            table("senders_by_messages", "Senders by messages", addresses::senders(f, addresses::By::Count, n)?),
            table("senders_by_bytes", "Senders by bytes", addresses::senders(f, addresses::By::Bytes, n)?),
        ],
        Section::Recipients => vec![
            table(
                "recipients_by_deliveries",
                "Recipients by deliveries",
                addresses::recipients(f, addresses::By::Count, n)?,
            ),
            table("recipients_by_bytes", "Recipients by bytes", addresses::recipients(f, addresses::By::Bytes, n)?),
        ],
        Section::Deferrals => vec![table("deferral_detail", "Deferrals by reason", reasons::deferrals(f, n)?)],
        Section::Bounces => vec![table("bounce_detail", "Bounces by relay and reason", reasons::bounces(f, n)?)],
        Section::Rejects => vec![
            table("rejects_by_type", "Rejects by type", reject_types::rejects_by_type(f, n)?),
            table("reject_detail", "Rejects by reason", reasons::rejects(f, n)?),
        ],
        Section::RejectWarnings => {
            vec![table("reject_warning_detail", "Reject warnings by reason", reasons::reject_warnings(f, n)?)]
        }
        Section::Connections => {
            let s = i.sessions.cloned().unwrap_or_else(empty);
            vec![table("smtpd_connections", "smtpd connections", connections::summary(&s)?)]
        }
        Section::Postscreen => {
            let e = i.client_events.cloned().unwrap_or_else(empty);
            vec![
                table("postscreen", "postscreen verdicts", postscreen::verdicts(&e, n)?),
                table("dnsbl_listings", "DNSBL listings by list", postscreen::listings(&e, n)?),
            ]
        }
        Section::Delays => vec![table("delivery_delays", "Delivery delays (seconds)", delays::percentiles(f)?)],
        Section::Sasl => vec![table("sasl_accounts", "SASL accounts by method and client", sasl::accounts(f, n)?)],
        Section::Warnings => {
            vec![table("warnings", "Warnings, errors, fatal errors, panics, master", warnings::table(i.warnings, n)?)]
        }
    })
}

/// `lf` sorted by `by` (each column descending when its flag says so; the
/// last ones break ties, so the order is the same on every run), cut to
/// `limit` rows.
pub(super) fn ranked(lf: LazyFrame, by: &[(&str, bool)], limit: usize) -> LazyFrame {
    let columns: Vec<Expr> = by.iter().map(|(c, _)| col(*c)).collect();
    let options =
        SortMultipleOptions::default().with_order_descending_multi(by.iter().map(|(_, d)| *d)).with_nulls_last(true);
    lf.sort_by_exprs(columns, options).limit(limit.min(IdxSize::MAX as usize) as IdxSize)
}

/// `df` with every float column rounded to `decimals`. In Rust, after the
/// query: polars divides a column by a number as a product with its
/// reciprocal (`14570 × 0.01` = 145.70000000000002), and its own rounding
/// needs a feature this build leaves out.
pub(crate) fn rounded(mut df: DataFrame, decimals: i32) -> PolarsResult<DataFrame> {
    let scale = 10f64.powi(decimals);
    let floats: Vec<String> =
        df.columns().iter().filter(|c| c.dtype() == &DataType::Float64).map(|c| c.name().to_string()).collect();
    for name in floats {
        let values = df.column(&name)?.f64()?.apply_values(|x| (x * scale).round() / scale);
        df.with_column(values.into_column())?;
    }
    Ok(df)
}
