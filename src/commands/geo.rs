//! `postsleuth geo lookup IP…` and `postsleuth geo import …`.

use super::{display_zone, stdout, Outcome};
use crate::cli::GeoCommand;
use crate::enrich::{import, Geo};
use polars::prelude::*;
use std::io::Write;

pub fn run(c: &GeoCommand) -> anyhow::Result<Outcome> {
    match c {
        GeoCommand::Lookup { ips, geoip, asn_db, output } => {
            let geo = Geo::from_env_or_args(geoip.as_deref(), asn_db.as_deref())?;
            let mut df = df!("ip" => ips.clone())?;
            crate::enrich::add_geo_columns(&mut df, "ip", "", &geo, crate::enrich::GeoColumns::All)?;
            let zone = display_zone(output)?;
            let mut out = stdout();
            crate::render::write_frame(&df, output.format, &zone, &mut out)?;
            if output.format == crate::cli::Format::Table {
                writeln!(out, "\n{}", geo.describe())?;
            }
            out.flush()?;
            Ok(Outcome::Complete)
        }
        GeoCommand::Import { country, asn, out } => {
            std::fs::create_dir_all(out)?;
            let stats = import(country, asn, out)?;
            eprintln!(
                "postsleuth: wrote {} country ranges ({} countries) and {} ASN ranges ({} ASNs) to {}",
                stats.country_entries,
                stats.countries,
                stats.asn_entries,
                stats.asns,
                out.display()
            );
            Ok(Outcome::Complete)
        }
    }
}
