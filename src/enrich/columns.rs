//! Geolocation as frame columns: each distinct IP is looked up once, and the
//! answers join the frame as `{prefix}country`, `{prefix}asn`,
//! `{prefix}as_org`. Non-public addresses show their class (`private`,
//! `loopback`, `documentation`) in place of a country.

use super::Geo;
use crate::frame::Distinct;
use polars::prelude::*;
use std::net::IpAddr;

/// One IP's answer, as the columns hold it.
#[derive(Clone, Default)]
struct Row {
    country: Option<String>,
    asn: Option<u32>,
    as_org: Option<String>,
}

/// Which columns [`add_geo_columns`] adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeoColumns {
    /// `country`, `asn`, `as_org`.
    All,
    /// `country` alone (what `summary` ranks by).
    Country,
}

fn answer(geo: &Geo, ip: &str, which: GeoColumns) -> Row {
    let Ok(addr) = ip.parse::<IpAddr>() else { return Row::default() };
    let info = match which {
        GeoColumns::All => geo.lookup(addr),
        GeoColumns::Country => geo.lookup_country_only(addr),
    };
    let country = match info.country {
        Some(c) => Some(c.as_str().to_string()),
        None if !info.class.is_public() => Some(info.class.as_str().to_string()),
        None => None,
    };
    Row { country, asn: info.asn, as_org: info.as_org.map(|o| o.to_string()) }
}

/// Appends the geolocation of `ip_column` to `df`.
pub fn add_geo_columns(
    df: &mut DataFrame,
    ip_column: &str,
    prefix: &str,
    geo: &Geo,
    which: GeoColumns,
) -> PolarsResult<()> {
    let ips = df.column(ip_column)?.str()?.clone();
    // Each distinct IP is looked up once, and the columns are gathered from
    // the answers. Rows are told apart by the IPs' interned numbers where
    // the frame has them (`…_id`), cheaper to hash than the texts.
    let lookup = |ip: Option<&str>| ip.map(|ip| answer(geo, ip, which));
    let answers = match df.column(&format!("{ip_column}_id")).ok().and_then(|c| c.u32().ok()) {
        Some(ids) => Distinct::of(ids.iter().zip(ips.iter()), lookup),
        None => Distinct::of(ips.iter().map(|ip| (ip, ip)), lookup),
    };
    let gather = |name: &str, column: Series| answers.gather(&format!("{prefix}{name}"), column);
    let country = StringChunked::from_iter_options("".into(), answers.values.iter().map(|a| a.country.as_deref()));
    df.with_column(gather("country", country.into_series())?)?;
    if which == GeoColumns::All {
        let asn = UInt32Chunked::from_iter_options("".into(), answers.values.iter().map(|a| a.asn));
        let org = StringChunked::from_iter_options("".into(), answers.values.iter().map(|a| a.as_org.as_deref()));
        df.with_column(gather("asn", asn.into_series())?)?;
        df.with_column(gather("as_org", org.into_series())?)?;
    }
    Ok(())
}
