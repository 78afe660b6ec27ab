//! The figures of a periodic abuse report: which period, its totals against
//! the previous one, the rankings, hourly series for the charts, and the
//! offending networks with the evidence an abuse desk needs.
//!
//! Everything here is data; `render::report` turns it into files. Rankings
//! are [`super::top::top`] queries and suspects [`super::suspects`]' own,
//! so a report, `postsleuth top` and `postsleuth suspects` always agree.
//!
//! Long because the report's figures share one period and one set of frames;
//! its unit tests sit at the end.

use super::suspects::{self, Suspect, Thresholds};
use super::top::top;
use super::{in_window, totals, Frames, Totals};
use crate::analyze::top::{Key, Metric};
use crate::time::{local_date, Micros, Zone, MICROS_PER_SEC};
use crate::window::Window;
use chrono::{Datelike, Days, Months, NaiveDate};
use clap::ValueEnum;
use polars::prelude::*;
use std::collections::BTreeMap;

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

const HOUR: Micros = 3600 * MICROS_PER_SEC;

/// Accounts drawn one line each in the "messages per hour" chart: more
/// lines than this cannot be told apart.
pub const CHART_ACCOUNTS: usize = 5;

/// Sample log lines per offender: the first few show how it began, the last
/// few that it went on.
const FIRST_SAMPLES: u32 = 3;
const LAST_SAMPLES: u32 = 2;

/// A half-open time span `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: Micros,
    pub end: Micros,
}

impl Span {
    pub fn window(&self) -> Window {
        Window { since: Some(self.start), until: Some(self.end) }
    }

    /// Hours in the span, a partial last hour included (a day has 23 or 25
    /// across a DST change).
    pub fn hours(&self) -> usize {
        usize::try_from((self.end - self.start).max(0).saturating_add(HOUR - 1) / HOUR).unwrap_or(0)
    }

    /// The start of each hour of the span.
    pub fn hour_starts(&self) -> Vec<Micros> {
        (0..self.hours() as i64).map(|i| self.start + i * HOUR).collect()
    }

    pub fn overlaps(&self, first: Micros, last: Micros) -> bool {
        first < self.end && last >= self.start
    }
}

/// The period a report covers, and the one before it of the same length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    /// `day`, `week`, `month` or `custom`.
    pub kind: &'static str,
    /// The folder name: `2026-11-22`, `2026-W47`, `2026-11`, or
    /// `START_END` for a custom window. Digits, `-`, `_`, `T` and `W` only:
    /// nothing from the log ever becomes a path.
    pub label: String,
    pub current: Span,
    pub previous: Span,
}

/// Which period to report on (see `postsleuth report --help`): the last
/// complete one before `now`; the one holding `since`; the one ending at
/// `until`; or exactly `[since, until)`.
pub fn choose_period(
    kind: ReportPeriod,
    since: Option<Micros>,
    until: Option<Micros>,
    zone: &Zone,
    now: Micros,
) -> Result<Period, String> {
    match (since, until) {
        (Some(s), Some(u)) => Ok(custom(s, u, zone)),
        (Some(s), None) => aligned(kind, zone, s),
        (None, Some(u)) => aligned(kind, zone, u - 1),
        (None, None) => {
            let running = aligned(kind, zone, now)?;
            aligned(kind, zone, running.current.start - 1)
        }
    }
}

fn custom(since: Micros, until: Micros, zone: &Zone) -> Period {
    let stamp = |t: Micros| {
        // `2026-11-22 08:00:00` → `2026-11-22` at midnight, else `2026-11-22T0800`.
        let s = zone.format(t, false);
        match s.strip_suffix(" 00:00:00") {
            Some(date) => date.to_string(),
            None => format!("{}T{}{}", &s[..10], &s[11..13], &s[14..16]),
        }
    };
    Period {
        kind: "custom",
        label: format!("{}_{}", stamp(since), stamp(until)),
        current: Span { start: since, end: until },
        previous: Span { start: since - (until - since), end: since },
    }
}

/// The calendar period of `kind` holding `t`, in `zone`.
fn aligned(kind: ReportPeriod, zone: &Zone, t: Micros) -> Result<Period, String> {
    let out_of_range = || "the period is outside the calendar's range".to_string();
    let date = local_date(zone, t);
    let start = match kind {
        ReportPeriod::Day => date,
        ReportPeriod::Week => date - Days::new(date.weekday().num_days_from_monday() as u64),
        ReportPeriod::Month => date.with_day(1).ok_or_else(out_of_range)?,
    };
    let (next, prev) = match kind {
        ReportPeriod::Day => (start.checked_add_days(Days::new(1)), start.checked_sub_days(Days::new(1))),
        ReportPeriod::Week => (start.checked_add_days(Days::new(7)), start.checked_sub_days(Days::new(7))),
        ReportPeriod::Month => (start.checked_add_months(Months::new(1)), start.checked_sub_months(Months::new(1))),
    };
    let (next, prev) = (next.ok_or_else(out_of_range)?, prev.ok_or_else(out_of_range)?);
    let (kind_name, label) = match kind {
        ReportPeriod::Day => ("day", start.format("%Y-%m-%d").to_string()),
        ReportPeriod::Week => ("week", format!("{}-W{:02}", start.iso_week().year(), start.iso_week().week())),
        ReportPeriod::Month => ("month", start.format("%Y-%m").to_string()),
    };
    let at = |d: NaiveDate| midnight(zone, d);
    Ok(Period {
        kind: kind_name,
        label,
        current: Span { start: at(start), end: at(next) },
        previous: Span { start: at(prev), end: at(start) },
    })
}

/// Local midnight of `d` in `zone`, as UTC.
fn midnight(zone: &Zone, d: NaiveDate) -> Micros {
    let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    (naive.and_utc().timestamp() - zone.offset_at_local(naive)) * MICROS_PER_SEC
}

/// One ranking of the report: a `top` query under a stable id (the CSV's
/// file name and the JSON key) and a title for people.
pub struct Ranking {
    pub id: &'static str,
    pub title: &'static str,
    pub frame: DataFrame,
}

/// The report's rankings, in the order they are shown.
pub const RANKINGS: [(&str, &str, Key, Metric); 13] = [
    ("top_accounts", "Top SASL accounts", Key::Account, Metric::Messages),
    ("top_uids", "Top local uids (pickup)", Key::Uid, Metric::Messages),
    ("top_ips", "Top client IPs", Key::Ip, Metric::Messages),
    ("top_networks", "Top client networks", Key::Net, Metric::Messages),
    ("top_countries", "Top client countries", Key::Country, Metric::Messages),
    ("top_asns", "Top client ASNs", Key::Asn, Metric::Messages),
    ("top_sender_domains", "Top sender domains", Key::SenderDomain, Metric::Messages),
    ("auth_failures_by_ip", "Auth failures by client IP", Key::Ip, Metric::AuthFailures),
    ("auth_failures_by_network", "Auth failures by client network", Key::Net, Metric::AuthFailures),
    ("auth_failures_by_account", "Auth failures by username tried", Key::Account, Metric::AuthFailures),
    ("auth_failures_by_country", "Auth failures by client country", Key::Country, Metric::AuthFailures),
    ("rejects_by_ip", "Rejected commands by client IP", Key::Ip, Metric::Rejected),
    ("rejects_by_helo", "Rejected commands by HELO name", Key::Helo, Metric::Rejected),
];

/// What makes a report: how many rows per ranking, and how much abuse makes
/// a network an offender.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub top: usize,
    pub min_failures: u64,
    pub min_rejects: u64,
}

/// One offending network (or single IP), with what an abuse desk needs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Offender {
    /// The IP when the network had only one offending address, else the
    /// network (`/24`, `/64`).
    pub subject: String,
    pub network: String,
    pub country: Option<String>,
    pub asn: Option<u64>,
    pub as_org: Option<String>,
    pub first: Micros,
    pub last: Micros,
    pub auth_failures: u64,
    pub usernames_tried: u64,
    pub rejects: u64,
    /// Messages sent after logging in as a compromised account (a suspect).
    pub spam_messages: u64,
    pub ips: Vec<OffenderIp>,
    pub evidence: Vec<Evidence>,
}

/// One address of an offending network.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OffenderIp {
    pub ip: String,
    pub auth_failures: u64,
    pub rejects: u64,
    pub spam_messages: u64,
}

/// A log line behind a claim: where it is, and (once fetched) its text.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Evidence {
    pub time: Micros,
    pub file: String,
    pub line: u64,
    pub text: Option<String>,
    /// The journal's cursor of the line, when it is an entry of it.
    pub cursor: Option<String>,
}

/// A suspect (see `postsleuth suspects`) active in the period, with its
/// evidence lines, each saying what it shows.
pub struct SuspectView {
    pub suspect: Suspect,
    pub evidence: Vec<(String, Evidence)>,
}

/// Everything a report shows.
pub struct Report {
    pub period: Period,
    pub totals: Totals,
    pub previous_totals: Totals,
    pub rankings: Vec<Ranking>,
    /// Start of each hour of the period; the series below have one value per hour.
    pub hours: Vec<Micros>,
    pub messages_per_hour: Vec<u64>,
    pub auth_failures_per_hour: Vec<u64>,
    /// The top accounts' messages per hour.
    pub account_hours: Vec<(String, Vec<u64>)>,
    /// Compromised accounts and uids, as `postsleuth suspects` flags them
    /// with its default thresholds, learned from the input up to the end of
    /// the period (never from what came after).
    pub suspects: Vec<SuspectView>,
    /// Most abuse first.
    pub offenders: Vec<Offender>,
    /// pflogsumm's and postfix-logwatch's sections an abuse report keeps:
    /// rejects by type and by reason, the delivery delays.
    pub sections: Vec<Ranking>,
    /// Mail hosts seen in the period (central syslog may hold several).
    pub hosts: Vec<String>,
    pub limits: Limits,
}

impl Report {
    pub fn ranking(&self, id: &str) -> Option<&DataFrame> {
        self.rankings.iter().find(|r| r.id == id).map(|r| &r.frame)
    }
}

/// Builds the report of `period` from frames that cover the input up to
/// the end of the period (suspects learn each account's habits from all of
/// it).
pub fn build(all: &Frames, period: &Period, limits: &Limits) -> PolarsResult<Report> {
    let suspects = active_suspects(all, period.current)?;
    let cur = cut(all, period.current)?;
    let prev = cut(all, period.previous)?;
    let rankings = rankings(&cur, limits.top)?;
    let charted = match rankings.iter().find(|r| r.id == "top_accounts") {
        Some(r) => first_strings(&r.frame, "account")?,
        None => Vec::new(),
    };
    let span = period.current;
    let failures = cur.auth.clone().lazy().filter(col("success").not());
    Ok(Report {
        totals: totals(&cur)?,
        previous_totals: totals(&prev)?,
        hours: span.hour_starts(),
        messages_per_hour: per_hour(cur.received(), "first_seen", span)?,
        auth_failures_per_hour: per_hour(failures, "time", span)?,
        account_hours: account_hours(&cur, &charted, span)?,
        offenders: offenders(&cur, &suspects, limits)?,
        sections: sections(&cur, limits.top)?,
        suspects,
        hosts: hosts(&cur)?,
        rankings,
        period: period.clone(),
        limits: *limits,
    })
}

/// The rows of `f` inside `span` (messages by when they were first seen).
pub fn cut(f: &Frames, span: Span) -> PolarsResult<Frames> {
    let w = span.window();
    Ok(Frames {
        messages: in_window(f.messages.clone(), "first_seen", &w)?,
        deliveries: in_window(f.deliveries.clone(), "time", &w)?,
        auth: in_window(f.auth.clone(), "time", &w)?,
        rejects: in_window(f.rejects.clone(), "time", &w)?,
    })
}

fn rankings(f: &Frames, limit: usize) -> PolarsResult<Vec<Ranking>> {
    RANKINGS
        .iter()
        .map(|&(id, title, key, metric)| {
            let lf = top(f, key, metric, None, limit).map_err(|e| polars_err!(ComputeError: "{id}: {e}"))?;
            Ok(Ranking { id, title, frame: lf.collect()? })
        })
        .collect()
}

/// The report's pflogsumm-style sections, under their `summary` keys.
fn sections(f: &Frames, limit: usize) -> PolarsResult<Vec<Ranking>> {
    Ok(vec![
        Ranking {
            id: "rejects_by_type",
            title: "Rejects by type",
            frame: super::reject_types::rejects_by_type(f, limit)?,
        },
        Ranking { id: "reject_detail", title: "Rejects by reason", frame: super::reasons::rejects(f, limit)? },
        Ranking { id: "delivery_delays", title: "Delivery delays (seconds)", frame: super::delays::percentiles(f)? },
    ])
}

/// The first `CHART_ACCOUNTS` values of a string column.
fn first_strings(df: &DataFrame, column: &str) -> PolarsResult<Vec<String>> {
    let s = df.column(column)?.str()?.clone();
    Ok(s.iter().flatten().take(CHART_ACCOUNTS).map(str::to_string).collect())
}

/// Rows per hour of `span`, by the `time` column; hours without rows are 0.
fn per_hour(lf: LazyFrame, time: &str, span: Span) -> PolarsResult<Vec<u64>> {
    let df = lf
        // Rows lie in the span, so the offset is never negative and the
        // cast truncates like a floor (floor_div needs a costly polars feature).
        .select([((col(time).cast(DataType::Int64) - lit(span.start)) / lit(HOUR)).cast(DataType::Int64).alias("hour")])
        .group_by([col("hour")])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()?;
    let mut out = vec![0; span.hours()];
    for (h, n) in df.column("hour")?.i64()?.iter().zip(df.column("n")?.u64()?.iter()) {
        let slot = h.and_then(|h| usize::try_from(h).ok()).and_then(|h| out.get_mut(h));
        if let (Some(slot), Some(n)) = (slot, n) {
            *slot += n;
        }
    }
    Ok(out)
}

fn account_hours(f: &Frames, accounts: &[String], span: Span) -> PolarsResult<Vec<(String, Vec<u64>)>> {
    accounts
        .iter()
        .map(|a| {
            let lf = f.accepted().filter(col("root_sasl_username").eq(lit(a.as_str())));
            Ok((a.clone(), per_hour(lf, "first_seen", span)?))
        })
        .collect()
}

/// Mail hosts named in the period's lines, sorted.
fn hosts(f: &Frames) -> PolarsResult<Vec<String>> {
    let mut out = std::collections::BTreeSet::new();
    for df in [&f.messages, &f.auth, &f.rejects] {
        let unique = df.column("host")?.as_materialized_series().unique()?;
        out.extend(unique.str()?.iter().flatten().map(str::to_string));
    }
    Ok(out.into_iter().collect())
}

/// Flagged suspects whose compromise began before the end of `span` and
/// who were still at it in `span`.
fn active_suspects(all: &Frames, span: Span) -> PolarsResult<Vec<SuspectView>> {
    let th = Thresholds::default();
    let active = |s: &Suspect| {
        let since = s.since();
        since.is_some_and(|t| t < span.end) && s.after.last.or(since).is_some_and(|t| t >= span.start)
    };
    Ok(suspects::suspects(all, &th)?
        .into_iter()
        .filter(|s| s.is_flagged(&th) && active(s))
        .map(|suspect| {
            let evidence = suspect
                .evidence()
                .into_iter()
                .map(|(what, l)| {
                    (what, Evidence { time: l.time, file: l.file, line: l.line, text: None, cursor: None })
                })
                .collect();
            SuspectView { suspect, evidence }
        })
        .collect())
}

/// Messages sent as a suspect account, since its compromise, from the IPs
/// that took it over: the botnet an abuse desk should hear about.
fn spam_rows(f: &Frames, suspects: &[SuspectView]) -> PolarsResult<Vec<LazyFrame>> {
    let mut out = Vec::new();
    for v in suspects {
        let (suspects::Who::Account(account), Some(since)) = (&v.suspect.who, v.suspect.since()) else { continue };
        if v.suspect.attacker_ips.is_empty() {
            continue;
        }
        let ips = Series::new("ips".into(), v.suspect.attacker_ips.iter().map(String::as_str).collect::<Vec<_>>());
        let mine = col("root_sasl_username")
            .eq(lit(account.as_str()))
            .and(col("root_client_ip").is_in(lit(ips).implode(false), false))
            .and(col("first_seen").cast(DataType::Int64).gt_eq(lit(since)));
        let net = when(col("root_client_net").is_null()).then(col("root_client_ip")).otherwise(col("root_client_net"));
        out.push(f.accepted().filter(mine).select([
            col("root_client_ip").alias("ip"),
            net.alias("net"),
            col("root_country").alias("country"),
            col("root_asn").cast(DataType::UInt64).alias("asn"),
            col("root_as_org").alias("as_org"),
            col("first_seen").cast(DataType::Int64).alias("time"),
            col("file"),
            col("line"),
            lit(NULL).cast(DataType::String).alias("username"),
            lit("spam").alias("kind"),
        ]));
    }
    Ok(out)
}

/// Auth failures, rejects and a suspect's messages, one row each, with the
/// client's network (the IP itself when it is no address postsleuth can
/// group).
fn abuse_rows(f: &Frames, suspects: &[SuspectView]) -> PolarsResult<LazyFrame> {
    let net = when(col("client_net").is_null()).then(col("client_ip")).otherwise(col("client_net")).alias("net");
    let shape = |lf: LazyFrame, kind: &str, user: Expr| {
        lf.filter(col("client_ip").is_not_null()).select([
            col("client_ip").alias("ip"),
            net.clone(),
            col("country"),
            col("asn").cast(DataType::UInt64),
            col("as_org"),
            col("time").cast(DataType::Int64),
            col("file"),
            col("line"),
            user.alias("username"),
            lit(kind).alias("kind"),
        ])
    };
    let auth = shape(f.auth.clone().lazy().filter(col("success").not()), "auth", col("sasl_username"));
    let rejects = f.rejects.clone().lazy().filter(col("action").eq(lit("reject")));
    let rejects = shape(rejects, "reject", lit(NULL).cast(DataType::String));
    let mut parts = vec![auth, rejects];
    parts.extend(spam_rows(f, suspects)?);
    let rows = concat(parts, UnionArgs::default())?;
    Ok(rows.sort(["time", "file", "line"], SortMultipleOptions::default().with_maintain_order(true)))
}

fn counts() -> [Expr; 3] {
    let n = |kind: &str, name: &str| col("kind").eq(lit(kind)).sum().cast(DataType::UInt64).alias(name);
    [n("auth", "auth_failures"), n("reject", "rejects"), n("spam", "spam_messages")]
}

fn abuse() -> Expr {
    col("auth_failures") + col("rejects") + col("spam_messages")
}

/// Networks over the thresholds (or that sent as a suspect), most abuse
/// first, with their IPs and a few sample lines each (texts are fetched
/// later, by the caller).
fn offenders(f: &Frames, suspects: &[SuspectView], limits: &Limits) -> PolarsResult<Vec<Offender>> {
    let rows = abuse_rows(f, suspects)?;
    let over = col("auth_failures")
        .gt_eq(lit(limits.min_failures))
        .or(col("rejects").gt_eq(lit(limits.min_rejects)))
        .or(col("spam_messages").gt(lit(0)));
    let mut aggs = counts().to_vec();
    aggs.extend([
        col("username").drop_nulls().n_unique().cast(DataType::UInt64).alias("usernames_tried"),
        col("time").min().alias("first"),
        col("time").max().alias("last"),
        col("country").drop_nulls().first().alias("country"),
        col("asn").drop_nulls().first().alias("asn"),
        col("as_org").drop_nulls().first().alias("as_org"),
    ]);
    let nets = rows
        .clone()
        .group_by([col("net")])
        .agg(aggs)
        .filter(over)
        .with_column(abuse().alias("abuse"))
        .sort_by_exprs(
            [col("abuse"), col("net")],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()?;
    let mut out = offender_rows(&nets)?;
    let keep = nets.column("net")?.as_materialized_series().clone();
    let in_offenders = rows.filter(col("net").is_in(lit(keep).implode(false), false));
    add_ips(&mut out, in_offenders.clone())?;
    add_samples(&mut out, in_offenders)?;
    Ok(out)
}

fn offender_rows(nets: &DataFrame) -> PolarsResult<Vec<Offender>> {
    let s = |c: &str| nets.column(c).and_then(|c| c.str().cloned());
    let u = |c: &str| nets.column(c).and_then(|c| c.u64().cloned());
    let t = |c: &str| nets.column(c).and_then(|c| c.i64().cloned());
    let (net, country, org) = (s("net")?, s("country")?, s("as_org")?);
    let (fails, rejects, users, asn) = (u("auth_failures")?, u("rejects")?, u("usernames_tried")?, u("asn")?);
    let spam = u("spam_messages")?;
    let (first, last) = (t("first")?, t("last")?);
    Ok((0..nets.height())
        .map(|i| Offender {
            subject: net.get(i).unwrap_or_default().to_string(),
            network: net.get(i).unwrap_or_default().to_string(),
            country: country.get(i).map(str::to_string),
            asn: asn.get(i),
            as_org: org.get(i).map(str::to_string),
            first: first.get(i).unwrap_or_default(),
            last: last.get(i).unwrap_or_default(),
            auth_failures: fails.get(i).unwrap_or_default(),
            usernames_tried: users.get(i).unwrap_or_default(),
            rejects: rejects.get(i).unwrap_or_default(),
            spam_messages: spam.get(i).unwrap_or_default(),
            ips: Vec::new(),
            evidence: Vec::new(),
        })
        .collect())
}

/// Each offender's IPs, most abuse first; a network with one IP is named
/// by that IP.
fn add_ips(out: &mut [Offender], rows: LazyFrame) -> PolarsResult<()> {
    let df = rows
        .group_by([col("net"), col("ip")])
        .agg(counts())
        .sort_by_exprs([abuse(), col("ip")], SortMultipleOptions::default().with_order_descending_multi([true, false]))
        .collect()?;
    let (net, ip) = (df.column("net")?.str()?, df.column("ip")?.str()?);
    let (fails, rejects) = (df.column("auth_failures")?.u64()?, df.column("rejects")?.u64()?);
    let spam = df.column("spam_messages")?.u64()?;
    let index = by_network(out);
    for i in 0..df.height() {
        let (Some(n), Some(ip)) = (net.get(i), ip.get(i)) else { continue };
        if let Some(&k) = index.get(n) {
            let entry = OffenderIp {
                ip: ip.to_string(),
                auth_failures: fails.get(i).unwrap_or_default(),
                rejects: rejects.get(i).unwrap_or_default(),
                spam_messages: spam.get(i).unwrap_or_default(),
            };
            out[k].ips.push(entry);
        }
    }
    for o in out.iter_mut() {
        if let [only] = o.ips.as_slice() {
            o.subject = only.ip.clone();
        }
    }
    Ok(())
}

/// The first and last few lines of each offender, in log order.
fn add_samples(out: &mut [Offender], rows: LazyFrame) -> PolarsResult<()> {
    let rank = |reverse: bool| col("time").cum_count(reverse).over([col("net")]);
    let df = rows
        .with_columns([rank(false)?.alias("from_start"), rank(true)?.alias("from_end")])
        .filter(col("from_start").lt_eq(lit(FIRST_SAMPLES)).or(col("from_end").lt_eq(lit(LAST_SAMPLES))))
        .select([col("net"), col("time"), col("file"), col("line").cast(DataType::UInt64)])
        .collect()?;
    let (net, file) = (df.column("net")?.str()?, df.column("file")?.str()?);
    let (time, line) = (df.column("time")?.i64()?, df.column("line")?.u64()?);
    let index = by_network(out);
    for i in 0..df.height() {
        let Some(&k) = net.get(i).and_then(|n| index.get(n)) else { continue };
        out[k].evidence.push(Evidence {
            time: time.get(i).unwrap_or_default(),
            file: file.get(i).unwrap_or_default().to_string(),
            line: line.get(i).unwrap_or_default(),
            text: None,
            cursor: None,
        });
    }
    Ok(())
}

fn by_network(out: &[Offender]) -> BTreeMap<String, usize> {
    out.iter().enumerate().map(|(i, o)| (o.network.clone(), i)).collect()
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::time::civil_to_micros;

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap()
    }

    #[test]
    fn default_period_is_the_last_complete_one() {
        // Monday 2026-11-23, 00:05 UTC: a cron job just after midnight.
        let now = civil_to_micros(2026, 11, 23, 0, 5, 0);
        let z = zone("UTC");
        let day = choose_period(ReportPeriod::Day, None, None, &z, now).unwrap();
        assert_eq!(day.label, "2026-11-22");
        assert_eq!(
            day.current,
            Span { start: civil_to_micros(2026, 11, 22, 0, 0, 0), end: civil_to_micros(2026, 11, 23, 0, 0, 0) }
        );
        assert_eq!(day.previous.start, civil_to_micros(2026, 11, 21, 0, 0, 0));
        let week = choose_period(ReportPeriod::Week, None, None, &z, now).unwrap();
        assert_eq!((week.label.as_str(), week.current.start), ("2026-W47", civil_to_micros(2026, 11, 16, 0, 0, 0)));
        assert_eq!(week.previous.start, civil_to_micros(2026, 11, 9, 0, 0, 0));
        let month = choose_period(ReportPeriod::Month, None, None, &z, now).unwrap();
        assert_eq!((month.label.as_str(), month.current.end), ("2026-10", civil_to_micros(2026, 11, 1, 0, 0, 0)));
        assert_eq!(month.previous.start, civil_to_micros(2026, 9, 1, 0, 0, 0));
    }

    #[test]
    fn since_and_until_pick_or_bound_the_period() {
        let z = zone("UTC");
        let t = civil_to_micros(2026, 11, 21, 15, 0, 0);
        let p = choose_period(ReportPeriod::Day, Some(t), None, &z, 0).unwrap();
        assert_eq!(p.label, "2026-11-21");
        let end = civil_to_micros(2026, 11, 22, 0, 0, 0);
        assert_eq!(choose_period(ReportPeriod::Day, None, Some(end), &z, 0).unwrap().label, "2026-11-21");
        let c = choose_period(ReportPeriod::Day, Some(t), Some(end), &z, 0).unwrap();
        assert_eq!((c.kind, c.label.as_str()), ("custom", "2026-11-21T1500_2026-11-22"));
        assert_eq!(c.previous, Span { start: t - 9 * HOUR, end: t });
    }

    #[test]
    fn periods_follow_the_zone_and_its_dst() {
        // 2026-10-25: Europe/Berlin leaves summer time; the day has 25 hours.
        let z = zone("Europe/Berlin");
        let t = civil_to_micros(2026, 10, 25, 12, 0, 0);
        let p = choose_period(ReportPeriod::Day, Some(t), None, &z, 0).unwrap();
        assert_eq!(p.current.start, civil_to_micros(2026, 10, 24, 22, 0, 0));
        assert_eq!(p.current.hours(), 25);
        assert_eq!(p.previous.hours(), 24);
    }
}
