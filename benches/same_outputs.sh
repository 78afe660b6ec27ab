#!/usr/bin/env bash
# Whether two postsleuth binaries give the same answers on the same logs:
# for speed work, where a change must move no figure. Compares, byte for
# byte with exit codes, summary (JSON), suspects (JSON), every export table
# (CSV) and every `top` key x metric, overall and `--every 1d`.
#
#   benches/same_outputs.sh OLD_BIN NEW_BIN [PATH...]
#
# PATH defaults to sample-logs/ (about a minute; a generated 1 GB log takes
# over 25 minutes, and skews any timing run beside it).
# Prints each difference and a count; exits 1 if any. An old binary: `git
# worktree add /tmp/old REV`, build it there with the same CARGO_TARGET_DIR
# (polars is not rebuilt) and copy release/postsleuth aside before building
# the new one.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
OLD="$1" NEW="$2"
shift 2
PATHS=("${@:-sample-logs/}")

compared=0 differ=0
same() { # what, args…: run both binaries, compare stdout, stderr and exit code
    local what="$1"
    shift
    local a b
    a="$("$OLD" "$@" 2>&1; echo "exit $?")"
    b="$("$NEW" "$@" 2>&1; echo "exit $?")"
    compared=$((compared + 1))
    if [ "$a" != "$b" ]; then
        differ=$((differ + 1))
        echo "DIFF $what"
    fi
}

common=(-q --log-tz UTC)
same "summary" summary "${common[@]}" --format json "${PATHS[@]}"
same "suspects" suspects "${common[@]}" --format json "${PATHS[@]}"
for table in messages deliveries auth rejects sessions; do
    same "export $table" export "${common[@]}" --table "$table" --format csv "${PATHS[@]}"
done
for key in account uid ip net sender sender-domain helo recipient-domain country asn; do
    for metric in messages recipients bytes deferred bounced rejected auth-failures distinct-ips distinct-countries; do
        same "top $key $metric" top "${common[@]}" --by "$key" --metric "$metric" --format json "${PATHS[@]}"
        same "top $key $metric --every 1d" top "${common[@]}" --by "$key" --metric "$metric" --every 1d --format json "${PATHS[@]}"
    done
done
echo "$compared compared, $differ differ"
[ "$differ" -eq 0 ]
