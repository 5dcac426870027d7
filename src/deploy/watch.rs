//! Waiting on the cluster with watches, never with sleep loops: a reflector per kind keeps
//! the current objects, and a condition is re-evaluated on every event until it decides.
//! Watches that drop are re-established by kube's watcher (with backoff), so a lost
//! stream only delays the next evaluation.

use crate::cluster::Cluster;
use crate::cluster::endpoints::{EndpointApi, SERVICE_NAME_LABEL, endpoints_ready, slices_ready};
use anyhow::Result;
use futures::{Stream, StreamExt, stream::BoxStream};
use k8s_openapi::api::core::v1::Endpoints;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::time::Instant;

const WATCH_TIMEOUT_SECS: u32 = 3;

/// A live view of some objects of one kind plus the stream that keeps it current.
pub struct View<K: kube::Resource + 'static>
where
    K::DynamicType: std::hash::Hash + Eq + Clone,
{
    pub store: Store<K>,
    pub ticks: BoxStream<'static, ()>,
}

/// Watch objects of kind K in the cluster's namespace matching a label or field selector.
pub fn view<K>(cluster: &Cluster, labels: Option<&str>, name: Option<&str>) -> View<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
    K::DynamicType: Default + std::hash::Hash + Eq + Clone + Send + Sync,
{
    // Ask the server to end each watch after a few seconds; the watcher then resumes from
    // the last resourceVersion. A stream that silently stalls costs at most that long.
    let mut cfg = watcher::Config::default().timeout(WATCH_TIMEOUT_SECS);
    if let Some(l) = labels {
        cfg = cfg.labels(l);
    }
    if let Some(n) = name {
        cfg = cfg.fields(&format!("metadata.name={n}"));
    }
    let (store, writer) = reflector::store();
    let stream = watcher(cluster.api::<K>(), cfg)
        .default_backoff()
        .reflect(writer)
        .map(|_| ())
        .boxed();
    View {
        store,
        ticks: stream,
    }
}

/// The endpoints of one Service as the cluster keeps them: all its EndpointSlices, or its
/// v1 Endpoints on a server without `discovery.k8s.io/v1`.
pub enum EndpointsStore {
    Slices(Store<EndpointSlice>),
    Endpoints(Store<Endpoints>),
}

impl EndpointsStore {
    /// The Service's ready addresses; `None` until the controller has written anything
    /// for it (no slice, no Endpoints object yet).
    pub fn ready(&self) -> Option<BTreeSet<String>> {
        match self {
            EndpointsStore::Slices(s) => {
                let slices = objects(s);
                (!slices.is_empty()).then(|| slices_ready(&slices))
            }
            EndpointsStore::Endpoints(s) => objects(s).first().map(endpoints_ready),
        }
    }
}

/// Watch the endpoints of Service `service` through the API the cluster serves (asked of
/// discovery once per run).
pub async fn endpoints_view(
    cluster: &Cluster,
    service: &str,
) -> (EndpointsStore, BoxStream<'static, ()>) {
    match cluster.endpoint_api().await {
        EndpointApi::Slices => {
            let v = view::<EndpointSlice>(
                cluster,
                Some(&format!("{SERVICE_NAME_LABEL}={service}")),
                None,
            );
            (EndpointsStore::Slices(v.store), v.ticks)
        }
        EndpointApi::Endpoints => {
            let v = view::<Endpoints>(cluster, None, Some(service));
            (EndpointsStore::Endpoints(v.store), v.ticks)
        }
    }
}

pub fn objects<K: kube::Resource + Clone + 'static>(store: &Store<K>) -> Vec<K>
where
    K::DynamicType: std::hash::Hash + Eq + Clone,
{
    store
        .state()
        .iter()
        .map(|a: &Arc<K>| (**a).clone())
        .collect()
}

/// Why a wait ended without its condition deciding.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    Timeout,
    Cancelled,
}

/// Evaluate `decide` now and again after every event on `ticks` until it returns `Some`,
/// the deadline passes, or `cancel` turns true.
pub async fn until<T>(
    mut ticks: impl Stream<Item = ()> + Unpin,
    deadline: Instant,
    cancel: &mut watch::Receiver<bool>,
    mut decide: impl FnMut() -> Option<T>,
) -> Result<T, Stop> {
    if *cancel.borrow() {
        return Err(Stop::Cancelled);
    }
    // Views carried over from an earlier wait may already hold the answer.
    if let Some(v) = decide() {
        return Ok(v);
    }
    loop {
        tokio::select! {
            biased;
            _ = cancelled(cancel) => return Err(Stop::Cancelled),
            _ = tokio::time::sleep_until(deadline) => return Err(Stop::Timeout),
            t = ticks.next() => {
                if t.is_none() { return Err(Stop::Timeout) }
                if let Some(v) = decide() { return Ok(v) }
            }
        }
    }
}

/// Resolves when `cancel` turns true; never, if its sender is gone without cancelling.
pub async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    if cancel.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}
