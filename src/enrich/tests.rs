//! Tests of the public face: the committed tables, mmdb files, the importer.
//! Expected values were read off the ip-location-db CSVs of the package
//! versions named in `data/SOURCE.md`; a data refresh may move them.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn country(geo: &Geo, addr: &str) -> Option<String> {
    geo.lookup(ip(addr)).country.map(|c| c.to_string())
}

fn asn(geo: &Geo, addr: &str) -> Option<u32> {
    geo.lookup(ip(addr)).asn
}

/// Beside this file; `file!()` is relative to the package root, which is
/// where `cargo test` runs.
fn testdata(name: &str) -> PathBuf {
    let here = Path::new(file!()).parent().unwrap_or(Path::new("."));
    here.join("testdata").join(name)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).expect("write test CSV");
    path
}

#[test]
fn embedded_ipv4_known_address() {
    let info = Geo::embedded().lookup(ip("8.8.8.8"));
    assert_eq!(info.class, IpClass::Public);
    assert_eq!(info.country.map(|c| c.to_string()), Some("US".into()));
    assert_eq!(info.asn, Some(15169));
    assert_eq!(info.as_org.as_deref(), Some("Google LLC"));
}

#[test]
fn embedded_ipv6_known_addresses() {
    let geo = Geo::embedded();
    let info = geo.lookup(ip("2001:4860:4860::8888"));
    assert_eq!(info.country.map(|c| c.to_string()), Some("US".into()));
    assert_eq!(info.asn, Some(15169));
    assert_eq!(info.as_org.as_deref(), Some("Google LLC"));
    assert_eq!(country(&geo, "2a00:1450:4001::1").as_deref(), Some("IE"));
    assert_eq!(asn(&geo, "2a00:1450:4001::1"), Some(15169));
}

#[test]
fn mapped_and_nat64_ipv4_look_up_as_ipv4() {
    let geo = Geo::embedded();
    let plain = geo.lookup(ip("8.8.8.8"));
    assert_eq!(geo.lookup(ip("::ffff:8.8.8.8")), plain);
    assert_eq!(geo.lookup(ip("64:ff9b::8.8.8.8")), plain);
    assert_eq!(geo.lookup(ip("::ffff:10.0.0.1")).class, IpClass::Private);
}

#[test]
fn special_ranges_have_a_class_and_no_owner() {
    let geo = Geo::embedded();
    let cases = [
        ("10.1.2.3", IpClass::Private),
        ("127.0.0.1", IpClass::Loopback),
        ("192.0.2.1", IpClass::Documentation),
        ("2001:db8::1", IpClass::Documentation),
        ("fe80::1", IpClass::LinkLocal),
        ("100.64.0.1", IpClass::Cgnat),
        ("fd00::1", IpClass::Private),
        ("0.0.0.0", IpClass::Unspecified),
    ];
    for (addr, class) in cases {
        let info = geo.lookup(ip(addr));
        assert_eq!(info.class, class, "{addr}");
        assert_eq!((info.country, info.asn, info.as_org), (None, None, None), "{addr}");
    }
}

#[test]
fn country_range_edges() {
    // geo-whois-asn-country-ipv4.csv: 6.0.0.0,8.10.5.255,US / 8.10.6.0,8.10.7.255,DO
    // / 8.10.8.0,8.14.200.255,US
    let geo = Geo::embedded();
    assert_eq!(country(&geo, "8.10.5.255").as_deref(), Some("US"));
    assert_eq!(country(&geo, "8.10.6.0").as_deref(), Some("DO"));
    assert_eq!(country(&geo, "8.10.7.255").as_deref(), Some("DO"));
    assert_eq!(country(&geo, "8.10.8.0").as_deref(), Some("US"));
}

#[test]
fn country_gap_is_unknown() {
    // Nothing covers 80.88.6.0–80.88.6.255; 80.88.7.0,80.88.8.255,NG follows.
    let geo = Geo::embedded();
    assert_eq!(country(&geo, "80.88.5.255").as_deref(), Some("KE"));
    assert_eq!(country(&geo, "80.88.6.0"), None);
    assert_eq!(country(&geo, "80.88.6.255"), None);
    assert_eq!(country(&geo, "80.88.7.0").as_deref(), Some("NG"));
    assert_eq!(geo.lookup(ip("80.88.6.1")).class, IpClass::Public);
}

#[test]
fn asn_range_edges() {
    // asn-ipv4.csv: 8.8.7.0/24 AS3356, 8.8.8.0/24 AS15169, 8.8.9.0/24 AS23089
    let geo = Geo::embedded();
    assert_eq!(asn(&geo, "8.8.7.255"), Some(3356));
    assert_eq!(asn(&geo, "8.8.8.0"), Some(15169));
    assert_eq!(asn(&geo, "8.8.8.255"), Some(15169));
    assert_eq!(asn(&geo, "8.8.9.0"), Some(23089));
    // asn-ipv6.csv: 2001:4860::–2001:4860:4804:ffff:… AS15169, then AS43515
    assert_eq!(asn(&geo, "2001:4860:4804:ffff:ffff:ffff:ffff:ffff"), Some(15169));
    let info = geo.lookup(ip("2001:4860:4805::"));
    assert_eq!(info.asn, Some(43515));
    assert_eq!(info.as_org.as_deref(), Some("Google Ireland Limited"));
}

#[test]
fn nested_ranges_in_the_data_resolve_to_the_narrowest() {
    // 2.58.196.0,2.58.197.255,DE contains 2.58.197.15,2.58.197.15,BE
    let geo = Geo::embedded();
    assert_eq!(country(&geo, "2.58.197.14").as_deref(), Some("DE"));
    assert_eq!(country(&geo, "2.58.197.15").as_deref(), Some("BE"));
    assert_eq!(country(&geo, "2.58.197.16").as_deref(), Some("DE"));
}

#[test]
fn embedded_tables_preload_and_describe_themselves() {
    let geo = Geo::embedded();
    assert!(geo.preload().is_ok());
    let text = geo.describe();
    assert!(text.contains(EMBEDDED_VERSION), "{text}");
    assert!(text.contains("CC BY 4.0"), "{text}");
}

#[test]
fn geo_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Geo>();
}

#[test]
fn mmdb_files_override_both_fields() {
    let (c, a) = (testdata("test-country.mmdb"), testdata("test-asn.mmdb"));
    let geo = Geo::with_mmdb(Some(&c), Some(&a)).expect("test mmdbs open");
    let info = geo.lookup(ip("89.160.20.128"));
    assert_eq!(info.country.map(|c| c.to_string()), Some("SE".into()));
    assert_eq!(info.asn, Some(29518));
    assert_eq!(info.as_org.as_deref(), Some("Bredband2 AB"));
    let info = geo.lookup(ip("2001:470::1"));
    assert_eq!(info.country.map(|c| c.to_string()), Some("US".into()));
    assert_eq!(info.asn, Some(6939));
    assert_eq!(country(&geo, "1.2.3.4").as_deref(), Some("AU"), "registered_country");
    assert_eq!(geo.lookup(ip("8.8.8.8")).country, None, "not in the test file");
    assert_eq!(geo.lookup(ip("::ffff:89.160.20.1")).asn, Some(29518));
    let text = geo.describe();
    assert!(text.contains("GeoLite2-Country") && text.contains("GeoLite2-ASN"), "{text}");
    assert!(!text.contains("CC BY"), "no embedded data in use: {text}");
}

#[test]
fn one_mmdb_file_leaves_the_other_field_embedded() {
    let c = testdata("test-country.mmdb");
    let geo = Geo::with_mmdb(Some(&c), None).expect("test mmdb opens");
    let info = geo.lookup(ip("8.8.8.8"));
    assert_eq!(info.country, None);
    assert_eq!(info.asn, Some(15169));
    assert_eq!(country(&geo, "89.160.20.1").as_deref(), Some("SE"));
}

#[test]
fn mmdb_of_the_wrong_kind_is_refused() {
    let (c, a) = (testdata("test-country.mmdb"), testdata("test-asn.mmdb"));
    let err = Geo::with_mmdb(Some(&a), None).expect_err("ASN file as country");
    assert!(matches!(err, GeoError::WrongKind { .. }), "{err}");
    let err = Geo::with_mmdb(None, Some(&c)).expect_err("country file as ASN");
    assert!(err.to_string().contains("test-country.mmdb"), "{err}");
}

#[test]
fn unreadable_mmdb_names_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = write(dir.path(), "junk.mmdb", "not a database");
    let err = Geo::with_mmdb(Some(&junk), None).expect_err("junk");
    assert!(matches!(err, GeoError::Mmdb { .. }), "{err}");
    assert!(err.to_string().contains("junk.mmdb"), "{err}");
    let missing = dir.path().join("missing.mmdb");
    assert!(Geo::from_env_or_args(Some(&missing), None).is_err());
}

#[test]
fn arguments_win_over_environment() {
    let arg = Path::new("/arg.mmdb");
    let env = Some(std::ffi::OsString::from("/env.mmdb"));
    assert_eq!(resolve_path(Some(arg), env.clone()), Some(arg.to_path_buf()));
    assert_eq!(resolve_path(None, env), Some(PathBuf::from("/env.mmdb")));
    assert_eq!(resolve_path(None, Some("".into())), None);
    assert_eq!(resolve_path(None, None), None);
}

const COUNTRY_CSV: &str = "\
ip_range_start,ip_range_end,country_code
1.0.0.0,1.0.0.255,AU
1.0.1.0,1.0.3.255,cn
1.0.2.0,1.0.2.0,JP
2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP
";

const ASN_CSV: &str = "\
1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\r
1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\r
2.26.200.0,2.26.215.255,201907,\"LLC \"\"SPUTNIK\"\"\"\r
2001:200::,2001:200:1b9:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project\r
";

#[test]
fn import_builds_tables_the_cli_can_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = write(dir.path(), "country.csv", COUNTRY_CSV);
    let a = write(dir.path(), "asn.csv", ASN_CSV);
    let out = dir.path().join("out");
    let stats = import(&[c], &[a], &out).expect("import");
    assert_eq!((stats.country_rows, stats.countries, stats.country_overlaps), (4, 3, 1));
    assert_eq!((stats.asn_rows, stats.asns, stats.as_orgs), (4, 4, 4));
    assert_eq!(stats.files.len(), 2);

    let (ct, at) = (out.join(COUNTRY_TABLE_FILE), out.join(ASN_TABLE_FILE));
    let geo = Geo::from_env_or_args(Some(&ct), Some(&at)).expect("load imported");
    assert_eq!(country(&geo, "1.0.0.0").as_deref(), Some("AU"));
    assert_eq!(country(&geo, "1.0.0.255").as_deref(), Some("AU"));
    assert_eq!(country(&geo, "1.0.2.0").as_deref(), Some("JP"), "narrowest wins");
    assert_eq!(country(&geo, "1.0.2.1").as_deref(), Some("CN"));
    assert_eq!(country(&geo, "1.0.4.0"), None);
    assert_eq!(country(&geo, "2001:200::1").as_deref(), Some("JP"));
    let info = geo.lookup(ip("1.0.0.1"));
    assert_eq!((info.asn, info.as_org.as_deref()), (Some(13335), Some("Cloudflare, Inc.")));
    let info = geo.lookup(ip("2.26.201.1"));
    assert_eq!(info.as_org.as_deref(), Some("LLC \"SPUTNIK\""));
    assert_eq!(asn(&geo, "1.0.3.0"), None);
    assert_eq!(asn(&geo, "2001:200:1b9::1"), Some(2500));
    assert_eq!(asn(&geo, "2001:200:1ba::"), None);
    assert!(geo.describe().contains("imported"), "{}", geo.describe());
}

#[test]
fn import_reads_gzip_input_and_can_skip_a_table() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("asn.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(ASN_CSV.as_bytes()).expect("gzip");
    fs::write(&path, enc.finish().expect("gzip")).expect("write");
    let out = dir.path().join("out");
    let stats = import(&[], &[path], &out).expect("import");
    assert_eq!(stats.asn_rows, 4);
    assert!(!out.join(COUNTRY_TABLE_FILE).exists());
    assert!(matches!(import(&[], &[], &out), Err(GeoError::NothingToImport)));
}

#[test]
fn import_errors_name_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let cases = [
        ("1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.x,AU\n", 2, "bad IP address"),
        ("\n1.0.1.0,1.0.0.0,AU\n", 2, "after its end"),
        ("1.0.1.0,2001::,AU\n", 1, "mixes IPv4 and IPv6"),
        ("1.0.1.0,1.0.1.9,AUS\n", 1, "country code"),
        ("1.0.1.0,1.0.1.9\n", 1, "fields"),
    ];
    for (i, (text, line, what)) in cases.into_iter().enumerate() {
        let csv = write(dir.path(), &format!("bad{i}.csv"), text);
        let err = import(std::slice::from_ref(&csv), &[], &out).expect_err(text);
        let msg = err.to_string();
        let at = format!("{}:{line}: ", csv.display());
        assert!(msg.starts_with(&at) && msg.contains(what), "{msg}");
        assert!(matches!(err, GeoError::Csv { line: l, .. } if l == line), "{msg}");
    }
    let csv = write(dir.path(), "badasn.csv", "1.0.0.0,1.0.0.255,13335,\"Cloudflare\n");
    let msg = import(&[], &[csv], &out).expect_err("quote").to_string();
    assert!(msg.contains("badasn.csv:1: unterminated"), "{msg}");
    let csv = write(dir.path(), "badasn2.csv", "1.0.0.0,1.0.0.255,AS-1,Nobody\n");
    let msg = import(&[], &[csv], &out).expect_err("AS-1").to_string();
    assert!(msg.contains("badasn2.csv:1: bad AS number"), "{msg}");
    let missing = dir.path().join("missing.csv");
    let msg = import(&[missing], &[], &out).expect_err("missing").to_string();
    assert!(msg.contains("missing.csv"), "{msg}");
}

#[test]
fn corrupt_table_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "asn.csv", ASN_CSV);
    let out = dir.path().join("out");
    import(&[], &[a], &out).expect("import");
    let table = out.join(ASN_TABLE_FILE);
    let err = Geo::from_env_or_args(Some(&table), None).expect_err("ASN table as country");
    assert!(matches!(err, GeoError::Table { .. }), "{err}");
    let mut gz = fs::read(&table).expect("read");
    gz.truncate(gz.len() / 2);
    fs::write(&table, gz).expect("write");
    let err = Geo::from_env_or_args(None, Some(&table)).expect_err("truncated");
    assert!(err.to_string().contains("asn.bin.gz"), "{err}");
}

#[test]
fn dates_format_as_utc_days() {
    assert_eq!(format_date(0), "1970-01-01");
    assert_eq!(format_date(951_782_400), "2000-02-29");
    assert_eq!(format_date(1_781_719_199), "2026-06-17");
}

#[test]
fn country_codes_are_validated() {
    assert_eq!(CountryCode::new("de").map(|c| c.to_string()), Some("DE".into()));
    assert_eq!(CountryCode::new("D1"), None);
    assert_eq!(CountryCode::new("DEU"), None);
    assert_eq!(CountryCode::new("é"), None);
}

/// `summary` asks for countries only: the same country as a full lookup,
/// and no AS columns in the frame.
#[test]
fn country_only_columns() {
    use polars::prelude::*;
    let geo = Geo::embedded();
    for addr in ["8.8.8.8", "2001:4860:4860::8888", "10.1.2.3", "::ffff:8.8.8.8"] {
        let (full, lean) = (geo.lookup(ip(addr)), geo.lookup_country_only(ip(addr)));
        assert_eq!((lean.country, lean.class), (full.country, full.class), "{addr}");
        assert_eq!((lean.asn, lean.as_org), (None, None));
    }
    let mut df = df!("ip" => [Some("8.8.8.8"), None, Some("10.1.2.3")]).unwrap();
    add_geo_columns(&mut df, "ip", "root_", &geo, GeoColumns::Country).unwrap();
    let names: Vec<String> = df.get_column_names().iter().map(|c| c.to_string()).collect();
    assert_eq!(names, ["ip", "root_country"]);
    let countries: Vec<Option<&str>> = df.column("root_country").unwrap().str().unwrap().iter().collect();
    assert_eq!(countries, [Some("US"), None, Some("private")]);
}
