#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one process on one core,
# starting from seed corpora: the trace fixtures for the trace parsers, fuzz/seeds/prom for the
# Prometheus text parser, fuzz/seeds/dockerignore for the .dockerignore matcher. Prints
# executions, time and result per target; exits 1 when a target found
# a crash (the input is kept in fuzz/artifacts/<target>/).
#
#   fuzz/run.sh                  # 300 s per target
#   fuzz/run.sh 60 dockerignore  # one target, one minute
#   FUZZ_SANITIZER=none fuzz/run.sh   # without AddressSanitizer
#
# Needs cargo; installs cargo-fuzz when it is missing. Stable Rust is enough:
# RUSTC_BOOTSTRAP=1 lets cargo-fuzz use the nightly-only sanitizer flags.
set -euo pipefail

seconds="${1:-300}"
shift || true
fuzz="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz")"
sanitizer="${FUZZ_SANITIZER:-address}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(detect jaeger otlp zipkin zipkin_v1 tempo prom dockerignore)
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz ..." >&2
    cargo install cargo-fuzz --locked
fi

cd "$fuzz"
cargo fuzz build -s "$sanitizer"

# Seeds: each parser gets the fixtures of its format (files over 128 KiB are left out: they
# make every execution slow and add no structure the smaller ones lack).
seed() {
    local target="$1"
    shift
    mkdir -p "corpus/$target"
    for file in "$@"; do
        [ -f "$file" ] || continue
        [ "$(stat -c %s "$file")" -le 131072 ] || continue
        cp -n "$file" "corpus/$target/seed-$(basename "$file")"
    done
}
fixtures="$root/tests/fixtures/traces"
seed jaeger "$fixtures"/jaeger/*.json
seed zipkin "$fixtures"/zipkin/*.json
seed tempo "$fixtures"/tempo/*.json "$fixtures"/otlp/*.json
seed otlp "$fixtures"/otlp/*.json "$fixtures"/handmade/otlp-*
seed zipkin_v1 "$fixtures"/handmade/zipkin-v1*.json
seed detect "$fixtures"/*/*.json "$fixtures"/handmade/*.jsonl
seed prom seeds/prom/*
seed dockerignore seeds/dockerignore/*

mkdir -p logs
status=0
summary=()
for target in "${targets[@]}"; do
    dict=()
    [ "$target" = dockerignore ] || [ "$target" = prom ] || dict=(-dict="$fuzz/json.dict")
    echo "== $target: ${seconds}s" >&2
    start=$(date +%s)
    if cargo fuzz run -s "$sanitizer" "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "${dict[@]}" >"logs/$target.log" 2>&1; then
        result="no crash"
    else
        result="CRASH (see fuzz/logs/$target.log, fuzz/artifacts/$target/)"
        status=1
    fi
    took=$(($(date +%s) - start))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$target.log" | tail -1)
    corpus=$(find "corpus/$target" -type f | wc -l)
    summary+=("$(printf '%-13s %12s execs  %5ss  corpus %5s  %s' "$target" "${runs:-?}" "$took" "$corpus" "$result")")
done
echo "sanitizer: $sanitizer"
printf '%s\n' "${summary[@]}"
exit "$status"
