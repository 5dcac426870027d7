//! OTLP/JSON `TracesData` (`{"resourceSpans":[..]}`), as the Jaeger v3 API (wrapped in
//! `{"result":..}`), Tempo (`{"batches":[..]}` in v1, `{"trace":{..}}` in v2) and files
//! exported from collectors carry it.
//!
//! Times are nanoseconds (strings or numbers); ids are hex or base64; enums (`kind`,
//! `status.code`) are numbers or their proto names. Spans of several traces may be mixed
//! in one document (v3 search results), so the result is grouped by trace id.

use std::sync::Arc;

use anyhow::{Context, Result};
use serde::Deserialize;

use super::collect::Collector;
use super::de::{self, NumOrStr};
use super::detect::Format;
use super::model::{Event, KeyValue, Span, Trace, Value};

/// A whole document: `TracesData` itself, or wrapped in Jaeger v3's `result` or Tempo
/// v2's `trace`. Field names are read in both JSON spellings protobuf allows: the
/// lowerCamelCase of the OTLP/JSON spec and the proto field names (snake_case).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    #[serde(default, alias = "batches", alias = "resource_spans")]
    resource_spans: Option<Vec<ResourceSpans>>,
    #[serde(default, alias = "trace")]
    result: Option<TracesData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TracesData {
    #[serde(default, alias = "batches", alias = "resource_spans")]
    resource_spans: Option<Vec<ResourceSpans>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans {
    #[serde(default)]
    resource: Option<Resource>,
    #[serde(
        default,
        alias = "scope_spans",
        alias = "instrumentationLibrarySpans",
        alias = "instrumentation_library_spans"
    )]
    scope_spans: Option<Vec<ScopeSpans>>,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(default)]
    attributes: Attributes,
}

#[derive(Deserialize)]
struct ScopeSpans {
    #[serde(default)]
    spans: Option<Spans>,
}

/// A `spans` list, each span turned into the model as soon as it is read, so the wire
/// form of a whole document is never held (the service is filled in from the resource
/// afterwards). Pairs of trace id and span.
struct Spans(Vec<(String, Span)>);

impl<'de> Deserialize<'de> for Spans {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Spans, D::Error> {
        struct Each;
        impl<'de> serde::de::Visitor<'de> for Each {
            type Value = Spans;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of OTLP spans")
            }
            fn visit_unit<E>(self) -> Result<Spans, E> {
                Ok(Spans(Vec::new()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Spans, A::Error> {
                use serde::de::Error as _;
                let mut out = Vec::with_capacity(a.size_hint().unwrap_or(0));
                while let Some(s) = a.next_element::<OtlpSpan>()? {
                    let n = out.len() + 1;
                    if s.trace_id.trim().is_empty() {
                        return Err(A::Error::custom(format!(
                            "span {n} of a list has no \"traceId\""
                        )));
                    }
                    if s.span_id.trim().is_empty() {
                        return Err(A::Error::custom(format!(
                            "span {n} of a list has no \"spanId\""
                        )));
                    }
                    let trace_id = de::otlp_id(&s.trace_id).into_owned();
                    out.push((trace_id, convert(s, "")));
                }
                Ok(Spans(out))
            }
        }
        d.deserialize_any(Each)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpSpan {
    #[serde(default, alias = "trace_id", deserialize_with = "de::string")]
    trace_id: String,
    #[serde(default, alias = "span_id", deserialize_with = "de::string")]
    span_id: String,
    #[serde(default, alias = "parent_span_id", deserialize_with = "de::string")]
    parent_span_id: String,
    #[serde(default, deserialize_with = "de::string")]
    name: String,
    #[serde(default)]
    kind: NumOrStr,
    #[serde(
        default,
        alias = "start_time_unix_nano",
        deserialize_with = "de::opt_u64"
    )]
    start_time_unix_nano: Option<u64>,
    #[serde(
        default,
        alias = "end_time_unix_nano",
        deserialize_with = "de::opt_u64"
    )]
    end_time_unix_nano: Option<u64>,
    #[serde(default)]
    attributes: Attributes,
    #[serde(default)]
    events: Option<Vec<OtlpEvent>>,
    #[serde(default)]
    status: Option<Status>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpEvent {
    #[serde(default, alias = "time_unix_nano", deserialize_with = "de::opt_u64")]
    time_unix_nano: Option<u64>,
    #[serde(default, deserialize_with = "de::string")]
    name: String,
    #[serde(default)]
    attributes: Attributes,
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    code: NumOrStr,
    #[serde(default, deserialize_with = "de::string")]
    message: String,
}

#[derive(Deserialize)]
pub(crate) struct OtlpKv {
    #[serde(default)]
    key: Key,
    #[serde(default, deserialize_with = "value")]
    value: Value,
}

/// An `AnyValue` read straight into a model value: the wire struct (about 160 bytes, one
/// field per kind) stays on this function's stack instead of being moved through every
/// layer that returns it, for each of a large file's millions of attributes.
fn value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    Ok(Option::<AnyValue>::deserialize(d)?.map_or(Value::Null, any_value))
}

/// An attribute key, read straight into its shared copy (see [`super::model::intern`]):
/// no `String` of its own for each of the millions of attributes a large file holds.
/// Null reads as empty, as [`de::string`] does.
struct Key(Arc<str>);

impl Default for Key {
    fn default() -> Key {
        Key(super::model::intern(""))
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(super::model::intern(v)))
            }
            fn visit_none<E>(self) -> Result<Key, E> {
                Ok(Key::default())
            }
            fn visit_unit<E>(self) -> Result<Key, E> {
                Ok(Key::default())
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
                d.deserialize_str(V)
            }
        }
        d.deserialize_option(V)
    }
}

/// OTLP's `AnyValue`: one of its fields is set.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AnyValue {
    #[serde(default, alias = "string_value")]
    string_value: Option<String>,
    #[serde(default, alias = "bool_value")]
    bool_value: Option<bool>,
    #[serde(default, alias = "int_value")]
    int_value: NumOrStr,
    /// A number, or "NaN" / "Infinity" as protobuf JSON writes those.
    #[serde(default, alias = "double_value")]
    double_value: Option<Value>,
    #[serde(default, alias = "bytes_value")]
    bytes_value: Option<String>,
    #[serde(default, alias = "array_value")]
    array_value: Option<ArrayValue>,
    #[serde(default, alias = "kvlist_value")]
    kvlist_value: Option<KvList>,
}

#[derive(Deserialize)]
struct ArrayValue {
    #[serde(default)]
    values: Option<Vec<AnyValue>>,
}

#[derive(Deserialize)]
struct KvList {
    #[serde(default)]
    values: Option<Vec<OtlpKv>>,
}

/// Parses OTLP/JSON in any of the wrappers named in the module doc, for callers that
/// only want the traces.
pub fn parse(bytes: &[u8]) -> Result<Vec<Trace>> {
    let mut c = Collector::default();
    de::slice(bytes, |d| read(Format::Otlp, d, &mut c))?;
    Ok(c.finish().traces)
}

/// Reads one OTLP document of the given shape into `c`, grouped by trace id.
pub(crate) fn read<'de, R: serde_json::de::Read<'de>>(
    format: Format,
    d: &mut serde_json::Deserializer<R>,
    c: &mut Collector,
) -> Result<()> {
    let resources: Vec<ResourceSpans> = match format {
        Format::OtlpDocList => {
            let docs = Vec::<TracesData>::deserialize(&mut *d)
                .context("reading a list of OTLP/JSON documents")?;
            docs.into_iter()
                .flat_map(|d| d.resource_spans.unwrap_or_default())
                .collect()
        }
        Format::OtlpResourceList => Vec::<ResourceSpans>::deserialize(&mut *d)
            .context("reading a list of OTLP/JSON resource spans")?,
        _ => Document::deserialize(&mut *d)
            .context("reading OTLP/JSON trace data")?
            .resources(),
    };
    collect(resources, c);
    Ok(())
}

/// Reads one more document of a JSON Lines file in the pass that read the one before it,
/// when its first key is an OTLP root key: that places it as OTLP whatever follows (see
/// [`super::sniff`]). Anything else is an error, and the caller reads the file the
/// two-pass way, which places each document on its own.
pub(crate) fn read_next<'de, R: serde_json::de::Read<'de>>(
    d: &mut serde_json::Deserializer<R>,
    c: &mut Collector,
) -> Result<()> {
    let doc: Document = super::sniff::object_starting_with(&mut *d, super::detect::OTLP_ROOT)?;
    collect(doc.resources(), c);
    Ok(())
}

impl Document {
    fn resources(self) -> Vec<ResourceSpans> {
        self.resource_spans
            .or_else(|| self.result.and_then(|r| r.resource_spans))
            .unwrap_or_default()
    }
}

fn collect(resources: Vec<ResourceSpans>, c: &mut Collector) {
    for rs in resources {
        let resource = rs.resource.map(|r| r.attributes.0).unwrap_or_default();
        let service = resource
            .iter()
            .find(|kv| &*kv.key == "service.name")
            .and_then(|kv| kv.value.as_str())
            .filter(|s| !s.is_empty())
            .unwrap_or("unknown")
            .to_string();
        for ss in rs.scope_spans.unwrap_or_default() {
            for (trace_id, mut span) in ss.spans.map(|s| s.0).unwrap_or_default() {
                span.service.clone_from(&service);
                c.span(&trace_id, span);
            }
        }
    }
}

fn convert(s: OtlpSpan, service: &str) -> Span {
    let mut span = Span::new(&de::otlp_id(&s.span_id), service, &s.name);
    let parent = de::otlp_id(&s.parent_span_id);
    span.parent_id = (!parent.is_empty()).then(|| parent.into_owned());
    let start = s.start_time_unix_nano.unwrap_or(0);
    span.start_ns = start;
    span.duration_ns = s.end_time_unix_nano.unwrap_or(start).saturating_sub(start);
    span.kind = kind(&s.kind);
    span.attributes = s.attributes.0;
    if let Some(status) = s.status {
        span.error = status.code.as_i64() == Some(2)
            || matches!(&status.code, NumOrStr::Str(c) if c.eq_ignore_ascii_case("STATUS_CODE_ERROR"));
        if !status.message.is_empty() {
            span.attributes
                .push(KeyValue::new("otel.status_description", status.message));
        }
    }
    let events = s.events.unwrap_or_default();
    span.events = Vec::with_capacity(events.len());
    for e in events {
        span.events.push(Event {
            time_ns: e.time_unix_nano.unwrap_or(0),
            name: e.name,
            attributes: e.attributes.0,
        });
    }
    span
}

fn kind(v: &NumOrStr) -> Option<String> {
    let name = match v {
        NumOrStr::Str(s) if s.trim().parse::<i64>().is_err() => {
            let s = s.trim_start_matches("SPAN_KIND_").to_ascii_lowercase();
            return (!s.is_empty() && s != "unspecified").then_some(s);
        }
        other => match other.as_i64()? {
            1 => "internal",
            2 => "server",
            3 => "client",
            4 => "producer",
            5 => "consumer",
            _ => return None,
        },
    };
    Some(name.to_string())
}

pub(crate) fn kvs(list: Vec<OtlpKv>) -> Vec<KeyValue> {
    // Not `into_iter().map().collect()`: that reuses the wire list's allocation, sized
    // for the much larger `OtlpKv`, and a 100,000-span file kept ~4 KB per span of it.
    let mut out = Vec::with_capacity(list.len());
    for kv in list {
        out.push(kv.into());
    }
    out
}

impl From<OtlpKv> for KeyValue {
    fn from(kv: OtlpKv) -> KeyValue {
        KeyValue {
            key: kv.key.0,
            value: kv.value,
        }
    }
}

/// An attribute list (null reads as empty), each attribute turned into the model's as
/// soon as it is read: the wire form of a whole list (`OtlpKv` is several times the size
/// of a `KeyValue`) is never held, nor copied as the list grows.
#[derive(Default)]
struct Attributes(Vec<KeyValue>);

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Attributes, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Attributes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_none<E>(self) -> Result<Attributes, E> {
                Ok(Attributes::default())
            }
            fn visit_unit<E>(self) -> Result<Attributes, E> {
                Ok(Attributes::default())
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Attributes, D::Error> {
                d.deserialize_seq(V)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Attributes, A::Error> {
                let mut out = Vec::new();
                while let Some(kv) = a.next_element::<OtlpKv>()? {
                    out.push(KeyValue::from(kv));
                }
                // Shrinking in place: the spans of a large file keep these lists.
                out.shrink_to_fit();
                Ok(Attributes(out))
            }
        }
        d.deserialize_option(V)
    }
}

/// OTLP's `AnyValue` (`{"stringValue":..}`, `{"intValue":"7"}`, ...) as a plain value.
fn any_value(v: AnyValue) -> Value {
    if let Some(s) = v.string_value {
        return s.into();
    }
    match v.int_value {
        NumOrStr::Num(n) => return Value::Int(n),
        NumOrStr::Str(s) => return s.parse::<i64>().map_or_else(|_| s.into(), Value::Int),
        NumOrStr::Absent => {}
    }
    if let Some(b) = v.bool_value {
        return b.into();
    }
    if let Some(d) = v.double_value {
        return d;
    }
    if let Some(b) = v.bytes_value {
        return b.into();
    }
    if let Some(a) = v.array_value {
        return Value::Json(Box::new(serde_json::Value::Array(
            a.values
                .unwrap_or_default()
                .into_iter()
                .map(|v| json(any_value(v)))
                .collect(),
        )));
    }
    if let Some(kl) = v.kvlist_value {
        return Value::Json(Box::new(serde_json::Value::Object(
            kvs(kl.values.unwrap_or_default())
                .into_iter()
                .map(|kv| (kv.key.to_string(), json(kv.value)))
                .collect(),
        )));
    }
    Value::Null
}

fn json(v: Value) -> serde_json::Value {
    match v {
        Value::Str(s) => s.into_string().into(),
        Value::Int(n) => n.into(),
        Value::Float(f) => f.into(),
        Value::Bool(b) => b.into(),
        Value::Null => serde_json::Value::Null,
        Value::Json(v) => *v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_values_flatten() {
        let v: AnyValue = serde_json::from_str(
            r#"{"arrayValue":{"values":[{"intValue":"3"},{"bool_value":true},{"kvlistValue":{"values":[{"key":"k","value":{"doubleValue":1.5}}]}}]}}"#,
        )
        .unwrap();
        assert_eq!(json(any_value(v)), serde_json::json!([3, true, {"k": 1.5}]));
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

    #[test]
    fn snake_case_field_names_read_like_camel_case() {
        let camel = br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
            "scopeSpans":[{"spans":[{"traceId":"aa","spanId":"1","parentSpanId":"2","startTimeUnixNano":"5","endTimeUnixNano":"9",
            "events":[{"timeUnixNano":"6","name":"e"}]}]}]}]}"#;
        let snake = br#"{"resource_spans":[{"resource":{"attributes":[{"key":"service.name","value":{"string_value":"api"}}]},
            "scope_spans":[{"spans":[{"trace_id":"aa","span_id":"1","parent_span_id":"2","start_time_unix_nano":"5","end_time_unix_nano":"9",
            "events":[{"time_unix_nano":"6","name":"e"}]}]}]}]}"#;
        assert_eq!(parse(camel).unwrap(), parse(snake).unwrap());
        assert_eq!(parse(snake).unwrap()[0].spans[0].duration_ns, 4);
    }

    #[test]
    fn spans_without_ids_are_refused() {
        let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"aa"}]}]}]}"#;
        let err = parse(body).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "reading OTLP/JSON trace data: span 1 of a list has no \"spanId\" at line 1 column 60"
        );
    }
}
