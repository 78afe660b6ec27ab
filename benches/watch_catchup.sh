#!/usr/bin/env bash
# How fast `postsleuth watch --from-start` catches up on a backlog, against
# batch `postsleuth summary` on the same rotated set: both read it through
# the same ingest; watch then judges the window once and passes over the
# followed file's lines the catch-up read (its follower was opened first).
#
#   [REPEAT=3] benches/watch_catchup.sh [VOLUME] [WORKDIR]
#
# VOLUME 60 is about 1 GB (three days: mail.log.2.gz, mail.log.1, mail.log).
# Times: summary's wall time; watch's until its metrics say the history was
# judged (the first evaluation), and until the followed file was passed over
# too (caught_up_lines equals its lines).
set -euo pipefail
cd "$(dirname "$0")/.."
VOLUME="${1:-60}"
WORK="${2:-/tmp/postsleuth-watch-catchup}"
REPEAT="${REPEAT:-3}"
export CARGO_TARGET_DIR="${POSTSLEUTH_TARGET_DIR:-$HOME/.cache/postsleuth-target}"
BIN="${BIN:-}"
if [ -z "$BIN" ]; then
    cargo build --release --quiet
    BIN="$CARGO_TARGET_DIR/release/postsleuth"
fi
if [ ! -f "$WORK/sim/mail.log" ]; then
    rm -rf "$WORK" && mkdir -p "$WORK"
    "$BIN" simulate --out "$WORK/sim" --volume "$VOLUME" --days 3 --seed 1 2>/dev/null
fi
SIZE=$(for f in "$WORK"/sim/mail.log*; do case "$f" in *.gz) zcat "$f" ;; *) cat "$f" ;; esac; done | wc -c)
LIVE_LINES=$(wc -l <"$WORK/sim/mail.log")
echo "backlog: $SIZE bytes uncompressed ($(du -cb "$WORK"/sim/mail.log* | tail -1 | cut -f1) on disk), $LIVE_LINES lines in mail.log"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
now() { date +%s.%N; }
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'; }
for i in $(seq 1 "$REPEAT"); do
    s=$(now)
    "$BIN" summary -q "$WORK/sim/mail.log" >/dev/null
    summary=$(echo "$(now) - $s" | bc)
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    s=$(now)
    "$BIN" watch "$WORK/sim/mail.log" --from-start -q --metrics "$PORT" >"$WORK/alerts" 2>"$WORK/stderr" &
    pid=$!
    until [ "$(metric "$PORT" postsleuth_watch_evaluations_total)" = 1 ] 2>/dev/null; do sleep 0.02; done
    judged=$(echo "$(now) - $s" | bc)
    until [ "$(metric "$PORT" postsleuth_watch_caught_up_lines_total)" = "$LIVE_LINES" ]; do sleep 0.02; done
    passed=$(echo "$(now) - $s" | bc)
    rss=$(awk '/VmHWM/ { print $2 / 1024 }' /proc/$pid/status)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    printf 'run %d: summary %6.2f s (%4.0f MB/s)   watch: history judged %6.2f s (%4.0f MB/s), followed file passed over %6.2f s (%4.0f MB/s), peak RSS %5.0f MB, %d alerts\n' \
        "$i" "$summary" "$(echo "$SIZE / $summary / 1000000" | bc -l)" "$judged" "$(echo "$SIZE / $judged / 1000000" | bc -l)" \
        "$passed" "$(echo "$SIZE / $passed / 1000000" | bc -l)" "$rss" "$(wc -l <"$WORK/alerts")"
done
