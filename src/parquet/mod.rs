//! Parquet datasets: what `export --format parquet --out DIR` writes and
//! every analysis reads back (`postsleuth summary DIR`), so that each mail
//! server exports its own day and one analysis ranks the whole fleet, and
//! so that DuckDB and Spark ask the same questions (`sql/`).
//!
//! A dataset is one folder of Hive-style partitions, one per table, host
//! and UTC day ([`layout`]); sql/SCHEMA.md is the
//! one description of its tables and columns. Reading one rebuilds the
//! records correlation would have produced (the same messages, deliveries,
//! logins, rejects…, the inputs and their problems), so every analysis runs
//! unchanged and prints what it prints for the logs themselves.
//!
//! [`write`] makes the partitions; [`read`] reads the exports of a dataset
//! (their inputs and counts), [`tables`] its tables' parts, and [`records`]
//! turns their rows into records; [`lines`] quotes evidence from it.
//!
//! Not to be confused with [`crate::ingest::Dataset`], the records of one
//! run in memory, which a Parquet dataset is read into.

pub mod layout;
mod lines;
mod read;
mod records;
mod tables;
mod write;

pub use layout::is_dataset;
pub use lines::{fetch, Stored};
pub use read::load;
pub use write::{export, Written, SCHEMA_VERSION};

use std::path::PathBuf;

/// The paths that are datasets, and the others (logs), each in the order
/// given.
pub fn split(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    paths.iter().cloned().partition(|p| is_dataset(p))
}
