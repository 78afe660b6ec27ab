//! MaxMind DB files supplied by the user: GeoLite2/GeoIP2 Country or City
//! for countries, GeoLite2-ASN (or anything with the same field names, such
//! as DB-IP's and ip-location-db's mmdb editions) for ASNs.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use maxminddb::{PathElement, Reader};
use serde::Deserialize;

use super::{format_date, CountryCode, GeoError};

/// Where a country code may sit in a record, best first: the country where
/// the address is used, the one where its block is registered (MaxMind
/// leaves `country` out for some anycast and satellite blocks), and the flat
/// `country_code` of ip-location-db's mmdb files.
const COUNTRY_PATHS: &[&[PathElement<'static>]] = &[
    &[PathElement::Key("country"), PathElement::Key("iso_code")],
    &[PathElement::Key("registered_country"), PathElement::Key("iso_code")],
    &[PathElement::Key("country_code")],
];

pub(crate) struct MmdbCountry {
    db: Db,
}

pub(crate) struct MmdbAsn {
    db: Db,
}

/// GeoLite2-ASN's record; borrowed so a lookup allocates only the shared
/// organisation name it returns.
#[derive(Deserialize)]
struct AsnRecord<'a> {
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
}

impl MmdbCountry {
    pub(crate) fn open(path: &Path) -> Result<Self, GeoError> {
        let db = Db::open(path)?;
        let kind = db.kind();
        if kind.contains("asn") && !kind.contains("country") && !kind.contains("city") {
            return Err(db.wrong_kind("is an ASN database; pass it as the ASN database"));
        }
        Ok(MmdbCountry { db })
    }

    /// Lookup failures (a corrupt record, an IPv6 address against an
    /// IPv4-only file) mean "unknown", as they would for a missing record.
    pub(crate) fn lookup(&self, ip: IpAddr) -> Option<CountryCode> {
        let found = self.db.reader.lookup(ip).ok()?;
        COUNTRY_PATHS.iter().find_map(|path| {
            let code: Option<&str> = found.decode_path(path).ok().flatten();
            code.and_then(CountryCode::new)
        })
    }

    pub(crate) fn describe(&self) -> String {
        self.db.describe()
    }
}

impl MmdbAsn {
    pub(crate) fn open(path: &Path) -> Result<Self, GeoError> {
        let db = Db::open(path)?;
        let kind = db.kind();
        let geo_only = kind.contains("country") || kind.contains("city");
        if geo_only && !kind.contains("asn") {
            return Err(db.wrong_kind("is a country/city database, not an ASN database"));
        }
        Ok(MmdbAsn { db })
    }

    pub(crate) fn lookup(&self, ip: IpAddr) -> (Option<u32>, Option<Arc<str>>) {
        let record = self.db.reader.lookup(ip).ok();
        match record.and_then(|r| r.decode::<AsnRecord<'_>>().ok().flatten()) {
            Some(r) => (
                r.autonomous_system_number.filter(|&n| n != 0),
                r.autonomous_system_organization.filter(|o| !o.is_empty()).map(Arc::from),
            ),
            None => (None, None),
        }
    }

    pub(crate) fn describe(&self) -> String {
        self.db.describe()
    }
}

struct Db {
    reader: Reader<Vec<u8>>,
    path: PathBuf,
}

impl Db {
    fn open(path: &Path) -> Result<Self, GeoError> {
        let reader =
            Reader::open_readfile(path).map_err(|source| GeoError::Mmdb { path: path.to_path_buf(), source })?;
        Ok(Db { reader, path: path.to_path_buf() })
    }

    /// Lower-cased `database_type`, for telling country files from ASN
    /// files before the user wonders why every lookup is empty.
    fn kind(&self) -> String {
        self.reader.metadata().database_type.to_ascii_lowercase()
    }

    fn wrong_kind(&self, what: &str) -> GeoError {
        let kind = &self.reader.metadata().database_type;
        GeoError::WrongKind { path: self.path.clone(), msg: format!("database type {kind:?} {what}") }
    }

    fn describe(&self) -> String {
        let meta = self.reader.metadata();
        format!("{} {} (built {})", meta.database_type, self.path.display(), format_date(meta.build_epoch))
    }
}
