//! What to do next, as text for the tools that act on it (`suspects
//! --emit`): nftables sets, iptables commands, a Postfix CIDR access table,
//! the `--since`/`--until` to review. Built from validated values only (CIDR
//! blocks postsleuth formed from parsed addresses, times it formatted); the
//! one log string that reaches them, an account name, goes into a comment
//! made single-line (and, for the window, to stderr only).

use crate::analyze::suspects::remedy::{window, Block, Spared};
use crate::analyze::suspects::Suspect;
use crate::time::rfc3339_utc;
use clap::ValueEnum;

/// What `suspects --emit` prints.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    /// Queue IDs still queued or held, one per line (for `postsuper -d -`).
    QueueIds,
    /// Attacker IPs and networks as an nftables ruleset.
    Nft,
    /// Attacker IPs and networks as iptables/ip6tables commands.
    Iptables,
    /// Attacker IPs and networks as a Postfix CIDR table for check_client_access.
    PostfixAccess,
    /// The time window to review, as --since/--until.
    Window,
}

/// `--since … --until …` lines, one per suspect (each with the suspect's
/// name, for the caller to say elsewhere): nothing else, so that
/// `postsleuth top $(postsleuth suspects --emit window)` reads only
/// options.
pub fn window_lines(suspects: &[&Suspect]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in suspects {
        if let Some((a, b)) = window(s) {
            let line = format!("--since {} --until {}\n", rfc3339_utc(a), rfc3339_utc(b));
            out.push((comment_safe(&s.who.to_string()), line));
        }
    }
    out
}

/// A one-line comment: whatever an attacker put in a SASL username cannot
/// start a new line of a script, nor look like one to whoever reviews it
/// (the Unicode line and paragraph separators, which editors break lines
/// at, are escaped too).
fn comment_safe(s: &str) -> String {
    crate::text::printable(s).replace('\u{2028}', "\\u{2028}").replace('\u{2029}', "\\u{2029}")
}

fn header(what: &str, suspects: &[&Suspect], spared: &Spared) -> String {
    let names: Vec<String> = suspects.iter().map(|s| comment_safe(&s.who.to_string())).collect();
    let mut h = format!(
        "# postsleuth: {what} for {}\n# Review before use; postsleuth changes nothing itself.\n",
        names.join(", ")
    );
    if spared.shared > 0 {
        h.push_str(&format!("# Left out: {} addresses that other accounts also log in from.\n", spared.shared));
    }
    if spared.not_public > 0 {
        h.push_str(&format!("# Left out: {} private, loopback or reserved addresses.\n", spared.not_public));
    }
    h
}

/// An nftables ruleset (`nft -f FILE`) with one set per address family.
pub fn nft(blocks: &[Block], suspects: &[&Suspect], spared: &Spared) -> String {
    let mut out = header("attacker addresses as nftables sets", suspects, spared);
    out.push_str("table inet postsleuth {\n");
    for (name, v6, ty) in [("attackers4", false, "ipv4_addr"), ("attackers6", true, "ipv6_addr")] {
        out.push_str(&format!("\tset {name} {{\n\t\ttype {ty}\n\t\tflags interval\n"));
        let elems: Vec<&str> = blocks.iter().filter(|b| b.v6 == v6).map(|b| b.cidr.as_str()).collect();
        if !elems.is_empty() {
            out.push_str(&format!("\t\telements = {{\n\t\t\t{}\n\t\t}}\n", elems.join(",\n\t\t\t")));
        }
        out.push_str("\t}\n");
    }
    out.push_str("\tchain input {\n\t\ttype filter hook input priority -1; policy accept;\n");
    out.push_str("\t\tip saddr @attackers4 drop\n\t\tip6 saddr @attackers6 drop\n\t}\n}\n");
    out
}

/// `iptables`/`ip6tables` commands, one per address or network.
pub fn iptables(blocks: &[Block], suspects: &[&Suspect], spared: &Spared) -> String {
    let mut out = header("attacker addresses as iptables commands", suspects, spared);
    for b in blocks {
        let cmd = if b.v6 { "ip6tables" } else { "iptables" };
        out.push_str(&format!("{cmd} -I INPUT -s {} -j DROP\n", b.cidr));
    }
    out
}

/// A Postfix CIDR table for `check_client_access`.
pub fn postfix_access(blocks: &[Block], suspects: &[&Suspect], spared: &Spared) -> String {
    let mut out = header("attacker addresses as a Postfix CIDR access table", suspects, spared);
    out.push_str("# Save as /etc/postfix/postsleuth.cidr, then in main.cf:\n");
    out.push_str("#   smtpd_client_restrictions = check_client_access cidr:/etc/postfix/postsleuth.cidr, …\n");
    out.push_str("# and `postfix reload`. Client restrictions apply to SASL-authenticated clients too.\n");
    for b in blocks {
        out.push_str(&format!("{}\tREJECT abuse of a compromised account\n", b.cidr));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_stay_one_line() {
        assert_eq!(comment_safe("a\nb\u{2028}c\u{2029}d"), "a\\x0ab\\u{2028}c\\u{2029}d");
    }

    #[test]
    fn rulesets_are_well_formed_when_empty() {
        let s = nft(&[], &[], &Spared::default());
        assert!(s.contains("set attackers4 {") && !s.contains("elements"));
        assert_eq!(s.matches('{').count(), s.matches('}').count());
    }
}
