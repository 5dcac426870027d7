//! The connection to a Kubernetes cluster: a kube `Client` built from the kubeconfig target
//! that `config::kube` resolves as kubectl does (files, context, namespace), errors that
//! name context and namespace, and requests through the API server's service and pod
//! proxies. It knows nothing of blue-green.

use crate::config::kube::KubeTarget;
use crate::output::sanitize;
use anyhow::{Result, anyhow};
pub mod credentials;
pub mod endpoints;
pub mod proxy;
mod settings;
pub mod warnings;

use kube::config::ExecConfig;
#[cfg(test)]
use kube::config::Kubeconfig;
use kube::{Api, Client, Config};
use proxy::{Proxy, ProxyEnv};
use std::time::Duration;

/// A connected client with the context and namespace it works in.
#[derive(Clone)]
pub struct Cluster {
    pub client: Client,
    /// The same connection settings without retries, for service and pod proxy requests.
    proxy_client: Client,
    pub context: String,
    pub namespace: String,
    pub server: String,
    /// The proxy requests go through, if any (for messages).
    pub proxy: Option<Proxy>,
    /// The kubeconfig user, and its credential plugin if it has one (for messages).
    user: String,
    exec: Option<ExecConfig>,
    /// Which endpoints API this cluster serves, decided once per run (see `endpoints`).
    endpoint_api: std::sync::Arc<tokio::sync::OnceCell<endpoints::EndpointApi>>,
}

/// Connect to the cluster the resolved target names (kubeconfig files, context and
/// namespace are found by `config::kube`, exactly as kubectl finds them). Nothing is sent
/// yet; errors from the first request go through [`Cluster::explain`].
pub async fn connect(target: &KubeTarget) -> Result<Cluster> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let context = target.context.clone();
    use std::io::IsTerminal as _;
    let (mut config, proxy, user) = settings::client_config(
        target,
        &ProxyEnv::from_process(),
        std::io::stdin().is_terminal(),
    )?;
    config.default_namespace = target.namespace.clone();
    let server = config.cluster_url.to_string();
    let namespace = config.default_namespace.clone();
    let exec = config.auth_info.exec.clone();
    // Proxied answers come from the service, not the API server: a 503 from the app must
    // reach the probe as it is, not be retried by kube's server-error retry layer.
    let mut proxy_config = config.clone();
    proxy_config.default_retry = false;
    // An exec plugin runs here, when the client is built: its failure is the user's to fix.
    let build = |config: Config| {
        kube::client::ClientBuilder::try_from(config)
            .map(|builder| {
                let warnings = warnings::Warnings::of_this_run();
                builder
                    .with_layer(&tower::util::MapResponseLayer::new(
                        move |res: http::Response<_>| {
                            warnings.note(res.headers());
                            res
                        },
                    ))
                    .build()
            })
            .map_err(|err| match &err {
                kube::Error::Auth(auth) => match credentials::explain(auth, exec.as_ref(), &user) {
                    Some(msg) => anyhow!("connecting with context {context:?}: {msg}"),
                    None => {
                        anyhow!(err).context(format!("building a client for context {context:?}"))
                    }
                },
                _ => anyhow!(err).context(format!("building a client for context {context:?}")),
            })
    };
    let client = build(config)?;
    let proxy_client = build(proxy_config)?;
    Ok(Cluster {
        client,
        proxy_client,
        context,
        namespace,
        server,
        proxy,
        user,
        exec,
        endpoint_api: Default::default(),
    })
}

/// HTTP status of an API error, if the server answered with one.
pub fn status_code(err: &kube::Error) -> Option<u16> {
    match err {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

impl Cluster {
    pub fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// Turn a client error into a message that says what failed, where, and what to do.
    pub fn explain(&self, err: kube::Error, doing: &str) -> anyhow::Error {
        let (ctx, ns) = (&self.context, &self.namespace);
        match &err {
            kube::Error::Api(s) if s.code == 401 => anyhow!(
                "{doing}: the API server at {} rejected the credentials of context {ctx:?} (401 Unauthorized); refresh them in the kubeconfig",
                self.server
            ),
            // The server's own words go to a terminal: escape their control characters.
            kube::Error::Api(s) if s.code == 403 => anyhow!(
                "{doing}: forbidden in namespace {ns:?} for context {ctx:?} (403): {}; ask for RBAC access or choose another namespace with -n",
                sanitize(&s.message)
            ),
            kube::Error::Api(s) => anyhow!(
                "{doing} (context {ctx:?}, namespace {ns:?}): {} ({} {})",
                sanitize(&s.message),
                s.code,
                sanitize(&s.reason)
            ),
            // It answered, so it was reached: most likely not an API server at all.
            kube::Error::SerdeError(e) => anyhow!(
                "{doing}: the server at {} (context {ctx:?}) answered with something msv cannot \
                 read as Kubernetes JSON ({e}); check that the kubeconfig's server is the \
                 cluster's API server, not a proxy or a login page",
                self.server
            ),
            // A credential plugin run again for a fresh token, and failing.
            kube::Error::Auth(auth)
                if let Some(msg) = credentials::explain(auth, self.exec.as_ref(), &self.user) =>
            {
                anyhow!("{doing}: {msg}")
            }
            // Reached, but the TLS handshake failed on the server's certificate.
            _ if error_chain(&err).contains("peer certificate") => anyhow!(
                "{doing}: the API server at {} (context {ctx:?}) presented a TLS certificate msv does not trust ({}); check the cluster's certificate-authority(-data) in the kubeconfig and that the server address is a name the certificate covers",
                self.server,
                error_chain(&err)
            ),
            _ => match &self.proxy {
                Some(proxy) => anyhow!(
                    "{doing}: cannot reach the Kubernetes API server at {} through the proxy {} (context {ctx:?}, namespace {ns:?}): {}; check that the proxy is running and lets msv through, or add the server to NO_PROXY",
                    self.server,
                    proxy.describe(),
                    error_chain(&err)
                ),
                None => anyhow!(
                    "{doing}: cannot reach the Kubernetes API server at {} (context {ctx:?}, namespace {ns:?}): {}; check that the cluster is running and the kubeconfig points at it",
                    self.server,
                    error_chain(&err)
                ),
            },
        }
    }

    /// `GET /api/v1/namespaces/N/services/NAME:PORT/proxy/PATH` through the client, so the
    /// cluster network need not be reachable from here. Any HTTP status is returned; only
    /// transport failures and the timeout are errors.
    pub async fn service_proxy_get(
        &self,
        service: &str,
        port: u16,
        path: &str,
        timeout: Duration,
    ) -> Result<ProxyResponse> {
        self.proxy_get("services", service, port, path, timeout)
            .await
    }

    /// The same through the pod proxy, for probing one pod.
    pub async fn pod_proxy_get(
        &self,
        pod: &str,
        port: u16,
        path: &str,
        timeout: Duration,
    ) -> Result<ProxyResponse> {
        self.proxy_get("pods", pod, port, path, timeout).await
    }

    /// `GET` through the API server's proxy of `resource` (`services`, `pods`) `name:port`.
    async fn proxy_get(
        &self,
        resource: &str,
        name: &str,
        port: u16,
        path: &str,
        timeout: Duration,
    ) -> Result<ProxyResponse> {
        let base = proxy_path(&self.namespace, resource, name, &port.to_string());
        let uri = format!("{base}{}", path.trim_start_matches('/'));
        self.raw_get(&uri, timeout).await
    }

    /// The same connection, working in another namespace.
    pub fn in_namespace(&self, namespace: &str) -> Cluster {
        Cluster {
            namespace: namespace.to_string(),
            ..self.clone()
        }
    }

    /// `GET` of an API-server path (with its query), e.g. a service proxy path built by the
    /// caller; like the probes, any HTTP status is returned.
    pub async fn proxy_get_path(
        &self,
        path_and_query: &str,
        timeout: Duration,
    ) -> Result<ProxyResponse> {
        self.raw_get(path_and_query, timeout).await
    }

    async fn raw_get(&self, uri: &str, timeout: Duration) -> Result<ProxyResponse> {
        self.raw(http::Method::GET, uri, &[], Vec::new(), timeout)
            .await
    }

    /// A request through Service `service`'s proxy with any method, headers and body (the
    /// user's own checks); any HTTP status is returned.
    pub async fn service_proxy_request(
        &self,
        service: &str,
        port: u16,
        req: &ProxiedRequest,
        timeout: Duration,
    ) -> Result<ProxyResponse> {
        let base = proxy_path(&self.namespace, "services", service, &port.to_string());
        let uri = format!("{base}{}", req.path.trim_start_matches('/'));
        let method = http::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| anyhow!("{:?} is not an HTTP method", req.method))?;
        self.raw(method, &uri, &req.headers, req.body.clone(), timeout)
            .await
    }

    /// Forwards one HTTP request to Service `service` through the API server's proxy, as
    /// it came (method, path and query, headers, body), and returns the answer as it came.
    pub async fn service_proxy_forward(
        &self,
        service: &str,
        port: u16,
        req: http::Request<bytes::Bytes>,
        timeout: Duration,
    ) -> Result<http::Response<bytes::Bytes>> {
        use http_body_util::BodyExt;
        let (parts, body) = req.into_parts();
        let base = proxy_path(&self.namespace, "services", service, &port.to_string());
        let rest = parts
            .uri
            .path_and_query()
            .map_or("", |p| p.as_str())
            .trim_start_matches('/');
        let uri = format!("{base}{rest}");
        let mut builder = http::Request::builder()
            .method(parts.method.clone())
            .uri(&uri);
        for (name, value) in &parts.headers {
            // The connection to the API server is msv's own; these describe the client's.
            if !is_hop_by_hop(name) && name != http::header::HOST {
                builder = builder.header(name, value);
            }
        }
        let req = builder.body(kube::client::Body::from(body.to_vec()))?;
        let shown = format!("{} {uri}", parts.method);
        let fut = async {
            let res = self.proxy_client.send(req).await?;
            let (parts, body) = res.into_parts();
            let body = body.collect().await?.to_bytes();
            Ok::<_, kube::Error>(http::Response::from_parts(parts, body))
        };
        let mut res = match tokio::time::timeout(timeout, fut).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(anyhow!("{shown}: {}", error_chain(&e))),
            Err(_) => return Err(anyhow!("{shown}: no answer within {timeout:?}")),
        };
        let headers = res.headers_mut();
        let hop: Vec<http::HeaderName> = headers
            .keys()
            .filter(|n| is_hop_by_hop(n))
            .cloned()
            .collect();
        for name in hop {
            headers.remove(name);
        }
        Ok(res)
    }

    async fn raw(
        &self,
        method: http::Method,
        uri: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<ProxyResponse> {
        use http_body_util::BodyExt;
        let shown = format!("{method} {uri}");
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let req = builder.body(kube::client::Body::from(body))?;
        let fut = async {
            let res = self.proxy_client.send(req).await?;
            let status = res.status().as_u16();
            let body = res.into_body().collect().await?.to_bytes();
            Ok::<_, kube::Error>(ProxyResponse {
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        };
        match tokio::time::timeout(timeout, fut).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(anyhow!("{shown}: {}", error_chain(&e))),
            Err(_) => Err(anyhow!("{shown}: no answer within {timeout:?}")),
        }
    }
}

/// A request sent through a service proxy: the path (with its query) after `/proxy`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProxiedRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProxyResponse {
    pub status: u16,
    pub body: String,
}

/// Headers that describe one connection, not the message (RFC 9110 section 7.6.1).
fn is_hop_by_hop(name: &http::HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "proxy-authorization"
            | "proxy-authenticate"
            | "content-length"
    )
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut s = err.to_string();
    let mut src = err.source();
    while let Some(e) = src {
        let m = e.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = e.source();
    }
    s
}

/// The API server's proxy path to `resource` (`services`, `pods`) `name:port` in `namespace`,
/// ending in `/`: where the probes of deploy and status and the trace client in the cluster go.
/// `port` is a number or a port's name.
pub fn proxy_path(namespace: &str, resource: &str, name: &str, port: &str) -> String {
    format!("/api/v1/namespaces/{namespace}/{resource}/{name}:{port}/proxy/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;

    fn target(server: &str) -> KubeTarget {
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: one\nclusters:\n- name: one\n  cluster:\n    server: {server}\ncontexts:\n- name: one\n  context:\n    cluster: one\n    user: one\n    namespace: ns1\nusers:\n- name: one\n  user:\n    token: t\n"
        );
        KubeTarget {
            files: vec![],
            kubeconfig: Kubeconfig::from_yaml(&text).unwrap(),
            context: "one".into(),
            context_source: Source::Default,
            namespace: "ns1".into(),
            namespace_source: Source::Default,
        }
    }

    #[tokio::test]
    async fn unreachable_cluster_names_context_and_namespace() {
        // Port 1 on loopback: nothing listens there.
        let c = connect(&target("http://127.0.0.1:1")).await.unwrap();
        let api: Api<k8s_openapi::api::core::v1::Service> = c.api();
        let err = api.get("x").await.unwrap_err();
        let msg = c.explain(err, "reading Service x").to_string();
        assert!(
            msg.contains("cannot reach") && msg.contains("\"one\"") && msg.contains("\"ns1\""),
            "{msg}"
        );
    }
}
