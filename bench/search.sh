#!/usr/bin/env bash
# Benchmark: `search` on a generated registry of MODELS × VERSIONS signed records, cold (no cache),
# warm, and after one model changed, beside `list --json` (which parses every record).
#   bench/search.sh [MODELS=10000] [VERSIONS=10]     (issue target: 10000 10, search under 300 ms)
# Prints wall times (best of 3).
set -euo pipefail
models=${1:-10000}
versions=${2:-10}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_setup search --example generate_registry

ms_of() { # wall time of one run, in ms
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}

best() { # best of 3
  local best_ms= ms
  for _ in 1 2 3; do
    ms=$(ms_of "$@")
    if [ -z "$best_ms" ] || [ "$ms" -lt "$best_ms" ]; then best_ms=$ms; fi
  done
  echo "$best_ms"
}

cold() { # best of 3, the cache deleted before each run
  local best_ms= ms
  for _ in 1 2 3; do
    rm -f .git/modelreg/search-cache
    ms=$(ms_of "$@")
    if [ -z "$best_ms" ] || [ "$ms" -lt "$best_ms" ]; then best_ms=$ms; fi
  done
  echo "$best_ms"
}

"$here/target/release/examples/generate_registry" . "$models" "$versions" "$work/key"
git add -A >/dev/null && git commit -qm "generated registry"
query='tag.team = "team-3" and metric.auc > 0.9'
mid=$(printf 'model-%05d' $(( models / 2 )))

printf 'registry: %d models x %d versions = %d records\n' "$models" "$versions" $(( models * versions ))
printf 'query: %s -> %s matches\n' "$query" "$("$bin" search "$query" --json | grep -c '"name"')"
printf '%-52s %8s\n' "command" "best ms"
printf '%-52s %8s\n' "modelreg list --json (parses every record)" "$(best "$bin" list --json)"
printf '%-52s %8s\n' "modelreg search QUERY, cold (no cache)" "$(cold "$bin" search "$query")"
printf '%-52s %8s\n' "modelreg search QUERY, warm" "$(best "$bin" search "$query")"
printf '%-52s %8s\n' "modelreg search QUERY --json, warm" "$(best "$bin" search "$query" --json)"
printf '%-52s %8s\n' "modelreg search QUERY --latest, warm" "$(best "$bin" search "$query" --latest)"
printf '%-52s %8s\n' "modelreg search 'has metric.auc' --json (every version)" "$(best "$bin" search 'has metric.auc' --json)"

# One model gains a version: only its entry is rebuilt.
head -c 4096 /dev/urandom > "$work/new.bin"
"$bin" register "$mid" "$work/new.bin" --no-code -q
printf '%-52s %8s\n' "modelreg search QUERY, after one model changed" "$(ms_of "$bin" search "$query")"
printf 'cache: %s\n' "$(du -h .git/modelreg/search-cache | cut -f1)"
