#!/usr/bin/env bash
# Compressed input against the decompressor alone: `summary` on one .gz,
# .zst and .xz of a simulated log, each paired with `pigz -dc`, `zstd -dc`
# and `xz -dc` on the same file; then a 7-file rotated set (five compressed,
# two plain) against the same set in plain text. Never run as a test.
#
#   [REPEAT=5] [REUSE=1] [BIN=path] benches/compressed.sh [VOLUME] [WORKDIR]
#
# VOLUME scales the simulated log (60 ≈ 1 GB). Needs pigz, zstd and xz.
# REUSE=1 keeps the files of an earlier run in WORKDIR (xz takes minutes to
# make them); BIN times another build of postsleuth.
# Each pair runs back to back, REPEAT times, alternating: this kind of
# shared VM changes speed within minutes, so only figures taken in the same
# minutes are compared. The figure given is the ratio per pair (summary's
# wall time over the other's) and its median.
set -euo pipefail
cd "$(dirname "$0")/.."
VOLUME="${1:-60}"
WORK="${2:-/tmp/postsleuth-bench-compressed}"
REPEAT="${REPEAT:-5}"
export CARGO_TARGET_DIR="${POSTSLEUTH_TARGET_DIR:-$HOME/.cache/postsleuth-target}"
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN="$CARGO_TARGET_DIR/release/postsleuth"
fi
for tool in pigz zstd xz; do
    command -v "$tool" >/dev/null || { echo "compressed.sh: $tool is needed (apt install $tool)"; exit 2; }
done

if [ "${REUSE:-}" = 1 ] && [ -f "$WORK/all.log.xz" ]; then
    echo "== reusing $WORK"
else
rm -rf "$WORK" && mkdir -p "$WORK/sim" "$WORK/set" "$WORK/plain"
echo "== generating (volume $VOLUME)"
"$BIN" simulate --out "$WORK/sim" --volume "$VOLUME" --days 3 --seed 1 >/dev/null
# One plain file, oldest first.
for f in $(ls "$WORK"/sim/mail.log* | sort -t. -k3,3nr); do
    case "$f" in *.gz) zcat "$f" ;; *) cat "$f" ;; esac
done > "$WORK/all.log"
# Compressors at their defaults, as logrotate's compresscmd runs them.
gzip -6 -c "$WORK/all.log" > "$WORK/all.log.gz"
zstd -q -3 -c "$WORK/all.log" > "$WORK/all.log.zst"
xz -6 -T0 -c "$WORK/all.log" > "$WORK/all.log.xz"
touch -r "$WORK/sim/mail.log" "$WORK"/all.log*

# The rotated set: the same log cut into 7 days' files, the two newest
# plain, the five older compressed (gzip, zstd, xz, gzip, zstd), and the
# same seven files all plain.
split -n l/7 -d -a 1 "$WORK/all.log" "$WORK/part."
comp=(gz zst xz gz zst)
for i in 0 1 2 3 4 5 6; do
    n=$((6 - i)) # part.0 is the oldest: mail.log.6
    name="mail.log.$n"
    [ "$n" -eq 0 ] && name="mail.log"
    cp "$WORK/part.$i" "$WORK/plain/$name"
    if [ "$i" -lt 5 ]; then
        case "${comp[$i]}" in
            gz) gzip -6 -c "$WORK/part.$i" > "$WORK/set/$name.gz" ;;
            zst) zstd -q -3 -c "$WORK/part.$i" > "$WORK/set/$name.zst" ;;
            xz) xz -6 -T0 -c "$WORK/part.$i" > "$WORK/set/$name.xz" ;;
        esac
    else
        cp "$WORK/part.$i" "$WORK/set/$name"
    fi
done
rm -f "$WORK"/part.*
fi
SIZE=$(stat -c %s "$WORK/all.log")
echo "log: $SIZE bytes plain; gzip $(stat -c %s "$WORK/all.log.gz"), zstd $(stat -c %s "$WORK/all.log.zst"), xz $(stat -c %s "$WORK/all.log.xz")"
echo "set: $(ls "$WORK/set" | tr '\n' ' ')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "postsleuth $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')"

t() { /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -1; }
pair() { # name, command A (the reference), command B (postsleuth): per-pair B/A and the best of each
    local name="$1" a="$2" b="$3" ra="" rb=""
    for _ in $(seq "$REPEAT"); do
        ra+="$(t bash -c "$a")"$'\n'
        rb+="$(t bash -c "$b")"$'\n'
    done
    paste <(cut -d' ' -f1 <<<"$ra") <(cut -d' ' -f1 <<<"$rb") <(cut -d' ' -f4 <<<"$rb") | awk -v n="$name" '
        NF == 3 { k++; q[k] = $2 / $1; a[k] = $1; b[k] = $2; if ($3 > rss) rss = $3; line = line sprintf(" %.2f", q[k]) }
        END {
            for (i = 2; i <= k; i++) for (j = i; j > 1 && q[j - 1] > q[j]; j--) { x = q[j]; q[j] = q[j - 1]; q[j - 1] = x }
            ba = a[1]; bb = b[1]
            for (i = 2; i <= k; i++) { if (a[i] < ba) ba = a[i]; if (b[i] < bb) bb = b[i] }
            printf "%-34s best %5.2f s vs %5.2f s; ratio by pair%s (median %.2f); peak RSS %.0f MB\n",
                n, bb, ba, line, q[int((k + 1) / 2)], rss / 1024 }'
}

S="$BIN summary -q --exact --log-tz UTC"
echo "== summary on one file / the decompressor alone on it"
pair "gzip: summary / pigz -dc" "pigz -dc $WORK/all.log.gz" "$S $WORK/all.log.gz"
pair "zstd: summary / zstd -dc" "zstd -q -dc $WORK/all.log.zst" "$S $WORK/all.log.zst"
pair "zstd: summary .zst / summary plain" "$S $WORK/all.log" "$S $WORK/all.log.zst"
pair "xz: summary / xz -dc" "xz -dc $WORK/all.log.xz" "$S $WORK/all.log.xz"
echo "== summary on the 7-file set / on the same set in plain text"
pair "set: compressed / plain" "$BIN summary -q --log-tz UTC $WORK/plain" "$BIN summary -q --log-tz UTC $WORK/set"
