#!/usr/bin/env bash
# Seeds each target's corpus (fuzz/corpus/TARGET/) from tests/fixtures:
# lines for the line parsers, whole small files for the readers and the
# ingest. Run from anywhere; rerun after the fixtures change. The corpora
# are not committed: libFuzzer grows them.
set -euo pipefail
cd "$(dirname "$0")"
fx=../tests/fixtures
out=corpus
mkdir -p "$out"/{syslog,event,journald,time,queue_file,decompress,ingest,differential}

# One seed per line, named by its hash so that reruns do not duplicate.
put() { # target, then the seed on stdin
    local tmp
    tmp=$(mktemp)
    cat >"$tmp"
    mv "$tmp" "$out/$1/seed-$(sha1sum <"$tmp" | cut -c1-16)"
}
lines() { # target, file
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s' "$line" | put "$1"
    done <"$2"
}

syslog_logs=("$fx"/*.log "$fx"/journal/text/*.log "$fx"/journal/dst/*.log)
for f in "${syslog_logs[@]}"; do lines syslog "$f"; done

# event: a byte picking the daemon (its index in fuzz_targets/event.rs's
# DAEMONS, plus 40 to stay printable), then the payload.
daemons=(smtpd postscreen tlsproxy dnsblog anvil pickup cleanup qmgr nqmgr smtp lmtp
    local virtual pipe error retry discard bounce postsuper master)
for f in "$fx"/*.log; do
    sed -nE 's#^.* postfix(-[a-z0-9]+)?/([a-z0-9/]*/)?([a-z]+)\[[0-9]+\]: (.*)$#\3\t\4#p' "$f" |
        while IFS=$'\t' read -r daemon payload; do
            for i in "${!daemons[@]}"; do
                if [ "${daemons[$i]}" = "$daemon" ]; then
                    # shellcheck disable=SC2059
                    { printf "\\$(printf '%03o' $((i + 40)))"; printf '%s' "$payload"; } | put event
                fi
            done
        done
done

for f in "$fx"/journal/*.json "$fx"/journal/dst/*.json; do
    head -n 40 "$f" | while IFS= read -r line; do printf '%s' "$line" | put journald; done
done

# time: eight bytes of `now` (little-endian µs), then the value, then an
# optional `--until` on a second line.
now='\x00\x10\x5e\x5f\x63\x47\x06\x00' # 2026-11-22
for v in 90m 1h30m 24h 7d 2w 1mo 1y 15s 0m 1001y 9999999999999999999d 1d12h \
    2026-11-22 '2026-11-22 08:00' 2026-11-22T08:00:00+01:00 2026-11-22T08:00:00Z \
    today yesterday this-week last-week this-month last-month local UTC Europe/Berlin \
    '2026-03-29 02:30' '2026-10-25 02:30' $'yesterday\ntoday' $'2026-11-22\n1h' $'1mo\n2026-02-29'; do
    { printf "$now"; printf '%s' "$v"; } | put time
done

find "$fx"/queue/spool -type f | while IFS= read -r f; do put queue_file <"$f"; done

# decompress: each compressed fixture, gzip made here, a plain log, and the
# bare magic bytes of each format (gzip, zstd, xz, bzip2) before junk.
for f in "$fx"/compressed/*.* "$fx"/rotation_boundary/mail.log.1.gz; do
    case "$f" in *.sh) continue ;; esac
    put decompress <"$f"
done
gzip -c "$fx"/two_hosts.log | put decompress
put decompress <"$fx"/short_queue_ids.log
for magic in '\x1f\x8b\x08' '\x28\xb5\x2f\xfd' '\xfd7zXZ\x00' 'BZh9'; do
    { printf "$magic"; head -c 64 "$fx"/two_hosts.log; } | put decompress
done

# ingest: a shape byte (files, and whether siblings are found), two cut
# bytes, then a whole fixture.
for f in "$fx"/*.log "$fx"/journal/mail.log.json; do
    for shape in '\x00' '\x01' '\x82'; do
        { printf "$shape\x55\xaa"; head -c 8192 "$f"; } | put ingest
    done
done

# differential: seed (8 bytes), scenario, format and queue IDs, volume,
# days; one seed per scenario.
for i in $(seq 0 14); do
    # shellcheck disable=SC2059
    printf "\\x$(printf '%02x' $((i * 7)))\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x$(printf '%02x' "$i")\\x$(printf '%02x' $((i % 4)))\\x40\\x00" | put differential
done

for t in "$out"/*/; do echo "$(basename "$t"): $(find "$t" -type f | wc -l) seeds"; done
