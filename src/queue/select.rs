//! Which queued messages a command looks at: the filters of `queue`,
//! each compared with what the file says (case-insensitively where
//! Postfix compares so: addresses' domains, SASL names).

use super::spool::Queued;
use crate::time::Micros;
use std::net::IpAddr;

/// An address, or a network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    pub addr: IpAddr,
    pub len: u8,
}

impl Net {
    pub fn parse(s: &str) -> Option<Net> {
        let (a, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = len.unwrap_or(max);
        (len <= max).then_some(Net { addr, len })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> Option<(u128, u32)> {
            match ip {
                IpAddr::V4(v) => Some((u128::from(u32::from(v)) << 96, 32)),
                IpAddr::V6(v) => match v.to_ipv4_mapped() {
                    Some(v4) => Some((u128::from(u32::from(v4)) << 96, 32)),
                    None => Some((u128::from(v), 128)),
                },
            }
        };
        let (Some((net, nw)), Some((ip, iw))) = (bits(self.addr), bits(ip)) else { return false };
        if nw != iw {
            return false;
        }
        // IPv4 sits in the top 32 bits: a prefix counts from the top either way.
        let len = u32::from(self.len).min(nw);
        let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
        net & mask == ip & mask
    }
}

/// The message's client: the XFORWARD identity when a content filter
/// re-injected it (`log_client_address`), else the SMTP client itself.
pub fn client(q: &Queued) -> Option<IpAddr> {
    let f = &q.file;
    let raw = f.attribute("log_client_address").or_else(|| f.attribute("client_address"))?;
    let raw = raw.strip_prefix("IPv6:").unwrap_or(raw);
    raw.parse().ok()
}

/// The domain of an address, lower-cased; `None` for the null sender and
/// addresses without one.
pub fn domain(address: &str) -> Option<String> {
    let (_, d) = address.rsplit_once('@')?;
    (!d.is_empty()).then(|| d.to_ascii_lowercase())
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub account: Option<String>,
    pub uid: Option<u32>,
    pub client: Option<Net>,
    /// An address, or `@domain` for every sender of it.
    pub sender: Option<String>,
    pub recipient_domain: Option<String>,
    /// Arrived before this time.
    pub before: Option<Micros>,
    /// Arrived at or after this time.
    pub since: Option<Micros>,
}

impl Filter {
    pub fn matches(&self, q: &Queued) -> bool {
        let f = &q.file;
        if let Some(a) = &self.account {
            if !f.attribute("sasl_username").is_some_and(|u| u.eq_ignore_ascii_case(a)) {
                return false;
            }
        }
        if self.uid.is_some() && q.uid() != self.uid {
            return false;
        }
        if let Some(net) = &self.client {
            if !client(q).is_some_and(|ip| net.contains(ip)) {
                return false;
            }
        }
        if let Some(s) = &self.sender {
            let sender = f.sender.as_deref().unwrap_or("");
            let ok = match s.strip_prefix('@') {
                Some(d) => domain(sender).is_some_and(|sd| sd.eq_ignore_ascii_case(d)),
                None => sender.eq_ignore_ascii_case(s),
            };
            if !ok {
                return false;
            }
        }
        if let Some(d) = &self.recipient_domain {
            if !f.pending().any(|r| domain(&r.address).is_some_and(|rd| rd.eq_ignore_ascii_case(d))) {
                return false;
            }
        }
        let t = q.arrival();
        if self.before.is_some_and(|b| t.is_none_or(|t| t >= b)) {
            return false;
        }
        if self.since.is_some_and(|s| t.is_none_or(|t| t < s)) {
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks() {
        let n = Net::parse("198.51.100.0/24").unwrap();
        assert!(n.contains("198.51.100.23".parse().unwrap()));
        assert!(n.contains("::ffff:198.51.100.23".parse().unwrap()));
        assert!(!n.contains("198.51.101.1".parse().unwrap()));
        assert!(!n.contains("2001:db8::1".parse().unwrap()));
        let six = Net::parse("2001:db8::/32").unwrap();
        assert!(six.contains("2001:db8::99".parse().unwrap()));
        assert!(Net::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert_eq!(Net::parse("1.2.3.4").unwrap().len, 32);
        for bad in ["1.2.3.4/33", "x", "1.2.3.4/", "::/129"] {
            assert_eq!(Net::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn domains() {
        assert_eq!(domain("a@Example.ORG").as_deref(), Some("example.org"));
        assert_eq!(domain(""), None);
        assert_eq!(domain("a@"), None);
    }
}
