//! The document model: what a command says, as blocks, without a format.
//! Commands build a [`Document`]; [`write`] writes it as a terminal table,
//! Markdown, CSV or JSON, one writer per format, each matching every block
//! kind (no catch-all arm: a new block or format does not compile until
//! every writer handles it).
//!
//! Every string from a log is escaped here, for where it lands: control
//! characters for the terminal, Markdown's and HTML's syntax, spreadsheet
//! formulas (through [`super::write_frame`]); JSON escapes itself.

use super::{markdown_escape, write_frame, Format};
use crate::text::printable;
use crate::time::Zone;
use polars::prelude::DataFrame;
use serde_json::{Map, Value};
use std::io::Write;

/// A command's answer, in reading order.
#[derive(Default)]
pub struct Document {
    pub blocks: Vec<Block>,
}

/// One piece of a document.
pub enum Block {
    /// A section title; level 1 is the document's title, 2 a section, 3 an
    /// item within it.
    Heading { level: u8, text: String },
    /// Lines of prose (the input read, a time span).
    Lines(Vec<String>),
    /// A table. `key` names it in JSON (none: not in JSON); `people` says
    /// whether the terminal and Markdown show it, `csv` whether CSV holds it.
    Table { key: Option<String>, frame: DataFrame, people: bool, csv: bool },
    /// Labelled values; a fact with points is a scored reason (`+3 …`).
    Facts(Vec<Fact>),
    /// Log lines quoted as evidence.
    Evidence(Vec<Quote>),
    /// A lead line and the items under it (next steps, problems).
    List { lead: String, items: Vec<String> },
    /// Data for machines: in JSON under `key`, nothing elsewhere (the other
    /// blocks tell it to people).
    Data { key: String, value: Value },
}

/// A labelled value, or a reason worth `points`.
pub struct Fact {
    pub label: String,
    pub value: String,
    pub points: Option<u32>,
}

impl Fact {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Fact {
        Fact { label: label.into(), value: value.into(), points: None }
    }

    pub fn reason(label: impl Into<String>, points: u32, value: impl Into<String>) -> Fact {
        Fact { label: label.into(), value: value.into(), points: Some(points) }
    }
}

/// A log line behind a claim: where it is, what it shows, and its raw
/// text (`None` when the file can no longer be read); for an entry of the
/// journal, its cursor too.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Quote {
    pub time: String,
    pub file: String,
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl Document {
    pub fn push(&mut self, block: Block) -> &mut Document {
        self.blocks.push(block);
        self
    }

    pub fn heading(&mut self, level: u8, text: impl Into<String>) -> &mut Document {
        self.push(Block::Heading { level, text: text.into() })
    }

    pub fn data(&mut self, key: &str, value: impl Into<Value>) -> &mut Document {
        self.push(Block::Data { key: key.into(), value: value.into() })
    }
}

/// Writes `doc` in `format`; `zone` is for the times people read (JSON and
/// CSV times are UTC).
pub fn write(doc: &Document, format: Format, zone: &Zone, out: &mut dyn Write) -> anyhow::Result<()> {
    match format {
        Format::Table => people(doc, &mut Terminal { zone, out }),
        Format::Markdown => people(doc, &mut Markdown { zone, out }),
        Format::Csv => csv(doc, zone, out),
        Format::Json => json(doc, out),
    }
}

/// Label column of facts in the terminal.
const LABEL: usize = 12;

/// How one format for people (terminal, Markdown) writes each block;
/// [`people`] walks the document and separates the sections.
trait Prose {
    fn out(&mut self) -> &mut dyn Write;
    fn heading(&mut self, level: u8, text: &str) -> anyhow::Result<()>;
    fn line(&mut self, text: &str) -> anyhow::Result<()>;
    fn table(&mut self, frame: &DataFrame) -> anyhow::Result<()>;
    fn fact(&mut self, fact: &Fact) -> anyhow::Result<()>;
    fn evidence(&mut self, quotes: &[Quote]) -> anyhow::Result<()>;
    fn list(&mut self, lead: &str, items: &[String]) -> anyhow::Result<()>;
}

/// Writes the blocks people read, a blank line before each section but
/// the first shown.
fn people(doc: &Document, w: &mut dyn Prose) -> anyhow::Result<()> {
    let mut shown = false;
    for block in &doc.blocks {
        let section = matches!(block, Block::Heading { .. } | Block::List { .. });
        if section && shown {
            writeln!(w.out())?;
        }
        match block {
            Block::Heading { level, text } => w.heading(*level, text)?,
            Block::Lines(lines) => lines.iter().try_for_each(|l| w.line(l))?,
            Block::Table { frame, people: true, .. } => w.table(frame)?,
            Block::Facts(facts) => facts.iter().try_for_each(|f| w.fact(f))?,
            Block::Evidence(quotes) => w.evidence(quotes)?,
            Block::List { lead, items } => w.list(lead, items)?,
            Block::Table { people: false, .. } | Block::Data { .. } => continue,
        }
        shown = true;
    }
    Ok(())
}

/// The terminal: control characters escaped, facts aligned on a label column.
struct Terminal<'a> {
    zone: &'a Zone,
    out: &'a mut dyn Write,
}

impl Prose for Terminal<'_> {
    fn out(&mut self) -> &mut dyn Write {
        self.out
    }

    fn heading(&mut self, _level: u8, text: &str) -> anyhow::Result<()> {
        Ok(writeln!(self.out, "{}", printable(text))?)
    }

    fn line(&mut self, text: &str) -> anyhow::Result<()> {
        Ok(writeln!(self.out, "{}", printable(text))?)
    }

    fn table(&mut self, frame: &DataFrame) -> anyhow::Result<()> {
        write_frame(frame, Format::Table, self.zone, self.out)
    }

    fn fact(&mut self, f: &Fact) -> anyhow::Result<()> {
        let points = f.points.map_or(String::new(), |p| format!("+{p} "));
        Ok(writeln!(self.out, "  {:<LABEL$} {points}{}", printable(&f.label), printable(&f.value))?)
    }

    fn evidence(&mut self, quotes: &[Quote]) -> anyhow::Result<()> {
        writeln!(self.out, "  evidence")?;
        for q in quotes {
            let claim = q.claim.as_deref().map_or(String::new(), |c| format!("  ({})", printable(c)));
            writeln!(self.out, "    {}:{}{claim}", printable(&q.file), q.line)?;
            if let Some(cursor) = &q.cursor {
                writeln!(self.out, "      cursor {}", printable(cursor))?;
            }
            writeln!(self.out, "      {}", q.text.as_deref().map_or("(line no longer readable)".into(), printable))?;
        }
        Ok(())
    }

    fn list(&mut self, lead: &str, items: &[String]) -> anyhow::Result<()> {
        writeln!(self.out, "{}", printable(lead))?;
        items.iter().try_for_each(|item| Ok(writeln!(self.out, "  {}", printable(item))?))
    }
}

/// Markdown: its syntax and HTML escaped in every log string.
struct Markdown<'a> {
    zone: &'a Zone,
    out: &'a mut dyn Write,
}

impl Prose for Markdown<'_> {
    fn out(&mut self) -> &mut dyn Write {
        self.out
    }

    fn heading(&mut self, level: u8, text: &str) -> anyhow::Result<()> {
        let marks = "#".repeat(usize::from(level.clamp(1, 6)));
        Ok(writeln!(self.out, "{marks} {}\n", markdown_escape(text))?)
    }

    fn line(&mut self, text: &str) -> anyhow::Result<()> {
        Ok(writeln!(self.out, "{}  ", markdown_escape(text))?)
    }

    fn table(&mut self, frame: &DataFrame) -> anyhow::Result<()> {
        write_frame(frame, Format::Markdown, self.zone, self.out)
    }

    fn fact(&mut self, f: &Fact) -> anyhow::Result<()> {
        match f.points {
            Some(p) => writeln!(self.out, "- +{p} {}", markdown_escape(&f.value))?,
            None => writeln!(self.out, "- **{}**: {}", markdown_escape(&f.label), markdown_escape(&f.value))?,
        }
        Ok(())
    }

    fn evidence(&mut self, quotes: &[Quote]) -> anyhow::Result<()> {
        writeln!(self.out)?;
        write_frame(&evidence_frame(quotes)?, Format::Markdown, self.zone, self.out)
    }

    fn list(&mut self, lead: &str, items: &[String]) -> anyhow::Result<()> {
        writeln!(self.out, "{}\n", markdown_escape(lead))?;
        items.iter().try_for_each(|item| Ok(writeln!(self.out, "- {}", markdown_escape(item))?))
    }
}

fn evidence_frame(quotes: &[Quote]) -> anyhow::Result<DataFrame> {
    use polars::prelude::*;
    let claims: Vec<Option<&str>> = quotes.iter().map(|q| q.claim.as_deref()).collect();
    let mut columns = vec![
        Column::new("claim".into(), claims),
        Column::new("file".into(), quotes.iter().map(|q| q.file.as_str()).collect::<Vec<_>>()),
        Column::new("line".into(), quotes.iter().map(|q| q.line).collect::<Vec<_>>()),
    ];
    // Only journal entries have a cursor: no empty column for log files.
    if quotes.iter().any(|q| q.cursor.is_some()) {
        columns.push(Column::new("cursor".into(), quotes.iter().map(|q| q.cursor.as_deref()).collect::<Vec<_>>()));
    }
    columns.push(Column::new("text".into(), quotes.iter().map(|q| q.text.as_deref()).collect::<Vec<_>>()));
    Ok(DataFrame::new_infer_height(columns)?)
}

/// The tables marked for CSV; with more than one, each after a `# title`
/// comment line (the heading it stands under) and a blank line between.
fn csv(doc: &Document, zone: &Zone, out: &mut dyn Write) -> anyhow::Result<()> {
    let tables = doc.blocks.iter().filter(|b| matches!(b, Block::Table { csv: true, .. })).count();
    let (mut title, mut written) = (None, 0);
    for block in &doc.blocks {
        match block {
            Block::Heading { text, .. } => title = Some(text.as_str()),
            Block::Table { frame, csv: true, .. } => {
                if tables > 1 {
                    if written > 0 {
                        writeln!(out)?;
                    }
                    // A comment line: no cell, so nothing for a spreadsheet to run.
                    writeln!(out, "# {}", printable(title.unwrap_or("")))?;
                }
                write_frame(frame, Format::Csv, zone, out)?;
                written += 1;
            }
            Block::Table { csv: false, .. }
            | Block::Lines(_)
            | Block::Facts(_)
            | Block::Evidence(_)
            | Block::List { .. }
            | Block::Data { .. } => {}
        }
    }
    Ok(())
}

/// One object: each keyed table as an array of row objects, each datum as
/// it is, in document order.
fn json(doc: &Document, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut obj = Map::new();
    for block in &doc.blocks {
        match block {
            Block::Table { key: Some(key), frame, .. } => {
                let mut buf = Vec::new();
                write_frame(frame, Format::Json, &Zone::Named(chrono_tz::UTC), &mut buf)?;
                obj.insert(key.clone(), serde_json::from_slice(&buf)?);
            }
            Block::Data { key, value } => {
                obj.insert(key.clone(), value.clone());
            }
            Block::Table { key: None, .. }
            | Block::Heading { .. }
            | Block::Lines(_)
            | Block::Facts(_)
            | Block::Evidence(_)
            | Block::List { .. } => {}
        }
    }
    serde_json::to_writer_pretty(&mut *out, &obj).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn doc() -> Document {
        let mut d = Document::default();
        d.heading(1, "Title \x1b[31m");
        d.push(Block::Lines(vec!["read 3 files".into()]));
        d.heading(2, "Ranking");
        let frame = df!("who" => ["=cmd|x", "b"], "n" => [2u32, 1]).unwrap();
        d.push(Block::Table { key: Some("ranking".into()), frame, people: true, csv: true });
        d.push(Block::Facts(vec![Fact::new("since", "then"), Fact::reason("reasons", 3, "<b>burst</b>")]));
        d.push(Block::Evidence(vec![Quote {
            time: "t".into(),
            file: "mail.log".into(),
            line: 7,
            claim: Some("login".into()),
            text: Some("line \x07 text".into()),
            cursor: None,
        }]));
        d.push(Block::List { lead: "Next".into(), items: vec!["do | this".into()] });
        d.data("threshold", 5);
        d
    }

    fn written(format: Format) -> String {
        let mut out = Vec::new();
        write(&doc(), format, &Zone::Named(chrono_tz::UTC), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_escapes_and_spaces_sections() {
        let t = written(Format::Table);
        assert!(t.starts_with("Title \\x1b[31m\nread 3 files\n\nRanking\n"), "{t}");
        assert!(t.contains("  since        then\n  reasons      +3 <b>burst</b>\n"), "{t}");
        assert!(t.contains("    mail.log:7  (login)\n      line \\x07 text\n"), "{t}");
        assert!(t.ends_with("\nNext\n  do | this\n"), "{t}");
        assert!(!t.contains("threshold"));
    }

    #[test]
    fn markdown_escapes_what_markdown_would_read() {
        let m = written(Format::Markdown);
        assert!(m.starts_with("# Title"), "{m}");
        assert!(m.contains("## Ranking\n\n"), "{m}");
        assert!(m.contains("- +3 &lt;b&gt;burst&lt;/b&gt;"), "{m}");
        assert!(m.contains("- do \\| this"), "{m}");
    }

    #[test]
    fn csv_holds_the_marked_tables_only() {
        let c = written(Format::Csv);
        assert!(c.starts_with("who,n\n"), "{c}");
        assert!(!c.contains("since") && !c.contains("Next"), "{c}");
        assert!(c.contains("'=cmd|x"), "formulas neutralised: {c}");
    }

    #[test]
    fn json_holds_the_keyed_tables_and_data_in_order() {
        let v: Value = serde_json::from_str(&written(Format::Json)).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["ranking", "threshold"]);
        assert_eq!(v["ranking"][0]["who"], "=cmd|x", "JSON keeps strings exactly");
        assert_eq!(v["threshold"], 5);
    }
}
