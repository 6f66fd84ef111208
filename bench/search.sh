#!/usr/bin/env bash
# Benchmark: `list --json` and `search` on a generated registry of MODELS × VERSIONS signed records,
# with no index (cold), a warm index, and after one model changed, beside `git status` on the same
# repository (what one stat per tracked file costs here). Wall times are the best of 3, peak memory
# (max RSS, /usr/bin/time -f %M) of one run.
#   bench/search.sh [MODELS=30000] [VERSIONS=10]       (issue #17 targets at 30000 10: warm search
#                                                      < 100 ms; list --json < 1 s and < 200 MB)
#   BASELINE=/path/to/older/modelreg bench/search.sh   adds a column for that binary, on the same
#                                                      registry (e.g. a release build of an older commit)
# The machine's load average is printed first and last: on a shared machine, read the numbers with it.
set -euo pipefail
models=${1:-30000}
versions=${2:-10}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_setup search --example generate_registry

gen=${GENERATE:-$here/target/release/examples/generate_registry}
"$gen" . "$models" "$versions" "$work/key"
git add -A >/dev/null && git commit -qm "generated registry"
query='tag.team = "team-3" and metric.auc > 0.9'
mid=$(printf 'model-%05d' $(( models / 2 )))
index=.git/modelreg/search-cache

bins=("$bin")
names=("this build")
if [ -n "${BASELINE:-}" ]; then
  bins=("$BASELINE" "$bin")
  names=("baseline" "this build")
fi

# Peak resident memory of one run, in MB (stderr kept apart from /usr/bin/time's output).
peak() {
  local out
  out=$(mktemp)
  /usr/bin/time -o "$out" -f %M "$@" >/dev/null 2>&1 || true
  echo $(( $(cat "$out") / 1024 ))
  rm -f "$out"
}

printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'registry: %d models x %d versions = %d records (%d files)\n' "$models" "$versions" \
  $(( models * versions )) "$(git ls-files | wc -l)"
printf 'query: %s -> %s matches\n' "$query" "$("$bin" search "$query" --json | grep -c '"name"')"
printf '%-48s' "command (best of 3: ms; peak: MB)"
for n in "${names[@]}"; do printf ' %14s' "$n"; done
printf '\n'

row() {
  local label=$1 before=$2
  shift 2
  printf '%-48s' "$label"
  for b in "${bins[@]}"; do
    local cmd=("$b" "$@")
    printf ' %14s' "$(BENCH_BEFORE="$before" bench_best "${cmd[@]}")"
  done
  printf '\n'
}
peak_row() {
  local label=$1 before=$2
  shift 2
  printf '%-48s' "$label"
  for b in "${bins[@]}"; do
    eval "$before"
    printf ' %14s' "$(peak "$b" "$@")"
  done
  printf '\n'
}
printf '%-48s %14s\n' "git status (ms)" "$(bench_best git status --porcelain)"
row "search QUERY, cold (no index)" "rm -f $index" search "$query"
peak_row "  peak MB" "rm -f $index" search "$query"
for i in "${!bins[@]}"; do
  b=${bins[$i]}
  rm -f "$index"; "$b" list --json >/dev/null
    # Each binary builds its own index (the formats differ); let every entry settle (the index trusts no directory changed in the last 2 s).
  sleep 3; "$b" list --json >/dev/null
  printf '%-48s' "${names[$i]}: warm"
  printf ' search %s ms;' "$(bench_best "$b" search "$query")"
  printf ' search --json %s ms;' "$(bench_best "$b" search "$query" --json)"
  printf ' --latest %s ms;' "$(bench_best "$b" search "$query" --latest)"
  printf " 'has metric.auc' --json %s ms;" "$(bench_best "$b" search 'has metric.auc' --json)"
  printf ' list --json %s ms (%s MB);' "$(bench_best "$b" list --json)" "$(peak "$b" list --json)"
  printf ' search peak %s MB\n' "$(peak "$b" search "$query")"
done
row "list --json, cold (no index)" "rm -f $index" list --json
peak_row "  peak MB" "rm -f $index" list --json

# One model gains a version: only its entry is read again.
head -c 4096 /dev/urandom > "$work/new.bin"
"$bin" register "$mid" "$work/new.bin" --no-code -q
"$bin" list --json >/dev/null
sleep 3
"$bin" list --json >/dev/null
head -c 4096 /dev/urandom > "$work/new2.bin"
"$bin" register "$mid" "$work/new2.bin" --no-code -q
printf '%-48s %14s\n' "this build: search QUERY, after one model changed" "$(bench_ms "$bin" search "$query")"
printf '%-48s %14s\n' "this build: search QUERY, warm again" "$(bench_ms "$bin" search "$query")"
printf 'index: %s\n' "$(du -h "$index" | cut -f1)"
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
