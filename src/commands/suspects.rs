//! `postsleuth suspects`: which account or uid was compromised, since when,
//! the evidence lines, and what to do next (`--emit`).

use super::{display_zone, finish, load_frames, stdout, Outcome, UsageError};
use crate::analyze::suspects::{self as sus, remedy, Line, Suspect, Thresholds, Who};
use crate::analyze::Frames;
use crate::cli::{Emit, Format, ScoringArgs, SuspectsArgs};
use crate::correlate::LineRef;
use crate::ingest::Dataset;
use crate::render::{markdown_escape, write_frame};
use crate::text::printable;
use crate::time::{rfc3339_utc, Micros, Zone, MICROS_PER_SEC};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;

pub fn run(a: &SuspectsArgs) -> anyhow::Result<Outcome> {
    let zone = display_zone(&a.output)?;
    let th = thresholds(&a.scoring)?;
    let (ds, frames) = load_frames(&a.input, &zone, true)?;
    let all = sus::suspects(&frames, &th)?;
    let chosen = choose(&all, &a.suspects, a.all, &th);
    for name in unknown(&all, &a.suspects) {
        super::console::say(&format!(
            "postsleuth: --suspect {:?}: no successful login or message of it in the input",
            printable(name)
        ));
    }
    let mut out = stdout();
    match a.emit {
        Some(what) => emit(what, &frames, &chosen, &th, !a.suspects.is_empty(), a.input.quiet, &mut out)?,
        None => {
            let text = fetch(&ds, &chosen);
            let report = Report {
                ds: &ds,
                frames: &frames,
                all: &all,
                chosen: &chosen,
                named: !a.suspects.is_empty(),
                th: &th,
                text: &text,
                limit: a.limit,
            };
            match a.output.format {
                Format::Json => report.json(&mut out)?,
                Format::Csv => write_frame(&ranking(&chosen)?, Format::Csv, &zone, &mut out)?,
                f => report.text(f, &zone, &mut out)?,
            }
        }
    }
    finish(out, ds)
}

/// The scoring options, checked.
pub(crate) fn thresholds(s: &ScoringArgs) -> Result<Thresholds, UsageError> {
    if !(s.ratio.is_finite() && s.ratio >= 1.0) {
        return Err(UsageError(format!("--ratio {}: use a number of at least 1", s.ratio)));
    }
    Ok(Thresholds {
        threshold: s.threshold,
        ratio: s.ratio,
        min_hours: s.min_hours.max(1),
        horizon: duration("--horizon", &s.horizon)?,
        lookback: duration("--lookback", &s.lookback)?,
        min_failures: s.min_failures.max(1),
        min_ips: s.min_ips,
    })
}

/// `90s`, `15m`, `24h`, `7d`, `2w`, or sums such as `1h30m`, in µs.
pub(crate) fn duration(option: &str, s: &str) -> Result<Micros, UsageError> {
    let bad = || UsageError(format!("{option} {s:?}: use a duration like 15m, 1h, 6h, 1d, 1w"));
    let (mut total, mut num) = (0i64, String::new());
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        let n: i64 = num.parse().map_err(|_| bad())?;
        let add = n.checked_mul(unit).and_then(|x| x.checked_mul(MICROS_PER_SEC)).ok_or_else(bad)?;
        total = total.checked_add(add).ok_or_else(bad)?;
        num.clear();
    }
    if !num.is_empty() || total <= 0 {
        return Err(bad());
    }
    Ok(total)
}

/// The names given with --suspect that match no account or uid of the input.
fn unknown<'a>(all: &[Suspect], named: &'a [String]) -> Vec<&'a String> {
    named.iter().filter(|n| !all.iter().any(|s| s.who == Who::parse(n))).collect()
}

/// The suspects to show: those named with --suspect, else those at the
/// threshold (with --all, everyone with a score).
fn choose<'a>(all: &'a [Suspect], named: &[String], everyone: bool, th: &Thresholds) -> Vec<&'a Suspect> {
    if !named.is_empty() {
        let wanted: Vec<Who> = named.iter().map(|n| Who::parse(n)).collect();
        return all.iter().filter(|s| wanted.contains(&s.who)).collect();
    }
    all.iter().filter(|s| s.is_flagged(th) || (everyone && !s.reasons.is_empty())).collect()
}

/// The raw text of every evidence line of the suspects shown.
fn fetch(ds: &Dataset, chosen: &[&Suspect]) -> BTreeMap<(String, u64), String> {
    let index: HashMap<String, u32> = ds.inputs.iter().enumerate().map(|(i, f)| (f.display(), i as u32)).collect();
    let mut wanted: BTreeSet<LineRef> = BTreeSet::new();
    for s in chosen {
        for (_, l) in s.evidence() {
            if let Some(&file) = index.get(&l.file) {
                wanted.insert(LineRef { file, line: l.line });
            }
        }
    }
    let text = crate::source::fetch::fetch_lines(&ds.inputs, &wanted, &ds.stdin_lines);
    text.into_iter().map(|(r, t)| ((ds.file_name(r), r.line), t)).collect()
}

/// The ranking for a terminal or Markdown: the story below each row has
/// the rest.
fn ranking_short(chosen: &[&Suspect]) -> PolarsResult<DataFrame> {
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
fn ranking(chosen: &[&Suspect]) -> PolarsResult<DataFrame> {
    let s = chosen;
    let login = |f: &dyn Fn(&sus::baseline::Login) -> Option<String>| -> Vec<Option<String>> {
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

/// The report: ranking, each suspect's story, brute-force sources, next steps.
struct Report<'a> {
    ds: &'a Dataset,
    frames: &'a Frames,
    all: &'a [Suspect],
    chosen: &'a [&'a Suspect],
    /// The suspects were named with --suspect (`chosen` is empty when none
    /// of them is in the input, not when no score reaches the threshold).
    named: bool,
    th: &'a Thresholds,
    text: &'a BTreeMap<(String, u64), String>,
    limit: usize,
}

impl Report<'_> {
    fn text(&self, format: Format, zone: &Zone, out: &mut dyn Write) -> anyhow::Result<()> {
        let md = format == Format::Markdown;
        let heading = |t: &str| if md { format!("## {t}\n") } else { t.to_string() };
        writeln!(out, "{}", heading(&format!("Suspects (score ≥ {})", self.th.threshold)))?;
        if self.chosen.is_empty() {
            self.none_flagged(zone, format, out)?;
        } else {
            write_frame(&ranking_short(self.chosen)?, format, zone, out)?;
        }
        for (i, s) in self.chosen.iter().enumerate() {
            writeln!(out)?;
            if md {
                self.story_markdown(i + 1, s, zone, out)?;
            } else {
                self.story(i + 1, s, zone, out)?;
            }
        }
        for (title, key) in
            [("Brute-force sources by IP", "client_ip"), ("Brute-force sources by network", "client_net")]
        {
            writeln!(out)?;
            writeln!(out, "{}", heading(title))?;
            write_frame(&sus::bruteforce::sources(self.frames, key, self.limit)?, format, zone, out)?;
        }
        self.next_steps(md, out)
    }

    /// No suspect: say so, and show the closest ones.
    fn none_flagged(&self, zone: &Zone, format: Format, out: &mut dyn Write) -> anyhow::Result<()> {
        if self.named {
            writeln!(out, "No account or uid named with --suspect logged in or sent mail. Highest scores:")?;
        } else {
            writeln!(out, "No account or uid reaches the threshold. Highest scores:")?;
        }
        let top: Vec<&Suspect> = self.all.iter().take(5).collect();
        write_frame(&ranking_short(&top)?, format, zone, out)
    }

    fn story(&self, rank: usize, s: &Suspect, zone: &Zone, out: &mut dyn Write) -> anyhow::Result<()> {
        let when = |t: Micros| zone.format(t, true);
        writeln!(out, "#{rank} {}  score {}", printable(&s.who.to_string()), s.score)?;
        for (label, value) in facts(s, &when) {
            writeln!(out, "  {label:<12} {}", printable(&value))?;
        }
        for (i, r) in s.reasons.iter().enumerate() {
            let label = if i == 0 { "reasons" } else { "" };
            writeln!(out, "  {label:<12} +{} {}", r.points, printable(&r.text))?;
        }
        writeln!(out, "  evidence")?;
        for (claim, l) in s.evidence() {
            let text = self.text.get(&(l.file.clone(), l.line)).map_or("(line no longer readable)", |t| t.as_str());
            writeln!(out, "    {}:{}  ({claim})", printable(&l.file), l.line)?;
            writeln!(out, "      {}", printable(text))?;
        }
        Ok(())
    }

    fn story_markdown(&self, rank: usize, s: &Suspect, zone: &Zone, out: &mut dyn Write) -> anyhow::Result<()> {
        let when = |t: Micros| zone.format(t, true);
        writeln!(out, "### {rank}. {} (score {})\n", markdown_escape(&s.who.to_string()), s.score)?;
        for (label, value) in facts(s, &when) {
            writeln!(out, "- **{label}**: {}", markdown_escape(&value))?;
        }
        for r in &s.reasons {
            writeln!(out, "- +{} {}", r.points, markdown_escape(&r.text))?;
        }
        writeln!(out)?;
        write_frame(&self.evidence_frame(s)?, Format::Markdown, zone, out)
    }

    fn evidence_frame(&self, s: &Suspect) -> PolarsResult<DataFrame> {
        let ev = s.evidence();
        let text: Vec<Option<&str>> =
            ev.iter().map(|(_, l)| self.text.get(&(l.file.clone(), l.line)).map(String::as_str)).collect();
        DataFrame::new_infer_height(vec![
            Column::new("claim".into(), ev.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>()),
            Column::new("file".into(), ev.iter().map(|(_, l)| l.file.as_str()).collect::<Vec<_>>()),
            Column::new("line".into(), ev.iter().map(|(_, l)| l.line).collect::<Vec<_>>()),
            Column::new("text".into(), text),
        ])
    }

    fn next_steps(&self, md: bool, out: &mut dyn Write) -> anyhow::Result<()> {
        let flagged: Vec<&&Suspect> = self.chosen.iter().filter(|s| s.is_flagged(self.th)).collect();
        if flagged.is_empty() {
            return Ok(());
        }
        let queued: u64 = flagged.iter().map(|s| s.after.still_queued).sum();
        let steps = [
            format!("postsleuth suspects --emit queue-ids … | postsuper -d -    ({queued} messages still queued)"),
            "postsleuth suspects --emit nft …    (or iptables, postfix-access: attacker IPs and networks)".into(),
            "postsleuth suspects --emit window …    (the time to review, as --since/--until)".into(),
        ];
        writeln!(out)?;
        if md {
            writeln!(out, "## Next steps\n\nWith the same paths and options; postsleuth only prints these.\n")?;
            for s in steps {
                writeln!(out, "- {}", markdown_escape(&s))?;
            }
        } else {
            writeln!(out, "Next steps (same paths and options; postsleuth only prints these)")?;
            for s in steps {
                writeln!(out, "  {s}")?;
            }
        }
        Ok(())
    }

    fn json(&self, out: &mut dyn Write) -> anyhow::Result<()> {
        use serde_json::{json, Value};
        let line = |l: &Line| json!({"time": rfc3339_utc(l.time), "file": l.file, "line": l.line});
        let suspects: Vec<Value> = self
            .chosen
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let evidence: Vec<Value> = s
                    .evidence()
                    .iter()
                    .map(|(claim, l)| {
                        let mut v = line(l);
                        v["claim"] = json!(claim);
                        v["text"] = json!(self.text.get(&(l.file.clone(), l.line)));
                        v
                    })
                    .collect();
                json!({
                    "rank": i + 1, "suspect": s.who.to_string(), "kind": s.who.kind(), "score": s.score,
                    "flagged": s.is_flagged(self.th),
                    "compromised_at": s.since().map(rfc3339_utc), "basis": s.basis(),
                    "reasons": s.reasons.iter().map(|r| json!({"points": r.points, "reason": r.text}))
                        .collect::<Vec<_>>(),
                    "login": s.compromise.as_ref().map(|l| json!({
                        "time": rfc3339_utc(l.time), "ip": l.ip, "network": l.net, "country": l.country,
                        "asn": l.asn, "as_org": l.as_org, "file": l.line.file, "line": l.line.line,
                        "new": l.new.describe(), "foreign_country": l.new.foreign})),
                    "volume": {"usual_per_hour": s.volume.usual, "abnormal_from": s.volume.bar,
                        "abnormal_hours": s.volume.abnormal.len(), "peak_hour": s.volume.peak,
                        "onset": s.onset.as_ref().map(line)},
                    "brute_force": s.wave.as_ref().map(|w| json!({"failures": w.failures, "naming_account": w.named,
                        "ips": w.ips, "networks": w.networks, "first": line(&w.first), "last": line(&w.last)})),
                    "smoking_gun": s.gun.as_ref().map(|g| json!({"ip": g.ip, "scope": g.scope, "failures": g.failures,
                        "login": line(&g.login), "last_failure": line(&g.last_failure)})),
                    "burst": s.burst.as_ref().map(|b| json!({"from": rfc3339_utc(b.from), "messages": b.messages,
                        "recipients": b.recipients, "seconds": b.lasted / MICROS_PER_SEC,
                        "messages_per_hour": b.rate, "usual_per_hour": b.usual,
                        "recipients_per_hour": b.recipient_rate, "usual_recipients_per_hour": b.usual_recipients,
                        "times_usual": b.times_usual(), "abnormal": b.abnormal, "ips_at_once": b.ips_at_once,
                        "new_senders": b.new_senders, "first": b.first.as_ref().map(line)})),
                    "abuse_ended": s.ended.as_ref().map(|e| {
                        let mut v = line(&e.line);
                        v["ip"] = json!(e.ip);
                        v
                    }),
                    "after": {"messages": s.after.messages, "recipients": s.after.recipients,
                        "deferred_or_bounced": s.after.troubled, "client_ips": s.after.client_ips,
                        "countries": s.after.countries, "still_queued": s.after.still_queued,
                        "held": s.after.held, "deleted": s.after.deleted, "rejected_by_cleanup": s.after.rejected,
                        "last": s.after.last.map(rfc3339_utc)},
                    "attacker_ips": s.attacker_ips.len(),
                    "evidence": evidence,
                })
            })
            .collect();
        let utc = Zone::Named(chrono_tz::UTC);
        let table = |key: &str| -> anyhow::Result<Value> {
            let mut buf = Vec::new();
            write_frame(&sus::bruteforce::sources(self.frames, key, self.limit)?, Format::Json, &utc, &mut buf)?;
            Ok(serde_json::from_slice(&buf)?)
        };
        let doc = json!({
            "threshold": self.th.threshold,
            "first": self.ds.span.map(|s| rfc3339_utc(s.0)), "last": self.ds.span.map(|s| rfc3339_utc(s.1)),
            "suspects": suspects,
            "brute_force_ips": table("client_ip")?,
            "brute_force_networks": table("client_net")?,
        });
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::from)?;
        writeln!(out)?;
        Ok(())
    }
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
                "{} failures ({} naming the account) from {} IPs in {} networks, {} .. {}",
                w.failures,
                w.named,
                w.ips,
                w.networks,
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
                "{} failed login from attacker IP {} (the password was changed), {}:{}",
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
                sus::human_span(b.lasted),
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

/// `--emit`: only the requested text on stdout; notes on stderr.
fn emit(
    what: Emit,
    frames: &Frames,
    chosen: &[&Suspect],
    th: &Thresholds,
    named: bool,
    quiet: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let note = |m: String| {
        if !quiet {
            super::console::say(&format!("postsleuth: {m}"));
        }
    };
    if chosen.is_empty() {
        // Named ones not in the input were reported already.
        if !named {
            note(format!("no account or uid reaches the threshold ({}); name one with --suspect", th.threshold));
        }
        return Ok(());
    }
    let text = match what {
        Emit::QueueIds => queue_ids(frames, chosen, &note)?,
        Emit::Window => remedy::window_text(chosen),
        Emit::Nft | Emit::Iptables | Emit::PostfixAccess => {
            let waves: BTreeSet<String> =
                chosen.iter().filter_map(|s| s.wave.as_ref()).flat_map(|w| w.addresses.iter().cloned()).collect();
            let logins = sus::baseline::logins(frames)?;
            let (blocks, spared) = remedy::block_list(chosen, &waves, &logins);
            note(format!("{} addresses and networks to block", blocks.len()));
            match what {
                Emit::Nft => remedy::nft(&blocks, chosen, &spared),
                Emit::Iptables => remedy::iptables(&blocks, chosen, &spared),
                _ => remedy::postfix_access(&blocks, chosen, &spared),
            }
        }
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}

/// One queue ID per line; with several hosts, a `# host NAME` line before
/// each host's IDs (postsuper warns about it and goes on).
fn queue_ids(frames: &Frames, chosen: &[&Suspect], note: &dyn Fn(String)) -> anyhow::Result<String> {
    let ids = remedy::queue_ids(frames, chosen)?;
    let hosts: BTreeSet<&str> = ids.iter().map(|(h, _)| h.as_str()).collect();
    let mut text = String::new();
    let mut last: Option<&str> = None;
    for (host, qid) in &ids {
        if hosts.len() > 1 && last != Some(host) {
            text.push_str(&format!("# host {}\n", printable(host)));
            last = Some(host);
        }
        text.push_str(&format!("{}\n", printable(qid)));
    }
    let on = hosts.iter().map(|h| printable(h).into_owned()).collect::<Vec<_>>().join(", ");
    match ids.len() {
        0 => note("no message of theirs is still queued or held at the end of the input".into()),
        n => note(format!("{n} queue IDs still queued or held at the end of the input, on {on}")),
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("--x", "24h").ok(), Some(24 * 3600 * MICROS_PER_SEC));
        assert_eq!(duration("--x", "1h30m").ok(), Some(5400 * MICROS_PER_SEC));
        assert_eq!(duration("--x", "2w").ok(), Some(14 * 86_400 * MICROS_PER_SEC));
        for bad in ["", "h", "10", "0h", "1y", "-1h", "99999999999999999w"] {
            assert!(duration("--x", bad).is_err(), "{bad}");
        }
    }
}
