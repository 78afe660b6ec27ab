//! Client addresses as Postfix writes them inside `name[…]`, checked
//! strictly. What sits between the brackets reaches rankings, networks,
//! geolocation and block lists, so only a single host address passes: a
//! network (`10.0.0.0/8`), a scoped address (`fe80::1%eth0`) or shell text
//! (`1.2.3.4;rm -rf /`) is not one, whoever wrote it (a forged line, a
//! misconfigured XFORWARD peer).

use std::net::Ipv6Addr;

/// What the brackets held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Address<'a> {
    /// A host address, in the form every record keeps: IPv4-mapped IPv6
    /// (`::ffff:192.0.2.1`) is the IPv4 address itself.
    Ip(&'a str),
    /// Postfix's own `unknown`: it did not know the address.
    Unknown,
    /// Anything else.
    Damaged,
}

/// Classifies the text between the brackets.
pub fn address(s: &str) -> Address<'_> {
    if is_ipv4(s) {
        return Address::Ip(s);
    }
    if s == "unknown" {
        return Address::Unknown;
    }
    // IPv6 is the rarer case, and its grammar is long: std's parser, after
    // a byte check that turns away most junk without it.
    if !s.bytes().all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.') || !s.contains(':') {
        return Address::Damaged;
    }
    match s.parse::<Ipv6Addr>() {
        // inet_ntop writes a mapped address with its IPv4 part dotted
        // (`::ffff:192.0.2.1`): that part is the address. The hex spelling
        // (`::ffff:c000:201`) is no output of Postfix's and stays IPv6.
        Ok(v6) if v6.to_ipv4_mapped().is_some() && s.contains('.') => match s.rfind(':') {
            Some(i) if is_ipv4(&s[i + 1..]) => Address::Ip(&s[i + 1..]),
            _ => Address::Damaged,
        },
        Ok(_) => Address::Ip(s),
        Err(_) => Address::Damaged,
    }
}

/// Dotted-quad IPv4 as std's parser takes it (four decimal octets up to
/// 255, no leading zeros), without its cost on every line.
pub fn is_ipv4(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 7 || b.len() > 15 {
        return false;
    }
    let (mut parts, mut value, mut digits) = (0, 0u32, 0);
    for &c in b {
        match c {
            b'0'..=b'9' => {
                if digits == 1 && value == 0 {
                    return false;
                }
                value = value * 10 + u32::from(c - b'0');
                digits += 1;
                if value > 255 {
                    return false;
                }
            }
            b'.' if digits > 0 && parts < 3 => {
                parts += 1;
                (value, digits) = (0, 0);
            }
            _ => return false,
        }
    }
    parts == 3 && digits > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_addresses_pass() {
        for ip in ["192.0.2.1", "0.0.0.0", "255.255.255.255", "2001:db8::5", "::1", "2001:db8:0:1:2:3:4:5"] {
            assert_eq!(address(ip), Address::Ip(ip), "{ip}");
        }
        assert_eq!(address("unknown"), Address::Unknown);
    }

    #[test]
    fn networks_scopes_and_junk_are_damaged() {
        for bad in [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "2001:db8::/32",
            "fe80::1%eth0",
            "14.191.181.187;rm -rf /",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "01.2.3.4",
            "1..2.3",
            "1.2.3.",
            "",
            "::g",
            "1:2:3",
            "localhost",
            "192.0.2.1 ",
        ] {
            assert_eq!(address(bad), Address::Damaged, "{bad:?}");
        }
    }

    #[test]
    fn mapped_ipv6_is_the_ipv4_address() {
        assert_eq!(address("::ffff:192.0.2.7"), Address::Ip("192.0.2.7"));
        assert_eq!(address("::FFFF:203.0.113.9"), Address::Ip("203.0.113.9"));
        assert_eq!(address("0:0:0:0:0:ffff:198.51.100.2"), Address::Ip("198.51.100.2"));
        // IPv4-compatible (deprecated) and NAT64 addresses are IPv6 hosts.
        assert_eq!(address("64:ff9b::192.0.2.1"), Address::Ip("64:ff9b::192.0.2.1"));
    }

    #[test]
    fn ipv4_check_agrees_with_std() {
        for s in ["1.2.3.4", "01.2.3.4", "1.2.3.04", "0.0.0.0", "300.1.1.1", "1.2.3.4.", ".1.2.3.4", "1.2.3.4a"] {
            assert_eq!(is_ipv4(s), s.parse::<std::net::Ipv4Addr>().is_ok(), "{s}");
        }
    }
}
