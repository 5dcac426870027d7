#!/usr/bin/env bash
# Large trace files through `msv traces show --file` with the release binary: wall time and
# peak memory (/usr/bin/time -v) for
#   - one OTLP/JSON trace of $SPANS spans (default 100,000, about 240 MB: 26 attributes and
#     an event per span, as instrumented HTTP/DB spans carry),
#   - the same file gzip-compressed,
#   - $TRACES one-span traces in one OTLP file (default 40,000: grouping must be linear),
#   - a 10,000-span trace of the same shape (about 24 MB).
# Figures go into docs/performance.md; nothing here asserts.
#
# Usage: bench/traces-large.sh       (SPANS=20000 TRACES=10000 for a quick run)
# Needs: cargo, python3, gzip, GNU time (/usr/bin/time, Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
SPANS=${SPANS:-100000}
TRACES=${TRACES:-40000}
RUNS=${RUNS:-3}

[ -x /usr/bin/time ] || { echo "bench/traces-large.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
cargo build --release --locked --quiet --bin msv
msv=${CARGO_TARGET_DIR:-target}/release/msv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$SPANS" "$TRACES" "$work" <<'PY'
import json, random, sys
spans_n, traces_n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(11)
t0 = 1_700_000_000_000_000_000

def attrs(i):
    a = [{"key": "http.method", "value": {"stringValue": "GET"}},
         {"key": "http.route", "value": {"stringValue": "/api/v1/customers/{id}/orders/%d" % (i % 97)}},
         {"key": "http.status_code", "value": {"intValue": str(200 + (i % 3))}},
         {"key": "net.peer.name", "value": {"stringValue": "orders-%d.orders.svc.cluster.local" % (i % 7)}},
         {"key": "net.peer.port", "value": {"intValue": "8080"}},
         {"key": "db.statement", "value": {"stringValue": "SELECT id, customer_id, total, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 50"}},
         {"key": "thread.name", "value": {"stringValue": "tokio-runtime-worker-%d" % (i % 8)}},
         {"key": "retry", "value": {"boolValue": False}},
         {"key": "ratio", "value": {"doubleValue": 0.25}},
         {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"stringValue": "b"}]}}}]
    a += [{"key": "app.attribute.%02d" % k, "value": {"stringValue": "value-%08x" % rng.getrandbits(32)}} for k in range(16)]
    return a

def span(trace, i, parent, start):
    return {"traceId": trace, "spanId": "%016x" % (i + 1), "parentSpanId": parent or "",
            "name": "GET /api/v1/resource/%d/items" % (i % 97), "kind": 2 if i % 2 else 3,
            "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + rng.randrange(10_000, 500_000_000)),
            "attributes": attrs(i),
            "events": [{"timeUnixNano": str(start + 1000), "name": "request sent", "attributes": [{"key": "size", "value": {"intValue": "512"}}]}],
            "status": {"code": 2, "message": "boom"} if i % 50 == 49 else {}}

def document(spans):
    by_service = {}
    for k, s in spans:
        by_service.setdefault(k, []).append(s)
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "service-%02d" % k}}]},
             "scopeSpans": [{"scope": {"name": "bench", "version": "1.0"}, "spans": v}]} for k, v in by_service.items()]}

def one_trace(n):
    trace = "%032x" % rng.getrandbits(128)
    spans, starts = [], []
    for i in range(n):
        p = None if i == 0 else (i - 1 if i < 500 else rng.randrange(0, i))
        start = t0 if p is None else starts[p] + rng.randrange(0, 2_000_000)
        starts.append(start)
        spans.append((i % 12, span(trace, i, None if p is None else "%016x" % (p + 1), start)))
    return document(spans)

with open(out + "/big.json", "w") as f:
    json.dump(one_trace(spans_n), f)
with open(out + "/10k.json", "w") as f:
    json.dump(one_trace(10_000), f)
many = [(i % 12, span("%032x" % (i + 1), i, None, t0 + i * 1_000_000)) for i in range(traces_n)]
with open(out + "/many.json", "w") as f:
    json.dump(document(many), f)
PY
gzip -k -1 "$work/big.json"

printf '%-22s %-6s %10s %10s %12s\n' file output size wall peak_rss
for name in 10k.json big.json big.json.gz many.json; do
    file="$work/$name"
    size=$(du -h --apparent-size "$file" | cut -f1)
    for output in json tree; do
        for run in $(seq "$RUNS"); do
            COLUMNS=120 /usr/bin/time -v "$msv" traces show -o "$output" --file "$file" >/dev/null 2>"$work/time" || {
                cat "$work/time" >&2; exit 1; }
            wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time")
            rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
            printf '%-22s %-6s %10s %10s %9s KiB\n' "$name" "$output" "$size" "$wall" "$rss"
        done
    done
done
echo "($SPANS spans in big.json, $TRACES traces in many.json, $RUNS runs each, $(nproc) cores, $(uname -m))"
