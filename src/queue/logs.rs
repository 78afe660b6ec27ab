//! The per-message `defer/` and `bounce/` logs: why each recipient is
//! still queued (or was returned). The bounce daemon appends one block per
//! recipient and attempt: a human line (`<rcpt>: reason`), then
//! `name=value` lines (`recipient=`, `offset=`, `dsn_orig_rcpt=`,
//! `status=`, `action=`, `reason=`), a blank line after each block.

use std::io::Read;
use std::path::Path;

/// Most of a log read: a message deferred for days to many recipients
/// has a long one, and the newest reasons say as much as all of them.
const MAX_LOG: u64 = 1 << 20;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reason {
    pub recipient: String,
    /// The DSN status, `4.4.1`.
    pub status: Option<String>,
    /// `delayed`, `failed`, `relayed`…
    pub action: Option<String>,
    pub reason: Option<String>,
}

/// The blocks of a log's text.
pub fn parse(text: &[u8]) -> Vec<Reason> {
    let mut out = Vec::new();
    let mut cur: Option<Reason> = None;
    for line in text.split(|&b| b == b'\n') {
        if line.is_empty() {
            out.extend(cur.take());
            continue;
        }
        let Some(eq) = line.iter().position(|&b| b == b'=') else { continue };
        let value = String::from_utf8_lossy(&line[eq + 1..]).into_owned();
        let r = cur.get_or_insert_with(Reason::default);
        match &line[..eq] {
            b"recipient" => r.recipient = value,
            b"status" => r.status = Some(value),
            b"action" => r.action = Some(value),
            b"reason" => r.reason = Some(value),
            _ => {}
        }
    }
    out.extend(cur);
    out.retain(|r| !r.recipient.is_empty());
    out
}

/// The log at `path` (read-only, at most [`MAX_LOG`] bytes); `None` when
/// it is gone or unreadable: a message delivered meanwhile has none.
pub fn read(path: &Path) -> Option<Vec<Reason>> {
    let file = super::spool::open(path).ok()?;
    let mut buf = Vec::new();
    file.take(MAX_LOG).read_to_end(&mut buf).ok()?;
    Some(parse(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks() {
        let log = b"\n<a@x.example>: connect refused\nrecipient=a@x.example\noffset=725\nstatus=4.4.1\n\
            action=delayed\nreason=connect to 127.0.0.1[127.0.0.1]:2525: Connection refused\n\n\
            recipient=b@x.example\nstatus=5.1.1\naction=failed\nreason=no=such\n";
        let r = parse(log);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].recipient, "a@x.example");
        assert_eq!(r[0].status.as_deref(), Some("4.4.1"));
        assert_eq!(r[0].reason.as_deref(), Some("connect to 127.0.0.1[127.0.0.1]:2525: Connection refused"));
        assert_eq!(r[1].reason.as_deref(), Some("no=such"));
        assert!(parse(b"\x00\xff=\n\n=\n").is_empty());
    }
}
