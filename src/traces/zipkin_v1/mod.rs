//! Zipkin v1 JSON: spans whose timing lives in annotations (`cs`, `sr`, `ss`, `cr`, `ms`,
//! `mr`, `ws`, `wr`, each with the endpoint that recorded it) and whose tags and
//! addresses are `binaryAnnotations`. Still what many instrumentations send and what the
//! OpenTelemetry Collector's zipkin receiver accepts.
//!
//! Converted the way Zipkin itself converts v1 to v2 (`zipkin2.v1.V1SpanConverter`), so
//! msv draws what Zipkin's UI draws: the halves of one RPC reported separately are first
//! merged by span id (as Zipkin's v1 storage did), then split by endpoint into a client
//! span and a `shared` server span; services come from the endpoints; timestamps and
//! durations from the core annotations unless the span carries both explicitly.
//!
//! This file reads the wire form, merges halves and builds the model; [`convert`] is the
//! conversion of one merged span.

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::collect::Collector;
use super::de;
use super::model::{Event, KeyValue, Span, normalize_id};

mod convert;

use convert::{Builder, convert};

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct V1Span {
    #[serde(default, deserialize_with = "de::string")]
    trace_id: String,
    #[serde(default, deserialize_with = "de::string")]
    trace_id_high: String,
    #[serde(default, deserialize_with = "de::string")]
    id: String,
    #[serde(default, deserialize_with = "de::string")]
    parent_id: String,
    #[serde(default, deserialize_with = "de::string")]
    name: String,
    #[serde(default, deserialize_with = "de::opt_u64")]
    timestamp: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    duration: Option<u64>,
    #[serde(default)]
    annotations: Option<Vec<V1Annotation>>,
    #[serde(default)]
    binary_annotations: Option<Vec<V1Binary>>,
}

#[derive(Deserialize, Clone)]
struct V1Annotation {
    #[serde(default, deserialize_with = "de::opt_u64")]
    timestamp: Option<u64>,
    #[serde(default, deserialize_with = "de::string")]
    value: String,
    #[serde(default)]
    endpoint: Option<V1Endpoint>,
}

#[derive(Deserialize, Clone)]
struct V1Binary {
    #[serde(default, deserialize_with = "de::string")]
    key: String,
    #[serde(default)]
    value: serde_json::Value,
    #[serde(default)]
    endpoint: Option<V1Endpoint>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct V1Endpoint {
    #[serde(default, deserialize_with = "de::string")]
    service_name: String,
    #[serde(default, deserialize_with = "de::string")]
    ipv4: String,
    #[serde(default, deserialize_with = "de::string")]
    ipv6: String,
    #[serde(default, deserialize_with = "de::opt_u64")]
    port: Option<u64>,
}

/// Parses Zipkin v1 spans (a list, or a list of lists), for callers that only want the
/// traces.
pub fn parse(bytes: &[u8]) -> Result<Vec<super::Trace>> {
    let mut c = Collector::default();
    let nested = super::zipkin::nested(bytes);
    de::slice(bytes, |d| read(d, nested, &mut c))?;
    Ok(c.finish().traces)
}

/// Reads Zipkin v1 spans (a list, or a list of lists) into `c`.
pub(crate) fn read<'de, R: serde_json::de::Read<'de>>(
    d: &mut serde_json::Deserializer<R>,
    nested: bool,
    c: &mut Collector,
) -> Result<()> {
    let spans: Vec<V1Span> = if nested {
        let lists = Vec::<Vec<V1Span>>::deserialize(&mut *d)
            .context("not a list of lists of Zipkin v1 spans")?;
        lists.into_iter().flatten().collect()
    } else {
        Vec::<V1Span>::deserialize(&mut *d).context("not a list of Zipkin v1 spans")?
    };
    for (i, s) in spans.iter().enumerate() {
        if s.trace_id.trim().is_empty() {
            bail!("span {} has no \"traceId\"", i + 1);
        }
        if s.id.trim().is_empty() {
            bail!("span {} has no \"id\"", i + 1);
        }
    }
    for s in merge_by_id(spans) {
        let trace_id = format!("{}{}", s.trace_id_high.trim(), s.trace_id.trim());
        for b in convert(&s) {
            c.span(&trace_id, to_model(&s, b));
        }
    }
    Ok(())
}

/// Client and server each report their half of an RPC under the same id; Zipkin's v1
/// storage merged them before conversion. Annotations are concatenated; the first
/// non-empty name (other than "unknown") and parent win; an explicit timestamp and
/// duration are taken from the half that has both, preferring the client's.
fn merge_by_id(spans: Vec<V1Span>) -> Vec<V1Span> {
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut out: Vec<V1Span> = Vec::new();
    for s in spans {
        let key = (normalize_id(&s.trace_id), normalize_id(&s.id));
        let Some(&i) = index.get(&key) else {
            index.insert(key, out.len());
            out.push(s);
            continue;
        };
        let m = &mut out[i];
        if m.name.is_empty() || m.name == "unknown" {
            m.name = s.name.clone();
        }
        if m.parent_id.trim().is_empty() {
            m.parent_id = s.parent_id.clone();
        }
        let explicit = |x: &V1Span| x.timestamp.unwrap_or(0) != 0 && x.duration.unwrap_or(0) != 0;
        let is_client = |x: &V1Span| {
            x.annotations
                .iter()
                .flatten()
                .any(|a| a.value == "cs" || a.value == "cr")
        };
        if explicit(&s) && (!explicit(m) || is_client(&s) && !is_client(m)) {
            m.timestamp = s.timestamp;
            m.duration = s.duration;
        } else if m.timestamp.unwrap_or(0) == 0 {
            m.timestamp = s.timestamp;
        }
        m.annotations
            .get_or_insert_with(Vec::new)
            .extend(s.annotations.unwrap_or_default());
        m.binary_annotations
            .get_or_insert_with(Vec::new)
            .extend(s.binary_annotations.unwrap_or_default());
    }
    out
}

fn to_model(source: &V1Span, b: Builder) -> Span {
    let service = b
        .local
        .as_ref()
        .and_then(|e| e.service.as_deref())
        .unwrap_or("unknown");
    let mut span = Span::new(&source.id, service, &source.name);
    span.parent_id = (!source.parent_id.trim().is_empty()).then(|| source.parent_id.clone());
    span.start_ns = de::us_to_ns(b.timestamp.unwrap_or(0));
    span.duration_ns = de::us_to_ns(b.duration.unwrap_or(0));
    span.kind = b.kind.map(str::to_string);
    span.shared = b.shared;
    span.error =
        b.tags.iter().any(|(k, _)| k == "error") || b.annotations.iter().any(|(_, v)| v == "error");
    span.attributes = b
        .tags
        .into_iter()
        .map(|(key, value)| KeyValue::new(&key, value))
        .collect();
    if let Some(remote) = b.remote.and_then(|e| e.service) {
        span.attributes.push(KeyValue::new("peer.service", remote));
    }
    span.events = b
        .annotations
        .into_iter()
        .map(|(time, name)| Event {
            time_ns: de::us_to_ns(time),
            name,
            attributes: Vec::new(),
        })
        .collect();
    span
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traces::Trace;

    fn parse(body: &str) -> Vec<Trace> {
        let mut c = Collector::default();
        de::slice(body.as_bytes(), |d| read(d, false, &mut c)).unwrap();
        c.finish().traces
    }

    fn ep(service: &str) -> String {
        format!(r#"{{"serviceName":"{service}","ipv4":"10.0.0.1","port":8080}}"#)
    }

    #[test]
    fn a_shared_rpc_becomes_a_client_span_and_a_shared_server_span() {
        let (fe, be) = (ep("Frontend"), ep("backend"));
        let body = format!(
            r#"[{{"traceId":"a","id":"b","parentId":"a","name":"get","timestamp":100,"duration":50,
              "annotations":[{{"timestamp":100,"value":"cs","endpoint":{fe}}},{{"timestamp":110,"value":"sr","endpoint":{be}}},
                             {{"timestamp":140,"value":"ss","endpoint":{be}}},{{"timestamp":150,"value":"cr","endpoint":{fe}}}],
              "binaryAnnotations":[{{"key":"http.path","value":"/api","endpoint":{be}}},{{"key":"sa","value":true,"endpoint":{be}}}]}}]"#
        );
        let t = &parse(&body)[0];
        assert_eq!(t.spans.len(), 2);
        let client = &t.spans[0];
        let server = &t.spans[1];
        assert_eq!(
            (
                client.service.as_str(),
                client.kind.as_deref(),
                client.shared
            ),
            ("frontend", Some("client"), false)
        );
        assert_eq!((client.start_ns, client.duration_ns), (100_000, 50_000));
        assert_eq!(
            (
                server.service.as_str(),
                server.kind.as_deref(),
                server.shared
            ),
            ("backend", Some("server"), true)
        );
        assert_eq!((server.start_ns, server.duration_ns), (110_000, 30_000));
        assert_eq!(
            server.parent_index,
            Some(0),
            "the server half hangs under the client half"
        );
        assert!(server.attributes.iter().any(|kv| &*kv.key == "http.path"));
        assert!(
            client
                .attributes
                .iter()
                .any(|kv| &*kv.key == "peer.service" && kv.value == "backend")
        );
    }

    #[test]
    fn halves_reported_separately_are_merged_first() {
        let (fe, be) = (ep("frontend"), ep("backend"));
        let body = format!(
            r#"[{{"traceId":"a","id":"b","name":"get","annotations":[{{"timestamp":110,"value":"sr","endpoint":{be}}},{{"timestamp":140,"value":"ss","endpoint":{be}}}]}},
               {{"traceId":"a","id":"b","name":"get","timestamp":100,"duration":50,"annotations":[{{"timestamp":100,"value":"cs","endpoint":{fe}}},{{"timestamp":150,"value":"cr","endpoint":{fe}}}]}}]"#
        );
        let t = &parse(&body)[0];
        let got: Vec<(&str, u64, u64, bool)> = t
            .spans
            .iter()
            .map(|s| (s.service.as_str(), s.start_ns, s.duration_ns, s.shared))
            .collect();
        assert_eq!(
            got,
            [
                ("frontend", 100_000, 50_000, false),
                ("backend", 110_000, 30_000, true)
            ]
        );
    }

    #[test]
    fn loopback_rpc_still_gives_two_spans() {
        let e = ep("svc");
        let body = format!(
            r#"[{{"traceId":"a","id":"b","annotations":[{{"timestamp":1,"value":"cs","endpoint":{e}}},{{"timestamp":2,"value":"sr","endpoint":{e}}},
              {{"timestamp":3,"value":"ss","endpoint":{e}}},{{"timestamp":4,"value":"cr","endpoint":{e}}}]}}]"#
        );
        let t = &parse(&body)[0];
        let kinds: Vec<(Option<&str>, u64)> = t
            .spans
            .iter()
            .map(|s| (s.kind.as_deref(), s.duration_ns))
            .collect();
        assert_eq!(kinds, [(Some("client"), 3_000), (Some("server"), 1_000)]);
    }

    #[test]
    fn a_server_only_span_without_timestamp_is_shared() {
        let e = ep("backend");
        let body = format!(
            r#"[{{"traceId":"a","id":"b","annotations":[{{"timestamp":10,"value":"sr","endpoint":{e}}},{{"timestamp":30,"value":"ss","endpoint":{e}}}],
              "binaryAnnotations":[{{"key":"ca","value":true,"endpoint":{{"serviceName":"frontend","ipv4":"10.0.0.2"}}}},{{"key":"error","value":"500"}}]}}]"#
        );
        let s = &parse(&body)[0].spans[0];
        assert!(s.shared && s.error);
        assert_eq!((s.start_ns, s.duration_ns), (10_000, 20_000));
        assert!(
            s.attributes
                .iter()
                .any(|kv| &*kv.key == "peer.service" && kv.value == "frontend")
        );
    }

    #[test]
    fn a_local_span_keeps_its_timestamp_and_component() {
        let body = r#"[{"traceId":"a","id":"c","parentId":"b","name":"cache","timestamp":5,"duration":7,
            "binaryAnnotations":[{"key":"lc","value":"redis","endpoint":{"serviceName":"worker"}}]}]"#;
        let s = &parse(body)[0].spans[0];
        assert_eq!(
            (
                s.service.as_str(),
                s.start_ns,
                s.duration_ns,
                s.kind.as_deref()
            ),
            ("worker", 5_000, 7_000, None)
        );
        assert_eq!(s.attributes[0].value, "redis");
    }

    #[test]
    fn spans_without_ids_are_refused() {
        let mut c = Collector::default();
        let err = de::slice(br#"[{"traceId":"a","name":"x","annotations":[]}]"#, |d| {
            read(d, false, &mut c)
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "span 1 has no \"id\"");
    }
}
