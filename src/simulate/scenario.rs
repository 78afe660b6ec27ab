//! What happens when: baseline traffic as diurnal Poisson arrivals, and the
//! attack's timeline (password guessing, takeover, spam burst, clean-up).
//!
//! Every rate is "per day at volume 1.0" and scales linearly with `volume`;
//! counts of distinct actors (accounts, attacker IPs) grow more slowly, the
//! way a bigger server has more users but not proportionally more botnets.
//!
//! Long because every incident shape and trap is a combination of the same
//! arrival processes, constants and cast, kept together so their draw order
//! stays visible.

use super::clock::{DAY, HOUR, MIN};
use super::compose;
use super::engine::{Ctx, Engine, Flow, Sasl, Server};
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
/// Where a separately run login sits: countries no guesser here comes from.
const ELSEWHERE_COUNTRIES: [&str; 3] = ["MX", "JP", "PL"];
/// Hotels our travelling users log in from (no user lives there).
const TRAVEL_COUNTRIES: [&str; 5] = ["JP", "TH", "MX", "AR", "KR"];
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
    /// An ordinary session of `account` from `client` (history, traps).
    User {
        account: u32,
        client: Client,
        mails: u16,
    },
    /// `account` mistypes the password once, from its usual address.
    Typo {
        account: u32,
    },
    /// A cron job of local `uid` mails its owner.
    LocalCron(u32),
    /// The attacker tries the old password after the reset.
    Retry,
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
            Source::User { account, client, mails } => user_session(ctx, account, client, mails),
            Source::Typo { account } => typo(ctx, account),
            Source::LocalCron(uid) => Flow::Message(compose::pickup(ctx, uid, false)),
            Source::Retry => retry(ctx),
        };
        ctx.spawn(ctx.now, flow);
    }
}

fn submission(ctx: &mut Ctx) -> Flow {
    let account = ctx.rng.weighted(&ctx.world.activity) as u32;
    let clients = &ctx.world.accounts[account as usize].clients;
    let client = clients[ctx.rng.index(clients.len())];
    if ctx.attack.as_ref().is_some_and(|a| a.shy && a.victim == account) {
        return Flow::Empty;
    }
    let inst = if ctx.rng.chance(0.75) { Inst::Submission } else { Inst::Smtps };
    let mails = if ctx.rng.chance(0.9) { 1 } else { ctx.rng.range(2, 3) as u16 };
    let purpose = Purpose::Submit { account, attack: false };
    Flow::Session(Session::new(ctx, purpose, inst, client, mails))
}

fn user_session(ctx: &mut Ctx, account: u32, client: Client, mails: u16) -> Flow {
    let inst = if ctx.rng.chance(0.75) { Inst::Submission } else { Inst::Smtps };
    let purpose = Purpose::Submit { account, attack: false };
    Flow::Session(Session::new(ctx, purpose, inst, client, mails))
}

fn typo(ctx: &mut Ctx, account: u32) -> Flow {
    let client = ctx.world.accounts[account as usize].clients[0];
    let purpose = Purpose::Guess { guess: Guess::Account(account), plain: true, wave: false, lost: false };
    Flow::Session(Session::new(ctx, purpose, Inst::Submission, client, 0))
}

/// A bot that had logged in as the victim tries the old password.
fn retry(ctx: &mut Ctx) -> Flow {
    let Some(a) = ctx.attack.as_ref() else {
        return Flow::Empty;
    };
    let known = &ctx.tally.attacker_ips;
    let used: Vec<Client> =
        std::iter::once(a.login).chain(a.bots.iter().copied()).filter(|c| known.contains(&c.ip)).collect();
    if used.is_empty() {
        return Flow::Empty;
    }
    let client = *ctx.rng.pick(&used);
    let purpose = Purpose::Guess { guess: Guess::Account(a.victim), plain: false, wave: false, lost: false };
    let inst = if ctx.rng.chance(0.7) { Inst::Submission } else { Inst::Smtps };
    Flow::Session(Session::new(ctx, purpose, inst, client, 0))
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
    let mut planned_lost = None;
    let (client, guess) = match (wave, ctx.attack.as_mut()) {
        (true, Some(a)) if !a.slow.is_empty() => {
            let (i, lost) = a.slow.pop().unwrap_or_default();
            planned_lost = Some(lost);
            let guess = if ctx.rng.chance(0.85) { a.victim } else { *ctx.rng.pick(&a.others) };
            (a.wave[i], Guess::Account(guess))
        }
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
    let lost = planned_lost.unwrap_or_else(|| ctx.rng.chance(0.1));
    let purpose = Purpose::Guess { guess, plain, wave, lost };
    Flow::Session(Session::new(ctx, purpose, inst, client, 0))
}

/// Mostly the bare LOGIN prompt failure, often naming the victim, sometimes
/// others (a short wave names the victim more often than not).
fn wave_guess(rng: &mut Rng, a: &Attack) -> Guess {
    match rng.f64() {
        x if x < a.prompt_share => Guess::Prompt,
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
    /// The share of wave failures that name nobody.
    prompt_share: f64,
    /// A slow wave's planned tries, last first: (wave address, drops the
    /// connection after AUTH).
    slow: Vec<(usize, bool)>,
    /// A fast spam run: forged envelope senders.
    pub(crate) forge: bool,
    /// Spam messages `header_checks` still has to reject.
    pub(crate) rejects_left: u32,
    /// The victim sends nothing of her own but what the plan schedules.
    shy: bool,
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

/// The span a scenario covers: (first day's start, number of daily files).
/// `short-history` is one file under an hour long, starting when Debian's
/// `cron.daily` rotates the log (06:25).
pub(crate) fn window(opts: &SimOptions) -> (i64, u32) {
    let start = opts.start.timestamp_micros();
    match opts.scenario {
        Scenario::ShortHistory => (start + 6 * HOUR + 25 * MIN, 1),
        _ => (start, opts.days),
    }
}

/// How long `short-history`'s log runs.
const SHORT_SPAN: i64 = 55 * MIN;

/// Lays out the whole simulation between `start` and `end` (the end of the
/// last day); returns the plan's part of the truth and when the log stops.
pub(crate) fn plan(engine: &mut Engine, ctx: &mut Ctx, opts: &SimOptions, start: i64, end: i64) -> (Header, i64) {
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
        traps: Vec::new(),
    };
    ctx.server = server_of(opts.scenario);
    let attack_day = start + if opts.days >= 2 { DAY } else { 0 };
    let last_day = end - DAY;
    let mut stop = end;
    match opts.scenario {
        Scenario::Quiet => {}
        Scenario::WebappScript => {
            webapp_script(engine, ctx, opts.volume, attack_day, end);
            head.compromised_uid = Some(33);
        }
        Scenario::TrapTravel => head.traps = traps(engine, ctx, &[Trap::Travel], last_day),
        Scenario::TrapTypo => head.traps = traps(engine, ctx, &[Trap::Typo], last_day),
        Scenario::TrapCron => head.traps = traps(engine, ctx, &[Trap::Cron], last_day),
        Scenario::Traps => head.traps = traps(engine, ctx, &[Trap::Travel, Trap::Typo, Trap::Cron], last_day),
        attack => {
            let shape = Shape::of(attack);
            let day = if shape.burst == Burst::Long { attack_day } else { last_day };
            let victim;
            (victim, stop) = incident(engine, ctx, opts.volume, shape, day, end);
            let user = ctx.world.accounts[victim as usize].user.clone();
            head.compromised_account = Some(user.clone());
            head.wave_target = Some(user);
        }
    }
    (head, stop)
}

/// How a scenario's server is configured.
fn server_of(scenario: Scenario) -> Server {
    let sasl = match scenario {
        Scenario::SlowBruteForce => Sasl::Dovecot { verbose: false },
        Scenario::DovecotFailures => Sasl::Dovecot { verbose: true },
        _ => Sasl::Cyrus,
    };
    Server { sasl, port_logging: scenario == Scenario::PortLogging }
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
    let people: Vec<u32> =
        (0..ctx.world.accounts.len() as u32).filter(|&i| is_person(&ctx.world.accounts[i as usize].user)).collect();
    if people.is_empty() {
        0
    } else {
        *ctx.rng.pick(&people)
    }
}

/// Where the history before the attack comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum History {
    /// Ordinary days before the attack day.
    Days,
    /// The log starts under an hour before: 0–2 mails of the victim's own.
    Short,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wave {
    /// Hours of guessing from hundreds of addresses (`sasl-compromise`).
    Long,
    /// Minutes of guessing from a few dozen addresses, naming the victim.
    Short,
    /// 30–60 tries from 20–40 addresses, one or two each, in minutes.
    Slow,
}

/// Where the attacker's first login comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Login {
    /// An address nobody used, in a country guessers also use.
    Fresh,
    /// The guessing address that got in.
    FromWave,
    /// A network in a country the wave never came from.
    Elsewhere,
    /// An IPv6 address (and part of the botnet over IPv6 too).
    Ipv6,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Burst {
    /// Until the admin reacts late on the last day (`sasl-compromise`).
    Long,
    /// Tens of messages a minute from 5–40 bots, with forged senders.
    Fast,
}

/// What the admin does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Response {
    /// `postsuper -d` on the spam still queued.
    Postsuper,
    /// Nothing yet: the log ends while the spam runs.
    Nothing,
    /// Resets the password (the bots' retries fail), holds a few queued spam
    /// messages and deletes the rest.
    Reset,
}

/// The shape of one account takeover; the attack scenarios are combinations.
#[derive(Clone, Copy, Debug)]
struct Shape {
    history: History,
    wave: Wave,
    login: Login,
    burst: Burst,
    response: Response,
    /// Spam messages cleanup's `header_checks` reject.
    rejects: u32,
}

impl Shape {
    fn of(scenario: Scenario) -> Shape {
        let fast = Shape {
            history: History::Days,
            wave: Wave::Short,
            login: Login::FromWave,
            burst: Burst::Fast,
            response: Response::Postsuper,
            rejects: 0,
        };
        match scenario {
            Scenario::EarlyCaught => Shape { response: Response::Nothing, rejects: 2, ..fast },
            Scenario::ShortHistory => {
                Shape { history: History::Short, response: Response::Nothing, rejects: 2, ..fast }
            }
            Scenario::SlowBruteForce => Shape { wave: Wave::Slow, ..fast },
            Scenario::SeparateInfra => Shape { login: Login::Elsewhere, ..fast },
            Scenario::Ipv6Attacker => Shape { login: Login::Ipv6, ..fast },
            Scenario::ResetRetry => Shape { response: Response::Reset, ..fast },
            Scenario::PortLogging | Scenario::DovecotFailures => fast,
            _ => Shape {
                wave: Wave::Long,
                login: Login::Fresh,
                burst: Burst::Long,
                response: Response::Postsuper,
                ..fast
            },
        }
    }
}

/// When the attack's phases start and end.
struct Timeline {
    wave_from: i64,
    wave_until: i64,
    login_at: i64,
    burst_from: i64,
    burst_until: i64,
    admin_at: i64,
    /// Where the log ends.
    stop: i64,
}

/// `sasl-compromise`: guessing from about 01:00 on the attack day, the probe
/// login after it, then spam until the admin reacts late on the last day.
/// The others: guessing in office hours of the last day, minutes between the
/// phases (seconds-scale for a short history).
fn timeline(rng: &mut Rng, shape: &Shape, day: i64, end: i64) -> Timeline {
    if shape.burst == Burst::Long {
        let wave_from = day + HOUR + rng.ms(0, 7_200_000);
        let wave_until = wave_from + 5 * HOUR + rng.ms(0, 10_800_000);
        let login_at = wave_until + 10 * MIN + rng.ms(0, 1_800_000);
        let burst_from = login_at + 40 * MIN + rng.ms(0, 3_600_000);
        let admin_at = admin_time(rng, end);
        let burst_until = admin_at - 5 * MIN - rng.ms(0, 900_000);
        return Timeline { wave_from, wave_until, login_at, burst_from, burst_until, admin_at, stop: end };
    }
    let short = shape.history == History::Short;
    let mut minutes = |lo: u64, hi: u64| rng.ms(lo * 60_000, hi * 60_000);
    let wave_from = day + if short { minutes(8, 15) } else { 8 * HOUR + minutes(0, 240) };
    let wave_until = wave_from
        + match (shape.wave, short) {
            (Wave::Slow, _) => minutes(1, 4),
            (_, true) => minutes(4, 8),
            _ => minutes(15, 40),
        };
    let login_at = wave_until + if short { minutes(1, 3) } else { minutes(2, 15) };
    let burst_from = login_at + if short { minutes(1, 3) } else { minutes(3, 20) };
    let burst_until = burst_from
        + match (shape.response, short) {
            (_, true) => minutes(3, 6),
            (Response::Nothing, false) => minutes(9, 12),
            _ => minutes(20, 60),
        };
    let admin_at = burst_until + minutes(3, 12);
    let stop = match (shape.response, short) {
        (_, true) => day + SHORT_SPAN,
        (Response::Nothing, false) => burst_until,
        _ => end,
    };
    Timeline { wave_from, wave_until, login_at, burst_from, burst_until, admin_at, stop }
}

/// Plants one account takeover; returns the victim and where the log stops.
fn incident(engine: &mut Engine, ctx: &mut Ctx, v: f64, shape: Shape, day: i64, end: i64) -> (u32, i64) {
    let t = timeline(&mut ctx.rng, &shape, day, end);
    let mut attack = cast(ctx, v, &shape);
    let victim = attack.victim;
    let (from, until) = (t.wave_from, t.wave_until);
    match shape.wave {
        Wave::Long => arrivals(engine, Source::Wave, WAVE_FAILURES * v, Curve::Window { from, until }, from, until),
        Wave::Short => {
            let n = if shape.history == History::Short { ctx.rng.range(60, 150) } else { ctx.rng.range(150, 400) };
            arrivals(engine, Source::Wave, n as f64, Curve::Flat, from, until);
        }
        Wave::Slow => {
            attack.slow = slow_wave(&mut ctx.rng, attack.wave.len());
            for _ in 0..attack.slow.len() {
                let at = from + ctx.rng.below((until - from) as u64) as i64;
                engine.schedule(at, Flow::Once(Source::Wave));
            }
        }
    }
    ctx.attack = Some(attack);
    engine.schedule(t.login_at, Flow::Once(Source::FirstLogin));
    let burst = Curve::Window { from: t.burst_from, until: t.burst_until };
    let (sessions, curve) = match shape.burst {
        Burst::Long => (SPAM_MESSAGES * v / BOT_MAILS_PER_SESSION, burst),
        Burst::Fast => {
            let per_minute =
                if shape.history == History::Short { ctx.rng.range(15, 35) } else { ctx.rng.range(20, 60) };
            let minutes = (t.burst_until - t.burst_from) as f64 / MIN as f64;
            (per_minute as f64 * minutes / BOT_MAILS_PER_SESSION, Curve::Flat)
        }
    };
    arrivals(engine, Source::Bot, sessions, curve, t.burst_from, t.burst_until);
    match shape.response {
        Response::Postsuper => engine.schedule(t.admin_at, Flow::Postsuper { hold: 0 }),
        Response::Nothing => {}
        Response::Reset => {
            // The password changes as the run stops; the bots keep trying it.
            for _ in 0..ctx.rng.range(5, 12) {
                let at = t.burst_until + ctx.rng.ms(5_000, 900_000);
                engine.schedule(at, Flow::Once(Source::Retry));
            }
            let hold = ctx.rng.range(2, 4) as u32;
            engine.schedule(t.admin_at, Flow::Postsuper { hold });
        }
    }
    if shape.history == History::Short {
        let client = ctx.world.accounts[victim as usize].clients[0];
        for _ in 0..ctx.rng.range(0, 2) {
            let at = day + ctx.rng.ms(30_000, (t.wave_from - day) as u64 / 1000);
            engine.schedule(at, Flow::Once(Source::User { account: victim, client, mails: 1 }));
        }
    }
    (victim, t.stop)
}

/// A slow wave's tries: 30–60 in all, one or two per address, about a third
/// of the addresses dropping the connection after AUTH, in random order.
fn slow_wave(rng: &mut Rng, ips: usize) -> Vec<(usize, bool)> {
    let total = rng.range(30.max(ips as u64), 60.min(2 * ips as u64)) as usize;
    let mut tries: Vec<(usize, bool)> = (0..ips).map(|i| (i, rng.chance(0.33))).collect();
    shuffle(rng, &mut tries);
    let again: Vec<(usize, bool)> = tries.iter().copied().take(total.saturating_sub(ips)).collect();
    tries.extend(again);
    shuffle(rng, &mut tries);
    tries
}

fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.index(i + 1));
    }
}

/// The index of the largest weight, given running sums.
fn heaviest(cumulative: &[f64]) -> usize {
    let mut best = (0, f64::MIN);
    let mut prev = 0.0;
    for (i, &c) in cumulative.iter().enumerate() {
        if c - prev > best.1 {
            best = (i, c - prev);
        }
        prev = c;
    }
    best.0
}

/// Draws the victim and the attacker's addresses (never anyone else's).
fn cast(ctx: &mut Ctx, v: f64, shape: &Shape) -> Attack {
    let victim = pick_victim(ctx);
    let n = ctx.world.accounts.len() as u64;
    let others = (0..6).map(|_| ctx.rng.below(n) as u32).collect();
    let wave_n = match shape.wave {
        Wave::Long => (WAVE_IPS * v.sqrt()).round().max(5.0) as usize,
        Wave::Short => ctx.rng.range(8, 30) as usize,
        Wave::Slow => ctx.rng.range(20, 40) as usize,
    };
    let ipv6 = shape.login == Login::Ipv6;
    let wave_v6 = if ipv6 { 0.3 } else { 0.04 };
    let wave: Vec<Client> =
        (0..wave_n).map(|_| ctx.world.fresh_client_any(&mut ctx.rng, &WAVE_COUNTRIES, wave_v6)).collect();
    let wave_weights = cumulative((0..wave.len()).map(|_| ctx.rng.lognormal(1.0)));
    let login = match shape.login {
        Login::Fresh => ctx.world.fresh_client(&mut ctx.rng, &LOGIN_COUNTRIES, 0.3),
        Login::FromWave => wave[heaviest(&wave_weights)],
        Login::Elsewhere => ctx.world.fresh_client(&mut ctx.rng, &ELSEWHERE_COUNTRIES, 0.3),
        Login::Ipv6 => ctx.world.fresh_client_any(&mut ctx.rng, &LOGIN_COUNTRIES, 1.0),
    };
    let bot_n = match shape.burst {
        Burst::Long => (BOT_IPS * v.sqrt()).round().max(3.0) as usize,
        Burst::Fast => ctx.rng.range(5, 40) as usize,
    };
    let bot_v6 = if ipv6 { 0.4 } else { 0.05 };
    let bots: Vec<Client> =
        (0..bot_n).map(|_| ctx.world.fresh_client_any(&mut ctx.rng, &BOT_COUNTRIES, bot_v6)).collect();
    let bot_weights = cumulative((0..bots.len()).map(|_| ctx.rng.lognormal(0.8)));
    Attack {
        victim,
        probed: false,
        others,
        wave,
        wave_weights,
        login,
        bots,
        bot_weights,
        prompt_share: if shape.wave == Wave::Long { 0.55 } else { 0.25 },
        slow: Vec::new(),
        forge: shape.burst == Burst::Fast,
        rejects_left: shape.rejects,
        shy: shape.history == History::Short,
    }
}

/// Innocent oddities an analyzer must not flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trap {
    /// Two logins hours apart from a hotel abroad, the usual few messages.
    Travel,
    /// One failed AUTH naming himself from his usual address, then success.
    Typo,
    /// A new local uid's cron job mails twice within a minute.
    Cron,
}

/// The uid of the new cron job.
const CRON_UID: u32 = 1001;

/// Plants the traps on `day` (office hours) and returns their identities.
fn traps(engine: &mut Engine, ctx: &mut Ctx, kinds: &[Trap], day: i64) -> Vec<String> {
    let mut names = Vec::new();
    for &kind in kinds {
        let once = |engine: &mut Engine, at: i64, s: Source| engine.schedule(at, Flow::Once(s));
        match kind {
            Trap::Travel => {
                let account = regular(ctx, &names);
                let hotel = ctx.world.fresh_client(&mut ctx.rng, &TRAVEL_COUNTRIES, 0.5);
                let first = day + 7 * HOUR + ctx.rng.ms(0, 10_800_000);
                let second = first + 3 * HOUR + ctx.rng.ms(0, 10_800_000);
                let mails = ctx.rng.range(1, 2) as u16;
                once(engine, first, Source::User { account, client: hotel, mails: 1 });
                once(engine, second, Source::User { account, client: hotel, mails });
                names.push(ctx.world.accounts[account as usize].user.clone());
            }
            Trap::Typo => {
                let account = regular(ctx, &names);
                let client = ctx.world.accounts[account as usize].clients[0];
                let at = day + 8 * HOUR + ctx.rng.ms(0, 28_800_000);
                once(engine, at, Source::Typo { account });
                let retry = at + ctx.rng.ms(4_000, 25_000);
                once(engine, retry, Source::User { account, client, mails: 1 });
                names.push(ctx.world.accounts[account as usize].user.clone());
            }
            Trap::Cron => {
                let at = day + 10 * HOUR + ctx.rng.ms(0, 14_400_000);
                once(engine, at, Source::LocalCron(CRON_UID));
                let next = at + ctx.rng.ms(2_000, 50_000);
                once(engine, next, Source::LocalCron(CRON_UID));
                names.push(format!("uid={CRON_UID}"));
            }
        }
    }
    names
}

/// A person who uses the server (drawn by activity), not already a trap.
fn regular(ctx: &mut Ctx, taken: &[String]) -> u32 {
    for _ in 0..200 {
        let i = ctx.rng.weighted(&ctx.world.activity) as u32;
        let user = &ctx.world.accounts[i as usize].user;
        if is_person(user) && !taken.contains(user) {
            return i;
        }
    }
    pick_victim(ctx)
}

fn is_person(user: &str) -> bool {
    user.ends_with(OUR_DOMAINS[0]) && user.contains('.') && !user.starts_with("info@")
}

/// The script starts in the small hours of the attack day and runs until the
/// admin disables it and cleans the queue.
fn webapp_script(engine: &mut Engine, ctx: &mut Ctx, v: f64, day: i64, end: i64) {
    let from = day + 3 * HOUR + ctx.rng.ms(0, 10_800_000);
    let admin_at = admin_time(&mut ctx.rng, end);
    let until = admin_at - 5 * MIN - ctx.rng.ms(0, 900_000);
    let curve = Curve::Window { from, until };
    arrivals(engine, Source::Script, SPAM_MESSAGES * v, curve, from, until);
    engine.schedule(admin_at, Flow::Postsuper { hold: 0 });
}

/// When the admin notices (late on the last day), stops the sender and runs
/// `postsuper -d` on the spam still queued.
fn admin_time(rng: &mut Rng, end: i64) -> i64 {
    end - 150 * MIN + rng.ms(0, 3_600_000)
}
