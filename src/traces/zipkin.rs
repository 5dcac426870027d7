//! Zipkin v2 JSON: a list of spans (`/api/v2/trace/{id}`) or a list of such lists
//! (`/api/v2/traces`). Times are microseconds; the service is the local endpoint's
//! `serviceName`; an `error` tag (any value, even empty) marks a failed span; `shared`
//! marks the server half of an RPC that reuses the client's span id.

use anyhow::{Context, Result};
use serde::Deserialize;

use super::collect::Collector;
use super::de;
use super::model::{Event, KeyValue, Span, Trace, Value};

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
    tags: Option<Tags>,
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

/// Parses one trace (a list of spans) or a list of traces (a list of lists), for
/// callers that only want the traces.
pub fn parse(bytes: &[u8]) -> Result<Vec<Trace>> {
    let mut c = Collector::default();
    de::slice(bytes, |d| read(d, nested(bytes), &mut c))?;
    Ok(c.finish().traces)
}

/// A list of lists (`/api/v2/traces`) rather than a list of spans (`/api/v2/trace/{id}`).
pub(crate) fn nested(bytes: &[u8]) -> bool {
    let mut tokens = bytes.iter().filter(|b| !b.is_ascii_whitespace());
    tokens.next() == Some(&b'[') && tokens.next() == Some(&b'[')
}

/// Reads Zipkin v2 spans into `c`, grouped by their `traceId`.
pub(crate) fn read<'de, R: serde_json::de::Read<'de>>(
    d: &mut serde_json::Deserializer<R>,
    nested: bool,
    c: &mut Collector,
) -> Result<()> {
    let lists: Vec<ZSpans> = if nested {
        Vec::<ZSpans>::deserialize(&mut *d).context("reading lists of Zipkin v2 spans")?
    } else {
        vec![ZSpans::deserialize(&mut *d).context("reading Zipkin v2 spans")?]
    };
    for list in lists {
        for (trace_id, span) in list.0 {
            c.span(&trace_id, span);
        }
    }
    Ok(())
}

/// A list of spans, each turned into the model as soon as it is read (the wire form of
/// the whole list is never held). Pairs of trace id and span.
struct ZSpans(Vec<(String, Span)>);

impl<'de> Deserialize<'de> for ZSpans {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ZSpans, D::Error> {
        struct Each;
        impl<'de> serde::de::Visitor<'de> for Each {
            type Value = ZSpans;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of Zipkin spans")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<ZSpans, A::Error> {
                use serde::de::Error as _;
                let mut out = Vec::with_capacity(a.size_hint().unwrap_or(0));
                while let Some(z) = a.next_element::<ZSpan>()? {
                    let n = out.len() + 1;
                    if z.trace_id.trim().is_empty() {
                        return Err(A::Error::custom(format!("span {n} has no \"traceId\"")));
                    }
                    if z.id.trim().is_empty() {
                        return Err(A::Error::custom(format!("span {n} has no \"id\"")));
                    }
                    let trace_id = z.trace_id.clone();
                    out.push((trace_id, convert(z)));
                }
                Ok(ZSpans(out))
            }
        }
        d.deserialize_seq(Each)
    }
}

/// Zipkin's `tags` object read straight into attributes, in the order written (a later
/// duplicate key replaces the earlier one, as a JSON object would).
struct Tags(Vec<KeyValue>);

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Tags, D::Error> {
        struct Each;
        impl<'de> serde::de::Visitor<'de> for Each {
            type Value = Tags;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of tags")
            }
            fn visit_unit<E>(self) -> Result<Tags, E> {
                Ok(Tags(Vec::new()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Tags, A::Error> {
                let mut out: Vec<KeyValue> = Vec::with_capacity(a.size_hint().unwrap_or(0));
                while let Some(key) = a.next_key::<std::borrow::Cow<'de, str>>()? {
                    let value: Value = a.next_value()?;
                    match out.iter_mut().find(|kv| *kv.key == *key) {
                        Some(kv) => kv.value = value,
                        None => out.push(KeyValue::new(&key, value)),
                    }
                }
                Ok(Tags(out))
            }
        }
        d.deserialize_any(Each)
    }
}

fn convert(z: ZSpan) -> Span {
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
    span.attributes = z.tags.map(|t| t.0).unwrap_or_default();
    span.error = span.attributes.iter().any(|kv| {
        &*kv.key == "error"
            || &*kv.key == "otel.status_code"
                && kv
                    .value
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case("ERROR"))
    });
    if let Some(remote) = z.remote_endpoint.filter(|e| !e.service_name.is_empty()) {
        span.attributes
            .push(KeyValue::new("peer.service", remote.service_name));
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
    fn spans_without_ids_are_refused() {
        let err = parse(br#"[{"traceId":"1","id":"2"},{"traceId":"1","name":"x"}]"#).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "reading Zipkin v2 spans: span 2 has no \"id\" at line 1 column 53"
        );
        let err = parse(br#"[[{"id":"2"}]]"#).unwrap_err();
        assert!(
            format!("{err:#}").contains("span 1 has no \"traceId\""),
            "{err:#}"
        );
    }

    #[test]
    fn otel_error_status_marks_an_error() {
        let t = &parse(br#"[{"traceId":"1","id":"2","tags":{"otel.status_code":"ERROR"}}]"#)
            .unwrap()[0];
        assert!(t.spans[0].error);
    }

    #[test]
    fn an_object_is_not_zipkin() {
        assert!(parse(br#"{"a":1}"#).is_err());
    }
}
