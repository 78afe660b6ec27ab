//! The discrete-event core: every concurrent flow (an SMTP session, a queued
//! message, an arrival process) is a small state machine with one pending
//! step in a time-ordered heap. Popping steps in time order writes the log in
//! time order while holding only the flows in progress — never a day of lines.

use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap};

use super::delivery::Rcpt;
use super::ids::{Qid, QidGen};
use super::message::Message;
use super::noise::{Anvil, Junk};
use super::pids::Pids;
use super::put::Put;
use super::rng::Rng;
use super::scenario::{Arrivals, Attack, Source};
use super::session::Session;
use super::truth::Tally;
use super::world::World;
use super::writer::Sink;

/// A state machine with a pending step.
pub(crate) enum Flow {
    Empty,
    Session(Session),
    Message(Message),
    Arrivals(Arrivals),
    /// A postscreen-only junk connection.
    Junk(Junk),
    /// Starts one flow of the given kind at its time.
    Once(Source),
    Anvil,
    /// The admin runs `postsuper -h` on the first `hold` spam messages still
    /// queued (none for 0), then `postsuper -d` on the rest.
    Postsuper {
        hold: u32,
    },
}

impl Flow {
    /// Runs the flow's pending step at `ctx.now`; returns when the next one is
    /// due, or `None` when the flow is finished.
    fn step(&mut self, ctx: &mut Ctx) -> Option<i64> {
        match self {
            Flow::Empty => None,
            Flow::Session(s) => s.step(ctx),
            Flow::Message(m) => m.step(ctx),
            Flow::Arrivals(a) => a.step(ctx),
            Flow::Junk(j) => j.step(ctx),
            Flow::Once(src) => {
                src.start(ctx);
                None
            }
            Flow::Anvil => super::noise::anvil_tick(ctx),
            Flow::Postsuper { hold } => {
                ctx.purge = Some(*hold);
                None
            }
        }
    }

    fn is_spam_message(&self) -> bool {
        matches!(self, Flow::Message(m) if m.spam)
    }
}

/// The SASL backend, which decides the wording of failed AUTH lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sasl {
    /// Cyrus SASL under Postfix 3.7 (Debian 12).
    Cyrus,
    /// Dovecot SASL under Postfix 3.9; `verbose` is Dovecot's `auth_verbose`.
    Dovecot { verbose: bool },
}

/// main.cf and Dovecot settings that change how lines look.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Server {
    pub(crate) sasl: Sasl,
    /// `smtpd_client_port_logging = yes`.
    pub(crate) port_logging: bool,
}

/// Everything a step may touch besides its own flow.
pub(crate) struct Ctx {
    pub(crate) now: i64,
    pub(crate) rng: Rng,
    pub(crate) out: Sink,
    pub(crate) ids: QidGen,
    pub(crate) pids: Pids,
    pub(crate) world: World,
    pub(crate) tally: Tally,
    pub(crate) attack: Option<Attack>,
    pub(crate) server: Server,
    pub(crate) anvil: Anvil,
    /// `maximal_queue_lifetime`.
    pub(crate) lifetime: i64,
    spawned: Vec<(i64, Flow)>,
    purge: Option<u32>,
    rcpt_pool: Vec<Vec<Rcpt>>,
}

impl Ctx {
    pub(crate) fn new(rng: Rng, out: Sink, ids: QidGen, pids: Pids, world: World) -> Ctx {
        let tally = Tally::new(world.accounts.len());
        Ctx {
            now: 0,
            rng,
            out,
            ids,
            pids,
            world,
            tally,
            attack: None,
            server: Server { sasl: Sasl::Cyrus, port_logging: false },
            anvil: Anvil::default(),
            lifetime: 24 * super::clock::HOUR,
            spawned: Vec::new(),
            purge: None,
            rcpt_pool: Vec::new(),
        }
    }

    /// What outlives the run: the sink to close, the counters, the ID
    /// generator (for its reuse count) and the world (for account names).
    pub(crate) fn into_parts(self) -> (Sink, Tally, QidGen, World) {
        (self.out, self.tally, self.ids, self.world)
    }

    /// Starts `flow` with its first step at `t` (not before now).
    pub(crate) fn spawn(&mut self, t: i64, flow: Flow) {
        self.spawned.push((t.max(self.now), flow));
    }

    /// An empty recipient list, reusing the storage of finished messages.
    pub(crate) fn rcpt_vec(&mut self) -> Vec<Rcpt> {
        self.rcpt_pool.pop().unwrap_or_default()
    }

    fn recycle(&mut self, flow: Flow) {
        if let Flow::Message(m) = flow {
            let mut v = m.rcpts;
            v.clear();
            if self.rcpt_pool.len() < 4096 {
                self.rcpt_pool.push(v);
            }
        }
    }
}

#[derive(PartialEq, Eq)]
struct Pending {
    t: i64,
    seq: u64,
    slot: u32,
}

impl Ord for Pending {
    /// Reversed, so the max-heap pops the earliest step; `seq` keeps steps due
    /// at the same microsecond in the order they were scheduled.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.t, other.seq).cmp(&(self.t, self.seq))
    }
}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub(crate) struct Engine {
    heap: BinaryHeap<Pending>,
    slots: Vec<Flow>,
    free: Vec<u32>,
    seq: u64,
    /// Slots holding unfinished spam messages, for postsuper.
    spam: BTreeSet<u32>,
}

impl Engine {
    pub(crate) fn new() -> Engine {
        Engine { heap: BinaryHeap::new(), slots: Vec::new(), free: Vec::new(), seq: 0, spam: BTreeSet::new() }
    }

    pub(crate) fn schedule(&mut self, t: i64, flow: Flow) {
        let spam = flow.is_spam_message();
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = flow;
                s
            }
            None => {
                self.slots.push(flow);
                (self.slots.len() - 1) as u32
            }
        };
        if spam {
            self.spam.insert(slot);
        }
        self.push(t, slot);
    }

    fn push(&mut self, t: i64, slot: u32) {
        self.seq += 1;
        self.heap.push(Pending { t, seq: self.seq, slot });
    }

    /// Runs every step due before `end`, in time order.
    pub(crate) fn run(&mut self, ctx: &mut Ctx, end: i64) {
        while let Some(p) = self.heap.pop() {
            if p.t >= end || ctx.out.failed() {
                break;
            }
            ctx.now = p.t;
            let mut flow = std::mem::replace(&mut self.slots[p.slot as usize], Flow::Empty);
            match flow.step(ctx) {
                Some(next) => {
                    self.slots[p.slot as usize] = flow;
                    self.push(next.max(p.t), p.slot);
                }
                None => {
                    self.spam.remove(&p.slot);
                    self.free.push(p.slot);
                    ctx.recycle(flow);
                }
            }
            if let Some(hold) = ctx.purge.take() {
                self.purge_spam(ctx, hold);
            }
            for (t, f) in std::mem::take(&mut ctx.spawned) {
                self.schedule(t, f);
            }
        }
    }

    /// `postsuper -h` for the first `hold` spam messages still queued, then
    /// `postsuper -d` for the others: one `placed on hold` or `removed` line
    /// each (in queue-ID order, as a directory walk would roughly give), then
    /// each run's summary line.
    fn purge_spam(&mut self, ctx: &mut Ctx, hold: u32) {
        let mut doomed: Vec<_> = self
            .spam
            .iter()
            .filter_map(|&slot| match &self.slots[slot as usize] {
                Flow::Message(m) if !m.cancelled => Some((m.qid, slot)),
                _ => None,
            })
            .collect();
        doomed.sort();
        let held = doomed.len().min(hold as usize);
        if held > 0 {
            let n = self.postsuper(ctx, &doomed[..held], ": placed on hold", "Placed on hold: ");
            ctx.tally.held += n;
        }
        let n = self.postsuper(ctx, &doomed[held..], ": removed", "Deleted: ");
        ctx.tally.postsuper_deleted += n;
    }

    /// One postsuper run over `doomed`: a line per queue file, then the summary.
    fn postsuper(&mut self, ctx: &mut Ctx, doomed: &[(Qid, u32)], each: &str, summary: &str) -> u64 {
        let pid = ctx.pids.spawn(&mut ctx.rng);
        let removing = each == ": removed";
        for &(qid, slot) in doomed {
            let b = ctx.out.begin(ctx.now, "postfix/postsuper", Some(pid));
            b.b(qid.as_bytes()).s(each);
            ctx.out.end();
            if removing {
                ctx.ids.free(qid);
            }
            if let Flow::Message(m) = &mut self.slots[slot as usize] {
                m.cancelled = true;
            }
        }
        let n = doomed.len() as u64;
        let b = ctx.out.begin(ctx.now, "postfix/postsuper", Some(pid));
        b.s(summary).n(n).s(if n == 1 { " message" } else { " messages" });
        ctx.out.end();
        n
    }
}
