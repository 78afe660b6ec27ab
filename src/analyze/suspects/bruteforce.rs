//! Failed SASL logins: the wave that preceded a compromise, the smoking gun
//! (a success from an IP or network that was failing just before), and the
//! sources ranked by failures.
//!
//! Most password guessers send the bare LOGIN prompt (`UGFzc3dvcmQ6`) and
//! the log does not say which account they tried. A wave is therefore
//! anchored on the IPs whose failures do name the account: it lasts from
//! their first failure to their last, and holds every failure in that time
//! from an IP that named the account or named nobody.

use super::baseline::Login;
use super::{numbers, strings, times, Line};
use crate::analyze::Frames;
use crate::time::Micros;
use polars::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};

/// One auth failure.
#[derive(Clone, Debug)]
struct Failure {
    ip: String,
    net: Option<String>,
    /// The account named, lower-cased.
    user: Option<String>,
    line: Line,
}

/// All auth failures, oldest first, indexed by IP, network and the
/// (lower-cased) account they name.
pub struct Failures {
    rows: Vec<Failure>,
    by_ip: HashMap<String, Vec<usize>>,
    by_net: HashMap<String, Vec<usize>>,
    by_user: HashMap<String, Vec<usize>>,
}

/// The password-guessing wave before a compromise.
#[derive(Clone, Debug, PartialEq)]
pub struct Wave {
    /// Failures naming the account.
    pub named: u64,
    /// Failures while the wave lasted, from IPs that named the account or
    /// named nobody.
    pub failures: u64,
    pub ips: u64,
    pub networks: u64,
    /// The wave's IPs.
    pub addresses: Vec<String>,
    pub first: Line,
    pub last: Line,
    pub first_named: Line,
    pub last_named: Line,
}

/// A successful login from an IP or network with failures just before it.
#[derive(Clone, Debug, PartialEq)]
pub struct Gun {
    pub ip: String,
    pub login: Line,
    /// Failures from the same IP (or network) in the lookback before it.
    pub failures: u64,
    /// `IP` or `network`.
    pub scope: &'static str,
    pub last_failure: Line,
}

impl Failures {
    pub fn collect(f: &Frames) -> PolarsResult<Failures> {
        let df = f
            .auth
            .clone()
            .lazy()
            .filter(col("success").not())
            .select([col("time"), col("client_ip"), col("client_net"), col("sasl_username"), col("file"), col("line")])
            .sort(["time"], SortMultipleOptions::default().with_maintain_order(true))
            .collect()?;
        let (time, ip, net) = (times(&df, "time")?, strings(&df, "client_ip")?, strings(&df, "client_net")?);
        let (user, file, line) = (strings(&df, "sasl_username")?, strings(&df, "file")?, numbers(&df, "line")?);
        let mut fs =
            Failures { rows: Vec::new(), by_ip: HashMap::new(), by_net: HashMap::new(), by_user: HashMap::new() };
        for i in 0..df.height() {
            let Some(t) = time[i] else { continue };
            let row = Failure {
                ip: ip[i].clone().unwrap_or_default(),
                net: net[i].clone(),
                user: user[i].as_ref().map(|u| u.to_lowercase()),
                line: Line { time: t, file: file[i].clone().unwrap_or_default(), line: line[i].unwrap_or(0) },
            };
            let k = fs.rows.len();
            fs.by_ip.entry(row.ip.clone()).or_default().push(k);
            if let Some(n) = &row.net {
                fs.by_net.entry(n.clone()).or_default().push(k);
            }
            if let Some(u) = &row.user {
                fs.by_user.entry(u.clone()).or_default().push(k);
            }
            fs.rows.push(row);
        }
        Ok(fs)
    }

    /// Indices in `idx` (sorted by time) with a time in `[from, until)`.
    fn between<'a>(&self, idx: &'a [usize], from: Micros, until: Micros) -> &'a [usize] {
        let a = idx.partition_point(|&k| self.rows[k].line.time < from);
        let b = idx.partition_point(|&k| self.rows[k].line.time < until);
        &idx[a..b.max(a)]
    }

    /// The wave naming `account` in the `lookback` before `until` (the whole
    /// input when there is no compromise time).
    pub fn wave(&self, account: &str, until: Option<Micros>, lookback: Micros) -> Option<Wave> {
        let all = self.by_user.get(&account.to_lowercase())?;
        let named = match until {
            Some(t) => self.between(all, t.saturating_sub(lookback), t.saturating_add(1)),
            None => all.as_slice(),
        };
        let (first_named, last_named) = (&self.rows[*named.first()?].line, &self.rows[*named.last()?].line);
        // From the first to the last failure of the IPs that named it.
        let (from, until) = match until {
            Some(t) => (t.saturating_sub(lookback), t),
            None => (i64::MIN, i64::MAX),
        };
        let (mut start, mut end) = (first_named.time, last_named.time);
        let named_ips: HashSet<&str> = named.iter().map(|&k| self.rows[k].ip.as_str()).collect();
        for ip in named_ips {
            let theirs = self.by_ip.get(ip).map_or(&[][..], |v| self.between(v, from, until.saturating_add(1)));
            if let (Some(&a), Some(&z)) = (theirs.first(), theirs.last()) {
                (start, end) = (start.min(self.rows[a].line.time), end.max(self.rows[z].line.time));
            }
        }
        let a = self.rows.partition_point(|r| r.line.time < start);
        let b = self.rows.partition_point(|r| r.line.time <= end);
        let span = &self.rows[a..b.max(a)];
        // IPs that named only other accounts belong to some other wave.
        let account = account.to_lowercase();
        let mut named_by: HashMap<&str, (bool, bool)> = HashMap::new();
        for r in span {
            let e = named_by.entry(r.ip.as_str()).or_default();
            match &r.user {
                Some(u) if *u == account => e.0 = true,
                Some(_) => e.1 = true,
                None => {}
            }
        }
        let ours = |ip: &str| named_by.get(ip).is_some_and(|&(this, other)| this || !other);
        let wave: Vec<&Failure> = span.iter().filter(|r| ours(&r.ip)).collect();
        let ips: BTreeSet<&str> = wave.iter().map(|r| r.ip.as_str()).collect();
        let nets: HashSet<&str> = wave.iter().filter_map(|r| r.net.as_deref()).collect();
        Some(Wave {
            named: named.len() as u64,
            failures: wave.len() as u64,
            ips: ips.len() as u64,
            networks: nets.len() as u64,
            addresses: ips.iter().map(|s| s.to_string()).collect(),
            first: wave.first().map_or_else(|| first_named.clone(), |r| r.line.clone()),
            last: wave.last().map_or_else(|| last_named.clone(), |r| r.line.clone()),
            first_named: first_named.clone(),
            last_named: last_named.clone(),
        })
    }

    /// Failures naming `account` in the `lookback` before `t`.
    pub fn named_before(&self, account: &str, t: Micros, lookback: Micros) -> u64 {
        let all = self.by_user.get(&account.to_lowercase()).map_or(&[][..], |v| v.as_slice());
        self.between(all, t.saturating_sub(lookback), t).len() as u64
    }

    /// The first failure from `ip` after `t` that names `account` or nobody.
    pub fn first_after(&self, ip: &str, account: &str, t: Micros) -> Option<Line> {
        let account = account.to_lowercase();
        let theirs = self.between(self.by_ip.get(ip)?, t.saturating_add(1), Micros::MAX);
        let hit = theirs.iter().find(|&&k| self.rows[k].user.as_ref().is_none_or(|u| *u == account))?;
        Some(self.rows[*hit].line.clone())
    }

    /// The first login of `logins` from an IP the account had not used,
    /// preceded by `min_failures` failures from that IP, or else its
    /// network, within the lookback. A known IP is left out: an owner's
    /// client retrying an old password, then fixed, is not an attack.
    pub fn smoking_gun(&self, logins: &[&Login], th: &super::Thresholds) -> Option<Gun> {
        logins.iter().filter(|l| l.new.ip).find_map(|l| {
            let from = l.time.saturating_sub(th.lookback);
            let by_ip = self.by_ip.get(&l.ip).map(|v| self.between(v, from, l.time));
            let by_net = l.net.as_ref().and_then(|n| self.by_net.get(n)).map(|v| self.between(v, from, l.time));
            [(by_ip, "IP"), (by_net, "network")].into_iter().find_map(|(hits, scope)| {
                let hits = hits.filter(|h| h.len() as u64 >= th.min_failures)?;
                Some(Gun {
                    ip: l.ip.clone(),
                    login: l.line.clone(),
                    failures: hits.len() as u64,
                    scope,
                    last_failure: self.rows[*hits.last()?].line.clone(),
                })
            })
        })
    }
}

/// Auth failures ranked by source (`client_ip` or `client_net`): how many,
/// which accounts they named, when, and the successful logins from the same
/// source after its first failure (`logins_after`, `logged_in_as`).
pub fn sources(f: &Frames, key: &str, limit: usize) -> PolarsResult<DataFrame> {
    let name = if key == "client_net" { "net" } else { "ip" };
    let sample = |c: &str| col(c).drop_nulls().unique_stable().head(Some(SAMPLE));
    let failed = f
        .auth
        .clone()
        .lazy()
        .filter(col("success").not().and(col(key).is_not_null()))
        .group_by([col(key).alias(name)])
        .agg([
            len().alias("auth_failures"),
            col("sasl_username").drop_nulls().n_unique().alias("usernames_tried"),
            sample("sasl_username").alias("named"),
            col("country").drop_nulls().first().alias("country"),
            col("time").min().alias("first"),
            col("time").max().alias("last"),
        ])
        .sort_by_exprs(
            [col("auth_failures"), col(name)],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .limit(limit as IdxSize);
    let ok = f.auth.clone().lazy().filter(col("success").and(col(key).is_not_null())).select([
        col(key).alias(name),
        col("time").alias("ok_time"),
        col("sasl_username"),
    ]);
    let after = failed
        .clone()
        .select([col(name), col("first")])
        .join(ok, [col(name)], [col(name)], JoinArgs::new(JoinType::Inner))
        .filter(col("ok_time").gt(col("first")))
        .group_by([col(name)])
        .agg([len().alias("logins_after"), sample("sasl_username").alias("logged_in_as")]);
    let mut df = failed
        .join(after, [col(name)], [col(name)], JoinArgs::new(JoinType::Left))
        .with_column(col("logins_after").fill_null(lit(0)))
        .sort_by_exprs(
            [col("auth_failures"), col(name)],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()?;
    for c in ["named", "logged_in_as"] {
        let joined = joined(df.column(c)?)?;
        df.with_column(joined)?;
    }
    Ok(df)
}

/// Names shown per source; the count says how many there are in all.
const SAMPLE: usize = 3;

/// A list-of-strings column as `a, b, c` strings.
fn joined(c: &Column) -> PolarsResult<Column> {
    let list = c.list()?;
    let mut out: Vec<Option<String>> = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let names = match list.get_as_series(i) {
            Some(s) => Some(s.str()?.iter().flatten().collect::<Vec<_>>().join(", ")),
            None => None,
        };
        out.push(names);
    }
    Ok(Column::new(c.name().clone(), out))
}
