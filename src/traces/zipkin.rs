//! Zipkin v2 JSON: a list of spans (`/api/v2/trace/{id}`) or a list of such lists
//! (`/api/v2/traces`). Times are microseconds; the service is the local endpoint's
//! `serviceName`; an `error` tag (any value, even empty) marks a failed span; `shared`
//! marks the server half of an RPC that reuses the client's span id.

use anyhow::{Context, Result};
use serde::Deserialize;

use super::de;
use super::model::{Event, KeyValue, Span, Trace};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ZSpan {
    #[serde(default, deserialize_with = "de::string")]
    trace_id: String,
    #[serde(default, deserialize_with = "de::string")]
    id: String,
    #[serde(default, deserialize_with = "de::string")]
    parent_id: String,
    #[serde(default, deserialize_with = "de::string")]
    name: String,
    #[serde(default, deserialize_with = "de::string")]
    kind: String,
    #[serde(default, deserialize_with = "de::opt_u64")]
    timestamp: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    duration: Option<u64>,
    #[serde(default)]
    local_endpoint: Option<Endpoint>,
    #[serde(default)]
    remote_endpoint: Option<Endpoint>,
    #[serde(default)]
    annotations: Option<Vec<Annotation>>,
    #[serde(default)]
    tags: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    shared: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Endpoint {
    #[serde(default, deserialize_with = "de::string")]
    service_name: String,
}

#[derive(Deserialize)]
struct Annotation {
    #[serde(default, deserialize_with = "de::opt_u64")]
    timestamp: Option<u64>,
    #[serde(default, deserialize_with = "de::string")]
    value: String,
}

/// Parses one trace (a list of spans) or a list of traces (a list of lists).
pub fn parse(bytes: &[u8]) -> Result<Vec<Trace>> {
    let value: serde_json::Value = serde_json::from_slice(bytes).context("not valid JSON")?;
    let serde_json::Value::Array(items) = value else {
        anyhow::bail!("not a Zipkin v2 response: expected a JSON list of spans");
    };
    if items.first().is_some_and(serde_json::Value::is_array) {
        items
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                let spans: Vec<ZSpan> = serde_json::from_value(t).with_context(|| {
                    format!("trace {} in the list is not a list of Zipkin spans", i + 1)
                })?;
                Ok(convert(spans))
            })
            .filter(|t| !matches!(t, Ok(t) if t.spans.is_empty()))
            .collect()
    } else {
        let spans: Vec<ZSpan> = serde_json::from_value(serde_json::Value::Array(items))
            .context("not a list of Zipkin v2 spans")?;
        Ok(if spans.is_empty() {
            Vec::new()
        } else {
            vec![convert(spans)]
        })
    }
}

fn convert(spans: Vec<ZSpan>) -> Trace {
    let trace_id = spans
        .iter()
        .map(|s| s.trace_id.as_str())
        .find(|t| !t.is_empty())
        .unwrap_or_default()
        .to_string();
    let spans = spans
        .into_iter()
        .map(|z| {
            let service = z
                .local_endpoint
                .as_ref()
                .map(|e| e.service_name.as_str())
                .filter(|n| !n.is_empty())
                .unwrap_or("unknown");
            let mut span = Span::new(&z.id, service, &z.name);
            span.parent_id = (!z.parent_id.is_empty()).then_some(z.parent_id);
            span.start_ns = de::us_to_ns(z.timestamp.unwrap_or(0));
            span.duration_ns = de::us_to_ns(z.duration.unwrap_or(0));
            span.kind = (!z.kind.is_empty()).then(|| z.kind.to_ascii_lowercase());
            span.shared = z.shared.unwrap_or(false);
            let tags = z.tags.unwrap_or_default();
            span.error = tags.contains_key("error");
            span.attributes = tags
                .into_iter()
                .map(|(key, value)| KeyValue { key, value })
                .collect();
            if let Some(remote) = z.remote_endpoint.filter(|e| !e.service_name.is_empty()) {
                span.attributes.push(KeyValue {
                    key: "peer.service".into(),
                    value: remote.service_name.into(),
                });
            }
            span.events = z
                .annotations
                .unwrap_or_default()
                .into_iter()
                .map(|a| Event {
                    time_ns: de::us_to_ns(a.timestamp.unwrap_or(0)),
                    name: a.value,
                    attributes: Vec::new(),
                })
                .collect();
            span
        })
        .collect();
    Trace::new(&trace_id, spans, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_error_tag_still_marks_an_error() {
        let t = &parse(br#"[{"traceId":"1","id":"2","tags":{"error":""}}]"#).unwrap()[0];
        assert!(t.spans[0].error);
    }

    #[test]
    fn list_of_traces() {
        let ts = parse(br#"[[{"traceId":"1","id":"2"}],[{"traceId":"3","id":"4"}],[]]"#).unwrap();
        assert_eq!(ts.len(), 2);
        assert_eq!(ts[1].trace_id, "0000000000000003");
    }

    #[test]
    fn an_object_is_not_zipkin() {
        assert!(parse(br#"{"a":1}"#).is_err());
    }
}
