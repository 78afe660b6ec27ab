#!/usr/bin/env bash
# `postsleuth watch` on every incident shape and trap the simulator knows,
# against `postsleuth suspects` on the finished log and the truth.
#
#   benches/watch_accuracy.sh [SEEDS] [WORKDIR]
#
# For every scenario and seed 1..SEEDS (default 20; odd seeds RFC 3164, even
# RFC 3339), benches/watch_replay.py simulates $DAYS days (default 2) at
# volume $VOLUME (default 0.3), lets watch catch up on the rotated files
# and appends the last day to the log it follows. Per run, one JSON line in
# WORKDIR/runs.jsonl; then a table per scenario:
#   alerted  the compromised account or uid was alerted
#   ≤5m      its first alert came at most 5 log minutes after its first spam
#            message ("spam from" of suspects; earlier counts)
#   late     the latest first alert, in log minutes after the first spam
#   equal    every compromise time alerted for it equals suspects'
#   fp       suspect alerts about another account or uid, and on quiet and
#            trap runs any alert at all
#   signals  threshold alerts about anything else in incident runs (the
#            brute-force wave, a deferred surge, another account named by
#            the wave that logged in from a new IP)
set -uo pipefail
cd "$(dirname "$0")/.."
SEEDS="${1:-20}" VOLUME="${VOLUME:-0.3}" DAYS="${DAYS:-2}"
WORK="${2:-$(mktemp -d /tmp/postsleuth-watch.XXXXXX)}"
mkdir -p "$WORK"
export CARGO_TARGET_DIR="${POSTSLEUTH_TARGET_DIR:-$HOME/.cache/postsleuth-target}"
BIN="${BIN:-}"
if [ -z "$BIN" ]; then
    cargo build --release --quiet || exit 1
    BIN="$CARGO_TARGET_DIR/release/postsleuth"
fi
SCENARIOS=(${SCENARIOS:-sasl-compromise webapp-script quiet early-caught short-history slow-brute-force separate-infra
    ipv6-attacker port-logging dovecot-failures reset-retry trap-travel trap-typo trap-cron traps})
RUNS="$WORK/runs.jsonl"
: >"$RUNS"
# Seed by seed, every scenario each time: a run cut short has them all.
for seed in $(seq 1 "$SEEDS"); do
    for scenario in "${SCENARIOS[@]}"; do
        if ! python3 benches/watch_replay.py "$BIN" "$WORK" "$scenario" "$seed" --volume "$VOLUME" --days "$DAYS" \
            >>"$RUNS" 2>"$WORK/err"; then
            echo "{\"scenario\": \"$scenario\", \"seed\": $seed, \"failed\": true}" >>"$RUNS"
            echo "$scenario $seed FAILED: $(tail -1 "$WORK/err")" >&2
        fi
    done
done
python3 - "$RUNS" <<'PY'
import json, sys
from collections import OrderedDict
rows = OrderedDict()
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.setdefault(r["scenario"], []).append(r)
print(f"{'scenario':<17} {'runs':>4} {'alerted':>7} {'<=5m':>5} {'late':>7} {'equal':>5} {'fp':>4} {'signals':>7}  failed")
tot = [0] * 6
for sc, rs in rows.items():
    ok = [r for r in rs if not r.get("failed")]
    inc = [r for r in ok if r["want"]]
    alerted = sum(r["alerted"] for r in inc)
    in5 = sum(1 for r in inc if r["minutes_after_spam"] is not None and r["minutes_after_spam"] <= 5)
    lates = [r["minutes_after_spam"] for r in inc if r["minutes_after_spam"] is not None]
    equal = sum(r["compromise_equal"] for r in inc)
    fp = sum(1 for r in ok for x in r["other_alerts"] if x[0] == "suspect" or not r["want"])
    signals = sum(1 for r in inc for x in r["other_alerts"] if x[0] == "signal")
    late = f"{max(lates):.1f}" if lates else "-"
    n = len(rs)
    if inc:
        print(f"{sc:<17} {n:>4} {alerted:>7} {in5:>5} {late:>7} {equal:>5} {fp:>4} {signals:>7}  {n - len(ok)}")
    else:
        print(f"{sc:<17} {n:>4} {'-':>7} {'-':>5} {'-':>7} {'-':>5} {fp:>4} {'-':>7}  {n - len(ok)}")
PY
