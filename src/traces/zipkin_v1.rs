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

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::collect::Collector;
use super::de;
use super::model::{Event, KeyValue, Span, normalize_id};

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

/// An endpoint as Zipkin compares them: the service name lower-cased, empty as absent.
#[derive(Debug, Clone, PartialEq)]
struct Endpoint {
    service: Option<String>,
    ipv4: String,
    ipv6: String,
    port: Option<u64>,
}

impl From<&V1Endpoint> for Endpoint {
    fn from(e: &V1Endpoint) -> Endpoint {
        let service = e.service_name.trim().to_lowercase();
        Endpoint {
            service: (!service.is_empty()).then_some(service),
            ipv4: e.ipv4.clone(),
            ipv6: e.ipv6.clone(),
            port: e.port.filter(|&p| p != 0),
        }
    }
}

#[derive(Debug, Clone)]
struct Annotation {
    timestamp: u64,
    value: String,
    endpoint: Option<Endpoint>,
}

/// One v2 span being built (Zipkin's `Span.Builder`).
#[derive(Debug, Default)]
struct Builder {
    local: Option<Endpoint>,
    remote: Option<Endpoint>,
    kind: Option<&'static str>,
    shared: bool,
    timestamp: Option<u64>,
    duration: Option<u64>,
    annotations: Vec<(u64, String)>,
    tags: Vec<(String, String)>,
}

/// Reads Zipkin v1 spans (a list, or a list of lists) into `c`.
pub(crate) fn read(text: &[u8], nested: bool, c: &mut Collector) -> Result<()> {
    let spans: Vec<V1Span> = if nested {
        let lists: Vec<Vec<V1Span>> =
            serde_json::from_slice(text).context("not a list of lists of Zipkin v1 spans")?;
        lists.into_iter().flatten().collect()
    } else {
        serde_json::from_slice(text).context("not a list of Zipkin v1 spans")?
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

fn nz(v: Option<u64>) -> Option<u64> {
    v.filter(|&v| v != 0)
}

fn same_service(a: Option<&Endpoint>, b: Option<&Endpoint>) -> bool {
    a.and_then(|e| e.service.as_ref()) == b.and_then(|e| e.service.as_ref())
}

struct Converter<'a> {
    source: &'a V1Span,
    /// `spans[0]` is Zipkin's `first`.
    spans: Vec<Builder>,
}

impl Converter<'_> {
    fn for_endpoint(&mut self, e: Option<&Endpoint>) -> usize {
        let Some(e) = e else { return 0 };
        for (i, b) in self.spans.iter_mut().enumerate() {
            match &b.local {
                None => {
                    b.local = Some(e.clone());
                    return i;
                }
                Some(local) if local.service == e.service => return i,
                Some(_) => {}
            }
        }
        self.new_span(e)
    }

    fn new_span(&mut self, e: &Endpoint) -> usize {
        self.spans.push(Builder {
            local: Some(e.clone()),
            ..Builder::default()
        });
        self.spans.len() - 1
    }

    fn timestamp_duration(&mut self, begin: &Annotation, end: Option<&Annotation>) {
        let (ts, dur) = (nz(self.source.timestamp), nz(self.source.duration));
        let i = self.for_endpoint(begin.endpoint.as_ref());
        let span = &mut self.spans[i];
        if let (Some(ts), Some(dur)) = (ts, dur) {
            span.timestamp = Some(ts);
            span.duration = Some(dur);
        } else {
            span.timestamp = nz(Some(begin.timestamp));
            if let Some(end) = end {
                span.duration = nz(end.timestamp.checked_sub(begin.timestamp));
            }
        }
    }
}

/// Zipkin's `V1SpanConverter.convert`: one v1 span to one or more v2 spans.
fn convert(source: &V1Span) -> Vec<Builder> {
    let mut cv = Converter {
        source,
        spans: vec![Builder::default()],
    };
    let (mut cs, mut sr, mut ss, mut cr) = (None, None, None, None);
    let (mut ms, mut mr, mut ws, mut wr) = (None, None, None, None);
    for a in source.annotations.iter().flatten() {
        let a = Annotation {
            timestamp: a.timestamp.unwrap_or(0),
            value: a.value.clone(),
            endpoint: a.endpoint.as_ref().map(Endpoint::from),
        };
        let i = cv.for_endpoint(a.endpoint.as_ref());
        let span = &mut cv.spans[i];
        // Core annotations need an endpoint; without one they are plain annotations.
        if a.value.len() == 2 && a.endpoint.is_some() {
            match a.value.as_str() {
                "cs" => (span.kind, cs) = (Some("client"), Some(a)),
                "sr" => (span.kind, sr) = (Some("server"), Some(a)),
                "ss" => (span.kind, ss) = (Some("server"), Some(a)),
                "cr" => (span.kind, cr) = (Some("client"), Some(a)),
                "ms" => (span.kind, ms) = (Some("producer"), Some(a)),
                "mr" => (span.kind, mr) = (Some("consumer"), Some(a)),
                "ws" => ws = Some(a),
                "wr" => wr = Some(a),
                _ => span.annotations.push((a.timestamp, a.value)),
            }
        } else {
            span.annotations.push((a.timestamp, a.value));
        }
    }

    let (src_ts, src_dur) = (nz(source.timestamp), nz(source.duration));
    // A missing start annotation is implied when the end one falls at timestamp + duration.
    let implied = |end: &Option<Annotation>, value: &str| {
        let end = end.as_ref()?;
        let (ts, dur) = (src_ts?, src_dur?);
        (ts.checked_add(dur) == Some(end.timestamp)).then(|| Annotation {
            timestamp: ts,
            value: value.to_string(),
            endpoint: end.endpoint.clone(),
        })
    };
    if cs.is_none() {
        cs = implied(&cr, "cs");
    }
    if sr.is_none() {
        sr = implied(&ss, "sr");
    }

    if let (Some(c), Some(s)) = (&cs, &sr) {
        // In a shared span the client side owns the span's timestamp and duration.
        cv.timestamp_duration(c, cr.as_ref());
        let client = cv.for_endpoint(c.endpoint.as_ref());
        let server = if same_service(c.endpoint.as_ref(), s.endpoint.as_ref()) {
            // Loopback: the server side gets its own span.
            cv.spans[client].kind = Some("client");
            let e = s.endpoint.clone().expect("core annotations have endpoints");
            let i = cv.new_span(&e);
            cv.spans[i].kind = Some("server");
            i
        } else {
            cv.for_endpoint(s.endpoint.as_ref())
        };
        let server_span = &mut cv.spans[server];
        server_span.shared = true;
        server_span.timestamp = nz(Some(s.timestamp));
        if let Some(ss) = &ss {
            server_span.duration = nz(ss.timestamp.checked_sub(s.timestamp));
        }
        if cr.is_none() && src_dur.is_none() {
            cv.spans[client].duration = None; // one-way: no duration
        }
    } else if let (Some(c), Some(r)) = (&cs, &cr) {
        cv.timestamp_duration(c, Some(r));
    } else if let (Some(r), Some(s)) = (&sr, &ss) {
        cv.timestamp_duration(r, Some(s));
    } else {
        // An incomplete RPC: the start annotation gives the timestamp, the end one stays.
        for span in &mut cv.spans {
            match span.kind {
                Some("client") => {
                    if let Some(c) = &cs {
                        span.timestamp = nz(Some(c.timestamp));
                    }
                    if let Some(r) = &cr {
                        span.annotations.push((r.timestamp, r.value.clone()));
                    }
                }
                Some("server") => {
                    if let Some(r) = &sr {
                        span.timestamp = nz(Some(r.timestamp));
                    }
                    if let Some(s) = &ss {
                        span.annotations.push((s.timestamp, s.value.clone()));
                    }
                }
                _ => {}
            }
        }
        if let Some(ts) = src_ts {
            cv.spans[0].timestamp = Some(ts);
            cv.spans[0].duration = src_dur;
        }
    }

    // v1 had no shared flag: a server side seen without a timestamp of its own was shared.
    if let (None, Some(r)) = (&cs, &sr)
        && (src_ts.is_none() || ss.is_some() && src_dur.is_none())
    {
        let i = cv.for_endpoint(r.endpoint.as_ref());
        cv.spans[i].shared = true;
    }

    if let (Some(m), Some(r)) = (&ms, &mr) {
        let producer = cv.for_endpoint(m.endpoint.as_ref());
        let consumer = if same_service(m.endpoint.as_ref(), r.endpoint.as_ref()) {
            cv.spans[producer].kind = Some("producer");
            let e = r.endpoint.clone().expect("core annotations have endpoints");
            let i = cv.new_span(&e);
            cv.spans[i].kind = Some("consumer");
            i
        } else {
            cv.for_endpoint(r.endpoint.as_ref())
        };
        let c = &mut cv.spans[consumer];
        c.shared = true;
        match &wr {
            Some(w) => {
                c.timestamp = nz(Some(w.timestamp));
                c.duration = nz(r.timestamp.checked_sub(w.timestamp));
            }
            None => c.timestamp = nz(Some(r.timestamp)),
        }
        let p = &mut cv.spans[producer];
        p.timestamp = nz(Some(m.timestamp));
        p.duration = ws
            .as_ref()
            .and_then(|w| nz(w.timestamp.checked_sub(m.timestamp)));
    } else if let Some(m) = &ms {
        cv.timestamp_duration(m, ws.as_ref());
    } else if let Some(r) = &mr {
        match &wr {
            Some(w) => cv.timestamp_duration(w, Some(r)),
            None => cv.timestamp_duration(r, None),
        }
    } else {
        for w in [&ws, &wr].into_iter().flatten() {
            let i = cv.for_endpoint(w.endpoint.as_ref());
            cv.spans[i].annotations.push((w.timestamp, w.value.clone()));
        }
    }

    binary_annotations(&mut cv, [&cs, &sr, &ss, &cr, &ms, &mr]);
    cv.spans
}

/// Zipkin's `processBinaryAnnotations`: string values become tags on the span of their
/// endpoint; `ca`, `sa` and `ma` (booleans) name the remote side.
fn binary_annotations(cv: &mut Converter<'_>, core: [&Option<Annotation>; 6]) {
    let [cs, sr, ss, cr, ms, mr] = core;
    let (mut ca, mut sa, mut ma) = (None, None, None);
    for b in cv.source.binary_annotations.iter().flatten() {
        let endpoint = b.endpoint.as_ref().map(Endpoint::from);
        let value = match &b.value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Bool(_) if matches!(b.key.as_str(), "ca" | "sa" | "ma") => {
                match b.key.as_str() {
                    "ca" => ca = endpoint,
                    "sa" => sa = endpoint,
                    _ => ma = endpoint,
                }
                continue;
            }
            serde_json::Value::Bool(v) => v.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => continue,
        };
        let i = cv.for_endpoint(endpoint.as_ref());
        // "lc" with an empty value only marks a local span.
        if b.key == "lc" && value.is_empty() {
            continue;
        }
        cv.spans[i].tags.push((b.key.clone(), value));
    }

    if cs.is_none()
        && cr.is_none()
        && ss.is_none()
        && sr.is_none()
        && (ca.is_some() || sa.is_some())
    {
        match (&ca, &sa) {
            (Some(c), Some(s)) => {
                let i = cv.for_endpoint(Some(c));
                cv.spans[i].remote = Some(s.clone());
            }
            (None, Some(s)) => cv.spans[0].remote = Some(s.clone()),
            (Some(c), None) => {
                cv.spans[0].kind = Some("server");
                cv.spans[0].remote = Some(c.clone());
            }
            (None, None) => {}
        }
        return;
    }
    let server = sr.as_ref().or(ss.as_ref());
    if let (Some(c), Some(server)) = (&ca, server)
        && Some(c) != server.endpoint.as_ref()
    {
        let mut c = c.clone();
        // Finagle's "ca" carries the server's own service name; dropping it avoids a loop.
        if same_service(Some(&c), server.endpoint.as_ref()) {
            c.service = None;
        }
        let i = cv.for_endpoint(server.endpoint.as_ref());
        cv.spans[i].remote = Some(c);
    }
    if let (Some(s), Some(c)) = (&sa, cs.as_ref().or(cr.as_ref())) {
        let i = cv.for_endpoint(c.endpoint.as_ref());
        cv.spans[i].remote = Some(s.clone());
    }
    if let Some(m) = &ma {
        for a in [ms, mr].into_iter().flatten() {
            let i = cv.for_endpoint(a.endpoint.as_ref());
            cv.spans[i].remote = Some(m.clone());
        }
    }
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
        .map(|(key, value)| KeyValue {
            key,
            value: value.into(),
        })
        .collect();
    if let Some(remote) = b.remote.and_then(|e| e.service) {
        span.attributes.push(KeyValue {
            key: "peer.service".into(),
            value: remote.into(),
        });
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
        read(body.as_bytes(), false, &mut c).unwrap();
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
        assert!(server.attributes.iter().any(|kv| kv.key == "http.path"));
        assert!(
            client
                .attributes
                .iter()
                .any(|kv| kv.key == "peer.service" && kv.value == "backend")
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
                .any(|kv| kv.key == "peer.service" && kv.value == "frontend")
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
        let err = read(
            br#"[{"traceId":"a","name":"x","annotations":[]}]"#,
            false,
            &mut c,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "span 1 has no \"id\"");
    }
}
