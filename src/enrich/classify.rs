//! Special-purpose address ranges (IANA IPv4/IPv6 special-purpose
//! registries), so that a LAN client or a test address is reported as what
//! it is instead of as "unknown country".

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address has (or has no) owner on the public Internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpClass {
    Public,
    /// RFC 1918 and IPv6 unique-local (fc00::/7, plus the old fec0::/10).
    Private,
    Loopback,
    LinkLocal,
    /// RFC 5737 / RFC 3849 / RFC 9637 example ranges: seen in test mail.
    Documentation,
    /// RFC 6598 shared address space (carrier-grade NAT).
    Cgnat,
    Multicast,
    Unspecified,
    /// Everything else that cannot be a real client: 0/8, 240/4,
    /// benchmarking, IETF protocol assignments, unallocated IPv6.
    Reserved,
}

impl IpClass {
    /// Stable lower-case names for tables, JSON and CSV output.
    pub fn as_str(self) -> &'static str {
        match self {
            IpClass::Public => "public",
            IpClass::Private => "private",
            IpClass::Loopback => "loopback",
            IpClass::LinkLocal => "link-local",
            IpClass::Documentation => "documentation",
            IpClass::Cgnat => "cgnat",
            IpClass::Multicast => "multicast",
            IpClass::Unspecified => "unspecified",
            IpClass::Reserved => "reserved",
        }
    }

    pub fn is_public(self) -> bool {
        self == IpClass::Public
    }
}

impl fmt::Display for IpClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// First match wins, so the more specific prefixes come first.
const V4_RANGES: &[(u32, u8, IpClass)] = &[
    (0x0000_0000, 32, IpClass::Unspecified),
    (0x0000_0000, 8, IpClass::Reserved),
    (0x0A00_0000, 8, IpClass::Private),
    (0x6440_0000, 10, IpClass::Cgnat),
    (0x7F00_0000, 8, IpClass::Loopback),
    (0xA9FE_0000, 16, IpClass::LinkLocal),
    (0xAC10_0000, 12, IpClass::Private),
    (0xC000_0000, 24, IpClass::Reserved),
    (0xC000_0200, 24, IpClass::Documentation),
    (0xC0A8_0000, 16, IpClass::Private),
    (0xC612_0000, 15, IpClass::Reserved),
    (0xC633_6400, 24, IpClass::Documentation),
    (0xCB00_7100, 24, IpClass::Documentation),
    (0xE000_0000, 4, IpClass::Multicast),
    (0xF000_0000, 4, IpClass::Reserved),
];

/// Anything outside 2000::/3 that is not listed is unallocated, hence
/// `Reserved` (see `classify_v6`).
const V6_RANGES: &[(u128, u8, IpClass)] = &[
    (0, 128, IpClass::Unspecified),
    (1, 128, IpClass::Loopback),
    (0x0100 << 112, 64, IpClass::Reserved),
    (0x2001_0002 << 96, 48, IpClass::Reserved),
    (0x2001_0db8 << 96, 32, IpClass::Documentation),
    (0x3fff << 112, 20, IpClass::Documentation),
    (0xfc00 << 112, 7, IpClass::Private),
    (0xfe80 << 112, 10, IpClass::LinkLocal),
    (0xfec0 << 112, 10, IpClass::Private),
    (0xff00 << 112, 8, IpClass::Multicast),
    (0x2000 << 112, 3, IpClass::Public),
];

/// IPv6 forms of an IPv4 address (see [`canonical`]) are classified as the
/// IPv4 address they carry.
pub fn classify(ip: IpAddr) -> IpClass {
    match canonical(ip) {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// IPv4 clients reach a dual-stack `smtpd` as `::ffff:a.b.c.d`, and through
/// a stateless NAT64/SIIT gateway as `64:ff9b::a.b.c.d`; both are the IPv4
/// host as far as ownership and location go.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped().or_else(|| nat64_embedded(v6)) {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

fn nat64_embedded(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    const WELL_KNOWN_PREFIX: u128 = 0x0064_ff9b << 96;
    let bits = u128::from(v6);
    // The cast keeps exactly the low 32 bits, which hold the IPv4 address.
    (bits >> 32 == WELL_KNOWN_PREFIX >> 32).then_some(Ipv4Addr::from(bits as u32))
}

fn classify_v4(ip: Ipv4Addr) -> IpClass {
    let bits = u32::from(ip);
    V4_RANGES.iter().find(|&&(net, len, _)| bits & mask32(len) == net).map_or(IpClass::Public, |&(_, _, class)| class)
}

fn classify_v6(ip: Ipv6Addr) -> IpClass {
    let bits = u128::from(ip);
    V6_RANGES
        .iter()
        .find(|&&(net, len, _)| bits & mask128(len) == net)
        .map_or(IpClass::Reserved, |&(_, _, class)| class)
}

fn mask32(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask128(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> IpClass {
        classify(s.parse().expect("test address"))
    }

    #[test]
    fn ipv4_special_ranges() {
        assert_eq!(class("10.1.2.3"), IpClass::Private);
        assert_eq!(class("172.16.0.1"), IpClass::Private);
        assert_eq!(class("172.31.255.255"), IpClass::Private);
        assert_eq!(class("172.32.0.0"), IpClass::Public);
        assert_eq!(class("192.168.1.1"), IpClass::Private);
        assert_eq!(class("127.0.0.1"), IpClass::Loopback);
        assert_eq!(class("169.254.10.1"), IpClass::LinkLocal);
        assert_eq!(class("192.0.2.1"), IpClass::Documentation);
        assert_eq!(class("198.51.100.7"), IpClass::Documentation);
        assert_eq!(class("203.0.113.255"), IpClass::Documentation);
        assert_eq!(class("100.64.0.1"), IpClass::Cgnat);
        assert_eq!(class("100.127.255.255"), IpClass::Cgnat);
        assert_eq!(class("100.128.0.0"), IpClass::Public);
        assert_eq!(class("224.0.0.1"), IpClass::Multicast);
        assert_eq!(class("0.0.0.0"), IpClass::Unspecified);
        assert_eq!(class("0.1.2.3"), IpClass::Reserved);
        assert_eq!(class("198.18.0.1"), IpClass::Reserved);
        assert_eq!(class("240.0.0.1"), IpClass::Reserved);
        assert_eq!(class("255.255.255.255"), IpClass::Reserved);
        assert_eq!(class("8.8.8.8"), IpClass::Public);
    }

    #[test]
    fn ipv6_special_ranges() {
        assert_eq!(class("::"), IpClass::Unspecified);
        assert_eq!(class("::1"), IpClass::Loopback);
        assert_eq!(class("2001:db8::1"), IpClass::Documentation);
        assert_eq!(class("3fff::1"), IpClass::Documentation);
        assert_eq!(class("fe80::1"), IpClass::LinkLocal);
        assert_eq!(class("fd12:3456::1"), IpClass::Private);
        assert_eq!(class("fc00::1"), IpClass::Private);
        assert_eq!(class("ff02::1"), IpClass::Multicast);
        assert_eq!(class("2001:4860:4860::8888"), IpClass::Public);
        assert_eq!(class("4000::1"), IpClass::Reserved);
        assert_eq!(class("::2"), IpClass::Reserved);
    }

    #[test]
    fn mapped_ipv4_is_classified_as_ipv4() {
        assert_eq!(class("::ffff:10.0.0.1"), IpClass::Private);
        assert_eq!(class("::ffff:127.0.0.1"), IpClass::Loopback);
        assert_eq!(class("::ffff:8.8.8.8"), IpClass::Public);
        assert_eq!(class("64:ff9b::192.168.0.1"), IpClass::Private);
        assert_eq!(class("64:ff9b::8.8.8.8"), IpClass::Public);
        assert_eq!(class("64:ff9b:1::1"), IpClass::Reserved);
    }

    #[test]
    fn names_are_stable() {
        assert_eq!(IpClass::LinkLocal.to_string(), "link-local");
        assert!(IpClass::Public.is_public());
        assert!(!IpClass::Cgnat.is_public());
    }
}
