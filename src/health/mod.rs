//! HTTP health probes through the API server's service and pod proxies, each with its
//! own timeout, and their aggregation into one verdict. Used by `msv deploy` (before and
//! after the switch) and `msv status`. Requests go through `cluster::Cluster`; the
//! verdict is a pure function of the probe results.

use crate::cluster::Cluster;
use futures::StreamExt;
use serde::Serialize;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probe {
    /// What was probed: `service/NAME` or `pod/NAME`.
    pub target: String,
    /// HTTP status, when an answer came.
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// Transport failure or timeout, when no answer came.
    pub error: Option<String>,
}

impl Probe {
    pub fn ok(&self) -> bool {
        matches!(self.status, Some(200..=399))
    }

    /// One line for a human: `pod/x: HTTP 503 (12 ms)` or `service/y: no answer within 2s`.
    pub fn describe(&self) -> String {
        match (self.status, &self.error) {
            (Some(s), _) => format!("{}: HTTP {s} ({} ms)", self.target, self.latency_ms),
            (None, Some(e)) => format!("{}: {e}", self.target),
            (None, None) => format!("{}: no answer", self.target),
        }
    }
}

async fn timed(
    target: String,
    fut: impl Future<Output = anyhow::Result<crate::cluster::ProxyResponse>>,
) -> Probe {
    let start = Instant::now();
    let res = fut.await;
    let latency_ms = start.elapsed().as_millis() as u64;
    match res {
        Ok(r) => Probe {
            target,
            status: Some(r.status),
            latency_ms,
            error: None,
        },
        Err(e) => Probe {
            target,
            status: None,
            latency_ms,
            error: Some(format!("{e:#}")),
        },
    }
}

/// One GET of `path` through Service `service`'s proxy.
pub async fn probe_service(
    cluster: &Cluster,
    service: &str,
    port: u16,
    path: &str,
    timeout: Duration,
) -> Probe {
    timed(
        format!("service/{service}"),
        cluster.service_proxy_get(service, port, path, timeout),
    )
    .await
}

/// One GET per pod through the pod proxy, at most `concurrency` at a time.
pub async fn probe_pods(
    cluster: &Cluster,
    pods: &[String],
    port: u16,
    path: &str,
    timeout: Duration,
    concurrency: usize,
) -> Vec<Probe> {
    futures::stream::iter(pods.iter().cloned())
        .map(|pod| async move {
            timed(
                format!("pod/{pod}"),
                cluster.pod_proxy_get(&pod, port, path, timeout),
            )
            .await
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// `count` GETs through a Service, all at once (the proxy picks an endpoint per request,
/// so they reach several pods). Results in the order sent.
pub async fn probe_service_concurrently(
    cluster: &Cluster,
    service: &str,
    port: u16,
    path: &str,
    timeout: Duration,
    count: usize,
) -> Vec<Probe> {
    futures::future::join_all(
        (0..count).map(|_| probe_service(cluster, service, port, path, timeout)),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(status: Option<u16>) -> Probe {
        Probe {
            target: "pod/a".into(),
            status,
            latency_ms: 3,
            error: status.is_none().then(|| "no answer within 2s".into()),
        }
    }

    #[test]
    fn descriptions() {
        assert_eq!(p(Some(503)).describe(), "pod/a: HTTP 503 (3 ms)");
        assert_eq!(p(None).describe(), "pod/a: no answer within 2s");
        assert!(p(Some(301)).ok() && !p(Some(404)).ok());
    }
}
