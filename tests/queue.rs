//! `postsleuth queue` end to end: the binary on the real fixture spool
//! (exact figures), its filters and `--emit queue-ids`, hostile files
//! (named, skipped, counted, no panic), and a spool it may not read.

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn spool() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/queue/spool")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_postsleuth")).args(args).output().expect("run postsleuth")
}

fn json(spool: &Path, extra: &[&str]) -> (Value, Output) {
    let s = spool.to_str().unwrap();
    let mut args = vec!["queue", "--spool", s, "--format", "json", "--quiet"];
    args.extend_from_slice(extra);
    let out = run(&args);
    let v =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (v, out)
}

fn rows(v: &Value, table: &str, key: &str) -> Vec<(String, u64, u64)> {
    v[table]
        .as_array()
        .unwrap_or_else(|| panic!("no {table}"))
        .iter()
        .map(|r| {
            let k = match &r[key] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k, r["messages"].as_u64().unwrap(), r["recipients"].as_u64().unwrap())
        })
        .collect()
}

fn emit(extra: &[&str]) -> (Vec<String>, String) {
    let s = spool();
    let mut args = vec!["queue", "--spool", s.to_str().unwrap(), "--emit", "queue-ids"];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let ids = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    (ids, String::from_utf8(out.stderr).unwrap())
}

#[test]
fn summary_of_the_real_spool() {
    let (v, out) = json(&spool(), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(v["files"], 18);
    assert_eq!(v["read"], 18);
    assert_eq!(v["selected"], 18);
    assert_eq!(v["recipients_pending"], 137);
    assert_eq!(v["oldest"], "2026-12-04T21:46:05Z");
    let s = |x: &str| x.to_string();
    assert_eq!(rows(&v, "queues", "queue"), [(s("deferred"), 14, 133), (s("hold"), 3, 3), (s("maildrop"), 1, 1)]);
    assert_eq!(
        rows(&v, "top_sasl_accounts", "account"),
        [(s("alice@example.test"), 7, 126), (s("bob@example.test"), 3, 3)]
    );
    // The requeued SASL message passed pickup as the postfix user: not a uid's.
    let uids = rows(&v, "top_local_uids_pickup", "uid");
    assert_eq!(uids[0], (s("33"), 4, 4));
    assert!(uids.contains(&(s("34"), 1, 1)), "{uids:?}");
    assert!(!uids.iter().any(|u| u.0 == "102"), "{uids:?}");
    // Re-injected with XFORWARD: the original client, not 127.0.0.1.
    assert_eq!(
        rows(&v, "top_client_ips", "ip"),
        [
            (s("127.0.0.10"), 5, 5),
            (s("2001:db8::66"), 3, 3),
            (s("127.0.0.11"), 2, 121),
            (s("198.51.100.23"), 1, 1),
            (s("2001:db8::99"), 1, 1)
        ]
    );
    assert_eq!(
        rows(&v, "top_recipient_domains", "recipient_domain")[..2],
        [(s("gmail.example"), 13, 92), (s("yahoo.example"), 3, 42)]
    );
    assert_eq!(v["age"][0]["recipient_domain"], "TOTAL");
    assert_eq!(v["age"][0]["T"], 137);
}

#[test]
fn filters_select_and_emit_validated_ids() {
    let (ids, err) = emit(&["--account", "BOB@example.test"]);
    assert_eq!(ids, ["05DB6D8184", "4jh4nK5G8qz6fJ0", "ED4AFD8182"]);
    assert_eq!(err, "postsleuth: 3 queue IDs (for postsuper -d - or postsuper -h -)\n");
    assert_eq!(emit(&["--uid", "33"]).0, ["0DA33D8189", "137CFD818B", "1711ED818F", "4jh4nK5WRMz6fJ5"]);
    assert_eq!(emit(&["--client", "2001:db8::/32"]).0, ["05DB6D8184", "7C618D8197", "4jh4nK5G8qz6fJ0", "ED4AFD8182"]);
    assert_eq!(emit(&["--recipient-domain", "yahoo.example"]).0, ["137CFD818B", "4jh4nL6Qxgz6f94", "AD143D819B"]);
    assert_eq!(emit(&["--queue", "hold"]).0, ["1A479D8191", "4jh4nK5G8qz6fJ0", "ED4AFD8182"]);
    assert_eq!(emit(&["--sender", "@attacker.example"]).0, ["43298D8193", "7C618D8197"]);
    // The requeued message kept its arrival (21:46:05), not its long ID's time.
    assert_eq!(emit(&["--since", "2026-12-04T21:46:10Z", "--queue", "deferred"]).0.len(), 3);
    assert_eq!(emit(&["--older-than", "1000w"]).0.len(), 0);
    let out = run(&["queue", "--spool", spool().to_str().unwrap(), "--client", "not-an-ip"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_format_writes() {
    for f in ["table", "csv", "markdown"] {
        let s = spool();
        let out = run(&["queue", "--spool", s.to_str().unwrap(), "--format", f, "--by", "account", "--tz", "UTC"]);
        assert_eq!(out.status.code(), Some(0), "{f}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("alice@example.test"), "{f}: {text}");
    }
}

/// A spool of one good file and one of each kind of damage.
fn hostile_spool() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(spool().join("deferred/C/CC034D8174")).unwrap();
    let deferred = dir.path().join("deferred/A");
    std::fs::create_dir_all(&deferred).unwrap();
    std::fs::create_dir_all(dir.path().join("incoming")).unwrap();
    let put = |name: &str, bytes: &[u8], mode: u32| {
        let p = deferred.join(name);
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    put("CC034D8174", &good, 0o700);
    put("A00000000A", &good[..good.len() / 2], 0o700);
    let mut past = good.clone();
    past[1] = 0x7f; // the C record claims 127 bytes, then a run past the end
    past.truncate(60);
    put("A00000000B", &past, 0o700);
    put("A00000000C", b"", 0o700); // 0 bytes
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng as u8
        })
        .collect();
    put("A00000000D", &random, 0o700);
    // A pointer record pointing at itself.
    let mut ptr = b"T\x111796420765 831369".to_vec();
    let at = ptr.len();
    ptr.extend(format!("p\x0f{at:15}").as_bytes());
    put("A00000000E", &ptr, 0o700);
    put("not-a-queue-id", &good, 0o700);
    let p = dir.path().join("incoming/A00000000F");
    std::fs::write(&p, &good).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", deferred.join("A000000010")).unwrap();
    dir
}

#[test]
fn hostile_files_are_named_skipped_and_counted() {
    let dir = hostile_spool();
    let (v, out) = json(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(3), "damaged files make the run partial");
    assert_eq!(v["selected"], 1);
    let skipped: Vec<(String, String)> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["file"].as_str().unwrap().to_string(), s["problem"].as_str().unwrap().to_string()))
        .collect();
    let want = [
        // Cut in the middle of a record.
        ("deferred/A/A00000000A", "past the end"),
        ("deferred/A/A00000000B", "past the end"),
        ("deferred/A/A00000000C", "empty file"),
        ("deferred/A/A00000000D", ""),
        ("deferred/A/A00000000E", "pointer loop"),
        ("deferred/A/A000000010", "not a regular file"),
        ("deferred/A/not-a-queue-id", "not a queue ID"),
        ("incoming/A00000000F", "being written"),
    ];
    assert_eq!(skipped.len(), want.len(), "{skipped:?}");
    for ((file, problem), (wf, wp)) in skipped.iter().zip(want) {
        assert_eq!(file, wf);
        assert!(problem.contains(wp), "{file}: {problem}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("deferred/A/A00000000E: more than 10000 pointer jumps"), "{stderr}");
    // The remedy never lists a damaged file.
    let out = run(&["queue", "--spool", dir.path().to_str().unwrap(), "--emit", "queue-ids"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "CC034D8174\n");
}

#[test]
fn mutated_real_files_never_panic() {
    let good = std::fs::read(spool().join("deferred/A/AD143D819B")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("deferred");
    std::fs::create_dir_all(&q).unwrap();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for i in 0..300 {
        let mut f = good.clone();
        for _ in 0..(1 + next() % 8) {
            let at = (next() % f.len() as u64) as usize;
            f[at] = next() as u8;
        }
        f.truncate((next() % (f.len() as u64 + 1)) as usize);
        std::fs::write(q.join(format!("{:010X}", 0xB000000000u64 + i)), &f).unwrap();
        std::fs::set_permissions(
            q.join(format!("{:010X}", 0xB000000000u64 + i)),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
    }
    let (v, out) = json(dir.path(), &[]);
    assert!(matches!(out.status.code(), Some(0) | Some(3)), "{}", String::from_utf8_lossy(&out.stderr));
    let skipped = v["skipped"].as_array().unwrap().len() as u64;
    assert_eq!(v["read"].as_u64().unwrap() + skipped, 300);
}

#[test]
fn a_spool_without_permission_says_so() {
    if !rustix_is_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("deferred")).unwrap();
        std::fs::set_permissions(dir.path().join("deferred"), std::fs::Permissions::from_mode(0o000)).unwrap();
        let out = run(&["queue", "--spool", dir.path().to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("deferred: permission denied"));
        return;
    }
    // As root, nothing is denied: run the binary as nobody instead, from
    // a copy it may execute, on a queue directory only root may read.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("postsleuth");
    std::fs::copy(env!("CARGO_BIN_EXE_postsleuth"), &bin).unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(spool.join("deferred")).unwrap();
    std::fs::set_permissions(&spool, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(spool.join("deferred"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = Command::new("runuser")
        .args(["-u", "nobody", "--", bin.to_str().unwrap(), "queue", "--spool", spool.to_str().unwrap()])
        .output();
    let Ok(out) = out else {
        eprintln!("runuser not available: skipped");
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("spool/deferred: permission denied"), "{stderr}");
    assert!(stderr.contains("run as root"), "{stderr}");
}

fn rustix_is_root() -> bool {
    // The owner of a file this process creates is its effective uid.
    use std::os::unix::fs::MetadataExt;
    let f = tempfile::NamedTempFile::new().unwrap();
    f.as_file().metadata().unwrap().uid() == 0
}

/// `--list`: one row per selected message, oldest first, with what its
/// file says and why it waits.
#[test]
fn list_gives_one_row_per_message() {
    let (v, out) = json(&spool(), &["--list", "--account", "bob@example.test"]);
    assert_eq!(out.status.code(), Some(0));
    let rows = v["messages"].as_array().expect("messages");
    let ids: Vec<&str> = rows.iter().map(|r| r["queue_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ED4AFD8182", "05DB6D8184", "4jh4nK5G8qz6fJ0"]);
    assert_eq!(
        rows[1],
        serde_json::json!({"queue_id": "05DB6D8184", "queue": "deferred", "arrival": "2026-12-04T21:46:06Z",
            "account": "bob@example.test", "uid": null, "client_ip": "2001:db8::66", "country": null,
            "sender": "paypal@bank.example", "recipients": 1, "bytes": 1178, "subject": "Account locked",
            "reason": "connect to 127.0.0.1[127.0.0.1]:2525: Connection refused"})
    );
    let (v, _) = json(&spool(), &["--list"]);
    assert_eq!(v["messages"].as_array().unwrap().len(), 18, "every message without a filter");
}
