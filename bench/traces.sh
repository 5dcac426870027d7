#!/usr/bin/env bash
# Parse and render one generated trace of $SPANS spans (default 10,000) with the release
# binary, in each wire format msv reads, and report wall time and peak memory
# (/usr/bin/time -v). Figures go into docs/performance.md; nothing here asserts.
#
# Usage: bench/traces.sh            (SPANS=50000 bench/traces.sh for a bigger one)
# Needs: cargo, python3, GNU time (/usr/bin/time, Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
SPANS=${SPANS:-10000}
RUNS=${RUNS:-3}

[ -x /usr/bin/time ] || { echo "bench/traces.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
cargo build --release --quiet --bin msv
msv=target/release/msv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One trace, three encodings: 12 services, a random tree (every span's parent is an
# earlier span; one in 50 is an error) plus a 500-deep chain, ids hex, times realistic.
python3 - "$SPANS" "$work" <<'PY'
import json, random, sys
n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(7)
t0 = 1_700_000_000_000_000  # µs
trace = "%032x" % rng.getrandbits(128)
spans = []
for i in range(n):
    if i == 0:
        parent = None
    elif i < 500:
        parent = i - 1                       # a deep chain
    else:
        parent = rng.randrange(0, i)
    start = t0 if parent is None else spans[parent]["start"] + rng.randrange(0, 2000)
    spans.append(dict(id="%016x" % (i + 1), parent=None if parent is None else "%016x" % (parent + 1),
                      service="service-%02d" % (i % 12), op="GET /api/v1/resource/%d/items" % (i % 97),
                      start=start, dur=rng.randrange(10, 500_000), error=(i % 50 == 49)))
jaeger = {"data": [{"traceID": trace, "processes": {"p%d" % k: {"serviceName": "service-%02d" % k, "tags": []} for k in range(12)},
          "spans": [{"traceID": trace, "spanID": s["id"], "operationName": s["op"],
                     "references": [] if s["parent"] is None else [{"refType": "CHILD_OF", "traceID": trace, "spanID": s["parent"]}],
                     "startTime": s["start"], "duration": s["dur"], "processID": "p%d" % int(s["service"][-2:]),
                     "tags": [{"key": "http.method", "type": "string", "value": "GET"}] + ([{"key": "error", "type": "bool", "value": True}] if s["error"] else []),
                     "logs": []} for s in spans]}]}
zipkin = [dict(traceId=trace, id=s["id"], name=s["op"], timestamp=s["start"], duration=s["dur"], kind="SERVER",
               localEndpoint={"serviceName": s["service"]}, tags=({"error": "boom"} if s["error"] else {"http.method": "GET"}),
               **({} if s["parent"] is None else {"parentId": s["parent"]})) for s in spans]
by_service = {}
for s in spans:
    by_service.setdefault(s["service"], []).append({"traceId": trace, "spanId": s["id"], "parentSpanId": s["parent"] or "",
        "name": s["op"], "kind": 2, "startTimeUnixNano": str(s["start"] * 1000), "endTimeUnixNano": str((s["start"] + s["dur"]) * 1000),
        "attributes": [{"key": "http.method", "value": {"stringValue": "GET"}}], "status": {"code": 2} if s["error"] else {}})
otlp = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": k}}]},
        "scopeSpans": [{"scope": {"name": "bench"}, "spans": v}]} for k, v in by_service.items()]}
for name, doc in (("jaeger", jaeger), ("zipkin", zipkin), ("otlp", otlp)):
    with open("%s/%s.json" % (out, name), "w") as f:
        json.dump(doc, f)
PY

printf '%-8s %-6s %10s %10s %12s\n' format output size wall peak_rss
for fmt in jaeger zipkin otlp; do
    file="$work/$fmt.json"
    size=$(du -h "$file" | cut -f1)
    for output in tree json; do
        for run in $(seq "$RUNS"); do
            COLUMNS=120 /usr/bin/time -v "$msv" traces show -o "$output" --file "$file" >/dev/null 2>"$work/time" || {
                cat "$work/time" >&2; exit 1; }
            wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time")
            rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
            printf '%-8s %-6s %10s %10s %9s KiB\n' "$fmt" "$output" "$size" "$wall" "$rss"
        done
    done
done
echo "($SPANS spans, $RUNS runs each, $(nproc) cores, $(uname -m))"
