//! `postsleuth export --table T`: correlated records as rows.

use super::{display_zone, finish, load, stdout, Outcome};
use crate::cli::{ExportArgs, Table};
use crate::frame;

pub fn run(a: &ExportArgs) -> anyhow::Result<Outcome> {
    let zone = display_zone(&a.output)?;
    let ds = load(&a.input, false)?;
    let df = match a.table {
        Table::Messages => frame::messages(&ds)?,
        Table::Deliveries => frame::deliveries(&ds)?,
        Table::Auth => frame::auth(&ds)?,
        Table::Rejects => frame::rejects(&ds)?,
        Table::Sessions => frame::sessions(&ds)?,
    };
    let mut out = stdout();
    crate::render::write_frame(&df, a.output.format, &zone, &mut out)?;
    finish(out, &ds)
}
