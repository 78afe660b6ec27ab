#!/usr/bin/env bash
# Hostile worst cases for memory and time (issue 23, item 5): one giant
# line, millions of distinct SASL accounts, a million sessions never
# closed, one queue ID reused over and over. Each is generated at two
# sizes (N and 10 N for the counted cases) so that the time per item can
# be compared: linear time keeps it flat; memory is stated per item.
# Never run as a test: timings belong here, not in `cargo test`.
#
#   benches/worst_cases.sh [SCALE] [WORKDIR]
#
# SCALE 1 is the issue's sizes (1 GB line, 10 M accounts, 1 M sessions,
# 100,000 reuses) as the larger of each pair.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${1:-1}"
WORK="${2:-/tmp/postsleuth-worst}"
export CARGO_TARGET_DIR="${POSTSLEUTH_TARGET_DIR:-$HOME/.cache/postsleuth-target}"
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/postsleuth"
rm -rf "$WORK" && mkdir -p "$WORK"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

# The generators write the exact line shapes Postfix does (RFC 3339
# stamps, so that no year has to be guessed).
gen() { # kind, count, file
    python3 - "$1" "$2" "$3" <<'EOF'
import sys
kind, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = open(path, "w", buffering=1 << 20)
import datetime
START = datetime.datetime(2026, 11, 21, tzinfo=datetime.timezone.utc)
def stamp(i):
    # In order, 100 lines a second: time never goes back.
    t = START + datetime.timedelta(microseconds=i * 10000)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
def qid(i):
    return f"{i:010X}"
if kind == "accounts":
    # A message begun by each account, every account distinct (the
    # message's other lines add nothing to the strain on names).
    for i in range(n):
        t, q, ip = stamp(i), qid(i), f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
        out.write(f"{t} mx1 postfix/submission/smtpd[{1000 + i % 30000}]: {q}: client=unknown[{ip}], sasl_method=PLAIN, sasl_username=user{i}@example.test\n")
elif kind == "sessions":
    # connect from, and nothing after: each pid's session stays open.
    for i in range(n):
        ip = f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
        out.write(f"{stamp(i)} mx1 postfix/smtpd[{i + 1}]: connect from unknown[{ip}]\n")
elif kind == "reuse":
    # The same queue ID, message after message (a counter that wrapped,
    # or an attacker's log lines).
    for i in range(n):
        t = stamp(i)
        out.write(f"{t} mx1 postfix/pickup[800]: 4F1A2B3C4D: uid=33 from=<www-data>\n")
        out.write(f"{t} mx1 postfix/qmgr[900]: 4F1A2B3C4D: from=<www-data@mx1.example.test>, size=700, nrcpt=1 (queue active)\n")
        out.write(f"{t} mx1 postfix/qmgr[900]: 4F1A2B3C4D: removed\n")
EOF
}

timed() { # label, file: /usr/bin/time's last stderr line is its own
    /usr/bin/time -o "$WORK/time" -f "%e %M" "$BIN" summary --format json "$2" >/dev/null 2>"$WORK/err" || true
    read -r secs kb < <(tail -1 "$WORK/time")
    printf '%-30s %12s bytes %9s s %10s KB peak RSS\n' "$1" "$(stat -c %s "$2")" "$secs" "$kb"
}

echo "== one giant line (no newline in it), then one ordinary line"
for mb in $((100 * SCALE)) $((1000 * SCALE)); do
    f="$WORK/giant-$mb.log"
    head -c "$((mb << 20))" /dev/zero | tr '\0' 'a' > "$f"
    printf '\n2026-11-21T00:00:00.000000+00:00 mx1 postfix/qmgr[900]: 4F1A2B3C4D: removed\n' >> "$f"
    timed "giant line ${mb} MB" "$f"
    rm -f "$f"
done

for spec in "accounts $((1000000 * SCALE)) $((10000000 * SCALE))" \
            "sessions $((100000 * SCALE)) $((1000000 * SCALE))" \
            "reuse $((10000 * SCALE)) $((100000 * SCALE))"; do
    set -- $spec
    echo "== $1"
    for n in "$2" "$3"; do
        f="$WORK/$1-$n.log"
        gen "$1" "$n" "$f"
        timed "$1 $n" "$f"
        rm -f "$f"
    done
done
