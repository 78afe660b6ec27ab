//! Postfix ≥ 3.10 appends an authenticated client's `sasl_method=`,
//! `sasl_username=` and `sasl_sender=` to a reject line, after the HELO
//! name: `… proto=ESMTP helo=<h> sasl_method=PLAIN sasl_username=ann`.
//! The HELO name before them is the client's text (Postfix joins a HELO
//! command's words with spaces), and so is `sasl_sender` after them (MAIL
//! FROM's AUTH=): either may hold a forged `sasl_username=`. So the fields
//! are taken only where the text allows one reading:
//! - the HELO's closing `>` is followed by exactly one `sasl_method=`, a
//!   mechanism name as Postfix writes it, then `sasl_username=`;
//! - the text does not end with `>` (a HELO name ending the line, as it
//!   does for a client that did not authenticate, whatever it holds).
//!
//! Otherwise the reject names no account: a forged HELO can hide its
//! sender's own account, never name another.

/// The SASL fields at the end of a reject line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RejectSasl<'a> {
    pub method: &'a str,
    pub username: &'a str,
    pub sender: Option<&'a str>,
}

/// Splits what follows `helo=` into the HELO name and the SASL fields.
pub fn split_helo(rest: &str) -> (&str, Option<RejectSasl<'_>>) {
    if rest.ends_with('>') {
        return (bare(rest), None);
    }
    const MARK: &str = "> sasl_method=";
    let mut at = rest.match_indices(MARK).map(|(i, _)| i);
    let (Some(i), None) = (at.next(), at.next()) else { return (bare(rest), None) };
    match fields(&rest[i + MARK.len()..]) {
        Some(sasl) => (rest[..i].strip_prefix('<').unwrap_or(&rest[..i]), Some(sasl)),
        None => (bare(rest), None),
    }
}

/// The HELO name between its brackets (either may be missing).
fn bare(s: &str) -> &str {
    s.strip_prefix('<').map_or(s, |v| v.strip_suffix('>').unwrap_or(v))
}

/// `METHOD sasl_username=U[ sasl_sender=S]`; the username must be there
/// once.
fn fields(s: &str) -> Option<RejectSasl<'_>> {
    let (method, rest) = s.split_once(" sasl_username=")?;
    let mech = !method.is_empty() && method.len() <= 32;
    if !(mech && method.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'-' || c == b'_')) {
        return None;
    }
    if rest.contains(" sasl_username=") {
        return None;
    }
    let (username, sender) = match rest.split_once(" sasl_sender=") {
        Some((u, s)) => (u, Some(s)),
        None => (rest, None),
    };
    (!username.is_empty()).then_some(RejectSasl { method, username, sender })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authenticated_rejects() {
        let sasl = |method, username, sender| Some(RejectSasl { method, username, sender });
        assert_eq!(split_helo("<ws1.example.test>"), ("ws1.example.test", None));
        assert_eq!(
            split_helo("<ws1.example.test> sasl_method=PLAIN sasl_username=ann@example.test"),
            ("ws1.example.test", sasl("PLAIN", "ann@example.test", None))
        );
        assert_eq!(
            split_helo("<ws1> sasl_method=LOGIN sasl_username=ann sasl_sender=ann@example.test"),
            ("ws1", sasl("LOGIN", "ann", Some("ann@example.test")))
        );
    }

    #[test]
    fn a_forged_helo_names_no_account() {
        // Not authenticated: the forged fields end with the HELO's `>`.
        let forged = "<x> sasl_method=PLAIN sasl_username=victim@example.test>";
        assert_eq!(split_helo(forged), ("x> sasl_method=PLAIN sasl_username=victim@example.test", None));
        // Authenticated as mallory, the HELO naming victim: two readings.
        let both = "<x> sasl_method=PLAIN sasl_username=victim@example.test> sasl_method=PLAIN sasl_username=mallory@example.test";
        assert_eq!(split_helo(both).1, None);
        // A forged username in sasl_sender.
        let sender = "<x> sasl_method=PLAIN sasl_username=mallory sasl_sender=a sasl_username=victim";
        assert_eq!(split_helo(sender).1, None);
        // Not a mechanism name.
        assert_eq!(split_helo("<x> sasl_method=pl ain sasl_username=victim").1, None);
    }
}
