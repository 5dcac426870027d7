//! A stand-in OpenTelemetry collector for the generated-service tests: it accepts OTLP/HTTP
//! trace exports (`POST /v1/traces`, protobuf, as the templates' exporters send them) on
//! 127.0.0.1, keeps the spans, and answers 200. It checks what a request turns into: one
//! trace with one server span, continuing the caller's `traceparent` when there is one.
//!
//! The protobuf is read by hand (a few lines of wire format): msv itself reads only OTLP
//! JSON, and the handful of fields checked here do not justify a protobuf code generator.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// OTLP's `SPAN_KIND_SERVER`.
pub(crate) const SERVER: u64 = 2;

/// One exported span, with the resource attributes of its batch.
#[derive(Clone, Debug)]
pub(crate) struct Span {
    pub(crate) trace_id: String,
    pub(crate) span_id: String,
    pub(crate) parent_span_id: String,
    pub(crate) name: String,
    pub(crate) kind: u64,
    pub(crate) resource: BTreeMap<String, String>,
}

/// Listens until dropped.
pub(crate) struct Collector {
    port: u16,
    spans: Arc<Mutex<Vec<Span>>>,
    stop: Arc<AtomicBool>,
}

impl Collector {
    pub(crate) fn start() -> Collector {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let spans = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (kept, stopping) = (spans.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let kept = kept.clone();
                std::thread::spawn(move || serve(conn, &kept));
            }
        });
        Collector { port, spans, stop }
    }

    /// The value for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn spans(&self) -> Vec<Span> {
        self.spans.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the spans received so far, or `timeout` passes.
    pub(crate) fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&[Span]) -> bool,
    ) -> Vec<Span> {
        let deadline = Instant::now() + timeout;
        loop {
            let spans = self.spans();
            if done(&spans) || Instant::now() > deadline {
                return spans;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// HTTP/1.1 with keep-alive: each request is a header block and a Content-Length body.
fn serve(conn: TcpStream, kept: &Mutex<Vec<Span>>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    loop {
        let mut length = 0usize;
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let status = if request_line.starts_with("POST /v1/traces ") {
            match decode_export(&body) {
                Some(spans) => {
                    kept.lock().unwrap().extend(spans);
                    "200 OK"
                }
                None => "400 Bad Request",
            }
        } else {
            "404 Not Found"
        };
        let answer = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n"
        );
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// The fields of one protobuf message, in order; None if it is not well-formed.
fn fields(mut buf: &[u8]) -> Option<Vec<(u64, Value<'_>)>> {
    fn varint(buf: &mut &[u8]) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = buf.split_first()?;
            *buf = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = varint(&mut buf)?;
        let value = match key & 7 {
            0 => Value::Varint(varint(&mut buf)?),
            1 | 5 => {
                let n = if key & 7 == 1 { 8 } else { 4 };
                buf = buf.get(n..)?;
                Value::Fixed
            }
            2 => {
                let n = usize::try_from(varint(&mut buf)?).ok()?;
                let (bytes, rest) = (buf.get(..n)?, buf.get(n..)?);
                buf = rest;
                Value::Bytes(bytes)
            }
            _ => return None,
        };
        out.push((key >> 3, value));
    }
    Some(out)
}

/// The sub-messages (or strings) in field `number`.
fn field_bytes<'a>(msg: &[(u64, Value<'a>)], number: u64) -> Vec<&'a [u8]> {
    msg.iter()
        .filter_map(|(n, v)| match v {
            Value::Bytes(b) if *n == number => Some(*b),
            _ => None,
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// ExportTraceServiceRequest { 1: ResourceSpans { 1: Resource { 1: KeyValue }, 2: ScopeSpans
/// { 2: Span { 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind } } } }.
fn decode_export(body: &[u8]) -> Option<Vec<Span>> {
    let mut out = Vec::new();
    for resource_spans in field_bytes(&fields(body)?, 1) {
        let rs = fields(resource_spans)?;
        let mut resource = BTreeMap::new();
        for res in field_bytes(&rs, 1) {
            for kv in field_bytes(&fields(res)?, 1) {
                let kv = fields(kv)?;
                let key = field_bytes(&kv, 1).first().copied().unwrap_or_default();
                let value = field_bytes(&kv, 2)
                    .first()
                    .and_then(|any| fields(any))
                    .map(|any| field_bytes(&any, 1).first().copied().unwrap_or_default())
                    .unwrap_or_default();
                resource.insert(
                    String::from_utf8_lossy(key).into_owned(),
                    String::from_utf8_lossy(value).into_owned(),
                );
            }
        }
        for scope_spans in field_bytes(&rs, 2) {
            for span in field_bytes(&fields(scope_spans)?, 2) {
                let span = fields(span)?;
                let one = |n| field_bytes(&span, n).first().copied().unwrap_or_default();
                let kind = span
                    .iter()
                    .find_map(|(n, v)| match v {
                        Value::Varint(k) if *n == 6 => Some(*k),
                        _ => None,
                    })
                    .unwrap_or(0);
                out.push(Span {
                    trace_id: hex(one(1)),
                    span_id: hex(one(2)),
                    parent_span_id: hex(one(4)),
                    name: String::from_utf8_lossy(one(5)).into_owned(),
                    kind,
                    resource: resource.clone(),
                });
            }
        }
    }
    Some(out)
}

/// What one request per trace means, checked on everything a service exported:
/// - every trace has exactly one server span, and it is the trace's root or the child of
///   the caller's span (`caller`, for the trace the caller started);
/// - the requests whose span names contain `marker` made exactly `requests` traces;
/// - every span carries `service.version` = `version` from OTEL_RESOURCE_ATTRIBUTES.
///
/// Returns what is wrong, or None.
pub(crate) fn one_trace_per_request(
    spans: &[Span],
    marker: &str,
    requests: usize,
    caller: (&str, &str),
    version: &str,
) -> Option<String> {
    let mut problems = Vec::new();
    let mut traces: BTreeMap<&str, Vec<&Span>> = BTreeMap::new();
    for s in spans {
        traces.entry(&s.trace_id).or_default().push(s);
    }
    for (id, trace) in &traces {
        let servers: Vec<_> = trace.iter().filter(|s| s.kind == SERVER).collect();
        if servers.len() != 1 {
            problems.push(format!(
                "trace {id} has {} server spans, want 1: {trace:?}",
                servers.len()
            ));
            continue;
        }
        let root = servers[0];
        let want_parent = if *id == caller.0 { caller.1 } else { "" };
        if root.parent_span_id != want_parent {
            problems.push(format!(
                "trace {id}: the server span's parent is {:?}, want {want_parent:?}",
                root.parent_span_id
            ));
        }
    }
    let marked: BTreeSet<&str> = spans
        .iter()
        .filter(|s| s.name.contains(marker))
        .map(|s| s.trace_id.as_str())
        .collect();
    if marked.len() != requests {
        problems.push(format!(
            "{requests} requests to {marker} made {} traces, want one each",
            marked.len()
        ));
    }
    if !marked.contains(caller.0) {
        problems.push(format!(
            "no span of {marker} continues the caller's trace {}",
            caller.0
        ));
    }
    if let Some(s) = spans
        .iter()
        .find(|s| s.resource.get("service.version").map(String::as_str) != Some(version))
    {
        problems.push(format!(
            "span {:?} lacks service.version={version}: {:?}",
            s.name, s.resource
        ));
    }
    if spans.is_empty() {
        problems.push("nothing was exported".into());
    }
    (!problems.is_empty()).then(|| problems.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(trace: &str, id: &str, parent: &str, name: &str, kind: u64) -> Span {
        Span {
            trace_id: trace.into(),
            span_id: id.into(),
            parent_span_id: parent.into(),
            name: name.into(),
            kind,
            resource: [("service.version".into(), "7".into())].into(),
        }
    }

    #[test]
    fn decodes_a_hand_encoded_export() {
        // Span { trace_id: [0xab; 16], span_id: [0xcd; 8], name: "GET /x", kind: 2 }
        let mut span = vec![0x0a, 16];
        span.extend([0xab; 16]);
        span.extend([0x12, 8]);
        span.extend([0xcd; 8]);
        span.extend([0x2a, 6]);
        span.extend(b"GET /x");
        span.extend([0x30, 2, 0x39]); // kind, then a fixed64 start time
        span.extend([0; 8]);
        let mut scope = vec![0x12, span.len() as u8];
        scope.extend(&span);
        let mut rs = vec![0x12, scope.len() as u8];
        rs.extend(&scope);
        let mut req = vec![0x0a, rs.len() as u8];
        req.extend(&rs);
        let spans = decode_export(&req).unwrap();
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].trace_id, "ab".repeat(16));
        assert_eq!(spans[0].span_id, "cd".repeat(8));
        assert_eq!((spans[0].name.as_str(), spans[0].kind), ("GET /x", SERVER));
        assert!(decode_export(&[0x0a, 5, 1]).is_none(), "truncated");
    }

    #[test]
    fn two_traces_for_one_request_are_found() {
        let caller = ("c".repeat(32), "p".repeat(16));
        let good = vec![
            span("t1", "s1", "", "GET /items/{id}", SERVER),
            span(&caller.0, "s2", &caller.1, "GET /items/{id}", SERVER),
            span(&caller.0, "s3", "s2", "endpoint", 1),
        ];
        let check = |spans: &[Span]| {
            one_trace_per_request(spans, "/items/", 2, (&caller.0, &caller.1), "7")
        };
        assert_eq!(check(&good), None);
        let mut orphans = good.clone();
        orphans.push(span("t9", "s9", "", "GET /items/{id}", SERVER));
        assert!(check(&orphans).unwrap().contains("made 3 traces"));
        let mut doubled = good.clone();
        doubled.push(span(&caller.0, "s4", "s2", "GET /items/{id}", SERVER));
        assert!(check(&doubled).unwrap().contains("2 server spans"));
        let mut internal = good;
        internal[0].kind = 1;
        assert!(check(&internal).unwrap().contains("0 server spans"));
    }
}
