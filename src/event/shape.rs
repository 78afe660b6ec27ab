//! The shape of a Postfix text: what is left when the parts that change
//! from line to line (addresses, IPs, host names before `[ip]`, queue IDs,
//! numbers, tracking IDs) are replaced by placeholders. One reason, reply
//! or warning then reads the same whichever message, client or server it
//! was about, and is counted as one.

use super::addr::{address, Address};
use super::fields::is_queue_id;

/// Longest shape kept, in characters: the text is a remote server's, or an
/// attacker's, and may be long.
pub const MAX_SHAPE: usize = 160;

/// `text` with its varying parts replaced: `<bob@example.org>` →
/// `<address>`, `<helo.example>` → `<name>`, `mx1.example.net[192.0.2.1]:25`
/// → `host[IP]:N`, `2001:db8::1` → `IP`, `840A4C0FF0` → `QID`, `31/60s` →
/// `N/Ns`, `b6aed4c0a10si` → `ID`; runs of spaces become one, and the
/// result is cut to [`MAX_SHAPE`] characters.
pub fn shape(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_SHAPE * 4));
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        shape_word(word, &mut out);
        if out.chars().count() > MAX_SHAPE {
            let mut cut: String = out.chars().take(MAX_SHAPE - 1).collect();
            cut.push('…');
            return cut;
        }
    }
    out
}

/// Characters that wrap a word without being part of it.
const OPENERS: &[char] = &['<', '(', '[', '{', '"', '\''];
const CLOSERS: &[char] = &['>', ')', ']', '}', ':', ';', ',', '.', '"', '\'', '!', '?'];

fn shape_word(word: &str, out: &mut String) {
    // `from=<a@b>`, `helo=<name>`, `rate=31/60s`: the key stays.
    if let Some(eq) = word.find('=').filter(|&i| i > 0) {
        if word[..eq].bytes().all(|c| c.is_ascii_lowercase() || c == b'_') {
            out.push_str(&word[..=eq]);
            return shape_word(&word[eq + 1..], out);
        }
    }
    let core = word.trim_start_matches(OPENERS);
    let lead = &word[..word.len() - core.len()];
    let trimmed = core.trim_end_matches(CLOSERS);
    // A closing `]` belongs to `name[ip]`, not to the punctuation after it.
    let keep = if trimmed.contains('[') && core[trimmed.len()..].starts_with(']') { 1 } else { 0 };
    let core = &core[..trimmed.len() + keep];
    let trail = &word[lead.len() + core.len()..];
    out.push_str(lead);
    if lead.ends_with('<') && trail.starts_with('>') && !core.is_empty() {
        // Whatever sits in angle brackets is an address or a name the
        // client chose.
        out.push_str(if core.contains('@') { "address" } else { "name" });
    } else {
        shape_core(core, out);
    }
    out.push_str(trail);
}

fn shape_core(core: &str, out: &mut String) {
    if core.is_empty() {
        return;
    }
    if core.contains('@') {
        out.push_str("address");
    } else if let Some(open) = core.find('[') {
        host_and_address(core, open, out);
    } else if matches!(address(core), Address::Ip(_)) {
        out.push_str("IP");
    } else if is_queue_id(core) && core.bytes().any(|c| c.is_ascii_digit()) {
        out.push_str("QID");
    } else if core.contains(URL_PARTS) {
        // A URL or `key=value`: each part shaped alone (an IP in a lookup
        // URL, a queue ID in a parameter).
        let mut rest = core;
        while let Some(i) = rest.find(URL_PARTS) {
            shape_core(&rest[..i], out);
            out.push_str(&rest[i..i + 1]);
            rest = &rest[i + 1..];
        }
        shape_core(rest, out);
    } else {
        numbers(core, out);
    }
}

/// What separates the parts of a URL or a `key=value`.
const URL_PARTS: &[char] = &['/', '=', '?', '&', '#'];

/// `name[ip]`, `name[ip]:port`, `[ip]:port`: the name becomes `host`
/// (Postfix's own `unknown` stays), what is in brackets is shaped alone.
fn host_and_address(core: &str, open: usize, out: &mut String) {
    let (name, rest) = (&core[..open], &core[open + 1..]);
    let (inside, after) = match rest.find(']') {
        Some(close) => (&rest[..close], &rest[close..]),
        None => (rest, ""),
    };
    out.push_str(match name {
        "" => "",
        "unknown" => "unknown",
        _ => "host",
    });
    out.push('[');
    shape_core(inside, out);
    numbers(after, out);
}

/// Runs of digits become `N`; a run of letters and digits that mixes them
/// more than once (a tracking ID, a hash) becomes `ID`. Separators stay.
fn numbers(s: &str, out: &mut String) {
    let mut rest = s;
    while !rest.is_empty() {
        let run = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
        if run == 0 {
            let c = rest.chars().next().map_or(1, char::len_utf8);
            out.push_str(&rest[..c]);
            rest = &rest[c..];
            continue;
        }
        alphanumeric(&rest[..run], out);
        rest = &rest[run..];
    }
}

fn alphanumeric(run: &str, out: &mut String) {
    let digit_runs = run.split(|c: char| !c.is_ascii_digit()).filter(|d| !d.is_empty()).count();
    let all_digits = run.bytes().all(|c| c.is_ascii_digit());
    match digit_runs {
        0 => out.push_str(run),
        _ if all_digits => out.push('N'),
        1 => {
            let (a, b) = (run.find(|c: char| c.is_ascii_digit()), run.rfind(|c: char| c.is_ascii_digit()));
            if let (Some(a), Some(b)) = (a, b) {
                out.push_str(&run[..a]);
                out.push('N');
                out.push_str(&run[b + 1..]);
            }
        }
        _ => out.push_str("ID"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_reason_same_shape() {
        let a = "<bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table";
        let b = "<ann@example.net>: Recipient address rejected: User unknown in virtual mailbox table";
        assert_eq!(shape(a), shape(b));
        assert_eq!(shape(a), "<address>: Recipient address rejected: User unknown in virtual mailbox table");
        assert_eq!(
            shape("Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org"),
            "Service unavailable; Client host [IP] blocked using zen.spamhaus.org"
        );
        assert_eq!(
            shape("<bot.example>: Helo command rejected: Host not found"),
            "<name>: Helo command rejected: Host not found"
        );
    }

    #[test]
    fn hosts_ips_and_ports() {
        assert_eq!(
            shape("connect to mx1.example.net[192.0.2.1]:25: Connection timed out"),
            "connect to host[IP]:N: Connection timed out"
        );
        assert_eq!(
            shape("lost connection with mx.example[2001:db8::5] while sending RCPT TO"),
            "lost connection with host[IP] while sending RCPT TO"
        );
        assert_eq!(
            shape("non-SMTP command from unknown[198.51.100.3]: GET / HTTP/1.1"),
            "non-SMTP command from unknown[IP]: GET / HTTP/N.N"
        );
        assert_eq!(shape("client 2001:db8::7 and 203.0.113.9."), "client IP and IP.");
        assert_eq!(
            shape("https://www.spamhaus.org/query/ip/2001:db8:cbf3::1 and /query/ip/192.0.2.1?id=840A4C0FF0"),
            "https://www.spamhaus.org/query/ip/IP and /query/ip/IP?id=QID"
        );
    }

    #[test]
    fn numbers_ids_and_queue_ids() {
        assert_eq!(shape("840A4C0FF0: rate 31/60s for mx1"), "QID: rate N/Ns for mxN");
        assert_eq!(
            shape("https://support.google.com/mail/?p=NoSuchUser 41be03b00d2f7-b6aed4c0a10si1234.5 - gsmtp"),
            "https://support.google.com/mail/?p=NoSuchUser ID-ID.N - gsmtp"
        );
        assert_eq!(
            shape("process /usr/lib/postfix/sbin/smtpd pid 4321 exit status 1"),
            "process /usr/lib/postfix/sbin/smtpd pid N exit status N"
        );
        assert_eq!(shape("  two   spaces  "), "two spaces");
        assert_eq!(
            shape("from=<a@b.example> to=<c@d> proto=ESMTP helo=<x.example> rate=31/60s"),
            "from=<address> to=<address> proto=ESMTP helo=<name> rate=N/Ns"
        );
        assert_eq!(shape("BADCAFE words"), "BADCAFE words", "a hex word without digits is a word");
    }

    #[test]
    fn long_and_hostile_texts_are_cut_not_dropped() {
        let long = "x ".repeat(400);
        let s = shape(&long);
        assert_eq!(s.chars().count(), MAX_SHAPE);
        assert!(s.ends_with('…'));
        assert_eq!(shape("a\u{1b}b <\u{202e}@x>"), "a\u{1b}b <address>", "escaping is the renderer's");
        for hostile in ["[", "]", "<>", "<", "a[b", "[]:", "é1ü2", "\u{0}"] {
            let _ = shape(hostile);
        }
        assert_eq!(shape("é1ü2ö"), "ID");
    }
}
