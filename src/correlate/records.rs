//! The records correlation produces: what later stages rank and quote.
//! Field names are Postfix's own (queue_id, client, sasl_username, relay,
//! dsn, status) so that an admin recognises every column.

use super::intern::Sym;
use crate::time::Micros;
use std::fmt;

/// Where a record came from: input file index and 1-based line number. The
/// evidence every later command quotes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineRef {
    pub file: u32,
    pub line: u64,
}

/// A queue ID stored inline (short IDs are ≤ 12 characters, long ones ≤ 20):
/// the correlation key is hashed millions of times and must not allocate.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueId {
    len: u8,
    bytes: [u8; 20],
}

impl QueueId {
    /// `None` when longer than any Postfix queue ID.
    pub fn new(s: &str) -> Option<QueueId> {
        let b = s.as_bytes();
        if b.len() > 20 {
            return None;
        }
        let mut q = QueueId { len: b.len() as u8, bytes: [0; 20] };
        q.bytes[..b.len()].copy_from_slice(b);
        Some(q)
    }

    pub fn as_str(&self) -> &str {
        // Built from a &str and never mutated: always valid UTF-8.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }
}

/// Hashed as three words rather than as a byte slice: a slice of 20 bytes
/// took foldhash's long-input path, a few percent of ingest. Bytes past
/// `len` are always zero, so equal IDs hash equal.
impl std::hash::Hash for QueueId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let b = &self.bytes;
        let word =
            |i: usize| u64::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7]]);
        state.write_u64(word(0));
        state.write_u64(word(8));
        state.write_u64(u64::from(u32::from_le_bytes([b[16], b[17], b[18], b[19]])) | u64::from(self.len) << 32);
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// How a message entered the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Origin {
    /// Received by smtpd (`client=` line).
    Smtpd,
    /// Submitted locally through sendmail/postdrop (`pickup: uid=`).
    Pickup,
    /// A bounce, delay or success notification Postfix generated.
    Notification,
    /// Its first lines are not in the input.
    #[default]
    Unknown,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Smtpd => "smtpd",
            Origin::Pickup => "pickup",
            Origin::Notification => "notification",
            Origin::Unknown => "unknown",
        }
    }
}

/// What became of a message by the end of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum State {
    /// All deliveries seen were `sent` and the queue file was removed.
    Delivered,
    /// At least one recipient bounced.
    Bounced,
    /// `status=expired, returned to sender`.
    Expired,
    /// Removed by the admin with postsuper.
    Deleted,
    /// On hold at the end of the input.
    Held,
    /// Rejected by cleanup (header/body checks, milter).
    Rejected,
    /// Discarded by cleanup.
    Discarded,
    /// Still in the queue at the end of the input (usually deferred).
    Queued,
    /// Removed with no delivery seen (its earlier lines are not in the input).
    #[default]
    Unknown,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Delivered => "delivered",
            State::Bounced => "bounced",
            State::Expired => "expired",
            State::Deleted => "deleted",
            State::Held => "held",
            State::Rejected => "rejected",
            State::Discarded => "discarded",
            State::Queued => "queued",
            State::Unknown => "unknown",
        }
    }
}

/// How a message is tied to the one it continues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Re-injected by a content filter (`queued as NEWID` on loopback, or
    /// `orig_queue_id=`), or resubmitted by local(8) for a .forward or an
    /// alias (`forwarded as NEWID`): the same message, counted once.
    Reinjected,
    /// A notification about the parent (bounce, delay).
    NotificationOf,
}

/// One message: one queue ID from its first line to `removed` (a reused
/// short queue ID starts a new one).
#[derive(Clone, Debug, Default)]
pub struct Message {
    pub id: u32,
    pub host: Sym,
    pub queue_id: QueueId,
    pub first_seen: Micros,
    pub last_seen: Micros,
    pub origin: Origin,
    pub instance: Sym,
    pub client_name: Sym,
    pub client_ip: Sym,
    pub sasl_method: Sym,
    pub sasl_username: Sym,
    pub sasl_sender: Sym,
    pub uid: Option<u32>,
    /// Envelope sender; `Some(Sym::NONE)` is the null sender `<>`.
    pub sender: Option<Sym>,
    pub size: Option<u64>,
    pub nrcpt: Option<u32>,
    /// The message this one continues, and how.
    pub parent: Option<(u32, Link)>,
    pub sent: u32,
    pub deferred: u32,
    pub bounced: u32,
    pub removed: bool,
    pub expired: bool,
    pub deleted: bool,
    pub held: bool,
    pub cleanup_verdict: Option<crate::event::CleanupVerdict>,
    pub state: State,
    pub session: Option<u32>,
    pub first_line: LineRef,
    pub login_line: Option<LineRef>,
}

impl Message {
    /// The final state from what was seen; `removed` says whether the queue
    /// file is gone.
    pub fn compute_state(&self) -> State {
        use crate::event::CleanupVerdict as V;
        if self.deleted {
            State::Deleted
        } else if self.cleanup_verdict == Some(V::Reject) {
            State::Rejected
        } else if self.cleanup_verdict == Some(V::Discard) {
            State::Discarded
        } else if self.expired {
            State::Expired
        } else if !self.removed && self.held {
            State::Held
        } else if !self.removed {
            // Bounced recipients or not: without `removed` the queue file is
            // still there, with recipients left to try.
            State::Queued
        } else if self.bounced > 0 {
            State::Bounced
        } else if self.sent > 0 {
            State::Delivered
        } else {
            State::Unknown
        }
    }
}

pub use crate::event::DeliveryStatus;

/// One recipient, one attempt: what the analyses read. The rest of the
/// line is a [`DeliveryDetail`], kept only for `trace` and `export`.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub message: u32,
    pub time: Micros,
    pub to: Sym,
    pub status: Sym,
    /// What `status` means, as the parse stage classified it.
    pub outcome: DeliveryStatus,
    /// A hand-over to a content filter whose continuation was found, or
    /// local(8)'s `forwarded as NEWID`: not a final delivery.
    pub filter_hop: bool,
    pub line: LineRef,
}

/// What only `trace` and `export` show of a delivery. Apart from
/// [`Delivery`] so that the analyses neither store it (most of a
/// delivery's bytes) nor intern its strings.
#[derive(Clone, Debug)]
pub struct DeliveryDetail {
    pub daemon: Sym,
    pub orig_to: Sym,
    pub relay: Sym,
    pub delay: f64,
    /// `delays=a/b/c/d`: before queue manager, in queue manager, connection
    /// set-up, transmission. Kept as numbers: as a string each one is nearly
    /// unique, and interning millions of them was a tenth of ingest time.
    pub delays: Option<[f32; 4]>,
    pub dsn: Sym,
    pub response: Box<str>,
}

/// What only `trace` and `export` show of a message.
#[derive(Clone, Debug, Default)]
pub struct MessageDetail {
    pub message_id: Option<Box<str>>,
    /// Every line of the message (only when the caller asked for them).
    pub lines: Vec<LineRef>,
}

#[derive(Clone, Debug)]
pub struct AuthAttempt {
    pub time: Micros,
    pub host: Sym,
    pub instance: Sym,
    pub client_name: Sym,
    pub client_ip: Sym,
    pub method: Sym,
    /// The account tried, when the log names it.
    pub username: Sym,
    pub success: bool,
    /// Where the client logged in: `smtp` (Postfix's AUTH), or Dovecot's
    /// login service (`imap`, `pop3`, `submission`, …), or `dovecot` for an
    /// attempt only Dovecot's auth service told of.
    pub service: Sym,
    pub line: LineRef,
}

/// A NOQUEUE reject (or warn/discard/hold), a milter's or a before-queue
/// filter's verdict (its `accept` too), or a cleanup verdict.
#[derive(Clone, Debug)]
pub struct Reject {
    pub time: Micros,
    pub host: Sym,
    pub instance: Sym,
    pub daemon: Sym,
    pub queue_id: Option<QueueId>,
    pub action: Sym,
    pub stage: Sym,
    pub client_name: Sym,
    pub client_ip: Sym,
    /// `milter` or `proxy` (a before-queue filter); none for Postfix's own
    /// restrictions and header/body checks.
    pub via: Sym,
    pub code: Sym,
    pub dsn: Sym,
    pub reason: Box<str>,
    pub sender: Option<Sym>,
    pub recipient: Option<Sym>,
    pub proto: Sym,
    pub helo: Sym,
    /// The authenticated client's account (Postfix ≥ 3.10 logs it).
    pub sasl_method: Sym,
    pub sasl_username: Sym,
    pub line: LineRef,
}

/// An smtpd session: connect → disconnect on one process.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub host: Sym,
    pub instance: Sym,
    pub pid: u32,
    pub client_name: Sym,
    pub client_ip: Sym,
    pub start: Option<Micros>,
    pub end: Option<Micros>,
    /// `lost connection`, `timeout`, `too many errors`, with the command.
    pub abort: Sym,
    pub stats: Sym,
    pub auth_failed: u32,
    pub auth_ok: bool,
    pub messages: u32,
    pub connect_line: Option<LineRef>,
    /// The abort's line (`lost connection after …`).
    pub abort_line: Option<LineRef>,
    pub end_line: Option<LineRef>,
}

/// Evidence about one client outside messages and sessions: a postscreen
/// or tlsproxy verdict, a dnsblog listing, an anvil statistic, an smtpd
/// warning naming the client.
#[derive(Clone, Debug)]
pub struct ScreenEvent {
    pub time: Micros,
    pub host: Sym,
    pub daemon: Sym,
    pub pid: u32,
    /// `PASS NEW`, `PREGREET`, `listed`, `hostname does not resolve`…
    pub verdict: Sym,
    pub client_name: Sym,
    pub ip: Sym,
    /// The rest of the line, as written.
    pub detail: Box<str>,
    pub line: LineRef,
}

/// A delivery agent's own word on a failed attempt (`connect to …`, `host …
/// said`, `lost connection with …`), with the delivery it explains: the
/// next delivery line of the same process (of the same message when the
/// failure names one).
#[derive(Clone, Debug)]
pub struct RelayFailure {
    pub time: Micros,
    pub host: Sym,
    pub daemon: Sym,
    pub pid: u32,
    pub queue_id: Option<QueueId>,
    /// `connect`, `said`, `lost connection`, `timed out`…
    pub what: &'static str,
    /// As Postfix writes a relay: `name[ip]` or `name[ip]:port`.
    pub relay: Sym,
    pub relay_ip: Sym,
    pub detail: Box<str>,
    pub line: LineRef,
    /// The delivery line it explains, and its recipient.
    pub delivery: Option<(LineRef, Sym)>,
}

/// Parses `delays=0.05/0.01/0.5/0.64`.
pub fn parse_delays(s: &str) -> Option<[f32; 4]> {
    let mut out = [0f32; 4];
    let mut parts = s.split('/');
    for slot in &mut out {
        *slot = parts.next()?.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// Writes delays back in Postfix's shape (shortest exact decimals).
pub fn format_delays(d: &[f32; 4]) -> String {
    format!("{}/{}/{}/{}", d[0], d[1], d[2], d[3])
}

#[cfg(test)]
mod delay_tests {
    use super::*;

    #[test]
    fn delays_round_trip() {
        for s in ["0.05/0.01/0.5/0.64", "0/0/0/0.01", "1.2/0.01/0.1/3", "120/0.02/1/1.1"] {
            assert_eq!(format_delays(&parse_delays(s).unwrap()), s);
        }
        assert_eq!(parse_delays("1/2/3"), None);
        assert_eq!(parse_delays("1/2/3/4/5"), None);
        assert_eq!(parse_delays("a/b/c/d"), None);
    }
}
