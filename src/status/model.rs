//! The status view model: what `msv status` shows, built as pure functions from the objects
//! read from the cluster (Deployments, Services, EndpointSlices or Endpoints, Pods, Events), the deploy
//! history and the probe results. It decides the live color, the other color's state and
//! whether a service is healthy, degraded or unhealthy. Fetching and printing live elsewhere.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Endpoints, Event, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use crate::deploy::history::{self, Entry};
use crate::deploy::plan::{COLOR_LABEL, Color, NAME_LABEL, image_version, live_color};
use crate::deploy::rollout::pod_ready;
use crate::health::Probe;

/// Everything read from one namespace (or all), grouped later per service.
#[derive(Debug, Default, Clone)]
pub(crate) struct Snapshot {
    pub deployments: Vec<Deployment>,
    pub services: Vec<Service>,
    /// v1 Endpoints, read only from servers without `discovery.k8s.io/v1`.
    pub endpoints: Vec<Endpoints>,
    /// EndpointSlices of every Service, where the server serves them.
    pub endpoint_slices: Vec<EndpointSlice>,
    pub pods: Vec<Pod>,
    pub events: Vec<Event>,
    /// Deploy history per (namespace, service).
    pub history: HashMap<(String, String), Vec<Entry>>,
    /// Health probe through Service S per (namespace, service).
    pub service_probes: HashMap<(String, String), Probe>,
    /// Health probe per (namespace, pod), when pods were probed.
    pub pod_probes: HashMap<(String, String), Probe>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum State {
    Healthy,
    /// Serving, but not at full strength: pods not ready, some pod probes failing.
    Degraded,
    /// Not serving: no live color, no ready pod, or the health probe fails.
    Unhealthy,
}

/// The color that does not receive traffic, when it has pods or wants some.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Other {
    pub color: String,
    pub image: Option<String>,
    pub tag: Option<String>,
    pub ready: i32,
    pub desired: i32,
    /// `deploying` (pods coming up, e.g. a deploy in progress), `scaling-down` (asked for no
    /// pods, some still running), `standby` (ready, kept for an instant rollback) or
    /// `canary` (Service S serves it beside the live color: a canary soak).
    pub state: String,
    /// During a canary soak: its share of S's ready pods, in percent — the share of new
    /// connections kube-proxy gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic_percent: Option<f64>,
}

/// One row of `msv status`; its JSON field names are an interface.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Row {
    pub name: String,
    pub namespace: String,
    pub live_color: Option<String>,
    pub image: Option<String>,
    pub tag: Option<String>,
    pub ready: i32,
    pub desired: i32,
    /// Ready addresses of Service S (joined over its EndpointSlices, or its Endpoints).
    pub endpoints: usize,
    pub restarts: i32,
    /// When the live revision went live (history), else when its Deployment was created.
    pub live_since: Option<String>,
    pub age_seconds: Option<i64>,
    pub health: Option<Probe>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pod_health: Vec<Probe>,
    pub other: Option<Other>,
    pub state: State,
    pub reasons: Vec<String>,
    /// The workspace release the live revision went live in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
}

/// One pod in the detail view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PodRow {
    pub name: String,
    pub color: Option<String>,
    pub live: bool,
    pub phase: String,
    pub ready: bool,
    pub restarts: i32,
    /// Why the container is waiting (CrashLoopBackOff, ImagePullBackOff, ...).
    pub waiting: Option<String>,
    /// Why the container last terminated (Error, OOMKilled, ...).
    pub last_termination: Option<String>,
    pub age_seconds: Option<i64>,
    pub health: Option<Probe>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct EventRow {
    pub time: Option<String>,
    pub object: String,
    pub reason: String,
    pub message: String,
    pub count: i32,
}

/// `msv status SERVICE`: the row plus pods, warnings and history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Detail {
    #[serde(flatten)]
    pub row: Row,
    pub live_revision: Option<u64>,
    pub pods: Vec<PodRow>,
    pub warnings: Vec<EventRow>,
    pub history: Vec<Entry>,
}

fn ns_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.namespace.clone().unwrap_or_default()
}

fn label<'a>(
    meta: &'a k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    key: &str,
) -> Option<&'a str> {
    meta.labels.as_ref()?.get(key).map(String::as_str)
}

/// The msv-managed services in the snapshot, as (namespace, name), sorted.
pub(crate) fn service_keys(snap: &Snapshot) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = snap
        .deployments
        .iter()
        .filter_map(|d| {
            Some((
                ns_of(&d.metadata),
                label(&d.metadata, NAME_LABEL)?.to_string(),
            ))
        })
        .chain(snap.services.iter().filter_map(|s| {
            let name = label(&s.metadata, NAME_LABEL)?;
            (s.metadata.name.as_deref() == Some(name))
                .then(|| (ns_of(&s.metadata), name.to_string()))
        }))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn deployment<'a>(
    snap: &'a Snapshot,
    ns: &str,
    name: &str,
    color: Color,
) -> Option<&'a Deployment> {
    snap.deployments.iter().find(|d| {
        ns_of(&d.metadata) == ns
            && label(&d.metadata, NAME_LABEL) == Some(name)
            && label(&d.metadata, COLOR_LABEL) == Some(color.as_str())
    })
}

fn pods_of<'a>(snap: &'a Snapshot, ns: &str, name: &str) -> impl Iterator<Item = &'a Pod> {
    snap.pods
        .iter()
        .filter(move |p| ns_of(&p.metadata) == ns && label(&p.metadata, NAME_LABEL) == Some(name))
}

fn desired_of(d: &Deployment) -> i32 {
    d.spec.replicas.unwrap_or(1)
}

fn ready_of(d: &Deployment) -> i32 {
    d.status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}

fn restarts_of(p: &Pod) -> i32 {
    p.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| cs.iter().map(|c| c.restart_count).sum())
        .unwrap_or(0)
}

fn ready_endpoints(snap: &Snapshot, ns: &str, name: &str) -> usize {
    use crate::cluster::endpoints::{endpoints_ready, slices_of, slices_ready};
    let slices: Vec<EndpointSlice> = slices_of(&snap.endpoint_slices, ns, name)
        .cloned()
        .collect();
    if !slices.is_empty() {
        // A dual-stack Service has slices of both families; count its primary family.
        let family = snap
            .services
            .iter()
            .find(|s| ns_of(&s.metadata) == ns && s.metadata.name.as_deref() == Some(name))
            .and_then(|s| s.spec.as_ref()?.ip_families.as_ref()?.first().cloned())
            .unwrap_or_else(|| "IPv4".to_string());
        let of_family: Vec<EndpointSlice> = slices
            .into_iter()
            .filter(|s| s.address_type == family)
            .collect();
        return slices_ready(&of_family).len();
    }
    snap.endpoints
        .iter()
        .find(|e| ns_of(&e.metadata) == ns && e.metadata.name.as_deref() == Some(name))
        .map_or(0, |e| endpoints_ready(e).len())
}

/// When the live color went live: the newest history entry that made it live, else the
/// creation of its Deployment.
/// Unknown when the history names the color but not the image it runs (a switch that was
/// not recorded): neither an older entry's time nor the Deployment's creation would be true.
fn live_since(history: &[Entry], live: Color, d: Option<&Deployment>) -> Option<String> {
    let image = d.and_then(crate::deploy::manifests::image_of);
    if let Some(e) = history::live_entry(history, live, image.as_deref()) {
        return Some(e.time.clone());
    }
    if history::live_entry(history, live, None).is_some() {
        return None;
    }
    Some(d?.metadata.creation_timestamp.as_ref()?.0.to_string())
}

/// What the color without traffic is doing: `scaling-down` (asked for no pods, some remain),
/// `deploying` (fewer ready than asked for), or `standby` (ready, kept for a rollback).
pub(crate) fn other_state(ready: i32, desired: i32, has_pods: bool) -> &'static str {
    if desired == 0 && has_pods {
        "scaling-down"
    } else if ready < desired {
        "deploying"
    } else {
        "standby"
    }
}

/// The health verdict of one service. Every reason found is listed, worst first.
pub(crate) fn assess(
    live: Option<Color>,
    ready: i32,
    desired: i32,
    probe: Option<&Probe>,
    pod_probes: &[Probe],
) -> (State, Vec<String>) {
    let mut bad = Vec::new();
    let mut weak = Vec::new();
    match live {
        None => {
            bad.push("no live color: Service selects no msv color (never deployed?)".to_string())
        }
        Some(color) => {
            if desired == 0 {
                bad.push(format!(
                    "{color} is scaled to 0 replicas",
                    color = color.as_str()
                ));
            } else if ready == 0 {
                bad.push(format!("no {} pod is ready (0/{desired})", color.as_str()));
            } else if ready < desired {
                weak.push(format!("{ready}/{desired} {} pods ready", color.as_str()));
            }
        }
    }
    match probe {
        Some(p) if !p.ok() => bad.push(format!("health {}", p.describe())),
        _ => {}
    }
    let failing: Vec<&Probe> = pod_probes.iter().filter(|p| !p.ok()).collect();
    if !failing.is_empty() {
        weak.push(format!(
            "{} of {} pod probes fail ({})",
            failing.len(),
            pod_probes.len(),
            failing
                .iter()
                .map(|p| p.describe())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    let state = if !bad.is_empty() {
        State::Unhealthy
    } else if !weak.is_empty() {
        State::Degraded
    } else {
        State::Healthy
    };
    bad.extend(weak);
    (state, bad)
}

fn seconds_since(time: &str, now: Timestamp) -> Option<i64> {
    let t: Timestamp = time.parse().ok()?;
    Some((now.as_second() - t.as_second()).max(0))
}

/// Builds the row for one service.
pub(crate) fn row(snap: &Snapshot, ns: &str, name: &str, now: Timestamp) -> Row {
    let key = (ns.to_string(), name.to_string());
    let svc = snap
        .services
        .iter()
        .find(|s| ns_of(&s.metadata) == ns && s.metadata.name.as_deref() == Some(name));
    let live = live_color(svc);
    let live_dep = live.and_then(|c| deployment(snap, ns, name, c));
    let image = live_dep.and_then(crate::deploy::manifests::image_of);
    let (ready, desired) = live_dep.map_or((0, 0), |d| (ready_of(d), desired_of(d)));
    let live_ready = ready;
    let restarts = pods_of(snap, ns, name)
        .filter(|p| live.is_some_and(|c| label(&p.metadata, COLOR_LABEL) == Some(c.as_str())))
        .map(restarts_of)
        .sum();
    let history = snap.history.get(&key).map(Vec::as_slice).unwrap_or(&[]);
    let since = live.and_then(|c| live_since(history, c, live_dep));
    let release = live
        .and_then(|c| history::live_entry(history, c, image.as_deref()))
        .and_then(|e| e.release.clone());
    let other = live.map_or(Color::Blue, Color::other);
    let soaking = svc.and_then(crate::deploy::canary::soaking) == Some(other);
    let other = deployment(snap, ns, name, other).and_then(|d| {
        let (ready, desired) = (ready_of(d), desired_of(d));
        let has_pods = pods_of(snap, ns, name)
            .any(|p| label(&p.metadata, COLOR_LABEL) == Some(other.as_str()));
        (desired > 0 || has_pods).then(|| Other {
            color: other.as_str().to_string(),
            tag: crate::deploy::manifests::image_of(d).map(|i| image_version(&i)),
            image: crate::deploy::manifests::image_of(d),
            ready,
            desired,
            state: match soaking {
                true => "canary".to_string(),
                false => other_state(ready, desired, has_pods).to_string(),
            },
            traffic_percent: soaking.then(|| crate::deploy::canary::share(ready, live_ready)),
        })
    });
    let probe = snap.service_probes.get(&key).cloned();
    let mut pod_health: Vec<Probe> = pods_of(snap, ns, name)
        .filter_map(|p| {
            snap.pod_probes
                .get(&(ns.to_string(), p.metadata.name.clone()?))
                .cloned()
        })
        .collect();
    pod_health.sort_by(|a, b| a.target.cmp(&b.target));
    // Only the live color's pods count toward the verdict; the other color is not serving.
    let live_pod_probes: Vec<Probe> = pods_of(snap, ns, name)
        .filter(|p| live.is_some_and(|c| label(&p.metadata, COLOR_LABEL) == Some(c.as_str())))
        .filter_map(|p| {
            snap.pod_probes
                .get(&(ns.to_string(), p.metadata.name.clone()?))
                .cloned()
        })
        .collect();
    let (state, reasons) = assess(live, ready, desired, probe.as_ref(), &live_pod_probes);
    Row {
        name: name.to_string(),
        namespace: ns.to_string(),
        live_color: live.map(|c| c.as_str().to_string()),
        tag: image.as_deref().map(image_version),
        image,
        ready,
        desired,
        endpoints: ready_endpoints(snap, ns, name),
        restarts,
        age_seconds: since.as_deref().and_then(|t| seconds_since(t, now)),
        live_since: since,
        health: probe,
        pod_health,
        other,
        state,
        reasons,
        release,
    }
}

/// Where to probe a service's health: (path, service port, container port), read from the
/// live Deployment's liveness probe and Service S's first port.
pub(crate) fn health_target(snap: &Snapshot, ns: &str, name: &str) -> Option<(String, u16, u16)> {
    let svc = snap
        .services
        .iter()
        .find(|s| ns_of(&s.metadata) == ns && s.metadata.name.as_deref() == Some(name))?;
    let live = live_color(Some(svc))?;
    let container = deployment(snap, ns, name, live)?
        .spec
        .template
        .spec
        .as_ref()?
        .containers
        .first()?
        .clone();
    let path = container
        .liveness_probe
        .as_ref()
        .or(container.readiness_probe.as_ref())
        .and_then(|p| p.http_get.as_ref())
        .and_then(|h| h.path.clone())
        .unwrap_or_else(|| "/healthz".to_string());
    let svc_port = svc.spec.as_ref()?.ports.as_ref()?.first()?.port;
    let pod_port = container
        .ports
        .as_ref()
        .and_then(|p| p.first())
        .map_or(svc_port, |p| p.container_port);
    Some((
        path,
        u16::try_from(svc_port).ok()?,
        u16::try_from(pod_port).ok()?,
    ))
}

/// The detail view for one service.
pub(crate) fn detail(snap: &Snapshot, ns: &str, name: &str, now: Timestamp) -> Detail {
    let row = row(snap, ns, name, now);
    let mut pods: Vec<PodRow> = pods_of(snap, ns, name)
        .map(|p| pod_row(snap, p, row.live_color.as_deref(), now))
        .collect();
    pods.sort_by(|a, b| (!a.live, &a.color, &a.name).cmp(&(!b.live, &b.color, &b.name)));
    let prefix = format!("{name}-");
    let mut warnings: Vec<EventRow> = snap
        .events
        .iter()
        .filter(|e| ns_of(&e.metadata) == ns && e.type_.as_deref() == Some("Warning"))
        .filter(|e| {
            e.involved_object
                .name
                .as_deref()
                .is_some_and(|o| o == name || o.starts_with(&prefix))
        })
        .map(|e| EventRow {
            time: e
                .last_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
                .or_else(|| e.event_time.as_ref().map(|t| t.0.to_string())),
            object: format!(
                "{}/{}",
                e.involved_object
                    .kind
                    .clone()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                e.involved_object.name.clone().unwrap_or_default()
            ),
            reason: e.reason.clone().unwrap_or_default(),
            message: e.message.clone().unwrap_or_default(),
            count: e.count.unwrap_or(1),
        })
        .collect();
    warnings.sort_by(|a, b| b.time.cmp(&a.time));
    warnings.truncate(10);
    let history = snap
        .history
        .get(&(ns.to_string(), name.to_string()))
        .cloned()
        .unwrap_or_default();
    let live_revision = row
        .live_color
        .as_deref()
        .and_then(Color::parse)
        .and_then(|c| history::live_entry(&history, c, row.image.as_deref()))
        .map(|e| e.revision);
    let mut tail = history;
    tail.sort_by_key(|e| e.revision);
    let skip = tail.len().saturating_sub(5);
    tail.drain(..skip);
    Detail {
        row,
        live_revision,
        pods,
        warnings,
        history: tail,
    }
}

fn pod_row(snap: &Snapshot, p: &Pod, live: Option<&str>, now: Timestamp) -> PodRow {
    let name = p.metadata.name.clone().unwrap_or_default();
    let color = label(&p.metadata, COLOR_LABEL).map(str::to_string);
    let statuses = p
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .unwrap_or_default();
    let waiting = statuses
        .iter()
        .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
    let last_termination = statuses.iter().find_map(|c| {
        let t = c.last_state.as_ref()?.terminated.as_ref()?;
        Some(match (&t.reason, t.exit_code) {
            (Some(r), code) => format!("{r} (exit {code})"),
            (None, code) => format!("exit {code}"),
        })
    });
    PodRow {
        live: color.is_some() && color.as_deref() == live,
        color,
        phase: p
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Unknown".into()),
        ready: pod_ready(p),
        restarts: restarts_of(p),
        waiting,
        last_termination,
        age_seconds: p
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| (now.as_second() - t.0.as_second()).max(0)),
        health: snap
            .pod_probes
            .get(&(ns_of(&p.metadata), name.clone()))
            .cloned(),
        name,
    }
}

/// Rows for every service in the snapshot, in (namespace, name) order.
pub(crate) fn rows(snap: &Snapshot, now: Timestamp) -> Vec<Row> {
    service_keys(snap)
        .iter()
        .map(|(ns, name)| row(snap, ns, name, now))
        .collect()
}

/// Counts of services by state, for the summary line.
pub(crate) fn summary(rows: &[Row]) -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    for r in rows {
        let k = match r.state {
            State::Healthy => "healthy",
            State::Degraded => "degraded",
            State::Unhealthy => "unhealthy",
        };
        *out.entry(k).or_insert(0) += 1;
    }
    out
}

/// `3d4h`, `5m`, `42s`: the short ages kubectl prints.
pub(crate) fn short_age(seconds: i64) -> String {
    let (d, h, m, s) = (
        seconds / 86400,
        seconds % 86400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!(
            "{m}m{}",
            if m < 10 && s > 0 {
                format!("{s}s")
            } else {
                String::new()
            }
        ),
        (0, _, _) => format!(
            "{h}h{}",
            if h < 10 && m > 0 {
                format!("{m}m")
            } else {
                String::new()
            }
        ),
        _ => format!(
            "{d}d{}",
            if d < 10 && h > 0 {
                format!("{h}h")
            } else {
                String::new()
            }
        ),
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
