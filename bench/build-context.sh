#!/usr/bin/env bash
# Build-context preparation: msv build against `docker build` (classic builder, the same
# /build endpoint) sending the same ~500 MB context to the same engine, plus msv's peak
# memory. The tree has 200 MB that is sent and 300 MB in many ignored files.
#
# Two figures: the time until the engine starts step 1 (it reads the whole context
# first, so this is walking, filtering, tarring and sending), and the whole build. docker
# build is given the labels msv adds (org.opencontainers.image.created and .version), so
# the engine does the same work for both: the classic builder turns each label into a
# step of its own, and a fresh `created` makes those steps miss the cache every time.
#
#   bench/build-context.sh            # builds msv in release mode first
#   RUNS=5 bench/build-context.sh
#   MSV_BIN=target/debug/msv bench/build-context.sh   # another binary
#   bench/build-context.sh patterns   # only the matcher with 500 / 5,000 / 50,000 patterns
#
# The `patterns` part times `msv build --explain` on the same tree: it walks and decides the
# whole context as a build does but sends nothing, so its CPU time and peak memory are the
# walk's and the .dockerignore matcher's. The generated files have five kinds of pattern in
# equal numbers — a name, a `**/*.ext` regex, a `dir/**` prefix, a `**/name` suffix and a
# `!name` exception — then `node_modules` and `target`.
#
# Needs: a Docker engine, the base image from tests/ci/setup-docker.sh, GNU time (the
# `patterns` part needs no engine).
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

if [ "${1:-}" = patterns ]; then
    # Prints "<CPU seconds> <peak KiB>" of `msv build --explain` with n generated patterns.
    explain_with() {
        awk -v n="$1" 'BEGIN { for (i = 1; i <= n / 5; i++)
            printf "dir%d\n**/*.x%d\ngen%d/**\n**/tmp%d\n!keep%d\n", i, i, i, i, i }' >"$ctx/.dockerignore"
        printf 'node_modules\ntarget\n' >>"$ctx/.dockerignore"
        /usr/bin/time -f '%U %S %M' -o "$work/t" "$msv" build "$ctx" --explain >/dev/null
        awk '{ printf "%.2f %d\n", $1 + $2, $3 }' "$work/t"
    }
    echo "patterns   CPU (median of $RUNS)   peak RSS"
    for n in 0 500 5000 50000; do
        : >"$work/p"
        for _ in $(seq 1 "$RUNS"); do explain_with "$n" >>"$work/p"; done
        cpu=$(cut -d' ' -f1 "$work/p" | median)
        kb=$(cut -d' ' -f2 "$work/p" | sort -n | tail -1)
        printf '%-10s %6ss               %d MiB\n' "$n" "$cpu" $((kb / 1024))
    done
    exit 0
fi
# Prints "<seconds until step 1> <seconds in all> <peak KiB>" for one build command
# whose log shows the engine's steps.
measure() {
    local start first
    start=$(date +%s.%N)
    first=$(/usr/bin/time -f '%e %M' -o "$work/t" "$@" 2>&1 | while IFS= read -r line; do
        case "$line" in *"Step 1/"*) date +%s.%N ;; esac
    done | head -1)
    awk -v s="$start" -v f="$first" -v t="$(cat "$work/t")" \
        'BEGIN { split(t, a, " "); printf "%.2f %s %s\n", f - s, a[1], a[2] }'
}
time_msv() { measure "$msv" -v build "$ctx"; }
time_docker() {
    measure env DOCKER_BUILDKIT=0 docker build -t bench-docker/ctx \
        --label "org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
        --label org.opencontainers.image.version=latest "$ctx"
}
# One warm-up each: the page cache holds the tree and the engine's layer cache the base.
time_msv >/dev/null
time_docker >/dev/null
: >"$work/msv"
: >"$work/docker"
for _ in $(seq 1 "$RUNS"); do
    time_msv >>"$work/msv"
    time_docker >>"$work/docker"
done
col() { cut -d' ' -f"$1" "$work/$2" | median; }
msv_kb=$(cut -d' ' -f3 "$work/msv" | sort -n | tail -1)
echo "context: $(du -sh "$ctx" | cut -f1) on disk, 200 MB sent, 20,010 files ignored; $RUNS runs, median"
echo "                          context sent   whole build"
echo "msv build:                $(col 1 msv)s          $(col 2 msv)s  (peak RSS $((msv_kb / 1024)) MiB)"
echo "docker build (classic):   $(col 1 docker)s          $(col 2 docker)s"
awk -v m="$(col 1 msv)" -v d="$(col 1 docker)" -v M="$(col 2 msv)" -v D="$(col 2 docker)" \
    'BEGIN { printf "ratio msv/docker:         %.2f           %.2f\n", m / d, M / D }'
