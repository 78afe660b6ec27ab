//! Small inline SVG charts, written by hand: no script, no external font or
//! stylesheet, readable in any browser and in print. Every text that can
//! come from the log (account names, countries) goes through [`esc`].

use super::html::esc;
use super::{noun, thousands};
use crate::time::{Micros, Zone};
use std::fmt::Write;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
const AXIS: &str = "#6b7280";
const GRID: &str = "#e5e7eb";

/// Colours of the per-account lines, told apart also in greyscale print.
pub const PALETTE: [&str; 5] = ["#dc2626", "#2563eb", "#059669", "#d97706", "#7c3aed"];

/// The drawing area and its y scale.
struct Plot {
    height: f64,
    max: u64,
}

impl Plot {
    fn inner_w(&self) -> f64 {
        WIDTH - LEFT - RIGHT
    }

    fn inner_h(&self) -> f64 {
        self.height - TOP - BOTTOM
    }

    fn y(&self, v: u64) -> f64 {
        TOP + self.inner_h() * (1.0 - v as f64 / self.max as f64)
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at least `x`: a step people can read.
pub fn nice_step(x: u64) -> u64 {
    let mut mag: u64 = 1;
    loop {
        for m in [1u64, 2, 5] {
            match m.checked_mul(mag) {
                Some(s) if s >= x => return s,
                None => return u64::MAX,
                _ => {}
            }
        }
        match mag.checked_mul(10) {
            Some(next) => mag = next,
            None => return u64::MAX,
        }
    }
}

/// The y axis for values up to `max`: about four gridlines on round numbers.
fn scale(max: u64) -> (u64, u64) {
    let step = nice_step(max.div_ceil(4).max(1));
    (step, max.div_ceil(step).max(1).saturating_mul(step))
}

fn open(out: &mut String, id: &str, title: &str, height: f64) {
    let _ = writeln!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"{id}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}\">{}</title>",
        esc(title)
    );
}

/// Gridlines and their labels.
fn y_axis(out: &mut String, p: &Plot, step: u64) {
    let mut v = 0;
    while v <= p.max {
        let y = p.y(v);
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{GRID}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{AXIS}\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            thousands(v)
        );
        v += step;
    }
}

/// Hours between labels, so that at most about a dozen fit.
fn tick_every(n: usize) -> usize {
    [1, 2, 3, 6, 12, 24, 48, 72, 168].into_iter().find(|s| n.div_ceil(*s) <= 13).unwrap_or(168)
}

/// `14:00` within two days; `11-22` or `11-22 12:00` beyond.
fn hour_label(t: Micros, zone: &Zone, hours: usize, every: usize) -> String {
    let s = zone.format(t, false);
    match (hours <= 48, every % 24 == 0) {
        (true, _) => s[11..16].to_string(),
        (false, true) => s[5..10].to_string(),
        (false, false) => format!("{} {}", &s[5..10], &s[11..16]),
    }
}

fn x_axis(out: &mut String, p: &Plot, hours: &[Micros], zone: &Zone) {
    let n = hours.len().max(1);
    let bw = p.inner_w() / n as f64;
    let every = tick_every(n);
    let base = TOP + p.inner_h();
    let _ = writeln!(
        out,
        "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{base:.1}\" y2=\"{base:.1}\" stroke=\"{AXIS}\"/>",
        WIDTH - RIGHT
    );
    for (i, &t) in hours.iter().enumerate().step_by(every) {
        let x = LEFT + i as f64 * bw;
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{base:.1}\" y2=\"{:.1}\" stroke=\"{AXIS}\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" fill=\"{AXIS}\">{}</text>",
            base + 4.0,
            base + 17.0,
            esc(&hour_label(t, zone, n, every))
        );
    }
}

/// A chart over the hours of a period.
pub struct TimeChart<'a> {
    /// Unique in the page: the SVG's title is referred to by it.
    pub id: &'a str,
    pub title: &'a str,
    /// The start of each hour.
    pub hours: &'a [Micros],
    /// For the axis labels and tooltips.
    pub zone: &'a Zone,
    pub marks: &'a [Mark],
}

/// A moment to point at on a time chart (a compromise), with its label.
pub struct Mark {
    pub time: Micros,
    pub label: String,
}

/// Dashed vertical lines at each mark inside the chart's hours.
fn marks(out: &mut String, p: &Plot, hours: &[Micros], marks: &[Mark]) {
    const HOUR: f64 = 3_600_000_000.0;
    let Some(&start) = hours.first() else { return };
    let bw = p.inner_w() / hours.len() as f64;
    for (k, m) in marks.iter().enumerate() {
        let at = (m.time - start) as f64 / HOUR;
        if !(0.0..hours.len() as f64).contains(&at) {
            continue;
        }
        let x = LEFT + at * bw;
        let anchor = if at > hours.len() as f64 * 0.7 { "end" } else { "start" };
        let dx = if anchor == "end" { -4.0 } else { 4.0 };
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{:.1}\" stroke=\"#111827\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"#111827\">{}</text>",
            TOP + p.inner_h(),
            x + dx,
            TOP + 10.0 + 14.0 * k as f64,
            esc(&crate::text::cell(&m.label, 70))
        );
    }
}

/// One bar per hour; each bar's tooltip gives its hour and value (`unit`
/// is singular: `message`).
pub fn hourly_bars(c: &TimeChart, values: &[u64], color: &str, unit: &str) -> String {
    let (id, title, hours, zone) = (c.id, c.title, c.hours, c.zone);
    let (step, max) = scale(values.iter().copied().max().unwrap_or(0));
    let p = Plot { height: 220.0, max };
    let mut out = String::new();
    open(&mut out, id, title, p.height);
    y_axis(&mut out, &p, step);
    let bw = p.inner_w() / hours.len().max(1) as f64;
    let gap = if bw > 4.0 { 1.0 } else { 0.0 };
    for (i, (&t, &v)) in hours.iter().zip(values).enumerate() {
        if v == 0 {
            continue;
        }
        let (x, y) = (LEFT + i as f64 * bw, p.y(v));
        let _ = writeln!(
            out,
            "<rect x=\"{:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"{color}\"><title>{}: {}</title></rect>",
            x + gap / 2.0,
            (bw - gap).max(0.5),
            TOP + p.inner_h() - y,
            esc(&zone.format(t, false)[..16]),
            noun(v, unit)
        );
    }
    marks(&mut out, &p, hours, c.marks);
    x_axis(&mut out, &p, hours, zone);
    out.push_str("</svg>\n");
    out
}

/// One line per series (the top accounts), with a legend below.
pub fn hourly_lines(c: &TimeChart, series: &[(String, Vec<u64>)]) -> String {
    let (id, title, hours, zone) = (c.id, c.title, c.hours, c.zone);
    let top = series.iter().flat_map(|(_, v)| v.iter().copied()).max().unwrap_or(0);
    let (step, max) = scale(top);
    let legend_h = 20.0 * series.len() as f64;
    let p = Plot { height: 220.0, max };
    let mut out = String::new();
    open(&mut out, id, title, p.height + legend_h);
    y_axis(&mut out, &p, step);
    let bw = p.inner_w() / hours.len().max(1) as f64;
    for (k, (name, values)) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| format!("{:.1},{:.1}", LEFT + (i as f64 + 0.5) * bw, p.y(v)))
            .collect();
        let total: u64 = values.iter().sum();
        let _ = writeln!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" stroke-linejoin=\"round\">\
             <title>{}: {}</title></polyline>",
            points.join(" "),
            esc(name),
            noun(total, "message")
        );
        let y = p.height + 20.0 * k as f64 + 4.0;
        let _ = writeln!(
            out,
            "<rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"12\" height=\"12\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{} ({})</text>",
            LEFT + 18.0,
            y + 11.0,
            esc(&crate::text::cell(name, 60)),
            noun(total, "message")
        );
    }
    marks(&mut out, &p, hours, c.marks);
    x_axis(&mut out, &p, hours, zone);
    out.push_str("</svg>\n");
    out
}

/// Horizontal bars with their labels and values (countries).
pub fn hbars(id: &str, title: &str, items: &[(String, u64)], color: &str) -> String {
    const ROW: f64 = 24.0;
    const LABEL: f64 = 130.0;
    const VALUE: f64 = 70.0;
    let width = WIDTH / 2.0 - 10.0;
    let height = ROW * items.len().max(1) as f64 + 8.0;
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg class=\"chart half\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}\">{}</title>",
        esc(title)
    );
    if items.is_empty() {
        let _ = write!(out, "<text x=\"{LABEL}\" y=\"20\" fill=\"{AXIS}\">none</text>");
    }
    for (i, (name, v)) in items.iter().enumerate() {
        let y = 4.0 + i as f64 * ROW;
        let w = (width - LABEL - VALUE) * *v as f64 / max as f64;
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{:.2}\" height=\"{:.1}\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{AXIS}\">{}</text>",
            LABEL - 8.0,
            y + 15.0,
            esc(&crate::text::cell(name, 18)),
            w.max(1.0),
            ROW - 6.0,
            LABEL + w.max(1.0) + 6.0,
            y + 15.0,
            thousands(*v)
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_use_round_steps() {
        assert_eq!(scale(0), (1, 1));
        assert_eq!(scale(3), (1, 3));
        assert_eq!(scale(153), (50, 200));
        assert_eq!(scale(1000), (500, 1000));
        assert_eq!(nice_step(7), 10);
        assert_eq!(nice_step(11), 20);
    }

    #[test]
    fn labels_fit_the_span() {
        assert_eq!(tick_every(24), 2);
        assert_eq!(tick_every(168), 24);
        assert_eq!(tick_every(744), 72);
    }

    #[test]
    fn log_text_is_escaped_in_charts() {
        let evil = "<script>alert(1)</script>\u{1b}[2J".to_string();
        let svg = hbars("c", "t", &[(evil.clone(), 3)], "#000");
        assert!(!svg.contains("<script") && !svg.contains('\u{1b}'), "{svg}");
        let utc = Zone::Named(chrono_tz::UTC);
        let marks = [Mark { time: 10, label: evil.clone() }];
        let chart = TimeChart { id: "l", title: "t", hours: &[0, 3_600_000_000], zone: &utc, marks: &marks };
        let svg = hourly_lines(&chart, &[(evil, vec![1, 2])]);
        assert!(!svg.contains("<script") && svg.matches("&lt;script&gt;").count() == 3, "{svg}");
    }
}
