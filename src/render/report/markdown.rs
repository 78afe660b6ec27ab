//! `report.md`: the report for a ticket, a wiki or an e-mail. Every log
//! string goes through [`markdown_escape`], so nothing from the log can
//! become HTML, a link or a table cell boundary; the charts become
//! sparklines.

use super::{offender_summary, period_title, span_text, suspect_story, thousands, total_rows, Meta};
use crate::analyze::report::{Evidence, Offender, Report, SuspectView};
use crate::render::Format;
use crate::render::{markdown_escape, write_frame};
use crate::time::{rfc3339_utc, Micros, Zone};
use std::fmt::Write;

/// Widest a quoted log line may be.
const MAX_LINE: usize = 600;
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

pub fn render(r: &Report, meta: &Meta) -> anyhow::Result<String> {
    let mut m = String::with_capacity(64 << 10);
    header(&mut m, r, meta);
    totals(&mut m, r);
    suspects(&mut m, r, &meta.zone);
    activity(&mut m, r, &meta.zone);
    rankings(&mut m, r, &meta.zone)?;
    abuse(&mut m, r, meta);
    footer(&mut m, meta);
    Ok(m)
}

fn header(m: &mut String, r: &Report, meta: &Meta) {
    let p = &r.period;
    let _ = writeln!(m, "# Postfix abuse report, {}\n", period_title(r));
    let hosts = crate::text::cell(&r.hosts.join(", "), 200);
    let _ = writeln!(m, "Mail hosts: {}  ", markdown_escape(&hosts));
    let _ = writeln!(m, "Period: {}  ", span_text(p.current.start, p.current.end, &meta.zone));
    let _ = writeln!(m, "Compared with: {}\n", span_text(p.previous.start, p.previous.end, &meta.zone));
    for w in super::warnings(meta) {
        let _ = writeln!(m, "> **Warning:** {}\n", markdown_escape(&w));
    }
}

fn totals(m: &mut String, r: &Report) {
    m.push_str("## Totals\n\n| total | this period | previous | change |\n|---|--:|--:|--:|\n");
    for t in total_rows(&r.totals, &r.previous_totals) {
        let _ =
            writeln!(m, "| {} | {} | {} | {} |", t.label, thousands(t.value), thousands(t.previous), t.change_text());
    }
    m.push('\n');
}

/// `▁▂▇█▅`: one character per value, scaled to the largest.
fn sparkline(values: &[u64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    values.iter().map(|&v| SPARKS[((v * 7).div_ceil(max) as usize).min(7)]).collect()
}

/// Hourly values, summed per day when the period is longer than two days
/// (a sparkline of 744 hours is unreadable).
fn buckets(hours: &[Micros], values: &[u64]) -> (Vec<u64>, &'static str) {
    if hours.len() <= 48 {
        return (values.to_vec(), "hour");
    }
    (values.chunks(24).map(|c| c.iter().sum()).collect(), "day")
}

fn activity(m: &mut String, r: &Report, zone: &Zone) {
    let (msgs, unit) = buckets(&r.hours, &r.messages_per_hour);
    let (fails, _) = buckets(&r.hours, &r.auth_failures_per_hour);
    let start = r.hours.first().map_or_else(String::new, |&t| zone.format(t, false)[..16].to_string());
    let _ =
        writeln!(m, "## Activity\n\nOne character per {unit}, from {start} ({zone}); report.html has the charts.\n");
    let _ = writeln!(m, "| series | per {unit} | total | peak |\n|---|---|--:|--:|");
    let peak = |v: &[u64]| v.iter().copied().max().unwrap_or(0);
    let mut line = |name: &str, v: &[u64]| {
        let total: u64 = v.iter().sum();
        let _ = writeln!(m, "| {name} | `{}` | {} | {} |", sparkline(v), thousands(total), thousands(peak(v)));
    };
    line("messages received", &msgs);
    line("auth failures", &fails);
    for (account, series) in &r.account_hours {
        let (v, _) = buckets(&r.hours, series);
        line(&format!("account {}", markdown_escape(&crate::text::cell(account, 60))), &v);
    }
    m.push('\n');
}

fn rankings(m: &mut String, r: &Report, zone: &Zone) -> anyhow::Result<()> {
    for k in r.rankings.iter().chain(&r.sections) {
        let _ = writeln!(m, "## {}\n", k.title);
        if k.frame.height() == 0 {
            m.push_str("none\n\n");
            continue;
        }
        let mut buf = Vec::new();
        write_frame(&k.frame, Format::Markdown, zone, &mut buf)?;
        m.push_str(&String::from_utf8_lossy(&buf));
        m.push('\n');
    }
    Ok(())
}

fn suspects(m: &mut String, r: &Report, zone: &Zone) {
    m.push_str("## Suspects\n\n");
    if r.suspects.is_empty() {
        m.push_str("No account or uid looks compromised in this period (`postsleuth suspects` thresholds).\n\n");
        return;
    }
    let _ = writeln!(
        m,
        "Accounts and uids that look compromised, as `postsleuth suspects` scores them, learning each one's \
         habits from the input up to the end of the period.\n"
    );
    for (i, v) in r.suspects.iter().enumerate() {
        suspect(m, i + 1, v, zone);
    }
}

fn suspect(m: &mut String, n: usize, v: &SuspectView, zone: &Zone) {
    let s = &v.suspect;
    let who = markdown_escape(&crate::text::cell(&s.who.to_string(), 120));
    let _ = writeln!(m, "### {n}. {who} ({}, score {})\n", s.who.kind(), s.score);
    for line in suspect_story(v, zone) {
        let _ = writeln!(m, "{}\n", markdown_escape(&line));
    }
    m.push_str("Why:\n\n");
    for reason in &s.reasons {
        let _ = writeln!(m, "- +{} {}", reason.points, markdown_escape(&reason.text));
    }
    m.push_str("\nEvidence (time in UTC, file:line, the line as logged):\n\n");
    for (what, e) in &v.evidence {
        let _ = writeln!(m, "- {}: {}", markdown_escape(what), evidence_line(e));
    }
    m.push('\n');
}

/// `2026-11-21T02:34:37Z sample-logs/mail.log.1:923: the line`, escaped.
fn evidence_line(e: &Evidence) -> String {
    let text = e.text.as_deref().unwrap_or("(line no longer readable)");
    let cursor = e.cursor.as_ref().map_or(String::new(), |c| format!(" (cursor {})", markdown_escape(c)));
    format!(
        "{} {}:{}{cursor}: {}",
        rfc3339_utc(e.time),
        markdown_escape(&e.file),
        e.line,
        markdown_escape(&crate::text::cell(text, MAX_LINE))
    )
}

fn abuse(m: &mut String, r: &Report, meta: &Meta) {
    let _ = writeln!(m, "## For abuse desks\n\n{}\n", markdown_escape(&super::abuse_intro(r, meta)));
    for (i, o) in r.offenders.iter().take(meta.abuse_limit).enumerate() {
        offender(m, i + 1, o);
    }
    if r.offenders.len() > meta.abuse_limit {
        let _ = writeln!(
            m,
            "{} more offending networks are listed in offenders.csv and report.json.\n",
            r.offenders.len() - meta.abuse_limit
        );
    }
}

fn offender(m: &mut String, n: usize, o: &Offender) {
    let _ = writeln!(m, "### {n}. {} ({})\n", markdown_escape(&o.subject), markdown_escape(&super::geo_text(o)));
    let _ = writeln!(m, "{}\n", markdown_escape(&offender_summary(o)));
    let _ = writeln!(m, "- first seen: {} (UTC)", rfc3339_utc(o.first));
    let _ = writeln!(m, "- last seen: {} (UTC)", rfc3339_utc(o.last));
    for (k, v) in super::offender_counts(o) {
        let _ = writeln!(m, "- {k}: {}", thousands(v));
    }
    if o.ips.len() > 1 {
        let _ = writeln!(m, "- addresses: {}", markdown_escape(&super::ip_list(o)));
    }
    m.push_str("\nSample log lines (time in UTC, our file:line, the line as logged):\n\n");
    for e in &o.evidence {
        let _ = writeln!(m, "- {}", evidence_line(e));
    }
    m.push('\n');
}

fn footer(m: &mut String, meta: &Meta) {
    m.push_str("## Input\n\n| file | lines | skipped | problem |\n|---|--:|--:|---|\n");
    for f in &meta.files {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} |",
            markdown_escape(&f.name),
            thousands(f.lines),
            thousands(f.skipped),
            markdown_escape(f.error.as_deref().unwrap_or(""))
        );
    }
    if let Some((a, b)) = meta.span {
        let _ = writeln!(m, "\nLines from {} to {}.", rfc3339_utc(a), rfc3339_utc(b));
    }
    let geo: Vec<String> = meta.geo.lines().map(|l| markdown_escape(l.trim())).collect();
    let _ = writeln!(m, "\nGeolocation: {}\n", geo.join("; "));
    // The one line that differs between two runs on the same input.
    let _ = writeln!(m, "Generated {} by postsleuth {}.", markdown_escape(&meta.generated_at), meta.version);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_the_peak() {
        assert_eq!(sparkline(&[0, 1, 2, 8]), "▁▂▃█");
        assert_eq!(sparkline(&[0, 0]), "▁▁");
    }
}
