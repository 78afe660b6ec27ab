//! Making log strings safe to show. Every string in a mail log may be written
//! by an attacker (HELO names, addresses, SASL usernames, message-ids); none
//! may move the cursor, clear the screen, reorder text or break a table.

use std::borrow::Cow;

/// Escapes control characters (C0, DEL, C1) and Unicode bidi overrides as
/// `\x1b`-style or `\u{202e}` sequences; a backslash is doubled only when the
/// string needed escaping, so ordinary text is returned untouched.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if needs_escape(c) && (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// [`printable`], then cut to `max` characters with an ellipsis.
pub fn cell(s: &str, max: usize) -> String {
    let p = printable(s);
    if p.chars().count() <= max {
        return p.into_owned();
    }
    let mut out: String = p.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(printable("plain@example.org"), "plain@example.org");
        assert_eq!(printable("\u{1b}[2Jevil"), "\\x1b[2Jevil");
        assert_eq!(printable("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(printable("a\\b\u{7}"), "a\\\\b\\x07");
        assert_eq!(printable("\u{9b}31m"), "\\x9b31m");
    }

    #[test]
    fn cuts_long_cells() {
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("abc", 4), "abc");
        assert_eq!(cell("\u{1b}[2J", 4), "\\x1…");
    }
}
