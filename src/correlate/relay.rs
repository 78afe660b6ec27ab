//! A delivery agent's failure lines, attached to the delivery attempt they
//! explain. smtp(8) writes them as it tries each server (`connect to
//! H[IP]:25: Connection refused`, `QID: host H[IP] said: 450 …`), then one
//! delivery line per recipient with the outcome: the failures belong to the
//! process's next delivery line, of the same message when they name one.

use super::{Correlator, LineCtx, Map, QueueId, RelayFailure, Sym};

/// Most failures one process may have waiting: smtp(8) tries a few servers
/// per delivery.
const PER_PROCESS: usize = 32;

/// Processes with failures waiting before they are all let go unexplained.
const MAX_PROCESSES: usize = 4096;

#[derive(Clone, Default)]
pub(super) struct Pending {
    by_process: Map<(Sym, Sym, u32), Vec<RelayFailure>>,
    /// Failure lines seen, kept or not.
    pub(super) seen: u64,
}

impl Pending {
    pub(super) fn waiting(&self) -> bool {
        !self.by_process.is_empty()
    }

    /// Every failure still waiting, oldest first.
    pub(super) fn drain(&mut self) -> Vec<RelayFailure> {
        let mut all: Vec<RelayFailure> = self.by_process.drain().flat_map(|(_, v)| v).collect();
        all.sort_by_key(|f| (f.time, f.line.file, f.line.line));
        all
    }
}

impl<S: super::Sink> Correlator<S> {
    pub(super) fn relay_failure(
        &mut self,
        cx: &LineCtx,
        queue_id: Option<&str>,
        what: &'static str,
        relay: &str,
        relay_ip: &str,
        detail: &str,
    ) {
        self.relay.seen += 1;
        if let Some(q) = queue_id {
            // The failure is part of the message's story.
            self.with_message(cx, q, false, |_, _| ());
        }
        if !self.keep_details {
            return;
        }
        let s = &mut self.strings;
        let failure = RelayFailure {
            time: cx.time,
            host: self.cur.host,
            daemon: self.cur.daemon,
            pid: cx.pid,
            queue_id: queue_id.and_then(QueueId::new),
            what,
            relay: s.intern(relay),
            relay_ip: s.intern(relay_ip),
            detail: detail.into(),
            line: cx.line,
            delivery: None,
        };
        if self.relay.by_process.len() >= MAX_PROCESSES {
            for f in self.relay.drain() {
                self.sink.relay_failure(f, &self.strings);
            }
        }
        let waiting = self.relay.by_process.entry((self.cur.host, self.cur.daemon, cx.pid)).or_default();
        if waiting.len() >= PER_PROCESS {
            let oldest = waiting.remove(0);
            self.sink.relay_failure(oldest, &self.strings);
        }
        self.relay.by_process.entry((self.cur.host, self.cur.daemon, cx.pid)).or_default().push(failure);
    }

    /// A delivery line: the failures its process wrote before it explain it
    /// (those of another message explain nothing).
    pub(super) fn explain_delivery(&mut self, cx: &LineCtx, queue_id: &str, to: &str) {
        let Some(waiting) = self.relay.by_process.remove(&(self.cur.host, self.cur.daemon, cx.pid)) else { return };
        let (q, to) = (QueueId::new(queue_id), self.strings.intern(to));
        for mut f in waiting {
            if f.queue_id.is_none() || f.queue_id == q {
                f.delivery = Some((cx.line, to));
            }
            self.sink.relay_failure(f, &self.strings);
        }
    }
}
