#!/usr/bin/env bash
# `msv status` over many services against the fake API server with latency injected into
# every request, next to `kubectl get deploy,svc,pods` (the same objects, without health)
# against the same server. Release builds. Prints one line per tool: median and min of
# RUNS wall-clock runs.
#
#   bench/status.sh                # 100 services x 3 pods, 10 ms per request, 7 runs
#   SERVICES=20 LATENCY_MS=50 RUNS=3 bench/status.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICES=${SERVICES:-100}
LATENCY_MS=${LATENCY_MS:-10}
RUNS=${RUNS:-7}
work=$(mktemp -d)
trap 'touch "$work/stop"; wait 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release --quiet --bin msv
cargo test --release --quiet --test integration --no-run
echo "starting the fake API server with $SERVICES services x 3 pods..." >&2
seed_start=$(date +%s%N)
MSV_BENCH_SERVICES=$SERVICES MSV_BENCH_LATENCY_MS=$LATENCY_MS \
MSV_BENCH_READY="$work/ready" MSV_BENCH_STOP="$work/stop" \
  cargo test --release --quiet --test integration -- --ignored --exact status::bench_cluster \
  >"$work/server.log" 2>&1 &
for _ in $(seq 1 600); do
  [ -s "$work/ready" ] && break
  sleep 0.5
done
[ -s "$work/ready" ] || { cat "$work/server.log" >&2; echo "the fake server did not start" >&2; exit 1; }
kubeconfig=$(cat "$work/ready")
echo "fake API server seeded and every pod ready in $(( ($(date +%s%N) - seed_start) / 1000000 )) ms" >&2

# Median and minimum wall time in ms of RUNS runs of a command (output discarded).
measure() {
  local times=()
  for _ in $(seq 1 "$RUNS"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; echo "failed: $*" >&2; exit 1; }
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %d ms, min %d ms", a[int((NR+1)/2)], a[1]}'
}

rows=$(./target/release/msv --kubeconfig "$kubeconfig" status -o json | grep -c '"live_color": "blue"')
[ "$rows" -eq "$SERVICES" ] || { echo "expected $SERVICES rows, got $rows" >&2; exit 1; }

echo "msv status ($SERVICES services x 3 pods, ${LATENCY_MS} ms per request): $(measure ./target/release/msv --kubeconfig "$kubeconfig" status)"
echo "msv status --pods (every pod probed too):                      $(measure ./target/release/msv --kubeconfig "$kubeconfig" status --pods)"
if command -v kubectl >/dev/null; then
  echo "kubectl get deploy,svc,pods (same objects, no health):         $(measure kubectl --kubeconfig "$kubeconfig" get deploy,svc,pods -l app.kubernetes.io/managed-by=msv)"
else
  echo "kubectl not found; skipped" >&2
fi
