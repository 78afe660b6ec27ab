//! Recipients, their fate, and the `to=<…>, relay=…, status=…` lines.
//!
//! Each recipient's fate is drawn when its message is queued (how many
//! attempts defer, then sent, bounced, or never delivered), so retries only
//! replay a plan and the lines stay consistent across attempts.

use super::names::{Mx, EXTERNAL, OUR_DOMAINS};
use super::net::OUR_MX;
use super::put::Put;
use super::rng::Rng;
use super::world::{Addr, World};

/// How a recipient is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// Dovecot over LMTP (`postfix/lmtp`).
    Lmtp,
    /// Postfix's own virtual delivery agent.
    Virtual,
    /// `postfix/local` (aliases and system users).
    Local,
    /// `postfix/smtp` to the outside domain `EXTERNAL[i]`.
    Smtp(u16),
}

impl Route {
    pub(crate) fn of(addr: Addr, world: &World) -> Route {
        match addr {
            Addr::Account(i) if world.accounts[i as usize].user.ends_with(OUR_DOMAINS[1]) => Route::Virtual,
            Addr::Account(_) => Route::Lmtp,
            Addr::Person { domain, .. } => Route::Smtp(domain),
            Addr::Local(_) | Addr::Literal(_) | Addr::Null => Route::Local,
        }
    }

    /// Whether the MX never answers, so the whole attempt is connection setup.
    pub(crate) fn times_out(self) -> bool {
        matches!(self, Route::Smtp(d) if EXTERNAL[usize::from(d)].mx == Mx::Dead)
    }

    /// Connection setup plus transfer time of one delivery over this route.
    pub(crate) fn duration(self, rng: &mut Rng, first_try: bool) -> i64 {
        match self {
            Route::Lmtp => rng.ms(15, 180),
            Route::Virtual | Route::Local => rng.ms(3, 40),
            r if r.times_out() => {
                // connect_timeout is 30 s; retries reuse nothing.
                30_000_000 + rng.ms(0, 40) + if first_try { 0 } else { rng.ms(0, 5) }
            }
            Route::Smtp(_) => rng.ms(250, 2500),
        }
    }
}

/// How a recipient's story ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Final {
    Sent,
    /// Rejected permanently: `user` says the mailbox does not exist, else policy.
    Bounced {
        user: bool,
    },
    /// Deferred on every attempt until the message expires or is deleted.
    Never,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Rcpt {
    pub(crate) addr: Addr,
    pub(crate) route: Route,
    /// Attempts that still defer before `fin` applies.
    pub(crate) defers: u8,
    pub(crate) fin: Final,
    pub(crate) done: bool,
    /// Already counted in the spam recipient tally.
    pub(crate) counted: bool,
}

/// What one attempt does for one recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Sent,
    Deferred,
    Bounced { user: bool },
}

impl Rcpt {
    /// Applies one delivery attempt to the plan.
    pub(crate) fn attempt(&mut self) -> Outcome {
        if self.defers > 0 {
            self.defers -= 1;
            return Outcome::Deferred;
        }
        match self.fin {
            Final::Never => Outcome::Deferred,
            Final::Sent => {
                self.done = true;
                Outcome::Sent
            }
            Final::Bounced { user } => {
                self.done = true;
                Outcome::Bounced { user }
            }
        }
    }
}

/// A recipient of a normal message: almost always delivered.
pub(crate) fn plan_baseline(rng: &mut Rng, addr: Addr, route: Route) -> Rcpt {
    let mut r = new_rcpt(addr, route);
    if let Route::Smtp(_) = route {
        let x = rng.f64();
        if x < 0.008 {
            r.fin = Final::Bounced { user: true };
        } else if x < 0.03 {
            r.defers = 1 + rng.below(2) as u8;
        }
    }
    r
}

/// A spam recipient: big providers throttle and block, stale lists bounce.
pub(crate) fn plan_spam(rng: &mut Rng, addr: Addr, route: Route) -> Rcpt {
    let mut r = new_rcpt(addr, route);
    let Route::Smtp(d) = route else {
        return r;
    };
    let x = rng.f64();
    let (defer, bounce_user, bounce_policy, never) = match EXTERNAL[usize::from(d)].mx {
        Mx::Google => (0.14, 0.06, 0.06, 0.002),
        Mx::Yahoo => (0.15, 0.05, 0.06, 0.0),
        Mx::Microsoft => (0.08, 0.05, 0.35, 0.0),
        Mx::Generic => (0.05, 0.15, 0.0, 0.0),
        Mx::Dead => (0.0, 0.0, 0.0, 1.0),
    };
    if x < never {
        r.fin = Final::Never;
    } else if x < never + bounce_user {
        r.fin = Final::Bounced { user: true };
    } else if x < never + bounce_user + bounce_policy {
        r.fin = Final::Bounced { user: false };
        r.defers = u8::from(rng.chance(0.2));
    } else if x < never + bounce_user + bounce_policy + defer {
        r.defers = 1 + rng.below(2) as u8;
    }
    r
}

fn new_rcpt(addr: Addr, route: Route) -> Rcpt {
    Rcpt { addr, route, defers: 0, fin: Final::Sent, done: false, counted: false }
}

/// The `delay=…, delays=a/b/c/d` fields; all in µs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Delays {
    pub(crate) before_qmgr: i64,
    pub(crate) in_qmgr: i64,
    pub(crate) conn: i64,
    pub(crate) xfer: i64,
}

impl Delays {
    pub(crate) fn put(&self, buf: &mut Vec<u8>) {
        let total = self.before_qmgr + self.in_qmgr + self.conn + self.xfer;
        buf.s("delay=").tv(total).s(", delays=").tv(self.before_qmgr).s("/");
        buf.tv(self.in_qmgr).s("/").tv(self.conn).s("/").tv(self.xfer);
    }
}

/// The text after `QID: ` of one delivery line for a local route.
pub(crate) fn put_local(buf: &mut Vec<u8>, world: &World, r: &Rcpt, d: &Delays, seed: u64) {
    buf.s("to=<");
    world.put_addr(buf, r.addr);
    buf.s(">, ");
    if let (Route::Local, Addr::Local(name)) = (r.route, r.addr) {
        buf.s("orig_to=<").s(name).s(">, ");
    }
    match r.route {
        Route::Lmtp => buf.s("relay=").s(&world.fqdn).s("[private/dovecot-lmtp], "),
        Route::Virtual => buf.s("relay=virtual, "),
        _ => buf.s("relay=local, "),
    };
    d.put(buf);
    buf.s(", dsn=2.0.0, status=sent (");
    match r.route {
        Route::Lmtp => {
            buf.s("250 2.0.0 <");
            world.put_addr(buf, r.addr);
            buf.s("> ").hex(seed, false).s(" Saved)");
        }
        Route::Virtual => {
            buf.s("delivered to maildir)");
        }
        _ => {
            buf.s("delivered to mailbox)");
        }
    }
}

/// The text after `QID: ` of one `postfix/smtp` delivery line to an outside MX.
pub(crate) fn put_remote(buf: &mut Vec<u8>, rng: &mut Rng, world: &World, r: &Rcpt, outcome: Outcome, d: &Delays) {
    let Route::Smtp(di) = r.route else {
        return;
    };
    let dom = &EXTERNAL[usize::from(di)];
    let last = dom.first + rng.below(dom.count.into()) as u8;
    let [a, b, c] = dom.net;
    buf.s("to=<");
    world.put_addr(buf, r.addr);
    buf.s(">, relay=");
    if dom.mx == Mx::Dead {
        buf.s("none, ");
    } else {
        buf.s(dom.host).s("[").n(a.into()).s(".").n(b.into()).s(".").n(c.into());
        buf.s(".").n(last.into()).s("]:25, ");
    }
    d.put(buf);
    let said = |buf: &mut Vec<u8>| {
        buf.s("host ").s(dom.host).s("[").n(a.into()).s(".").n(b.into()).s(".");
        buf.n(c.into()).s(".").n(last.into()).s("] said: ");
    };
    match outcome {
        Outcome::Sent => put_sent(buf, rng, dom.mx),
        Outcome::Deferred if dom.mx == Mx::Dead => {
            buf.s(", dsn=4.4.1, status=deferred (connect to ").s(dom.host).s("[");
            buf.n(a.into()).s(".").n(b.into()).s(".").n(c.into()).s(".").n(last.into());
            buf.s("]:25: Connection timed out)");
        }
        Outcome::Deferred => put_deferred(buf, dom.mx, said, world, r),
        Outcome::Bounced { user } => put_bounced(buf, dom.mx, user, said, world, r),
    }
}

fn put_sent(buf: &mut Vec<u8>, rng: &mut Rng, mx: Mx) {
    let r = rng.next_u64();
    buf.s(", dsn=2.0.0, status=sent (");
    match mx {
        Mx::Google => {
            buf.s("250 2.0.0 OK  ").n(1_790_000_000 + (r >> 40)).s(" ");
            buf.hex(r & 0xF_FFFF_FFFF, false).s("si").n(r >> 44).s(" - gsmtp)");
        }
        Mx::Yahoo => {
            buf.s("250 ok dirdel)");
        }
        Mx::Microsoft => {
            buf.s("250 2.6.0 [InternalId=").n(r >> 20).s(", Hostname=AM0PR02MB");
            buf.n(r % 9000 + 1000).s(".eurprd02.prod.outlook.com] ").n(r % 40_000 + 2000);
            buf.s(" bytes in 0.").n0(r % 1000, 3).s(", Queued mail for delivery)");
        }
        Mx::Generic | Mx::Dead => {
            buf.s("250 2.0.0 Ok: queued as ").hex(r & 0xFF_FFFF_FFFF, true).s(")");
        }
    }
}

fn put_deferred(buf: &mut Vec<u8>, mx: Mx, said: impl Fn(&mut Vec<u8>), world: &World, r: &Rcpt) {
    let code = match mx {
        Mx::Google => "4.7.28",
        Mx::Yahoo => "4.7.0",
        Mx::Microsoft => "4.7.650",
        Mx::Generic | Mx::Dead => "4.7.1",
    };
    buf.s(", dsn=").s(code).s(", status=deferred (");
    said(buf);
    let ip = std::net::IpAddr::V4(OUR_MX);
    match mx {
        Mx::Google => {
            buf.s("421-4.7.28 [").ip(&ip).s("] Gmail has detected an unusual rate of unsolicited mail originating from your IP address. 421 4.7.28 https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp (in reply to end of DATA command))");
        }
        Mx::Yahoo => {
            buf.s("421 4.7.0 [TSS04] Messages from ").ip(&ip).s(" temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes (in reply to MAIL FROM command))");
        }
        Mx::Microsoft => {
            buf.s("451 4.7.650 The mail server [").ip(&ip).s("] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://aka.ms/postmaster (S775) (in reply to MAIL FROM command))");
        }
        Mx::Generic | Mx::Dead => {
            buf.s("450 4.7.1 <");
            world.put_addr(buf, r.addr);
            buf.s(">: Recipient address rejected: Greylisted for 300 seconds (in reply to RCPT TO command))");
        }
    }
}

fn put_bounced(buf: &mut Vec<u8>, mx: Mx, user: bool, said: impl Fn(&mut Vec<u8>), world: &World, r: &Rcpt) {
    let code = match (mx, user) {
        (Mx::Google, false) | (Mx::Microsoft, false) => "5.7.1",
        (Mx::Yahoo, false) => "5.7.9",
        (Mx::Yahoo, true) => "5.0.0",
        (Mx::Microsoft, true) => "5.5.0",
        _ => "5.1.1",
    };
    buf.s(", dsn=").s(code).s(", status=bounced (");
    said(buf);
    let ip = std::net::IpAddr::V4(OUR_MX);
    match (mx, user) {
        (Mx::Google, true) => {
            buf.s("550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. 550 5.1.1 https://support.google.com/mail/?p=NoSuchUser - gsmtp (in reply to RCPT TO command))");
        }
        (Mx::Google, false) => {
            buf.s("550-5.7.1 [").ip(&ip).s("] Gmail has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. 550 5.7.1 https://support.google.com/mail/?p=UnsolicitedMessageError - gsmtp (in reply to end of DATA command))");
        }
        (Mx::Yahoo, true) => {
            buf.s("554 delivery error: dd This user doesn't have a yahoo.com account (");
            world.put_addr(buf, r.addr);
            buf.s(") [0] - mta7.am0.yahoodns.net (in reply to end of DATA command))");
        }
        (Mx::Yahoo, false) => {
            buf.s("554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes (in reply to end of DATA command))");
        }
        (Mx::Microsoft, true) => {
            buf.s("550 5.5.0 Requested action not taken: mailbox unavailable (in reply to RCPT TO command))");
        }
        (Mx::Microsoft, false) => {
            buf.s("550 5.7.1 Unfortunately, messages from [").ip(&ip).s("] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. (in reply to MAIL FROM command))");
        }
        _ => {
            buf.s("550 5.1.1 <");
            world.put_addr(buf, r.addr);
            buf.s(
                ">: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_replay_deterministically() {
        let addr = Addr::Person { user: 1, domain: 0 };
        let mut r = new_rcpt(addr, Route::Smtp(0));
        r.defers = 2;
        r.fin = Final::Bounced { user: false };
        assert_eq!(r.attempt(), Outcome::Deferred);
        assert_eq!(r.attempt(), Outcome::Deferred);
        assert_eq!(r.attempt(), Outcome::Bounced { user: false });
        assert!(r.done);
    }

    #[test]
    fn dead_domains_never_deliver() {
        let mut rng = Rng::new(3);
        let dead = EXTERNAL.iter().position(|d| d.mx == Mx::Dead).expect("a dead domain") as u16;
        let addr = Addr::Person { user: 1, domain: dead };
        let r = plan_spam(&mut rng, addr, Route::Smtp(dead));
        assert_eq!(r.fin, Final::Never);
    }
}
