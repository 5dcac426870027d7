#!/usr/bin/env bash
# Build-context preparation: msv build against `docker build` (classic builder, the same
# /build endpoint) sending the same ~500 MB context to the same engine, plus msv's peak
# memory. The tree has 200 MB that is sent and 300 MB in many ignored files.
#
#   bench/build-context.sh            # builds msv in release mode first
#   RUNS=5 bench/build-context.sh
#   MSV_BIN=target/debug/msv bench/build-context.sh   # another binary
#
# Needs: a Docker engine, the base image from tests/ci/setup-docker.sh, GNU time.
set -euo pipefail

RUNS="${RUNS:-3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"; docker image rm -f bench-msv/ctx:latest bench-docker/ctx:latest >/dev/null 2>&1 || true' EXIT

if [ -n "${MSV_BIN:-}" ]; then
    msv="$MSV_BIN"
else
    cargo build --release --quiet --manifest-path "$root/Cargo.toml"
    msv="$root/target/release/msv"
fi

ctx="$work/ctx"
mkdir -p "$ctx/src" "$ctx/node_modules" "$ctx/target"
echo "making the tree in $ctx ..." >&2
head -c $((200 * 1024)) /dev/urandom >"$work/200k"
head -c $((10 * 1024)) /dev/urandom >"$work/10k"
head -c $((10 * 1024 * 1024)) /dev/urandom >"$work/10m"
for i in $(seq 1 1000); do cp "$work/200k" "$ctx/src/f$i.bin"; done          # 200 MB sent
for d in $(seq 1 200); do                                                    # 200 MB ignored,
    mkdir -p "$ctx/node_modules/pkg$d"                                       # 20,000 files
    for i in $(seq 1 100); do cp "$work/10k" "$ctx/node_modules/pkg$d/m$i.js"; done
done
for i in $(seq 1 10); do cp "$work/10m" "$ctx/target/big$i"; done           # 100 MB ignored
printf 'node_modules\ntarget\n**/*.tmp\n' >"$ctx/.dockerignore"
printf 'FROM msv-test/busybox:1\nLABEL bench=context\n' >"$ctx/Dockerfile"
printf '[service]\nname = "ctx"\n\n[image]\nregistry = "bench-msv"\n' >"$ctx/msv.toml"
du -sh "$ctx" >&2

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_msv() {
    /usr/bin/time -f '%e %M' -o "$work/t" "$msv" -q build "$ctx" >/dev/null 2>&1
    cat "$work/t"
}
time_docker() {
    /usr/bin/time -f '%e %M' -o "$work/t" env DOCKER_BUILDKIT=0 docker build -q -t bench-docker/ctx "$ctx" >/dev/null 2>&1
    cat "$work/t"
}
# One warm-up each: the page cache holds the tree and the engine's layer cache the LABEL.
time_msv >/dev/null
time_docker >/dev/null
: >"$work/msv"
: >"$work/docker"
for _ in $(seq 1 "$RUNS"); do
    time_msv >>"$work/msv"
    time_docker >>"$work/docker"
done
msv_s=$(cut -d' ' -f1 "$work/msv" | median)
docker_s=$(cut -d' ' -f1 "$work/docker" | median)
msv_kb=$(cut -d' ' -f2 "$work/msv" | sort -n | tail -1)
echo "context: $(du -sh "$ctx" | cut -f1) on disk, 200 MB sent, 20,010 files ignored; $RUNS runs, median"
echo "msv build:                 ${msv_s}s  (peak RSS $((msv_kb / 1024)) MiB)"
echo "docker build (classic):    ${docker_s}s"
awk -v m="$msv_s" -v d="$docker_s" 'BEGIN { printf "ratio msv/docker:         %.2f\n", m / d }'
