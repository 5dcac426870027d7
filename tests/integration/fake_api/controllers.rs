//! The control loop: every few milliseconds, under the state lock, the simulated
//! controllers reconcile — deployment (`deployment.rs`), ReplicaSet (creates and deletes
//! pods, here), kubelet (`pods.rs`), endpoints (`endpoints.rs`) and the garbage collector
//! (owner references, here); also the Event recorder they share. They write only on change, so a
//! settled cluster is quiet for watchers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::resources::by_plural;
use super::store::{name_of, now};
use super::{Shared, State, deployment, endpoints, ops, pods};

const TICK: Duration = Duration::from_millis(20);

pub(crate) async fn run(sh: Arc<Shared>) {
    let mut interval = tokio::time::interval(TICK);
    loop {
        interval.tick().await;
        let mut st = sh.lock();
        let now_i = Instant::now();
        deployment::reconcile(&mut st, now_i);
        replicasets(&mut st);
        pods::tick(&mut st, now_i);
        endpoints::reconcile(&mut st, now_i);
        garbage_collect(&mut st);
    }
}

/// Records an Event about an object, or bumps the count of the same one.
pub(crate) fn record_event(
    st: &mut State,
    obj: &Value,
    type_: &str,
    reason: &str,
    message: &str,
    component: &str,
) {
    let events = by_plural("events");
    let ns = obj["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    let uid = obj["metadata"]["uid"].clone();
    let existing = st.store.list(events, Some(&ns)).into_iter().find(|e| {
        e["involvedObject"]["uid"] == uid && e["reason"] == reason && e["message"] == message
    });
    let ts = now();
    match existing {
        Some(mut e) => {
            e["count"] = json!(e["count"].as_i64().unwrap_or(1) + 1);
            e["lastTimestamp"] = json!(ts);
            st.store.update(events, &ns, e);
        }
        None => {
            let name = format!(
                "{}.{:x}",
                name_of(obj),
                st.store.current_rv() * 7919 + 0x17f0_0000_0000
            );
            let ev = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": ns},
                "involvedObject": {"kind": obj["kind"], "namespace": ns, "name": name_of(obj), "uid": uid,
                    "apiVersion": obj["apiVersion"], "resourceVersion": obj["metadata"]["resourceVersion"]},
                "reason": reason, "message": message, "source": {"component": component},
                "firstTimestamp": ts, "lastTimestamp": ts, "count": 1, "type": type_,
                "eventTime": null, "reportingComponent": component, "reportingInstance": ""});
            let _ = ops::create(st, events, &ns, ev, component, None);
        }
    }
}

pub(crate) fn owned_by<'a>(items: &'a [Value], uid: &Value) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|o| {
            o["metadata"]["ownerReferences"]
                .as_array()
                .is_some_and(|refs| {
                    refs.iter()
                        .any(|r| &r["uid"] == uid && r["controller"] == true)
                })
        })
        .collect()
}

pub(crate) fn owner_ref(obj: &Value) -> Value {
    json!([{"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": name_of(obj), "uid": obj["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true}])
}

pub(crate) fn is_ready(p: &Value) -> bool {
    p["status"]["conditions"].as_array().is_some_and(|a| {
        a.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

fn replicasets(st: &mut State) {
    let (rk, pk) = (by_plural("replicasets"), by_plural("pods"));
    for rs in st.store.list(rk, None) {
        let ns = rs["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let uid = rs["metadata"]["uid"].clone();
        let want = rs["spec"]["replicas"].as_i64().unwrap_or(1);
        let all = st.store.list(pk, Some(&ns));
        let mut mine: Vec<Value> = owned_by(&all, &uid).into_iter().cloned().collect();
        let mut n = mine.len() as i64;
        while n < want {
            let pod_name = format!(
                "{}-{}",
                name_of(&rs),
                ops::suffix(st.store.current_rv() + n as u64)
            );
            let pod = json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": pod_name, "namespace": ns, "labels": rs["spec"]["template"]["metadata"]["labels"], "ownerReferences": owner_ref(&rs),
                    "annotations": rs["spec"]["template"]["metadata"]["annotations"].clone()},
                "spec": rs["spec"]["template"]["spec"], "status": {"phase": "Pending", "qosClass": "BestEffort"}});
            let mut pod = pod;
            if pod["metadata"]["annotations"].is_null() {
                pod["metadata"]
                    .as_object_mut()
                    .map(|m| m.remove("annotations"));
            }
            if let Ok(p) = ops::create(st, pk, &ns, pod, "kube-controller-manager", None) {
                record_event(
                    st,
                    &rs,
                    "Normal",
                    "SuccessfulCreate",
                    &format!("Created pod: {}", name_of(&p)),
                    "replicaset-controller",
                );
                mine.push(p);
            }
            n += 1;
        }
        if n > want {
            // Not-ready pods go first, then the newest, as the controller ranks them.
            mine.sort_by_key(|p| {
                (
                    is_ready(p),
                    std::cmp::Reverse(
                        p["metadata"]["creationTimestamp"]
                            .as_str()
                            .unwrap_or("")
                            .to_string(),
                    ),
                )
            });
            let extra = (n - want) as usize;
            for p in mine.drain(..extra) {
                let _ = ops::delete(st, pk, &ns, name_of(&p), None);
                record_event(
                    st,
                    &rs,
                    "Normal",
                    "SuccessfulDelete",
                    &format!("Deleted pod: {}", name_of(&p)),
                    "replicaset-controller",
                );
            }
        }
        let ready = mine.iter().filter(|p| is_ready(p)).count() as i64;
        let mut status =
            json!({"replicas": mine.len(), "observedGeneration": rs["metadata"]["generation"]});
        let labelled = mine.len() as i64;
        for (k, v) in [
            ("fullyLabeledReplicas", labelled),
            ("readyReplicas", ready),
            ("availableReplicas", ready),
        ] {
            if v != 0 {
                status[k] = json!(v);
            }
        }
        let current = st.store.get(rk, &ns, name_of(&rs)).cloned();
        if let Some(cur) = current
            && cur["status"] != status
        {
            let mut new = cur.clone();
            new["status"] = status;
            let _ = ops::update(
                st,
                rk,
                &ns,
                name_of(&rs),
                new,
                "kube-controller-manager",
                Some("status"),
            );
        }
    }
}

/// Deletes objects whose controller owner no longer exists (background cascading).
fn garbage_collect(st: &mut State) {
    let all = st.store.all();
    let uids: std::collections::HashSet<&str> = all
        .iter()
        .filter_map(|(_, o)| o["metadata"]["uid"].as_str())
        .collect();
    for (res, obj) in &all {
        let Some(refs) = obj["metadata"]["ownerReferences"].as_array() else {
            continue;
        };
        if refs.is_empty() {
            continue;
        }
        if refs
            .iter()
            .all(|r| !uids.contains(r["uid"].as_str().unwrap_or("")))
        {
            let rt = by_plural(res);
            let ns = obj["metadata"]["namespace"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let _ = ops::delete(st, rt, &ns, name_of(obj), None);
        }
    }
}
