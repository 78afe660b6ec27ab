//! Client networks for ranking: a botnet spreads over many addresses, but
//! often few networks. /24 for IPv4 and /64 for IPv6 (one end site).

use std::net::IpAddr;

/// `203.0.113.0/24`, `2001:db8:1:2::/64`; `None` for what is not an IP
/// (`unknown`, garbage).
pub fn network(ip: &str) -> Option<String> {
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return network(&v4.to_string());
            }
            let s = v6.segments();
            let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            Some(format!("{prefix}/64"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks() {
        assert_eq!(network("203.0.113.77").as_deref(), Some("203.0.113.0/24"));
        assert_eq!(network("2001:db8:1:2:3::5").as_deref(), Some("2001:db8:1:2::/64"));
        assert_eq!(network("::ffff:198.51.100.9").as_deref(), Some("198.51.100.0/24"));
        assert_eq!(network("unknown"), None);
    }
}
