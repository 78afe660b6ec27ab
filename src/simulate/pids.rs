//! Process IDs that behave like a Postfix master's children.
//!
//! Analyzers key SMTP sessions by host + instance + pid between `connect` and
//! `disconnect`, so two concurrent sessions must never share an smtpd pid,
//! while one smtpd process does serve many sessions one after another
//! (`max_use`). qmgr, pickup, postscreen and anvil are long-lived singletons.

use super::rng::Rng;

/// The kernel's pid counter: children get increasing pids with gaps for the
/// other processes on the machine.
pub(crate) struct PidCounter {
    next: u32,
}

impl PidCounter {
    pub(crate) fn new(rng: &mut Rng) -> Self {
        PidCounter { next: 900 + rng.below(600) as u32 }
    }

    pub(crate) fn spawn(&mut self, rng: &mut Rng) -> u32 {
        self.next += 1 + rng.below(24) as u32;
        if self.next >= 4_194_304 {
            self.next = 300 + rng.below(100) as u32;
        }
        self.next
    }
}

/// A session daemon's idle processes (smtpd per instance).
pub(crate) struct SessionPool {
    idle: Vec<(u32, u16)>,
}

/// A process serving one session; give it back with [`SessionPool::release`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lease {
    pub(crate) pid: u32,
    uses: u16,
}

/// Postfix's default `max_use`.
const MAX_USE: u16 = 100;

impl SessionPool {
    pub(crate) fn new() -> Self {
        SessionPool { idle: Vec::new() }
    }

    /// An idle process if there is one (most recently used first, as the
    /// master's queue tends to), else a newly spawned one.
    pub(crate) fn acquire(&mut self, rng: &mut Rng, counter: &mut PidCounter) -> Lease {
        match self.idle.pop() {
            Some((pid, uses)) => Lease { pid, uses },
            None => Lease { pid: counter.spawn(rng), uses: 0 },
        }
    }

    /// The session ended; the process goes back idle unless it reached
    /// `max_use` or (now and then) hit `max_idle` and exited.
    pub(crate) fn release(&mut self, rng: &mut Rng, lease: Lease) {
        let uses = lease.uses + 1;
        if uses < MAX_USE && !rng.chance(0.02) {
            self.idle.push((lease.pid, uses));
        }
    }
}

/// Delivery-side daemons (cleanup, smtp, lmtp …): a handful of live
/// processes, picked at random, replaced now and then.
pub(crate) struct Workers {
    pids: Vec<u32>,
}

impl Workers {
    pub(crate) fn new(size: usize, rng: &mut Rng, counter: &mut PidCounter) -> Self {
        Workers { pids: (0..size.max(1)).map(|_| counter.spawn(rng)).collect() }
    }

    pub(crate) fn pick(&mut self, rng: &mut Rng, counter: &mut PidCounter) -> u32 {
        let i = rng.index(self.pids.len());
        if rng.chance(0.004) {
            self.pids[i] = counter.spawn(rng);
        }
        self.pids[i]
    }
}

/// Every daemon's processes on the simulated host.
pub(crate) struct Pids {
    pub(crate) counter: PidCounter,
    pub(crate) qmgr: u32,
    pub(crate) pickup: u32,
    pub(crate) postscreen: u32,
    pub(crate) anvil: u32,
    pub(crate) opendkim: u32,
    pub(crate) smtpd: SessionPool,
    pub(crate) submission: SessionPool,
    pub(crate) smtps: SessionPool,
    pub(crate) reinject: SessionPool,
    pub(crate) cleanup: Workers,
    pub(crate) smtp: Workers,
    pub(crate) lmtp: Workers,
    pub(crate) local: Workers,
    pub(crate) virtual_: Workers,
    pub(crate) bounce: Workers,
    pub(crate) amavis: Workers,
}

impl Pids {
    pub(crate) fn new(rng: &mut Rng) -> Self {
        let mut counter = PidCounter::new(rng);
        let mut one = |c: &mut PidCounter| c.spawn(rng);
        let (qmgr, pickup) = (one(&mut counter), one(&mut counter));
        let (postscreen, anvil) = (one(&mut counter), one(&mut counter));
        let opendkim = one(&mut counter);
        let mut workers = |n| Workers::new(n, rng, &mut counter);
        let (cleanup, smtp, lmtp) = (workers(4), workers(12), workers(3));
        let (local, virtual_, bounce, amavis) = (workers(2), workers(2), workers(1), workers(4));
        Pids {
            counter,
            qmgr,
            pickup,
            postscreen,
            anvil,
            opendkim,
            smtpd: SessionPool::new(),
            submission: SessionPool::new(),
            smtps: SessionPool::new(),
            reinject: SessionPool::new(),
            cleanup,
            smtp,
            lmtp,
            local,
            virtual_,
            bounce,
            amavis,
        }
    }

    /// A one-shot command (postsuper) gets a fresh pid.
    pub(crate) fn spawn(&mut self, rng: &mut Rng) -> u32 {
        self.counter.spawn(rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_sessions_never_share_a_pid() {
        let mut rng = Rng::new(4);
        let mut counter = PidCounter::new(&mut rng);
        let mut pool = SessionPool::new();
        let mut open: Vec<Lease> = Vec::new();
        for step in 0..20_000 {
            if step % 3 == 2 && !open.is_empty() {
                let i = rng.index(open.len());
                pool.release(&mut rng, open.swap_remove(i));
            } else {
                let lease = pool.acquire(&mut rng, &mut counter);
                assert!(open.iter().all(|l| l.pid != lease.pid));
                open.push(lease);
            }
        }
    }
}
