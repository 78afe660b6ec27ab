//! `watch --exec`: a program run per alert, the alert on its standard
//! input. The program and its arguments are given as a list and started
//! directly: no shell ever sees a log string.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `program` with `args`, `input` (and a newline) on its standard
/// input, its standard output discarded (watch's own is the alerts) and its
/// standard error shared; killed after `timeout`. Why it failed, if it did.
pub fn run(program: &Path, args: &[String], input: &[u8], timeout: Duration) -> Result<(), String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start it: {e}"))?;
    // Written from a thread of its own: a program that does not read its
    // input would otherwise hold this one once the pipe is full.
    let stdin = child.stdin.take();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(mut s) = stdin {
            let _ = s.write_all(&data).and_then(|_| s.write_all(b"\n"));
        }
    });
    let deadline = Instant::now() + timeout;
    let outcome = loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break Ok(()),
            Ok(Some(status)) => break Err(format!("it failed ({status})")),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("it ran longer than {}s and was killed", timeout.as_secs_f64()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => break Err(format!("could not wait for it: {e}")),
        }
    };
    let _ = writer.join();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_arrives_whole_and_failures_are_told() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got");
        let script = format!("cat > '{}'", out.display());
        let input = b"{\"suspect\":\"$(touch /tmp/x); a'b\"}";
        run(Path::new("/bin/sh"), &["-c".into(), script], input, Duration::from_secs(10)).unwrap();
        let mut want = input.to_vec();
        want.push(b'\n');
        assert_eq!(std::fs::read(&out).unwrap(), want);
        let failed = run(Path::new("/bin/sh"), &["-c".into(), "exit 3".into()], b"", Duration::from_secs(10));
        assert!(failed.unwrap_err().contains("exit status: 3"));
        let slow = run(Path::new("/bin/sleep"), &["5".into()], b"", Duration::from_millis(100));
        assert!(slow.unwrap_err().contains("killed"));
        assert!(run(Path::new("/nonexistent/program"), &[], b"", Duration::from_secs(1)).is_err());
    }
}
