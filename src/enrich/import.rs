//! ip-location-db CSV files → our range tables.
//!
//! Accepted rows (gzip-compressed files are fine too, told by magic bytes):
//! ```text
//! country: ip_range_start,ip_range_end,country_code
//! asn:     ip_range_start,ip_range_end,autonomous_system_number[,autonomous_system_organization]
//! ```
//! Ends are inclusive; IPv4 and IPv6 rows may share a file. The published
//! data has nested ranges (a registry block with more specific geofeed
//! entries inside it, not carved out), so overlaps are resolved rather than
//! rejected: the narrowest range wins, and between equally wide ones the
//! earlier row (earlier file, then earlier line) wins.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::table::{AsnEntry, AsnTable, CountryTable, Key, RangeBuilder, RangeTable};
use super::{CountryCode, GeoError, ASN_TABLE_FILE, COUNTRY_TABLE_FILE};

/// What an import read and wrote, for the `geo import` summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// CSV data rows read.
    pub country_rows: usize,
    /// Table entries after resolving overlaps and merging neighbours.
    pub country_entries: usize,
    pub countries: usize,
    /// Rows that overlapped another one (resolved, narrowest wins).
    pub country_overlaps: usize,
    pub asn_rows: usize,
    pub asn_entries: usize,
    pub asns: usize,
    pub as_orgs: usize,
    pub asn_overlaps: usize,
    /// Each written table with its size in bytes.
    pub files: Vec<(PathBuf, u64)>,
}

/// Builds `country.bin.gz` from `country_csvs` and `asn.bin.gz` from
/// `asn_csvs` in `out_dir` (created if missing). A table whose list is empty
/// is not written, so one field can be refreshed alone.
pub fn import(country_csvs: &[PathBuf], asn_csvs: &[PathBuf], out_dir: &Path) -> Result<ImportStats, GeoError> {
    if country_csvs.is_empty() && asn_csvs.is_empty() {
        return Err(GeoError::NothingToImport);
    }
    std::fs::create_dir_all(out_dir).map_err(|e| io_error(out_dir, e))?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut stats = ImportStats::default();
    if !country_csvs.is_empty() {
        let table = import_country(country_csvs, now, &mut stats)?;
        let path = out_dir.join(COUNTRY_TABLE_FILE);
        stats.files.push(write_gz(&path, &table.encode())?);
    }
    if !asn_csvs.is_empty() {
        let table = import_asn(asn_csvs, now, &mut stats)?;
        let path = out_dir.join(ASN_TABLE_FILE);
        stats.files.push(write_gz(&path, &table.encode())?);
    }
    Ok(stats)
}

/// One CSV row. `value` 0 is an explicit "no owner" (AS0), which still
/// overrides a wider range around it.
struct Row<K> {
    start: K,
    end: K,
    value: u32,
    /// Position across all input files, for the earlier-row-wins rule.
    order: usize,
}

/// Rows of both families, values already interned.
#[derive(Default)]
struct Rows {
    v4: Vec<Row<u32>>,
    v6: Vec<Row<u128>>,
    count: usize,
}

impl Rows {
    fn push(&mut self, start: IpAddr, end: IpAddr, value: u32) -> Result<(), String> {
        let order = self.count;
        self.count += 1;
        match (start, end) {
            (IpAddr::V4(s), IpAddr::V4(e)) if s <= e => {
                let (start, end) = (u32::from(s), u32::from(e));
                self.v4.push(Row { start, end, value, order });
            }
            (IpAddr::V6(s), IpAddr::V6(e)) if s <= e => {
                let (start, end) = (u128::from(s), u128::from(e));
                self.v6.push(Row { start, end, value, order });
            }
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                return Err(format!("range start {start} is after its end {end}"));
            }
            _ => return Err(format!("range mixes IPv4 and IPv6: {start} … {end}")),
        }
        Ok(())
    }
}

fn import_country(paths: &[PathBuf], now: u64, stats: &mut ImportStats) -> Result<CountryTable, GeoError> {
    let mut codes: Vec<CountryCode> = Vec::new();
    let mut ids: HashMap<CountryCode, u32> = HashMap::new();
    let rows = read_rows(paths, 3..=3, |fields| {
        let code = CountryCode::new(fields[2].trim()).ok_or_else(|| format!("bad country code {:?}", fields[2]))?;
        Ok(*ids.entry(code).or_insert_with(|| {
            codes.push(code);
            codes.len() as u32
        }))
    })?;
    stats.country_rows = rows.count;
    let (v4, v6) = (resolve(rows.v4), resolve(rows.v6));
    stats.country_overlaps = v4.1 + v6.1;
    stats.countries = codes.len();
    let table = CountryTable::new(now, codes, v4.0, v6.0);
    stats.country_entries = table.entries();
    Ok(table)
}

fn import_asn(paths: &[PathBuf], now: u64, stats: &mut ImportStats) -> Result<AsnTable, GeoError> {
    let mut interner = AsnInterner::default();
    let rows = read_rows(paths, 3..=4, |fields| {
        let asn = parse_asn(&fields[2])?;
        let org = fields.get(3).map(|o| o.trim()).filter(|o| !o.is_empty());
        Ok(interner.intern(asn, org))
    })?;
    stats.asn_rows = rows.count;
    let (v4, v6) = (resolve(rows.v4), resolve(rows.v6));
    stats.asn_overlaps = v4.1 + v6.1;
    stats.as_orgs = interner.orgs.len();
    stats.asns = interner.asns();
    let table = AsnTable::new(now, interner.entries, v4.0, v6.0);
    stats.asn_entries = table.entries();
    Ok(table)
}

fn parse_asn(field: &str) -> Result<u32, String> {
    let field = field.trim();
    let digits = field.strip_prefix("AS").unwrap_or(field);
    digits.parse::<u32>().map_err(|_| format!("bad AS number {field:?}"))
}

/// Dedupes (ASN, organisation) pairs and organisation strings, so half a
/// million ranges share some 80,000 names.
#[derive(Default)]
struct AsnInterner {
    orgs: HashMap<String, Arc<str>>,
    ids: HashMap<(u32, Option<Arc<str>>), u32>,
    entries: Vec<AsnEntry>,
}

impl AsnInterner {
    /// AS0 means "not routed" (RFC 7607): no owner to report, so value 0.
    fn intern(&mut self, asn: u32, org: Option<&str>) -> u32 {
        if asn == 0 {
            return 0;
        }
        let org = org.map(|o| self.org(o));
        let entries = &mut self.entries;
        *self.ids.entry((asn, org.clone())).or_insert_with(|| {
            entries.push(AsnEntry { asn, org });
            entries.len() as u32
        })
    }

    fn org(&mut self, name: &str) -> Arc<str> {
        if let Some(o) = self.orgs.get(name) {
            return o.clone();
        }
        let o: Arc<str> = Arc::from(name);
        self.orgs.insert(name.to_owned(), o.clone());
        o
    }

    fn asns(&self) -> usize {
        let mut asns: Vec<u32> = self.entries.iter().map(|e| e.asn).collect();
        asns.sort_unstable();
        asns.dedup();
        asns.len()
    }
}

/// Reads every file, turning each data line into a row through `value`,
/// which sees the unquoted fields and returns the interned value (≥ 1).
fn read_rows(
    paths: &[PathBuf],
    arity: std::ops::RangeInclusive<usize>,
    mut value: impl FnMut(&[String]) -> Result<u32, String>,
) -> Result<Rows, GeoError> {
    let mut rows = Rows::default();
    for path in paths {
        let data = read_input(path)?;
        for (line_no, line) in lines(&data) {
            let err = |msg: String| csv_error(path, line_no, msg);
            let Some(fields) = parse_line(line, line_no).map_err(err)? else {
                continue;
            };
            if !arity.contains(&fields.len()) {
                let (lo, hi) = (arity.start(), arity.end());
                let msg = format!("expected {lo}–{hi} fields, found {}", fields.len());
                return Err(err(msg));
            }
            let start = parse_ip(&fields[0]).map_err(err)?;
            let end = parse_ip(&fields[1]).map_err(err)?;
            let v = value(&fields).map_err(err)?;
            rows.push(start, end, v).map_err(err)?;
        }
    }
    Ok(rows)
}

/// 1-based line numbers, without the line terminator (LF or CRLF).
fn lines(data: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut rest = data;
    let mut line_no = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        line_no += 1;
        let (line, tail) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = tail;
        Some((line_no, line.strip_suffix(b"\r").unwrap_or(line)))
    })
}

/// `None` for lines that carry no data: blank lines, `#` comments, and a
/// header line on line 1.
fn parse_line(line: &[u8], line_no: usize) -> Result<Option<Vec<String>>, String> {
    let text = std::str::from_utf8(line).map_err(|_| "line is not UTF-8".to_string())?;
    if text.trim().is_empty() || text.starts_with('#') {
        return Ok(None);
    }
    let fields = split_csv(text)?;
    let header = line_no == 1 && fields[0].trim().eq_ignore_ascii_case("ip_range_start");
    Ok((!header).then_some(fields))
}

/// RFC 4180 fields: quotes allow commas, `""` is a literal quote.
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::with_capacity(4);
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        let more = if chars.next_if_eq(&'"').is_some() {
            read_quoted(&mut chars, &mut field)?;
            match chars.next() {
                None => false,
                Some(',') => true,
                Some(c) => return Err(format!("unexpected {c:?} after a closing quote")),
            }
        } else {
            read_plain(&mut chars, &mut field)
        };
        fields.push(field);
        if !more {
            return Ok(fields);
        }
    }
}

/// Returns whether a comma (hence another field) follows.
fn read_plain(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, field: &mut String) -> bool {
    for c in chars.by_ref() {
        if c == ',' {
            return true;
        }
        field.push(c);
    }
    false
}

fn read_quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, field: &mut String) -> Result<(), String> {
    while let Some(c) = chars.next() {
        if c != '"' {
            field.push(c);
        } else if chars.peek() == Some(&'"') {
            chars.next();
            field.push('"');
        } else {
            return Ok(());
        }
    }
    Err("unterminated quoted field".into())
}

fn parse_ip(field: &str) -> Result<IpAddr, String> {
    field.trim().parse().map_err(|_| format!("bad IP address {field:?}"))
}

/// Turns possibly overlapping rows into contiguous segments: a sweep over
/// the range boundaries keeps the active rows in a heap ordered narrowest
/// first, then earliest. Returns the table and how many rows overlapped.
fn resolve<K: Key>(mut rows: Vec<Row<K>>) -> (RangeTable<K>, usize) {
    rows.sort_by_key(|r| (r.start, r.order));
    let overlaps = count_overlaps(&rows);
    let mut builder = RangeBuilder::new();
    let mut active = BinaryHeap::new();
    let mut next_row = 0;
    for p in boundaries(&rows) {
        while let Some(r) = rows.get(next_row).filter(|r| r.start <= p) {
            let width = r.end.to_u128() - r.start.to_u128();
            active.push(Reverse((width, r.order, next_row)));
            next_row += 1;
        }
        // Rows that ended before `p` leave the heap when they reach its top.
        while let Some(&Reverse((_, _, i))) = active.peek() {
            if rows[i].end >= p {
                break;
            }
            active.pop();
        }
        let value = active.peek().map_or(0, |&Reverse((_, _, i))| rows[i].value);
        builder.push(p, value);
    }
    (builder.build(), overlaps)
}

/// Every point where the answer may change: each start and each end + 1.
fn boundaries<K: Key>(rows: &[Row<K>]) -> Vec<K> {
    let mut points: Vec<K> = Vec::with_capacity(rows.len() * 2);
    for r in rows {
        points.push(r.start);
        // No boundary after a range that reaches the top of the space.
        if let Some(next) = r.end.to_u128().checked_add(1).and_then(K::from_u128) {
            points.push(next);
        }
    }
    points.sort_unstable();
    points.dedup();
    points
}

fn count_overlaps<K: Key>(sorted: &[Row<K>]) -> usize {
    let mut reach: Option<K> = None;
    let mut n = 0;
    for r in sorted {
        match reach {
            Some(end) if r.start <= end => {
                n += 1;
                reach = Some(end.max(r.end));
            }
            _ => reach = Some(r.end),
        }
    }
    n
}

fn read_input(path: &Path) -> Result<Vec<u8>, GeoError> {
    let raw = std::fs::read(path).map_err(|e| io_error(path, e))?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len() * 4);
    MultiGzDecoder::new(&raw[..]).read_to_end(&mut out).map_err(|e| io_error(path, e))?;
    Ok(out)
}

/// Writes through a temporary file and renames, so an interrupted import
/// never leaves a truncated table where the CLI will look for one.
fn write_gz(path: &Path, bytes: &[u8]) -> Result<(PathBuf, u64), GeoError> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let gz = enc.write_all(bytes).and_then(|()| enc.finish()).map_err(|e| io_error(path, e))?;
    crate::atomic::write(path, &gz).map_err(|e| io_error(path, e))?;
    Ok((path.to_path_buf(), gz.len() as u64))
}

fn io_error(path: &Path, source: std::io::Error) -> GeoError {
    GeoError::Io { path: path.to_path_buf(), source }
}

fn csv_error(path: &Path, line: usize, msg: String) -> GeoError {
    GeoError::Csv { path: path.to_path_buf(), line, msg }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(start: u32, end: u32, value: u32, order: usize) -> Row<u32> {
        Row { start, end, value, order }
    }

    #[test]
    fn csv_fields_follow_rfc_4180() {
        assert_eq!(split_csv("a,b,c"), Ok(vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(split_csv("a,\"b, \"\"c\"\"\""), Ok(vec!["a".into(), "b, \"c\"".into()]));
        assert_eq!(split_csv("a,"), Ok(vec!["a".into(), String::new()]));
        assert_eq!(split_csv("\"\""), Ok(vec![String::new()]));
        assert!(split_csv("\"a\"b").is_err());
        assert!(split_csv("\"a").is_err());
    }

    #[test]
    fn lines_are_numbered_from_one_without_terminators() {
        let got: Vec<_> = lines(b"a\r\nb\n\nc").collect();
        let want: Vec<(usize, &[u8])> = vec![(1, b"a"), (2, b"b"), (3, b""), (4, b"c")];
        assert_eq!(got, want);
    }

    #[test]
    fn narrowest_range_wins_then_earliest_row() {
        let rows = vec![row(0, 99, 1, 0), row(10, 19, 2, 1), row(10, 19, 3, 2), row(50, 150, 4, 3)];
        let (t, overlaps) = resolve(rows);
        assert_eq!(overlaps, 3);
        let got: Vec<u32> = [0, 9, 10, 19, 20, 49, 50, 99, 100, 150, 151].map(|k| t.get(k)).to_vec();
        // 50–99 lies in both 0–99 and 50–150: the narrower 0–99 keeps it.
        assert_eq!(got, vec![1, 1, 2, 2, 1, 1, 1, 1, 4, 4, 0]);
    }

    #[test]
    fn ranges_reaching_the_top_of_the_space_have_no_successor() {
        let (t, _) = resolve(vec![row(u32::MAX - 1, u32::MAX, 9, 0)]);
        assert_eq!((t.get(u32::MAX - 2), t.get(u32::MAX)), (0, 9));
        let (t, _) = resolve(vec![Row { start: 1u128, end: u128::MAX, value: 5, order: 0 }]);
        assert_eq!((t.get(0), t.get(u128::MAX)), (0, 5));
    }

    #[test]
    fn as_numbers_accept_an_as_prefix() {
        assert_eq!(parse_asn(" AS15169 "), Ok(15169));
        assert!(parse_asn("4294967296").is_err());
        assert!(parse_asn("-1").is_err());
    }

    #[test]
    fn as0_is_no_owner_even_inside_a_wider_range() {
        let mut interner = AsnInterner::default();
        assert_eq!(interner.intern(0, Some("Not routed")), 0);
        assert_eq!(interner.intern(64500, Some("Example")), 1);
        assert_eq!(interner.intern(64500, Some("Example")), 1);
        let (t, _) = resolve(vec![row(0, 99, 1, 0), row(10, 19, 0, 1)]);
        assert_eq!([t.get(9), t.get(10), t.get(19), t.get(20)], [1, 0, 0, 1]);
    }
}
