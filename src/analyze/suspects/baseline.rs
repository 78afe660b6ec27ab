//! Every successful SASL login, in time order, marked with what was new
//! about it: for its account (IP, network, ASN, country) and for the server
//! (a country no other account logs in from).
//!
//! Genuinely sequential ("new" means "not seen before this login"), so it is
//! a walk over the collected logins rather than a query.

use super::{numbers, strings, times, Line};
use crate::analyze::Frames;
use crate::time::Micros;
use polars::prelude::*;
use std::collections::{HashMap, HashSet};

/// Other accounts that must log in from a country (anywhere in the input) for it
/// to be familiar to the server: one could be the attacker's previous victim.
const FAMILIAR_ACCOUNTS: usize = 2;

/// History an account needs before a login can be new to it: a person's
/// second device or home connection on the first day is not news.
const MIN_HISTORY: Micros = 24 * super::HOUR;

/// What was new about a login.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Novelty {
    /// The account's first login in the input: nothing to compare with.
    pub first: bool,
    /// The account logged in for the first time less than a day before.
    pub young: bool,
    /// The account had logged in from some country before (not only from
    /// private or unknown addresses).
    pub placed: bool,
    pub ip: bool,
    pub net: bool,
    pub asn: bool,
    pub country: bool,
    /// Fewer than [`FAMILIAR_ACCOUNTS`] other accounts log in from this
    /// country in the input (private and unknown addresses are never foreign).
    pub foreign: bool,
}

impl Novelty {
    /// 2: a new IP in a country new to the account and foreign to the
    /// server; 1: a new IP in a network, ASN or country new to an account
    /// with a day of history, or in another country than a younger
    /// account's; 0: nothing new worth a suspicion.
    pub fn class(&self) -> u8 {
        let settled = !self.young && (self.net || self.asn || self.country);
        let moved = self.young && self.placed && self.country;
        if !self.ip {
            0
        } else if self.country && self.foreign {
            2
        } else if !self.first && (settled || moved) {
            1
        } else {
            0
        }
    }

    /// `new IP, network, ASN and country` or `first login of the account`.
    pub fn describe(&self) -> String {
        if self.first {
            return "the account's first login in the input".into();
        }
        let parts: Vec<&str> = [(self.ip, "IP"), (self.net, "network"), (self.asn, "ASN"), (self.country, "country")]
            .iter()
            .filter(|(new, _)| *new)
            .map(|(_, w)| *w)
            .collect();
        match parts.split_last() {
            None => "nothing new".into(),
            Some((last, [])) => format!("new {last}"),
            Some((last, rest)) => format!("new {} and {last}", rest.join(", ")),
        }
    }
}

/// One successful login (the first `client=` line of an smtpd session).
#[derive(Clone, Debug, PartialEq)]
pub struct Login {
    pub account: String,
    pub time: Micros,
    pub ip: String,
    pub net: Option<String>,
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    pub line: Line,
    pub new: Novelty,
}

impl Login {
    /// `27.68.109.174 (VN, AS7552 Viettel Group)`.
    pub fn place(&self) -> String {
        let mut about: Vec<String> = self.country.iter().cloned().collect();
        match (self.asn, &self.as_org) {
            (Some(n), Some(org)) => about.push(format!("AS{n} {org}")),
            (Some(n), None) => about.push(format!("AS{n}")),
            _ => {}
        }
        if about.is_empty() {
            self.ip.clone()
        } else {
            format!("{} ({})", self.ip, about.join(", "))
        }
    }
}

/// Successful logins, oldest first.
fn query(f: &Frames) -> LazyFrame {
    f.auth
        .clone()
        .lazy()
        .filter(col("success").and(col("sasl_username").is_not_null()))
        .select([
            col("time"),
            col("sasl_username"),
            col("client_ip"),
            col("client_net"),
            col("country"),
            col("asn"),
            col("as_org"),
            col("file"),
            col("line"),
        ])
        .sort(["time"], SortMultipleOptions::default().with_maintain_order(true))
}

/// What one account has logged in from so far.
#[derive(Default)]
struct Seen {
    since: Micros,
    ips: HashSet<String>,
    nets: HashSet<String>,
    asns: HashSet<u32>,
    countries: HashSet<String>,
}

/// Every successful login, oldest first, with its [`Novelty`].
pub fn logins(f: &Frames) -> PolarsResult<Vec<Login>> {
    let df = query(f).collect()?;
    let (time, user, ip) = (times(&df, "time")?, strings(&df, "sasl_username")?, strings(&df, "client_ip")?);
    let (net, country, org) = (strings(&df, "client_net")?, strings(&df, "country")?, strings(&df, "as_org")?);
    let (asn, file, line) = (numbers(&df, "asn")?, strings(&df, "file")?, numbers(&df, "line")?);
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let (Some(account), Some(t)) = (user[i].clone(), time[i]) else { continue };
        out.push(Login {
            account,
            time: t,
            ip: ip[i].clone().unwrap_or_default(),
            net: net[i].clone(),
            country: country[i].clone(),
            asn: asn[i].and_then(|a| u32::try_from(a).ok()),
            as_org: org[i].clone(),
            line: Line { time: t, file: file[i].clone().unwrap_or_default(), line: line[i].unwrap_or(0) },
            new: Novelty::default(),
        });
    }
    // Which countries the server's accounts log in from, over the whole
    // input: in a log of an hour, the first logins of the day would
    // otherwise all come from countries "no other account uses" yet.
    let mut by_country: HashMap<String, HashSet<String>> = HashMap::new();
    for l in &out {
        if let Some(c) = country_of(l) {
            let accounts = by_country.entry(c.to_string()).or_default();
            // Enough to tell familiar from foreign; bounded memory.
            if accounts.len() <= FAMILIAR_ACCOUNTS {
                accounts.insert(l.account.clone());
            }
        }
    }
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for l in &mut out {
        l.new = novelty(l, seen.get(&l.account), &by_country);
        remember(l, seen.entry(l.account.clone()).or_default());
    }
    Ok(out)
}

fn novelty(l: &Login, seen: Option<&Seen>, by_country: &HashMap<String, HashSet<String>>) -> Novelty {
    let country = country_of(l);
    let foreign = country.is_some_and(|c| {
        by_country.get(c).map_or(0, |a| a.iter().filter(|x| **x != l.account).count()) < FAMILIAR_ACCOUNTS
    });
    let Some(s) = seen else {
        return Novelty {
            first: true,
            young: true,
            placed: false,
            ip: true,
            net: true,
            asn: true,
            country: true,
            foreign,
        };
    };
    Novelty {
        first: false,
        young: l.time - s.since < MIN_HISTORY,
        placed: !s.countries.is_empty(),
        ip: !s.ips.contains(&l.ip),
        net: l.net.as_ref().is_some_and(|n| !s.nets.contains(n)),
        asn: l.asn.is_some_and(|a| !s.asns.contains(&a)),
        country: country.is_some_and(|c| !s.countries.contains(c)),
        foreign,
    }
}

/// The login's country: two-letter codes only. The column also holds
/// address classes (private, loopback, documentation…), which are no place.
fn country_of(l: &Login) -> Option<&str> {
    l.country.as_deref().filter(|c| c.len() == 2)
}

fn remember(l: &Login, s: &mut Seen) {
    if s.ips.is_empty() {
        s.since = l.time;
    }
    s.ips.insert(l.ip.clone());
    s.nets.extend(l.net.clone());
    s.asns.extend(l.asn);
    if let Some(c) = country_of(l) {
        s.countries.insert(c.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(first: bool, ip: bool, net: bool, asn: bool, country: bool, foreign: bool) -> Novelty {
        Novelty { first, young: first, placed: !first, ip, net, asn, country, foreign }
    }

    #[test]
    fn classes() {
        // The first login ever: only suspicious from a foreign country.
        assert_eq!(n(true, true, true, true, true, true).class(), 2);
        assert_eq!(n(true, true, true, true, true, false).class(), 0);
        // A known IP is never new.
        assert_eq!(n(false, false, false, false, false, true).class(), 0);
        assert_eq!(n(false, true, true, true, true, true).class(), 2);
        // Travel to a country other accounts use; a new ISP.
        assert_eq!(n(false, true, true, true, true, false).class(), 1);
        assert_eq!(n(false, true, false, true, false, false).class(), 1);
        // A new address in the same network (DHCP): nothing.
        assert_eq!(n(false, true, false, false, false, false).class(), 0);
        // A second device on the account's first day: nothing.
        let second_device = Novelty { young: true, ..n(false, true, true, true, false, false) };
        assert_eq!(second_device.class(), 0);
        // The office (no country) on the first day, then home: nothing.
        let home = Novelty { young: true, placed: false, ..n(false, true, true, true, true, false) };
        assert_eq!(home.class(), 0);
        // Another country within hours of the first login: suspicious.
        let moved = Novelty { young: true, ..n(false, true, true, true, true, false) };
        assert_eq!(moved.class(), 1);
    }

    #[test]
    fn descriptions() {
        assert_eq!(n(false, true, true, true, true, true).describe(), "new IP, network, ASN and country");
        assert_eq!(n(false, true, false, false, false, false).describe(), "new IP");
        assert_eq!(n(true, true, true, true, true, true).describe(), "the account's first login in the input");
    }
}
