#!/usr/bin/env bash
# Benchmark: reads, writes with their commits, and checks on a generated registry of
# MODELS × VERSIONS signed records, beside `git fsck` and `git status` on the same repository.
#   bench/registry.sh [MODELS=10000] [VERSIONS=5]     (issue #17 targets: 10000 5 for list/show,
#                                                       30000 10 for writes and checks)
# Prints wall times (best of 3, ms), the full check's peak memory, and ratios to git.
# BENCH_BIN=/path/to/modelreg times another build (see lib.sh).
set -euo pipefail
models=${1:-10000}
versions=${2:-5}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_setup registry --example generate_registry

start=$(date +%s%N)
"$target/release/examples/generate_registry" . "$models" "$versions" "$work/key"
gen_ms=$(( ($(date +%s%N) - start) / 1000000 ))
start=$(date +%s%N)
git add -A >/dev/null && git commit -qm "generated registry"
add_ms=$(( ($(date +%s%N) - start) / 1000000 ))
records=$(( models * versions ))
name() { printf 'model-%05d' "$1"; }
mid=$(name $(( models / 2 )))
row() { printf '%-52s %9s %s\n' "$@"; }

printf 'registry: %d models x %d versions = %d records (generated in %d ms, git add+commit %d ms)\n' \
  "$models" "$versions" "$records" "$gen_ms" "$add_ms"
printf 'date: %s  load: %s  cores: %s\n' "$(date -u +%FT%TZ)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"
printf 'binary: %s\n' "$bin"
row "command" "best ms" ""
fsck=$(bench_best git fsck --no-progress)
status=$(bench_best git status --porcelain)
row "git fsck (same repository)" "$fsck" ""
row "git status --porcelain (same repository)" "$status" ""
row "modelreg list --json" "$(bench_best "$bin" list --json)" ""
row "modelreg show $mid" "$(bench_best "$bin" show "$mid")" ""

# Writes with their commits, each on a different model (so none repeats the one before).
new_artifact() { head -c 4096 /dev/urandom > "$work/new.bin"; }
best_of_models() { # best_of_models FIRST-MODEL-INDEX COMMAND... (the command gets the model name first)
  local first=$1 best= ms i
  shift
  for i in 0 1 2; do
    new_artifact
    ms=$(bench_ms "$@" "$(name $(( first + i )))")
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}
register() { "$bin" register "$1" "$work/new.bin" --no-code -q; }
promote() { "$bin" promote "$1@2" --to staging -q; }
row "modelreg register (with its commit)" "$(best_of_models $(( models / 2 + 1 )) register)" ""
row "modelreg promote (with its commit)" "$(best_of_models $(( models / 2 + 4 )) promote)" ""
[ -z "$(git status --porcelain)" ] && echo "git status after modelreg commits: clean" \
  || echo "git status after modelreg commits: NOT CLEAN"

# A push that adds one record: check --range reads only what it changed.
new_artifact
"$bin" register "$mid" "$work/new.bin" --no-code -q
one=$(bench_best "$bin" check --range HEAD~1..HEAD)
row "modelreg check --range (push adding 1 record)" "$one" ""
"$bin" check --range HEAD~1..HEAD >/dev/null 2>&1 && echo "check --range (1): ok" || echo "check --range (1): FAILED"

# A push that adds 100 records (100 models, one commit).
for i in $(seq 1 100); do
  new_artifact
  "$bin" register "$(name $(( (i * 97) % models )))" "$work/new.bin" --no-code --no-commit -q
done
git add -A >/dev/null && git commit -qm "100 registrations"
hundred=$(bench_best "$bin" check --range HEAD~1..HEAD)
row "modelreg check --range (push adding 100 records)" "$hundred" ""
"$bin" check --range HEAD~1..HEAD >/dev/null 2>&1 && echo "check --range (100): ok" || echo "check --range (100): FAILED"

full=$(bench_best "$bin" check --skip-artifacts)
row "modelreg check --skip-artifacts (full)" "$full" "$(bench_ratio "$full" "$fsck") git fsck"
zero=0000000000000000000000000000000000000000
first=$(bench_best "$bin" check --range "$zero..HEAD")
row "modelreg check --range $zero..HEAD (first push)" "$first" "$(bench_ratio "$first" "$fsck") git fsck"
row "peak MB: modelreg check --skip-artifacts" "$(bench_peak_mb "$bin" check --skip-artifacts)" ""
row "peak MB: first push" "$(bench_peak_mb "$bin" check --range "$zero..HEAD")" ""
row "peak MB: git fsck" "$(bench_peak_mb git fsck --no-progress)" ""
"$bin" check --skip-artifacts >/dev/null 2>&1 && echo "check: ok" || echo "check: FAILED"
"$bin" check --range "$zero..HEAD" >/dev/null 2>&1 && echo "first push: ok" || echo "first push: FAILED"
