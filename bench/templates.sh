#!/usr/bin/env bash
# What the generated services' instrumentation costs: each template's service as `msv new`
# makes it now ("after"), as the templates at BEFORE made it ("before"), with trace export to
# a stand-in collector ("export"), against a bare service in the same framework and versions
# (bench/templates/bare-*). wrk on 127.0.0.1, GET /api/v1/items/1 (an item that exists),
# rounds alternating between the variants so a change in the machine's load hits all alike.
#
# Usage: bench/templates.sh [TEMPLATES] [ROUNDS] [SECONDS]
#   TEMPLATES  comma-separated, default rust-axum,python-fastapi
#   ROUNDS     default 5; SECONDS per wrk run, default 10
# Env: BEFORE (git revision of the older templates, default 2b79380), CONNS (wrk -c, default
#   32), WORK (kept between runs: builds are reused; default /tmp/msv-bench-templates),
#   SERVER_CPU / CLIENT_CPU (taskset cores, default 1 / 0), MSV (an msv binary to use).
# Logs go to a file per service under WORK (as a container runtime would collect stdout);
# the default sampler is kept (parent-based, always on), so "export" exports every span.
# Needs: wrk (Debian: apt-get install wrk), taskset, python3 with venv, cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
templates=${1:-rust-axum,python-fastapi}
rounds=${2:-5}
secs=${3:-10}
conns=${CONNS:-32}
before=${BEFORE:-2b79380}
work=${WORK:-/tmp/msv-bench-templates}
server_cpu=${SERVER_CPU:-1}
client_cpu=${CLIENT_CPU:-0}
mkdir -p "$work"

# Which msv renders the templates does not matter for the figures; MSV= skips the build.
if [[ -z ${MSV:-} ]]; then
  cargo build --release --quiet
fi
msv=${MSV:-$repo/target/release/msv}
if [[ ! -d $work/before-templates ]]; then
  mkdir -p "$work/before-templates"
  git archive "$before" templates | tar -x -C "$work/before-templates"
fi

generate() { # name template-dir-or-name
  [[ -d $work/$1 ]] || "$msv" new "$1" -t "$2" --dir "$work/$1" --no-input -q >/dev/null
}

port=18400
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

collector_port=$((port - 1))
python3 bench/templates/collector.py "$collector_port" 2>"$work/collector.log" &
pids+=($!)

# Variants: name -> "dir|command|env"
declare -A cmd dir env
setup_rust() {
  generate after-svc rust-axum
  generate before-svc "$work/before-templates/templates/rust-axum"
  rm -rf "$work/bare-axum" && cp -r bench/templates/bare-axum "$work/bare-axum"
  sed 's/^name = "after-svc"$/name = "bare-axum"/' "$work/after-svc/Cargo.lock" >"$work/bare-axum/Cargo.lock"
  for v in after-svc before-svc bare-axum; do
    (cd "$work/$v" && CARGO_TARGET_DIR=$work/target cargo build --release --quiet)
  done
  for v in after-svc before-svc bare-axum; do
    cmd[rust-$v]=$work/target/release/$v
    dir[rust-$v]=$work/$v
    env[rust-$v]=""
  done
  cmd[rust-export]=$work/target/release/after-svc
  dir[rust-export]=$work/after-svc
  env[rust-export]="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$collector_port"
}
setup_python() {
  generate py-after python-fastapi
  generate py-before "$work/before-templates/templates/python-fastapi"
  if [[ ! -x $work/pyvenv/bin/python ]]; then
    python3 -m venv "$work/pyvenv"
    "$work/pyvenv/bin/pip" install -q -r "$work/py-after/requirements.txt"
  fi
  for v in py-after py-before; do
    cmd[python-$v]="$work/pyvenv/bin/python -m app"
    dir[python-$v]=$work/$v
    env[python-$v]=""
  done
  cmd[python-bare]="$work/pyvenv/bin/python $repo/bench/templates/bare-fastapi/app.py"
  dir[python-bare]=$work/py-after
  env[python-bare]=""
  cmd[python-export]="$work/pyvenv/bin/python -m app"
  dir[python-export]=$work/py-after
  env[python-export]="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$collector_port"
}

variants=()
IFS=, read -ra wanted <<<"$templates"
for t in "${wanted[@]}"; do
  case $t in
    rust-axum) setup_rust; variants+=(rust-bare-axum rust-before-svc rust-after-svc rust-export) ;;
    python-fastapi) setup_python; variants+=(python-bare python-py-before python-py-after python-export) ;;
    *) echo "bench/templates.sh: no bench for template $t (rust-axum, python-fastapi)" >&2; exit 2 ;;
  esac
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

run_one() { # variant round
  local v=$1 p=$((port++)) pid
  # shellcheck disable=SC2086
  (cd "${dir[$v]}" && exec env PORT=$p HOST=127.0.0.1 LOG_LEVEL=info SHUTDOWN_DELAY_SECONDS=0 \
    OTEL_SERVICE_NAME="$v" ${env[$v]} taskset -c "$server_cpu" ${cmd[$v]} >"$work/$v.log" 2>&1) &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done
  curl -fs -X POST -H 'content-type: application/json' -d '{"name":"bench"}' \
    "http://127.0.0.1:$p/api/v1/items" >/dev/null
  # The server process itself (the subshell exec'd env, which exec'd taskset, which exec'd it).
  local rest ticks0 ticks1 out rss_load
  rest=$(rss_kib "$pid")
  ticks0=$(cpu_ticks "$pid")
  out=$(taskset -c "$client_cpu" wrk -t1 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$p/api/v1/items/1")
  ticks1=$(cpu_ticks "$pid")
  rss_load=$(rss_kib "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  awk -v v="$v" -v r="$2" -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v rest="$rest" -v load="$rss_load" '
    function ms(x) { if (x ~ /us$/) return x / 1000; if (x ~ /ms$/) return x + 0; if (x ~ /s$/) return x * 1000; return x }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec/ { rps = $2 } /requests in/ { n = $1 }
    /Non-2xx/ { bad = $NF }
    END { printf "%-22s %2d %10.0f %9.3f %9.3f %9.1f %8.1f %8.1f %s\n", v, r, rps, p50, p99,
          (t / hz) / n * 1e6, rest / 1024, load / 1024, (bad ? "non-2xx=" bad : "") }' <<<"$out"
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), before=$before, ${secs}s x $rounds rounds, $conns connections, server on core $server_cpu, wrk on core $client_cpu"
printf '%-22s %2s %10s %9s %9s %9s %8s %8s\n' variant rd "req/s" "p50 ms" "p99 ms" "CPU us/r" "RSS MiB" "loaded"
results=$work/results.txt
: >"$results"
for r in $(seq "$rounds"); do
  for v in "${variants[@]}"; do
    run_one "$v" "$r" | tee -a "$results"
  done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Per round, each variant against the bare service of its template; medians over rounds.
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
by = {}
for v, r, rps, p50, p99, cpu, *_ in rows:
    by.setdefault(v, {})[int(r)] = (float(rps), float(p99), float(cpu))
print(f"{'variant':22} {'req/s':>10} {'p99 ms':>8} {'CPU us/r':>9}  {'vs bare: thru':>13} {'p99':>6} {'CPU':>6}")
for v, rounds in by.items():
    bare = by["rust-bare-axum" if v.startswith("rust-") else "python-bare"]
    med = lambda i: statistics.median(x[i] for x in rounds.values())
    ratio = lambda i: statistics.median(rounds[r][i] / bare[r][i] for r in rounds if r in bare)
    print(f"{v:22} {med(0):10.0f} {med(1):8.3f} {med(2):9.1f}  {ratio(0):12.2f}x {ratio(1):5.2f}x {ratio(2):5.2f}x")
PY
