//! HTTP serving: accepts connections on the test's listener, records each request,
//! checks the bearer token, applies injected faults, answers discovery, and routes
//! resource paths (`/api/v1/...`, `/apis/G/V/...`, namespaced or not, subresources,
//! legacy `/watch/` prefix) to the verb handlers.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use super::faults::Action;
use super::resources::{self, ResourceType};
use super::status::ApiError;
use super::{RecordedRequest, Shared, handlers};

pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

/// Returned by a handler to drop the connection without an answer.
#[derive(Debug)]
pub(crate) struct Reset;

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}
impl std::error::Error for Reset {}

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|e: Infallible| match e {})
        .boxed()
}

pub(crate) fn json_response(code: u16, v: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .header("cache-control", "no-cache, private")
        .body(full(v.to_string()))
        .expect("response")
}

pub(crate) fn error_response(e: ApiError) -> Response<Body> {
    json_response(e.code, &e.body)
}

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    sh: Arc<Shared>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let sh = sh.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(stream).await else {
                return;
            };
            let svc = hyper::service::service_fn(move |req| handle(sh.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), svc)
                .await;
        });
    }
}

/// A parsed resource path.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub rt: &'static ResourceType,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
    /// For proxies: the port part of `name:port` and the path after `/proxy`.
    pub port: Option<String>,
    pub rest: String,
    pub legacy_watch: bool,
}

pub(crate) enum Target {
    Doc(Value),
    Resource(Route),
    NotFound,
}

/// Where `path` leads; `slices` off, the server is one without `discovery.k8s.io/v1`.
pub(crate) fn route(path: &str, addr: &str, slices: bool) -> Target {
    let trimmed = path.trim_start_matches('/');
    let segs: Vec<&str> = trimmed.trim_end_matches('/').split('/').collect();
    let doc = |v: Option<Value>| v.map(Target::Doc).unwrap_or(Target::NotFound);
    if !slices && segs.get(1) == Some(&resources::SLICES_GROUP) && segs[0] == "apis" {
        return Target::NotFound;
    }
    match segs.as_slice() {
        ["version"] => Target::Doc(resources::version(slices)),
        ["openapi", "v3"] => Target::Doc(super::openapi::index()),
        ["openapi", "v3", ..] => doc(super::openapi::document(&trimmed["openapi/v3/".len()..])),
        ["api"] => Target::Doc(resources::core_versions(addr)),
        ["apis"] => {
            let mut list = resources::group_list();
            if let Some(groups) = list["groups"].as_array_mut() {
                groups.retain(|g| slices || g["name"] != resources::SLICES_GROUP);
            }
            Target::Doc(list)
        }
        ["api", "v1"] => doc(resources::resource_list("", "v1")),
        ["apis", g] => doc(resources::group(g)),
        ["apis", g, v] => doc(resources::resource_list(g, v)),
        ["api", "v1", ..] => resource_route("", "v1", &trimmed["api/v1/".len()..]),
        ["apis", g, v, ..] => {
            let prefix = format!("apis/{g}/{v}/");
            resource_route(g, v, &trimmed[prefix.len()..])
        }
        _ => Target::NotFound,
    }
}

fn resource_route(group: &str, version: &str, rest: &str) -> Target {
    let mut rest = rest;
    let mut legacy_watch = false;
    if let Some(r) = rest.strip_prefix("watch/") {
        rest = r;
        legacy_watch = true;
    }
    let mut segs: Vec<&str> = rest.splitn(4, '/').collect();
    let mut ns = None;
    if segs.first() == Some(&"namespaces")
        && segs.len() >= 3
        && !["status", "finalize"].contains(&segs[2])
    {
        ns = Some(segs[1].to_string());
        let after = rest.splitn(3, '/').nth(2).unwrap_or("");
        rest = after;
        segs = rest.splitn(4, '/').collect();
    }
    let Some(rt) = resources::find(group, version, segs[0]) else {
        return Target::NotFound;
    };
    if rt.namespaced != ns.is_some() && segs.len() > 1 {
        return Target::NotFound;
    }
    let mut name = segs.get(1).filter(|s| !s.is_empty()).map(|s| s.to_string());
    let sub = segs.get(2).filter(|s| !s.is_empty()).map(|s| s.to_string());
    if sub
        .as_deref()
        .is_some_and(|s| !rt.subresources.contains(&s))
    {
        return Target::NotFound;
    }
    let mut port = None;
    if sub.as_deref() == Some("proxy")
        && let Some(n) = name.take()
    {
        let parts: Vec<&str> = n.split(':').collect();
        let (nm, p) = match parts.as_slice() {
            [nm] => (nm.to_string(), None),
            [nm, p] => (nm.to_string(), Some(p.to_string())),
            [_scheme, nm, p, ..] => (nm.to_string(), Some(p.to_string())),
            _ => (n.clone(), None),
        };
        name = Some(nm);
        port = p.filter(|p| !p.is_empty());
    }
    let tail = segs.get(3).copied().unwrap_or("");
    let rest = if sub.as_deref() == Some("proxy") {
        format!("/{tail}")
    } else {
        String::new()
    };
    Target::Resource(Route {
        rt,
        ns,
        name,
        sub,
        port,
        rest,
        legacy_watch,
    })
}

fn verb(method: &hyper::Method, r: &Route, query: &HashMap<String, String>) -> &'static str {
    let watch = r.legacy_watch || query.get("watch").is_some_and(|w| w == "true" || w == "1");
    match (method.as_str(), r.name.is_some()) {
        ("GET", false) if watch => "watch",
        ("GET", false) => "list",
        ("GET", true) if watch => "watch",
        ("GET", true) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "unknown",
    }
}

async fn handle(sh: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Body>, Reset> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query_str = parts.uri.query().unwrap_or("").to_string();
    let header = |n: &str| {
        parts
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let latency = {
        let mut st = sh.lock();
        st.requests.push(RecordedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            query: query_str.clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
            content_type: header("content-type"),
            user_agent: header("user-agent"),
            token: header("authorization")
                .strip_prefix("Bearer ")
                .unwrap_or_default()
                .to_string(),
        });
        st.faults.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if !authorized(&sh, &header("authorization")) {
        return Ok(error_response(ApiError::unauthorized()));
    }
    let addr = sh
        .addr
        .lock()
        .unwrap()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let query: HashMap<String, String> = form_urlencoded::parse(query_str.as_bytes())
        .into_owned()
        .collect();
    let slices = sh.lock().sim.endpoint_slices;
    match route(&path, &addr, slices) {
        Target::Doc(v) => Ok(json_response(200, &v)),
        Target::NotFound => Ok(error_response(ApiError::path_not_found())),
        Target::Resource(r) => {
            let verb = verb(&parts.method, &r, &query);
            let resource = match &r.sub {
                Some(s) => format!("{}/{s}", r.rt.plural),
                None => r.rt.plural.to_string(),
            };
            let action = sh.lock().faults.take(verb, &resource, r.name.as_deref());
            match action {
                Some(Action::Reset) => return Err(Reset),
                Some(Action::Status(code, msg)) => {
                    return Ok(error_response(ApiError::injected(code, &msg)));
                }
                Some(Action::Delay(d)) => tokio::time::sleep(d).await,
                None => {}
            }
            let ctx = handlers::Ctx {
                method: parts.method.clone(),
                verb,
                query,
                raw_query: query_str.clone(),
                accept: header("accept"),
                content_type: header("content-type"),
                user_agent: header("user-agent"),
                body,
            };
            let mut warning = sh.warnings.lock().unwrap().get(&resource).cloned();
            if slices && r.rt.plural == "endpoints" && warning.is_none() {
                warning = Some(resources::ENDPOINTS_DEPRECATED.to_string());
            }
            let mut response = handlers::dispatch(sh, r, ctx).await;
            if let Some(message) = warning {
                // RFC 7234's form, as kube-apiserver writes it: code 299, agent "-".
                let value = format!("299 - \"{}\"", message.replace('"', "\\\""));
                if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
                    response.headers_mut().append("warning", value);
                }
            }
            Ok(response)
        }
    }
}

/// The cluster's token, or, once tokens are issued by a stand-in credential plugin, one of
/// those that has not expired.
fn authorized(sh: &Shared, authorization: &str) -> bool {
    let Some(token) = authorization.strip_prefix("Bearer ") else {
        return false;
    };
    let issued = sh.issued_tokens.lock().unwrap().clone();
    let Some(file) = issued else {
        return token == sh.token;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once(' '))
        .any(|(t, expiry)| t == token && expiry.trim().parse::<u64>().is_ok_and(|e| now < e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> Route {
        match route(path, "", true) {
            Target::Resource(r) => r,
            _ => panic!("{path} is not a resource path"),
        }
    }

    #[test]
    fn routes_namespaced_cluster_scoped_and_subresources() {
        let r = res("/apis/apps/v1/namespaces/shop/deployments/orders/status");
        assert_eq!(
            (
                r.rt.plural,
                r.ns.as_deref(),
                r.name.as_deref(),
                r.sub.as_deref()
            ),
            ("deployments", Some("shop"), Some("orders"), Some("status"))
        );
        let r = res("/api/v1/namespaces/shop");
        assert_eq!(
            (r.rt.plural, r.ns, r.name.as_deref()),
            ("namespaces", None, Some("shop"))
        );
        let r = res("/api/v1/pods");
        assert_eq!((r.rt.plural, r.ns, r.name), ("pods", None, None));
        let r = res("/api/v1/namespaces/shop/services/orders:8080/proxy/healthz/live");
        assert_eq!(
            (r.name.as_deref(), r.port.as_deref(), r.rest.as_str()),
            (Some("orders"), Some("8080"), "/healthz/live")
        );
        let r = res("/api/v1/watch/namespaces/shop/pods");
        assert!(r.legacy_watch);
        assert!(matches!(
            route("/apis/apps/v1/namespaces/x/deployments/d/bogus", "", true),
            Target::NotFound
        ));
        assert!(matches!(route("/openapi/v2", "", true), Target::NotFound));
    }
}
