//! `postsleuth geo lookup IP…` and `postsleuth geo import …`.

use super::{display_zone, stdout, Outcome, UsageError};
use crate::cli::OutputArgs;
use crate::enrich::{import, Geo};
use clap::Subcommand;
use polars::prelude::*;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum GeoCommand {
    /// Country, ASN and organisation of each IP, and which data answered.
    Lookup {
        #[arg(required = true, value_name = "IP")]
        ips: Vec<String>,
        /// MaxMind Country .mmdb or imported table [env: POSTSLEUTH_GEOIP].
        #[arg(long, value_name = "FILE")]
        geoip: Option<PathBuf>,
        /// MaxMind ASN .mmdb or imported table [env: POSTSLEUTH_ASN_DB].
        #[arg(long, value_name = "FILE")]
        asn_db: Option<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Build country/ASN tables from ip-location-db CSV files
    /// (geo-whois-asn-country-ipv4.csv, …-ipv6.csv, asn-ipv4.csv, asn-ipv6.csv).
    /// Use the output with --geoip DIR/country.bin.gz --asn-db DIR/asn.bin.gz.
    Import {
        /// Country CSV files (ip_range_start,ip_range_end,country_code).
        #[arg(long = "country", value_name = "CSV")]
        country: Vec<PathBuf>,
        /// ASN CSV files (ip_range_start,ip_range_end,as_number,as_organization).
        #[arg(long = "asn", value_name = "CSV")]
        asn: Vec<PathBuf>,
        /// Directory for country.bin.gz and asn.bin.gz.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

pub fn run(c: &GeoCommand) -> anyhow::Result<Outcome> {
    match c {
        GeoCommand::Lookup { ips, geoip, asn_db, output } => {
            // An IP as Postfix writes it, brackets allowed; anything else is
            // a mistake to name, not a blank row.
            for ip in ips {
                if ip.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_err() {
                    let ip = crate::text::printable(ip);
                    return Err(UsageError(format!(
                        "geo lookup {ip:?}: not an IP address (e.g. 192.0.2.1, 2001:db8::1)"
                    ))
                    .into());
                }
            }
            let geo = Geo::from_env_or_args(geoip.as_deref(), asn_db.as_deref())?;
            let mut df = df!("ip" => ips.clone())?;
            crate::enrich::add_geo_columns(&mut df, "ip", "", &geo, crate::enrich::GeoColumns::All)?;
            let zone = display_zone(output)?;
            let mut out = stdout();
            crate::render::write_frame(&df, output.format, &zone, &mut out)?;
            if output.format == crate::render::Format::Table {
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
