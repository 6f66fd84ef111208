#!/usr/bin/env bash
# Shared-store transfer speed: modelreg register/get against DVC's push/pull and raw boto3, all to
# the same local S3 server, on two shapes: a 1 GiB model (8 x 128 MiB) and 2,000 small files.
#
#   bench/store.sh            # needs boto3 (+ moto for BENCH_S3=moto) in .venv-test (as .ci/run installs
#                             # them) and DVC in .venv-bench (python3 -m venv .venv-bench &&
#                             # .venv-bench/bin/pip install 'dvc[s3]'); two venvs because dvc-s3's
#                             # aiobotocore pins another botocore than moto's boto3
#
# The server: BENCH_S3=s3s (the default when an s3s-fs binary is found, at BENCH_S3S=/path or on PATH)
# runs s3s-fs, a Rust S3 server over a directory, so the server is not what every tool waits on:
#   cargo install s3s-fs --version 0.12.0 --features binary --locked
# BENCH_S3=moto (the fallback) runs moto_server from .venv-test, a Python server that keeps objects in
# memory and is bound by its own per-request and multipart-ingest cost.
#
# Times are wall clock of one run each (a transfer this size is not noise-bound), cold caches on the
# receiving side: modelreg gets from a fresh clone with an empty local store, DVC pulls with its
# cache removed, boto3 downloads into an empty directory. Upload times include hashing (modelreg
# register, dvc add + dvc push); the raw upload only sends bytes. Every download is compared byte for
# byte with the source tree.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_setup store
venv=${BENCH_VENV:-$here/.venv-bench}
tools=${BENCH_TOOLS_VENV:-$here/.venv-test}
s3s=${BENCH_S3S:-$(command -v s3s-fs || true)}
server=${BENCH_S3:-$([ -n "$s3s" ] && [ -x "$s3s" ] && echo s3s || echo moto)}
case $server in
  s3s) [ -n "$s3s" ] && [ -x "$s3s" ] || {
    echo "bench/store.sh: BENCH_S3=s3s needs an s3s-fs binary (BENCH_S3S=/path or on PATH): cargo install s3s-fs --version 0.12.0 --features binary --locked" >&2
    exit 2
  } ;;
  moto) [ -x "$tools/bin/moto_server" ] || {
    echo "bench/store.sh: BENCH_S3=moto needs moto_server in $tools (.ci/run's .venv-test, moto[server])" >&2
    exit 2
  } ;;
  *) echo "bench/store.sh: BENCH_S3 is s3s or moto, not '$server'" >&2; exit 2 ;;
esac
[ -x "$venv/bin/dvc" ] && [ -x "$tools/bin/python" ] || {
  echo "bench/store.sh: install the peers first: .ci/run's .venv-test (boto3, moto[server]), and python3 -m venv .venv-bench && .venv-bench/bin/pip install 'dvc[s3]'" >&2
  exit 2
}
py=$tools/bin/python
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$server" = s3s ]; then
  # Path-style requests only (no --domain), signed with the same key pair every client uses.
  mkdir -p "$work/s3root"
  "$s3s" --host 127.0.0.1 --port "$port" --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" \
    "$work/s3root" >"$work/server.log" 2>&1 &
  server_label="s3s-fs $("$s3s" --version | awk '{print $2}') (Rust, objects on local disk)"
else
  "$tools/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/server.log" 2>&1 &
  server_label="moto $("$py" -c 'import moto; print(moto.__version__)') (Python, objects in memory)"
fi
server_pid=$!
trap 'kill $server_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do "$py" -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ALLOW_HTTP=true
"$py" -c "import boto3; boto3.client('s3', endpoint_url='$AWS_ENDPOINT_URL').create_bucket(Bucket='bench')"

# A download must hold exactly the source tree: the same files, the same bytes.
same_tree() {
  diff -r -q "$1" "$2" >/dev/null || { echo "$3 returned other files or bytes for $shape" >&2; tail -n 20 "$work/server.log" >&2; exit 1; }
}

# The data: random bytes, so no layer can compress or deduplicate them.
mkdir -p "$work/data/big" "$work/data/small"
for i in $(seq 1 8); do head -c $((128 << 20)) /dev/urandom >"$work/data/big/shard-$i.bin"; done
"$py" - "$work/data/small" <<'EOF'
import os, sys
root = sys.argv[1]
for i in range(2000):
    d = os.path.join(root, f"part-{i % 20:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"file-{i:04d}.bin"), "wb") as f:
        f.write(os.urandom(4096 + (i * 37) % 12288))
EOF

# modelreg: the registry uses s3://bench/modelreg.
sed -i 's|^path = ".modelreg/objects"$|path = ".modelreg/objects"\nurl = "s3://bench/modelreg"|' modelreg.toml
"$bin" config sign -q
git clone -q "$work/reg" "$work/clone"

# Raw boto3: the same files, 8 at a time (like modelreg), default multipart settings.
cat >"$work/raw.py" <<'EOF'
import os, sys, boto3
from concurrent.futures import ThreadPoolExecutor
# The download takes its key list from the source tree (as DVC and modelreg take theirs from a
# manifest), not from a listing: s3s-fs 0.12 ends list_objects_v2 after 1,000 keys, untruncated.
op, local, prefix, src = (sys.argv[1:5] + [None])[:4]
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
files = [os.path.relpath(os.path.join(d, f), src or local) for d, _, fs in os.walk(src or local) for f in fs]
if op == "up":
    def up(r): s3.upload_file(os.path.join(local, r), "bench", prefix + "/" + r)
    with ThreadPoolExecutor(8) as pool: list(pool.map(up, files))
else:
    def down(r):
        p = os.path.join(local, r)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        s3.download_file("bench", prefix + "/" + r, p)
    with ThreadPoolExecutor(8) as pool: list(pool.map(down, files))
EOF

declare -A t
for shape in big small; do
  data=$work/data/$shape
  t[mr_up_$shape]=$(bench_ms "$bin" register "$shape" "$data" --no-code -q)
  "$bin" show "$shape@1" >/dev/null || { echo "modelreg register $shape failed" >&2; exit 1; }
  rm -rf "$work/clone/.modelreg/objects" "$work/out-$shape"
  git -C "$work/clone" pull -q
  t[mr_down_$shape]=$(cd "$work/clone" && bench_ms "$bin" get "$shape@1" -o "$work/out-$shape" -q)
  same_tree "$data" "$work/out-$shape" "modelreg get"
  # Disk is shared: each side's copies go once timed.
  rm -rf "$work/out-$shape" "$work/clone/.modelreg/objects" "$work/reg/.modelreg/objects"

  dvcdir=$work/dvc-$shape
  mkdir -p "$dvcdir" && cd "$dvcdir"
  git init -q && "$venv/bin/dvc" init -q
  "$venv/bin/dvc" remote add -q -d store "s3://bench/dvc-$shape"
  "$venv/bin/dvc" remote modify -q store endpointurl "$AWS_ENDPOINT_URL"
  cp -r "$data" "$dvcdir/data"
  start=$(date +%s%N)
  # Not -q: a quiet DVC hides its own errors too.
  { "$venv/bin/dvc" add -q data && "$venv/bin/dvc" push; } >"$work/dvc.log" 2>&1 \
    || { echo "dvc add/push failed for $shape:" >&2; tail -n 20 "$work/dvc.log" "$work/server.log" >&2; exit 1; }
  t[dvc_up_$shape]=$(( ($(date +%s%N) - start) / 1000000 ))
  rm -rf data .dvc/cache
  t[dvc_down_$shape]=$(bench_ms "$venv/bin/dvc" pull -q)
  same_tree "$data" "$dvcdir/data" "dvc pull"
  cd "$work/reg"
  rm -rf "$dvcdir"

  t[raw_up_$shape]=$(bench_ms "$py" "$work/raw.py" up "$data" "raw-$shape")
  t[raw_down_$shape]=$(bench_ms "$py" "$work/raw.py" down "$work/raw-out-$shape" "raw-$shape" "$data")
  same_tree "$data" "$work/raw-out-$shape" "boto3"
  rm -rf "$work/raw-out-$shape" "$data"
done

echo "server: $server_label on 127.0.0.1; load average (1, 5, 15 min) $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo
echo "| transfer | modelreg | DVC | raw boto3 | DVC / modelreg | modelreg / raw |"
echo "|---|---:|---:|---:|---:|---:|"
for shape in big small; do
  label=$([ $shape = big ] && echo "1 GiB model (8 x 128 MiB)" || echo "2,000 small files")
  for dir in up down; do
    verb=$([ $dir = up ] && echo upload || echo download)
    mr=${t[mr_${dir}_$shape]} dvc=${t[dvc_${dir}_$shape]} raw=${t[raw_${dir}_$shape]}
    echo "| $label, $verb | ${mr} ms | ${dvc} ms | ${raw} ms | $(bench_ratio "$dvc" "$mr") | $(bench_ratio "$mr" "$raw") |"
  done
done
