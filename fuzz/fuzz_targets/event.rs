//! Every Postfix payload parser: the first byte picks the daemon (the
//! names `event::parse` dispatches on, and one it does not know), the rest
//! is the payload.
#![no_main]
use libfuzzer_sys::fuzz_target;

const DAEMONS: [&str; 20] = [
    "smtpd",
    "postscreen",
    "tlsproxy",
    "dnsblog",
    "anvil",
    "pickup",
    "cleanup",
    "qmgr",
    "nqmgr",
    "smtp",
    "lmtp",
    "local",
    "virtual",
    "pipe",
    "error",
    "retry",
    "discard",
    "bounce",
    "postsuper",
    "master",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, payload)) = data.split_first() else { return };
    let daemon = DAEMONS[usize::from(pick) % DAEMONS.len()];
    let payload = String::from_utf8_lossy(payload);
    if let Some(event) = postsleuth::event::parse(daemon, &payload) {
        let _ = event.damaged_addresses();
        let _ = format!("{event:?}");
    }
    let _ = postsleuth::event::DeliveryStatus::parse(&payload);
});
