//! HTTP access to the trace backends: which URL to ask (pure functions, unit-tested),
//! and the two requests `msv traces` makes — search a service's recent traces, fetch one
//! trace by id. Parsing is left to the format modules.
//!
//! Reaching a backend inside the cluster through the API server's service proxy only
//! changes the base URL (see [`service_proxy_path`]); the requests are the same.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use reqwest::Url;

use super::collect::{Collector, Parsed};
use super::de;
use super::detect::Format;
use super::summary::{self, TraceSummary};
use crate::name::{self, ServiceName};

/// A trace backend's query API. The one type for it: flags, msv.toml and `MSV_TRACES_BACKEND`
/// all read these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// Jaeger query API v1 (`/api/traces`), served by Jaeger 1.x and 2.x.
    Jaeger,
    /// Jaeger query API v3 (`/api/v3/traces`, OTLP/JSON).
    JaegerV3,
    Zipkin,
    Tempo,
}

impl std::str::FromStr for Backend {
    type Err = String;

    fn from_str(name: &str) -> Result<Backend, String> {
        match name {
            "jaeger" => Ok(Backend::Jaeger),
            "jaeger-v3" => Ok(Backend::JaegerV3),
            "zipkin" => Ok(Backend::Zipkin),
            "tempo" => Ok(Backend::Tempo),
            other => Err(format!(
                "unknown trace backend {other:?}; use jaeger, jaeger-v3, zipkin or tempo"
            )),
        }
    }
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Jaeger => "jaeger",
            Backend::JaegerV3 => "jaeger-v3",
            Backend::Zipkin => "zipkin",
            Backend::Tempo => "tempo",
        }
    }
}

/// What `msv traces list` asks for.
#[derive(Debug, Clone)]
pub struct Query {
    pub service: ServiceName,
    pub since: Duration,
    pub limit: usize,
    pub operation: Option<String>,
    pub min_duration: Option<Duration>,
    pub errors: bool,
    pub tags: Vec<(String, String)>,
    pub now: SystemTime,
}

/// A trace the backend does not have: the search ran and found nothing, so exit 1, not 2.
/// `detail` is what the backend said about it (Jaeger's `errors`), starting with "; ", or empty.
fn not_found(id: &str, backend: Backend, url: &str, detail: &str) -> anyhow::Error {
    crate::exit::Failure::bad(crate::output::sanitize(&format!(
        "trace {id} not found in {} at {url}{detail}",
        backend.name()
    )))
}

/// Jaeger serves two query APIs on one port; a base URL ending in `/api/v3` asks for
/// the v3 (OTLP/JSON) one. Returns the backend to speak and the base URL without that suffix.
pub fn select_api(backend: Backend, mut base: Url) -> (Backend, Url) {
    let path = base.path().trim_end_matches('/').to_string();
    match path.strip_suffix("/api/v3") {
        Some(prefix) if backend == Backend::Jaeger => {
            base.set_path(&format!("{prefix}/"));
            (Backend::JaegerV3, base)
        }
        _ => (backend, base),
    }
}

/// The search URL for `q`, relative to the backend's base URL.
pub fn search_url(backend: Backend, base: &Url, q: &Query) -> Url {
    let end = q.now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let start = end.saturating_sub(q.since);
    match backend {
        Backend::Jaeger => {
            let mut url = join(base, &["api", "traces"]);
            {
                let mut p = url.query_pairs_mut();
                p.append_pair("service", q.service.as_str());
                if let Some(op) = &q.operation {
                    p.append_pair("operation", op);
                }
                p.append_pair("start", &start.as_micros().to_string());
                p.append_pair("end", &end.as_micros().to_string());
                p.append_pair("limit", &q.limit.to_string());
                if let Some(d) = q.min_duration {
                    p.append_pair("minDuration", &format!("{}us", d.as_micros()));
                }
                let tags = jaeger_tags(q);
                if !tags.is_empty() {
                    p.append_pair("tags", &serde_json::Value::Object(tags).to_string());
                }
            }
            url
        }
        Backend::JaegerV3 => {
            let mut url = join(base, &["api", "v3", "traces"]);
            {
                let mut p = url.query_pairs_mut();
                p.append_pair("query.service_name", q.service.as_str());
                if let Some(op) = &q.operation {
                    p.append_pair("query.operation_name", op);
                }
                p.append_pair("query.start_time_min", &rfc3339(start));
                p.append_pair("query.start_time_max", &rfc3339(end));
                p.append_pair("query.num_traces", &q.limit.to_string());
                if let Some(d) = q.min_duration {
                    p.append_pair("query.duration_min", &format!("{}us", d.as_micros()));
                }
                let tags = jaeger_tags(q);
                if !tags.is_empty() {
                    p.append_pair(
                        "query.attributes",
                        &serde_json::Value::Object(tags).to_string(),
                    );
                }
            }
            url
        }
        Backend::Zipkin => {
            let mut url = join(base, &["api", "v2", "traces"]);
            {
                let mut p = url.query_pairs_mut();
                p.append_pair("serviceName", q.service.as_str());
                if let Some(op) = &q.operation {
                    p.append_pair("spanName", op);
                }
                let mut annotations: Vec<String> =
                    q.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                if q.errors {
                    annotations.push("error".into());
                }
                if !annotations.is_empty() {
                    p.append_pair("annotationQuery", &annotations.join(" and "));
                }
                if let Some(d) = q.min_duration {
                    p.append_pair("minDuration", &d.as_micros().to_string());
                }
                p.append_pair("endTs", &end.as_millis().to_string());
                p.append_pair("lookback", &q.since.as_millis().to_string());
                p.append_pair("limit", &q.limit.to_string());
            }
            url
        }
        Backend::Tempo => {
            let mut url = join(base, &["api", "search"]);
            {
                let mut p = url.query_pairs_mut();
                p.append_pair("q", &traceql(q));
                p.append_pair("start", &start.as_secs().to_string());
                p.append_pair("end", &end.as_secs().max(start.as_secs() + 1).to_string());
                p.append_pair("limit", &q.limit.to_string());
            }
            url
        }
    }
}

/// The URL of one trace.
pub fn trace_url(backend: Backend, base: &Url, id: &str) -> Url {
    match backend {
        Backend::Jaeger => join(base, &["api", "traces", id]),
        Backend::JaegerV3 => join(base, &["api", "v3", "traces", id]),
        Backend::Zipkin => join(base, &["api", "v2", "trace", id]),
        Backend::Tempo => join(base, &["api", "traces", id]),
    }
}

/// The API server path that proxies to a Service port, from `NAMESPACE/NAME:PORT`
/// (`--backend-service`). The port may be a number or a port name.
pub fn service_proxy_path(spec: &str) -> Result<String> {
    let usage = || {
        format!(
            "--backend-service {spec:?}: expected NAMESPACE/NAME:PORT, e.g. observability/jaeger-query:16686"
        )
    };
    let (ns, rest) = spec.split_once('/').with_context(usage)?;
    let (name, port) = rest.split_once(':').with_context(usage)?;
    let port_problem = if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
        match port.parse::<u16>() {
            Ok(1..) => Ok(()),
            _ => Err(format!(
                "invalid port {port}: a port number is from 1 to 65535"
            )),
        }
    } else {
        name::check(&name::PORT_NAME, port)
    };
    name::check(&name::NAMESPACE, ns)
        .and_then(|()| name::check(&name::KUBE_SERVICE, name))
        .and(port_problem)
        .map_err(|problem| anyhow::anyhow!("--backend-service {spec:?}: {problem}"))?;
    Ok(crate::cluster::proxy_path(ns, "services", name, port))
}

/// Trace ids go into URLs as given, but only hex (or Tempo's base64 never occurs in a
/// request) is accepted, so nothing can change the path.
pub fn check_trace_id(id: &str) -> Result<&str> {
    let id = id.trim();
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("trace id {id:?} is not valid: expected up to 32 hexadecimal digits");
    }
    Ok(id)
}

/// What a search found, with the errors the backend reported beside it (Jaeger answers
/// partial results with `errors`; those searches may have missed traces).
#[derive(Debug, Default)]
pub struct Found {
    pub traces: Vec<TraceSummary>,
    pub errors: Vec<super::collect::BackendError>,
}

/// Searches `backend` for the traces `q` describes.
pub async fn search(http: &Transport, backend: Backend, base: &Url, q: &Query) -> Result<Found> {
    let url = search_url(backend, base, q);
    let body = get(http, backend, &url, None).await?;
    let ctx = || {
        format!(
            "reading the {} search response from {}",
            backend.name(),
            without_query(&url)
        )
    };
    let (mut list, errors) = match backend {
        Backend::Tempo => (super::tempo::parse_search(&body).with_context(ctx)?, vec![]),
        _ => {
            let parsed = parse_traces(backend, &body).with_context(ctx)?;
            let list = parsed.traces.iter().map(TraceSummary::of).collect();
            (list, parsed.errors)
        }
    };
    if q.errors && backend != Backend::Tempo {
        // The backends match the `error` tag on any span of a trace; keep only what
        // our model also calls failed, so the list and `show` agree.
        list.retain(|s| s.error);
    }
    summary::sort_newest_first(&mut list);
    list.truncate(q.limit);
    Ok(Found {
        traces: list,
        errors,
    })
}

/// Fetches one trace by id, with the errors the backend reported beside it (Jaeger can
/// answer partial data and errors together). A trace the answer does not hold is
/// [`NotFound`], carrying those errors.
pub async fn fetch(http: &Transport, backend: Backend, base: &Url, id: &str) -> Result<Parsed> {
    let id = check_trace_id(id)?;
    let url = trace_url(backend, base, id);
    let body = get(http, backend, &url, Some(id)).await?;
    let Parsed { traces, errors } = parse_traces(backend, &body)
        .with_context(|| format!("reading the {} trace from {url}", backend.name()))?;
    let wanted = super::model::normalize_id(id);
    match traces
        .into_iter()
        .max_by_key(|t| (t.trace_id == wanted, t.spans.len()))
        .filter(|t| !t.spans.is_empty())
    {
        Some(t) => Ok(Parsed {
            traces: vec![t],
            errors,
        }),
        None => {
            let detail: String = errors
                .iter()
                .map(|e| format!("; {} said: {e}", backend.name()))
                .collect();
            Err(not_found(id, backend, url.as_str(), &detail))
        }
    }
}

fn parse_traces(backend: Backend, body: &[u8]) -> Result<Parsed> {
    let mut c = Collector::default();
    match backend {
        Backend::Jaeger => de::slice(body, |d| {
            super::jaeger::read(Format::JaegerEnvelope, d, &mut c)
        })?,
        Backend::JaegerV3 | Backend::Tempo => {
            de::slice(body, |d| super::otlp::read(Format::Otlp, d, &mut c))?
        }
        Backend::Zipkin => {
            let nested = super::zipkin::nested(body);
            de::slice(body, |d| super::zipkin::read(d, nested, &mut c))?
        }
    }
    Ok(c.finish())
}

/// How requests reach the backend: directly over HTTP, or through the Kubernetes API
/// server's service proxy (`--backend-service`), so no port-forward is needed.
pub enum Transport {
    Http(reqwest::Client),
    Cluster(Box<crate::cluster::Cluster>),
}

/// The base URL of a backend reached through the API server: only its path and query are
/// sent, to the cluster the kubeconfig names.
pub fn cluster_base(spec: &str) -> Result<Url> {
    let base = Url::parse("https://kubernetes-api-server.invalid/").expect("valid URL");
    Ok(base.join(&service_proxy_path(spec)?)?)
}

async fn get(
    transport: &Transport,
    backend: Backend,
    url: &Url,
    trace: Option<&str>,
) -> Result<Vec<u8>> {
    let mut at = url.clone();
    at.set_query(None);
    let http = match transport {
        Transport::Http(http) => http,
        Transport::Cluster(cluster) => {
            let path = match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_string(),
            };
            let resp = cluster
                .proxy_get_path(&path, std::time::Duration::from_secs(60))
                .await
                .with_context(|| {
                    format!(
                        "cannot reach the {} backend through the API server of context {} ({})",
                        backend.name(),
                        cluster.context,
                        at.path()
                    )
                })?;
            // A 404 from the API server itself (a Status object) means the Service is not
            // there; a 404 from the backend means the trace is not.
            if let Ok(status) = serde_json::from_str::<serde_json::Value>(&resp.body)
                && status["kind"] == "Status"
                && status["apiVersion"] == "v1"
            {
                anyhow::bail!(
                    "the {} backend service is not reachable through the API server of context {}: {}",
                    backend.name(),
                    cluster.context,
                    status["message"].as_str().unwrap_or("no message")
                );
            }
            if resp.status == 404
                && let Some(id) = trace
            {
                return Err(not_found(id, backend, at.path(), ""));
            }
            if !(200..300).contains(&resp.status) {
                let text: String = resp
                    .body
                    .chars()
                    .take(300)
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                anyhow::bail!(
                    "the {} backend at {} (through the API server) answered {}: {}",
                    backend.name(),
                    at.path(),
                    resp.status,
                    text.trim()
                );
            }
            return Ok(resp.body.into_bytes());
        }
    };
    let resp = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(reqwest::Error::without_url)
        .with_context(|| {
            format!("cannot reach the {} backend at {at} (check --url, MSV_TRACES_URL or [traces] url in msv.toml)", backend.name())
        })?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_FOUND
        && let Some(id) = trace
    {
        return Err(not_found(id, backend, at.as_str(), ""));
    }
    let body = resp
        .bytes()
        .await
        .map_err(reqwest::Error::without_url)
        .with_context(|| format!("reading the response from {at}"))?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body);
        let text: String = text
            .chars()
            .take(300)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        anyhow::bail!(
            "the {} backend at {at} answered {status}: {}",
            backend.name(),
            text.trim()
        );
    }
    Ok(body.to_vec())
}

/// `base` with `segments` appended to its path (a base with a path prefix, such as a
/// service proxy path, keeps it).
fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

fn without_query(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_query(None);
    url
}

fn jaeger_tags(q: &Query) -> serde_json::Map<String, serde_json::Value> {
    let mut tags: serde_json::Map<String, serde_json::Value> = q
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into()))
        .collect();
    if q.errors {
        tags.insert("error".into(), "true".into());
    }
    tags
}

/// A TraceQL query for Tempo's search. Values are quoted with `"` and `\` escaped.
fn traceql(q: &Query) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut conds = vec![format!(
        "resource.service.name = {}",
        quote(q.service.as_str())
    )];
    if let Some(op) = &q.operation {
        conds.push(format!("name = {}", quote(op)));
    }
    if q.errors {
        conds.push("status = error".into());
    }
    if let Some(d) = q.min_duration {
        conds.push(format!("duration >= {}us", d.as_micros()));
    }
    for (k, v) in &q.tags {
        conds.push(format!(".{k} = {}", quote(v)));
    }
    format!("{{ {} }}", conds.join(" && "))
}

fn rfc3339(since_epoch: Duration) -> String {
    humantime::format_rfc3339_nanos(UNIX_EPOCH + since_epoch).to_string()
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
