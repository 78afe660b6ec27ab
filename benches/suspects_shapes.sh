#!/usr/bin/env bash
# How `postsleuth suspects` (default thresholds) does on every incident shape
# and trap the simulator knows, against each simulation's truth.json.
#
#   benches/suspects_shapes.sh [SEEDS] [WORKDIR]
#
# For every scenario and seed 1..SEEDS (default 20), odd seeds with RFC 3164
# timestamps and even seeds with RFC 3339, it simulates a log set (volume
# $VOLUME, default 0.3; $DAYS days, default 2; short-history makes its own
# span) and runs `suspects --all --format json`. Checks, one line per run:
#   first  the compromised account or uid is flagged and ranked first
#   exact  (SASL incidents) .suspects[0].compromised_at and login file:line
#          equal truth's first_malicious
#   traps  identities in truth's `traps` that are flagged (should be none)
#   fp     any other flagged identity (on quiet and trap runs: anything)
#   end    (reset-retry) .suspects[0].abuse_ended.time equals truth's abuse_end
# then a table per scenario and the totals. A failed check is reported, never
# fatal. Needs jq.
set -uo pipefail
cd "$(dirname "$0")/.."
SEEDS="${1:-20}" VOLUME="${VOLUME:-0.3}" DAYS="${DAYS:-2}"
# A WORKDIR given is kept for inspection; a temporary one is removed.
WORK="${2:-$(mktemp -d /tmp/postsleuth-shapes.XXXXXX)}"
mkdir -p "$WORK"
[ -n "${2:-}" ] || trap 'rm -rf "$WORK"' EXIT
export CARGO_TARGET_DIR="${POSTSLEUTH_TARGET_DIR:-$HOME/.cache/postsleuth-target}"
cargo build --release --quiet || exit 1
BIN="$CARGO_TARGET_DIR/release/postsleuth"
command -v jq >/dev/null || { echo "jq is needed (apt-get install -y jq)" >&2; exit 1; }

SCENARIOS=(sasl-compromise webapp-script quiet early-caught short-history slow-brute-force separate-infra
    ipv6-attacker port-logging dovecot-failures reset-retry trap-travel trap-typo trap-cron traps)
TABLE="$WORK/table.tsv"
: >"$TABLE"

for scenario in "${SCENARIOS[@]}"; do
    for seed in $(seq 1 "$SEEDS"); do
        format=rfc3164
        [ $((seed % 2)) -eq 0 ] && format=rfc3339
        dir="$WORK/$scenario-$seed"
        if ! "$BIN" simulate --out "$dir" --scenario "$scenario" --seed "$seed" --format "$format" \
            --volume "$VOLUME" --days "$DAYS" --force 2>"$WORK/err"; then
            printf '%-17s seed %2d %-8s SIMULATE FAILED: %s\n' "$scenario" "$seed" "$format" "$(head -1 "$WORK/err")"
            printf '%s\t0\t0\t0\t0\t0\t0\t0\t1\n' "$scenario" >>"$TABLE"
            continue
        fi
        truth="$dir/truth.json"
        year=$(jq -r '.span.start[0:4]' "$truth")
        if ! out=$("$BIN" suspects --all --format json --tz UTC --log-tz UTC --year "$year" -q "$dir" 2>"$WORK/err") \
            || ! jq -e . >/dev/null 2>&1 <<<"$out"; then
            printf '%-17s seed %2d %-8s SUSPECTS FAILED: %s\n' "$scenario" "$seed" "$format" "$(head -1 "$WORK/err")"
            printf '%s\t1\t0\t0\t0\t0\t0\t0\t1\n' "$scenario" >>"$TABLE"
            continue
        fi
        want=$(jq -r 'if .compromised_account then .compromised_account
                      elif .compromised_uid then "uid=\(.compromised_uid)" else "" end' "$truth")
        traps=$(jq -r '(.traps // [])[]' "$truth")
        flagged=$(jq -r '.suspects[]? | select(.flagged) | .suspect' <<<"$out")
        top=$(jq -r '.suspects[0].suspect // ""' <<<"$out")
        trap_hits=0 fps=0 note=""
        while IFS= read -r s; do
            [ -z "$s" ] || [ "$s" = "$want" ] && continue
            if grep -qxF -- "$s" <<<"$traps"; then
                trap_hits=$((trap_hits + 1)); note="$note TRAP($s)"
            else
                fps=$((fps + 1)); note="$note FP($s)"
            fi
        done <<<"$flagged"
        incident=0 first=0 sasl=0 exact=0 ends=0 ended=0
        if [ -n "$want" ]; then
            incident=1
            if grep -qxF -- "$want" <<<"$flagged" && [ "$top" = "$want" ]; then
                first=1
            elif grep -qxF -- "$want" <<<"$flagged"; then
                note="$note not-first($top)"
            else
                note="$note MISSED"
            fi
        fi
        if [ "$(jq -r '.compromised_account // "" ' "$truth")" != "" ]; then
            sasl=1
            got=$(jq -r '.suspects[0] | "\(.compromised_at) \(.login.file // "" | split("/") | last):\(.login.line)"' <<<"$out")
            exp=$(jq -r '.first_malicious | "\(.time) \(.file):\(.line)"' "$truth")
            if [ "$got" = "$exp" ]; then exact=1; else note="$note time($got != $exp)"; fi
        fi
        if [ "$(jq -r '.abuse_end.time // ""' "$truth")" != "" ]; then
            ends=1
            got=$(jq -r '.suspects[0].abuse_ended.time // "none"' <<<"$out")
            exp=$(jq -r '.abuse_end.time' "$truth")
            if [ "$got" = "$exp" ]; then ended=1; else note="$note end($got != $exp)"; fi
        fi
        printf '%-17s seed %2d %-8s flagged: %s%s\n' "$scenario" "$seed" "$format" \
            "$(tr '\n' ' ' <<<"$flagged")" "$note"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" 1 "$incident" "$first" "$sasl" "$exact" \
            "$trap_hits" "$fps" 0 "$ends" "$ended" >>"$TABLE"
    done
done

awk -F'\t' '
{
    s = $1
    if (!(s in runs)) order[++n] = s
    runs[s] += $2; inc[s] += $3; first[s] += $4; sasl[s] += $5; exact[s] += $6
    traps[s] += $7; fp[s] += $8; broken[s] += $9; ends[s] += $10; ended[s] += $11
}
END {
    printf "\n%-17s %5s %9s %9s %6s %4s %6s %7s\n", "scenario", "runs", "first", "exact", "traps", "fp", "broken", "end"
    for (i = 1; i <= n; i++) {
        s = order[i]
        f = inc[s] ? sprintf("%d/%d", first[s], inc[s]) : "-"
        e = sasl[s] ? sprintf("%d/%d", exact[s], sasl[s]) : "-"
        d = ends[s] ? sprintf("%d/%d", ended[s], ends[s]) : "-"
        printf "%-17s %5d %9s %9s %6d %4d %6d %7s\n", s, runs[s], f, e, traps[s], fp[s], broken[s], d
        R += runs[s]; I += inc[s]; F += first[s]; S += sasl[s]; E += exact[s]
        T += traps[s]; P += fp[s]; B += broken[s]; D += ends[s]; DD += ended[s]
    }
    printf "%-17s %5d %9s %9s %6d %4d %6d %7s\n", "total", R, sprintf("%d/%d", F, I), sprintf("%d/%d", E, S), \
        T, P, B, sprintf("%d/%d", DD, D)
}' "$TABLE"
