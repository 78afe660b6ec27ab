//! The Postfix payload of one line → one typed [`Event`].
//!
//! Dispatch is on the daemon name, then on a fixed prefix; no regex runs on
//! the hot path. Every event borrows from the line, so lines that are parsed
//! and dropped cost no allocation. Names follow Postfix's own vocabulary.

pub mod addr;
pub mod dovecot;
pub mod fields;
mod queue;
mod reject_sasl;
mod relay;
mod screen;
pub mod shape;
mod smtpd;

pub use dovecot::DovecotAuth;
pub use fields::Client;
pub use smtpd::cleanup_verdict;

/// One recognised Postfix log line.
#[derive(Clone, Debug, PartialEq)]
pub enum Event<'a> {
    Connect {
        client: Client<'a>,
    },
    /// `disconnect from …` with its command statistics (`ehlo=1 auth=0/1 …`).
    Disconnect {
        client: Client<'a>,
        stats: &'a str,
        auth_failed: u32,
    },
    /// `lost connection after X`, `timeout after X`, `too many errors after X`.
    SessionAbort {
        client: Client<'a>,
        reason: &'a str,
        after: &'a str,
    },
    /// `QID: client=…` — the start of a message received over SMTP.
    ClientLine(ClientLine<'a>),
    AuthFailed {
        client: Client<'a>,
        method: &'a str,
        username: Option<&'a str>,
        reason: &'a str,
    },
    Reject(Reject<'a>),
    Pickup {
        queue_id: &'a str,
        uid: u32,
        sender: &'a str,
    },
    MessageId {
        queue_id: &'a str,
        message_id: &'a str,
    },
    /// cleanup's header/body checks and milters: reject, discard, hold…
    CleanupAction {
        queue_id: &'a str,
        action: CleanupVerdict,
        /// The action as logged (`reject`, `hold`, `warning`, `prepend`…).
        word: &'a str,
        /// `milter-reject:` and friends, not a header/body check.
        milter: bool,
        detail: &'a str,
    },
    QueueActive {
        queue_id: &'a str,
        sender: &'a str,
        size: u64,
        nrcpt: u32,
    },
    Expired {
        queue_id: &'a str,
        sender: &'a str,
    },
    Removed {
        queue_id: &'a str,
    },
    Postsuper {
        queue_id: &'a str,
        action: PostsuperAction,
    },
    Delivery(Delivery<'a>),
    /// `QID: sender non-delivery notification: NEWQID`.
    Notification {
        queue_id: &'a str,
        kind: &'a str,
        new_queue_id: &'a str,
    },
    /// Evidence about a client outside messages and sessions: postscreen's
    /// and tlsproxy's verdicts (`PASS NEW`, `PREGREET`, `DNSBL`…),
    /// dnsblog's `listed`, anvil's statistics, smtpd's warnings that name a
    /// client (`hostname does not resolve`, `… limit exceeded`).
    ClientEvent {
        what: &'a str,
        client: Client<'a>,
        /// The rest of the line, as written (the evidence).
        detail: &'a str,
    },
    /// A delivery agent's own word on a failed attempt (`connect to …`,
    /// `host … said`, `lost connection with …`; see [`relay`]), for the
    /// delivery it explains.
    RelayFailure {
        queue_id: Option<&'a str>,
        /// `connect`, `said`, `refused to talk`, `lost connection`, `timed
        /// out`, `sasl failed`, `certificate`, `tls`.
        what: &'static str,
        /// As Postfix writes a relay: `name[ip]` or `name[ip]:port`.
        relay: &'a str,
        /// The relay's address, checked; empty when it was none.
        relay_ip: &'a str,
        /// The error, as written.
        detail: &'a str,
    },
    /// A warning about one message (cleanup's `QID: … map lookup problem`).
    MessageWarning {
        queue_id: &'a str,
        detail: &'a str,
    },
    /// Dovecot's word on a login (see [`dovecot`]): it shares the log.
    Dovecot(DovecotAuth<'a>),
    /// A `warning:`, `error:`, `fatal:` or `panic:` line Postfix wrote that
    /// no rule above turns into a record.
    Warning,
    /// master(8)'s own word (`daemon started`, `reload`, `terminating on
    /// signal 15`): pflogsumm's "Master daemon messages".
    Master,
    /// A Postfix line that is understood and carries nothing to record
    /// (TLS chatter, `connect to … refused`, `statistics: …`).
    Noise,
}

impl Event<'_> {
    /// The client addresses on this line that were no host address
    /// ([`Client::damaged`]).
    pub fn damaged_addresses(&self) -> u32 {
        let n = |c: &Client| u32::from(c.damaged);
        match self {
            Event::Connect { client }
            | Event::Disconnect { client, .. }
            | Event::SessionAbort { client, .. }
            | Event::AuthFailed { client, .. }
            | Event::ClientEvent { client, .. } => n(client),
            Event::ClientLine(l) => n(&l.client) + l.orig_client.as_ref().map_or(0, n),
            Event::Reject(r) => n(&r.client),
            Event::Dovecot(
                DovecotAuth::Login { client, .. }
                | DovecotAuth::Failed { client, .. }
                | DovecotAuth::Backend { client, .. },
            ) => n(client),
            _ => 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClientLine<'a> {
    pub queue_id: &'a str,
    pub client: Client<'a>,
    pub sasl_method: Option<&'a str>,
    pub sasl_username: Option<&'a str>,
    pub sasl_sender: Option<&'a str>,
    pub orig_queue_id: Option<&'a str>,
    pub orig_client: Option<Client<'a>>,
}

/// `NOQUEUE: reject: RCPT from …` and friends (also with a queue ID, after
/// the first accepted recipient of a session).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Reject<'a> {
    pub queue_id: Option<&'a str>,
    /// reject, warn, discard, hold, filter, redirect; a before-queue
    /// filter's `accept`.
    pub action: &'a str,
    /// Who gave the verdict when not Postfix's own restrictions: `milter`
    /// (`milter-reject:`…) or `proxy` (a before-queue content filter,
    /// `proxy-reject:`/`proxy-accept:`); empty otherwise.
    pub via: &'a str,
    /// The SMTP stage: CONNECT, EHLO, MAIL, RCPT, DATA, END-OF-MESSAGE…
    pub stage: &'a str,
    pub client: Client<'a>,
    pub code: &'a str,
    pub dsn: &'a str,
    pub reason: &'a str,
    pub sender: Option<&'a str>,
    pub recipient: Option<&'a str>,
    pub proto: Option<&'a str>,
    pub helo: Option<&'a str>,
    /// `proxy-accept:`'s `queued as NEWID`: the message the filter's
    /// answer names.
    pub queued_as: Option<&'a str>,
    /// Postfix ≥ 3.10: the authenticated client's SASL fields.
    pub sasl: Option<reject_sasl::RejectSasl<'a>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CleanupVerdict {
    Reject,
    Discard,
    Hold,
    /// A header/body check's action that lets the message go on: `warning`
    /// (WARN: pflogsumm's reject warnings), `info`, `prepend`, `replace`,
    /// `redirect`, `filter`, `bcc`, `strip` (the event's `word`). A unit:
    /// every message record holds a verdict.
    Noted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostsuperAction {
    Removed,
    Hold,
    Released,
    Requeued,
}

/// What a delivery's `status=` word means for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DeliveryStatus {
    Sent,
    Deferred,
    Bounced,
    Expired,
    #[default]
    Other,
}

impl DeliveryStatus {
    pub fn parse(s: &str) -> DeliveryStatus {
        match s {
            "sent" | "deliverable" => DeliveryStatus::Sent,
            "deferred" => DeliveryStatus::Deferred,
            "bounced" | "undeliverable" => DeliveryStatus::Bounced,
            "expired" => DeliveryStatus::Expired,
            _ => DeliveryStatus::Other,
        }
    }
}

/// One recipient, one attempt: `to=<…>, relay=…, status=…`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Delivery<'a> {
    pub queue_id: &'a str,
    pub to: &'a str,
    pub orig_to: Option<&'a str>,
    pub relay: &'a str,
    /// The fields between the relay and the status, as written
    /// (`conn_use=2, delay=1.2, delays=a/b/c/d, dsn=4.7.28`): only trace and
    /// export show them, so they are split ([`Delivery::field`]) only when
    /// kept, on the correlating thread. Splitting them for every delivery
    /// was a few percent of the parse stage's time.
    pub fields: &'a str,
    pub status: &'a str,
    /// `status`, classified here on the parse thread rather than by
    /// correlation, which is the busier of the two.
    pub outcome: DeliveryStatus,
    pub response: &'a str,
    /// A sent delivery's `forwarded as NEWID` (local(8): alias or .forward).
    pub forwarded_as: Option<&'a str>,
    /// A sent delivery's `queued as NEWID` (the next hop's queue ID: a
    /// content filter's re-injection when the relay is loopback).
    pub queued_as: Option<&'a str>,
}

impl<'a> Delivery<'a> {
    /// The value of `key` among [`Delivery::fields`] (`delay`, `delays`,
    /// `dsn`); empty when absent.
    pub fn field(&self, key: &str) -> &'a str {
        fields::field(self.fields, key)
    }
}

/// Parses the payload of a Postfix line. `None` means: a Postfix line no rule
/// recognises (the caller counts it per daemon and keeps a sample).
pub fn parse<'a>(daemon: &str, payload: &'a str) -> Option<Event<'a>> {
    // What a daemon's own rules do not know may still be a line any daemon
    // writes (`fatal: …`, `panic: …`).
    specific(daemon, payload).or_else(|| generic(payload))
}

fn specific<'a>(daemon: &str, payload: &'a str) -> Option<Event<'a>> {
    match daemon {
        "smtpd" => smtpd::parse(payload),
        "postscreen" | "tlsproxy" => screen::postscreen(payload),
        "dnsblog" => screen::dnsblog(payload),
        "anvil" => screen::anvil(payload),
        "pickup" => queue::pickup(payload),
        "cleanup" => queue::cleanup(payload),
        "qmgr" | "nqmgr" => queue::qmgr(payload),
        "smtp" | "lmtp" | "local" | "virtual" | "pipe" | "error" | "retry" | "discard" => {
            queue::delivery_agent(payload)
        }
        "bounce" => queue::bounce(payload),
        "postsuper" => queue::postsuper(payload),
        "master" => generic(payload).filter(|e| *e == Event::Warning).or(Some(Event::Master)),
        _ => generic(payload),
    }
}

/// How the lines Postfix writes about its own trouble begin, mildest first.
pub const WARNING_LEVELS: [&str; 4] = ["warning:", "error:", "fatal:", "panic:"];

/// What any daemon may write: warnings and a few known informational lines.
fn generic(payload: &str) -> Option<Event<'_>> {
    const NOISE: [&str; 8] = [
        "statistics:",
        "daemon started",
        "terminating on signal",
        "reload -- version",
        "refreshing the Postfix mail system",
        "starting the Postfix mail system",
        "stopping the Postfix mail system",
        "Postfix is running",
    ];
    if WARNING_LEVELS.iter().any(|l| payload.starts_with(l)) {
        Some(Event::Warning)
    } else if NOISE.iter().any(|n| payload.starts_with(n))
        // postscreen's and verify's cache sweeps: `cache TYPE:PATH full
        // cleanup: retained=N dropped=M entries`.
        || (payload.starts_with("cache ") && fields::find_str(payload, " cleanup: retained=").is_some())
    {
        Some(Event::Noise)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
