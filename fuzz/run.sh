#!/usr/bin/env bash
# A short fuzzing run of every target before a release (not in CI's time
# budget): seeds the corpora from tests/fixtures, then runs each target for
# SECONDS (default 60) on one core. A target stops at its first crash,
# timeout or out-of-memory, leaving the input in fuzz/artifacts/TARGET/;
# the script then goes on to the next, and exits 1 at the end if any did. Needs nightly Rust and cargo-fuzz
# (`cargo install cargo-fuzz`).
#
#   fuzz/run.sh            every target, 60 s each
#   fuzz/run.sh 600 event  one target, ten minutes
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
# The instrumented build of polars takes long: keep it apart from the
# stable build's target dir, and reuse it.
target_dir=${POSTSLEUTH_FUZZ_TARGET_DIR:-$HOME/.cache/postsleuth-fuzz-target}
./seed.sh >/dev/null
cargo +nightly fuzz build --target-dir "$target_dir"
failed=()
for t in "${targets[@]}"; do
    echo "== $t: ${seconds}s"
    # -rss_limit_mb: the readers and the ingest hold what they decompress
    # and correlate; a small input that needs more is a finding.
    if ! cargo +nightly fuzz run --target-dir "$target_dir" "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        >"artifacts-$t.log" 2>&1; then
        failed+=("$t")
    fi
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*(DONE|cov:)|ERROR|SUMMARY|Test unit written' \
        "artifacts-$t.log" | tail -n 4
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]} (see fuzz/artifacts-TARGET.log and fuzz/artifacts/)" >&2
    exit 1
fi
