//! Client addresses: real access-network allocations by country, and the names
//! Postfix would print for them.
//!
//! The analyzer geolocates client IPs with an NRO-derived table, so every range
//! here is a large consumer ISP block allocated to the country it is tagged
//! with (cross-checked against a GeoIP country database at 150 random points
//! each). No anycast or cloud ranges: their country says nothing about the
//! sender. Our own infrastructure lives in documentation ranges and is never
//! drawn for anyone else.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::put::Put;
use super::rng::Rng;

/// How a range's reverse DNS names look; Postfix prints `unknown` when the
/// name does not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ptr {
    None,
    /// `prefix` + the address as 8 lower-case hex digits + `suffix`.
    Hex(&'static str, &'static str),
    /// `prefix` + `a-b-c-d` + `suffix`.
    Dashed(&'static str, &'static str),
    /// `a.b.c.d` + `suffix`.
    Dotted(&'static str),
}

pub(crate) struct Net4 {
    pub(crate) cc: &'static str,
    base: [u8; 4],
    bits: u8,
    ptr: Ptr,
}

const fn n4(cc: &'static str, base: [u8; 4], bits: u8, ptr: Ptr) -> Net4 {
    Net4 { cc, base, bits, ptr }
}

const DTAG: Ptr = Ptr::Hex("p", ".dip0.t-ipconnect.de");
const ORANGE: Ptr = Ptr::Dashed("", ".abo.wanadoo.fr");
const FREE: Ptr = Ptr::Dashed("", ".fbx.proxad.net");
const COMCAST: Ptr = Ptr::Dashed("c-", ".hsd1.ma.comcast.net");

/// Consumer access networks by country.
pub(crate) static V4: &[Net4] = &[
    n4("DE", [79, 192, 0, 0], 10, DTAG),
    n4("DE", [84, 128, 0, 0], 10, DTAG),
    n4("DE", [91, 0, 0, 0], 10, DTAG),
    n4("DE", [93, 192, 0, 0], 10, DTAG),
    n4("DE", [217, 224, 0, 0], 11, DTAG),
    n4("DE", [87, 128, 0, 0], 10, DTAG),
    n4("DE", [88, 64, 0, 0], 12, Ptr::None),
    n4("FR", [86, 192, 0, 0], 10, ORANGE),
    n4("FR", [78, 192, 0, 0], 10, FREE),
    n4("FR", [82, 224, 0, 0], 11, FREE),
    n4("FR", [88, 160, 0, 0], 11, FREE),
    n4("FR", [176, 128, 0, 0], 10, Ptr::None),
    n4("US", [73, 0, 0, 0], 8, COMCAST),
    n4("US", [98, 192, 0, 0], 10, COMCAST),
    n4("US", [174, 48, 0, 0], 12, COMCAST),
    n4("US", [71, 192, 0, 0], 12, COMCAST),
    n4("US", [24, 0, 0, 0], 12, Ptr::None),
    n4("US", [99, 0, 0, 0], 10, Ptr::Dashed("", ".lightspeed.sbcglobal.net")),
    n4("GB", [86, 128, 0, 0], 10, Ptr::Dashed("host", ".btcentralplus.com")),
    n4("GB", [81, 128, 0, 0], 11, Ptr::None),
    n4("ES", [83, 32, 0, 0], 11, Ptr::Dotted(".dyn.user.ono.com")),
    n4("ES", [88, 0, 0, 0], 11, Ptr::None),
    n4("IT", [79, 0, 0, 0], 10, Ptr::None),
    n4("PL", [83, 0, 0, 0], 11, Ptr::Dashed("", ".adsl.inetia.pl")),
    n4("BR", [179, 208, 0, 0], 12, Ptr::None),
    n4("BR", [187, 0, 0, 0], 12, Ptr::Dashed("", ".user.veloxzone.com.br")),
    n4("BR", [189, 0, 0, 0], 11, Ptr::None),
    n4("BR", [201, 0, 0, 0], 12, Ptr::None),
    n4("BR", [186, 192, 0, 0], 11, Ptr::None),
    n4("CN", [116, 224, 0, 0], 12, Ptr::None),
    n4("CN", [117, 128, 0, 0], 10, Ptr::None),
    n4("CN", [183, 0, 0, 0], 10, Ptr::None),
    n4("CN", [220, 160, 0, 0], 11, Ptr::None),
    n4("CN", [222, 64, 0, 0], 11, Ptr::None),
    n4("CN", [36, 96, 0, 0], 11, Ptr::None),
    n4("RU", [95, 24, 0, 0], 13, Ptr::Dashed("", ".broadband.corbina.ru")),
    n4("RU", [5, 136, 0, 0], 13, Ptr::None),
    n4("RU", [178, 64, 0, 0], 13, Ptr::None),
    n4("VN", [113, 160, 0, 0], 11, Ptr::None),
    n4("VN", [14, 160, 0, 0], 11, Ptr::None),
    n4("VN", [171, 224, 0, 0], 11, Ptr::None),
    n4("VN", [27, 64, 0, 0], 12, Ptr::None),
    n4("VN", [116, 96, 0, 0], 12, Ptr::None),
    n4("IN", [117, 192, 0, 0], 10, Ptr::None),
    n4("IN", [59, 88, 0, 0], 13, Ptr::None),
    n4("IN", [106, 192, 0, 0], 11, Ptr::None),
    n4("IN", [223, 176, 0, 0], 12, Ptr::None),
    n4("IN", [122, 160, 0, 0], 12, Ptr::None),
    n4("NG", [105, 112, 0, 0], 12, Ptr::None),
    n4("NG", [197, 210, 0, 0], 16, Ptr::None),
    n4("NG", [41, 184, 0, 0], 16, Ptr::None),
    n4("NG", [102, 88, 0, 0], 15, Ptr::None),
    n4("TR", [78, 160, 0, 0], 11, Ptr::Dotted(".dynamic.ttnet.com.tr")),
    n4("TR", [88, 224, 0, 0], 11, Ptr::Dotted(".dynamic.ttnet.com.tr")),
    n4("ID", [36, 64, 0, 0], 11, Ptr::None),
    n4("UA", [46, 211, 0, 0], 16, Ptr::None),
    n4("MX", [189, 128, 0, 0], 10, Ptr::Dashed("dsl-", "-dyn.prod-infinitum.com.mx")),
    n4("KR", [175, 192, 0, 0], 10, Ptr::None),
    n4("KR", [121, 128, 0, 0], 10, Ptr::None),
    n4("AR", [181, 0, 0, 0], 12, Ptr::None),
    n4("JP", [153, 128, 0, 0], 9, Ptr::None),
    n4("TH", [171, 96, 0, 0], 13, Ptr::None),
    n4("PK", [39, 32, 0, 0], 11, Ptr::None),
];

pub(crate) struct Net6 {
    pub(crate) cc: &'static str,
    prefix: [u16; 4],
    bits: u8,
}

/// IPv6 access networks; clients there show up as `unknown[…]`.
pub(crate) static V6: &[Net6] = &[
    Net6 { cc: "DE", prefix: [0x2003, 0, 0, 0], bits: 19 },
    Net6 { cc: "FR", prefix: [0x2a01, 0x0e00, 0, 0], bits: 26 },
    Net6 { cc: "FR", prefix: [0x2a01, 0xcb00, 0, 0], bits: 24 },
    Net6 { cc: "US", prefix: [0x2601, 0, 0, 0], bits: 20 },
    Net6 { cc: "GB", prefix: [0x2a00, 0x23c0, 0, 0], bits: 26 },
    Net6 { cc: "CN", prefix: [0x240e, 0, 0, 0], bits: 20 },
    Net6 { cc: "VN", prefix: [0x2402, 0x0800, 0, 0], bits: 32 },
    Net6 { cc: "BR", prefix: [0x2804, 0x014c, 0, 0], bits: 31 },
    Net6 { cc: "IN", prefix: [0x2409, 0x4000, 0, 0], bits: 22 },
    Net6 { cc: "IN", prefix: [0x2401, 0x4900, 0, 0], bits: 32 },
    Net6 { cc: "RU", prefix: [0x2a02, 0x2168, 0, 0], bits: 32 },
];

/// Our MX's public address (TEST-NET-2): the `to [IP]:25` of postscreen.
pub(crate) const OUR_MX: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 25);
/// The office NAT (TEST-NET-3) some accounts submit from.
pub(crate) const OFFICE_NAT: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
/// Google's outbound mail servers, for legitimate inbound mail.
const GOOGLE_OUT: [u8; 3] = [209, 85, 128];
/// The cluster prefixes in Google's `mail-XXX-fNN.google.com` names.
const GOOGLE_PREFIXES: [&str; 8] = ["wm1", "ed1", "lf1", "pl1", "qt1", "yb1", "oi1", "io1"];

/// What Postfix prints before `[IP]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Name {
    Unknown,
    Ptr(Ptr),
    Fixed(&'static str),
    Google,
}

/// An SMTP client: its address and how its name is rendered. Names derive from
/// the address, so one IP always shows the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Client {
    pub(crate) ip: IpAddr,
    pub(crate) name: Name,
}

impl Client {
    pub(crate) fn localhost() -> Client {
        Client { ip: IpAddr::V4(Ipv4Addr::LOCALHOST), name: Name::Fixed("localhost") }
    }

    pub(crate) fn office() -> Client {
        Client { ip: IpAddr::V4(OFFICE_NAT), name: Name::Fixed("gw.office.example.com") }
    }

    /// One of Google's outbound MTAs.
    pub(crate) fn google(rng: &mut Rng) -> Client {
        let [a, b, c] = GOOGLE_OUT;
        let ip = Ipv4Addr::new(a, b, c + rng.below(128) as u8, 1 + rng.below(254) as u8);
        Client { ip: IpAddr::V4(ip), name: Name::Google }
    }

    /// `NAME[IP]`.
    pub(crate) fn put(&self, buf: &mut Vec<u8>) {
        self.put_name(buf);
        buf.s("[").ip(&self.ip).s("]");
    }

    fn put_name(&self, buf: &mut Vec<u8>) {
        match (self.name, self.ip) {
            (Name::Fixed(name), _) => {
                buf.s(name);
            }
            (Name::Ptr(ptr), IpAddr::V4(v4)) if ptr != Ptr::None => put_ptr(buf, ptr, v4),
            (Name::Google, IpAddr::V4(v4)) => {
                let [_, _, c, d] = v4.octets();
                let cluster = GOOGLE_PREFIXES[usize::from(c) % GOOGLE_PREFIXES.len()];
                buf.s("mail-").s(cluster).s("-f").n(d.into()).s(".google.com");
            }
            _ => {
                buf.s("unknown");
            }
        }
    }
}

fn put_ptr(buf: &mut Vec<u8>, ptr: Ptr, v4: Ipv4Addr) {
    let [a, b, c, d] = v4.octets();
    match ptr {
        Ptr::None => {
            buf.s("unknown");
        }
        Ptr::Hex(prefix, suffix) => {
            buf.s(prefix);
            for x in [a, b, c, d] {
                buf.push(b"0123456789abcdef"[usize::from(x >> 4)]);
                buf.push(b"0123456789abcdef"[usize::from(x & 15)]);
            }
            buf.s(suffix);
        }
        Ptr::Dashed(prefix, suffix) => {
            buf.s(prefix).n(a.into()).s("-").n(b.into()).s("-").n(c.into());
            buf.s("-").n(d.into()).s(suffix);
        }
        Ptr::Dotted(suffix) => {
            buf.n(a.into()).s(".").n(b.into()).s(".").n(c.into()).s(".");
            buf.n(d.into()).s(suffix);
        }
    }
}

/// Indices of the IPv4 ranges of the given countries.
pub(crate) fn ranges_in(countries: &[&str]) -> Vec<usize> {
    (0..V4.len()).filter(|&i| countries.contains(&V4[i].cc)).collect()
}

/// A host address inside range `idx`, never a `.0` or `.255`.
pub(crate) fn sample_v4(rng: &mut Rng, idx: usize) -> Ipv4Addr {
    let net = &V4[idx];
    let base = u32::from_be_bytes(net.base);
    let span = 1u64 << (32 - net.bits);
    let mut ip = base + rng.below(span) as u32;
    let last = (ip & 0xFF) as u8;
    if last == 0 || last == 255 {
        ip = (ip & !0xFF) | (1 + rng.below(254) as u32);
    }
    Ipv4Addr::from(ip)
}

/// A client in range `idx`; `named` says whether its PTR verifies.
pub(crate) fn client_v4(rng: &mut Rng, idx: usize, named: bool) -> Client {
    let ip = IpAddr::V4(sample_v4(rng, idx));
    let ptr = V4[idx].ptr;
    let name = if named && ptr != Ptr::None { Name::Ptr(ptr) } else { Name::Unknown };
    Client { ip, name }
}

/// An address inside IPv6 range `idx` (random /64 and interface ID).
pub(crate) fn sample_v6(rng: &mut Rng, idx: usize) -> Ipv6Addr {
    let net = &V6[idx];
    let mut top = 0u64;
    for &g in &net.prefix {
        top = (top << 16) | u64::from(g);
    }
    let keep = u32::from(net.bits);
    let host_mask = u64::MAX >> keep;
    let high = (top & !host_mask) | (rng.next_u64() & host_mask);
    let low = rng.next_u64() | 1;
    Ipv6Addr::from((u128::from(high) << 64) | u128::from(low))
}

/// An IPv6 client in a range of one of `countries`, if there is one.
pub(crate) fn client_v6(rng: &mut Rng, countries: &[&str]) -> Option<Client> {
    let idx: Vec<usize> = (0..V6.len()).filter(|&i| countries.contains(&V6[i].cc)).collect();
    if idx.is_empty() {
        return None;
    }
    let which = *rng.pick(&idx);
    let ip = IpAddr::V6(sample_v6(rng, which));
    Some(Client { ip, name: Name::Unknown })
}

/// Whether `ip` belongs to our own infrastructure (or loopback): such an
/// address must never be drawn for an outside party.
pub(crate) fn is_ours(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_loopback() || [a, b, c] == [198, 51, 100] || [a, b, c] == [203, 0, 113]
        }
        IpAddr::V6(v6) => v6.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(c: &Client) -> String {
        let mut b = Vec::new();
        c.put(&mut b);
        String::from_utf8(b).expect("ascii")
    }

    #[test]
    fn ranges_are_aligned_and_disjoint() {
        let spans: Vec<(u32, u64)> = V4
            .iter()
            .map(|n| {
                let base = u32::from_be_bytes(n.base);
                let size = 1u64 << (32 - n.bits);
                assert_eq!(u64::from(base) % size, 0, "{}/{}", Ipv4Addr::from(base), n.bits);
                (base, size)
            })
            .collect();
        for (i, a) in spans.iter().enumerate() {
            for b in &spans[i + 1..] {
                let disjoint = u64::from(a.0) + a.1 <= u64::from(b.0) || u64::from(b.0) + b.1 <= u64::from(a.0);
                assert!(disjoint);
            }
        }
    }

    #[test]
    fn samples_stay_inside_their_range_and_outside_ours() {
        let mut rng = Rng::new(5);
        for (i, net) in V4.iter().enumerate() {
            let base = u32::from_be_bytes(net.base);
            for _ in 0..200 {
                let ip = sample_v4(&mut rng, i);
                assert_eq!(u32::from(ip) >> (32 - net.bits), base >> (32 - net.bits));
                assert!(!is_ours(&IpAddr::V4(ip)));
                assert!(!matches!(ip.octets()[3], 0 | 255));
            }
        }
        for (i, net) in V6.iter().enumerate() {
            let ip = sample_v6(&mut rng, i);
            assert_eq!(ip.segments()[0], net.prefix[0]);
        }
    }

    #[test]
    fn names_render_like_postfix() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        let dtag = Client { ip: ip("79.192.1.255"), name: Name::Ptr(DTAG) };
        assert_eq!(name(&dtag), "p4fc001ff.dip0.t-ipconnect.de[79.192.1.255]");
        let comcast = Client { ip: ip("73.1.2.3"), name: Name::Ptr(COMCAST) };
        assert_eq!(name(&comcast), "c-73-1-2-3.hsd1.ma.comcast.net[73.1.2.3]");
        let v6 = Client { ip: ip("2003::5"), name: Name::Unknown };
        assert_eq!(name(&v6), "unknown[2003::5]");
        let g = Client { ip: ip("209.85.128.41"), name: Name::Google };
        assert_eq!(name(&g), "mail-wm1-f41.google.com[209.85.128.41]");
    }
}
