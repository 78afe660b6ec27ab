//! `report.html`: one self-contained page for people (the admin, management,
//! an abuse desk): inline CSS and SVG, no script, no external resource. A
//! Content-Security-Policy forbids scripts anyway, in case a log string ever
//! slipped past [`esc`].

use super::{offender_summary, period_title, span_text, suspect_story, svg, thousands, total_rows, Meta};
use crate::analyze::report::{Evidence, Offender, Report, SuspectView};
use crate::render::cells::{self, Cell};
use crate::time::{rfc3339_utc, Zone};
use polars::prelude::DataFrame;
use std::fmt::Write;

/// Widest a table cell may be; JSON and CSV keep the whole string.
const MAX_CELL: usize = 60;
/// Widest a quoted log line may be.
const MAX_LINE: usize = 600;

const MESSAGES: &str = "#2563eb";
const FAILURES: &str = "#dc2626";

const STYLE: &str = "
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #111827;
  margin: 0 auto; max-width: 1120px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 2px solid #e5e7eb; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.sub, .note, footer { color: #4b5563; }
.warn { background: #fef3c7; border-left: 4px solid #d97706; padding: 6px 10px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin: 16px 0; }
.card { border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 12px; }
.card .v { font-size: 22px; font-weight: 600; }
.card .l { color: #4b5563; }
.up.bad { color: #b91c1c; } .down, .same, .up { color: #4b5563; }
table { border-collapse: collapse; margin: 4px 0 8px; font-size: 13px; }
th, td { padding: 3px 10px 3px 0; text-align: left; vertical-align: top; border-bottom: 1px solid #f3f4f6; }
th { border-bottom: 1px solid #d1d5db; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td { white-space: nowrap; }
.scroll { overflow-x: auto; }
svg.chart { width: 100%; height: auto; display: block; font-size: 12px; }
svg.half { width: 49%; display: inline-block; vertical-align: top; }
.offender, .suspect { border: 1px solid #e5e7eb; border-radius: 6px; padding: 2px 14px 10px; margin: 12px 0; }
.geo { font-weight: normal; color: #4b5563; }
pre.log { background: #f9fafb; border: 1px solid #e5e7eb; padding: 8px; font-size: 12px;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.suspect { border-color: #fca5a5; background: #fef2f2; }
@media print { .offender, .suspect { break-inside: avoid; } }
";

/// A log string made safe as HTML text or attribute value: terminal
/// controls shown as `\x1b` (never executed), markup characters as entities.
pub fn esc(s: &str) -> String {
    let p = crate::text::printable(s);
    let mut out = String::with_capacity(p.len() + 8);
    for c in p.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn render(r: &Report, meta: &Meta) -> anyhow::Result<String> {
    let mut h = String::with_capacity(256 << 10);
    head(&mut h, r);
    header(&mut h, r, meta);
    cards(&mut h, r);
    suspects(&mut h, r, &meta.zone);
    charts(&mut h, r, &meta.zone)?;
    totals(&mut h, r);
    rankings(&mut h, r, &meta.zone)?;
    abuse(&mut h, r, meta);
    footer(&mut h, meta);
    Ok(h)
}

fn head(h: &mut String, r: &Report) {
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Postfix abuse report, {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&period_title(r))
    );
}

fn header(h: &mut String, r: &Report, meta: &Meta) {
    let hosts = if r.hosts.is_empty() { "no mail host seen".to_string() } else { r.hosts.join(", ") };
    let p = &r.period;
    let _ = write!(
        h,
        "<header>\n<h1>Postfix abuse report, {}</h1>\n<p class=\"sub\">{} · {}<br>compared with the previous \
         period, {}</p>\n",
        esc(&period_title(r)),
        esc(&crate::text::cell(&hosts, 200)),
        esc(&span_text(p.current.start, p.current.end, &meta.zone)),
        esc(&span_text(p.previous.start, p.previous.end, &meta.zone)),
    );
    for w in super::warnings(meta) {
        let _ = writeln!(h, "<p class=\"warn\">{}</p>", esc(&w));
    }
    h.push_str("</header>\n");
}

/// The headline figures, each with its change.
fn cards(h: &mut String, r: &Report) {
    const SHOWN: [&str; 6] = ["received", "delivered", "deferred", "bounced", "rejected", "auth_failures"];
    h.push_str("<section class=\"cards\">\n");
    for t in total_rows(&r.totals, &r.previous_totals).iter().filter(|t| SHOWN.contains(&t.id)) {
        let (dir, bad) = t.direction();
        let _ = writeln!(
            h,
            "<div class=\"card\"><div class=\"l\">{}</div><div class=\"v\">{}</div>\
             <div class=\"{dir}{}\">{}</div><div class=\"note\">previous {}</div></div>",
            t.label,
            thousands(t.value),
            if bad { " bad" } else { "" },
            esc(&t.change_text()),
            thousands(t.previous)
        );
    }
    h.push_str("</section>\n");
}

/// The suspects' compromise times, to mark on the time charts.
fn compromises(r: &Report) -> Vec<svg::Mark> {
    r.suspects
        .iter()
        .filter_map(|v| {
            v.suspect.since().map(|time| svg::Mark { time, label: format!("compromise: {}", v.suspect.who) })
        })
        .collect()
}

fn charts(h: &mut String, r: &Report, zone: &Zone) -> anyhow::Result<()> {
    let marks = compromises(r);
    let chart = |id, title| svg::TimeChart { id, title, hours: &r.hours, zone, marks: &marks };
    h.push_str("<h2>Activity</h2>\n<h3>Messages received per hour</h3>\n");
    let c = chart("c-msg", "Messages received per hour");
    h.push_str(&svg::hourly_bars(&c, &r.messages_per_hour, MESSAGES, "message"));
    if !r.account_hours.is_empty() {
        let c = chart("c-acct", "Messages per hour of the top SASL accounts");
        let _ = writeln!(h, "<h3>{}</h3>", c.title);
        h.push_str(&svg::hourly_lines(&c, &r.account_hours));
    }
    h.push_str("<h3>Auth failures per hour</h3>\n");
    let c = chart("c-fail", "Auth failures per hour");
    h.push_str(&svg::hourly_bars(&c, &r.auth_failures_per_hour, FAILURES, "auth failure"));
    h.push_str("<h3>Client countries: messages (left) and auth failures (right)</h3>\n");
    let bars = |id: &str, metric: &str| -> anyhow::Result<Vec<(String, u64)>> {
        r.ranking(id).map_or(Ok(Vec::new()), |df| pairs(df, "country", metric))
    };
    h.push_str(&svg::hbars("c-cc", "Messages by client country", &bars("top_countries", "messages")?, MESSAGES));
    h.push_str(&svg::hbars(
        "c-ccf",
        "Auth failures by client country",
        &bars("auth_failures_by_country", "auth_failures")?,
        FAILURES,
    ));
    Ok(())
}

/// (label, value) of each row of a ranking.
fn pairs(df: &DataFrame, key: &str, metric: &str) -> anyhow::Result<Vec<(String, u64)>> {
    let keys = df.column(key)?.as_materialized_series().cast(&polars::prelude::DataType::String)?;
    let values = df.column(metric)?.as_materialized_series().cast(&polars::prelude::DataType::UInt64)?;
    Ok(keys
        .str()?
        .iter()
        .zip(values.u64()?.iter())
        .map(|(k, v)| (k.unwrap_or("").to_string(), v.unwrap_or(0)))
        .collect())
}

fn totals(h: &mut String, r: &Report) {
    h.push_str("<h2>Totals</h2>\n<table>\n<tr><th>total</th><th class=\"n\">this period</th><th class=\"n\">previous</th><th class=\"n\">change</th></tr>\n");
    for t in total_rows(&r.totals, &r.previous_totals) {
        let (dir, bad) = t.direction();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n {dir}{}\">{}</td></tr>",
            t.label,
            thousands(t.value),
            thousands(t.previous),
            if bad { " bad" } else { "" },
            esc(&t.change_text())
        );
    }
    h.push_str("</table>\n");
}

fn rankings(h: &mut String, r: &Report, zone: &Zone) -> anyhow::Result<()> {
    h.push_str("<h2>Rankings</h2>\n");
    for k in &r.rankings {
        let _ = writeln!(h, "<section class=\"scroll\">\n<h3>{}</h3>", esc(k.title));
        table(h, &k.frame, zone)?;
        h.push_str("</section>\n");
    }
    h.push_str("<h2>Rejects and delivery delays</h2>\n");
    for k in &r.sections {
        let _ = writeln!(h, "<section class=\"scroll\">\n<h3>{}</h3>", esc(k.title));
        table(h, &k.frame, zone)?;
        h.push_str("</section>\n");
    }
    Ok(())
}

fn table(h: &mut String, df: &DataFrame, zone: &Zone) -> anyhow::Result<()> {
    let rows = cells::rows(df)?;
    if rows.is_empty() {
        h.push_str("<p class=\"note\">none</p>\n");
        return Ok(());
    }
    let numeric: Vec<bool> = (0..df.width())
        .map(|i| rows.iter().all(|row| matches!(row.get(i), Some(Cell::Int(_) | Cell::Float(_) | Cell::Null))))
        .collect();
    let class = |i: usize| if numeric[i] && i > 0 { " class=\"n\"" } else { "" };
    h.push_str("<table>\n<tr>");
    for (i, name) in df.get_column_names().iter().enumerate() {
        let _ = write!(h, "<th{}>{}</th>", class(i), esc(name));
    }
    h.push_str("</tr>\n");
    for row in &rows {
        h.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let _ = write!(h, "<td{}>{}</td>", class(i), esc(&crate::text::cell(&c.display(zone), MAX_CELL)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
    Ok(())
}

fn suspects(h: &mut String, r: &Report, zone: &Zone) {
    h.push_str("<h2>Suspects</h2>\n");
    if r.suspects.is_empty() {
        h.push_str("<p>No account or uid looks compromised in this period (postsleuth suspects thresholds).</p>\n");
        return;
    }
    h.push_str(
        "<p class=\"note\">Accounts and uids that look compromised, as <code>postsleuth suspects</code> scores them, \
         learning each one's habits from the input up to the end of the period.</p>\n",
    );
    for (i, v) in r.suspects.iter().enumerate() {
        suspect(h, i + 1, v, zone);
    }
}

fn suspect(h: &mut String, n: usize, v: &SuspectView, zone: &Zone) {
    let s = &v.suspect;
    let _ = writeln!(
        h,
        "<article class=\"suspect\">\n<h3>{n}. {} <span class=\"geo\">{}, score {}</span></h3>",
        esc(&crate::text::cell(&s.who.to_string(), 120)),
        s.who.kind(),
        s.score
    );
    for line in suspect_story(v, zone) {
        let _ = writeln!(h, "<p>{}</p>", esc(&line));
    }
    h.push_str("<p>Why:</p>\n<ul>\n");
    for reason in &s.reasons {
        let _ = writeln!(h, "<li>+{} {}</li>", reason.points, esc(&reason.text));
    }
    h.push_str("</ul>\n<p>Evidence (time in UTC, file:line, the line as logged):</p>\n<pre class=\"log\">");
    for (what, e) in &v.evidence {
        let _ = writeln!(h, "{}\n  {}", esc(what), evidence_line(e));
    }
    h.push_str("</pre>\n</article>\n");
}

/// `2026-11-21T02:34:37Z  sample-logs/mail.log.1:923  the line`, escaped.
fn evidence_line(e: &Evidence) -> String {
    let text = e.text.as_deref().unwrap_or("(line no longer readable)");
    let cursor = e.cursor.as_ref().map_or(String::new(), |c| format!(" (cursor {})", esc(c)));
    let text = esc(&crate::text::cell(text, MAX_LINE));
    format!("{}  {}:{}{cursor}  {text}", rfc3339_utc(e.time), esc(&e.file), e.line)
}

fn abuse(h: &mut String, r: &Report, meta: &Meta) {
    h.push_str("<h2>For abuse desks</h2>\n");
    let _ = writeln!(h, "<p>{}</p>", esc(&super::abuse_intro(r, meta)));
    for (i, o) in r.offenders.iter().take(meta.abuse_limit).enumerate() {
        offender(h, i + 1, o);
    }
    if r.offenders.len() > meta.abuse_limit {
        let _ = writeln!(
            h,
            "<p class=\"note\">{} more offending networks are listed in offenders.csv and report.json.</p>",
            r.offenders.len() - meta.abuse_limit
        );
    }
}

fn offender(h: &mut String, n: usize, o: &Offender) {
    let _ = write!(
        h,
        "<article class=\"offender\">\n<h3>{n}. {} <span class=\"geo\">{}</span></h3>\n<p>{}</p>\n<table>\n",
        esc(&o.subject),
        esc(&super::geo_text(o)),
        esc(&offender_summary(o))
    );
    let _ = writeln!(h, "<tr><th>first seen (UTC)</th><td>{}</td></tr>", rfc3339_utc(o.first));
    let _ = writeln!(h, "<tr><th>last seen (UTC)</th><td>{}</td></tr>", rfc3339_utc(o.last));
    for (k, v) in super::offender_counts(o) {
        let _ = writeln!(h, "<tr><th>{k}</th><td class=\"n\">{}</td></tr>", thousands(v));
    }
    h.push_str("</table>\n");
    if o.ips.len() > 1 {
        let _ = writeln!(h, "<p>Addresses: {}</p>", esc(&super::ip_list(o)));
    }
    h.push_str("<p>Sample log lines (time in UTC, our file:line, the line as logged):</p>\n<pre class=\"log\">");
    for e in &o.evidence {
        let _ = writeln!(h, "{}", evidence_line(e));
    }
    h.push_str("</pre>\n</article>\n");
}

fn footer(h: &mut String, meta: &Meta) {
    h.push_str("<footer>\n<h2>Input</h2>\n<table>\n<tr><th>file</th><th class=\"n\">lines</th><th class=\"n\">skipped</th><th>problem</th></tr>\n");
    for f in &meta.files {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&f.name),
            thousands(f.lines),
            thousands(f.skipped),
            esc(f.error.as_deref().unwrap_or(""))
        );
    }
    h.push_str("</table>\n");
    if let Some((a, b)) = meta.span {
        let _ = writeln!(h, "<p>Lines from {} to {}.</p>", rfc3339_utc(a), rfc3339_utc(b));
    }
    let geo: Vec<String> = meta.geo.lines().map(|l| esc(l.trim())).collect();
    let _ = writeln!(h, "<p>Geolocation: {}</p>", geo.join("<br>"));
    // The one line that differs between two runs on the same input.
    let _ = writeln!(h, "<p>Generated {} by postsleuth {}.</p>", esc(&meta.generated_at), esc(meta.version));
    h.push_str("</footer>\n</body>\n</html>\n");
}
