//! The syslog envelope (RFC 3164 and RFC 3339 lines, journalctl's short
//! forms), then the Postfix payload of whatever it splits off, and the
//! escaping every shown string goes through.
#![no_main]
use libfuzzer_sys::fuzz_target;
use postsleuth::envelope::Split;
use postsleuth::syslog::Syslog;

fuzz_target!(|data: &[u8]| {
    // The parse stage repairs invalid UTF-8 before the envelope sees it.
    let line = String::from_utf8_lossy(data);
    match Syslog::split(&line) {
        Some(env) => {
            let _ = env.is_postfix();
            if let Some(event) = postsleuth::event::parse(env.daemon, env.payload) {
                let _ = event.damaged_addresses();
            }
            let shown = postsleuth::text::printable(env.payload);
            assert!(!shown.chars().any(char::is_control), "printable left a control character");
            let _ = postsleuth::text::cell(env.host, 12);
        }
        None => {
            let _ = Syslog::is_marker(&line);
        }
    }
});
