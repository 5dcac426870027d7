#!/usr/bin/env bash
# Start-up cost of the msv binary against /bin/true (what any process costs), release build.
# The machine is shared, so absolute times drift: what counts is the ratio to /bin/true
# measured in the same round. ROUNDS rounds (default 5) each run every command RUNS times
# (default 200) with hyperfine -N (no shell), the commands alternating round by round.
# MSV_BASE=/path/to/an/older/msv adds that binary to every round, for a before/after.
# Prints the load average, then a Markdown table: median of the round means, the ratio to
# /bin/true (median, and min-max over rounds) and the peak resident memory of one run.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
runs=${RUNS:-200}
command -v hyperfine >/dev/null || {
    echo "bench/cli.sh needs hyperfine (apt-get install hyperfine)" >&2
    exit 2
}
cargo build --release --locked -q
bin=$(realpath "${CARGO_TARGET_DIR:-target}/release/msv")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

names=("/bin/true")
cmds=("/bin/true")
for args in "--version" "--help" "completions bash" "version"; do
    names+=("msv $args")
    cmds+=("$bin $args")
    if [[ -n ${MSV_BASE:-} ]]; then
        names+=("msv $args (before)")
        cmds+=("$MSV_BASE $args")
    fi
done

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for r in $(seq "$rounds"); do
    hyperfine -N --style none --warmup 20 --runs "$runs" --export-json "$work/round-$r.json" \
        "${cmds[@]}" >/dev/null 2>&1
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

for i in "${!cmds[@]}"; do
    # shellcheck disable=SC2086 # the arguments are meant to split
    echo "$(/usr/bin/time -f '%M' ${cmds[$i]} 2>&1 >/dev/null | tail -1)" >"$work/rss-$i"
done

python3 - "$work" "$rounds" "${names[@]}" <<'PY'
import json, statistics, sys
work, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
means = [[r["mean"] for r in json.load(open(f"{work}/round-{n}.json"))["results"]]
         for n in range(1, rounds + 1)]
print("| command | mean (median of rounds) | × /bin/true (median, min-max) | peak RSS |")
print("| --- | --- | --- | --- |")
for i, name in enumerate(names):
    ms = statistics.median(m[i] for m in means) * 1e3
    ratios = [m[i] / m[0] for m in means]
    rss = int(open(f"{work}/rss-{i}").read().strip() or 0) / 1024
    print(f"| `{name}` | {ms:.2f} ms | {statistics.median(ratios):.2f} "
          f"({min(ratios):.2f}-{max(ratios):.2f}) | {rss:.1f} MiB |")
PY
