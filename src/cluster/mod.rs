//! The connection to a Kubernetes cluster: a kube `Client` built from kubeconfig exactly
//! as kubectl finds it (`--kubeconfig`, else every file in `KUBECONFIG` merged, else
//! `~/.kube/config`; the chosen or current context; the flag's, else the context's, else
//! the `default` namespace), errors that name context and namespace, and requests through
//! the API server's service proxy. It knows nothing of blue-green.

use anyhow::{Context as _, Result, anyhow};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where to find the cluster, as the user asked for it (flags or environment).
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// `--kubeconfig`: one file, as with kubectl; overrides `KUBECONFIG`.
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
}

/// A connected client with the context and namespace it works in.
#[derive(Clone)]
pub struct Cluster {
    pub client: Client,
    pub context: String,
    pub namespace: String,
    pub server: String,
}

/// The kubeconfig files kubectl would read, in precedence order.
pub fn kubeconfig_paths(
    explicit: Option<&Path>,
    env: Option<&std::ffi::OsStr>,
    home: Option<&Path>,
) -> Vec<PathBuf> {
    if let Some(p) = explicit {
        return vec![p.to_path_buf()];
    }
    if let Some(v) = env {
        let paths: Vec<PathBuf> = std::env::split_paths(v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return paths;
        }
    }
    home.map(|h| vec![h.join(".kube").join("config")])
        .unwrap_or_default()
}

/// Read and merge the kubeconfig files (first file to set a value wins). Files named by
/// `KUBECONFIG` that do not exist are skipped, as kubectl does; an explicit one must exist.
pub fn load_kubeconfig(paths: &[PathBuf], explicit: bool) -> Result<Kubeconfig> {
    let mut merged: Option<Kubeconfig> = None;
    for p in paths {
        if !explicit && !p.exists() {
            continue;
        }
        let kc = Kubeconfig::read_from(p)
            .with_context(|| format!("reading kubeconfig {}", p.display()))?;
        merged = Some(match merged {
            None => kc,
            Some(m) => m
                .merge(kc)
                .with_context(|| format!("merging kubeconfig {}", p.display()))?,
        });
    }
    merged.ok_or_else(|| {
        let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        anyhow!(
            "no kubeconfig found (looked at {}); pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config",
            if list.is_empty() { "nothing: HOME is not set".into() } else { list.join(", ") }
        )
    })
}

/// Connect to the cluster the target names. Nothing is sent yet; errors from the first
/// request go through [`Cluster::explain`].
pub async fn connect(target: &Target) -> Result<Cluster> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let env = std::env::var_os("KUBECONFIG");
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let paths = kubeconfig_paths(
        target.kubeconfig.as_deref(),
        env.as_deref(),
        home.as_deref(),
    );
    let kc = load_kubeconfig(&paths, target.kubeconfig.is_some())?;
    let context = match target
        .context
        .clone()
        .or_else(|| kc.current_context.clone())
    {
        Some(c) => c,
        None => {
            return Err(anyhow!(
                "the kubeconfig has no current context; pass --context (contexts: {})",
                context_names(&kc)
            ));
        }
    };
    if !kc.contexts.iter().any(|c| c.name == context) {
        return Err(anyhow!(
            "context {context:?} is not in the kubeconfig (contexts: {})",
            context_names(&kc)
        ));
    }
    let opts = KubeConfigOptions {
        context: Some(context.clone()),
        ..Default::default()
    };
    let mut config = Config::from_custom_kubeconfig(kc, &opts)
        .await
        .with_context(|| format!("loading context {context:?} from the kubeconfig"))?;
    if let Some(ns) = &target.namespace {
        config.default_namespace = ns.clone();
    }
    let server = config.cluster_url.to_string();
    let namespace = config.default_namespace.clone();
    let client = Client::try_from(config)
        .with_context(|| format!("building a client for context {context:?}"))?;
    Ok(Cluster {
        client,
        context,
        namespace,
        server,
    })
}

fn context_names(kc: &Kubeconfig) -> String {
    let names: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
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
            kube::Error::Api(s) if s.code == 403 => anyhow!(
                "{doing}: forbidden in namespace {ns:?} for context {ctx:?} (403): {}; ask for RBAC access or choose another namespace with -n",
                s.message
            ),
            kube::Error::Api(s) => anyhow!(
                "{doing} (context {ctx:?}, namespace {ns:?}): {} ({} {})",
                s.message,
                s.code,
                s.reason
            ),
            _ => anyhow!(
                "{doing}: cannot reach the Kubernetes API server at {} (context {ctx:?}, namespace {ns:?}): {}; check that the cluster is running and the kubeconfig points at it",
                self.server,
                error_chain(&err)
            ),
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
        let path = path.trim_start_matches('/');
        let uri = format!(
            "/api/v1/namespaces/{}/services/{service}:{port}/proxy/{path}",
            self.namespace
        );
        self.raw_get(&uri, timeout).await
    }

    /// The same through the pod proxy, for probing one pod.
    pub async fn pod_proxy_get(
        &self,
        pod: &str,
        port: u16,
        path: &str,
        timeout: Duration,
    ) -> Result<ProxyResponse> {
        let path = path.trim_start_matches('/');
        let uri = format!(
            "/api/v1/namespaces/{}/pods/{pod}:{port}/proxy/{path}",
            self.namespace
        );
        self.raw_get(&uri, timeout).await
    }

    async fn raw_get(&self, uri: &str, timeout: Duration) -> Result<ProxyResponse> {
        use http_body_util::BodyExt;
        let req = http::Request::get(uri).body(kube::client::Body::empty())?;
        let fut = async {
            let res = self.client.send(req).await?;
            let status = res.status().as_u16();
            let body = res.into_body().collect().await?.to_bytes();
            Ok::<_, kube::Error>(ProxyResponse {
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        };
        match tokio::time::timeout(timeout, fut).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(anyhow!("GET {uri}: {}", error_chain(&e))),
            Err(_) => Err(anyhow!("GET {uri}: no answer within {timeout:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProxyResponse {
    pub status: u16,
    pub body: String,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn paths_follow_kubectl_precedence() {
        let home = Path::new("/home/u");
        assert_eq!(
            kubeconfig_paths(Some(Path::new("/k")), Some(OsStr::new("/a:/b")), Some(home)),
            vec![PathBuf::from("/k")]
        );
        assert_eq!(
            kubeconfig_paths(None, Some(OsStr::new("/a::/b")), Some(home)),
            vec![PathBuf::from("/a"), PathBuf::from("/b")]
        );
        assert_eq!(
            kubeconfig_paths(None, Some(OsStr::new("")), Some(home)),
            vec![PathBuf::from("/home/u/.kube/config")]
        );
        assert!(kubeconfig_paths(None, None, None).is_empty());
    }

    fn write(dir: &Path, name: &str, ctx: &str, ns: &str, current: Option<&str>) -> PathBuf {
        let cur = current
            .map(|c| format!("current-context: {c}\n"))
            .unwrap_or_default();
        let text = format!(
            "apiVersion: v1\nkind: Config\n{cur}clusters:\n- name: {ctx}\n  cluster:\n    server: http://127.0.0.1:1\ncontexts:\n- name: {ctx}\n  context:\n    cluster: {ctx}\n    user: {ctx}\n    namespace: {ns}\nusers:\n- name: {ctx}\n  user:\n    token: t\n"
        );
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn merge_first_file_wins_and_missing_env_files_are_skipped() {
        let d = tempfile::tempdir().unwrap();
        let a = write(d.path(), "a", "one", "ns1", Some("one"));
        let b = write(d.path(), "b", "two", "ns2", Some("two"));
        let kc = load_kubeconfig(&[d.path().join("missing"), a, b], false).unwrap();
        assert_eq!(kc.current_context.as_deref(), Some("one"));
        assert_eq!(kc.contexts.len(), 2);
        let err = load_kubeconfig(&[d.path().join("missing")], true).unwrap_err();
        assert!(format!("{err:#}").contains("missing"), "{err:#}");
    }

    #[tokio::test]
    async fn namespace_from_context_then_flag() {
        let d = tempfile::tempdir().unwrap();
        let a = write(d.path(), "a", "one", "ns1", Some("one"));
        let _b = write(d.path(), "b", "two", "ns2", None);
        let t = Target {
            kubeconfig: Some(a.clone()),
            ..Default::default()
        };
        let c = connect(&t).await.unwrap();
        assert_eq!((c.context.as_str(), c.namespace.as_str()), ("one", "ns1"));
        let t = Target {
            kubeconfig: Some(a),
            namespace: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(connect(&t).await.unwrap().namespace, "x");
    }

    #[tokio::test]
    async fn unknown_context_lists_the_known_ones() {
        let d = tempfile::tempdir().unwrap();
        let a = write(d.path(), "a", "one", "ns1", Some("one"));
        let t = Target {
            kubeconfig: Some(a),
            context: Some("nope".into()),
            ..Default::default()
        };
        let err = connect(&t).await.err().unwrap();
        assert!(err.to_string().contains("contexts: one"), "{err}");
    }

    #[tokio::test]
    async fn unreachable_cluster_names_context_and_namespace() {
        let d = tempfile::tempdir().unwrap();
        let a = write(d.path(), "a", "one", "ns1", Some("one"));
        let c = connect(&Target {
            kubeconfig: Some(a),
            ..Default::default()
        })
        .await
        .unwrap();
        let api: Api<k8s_openapi::api::core::v1::Service> = c.api();
        let err = api.get("x").await.unwrap_err();
        let msg = c.explain(err, "reading Service x").to_string();
        assert!(
            msg.contains("cannot reach") && msg.contains("\"one\"") && msg.contains("\"ns1\""),
            "{msg}"
        );
    }
}
