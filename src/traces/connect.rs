//! Where a trace backend is and how to reach it, from the settings: its URL directly (through
//! the proxy kubectl would use for it), or a Service through the Kubernetes API server's
//! service proxy. Shared by `msv traces` and the deploy's trace-error gate.

use anyhow::{Context as _, Result};
use reqwest::Url;
use serde::Serialize;

use super::client::{self, Backend, Transport};
use crate::cluster::Cluster;

/// How the backend is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reach {
    /// Its base URL, as configured (checked when the settings are read).
    Url(String),
    /// `NAMESPACE/NAME:PORT`, through the API server.
    Service(String),
}

/// A configured trace backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub backend: Backend,
    pub reach: Reach,
}

impl Source {
    /// The backend the settings name, or what is missing and where to set it.
    pub fn from_settings(
        backend: Option<Backend>,
        url: Option<&str>,
        service: Option<&str>,
    ) -> Result<Source> {
        let (reach, at) = match (url, service) {
            (Some(url), _) => (Reach::Url(url.to_string()), url.to_string()),
            (None, Some(spec)) => {
                // A malformed NAMESPACE/NAME:PORT is named before any cluster is asked.
                client::service_proxy_path(spec)?;
                (Reach::Service(spec.to_string()), format!("service {spec}"))
            }
            (None, None) => anyhow::bail!(
                "no trace backend configured: set MSV_TRACES_BACKEND and MSV_TRACES_URL, pass --backend and --url \
                 (or --backend-service NAMESPACE/NAME:PORT), or add [traces] backend and url to msv.toml"
            ),
        };
        let Some(backend) = backend else {
            anyhow::bail!(
                "the trace backend at {at} has no type: set MSV_TRACES_BACKEND, pass --backend, or add [traces] backend \
                 (jaeger, jaeger-v3, zipkin or tempo) to msv.toml"
            );
        };
        Ok(Source { backend, reach })
    }

    /// Whether reaching it needs a cluster connection.
    pub fn through_cluster(&self) -> bool {
        matches!(self.reach, Reach::Service(_))
    }

    /// Where it is, for messages.
    pub fn describe(&self) -> String {
        match &self.reach {
            Reach::Url(url) => format!("{} at {url}", self.backend.name()),
            Reach::Service(spec) => format!("{} at service {spec}", self.backend.name()),
        }
    }

    /// The API to ask, its base URL and the transport. `cluster` is needed (and used) only
    /// for a backend reached through the API server.
    pub fn connect(&self, cluster: Option<Cluster>) -> Result<(Backend, Url, Transport)> {
        let (base, transport) = match &self.reach {
            Reach::Url(url) => {
                let base = Url::parse(url)
                    .with_context(|| format!("trace backend URL {url:?} is not a valid URL"))?;
                let http = http(&base)?;
                (base, Transport::Http(http))
            }
            Reach::Service(spec) => {
                let base = client::cluster_base(spec)?;
                let cluster =
                    cluster.context("reaching a trace backend service needs a cluster")?;
                (base, Transport::Cluster(Box::new(cluster)))
            }
        };
        let (backend, base) = client::select_api(self.backend, base);
        Ok((backend, base, transport))
    }
}

/// The client for a backend at `base`, through the proxy kubectl would use for it (see
/// `cluster::proxy`; reqwest's own reading of the variables follows curl's rules instead).
pub fn http(base: &Url) -> Result<reqwest::Client> {
    let env = crate::cluster::proxy::ProxyEnv::from_process();
    let builder = match crate::cluster::proxy::from_env(base, &env)? {
        Some(proxy) => reqwest::Client::builder().proxy(
            reqwest::Proxy::all(proxy.url.clone())
                .with_context(|| format!("using the proxy {}", proxy.describe()))?,
        ),
        None => reqwest::Client::builder().no_proxy(),
    };
    builder
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        .user_agent(concat!("msv/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("setting up the HTTP client")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_wins_over_a_service_and_the_type_is_required() {
        let s = Source::from_settings(
            Some(Backend::Zipkin),
            Some("http://z:9411"),
            Some("o/z:9411"),
        )
        .unwrap();
        assert_eq!(s.reach, Reach::Url("http://z:9411".into()));
        assert!(!s.through_cluster());
        let s = Source::from_settings(Some(Backend::Tempo), None, Some("o/tempo:3200")).unwrap();
        assert!(s.through_cluster());
        assert_eq!(s.describe(), "tempo at service o/tempo:3200");
        let e = Source::from_settings(None, Some("http://z:9411"), None).unwrap_err();
        assert!(e.to_string().contains("has no type"), "{e}");
        let e = Source::from_settings(Some(Backend::Jaeger), None, None).unwrap_err();
        assert!(e.to_string().contains("no trace backend configured"), "{e}");
    }
}
