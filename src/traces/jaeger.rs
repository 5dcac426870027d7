//! Jaeger query API: v1 JSON (`/api/traces`, `/api/traces/{id}`: an envelope
//! `{"data":[trace..]}` or one bare trace object as the UI exports it) and v3
//! (`/api/v3/traces..`: OTLP/JSON wrapped in `{"result":..}`, parsed by [`super::otlp`]).
//!
//! v1 times are microseconds; parents come from `references` (CHILD_OF preferred over
//! FOLLOWS_FROM, references into other traces ignored); the service comes from the
//! span's `processID` looked up in `processes`.

use std::collections::HashMap;

use anyhow::{Context, Result};
use serde::Deserialize;

use super::de;
use super::model::{Event, KeyValue, Span, Trace};

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    data: Option<Vec<V1Trace>>,
    #[serde(default)]
    errors: Option<Vec<V1Error>>,
}

#[derive(Deserialize)]
struct V1Error {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    msg: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Trace {
    #[serde(rename = "traceID", default, deserialize_with = "de::string")]
    trace_id: String,
    #[serde(default)]
    spans: Vec<V1Span>,
    #[serde(default)]
    processes: HashMap<String, V1Process>,
    #[serde(default)]
    warnings: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Span {
    #[serde(rename = "traceID", default, deserialize_with = "de::string")]
    trace_id: String,
    #[serde(rename = "spanID", default, deserialize_with = "de::string")]
    span_id: String,
    #[serde(default, deserialize_with = "de::string")]
    operation_name: String,
    #[serde(default)]
    references: Option<Vec<V1Ref>>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    start_time: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    duration: Option<u64>,
    #[serde(default)]
    tags: Option<Vec<V1Tag>>,
    #[serde(default)]
    logs: Option<Vec<V1Log>>,
    #[serde(rename = "processID", default, deserialize_with = "de::string")]
    process_id: String,
    /// Some exports inline the process instead of referring to it.
    #[serde(default)]
    process: Option<V1Process>,
    #[serde(default)]
    warnings: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Ref {
    #[serde(default, deserialize_with = "de::string")]
    ref_type: String,
    #[serde(rename = "traceID", default, deserialize_with = "de::string")]
    trace_id: String,
    #[serde(rename = "spanID", default, deserialize_with = "de::string")]
    span_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Process {
    #[serde(default, deserialize_with = "de::string")]
    service_name: String,
}

#[derive(Deserialize)]
struct V1Tag {
    #[serde(default, deserialize_with = "de::string")]
    key: String,
    #[serde(default)]
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct V1Log {
    #[serde(default, deserialize_with = "de::opt_u64")]
    timestamp: Option<u64>,
    #[serde(default)]
    fields: Option<Vec<V1Tag>>,
}

/// Parses a v1 response: the `{"data":[..]}` envelope or a single trace object.
/// An envelope that only carries `errors` (Jaeger's "trace not found") is an error.
pub fn parse_v1(bytes: &[u8]) -> Result<Vec<Trace>> {
    let value: serde_json::Value = serde_json::from_slice(bytes).context("not valid JSON")?;
    if value.get("spans").is_some() {
        let t: V1Trace = serde_json::from_value(value).context("not a Jaeger trace object")?;
        return Ok(vec![convert(t)]);
    }
    let env: Envelope = serde_json::from_value(value).context("not a Jaeger API v1 response")?;
    match (env.data, env.errors) {
        (Some(data), _) => Ok(data.into_iter().map(convert).collect()),
        (None, Some(errors)) if !errors.is_empty() => {
            let msgs: Vec<String> = errors
                .iter()
                .map(|e| format!("{} ({})", e.msg, e.code.unwrap_or_default()))
                .collect();
            anyhow::bail!("Jaeger answered with errors: {}", msgs.join("; "))
        }
        (None, _) => Ok(Vec::new()),
    }
}

fn convert(t: V1Trace) -> Trace {
    let mut warnings = t.warnings.unwrap_or_default();
    let trace_id = super::model::normalize_id(&t.trace_id);
    let spans = t
        .spans
        .into_iter()
        .map(|s| {
            let service = s
                .process
                .as_ref()
                .map(|p| p.service_name.clone())
                .or_else(|| {
                    t.processes
                        .get(&s.process_id)
                        .map(|p| p.service_name.clone())
                })
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "unknown".to_string());
            let mut span = Span::new(&s.span_id, &service, &s.operation_name);
            span.parent_id = parent(&s, &trace_id);
            span.start_ns = de::us_to_ns(s.start_time.unwrap_or(0));
            span.duration_ns = de::us_to_ns(s.duration.unwrap_or(0));
            span.attributes = tags(s.tags.unwrap_or_default());
            span.error = span
                .attributes
                .iter()
                .any(|kv| kv.key == "error" && truthy(&kv.value))
                || span
                    .attributes
                    .iter()
                    .any(|kv| kv.key == "otel.status_code" && kv.value == "ERROR");
            span.kind = span
                .attributes
                .iter()
                .find(|kv| kv.key == "span.kind")
                .and_then(|kv| kv.value.as_str())
                .map(str::to_ascii_lowercase);
            span.events = s
                .logs
                .unwrap_or_default()
                .into_iter()
                .map(|l| {
                    let attributes = tags(l.fields.unwrap_or_default());
                    let name = attributes
                        .iter()
                        .find(|kv| kv.key == "event" || kv.key == "message")
                        .and_then(|kv| kv.value.as_str())
                        .unwrap_or("log")
                        .to_string();
                    Event {
                        time_ns: de::us_to_ns(l.timestamp.unwrap_or(0)),
                        name,
                        attributes,
                    }
                })
                .collect();
            for w in s.warnings.unwrap_or_default() {
                warnings.push(format!("span {}: {w}", span.span_id));
            }
            span
        })
        .collect();
    Trace::new(&trace_id, spans, warnings)
}

/// The parent is the first CHILD_OF reference within this trace, else the first
/// FOLLOWS_FROM one.
fn parent(s: &V1Span, trace_id: &str) -> Option<String> {
    let refs = s.references.as_deref().unwrap_or_default();
    let own_trace = |r: &&V1Ref| {
        r.trace_id.is_empty() || super::model::normalize_id(&r.trace_id) == trace_id || {
            let sid = super::model::normalize_id(&s.trace_id);
            !sid.is_empty() && super::model::normalize_id(&r.trace_id) == sid
        }
    };
    refs.iter()
        .filter(own_trace)
        .find(|r| r.ref_type.eq_ignore_ascii_case("CHILD_OF"))
        .or_else(|| refs.iter().find(own_trace))
        .map(|r| r.span_id.clone())
}

fn tags(tags: Vec<V1Tag>) -> Vec<KeyValue> {
    tags.into_iter()
        .map(|t| KeyValue {
            key: t.key,
            value: t.value,
        })
        .collect()
}

fn truthy(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_envelope_is_an_error() {
        let body = br#"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}"#;
        let err = parse_v1(body).unwrap_err();
        assert!(
            format!("{err:#}").contains("trace not found (404)"),
            "{err:#}"
        );
    }

    #[test]
    fn reference_into_another_trace_is_not_a_parent() {
        let body = br#"{"traceID":"1","spans":[{"traceID":"1","spanID":"4","operationName":"x",
            "references":[{"refType":"CHILD_OF","traceID":"ff","spanID":"ff"},
                          {"refType":"FOLLOWS_FROM","traceID":"1","spanID":"2"}],
            "startTime":1,"duration":2,"processID":"p1"}],"processes":{}}"#;
        let t = &parse_v1(body).unwrap()[0];
        assert_eq!(t.spans[0].parent_id.as_deref(), Some("0000000000000002"));
        assert_eq!(t.spans[0].service, "unknown");
        assert_eq!(
            (t.spans[0].start_ns, t.spans[0].duration_ns),
            (1_000, 2_000)
        );
    }
}
