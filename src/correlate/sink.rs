//! Where correlation's records go (ripgrep's `Sink`): correlation hands
//! each record to a [`Sink`] once nothing later in the log can change it,
//! and never knows who consumes them. [`Records`] collects them for the
//! batch commands; a live watcher or a test counts or forwards them.

use super::{
    AuthAttempt, Delivery, DeliveryDetail, Interner, Message, MessageDetail, Records, Reject, RelayFailure,
    ScreenEvent, Session,
};

/// A consumer of finished records. Correlation is generic over it, so the
/// collecting path costs what a `push` costs.
///
/// Logins, rejects, screen verdicts and sessions come as they finish.
/// Messages and their deliveries come at the end of the input
/// ([`Sink::finish`]): a line much later can still link a message to the
/// one it continues, or mark one of its deliveries a hand-over to a content
/// filter, so none is final before the input ends.
pub trait Sink {
    /// A login, failed or successful.
    fn auth(&mut self, attempt: AuthAttempt, strings: &Interner);
    /// A NOQUEUE reject, or a cleanup verdict.
    fn reject(&mut self, reject: Reject, strings: &Interner);
    /// Evidence about a client: a postscreen verdict, an anvil statistic…
    fn screen(&mut self, event: ScreenEvent, strings: &Interner);
    /// A delivery agent's failure line, with the delivery it explains.
    fn relay_failure(&mut self, failure: RelayFailure, strings: &Interner) {
        let _ = (failure, strings);
    }
    /// Session `number` (numbered from 0 in order of their start) ended, or
    /// was `still_open` at the end of the input.
    fn session(&mut self, number: u32, session: Session, still_open: bool, strings: &Interner);
    /// The end of the input: the messages and deliveries, and the strings
    /// every record's symbols name.
    fn finish(&mut self, ledger: Ledger);
}

/// What correlation hands over at the end of the input.
pub struct Ledger {
    pub strings: Interner,
    /// In order of their first line; a message's id is its index.
    pub messages: Vec<Message>,
    /// Message for message, when details or lines were kept.
    pub message_details: Vec<MessageDetail>,
    pub deliveries: Vec<Delivery>,
    /// Row for row with `deliveries`, when details were kept.
    pub delivery_details: Vec<DeliveryDetail>,
    /// Client addresses that were no host address.
    pub damaged_addresses: u64,
    /// Client events seen, kept or not.
    pub client_events: u64,
    /// Delivery agents' failure lines seen, kept or not.
    pub relay_failures: u64,
}

impl Sink for Records {
    fn auth(&mut self, attempt: AuthAttempt, _: &Interner) {
        self.auth.push(attempt);
    }

    fn reject(&mut self, reject: Reject, _: &Interner) {
        self.rejects.push(reject);
    }

    fn screen(&mut self, event: ScreenEvent, _: &Interner) {
        self.screen.push(event);
    }

    fn relay_failure(&mut self, failure: RelayFailure, _: &Interner) {
        self.relay_failures.push(failure);
    }

    fn session(&mut self, number: u32, session: Session, still_open: bool, _: &Interner) {
        self.session_count += 1;
        if self.keep_closed_sessions {
            let at = number as usize;
            if self.sessions.len() <= at {
                self.sessions.resize_with(at + 1, Session::default);
            }
            self.sessions[at] = session;
        } else if still_open {
            self.sessions.push(session);
        }
    }

    fn finish(&mut self, ledger: Ledger) {
        self.strings = ledger.strings;
        self.messages = ledger.messages;
        self.message_details = ledger.message_details;
        self.deliveries = ledger.deliveries;
        self.delivery_details = ledger.delivery_details;
        self.damaged_addresses = ledger.damaged_addresses;
        self.client_events = ledger.client_events;
        self.relay_failure_count = ledger.relay_failures;
    }
}
