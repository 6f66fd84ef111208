#!/usr/bin/env bash
# The modelreg quickstart: a throwaway registry, a signing key, two versions of the example model,
# then list, show, promote through staging to production, get, roll back and check. Nothing outside a
# temp directory is touched.
#
#   cargo build --release && examples/quickstart.sh
#
# MODELREG=path/to/modelreg picks another binary (default: target/release/modelreg, else PATH).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname "$here")
modelreg=${MODELREG:-$repo_root/target/release/modelreg}
[ -x "$modelreg" ] || modelreg=$(command -v modelreg) || {
  echo "modelreg not found: run 'cargo build --release' first" >&2
  exit 2
}
modelreg() { "$MODELREG_BIN" "$@"; }
MODELREG_BIN=$modelreg

work=$(mktemp -d "${TMPDIR:-/tmp}/modelreg-quickstart.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "$*"; "$@"; }

cd "$work"
git init -q -b main registry
cd registry
git config user.name "Quinn Quickstart"
git config user.email "quinn@example.com"
# The registry's code lineage: pretend this repository also holds the training code.
echo "print('training')" > train.py && git add train.py && git commit -qm "training code"

run modelreg key generate --path "$work/quinn.key"
export MODELREG_KEY="$work/quinn.key"
run modelreg init
run modelreg register fraud-detector "$here/fraud-detector/v1" \
  --description "Flags card transactions for review" --framework sklearn \
  --metric auc=0.912 --metric recall=0.84 --param C=0.5 --tag team=risk \
  --dataset "train=s3://risk-data/transactions-2026-09.parquet" -m "first model"
run modelreg register fraud-detector "$here/fraud-detector/v2" \
  --metric auc=0.934 --metric recall=0.87 --param C=0.3 --tag team=risk \
  --dataset "train=s3://risk-data/transactions-2026-10.parquet" \
  --parent fraud-detector@1 -m "retrained on October data"
run modelreg list
run modelreg show fraud-detector
run modelreg show fraud-detector@2
run modelreg promote fraud-detector@1 --to production -m "first production model"
run modelreg promote fraud-detector@2 --to staging
run modelreg promote fraud-detector@staging --to production -m "better recall"
run modelreg get fraud-detector@production -o "$work/fetched"
run ls -l "$work/fetched"
run modelreg rollback fraud-detector --stage production -m "v2 flags too much in the EU"
run modelreg show fraud-detector
run modelreg history fraud-detector
run modelreg check
run git log --oneline
step "done: the registry above was a throwaway in $work"
