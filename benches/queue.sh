#!/bin/bash
# benches/queue.sh [N] -- `postsleuth queue` on a spool of N queue files
# (default 55000) against the admin's loop, `postcat -q ID` once per
# message, on the same spool, warm, paired.
#
# The spool is generated from real queue files of tests/fixtures/queue (a
# SASL message, a pickup message, the 120-recipient one), each copy with a
# new short queue ID written over the template's in the file name, the
# log_ident attribute and the Received header (same length, so every record
# length stays right). The postcat loop runs on a sample (SAMPLE, default
# 1000) and is extrapolated to N; each postsleuth run is paired with the
# loop run after it (REPEAT rounds, default 3), and each ratio is taken
# within its round. Needs postcat (Debian's postfix package); runs as any
# user, in a temporary directory.
set -euo pipefail
N=${1:-55000}
SAMPLE=${SAMPLE:-1000}
REPEAT=${REPEAT:-3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BIN=${POSTSLEUTH:-${CARGO_TARGET_DIR:-$REPO/target}/release/postsleuth}
POSTCAT=$(command -v postcat || echo /usr/sbin/postcat)
[ -x "$BIN" ] || { echo "build first: cargo build --release ($BIN)" >&2; exit 1; }
[ -x "$POSTCAT" ] || { echo "postcat not found (apt-get install postfix)" >&2; exit 1; }
WORK=$(mktemp -d /var/tmp/postsleuth-queue-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

python3 - "$REPO/tests/fixtures/queue/spool" "$WORK/spool" "$N" <<'EOF'
import os, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
templates = ["deferred/C/CC034D8174", "deferred/0/0DA33D8189", "deferred/A/AD143D819B"]
blobs = [(open(os.path.join(src, t), "rb").read(), os.path.basename(t).encode()) for t in templates]
for q in ["deferred", "hold", "maildrop", "incoming", "active", "defer"]:
    os.makedirs(os.path.join(dst, q), exist_ok=True)
for i in range(n):
    data, old = blobs[i % len(blobs)]
    new = b"%05X%05X" % (i % 0x100000, 0x10000 + i)
    path = os.path.join(dst, "deferred", chr(new[0]))
    os.makedirs(path, exist_ok=True)
    f = os.path.join(path, new.decode())
    with open(f, "wb") as out:
        out.write(data.replace(old, new))
    os.chmod(f, 0o700)
EOF
printf 'queue_directory = %s\n' "$WORK/spool" > "$WORK/main.cf"
find "$WORK/spool/deferred" -type f -printf '%f\n' | shuf -n "$SAMPLE" --random-source=<(yes) > "$WORK/sample"

now() { date +%s.%N; }
echo "spool: $N files, $(du -sh "$WORK/spool" | cut -f1); postcat loop on $SAMPLE of them, extrapolated"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$BIN" queue --spool "$WORK/spool" --quiet >/dev/null   # warm the page cache
for r in $(seq "$REPEAT"); do
  t0=$(now); "$BIN" queue --spool "$WORK/spool" --quiet >/dev/null; t1=$(now)
  while read -r id; do "$POSTCAT" -c "$WORK" -q "$id"; done < "$WORK/sample" | grep -c '^named_attribute: sasl_username=' >/dev/null || true
  t2=$(now)
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$N" -v s="$SAMPLE" -v r="$r" 'BEGIN {
    q = b - a; loop = (c - b) * n / s;
    printf "round %d: postsleuth queue %.2f s   postcat -q loop %.1f s (%.2f s for %d, x%.0f)   ratio %.0fx\n", r, q, loop, c - b, s, n / s, loop / q }'
done
