//! The simulated EndpointSlice controller: each Service with a selector gets
//! `discovery.k8s.io/v1` EndpointSlices listing its selected pods with an IP — every pod
//! as one endpoint with `conditions.ready/serving/terminating`, at most
//! [`MAX_PER_SLICE`] endpoints per slice (kube-controller-manager's default
//! `--max-endpoints-per-slice`), so a large Service has several slices — labelled
//! `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by`, owned by the
//! Service. A Service that selects no pod keeps one slice with `endpoints: null`, as the
//! real controller's placeholder. Written the same lag after a change as the Endpoints,
//! each slice by its own write, so a reader can see one slice updated before another.
//!
//! Not modelled: the real controller's packing that keeps endpoints in the slice they were
//! in (here they are sorted by IP and cut into chunks), topology hints, zones, dual stack.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};

use super::controllers::{is_ready, owner_ref};
use super::resources::by_plural;
use super::store::name_of;
use super::{State, ops, selectors};

pub(crate) const MAX_PER_SLICE: usize = 100;
const SERVICE_NAME: &str = "kubernetes.io/service-name";
const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
const CONTROLLER: &str = "endpointslice-controller.k8s.io";

/// The `endpoints` and `ports` of each slice the Service should have now, in order.
fn desired(st: &State, svc: &Value) -> Option<Vec<(Value, Value)>> {
    let reqs = selectors::from_map(&svc["spec"]["selector"])?;
    let ns = svc["metadata"]["namespace"].as_str().unwrap_or("");
    let mut pods: Vec<&Value> = st
        .store
        .iter(by_plural("pods"), Some(ns))
        .filter(|p| {
            selectors::matches(&reqs, &p["metadata"]["labels"]) && p["status"]["podIP"].is_string()
        })
        .collect();
    pods.sort_by(|a, b| {
        a["status"]["podIP"]
            .as_str()
            .cmp(&b["status"]["podIP"].as_str())
    });
    if pods.is_empty() {
        return Some(vec![(Value::Null, Value::Null)]);
    }
    let ports: Vec<Value> = svc["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let port = match &p["targetPort"] {
                Value::String(named) => pods
                    .iter()
                    .flat_map(|pod| {
                        pod["spec"]["containers"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default()
                    })
                    .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
                    .find(|cp| cp["name"] == named.as_str())
                    .map(|cp| cp["containerPort"].clone())
                    .unwrap_or(Value::Null),
                Value::Null => p["port"].clone(),
                n => n.clone(),
            };
            // The controller names every port, "" when the Service's port has no name.
            json!({"name": p["name"].as_str().unwrap_or(""), "port": port,
                "protocol": p["protocol"].as_str().unwrap_or("TCP")})
        })
        .collect();
    let endpoints: Vec<Value> = pods
        .iter()
        .map(|p| {
            let ready = is_ready(p);
            json!({"addresses": [p["status"]["podIP"]],
                "conditions": {"ready": ready, "serving": ready, "terminating": false},
                "nodeName": "fake-node",
                "targetRef": {"kind": "Pod", "namespace": ns, "name": name_of(p), "uid": p["metadata"]["uid"]}})
        })
        .collect();
    Some(
        endpoints
            .chunks(MAX_PER_SLICE)
            .map(|c| (json!(c), json!(ports)))
            .collect(),
    )
}

/// A stable name per Service and position, shaped as `generateName: <service>-` makes it.
fn slice_name(ns: &str, service: &str, i: usize) -> String {
    let seed = format!("{ns}/{service}/{i}")
        .bytes()
        .fold(1469598103934665603u64, |h, b| {
            (h ^ b as u64).wrapping_mul(1099511628211)
        });
    format!("{service}-{}", ops::suffix(seed))
}

/// The controller's slices of a Service now, by name.
fn current(st: &State, ns: &str, service: &str) -> BTreeMap<String, Value> {
    st.store
        .iter(by_plural("endpointslices"), Some(ns))
        .filter(|s| {
            s["metadata"]["labels"][SERVICE_NAME] == service
                && s["metadata"]["labels"][MANAGED_BY] == CONTROLLER
        })
        .map(|s| (name_of(s).to_string(), s.clone()))
        .collect()
}

pub(crate) fn reconcile(st: &mut State, now_i: Instant) {
    if !st.sim.endpoint_slices {
        return;
    }
    let rt = by_plural("endpointslices");
    let lag = st.sim.endpoints_lag;
    let services = st.store.list(by_plural("services"), None);
    for svc in &services {
        let ns = svc["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let name = name_of(svc).to_string();
        let Some(want) = desired(st, svc) else {
            continue;
        };
        let have = current(st, &ns, &name);
        let want: BTreeMap<String, (Value, Value)> = want
            .into_iter()
            .enumerate()
            .map(|(i, w)| (slice_name(&ns, &name, i), w))
            .collect();
        let same = have.len() == want.len()
            && want.iter().all(|(n, (e, p))| {
                have.get(n)
                    .is_some_and(|s| &s["endpoints"] == e && &s["ports"] == p)
            });
        let key = (ns.clone(), name.clone());
        if same {
            st.pending_slices.remove(&key);
            continue;
        }
        let due = *st.pending_slices.entry(key.clone()).or_insert(now_i + lag);
        if now_i < due {
            continue;
        }
        st.pending_slices.remove(&key);
        let mut labels = svc["metadata"]["labels"].clone();
        if !labels.is_object() {
            labels = json!({});
        }
        labels[SERVICE_NAME] = json!(name);
        labels[MANAGED_BY] = json!(CONTROLLER);
        for (slice, (endpoints, ports)) in &want {
            match have.get(slice) {
                Some(s) if &s["endpoints"] == endpoints && &s["ports"] == ports => {}
                Some(s) => {
                    let mut s = s.clone();
                    s["endpoints"] = endpoints.clone();
                    s["ports"] = ports.clone();
                    s["metadata"]["labels"] = labels.clone();
                    st.store.update(rt, &ns, s);
                }
                None => {
                    let s = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                        "metadata": {"name": slice, "generateName": format!("{name}-"), "namespace": ns,
                            "labels": labels, "ownerReferences": owner_ref(svc)},
                        "addressType": "IPv4", "endpoints": endpoints, "ports": ports});
                    let _ = ops::create(st, rt, &ns, s, "kube-controller-manager", None);
                }
            }
        }
        for slice in have.keys().filter(|n| !want.contains_key(*n)) {
            st.store.delete(rt, &ns, slice);
        }
    }
}
