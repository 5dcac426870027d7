//! The API server's service and pod proxies. A service request picks one of the ready
//! addresses in the Service's Endpoints (round robin), so traffic follows a selector
//! switch exactly when the endpoints controller catches up; the pod behind the address
//! answers through the backend the test attached to it or to its image.

use std::sync::Arc;

use hyper::Response;
use serde_json::Value;

use super::handlers::Ctx;
use super::resources::by_plural;
use super::server::{Body, Route, error_response, full};
use super::status::ApiError;
use super::{Backend, ProxyRequest, ProxyResponse, Shared, State};

fn backend_for(st: &State, ns: &str, pod: &Value) -> Option<Backend> {
    let name = pod["metadata"]["name"].as_str().unwrap_or("");
    if let Some(b) = st
        .sim
        .backends_by_pod
        .get(&(ns.to_string(), name.to_string()))
    {
        return Some(b.clone());
    }
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["image"].as_str())
        .find_map(|img| {
            st.sim.backends_by_image.get(img).cloned().or_else(|| {
                // A key ending in '*' matches every image it prefixes, for images whose
                // digest a test cannot know in advance (built and pushed during the test).
                st.sim
                    .backends_by_image
                    .iter()
                    .find(|(key, _)| {
                        key.strip_suffix('*')
                            .is_some_and(|prefix| img.starts_with(prefix))
                    })
                    .map(|(_, backend)| backend.clone())
            })
        })
}

fn pick_pod(st: &mut State, ns: &str, svc: &str) -> Result<Value, ApiError> {
    if st.store.get(by_plural("services"), ns, svc).is_none() {
        return Err(ApiError::not_found(by_plural("services"), svc));
    }
    let ep = st
        .store
        .get(by_plural("endpoints"), ns, svc)
        .cloned()
        .unwrap_or(Value::Null);
    let pods: Vec<String> = ep["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["addresses"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a["targetRef"]["name"].as_str().map(String::from))
        .collect();
    if pods.is_empty() {
        return Err(ApiError::service_unavailable(format!(
            "no endpoints available for service \"{svc}\""
        )));
    }
    st.round_robin = st.round_robin.wrapping_add(1);
    let pod = &pods[st.round_robin % pods.len()];
    st.store
        .get(by_plural("pods"), ns, pod)
        .cloned()
        .ok_or_else(|| {
            ApiError::service_unavailable(format!("no endpoints available for service \"{svc}\""))
        })
}

pub(crate) async fn serve(sh: Arc<Shared>, r: Route, ctx: Ctx) -> Response<Body> {
    let ns = r.ns.clone().unwrap_or_default();
    let name = r.name.clone().unwrap_or_default();
    let picked = {
        let mut st = sh.lock();
        let pod = if r.rt.kind == "Service" {
            pick_pod(&mut st, &ns, &name)
        } else {
            st.store
                .get(by_plural("pods"), &ns, &name)
                .cloned()
                .ok_or_else(|| ApiError::not_found(by_plural("pods"), &name))
        };
        pod.map(|p| {
            let backend = backend_for(&st, &ns, &p);
            (p, backend)
        })
    };
    let (pod, backend) = match picked {
        Ok(x) => x,
        Err(e) => return error_response(e),
    };
    let pod_name = pod["metadata"]["name"].as_str().unwrap_or("").to_string();
    let ip = pod["status"]["podIP"].as_str().unwrap_or("").to_string();
    let port = r.port.clone().unwrap_or_else(|| "80".into());
    let refused = || {
        error_response(ApiError::service_unavailable(format!(
            "error trying to reach service: dial tcp {ip}:{port}: connect: connection refused"
        )))
    };
    let req = ProxyRequest {
        method: ctx.method.to_string(),
        path: r.rest.clone(),
        // The query as the client sent it, still encoded, as the real proxy passes it on
        // (decoded pairs joined again would turn an encoded `+` or `&` into another query).
        query: ctx.raw_query.clone(),
        body: ctx.body.to_vec(),
        namespace: ns,
        pod: pod_name,
    };
    let resp = match backend {
        None => return refused(),
        Some(Backend::Handler(h)) => match tokio::task::spawn_blocking(move || h(&req)).await {
            Ok(r) => r,
            Err(_) => return refused(),
        },
        Some(Backend::Url(base)) => match forward(&base, &req).await {
            Some(r) => r,
            None => return refused(),
        },
    };
    Response::builder()
        .status(resp.status)
        .header("content-type", resp.content_type)
        .body(full(resp.body))
        .expect("response")
}

async fn forward(base: &str, req: &ProxyRequest) -> Option<ProxyResponse> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = if req.query.is_empty() {
        format!("{base}{}", req.path)
    } else {
        format!("{base}{}?{}", req.path, req.query)
    };
    let client = reqwest::Client::builder().no_proxy().build().ok()?;
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).ok()?;
    let resp = client
        .request(method, url)
        .body(req.body.clone())
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/plain")
        .to_string();
    let body = resp.bytes().await.ok()?.to_vec();
    Some(ProxyResponse {
        status,
        content_type,
        body,
    })
}
