//! Every table leaves through here, in one of four formats, with every
//! string from the log made safe for where it lands: control characters
//! escaped for the terminal, `|` and HTML escaped for Markdown, formula-like
//! cells neutralised for spreadsheets.

pub mod alert;
mod cells;
pub mod doc;
pub mod queue;
pub mod remedy;
pub mod report;
pub mod suspects;
pub mod trace;
pub mod view;

pub use cells::Cell;

use crate::text;
use crate::time::Zone;
use clap::ValueEnum;
use comfy_table::{presets, ContentArrangement, Table};
use polars::prelude::*;
use std::io::Write;

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Aligned table for the terminal.
    #[default]
    Table,
    /// JSON: a table is an array of row objects with snake_case keys; commands
    /// with several tables (summary, suspects, trace) give one object holding them.
    Json,
    /// RFC 4180 CSV with a header row; formula-like cells are neutralised.
    Csv,
    /// GitHub-flavoured Markdown table.
    Markdown,
}

/// Widest a cell may be in a terminal table; longer strings get an ellipsis.
const MAX_CELL: usize = 60;

/// Writes `df` in `format`. `zone` is for table and Markdown times (JSON and
/// CSV times are RFC 3339 UTC, for machines).
pub fn write_frame(df: &DataFrame, format: Format, zone: &Zone, out: &mut dyn Write) -> anyhow::Result<()> {
    let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let rows = cells::rows(df)?;
    match format {
        Format::Table => write_table(&names, &rows, zone, out),
        Format::Markdown => write_markdown(&names, &rows, zone, out),
        Format::Csv => write_csv(&names, &rows, out),
        Format::Json => write_json(&names, &rows, out),
    }
}

fn write_table(names: &[String], rows: &[Vec<Cell>], zone: &Zone, out: &mut dyn Write) -> anyhow::Result<()> {
    if rows.is_empty() {
        writeln!(out, "(none)")?;
        return Ok(());
    }
    let cells: Vec<Vec<String>> =
        rows.iter().map(|row| row.iter().map(|c| text::cell(&c.display(zone), MAX_CELL)).collect()).collect();
    let header: Vec<String> = names.iter().map(|n| text::cell(n, MAX_CELL)).collect();
    let shown = fitting_columns(&header, &cells, terminal_width());
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    // No wrapping: a wrapped account name or timestamp is unreadable. Columns
    // that do not fit are left out and named below the table instead.
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(&header[..shown.len()]);
    for row in &cells {
        t.add_row(row.iter().zip(&shown).map(|(c, &w)| text::cell(c, w)));
    }
    writeln!(out, "{t}")?;
    if shown.len() < names.len() {
        let rest = names[shown.len()..].join(", ");
        writeln!(
            out,
            "({} more columns: {rest}; widen the terminal or use --format csv|json)",
            names.len() - shown.len()
        )?;
    }
    Ok(())
}

/// Narrowest a column is cut to rather than left out: less shows too little
/// of an address or a mark to be worth the space.
const MIN_CUT: usize = 16;

/// The widths of the leading columns that fit in `avail` terminal columns
/// (each column costs its width plus 3 for padding and border). The first
/// column is always shown, cut to fit if it must be; so is the first that
/// does not fit when at least [`MIN_CUT`] columns are left for it.
fn fitting_columns(header: &[String], cells: &[Vec<String>], avail: Option<usize>) -> Vec<usize> {
    let width = |i: usize| {
        let w = cells.iter().filter_map(|r| r.get(i)).map(|c| c.chars().count()).max().unwrap_or(0);
        w.max(header[i].chars().count())
    };
    let avail = avail.unwrap_or(usize::MAX);
    let mut used = 1;
    let mut shown = Vec::new();
    for i in 0..header.len() {
        let w = width(i);
        if used + w + 3 > avail {
            let left = avail.saturating_sub(used + 3);
            if shown.is_empty() {
                shown.push(left.max(8));
            } else if left >= MIN_CUT {
                shown.push(left);
            }
            break;
        }
        used += w + 3;
        shown.push(w);
    }
    shown
}

/// The terminal's width when stdout is one; `COLUMNS` otherwise, if set;
/// unlimited when writing to a file or pipe.
fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        if let Some(w) = comfy_table::Table::new().width() {
            return Some(w as usize);
        }
    }
    std::env::var("COLUMNS").ok()?.parse().ok()
}

fn write_markdown(names: &[String], rows: &[Vec<Cell>], zone: &Zone, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "| {} |", names.join(" | "))?;
    writeln!(out, "|{}", names.iter().map(|_| "---|").collect::<String>())?;
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| markdown_escape(&c.display(zone))).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

/// Markdown renders inline HTML and splits cells at `|`: escape both, and
/// the characters that would start emphasis, code or links.
pub fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in text::printable(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn write_csv(names: &[String], rows: &[Vec<Cell>], out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "{}", names.iter().map(|n| csv_quote(n)).collect::<Vec<_>>().join(","))?;
    for row in rows {
        let fields: Vec<String> = row.iter().map(Cell::csv).collect();
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

/// RFC 4180 quoting, and OWASP's CSV-injection rule: a text cell starting
/// with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so that no
/// spreadsheet runs it as a formula. Control characters are escaped as in
/// tables (`\x1b`): CSV goes to terminals too (`--format csv | less`, `cat
/// top_ips.csv`), and a log string has no tab or newline to keep anyway.
pub fn csv_field(s: &str) -> String {
    let s = text::printable(s);
    let neutral = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.into_owned() };
    csv_quote(&neutral)
}

/// RFC 4180 quoting only (for header names and numbers).
fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write_json(names: &[String], rows: &[Vec<Cell>], out: &mut dyn Write) -> anyhow::Result<()> {
    let arr: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let obj: serde_json::Map<String, serde_json::Value> =
                names.iter().cloned().zip(row.iter().map(Cell::json)).collect();
            serde_json::Value::Object(obj)
        })
        .collect();
    // As an io::Error, so that a closed pipe (`| head`) is recognised as one:
    // serde_json's own error does not expose the io::Error as its source.
    serde_json::to_writer_pretty(&mut *out, &arr).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn columns_that_do_not_fit_are_left_out() {
        let header: Vec<String> = ["account", "messages", "first"].iter().map(|s| s.to_string()).collect();
        let cells = vec![vec!["julien.fournier@example.com".to_string(), "2767".into(), "2026-11-20 12:25:34".into()]];
        assert_eq!(fitting_columns(&header, &cells, None), [27, 8, 19]);
        assert_eq!(fitting_columns(&header, &cells, Some(60)), [27, 8]);
        assert_eq!(fitting_columns(&header, &cells, Some(20)), [16]);
        // Room for 17 of the last column's 19: cut, not left out.
        assert_eq!(fitting_columns(&header, &cells, Some(62)), [27, 8, 17]);
    }

    #[test]
    fn csv_neutralises_formulas() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("-cmd"), "'-cmd");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("bob@example.org"), "bob@example.org");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("\u{1b}[2J\u{1b}]0;x\u{7}"), "\\x1b[2J\\x1b]0;x\\x07");
        assert_eq!(csv_field("\t=1"), "\\x09=1");
    }

    #[test]
    fn markdown_escapes_html_and_pipes() {
        assert_eq!(markdown_escape("<script>|x"), "&lt;script&gt;\\|x");
        assert_eq!(markdown_escape("\u{1b}[2J"), "\\\\x1b\\[2J");
    }
}
