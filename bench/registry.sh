#!/usr/bin/env bash
# Benchmark: list/show/check on a generated registry of MODELS × VERSIONS signed records, and
# check --range for a push that adds one record.
#   bench/registry.sh [MODELS=10000] [VERSIONS=5]     (issue targets: 10000 5 for list/show,
#                                                       10000 10 for check)
# Prints wall times (best of 3) beside `git fsck` on the same repository.
set -euo pipefail
models=${1:-10000}
versions=${2:-5}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_setup registry --example generate_registry


start=$(date +%s%N)
"$here/target/release/examples/generate_registry" . "$models" "$versions" "$work/key"
git add -A >/dev/null && git commit -qm "generated registry"
gen_ms=$(( ($(date +%s%N) - start) / 1000000 ))
records=$(( models * versions ))
mid=$(printf 'model-%05d' $(( models / 2 )))

printf 'registry: %d models x %d versions = %d records (generated and committed in %d ms)\n' \
  "$models" "$versions" "$records" "$gen_ms"
printf '%-40s %8s\n' "command" "best ms"
printf '%-40s %8s\n' "modelreg list --json" "$(bench_best "$bin" list --json)"
printf '%-40s %8s\n' "modelreg show $mid" "$(bench_best "$bin" show "$mid")"
printf '%-40s %8s\n' "modelreg show $mid@3 --json" "$(bench_best "$bin" show "$mid@3" --json)"
printf '%-40s %8s\n' "modelreg check --skip-artifacts" "$(bench_best "$bin" check --skip-artifacts)"
printf '%-40s %8s\n' "git fsck (same repository)" "$(bench_best git fsck --no-progress)"

# promote: one model's verified state, the gates, a signed record (no commit: the issue's target
# excludes git's commit time), on three different models so none is already in the stage.
promote_best=
for i in 1 2 3; do
  m=$(printf 'model-%05d' $(( models / 2 + i )))
  ms=$(bench_ms "$bin" promote "$m@2" --to staging --no-commit)
  if [ -z "$promote_best" ] || [ "$ms" -lt "$promote_best" ]; then promote_best=$ms; fi
done
printf '%-40s %8s\n' "modelreg promote --no-commit" "$promote_best"
m=$(printf 'model-%05d' $(( models / 2 + 4 )))
printf '%-40s %8s\n' "modelreg promote (with git commit)" "$(bench_ms "$bin" promote "$m@2" --to staging)"
git add -A >/dev/null && git commit -qm "promotions" >/dev/null

# A push that adds one record: check --range reads only what it changed.
head -c 4096 /dev/urandom > "$work/new.bin"
"$bin" register "$mid" "$work/new.bin" --no-code -q
printf '%-40s %8s\n' "modelreg check --range HEAD~1..HEAD" "$(bench_best "$bin" check --range HEAD~1..HEAD)"
"$bin" check --range HEAD~1..HEAD >/dev/null 2>&1 && echo "check --range: ok" || echo "check --range: FAILED"
"$bin" check --skip-artifacts >/dev/null 2>&1 && echo "check: ok" || echo "check: FAILED"
