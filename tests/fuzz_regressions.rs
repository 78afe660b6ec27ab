//! Inputs the fuzz targets (`fuzz/`) found crashing, each kept as the
//! smallest case that failed before its fix: the library's public API,
//! called as the target called it.

use postsleuth::envelope::journald::Journald;
use postsleuth::envelope::Split;

/// fuzz target `journald`: a journal entry whose identifier has no
/// instance (`dovecot`, `sshd`: every non-Postfix daemon) and whose
/// message needs decoding (an escape) got an instance range computed from
/// the address of an empty literal, not of the decoded text: an overflow
/// panic with debug assertions, a range far outside the text without them.
#[test]
fn journald_decode_without_instance() {
    let line = r#"{"__REALTIME_TIMESTAMP":"1796410984000000","_HOSTNAME":"mx1","SYSLOG_IDENTIFIER":"dovecot","MESSAGE":"auth: \"admin\" unknown user"}"#;
    assert!(Journald::split(line).is_none(), "the escape makes it a line to decode");
    let d = Journald::decode(line).expect("a journal entry");
    assert!(d.instance.end <= d.text.len() && d.instance.is_empty(), "{:?} in {} bytes", d.instance, d.text.len());
    let env = d.envelope();
    assert_eq!((env.host, env.instance, env.daemon), ("mx1", "", "dovecot"));
    assert_eq!(env.payload, r#"auth: "admin" unknown user"#);
    // With an instance, both parts are where they are in the text.
    let line = line.replace(r#""dovecot""#, r#""postfix/submission/smtpd""#);
    let d = Journald::decode(&line).expect("a journal entry");
    let env = d.envelope();
    assert_eq!((env.instance, env.daemon), ("postfix/submission", "smtpd"));
}
