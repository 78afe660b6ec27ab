//! Questions asked of the frames, each a short lazy polars query.
//!
//! Counting rules (where they differ from pflogsumm, the README says so):
//! a message is counted once, by its original submission: a content filter's
//! re-injected copy is a continuation, and Postfix's own notifications are
//! not "received". A recipient is delivered when a final (non-filter)
//! delivery says `status=sent`. Figures of deliveries (delivered, deferred,
//! bounced, recipients) count the deliveries in the window, whenever their
//! message came in. The README's glossary defines every figure.

pub mod addresses;
pub mod connections;
pub mod delays;
pub mod domains;
pub mod postscreen;
pub mod reasons;
pub mod reject_types;
pub mod report;
pub mod sasl;
pub mod sections;
pub mod signals;
pub mod suspects;
pub mod top;
pub mod trace;
pub mod traffic;
pub mod warnings;

use polars::prelude::*;

pub use crate::frame::{in_window, Frames};

impl Frames {
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
