# Shared setup for the benchmark scripts (sourced, not run).
#   bench_setup NAME [CARGO TARGETS...]  builds release binaries, makes $work (removed on exit) with a
#                                        hermetic HOME, and an initialised registry at $work/reg with
#                                        a signing key in MODELREG_KEY; cds there. Sets $here, $bin and
#                                        $target (CARGO_TARGET_DIR if set, else ./target).
# BENCH_BIN=/path/to/modelreg times another build (e.g. the commit before a change) with the same
# script, generator and repository shape.
bench_setup() {
  local name=$1
  shift
  here=$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)
  target=${CARGO_TARGET_DIR:-$here/target}
  (cd "$here" && cargo build --release --quiet --bin modelreg "$@")
  bin=${BENCH_BIN:-$target/release/modelreg}
  work=$(mktemp -d "${TMPDIR:-/tmp}/modelreg-$name.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null CI=1
  mkdir -p "$HOME"
  git init -q -b main "$work/reg"
  cd "$work/reg"
  git config user.name Bench && git config user.email bench@example.com
  # No background `git gc --auto`: it would still be writing .git/objects when the exit trap removes $work.
  git config gc.auto 0
  "$bin" key generate --path "$work/key" >/dev/null 2>&1
  export MODELREG_KEY=$work/key
  "$bin" init -q
}

# Wall time of one run of a command, in ms (its output discarded, a failure ignored).
bench_ms() {
  local start
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1 || true
  echo $(( ($(date +%s%N) - start) / 1000000 ))
}

# Best wall time of 3 runs, in ms. With BENCH_BEFORE set, that shell command runs (untimed) before each.
bench_best() {
  local best= t
  for _ in 1 2 3; do
    if [ -n "${BENCH_BEFORE:-}" ]; then eval "$BENCH_BEFORE"; fi
    t=$(bench_ms "$@")
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  echo "$best"
}

# Peak resident set size of one run of a command, in MB (GNU time's %M, written to a file so the
# command's own stderr can be discarded).
bench_peak_mb() {
  /usr/bin/time -o "$work/peak" -f '%M' "$@" >/dev/null 2>&1 || true
  echo $(( $(tail -1 "$work/peak") / 1024 ))
}

# `a / b` with one decimal (ratios beside git).
bench_ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'
}
