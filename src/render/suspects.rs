//! How `suspects` tells its findings: the ranking, each suspect's story
//! (facts, scored reasons, quoted evidence), the brute-force sources and
//! the next steps, as one [`Document`]; `--format json` holds the same
//! suspects as [`SuspectView`]s, the shape `report.json` uses too.

use super::doc::{Block, Document, Fact, Quote};
use super::view::SuspectView;
use crate::analyze::suspects::baseline::Login;
use crate::analyze::suspects::{counted, human_span, Line, Suspect, Thresholds};
use crate::time::{rfc3339_utc, Micros, Zone};
use polars::prelude::*;

/// What the suspects document is made of.
pub struct Findings<'a> {
    pub all: &'a [Suspect],
    pub chosen: &'a [&'a Suspect],
    /// The suspects were named with --suspect (`chosen` is empty when none
    /// of them is in the input, not when no score reaches the threshold).
    pub named: bool,
    pub th: &'a Thresholds,
    /// The text (and journal cursor) of an evidence line.
    pub text: &'a dyn Fn(&Line) -> Option<crate::source::fetch::Fetched>,
    /// The brute-force sources by IP and by network.
    pub sources: [DataFrame; 2],
    /// First and last line of the input.
    pub span: Option<(Micros, Micros)>,
}

/// The whole answer of `suspects`.
pub fn document(f: &Findings, zone: &Zone) -> PolarsResult<Document> {
    let mut d = Document::default();
    d.data("threshold", f.th.threshold);
    d.data("first", f.span.map(|s| rfc3339_utc(s.0)));
    d.data("last", f.span.map(|s| rfc3339_utc(s.1)));
    d.heading(2, format!("Suspects (score ≥ {})", f.th.threshold));
    if f.chosen.is_empty() {
        let lead = if f.named {
            "No account or uid named with --suspect logged in or sent mail. Highest scores:"
        } else {
            "No account or uid reaches the threshold. Highest scores:"
        };
        d.push(Block::Lines(vec![lead.into()]));
        let top: Vec<&Suspect> = f.all.iter().take(5).collect();
        d.push(Block::Table { key: None, frame: ranking_short(&top)?, people: true, csv: false });
    } else {
        d.push(Block::Table { key: None, frame: ranking_short(f.chosen)?, people: true, csv: false });
    }
    d.push(Block::Table { key: None, frame: ranking(f.chosen)?, people: false, csv: true });
    let views: Vec<SuspectView> =
        f.chosen.iter().enumerate().map(|(i, s)| SuspectView::new(i + 1, s, f.th, f.text)).collect();
    d.data("suspects", serde_json::to_value(&views).map_err(|e| polars_err!(ComputeError: "{e}"))?);
    for (i, s) in f.chosen.iter().enumerate() {
        story(&mut d, i + 1, s, &views[i].evidence, zone);
    }
    let [by_ip, by_net] = &f.sources;
    for (title, key, frame) in [
        ("Brute-force sources by IP", "brute_force_ips", by_ip),
        ("Brute-force sources by network", "brute_force_networks", by_net),
    ] {
        d.heading(2, title);
        d.push(Block::Table { key: Some(key.into()), frame: frame.clone(), people: true, csv: false });
    }
    next_steps(&mut d, f);
    Ok(d)
}

/// One suspect: heading, facts, reasons, evidence.
fn story(d: &mut Document, rank: usize, s: &Suspect, evidence: &[Quote], zone: &Zone) {
    let when = |t: Micros| zone.format(t, true);
    d.heading(3, format!("#{rank} {}  score {}", s.who, s.score));
    let mut lines: Vec<Fact> = facts(s, &when).into_iter().map(|(l, v)| Fact::new(l, v)).collect();
    for (i, r) in s.reasons.iter().enumerate() {
        lines.push(Fact::reason(if i == 0 { "reasons" } else { "" }, r.points, r.text.clone()));
    }
    d.push(Block::Facts(lines));
    d.push(Block::Evidence(evidence.to_vec()));
}

fn next_steps(d: &mut Document, f: &Findings) {
    let flagged: Vec<&&Suspect> = f.chosen.iter().filter(|s| s.is_flagged(f.th)).collect();
    if flagged.is_empty() {
        return;
    }
    let queued: u64 = flagged.iter().map(|s| s.after.still_queued).sum();
    let items = vec![
        format!("postsleuth suspects --emit queue-ids … | postsuper -d -    ({queued} messages still queued)"),
        "postsleuth suspects --emit nft …    (or iptables, postfix-access: attacker IPs and networks)".into(),
        "postsleuth suspects --emit window …    (the time to review, as --since/--until)".into(),
    ];
    d.push(Block::List { lead: "Next steps (same paths and options; postsleuth only prints these)".into(), items });
}

/// The ranking for a terminal or Markdown: the story below each row has
/// the rest.
pub fn ranking_short(chosen: &[&Suspect]) -> PolarsResult<DataFrame> {
    let full = ranking(chosen)?;
    let from: Vec<Option<String>> = chosen
        .iter()
        .map(|s| s.compromise.as_ref().map(|l| format!("{} ({})", l.ip, l.country.as_deref().unwrap_or("?"))))
        .collect();
    let evidence: Vec<Option<String>> = chosen
        .iter()
        .map(|s| s.compromise.as_ref().map(|l| &l.line).or(s.onset.as_ref()).map(|l| format!("{}:{}", l.file, l.line)))
        .collect();
    let mut df = full.select([
        "rank",
        "suspect",
        "score",
        "compromised_at",
        "messages",
        "client_ips",
        "brute_force_failures",
        "still_queued",
    ])?;
    df.insert_column(4, Column::new("from".into(), from))?;
    df.with_column(Column::new("evidence".into(), evidence))?;
    Ok(df)
}

/// The ranking, one row per suspect shown.
pub fn ranking(chosen: &[&Suspect]) -> PolarsResult<DataFrame> {
    let s = chosen;
    let login = |f: &dyn Fn(&Login) -> Option<String>| -> Vec<Option<String>> {
        s.iter().map(|x| x.compromise.as_ref().and_then(f)).collect()
    };
    let evidence: Vec<Option<&Line>> =
        s.iter().map(|x| x.compromise.as_ref().map(|l| &l.line).or(x.onset.as_ref())).collect();
    let since: Vec<Option<i64>> = s.iter().map(|x| x.since()).collect();
    let pct = |x: &Suspect| (x.after.troubled_share() * 100.0).round() as u32;
    let cols = vec![
        Column::new("rank".into(), (1..=s.len() as u32).collect::<Vec<_>>()),
        Column::new("suspect".into(), s.iter().map(|x| x.who.to_string()).collect::<Vec<_>>()),
        Column::new("score".into(), s.iter().map(|x| x.score).collect::<Vec<_>>()),
        Series::new("compromised_at".into(), since)
            .cast(&DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)))?
            .into(),
        Column::new("basis".into(), s.iter().map(|x| x.basis()).collect::<Vec<_>>()),
        Column::new("from_ip".into(), login(&|l| Some(l.ip.clone()))),
        Column::new("country".into(), login(&|l| l.country.clone())),
        Column::new("messages".into(), s.iter().map(|x| x.after.messages).collect::<Vec<_>>()),
        Column::new("recipients".into(), s.iter().map(|x| x.after.recipients).collect::<Vec<_>>()),
        Column::new("deferred_bounced_pct".into(), s.iter().map(|x| pct(x)).collect::<Vec<_>>()),
        Column::new("client_ips".into(), s.iter().map(|x| x.after.client_ips).collect::<Vec<_>>()),
        Column::new("countries".into(), s.iter().map(|x| x.after.countries).collect::<Vec<_>>()),
        Column::new(
            "brute_force_failures".into(),
            s.iter().map(|x| x.wave.as_ref().map(|w| w.failures)).collect::<Vec<_>>(),
        ),
        Column::new("still_queued".into(), s.iter().map(|x| x.after.still_queued).collect::<Vec<_>>()),
        Column::new("file".into(), evidence.iter().map(|l| l.map(|l| l.file.clone())).collect::<Vec<_>>()),
        Column::new("line".into(), evidence.iter().map(|l| l.map(|l| l.line)).collect::<Vec<_>>()),
    ];
    DataFrame::new_infer_height(cols)
}

/// The story of one suspect as labelled lines.
fn facts(s: &Suspect, when: &dyn Fn(Micros) -> String) -> Vec<(&'static str, String)> {
    let mut f = Vec::new();
    if let Some(l) = &s.compromise {
        f.push(("compromised", format!("{} login from {}, {}:{}", when(l.time), l.place(), l.line.file, l.line.line)));
    } else if let Some(o) = &s.onset {
        f.push(("since", format!("{} first message of the abnormal volume, {}:{}", when(o.time), o.file, o.line)));
    }
    if let Some(w) = &s.wave {
        f.push((
            "brute force",
            format!(
                "{} auth failures ({} naming the account) from {} in {}, {} .. {}",
                w.failures,
                w.named,
                counted(w.ips, "IP"),
                counted(w.networks, "network"),
                when(w.first.time),
                when(w.last.time)
            ),
        ));
    }
    let a = &s.after;
    let scope = if s.since().is_some() { "since then" } else { "in all" };
    let mut queue = format!("{} still queued", a.still_queued);
    for (n, what) in [(a.held, "on hold"), (a.deleted, "deleted"), (a.rejected, "rejected by cleanup")] {
        if n > 0 {
            queue.push_str(&format!(", {n} {what}"));
        }
    }
    f.push((
        scope,
        format!(
            "{} messages, {} recipients, {:.0}% deferred or bounced, {} client IPs, {} countries, {queue}",
            a.messages,
            a.recipients,
            a.troubled_share() * 100.0,
            a.client_ips,
            a.countries,
        ),
    ));
    if let Some(e) = &s.ended {
        f.push((
            "abuse ended",
            format!(
                "{} auth failure from attacker IP {} (the password was changed), {}:{}",
                when(e.line.time),
                e.ip,
                e.line.file,
                e.line.line
            ),
        ));
    }
    let v = &s.volume;
    let hours = v.abnormal.len();
    let burst = s.burst.as_ref().filter(|b| b.abnormal && hours == 0);
    if burst.is_none() {
        f.push((
            "volume",
            format!("usual hour {:.0} messages; {hours} hours with ≥ {:.0}, peak {}", v.usual, v.bar, v.peak),
        ));
    }
    if let Some(b) = burst {
        f.push((
            "burst",
            format!(
                "{} messages, {} recipients in {} ({:.0} an hour against a usual {:.1}), {} IPs at once, {} new senders",
                b.messages,
                b.recipients,
                human_span(b.lasted),
                b.rate,
                b.usual,
                b.ips_at_once,
                b.new_senders
            ),
        ));
    }
    if let Some(l) = s.compromise.as_ref().and(s.onset.as_ref()) {
        f.push(("spam from", format!("{} ({}:{})", when(l.time), l.file, l.line)));
    }
    f
}
