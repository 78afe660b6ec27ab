//! IP → country and IP → ASN/organisation enrichment.
//!
//! The default tables are compiled into the binary (see `data/SOURCE.md`) so
//! that a fresh install can attribute client IPs without any download; they
//! stay gzip-compressed until the first lookup, so commands that never
//! geolocate pay only for the bytes on disk. A user's MaxMind `.mmdb` files
//! (or tables rebuilt with [`import`]) replace the embedded data field by
//! field.

mod classify;
mod columns;
mod import;
mod mmdb;
mod table;

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use classify::canonical;
pub use classify::{classify, IpClass};
pub use columns::{add_geo_columns, GeoColumns};
pub use import::{import, ImportStats};

use mmdb::{MmdbAsn, MmdbCountry};
use table::{AsnTable, CountryTable};

/// Version of the ip-location-db packages the embedded tables were built
/// from; the tables themselves carry only their import time, and `--help`
/// must be able to say this without decompressing anything.
pub const EMBEDDED_VERSION: &str = "ip-location-db 2.3.2026061719 (data of 2026-06-17)";

/// Credit line that CC BY 4.0 obliges us to show wherever the embedded data
/// is used (reports, `--version`, `geo lookup`); [`Geo::describe`] includes
/// it.
pub const EMBEDDED_ATTRIBUTION: &str = "IP to country data by NRO and geofeeds; IP to ASN data by \
     RouteViews, NRO and DB-IP (https://db-ip.com), via ip-location-db (CC BY 4.0)";

/// Environment variable naming a country database when no argument does.
pub const ENV_COUNTRY_DB: &str = "POSTSLEUTH_GEOIP";
/// Environment variable naming an ASN database when no argument does.
pub const ENV_ASN_DB: &str = "POSTSLEUTH_ASN_DB";

/// Names under which [`import`] writes its tables, so a directory it filled
/// can be handed back to the CLI as two files.
pub const COUNTRY_TABLE_FILE: &str = "country.bin.gz";
/// See [`COUNTRY_TABLE_FILE`].
pub const ASN_TABLE_FILE: &str = "asn.bin.gz";

static EMBEDDED_COUNTRY_GZ: &[u8] = include_bytes!("data/country.bin.gz");
static EMBEDDED_ASN_GZ: &[u8] = include_bytes!("data/asn.bin.gz");

static EMBEDDED_COUNTRY: OnceLock<Result<CountryTable, String>> = OnceLock::new();
static EMBEDDED_ASN: OnceLock<Result<AsnTable, String>> = OnceLock::new();

/// Everything that can go wrong reading or building geolocation data; each
/// variant names the file so the CLI can point the user at it.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: {msg}", path.display())]
    Csv { path: PathBuf, line: usize, msg: String },
    #[error("{}: not a usable MaxMind database: {source}", path.display())]
    Mmdb {
        path: PathBuf,
        #[source]
        source: maxminddb::MaxMindDbError,
    },
    #[error("{}: {msg}", path.display())]
    WrongKind { path: PathBuf, msg: String },
    #[error("{}: corrupt postsleuth geo table: {msg}", path.display())]
    Table { path: PathBuf, msg: String },
    #[error("nothing to import: no country and no ASN CSV files given")]
    NothingToImport,
}

/// ISO 3166-1 alpha-2 code (plus the registries' pseudo-codes such as `EU`),
/// kept as two bytes so a lookup never allocates; only upper-case ASCII
/// letters get in, which makes [`CountryCode::as_str`] infallible.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Accepts either case, because CSV and mmdb producers differ.
    pub fn new(code: &str) -> Option<CountryCode> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Some(CountryCode([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    pub fn bytes(self) -> [u8; 2] {
        self.0
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

/// What is known about one address. `as_org` is shared, not copied, because
/// the same few organisations repeat across millions of log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeoInfo {
    pub country: Option<CountryCode>,
    pub asn: Option<u32>,
    pub as_org: Option<Arc<str>>,
    pub class: IpClass,
}

impl GeoInfo {
    fn unrouted(class: IpClass) -> GeoInfo {
        GeoInfo { country: None, asn: None, as_org: None, class }
    }
}

enum CountrySource {
    Embedded,
    Table(Box<CountryTable>, PathBuf),
    Mmdb(MmdbCountry),
}

enum AsnSource {
    Embedded,
    Table(Box<AsnTable>, PathBuf),
    Mmdb(MmdbAsn),
}

/// The resolver. Cheap to share across threads (`Arc<Geo>`); the embedded
/// tables are process-wide, so many `Geo`s do not multiply their memory.
pub struct Geo {
    country: CountrySource,
    asn: AsnSource,
}

impl fmt::Debug for Geo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Geo").field("sources", &self.describe()).finish()
    }
}

impl Geo {
    /// The compiled-in tables; nothing is decompressed until the first lookup.
    pub fn embedded() -> Geo {
        Geo { country: CountrySource::Embedded, asn: AsnSource::Embedded }
    }

    /// Each given file replaces the embedded table for its field only, so a
    /// user with just GeoLite2-Country still gets ASNs.
    pub fn with_mmdb(country: Option<&Path>, asn: Option<&Path>) -> Result<Geo, GeoError> {
        let mut geo = Geo::embedded();
        if let Some(path) = country {
            geo.country = CountrySource::Mmdb(MmdbCountry::open(path)?);
        }
        if let Some(path) = asn {
            geo.asn = AsnSource::Mmdb(MmdbAsn::open(path)?);
        }
        Ok(geo)
    }

    /// Arguments win over the environment, field by field. A file may be a
    /// MaxMind `.mmdb` or a table written by [`import`]; the format is told
    /// by its first bytes, so users need not learn a second option.
    pub fn from_env_or_args(country: Option<&Path>, asn: Option<&Path>) -> Result<Geo, GeoError> {
        let country = resolve_path(country, std::env::var_os(ENV_COUNTRY_DB));
        let asn = resolve_path(asn, std::env::var_os(ENV_ASN_DB));
        let mut geo = Geo::embedded();
        if let Some(path) = country {
            geo.country = open_country(&path)?;
        }
        if let Some(path) = asn {
            geo.asn = open_asn(&path)?;
        }
        Ok(geo)
    }

    /// Special-purpose addresses stop at their class: a table may well list
    /// some of them, but no owner or country means anything for a LAN or
    /// test client.
    pub fn lookup(&self, ip: IpAddr) -> GeoInfo {
        self.lookup_with(ip, true)
    }

    /// [`Geo::lookup`] without the AS: the ASN table is not even loaded
    /// (35 MiB with the country table) when no one asks for it.
    pub fn lookup_country_only(&self, ip: IpAddr) -> GeoInfo {
        self.lookup_with(ip, false)
    }

    fn lookup_with(&self, ip: IpAddr, with_asn: bool) -> GeoInfo {
        let ip = canonical(ip);
        let class = classify(ip);
        if class != IpClass::Public {
            return GeoInfo::unrouted(class);
        }
        let (asn, as_org) = if with_asn { self.lookup_asn(ip) } else { (None, None) };
        GeoInfo { country: self.lookup_country(ip), asn, as_org, class }
    }

    /// Pays the decompression now (before a timed or parallel phase) and
    /// surfaces a damaged embedded table, which lookups can only report as
    /// "unknown".
    pub fn preload(&self) -> Result<(), GeoError> {
        let embedded = |msg: &String| GeoError::Table { path: PathBuf::from("<embedded>"), msg: msg.clone() };
        if let CountrySource::Embedded = self.country {
            embedded_country().as_ref().map_err(embedded)?;
        }
        if let AsnSource::Embedded = self.asn {
            embedded_asn().as_ref().map_err(embedded)?;
        }
        Ok(())
    }

    /// Starts decompressing the embedded country table on a thread of its
    /// own, so that the lookups after ingest do not wait for it: `summary`
    /// waited a tenth of a second there, on one core, while during ingest
    /// the correlating core has idle moments to spare. Lookups before it is
    /// done wait for it; a thread the system refuses leaves the work to the
    /// first lookup, as before.
    pub fn warm_up_countries(&self) {
        if let CountrySource::Embedded = self.country {
            let _ = std::thread::Builder::new().name("geo-warm-up".into()).spawn(|| {
                let _ = embedded_country();
            });
        }
    }

    /// For `--help` and `geo lookup`: how far to trust a country claim
    /// depends on which data answered and how old it is. Cheap: it never
    /// decompresses the embedded tables.
    pub fn describe(&self) -> String {
        let country = match &self.country {
            CountrySource::Embedded => format!("embedded {EMBEDDED_VERSION}"),
            CountrySource::Table(t, path) => describe_table(path, t.imported_at()),
            CountrySource::Mmdb(m) => m.describe(),
        };
        let asn = match &self.asn {
            AsnSource::Embedded => format!("embedded {EMBEDDED_VERSION}"),
            AsnSource::Table(t, path) => describe_table(path, t.imported_at()),
            AsnSource::Mmdb(m) => m.describe(),
        };
        let mut out = format!("country: {country}\nASN:     {asn}");
        if self.uses_embedded() {
            out.push_str("\n         ");
            out.push_str(EMBEDDED_ATTRIBUTION);
        }
        out
    }

    fn uses_embedded(&self) -> bool {
        matches!(self.country, CountrySource::Embedded) || matches!(self.asn, AsnSource::Embedded)
    }

    fn lookup_country(&self, ip: IpAddr) -> Option<CountryCode> {
        match &self.country {
            CountrySource::Embedded => embedded_country().as_ref().ok()?.lookup(ip),
            CountrySource::Table(t, _) => t.lookup(ip),
            CountrySource::Mmdb(m) => m.lookup(ip),
        }
    }

    fn lookup_asn(&self, ip: IpAddr) -> (Option<u32>, Option<Arc<str>>) {
        match &self.asn {
            AsnSource::Embedded => match embedded_asn() {
                Ok(t) => t.lookup(ip),
                Err(_) => (None, None),
            },
            AsnSource::Table(t, _) => t.lookup(ip),
            AsnSource::Mmdb(m) => m.lookup(ip),
        }
    }
}

fn embedded_country() -> &'static Result<CountryTable, String> {
    EMBEDDED_COUNTRY.get_or_init(|| CountryTable::from_gz(EMBEDDED_COUNTRY_GZ))
}

fn embedded_asn() -> &'static Result<AsnTable, String> {
    EMBEDDED_ASN.get_or_init(|| AsnTable::from_gz(EMBEDDED_ASN_GZ))
}

/// An empty variable counts as unset, so `POSTSLEUTH_GEOIP= postsleuth …`
/// is a way to fall back to the embedded data.
fn resolve_path(arg: Option<&Path>, env: Option<std::ffi::OsString>) -> Option<PathBuf> {
    match arg {
        Some(path) => Some(path.to_path_buf()),
        None => env.filter(|v| !v.is_empty()).map(PathBuf::from),
    }
}

fn open_country(path: &Path) -> Result<CountrySource, GeoError> {
    if table::is_table_file(path)? {
        let t = CountryTable::from_gz_file(path)?;
        Ok(CountrySource::Table(Box::new(t), path.to_path_buf()))
    } else {
        Ok(CountrySource::Mmdb(MmdbCountry::open(path)?))
    }
}

fn open_asn(path: &Path) -> Result<AsnSource, GeoError> {
    if table::is_table_file(path)? {
        let t = AsnTable::from_gz_file(path)?;
        Ok(AsnSource::Table(Box::new(t), path.to_path_buf()))
    } else {
        Ok(AsnSource::Mmdb(MmdbAsn::open(path)?))
    }
}

fn describe_table(path: &Path, imported_at: u64) -> String {
    format!("postsleuth table {} (imported {})", path.display(), format_date(imported_at))
}

/// `YYYY-MM-DD` (UTC) without pulling a date crate into this module; the
/// dates come from table headers and mmdb metadata.
fn format_date(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Howard Hinnant's `civil_from_days`: proleptic Gregorian date of a day
/// count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests;
