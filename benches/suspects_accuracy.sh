#!/usr/bin/env bash
# Precision and recall of `postsleuth suspects` (default thresholds) over
# simulated incidents, against each simulation's truth.json.
#
#   benches/suspects_accuracy.sh [SEEDS] [VOLUME] [DAYS] [WORKDIR]
#
# For every seed 1..SEEDS and every scenario (sasl-compromise,
# webapp-script, quiet), odd seeds with RFC 3164 timestamps and even seeds
# with RFC 3339, it simulates a log set and runs `suspects --format json`.
# A flagged identity (score >= threshold) is a true positive when it is the
# truth's compromised account or uid, else a false positive; a compromised
# identity not flagged is a false negative. For sasl-compromise it also
# checks that the account ranks first and that the estimated compromise is
# the attacker's first login to the second, at the same file:line.
# Needs jq.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS="${1:-20}"
VOLUME="${2:-0.3}"
DAYS="${3:-2}"
if [ -n "${4:-}" ]; then
    WORK="$4"
else
    WORK=$(mktemp -d /tmp/postsleuth-accuracy.XXXXXX)
    trap 'rm -rf "$WORK"' EXIT
fi
export CARGO_TARGET_DIR="${POSTSLEUTH_TARGET_DIR:-$HOME/.cache/postsleuth-target}"
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/postsleuth"
command -v jq >/dev/null || { echo "jq is needed" >&2; exit 1; }

tp=0 fp=0 fn=0 first=0 exact=0 incidents=0 sasl=0
for scenario in sasl-compromise webapp-script quiet; do
    for seed in $(seq 1 "$SEEDS"); do
        format=rfc3164
        [ $((seed % 2)) -eq 0 ] && format=rfc3339
        dir="$WORK/$scenario-$seed"
        "$BIN" simulate --out "$dir" --scenario "$scenario" --seed "$seed" --format "$format" \
            --volume "$VOLUME" --days "$DAYS" --force 2>/dev/null
        truth="$dir/truth.json"
        year=$(jq -r '.span.start[0:4]' "$truth")
        out=$("$BIN" suspects --all --format json --tz UTC --log-tz UTC --year "$year" -q "$dir")
        want=$(jq -r 'if .compromised_account then .compromised_account
                      elif .compromised_uid then "uid=\(.compromised_uid)" else "" end' "$truth")
        flagged=$(jq -r '.suspects[] | select(.flagged) | .suspect' <<<"$out")
        top=$(jq -r '.suspects[0].suspect // ""' <<<"$out")
        hit=0
        while IFS= read -r s; do
            [ -z "$s" ] && continue
            if [ "$s" = "$want" ]; then hit=1; else fp=$((fp + 1)); echo "  false positive: $scenario seed $seed: $s"; fi
        done <<<"$flagged"
        note=""
        if [ -n "$want" ]; then
            incidents=$((incidents + 1))
            if [ $hit -eq 1 ]; then tp=$((tp + 1)); else fn=$((fn + 1)); note="$note MISSED"; fi
            if [ "$top" = "$want" ]; then first=$((first + 1)); else note="$note not-first($top)"; fi
        fi
        if [ "$scenario" = sasl-compromise ]; then
            sasl=$((sasl + 1))
            got=$(jq -r '.suspects[0] | "\(.compromised_at) \(.login.file // "" | split("/") | last):\(.login.line)"' <<<"$out")
            exp=$(jq -r '.first_malicious | "\(.time) \(.file):\(.line)"' "$truth")
            if [ "$got" = "$exp" ]; then exact=$((exact + 1)); else note="$note time($got != $exp)"; fi
        fi
        printf '%-16s seed %2d %-8s flagged: %s%s\n' "$scenario" "$seed" "$format" \
            "$(tr '\n' ' ' <<<"$flagged")" "$note"
    done
done
awk -v tp=$tp -v fp=$fp -v fn=$fn -v first=$first -v n=$incidents -v exact=$exact -v sasl=$sasl 'BEGIN {
    p = (tp + fp) ? tp / (tp + fp) : 1; r = (tp + fn) ? tp / (tp + fn) : 1
    printf "\nruns: %d incidents + %d quiet; TP %d, FP %d, FN %d\n", n, n / 2, tp, fp, fn
    printf "precision %.3f, recall %.3f; compromised identity ranked first %d/%d; ", p, r, first, n
    printf "compromise time and file:line exact %d/%d\n", exact, sasl }'
