//! `journalctl -o json` lines: the strict scan, the borrowed and the
//! decoded envelope, the evidence line, then the Postfix payload.
#![no_main]
use libfuzzer_sys::fuzz_target;
use postsleuth::envelope::journald::{readable, Journald};
use postsleuth::envelope::Split;

fuzz_target!(|data: &[u8]| {
    let _ = Journald::sniff(data);
    let line = String::from_utf8_lossy(data);
    let borrowed = Journald::split(&line);
    if let Some(env) = &borrowed {
        let _ = postsleuth::event::parse(env.daemon, env.payload);
    }
    match Journald::decode(&line) {
        Some(decoded) => {
            let env = decoded.envelope();
            let _ = postsleuth::event::parse(env.daemon, env.payload);
            // A line that lends its fields decodes to the same fields.
            if let Some(b) = &borrowed {
                assert_eq!((b.host, b.daemon, b.payload), (env.host, env.daemon, env.payload));
            }
        }
        None => {
            let _ = Journald::is_marker(&line);
        }
    }
    // The evidence line keeps the message as it is (a newline in it too:
    // each output escapes what it must); the cursor is shown only when it
    // is one.
    if let Some((_text, cursor)) = readable(&line) {
        if let Some(c) = cursor {
            assert!(c.bytes().all(|b| b.is_ascii_alphanumeric() || b"=;".contains(&b)));
        }
    }
});
