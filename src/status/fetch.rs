//! Reading what `msv status` needs from the cluster with a fixed number of list requests
//! (whatever the number of services), then probing health concurrently with a bound; each
//! probe has its own timeout, so one that hangs cannot stall the others.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Result;
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Event, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Api;
use kube::api::ListParams;
use serde::de::DeserializeOwned;

use super::model::{Snapshot, health_target, service_keys};
use crate::cluster::Cluster;
use crate::cluster::endpoints::EndpointApi;
use crate::deploy::history::Entry;
use crate::deploy::plan::{MANAGED_BY_LABEL, NAME_LABEL};
use crate::health::{probe_pods, probe_service};

/// How many requests are in flight at once.
pub(crate) const CONCURRENCY: usize = 32;

/// What to read and probe.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub all_namespaces: bool,
    /// Probe every pod too.
    pub pods: bool,
    /// Read Warning events (for the detail view).
    pub events: bool,
    pub probe_timeout: Duration,
}

fn api<K>(cluster: &Cluster, all: bool) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    <K as kube::Resource>::DynamicType: Default,
{
    if all {
        Api::all(cluster.client.clone())
    } else {
        cluster.api()
    }
}

async fn list<K>(cluster: &Cluster, all: bool, params: &ListParams, what: &str) -> Result<Vec<K>>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    api::<K>(cluster, all)
        .list(params)
        .await
        .map(|l| l.items)
        .map_err(|err| cluster.explain(err, &format!("listing {what}")))
}

/// Reads the objects of every msv-managed service, then probes them.
pub(crate) async fn snapshot(cluster: &Cluster, req: &Request) -> Result<Snapshot> {
    let managed = ListParams::default().labels(&format!("{MANAGED_BY_LABEL}=msv"));
    let warnings = ListParams::default().fields("type=Warning");
    let everything = ListParams::default();
    let all = req.all_namespaces;
    let slices = cluster.endpoint_api().await == EndpointApi::Slices;
    let of_services = ListParams::default().labels(crate::cluster::endpoints::SERVICE_NAME_LABEL);
    let (deployments, services, (endpoints, endpoint_slices), pods, config_maps, events) = tokio::try_join!(
        list::<Deployment>(cluster, all, &managed, "Deployments"),
        list::<Service>(cluster, all, &managed, "Services"),
        async {
            match slices {
                true => Ok((
                    Vec::new(),
                    list::<EndpointSlice>(cluster, all, &of_services, "EndpointSlices").await?,
                )),
                false => Ok((
                    list::<Endpoints>(cluster, all, &everything, "Endpoints").await?,
                    Vec::new(),
                )),
            }
        },
        list::<Pod>(cluster, all, &managed, "Pods"),
        list::<ConfigMap>(cluster, all, &managed, "ConfigMaps"),
        async {
            if req.events {
                list::<Event>(cluster, all, &warnings, "Events").await
            } else {
                Ok(Vec::new())
            }
        },
    )?;
    let mut snap = Snapshot {
        deployments,
        services,
        endpoints,
        endpoint_slices,
        pods,
        events,
        ..Default::default()
    };
    snap.history = history(&config_maps);
    probe(cluster, &mut snap, req).await;
    Ok(snap)
}

/// Deploy history from the `S-msv-history` ConfigMaps; one that cannot be read is skipped.
fn history(config_maps: &[ConfigMap]) -> HashMap<(String, String), Vec<Entry>> {
    config_maps
        .iter()
        .filter_map(|cm| {
            let service = cm.metadata.labels.as_ref()?.get(NAME_LABEL)?;
            let name = cm.metadata.name.as_deref()?;
            if name != crate::deploy::plan::history_name(service) {
                return None;
            }
            let entries = crate::deploy::history::parse(cm).ok()?;
            Some((
                (
                    cm.metadata.namespace.clone().unwrap_or_default(),
                    service.clone(),
                ),
                entries,
            ))
        })
        .collect()
}

/// (namespace, service name).
type ServiceKey = (String, String);
/// (health path, Service port, container port), as `health_target` finds them.
type HealthTarget = (String, u16, u16);

/// Probes Service S of every service (and every pod with `req.pods`), at most
/// [`CONCURRENCY`] at a time.
async fn probe(cluster: &Cluster, snap: &mut Snapshot, req: &Request) {
    let timeout = req.probe_timeout;
    let in_ns = |ns: &str| cluster.in_namespace(ns);
    let targets: Vec<(ServiceKey, HealthTarget)> = service_keys(snap)
        .into_iter()
        .filter_map(|key| health_target(snap, &key.0, &key.1).map(|t| (key, t)))
        .collect();
    let services = futures::stream::iter(targets.iter().cloned())
        .map(|((ns, name), (path, port, _))| {
            let c = in_ns(&ns);
            async move {
                let p = probe_service(&c, &name, port, &path, timeout).await;
                ((ns, name), p)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>();
    let pods = async {
        if !req.pods {
            return Vec::new();
        }
        let by_service: HashMap<&(String, String), &(String, u16, u16)> =
            targets.iter().map(|(k, t)| (k, t)).collect();
        let jobs: Vec<(String, String, String, u16)> = snap
            .pods
            .iter()
            .filter_map(|p| {
                let ns = p.metadata.namespace.clone().unwrap_or_default();
                let name = p.metadata.labels.as_ref()?.get(NAME_LABEL)?.clone();
                let (path, _, port) = by_service.get(&(ns.clone(), name))?;
                Some((ns, p.metadata.name.clone()?, path.clone(), *port))
            })
            .collect();
        futures::stream::iter(jobs)
            .map(|(ns, pod, path, port)| {
                let c = in_ns(&ns);
                async move {
                    let p =
                        probe_pods(&c, std::slice::from_ref(&pod), port, &path, timeout, 1).await;
                    ((ns, pod), p.into_iter().next())
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await
    };
    let (services, pods) = tokio::join!(services, pods);
    snap.service_probes = services.into_iter().collect();
    snap.pod_probes = pods
        .into_iter()
        .filter_map(|(k, p)| Some((k, p?)))
        .collect();
}
