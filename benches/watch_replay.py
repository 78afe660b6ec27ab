#!/usr/bin/env python3
"""`postsleuth watch` against `postsleuth suspects` on simulated incidents.

    benches/watch_replay.py BIN WORKDIR SCENARIO SEED [--volume V] [--days D] [--step S]

Simulates SCENARIO with SEED (odd seeds RFC 3164, even RFC 3339), asks
`suspects --format json` about the finished set, then replays it into a log
that `watch` follows: the rotated files (every day but the last) are there
when watch starts with --from-start (its catch-up), and the last day's lines
are appended to mail.log while it runs. Prints one JSON object: the
identity the truth names, what suspects says of it, the first alert naming
it (its log time, its compromise time, how many log minutes after the first
spam message), whether every compromise time alerted for it equals
suspects', and the alerts about anything else.

A run without an incident replays the whole day; an incident's replay
ends --after (default 2h) of log after its first spam message, by when its
first alerts and the suspect alerts that follow have come (with
--stop-early, once the identity is alerted with a compromise time).
"""
import argparse
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() if s else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric(port, name):
    try:
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return None
    for line in page.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait(cond, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}


def line_time(line, year):
    """The time of a simulated log line (RFC 3339, or RFC 3164 in UTC)."""
    head = line[:32].decode("ascii", "replace")
    try:
        if head[:4].isdigit():
            return datetime.fromisoformat(head.split(" ")[0]).timestamp()
        month, day, clock = head[:3], int(head[4:6]), head[7:15]
        return datetime.fromisoformat(f"{year}-{MONTHS[month]:02d}-{day:02d}T{clock}+00:00").timestamp()
    except (ValueError, KeyError):
        return None


def first_spam(s):
    """The first message of the abnormal volume, as suspects says it ("spam from")."""
    if s.get("volume", {}).get("onset"):
        return s["volume"]["onset"]["time"]
    if s.get("burst") and s["burst"].get("first"):
        return s["burst"]["first"]["time"]
    return s.get("compromised_at")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("work")
    ap.add_argument("scenario")
    ap.add_argument("seed", type=int)
    ap.add_argument("--volume", default="0.3")
    ap.add_argument("--days", default="2")
    ap.add_argument("--step", default="1m")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--stop-early", action="store_true")
    ap.add_argument("--after", type=float, default=2.0, help="hours of log replayed after the first spam")
    a = ap.parse_args()
    fmt = "rfc3339" if a.seed % 2 == 0 else "rfc3164"
    d = os.path.join(a.work, f"{a.scenario}-{a.seed}")
    shutil.rmtree(d, ignore_errors=True)
    sim, live = os.path.join(d, "sim"), os.path.join(d, "live")
    os.makedirs(live)
    subprocess.run([a.bin, "simulate", "--out", sim, "--scenario", a.scenario, "--seed", str(a.seed),
                    "--format", fmt, "--volume", a.volume, "--days", a.days], check=True, capture_output=True)
    truth = json.load(open(os.path.join(sim, "truth.json")))
    year = truth["span"]["start"][:4]
    common = ["--log-tz", "UTC", "--year", year, "-q"]
    sus = json.loads(subprocess.run([a.bin, "suspects", "--format", "json", "--tz", "UTC", *common, sim],
                                    check=True, capture_output=True).stdout)
    want = truth.get("compromised_account") or (
        f"uid={truth['compromised_uid']}" if truth.get("compromised_uid") is not None else None)
    expected = next((s for s in sus["suspects"] if s["suspect"] == want), None)
    # Every file but mail.log is history; mail.log's lines are appended live.
    for f in truth["files"]:
        if f["name"] != "mail.log":
            shutil.copy2(os.path.join(sim, f["name"]), os.path.join(live, f["name"]))
    with open(os.path.join(sim, "mail.log"), "rb") as f:
        lines = f.read().splitlines(keepends=True)
    spam = first_spam(expected) if expected else None
    if spam:
        end = ts(spam) + a.after * 3600
        lines = [l for l in lines if line_time(l, int(year)) is None or line_time(l, int(year)) < end]
    log = os.path.join(live, "mail.log")
    open(log, "wb").close()
    port = free_port()
    cmd = [a.bin, "watch", log, "--from-start", "--format", "json", "--metrics", str(port), "--step", a.step, *common]
    started = time.time()
    w = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    alerts = []

    def read():
        for line in w.stdout:
            alerts.append(json.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ok = wait(lambda: (metric(port, "postsleuth_watch_evaluations_total") or 0) >= 1, 600)
    caught_up = time.time() - started

    def victim_dated():
        return a.stop_early and want and any(x.get("suspect") == want and x.get("compromised_at") for x in alerts)

    def settled():
        # Every line read, and no evaluation for a second.
        if metric(port, "postsleuth_watch_lines_total") != len(lines):
            return False
        before = metric(port, "postsleuth_watch_evaluations_total")
        time.sleep(1.0)
        return metric(port, "postsleuth_watch_evaluations_total") == before

    with open(log, "ab", buffering=0) as out:
        out.write(b"".join(lines))
    live_started = time.time()
    ok = ok and wait(lambda: victim_dated() or settled(), 3600)
    live_took = time.time() - live_started
    evaluations = metric(port, "postsleuth_watch_evaluations_total")
    w.terminate()
    w.wait(30)
    reader.join(5)
    mine = [x for x in alerts if want and x.get("suspect") == want]
    first = mine[0] if mine else None
    dated = [x for x in mine if x.get("compromised_at")]
    late = (ts(first["at"]) - ts(spam)) / 60 if first and spam else None
    result = {
        "scenario": a.scenario, "seed": a.seed, "format": fmt, "want": want,
        "flagged": bool(expected and expected["flagged"]),
        "suspects_compromised_at": expected and expected["compromised_at"],
        "first_spam": spam,
        "alerted": first is not None,
        "first_alert_at": first and first["at"], "first_alert_kind": first and first["alert"],
        "minutes_after_spam": late,
        "first_dated_compromise": dated[0]["compromised_at"] if dated else None,
        "compromise_equal": bool(dated) and expected is not None
        and all(x["compromised_at"] == expected["compromised_at"] for x in dated),
        "other_alerts": [(x["alert"], x.get("suspect"), [c["what"] for c in x["crossed"]]) for x in alerts
                         if not (want and x.get("suspect") == want)],
        "alerts": len(alerts), "evaluations": evaluations, "ok": ok,
        "victim_alerts": [(x["at"], x["alert"], x["because"], x.get("compromised_at"), x.get("score")) for x in mine],
        "catch_up_s": round(caught_up, 2), "live_s": round(live_took, 2),
    }
    print(json.dumps(result))
    if not a.keep:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
