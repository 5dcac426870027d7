//! Zipkin's `V1SpanConverter.convert` for one v1 span (its halves already merged): the
//! core annotations (`cs`/`sr`/`ss`/`cr`, `ms`/`mr`, `ws`/`wr`) say which endpoint did
//! what and when, and split the span into a client and a `shared` server span (or a
//! producer and a consumer); `binaryAnnotations` become tags, and `ca`/`sa`/`ma` name the
//! remote side.

use super::{V1Endpoint, V1Span};

/// An endpoint as Zipkin compares them: the service name lower-cased, empty as absent.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Endpoint {
    pub(super) service: Option<String>,
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
pub(super) struct Builder {
    pub(super) local: Option<Endpoint>,
    pub(super) remote: Option<Endpoint>,
    pub(super) kind: Option<&'static str>,
    pub(super) shared: bool,
    pub(super) timestamp: Option<u64>,
    pub(super) duration: Option<u64>,
    pub(super) annotations: Vec<(u64, String)>,
    pub(super) tags: Vec<(String, String)>,
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
pub(super) fn convert(source: &V1Span) -> Vec<Builder> {
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
