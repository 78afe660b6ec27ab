//! Questions asked of the frames, each a short lazy polars query.
//!
//! Counting rules (where they differ from pflogsumm, the README says so):
//! a message is counted once, by its original submission: a content filter's
//! re-injected copy is a continuation, and Postfix's own notifications are
//! not "received". A recipient is delivered when a final (non-filter)
//! delivery says `status=sent`. Figures of deliveries (delivered, deferred,
//! bounced, recipients) count the deliveries in the window, whenever their
//! message came in. The README's glossary defines every figure.

pub mod report;
pub mod suspects;
pub mod top;

use crate::enrich::{add_geo_columns, Geo, GeoColumns};
use crate::frame::Detail;
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
    pub fn build(ds: &mut crate::ingest::Dataset, window: &Window, geo: &Geo) -> PolarsResult<Frames> {
        let mut f = Frames::build_ungeolocated(ds, window, Detail::Analysis)?;
        f.geolocate(geo, GeoColumns::All)?;
        Ok(f)
    }

    /// [`Frames::build`] without the geolocation columns, and with only the
    /// columns `detail` asks for: for `summary`, which reads fewer
    /// ([`Detail::Summary`]) and asks for its totals before geolocating, so
    /// that their temporaries are gone when the geolocation tables load.
    pub fn build_ungeolocated(
        ds: &mut crate::ingest::Dataset,
        window: &Window,
        detail: Detail,
    ) -> PolarsResult<Frames> {
        let r = &mut ds.records;
        (r.sessions, r.screen) = (Vec::new(), Vec::new());
        // The messages' roots and chains are walked on one thread (a tenth
        // of a second on a big log) while the small frames are built.
        let ds_ref = &*ds;
        let walk = || {
            let roots = crate::frame::Roots::of(&ds_ref.records);
            let chain = crate::frame::chain_counts(&ds_ref.records, &roots);
            (roots, chain)
        };
        let small = || -> PolarsResult<(DataFrame, DataFrame)> {
            let auth = in_window(crate::frame::auth(ds_ref, detail)?, "time", window)?;
            Ok((auth, in_window(crate::frame::rejects(ds_ref, detail)?, "time", window)?))
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
        let messages = crate::frame::messages_with_chain(ds, detail, &chain, &roots)?;
        ds.records.messages = Vec::new();
        let deliveries = crate::frame::deliveries_with_roots(ds, detail, &roots)?;
        let deliveries = in_window(deliveries, "time", window)?;
        ds.records = Default::default();
        crate::mem::give_back();
        let messages = in_window(messages, "first_seen", window)?;
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

    /// [`Frames::geolocate`] of the messages only (`root_…`): for `summary`,
    /// whose rankings of logins read no country.
    pub fn geolocate_messages(&mut self, geo: &Geo, which: GeoColumns) -> PolarsResult<()> {
        add_geo_columns(&mut self.messages, "root_client_ip", "root_", geo, which)
    }

    /// Original submissions: not continuations, not Postfix's notifications.
    pub fn received(&self) -> LazyFrame {
        self.messages.clone().lazy().filter(is_received())
    }

    /// The received messages Postfix accepted: cleanup's header/body checks
    /// and milters did not reject them. What an account or uid *sent*, in
    /// `suspects` and every ranking; the rejected ones are its rejects.
    pub fn accepted(&self) -> LazyFrame {
        self.received().filter(col("state").neq(lit("rejected")))
    }

    /// The received messages cleanup rejected (header/body checks, milters).
    pub fn rejected_by_cleanup(&self) -> LazyFrame {
        self.received().filter(col("state").eq(lit("rejected")))
    }

    /// Final deliveries (hand-overs to a content filter left out).
    pub fn final_deliveries(&self) -> LazyFrame {
        self.deliveries.clone().lazy().filter(col("filter_hop").not())
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

/// Grand totals, comparable to pflogsumm's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub received: u64,
    pub delivered: u64,
    pub deferred: u64,
    pub bounced: u64,
    pub rejected: u64,
    pub held: u64,
    pub discarded: u64,
    pub expired: u64,
    pub deleted: u64,
    pub still_queued: u64,
    pub bytes_received: u64,
    pub bytes_delivered: u64,
    pub senders: u64,
    /// Distinct addresses of final deliveries, whatever their outcome.
    pub distinct_recipients: u64,
    pub auth_failures: u64,
    pub auth_successes: u64,
}

/// One row of figures, each named by its expression's alias.
struct Figures(DataFrame);

impl Figures {
    /// Computes `figures` over `lf` in one query: one pass over the frame
    /// instead of a filtered copy of it per figure, which for the totals
    /// was 16 queries and five copies of every final delivery.
    fn of(lf: LazyFrame, figures: Vec<Expr>) -> PolarsResult<Figures> {
        Ok(Figures(lf.select(figures).collect()?))
    }

    fn get(&self, name: &str) -> PolarsResult<u64> {
        let v = self.0.column(name)?.get(0)?;
        Ok(v.extract::<u64>().unwrap_or(0))
    }
}

/// The messages [`Frames::received`] keeps.
pub(crate) fn is_received() -> Expr {
    col("is_continuation").not().and(col("origin").neq(lit("notification")))
}

/// How many rows `condition` holds for, named `name`.
fn count_if(condition: Expr, name: &str) -> Expr {
    condition.sum().alias(name)
}

fn is(column: &str, value: &str) -> Expr {
    col(column).eq(lit(value))
}

pub fn totals(f: &Frames) -> PolarsResult<Totals> {
    let received = is_received();
    let final_delivery = || col("filter_hop").not();
    let sent = || final_delivery().and(is("status", "sent"));
    let dels = Figures::of(
        f.deliveries.clone().lazy(),
        vec![
            count_if(sent(), "delivered"),
            count_if(final_delivery().and(is("status", "deferred")), "deferred"),
            count_if(final_delivery().and(is("status", "bounced")), "bounced"),
            // Each delivery at its own message's size, whenever that message came.
            col("size").filter(sent()).sum().alias("bytes_delivered"),
            // Whatever the outcome, as `top` counts them.
            col("to_id").filter(final_delivery()).n_unique().alias("distinct_recipients"),
        ],
    )?;
    let msgs = Figures::of(
        f.messages.clone().lazy(),
        vec![
            count_if(received.clone(), "received"),
            col("size").filter(received.clone()).sum().alias("bytes_received"),
            col("sender_id").filter(received).drop_nulls().n_unique().alias("senders"),
            count_if(is("state", "held"), "held"),
            count_if(is("state", "discarded"), "discarded"),
            count_if(is("state", "expired"), "expired"),
            count_if(is("state", "deleted"), "deleted"),
            count_if(is("state", "queued"), "queued"),
        ],
    )?;
    let rejects = Figures::of(f.rejects.clone().lazy(), vec![count_if(is("action", "reject"), "rejected")])?;
    let auth = Figures::of(
        f.auth.clone().lazy(),
        vec![count_if(col("success").not(), "failures"), count_if(col("success"), "successes")],
    )?;
    Ok(Totals {
        received: msgs.get("received")?,
        delivered: dels.get("delivered")?,
        deferred: dels.get("deferred")?,
        bounced: dels.get("bounced")?,
        rejected: rejects.get("rejected")?,
        held: msgs.get("held")?,
        discarded: msgs.get("discarded")?,
        expired: msgs.get("expired")?,
        deleted: msgs.get("deleted")?,
        still_queued: msgs.get("queued")?,
        bytes_received: msgs.get("bytes_received")?,
        bytes_delivered: dels.get("bytes_delivered")?,
        senders: msgs.get("senders")?,
        distinct_recipients: dels.get("distinct_recipients")?,
        auth_failures: auth.get("failures")?,
        auth_successes: auth.get("successes")?,
    })
}
