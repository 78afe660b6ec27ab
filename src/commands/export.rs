//! `postsleuth export --table T`: correlated records as rows.

use super::{display_zone, finish, load, stdout, window, Load, Outcome};
use crate::analyze::in_window;
use crate::cli::{ExportArgs, Table};
use crate::frame;

pub fn run(a: &ExportArgs) -> anyhow::Result<Outcome> {
    let zone = display_zone(&a.output)?;
    let window = window(&a.input, &zone)?;
    let ds = load(&a.input, Load::DETAILS)?;
    let df = match a.table {
        Table::Messages => in_window(frame::messages(&ds, frame::Detail::All)?, "first_seen", &window)?,
        Table::Deliveries => in_window(frame::deliveries(&ds, frame::Detail::All)?, "time", &window)?,
        Table::Auth => in_window(frame::auth(&ds, frame::Detail::All)?, "time", &window)?,
        Table::Rejects => in_window(frame::rejects(&ds, frame::Detail::All)?, "time", &window)?,
        Table::Sessions => in_window(frame::sessions(&ds)?, "start", &window)?,
    };
    let mut out = stdout();
    crate::render::write_frame(&df, a.output.format, &zone, &mut out)?;
    finish(out, ds)
}
