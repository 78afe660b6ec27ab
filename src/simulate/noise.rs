//! Lines an analyzer must get past: postscreen's verdicts on junk clients,
//! anvil's statistics, and Dovecot's IMAP logins in the same file.

use std::collections::HashMap;
use std::net::IpAddr;

use super::clock::MIN;
use super::engine::Ctx;
use super::names::{JUNK_HELOS, JUNK_SENDERS};
use super::net::Client;
use super::put::Put;
use super::session::{our_address, put_ip_port, Inst};
use super::world::Addr;

/// What postscreen catches before any smtpd sees the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JunkKind {
    /// Talks before the greeting.
    Pregreet,
    /// Listed on a DNSBL: rejected by postscreen itself.
    Dnsbl,
    /// Gives up during the after-220 tests.
    Hangup,
}

/// A postscreen-only connection: CONNECT, the verdict, DISCONNECT.
pub(crate) struct Junk {
    kind: JunkKind,
    ip: IpAddr,
    port: u16,
    helo: &'static str,
    stage: u8,
}

impl Junk {
    pub(crate) fn new(ctx: &mut Ctx, kind: JunkKind, client: Client) -> Junk {
        Junk {
            kind,
            ip: client.ip,
            port: 1024 + ctx.rng.below(64_000) as u16,
            helo: JUNK_HELOS[ctx.rng.index(JUNK_HELOS.len())],
            stage: 0,
        }
    }

    pub(crate) fn step(&mut self, ctx: &mut Ctx) -> Option<i64> {
        let pid = ctx.pids.postscreen;
        let b = ctx.out.begin(ctx.now, "postfix/postscreen", Some(pid));
        let stage = self.stage;
        self.stage += 1;
        match (stage, self.kind) {
            (0, _) => {
                b.s("CONNECT from ");
                put_ip_port(b, &self.ip, self.port);
                b.s(" to ");
                put_ip_port(b, &our_address(&self.ip), 25);
            }
            (1, JunkKind::Pregreet) => self.pregreet(b),
            (1, JunkKind::Dnsbl) => {
                b.s("DNSBL rank ").n(2 + u64::from(self.port % 5)).s(" for ");
                put_ip_port(b, &self.ip, self.port);
            }
            (1, JunkKind::Hangup) => {
                b.s("HANGUP after ").tv(i64::from(self.port % 40) * 100_000).s(" from ");
                put_ip_port(b, &self.ip, self.port);
                b.s(" in tests after SMTP handshake");
            }
            (2, JunkKind::Dnsbl) => self.reject(ctx),
            _ => {
                b.s("DISCONNECT ");
                put_ip_port(b, &self.ip, self.port);
                ctx.out.end();
                return None;
            }
        }
        ctx.out.end();
        Some(ctx.now + ctx.rng.ms(50, 6000))
    }

    fn pregreet(&self, b: &mut Vec<u8>) {
        // The count is of the bytes sent early, "\r\n" included; postscreen
        // prints the CR LF escaped.
        let sent = 5 + self.helo.len() + 2;
        b.s("PREGREET ").n(sent as u64).s(" after ").tv(i64::from(self.port % 30) * 10_000);
        b.s(" from ");
        put_ip_port(b, &self.ip, self.port);
        b.s(": EHLO ").s(self.helo).s("\\r\\n");
    }

    /// postscreen's own reject (comma-separated fields, unlike smtpd's).
    fn reject(&self, ctx: &mut Ctx) {
        let sender = JUNK_SENDERS[usize::from(self.port) % JUNK_SENDERS.len()];
        let rcpt = Addr::Account(u32::from(self.port) % ctx.world.accounts.len() as u32);
        let b = ctx.out.buf().s("NOQUEUE: reject: RCPT from ");
        put_ip_port(b, &self.ip, self.port);
        b.s(": 550 5.7.1 Service unavailable; client [").ip(&self.ip);
        b.s("] blocked using zen.spamhaus.org; from=<").s(sender).s(">, to=<");
        ctx.world.put_addr(ctx.out.buf(), rcpt);
        ctx.out.buf().s(">, proto=ESMTP, helo=<").s(self.helo).s(">");
        ctx.tally.noqueue += 1;
        ctx.tally.postscreen_rejects += 1;
    }
}

/// What anvil remembers between its 10-minute status reports.
#[derive(Default)]
pub(crate) struct Anvil {
    minute: i64,
    per_minute: HashMap<(u8, IpAddr), u32>,
    /// Highest per-minute rate since the last report, and where/when.
    best: Option<(u32, Inst, IpAddr, i64)>,
    max_cache: usize,
}

impl Anvil {
    pub(crate) fn connect(&mut self, inst: Inst, ip: IpAddr, now: i64) {
        let minute = now / MIN;
        if minute != self.minute {
            self.minute = minute;
            self.per_minute.clear();
        }
        let count = self.per_minute.entry((inst as u8, ip)).or_insert(0);
        *count += 1;
        if self.best.is_none_or(|(best, ..)| *count > best) {
            self.best = Some((*count, inst, ip, now));
        }
        self.max_cache = self.max_cache.max(self.per_minute.len());
    }
}

/// anvil's periodic `statistics:` lines (`anvil_status_update_time` = 10m);
/// silent when nothing connected.
pub(crate) fn anvil_tick(ctx: &mut Ctx) -> Option<i64> {
    if let Some((rate, inst, ip, at)) = ctx.anvil.best.take() {
        let pid = ctx.pids.anvil;
        let counts = [("rate ", rate), ("count ", rate.div_ceil(3))];
        for (what, n) in counts {
            let b = ctx.out.begin(ctx.now, "postfix/anvil", Some(pid));
            b.s("statistics: max connection ").s(what).n(n.into());
            if what == "rate " {
                b.s("/60s");
            }
            b.s(" for (").s(inst.service()).s(":").ip(&ip).s(") at ");
            ctx.out.put_bsd_time(at);
            ctx.out.end();
        }
        let cache = std::mem::take(&mut ctx.anvil.max_cache).max(1);
        let b = ctx.out.begin(ctx.now, "postfix/anvil", Some(pid));
        b.s("statistics: max cache size ").n(cache as u64).s(" at ");
        ctx.out.put_bsd_time(at);
        ctx.out.end();
    }
    Some(ctx.now + 10 * MIN)
}

/// A mail client fetching mail: Dovecot's login line, from the account's usual address.
pub(crate) fn imap_login(ctx: &mut Ctx) {
    let i = ctx.rng.weighted(&ctx.world.activity);
    let seed = ctx.rng.next_u64();
    let acc = &ctx.world.accounts[i];
    let client = acc.clients[ctx.rng.index(acc.clients.len())];
    let b = ctx.out.begin(ctx.now, "dovecot", None);
    b.s("imap-login: Login: user=<").s(&acc.user).s(">, method=PLAIN, rip=");
    b.ip(&client.ip).s(", lip=").ip(&our_address(&client.ip)).s(", mpid=");
    b.n(30_000 + seed % 60_000).s(", TLS, session=<").hex(seed, false).s(">");
    ctx.out.end();
}

/// A password guesser on IMAP: each of its attempts is an auth failure.
pub(crate) fn imap_guess(ctx: &mut Ctx, client: &Client, user: &str) {
    let seed = ctx.rng.next_u64();
    let attempts = 1 + seed % 3;
    for _ in 0..attempts {
        ctx.tally.auth_failure(client.ip, false, ctx.now);
    }
    let b = ctx.out.begin(ctx.now, "dovecot", None);
    b.s("imap-login: Disconnected: Connection closed (auth failed, ").n(attempts);
    b.s(" attempts in ").n(2 + seed % 9).s(" secs): user=<").s(user);
    b.s(">, method=PLAIN, rip=").ip(&client.ip).s(", lip=").ip(&our_address(&client.ip));
    b.s(", TLS, session=<").hex(seed, false).s(">");
    ctx.out.end();
}
