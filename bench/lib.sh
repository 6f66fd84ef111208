# Shared setup for the benchmark scripts (sourced, not run).
#   bench_setup NAME [CARGO TARGETS...]  builds release binaries, makes $work (removed on exit) with a
#                                        hermetic HOME, and an initialised registry at $work/reg with
#                                        a signing key in MODELREG_KEY; cds there. Sets $here and $bin.
bench_setup() {
  local name=$1
  shift
  here=$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)
  (cd "$here" && cargo build --release --quiet --bin modelreg "$@")
  bin=$here/target/release/modelreg
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
