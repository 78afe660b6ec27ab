//! Unit tests of the pipeline as a whole.

use super::*;

/// A parse thread the system refuses is no error: parsing on the
/// correlating thread gives the same records.
#[test]
fn a_refused_parse_thread_changes_nothing() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let opts = IngestOptions {
        paths: ["content_filter_reinjection.log", "auth_failures.log", "noqueue_reject.log"]
            .iter()
            .map(|f| dir.join(f))
            .collect(),
        exact: true,
        year: Some(2026),
        log_zone: Zone::parse("UTC").unwrap(),
        keep_lines: true,
        keep_details: true,
        progress: false,
        verbose: false,
        ..IngestOptions::default()
    };
    let refused: SpawnParse = |_, _| Err(std::io::Error::other("refused"));
    let (threaded, inline) = (ingest(&opts).unwrap(), ingest_with(&opts, &Handle::default(), refused).unwrap());
    let summary = |ds: &Dataset| {
        let r = &ds.records;
        let lines: Vec<u64> = ds.diag.files.iter().map(|f| f.lines).collect();
        let messages: Vec<_> = r.messages.iter().map(|m| (m.queue_id, m.first_seen, m.state, m.sender)).collect();
        (lines, messages, r.deliveries.len(), r.auth.len(), r.rejects.len(), ds.diag.postfix_lines)
    };
    assert!(!threaded.records.messages.is_empty());
    assert_eq!(summary(&inline), summary(&threaded));
}

/// The seam of the envelope: the same log in another format (the
/// test-only tab-separated one, sniffed from its first bytes, with no
/// context key) gives the same records, through the same correlation.
#[test]
fn a_second_envelope_format_plugs_in() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let tmp = tempfile::tempdir().unwrap();
    let names = ["content_filter_reinjection.log", "auth_failures.log", "submission_instances.log"];
    let mut tab_paths = Vec::new();
    for name in names {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let mut out = String::new();
        for line in text.lines() {
            let env = crate::syslog::parse(line).unwrap();
            let time = match env.stamp {
                Stamp::Exact(t) => t,
                Stamp::Local { month, day, secs, .. } => {
                    civil_to_micros(2026, month.into(), day.into(), 0, 0, 0) + secs as i64 * MICROS_PER_SEC
                }
                Stamp::Zoned { .. } => unreachable!("the fixtures have no zone abbreviations"),
            };
            let tag = match env.instance {
                "" => env.daemon.to_string(),
                i => format!("{i}/{}", env.daemon),
            };
            out.push_str(&format!("{time}\t{}\t{tag}[{}]\t{}\n", env.host, env.pid, env.payload));
        }
        let path = tmp.path().join(name);
        std::fs::write(&path, out).unwrap();
        tab_paths.push(path);
    }
    let opts = |paths: Vec<PathBuf>| IngestOptions {
        paths,
        exact: true,
        year: Some(2026),
        log_zone: Zone::parse("UTC").unwrap(),
        keep_lines: true,
        ..IngestOptions::default()
    };
    let syslog = ingest(&opts(names.iter().map(|n| dir.join(n)).collect())).unwrap();
    let tab = ingest(&opts(tab_paths)).unwrap();
    let summary = |ds: &Dataset| {
        let r = &ds.records;
        let s = |sym| r.str(sym).to_string();
        let messages: Vec<_> = r
            .messages
            .iter()
            .map(|m| (m.queue_id, m.first_seen, m.state, m.parent, s(m.sasl_username), s(m.client_ip), s(m.instance)))
            .collect();
        let deliveries: Vec<_> = r.deliveries.iter().map(|d| (d.message, s(d.to), d.filter_hop, d.line)).collect();
        let auth: Vec<_> = r.auth.iter().map(|a| (a.time, s(a.client_ip), s(a.username), a.success)).collect();
        let sessions: Vec<_> = r.sessions.iter().map(|x| (s(x.instance), x.pid, x.start, x.end)).collect();
        (messages, deliveries, auth, sessions, r.rejects.len(), ds.diag.postfix_lines, ds.diag.skipped_total())
    };
    assert!(!syslog.records.messages.is_empty() && !syslog.records.auth.is_empty());
    assert_eq!(summary(&tab), summary(&syslog));
}
