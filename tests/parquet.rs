//! Parquet datasets (`export --format parquet --out DIR`): analysing a
//! dataset prints what analysing its logs prints, byte for byte; two
//! hosts exported apart rank together as their logs do; exporting a day
//! again replaces it; hostile strings come back as they went in.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_postsleuth")).args(args).output().expect("run postsleuth");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(args: &[&str]) -> String {
    let r = run(args);
    assert_eq!(r.code, Some(0), "postsleuth {args:?}: {}", r.stderr);
    r.stdout
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// `simulate` into `dir` (quietly: it names what it wrote on stderr).
fn simulate(dir: &Path, extra: &[&str]) {
    let mut args = vec!["simulate", "--out", s(dir)];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, Some(0), "simulate: {}", r.stderr);
}

fn export(inputs: &[&Path], out: &Path, extra: &[&str]) {
    let mut args = vec!["export", "--format", "parquet", "--out", s(out), "--log-tz", "UTC", "--quiet"];
    args.extend_from_slice(extra);
    args.extend(inputs.iter().map(|p| s(p)));
    ok(&args);
}

/// The analyses compared, each with its options (before the input).
fn analyses() -> Vec<Vec<&'static str>> {
    let mut v: Vec<Vec<&str>> = vec![
        vec!["summary"],
        vec!["summary", "--full"],
        vec!["summary", "--format", "json"],
        vec!["summary", "--since", "2026-11-21T00:00:00Z", "--until", "2026-11-22T00:00:00Z"],
        vec!["suspects"],
        vec!["suspects", "--format", "json"],
        vec!["suspects", "--all", "--format", "markdown"],
        vec!["suspects", "--emit", "queue-ids"],
        vec!["suspects", "--emit", "nft"],
        vec!["top", "--by", "ip", "--metric", "auth-failures", "--every", "1d"],
        vec!["check", "--format", "json"],
        vec!["timeline", "uid=33"],
        vec!["timeline", "203.0.113.10", "--every", "6h", "--format", "csv"],
    ];
    for key in ["account", "uid", "ip", "net", "sender", "sender-domain", "country", "asn", "recipient-domain"] {
        v.push(vec!["top", "--by", key, "--format", "json"]);
    }
    for metric in ["recipients", "bytes", "deferred", "bounced", "rejected", "auth-failures", "distinct-ips"] {
        v.push(vec!["top", "--by", "account", "--metric", metric]);
    }
    v
}

/// Runs `analysis` on `inputs`; the output and exit code.
fn analyse(analysis: &[&str], inputs: &[&Path]) -> (Option<i32>, String) {
    let mut args: Vec<&str> = analysis.to_vec();
    args.extend(["--tz", "UTC", "--log-tz", "UTC", "--quiet"]);
    args.extend(inputs.iter().map(|p| s(p)));
    let r = run(&args);
    assert!(matches!(r.code, Some(0 | 3 | 4)), "postsleuth {args:?}: {}", r.stderr);
    (r.code, r.stdout)
}

fn without_speed(check_json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(check_json).expect("check --format json is JSON");
    if let Some(rows) = v.as_array_mut() {
        rows.retain(|r| !matches!(r["what"].as_str(), Some("milliseconds" | "MB/s" | "bytes (uncompressed)")));
    }
    v
}

/// Export, then analyse the dataset (with the logs moved away: nothing
/// may be read from them): the same bytes as analysing the logs.
#[test]
fn a_dataset_analyses_like_its_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    simulate(&logs, &["--days", "3"]);
    let ds = tmp.path().join("dataset");
    export(&[&logs], &ds, &[]);
    let expected: Vec<(Option<i32>, String)> = analyses().iter().map(|a| analyse(a, &[&logs])).collect();
    let tables = ["messages", "deliveries", "auth", "rejects", "sessions", "client-events", "relay-failures"];
    let export_json = |input: &Path, table: &str| {
        ok(&["export", "--table", table, "--format", "json", "--log-tz", "UTC", "--quiet", s(input)])
    };
    let exported: Vec<String> = tables.iter().map(|t| export_json(&logs, t)).collect();
    let moved = tmp.path().join("logs-gone");
    std::fs::rename(&logs, &moved).unwrap();
    for (analysis, (code, out)) in analyses().iter().zip(expected) {
        let (got_code, got) = analyse(analysis, &[&ds]);
        assert_eq!(got_code, code, "{analysis:?}: exit code");
        if analysis[0] == "check" {
            assert_eq!(without_speed(&got), without_speed(&out), "{analysis:?}");
        } else {
            assert_eq!(got, out, "{analysis:?} differs on the dataset");
        }
    }
    for (table, want) in tables.iter().zip(exported) {
        assert_eq!(export_json(&ds, table), want, "export --table {table} of the dataset");
    }
    // The evidence lines came from the dataset: suspects quotes them.
    let suspects = analyse(&["suspects"], &[&ds]).1;
    assert!(suspects.contains("SASL LOGIN authentication failed"), "no evidence line quoted:\n{suspects}");
    std::fs::rename(&moved, &logs).unwrap();
    let (from_logs, from_ds) = (report(&logs, &tmp.path().join("r1")), report(&ds, &tmp.path().join("r2")));
    assert_eq!(from_ds.len(), from_logs.len());
    for ((name, a), (_, b)) in from_logs.iter().zip(&from_ds) {
        assert!(a == b, "report file {name} differs on the dataset");
    }
}

/// `report` of the day 2026-11-21 into `out`: its files, by name.
fn report(input: &Path, out: &Path) -> Vec<(String, Vec<u8>)> {
    let args =
        ["report", "--since", "2026-11-21", "--tz", "UTC", "--log-tz", "UTC", "--quiet", "--out", s(out), s(input)];
    let r = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1800000000")
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let dir = out.join("2026-11-21");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    assert!(files.iter().any(|(n, _)| n == "report.json"), "{files:?}");
    files
}

/// Standard input cannot be read twice: its evidence lines go into the
/// dataset as it is read.
#[test]
fn standard_input_keeps_its_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    simulate(&logs, &["--days", "2", "--format", "rfc3339"]);
    let mut text = Vec::new();
    for name in ["mail.log.1", "mail.log"] {
        text.extend(std::fs::read(logs.join(name)).unwrap());
    }
    let ds = tmp.path().join("ds");
    let mut child = Command::new(env!("CARGO_BIN_EXE_postsleuth"))
        .args(["export", "--format", "parquet", "--out", s(&ds), "--quiet", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &text).unwrap();
    assert!(child.wait().unwrap().success());
    let out = analyse(&["suspects", "--format", "json"], &[&ds]).1;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let evidence = v["suspects"][0]["evidence"].as_array().expect("a suspect with evidence");
    assert!(!evidence.is_empty());
    for e in evidence {
        assert_eq!(e["file"], "<stdin>");
        assert!(e["text"].as_str().is_some_and(|t| t.contains("postfix/")), "{e}");
    }
}

/// The layout: one partition per table, host and UTC day, and the tables
/// about the export in each.
#[test]
fn partitions_are_by_table_host_and_day() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    simulate(&logs, &["--days", "2", "--hostname", "mx7.example.test"]);
    let ds = tmp.path().join("ds");
    export(&[&logs], &ds, &[]);
    let mut found: Vec<String> = Vec::new();
    for table in std::fs::read_dir(&ds).unwrap() {
        let table = table.unwrap().path();
        for host in std::fs::read_dir(&table).unwrap() {
            for date in std::fs::read_dir(host.unwrap().path()).unwrap() {
                let date = date.unwrap().path();
                assert!(date.join("part-0.parquet").is_file(), "{}", date.display());
                found.push(date.strip_prefix(&ds).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    let mut want = Vec::new();
    for t in [
        "auth",
        "client-events",
        "daemons",
        "deliveries",
        "inputs",
        "lines",
        "messages",
        "meta",
        "rejects",
        "relay-failures",
        "sessions",
    ] {
        for d in ["2026-11-20", "2026-11-21"] {
            want.push(format!("table={t}/host=mx7.example.test/date={d}"));
        }
    }
    assert_eq!(found, want);
}

/// Rankings figures of `summary --format json`: the totals and every
/// ranked section (the list of files differs: the dataset lists each
/// export's files together).
fn rankings(summary_json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(summary_json).unwrap();
    let o = v.as_object_mut().unwrap();
    o.retain(|k, _| k == "totals" || k.starts_with("top_"));
    assert!(o.len() >= 7, "summary has its sections: {o:?}");
    v
}

/// Two servers export their own logs into one dataset; one analysis of it
/// ranks them as one analysis of both logs does.
#[test]
fn two_hosts_exported_apart_rank_as_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("mx1"), tmp.path().join("mx2"));
    simulate(&a, &["--days", "2", "--hostname", "mx1", "--seed", "3"]);
    simulate(&b, &["--days", "2", "--hostname", "mx2", "--seed", "4", "--scenario", "webapp-script"]);
    let ds = tmp.path().join("fleet");
    export(&[&a], &ds, &[]);
    export(&[&b], &ds, &[]);
    let hosts: Vec<String> = std::fs::read_dir(ds.join("table=messages"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(hosts.len(), 2, "{hosts:?}");
    let mut checked = 0;
    for analysis in analyses() {
        if analysis[0] != "top" || !analysis.contains(&"json") {
            continue;
        }
        let both = analyse(&analysis, &[&a, &b]);
        assert_eq!(analyse(&analysis, &[&ds]), both, "{analysis:?}");
        checked += 1;
    }
    assert!(checked >= 9);
    let summary = ["summary", "--format", "json"];
    let both = rankings(&analyse(&summary, &[&a, &b]).1);
    assert_eq!(rankings(&analyse(&summary, &[&ds]).1), both);
    // A dataset and logs together: the same again.
    let half = tmp.path().join("half");
    export(&[&a], &half, &[]);
    assert_eq!(rankings(&analyse(&summary, &[&half, &b]).1), both);
    let suspects = ["suspects", "--format", "json"];
    let (ds_suspects, logs_suspects) = (analyse(&suspects, &[&ds]).1, analyse(&suspects, &[&a, &b]).1);
    let who = |j: &str| {
        let v: serde_json::Value = serde_json::from_str(j).unwrap();
        v["suspects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["suspect"].clone(), s["compromised_at"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(who(&ds_suspects), who(&logs_suspects));
    let found = who(&ds_suspects);
    assert_eq!(found.len(), 2, "one suspect on each host: {found:?}");
    assert!(found.iter().all(|(s, t)| s.is_string() && t.is_string()), "{found:?}");
}

/// A day exported again replaces its partitions (never doubles its rows);
/// a later day is added beside it; a window must be whole UTC days.
#[test]
fn a_day_exported_again_replaces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    simulate(&logs, &["--days", "3"]);
    let ds = tmp.path().join("ds");
    let day = |since: &'static str, until: &'static str| ["--tz", "UTC", "--since", since, "--until", until];
    export(&[&logs], &ds, &day("2026-11-21", "2026-11-22"));
    export(&[&logs], &ds, &day("2026-11-21", "2026-11-22"));
    export(&[&logs], &ds, &day("2026-11-20", "2026-11-21"));
    export(&[&logs], &ds, &day("2026-11-22", "2026-11-23"));
    let dates = std::fs::read_dir(ds.join("table=messages/host=mx1")).unwrap().count();
    assert_eq!(dates, 3);
    let top = ["top", "--by", "account", "--format", "json"];
    assert_eq!(analyse(&top, &[&ds]), analyse(&top, &[&logs]));
    let totals = |j: &str| serde_json::from_str::<serde_json::Value>(j).unwrap()["totals"].clone();
    let summary = ["summary", "--format", "json"];
    assert_eq!(totals(&analyse(&summary, &[&ds]).1), totals(&analyse(&summary, &[&logs]).1));
    // Exported whole again: still once each.
    export(&[&logs], &ds, &[]);
    assert_eq!(analyse(&summary, &[&ds]), analyse(&summary, &[&logs]));
    let cut = run(&[
        "export",
        "--format",
        "parquet",
        "--out",
        s(&ds),
        "--tz",
        "UTC",
        "--since",
        "2026-11-21T06:00:00Z",
        s(&logs),
    ]);
    assert_eq!(cut.code, Some(2), "{}", cut.stderr);
    assert!(cut.stderr.contains("whole UTC days"), "{}", cut.stderr);
    let trace = run(&["trace", "anything", s(&ds)]);
    assert_eq!(trace.code, Some(2), "{}", trace.stderr);
    assert!(!tmp.path().join("ds").read_dir().unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with('.')));
}

/// Attacker-written strings, a host name no folder can spell among them:
/// the dataset gives them back exactly (JSON), and analyses escape them
/// as they do for the logs.
#[test]
fn hostile_strings_survive_the_round_trip() {
    let clear = "\x1b[2J";
    let script = "<script>alert(1)</script>";
    let link = "=HYPERLINK(\"http://evil.test/\",\"x\")";
    let host = "../..%2F\u{7}évil";
    let lines = [
        format!("Nov 23 06:00:00 {host} postfix/smtpd[6000]: connect from unknown[203.0.113.9]"),
        format!("Nov 23 06:00:01 {host} postfix/smtpd[6000]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: authentication failure, sasl_username={clear}{script}"),
        format!("Nov 23 06:00:03 {host} postfix/smtpd[6000]: 0A1B2C3D4E: client=unknown[203.0.113.9], sasl_method=PLAIN, sasl_username={link}"),
        format!("Nov 23 06:00:03 {host} postfix/cleanup[6001]: 0A1B2C3D4E: message-id=<{script}{clear}@evil.test>"),
        format!("Nov 23 06:00:03 {host} postfix/qmgr[6002]: 0A1B2C3D4E: from=<{link}@evil.test>, size=100, nrcpt=1 (queue active)"),
        format!("Nov 23 06:00:04 {host} postfix/smtp[6003]: 0A1B2C3D4E: to=<+1@evil.test>, relay=none, delay=0.1, delays=0/0/0/0.1, dsn=4.4.1, status=deferred (connect to evil.test[203.0.113.10]:25: {script}{clear})"),
        format!("Nov 23 06:00:05 {host} postfix/smtpd[6000]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <-2@evil.test>: Relay access denied; from=<-2@evil.test> to=<-2@evil.test> proto=ESMTP helo=<{clear}{script}>"),
        format!("Nov 23 06:00:06 {host} postfix/smtpd[6000]: disconnect from unknown[203.0.113.9] ehlo=1 auth=1/2 commands=2/5"),
        format!("Nov 23 06:00:10 {host} postfix/smtpd[6007]: {script}{clear}"),
        "Nov 23 06:00:11 mx3 postfix/qmgr[6009]: 0E1B2C3D4E: from=<a@b>, size=1, nrcpt=1 (queue active)".to_string(),
        "\u{0}\u{0}binary junk".to_string(),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("hostile.log");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let ds = tmp.path().join("ds");
    let r = run(&[
        "export",
        "--format",
        "parquet",
        "--out",
        s(&ds),
        "--log-tz",
        "UTC",
        "--year",
        "2026",
        "--quiet",
        s(&log),
    ]);
    assert_eq!(r.code, Some(3), "a skipped line makes it partial: {}", r.stderr);
    for table in ["messages", "deliveries", "auth", "rejects", "sessions"] {
        let args = |input: &Path| {
            let v = ["export", "--table", table, "--format", "json", "--log-tz", "UTC", "--year", "2026", "--quiet"];
            let mut v: Vec<String> = v.iter().map(|a| a.to_string()).collect();
            v.push(s(input).to_string());
            v
        };
        let get = |input: &Path| {
            let a = args(input);
            let r = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(r.code, Some(3), "{}", r.stderr);
            r.stdout
        };
        let (from_logs, from_ds) = (get(&log), get(&ds));
        assert_eq!(from_ds, from_logs, "{table}");
        if table == "messages" {
            assert!(from_ds.contains(&serde_json::to_string(host).unwrap()), "the host, exactly: {from_ds}");
        }
    }
    for analysis in
        [vec!["summary"], vec!["summary", "--format", "csv"], vec!["suspects", "--all"], vec!["top", "--by", "sender"]]
    {
        let mut a = analysis.clone();
        a.extend(["--year", "2026"]);
        let (logs_out, ds_out) = (analyse(&a, &[&log]), analyse(&a, &[&ds]));
        assert_eq!(ds_out, logs_out, "{analysis:?}");
        assert!(!ds_out.1.contains('\x1b'), "{analysis:?}: an escape sequence reached the terminal");
    }
}

/// Two exports of the same file name (two servers' /var/log/mail.log):
/// each keeps its evidence, told apart by the host.
#[test]
fn same_named_inputs_of_two_exports_stay_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    let mut names: Vec<PathBuf> = Vec::new();
    for (host, seed) in [("mx1", "1"), ("mx2", "2")] {
        let dir = tmp.path().join("var-log");
        simulate(&dir, &["--days", "1", "--hostname", host, "--seed", seed, "--force"]);
        export(&[&dir.join("mail.log")], &ds, &["--exact"]);
        names.push(dir.join("mail.log"));
    }
    let out = analyse(&["summary", "--format", "json"], &[&ds]).1;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let files: Vec<&str> = v["files"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    let name = s(&names[0]);
    assert_eq!(files, [name.to_string(), format!("mx2:{name}")]);
    let suspects = analyse(&["suspects", "--format", "json"], &[&ds]).1;
    let v: serde_json::Value = serde_json::from_str(&suspects).unwrap();
    for suspect in v["suspects"].as_array().unwrap() {
        for e in suspect["evidence"].as_array().unwrap() {
            assert!(e["text"].is_string(), "evidence without its line: {e}");
        }
    }
}

/// SCHEMA.md lists every column of every table, in the order the writer
/// writes them, with its type.
#[test]
fn schema_md_describes_every_column() {
    use polars::prelude::*;
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/SCHEMA.md")).unwrap();
    let mut documented: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in doc.lines() {
        if let Some(t) = line.strip_prefix("### table=") {
            documented.push((t.to_string(), Vec::new()));
        } else if let (Some(last), Some(row)) = (documented.last_mut(), line.strip_prefix("| `")) {
            let mut cells = row.split(" | ");
            let name = cells.next().unwrap().trim_end_matches('`').to_string();
            last.1.push((name, cells.next().unwrap_or("").to_string()));
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    simulate(&logs, &["--days", "1"]);
    let ds = tmp.path().join("ds");
    export(&[&logs], &ds, &[]);
    let mut tables: Vec<String> = std::fs::read_dir(&ds)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().trim_start_matches("table=").to_string())
        .collect();
    tables.sort();
    let mut listed: Vec<String> = documented.iter().map(|d| d.0.clone()).collect();
    listed.sort();
    assert_eq!(listed, tables, "SCHEMA.md's tables");
    for (table, columns) in &documented {
        let part = ds.join(format!("table={table}/host=mx1/date=2026-11-20/part-0.parquet"));
        let df = ParquetReader::new(std::fs::File::open(&part).unwrap()).finish().unwrap();
        let written: Vec<(String, String)> = df
            .columns()
            .iter()
            .map(|c| {
                let t = match c.dtype() {
                    DataType::Datetime(..) => "datetime".to_string(),
                    DataType::String => "string".into(),
                    DataType::Boolean => "bool".into(),
                    other => other.to_string(),
                };
                (c.name().to_string(), t)
            })
            .collect();
        assert_eq!(&written, columns, "SCHEMA.md, table={table}");
    }
}

/// A part that is no Parquet file, or a dataset of a newer layout: an
/// error that names the file, not figures made without it.
#[test]
fn a_damaged_or_newer_dataset_is_refused_by_name() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    simulate(&logs, &["--days", "1"]);
    let ds = tmp.path().join("ds");
    export(&[&logs], &ds, &[]);
    let meta = ds.join("table=meta/host=mx1/date=2026-11-20/part-0.parquet");
    let mut df = ParquetReader::new(std::fs::File::open(&meta).unwrap()).finish().unwrap();
    df.with_column(Column::new("schema_version".into(), [2u32])).unwrap();
    ParquetWriter::new(std::fs::File::create(&meta).unwrap()).finish(&mut df).unwrap();
    let newer = run(&["summary", "--quiet", s(&ds)]);
    assert_eq!(newer.code, Some(1), "{}", newer.stderr);
    assert!(newer.stderr.contains("newer postsleuth") && newer.stderr.contains(s(&meta)), "{}", newer.stderr);
    export(&[&logs], &ds, &[]);
    let part = ds.join("table=deliveries/host=mx1/date=2026-11-20/part-0.parquet");
    std::fs::write(&part, "not parquet").unwrap();
    let damaged = run(&["summary", "--quiet", s(&ds)]);
    assert_eq!(damaged.code, Some(1), "{}", damaged.stderr);
    assert!(damaged.stderr.contains(s(&part)), "{}", damaged.stderr);
    assert!(run(&["summary", "--quiet", s(&ds.join("table=messages"))]).code != Some(0), "a table is no dataset");
}
