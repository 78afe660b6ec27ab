//! A tab-separated envelope, for tests only: `MICROS\tHOST\tTAG\tPAYLOAD`,
//! where MICROS is the instant in microseconds since the epoch and TAG is
//! `NAME/DAEMON[PID]` as in syslog. It gives no [`Envelope::key`], as a
//! format whose fields are not side by side (the journal's JSON) cannot.

use super::{Envelope, Split, Stamp};

pub struct Tab;

impl Tab {
    /// Digits, then a tab, at the very start.
    pub fn sniff(first: &[u8]) -> bool {
        let digits = first.iter().take_while(|b| b.is_ascii_digit()).count();
        digits > 0 && first.get(digits) == Some(&b'\t')
    }
}

impl Split for Tab {
    const FORMAT: super::Format = super::Format::Tab;

    fn split(line: &str) -> Option<Envelope<'_>> {
        let mut fields = line.splitn(4, '\t');
        let micros = fields.next()?.parse().ok()?;
        let host = fields.next()?;
        let tag = fields.next()?;
        let payload = fields.next()?;
        let (program, pid) = match tag.strip_suffix(']').and_then(|t| t.rsplit_once('[')) {
            Some((program, pid)) => (program, pid.parse().ok()?),
            None => (tag, 0),
        };
        let (instance, daemon) = program.rsplit_once('/').unwrap_or(("", program));
        if host.is_empty() || daemon.is_empty() {
            return None;
        }
        Some(Envelope { stamp: Stamp::Exact(micros), host, instance, daemon, pid, payload, key: "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_sniffs() {
        let e = Tab::split("1763866380000000\tmx1\tpostfix/submission/smtpd[88]\tconnect from a[192.0.2.1]").unwrap();
        assert_eq!((e.host, e.instance, e.daemon, e.pid), ("mx1", "postfix/submission", "smtpd", 88));
        assert_eq!((e.payload, e.key), ("connect from a[192.0.2.1]", ""));
        assert!(Tab::sniff(b"1\tmx\t"));
        assert!(!Tab::sniff(b"Nov 23 03:13:00 mx1 postfix/smtpd[1]: x"));
        assert!(!Tab::sniff(b"2026-11-23T03:13:00Z mx1 postfix/smtpd[1]: x"));
        assert!(Tab::split("x\tmx\tpostfix/smtpd[1]\ty").is_none());
    }
}
