#!/usr/bin/env bash
# Start-up cost of the msv binary: wall time and peak memory of `msv --version` and
# `msv --help`, release build, averaged over N runs. Prints a Markdown table row per command.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200}
cargo build --release --locked -q
bin=target/release/msv
for args in "--version" "--help" "completions bash"; do
    # warm the page cache
    $bin $args >/dev/null
    start=$(date +%s%N)
    for _ in $(seq "$N"); do $bin $args >/dev/null; done
    end=$(date +%s%N)
    mean_ms=$(awk -v a="$start" -v b="$end" -v n="$N" 'BEGIN { printf "%.2f", (b - a) / n / 1e6 }')
    rss_kb=$(/usr/bin/time -f '%M' $bin $args 2>&1 >/dev/null | tail -1)
    echo "| \`msv $args\` | $mean_ms ms | $(( rss_kb / 1024 )).$(( (rss_kb % 1024) * 10 / 1024 )) MiB |"
done
