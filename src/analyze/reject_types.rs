//! Rejects by type, as postfix-logwatch groups them: relay denied, unknown
//! user, RBL (with the list that named the client), HELO, sender, client,
//! recipient, header/body checks, milter, before-queue filter (proxy),
//! size, pipelining, postscreen, server configuration, protocol, other.
//! Counted as the totals' `rejected`.

use super::sections::ranked;
use super::{is, Frames};
use polars::prelude::*;
use std::collections::HashMap;

/// The type of a reject, and for an RBL the list that named the client.
/// `via`, `stage`, `daemon` and `reason` are the rejects table's columns.
pub fn reject_type<'a>(via: &str, stage: &str, daemon: &str, reason: &'a str) -> (&'static str, Option<&'a str>) {
    let has = |s: &str| crate::event::fields::find_str(reason, s).is_some();
    match (via, stage) {
        ("milter", _) => return ("milter", None),
        ("proxy", _) => return ("proxy", None),
        (_, "header") => return ("header", None),
        (_, "body") => return ("body", None),
        _ => {}
    }
    if let Some(i) = crate::event::fields::find_str(reason, "blocked using ") {
        let list = reason[i + 14..].split([';', ',', ' ']).next().filter(|l| !l.is_empty());
        return ("RBL", list);
    }
    const BY_TEXT: [(&str, &str); 10] = [
        ("Relay access denied", "relay denied"),
        ("User unknown", "unknown user"),
        ("Helo command rejected", "HELO"),
        ("Sender address rejected", "sender"),
        ("Client host rejected", "client"),
        ("Recipient address rejected", "recipient"),
        ("Message size exceeds", "size"),
        ("Improper use of SMTP command pipelining", "pipelining"),
        ("Server configuration", "server configuration"),
        ("Protocol error", "protocol"),
    ];
    if let Some((_, t)) = BY_TEXT.iter().find(|(text, _)| has(text)) {
        return (t, None);
    }
    if daemon == "postscreen" {
        return ("postscreen", None);
    }
    ("other", None)
}

/// Rejects per `type` and `list`: `rejected` and their `distinct_ips`.
pub fn rejects_by_type(f: &Frames, limit: usize) -> PolarsResult<DataFrame> {
    let keys = ["via", "stage", "daemon", "reason"];
    let rows = f
        .rejects
        .clone()
        .lazy()
        .filter(is("action", "reject"))
        .select([col("via"), col("stage"), col("daemon"), col("reason"), col("client_ip")])
        .collect()?;
    let texts: Vec<&StringChunked> =
        keys.iter().map(|k| rows.column(k).and_then(|c| c.str())).collect::<PolarsResult<_>>()?;
    // Each distinct (via, stage, daemon, reason) classified once.
    let mut known: HashMap<[Option<&str>; 4], (&'static str, Option<String>)> = HashMap::new();
    let (mut types, mut lists) = (Vec::with_capacity(rows.height()), Vec::with_capacity(rows.height()));
    for i in 0..rows.height() {
        let key = [texts[0].get(i), texts[1].get(i), texts[2].get(i), texts[3].get(i)];
        let (t, list) = known.entry(key).or_insert_with(|| {
            let [via, stage, daemon, reason] = key.map(|k| k.unwrap_or(""));
            let (t, list) = reject_type(via, stage, daemon, reason);
            (t, list.map(str::to_string))
        });
        types.push(*t);
        lists.push(list.clone());
    }
    let typed =
        rows.select(["client_ip"])?.hstack(&[Column::new("type".into(), types), Column::new("list".into(), lists)])?;
    let q = typed.lazy().group_by([col("type"), col("list")]).agg([
        len().cast(DataType::UInt64).alias("rejected"),
        col("client_ip").drop_nulls().n_unique().cast(DataType::UInt64).alias("distinct_ips"),
    ]);
    ranked(q, &[("rejected", true), ("type", false), ("list", false)], limit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_as_postfix_logwatch_names_them() {
        let t = |via, stage, daemon, reason| reject_type(via, stage, daemon, reason);
        assert_eq!(t("", "RCPT", "smtpd", "<a@b>: Relay access denied"), ("relay denied", None));
        assert_eq!(
            t("", "RCPT", "smtpd", "<a@b>: Recipient address rejected: User unknown in local recipient table"),
            ("unknown user", None)
        );
        assert_eq!(
            t(
                "",
                "RCPT",
                "smtpd",
                "Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://x"
            ),
            ("RBL", Some("zen.spamhaus.org"))
        );
        assert_eq!(
            t("", "RCPT", "postscreen", "Service unavailable; client [192.0.2.1] blocked using b.example"),
            ("RBL", Some("b.example"))
        );
        assert_eq!(t("", "RCPT", "smtpd", "<x>: Helo command rejected: Host not found"), ("HELO", None));
        assert_eq!(t("", "MAIL", "smtpd", "<a@b>: Sender address rejected: Domain not found"), ("sender", None));
        assert_eq!(t("", "CONNECT", "smtpd", "Client host rejected: cannot find your hostname"), ("client", None));
        assert_eq!(t("", "RCPT", "smtpd", "<a@b>: Recipient address rejected: Greylisted"), ("recipient", None));
        assert_eq!(t("milter", "END-OF-MESSAGE", "smtpd", "Spam message rejected"), ("milter", None));
        assert_eq!(
            t("proxy", "END-OF-MESSAGE", "smtpd", "blocked using x"),
            ("proxy", None),
            "who decided comes first"
        );
        assert_eq!(t("", "header", "cleanup", "header Subject: x"), ("header", None));
        assert_eq!(t("", "body", "cleanup", "body x"), ("body", None));
        assert_eq!(t("", "MAIL", "smtpd", "Message size exceeds fixed limit"), ("size", None));
        assert_eq!(t("", "DATA", "smtpd", "Improper use of SMTP command pipelining"), ("pipelining", None));
        assert_eq!(t("", "RCPT", "postscreen", "Service currently unavailable"), ("postscreen", None));
        assert_eq!(t("", "RCPT", "smtpd", "Data command rejected: Multi-recipient bounce"), ("other", None));
        assert_eq!(t("", "RCPT", "smtpd", "blocked using "), ("RBL", None), "an RBL the line does not name");
    }
}
