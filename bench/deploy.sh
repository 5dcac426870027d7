#!/bin/sh
# msv deploy's own overhead on top of the rollout, and what [deploy.analysis] adds to a
# verify window, against the fake API server with 5 ms latency per request (release
# build); and a workspace release of ten members. Prints the medians for
# docs/performance.md.
set -eu
cd "$(dirname "$0")/.."
cargo test --release --test integration -- --ignored --exact deploy::bench::bench_deploy_overhead --nocapture 2>&1 | grep '^deploy overhead'
cargo test --release --test integration -- --ignored --exact deploy::bench::bench_analysis_overhead --nocapture 2>&1 | grep '^analysis overhead'
cargo test --release --test integration -- --ignored --exact deploy::workspace::bench_release_of_ten --nocapture 2>&1 | grep '^release of 10'
