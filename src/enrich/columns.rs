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
    // Each distinct IP is looked up once; rows point at its answer.
    let mut index: HashMap<&str, usize, foldhash::fast::RandomState> = HashMap::default();
    let mut answers: Vec<Row> = vec![Row::default()];
    let rows: Vec<usize> = ips
        .iter()
        .map(|ip| match ip {
            None => 0,
            Some(ip) => *index.entry(ip).or_insert_with(|| {
                answers.push(answer(geo, ip, which));
                answers.len() - 1
            }),
        })
        .collect();
    let country: Vec<Option<&str>> = rows.iter().map(|&i| answers[i].country.as_deref()).collect();
    df.with_column(Column::new(format!("{prefix}country").into(), country))?;
    if which == GeoColumns::All {
        let asn: Vec<Option<u32>> = rows.iter().map(|&i| answers[i].asn).collect();
        let org: Vec<Option<&str>> = rows.iter().map(|&i| answers[i].as_org.as_deref()).collect();
        df.with_column(Column::new(format!("{prefix}asn").into(), asn))?;
        df.with_column(Column::new(format!("{prefix}as_org").into(), org))?;
    }
    Ok(())
}
