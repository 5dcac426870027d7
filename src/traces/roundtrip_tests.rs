//! Property: whatever any parser makes of its input, written out again as OTLP/JSON and
//! read back, gives the same model — ids, parents, services, times, kinds, errors,
//! attributes and events. Inputs are every trace fixture (all formats, placed by
//! [`detect::parse_any`]) and seeded mutations of them, so a failure reproduces.
//!
//! OTLP has no place for what only Zipkin has: the `shared` flag of a server half that
//! reuses its client's span id. Traces with such spans are left out (they are checked
//! against Zipkin's own converter in the zipkin_v1 tests instead); so are ids that are
//! not hex, which OTLP readers take for base64.

use serde_json::{Value as Json, json};

use super::detect;
use super::model::{KeyValue, Span, Trace, Value};

/// The model as OTLP/JSON: one `ResourceSpans` per span, in the model's order (which the
/// reader keeps among spans that start together).
fn to_otlp(traces: &[Trace]) -> Json {
    let mut resources = Vec::new();
    for t in traces {
        for s in &t.spans {
            resources.push(json!({
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": s.service}}]},
                "scopeSpans": [{"spans": [span(&t.trace_id, s)]}],
            }));
        }
    }
    json!({ "resourceSpans": resources })
}

fn span(trace_id: &str, s: &Span) -> Json {
    let mut out = json!({
        "traceId": trace_id,
        "spanId": s.span_id,
        "parentSpanId": s.parent_id.clone().unwrap_or_default(),
        "name": s.operation,
        "startTimeUnixNano": s.start_ns.to_string(),
        "endTimeUnixNano": s.end_ns().to_string(),
        "attributes": attributes(&s.attributes),
        "events": s.events.iter().map(|e| json!({
            "timeUnixNano": e.time_ns.to_string(),
            "name": e.name,
            "attributes": attributes(&e.attributes),
        })).collect::<Vec<_>>(),
    });
    if let Some(kind) = &s.kind {
        out["kind"] = json!(format!("SPAN_KIND_{}", kind.to_ascii_uppercase()));
    }
    if s.error {
        out["status"] = json!({"code": 2});
    }
    out
}

fn attributes(list: &[KeyValue]) -> Json {
    Json::Array(
        list.iter()
            .map(|kv| json!({"key": &*kv.key, "value": any_value(&kv.value)}))
            .collect(),
    )
}

fn any_value(v: &Value) -> Json {
    match v {
        Value::Str(s) => json!({"stringValue": &**s}),
        Value::Int(n) => json!({"intValue": n.to_string()}),
        Value::Float(f) => json!({"doubleValue": f}),
        Value::Bool(b) => json!({"boolValue": b}),
        Value::Null => json!({}),
        Value::Json(j) => json_value(j),
    }
}

fn json_value(j: &Json) -> Json {
    match j {
        Json::Array(items) => {
            json!({"arrayValue": {"values": items.iter().map(json_value).collect::<Vec<_>>()}})
        }
        Json::Object(map) => json!({"kvlistValue": {"values": map.iter()
            .map(|(k, v)| json!({"key": k, "value": json_value(v)})).collect::<Vec<_>>()}}),
        Json::String(s) => json!({"stringValue": s}),
        Json::Bool(b) => json!({"boolValue": b}),
        Json::Null => json!({}),
        Json::Number(n) if n.is_i64() => json!({"intValue": n.to_string()}),
        Json::Number(n) => json!({"doubleValue": n}),
    }
}

fn representable(t: &Trace) -> bool {
    let hex = |id: &str| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit());
    hex(&t.trace_id)
        && t.spans.iter().all(|s| {
            !s.shared
                && hex(&s.span_id)
                && s.parent_id.as_deref().is_none_or(hex)
                && s.start_ns.checked_add(s.duration_ns).is_some()
                && !floats(&s.attributes)
                && s.events.iter().all(|e| !floats(&e.attributes))
        })
}

/// NaN and infinities have no JSON number; they come back as something else.
fn floats(list: &[KeyValue]) -> bool {
    list.iter()
        .any(|kv| matches!(kv.value, Value::Float(f) if !f.is_finite()))
}

/// Checks the property for one input; returns how many traces it covered.
fn check(input: &[u8], what: &str) -> usize {
    let Ok(parsed) = detect::parse_traces(input) else {
        return 0;
    };
    let kept: Vec<Trace> = parsed.into_iter().filter(representable).collect();
    if kept.is_empty() {
        return 0;
    }
    let otlp = serde_json::to_vec(&to_otlp(&kept)).unwrap();
    let again = detect::parse_traces(&otlp)
        .unwrap_or_else(|e| panic!("{what}: the OTLP written back does not parse: {e:#}"));
    assert_eq!(again.len(), kept.len(), "{what}: number of traces");
    for (a, b) in kept.iter().zip(&again) {
        assert_eq!(a.trace_id, b.trace_id, "{what}");
        assert_eq!(a.spans.len(), b.spans.len(), "{what}: trace {}", a.trace_id);
        for (x, y) in a.spans.iter().zip(&b.spans) {
            assert_eq!(x, y, "{what}: trace {} span {}", a.trace_id, x.span_id);
        }
    }
    kept.len()
}

#[test]
fn every_parsers_output_survives_an_otlp_round_trip() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/traces");
    let mut rng = fastrand::Rng::with_seed(0x6f74_6c70);
    let (mut files, mut traces) = (0, 0);
    for sub in ["jaeger", "otlp", "tempo", "zipkin", "handmade"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let what = path.display().to_string();
            traces += check(&bytes, &what);
            files += 1;
            let rounds = if bytes.len() > 50_000 { 5 } else { 40 };
            for i in 0..rounds {
                let input = super::mutation_tests::mutate(&mut rng, &bytes);
                traces += check(&input, &format!("{what}, mutation {i}"));
            }
        }
    }
    assert!(files >= 30, "{files} fixture files");
    // Most fixtures have no shared spans and hex ids; if this drops, the filter above
    // is hiding what the property should cover.
    assert!(traces >= 50, "only {traces} traces went round");
}
