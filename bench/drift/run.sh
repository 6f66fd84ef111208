#!/usr/bin/env bash
# Drift benchmark (issue 5): 1,000,000 rows x (20 numerical + 5 categorical), a shift in 5 columns.
# Compares, on the same files in one run: modelreg exact mode, modelreg profile mode (profile the
# baseline once, then target data vs that profile), a read-only pass, a plain scipy loop, and
# Evidently's data-drift preset. Python peers are pip-installed into a venv; if Evidently cannot be
# installed the script says so and continues.
#
# Usage: bench/drift/run.sh [ROWS] (default 1000000). Work files go to $BENCH_DIR (default /tmp/modelreg-drift-bench).
# PEERS=no skips the Python peers (for large ROWS, e.g. 10000000, where exact mode spills to disk).
set -eu -o pipefail

ROWS=${1:-1000000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${BENCH_DIR:-/tmp/modelreg-drift-bench}
VENV=$WORK/venv
PEERS=${PEERS:-yes}
mkdir -p "$WORK"

cd "$ROOT"
cargo build --release -p modelreg-drift --example drift_bench >&2
BIN=$ROOT/target/release/examples/drift_bench
[ -n "${CARGO_TARGET_DIR:-}" ] && BIN=$CARGO_TARGET_DIR/release/examples/drift_bench

if [ ! -f "$WORK/data-$ROWS/target.csv" ]; then
    "$BIN" generate "$WORK/data-$ROWS" "$ROWS"
fi
B=$WORK/data-$ROWS/baseline.csv
T=$WORK/data-$ROWS/target.csv

if [ "$PEERS" = yes ] && [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    # Evidently 0.7 imports pandas internals that pandas 3 removed.
    "$VENV/bin/pip" install -q scipy numpy "pandas<3" >&2
fi
EVIDENTLY=yes
if [ "$PEERS" != yes ]; then
    EVIDENTLY=skipped
elif ! "$VENV/bin/python" -c "import evidently" 2>/dev/null; then
    "$VENV/bin/pip" install -q evidently >&2 || EVIDENTLY=no
fi

# Runs a command under /usr/bin/time; prints "name seconds peak_MB output".
measure() {
    local name=$1; shift
    local log=$WORK/$name.time
    local out
    out=$( { /usr/bin/time -f '%e %M' -o "$log" "$@" ; } 2>"$WORK/$name.err" | tail -1 )
    read -r secs kb < "$log"
    printf '%-26s %8.2f s %8.0f MB   %s\n' "$name" "$secs" "$((kb / 1024))" "$out"
}

echo "rows=$ROWS  files: $(du -h "$B" | cut -f1) + $(du -h "$T" | cut -f1)   $(nproc) cores   $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-26s %10s %11s   %s\n' tool time peak-rss result
measure read-only-pass "$BIN" read "$T"
measure modelreg-exact "$BIN" exact "$B" "$T"
measure modelreg-profile-baseline "$BIN" profile "$B" "$WORK/baseline.profile.toml"
measure modelreg-profile-drift "$BIN" profile-drift "$WORK/baseline.profile.toml" "$T"
if [ "$PEERS" != yes ]; then
    echo "python peers: skipped (PEERS=$PEERS)"
    exit 0
fi
measure scipy-loop "$VENV/bin/python" "$HERE/scipy_loop.py" "$B" "$T"
if [ "$EVIDENTLY" = yes ]; then
    measure evidently-preset "$VENV/bin/python" "$HERE/evidently_preset.py" "$B" "$T" \
        || echo "evidently-preset: failed to run (see $WORK/evidently-preset.err)"
else
    echo "evidently-preset: could not be installed here (pip install evidently failed); skipped"
fi
