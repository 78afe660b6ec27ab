//! What to do next, as data: the queue IDs to delete, the addresses and
//! networks to block, the time window to read. `render::remedy` writes them
//! for the tools that act on them; postsleuth never touches the queue or
//! the firewall.

use super::{baseline::Login, sent_since, Suspect, Who};
use crate::analyze::Frames;
use crate::time::Micros;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::IpAddr;

/// `(host, queue_id)` of the suspects' messages still `queued` or `held` at
/// the end of the input (content-filter copies included: that is where a
/// message waits after the filter), and of the bounce notifications about
/// them. Messages from an account's own earlier IPs are left out.
pub fn queue_ids(f: &Frames, suspects: &[&Suspect]) -> PolarsResult<Vec<(String, String)>> {
    let mut ids: BTreeSet<(String, String)> = BTreeSet::new();
    for s in suspects {
        let Some(t) = s.since() else { continue };
        let spam =
            sent_since(f.messages.clone().lazy(), &s.who, t, &s.baseline_ips).select([col("message")]).collect()?;
        let spam = spam.column("message")?.as_materialized_series().clone();
        let notices = f.messages.clone().lazy().filter(
            col("link")
                .eq(lit("notification"))
                .and(col("parent").is_in(lit(spam.clone()).implode(false), false).fill_null(lit(false))),
        );
        let mine = f.messages.clone().lazy().filter(col("message").is_in(lit(spam).implode(false), false));
        let queued = concat([mine, notices], UnionArgs::default())?
            .filter(col("state").eq(lit("queued")).or(col("state").eq(lit("held"))))
            .select([col("host"), col("queue_id")])
            .collect()?;
        let (hosts, qids) = (queued.column("host")?.str()?, queued.column("queue_id")?.str()?);
        for (h, q) in hosts.iter().zip(qids.iter()) {
            if let (Some(h), Some(q)) = (h, q) {
                ids.insert((h.to_string(), q.to_string()));
            }
        }
    }
    Ok(ids.into_iter().collect())
}

/// An address or network to block, and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Block {
    /// `203.0.113.7/32`, `198.51.100.0/24`, `2001:db8:1:2::/64`.
    pub cidr: String,
    pub v6: bool,
    pub addresses: usize,
}

/// Why some attacker addresses are not in the block list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spared {
    /// Logged in as an account that is not a suspect: an office NAT, a
    /// shared ISP address.
    pub shared: usize,
    /// Private, loopback, documentation…: not on the Internet.
    pub not_public: usize,
}

/// The attacker addresses of `suspects` (logins from new IPs since the
/// compromise, and the brute-force wave's IPs) as a block list: IPv4
/// addresses sharing a /24 with another become the /24, IPv6 addresses
/// their /64 (one end site). Addresses any other account logs in from are
/// spared, so that blocking cannot lock out an office.
pub fn block_list(suspects: &[&Suspect], wave_ips: &BTreeSet<String>, logins: &[Login]) -> (Vec<Block>, Spared) {
    let accounts: HashSet<&str> = suspects
        .iter()
        .filter_map(|s| match &s.who {
            Who::Account(a) => Some(a.as_str()),
            Who::Uid(_) => None,
        })
        .collect();
    let others: HashSet<IpAddr> = logins
        .iter()
        .filter(|l| !accounts.contains(l.account.as_str()))
        .filter_map(|l| l.ip.parse::<IpAddr>().ok())
        .map(|a| a.to_canonical())
        .collect();
    let mut spared = Spared::default();
    let mut ips: BTreeSet<IpAddr> = BTreeSet::new();
    for ip in suspects.iter().flat_map(|s| s.attacker_ips.iter()).chain(wave_ips) {
        let Ok(addr) = ip.parse::<IpAddr>() else { continue };
        // A dual-stack socket logs an IPv4 client as `::ffff:a.b.c.d`: it
        // is that IPv4 address, to be blocked (and classified) as one.
        let addr = addr.to_canonical();
        if others.contains(&addr) {
            spared.shared += 1;
        } else if !crate::enrich::classify(addr).is_public() {
            spared.not_public += 1;
        } else {
            ips.insert(addr);
        }
    }
    (group(&ips), spared)
}

fn group(ips: &BTreeSet<IpAddr>) -> Vec<Block> {
    let mut nets: BTreeMap<(bool, String), Vec<IpAddr>> = BTreeMap::new();
    for ip in ips {
        nets.entry((ip.is_ipv6(), network(*ip))).or_default().push(*ip);
    }
    let mut out = Vec::new();
    for ((v6, net), members) in nets {
        if v6 || members.len() > 1 {
            out.push(Block { cidr: net, v6, addresses: members.len() });
        } else {
            out.extend(members.iter().map(|ip| Block { cidr: format!("{ip}/32"), v6, addresses: 1 }));
        }
    }
    out
}

/// The /24 of an IPv4 address, the /64 of an IPv6 one, formed from the
/// address itself: nothing of the log's text reaches a block list.
fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}/24", std::net::Ipv4Addr::new(o[0], o[1], o[2], 0))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{}/64", std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

/// The time to review for one suspect: from the first brute-force failure
/// (or the compromise) to one second after its last message, or after the
/// attacker's failed retries that show the password was changed.
pub fn window(s: &Suspect) -> Option<(Micros, Micros)> {
    let since = s.since()?;
    let start = s.wave.as_ref().map_or(since, |w| w.first.time.min(since));
    let ended = s.ended.as_ref().map_or(since, |e| e.line.time);
    let end = s.after.last.unwrap_or(since).max(since).max(ended) + crate::time::MICROS_PER_SEC;
    Some((start, end))
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn neighbours_become_networks() {
        let ips: BTreeSet<IpAddr> = ["198.51.100.7", "198.51.100.9", "203.0.113.5", "2001:db8:1:2::5"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let cidrs: Vec<String> = group(&ips).into_iter().map(|b| b.cidr).collect();
        assert_eq!(cidrs, ["198.51.100.0/24", "203.0.113.5/32", "2001:db8:1:2::/64"]);
    }

    #[test]
    fn mapped_ipv4_is_blocked_as_ipv4() {
        let waves: BTreeSet<String> = ["::ffff:5.143.39.141".to_string()].into();
        let (blocks, _) = block_list(&[], &waves, &[]);
        assert_eq!(blocks, [Block { cidr: "5.143.39.141/32".into(), v6: false, addresses: 1 }]);
    }
}
