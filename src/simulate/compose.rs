//! What a message looks like: recipients, size, Message-ID, sender, whether
//! it takes the content-filter detour; and the wording of NOQUEUE rejects.

use super::delivery::{self, Rcpt, Route};
use super::engine::Ctx;
use super::ids::Qid;
use super::message::{Kind, Message};
use super::names::{
    BASELINE_WEIGHTS, EXTERNAL, FORGED_WEIGHTS, JUNK_HELOS, JUNK_SENDERS, OUR_DOMAINS, SPAM_SUBJECTS, SPAM_WEIGHTS,
};
use super::net::{Client, Name};
use super::put::Put;
use super::rng::{cumulative, Rng};
use super::session::Reject;
use super::world::{Addr, MsgId, MsgIdStyle, World, OUTSIDE};

/// Local parts nobody here has: dictionary attacks and typos.
const BOGUS_USERS: [&str; 8] = [
    "admin@example.com",
    "webmaster@example.com",
    "test@example.org",
    "marketing@example.com",
    "finance@example.com",
    "it@example.net",
    "postmaster2@example.com",
    "newsletter@example.org",
];

/// Running sums of the domain weights, built once per process (they never change).
struct Weights {
    baseline: Vec<f64>,
    spam: Vec<f64>,
    /// Outside domains that send us mail over non-Google servers.
    senders: Vec<f64>,
    /// Envelope senders spammers forge.
    forged: Vec<f64>,
}

fn weights() -> &'static Weights {
    static W: std::sync::OnceLock<Weights> = std::sync::OnceLock::new();
    W.get_or_init(|| {
        let senders =
            EXTERNAL.iter().zip(BASELINE_WEIGHTS).map(|(d, w)| if d.mx == super::names::Mx::Google { 0.0 } else { w });
        Weights {
            baseline: cumulative(BASELINE_WEIGHTS),
            spam: cumulative(SPAM_WEIGHTS),
            senders: cumulative(senders),
            forged: cumulative(FORGED_WEIGHTS),
        }
    })
}

/// Sorted so that one delivery agent call handles a domain's recipients together.
fn route_key(r: &Rcpt) -> u32 {
    match r.route {
        Route::Lmtp => 0,
        Route::Virtual => 1,
        Route::Local => 2,
        Route::Smtp(d) => 3 + u32::from(d),
    }
}

fn finish(mut msg: Message, mut rcpts: Vec<Rcpt>) -> Message {
    rcpts.sort_by_key(route_key);
    msg.rcpts = rcpts;
    msg
}

/// The index into [`OUR_DOMAINS`] of an account's domain.
fn our_domain_of(world: &World, account: u32) -> u16 {
    let user = &world.accounts[account as usize].user;
    OUR_DOMAINS.iter().position(|d| user.ends_with(d)).unwrap_or(0) as u16
}

/// Size in bytes: log-normal around `median`, within `lo..=hi`.
fn size(rng: &mut Rng, median: f64, lo: u32, hi: u32) -> u32 {
    ((median * rng.lognormal(1.0)) as u32).clamp(lo, hi)
}

/// A user's ordinary mail: mostly one recipient, a third of them colleagues.
pub(crate) fn submission(ctx: &mut Ctx, qid: Qid, account: u32) -> Message {
    let msgid = MsgId { style: MsgIdStyle::Uuid, seed: ctx.rng.next_u64(), domain: our_domain_of(&ctx.world, account) };
    let mut msg = Message::new(qid, Kind::Submitted, Addr::Account(account), msgid, ctx.now);
    msg.size = size(&mut ctx.rng, 25_000.0, 900, 15_000_000);
    msg.filter = ctx.rng.chance(0.2);
    let n = match ctx.rng.f64() {
        x if x < 0.72 => 1,
        x if x < 0.94 => ctx.rng.range(2, 3),
        _ => ctx.rng.range(4, 8),
    };
    let mut rcpts = ctx.rcpt_vec();
    for _ in 0..n {
        let addr = if ctx.rng.chance(0.3) {
            colleague(ctx, account)
        } else {
            World::person(&mut ctx.rng, &weights().baseline)
        };
        let route = Route::of(addr, &ctx.world);
        rcpts.push(delivery::plan_baseline(&mut ctx.rng, addr, route));
    }
    finish(msg, rcpts)
}

fn colleague(ctx: &mut Ctx, not: u32) -> Addr {
    let i = ctx.rng.weighted(&ctx.world.popularity) as u32;
    let n = ctx.world.accounts.len() as u32;
    Addr::Account(if i == not { (i + 1) % n } else { i })
}

/// Spam through a stolen account: many outside recipients, mostly freemail.
/// The attacker's first message is a one-recipient probe to their own mailbox.
pub(crate) fn spam(ctx: &mut Ctx, qid: Qid, account: u32) -> Message {
    let probe = ctx.attack.as_mut().is_some_and(|a| !std::mem::replace(&mut a.probed, true));
    let msgid = MsgId { style: MsgIdStyle::Hex, seed: ctx.rng.next_u64(), domain: our_domain_of(&ctx.world, account) };
    let mut msg = Message::new(qid, Kind::Submitted, Addr::Account(account), msgid, ctx.now);
    msg.spam = true;
    msg.size = size(&mut ctx.rng, 5_000.0, 1_500, 60_000);
    msg.filter = ctx.rng.chance(0.1);
    let n = if probe { 1 } else { spam_rcpt_count(&mut ctx.rng) };
    let mut rcpts = ctx.rcpt_vec();
    for _ in 0..n {
        let addr = if probe {
            Addr::Person { user: ctx.rng.next_u64() as u32, domain: 0 }
        } else {
            World::person(&mut ctx.rng, &weights().spam)
        };
        let route = Route::of(addr, &ctx.world);
        let r = if probe {
            delivery::plan_baseline(&mut ctx.rng, addr, route)
        } else {
            delivery::plan_spam(&mut ctx.rng, addr, route)
        };
        rcpts.push(r);
    }
    if !probe {
        disguise(ctx, &mut msg, account);
    }
    finish(msg, rcpts)
}

/// What a fast spam run adds (never drawn for `sasl-compromise`): a forged
/// envelope sender, and now and then a subject that `header_checks` rejects.
fn disguise(ctx: &mut Ctx, msg: &mut Message, account: u32) {
    let Some(a) = ctx.attack.as_mut() else {
        return;
    };
    if a.forge {
        msg.sender = World::person(&mut ctx.rng, &weights().forged);
    }
    if a.rejects_left > 0 && ctx.rng.chance(0.08) {
        a.rejects_left -= 1;
        let subject = ctx.rng.index(SPAM_SUBJECTS.len()) as u8;
        let helo = ctx.rng.index(JUNK_HELOS.len()) as u8;
        msg.header_reject = Some((account, subject, helo));
    }
}

/// Bulk lists: a few per message, sometimes a long Bcc.
fn spam_rcpt_count(rng: &mut Rng) -> u64 {
    match rng.f64() {
        x if x < 0.45 => rng.range(1, 2),
        x if x < 0.9 => rng.range(3, 5),
        _ => rng.range(6, 9),
    }
}

/// Mail from outside for one to three of our users.
pub(crate) fn inbound(ctx: &mut Ctx, qid: Qid, client: &Client) -> Message {
    let google = client.name == Name::Google;
    let domain = if google { 0 } else { ctx.rng.weighted(&weights().senders) as u16 };
    let sender = Addr::Person { user: ctx.rng.next_u64() as u32, domain };
    let msgid = MsgId {
        style: if google { MsgIdStyle::Gmail } else { MsgIdStyle::Hex },
        seed: ctx.rng.next_u64(),
        domain: OUTSIDE + domain,
    };
    let mut msg = Message::new(qid, Kind::Inbound, sender, msgid, ctx.now);
    msg.size = size(&mut ctx.rng, 40_000.0, 1_200, 25_000_000);
    msg.filter = ctx.rng.chance(0.5);
    let n = if ctx.rng.chance(0.85) { 1 } else { ctx.rng.range(2, 3) };
    let mut rcpts = ctx.rcpt_vec();
    for _ in 0..n {
        let i = ctx.rng.weighted(&ctx.world.popularity) as u32;
        let addr = Addr::Account(i);
        let route = Route::of(addr, &ctx.world);
        rcpts.push(delivery::plan_baseline(&mut ctx.rng, addr, route));
    }
    finish(msg, rcpts)
}

/// The login name of a local uid that sends mail.
pub(crate) fn login_of(uid: u32) -> &'static str {
    match uid {
        0 => "root",
        33 => "www-data",
        _ => "deploy",
    }
}

/// A locally submitted message: cron's mail to root (uid 0) or to another
/// local user, the web application's notifications (uid 33), or the injected
/// script's spam.
pub(crate) fn pickup(ctx: &mut Ctx, uid: u32, spam: bool) -> Message {
    let qid = ctx.ids.alloc(&mut ctx.rng, ctx.now);
    let login = login_of(uid);
    let cron = uid != 33;
    let style = if cron { MsgIdStyle::Postfix } else { MsgIdStyle::Hex };
    let msgid = MsgId { style, seed: ctx.rng.next_u64(), domain: 0 };
    let kind = Kind::Pickup { uid, login };
    let mut msg = Message::new(qid, kind, Addr::Local(login), msgid, ctx.now);
    msg.spam = spam;
    msg.size = size(&mut ctx.rng, if cron { 1_800.0 } else { 6_000.0 }, 600, 80_000);
    msg.filter = !cron && ctx.rng.chance(0.2);
    let n = if spam { ctx.rng.range(1, 3) } else { 1 };
    let mut rcpts = ctx.rcpt_vec();
    for _ in 0..n {
        let addr = match (uid, spam) {
            (0, _) => Addr::Local("root"),
            (_, false) if cron => Addr::Local(login),
            (_, true) => World::person(&mut ctx.rng, &weights().spam),
            _ => World::person(&mut ctx.rng, &weights().baseline),
        };
        let route = Route::of(addr, &ctx.world);
        let r = if spam {
            delivery::plan_spam(&mut ctx.rng, addr, route)
        } else {
            delivery::plan_baseline(&mut ctx.rng, addr, route)
        };
        rcpts.push(r);
    }
    finish(msg, rcpts)
}

/// The text of an smtpd `NOQUEUE: reject: RCPT from NAME[IP]: …` after the
/// client; `seed` fixes the sender, recipient and HELO.
pub(crate) fn put_reject(ctx: &mut Ctx, reject: Reject, seed: u64, client: &Client) {
    let mut rng = Rng::new(seed);
    let sender = *rng.pick(&JUNK_SENDERS);
    let helo = *rng.pick(&JUNK_HELOS);
    let rcpt = match reject {
        Reject::Relay => World::person(&mut rng, &weights().spam),
        Reject::UnknownUser => Addr::Literal(bogus_user(&mut rng)),
        _ => Addr::Account(rng.weighted(&ctx.world.popularity) as u32),
    };
    let (world, b) = (&ctx.world, ctx.out.buf());
    let put_rcpt = |b: &mut Vec<u8>| {
        b.s("<");
        world.put_addr(b, rcpt);
        b.s(">");
    };
    match reject {
        Reject::Relay => {
            b.s("554 5.7.1 ");
            put_rcpt(b);
            b.s(": Relay access denied");
        }
        Reject::UnknownUser => {
            b.s("550 5.1.1 ");
            put_rcpt(b);
            b.s(": Recipient address rejected: User unknown in virtual mailbox table");
        }
        Reject::NoReverse => {
            b.s("450 4.7.1 Client host rejected: cannot find your reverse hostname, [");
            b.ip(&client.ip).s("]");
        }
        Reject::Blocklisted => {
            b.s("554 5.7.1 Service unavailable; Client host [").ip(&client.ip);
            b.s("] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/");
            b.ip(&client.ip);
        }
    }
    b.s("; from=<").s(sender).s("> to=");
    put_rcpt(b);
    b.s(" proto=ESMTP helo=<").s(helo).s(">");
}

/// A bogus account name a password guesser tries.
pub(crate) fn bogus_user(rng: &mut Rng) -> &'static str {
    BOGUS_USERS[rng.index(BOGUS_USERS.len())]
}
