#!/usr/bin/env bash
# Benchmark: model cards on a generated registry of MODELS × VERSIONS signed records.
#   bench/cards.sh [MODELS=1000] [VERSIONS=10]      (issue target: rendering 1,000 cards < 2 s;
#                                                    bench/cards.sh 10000 10 for check at scale)
# Times `card --all` (render and write every card), `card --all --check` (render and compare), and
# `check --skip-artifacts` on the same registry before the cards exist and after they are committed
# (the full check then renders and compares every card).
set -euo pipefail
models=${1:-1000}
versions=${2:-10}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_setup cards --example generate_registry


"$here/target/release/examples/generate_registry" . "$models" "$versions" "$work/key"
git add -A >/dev/null && git commit -qm "generated registry"
printf 'registry: %d models x %d versions = %d records\n' "$models" "$versions" $(( models * versions ))
printf '%-52s %8s\n' "command" "ms"
printf '%-52s %8s\n' "modelreg check --skip-artifacts (no cards, best of 3)" "$(bench_best "$bin" check --skip-artifacts)"
printf '%-52s %8s\n' "modelreg card --all (renders and writes every card)" "$(bench_ms "$bin" card --all)"
git add -A >/dev/null && git commit -qm "cards"
printf '%-52s %8s\n' "modelreg card --all --check (best of 3)" "$(bench_best "$bin" card --all --check)"
printf '%-52s %8s\n' "modelreg check --skip-artifacts (with cards, best of 3)" "$(bench_best "$bin" check --skip-artifacts)"
"$bin" card --all --check >/dev/null 2>&1 && echo "card --check: ok" || echo "card --check: FAILED"
"$bin" check --skip-artifacts >/dev/null 2>&1 && echo "check: ok" || echo "check: FAILED"
