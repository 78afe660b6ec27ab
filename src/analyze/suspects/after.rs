//! What an identity did from its compromise (or onset) on, or over the
//! whole input when nothing stands out: lazy queries over the messages.

use super::{Suspect, Who};
use crate::analyze::Frames;
use crate::time::Micros;
use polars::prelude::*;
use std::collections::{BTreeSet, HashMap};

/// What an identity did from its compromise (or onset) on; over the whole
/// input when nothing stands out. For an account, messages from the IPs it
/// used before the compromise are left out: those are its owner's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct After {
    pub messages: u64,
    pub recipients: u64,
    /// Messages with at least one deferred or bounced delivery.
    pub troubled: u64,
    pub client_ips: u64,
    pub countries: u64,
    /// Messages (and content-filter copies) still `queued` or `held` at the end of the input.
    pub still_queued: u64,
    /// Of those, on hold (`postsuper -h`).
    pub held: u64,
    /// Messages the admin deleted (`postsuper -d`).
    pub deleted: u64,
    /// Messages cleanup rejected (header/body checks, milters): rejects by
    /// the identity, not messages it sent.
    pub rejected: u64,
    pub last: Option<Micros>,
}

impl After {
    pub fn troubled_share(&self) -> f64 {
        if self.messages == 0 {
            0.0
        } else {
            self.troubled as f64 / self.messages as f64
        }
    }
}

/// Fills [`Suspect::after`]: one grouped query for identities where nothing
/// stands out, one filtered query per identity with a compromise or onset.
pub fn fill_after(f: &Frames, out: &mut [Suspect]) -> PolarsResult<()> {
    let totals = whole_input(f)?;
    for s in out.iter_mut() {
        s.after = match s.since() {
            None => totals.get(&s.who).cloned().unwrap_or_default(),
            Some(t) => since(f, &s.who, t, &s.baseline_ips)?,
        };
    }
    Ok(())
}

/// `kind` and `name` of the identity a message counts for.
pub(crate) fn identity_exprs() -> [Expr; 2] {
    let is_account = col("root_sasl_username").is_not_null();
    [
        when(is_account.clone()).then(lit("account")).otherwise(lit("uid")).alias("kind"),
        when(is_account)
            .then(col("root_sasl_username"))
            .otherwise(col("root_uid").cast(DataType::String))
            .alias("name"),
    ]
}

fn attributed(lf: LazyFrame) -> LazyFrame {
    lf.filter(col("root_sasl_username").is_not_null().or(col("root_uid").is_not_null()))
}

/// What [`After`] counts of received messages: the accepted ones as sent,
/// the ones cleanup rejected as rejects.
fn after_aggs() -> Vec<Expr> {
    let ok = || col("state").neq(lit("rejected"));
    let count = |e: Expr| e.cast(DataType::UInt64).sum();
    vec![
        count(ok()).alias("messages"),
        col("recipients").filter(ok()).cast(DataType::UInt64).sum().alias("recipients"),
        count(ok().and(col("final_deferred").gt(lit(0)).or(col("final_bounced").gt(lit(0))))).alias("troubled"),
        col("root_client_ip").filter(ok()).drop_nulls().n_unique().cast(DataType::UInt64).alias("client_ips"),
        // Two-letter codes only: the column also names address classes
        // (loopback, private, documentation…), which are no country.
        col("root_country")
            .filter(ok().and(col("root_country").str().len_bytes().eq(lit(2))))
            .drop_nulls()
            .n_unique()
            .cast(DataType::UInt64)
            .alias("countries"),
        count(ok().not()).alias("rejected"),
        col("first_seen").filter(ok()).max().cast(DataType::Int64).alias("last"),
    ]
}

/// What [`After`] counts of queue files (content-filter copies too): what
/// `postsuper` acts on.
fn queue_aggs() -> Vec<Expr> {
    let count = |state: &str| col("state").eq(lit(state)).cast(DataType::UInt64).sum();
    vec![
        (count("queued") + count("held")).alias("still_queued"),
        count("held").alias("held"),
        count("deleted").alias("deleted"),
    ]
}

fn whole_input(f: &Frames) -> PolarsResult<HashMap<Who, After>> {
    let by_who = |lf: LazyFrame, aggs: Vec<Expr>| {
        attributed(lf).with_columns(identity_exprs()).group_by([col("kind"), col("name")]).agg(aggs).collect()
    };
    let df = by_who(f.received(), after_aggs())?;
    let files = by_who(f.messages.clone().lazy(), queue_aggs())?;
    let mut out: HashMap<Who, After> = HashMap::new();
    for (df, fill) in [(&df, after_row as fn(&DataFrame, usize, &mut After) -> PolarsResult<()>), (&files, queue_row)] {
        let (k, n) = (df.column("kind")?.str()?, df.column("name")?.str()?);
        for i in 0..df.height() {
            if let (Some(k), Some(n)) = (k.get(i), n.get(i)) {
                fill(df, i, out.entry(who_of(k, n)).or_default())?;
            }
        }
    }
    out.retain(|_, a| a.messages + a.rejected > 0);
    Ok(out)
}

pub(crate) fn who_of(kind: &str, name: &str) -> Who {
    match (kind, name.parse::<u32>()) {
        ("uid", Ok(u)) => Who::Uid(u),
        _ => Who::Account(name.to_string()),
    }
}

fn after_row(df: &DataFrame, i: usize, a: &mut After) -> PolarsResult<()> {
    let u = |c: &str| -> PolarsResult<u64> { Ok(df.column(c)?.u64()?.get(i).unwrap_or(0)) };
    (a.messages, a.recipients, a.troubled) = (u("messages")?, u("recipients")?, u("troubled")?);
    (a.client_ips, a.countries, a.rejected) = (u("client_ips")?, u("countries")?, u("rejected")?);
    a.last = df.column("last")?.i64()?.get(i);
    Ok(())
}

fn queue_row(df: &DataFrame, i: usize, a: &mut After) -> PolarsResult<()> {
    let u = |c: &str| -> PolarsResult<u64> { Ok(df.column(c)?.u64()?.get(i).unwrap_or(0)) };
    (a.still_queued, a.held, a.deleted) = (u("still_queued")?, u("held")?, u("deleted")?);
    Ok(())
}

/// The messages an identity sent from `t` on, its owner's IPs left out.
pub(crate) fn sent_since(lf: LazyFrame, who: &Who, t: Micros, own_ips: &BTreeSet<String>) -> LazyFrame {
    let mine = match who {
        Who::Account(a) => col("root_sasl_username").eq(lit(a.as_str())),
        Who::Uid(u) => col("root_uid").eq(lit(*u)).and(col("root_sasl_username").is_null()),
    };
    let mut cond = mine.and(col("first_seen").cast(DataType::Int64).gt_eq(lit(t)));
    if !own_ips.is_empty() {
        let own = Series::new("own".into(), own_ips.iter().map(String::as_str).collect::<Vec<_>>());
        cond = cond.and(col("root_client_ip").is_in(lit(own).implode(false), false).fill_null(lit(false)).not());
    }
    lf.filter(cond)
}

fn since(f: &Frames, who: &Who, t: Micros, own_ips: &BTreeSet<String>) -> PolarsResult<After> {
    let mut a = After::default();
    let df = sent_since(f.received(), who, t, own_ips).select(after_aggs()).collect()?;
    if df.height() > 0 {
        after_row(&df, 0, &mut a)?;
    }
    let files = sent_since(f.messages.clone().lazy(), who, t, own_ips).select(queue_aggs()).collect()?;
    if files.height() > 0 {
        queue_row(&files, 0, &mut a)?;
    }
    Ok(a)
}

/// Times of a datetime column as µs.
pub(crate) fn times(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<Micros>>> {
    Ok(df.column(name)?.cast(&DataType::Int64)?.i64()?.iter().collect())
}

/// A string column, owned.
pub(crate) fn strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(df.column(name)?.cast(&DataType::String)?.str()?.iter().map(|s| s.map(str::to_string)).collect())
}

/// An integer column as u64.
pub(crate) fn numbers(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<u64>>> {
    Ok(df.column(name)?.cast(&DataType::UInt64)?.u64()?.iter().collect())
}
