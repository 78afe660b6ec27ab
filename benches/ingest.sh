#!/usr/bin/env bash
# Ingest and summary speed over a generated multi-GB log, against zcat and
# pflogsumm. Never run as a test: timings belong here, not in `cargo test`.
#
#   benches/ingest.sh [VOLUME] [WORKDIR]
#
# VOLUME scales the simulated incident (100 ≈ 1 GB of log). The log is made
# by `postsleuth simulate`, then concatenated into one plain file and one
# gzip file so that each figure is about a single input.
set -euo pipefail
cd "$(dirname "$0")/.."
VOLUME="${1:-60}"
WORK="${2:-/tmp/postsleuth-bench}"
export CARGO_TARGET_DIR="${POSTSLEUTH_TARGET_DIR:-$HOME/.cache/postsleuth-target}"
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/postsleuth"

rm -rf "$WORK" && mkdir -p "$WORK/sim"
echo "== generating (volume $VOLUME)"
/usr/bin/time -f "simulate: %e s, %M KB peak" "$BIN" simulate --out "$WORK/sim" --volume "$VOLUME" --days 3 --seed 1
# One plain file, oldest first, and the same as gzip.
for f in $(ls "$WORK"/sim/mail.log* | sort -t. -k3,3nr); do
    case "$f" in *.gz) zcat "$f" ;; *) cat "$f" ;; esac
done > "$WORK/all.log"
touch -r "$WORK/sim/mail.log" "$WORK/all.log"
gzip -6 -c "$WORK/all.log" > "$WORK/all.log.gz"
touch -r "$WORK/sim/mail.log" "$WORK/all.log.gz"
SIZE=$(stat -c %s "$WORK/all.log")
echo "log: $SIZE bytes plain, $(stat -c %s "$WORK/all.log.gz") bytes gzip"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

t() { /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -1; }
report() { # name, "wall user sys rss"
    read -r wall user sys rss <<<"$2"
    awk -v n="$1" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v b="$SIZE" 'BEGIN {
        printf "%-28s wall %6.2f s  cpu %6.2f s  %7.0f MB/s wall  %7.0f MB/s per cpu-second  peak RSS %5.0f MB\n",
            n, w, u + s, b / 1e6 / w, b / 1e6 / (u + s), r / 1024 }'
}

echo "== ingest (parse + correlate: postsleuth check)"
report "check, plain" "$(t "$BIN" check -q --exact --log-tz UTC "$WORK/all.log")"
report "zcat > /dev/null" "$(t zcat "$WORK/all.log.gz")"
report "check, gzip" "$(t "$BIN" check -q --exact --log-tz UTC "$WORK/all.log.gz")"
echo "== summary"
report "postsleuth summary, plain" "$(t "$BIN" -q --exact --log-tz UTC "$WORK/all.log")"
if command -v pflogsumm >/dev/null; then
    report "pflogsumm" "$(t pflogsumm "$WORK/all.log")"
fi
