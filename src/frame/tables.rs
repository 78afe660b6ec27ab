//! The tables `export` writes: one per kind of correlated record.

use clap::ValueEnum;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Messages,
    Deliveries,
    Auth,
    Rejects,
    Sessions,
    // postscreen, tlsproxy, dnsblog, anvil, and smtpd's warnings naming a
    // client. No doc comments here: with them clap lists the values one per
    // line instead of `[possible values: …]`, which scripts read.
    ClientEvents,
    // smtp(8)'s and lmtp(8)'s failure lines (connect to, host said, lost
    // connection with…), with the delivery they explain.
    RelayFailures,
}
