//! `postsleuth suspects`: which account or uid was compromised, since when,
//! the evidence lines, and what to do next (`--emit`).

use super::{display_zone, finish, load_frames, stdout, Outcome};
use crate::analyze::suspects::{self as sus, remedy, Line, Suspect, Thresholds, Who};
use crate::analyze::Frames;
use crate::cli::{Io, ScoringArgs};
use crate::queue::QueueId;
use crate::render::doc;
use crate::render::remedy::{self as writers, Emit};
use crate::render::suspects::{document, Findings};
use crate::text::printable;
use clap::Args;
use std::collections::BTreeSet;
use std::io::Write;

pub const SUSPECTS_ABOUT: &str = "\
Rank SASL accounts and local uids by how likely they were taken over, and say since when.

Everything is learned from the input itself, at the time scale it covers (four minutes of log
or four weeks): each account's usual volume, where it logs in from, and a typical account's
rate. The compromise = the first successful login from an IP new to the account (after a
brute-force wave naming it, when there is one) that is followed by abnormal volume: abnormal
hours when the input has hours of history, else a burst of rate. Then the brute-force wave
before it, what followed (messages, recipients, deferred/bounced share, client IPs,
countries, envelope senders, held, deleted and rejected messages), the end of the abuse when
the attacker's retries start failing (the password was changed), a score with the reasons
behind it, and the log lines (file:line, raw text) that prove each claim. A uid (a web
application sending through pickup) has no logins: its compromise time is the start of its
abnormal volume.

Score (a suspect from --threshold 5):
  +3  the compromise login is from a country no other account uses (+2 if it is only new to
      the account, or a new IP that starts the burst)
  +3  abnormal volume: an hour with >= --ratio times its usual busy hour (the 90th percentile
      of its hours, taken from before a long burst), or a burst: from the login on, messages
      (>= 10) or recipients (>= 30) at >= --ratio times the usual rate, the usual rate being
      the larger of its own before the login and a typical account's (the median), over at
      least 5 minutes (after the account's first login in the input, only from >= 3
      IPs at once: there is no history to be abnormal against)
  +2  at least --min-hours abnormal hours (sustained)
  +2  >= --min-ips client IPs since the compromise, or >= 3 sending as it within 15 minutes
  +1  >= 3 countries since the compromise
  +2  >= 3 envelope senders it never used before (forged senders), since the compromise
  +1  >= 30% of its messages (at least 10) deferred or bounced
  +2  >= --min-failures auth failures naming the account before, from any number of IPs
      (a slow, distributed brute force counts the same as a fast one)
  +2  a login from a new IP whose IP or network failed >= --min-failures times just before (the
      smoking gun), or the compromise login from an IP that never failed, after the wave
      (separate infrastructure)
Messages cleanup rejected (header_checks, body_checks, milters) are rejects, not messages
sent. --all also lists the accounts and uids below the threshold with what was seen and
explained (+0: a login from a new place with no burst after it, a few auth failures, a uid's
ordinary pickup mail).

--emit prints what to do next and nothing else; postsleuth never deletes or blocks anything:
  queue-ids        the suspects' messages still queued or held at the end of the input (and
                   the bounce notifications about them), one per line, for postsuper -d -;
                   the queue IDs of one host: with several in the input, name it with --host;
                   with --spool, their messages in the live queue that arrived since the
                   compromise (the queue files name the account or uid)
  nft              attacker IPs and networks as an nftables ruleset (nft -f FILE)
  iptables         the same as iptables/ip6tables commands
  postfix-access   the same as a Postfix CIDR table for check_client_access
  window           the time to review: --since/--until from the brute force to the last
                   message or the attacker's first failed retry, whichever is later (the
                   suspect it is for is named on stderr)

Examples:
  postsleuth suspects                             /var/log/mail.log and its rotated siblings
  postsleuth suspects sample-logs/ --format json | jq '.suspects[0].compromised_at'
  postsleuth suspects --emit queue-ids | postsuper -d -
  sudo postsleuth suspects --spool /var/spool/postfix --emit queue-ids | sudo postsuper -d -
  postsleuth suspects --emit nft > /etc/nftables.d/postsleuth.nft
  postsleuth suspects --suspect uid=33 --emit window
  postsleuth suspects --all --threshold 3 --since 7d";

#[derive(Args, Debug, Clone)]
pub struct SuspectsArgs {
    /// Only this account or uid=N, whatever its score (repeatable).
    #[arg(long = "suspect", value_name = "ACCOUNT|uid=N")]
    pub suspects: Vec<String>,
    /// Also list the accounts and uids below the threshold.
    #[arg(long)]
    pub all: bool,
    /// Print what to do next instead of the report.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub emit: Option<Emit>,
    /// The live Postfix queue (read-only, e.g. /var/spool/postfix): the report says how many
    /// of the suspects' messages wait there now, and --emit queue-ids gives those.
    #[arg(long, value_name = "DIR")]
    pub spool: Option<std::path::PathBuf>,
    /// With --emit queue-ids: the host whose queue IDs to print (needed when
    /// the input is of several hosts: each host's postsuper gets its own).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// How many brute-force sources (IPs, networks) to list.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    #[command(flatten)]
    pub io: Io,
    /// Last: its help heading would otherwise carry over to the options after it.
    #[command(flatten)]
    pub scoring: ScoringArgs,
}

pub fn run(a: &SuspectsArgs) -> anyhow::Result<Outcome> {
    let zone = display_zone(&a.io.output)?;
    let th = a.scoring.thresholds()?;
    let (ds, frames) = load_frames(&a.io.input, &zone, true)?;
    if a.emit == Some(Emit::QueueIds) {
        if let Some((file, line)) = ds.diag.out_of_order() {
            refuse_queue_ids(file, line);
            finish(stdout(), ds)?;
            return Ok(Outcome::Refused);
        }
    }
    let all = sus::suspects(&frames, &th)?;
    let chosen = choose(&all, &a.suspects, a.all, &th);
    for name in unknown(&all, &a.suspects) {
        super::console::say(&format!(
            "postsleuth: --suspect {:?}: no successful login or message of it in the input",
            printable(name)
        ));
    }
    let live = match &a.spool {
        Some(dir) => Some(super::live_queue::scan_for(dir, &chosen)?),
        None => None,
    };
    let mut out = stdout();
    match (a.emit, &live, &a.spool) {
        (Some(Emit::QueueIds), Some((found, _)), Some(dir)) if !chosen.is_empty() => {
            out.write_all(crate::render::queue::queue_ids(&found.messages).as_bytes())?;
            if !a.io.input.quiet {
                super::console::say(&format!("postsleuth: {}", super::live_queue::note(dir, found)));
            }
        }
        (Some(what), _, _) => {
            let asked = Asked { named: !a.suspects.is_empty(), quiet: a.io.input.quiet, host: a.host.as_deref() };
            if !emit(what, &frames, &chosen, &th, &asked, &mut out)? {
                finish(out, ds)?;
                return Ok(Outcome::Refused);
            }
        }
        (None, _, _) => {
            let evidence: Vec<Line> = chosen.iter().flat_map(|s| s.evidence()).map(|(_, l)| l).collect();
            let quoted = super::quote::quote(&ds, evidence.iter().map(|l| (l.file.as_str(), l.line)));
            let text = |l: &Line| quoted.get(&l.file, l.line);
            let sources = |key| sus::bruteforce::sources(&frames, key, a.limit);
            let findings = Findings {
                all: &all,
                chosen: &chosen,
                named: !a.suspects.is_empty(),
                th: &th,
                text: &text,
                sources: [sources("client_ip")?, sources("client_net")?],
                span: ds.span,
            };
            let mut d = document(&findings, &zone)?;
            if let (Some((found, _)), Some(dir)) = (&live, &a.spool) {
                let geo = super::geo(&a.io.input)?;
                super::live_queue::section(&mut d, dir, &chosen, found, &geo, a.limit)?;
            }
            doc::write(&d, a.io.output.format, &zone, &mut out)?;
        }
    }
    let partial_queue = live.as_ref().is_some_and(|(_, partial)| *partial);
    match finish(out, ds)? {
        Outcome::Complete if partial_queue => Ok(Outcome::Partial),
        outcome => Ok(outcome),
    }
}

/// Queue IDs read from input out of order may be long gone, or another
/// message's (short IDs are reused): none is given for `postsuper -d`.
/// Said even with `--quiet`: it is why nothing is printed.
fn refuse_queue_ids(file: &str, line: u64) {
    super::console::say(&format!(
        "postsleuth: no queue IDs: the input is out of order (time goes back at {}:{line}), so messages \
         it shows still queued may be long gone; name the log files (they are then read oldest first) \
         or feed them oldest first (zcat mail.log.2.gz; cat mail.log.1 mail.log) and run again",
        crate::text::cell(file, 200)
    ));
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

/// What `--emit` was asked with, besides what to emit.
struct Asked<'a> {
    /// Suspects were named with --suspect.
    named: bool,
    quiet: bool,
    /// --host: whose queue IDs.
    host: Option<&'a str>,
}

/// `--emit`: only the requested text on stdout; notes on stderr. False
/// when nothing is given because it could not be trusted (queue IDs of
/// several hosts and no --host).
fn emit(
    what: Emit,
    frames: &Frames,
    chosen: &[&Suspect],
    th: &Thresholds,
    asked: &Asked,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let note = |m: String| {
        if !asked.quiet {
            super::console::say(&format!("postsleuth: {m}"));
        }
    };
    if chosen.is_empty() {
        // Named ones not in the input were reported already.
        if !asked.named {
            note(format!("no account or uid reaches the threshold ({}); name one with --suspect", th.threshold));
        }
        return Ok(true);
    }
    let text = match what {
        Emit::QueueIds => match queue_ids(frames, chosen, asked.host, &note)? {
            Some(text) => text,
            None => return Ok(false),
        },
        Emit::Window => {
            let lines = writers::window_lines(chosen);
            for (n, (who, _)) in lines.iter().enumerate() {
                note(format!("window {} of {}: {who}", n + 1, lines.len()));
            }
            lines.into_iter().map(|(_, line)| line).collect()
        }
        Emit::Nft | Emit::Iptables | Emit::PostfixAccess => {
            let waves: BTreeSet<String> =
                chosen.iter().filter_map(|s| s.wave.as_ref()).flat_map(|w| w.addresses.iter().cloned()).collect();
            let logins = sus::baseline::logins(frames)?;
            let (blocks, spared) = remedy::block_list(chosen, &waves, &logins);
            note(format!("{} addresses and networks to block", blocks.len()));
            match what {
                Emit::Nft => writers::nft(&blocks, chosen, &spared),
                Emit::Iptables => writers::iptables(&blocks, chosen, &spared),
                _ => writers::postfix_access(&blocks, chosen, &spared),
            }
        }
    };
    out.write_all(text.as_bytes())?;
    Ok(true)
}

/// One queue ID per line, of one host (`postsuper -d -` runs on one host
/// and deletes whatever its queue holds under each ID): those of `host`,
/// else of the one host there is; `None` (said even with --quiet, as it is
/// why nothing is printed) when there are several and none was chosen.
/// Each is a queue ID by its syntax ([`QueueId`]): the correlator's IDs
/// come from the log, and what is not an ID is never printed.
fn queue_ids(
    frames: &Frames,
    chosen: &[&Suspect],
    host: Option<&str>,
    note: &dyn Fn(String),
) -> anyhow::Result<Option<String>> {
    let ids = remedy::queue_ids(frames, chosen)?;
    let hosts: BTreeSet<&str> = ids.iter().map(|(h, _)| h.as_str()).collect();
    let names = |hosts: &BTreeSet<&str>| hosts.iter().map(|h| printable(h).into_owned()).collect::<Vec<_>>().join(", ");
    if host.is_none() && hosts.len() > 1 {
        super::console::say(&format!(
            "postsleuth: no queue IDs: they are on {} hosts ({}), and postsuper on one host must get only its own; \
             name the host with --host",
            hosts.len(),
            names(&hosts)
        ));
        return Ok(None);
    }
    let mut text = String::new();
    let (mut given, mut invalid) = (0, 0);
    for (_, qid) in ids.iter().filter(|(h, _)| host.is_none_or(|want| h == want)) {
        match QueueId::parse(qid) {
            Some(id) => {
                text.push_str(&format!("{id}\n"));
                given += 1;
            }
            None => invalid += 1,
        }
    }
    if invalid > 0 {
        note(format!("left out {invalid} queue IDs that are no Postfix queue ID"));
    }
    let on = match host {
        Some(h) => printable(h).into_owned(),
        None => names(&hosts),
    };
    match (given, host) {
        (0, None) => note("no message of theirs is still queued or held at the end of the input".into()),
        (0, Some(_)) => note(format!("no message of theirs is still queued or held at the end of the input on {on}")),
        (n, _) => note(format!("{n} queue IDs still queued or held at the end of the input, on {on}")),
    }
    Ok(Some(text))
}
