//! What happens when: baseline traffic as diurnal Poisson arrivals, and the
//! attack's timeline (password guessing, takeover, spam burst, clean-up).
//!
//! Every rate is "per day at volume 1.0" and scales linearly with `volume`;
//! counts of distinct actors (accounts, attacker IPs) grow more slowly, the
//! way a bigger server has more users but not proportionally more botnets.

use super::clock::{DAY, HOUR, MIN};
use super::compose;
use super::engine::{Ctx, Engine, Flow};
use super::names::OUR_DOMAINS;
use super::net::{Client, Name};
use super::noise::{self, Junk, JunkKind};
use super::rng::{cumulative, Rng};
use super::session::{Guess, Inst, Purpose, Reject, Session};
use super::truth::Header;
use super::{Scenario, SimOptions};

/// Where password guessers and botnets sit.
const WAVE_COUNTRIES: [&str; 13] = ["CN", "VN", "BR", "RU", "IN", "NG", "TR", "ID", "UA", "PK", "KR", "AR", "TH"];
const BOT_COUNTRIES: [&str; 13] = ["BR", "VN", "IN", "ID", "CN", "NG", "MX", "AR", "TH", "PK", "RU", "TR", "US"];
const LOGIN_COUNTRIES: [&str; 5] = ["NG", "RU", "VN", "BR", "UA"];
/// Junk and scanners come from everywhere.
const JUNK_COUNTRIES: [&str; 22] = [
    "CN", "VN", "BR", "RU", "IN", "NG", "TR", "ID", "UA", "PK", "KR", "AR", "TH", "US", "MX", "JP", "PL", "IT", "ES",
    "GB", "FR", "DE",
];
/// Small outside mail servers that write to us (besides Google).
const SENDER_COUNTRIES: [&str; 7] = ["DE", "FR", "US", "GB", "ES", "IT", "PL"];

/// Relative activity by UTC hour for office mail (the company is in Europe).
const OFFICE: [f64; 24] = [
    0.05, 0.04, 0.04, 0.04, 0.05, 0.1, 0.3, 0.7, 1.0, 1.0, 1.0, 0.9, 0.8, 1.0, 1.0, 1.0, 0.9, 0.6, 0.4, 0.3, 0.25, 0.2,
    0.12, 0.08,
];
/// Inbound mail and junk: busier by day, never quiet.
const INBOUND: [f64; 24] = [
    0.35, 0.3, 0.3, 0.3, 0.35, 0.45, 0.6, 0.8, 1.0, 1.0, 1.0, 1.0, 0.95, 1.0, 1.0, 1.0, 0.95, 0.85, 0.75, 0.65, 0.6,
    0.55, 0.45, 0.4,
];

/// Baseline per day at volume 1.0 (sized so that the sample set stays a
/// few megabytes per day).
const SUBMISSIONS: f64 = 500.0;
const INBOUND_MAIL: f64 = 650.0;
const CRON_MAIL: f64 = 8.0;
const WEB_NOTICES: f64 = 30.0;
const REJECTS: f64 = 200.0;
const JUNK: f64 = 180.0;
const LOST: f64 = 40.0;
const SCANNERS: f64 = 40.0;
const IMAP_LOGINS: f64 = 400.0;
const IMAP_GUESSES: f64 = 25.0;
/// The attack at volume 1.0.
const WAVE_FAILURES: f64 = 3000.0;
const WAVE_IPS: f64 = 250.0;
const SPAM_MESSAGES: f64 = 2800.0;
const BOT_IPS: f64 = 150.0;
const BOT_MAILS_PER_SESSION: f64 = 3.5;

/// Something that starts a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Submission,
    Inbound,
    Cron,
    WebNotice,
    Reject,
    Junk,
    Lost,
    Scanner,
    Imap,
    ImapGuess,
    Wave,
    FirstLogin,
    Bot,
    Script,
}

impl Source {
    /// Starts one flow of this kind now.
    pub(crate) fn start(self, ctx: &mut Ctx) {
        let flow = match self {
            Source::Submission => submission(ctx),
            Source::Inbound => inbound(ctx),
            Source::Cron => Flow::Message(compose::pickup(ctx, 0, false)),
            Source::WebNotice => Flow::Message(compose::pickup(ctx, 33, false)),
            Source::Script => Flow::Message(compose::pickup(ctx, 33, true)),
            Source::Reject => reject(ctx),
            Source::Junk => junk(ctx),
            Source::Lost => lost(ctx),
            Source::Scanner => guesser(ctx, false),
            Source::Wave => guesser(ctx, true),
            Source::Imap => return noise::imap_login(ctx),
            Source::ImapGuess => return imap_guess(ctx),
            Source::FirstLogin => attacker(ctx, true),
            Source::Bot => attacker(ctx, false),
        };
        ctx.spawn(ctx.now, flow);
    }
}

fn submission(ctx: &mut Ctx) -> Flow {
    let account = ctx.rng.weighted(&ctx.world.activity) as u32;
    let clients = &ctx.world.accounts[account as usize].clients;
    let client = clients[ctx.rng.index(clients.len())];
    let inst = if ctx.rng.chance(0.75) { Inst::Submission } else { Inst::Smtps };
    let mails = if ctx.rng.chance(0.9) { 1 } else { ctx.rng.range(2, 3) as u16 };
    let purpose = Purpose::Submit { account, attack: false };
    Flow::Session(Session::new(ctx, purpose, inst, client, mails))
}

fn inbound(ctx: &mut Ctx) -> Flow {
    let client = if ctx.rng.chance(0.45) {
        Client::google(&mut ctx.rng)
    } else {
        ctx.world.stranger(&mut ctx.rng, &SENDER_COUNTRIES, 0.9, 0.0)
    };
    Flow::Session(Session::new(ctx, Purpose::Inbound, Inst::Smtpd, client, 1))
}

fn reject(ctx: &mut Ctx) -> Flow {
    let reject = match ctx.rng.f64() {
        x if x < 0.35 => Reject::Relay,
        x if x < 0.7 => Reject::UnknownUser,
        x if x < 0.85 => Reject::NoReverse,
        _ => Reject::Blocklisted,
    };
    let mut client = ctx.world.stranger(&mut ctx.rng, &JUNK_COUNTRIES, 0.2, 0.05);
    if reject == Reject::NoReverse {
        client.name = Name::Unknown;
    }
    let seed = ctx.rng.next_u64();
    let purpose = Purpose::Reject { reject, seed };
    Flow::Session(Session::new(ctx, purpose, Inst::Smtpd, client, 0))
}

fn junk(ctx: &mut Ctx) -> Flow {
    let kind = match ctx.rng.f64() {
        x if x < 0.35 => JunkKind::Pregreet,
        x if x < 0.75 => JunkKind::Dnsbl,
        _ => JunkKind::Hangup,
    };
    let client = ctx.world.stranger(&mut ctx.rng, &JUNK_COUNTRIES, 0.2, 0.05);
    Flow::Junk(Junk::new(ctx, kind, client))
}

fn lost(ctx: &mut Ctx) -> Flow {
    let client = ctx.world.stranger(&mut ctx.rng, &JUNK_COUNTRIES, 0.2, 0.05);
    Flow::Session(Session::new(ctx, Purpose::Lost, Inst::Smtpd, client, 0))
}

fn imap_guess(ctx: &mut Ctx) {
    let client = ctx.world.stranger(&mut ctx.rng, &WAVE_COUNTRIES, 0.1, 0.0);
    let user = compose::bogus_user(&mut ctx.rng);
    noise::imap_guess(ctx, &client, user);
}

/// One AUTH attempt that fails: the attack's wave or background scanners.
fn guesser(ctx: &mut Ctx, wave: bool) -> Flow {
    let (client, guess) = match (wave, ctx.attack.as_ref()) {
        (true, Some(a)) => {
            let client = a.wave[ctx.rng.weighted(&a.wave_weights)];
            (client, wave_guess(&mut ctx.rng, a))
        }
        _ => {
            let client = ctx.world.stranger(&mut ctx.rng, &JUNK_COUNTRIES, 0.2, 0.05);
            let guess =
                if ctx.rng.chance(0.5) { Guess::Prompt } else { Guess::Bogus(compose::bogus_user(&mut ctx.rng)) };
            (client, guess)
        }
    };
    let plain = guess != Guess::Prompt && ctx.rng.chance(0.4);
    let inst = match ctx.rng.f64() {
        x if x < 0.45 => Inst::Smtps,
        x if x < 0.7 => Inst::Smtpd,
        _ => Inst::Submission,
    };
    let lost = ctx.rng.chance(0.1);
    let purpose = Purpose::Guess { guess, plain, wave, lost };
    Flow::Session(Session::new(ctx, purpose, inst, client, 0))
}

/// Mostly the bare LOGIN prompt failure, often naming the victim, sometimes others.
fn wave_guess(rng: &mut Rng, a: &Attack) -> Guess {
    match rng.f64() {
        x if x < 0.55 => Guess::Prompt,
        x if x < 0.85 => Guess::Account(a.victim),
        x if x < 0.95 => Guess::Account(*rng.pick(&a.others)),
        _ => Guess::Bogus(compose::bogus_user(rng)),
    }
}

/// The attacker submitting as the victim: the first login, or a bot.
fn attacker(ctx: &mut Ctx, first: bool) -> Flow {
    let Some(a) = ctx.attack.as_ref() else {
        return Flow::Empty;
    };
    let (client, victim) =
        if first { (a.login, a.victim) } else { (a.bots[ctx.rng.weighted(&a.bot_weights)], a.victim) };
    let mails = if first { 1 } else { ctx.rng.range(1, 6) as u16 };
    let inst = if ctx.rng.chance(0.7) { Inst::Submission } else { Inst::Smtps };
    let purpose = Purpose::Submit { account: victim, attack: true };
    Flow::Session(Session::new(ctx, purpose, inst, client, mails))
}

/// The attacker's cast, drawn once.
pub(crate) struct Attack {
    pub(crate) victim: u32,
    /// Whether the one-recipient probe message went out.
    pub(crate) probed: bool,
    others: Vec<u32>,
    wave: Vec<Client>,
    wave_weights: Vec<f64>,
    login: Client,
    bots: Vec<Client>,
    bot_weights: Vec<f64>,
}

/// How often a source fires over time, relative to its peak.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Curve {
    Flat,
    Office,
    Inbound,
    /// On between `from` and `until`, ramping up and down.
    Window {
        from: i64,
        until: i64,
    },
}

impl Curve {
    fn at(self, t: i64) -> f64 {
        match self {
            Curve::Flat => 1.0,
            Curve::Office => hourly(&OFFICE, t),
            Curve::Inbound => hourly(&INBOUND, t),
            Curve::Window { from, until } => {
                let up = (t - from) as f64 / (20 * MIN) as f64;
                let down = (until - t) as f64 / (40 * MIN) as f64;
                up.min(down).clamp(0.05, 1.0)
            }
        }
    }

    fn mean(self) -> f64 {
        match self {
            Curve::Office => OFFICE.iter().sum::<f64>() / 24.0,
            Curve::Inbound => INBOUND.iter().sum::<f64>() / 24.0,
            Curve::Flat | Curve::Window { .. } => 1.0,
        }
    }
}

/// Linear interpolation between hourly values, so rates have no steps.
fn hourly(table: &[f64; 24], t: i64) -> f64 {
    let into_day = t.rem_euclid(DAY) as f64 / HOUR as f64;
    let h = into_day as usize % 24;
    let frac = into_day - into_day.floor();
    table[h] * (1.0 - frac) + table[(h + 1) % 24] * frac
}

/// A Poisson process (thinned by its curve) that starts flows of one source.
pub(crate) struct Arrivals {
    source: Source,
    /// Mean gap between candidate arrivals at the peak rate, in µs.
    gap: f64,
    curve: Curve,
    until: i64,
    armed: bool,
}

impl Arrivals {
    pub(crate) fn step(&mut self, ctx: &mut Ctx) -> Option<i64> {
        if self.armed {
            self.source.start(ctx);
        }
        self.armed = true;
        let mut t = ctx.now;
        loop {
            t += self.gap_sample(&mut ctx.rng);
            if t >= self.until {
                return None;
            }
            if ctx.rng.f64() < self.curve.at(t) {
                return Some(t);
            }
        }
    }

    fn gap_sample(&self, rng: &mut Rng) -> i64 {
        rng.exp(self.gap) as i64 + 1
    }
}

/// Schedules `count` expected arrivals of `source` between `from` and `until`.
fn arrivals(engine: &mut Engine, source: Source, count: f64, curve: Curve, from: i64, until: i64) {
    if count <= 0.0 || until <= from {
        return;
    }
    let span = (until - from) as f64;
    let gap = span * curve.mean() / count;
    let a = Arrivals { source, gap, curve, until, armed: false };
    engine.schedule(from, Flow::Arrivals(a));
}

/// Lays out the whole simulation and returns the plan's part of the truth.
pub(crate) fn plan(engine: &mut Engine, ctx: &mut Ctx, opts: &SimOptions, start: i64) -> Header {
    let end = start + i64::from(opts.days) * DAY;
    baseline(engine, opts.volume, start, end);
    engine.schedule(start + ctx.rng.ms(0, 600_000), Flow::Anvil);
    let mut head = Header {
        scenario: opts.scenario,
        seed: opts.seed,
        format: opts.format,
        long_ids: opts.long_ids,
        volume: opts.volume,
        hostname: opts.hostname.clone(),
        compromised_account: None,
        compromised_uid: None,
        wave_target: None,
    };
    let attack_day = start + if opts.days >= 2 { DAY } else { 0 };
    match opts.scenario {
        Scenario::Quiet => {}
        Scenario::SaslCompromise => {
            let victim = sasl_compromise(engine, ctx, opts.volume, attack_day, end);
            let user = ctx.world.accounts[victim as usize].user.clone();
            head.compromised_account = Some(user.clone());
            head.wave_target = Some(user);
        }
        Scenario::WebappScript => {
            webapp_script(engine, ctx, opts.volume, attack_day, end);
            head.compromised_uid = Some(33);
        }
    }
    head
}

fn baseline(engine: &mut Engine, v: f64, start: i64, end: i64) {
    let days = (end - start) as f64 / DAY as f64;
    let table = [
        (Source::Submission, SUBMISSIONS, Curve::Office),
        (Source::Inbound, INBOUND_MAIL, Curve::Inbound),
        (Source::Cron, CRON_MAIL, Curve::Flat),
        (Source::WebNotice, WEB_NOTICES, Curve::Office),
        (Source::Reject, REJECTS, Curve::Inbound),
        (Source::Junk, JUNK, Curve::Flat),
        (Source::Lost, LOST, Curve::Flat),
        (Source::Scanner, SCANNERS, Curve::Flat),
        (Source::Imap, IMAP_LOGINS, Curve::Office),
        (Source::ImapGuess, IMAP_GUESSES, Curve::Flat),
    ];
    for (source, per_day, curve) in table {
        arrivals(engine, source, per_day * v * days, curve, start, end);
    }
}

/// The account most worth stealing: a person (not a role) on the main domain.
fn pick_victim(ctx: &mut Ctx) -> u32 {
    let people: Vec<u32> = (0..ctx.world.accounts.len() as u32)
        .filter(|&i| {
            let user = &ctx.world.accounts[i as usize].user;
            user.ends_with(OUR_DOMAINS[0]) && user.contains('.') && !user.starts_with("info@")
        })
        .collect();
    if people.is_empty() {
        0
    } else {
        *ctx.rng.pick(&people)
    }
}

/// Guessing from about 01:00 on the attack day, the probe login after it,
/// then spam until the admin reacts late on the last day.
fn sasl_compromise(engine: &mut Engine, ctx: &mut Ctx, v: f64, day: i64, end: i64) -> u32 {
    let rng = &mut ctx.rng;
    let wave_from = day + HOUR + rng.ms(0, 7_200_000);
    let wave_until = wave_from + 5 * HOUR + rng.ms(0, 10_800_000);
    let login_at = wave_until + 10 * MIN + rng.ms(0, 1_800_000);
    let burst_from = login_at + 40 * MIN + rng.ms(0, 3_600_000);
    let admin_at = admin_time(rng, end);
    let burst_until = admin_at - 5 * MIN - rng.ms(0, 900_000);
    let attack = cast(ctx, v);
    let victim = attack.victim;
    ctx.attack = Some(attack);
    let wave = Curve::Window { from: wave_from, until: wave_until };
    arrivals(engine, Source::Wave, WAVE_FAILURES * v, wave, wave_from, wave_until);
    engine.schedule(login_at, Flow::Once(Source::FirstLogin));
    let sessions = SPAM_MESSAGES * v / BOT_MAILS_PER_SESSION;
    let burst = Curve::Window { from: burst_from, until: burst_until };
    arrivals(engine, Source::Bot, sessions, burst, burst_from, burst_until);
    engine.schedule(admin_at, Flow::Postsuper);
    victim
}

/// Draws the victim and the attacker's addresses (never anyone else's).
fn cast(ctx: &mut Ctx, v: f64) -> Attack {
    let victim = pick_victim(ctx);
    let n = ctx.world.accounts.len() as u64;
    let others = (0..6).map(|_| ctx.rng.below(n) as u32).collect();
    let wave_n = (WAVE_IPS * v.sqrt()).round().max(5.0) as usize;
    let wave: Vec<Client> =
        (0..wave_n).map(|_| ctx.world.fresh_client_any(&mut ctx.rng, &WAVE_COUNTRIES, 0.04)).collect();
    let wave_weights = cumulative((0..wave.len()).map(|_| ctx.rng.lognormal(1.0)));
    let login = ctx.world.fresh_client(&mut ctx.rng, &LOGIN_COUNTRIES, 0.3);
    let bot_n = (BOT_IPS * v.sqrt()).round().max(3.0) as usize;
    let bots: Vec<Client> =
        (0..bot_n).map(|_| ctx.world.fresh_client_any(&mut ctx.rng, &BOT_COUNTRIES, 0.05)).collect();
    let bot_weights = cumulative((0..bots.len()).map(|_| ctx.rng.lognormal(0.8)));
    Attack { victim, probed: false, others, wave, wave_weights, login, bots, bot_weights }
}

/// The script starts in the small hours of the attack day and runs until the
/// admin disables it and cleans the queue.
fn webapp_script(engine: &mut Engine, ctx: &mut Ctx, v: f64, day: i64, end: i64) {
    let from = day + 3 * HOUR + ctx.rng.ms(0, 10_800_000);
    let admin_at = admin_time(&mut ctx.rng, end);
    let until = admin_at - 5 * MIN - ctx.rng.ms(0, 900_000);
    let curve = Curve::Window { from, until };
    arrivals(engine, Source::Script, SPAM_MESSAGES * v, curve, from, until);
    engine.schedule(admin_at, Flow::Postsuper);
}

/// When the admin notices (late on the last day), stops the sender and runs
/// `postsuper -d` on the spam still queued.
fn admin_time(rng: &mut Rng, end: i64) -> i64 {
    end - 150 * MIN + rng.ms(0, 3_600_000)
}
