#!/usr/bin/env bash
# Drift benchmark (issues 5 and 18): ROWS rows x (20 numerical + 5 categorical), a shift in 5 columns,
# as CSV and as Parquet (snappy, row groups of 131,072 rows). Every tool on the same files in one run:
#   modelreg read-only pass, profile of the baseline, profile mode (target data vs the stored
#   profile) and exact mode, for CSV and for Parquet; polars read_csv / read_parquet (the reading
#   anchor); a plain scipy loop; Evidently's data-drift preset. modelreg and polars rows are the best
#   of BEST runs (default 3); the Python drift peers run once. A summary prints the issue's ratios.
#
# Usage: bench/drift/run.sh [ROWS...]   (default: 1000000 10000000)
#   BENCH_DIR   work files (default /tmp/modelreg-drift-bench): data, the venv, logs
#   PEERS=no    skip every Python tool;  PEER_MAX_ROWS (default 1000000): scipy and Evidently only up
#               to this many rows (at 10M the scipy loop needs ~8 GB and Evidently hours)
#   BEST        runs per modelreg/polars row (default 3)
#   COMPRESSED=no  skip the .csv.zst / .csv.gz read-only rows; COMPRESSED_MAX_ROWS (default 1000000):
#               only up to this many rows (each compressed copy costs disk)
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${BENCH_DIR:-/tmp/modelreg-drift-bench}
VENV=$WORK/venv
PEERS=${PEERS:-yes}
PEER_MAX_ROWS=${PEER_MAX_ROWS:-1000000}
BEST=${BEST:-3}
COMPRESSED=${COMPRESSED:-yes}
COMPRESSED_MAX_ROWS=${COMPRESSED_MAX_ROWS:-1000000}
[ $# -gt 0 ] || set -- 1000000 10000000
mkdir -p "$WORK"

cd "$ROOT"
cargo build --release -p modelreg-drift --example drift_bench >&2
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/drift_bench

if [ "$PEERS" = yes ] && [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    # Evidently 0.7 imports pandas internals that pandas 3 removed.
    "$VENV/bin/pip" install -q scipy numpy "pandas<3" polars >&2
fi
EVIDENTLY=$PEERS
if [ "$PEERS" = yes ] && ! "$VENV/bin/python" -c "import evidently" 2>/dev/null; then
    "$VENV/bin/pip" install -q evidently >&2 || EVIDENTLY=no
fi
if [ "$PEERS" = yes ] && ! "$VENV/bin/python" -c "import polars" 2>/dev/null; then
    "$VENV/bin/pip" install -q polars >&2
fi

declare -A SECS MB
# measure KEY RUNS CMD...: best wall time of RUNS runs under /usr/bin/time (and that run's peak RSS);
# prints one row. A failed run is reported and leaves the key unset.
measure() {
    local key=$1 runs=$2; shift 2
    local best= mem= out= log=$WORK/$key.time i secs kb
    for ((i = 0; i < runs; i++)); do
        if ! out=$( { /usr/bin/time -f '%e %M' -o "$log" "$@" ; } 2>"$WORK/$key.err" | tail -1 ); then
            printf '%-34s failed (see %s)\n' "$key" "$WORK/$key.err"
            return 0
        fi
        read -r secs kb < "$log"
        if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$secs mem=$((kb / 1024))
        fi
    done
    SECS[$key]=$best MB[$key]=$mem
    printf '%-34s %8.2f s %7d MB   %s\n' "$key" "$best" "$mem" "$out"
}

ratio() { # ratio A B: A / B with two decimals, or "-" when either is missing
    local a=${SECS[$1]:-} b=${SECS[$2]:-}
    if [ -n "$a" ] && [ -n "$b" ]; then awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }'; else echo -; fi
}
rate() { # rate KEY BYTES: MB/s
    local a=${SECS[$1]:-}
    if [ -n "$a" ]; then awk -v a="$a" -v b="$2" 'BEGIN { printf "%.0f", b / a / 1e6 }'; else echo -; fi
}

echo "modelreg drift benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for ROWS in "$@"; do
    DATA=$WORK/data-$ROWS
    if [ ! -f "$DATA/target.parquet" ]; then
        "$BIN" generate "$DATA" "$ROWS" >&2
    fi
    B=$DATA/baseline T=$DATA/target
    ZIP=$COMPRESSED
    [ "$ROWS" -le "$COMPRESSED_MAX_ROWS" ] || ZIP=no
    if [ "$ZIP" = yes ] && [ ! -f "$T.csv.zst" ]; then
        zstd -q -1 -T0 -f "$T.csv" -o "$T.csv.zst"
        gzip -1 -c "$T.csv" > "$T.csv.gz"
    fi
    CSV_BYTES=$(stat -c %s "$T.csv") PQ_BYTES=$(stat -c %s "$T.parquet")
    echo
    echo "== $ROWS rows: CSV $((CSV_BYTES / 1000000)) MB, Parquet $((PQ_BYTES / 1000000)) MB per file; load $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%-34s %10s %10s   %s\n' tool time peak-rss output
    for FMT in csv parquet; do
        measure "read-$FMT-$ROWS" "$BEST" "$BIN" read "$T.$FMT"
        if [ "$PEERS" = yes ]; then
            measure "polars-read-$FMT-$ROWS" "$BEST" "$VENV/bin/python" "$HERE/polars_read.py" "$T.$FMT"
        fi
        measure "profile-baseline-$FMT-$ROWS" "$BEST" "$BIN" profile "$B.$FMT" "$WORK/baseline-$FMT-$ROWS.profile.toml"
        measure "profile-mode-$FMT-$ROWS" "$BEST" "$BIN" profile-drift "$WORK/baseline-$FMT-$ROWS.profile.toml" "$T.$FMT"
        measure "exact-$FMT-$ROWS" "$BEST" "$BIN" exact "$B.$FMT" "$T.$FMT"
    done
    if [ "$ZIP" = yes ]; then
        measure "read-csv.zst-$ROWS" 1 "$BIN" read "$T.csv.zst"
        measure "read-csv.gz-$ROWS" 1 "$BIN" read "$T.csv.gz"
    fi
    if [ "$PEERS" = yes ] && [ "$ROWS" -le "$PEER_MAX_ROWS" ]; then
        measure "scipy-loop-$ROWS" 1 "$VENV/bin/python" "$HERE/scipy_loop.py" "$B.csv" "$T.csv"
        if [ "$EVIDENTLY" = yes ]; then
            measure "evidently-$ROWS" 1 "$VENV/bin/python" "$HERE/evidently_preset.py" "$B.csv" "$T.csv"
        else
            echo "evidently: could not be installed here (pip install evidently failed); skipped"
        fi
    fi
    echo "-- ratios at $ROWS rows (targets in brackets)"
    echo "read-only CSV: $(rate "read-csv-$ROWS" "$CSV_BYTES") MB/s [>= 400]; polars / modelreg: $(ratio "polars-read-csv-$ROWS" "read-csv-$ROWS") [>= 1]"
    echo "read-only Parquet: $(rate "read-parquet-$ROWS" "$PQ_BYTES") MB/s; polars / modelreg: $(ratio "polars-read-parquet-$ROWS" "read-parquet-$ROWS")"
    echo "profile mode / read-only: CSV $(ratio "profile-mode-csv-$ROWS" "read-csv-$ROWS"), Parquet $(ratio "profile-mode-parquet-$ROWS" "read-parquet-$ROWS") [<= 1.2]"
    echo "scipy / exact (CSV): $(ratio "scipy-loop-$ROWS" "exact-csv-$ROWS") [>= 12]; Evidently / exact (CSV): $(ratio "evidently-$ROWS" "exact-csv-$ROWS") [>= 80]"
    echo "Parquet profile mode: ${SECS[profile-mode-parquet-$ROWS]:--} s [< 2 s at 10M rows]"
done
if [ $# -ge 2 ]; then
    SMALL=$1 LARGE=${!#}
    echo
    echo "-- growth from $SMALL to $LARGE rows (target <= 10.5x for 10x the rows)"
    for key in read-csv read-parquet profile-mode-csv profile-mode-parquet exact-csv exact-parquet profile-baseline-csv profile-baseline-parquet; do
        echo "$key: $(ratio "$key-$LARGE" "$key-$SMALL")x"
    done
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
