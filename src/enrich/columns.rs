//! Geolocation as frame columns: each distinct IP is looked up once, and the
//! answers join the frame as `{prefix}country`, `{prefix}asn`,
//! `{prefix}as_org`. Non-public addresses show their class (`private`,
//! `loopback`, `documentation`) in place of a country.

use super::Geo;
use polars::prelude::*;
use std::collections::HashMap;
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
    // Each distinct IP is looked up once; each row points at its answer,
    // and the columns are gathered from the answers.
    let mut index: HashMap<&str, IdxSize, foldhash::fast::RandomState> = HashMap::default();
    let mut answers: Vec<Row> = Vec::new();
    let mut last: Option<(&str, IdxSize)> = None;
    let mut rows: Vec<Option<IdxSize>> = Vec::with_capacity(ips.len());
    for ip in ips.iter() {
        let Some(ip) = ip else {
            rows.push(None);
            continue;
        };
        // A client sends many messages in a row: its rows often follow each other.
        let i = match last {
            Some((l, i)) if l == ip => i,
            _ => *index.entry(ip).or_insert_with(|| {
                answers.push(answer(geo, ip, which));
                (answers.len() - 1) as IdxSize
            }),
        };
        last = Some((ip, i));
        rows.push(Some(i));
    }
    let rows = IdxCa::from_iter_options("".into(), rows.into_iter());
    let gather = |name: &str, column: Series| -> PolarsResult<Column> {
        Ok(column.take(&rows)?.with_name(format!("{prefix}{name}").into()).into_column())
    };
    let country = StringChunked::from_iter_options("".into(), answers.iter().map(|a| a.country.as_deref()));
    df.with_column(gather("country", country.into_series())?)?;
    if which == GeoColumns::All {
        let asn = UInt32Chunked::from_iter_options("".into(), answers.iter().map(|a| a.asn));
        let org = StringChunked::from_iter_options("".into(), answers.iter().map(|a| a.as_org.as_deref()));
        df.with_column(gather("asn", asn.into_series())?)?;
        df.with_column(gather("as_org", org.into_series())?)?;
    }
    Ok(())
}
