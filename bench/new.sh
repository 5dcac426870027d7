#!/usr/bin/env bash
# `msv new` for each built-in template, release build: mean wall time over RUNS runs and the
# peak resident memory of one run. Usage: bench/new.sh [RUNS] (default 50).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
cargo build --release --quiet
msv=$PWD/target/release/msv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

peak_kib() {
  # GNU time when installed, else getrusage of the finished child.
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n1
  else
    python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
  fi
}

printf '%-16s %8s %12s %10s\n' template files "mean ms" "peak MiB"
for t in $("$msv" templates list -o json | python3 -c 'import json,sys; [print(r["name"]) for r in json.load(sys.stdin) if r["source"]=="built-in"]'); do
  start=$(date +%s%N)
  for i in $(seq "$runs"); do
    "$msv" new "bench-$i" -t "$t" --dir "$work/$t-$i" --no-input -q >/dev/null
  done
  end=$(date +%s%N)
  files=$(find "$work/$t-1" -type f | wc -l)
  rm -rf "$work"/"$t"-*
  kib=$(peak_kib "$msv" new bench -t "$t" --dir "$work/$t-peak" --no-input -q)
  rm -rf "$work/$t-peak"
  awk -v t="$t" -v f="$files" -v ns=$((end - start)) -v n="$runs" -v k="$kib" \
    'BEGIN { printf "%-16s %8d %12.2f %10.1f\n", t, f, ns / n / 1e6, k / 1024 }'
done
