//! Small field parsers shared by the daemon parsers: queue IDs, `name[ip]`
//! clients, `<address>` values. Every input here may be attacker-written, so
//! each returns `None` rather than guessing.

/// Splits `QUEUEID: rest`. Short IDs are upper-case hex; long IDs
/// (`enable_long_queue_ids`) are letters and digits without vowels, with a
/// `z` between the time and inode parts.
pub fn split_queue_id(payload: &str) -> Option<(&str, &str)> {
    let colon = memchr::memchr(b':', payload.as_bytes())?;
    let (id, rest) = (&payload[..colon], &payload[colon + 1..]);
    let rest = rest.strip_prefix(' ')?;
    is_queue_id(id).then_some((id, rest))
}

pub fn is_queue_id(id: &str) -> bool {
    is_short_queue_id(id) || is_long_queue_id(id)
}

fn is_short_queue_id(id: &str) -> bool {
    (6..=16).contains(&id.len()) && id.bytes().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'))
}

fn is_long_queue_id(id: &str) -> bool {
    (12..=20).contains(&id.len())
        && id.bytes().skip(10).any(|c| c == b'z')
        && id.bytes().all(|c| c.is_ascii_alphanumeric() && !b"AEIOUaeiou".contains(&c))
}

/// `str::find` with a multi-byte needle: memchr's SIMD search for the
/// needle's first byte, then a compare. Both std's two-way searcher and
/// `memmem::find` (which builds a searcher per call) cost more to set up
/// than a log field takes to scan, and this runs several times per line.
/// A match of a UTF-8 needle in UTF-8 text starts on a char boundary, so
/// the index can slice `h`.
pub fn find_str(h: &str, needle: &str) -> Option<usize> {
    let (h, n) = (h.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else { return Some(0) };
    memchr::memchr_iter(first, h).find(|&i| h[i..].starts_with(n))
}

/// `str::rfind` with a multi-byte needle; see [`find_str`].
pub fn rfind_str(h: &str, needle: &str) -> Option<usize> {
    let (h, n) = (h.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else { return Some(h.len()) };
    memchr::memrchr_iter(first, h).find(|&i| h[i..].starts_with(n))
}

/// `str::find` of an ASCII byte through memchr.
pub fn find_byte(h: &str, b: u8) -> Option<usize> {
    memchr::memchr(b, h.as_bytes())
}

/// `str::find` of an ASCII byte by a plain loop, for fields of a few dozen
/// bytes (a client, a tag, a verdict): a call into a SIMD search, or std's
/// char searcher, costs more to set up than such a field takes to scan.
pub fn find_near(h: &str, b: u8) -> Option<usize> {
    h.bytes().position(|c| c == b)
}

/// `s.split(", ")` through [`find_str`]: the `key=value, key=value` lists of
/// delivery and `client=` lines.
pub fn split_fields(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match find_str(r, ", ") {
            Some(i) => {
                rest = Some(&r[i + 2..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// The value of `key` in a `key=value, key=value` list; empty when absent.
pub fn field<'a>(list: &'a str, key: &str) -> &'a str {
    split_fields(list).filter_map(|part| part.split_once('=')).find_map(|(k, v)| (k == key).then_some(v)).unwrap_or("")
}

/// A client as Postfix writes it: `name[ip]`, or postscreen's `[ip]:port`.
/// `ip` is empty when Postfix wrote `unknown` or when the brackets held no
/// host address ([`super::addr`]); the latter is `damaged`, so that the rest
/// of the line is kept and the loss is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Client<'a> {
    pub name: &'a str,
    pub ip: &'a str,
    pub damaged: bool,
}

/// Parses a whole `name[ip]` (or `[ip]:port`) token. The address ends at
/// the token's last `]`: a `]` inside it makes it damaged, not the token
/// unreadable.
pub fn client(s: &str) -> Option<Client<'_>> {
    let open = find_byte(s, b'[')?;
    let close = open + memchr::memrchr(b']', &s.as_bytes()[open..])?;
    let tail = &s[close + 1..];
    if !(tail.is_empty() || (tail.starts_with(':') && tail[1..].bytes().all(|c| c.is_ascii_digit()))) {
        return None;
    }
    let (ip, damaged) = match super::addr::address(&s[open + 1..close]) {
        super::addr::Address::Ip(ip) => (ip, false),
        super::addr::Address::Unknown => ("", false),
        super::addr::Address::Damaged => ("", true),
    };
    Some(Client { name: &s[..open], ip, damaged })
}

/// Reads a `client` token that ends at `end` (e.g. `]: ` or `]` then end).
/// Returns the client and what follows the closing bracket.
pub fn client_until<'a>(s: &'a str, end: &str) -> Option<(Client<'a>, &'a str)> {
    let close = find_str(s, end)?;
    let c = client(&s[..close + 1])?;
    Some((c, &s[close + end.len()..]))
}

/// Reads `<address>` at the start of `s`, returning the address and the rest.
/// A quoted local part (`<"a>, b"@x>`) may contain `>`, so quotes are skipped
/// before looking for the closing bracket.
pub fn angle_addr(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('<')?;
    let b = inner.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'"') {
        i = 1 + memchr::memchr(b'"', &b[1..])? + 1;
    }
    let close = i + memchr::memchr(b'>', &b[i..])?;
    Some((&inner[..close], &inner[close + 1..]))
}

/// Value of `key=` up to `sep` (or the end), searching from the start.
pub fn value_of<'a>(s: &'a str, key: &str, sep: &str) -> Option<&'a str> {
    let start = find_str(s, key)? + key.len();
    let rest = &s[start..];
    Some(find_str(rest, sep).map_or(rest, |e| &rest[..e]))
}

/// The domain of an address, lower-cased; empty for the null sender.
/// Borrowed when already lower case, as nearly all are: frames take the
/// domain of every message and delivery.
pub fn domain_of(addr: &str) -> std::borrow::Cow<'_, str> {
    let domain = memchr::memrchr(b'@', addr.as_bytes()).map_or("", |i| &addr[i + 1..]);
    if domain.bytes().any(|c| c.is_ascii_uppercase()) {
        domain.to_ascii_lowercase().into()
    } else {
        domain.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_ids() {
        assert_eq!(split_queue_id("840A4C0FF0: removed"), Some(("840A4C0FF0", "removed")));
        assert_eq!(split_queue_id("4Y7Lrk1TnQz4BfX: removed"), Some(("4Y7Lrk1TnQz4BfX", "removed")));
        assert_eq!(split_queue_id("4jXt634czfz6fF0: client=x[1.2.3.4]").map(|x| x.0), Some("4jXt634czfz6fF0"));
        assert!(split_queue_id("warning: foo").is_none());
        assert!(split_queue_id("statistics: max").is_none());
        assert!(split_queue_id("NOQUEUE: reject").is_none());
        assert!(split_queue_id("840A4C0FF0:removed").is_none());
    }

    #[test]
    fn clients() {
        let ok = |name, ip| Some(Client { name, ip, damaged: false });
        assert_eq!(client("unknown[94.251.111.121]"), ok("unknown", "94.251.111.121"));
        assert_eq!(client("host.example[2001:db8::5]"), ok("host.example", "2001:db8::5"));
        assert_eq!(client("[1.2.3.4]:5678"), ok("", "1.2.3.4"));
        assert_eq!(client("unknown[unknown]"), ok("unknown", ""));
        assert_eq!(client("mail.example[::ffff:192.0.2.8]"), ok("mail.example", "192.0.2.8"));
        assert_eq!(client("x[1.2.3.4] junk"), None);
        let damaged = |name| Some(Client { name, ip: "", damaged: true });
        assert_eq!(client("unknown[192.0.2.1;rm -rf /]"), damaged("unknown"));
        assert_eq!(client("gw[10.0.0.0/8]"), damaged("gw"));
        assert_eq!(client("lan[fe80::1%eth0]"), damaged("lan"));
        assert_eq!(client("x[192.0.2.1]]"), damaged("x"));
        let (c, rest) = client_until("a[1.2.3.4]: 554 x", "]: ").unwrap();
        assert_eq!((c.ip, rest), ("1.2.3.4", "554 x"));
    }

    #[test]
    fn searches_agree_with_std() {
        for s in [
            "",
            "a",
            ", ",
            "a, b",
            "a, , b, ",
            "relay=x[1.2.3.4]:25, delay=1, dsn=2.0.0",
            "é, ü, ,,",
            ",,,",
            "a from  from b",
        ] {
            assert_eq!(split_fields(s).collect::<Vec<_>>(), s.split(", ").collect::<Vec<_>>(), "{s:?}");
            for n in [", ", "é", " from ", "a", "", ",,", "b, "] {
                assert_eq!(find_str(s, n), s.find(n), "{s:?} {n:?}");
                assert_eq!(rfind_str(s, n), s.rfind(n), "{s:?} {n:?}");
            }
            assert_eq!(find_byte(s, b','), s.find(','));
        }
    }

    #[test]
    fn addresses() {
        assert_eq!(angle_addr("<a@b>, size=1"), Some(("a@b", ", size=1")));
        assert_eq!(angle_addr("<>, size=1"), Some(("", ", size=1")));
        assert_eq!(angle_addr("<\"a>, relay=x\"@b>, relay=y"), Some(("\"a>, relay=x\"@b", ", relay=y")));
        assert_eq!(angle_addr("a@b"), None);
        assert_eq!(domain_of("Bob@Example.COM"), "example.com");
        assert!(matches!(domain_of("bob@example.com"), std::borrow::Cow::Borrowed("example.com")));
        assert_eq!(domain_of("a@b@C.org"), "c.org");
        assert_eq!(domain_of(""), "");
        assert_eq!(domain_of("MAILER-DAEMON"), "");
    }
}
