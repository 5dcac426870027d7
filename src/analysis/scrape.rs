//! Reading a color's counters: every running pod the selector matches, its metrics path
//! fetched through the API server's pod proxy (so nothing needs to reach the pod network
//! from here), parsed into [`Counts`]. A pod that does not answer, or answers something
//! that is not the text format, is named and left out of this scrape.

use std::time::Duration;

use anyhow::Result;
use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;

use super::prom;
use super::window::{Counts, Names, Scrape};
use crate::cluster::Cluster;
use crate::output::sanitize;

/// How many pods are scraped at once.
const CONCURRENCY: usize = 16;

/// Scrapes every running pod that `selector` matches, at most [`CONCURRENCY`] at a time.
pub async fn scrape(
    cluster: &Cluster,
    selector: &str,
    port: u16,
    path: &str,
    timeout: Duration,
    names: &Names,
) -> Result<Scrape> {
    let pods = cluster
        .api::<Pod>()
        .list(&ListParams::default().labels(selector))
        .await
        .map_err(|e| cluster.explain(e, &format!("listing the pods {selector}")))?;
    let running: Vec<String> = pods
        .items
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| {
            p.status
                .as_ref()
                .is_some_and(|s| s.phase.as_deref() == Some("Running") && s.pod_ip.is_some())
        })
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    let answers: Vec<(String, Result<Counts, String>)> = futures::stream::iter(running)
        .map(|pod| async move {
            let got = match cluster.pod_proxy_get(&pod, port, path, timeout).await {
                Ok(r) if r.status == 200 => prom::parse(&r.body)
                    .map(|samples| Counts::of(&samples, names))
                    .map_err(|e| format!("{path} is not the Prometheus text format: {e}")),
                Ok(r) => Err(format!("{path} answered {}", r.status)),
                Err(e) => Err(format!("{e:#}")),
            };
            (pod, got)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut out = Scrape::default();
    for (pod, got) in answers {
        match got {
            Ok(counts) => {
                out.pods.insert(pod, counts);
            }
            Err(why) => out.failed.push((pod, sanitize(&why).into_owned())),
        }
    }
    out.failed.sort();
    Ok(out)
}
