//! The frames the analyses ask their questions of, built from a dataset's
//! records and cut to a window.

use super::Detail;
use crate::diag::Stage;
use crate::enrich::{add_geo_columns, Geo, GeoColumns};
use crate::ingest::Dataset;
use crate::window::Window;
use polars::prelude::*;

/// The frames a report needs. A clone shares the columns' data.
#[derive(Clone)]
pub struct Frames {
    pub messages: DataFrame,
    pub deliveries: DataFrame,
    pub auth: DataFrame,
    pub rejects: DataFrame,
}

impl Frames {
    /// The frames of a dataset, cut to `window` (messages by when they were
    /// first seen, other rows by their own time).
    /// Client IPs are geolocated with `geo` (columns `country`, `asn`,
    /// `as_org`; `root_…` on messages).
    ///
    /// The records are used up: each kind is dropped as soon as its frame
    /// is built, so that records and frames are not both whole in memory
    /// (on a big log that was the peak of the run). The rest of the dataset
    /// (inputs, diagnostics, standard input's lines) stays.
    pub fn build(ds: &mut Dataset, window: &Window, geo: &Geo) -> PolarsResult<Frames> {
        Frames::build_with(ds, window, geo, Detail::Analysis)
    }

    /// [`Frames::build`] with the columns `detail` asks for.
    pub fn build_with(ds: &mut Dataset, window: &Window, geo: &Geo, detail: Detail) -> PolarsResult<Frames> {
        let mut f = Frames::build_ungeolocated(ds, window, detail)?;
        ds.observer.stage(Stage::BuildingFrames);
        f.geolocate(geo, GeoColumns::All)?;
        ds.observer.stage(Stage::Analysing);
        Ok(f)
    }

    /// [`Frames::build`] without the geolocation columns, and with only the
    /// columns `detail` asks for: for `summary`, which reads fewer
    /// ([`Detail::Summary`]) and asks for its totals before geolocating, so
    /// that their temporaries are gone when the geolocation tables load.
    pub fn build_ungeolocated(ds: &mut Dataset, window: &Window, detail: Detail) -> PolarsResult<Frames> {
        ds.observer.stage(Stage::BuildingFrames);
        let r = &mut ds.records;
        (r.sessions, r.screen) = (Vec::new(), Vec::new());
        // The messages' roots and chains are walked on one thread (a tenth
        // of a second on a big log) while the small frames are built.
        let ds_ref = &*ds;
        let walk = || {
            let roots = super::Roots::of(&ds_ref.records);
            let chain = super::chain_counts(&ds_ref.records, &roots);
            (roots, chain)
        };
        let small = || -> PolarsResult<(DataFrame, DataFrame)> {
            let auth = in_window(super::auth(ds_ref, detail)?, "time", window)?;
            Ok((auth, in_window(super::rejects(ds_ref, detail)?, "time", window)?))
        };
        let ((roots, chain), small) = std::thread::scope(|s| match std::thread::Builder::new().spawn_scoped(s, walk) {
            Ok(walking) => {
                let small = small();
                (walking.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), small)
            }
            // A thread the system refuses is no error: one after the other.
            Err(_) => (walk(), small()),
        });
        let (auth, rejects) = small?;
        (ds.records.auth, ds.records.rejects) = (Vec::new(), Vec::new());
        // Messages first: the deliveries frame needs only their roots, so
        // the message records are gone before it is built.
        let messages = super::messages_with_chain(ds, detail, &chain, &roots, window)?;
        ds.records.messages = Vec::new();
        let deliveries = super::deliveries_with_roots(ds, detail, &roots, window)?;
        ds.records = Default::default();
        crate::mem::give_back();
        ds.observer.stage(Stage::Analysing);
        Ok(Frames { messages, deliveries, auth, rejects })
    }

    /// Adds the geolocation of client IPs: `country` (and with
    /// [`GeoColumns::All`], `asn` and `as_org`) on auth and rejects,
    /// `root_…` on messages.
    pub fn geolocate(&mut self, geo: &Geo, which: GeoColumns) -> PolarsResult<()> {
        self.geolocate_messages(geo, which)?;
        add_geo_columns(&mut self.auth, "client_ip", "", geo, which)?;
        add_geo_columns(&mut self.rejects, "client_ip", "", geo, which)
    }

    /// [`Frames::geolocate`] of the messages only (`root_…`, and on the
    /// deliveries when they carry their roots' IPs, for the rankings'
    /// delivery figures by country): for `summary`, whose rankings of
    /// logins read no country.
    pub fn geolocate_messages(&mut self, geo: &Geo, which: GeoColumns) -> PolarsResult<()> {
        add_geo_columns(&mut self.messages, "root_client_ip", "root_", geo, which)?;
        // Only a window's deliveries carry their roots' keys beyond the
        // account, uid and IP (see `deliveries_with_roots`).
        if self.deliveries.column("root_client_net").is_ok() {
            add_geo_columns(&mut self.deliveries, "root_client_ip", "root_", geo, which)?;
        }
        Ok(())
    }
}

/// Rows of `df` whose `column` time lies in `window`.
pub fn in_window(df: DataFrame, column: &str, window: &Window) -> PolarsResult<DataFrame> {
    if window.is_open() {
        return Ok(df);
    }
    let t = || col(column).cast(DataType::Int64);
    let mut cond = lit(true);
    if let Some(s) = window.since {
        cond = cond.and(t().gt_eq(lit(s)));
    }
    if let Some(u) = window.until {
        cond = cond.and(t().lt(lit(u)));
    }
    df.lazy().filter(cond).collect()
}
