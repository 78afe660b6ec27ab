//! Lookups per second of the embedded geo tables, plus what the first
//! lookup costs (decompression and parsing). A plain `main` timed with
//! `Instant`, so it needs no bench framework:
//!
//! ```text
//! cargo bench --bench geo_lookup            # 10 M lookups per set
//! cargo bench --bench geo_lookup -- 1000000 # fewer
//! ```

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use postsleuth::enrich::Geo;

/// /16s that hold most announced IPv6 space, so the IPv6 set exercises the
/// crowded parts of the table rather than empty space.
const V6_PREFIXES: &[u16] = &[
    0x2001, 0x2400, 0x2401, 0x2403, 0x2404, 0x2600, 0x2602, 0x2604, 0x2605, 0x2606, 0x2607, 0x2800, 0x2803, 0x2804,
    0x2a00, 0x2a01, 0x2a02, 0x2a03, 0x2a05, 0x2a06, 0x2a0b, 0x2a0d, 0x2a10, 0x2c0f,
];

/// xorshift64*: deterministic, dependency-free, and far faster than the
/// lookups it feeds (addresses are generated before timing anyway).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn v4(&mut self) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(self.next() as u32))
    }

    fn v6(&mut self) -> IpAddr {
        let top = V6_PREFIXES[(self.next() % V6_PREFIXES.len() as u64) as usize];
        let rest = (u128::from(self.next()) << 64 | u128::from(self.next())) >> 16;
        IpAddr::V6(Ipv6Addr::from(u128::from(top) << 112 | rest))
    }
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run(geo: &Geo, name: &str, ips: &[IpAddr]) {
    let (mut countries, mut asns) = (0usize, 0usize);
    let start = Instant::now();
    for &ip in ips {
        let info = geo.lookup(black_box(ip));
        countries += usize::from(info.country.is_some());
        asns += usize::from(info.asn.is_some());
        black_box(info);
    }
    let secs = start.elapsed().as_secs_f64();
    let n = ips.len() as f64;
    println!(
        "{name:<22} {:>7.2} M lookups/s  ({:.0} ns each; country found {:.0}%, ASN {:.0}%)",
        n / secs / 1e6,
        secs * 1e9 / n,
        countries as f64 * 100.0 / n,
        asns as f64 * 100.0 / n,
    );
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000_000);
    let geo = Geo::embedded();

    let rss_before = rss_kib();
    let start = Instant::now();
    let first = geo.lookup("8.8.8.8".parse().expect("literal"));
    let first_ms = start.elapsed().as_secs_f64() * 1e3;
    println!("first lookup (decompress + parse both tables): {first_ms:.1} ms -> {first:?}");
    if let (Some(a), Some(b)) = (rss_before, rss_kib()) {
        println!("resident memory added by the tables: {:.1} MiB", (b - a) as f64 / 1024.0);
    }

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let v4: Vec<IpAddr> = (0..n).map(|_| rng.v4()).collect();
    let v6: Vec<IpAddr> = (0..n).map(|_| rng.v6()).collect();
    let mixed: Vec<IpAddr> = (0..n).map(|i| if i % 10 == 0 { v6[i] } else { v4[i] }).collect();
    run(&geo, "IPv4 uniform", &v4);
    run(&geo, "IPv6 announced /16s", &v6);
    run(&geo, "mixed 90% v4 / 10% v6", &mixed);
}
