//! Word tables: people, our domains, the outside mail world and its answers.

/// First names for local parts (a mix fitting a German/French company).
pub(crate) const FIRST: [&str; 48] = [
    "anna", "ben", "clara", "david", "elena", "felix", "greta", "hannah", "ines", "jonas", "katrin", "lukas", "marie",
    "nina", "oliver", "paul", "quentin", "rosa", "sophie", "tobias", "ulrike", "victor", "wolfgang", "yann", "zoe",
    "camille", "louis", "manon", "hugo", "lea", "julien", "chloe", "thomas", "emma", "nicolas", "sarah", "james",
    "emily", "michael", "laura", "stefan", "julia", "markus", "sandra", "pierre", "claire", "antoine", "isabelle",
];

pub(crate) const LAST: [&str; 48] = [
    "schmidt",
    "mueller",
    "schneider",
    "fischer",
    "weber",
    "meyer",
    "wagner",
    "becker",
    "schulz",
    "hoffmann",
    "koch",
    "richter",
    "klein",
    "wolf",
    "neumann",
    "schwarz",
    "braun",
    "zimmermann",
    "krueger",
    "hartmann",
    "martin",
    "bernard",
    "dubois",
    "thomas",
    "robert",
    "richard",
    "petit",
    "durand",
    "leroy",
    "moreau",
    "simon",
    "laurent",
    "lefebvre",
    "michel",
    "garcia",
    "david",
    "bertrand",
    "roux",
    "vincent",
    "fournier",
    "smith",
    "jones",
    "taylor",
    "brown",
    "wilson",
    "evans",
    "novak",
    "rossi",
];

/// Our mail domains; the first is the company's main one.
pub(crate) const OUR_DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];

/// Role accounts that exist besides the people.
pub(crate) const ROLES: [&str; 8] = ["info", "sales", "support", "office", "billing", "jobs", "hr", "contact"];

/// Who answers for an outside domain; decides the relay and the wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mx {
    Google,
    Yahoo,
    Microsoft,
    /// A plain Postfix or Exim MX.
    Generic,
    /// The MX never answers: `Connection timed out`, deferred until it expires.
    Dead,
}

pub(crate) struct Domain {
    pub(crate) name: &'static str,
    pub(crate) mx: Mx,
    pub(crate) host: &'static str,
    /// The MX address without its last octet, and how many last octets it spans.
    pub(crate) net: [u8; 3],
    pub(crate) first: u8,
    pub(crate) count: u8,
}

const fn dom(name: &'static str, mx: Mx, host: &'static str, net: [u8; 3], first: u8, count: u8) -> Domain {
    Domain { name, mx, host, net, first, count }
}

/// Outside domains: recipients of our users and of spam, senders of inbound mail.
pub(crate) static EXTERNAL: &[Domain] = &[
    dom("gmail.com", Mx::Google, "gmail-smtp-in.l.google.com", [142, 250, 102], 26, 2),
    dom("googlemail.com", Mx::Google, "alt1.gmail-smtp-in.l.google.com", [142, 251, 9], 26, 2),
    dom("yahoo.com", Mx::Yahoo, "mta7.am0.yahoodns.net", [67, 195, 204], 72, 6),
    dom("aol.com", Mx::Yahoo, "mx-aol.mail.gm0.yahoodns.net", [67, 195, 228], 106, 4),
    dom("hotmail.com", Mx::Microsoft, "hotmail-com.olc.protection.outlook.com", [52, 101, 42], 1, 30),
    dom("outlook.com", Mx::Microsoft, "outlook-com.olc.protection.outlook.com", [52, 101, 68], 1, 30),
    dom("live.com", Mx::Microsoft, "live-com.olc.protection.outlook.com", [52, 101, 9], 1, 30),
    dom("gmx.de", Mx::Generic, "mx00.emig.gmx.net", [212, 227, 15], 9, 2),
    dom("web.de", Mx::Generic, "mx-ha03.web.de", [212, 227, 17], 8, 2),
    dom("t-online.de", Mx::Generic, "mx00.t-online.de", [194, 25, 134], 8, 2),
    dom("orange.fr", Mx::Generic, "smtp-in.orange.fr", [80, 12, 242], 11, 3),
    dom("free.fr", Mx::Generic, "mx1.free.fr", [212, 27, 48], 6, 2),
    dom("icloud.com", Mx::Generic, "mx01.mail.icloud.com", [17, 57, 154], 33, 4),
    dom("yandex.ru", Mx::Generic, "mx.yandex.ru", [77, 88, 21], 249, 1),
    dom("mail.ru", Mx::Generic, "mxs.mail.ru", [94, 100, 180], 31, 2),
    dom("partner-gmbh.example", Mx::Generic, "mail.partner-gmbh.example", [88, 65, 12], 20, 1),
    dom("cabinet-conseil.example", Mx::Generic, "mx.cabinet-conseil.example", [82, 230, 4], 9, 1),
    dom("bigpond-mail.example", Mx::Dead, "mx.bigpond-mail.example", [27, 66, 3], 14, 1),
    dom("oldisp-online.example", Mx::Dead, "mail.oldisp-online.example", [187, 1, 77], 2, 1),
    // Domains only spammers forge as envelope senders.
    dom("promo-deals.example", Mx::Generic, "mx.promo-deals.example", [45, 83, 64], 10, 2),
    dom("secure-notice.example", Mx::Dead, "mail.secure-notice.example", [103, 27, 202], 5, 1),
    dom("parcel-update.example", Mx::Generic, "mx1.parcel-update.example", [185, 212, 44], 20, 2),
    dom("crypto-gains.example", Mx::Dead, "mx.crypto-gains.example", [91, 234, 33], 7, 1),
];

/// Relative popularity of [`EXTERNAL`] among our users' correspondents.
pub(crate) const BASELINE_WEIGHTS: [f64; 23] = [
    30.0, 2.0, 4.0, 1.0, 6.0, 5.0, 1.0, 10.0, 8.0, 8.0, 6.0, 4.0, 3.0, 0.5, 0.5, 8.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
];

/// Relative popularity of [`EXTERNAL`] on a spammer's list (scraped, stale).
pub(crate) const SPAM_WEIGHTS: [f64; 23] = [
    40.0, 3.0, 12.0, 5.0, 12.0, 6.0, 3.0, 3.0, 3.0, 2.0, 2.0, 1.0, 2.0, 1.0, 1.0, 0.0, 0.0, 0.2, 0.2, 0.0, 0.0, 0.0,
    0.0,
];

/// Relative popularity of [`EXTERNAL`] as forged envelope senders of spam
/// sent through a cracked account (never our own domains).
pub(crate) const FORGED_WEIGHTS: [f64; 23] = [
    10.0, 1.0, 6.0, 3.0, 5.0, 4.0, 2.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 3.0, 3.0, 0.0, 0.0, 0.0, 0.0, 4.0, 4.0, 4.0, 4.0,
];

/// Subjects that `header_checks` rules reject.
pub(crate) const SPAM_SUBJECTS: [&str; 5] = [
    "Your mailbox is almost full - verify now",
    "Invoice #48213 overdue",
    "You have (3) undelivered messages",
    "Congratulations! You won an iPhone 16",
    "Urgent: payment confirmation required",
];

/// Mail programs in HELO names of spam and junk clients.
pub(crate) const JUNK_HELOS: [&str; 6] =
    ["User", "ylmf-pc", "WIN-3HD8KQ2L9PJ", "localhost", "mail.example.net", "192.168.1.2"];

/// Envelope senders of junk that gets rejected.
pub(crate) const JUNK_SENDERS: [&str; 6] = [
    "info@promo-deals.example",
    "newsletter@cheap-meds.example",
    "admin@secure-login.example",
    "service@paypa1-alert.example",
    "bounce@mailer.example",
    "",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_line_up() {
        assert_eq!(BASELINE_WEIGHTS.len(), EXTERNAL.len());
        assert_eq!(SPAM_WEIGHTS.len(), EXTERNAL.len());
        assert_eq!(FORGED_WEIGHTS.len(), EXTERNAL.len());
        for d in EXTERNAL {
            assert!(d.count >= 1);
            assert!(u16::from(d.first) + u16::from(d.count) <= 256, "{}", d.name);
        }
        let dead = EXTERNAL.iter().zip(BASELINE_WEIGHTS).filter(|(d, _)| d.mx == Mx::Dead);
        assert!(dead.clone().count() > 0);
        assert!(dead.map(|(_, w)| w).all(|w| w == 0.0), "our users know no dead domains");
    }
}
