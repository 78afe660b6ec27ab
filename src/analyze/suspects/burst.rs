//! Abnormal volume at any time scale: the rate of messages and recipients
//! after a moment (a login from somewhere new, or a change in a uid's rate),
//! against the identity's own rate before it and the other accounts' rates.
//!
//! [`super::volume`] finds bursts as abnormal *hours* against the identity's
//! usual hour, which needs hours of history and hours of burst. An admin
//! who runs postsleuth ten minutes into a spam run, or on a log rotated an
//! hour before, has neither. Rates need no buckets: a stretch of the input
//! is as long as it is, never shorter than [`MIN_SPAN`] (so that three
//! messages in one second are not a rate of ten thousand an hour).
//!
//! The same stretch answers the other questions about what came after:
//! how many client IPs sent as the identity at once, and how many envelope
//! senders it had never used (forged senders).

use super::{numbers, times, who_of, Line, Who, HOUR};
use crate::analyze::Frames;
use crate::time::Micros;
use polars::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};

const MINUTE: Micros = 60_000_000;

/// The shortest stretch a rate is measured over.
pub const MIN_SPAN: Micros = 5 * MINUTE;
/// Fewer messages than this after a moment are no burst, whatever the rate.
pub const MIN_MESSAGES: u64 = 10;
/// Fewer recipients than this are no burst by recipients.
pub const MIN_RECIPIENTS: u64 = 30;
/// The usual rate is never taken below one message (or recipient) an hour.
const FLOOR_PER_HOUR: f64 = 1.0;
/// Client IPs sending as one identity within this time make a spread.
pub const SPREAD_WINDOW: Micros = 15 * MINUTE;

/// One accepted message of an identity: interned numbers, so that a big
/// log's streams stay small; the row finds its file and line.
#[derive(Clone, Copy, Debug)]
struct Sent {
    time: Micros,
    ip: Option<u32>,
    sender: Option<u32>,
    recipients: u32,
    row: u32,
}

/// One identity's messages while they are collected, and the id of its own
/// name as envelope sender.
type Group = (Vec<Sent>, Option<u32>);

/// Every identity's accepted messages in time order, and what the
/// measurements compare with.
pub struct Streams {
    by_who: HashMap<Who, Vec<Sent>>,
    /// Each account's own name as an envelope sender, when it used it.
    own_sender: HashMap<Who, u32>,
    df: DataFrame,
    ip_ids: HashMap<String, u32>,
    start: Micros,
    end: Micros,
    /// A typical account's messages and recipients per hour over the input
    /// (the median of the accounts that sent any).
    site: (f64, f64),
}

/// The rates of a stretch and whether they are a burst.
struct Rates {
    span: Micros,
    rate: f64,
    usual: f64,
    recipient_rate: f64,
    usual_recipients: f64,
    abnormal: bool,
}

/// What an identity sent from a moment on, from IPs it had not logged in
/// from before that moment, and whether it is a burst.
#[derive(Clone, Debug, PartialEq)]
pub struct Burst {
    pub from: Micros,
    pub messages: u64,
    pub recipients: u64,
    /// From the moment to the last message.
    pub lasted: Micros,
    /// What the rates are measured over: `lasted`, at least [`MIN_SPAN`].
    pub span: Micros,
    /// Messages per hour over `span`, and the usual rate they are compared
    /// with (the identity's own before the moment, or a typical account's).
    pub rate: f64,
    pub usual: f64,
    pub recipient_rate: f64,
    pub usual_recipients: f64,
    /// The rate (of messages or recipients) is `ratio` × the usual one.
    pub abnormal: bool,
    /// The first message of the stretch.
    pub first: Option<Line>,
    /// The most client IPs that sent within one [`SPREAD_WINDOW`].
    pub ips_at_once: u64,
    /// Distinct envelope senders the identity had not used before the
    /// moment, its own name left out.
    pub new_senders: u64,
}

impl Burst {
    /// How many times the usual rate: of messages, or of recipients when
    /// that is the larger excess.
    pub fn times_usual(&self) -> f64 {
        (self.rate / self.usual.max(FLOOR_PER_HOUR))
            .max(self.recipient_rate / self.usual_recipients.max(FLOOR_PER_HOUR))
    }
}

impl Streams {
    pub fn collect(f: &Frames) -> PolarsResult<Streams> {
        let df = f
            .accepted()
            .filter(col("root_sasl_username").is_not_null().or(col("root_uid").is_not_null()))
            .with_columns(super::identity_exprs())
            .select([
                col("kind"),
                col("name"),
                col("first_seen").cast(DataType::Int64).alias("time"),
                col("root_client_ip"),
                col("root_client_ip_id"),
                col("sender_id"),
                col("sender"),
                col("recipients"),
                col("file"),
                col("line"),
            ])
            .sort(["time"], SortMultipleOptions::default().with_maintain_order(true))
            .collect()?;
        let time = times(&df, "time")?;
        let (ip, sender, rcpt) =
            (numbers(&df, "root_client_ip_id")?, numbers(&df, "sender_id")?, numbers(&df, "recipients")?);
        let id = |v: Option<u64>| v.and_then(|x| u32::try_from(x).ok());
        // Grouped by the texts as the frame holds them: one owned name per
        // identity, not one per message.
        let (kinds, names) = (df.column("kind")?.str()?, df.column("name")?.str()?);
        let (ip_texts, sender_texts) = (df.column("root_client_ip")?.str()?, df.column("sender")?.str()?);
        let mut groups: HashMap<(&str, &str), Group> = HashMap::new();
        let mut ip_ids = HashMap::new();
        for i in 0..df.height() {
            let (Some(k), Some(n), Some(t)) = (kinds.get(i), names.get(i), time[i]) else { continue };
            let sent = Sent {
                time: t,
                ip: id(ip[i]),
                sender: id(sender[i]),
                recipients: u32::try_from(rcpt[i].unwrap_or(0)).unwrap_or(u32::MAX),
                row: u32::try_from(i).unwrap_or(u32::MAX),
            };
            let (stream, own) = groups.entry((k, n)).or_default();
            // The account's own name as envelope sender (what most clients
            // send) is never a forged sender.
            if own.is_none() && k == "account" && sender_texts.get(i).is_some_and(|x| x.eq_ignore_ascii_case(n)) {
                *own = sent.sender;
            }
            stream.push(sent);
            if let (Some(text), Some(ip)) = (ip_texts.get(i), sent.ip) {
                if !ip_ids.contains_key(text) {
                    ip_ids.insert(text.to_string(), ip);
                }
            }
        }
        let mut by_who = HashMap::with_capacity(groups.len());
        let mut own_sender = HashMap::new();
        for ((k, n), (stream, own)) in groups {
            let who = who_of(k, n);
            if let Some(own) = own {
                own_sender.insert(who.clone(), own);
            }
            by_who.insert(who, stream);
        }
        let start = time.iter().flatten().copied().min().unwrap_or(0);
        let end = time.iter().flatten().copied().max().unwrap_or(0);
        let mut s = Streams { by_who, own_sender, df, ip_ids, start, end, site: (0.0, 0.0) };
        s.site = s.typical_account();
        Ok(s)
    }

    fn hours(span: Micros) -> f64 {
        span.max(MIN_SPAN) as f64 / HOUR as f64
    }

    /// The median account's messages and recipients per hour.
    fn typical_account(&self) -> (f64, f64) {
        let hours = Self::hours(self.end - self.start);
        let mut m: Vec<f64> = Vec::new();
        let mut r: Vec<f64> = Vec::new();
        for (who, sent) in &self.by_who {
            if matches!(who, Who::Account(_)) {
                m.push(sent.len() as f64 / hours);
                r.push(sent.iter().map(|s| f64::from(s.recipients)).sum::<f64>() / hours);
            }
        }
        (median(&mut m), median(&mut r))
    }

    fn line(&self, row: u32) -> Option<Line> {
        let i = row as usize;
        let file = self.df.column("file").ok()?.str().ok()?.get(i)?.to_string();
        let line = self.df.column("line").ok()?.get(i).ok()?.extract::<u64>()?;
        let time = self.df.column("time").ok()?.i64().ok()?.get(i)?;
        Some(Line { time, file, line })
    }

    /// What `who` sent from `t` on, from IPs outside `own` (the IPs it
    /// logged in from before `t`), measured against its rate before `t`.
    pub fn after(&self, who: &Who, t: Micros, own: &BTreeSet<String>, ratio: f64) -> Option<Burst> {
        let sent = self.by_who.get(who)?;
        let own: HashSet<u32> = own.iter().filter_map(|ip| self.ip_ids.get(ip).copied()).collect();
        let split = sent.partition_point(|s| s.time < t);
        let (before, after) = sent.split_at(split);
        let stretch: Vec<&Sent> = after.iter().filter(|s| s.ip.is_none_or(|ip| !own.contains(&ip))).collect();
        Some(self.measure(who, t, before, &stretch, ratio))
    }

    /// The rates of a stretch of `messages` and `recipients` from `t` to
    /// `last`, against `before` (messages, recipients) from the input's start.
    fn rates(&self, who: &Who, t: Micros, before: (u64, u64), now: (u64, u64), last: Micros, ratio: f64) -> Rates {
        let span = (last - t).max(MIN_SPAN);
        let hours_before = Self::hours(t - self.start);
        let (site_m, site_r) = if matches!(who, Who::Account(_)) { self.site } else { (0.0, 0.0) };
        let usual = (before.0 as f64 / hours_before).max(site_m);
        let usual_recipients = (before.1 as f64 / hours_before).max(site_r);
        let hours = span as f64 / HOUR as f64;
        let (messages, recipients) = now;
        let (rate, recipient_rate) = (messages as f64 / hours, recipients as f64 / hours);
        let by_messages = messages >= MIN_MESSAGES && rate >= ratio * usual.max(FLOOR_PER_HOUR);
        let by_recipients = recipients >= MIN_RECIPIENTS
            && messages >= MIN_MESSAGES / 2
            && recipient_rate >= ratio * usual_recipients.max(FLOOR_PER_HOUR);
        Rates { span, rate, usual, recipient_rate, usual_recipients, abnormal: by_messages || by_recipients }
    }

    fn measure(&self, who: &Who, t: Micros, before: &[Sent], stretch: &[&Sent], ratio: f64) -> Burst {
        let sum = |it: &mut dyn Iterator<Item = &Sent>| it.map(|s| u64::from(s.recipients)).sum::<u64>();
        let was = (before.len() as u64, sum(&mut before.iter()));
        let now = (stretch.len() as u64, sum(&mut stretch.iter().copied()));
        let last = stretch.last().map_or(t, |s| s.time);
        let r = self.rates(who, t, was, now, last, ratio);
        let used: HashSet<u32> = before.iter().filter_map(|s| s.sender).collect();
        let own = self.own_sender.get(who).copied();
        let new_senders: HashSet<u32> =
            stretch.iter().filter_map(|s| s.sender).filter(|s| !used.contains(s) && Some(*s) != own).collect();
        Burst {
            from: t,
            messages: now.0,
            recipients: now.1,
            lasted: last - t,
            span: r.span,
            rate: r.rate,
            usual: r.usual,
            recipient_rate: r.recipient_rate,
            usual_recipients: r.usual_recipients,
            abnormal: r.abnormal,
            first: stretch.first().and_then(|s| self.line(s.row)),
            ips_at_once: ips_at_once(stretch),
            new_senders: new_senders.len() as u64,
        }
    }

    /// The moment a uid's (or a login-less account's) rate changed, when
    /// what came after is a burst: of all the splits between its messages,
    /// the likeliest change of a Poisson rate. A split in the input's first
    /// [`MIN_SPAN`] has nothing before it to change from.
    pub fn change(&self, who: &Who, ratio: f64) -> Option<Burst> {
        let sent = self.by_who.get(who)?;
        let last = sent.last()?.time;
        // Recipients before each message, so that testing a split is O(1).
        let mut upto = Vec::with_capacity(sent.len() + 1);
        upto.push(0u64);
        for s in sent {
            upto.push(upto.last().copied().unwrap_or(0) + u64::from(s.recipients));
        }
        let total = (sent.len() as u64, upto[sent.len()]);
        let times: Vec<Micros> = sent.iter().map(|s| s.time).collect();
        let cut = best_split(&times, self.start, self.end, |i| {
            let (was, now) = ((i as u64, upto[i]), (total.0 - i as u64, total.1 - upto[i]));
            times[i] - self.start >= MIN_SPAN && self.rates(who, times[i], was, now, last, ratio).abnormal
        })?;
        let stretch: Vec<&Sent> = sent[cut..].iter().collect();
        Some(self.measure(who, sent[cut].time, &sent[..cut], &stretch, ratio))
    }

    /// Of `candidates` (times), the one after which the identity's rate
    /// changed most (Poisson log-likelihood of a change there).
    pub fn likeliest(&self, who: &Who, candidates: &[Micros]) -> Option<usize> {
        let sent = self.by_who.get(who)?;
        let n = sent.len();
        let score =
            |t: Micros| change_likelihood(sent.partition_point(|s| s.time < t), n, t - self.start, self.end - t);
        (0..candidates.len()).max_by(|&a, &b| score(candidates[a]).total_cmp(&score(candidates[b])).then(b.cmp(&a)))
    }
}

/// How much likelier `n1` events in `t1` then `n - n1` in `t2` are under two
/// Poisson rates than under one (log). Each side counts as at least
/// [`MIN_SPAN`] long, as rates do: the last message of a log alone is not
/// a rate of one per microsecond.
fn change_likelihood(n1: usize, n: usize, t1: Micros, t2: Micros) -> f64 {
    let (t1, t2) = (t1.max(MIN_SPAN) as f64, t2.max(MIN_SPAN) as f64);
    let (n1, n) = (n1 as f64, n as f64);
    xlnx(n1, t1) + xlnx(n - n1, t2) - xlnx(n, t1 + t2)
}

/// `c ln(c / span)`, the term of a Poisson log-likelihood; 0 for no events.
pub(super) fn xlnx(c: f64, span: f64) -> f64 {
    if c > 0.0 {
        c * (c / span).ln()
    } else {
        0.0
    }
}

/// The index `i` of `times` (sorted) where a change of rate is likeliest,
/// among those `ok(i)` accepts.
fn best_split(times: &[Micros], start: Micros, end: Micros, ok: impl Fn(usize) -> bool) -> Option<usize> {
    let mut best: Option<(f64, usize)> = None;
    for (i, &t) in times.iter().enumerate() {
        if i > 0 && times[i - 1] == t {
            continue;
        }
        let ll = change_likelihood(i, times.len(), t - start, end - t);
        if best.is_none_or(|(b, _)| ll > b) && ok(i) {
            best = Some((ll, i));
        }
    }
    best.map(|(_, i)| i)
}

/// The most distinct IPs among messages within any [`SPREAD_WINDOW`].
fn ips_at_once(stretch: &[&Sent]) -> u64 {
    let mut counts: HashMap<u32, u32> = HashMap::new();
    let (mut best, mut lo) = (0usize, 0usize);
    for hi in 0..stretch.len() {
        if let Some(ip) = stretch[hi].ip {
            *counts.entry(ip).or_default() += 1;
        }
        while stretch[hi].time - stretch[lo].time > SPREAD_WINDOW {
            if let Some(ip) = stretch[lo].ip {
                if let Some(c) = counts.get_mut(&ip) {
                    *c -= 1;
                    if *c == 0 {
                        counts.remove(&ip);
                    }
                }
            }
            lo += 1;
        }
        best = best.max(counts.len());
    }
    best as u64
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(time: Micros, ip: u32) -> Sent {
        Sent { time, ip: Some(ip), sender: None, recipients: 1, row: 0 }
    }

    #[test]
    fn ips_at_once_counts_within_the_window() {
        let s = [sent(0, 1), sent(MINUTE, 2), sent(2 * MINUTE, 1), sent(20 * MINUTE, 3), sent(21 * MINUTE, 4)];
        let refs: Vec<&Sent> = s.iter().collect();
        assert_eq!(ips_at_once(&refs), 2);
        // Three IPs within a quarter of an hour.
        let s = [sent(0, 1), sent(5 * MINUTE, 2), sent(14 * MINUTE, 3), sent(40 * MINUTE, 4)];
        let refs: Vec<&Sent> = s.iter().collect();
        assert_eq!(ips_at_once(&refs), 3);
        assert_eq!(ips_at_once(&[]), 0);
    }

    #[test]
    fn the_likeliest_split_is_where_the_rate_jumps() {
        // One message every ten minutes for five hours, then one a second.
        let mut times: Vec<Micros> = (0..30).map(|i| i * 10 * MINUTE).collect();
        let jump = 300 * MINUTE;
        times.extend((0..120).map(|i| jump + i * 1_000_000));
        let end = *times.last().unwrap_or(&0);
        assert_eq!(best_split(&times, 0, end, |_| true), Some(30));
        // Splits that `ok` refuses are passed over.
        assert_eq!(best_split(&times, 0, end, |i| i < 30).map(|i| i < 30), Some(true));
        assert_eq!(best_split(&times, 0, end, |_| false), None);
        // A steady rate has no split worth more than none at all.
        let steady: Vec<Micros> = (0..100).map(|i| i * MINUTE).collect();
        let i = best_split(&steady, 0, 99 * MINUTE, |_| true).unwrap_or(0);
        let ll = change_likelihood(i, 100, steady[i], 99 * MINUTE - steady[i]);
        assert!(ll < 5.0, "split {i}: {ll}");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), 0.0);
        assert_eq!(median(&mut [3.0]), 3.0);
        assert_eq!(median(&mut [9.0, 1.0, 4.0]), 4.0);
        assert_eq!(median(&mut [9.0, 1.0, 4.0, 2.0]), 2.0);
    }

    #[test]
    fn a_burst_is_its_rate_against_the_usual_one() {
        let b = Burst {
            from: 0,
            messages: 60,
            recipients: 180,
            lasted: 90_000_000,
            span: MIN_SPAN,
            rate: 720.0,
            usual: 24.0,
            recipient_rate: 2160.0,
            usual_recipients: 12.0,
            abnormal: true,
            first: None,
            ips_at_once: 3,
            new_senders: 59,
        };
        assert_eq!(b.times_usual(), 180.0);
    }
}
