//! What the simulated logs contain, for checking an analyzer against.
//!
//! Every number is counted while the line that proves it is written, never
//! derived from the plan, so a cut-off flow or a random draw cannot make the
//! truth disagree with the files.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::clock::iso_seconds;
use super::{Scenario, TimestampFormat};

/// The facts behind one simulated log set (written as `truth.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub scenario: Scenario,
    pub seed: u64,
    pub format: TimestampFormat,
    pub long_ids: bool,
    pub volume: f64,
    pub hostname: String,
    /// Oldest first, the order an analyzer should read them in.
    pub files: Vec<TruthFile>,
    /// First and last line over all files (RFC 3339 UTC, seconds).
    pub span: Option<Span>,
    /// The SASL account the attacker took over (`sasl-compromise`).
    pub compromised_account: Option<String>,
    /// The local uid whose script sent spam (`webapp-script`).
    pub compromised_uid: Option<u32>,
    /// The first line of the attack's sending: the attacker's first `client=`
    /// line with the victim's `sasl_username`, or the script's first spam
    /// `pickup` line (then `ip` is null).
    pub first_malicious: Option<Evidence>,
    /// The password-guessing wave that preceded the takeover.
    pub brute_force: Option<BruteForce>,
    /// Messages the attacker submitted (the first-login test message included).
    pub spam_messages: u64,
    /// Distinct (spam message, recipient) pairs that appear in `to=` lines,
    /// content-filter continuations folded into their original message.
    pub spam_recipients: u64,
    /// Distinct client IPs that submitted as the victim after the takeover.
    pub attacker_ips: u64,
    pub attacker_ip_list: Vec<String>,
    /// `sasl_username` → messages submitted (continuations not counted again).
    pub messages_by_account: BTreeMap<String, u64>,
    /// pickup `uid=` → messages.
    pub messages_by_uid: BTreeMap<u32, u64>,
    /// Failed logins (wave and background): lines `warning: …: SASL …
    /// authentication failed`, and each attempt of Dovecot's `(auth failed,
    /// N attempts …)`.
    pub auth_failures: u64,
    pub auth_failures_by_ip: BTreeMap<String, u64>,
    /// Original messages: SASL submissions + inbound MX mail + pickup. Not
    /// counted: content-filter continuations and bounce notifications.
    pub total_messages: u64,
    pub submitted_messages: u64,
    pub inbound_messages: u64,
    pub pickup_messages: u64,
    /// `NOQUEUE: reject:` lines, smtpd and postscreen together.
    pub noqueue_rejects: u64,
    /// The part of `noqueue_rejects` written by postscreen.
    pub postscreen_rejects: u64,
    /// Spam queue files the admin deleted (`postsuper: QID: removed`).
    pub postsuper_deleted: u64,
    /// `status=expired, returned to sender` lines.
    pub expired: u64,
    /// `sender non-delivery notification` lines.
    pub bounce_notifications: u64,
    /// Messages re-injected by the content filter (`queued as NEWQID`).
    pub content_filter_continuations: u64,
    /// Short queue IDs handed out again after their earlier message's `removed`.
    pub queue_id_reuses: u64,
    /// `to=` lines by `status=` (sent, deferred, bounced).
    pub deliveries: BTreeMap<String, u64>,
    /// Identities that look odd but are innocent (`trap-*` scenarios): a SASL
    /// username, or `uid=N` for a local sender. None of them should be flagged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traps: Vec<String>,
    /// Where the abuse visibly stops (`reset-retry`): the first SASL failure
    /// from an address that had logged in as the victim, after the takeover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abuse_end: Option<Evidence>,
    /// `sasl_username` → spam messages `header_checks` rejected in cleanup
    /// (their `client=` line is written, but they are not counted in
    /// `messages_by_account`, `spam_messages` or `total_messages`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rejected_by_cleanup: BTreeMap<String, u64>,
    /// Spam queue files the admin put on hold (`postsuper: QID: placed on hold`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub held: u64,
    /// Distinct envelope senders of the spam that are not the victim's address.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub forged_senders: u64,
    /// Failed AUTH lines from the attacker's addresses after the password reset.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attacker_retries: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthFile {
    pub name: String,
    pub gzip: bool,
    pub lines: u64,
    /// Uncompressed size.
    pub bytes: u64,
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub start: String,
    pub end: String,
}

/// Where a claim can be checked: file name and 1-based line number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub time: String,
    pub file: String,
    pub line: u64,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BruteForce {
    /// The account most guesses named.
    pub target: String,
    pub start: String,
    pub end: String,
    pub failures: u64,
    pub ips: u64,
}

/// Delivery statuses counted in [`Truth::deliveries`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Sent,
    Deferred,
    Bounced,
}

/// Counters filled in while lines are written.
#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) by_account: Vec<u64>,
    pub(crate) by_uid: BTreeMap<u32, u64>,
    pub(crate) fails_by_ip: BTreeMap<IpAddr, u64>,
    pub(crate) wave_failures: u64,
    pub(crate) wave_ips: BTreeSet<IpAddr>,
    pub(crate) wave_first: Option<i64>,
    pub(crate) wave_last: Option<i64>,
    pub(crate) spam_messages: u64,
    pub(crate) spam_recipients: u64,
    pub(crate) attacker_ips: BTreeSet<IpAddr>,
    pub(crate) first_malicious: Option<Evidence>,
    pub(crate) submitted: u64,
    pub(crate) inbound: u64,
    pub(crate) picked_up: u64,
    pub(crate) noqueue: u64,
    pub(crate) postscreen_rejects: u64,
    pub(crate) postsuper_deleted: u64,
    pub(crate) expired: u64,
    pub(crate) ndrs: u64,
    pub(crate) continuations: u64,
    pub(crate) deliveries: [u64; 3],
    pub(crate) abuse_end: Option<Evidence>,
    pub(crate) rejected_by_cleanup: BTreeMap<u32, u64>,
    pub(crate) held: u64,
    pub(crate) forged_senders: BTreeSet<(u32, u16)>,
    pub(crate) attacker_retries: u64,
}

impl Tally {
    pub(crate) fn new(accounts: usize) -> Self {
        Tally { by_account: vec![0; accounts], ..Tally::default() }
    }

    /// One failed login (a `SASL … authentication failed` line, or one
    /// attempt of Dovecot's); `wave` marks the attack's.
    pub(crate) fn auth_failure(&mut self, ip: IpAddr, wave: bool, t: i64) {
        *self.fails_by_ip.entry(ip).or_insert(0) += 1;
        if wave {
            self.wave_failures += 1;
            self.wave_ips.insert(ip);
            self.wave_first.get_or_insert(t);
            self.wave_last = Some(t);
        }
    }

    /// A `SASL … authentication failed` line from an address that had sent
    /// as the victim: the attacker trying the old password after a reset.
    pub(crate) fn attacker_retry(&mut self, evidence: impl FnOnce() -> Evidence) {
        self.attacker_retries += 1;
        if self.abuse_end.is_none() {
            self.abuse_end = Some(evidence());
        }
    }

    /// cleanup's `header_checks` rejected a message whose `client=` line
    /// counted it as submitted by `account`: it was never accepted.
    pub(crate) fn cleanup_reject(&mut self, account: u32, spam: bool) {
        self.by_account[account as usize] = self.by_account[account as usize].saturating_sub(1);
        self.submitted = self.submitted.saturating_sub(1);
        if spam {
            self.spam_messages = self.spam_messages.saturating_sub(1);
        }
        *self.rejected_by_cleanup.entry(account).or_insert(0) += 1;
    }

    pub(crate) fn delivery(&mut self, status: Status) {
        self.deliveries[status as usize] += 1;
    }

    pub(crate) fn pickup(&mut self, uid: u32) {
        *self.by_uid.entry(uid).or_insert(0) += 1;
        self.picked_up += 1;
    }
}

/// The parts of [`Truth`] that come from the options and the plan.
pub(crate) struct Header {
    pub(crate) scenario: Scenario,
    pub(crate) seed: u64,
    pub(crate) format: TimestampFormat,
    pub(crate) long_ids: bool,
    pub(crate) volume: f64,
    pub(crate) hostname: String,
    pub(crate) compromised_account: Option<String>,
    pub(crate) compromised_uid: Option<u32>,
    pub(crate) wave_target: Option<String>,
    pub(crate) traps: Vec<String>,
}

/// Turns the counters into the published shape.
pub(crate) fn assemble(head: Header, tally: Tally, accounts: &[String], files: Vec<TruthFile>, reuses: u64) -> Truth {
    let span = span_of(&files);
    let brute_force = brute_force_of(&head, &tally);
    let ip_list: Vec<String> = tally.attacker_ips.iter().map(IpAddr::to_string).collect();
    let by_account =
        accounts.iter().zip(&tally.by_account).filter(|(_, &n)| n > 0).map(|(a, &n)| (a.clone(), n)).collect();
    let fails = tally.fails_by_ip.iter().map(|(ip, &n)| (ip.to_string(), n));
    let statuses = ["sent", "deferred", "bounced"];
    Truth {
        scenario: head.scenario,
        seed: head.seed,
        format: head.format,
        long_ids: head.long_ids,
        volume: head.volume,
        hostname: head.hostname,
        files,
        span,
        compromised_account: head.compromised_account,
        compromised_uid: head.compromised_uid,
        first_malicious: tally.first_malicious,
        brute_force,
        spam_messages: tally.spam_messages,
        spam_recipients: tally.spam_recipients,
        attacker_ips: ip_list.len() as u64,
        attacker_ip_list: ip_list,
        messages_by_account: by_account,
        messages_by_uid: tally.by_uid,
        auth_failures: tally.fails_by_ip.values().sum(),
        auth_failures_by_ip: fails.collect(),
        total_messages: tally.submitted + tally.inbound + tally.picked_up,
        submitted_messages: tally.submitted,
        inbound_messages: tally.inbound,
        pickup_messages: tally.picked_up,
        noqueue_rejects: tally.noqueue,
        postscreen_rejects: tally.postscreen_rejects,
        postsuper_deleted: tally.postsuper_deleted,
        expired: tally.expired,
        bounce_notifications: tally.ndrs,
        content_filter_continuations: tally.continuations,
        queue_id_reuses: reuses,
        deliveries: statuses.iter().zip(tally.deliveries).map(|(s, n)| (s.to_string(), n)).collect(),
        traps: head.traps,
        abuse_end: tally.abuse_end,
        rejected_by_cleanup: tally
            .rejected_by_cleanup
            .iter()
            .map(|(&i, &n)| (accounts.get(i as usize).cloned().unwrap_or_default(), n))
            .collect(),
        held: tally.held,
        forged_senders: tally.forged_senders.len() as u64,
        attacker_retries: tally.attacker_retries,
    }
}

fn span_of(files: &[TruthFile]) -> Option<Span> {
    let start = files.iter().find_map(|f| f.first.clone())?;
    let end = files.iter().rev().find_map(|f| f.last.clone())?;
    Some(Span { start, end })
}

fn brute_force_of(head: &Header, tally: &Tally) -> Option<BruteForce> {
    let (first, last) = (tally.wave_first?, tally.wave_last?);
    Some(BruteForce {
        target: head.wave_target.clone().unwrap_or_default(),
        start: iso_seconds(first),
        end: iso_seconds(last),
        failures: tally.wave_failures,
        ips: tally.wave_ips.len() as u64,
    })
}
