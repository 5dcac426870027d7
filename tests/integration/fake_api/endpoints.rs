//! The simulated endpoints controller: each Service with a selector gets Endpoints listing
//! its selected pods (ready ones as addresses, the others as notReadyAddresses, target
//! ports resolved by name), written a configurable lag after the change — so a selector
//! patch returns before the endpoints follow, as on a real cluster.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};

use super::controllers::is_ready;
use super::resources::by_plural;
use super::store::name_of;
use super::{State, ops, selectors};

/// The subsets a Service's Endpoints should have now.
fn desired_subsets(st: &State, svc: &Value) -> Option<Value> {
    let reqs = selectors::from_map(&svc["spec"]["selector"])?;
    let ns = svc["metadata"]["namespace"].as_str().unwrap_or("");
    let pods: Vec<&Value> = st
        .store
        .iter(by_plural("pods"), Some(ns))
        .filter(|p| {
            selectors::matches(&reqs, &p["metadata"]["labels"]) && p["status"]["podIP"].is_string()
        })
        .collect();
    let addr = |p: &Value| {
        json!({"ip": p["status"]["podIP"], "nodeName": "fake-node",
        "targetRef": {"kind": "Pod", "namespace": ns, "name": name_of(p), "uid": p["metadata"]["uid"]}})
    };
    let mut ready: Vec<Value> = pods
        .iter()
        .filter(|p| is_ready(p))
        .map(|p| addr(p))
        .collect();
    let mut not_ready: Vec<Value> = pods
        .iter()
        .filter(|p| !is_ready(p))
        .map(|p| addr(p))
        .collect();
    ready.sort_by(|a, b| a["ip"].as_str().cmp(&b["ip"].as_str()));
    not_ready.sort_by(|a, b| a["ip"].as_str().cmp(&b["ip"].as_str()));
    if ready.is_empty() && not_ready.is_empty() {
        return Some(json!([]));
    }
    let ports: Vec<Value> = svc["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let target = match &p["targetPort"] {
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
                    .unwrap_or(json!(0)),
                Value::Null => p["port"].clone(),
                n => n.clone(),
            };
            let mut ep =
                json!({"port": target, "protocol": p["protocol"].as_str().unwrap_or("TCP")});
            if let Some(n) = p["name"].as_str() {
                ep["name"] = json!(n);
            }
            ep
        })
        .collect();
    let mut subset = json!({"ports": ports});
    if !ready.is_empty() {
        subset["addresses"] = json!(ready);
    }
    if !not_ready.is_empty() {
        subset["notReadyAddresses"] = json!(not_ready);
    }
    Some(json!([subset]))
}

pub(crate) fn reconcile(st: &mut State, now_i: Instant) {
    let (sk, ek) = (by_plural("services"), by_plural("endpoints"));
    let lag = st.sim.endpoints_lag;
    let services = st.store.list(sk, None);
    for svc in &services {
        let ns = svc["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let name = name_of(svc).to_string();
        let Some(subsets) = desired_subsets(st, svc) else {
            continue;
        };
        let key = (ns.clone(), name.clone());
        let current = st.store.get(ek, &ns, &name).cloned();
        let current_subsets = current
            .as_ref()
            .map(|e| e.get("subsets").cloned().unwrap_or(json!([])));
        if current_subsets.as_ref() == Some(&subsets) {
            st.pending_endpoints.remove(&key);
            continue;
        }
        let due = match st.pending_endpoints.get(&key) {
            Some((_, due)) => *due,
            None => now_i + lag,
        };
        st.pending_endpoints
            .insert(key.clone(), (subsets.clone(), due));
        if now_i < due {
            continue;
        }
        st.pending_endpoints.remove(&key);
        let mut labels = svc["metadata"]["labels"].clone();
        if labels.is_null() {
            labels = json!({});
        }
        match current {
            Some(mut e) => {
                e["subsets"] = subsets;
                e["metadata"]["labels"] = labels;
                st.store.update(ek, &ns, e);
            }
            None => {
                let e = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": ns, "labels": labels}, "subsets": subsets});
                let _ = ops::create(st, ek, &ns, e, "kube-controller-manager", None);
            }
        }
    }
    // Endpoints of a deleted Service go with it.
    let names: BTreeMap<(String, String), ()> = services
        .iter()
        .map(|s| {
            (
                (
                    s["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    name_of(s).to_string(),
                ),
                (),
            )
        })
        .collect();
    for e in st.store.list(ek, None) {
        let key = (
            e["metadata"]["namespace"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            name_of(&e).to_string(),
        );
        if !names.contains_key(&key)
            && e["metadata"]["managedFields"]
                .as_array()
                .is_some_and(|m| m.iter().any(|f| f["manager"] == "kube-controller-manager"))
        {
            st.store.delete(ek, &key.0, &key.1);
        }
    }
}
