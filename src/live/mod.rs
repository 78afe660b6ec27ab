//! `watch`'s engine: the `suspects` rules applied as lines arrive.
//!
//! **One method, not two.** Alerts must name the account and compromise
//! time `postsleuth suspects` names on the finished file, so the live
//! engine runs the batch method itself ([`crate::analyze::suspects::suspects`])
//! on the frames of a rolling window of the log, rather than an
//! incremental re-implementation of its rules that would drift from it.
//! What makes that affordable:
//!
//! - **Correlation goes on.** The lines are correlated as they arrive by
//!   the batch pipeline's own correlation ([`crate::ingest::tail`]); the
//!   history read at start (`--since`, `--from-start`, rotated and
//!   compressed siblings included) goes through the batch ingest, at its
//!   speed, which hands back the correlation unfinished, so catching up
//!   *is* the batch pipeline and the live lines continue the same
//!   messages and sessions. An evaluation finishes a copy of the
//!   correlation ([`crate::ingest::tail::Tail::snapshot`]), builds the
//!   frames of the window (`--window`, by default the rules' lookback plus
//!   their horizon: 48 hours) and runs `suspects` and the live
//!   thresholds ([`crate::analyze::signals`]) on them.
//! - **Evaluations are debounced.** At most one per half second of wall
//!   time, less often when one costs more (twice its cost); and at least
//!   one per `--step` (a minute) of log time, taken before later lines are
//!   read, so that a backlog read at full speed is judged as often as the
//!   live log would be, and finds an incident within minutes of log time.
//! - **Memory stays flat.** The lines of the window are kept, compressed
//!   ([`retain`]); once the correlation holds more than the window plus
//!   `--rebuild` (six hours), it is rebuilt from the kept lines alone, which
//!   lets go of older records, interned strings and in-flight state (the
//!   interner only grows otherwise). The kept lines also quote evidence
//!   after the file has rotated away, and are what the state file saves.
//!
//! The alternative, keeping only the lines and correlating the window again
//! at every evaluation, is simpler but pays the window's parse and
//! correlation every time: at the sample incident's volume about as much
//! again as the evaluation itself, on a busy server seconds, where the copy
//! costs a few percent of an evaluation (`benches/RESULTS.md`).
//!
//! A suspect is alerted once the rules date its compromise, and once that
//! time has held for `--confirm` (ten minutes of log) unless it is the
//! time already alerted: early in a spam run the rules may date it by a
//! burst that a later abnormal hour dates earlier, at the login the
//! finished log names. The login that follows a brute force naming the
//! account is alerted at once ([`crate::analyze::signals`]), dated by that
//! login.

pub mod alert;
pub mod exec;
pub mod metrics;
pub mod retain;
pub mod standin;
pub mod state;

/// The live line sources (`source::follow` once it lands).
pub use standin as follow;

use crate::analyze::signals::{self, Limits, Signal};
use crate::analyze::suspects::{self as sus, baseline, remedy, Suspect, Thresholds, Who};
use crate::analyze::Frames;
use crate::enrich::Geo;
use crate::ingest::tail::Tail;
use crate::ingest::IngestOptions;
use crate::queue::QueueId;
use crate::render::alert::{Alert, Crossed, NextSteps, QueuedId, Reason, Seen};
use crate::render::doc::Quote;
use crate::source::fetch::Fetched;
use crate::time::{rfc3339_utc, Micros, MICROS_PER_SEC};
use crate::window::Window;
use alert::{Memory, Sent};
use follow::LiveLine;
use retain::Retained;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How the engine judges and when.
#[derive(Clone, Debug)]
pub struct Settings {
    pub th: Thresholds,
    pub limits: Limits,
    /// The log time the rules look at, back from the newest line.
    pub window: Micros,
    /// How much longer than the window the correlation grows before it is
    /// rebuilt from the kept lines.
    pub rebuild: Micros,
    /// The most log time between two evaluations.
    pub step: Micros,
    /// Nothing before this counts (`--since`).
    pub since: Option<Micros>,
    /// How long (log time) a suspect's compromise time must stay the same
    /// before it is alerted (unless alerted already).
    pub confirm: Micros,
    /// The fewest wall-clock time between two evaluations.
    pub debounce: Duration,
    /// How the log is named in the next steps' commands.
    pub log_name: String,
}

/// Lines fed between two checks of the log time: a check per line would
/// cost a parse call per line; this many lines of a quiet log span about a
/// minute, of a busy one a fraction of a second.
const SLICE: usize = 8;

/// What the evaluations cost, for the adaptive debounce and `--metrics`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Costs {
    pub evaluations: u64,
    pub total: Duration,
    pub last: Duration,
    pub max: Duration,
    pub rebuilds: u64,
    pub last_rebuild: Duration,
    /// Of the evaluations' time, copying and finishing the correlation.
    pub snapshots: Duration,
    pub max_snapshot: Duration,
}

/// The engine: the correlation, the kept lines, and the alerts sent.
pub struct Engine {
    tail: Tail,
    /// The lines kept, filled by the correlation's keeper ([`keeper`]).
    retained: Rc<RefCell<Retained>>,
    settings: Settings,
    ingest: IngestOptions,
    geo: Geo,
    memory: Memory,
    /// Live inputs (the follower's generations) → the correlation's inputs.
    inputs: BTreeMap<u32, u32>,
    /// Lines of a live input already read by the catch-up: (input, lines).
    skip: Option<(u32, u64)>,
    /// From this log time on, every line is kept: a rebuild needs it.
    kept_from: Option<Micros>,
    /// The log time the correlation's records start at.
    records_from: Option<Micros>,
    /// The newest log time at the last evaluation.
    judged_at: Option<Micros>,
    /// When the last evaluation ended (wall clock).
    judged_when: Option<Instant>,
    /// Lines fed since the last evaluation.
    pending: u64,
    /// Lines fed in all (those the catch-up read already left out).
    fed: u64,
    /// Lines of the followed file passed over: the catch-up read them.
    pub skipped: u64,
    /// Lines the follower gave, in all: slices end at multiples of
    /// [`SLICE`] of it, whatever the polls' sizes.
    sliced: u64,
    /// The newest line fed: input, line.
    last_line: Option<(u32, u64)>,
    pub costs: Costs,
    /// The top accounts by messages in the window, at the last evaluation.
    pub top: Vec<metrics::AccountFigures>,
    /// Each flagged suspect's compromise time, and since when (log time)
    /// the rules give it.
    dated: BTreeMap<String, (Micros, Micros)>,
}

/// What [`Engine::new`] starts from.
pub struct Start {
    /// A correlation whose keeper fills `retained` ([`keeper`]).
    pub tail: Tail,
    pub retained: Rc<RefCell<Retained>>,
    pub memory: Memory,
    /// Live inputs already known (from a state file) → correlation inputs.
    pub inputs: BTreeMap<u32, u32>,
    /// Lines of live input 0 that the catch-up read already, and the
    /// correlation input they were read as.
    pub caught_up: Option<(u32, u64)>,
    /// Every line from this time on is in `retained`.
    pub kept_from: Micros,
}

/// A keeper for a correlation: every line from `from` on goes to `kept`
/// (a line without a time once one with a time has).
pub fn keeper(kept: &Rc<RefCell<Retained>>, from: Micros) -> crate::ingest::Keeper {
    let kept = kept.clone();
    Box::new(move |file, line, raw, time, year| {
        let mut k = kept.borrow_mut();
        let keep = match time {
            Some(t) => t >= from,
            None => from == Micros::MIN || k.newest().is_some(),
        };
        if keep {
            k.keep(file, line, raw, time, year);
        }
    })
}

impl Engine {
    pub fn new(start: Start, settings: Settings, ingest: IngestOptions, geo: Geo) -> Engine {
        let mut inputs = start.inputs;
        let skip = start.caught_up.map(|(file, lines)| {
            inputs.insert(0, file);
            (0, lines)
        });
        let records_from = start.tail.span().map(|s| s.0);
        let judged_at = start.tail.span().map(|s| s.1);
        Engine {
            tail: start.tail,
            retained: start.retained,
            settings,
            ingest,
            geo,
            memory: start.memory,
            inputs,
            skip,
            kept_from: Some(start.kept_from),
            records_from,
            judged_at,
            judged_when: None,
            pending: 0,
            fed: 0,
            skipped: 0,
            sliced: 0,
            last_line: None,
            costs: Costs::default(),
            top: Vec::new(),
            dated: BTreeMap::new(),
        }
    }

    /// Correlates `lines`, judging at every [`Settings::step`] of log time
    /// on the way; `name` names a live input; alerts go to `out`.
    /// Once `stop` says so, the rest is only correlated (and kept): the
    /// lines polled are all read before a state file says where the log
    /// was read up to.
    pub fn feed(
        &mut self,
        lines: &[LiveLine],
        name: &dyn Fn(u32) -> String,
        stop: &dyn Fn() -> bool,
        out: &mut dyn FnMut(Alert),
    ) -> anyhow::Result<()> {
        let mut i = 0;
        while i < lines.len() {
            let first = &lines[i];
            let room = SLICE - (self.sliced % SLICE as u64) as usize;
            let mut j = i + 1;
            while j < lines.len()
                && j - i < room
                && lines[j].input == first.input
                && lines[j].line == lines[j - 1].line + 1
            {
                j += 1;
            }
            // A slice ends before a line past the step: judged before it.
            if j - i > 1 && self.pending > 0 && self.step_passed(&lines[j - 1]) {
                j = (i + 1..j).find(|&k| self.step_passed(&lines[k])).unwrap_or(j);
            }
            self.sliced += (j - i) as u64;
            // Judged before the first line past the step is read, as the
            // wall clock would have judged in the quiet before it.
            if self.pending > 0 && self.step_passed(first) && !stop() {
                self.evaluate(out)?;
            }
            self.slice(&lines[i..j], name);
            i = j;
            if let (Some((_, newest)), false) = (self.tail.span(), stop()) {
                self.maybe_rebuild(newest)?;
            }
        }
        Ok(())
    }

    /// Whether `line` (not read yet) is a step of log time or more past the
    /// last evaluation.
    fn step_passed(&self, line: &LiveLine) -> bool {
        let Some(judged) = self.judged_at.or(self.tail.span().map(|s| s.0)) else { return false };
        let Some(&file) = self.inputs.get(&line.input) else { return false };
        self.tail.peek_time(file, &line.bytes).is_some_and(|t| t >= judged.saturating_add(self.settings.step))
    }

    /// Keeps and correlates consecutive lines of one live input.
    fn slice(&mut self, lines: &[LiveLine], name: &dyn Fn(u32) -> String) {
        let input = lines[0].input;
        let lines = match self.skip {
            Some((skip_input, n)) if skip_input == input => {
                let done = lines.iter().take_while(|l| l.line <= n).count();
                self.skipped += done as u64;
                &lines[done..]
            }
            _ => lines,
        };
        let Some(first) = lines.first() else { return };
        let tail = &mut self.tail;
        let file = *self.inputs.entry(input).or_insert_with(|| tail.add_input(&name(input)));
        let mut text = Vec::with_capacity(lines.iter().map(|l| l.bytes.len() + 1).sum());
        for l in lines {
            text.extend_from_slice(&l.bytes);
            text.push(b'\n');
        }
        self.tail.feed(file, first.line, text);
        if let Some((start, _)) = self.tail.span() {
            self.records_from.get_or_insert(start);
        }
        self.fed += lines.len() as u64;
        self.pending += lines.len() as u64;
        self.last_line = lines.last().map(|l| (file, l.line));
    }

    /// Whether lines came since the last evaluation.
    pub fn dirty(&self) -> bool {
        self.pending > 0
    }

    /// Whether an evaluation is due by the wall clock: lines came, and the
    /// last one ended at least the debounce (or twice its cost) ago.
    pub fn due(&self) -> bool {
        let gap = self.settings.debounce.max(self.costs.last * 2);
        self.dirty() && self.judged_when.is_none_or(|t| t.elapsed() >= gap)
    }

    /// The lines fed in all.
    pub fn lines_fed(&self) -> u64 {
        self.fed
    }

    /// Judges the window now; alerts go to `out`.
    pub fn evaluate(&mut self, out: &mut dyn FnMut(Alert)) -> anyhow::Result<()> {
        let started = Instant::now();
        let found = self.judge()?;
        self.pending = 0;
        if let Some(mut found) = found {
            self.judged_at = Some(found.newest);
            self.top = std::mem::take(&mut found.top);
            for a in self.alerts(&found)? {
                out(a);
            }
            self.memory.forget_before(found.newest.saturating_sub(self.settings.window));
        }
        let cost = started.elapsed();
        let c = &mut self.costs;
        c.evaluations += 1;
        c.total += cost;
        c.last = cost;
        c.max = c.max.max(cost);
        self.judged_when = Some(Instant::now());
        Ok(())
    }

    /// The frames of the window, and what the rules find in them.
    fn judge(&mut self) -> anyhow::Result<Option<Found>> {
        let copying = Instant::now();
        let mut ds = self.tail.snapshot();
        let copied = copying.elapsed();
        self.costs.snapshots += copied;
        self.costs.max_snapshot = self.costs.max_snapshot.max(copied);
        let Some((_, newest)) = ds.span else { return Ok(None) };
        let from = newest.saturating_sub(self.settings.window);
        let since = self.settings.since.map_or(from, |s| s.max(from));
        let window = Window { since: Some(since), until: None };
        let frames = Frames::build(&mut ds, &window, &self.geo)?;
        let th = &self.settings.th;
        let (all, learned) = sus::suspects_learned(&frames, th)?;
        let scores: BTreeMap<String, u32> = all.iter().map(|s| (s.who.to_string(), s.score)).collect();
        let top = signals::top_accounts(&frames, TOP)?
            .into_iter()
            .map(|(account, messages, recipients, troubled)| metrics::AccountFigures {
                score: scores.get(&account).copied().unwrap_or(0),
                account,
                messages,
                recipients,
                troubled,
            })
            .collect();
        // A suspect is alerted once its compromise time is known: before,
        // the volume that dates it has not come yet, and the time given
        // would not be the one the finished log gives.
        let mut signals = signals::check(&frames, &self.settings.limits, th, newest, &learned)?;
        signals.extend(signals::pickup_bursts(&all, th));
        let suspects: Vec<Suspect> = all.into_iter().filter(|s| s.is_flagged(th) && s.since().is_some()).collect();
        Ok(Some(Found { newest, frames, suspects, signals, top }))
    }

    /// The alerts of what was found that the memory lets through.
    fn alerts(&mut self, found: &Found) -> anyhow::Result<Vec<Alert>> {
        let mut out = Vec::new();
        let ready: Vec<&Suspect> = found.suspects.iter().filter(|s| self.settled(s, found.newest)).collect();
        let keys: BTreeSet<String> = found.suspects.iter().map(|s| s.who.to_string()).collect();
        self.dated.retain(|k, _| keys.contains(k));
        let flagged: BTreeSet<Who> = ready.iter().map(|s| s.who.clone()).collect();
        for s in ready {
            let mine: Vec<&Signal> = found.signals.iter().filter(|g| g.who.as_ref() == Some(&s.who)).collect();
            let sent =
                Sent { at: found.newest, score: s.score, kinds: suspect_kinds(s, &mine), compromised_at: s.since() };
            if let Some(because) = self.memory.admit(&s.who.to_string(), sent) {
                out.push(self.suspect_alert(found, s, &mine, because)?);
            }
        }
        // Thresholds crossed by who is not a suspect, one alert each (the
        // whole server's under one key).
        let mut by_who: BTreeMap<Option<Who>, Vec<&Signal>> = BTreeMap::new();
        for g in found.signals.iter().filter(|g| g.who.as_ref().is_none_or(|w| !flagged.contains(w))) {
            by_who.entry(g.who.clone()).or_default().push(g);
        }
        for (who, mine) in by_who {
            let key = who.as_ref().map_or(String::new(), Who::to_string);
            let kinds = mine.iter().map(|g| g.kind.as_str().to_string()).collect();
            let since = mine.iter().filter_map(|g| g.since.as_ref()).map(|l| l.time).min();
            let sent = Sent { at: found.newest, score: 0, kinds, compromised_at: since };
            if let Some(because) = self.memory.admit(&key, sent) {
                out.push(self.signal_alert(found, who.as_ref(), &mine, because));
            }
        }
        Ok(out)
    }

    fn suspect_alert(&self, found: &Found, s: &Suspect, mine: &[&Signal], because: String) -> anyhow::Result<Alert> {
        let th = &self.settings.th;
        let mut crossed = vec![Crossed {
            what: "score".into(),
            value: f64::from(s.score),
            threshold: f64::from(th.threshold),
            over_seconds: Some(self.settings.window / MICROS_PER_SEC),
            detail: format!("suspects score {} (threshold {})", s.score, th.threshold),
        }];
        crossed.extend(mine.iter().map(|g| crossing(g)));
        let mut lines: Vec<(String, sus::Line)> = s.evidence();
        lines.extend(mine.iter().flat_map(|g| g.lines.iter().cloned()));
        let login = s.compromise.as_ref().map(|l| {
            serde_json::json!({"time": rfc3339_utc(l.time), "ip": l.ip, "network": l.net, "country": l.country,
                "asn": l.asn, "as_org": l.as_org, "file": l.line.file, "line": l.line.line,
                "new": l.new.describe(), "place": l.place()})
        });
        Ok(Alert {
            alert: "suspect",
            at: rfc3339_utc(found.newest),
            suspect: Some(s.who.to_string()),
            kind: Some(s.who.kind()),
            because,
            score: Some(s.score),
            threshold: Some(th.threshold),
            compromised_at: s.since().map(rfc3339_utc),
            basis: s.basis(),
            login,
            crossed,
            reasons: s.reasons.iter().map(|r| Reason { points: r.points, reason: r.text.clone() }).collect(),
            evidence: self.quotes(lines),
            next_steps: self.next_steps(&found.frames, s)?,
            seen_through: self.seen(found.newest),
        })
    }

    fn signal_alert(&self, found: &Found, who: Option<&Who>, mine: &[&Signal], because: String) -> Alert {
        let lines = mine.iter().flat_map(|g| g.lines.iter().cloned()).collect();
        let since = mine.iter().filter_map(|g| g.since.as_ref()).min_by_key(|l| l.time);
        Alert {
            alert: "signal",
            at: rfc3339_utc(found.newest),
            suspect: who.map(Who::to_string),
            kind: who.map(Who::kind),
            because,
            score: None,
            threshold: None,
            compromised_at: since.map(|l| rfc3339_utc(l.time)),
            basis: since.map(|_| "login after auth failures"),
            login: None,
            crossed: mine.iter().map(|g| crossing(g)).collect(),
            reasons: Vec::new(),
            evidence: self.quotes(lines),
            next_steps: NextSteps {
                commands: who.map(|w| self.commands(w)).unwrap_or_default(),
                ..NextSteps::default()
            },
            seen_through: self.seen(found.newest),
        }
    }

    /// Whether suspect `s`'s compromise time is one to alert: it is the
    /// one last alerted for it, or the history read at start gives it, or
    /// it has stayed the same for
    /// [`Settings::confirm`] of log time. As more of the log comes, the
    /// rules may date a compromise earlier (an abnormal hour makes a login
    /// qualify that a burst did not); the time given is the one the
    /// finished log gives far more often after a few minutes.
    fn settled(&mut self, s: &Suspect, now: Micros) -> bool {
        let (key, since) = (s.who.to_string(), s.since());
        // The first evaluation judges the history read at start (or kept in
        // a state file) as a whole, as `suspects` would.
        if since.is_some() && (self.costs.evaluations == 0 || self.memory.compromised_at(&key) == since) {
            return true;
        }
        match self.dated.get(&key) {
            Some(&(t, from)) if Some(t) == since => now.saturating_sub(from) >= self.settings.confirm,
            _ => {
                if let Some(t) = since {
                    self.dated.insert(key, (t, now));
                }
                self.settings.confirm <= 0
            }
        }
    }

    /// The newest line read, by name.
    fn seen(&self, newest: Micros) -> Option<Seen> {
        let (file, line) = self.last_line?;
        let name = self.tail.inputs().get(file as usize)?.display();
        Some(Seen { time: rfc3339_utc(newest), file: name, line })
    }

    /// The evidence lines, in time order, each once, with its text: from
    /// the kept lines, or read back from the file (the history read at
    /// start is not kept).
    fn quotes(&self, mut lines: Vec<(String, sus::Line)>) -> Vec<Quote> {
        lines.sort_by(|a, b| (a.1.time, &a.1.file, a.1.line).cmp(&(b.1.time, &b.1.file, b.1.line)));
        lines.dedup_by(|a, b| a.1 == b.1);
        let index: BTreeMap<String, u32> =
            self.tail.inputs().iter().enumerate().map(|(i, input)| (input.display(), i as u32)).collect();
        let refs: BTreeSet<crate::correlate::LineRef> = lines
            .iter()
            .filter_map(|(_, l)| Some(crate::correlate::LineRef { file: *index.get(&l.file)?, line: l.line }))
            .filter(|r| self.retained.borrow().line(r.file, r.line).is_none())
            .collect();
        let from_files = crate::source::fetch::fetch_lines(self.tail.inputs(), &refs, &[]);
        lines
            .into_iter()
            .map(|(claim, l)| {
                let file = index.get(&l.file).copied();
                let kept = file.and_then(|f| self.retained.borrow().line(f, l.line)).map(|t| Fetched::of(&t));
                let read = file.and_then(|f| from_files.get(&crate::correlate::LineRef { file: f, line: l.line }));
                let fetched = kept.or_else(|| read.cloned());
                Quote {
                    time: rfc3339_utc(l.time),
                    file: l.file.clone(),
                    line: l.line,
                    claim: Some(claim),
                    text: fetched.as_ref().map(|f| f.text.clone()),
                    cursor: fetched.and_then(|f| f.cursor),
                }
            })
            .collect()
    }

    /// What `suspects` would say to do next, for this suspect.
    fn next_steps(&self, frames: &Frames, s: &Suspect) -> anyhow::Result<NextSteps> {
        let queue_ids = remedy::queue_ids(frames, &[s])?
            .into_iter()
            .filter_map(|(host, qid)| QueueId::parse(&qid).map(|id| QueuedId { host, queue_id: id.to_string() }))
            .collect();
        let waves: BTreeSet<String> = s.wave.iter().flat_map(|w| w.addresses.iter().cloned()).collect();
        let logins = baseline::logins(frames)?;
        let (blocks, _) = remedy::block_list(&[s], &waves, &logins);
        let review = remedy::window(s).map(|(a, b)| [rfc3339_utc(a), rfc3339_utc(b)]);
        Ok(NextSteps {
            queue_ids,
            block: blocks.into_iter().map(|b| b.cidr).collect(),
            review,
            commands: self.commands(&s.who),
        })
    }

    /// The `suspects` commands that act on `who`, for this log.
    fn commands(&self, who: &Who) -> Vec<String> {
        let log = shell_word(&self.settings.log_name);
        let who = shell_word(&who.to_string());
        vec![
            format!("postsleuth suspects --suspect {who} --emit queue-ids {log} | postsuper -h -"),
            format!("postsleuth suspects --suspect {who} --emit nft {log}"),
            format!("postsleuth suspects --suspect {who} --emit window {log}"),
        ]
    }

    /// Rebuilds the correlation from the kept lines once it holds more than
    /// the window and the rebuild margin, and every line of the window is
    /// kept.
    fn maybe_rebuild(&mut self, newest: Micros) -> anyhow::Result<()> {
        let cutoff = newest.saturating_sub(self.settings.window);
        let (Some(records), Some(kept)) = (self.records_from, self.kept_from) else { return Ok(()) };
        if kept > cutoff || newest.saturating_sub(records) < self.settings.window + self.settings.rebuild {
            return Ok(());
        }
        let started = Instant::now();
        self.retained.borrow_mut().drop_before(cutoff);
        let mut fresh = self.replay()?;
        let placeholder = Tail::new(&self.ingest, Default::default(), &[], None);
        fresh.take_over(std::mem::replace(&mut self.tail, placeholder));
        self.tail = fresh;
        self.records_from = self.tail.span().map(|s| s.0);
        crate::mem::give_back();
        self.costs.rebuilds += 1;
        self.costs.last_rebuild = started.elapsed();
        Ok(())
    }

    /// A correlation of the kept lines alone, silent.
    fn replay(&self) -> anyhow::Result<Tail> {
        let names: Vec<String> = self.tail.inputs().iter().map(|i| i.display()).collect();
        replay(&self.retained.borrow(), &names, &self.ingest)
    }

    /// Writes the state file: where `follow` stood, the kept lines, the
    /// alerts sent.
    pub fn save(&self, path: &std::path::Path, source: &str, follow: follow::FollowState) -> std::io::Result<()> {
        let names = self.tail.inputs().iter().map(|i| i.display()).collect();
        let mut kept = self.retained.borrow_mut();
        let saving = state::Saving {
            source,
            follow,
            memory: &self.memory,
            inputs: names,
            live: &self.inputs,
            retained: &mut kept,
        };
        state::write(path, saving)
    }

    /// Compresses a few of the lines kept since the last call.
    pub fn tidy(&self) {
        self.retained.borrow_mut().compress_some(4);
    }

    /// Lines kept, and the bytes they take.
    pub fn kept(&self) -> (u64, usize) {
        let k = self.retained.borrow();
        (k.lines(), k.size())
    }
}

/// A correlation of the `kept` lines of inputs `names`, silent and
/// untapped: what a rebuild, or a restart from a state file, starts from.
pub fn replay(kept: &Retained, names: &[String], ingest: &IngestOptions) -> anyhow::Result<Tail> {
    let quiet = IngestOptions { verbose: false, ..ingest.clone() };
    let mut tail = Tail::new(&quiet, Default::default(), names, None);
    for b in kept.blocks() {
        tail.feed_with_year(b.file, b.first_line, b.text()?, b.year.clone());
    }
    Ok(tail)
}

/// One evaluation's findings.
struct Found {
    newest: Micros,
    frames: Frames,
    suspects: Vec<Suspect>,
    signals: Vec<Signal>,
    top: Vec<metrics::AccountFigures>,
}

/// Accounts ranked for the metrics: `--metrics-top` takes the first.
const TOP: usize = 100;

fn crossing(g: &Signal) -> Crossed {
    Crossed {
        what: g.kind.as_str().into(),
        value: g.value,
        threshold: g.threshold,
        over_seconds: Some(g.over / MICROS_PER_SEC),
        detail: g.what.clone(),
    }
}

/// The kinds of evidence against a suspect: a new one escalates its alert.
fn suspect_kinds(s: &Suspect, signals: &[&Signal]) -> BTreeSet<String> {
    let mut k: BTreeSet<String> = BTreeSet::from(["suspect".to_string()]);
    let mut add = |on: bool, name: &str| {
        if on {
            k.insert(name.to_string());
        }
    };
    add(s.compromise.is_some(), "compromise");
    add(!s.volume.abnormal.is_empty(), "abnormal-hours");
    add(s.burst.as_ref().is_some_and(|b| b.abnormal), "burst");
    add(s.wave.is_some(), "brute-force");
    add(s.gun.is_some(), "smoking-gun");
    add(s.ended.is_some(), "abuse-ended");
    for g in signals {
        k.insert(g.kind.as_str().to_string());
    }
    k
}

/// `s` as one shell word: as it is when it is plain, else single-quoted
/// (a log string never runs as a command when the line is pasted).
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", crate::text::printable(s).replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_strings_stay_one_shell_word() {
        assert_eq!(shell_word("bob@example.org"), "bob@example.org");
        assert_eq!(shell_word("uid=33"), "uid=33");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("x';rm -rf /;'"), r"'x'\'';rm -rf /;'\'''");
        assert_eq!(shell_word("$(id)`id`"), "'$(id)`id`'");
        assert_eq!(shell_word("\u{1b}[2J"), r"'\x1b[2J'");
        assert_eq!(shell_word(""), "''");
    }
}
