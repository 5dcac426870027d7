//! Jaeger query API: v1 JSON (`/api/traces`, `/api/traces/{id}`: an envelope
//! `{"data":[trace..]}` or one bare trace object as the UI exports it) and v3
//! (`/api/v3/traces..`: OTLP/JSON wrapped in `{"result":..}`, parsed by [`super::otlp`]).
//!
//! v1 times are microseconds; parents come from `references` (CHILD_OF preferred over
//! FOLLOWS_FROM, references into other traces ignored); the service comes from the
//! span's `processID` looked up in `processes`.

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::collect::{BackendError, Collector};
use super::de;
use super::detect::Format;
use super::model::{Event, KeyValue, Span, Trace, Value};

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    data: Option<Vec<V1Trace>>,
    #[serde(default)]
    errors: Option<Vec<V1Error>>,
}

#[derive(Deserialize)]
struct DataTrace {
    data: V1Trace,
    #[serde(default)]
    errors: Option<Vec<V1Error>>,
}

#[derive(Deserialize)]
struct V1Error {
    #[serde(default)]
    code: de::NumOrStr,
    #[serde(default, deserialize_with = "de::string")]
    msg: String,
    #[serde(rename = "traceID", default, deserialize_with = "de::string")]
    trace_id: String,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Trace {
    #[serde(rename = "traceID", default, deserialize_with = "de::string")]
    trace_id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    spans: Vec<V1Span>,
    #[serde(default, deserialize_with = "null_as_empty")]
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
    value: Value,
}

#[derive(Deserialize)]
struct V1Log {
    #[serde(default, deserialize_with = "de::opt_u64")]
    timestamp: Option<u64>,
    #[serde(default)]
    fields: Option<Vec<V1Tag>>,
}

/// Parses a v1 response (the `{"data":[..]}` envelope) for callers that only want the
/// traces; see [`super::detect::parse_any`] for the rest.
pub fn parse_v1(bytes: &[u8]) -> Result<Vec<Trace>> {
    let mut c = Collector::default();
    de::slice(bytes, |d| read(Format::JaegerEnvelope, d, &mut c))?;
    Ok(c.finish().traces)
}

/// Reads one Jaeger document of the given shape into `c`; `errors` go beside the data.
pub(crate) fn read<'de, R: serde_json::de::Read<'de>>(
    format: Format,
    d: &mut serde_json::Deserializer<R>,
    c: &mut Collector,
) -> Result<()> {
    let (traces, errors) = match format {
        Format::JaegerEnvelope => {
            let env = Envelope::deserialize(&mut *d).context("not a Jaeger API v1 response")?;
            (env.data.unwrap_or_default(), env.errors)
        }
        Format::JaegerDataTrace => {
            let env = DataTrace::deserialize(&mut *d)
                .context("not a Jaeger {\"data\": trace} document")?;
            (vec![env.data], env.errors)
        }
        Format::JaegerTrace => (
            vec![V1Trace::deserialize(&mut *d).context("not a Jaeger trace object")?],
            None,
        ),
        Format::JaegerTraceList => (
            Vec::<V1Trace>::deserialize(&mut *d).context("not a list of Jaeger traces")?,
            None,
        ),
        Format::JaegerSpanList => {
            let spans =
                Vec::<V1Span>::deserialize(&mut *d).context("not a list of Jaeger spans")?;
            let processes = HashMap::new();
            let mut without_process = std::collections::HashSet::new();
            for (i, s) in spans.into_iter().enumerate() {
                if s.trace_id.trim().is_empty() {
                    bail!("span {} of the list has no \"traceID\"", i + 1);
                }
                let trace_id = s.trace_id.clone();
                if s.process.is_none() && without_process.insert(trace_id.clone()) {
                    c.warn(
                        &trace_id,
                        "spans listed without their trace's \"processes\": services are unknown; \
                         give the whole trace object or API answer to see them"
                            .to_string(),
                    );
                }
                let span = convert_span(s, &trace_id, &processes, i, c)?;
                c.span(&trace_id, span);
            }
            (Vec::new(), None)
        }
        other => unreachable!("{other:?} is not a Jaeger format"),
    };
    for (n, t) in traces.into_iter().enumerate() {
        convert(t, n, c)?;
    }
    c.errors.extend(
        errors
            .unwrap_or_default()
            .into_iter()
            .map(|e| BackendError {
                code: e.code.as_i64(),
                message: if e.msg.is_empty() {
                    "an error without a message".to_string()
                } else {
                    e.msg
                },
                trace_id: (!e.trace_id.trim().is_empty())
                    .then(|| super::model::normalize_id(&e.trace_id)),
            }),
    );
    Ok(())
}

fn convert(t: V1Trace, n: usize, c: &mut Collector) -> Result<()> {
    let trace_id = match (t.trace_id.trim(), t.spans.first()) {
        ("", Some(s)) if !s.trace_id.trim().is_empty() => s.trace_id.clone(),
        ("", Some(_)) => bail!("trace {} has no \"traceID\", nor has its first span", n + 1),
        ("", None) => return Ok(()),
        (id, _) => id.to_string(),
    };
    c.trace(&trace_id);
    for w in t.warnings.unwrap_or_default() {
        c.warn(&trace_id, w);
    }
    for (i, s) in t.spans.into_iter().enumerate() {
        let span = convert_span(s, &trace_id, &t.processes, i, c)?;
        c.span(&trace_id, span);
    }
    Ok(())
}

fn convert_span(
    s: V1Span,
    trace_id: &str,
    processes: &HashMap<String, V1Process>,
    i: usize,
    c: &mut Collector,
) -> Result<Span> {
    if s.span_id.trim().is_empty() {
        bail!("span {} of trace {trace_id} has no \"spanID\"", i + 1);
    }
    let service = s
        .process
        .as_ref()
        .or_else(|| processes.get(&s.process_id))
        .map(|p| p.service_name.as_str())
        .filter(|n| !n.is_empty())
        .unwrap_or("unknown");
    let mut span = Span::new(&s.span_id, service, &s.operation_name);
    span.parent_id = parent(&s, &super::model::normalize_id(trace_id));
    span.start_ns = de::us_to_ns(s.start_time.unwrap_or(0));
    span.duration_ns = de::us_to_ns(s.duration.unwrap_or(0));
    span.attributes = tags(s.tags.unwrap_or_default());
    span.error = span
        .attributes
        .iter()
        .any(|kv| &*kv.key == "error" && truthy(&kv.value))
        || span
            .attributes
            .iter()
            .any(|kv| &*kv.key == "otel.status_code" && kv.value == "ERROR");
    span.kind = span
        .attributes
        .iter()
        .find(|kv| &*kv.key == "span.kind")
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
                .find(|kv| &*kv.key == "event" || &*kv.key == "message")
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
        c.warn(trace_id, format!("span {}: {w}", span.span_id));
    }
    Ok(span)
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

/// `"spans": null` (Jaeger writes it for a trace it found nothing of) reads as empty.
fn null_as_empty<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn tags(tags: Vec<V1Tag>) -> Vec<KeyValue> {
    tags.into_iter()
        .map(|t| KeyValue {
            key: super::model::intern(&t.key),
            value: t.value,
        })
        .collect()
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Str(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(format: Format, body: &[u8]) -> Result<super::super::collect::Parsed> {
        let mut c = Collector::default();
        de::slice(body, |d| read(format, d, &mut c))?;
        Ok(c.finish())
    }

    #[test]
    fn errors_are_kept_beside_partial_data() {
        let body = br#"{"data":[{"traceID":"1","spans":[{"traceID":"1","spanID":"2","startTime":1,"duration":2,"processID":"p1"}],"processes":{"p1":{"serviceName":"api"}}}],
            "errors":[{"code":500,"msg":"storage timeout","traceID":"3"},{"msg":"no code"}]}"#;
        let p = parse(Format::JaegerEnvelope, body).unwrap();
        assert_eq!(p.traces.len(), 1);
        assert_eq!(p.traces[0].spans[0].service, "api");
        let errors: Vec<String> = p.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                "trace 0000000000000003: storage timeout (code 500)",
                "no code"
            ]
        );
    }

    #[test]
    fn not_found_envelope_has_no_traces_and_one_error() {
        let body = br#"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}"#;
        let p = parse(Format::JaegerEnvelope, body).unwrap();
        assert!(p.traces.is_empty());
        assert_eq!(p.errors[0].code, Some(404));
    }

    #[test]
    fn spans_without_ids_are_refused() {
        let body = br#"{"traceID":"1","spans":[{"spanID":"2"},{"operationName":"x"}]}"#;
        let err = parse(Format::JaegerTrace, body).unwrap_err();
        assert_eq!(format!("{err:#}"), "span 2 of trace 1 has no \"spanID\"");
        let err = parse(Format::JaegerSpanList, br#"[{"spanID":"2"}]"#).unwrap_err();
        assert!(format!("{err:#}").contains("has no \"traceID\""), "{err:#}");
    }

    #[test]
    fn null_spans_read_as_an_empty_trace() {
        let p = parse(
            Format::JaegerTrace,
            br#"{"traceID":"1","spans":null,"processes":null}"#,
        )
        .unwrap();
        assert!(p.traces[0].spans.is_empty());
    }

    #[test]
    fn reference_into_another_trace_is_not_a_parent() {
        let body = br#"{"traceID":"1","spans":[{"traceID":"1","spanID":"4","operationName":"x",
            "references":[{"refType":"CHILD_OF","traceID":"ff","spanID":"ff"},
                          {"refType":"FOLLOWS_FROM","traceID":"1","spanID":"2"}],
            "startTime":1,"duration":2,"processID":"p1"}],"processes":{}}"#;
        let t = &parse(Format::JaegerTrace, body).unwrap().traces[0];
        assert_eq!(t.spans[0].parent_id.as_deref(), Some("0000000000000002"));
        assert_eq!(t.spans[0].service, "unknown");
        assert_eq!(
            (t.spans[0].start_ns, t.spans[0].duration_ns),
            (1_000, 2_000)
        );
    }
}
