//! The range tables behind the embedded data, and their file format.
//!
//! A table is a sorted list of range *starts* with one value each; a range
//! ends where the next begins, and unassigned space is an explicit entry
//! with value 0. That halves the memory of start/end pairs and makes a
//! lookup a single `partition_point`. An index of equal-width buckets
//! spanning the first to the last start narrows each search to one small
//! slice; spanning only the occupied space matters for IPv6, where all data
//! sits in 2000::/3 and a plain top-16-bit index would leave slices of
//! 80,000 entries.
//!
//! File layout (little-endian, then gzip):
//! ```text
//! magic  "PSGEO" 0x01 kind(b'C'|b'A') 0x00
//! u64    import time, unix seconds
//! values country: varint n, n × 2 ASCII bytes
//!        asn:     varint n_orgs, n × (varint len, UTF-8 bytes),
//!                 varint n, n × (varint asn, varint org index + 1 or 0)
//! ipv4   varint n, n × varint start delta, n × varint value (0 = none)
//! ipv6   varint n, n × (varint delta of the top 64 bits, varint low 64
//!        bits), n × varint value
//! ```
//! Deltas and varints are what make the file small: consecutive starts are
//! close, and gzip compresses the resulting short byte runs well. IPv6
//! starts almost always fall on /64 (or coarser) boundaries, so splitting
//! them keeps each to a few bytes where one 128-bit delta would take ~15.
//!
//! Long because the compact IP-range table, its builder and its reader must
//! agree byte for byte; its unit tests sit at the end.

use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use super::{CountryCode, GeoError};

const MAGIC: &[u8; 6] = b"PSGEO\x01";
pub(crate) const KIND_COUNTRY: u8 = b'C';
pub(crate) const KIND_ASN: u8 = b'A';
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An address family's integer form, so one table type serves both.
pub(crate) trait Key: Copy + Ord + Default {
    /// log2 of the bucket count: 256 KiB of index for IPv4, 4 MiB for IPv6,
    /// whose data crowds into a few /12s and so needs finer buckets to keep
    /// each slice short (it doubled the IPv6 lookup rate).
    const INDEX_BITS: u32;
    fn to_u128(self) -> u128;
    fn from_u128(v: u128) -> Option<Self>;
    /// Bucket of `self - base` at `shift`, clamped to the last bucket.
    fn bucket(self, base: Self, shift: u32) -> usize;
    /// Appends `self`, the start following `prev`.
    fn put(self, prev: Self, w: &mut Vec<u8>);
    /// Reads the start following `prev`.
    fn read(prev: Self, r: &mut ByteReader<'_>) -> Result<Self, String>;
}

impl Key for u32 {
    const INDEX_BITS: u32 = 16;
    fn to_u128(self) -> u128 {
        u128::from(self)
    }
    fn from_u128(v: u128) -> Option<Self> {
        u32::try_from(v).ok()
    }
    #[inline]
    fn bucket(self, base: Self, shift: u32) -> usize {
        let b = self.wrapping_sub(base).checked_shr(shift).unwrap_or(0) as usize;
        b.min((1 << Self::INDEX_BITS) - 1)
    }
    fn put(self, prev: Self, w: &mut Vec<u8>) {
        put_varint(w, u64::from(self - prev));
    }
    fn read(prev: Self, r: &mut ByteReader<'_>) -> Result<Self, String> {
        let delta = u32::try_from(r.varint()?).map_err(|_| "IPv4 delta beyond 32 bits")?;
        prev.checked_add(delta).ok_or_else(|| "IPv4 start overflows".into())
    }
}

impl Key for u128 {
    const INDEX_BITS: u32 = 20;
    fn to_u128(self) -> u128 {
        self
    }
    fn from_u128(v: u128) -> Option<Self> {
        Some(v)
    }
    #[inline]
    fn bucket(self, base: Self, shift: u32) -> usize {
        let b = self.wrapping_sub(base).checked_shr(shift).unwrap_or(0);
        b.min((1 << Self::INDEX_BITS) - 1) as usize
    }
    fn put(self, prev: Self, w: &mut Vec<u8>) {
        put_varint(w, ((self >> 64) - (prev >> 64)) as u64);
        put_varint(w, self as u64);
    }
    fn read(prev: Self, r: &mut ByteReader<'_>) -> Result<Self, String> {
        let high = ((prev >> 64) as u64).checked_add(r.varint()?);
        let high = high.ok_or("IPv6 start overflows")?;
        Ok(u128::from(high) << 64 | u128::from(r.varint()?))
    }
}

/// Sorted starts with a value each; see the module comment.
pub(crate) struct RangeTable<K> {
    starts: Vec<K>,
    values: Vec<u32>,
    /// The first start: nothing below it has a value.
    base: K,
    /// Bucket width, in bits, of the offset from `base`.
    shift: u32,
    /// `index[b]` = number of starts whose bucket is below `b`.
    index: Vec<u32>,
}

impl<K: Key> RangeTable<K> {
    /// `starts` must be strictly increasing (checked by the decoder and
    /// guaranteed by [`RangeBuilder`]).
    fn new(starts: Vec<K>, values: Vec<u32>) -> Self {
        let base = starts.first().copied().unwrap_or_default();
        let span = starts.last().map_or(0, |&last| last.to_u128() - base.to_u128());
        let span_bits = 128 - span.leading_zeros();
        let shift = span_bits.saturating_sub(K::INDEX_BITS);
        let buckets = 1 << K::INDEX_BITS;
        let mut index = Vec::with_capacity(buckets + 1);
        for (i, s) in starts.iter().enumerate() {
            let b = s.bucket(base, shift);
            if index.len() <= b {
                index.resize(b + 1, i as u32);
            }
        }
        index.resize(buckets + 1, starts.len() as u32);
        RangeTable { starts, values, base, shift, index }
    }

    /// Value of the range holding `key`, 0 when none does.
    #[inline]
    pub(crate) fn get(&self, key: K) -> u32 {
        if key < self.base {
            return 0;
        }
        let b = key.bucket(self.base, self.shift);
        let (lo, hi) = (self.index[b] as usize, self.index[b + 1] as usize);
        // Every start before `lo` is below this bucket, so ≤ key.
        let below = lo + self.starts[lo..hi].partition_point(|&s| s <= key);
        below.checked_sub(1).map_or(0, |i| self.values[i])
    }

    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    fn encode(&self, w: &mut Vec<u8>) {
        put_varint(w, self.starts.len() as u64);
        let mut prev = K::default();
        for &s in &self.starts {
            s.put(prev, w);
            prev = s;
        }
        for &v in &self.values {
            put_varint(w, u64::from(v));
        }
    }

    fn decode(r: &mut ByteReader<'_>, n_values: usize) -> Result<Self, String> {
        let n = r.len_prefix()?;
        let mut starts: Vec<K> = Vec::with_capacity(n);
        let mut prev = K::default();
        for _ in 0..n {
            let start = K::read(prev, r)?;
            if starts.last().is_some_and(|&last| start <= last) {
                return Err("range starts not increasing".into());
            }
            starts.push(start);
            prev = start;
        }
        let mut values = Vec::with_capacity(n);
        for _ in 0..n {
            let v = r.varint()?;
            if v > n_values as u64 {
                return Err(format!("value {v} beyond the {n_values}-entry value table"));
            }
            values.push(v as u32);
        }
        Ok(RangeTable::new(starts, values))
    }
}

/// Builds a [`RangeTable`] from contiguous, ascending segments, merging
/// neighbours with equal values.
pub(crate) struct RangeBuilder<K> {
    starts: Vec<K>,
    values: Vec<u32>,
}

impl<K: Key> RangeBuilder<K> {
    pub(crate) fn new() -> Self {
        RangeBuilder { starts: Vec::new(), values: Vec::new() }
    }

    /// The segment from `start` up to the next pushed start has `value`.
    pub(crate) fn push(&mut self, start: K, value: u32) {
        let same = match self.values.last() {
            Some(&last) => last == value,
            None => value == 0,
        };
        if !same {
            self.starts.push(start);
            self.values.push(value);
        }
    }

    pub(crate) fn build(self) -> RangeTable<K> {
        RangeTable::new(self.starts, self.values)
    }
}

/// IP → country.
pub(crate) struct CountryTable {
    imported_at: u64,
    codes: Vec<CountryCode>,
    v4: RangeTable<u32>,
    v6: RangeTable<u128>,
}

impl CountryTable {
    pub(crate) fn new(imported_at: u64, codes: Vec<CountryCode>, v4: RangeTable<u32>, v6: RangeTable<u128>) -> Self {
        CountryTable { imported_at, codes, v4, v6 }
    }

    #[inline]
    pub(crate) fn lookup(&self, ip: IpAddr) -> Option<CountryCode> {
        let v = match ip {
            IpAddr::V4(a) => self.v4.get(u32::from(a)),
            IpAddr::V6(a) => self.v6.get(u128::from(a)),
        };
        let i = v.checked_sub(1)?;
        self.codes.get(i as usize).copied()
    }

    pub(crate) fn imported_at(&self) -> u64 {
        self.imported_at
    }

    pub(crate) fn entries(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = header(KIND_COUNTRY, self.imported_at);
        put_varint(&mut w, self.codes.len() as u64);
        for c in &self.codes {
            w.extend_from_slice(&c.bytes());
        }
        self.v4.encode(&mut w);
        self.v6.encode(&mut w);
        w
    }

    fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut r = ByteReader::new(bytes);
        let imported_at = r.header(KIND_COUNTRY)?;
        let n = r.len_prefix()?;
        let mut codes = Vec::with_capacity(n);
        for _ in 0..n {
            let raw = r.bytes(2)?;
            let code = std::str::from_utf8(raw).ok().and_then(CountryCode::new).ok_or("bad country code")?;
            codes.push(code);
        }
        let v4 = RangeTable::decode(&mut r, n)?;
        let v6 = RangeTable::decode(&mut r, n)?;
        r.end()?;
        Ok(CountryTable::new(imported_at, codes, v4, v6))
    }

    pub(crate) fn from_gz(gz: &[u8]) -> Result<Self, String> {
        CountryTable::decode(&gunzip(gz)?)
    }

    pub(crate) fn from_gz_file(path: &Path) -> Result<Self, GeoError> {
        let gz = read_file(path)?;
        CountryTable::from_gz(&gz).map_err(|msg| table_error(path, msg))
    }
}

/// One (ASN, organisation) pair; organisations are shared between pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AsnEntry {
    pub(crate) asn: u32,
    pub(crate) org: Option<Arc<str>>,
}

/// IP → ASN and organisation.
pub(crate) struct AsnTable {
    imported_at: u64,
    entries: Vec<AsnEntry>,
    v4: RangeTable<u32>,
    v6: RangeTable<u128>,
}

impl AsnTable {
    pub(crate) fn new(imported_at: u64, entries: Vec<AsnEntry>, v4: RangeTable<u32>, v6: RangeTable<u128>) -> Self {
        AsnTable { imported_at, entries, v4, v6 }
    }

    #[inline]
    pub(crate) fn lookup(&self, ip: IpAddr) -> (Option<u32>, Option<Arc<str>>) {
        let v = match ip {
            IpAddr::V4(a) => self.v4.get(u32::from(a)),
            IpAddr::V6(a) => self.v6.get(u128::from(a)),
        };
        match v.checked_sub(1).and_then(|i| self.entries.get(i as usize)) {
            Some(e) => (Some(e.asn), e.org.clone()),
            None => (None, None),
        }
    }

    pub(crate) fn imported_at(&self) -> u64 {
        self.imported_at
    }

    pub(crate) fn entries(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Organisation names are written once each, in first-use order.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut orgs: Vec<&Arc<str>> = Vec::new();
        let mut org_ids = std::collections::HashMap::new();
        for org in self.entries.iter().filter_map(|e| e.org.as_ref()) {
            org_ids.entry(org.clone()).or_insert_with(|| {
                orgs.push(org);
                orgs.len()
            });
        }
        let mut w = header(KIND_ASN, self.imported_at);
        put_varint(&mut w, orgs.len() as u64);
        for org in orgs {
            put_varint(&mut w, org.len() as u64);
            w.extend_from_slice(org.as_bytes());
        }
        put_varint(&mut w, self.entries.len() as u64);
        for e in &self.entries {
            put_varint(&mut w, u64::from(e.asn));
            let id = e.org.as_ref().and_then(|o| org_ids.get(o)).copied();
            put_varint(&mut w, id.unwrap_or(0) as u64);
        }
        self.v4.encode(&mut w);
        self.v6.encode(&mut w);
        w
    }

    fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut r = ByteReader::new(bytes);
        let imported_at = r.header(KIND_ASN)?;
        let orgs = decode_orgs(&mut r)?;
        let entries = decode_asn_entries(&mut r, &orgs)?;
        let v4 = RangeTable::decode(&mut r, entries.len())?;
        let v6 = RangeTable::decode(&mut r, entries.len())?;
        r.end()?;
        Ok(AsnTable::new(imported_at, entries, v4, v6))
    }

    pub(crate) fn from_gz(gz: &[u8]) -> Result<Self, String> {
        AsnTable::decode(&gunzip(gz)?)
    }

    pub(crate) fn from_gz_file(path: &Path) -> Result<Self, GeoError> {
        let gz = read_file(path)?;
        AsnTable::from_gz(&gz).map_err(|msg| table_error(path, msg))
    }
}

fn decode_orgs(r: &mut ByteReader<'_>) -> Result<Vec<Arc<str>>, String> {
    let n = r.len_prefix()?;
    let mut orgs = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.len_prefix()?;
        let s = std::str::from_utf8(r.bytes(len)?).map_err(|_| "organisation not UTF-8")?;
        orgs.push(Arc::from(s));
    }
    Ok(orgs)
}

fn decode_asn_entries(r: &mut ByteReader<'_>, orgs: &[Arc<str>]) -> Result<Vec<AsnEntry>, String> {
    let n = r.len_prefix()?;
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let asn = u32::try_from(r.varint()?).map_err(|_| "ASN beyond 32 bits")?;
        let org = match r.varint()? {
            0 => None,
            i => Some(orgs.get(i as usize - 1).ok_or("organisation index out of range")?),
        };
        entries.push(AsnEntry { asn, org: org.cloned() });
    }
    Ok(entries)
}

/// Tells our tables from mmdb files; an mmdb never starts with gzip magic.
pub(crate) fn is_table_file(path: &Path) -> Result<bool, GeoError> {
    let mut head = [0u8; 2];
    let mut f = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let n = f.read(&mut head).map_err(|e| io_error(path, e))?;
    Ok(n == 2 && head == GZIP_MAGIC)
}

pub(crate) fn gunzip(gz: &[u8]) -> Result<Vec<u8>, String> {
    // The gzip trailer holds the size mod 2^32: a hint that saves regrowing,
    // capped so a forged trailer cannot reserve gigabytes.
    let trailer = gz.len().checked_sub(4).and_then(|i| gz.get(i..));
    let hint = trailer.map_or(0, |t| t.iter().rev().fold(0, |a, &b| a << 8 | usize::from(b)));
    let mut out = Vec::with_capacity(hint.min(gz.len().saturating_mul(64)));
    MultiGzDecoder::new(gz).read_to_end(&mut out).map_err(|e| format!("gzip: {e}"))?;
    Ok(out)
}

fn header(kind: u8, imported_at: u64) -> Vec<u8> {
    let mut w = Vec::with_capacity(1 << 20);
    w.extend_from_slice(MAGIC);
    w.push(kind);
    w.push(0);
    w.extend_from_slice(&imported_at.to_le_bytes());
    w
}

fn read_file(path: &Path) -> Result<Vec<u8>, GeoError> {
    std::fs::read(path).map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, source: std::io::Error) -> GeoError {
    GeoError::Io { path: path.to_path_buf(), source }
}

fn table_error(path: &Path, msg: String) -> GeoError {
    GeoError::Table { path: path.to_path_buf(), msg }
}

/// LEB128: 7 bits per byte, high bit set on all but the last.
fn put_varint(w: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        w.push((v as u8) | 0x80);
        v >>= 7;
    }
    w.push(v as u8);
}

/// Bounds-checked cursor: table files may come from users, so every read
/// can fail with a message instead of a panic.
pub(crate) struct ByteReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> ByteReader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        ByteReader { buf, pos: 0 }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or("truncated")?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    #[inline]
    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        for (i, &b) in rest.iter().enumerate().take(10) {
            let part = u64::from(b & 0x7f);
            let shift = 7 * i as u32;
            if part.checked_shl(shift).map(|p| p >> shift) != Some(part) {
                return Err("varint overflows 64 bits".into());
            }
            v |= part << shift;
            if b & 0x80 == 0 {
                self.pos += i + 1;
                return Ok(v);
            }
        }
        Err("truncated or overlong varint".into())
    }

    /// A count that must fit in memory; bounded by the bytes left so a
    /// corrupt count cannot trigger a huge allocation.
    fn len_prefix(&mut self) -> Result<usize, String> {
        let n = self.varint()?;
        let left = (self.buf.len() - self.pos) as u64;
        if n > left {
            return Err(format!("count {n} exceeds the {left} bytes left"));
        }
        Ok(n as usize)
    }

    fn header(&mut self, kind: u8) -> Result<u64, String> {
        if self.bytes(MAGIC.len())? != MAGIC {
            return Err("not a postsleuth geo table (bad magic or version)".into());
        }
        let found = self.bytes(2)?[0];
        if found != kind {
            let want = if kind == KIND_COUNTRY { "country" } else { "ASN" };
            return Err(format!("not a {want} table (kind byte {found:#04x})"));
        }
        let mut t = [0u8; 8];
        t.copy_from_slice(self.bytes(8)?);
        Ok(u64::from_le_bytes(t))
    }

    fn end(&self) -> Result<(), String> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(format!("{} trailing bytes", self.buf.len() - self.pos))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(segments: &[(u32, u32)]) -> RangeTable<u32> {
        let mut b = RangeBuilder::new();
        for &(s, v) in segments {
            b.push(s, v);
        }
        b.build()
    }

    #[test]
    fn lookup_finds_the_range_holding_the_key() {
        let t = table(&[(0, 0), (100, 1), (200, 0), (0x0001_0000, 2), (u32::MAX, 3)]);
        assert_eq!(t.get(0), 0);
        assert_eq!(t.get(99), 0);
        assert_eq!(t.get(100), 1);
        assert_eq!(t.get(199), 1);
        assert_eq!(t.get(200), 0);
        assert_eq!(t.get(0xffff), 0);
        assert_eq!(t.get(0x0001_0000), 2);
        assert_eq!(t.get(0x7fff_0000), 2);
        assert_eq!(t.get(u32::MAX - 1), 2);
        assert_eq!(t.get(u32::MAX), 3);
    }

    #[test]
    fn builder_merges_equal_neighbours_and_drops_leading_gap() {
        let t = table(&[(0, 0), (10, 5), (20, 5), (30, 0), (40, 0)]);
        assert_eq!(t.starts, vec![10, 30]);
        assert_eq!(t.values, vec![5, 0]);
    }

    #[test]
    fn empty_table_finds_nothing() {
        let t = table(&[]);
        assert_eq!(t.get(12345), 0);
        let v6: RangeTable<u128> = RangeBuilder::new().build();
        assert_eq!(v6.get(u128::MAX), 0);
    }

    #[test]
    fn ipv6_buckets_span_the_occupied_space() {
        let mut b = RangeBuilder::new();
        b.push(0x2001_0db8u128 << 96, 7);
        b.push((0x2001_0db8u128 << 96) + (1 << 96), 0);
        let t = b.build();
        assert_eq!(t.get(0x2001_0db8u128 << 96), 7);
        assert_eq!(t.get((0x2001_0db9u128 << 96) - 1), 7);
        assert_eq!(t.get(0x2001_0db9u128 << 96), 0);
        assert_eq!(t.get((0x2001_0db8u128 << 96) - 1), 0);
    }

    #[test]
    fn varints_round_trip_at_the_limits() {
        for v in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut w = Vec::new();
            put_varint(&mut w, v);
            let mut r = ByteReader::new(&w);
            assert_eq!(r.varint(), Ok(v));
            assert!(r.end().is_ok());
        }
        let mut r = ByteReader::new(&[0xff; 20]);
        assert!(r.varint().is_err());
        let mut r = ByteReader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]);
        assert!(r.varint().is_err(), "65th bit");
    }

    fn sample_asn_table() -> AsnTable {
        let org: Arc<str> = Arc::from("Example Org");
        let entries = vec![
            AsnEntry { asn: 64500, org: Some(org.clone()) },
            AsnEntry { asn: 64501, org: Some(org) },
            AsnEntry { asn: 64502, org: None },
        ];
        let v4 = table(&[(1 << 24, 1), (2 << 24, 2), (3 << 24, 0)]);
        let mut b6 = RangeBuilder::new();
        b6.push(0x2a00u128 << 112, 3);
        AsnTable::new(42, entries, v4, b6.build())
    }

    #[test]
    fn asn_table_round_trips_and_shares_org_names() {
        let t = sample_asn_table();
        let back = AsnTable::decode(&t.encode()).expect("decodes");
        assert_eq!(back.imported_at(), 42);
        assert_eq!(back.entries, t.entries);
        let (a, b) = (&back.entries[0].org, &back.entries[1].org);
        assert!(Arc::ptr_eq(a.as_ref().unwrap(), b.as_ref().unwrap()));
        let ip: IpAddr = "1.2.3.4".parse().unwrap();
        assert_eq!(back.lookup(ip), (Some(64500), Some(Arc::from("Example Org"))));
        let ip: IpAddr = "2a00::1".parse().unwrap();
        assert_eq!(back.lookup(ip), (Some(64502), None));
    }

    #[test]
    fn country_table_round_trips() {
        let codes = vec![CountryCode::new("de").unwrap(), CountryCode::new("US").unwrap()];
        let t = CountryTable::new(7, codes, table(&[(5, 1), (9, 2)]), RangeBuilder::new().build());
        let back = CountryTable::decode(&t.encode()).expect("decodes");
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(back.lookup(ip("0.0.0.5")).map(|c| c.to_string()), Some("DE".into()));
        assert_eq!(back.lookup(ip("0.0.0.4")), None);
        assert_eq!(back.lookup(ip("9.9.9.9")).map(|c| c.to_string()), Some("US".into()));
    }

    #[test]
    fn corrupt_tables_are_errors_not_panics() {
        let good = sample_asn_table().encode();
        for cut in 0..good.len() {
            assert!(AsnTable::decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        assert!(CountryTable::decode(&good).is_err(), "kind byte is checked");
        let mut flipped = good.clone();
        for i in 16..flipped.len() {
            flipped[i] ^= 0x55;
            let _ = AsnTable::decode(&flipped);
            flipped[i] ^= 0x55;
        }
        assert!(CountryTable::from_gz(b"not gzip").is_err());
    }
}
