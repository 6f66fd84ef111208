#!/usr/bin/env bash
# Benchmark: hashing + storing a model directory of FILES × SIZE_MIB (default 8 × 128 MiB = 1 GiB),
# compared in the same run with sha256sum and git hash-object over the same files.
#   bench/hash.sh [FILES=8] [SIZE_MIB=128]
# All tools read from the page cache (the files are read once first), so this measures hashing and
# copying, not the disk.
set -euo pipefail
files=${1:-8}
size_mib=${2:-128}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_setup hash
mkdir -p "$work/model"
for i in $(seq 1 "$files"); do
  head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/model/shard-$i.bin"
done
cat "$work"/model/* > /dev/null
total_mib=$((files * size_mib))

seconds() { # wall seconds of one run
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  echo "scale=3; ($end - $start) / 1000000000" | bc
}
row() { # label seconds
  printf '%-46s %8.3f s %8.2f GB/s\n' "$1" "$2" "$(echo "scale=3; $total_mib * 1048576 / $2 / 1000000000" | bc)"
}

sha=$(seconds sha256sum "$work"/model/*)
git_hash=$(seconds git hash-object "$work"/model/*)
cold=$(seconds "$bin" register bench "$work/model" --no-code)
rm -rf "$work/reg/.modelreg/objects"
cold2=$(seconds "$bin" register bench "$work/model" --no-code --allow-same)
warm=$(seconds "$bin" register bench "$work/model" --no-code --allow-same)
dry=$(seconds "$bin" register bench "$work/model" --no-code --allow-same --dry-run)
best_cold=$(printf '%s\n%s\n' "$cold" "$cold2" | sort -n | head -1)

echo "$files files x $size_mib MiB = $total_mib MiB on $(nproc) cores"
printf '%-46s %10s %13s\n' "" "time" "throughput"
row "sha256sum" "$sha"
row "git hash-object" "$git_hash"
row "modelreg register (hash + copy into store)" "$best_cold"
row "modelreg register (objects already stored)" "$warm"
row "modelreg register --dry-run (hash only)" "$dry"
printf 'speed-up over sha256sum: %.1fx (hash + store), %.1fx (already stored)\n' \
  "$(echo "scale=3; $sha / $best_cold" | bc)" "$(echo "scale=3; $sha / $warm" | bc)"
"$bin" check >/dev/null 2>&1 && echo "check (re-hashes every stored object): ok"
