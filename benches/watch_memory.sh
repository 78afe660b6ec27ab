#!/usr/bin/env bash
# `postsleuth watch` over a week of log written to it day by day: its
# resident memory after each simulated day, which must stay flat (the
# window is bounded, and the correlation is rebuilt from the window's lines
# now and then, which lets go of what is older).
#
#   benches/watch_memory.sh [VOLUME] [DAYS] [WORKDIR]
#
# Simulates DAYS days (default 7) of the quiet scenario at VOLUME (default
# 1, about 5 MB a day), starts watch on an empty mail.log (from its end, as
# a service starts) and appends the days one after the other, waiting after
# each until watch has read and judged it; then reads VmRSS and VmHWM from
# /proc and watch's own figures from --metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
VOLUME="${1:-1}" DAYS="${2:-7}"
WORK="${3:-$(mktemp -d /tmp/postsleuth-watch-mem.XXXXXX)}"
export CARGO_TARGET_DIR="${POSTSLEUTH_TARGET_DIR:-$HOME/.cache/postsleuth-target}"
BIN="${BIN:-}"
if [ -z "$BIN" ]; then
    cargo build --release --quiet
    BIN="$CARGO_TARGET_DIR/release/postsleuth"
fi
rm -rf "$WORK/sim" "$WORK/live" && mkdir -p "$WORK/live"
"$BIN" simulate --out "$WORK/sim" --scenario quiet --volume "$VOLUME" --days "$DAYS" --seed 1 --format rfc3339 2>/dev/null
LOG="$WORK/live/mail.log"
: >"$LOG"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" watch "$LOG" --log-tz UTC -q --metrics "$PORT" >"$WORK/alerts" 2>"$WORK/stderr" &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
until [ -n "$(metric postsleuth_watch_evaluations_total)" ]; do sleep 0.1; done
echo "volume $VOLUME, $DAYS days, machine: $(nproc) cores"
printf '%-4s %9s %9s %9s %10s %10s %9s %6s %11s\n' day lines rss_mb hwm_mb window_ln window_mb evals rebuilds read_s
total=0
day=0
for f in $(ls "$WORK"/sim/mail.log* | sort -t. -k3,3nr); do
    day=$((day + 1))
    start=$(date +%s.%N)
    case "$f" in *.gz) zcat "$f" ;; *) cat "$f" ;; esac >>"$LOG"
    total=$(wc -l <"$LOG")
    until [ "$(metric postsleuth_watch_lines_total)" = "$total" ]; do sleep 0.2; done
    # Settled: no evaluation for a second.
    e=""; while [ "$e" != "$(metric postsleuth_watch_evaluations_total)" ]; do e=$(metric postsleuth_watch_evaluations_total); sleep 1; done
    took=$(echo "$(date +%s.%N) - $start" | bc)
    rss=$(awk '/VmRSS/ { print $2 / 1024 }' /proc/$PID/status)
    hwm=$(awk '/VmHWM/ { print $2 / 1024 }' /proc/$PID/status)
    printf '%-4s %9s %9.1f %9.1f %10s %10.1f %9s %6s %11.1f\n' "$day" "$total" "$rss" "$hwm" \
        "$(metric postsleuth_watch_window_lines)" "$(echo "$(metric postsleuth_watch_window_bytes) / 1048576" | bc -l)" \
        "$e" "$(metric postsleuth_watch_rebuilds_total)" "$took"
done
echo "alerts: $(wc -l <"$WORK/alerts")"
