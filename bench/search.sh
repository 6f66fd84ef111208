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




"$here/target/release/examples/generate_registry" . "$models" "$versions" "$work/key"
git add -A >/dev/null && git commit -qm "generated registry"
query='tag.team = "team-3" and metric.auc > 0.9'
mid=$(printf 'model-%05d' $(( models / 2 )))

printf 'registry: %d models x %d versions = %d records\n' "$models" "$versions" $(( models * versions ))
printf 'query: %s -> %s matches\n' "$query" "$("$bin" search "$query" --json | grep -c '"name"')"
printf '%-52s %8s\n' "command" "best ms"
printf '%-52s %8s\n' "modelreg list --json (parses every record)" "$(bench_best "$bin" list --json)"
printf '%-52s %8s\n' "modelreg search QUERY, cold (no cache)" "$(BENCH_BEFORE="rm -f .git/modelreg/search-cache" bench_best "$bin" search "$query")"
printf '%-52s %8s\n' "modelreg search QUERY, warm" "$(bench_best "$bin" search "$query")"
printf '%-52s %8s\n' "modelreg search QUERY --json, warm" "$(bench_best "$bin" search "$query" --json)"
printf '%-52s %8s\n' "modelreg search QUERY --latest, warm" "$(bench_best "$bin" search "$query" --latest)"
printf '%-52s %8s\n' "modelreg search 'has metric.auc' --json (every version)" "$(bench_best "$bin" search 'has metric.auc' --json)"

# One model gains a version: only its entry is rebuilt.
head -c 4096 /dev/urandom > "$work/new.bin"
"$bin" register "$mid" "$work/new.bin" --no-code -q
printf '%-52s %8s\n' "modelreg search QUERY, after one model changed" "$(bench_ms "$bin" search "$query")"
printf 'cache: %s\n' "$(du -h .git/modelreg/search-cache | cut -f1)"
