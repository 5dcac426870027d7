//! OTLP/JSON `TracesData` (`{"resourceSpans":[..]}`), as the Jaeger v3 API (wrapped in
//! `{"result":..}`), Tempo (`{"batches":[..]}` in v1, `{"trace":{..}}` in v2) and files
//! exported from collectors carry it.
//!
//! Times are nanoseconds (strings or numbers); ids are hex or base64; enums (`kind`,
//! `status.code`) are numbers or their proto names. Spans of several traces may be mixed
//! in one document (v3 search results), so the result is grouped by trace id.

use anyhow::{Context, Result};
use serde::Deserialize;

use super::de;
use super::model::{Event, KeyValue, Span, Trace};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TracesData {
    #[serde(default, alias = "batches")]
    resource_spans: Option<Vec<ResourceSpans>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans {
    #[serde(default)]
    resource: Option<Resource>,
    #[serde(default, alias = "instrumentationLibrarySpans")]
    scope_spans: Option<Vec<ScopeSpans>>,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(default)]
    attributes: Option<Vec<OtlpKv>>,
}

#[derive(Deserialize)]
struct ScopeSpans {
    #[serde(default)]
    spans: Option<Vec<OtlpSpan>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpSpan {
    #[serde(default, deserialize_with = "de::string")]
    trace_id: String,
    #[serde(default, deserialize_with = "de::string")]
    span_id: String,
    #[serde(default, deserialize_with = "de::string")]
    parent_span_id: String,
    #[serde(default, deserialize_with = "de::string")]
    name: String,
    #[serde(default)]
    kind: serde_json::Value,
    #[serde(default, deserialize_with = "de::opt_u64")]
    start_time_unix_nano: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    end_time_unix_nano: Option<u64>,
    #[serde(default)]
    attributes: Option<Vec<OtlpKv>>,
    #[serde(default)]
    events: Option<Vec<OtlpEvent>>,
    #[serde(default)]
    status: Option<Status>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpEvent {
    #[serde(default, deserialize_with = "de::opt_u64")]
    time_unix_nano: Option<u64>,
    #[serde(default, deserialize_with = "de::string")]
    name: String,
    #[serde(default)]
    attributes: Option<Vec<OtlpKv>>,
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    code: serde_json::Value,
    #[serde(default, deserialize_with = "de::string")]
    message: String,
}

#[derive(Deserialize)]
pub(crate) struct OtlpKv {
    #[serde(default, deserialize_with = "de::string")]
    key: String,
    #[serde(default)]
    value: serde_json::Value,
}

/// Parses OTLP/JSON in any of the wrappers named in the module doc.
pub fn parse(bytes: &[u8]) -> Result<Vec<Trace>> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).context("not valid JSON")?;
    for wrapper in ["result", "trace"] {
        if let Some(inner) = value.get_mut(wrapper).filter(|v| v.is_object()) {
            value = inner.take();
        }
    }
    let data: TracesData = serde_json::from_value(value).context("not OTLP/JSON trace data")?;
    let mut traces: Vec<(String, Vec<Span>)> = Vec::new();
    for rs in data.resource_spans.unwrap_or_default() {
        let resource = kvs(rs.resource.and_then(|r| r.attributes).unwrap_or_default());
        let service = resource
            .iter()
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| kv.value.as_str())
            .filter(|s| !s.is_empty())
            .unwrap_or("unknown")
            .to_string();
        for ss in rs.scope_spans.unwrap_or_default() {
            for s in ss.spans.unwrap_or_default() {
                let trace_id = super::model::normalize_id(&de::otlp_id(&s.trace_id));
                let span = convert(s, &service);
                match traces.iter_mut().find(|(id, _)| *id == trace_id) {
                    Some((_, spans)) => spans.push(span),
                    None => traces.push((trace_id, vec![span])),
                }
            }
        }
    }
    Ok(traces
        .into_iter()
        .map(|(id, spans)| Trace::new(&id, spans, Vec::new()))
        .collect())
}

fn convert(s: OtlpSpan, service: &str) -> Span {
    let mut span = Span::new(&de::otlp_id(&s.span_id), service, &s.name);
    let parent = de::otlp_id(&s.parent_span_id);
    span.parent_id = (!parent.is_empty()).then_some(parent);
    let start = s.start_time_unix_nano.unwrap_or(0);
    span.start_ns = start;
    span.duration_ns = s.end_time_unix_nano.unwrap_or(start).saturating_sub(start);
    span.kind = kind(&s.kind);
    span.attributes = kvs(s.attributes.unwrap_or_default());
    if let Some(status) = s.status {
        span.error = matches!(&status.code, serde_json::Value::Number(n) if n.as_u64() == Some(2))
            || status
                .code
                .as_str()
                .is_some_and(|c| c.eq_ignore_ascii_case("STATUS_CODE_ERROR"));
        if !status.message.is_empty() {
            span.attributes.push(KeyValue {
                key: "otel.status_description".into(),
                value: status.message.into(),
            });
        }
    }
    span.events = s
        .events
        .unwrap_or_default()
        .into_iter()
        .map(|e| Event {
            time_ns: e.time_unix_nano.unwrap_or(0),
            name: e.name,
            attributes: kvs(e.attributes.unwrap_or_default()),
        })
        .collect();
    span
}

fn kind(v: &serde_json::Value) -> Option<String> {
    let name = match v {
        serde_json::Value::Number(n) => match n.as_u64()? {
            1 => "internal",
            2 => "server",
            3 => "client",
            4 => "producer",
            5 => "consumer",
            _ => return None,
        },
        serde_json::Value::String(s) => {
            let s = s.trim_start_matches("SPAN_KIND_").to_ascii_lowercase();
            return (!s.is_empty() && s != "unspecified").then_some(s);
        }
        _ => return None,
    };
    Some(name.to_string())
}

pub(crate) fn kvs(list: Vec<OtlpKv>) -> Vec<KeyValue> {
    list.into_iter()
        .map(|kv| KeyValue {
            key: kv.key,
            value: any_value(kv.value),
        })
        .collect()
}

/// OTLP's `AnyValue` (`{"stringValue":..}`, `{"intValue":"7"}`, ...) as plain JSON.
fn any_value(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let Value::Object(mut map) = v else { return v };
    if let Some(s) = map.remove("stringValue") {
        return s;
    }
    if let Some(i) = map.remove("intValue") {
        return match &i {
            Value::String(s) => s.parse::<i64>().map(Value::from).unwrap_or(i),
            _ => i,
        };
    }
    for k in ["boolValue", "doubleValue", "bytesValue"] {
        if let Some(x) = map.remove(k) {
            return x;
        }
    }
    if let Some(Value::Object(mut arr)) = map.remove("arrayValue") {
        let values = match arr.remove("values") {
            Some(Value::Array(vs)) => vs.into_iter().map(any_value).collect(),
            _ => Vec::new(),
        };
        return Value::Array(values);
    }
    if let Some(Value::Object(mut kl)) = map.remove("kvlistValue") {
        let mut out = serde_json::Map::new();
        if let Some(Value::Array(vs)) = kl.remove("values") {
            for kv in vs {
                if let Ok(kv) = serde_json::from_value::<OtlpKv>(kv) {
                    out.insert(kv.key, any_value(kv.value));
                }
            }
        }
        return Value::Object(out);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_values_flatten() {
        let v = serde_json::json!({"arrayValue":{"values":[{"intValue":"3"},{"boolValue":true}]}});
        assert_eq!(any_value(v), serde_json::json!([3, true]));
    }

    #[test]
    fn spans_of_two_traces_are_grouped() {
        let body = br#"{"result":{"resourceSpans":[{"scopeSpans":[{"spans":[
            {"traceId":"aa","spanId":"1","startTimeUnixNano":"5","endTimeUnixNano":"9","status":{"code":"STATUS_CODE_ERROR"}},
            {"traceId":"bb","spanId":"2"},{"traceId":"aa","spanId":"3","parentSpanId":"1","kind":"SPAN_KIND_CLIENT"}]}]}]}}"#;
        let traces = parse(body).unwrap();
        assert_eq!(traces.len(), 2);
        assert_eq!(traces[0].spans.len(), 2);
        assert!(
            traces[0]
                .spans
                .iter()
                .any(|s| s.error && s.duration_ns == 4)
        );
        assert_eq!(traces[0].spans[0].service, "unknown");
    }
}
