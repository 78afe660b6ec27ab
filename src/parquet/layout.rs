//! Where a dataset's files are: `DIR/table=T/host=H/date=D/part-0.parquet`,
//! Hive's layout. The folder names are for people, cron and pruning; the
//! data itself never depends on them: every file holds its `host` column
//! whole, so a host name that no folder name can spell exactly (slashes,
//! control bytes, 300 characters) loses nothing.

use crate::time::{micros_to_utc, Micros};
use std::io;
use std::path::{Path, PathBuf};

/// The one file of a partition.
pub const PART: &str = "part-0.parquet";

/// The tables of records, by their `export --table` names, then the
/// tables about the export itself.
pub const MESSAGES: &str = "messages";
pub const DELIVERIES: &str = "deliveries";
pub const AUTH: &str = "auth";
pub const REJECTS: &str = "rejects";
pub const SESSIONS: &str = "sessions";
pub const CLIENT_EVENTS: &str = "client-events";
pub const RELAY_FAILURES: &str = "relay-failures";
pub const LINES: &str = "lines";
pub const INPUTS: &str = "inputs";
pub const DAEMONS: &str = "daemons";
pub const META: &str = "meta";

/// Every table a partition holds, in the order they are published (`meta`
/// last: a partition whose meta is new is new whole).
pub const TABLES: [&str; 11] =
    [MESSAGES, DELIVERIES, AUTH, REJECTS, SESSIONS, CLIENT_EVENTS, RELAY_FAILURES, LINES, INPUTS, DAEMONS, META];

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The UTC day of `t`, as days since 1970-01-01.
pub fn day_of(t: Micros) -> i64 {
    t.div_euclid(MICROS_PER_DAY)
}

/// The first instant of `day`.
pub fn day_start(day: i64) -> Micros {
    day.saturating_mul(MICROS_PER_DAY)
}

/// `2026-11-21`.
pub fn date_name(day: i64) -> String {
    micros_to_utc(day_start(day)).format("%Y-%m-%d").to_string()
}

/// Folder names longer than this are cut and given a hash: most file
/// systems allow 255 bytes.
const MAX_NAME: usize = 200;

/// `host=NAME`, NAME percent-encoded as Hive does (every byte but ASCII
/// letters, digits, `-`, `_` and a `.` that does not start the name), so
/// that different hosts never share a folder, and none is `..` or hidden.
/// A name too long for a folder is cut and ends in `~` and a hash of the
/// whole (`~` is always encoded otherwise, so the two kinds never meet).
pub fn host_dir(host: &str) -> String {
    let mut enc = String::with_capacity(host.len());
    for (i, b) in host.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0);
        if plain {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    if enc.is_empty() {
        // No host: `%` alone, which no encoded name is.
        enc.push('%');
    }
    if enc.len() > MAX_NAME {
        let mut cut = MAX_NAME - 20;
        // Not inside a `%XX`.
        while enc.as_bytes()[..cut].iter().rev().take(2).any(|&b| b == b'%') {
            cut -= 1;
        }
        enc = format!("{}~{:016x}", &enc[..cut], fnv1a(host.as_bytes()));
    }
    format!("host={enc}")
}

/// FNV-1a, 64 bits: stable across versions and machines, unlike the
/// seeded hashers; only tells long folder names apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// `table=T/host=H/date=D`, under `root`.
pub fn partition(root: &Path, table: &str, host: &str, day: i64) -> PathBuf {
    root.join(format!("table={table}")).join(host_dir(host)).join(format!("date={}", date_name(day)))
}

/// Whether `path` is a dataset: a folder holding `table=…` folders.
pub fn is_dataset(path: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(path) else { return false };
    entries.flatten().any(|e| {
        e.file_name().to_str().is_some_and(|n| n.starts_with("table=")) && e.file_type().is_ok_and(|t| t.is_dir())
    })
}

/// The part files of `table` in the dataset at `root`, sorted by path.
/// A table no export wrote has none.
pub fn parts(root: &Path, table: &str) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let dir = root.join(format!("table={table}"));
    let hosts = match std::fs::read_dir(&dir) {
        Ok(h) => h,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for host in hosts {
        let host = host?;
        if !named(&host, "host=") {
            continue;
        }
        for date in std::fs::read_dir(host.path())? {
            let date = date?;
            let part = date.path().join(PART);
            if named(&date, "date=") && part.is_file() {
                out.push(part);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The part of `table` in the same partition as `part` (a part of another
/// table of the dataset at `root`).
pub fn sibling(root: &Path, part: &Path, table: &str) -> PathBuf {
    let date = part.parent();
    let host = date.and_then(Path::parent);
    match (host.and_then(Path::file_name), date.and_then(Path::file_name)) {
        (Some(h), Some(d)) => root.join(format!("table={table}")).join(h).join(d).join(PART),
        _ => root.join(format!("table={table}")).join(PART),
    }
}

fn named(entry: &std::fs::DirEntry, prefix: &str) -> bool {
    entry.file_name().to_str().is_some_and(|n| n.starts_with(prefix)) && entry.file_type().is_ok_and(|t| t.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_folders_are_plain_distinct_and_short() {
        assert_eq!(host_dir("mx1.example.com"), "host=mx1.example.com");
        assert_eq!(host_dir("a/b"), "host=a%2Fb");
        assert_eq!(host_dir(".."), "host=%2E.");
        assert_eq!(host_dir(".hidden"), "host=%2Ehidden");
        assert_eq!(host_dir("a%2Fb"), "host=a%252Fb");
        assert_eq!(host_dir("x=y z"), "host=x%3Dy%20z");
        assert_eq!(host_dir(""), "host=%");
        assert_eq!(host_dir("é"), "host=%C3%A9");
        let long = "é".repeat(200);
        let other = format!("{}x", "é".repeat(199));
        let (a, b) = (host_dir(&long), host_dir(&other));
        assert!(a.len() <= MAX_NAME + 5 && b.len() <= MAX_NAME + 5, "{a}");
        assert_ne!(a, b);
        assert!(!a.contains("%~") && !a[..a.len() - 18].ends_with('%'), "{a}");
    }

    #[test]
    fn days_are_utc() {
        assert_eq!(date_name(day_of(0)), "1970-01-01");
        assert_eq!(date_name(day_of(-1)), "1969-12-31");
        let t = crate::time::civil_to_micros(2026, 11, 21, 23, 59, 59);
        assert_eq!(date_name(day_of(t)), "2026-11-21");
        assert_eq!(day_start(day_of(t)), crate::time::civil_to_micros(2026, 11, 21, 0, 0, 0));
    }
}
