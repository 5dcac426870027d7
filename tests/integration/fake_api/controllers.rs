//! The control loop: every few milliseconds, under the state lock, the simulated
//! controllers reconcile — deployment (ReplicaSet per pod template, status and the
//! Progressing/Available conditions with their real reasons, progress deadline),
//! ReplicaSet (creates and deletes pods), kubelet (`pods.rs`), endpoints (with the test's
//! lag) and the garbage collector (owner references). They write only on change, so a
//! settled cluster is quiet for watchers.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::resources::by_plural;
use super::store::{name_of, now};
use super::{Shared, State, ops, pods, selectors};

const TICK: Duration = Duration::from_millis(20);

pub(crate) async fn run(sh: Arc<Shared>) {
    let mut interval = tokio::time::interval(TICK);
    loop {
        interval.tick().await;
        let mut st = sh.lock();
        let now_i = Instant::now();
        deployments(&mut st, now_i);
        replicasets(&mut st);
        pods::tick(&mut st, now_i);
        endpoints(&mut st, now_i);
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

fn owned_by<'a>(items: &'a [Value], uid: &Value) -> Vec<&'a Value> {
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

fn owner_ref(obj: &Value) -> Value {
    json!([{"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": name_of(obj), "uid": obj["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true}])
}

/// The template as the deployment controller hashes it (without its own label).
fn template_sans_hash(t: &Value) -> Value {
    let mut t = t.clone();
    if let Some(l) = t["metadata"]["labels"].as_object_mut() {
        l.remove("pod-template-hash");
    }
    t
}

fn template_hash(t: &Value) -> String {
    // FNV-1a over the canonical JSON, spelled in the controller's "safe" alphabet.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in t.to_string().bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    let alphabet = b"bcdfghjklmnpqrstvwxz2456789";
    (0..10)
        .map(|i| alphabet[((h >> (i * 6)) % alphabet.len() as u64) as usize] as char)
        .collect()
}

fn pct_or_int(v: &Value, total: i64, round_up: bool) -> i64 {
    match v {
        Value::String(s) if s.ends_with('%') => {
            let p: i64 = s.trim_end_matches('%').parse().unwrap_or(25);
            if round_up {
                (total * p + 99) / 100
            } else {
                total * p / 100
            }
        }
        Value::Number(n) => n.as_i64().unwrap_or(0),
        _ => {
            if round_up {
                (total * 25 + 99) / 100
            } else {
                total * 25 / 100
            }
        }
    }
}

fn cond(t: &str, status: bool, reason: &str, message: String, old: &Value, now: &str) -> Value {
    let prev = old["status"]["conditions"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["type"] == t))
        .cloned();
    let s = if status { "True" } else { "False" };
    let transition = prev
        .as_ref()
        .filter(|p| p["status"] == s)
        .map(|p| p["lastTransitionTime"].clone())
        .unwrap_or(json!(now));
    let update = prev
        .as_ref()
        .filter(|p| p["status"] == s && p["reason"] == reason && p["message"] == message.as_str())
        .map(|p| p["lastUpdateTime"].clone())
        .unwrap_or(json!(now));
    json!({"type": t, "status": s, "lastUpdateTime": update, "lastTransitionTime": transition, "reason": reason, "message": message})
}

fn deployments(st: &mut State, now_i: Instant) {
    let (dk, rk, pk) = (
        by_plural("deployments"),
        by_plural("replicasets"),
        by_plural("pods"),
    );
    for d in st.store.list(dk, None) {
        let ns = d["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let name = name_of(&d).to_string();
        let uid = d["metadata"]["uid"].clone();
        let desired = d["spec"]["replicas"].as_i64().unwrap_or(1);
        let template = &d["spec"]["template"];
        let all_rs = st.store.list(rk, Some(&ns));
        let mine: Vec<Value> = owned_by(&all_rs, &uid).into_iter().cloned().collect();
        let new_rs = mine
            .iter()
            .find(|rs| template_sans_hash(&rs["spec"]["template"]) == template_sans_hash(template))
            .cloned();
        let max_rev = mine
            .iter()
            .filter_map(|rs| {
                rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                    .as_str()?
                    .parse::<i64>()
                    .ok()
            })
            .max()
            .unwrap_or(0);
        let recreate = d["spec"]["strategy"]["type"] == "Recreate";
        let old_pods: i64 = mine
            .iter()
            .filter(|rs| Some(*rs) != new_rs.as_ref())
            .map(|rs| {
                rs["status"]["replicas"].as_i64().unwrap_or(0)
                    + rs["spec"]["replicas"].as_i64().unwrap_or(0)
            })
            .sum();
        let mut created_now = None;
        let new_rs = match new_rs {
            Some(rs) => {
                let target = if recreate && old_pods > 0 { 0 } else { desired };
                let cur = rs["spec"]["replicas"].as_i64().unwrap_or(0);
                if cur != target {
                    let mut up = rs.clone();
                    up["spec"]["replicas"] = json!(target);
                    up["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] =
                        json!(desired.to_string());
                    let up = st.store.update(rk, &ns, up);
                    let verb = if target > cur { "up" } else { "down" };
                    record_event(
                        st,
                        &d,
                        "Normal",
                        "ScalingReplicaSet",
                        &format!(
                            "Scaled {verb} replica set {} from {cur} to {target}",
                            name_of(&up)
                        ),
                        "deployment-controller",
                    );
                    up
                } else {
                    rs
                }
            }
            None => {
                let hash = template_hash(&template_sans_hash(template));
                let mut t = template.clone();
                t["metadata"]["labels"]["pod-template-hash"] = json!(hash);
                let mut sel = d["spec"]["selector"].clone();
                sel["matchLabels"]["pod-template-hash"] = json!(hash);
                let mut labels = t["metadata"]["labels"].clone();
                labels["pod-template-hash"] = json!(hash);
                let target = if recreate && old_pods > 0 { 0 } else { desired };
                let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {"name": format!("{name}-{hash}"), "namespace": ns, "labels": labels, "ownerReferences": owner_ref(&d),
                        "annotations": {"deployment.kubernetes.io/revision": (max_rev + 1).to_string(), "deployment.kubernetes.io/desired-replicas": desired.to_string(),
                            "deployment.kubernetes.io/max-replicas": (desired + pct_or_int(&d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], desired, true)).to_string()}},
                    "spec": {"replicas": target, "minReadySeconds": d["spec"]["minReadySeconds"].as_i64().unwrap_or(0), "selector": sel, "template": t}});
                match ops::create(st, rk, &ns, rs, "kube-controller-manager", None) {
                    Ok(rs) => {
                        record_event(
                            st,
                            &d,
                            "Normal",
                            "ScalingReplicaSet",
                            &format!("Scaled up replica set {} from 0 to {target}", name_of(&rs)),
                            "deployment-controller",
                        );
                        created_now = Some(name_of(&rs).to_string());
                        rs
                    }
                    Err(_) => continue,
                }
            }
        };
        let new_name = name_of(&new_rs).to_string();
        let new_available = new_rs["status"]["availableReplicas"].as_i64().unwrap_or(0);
        // Old ReplicaSets go to zero once the new one is fully available (Recreate: at once).
        for rs in mine.iter().filter(|rs| name_of(rs) != new_name) {
            let cur = rs["spec"]["replicas"].as_i64().unwrap_or(0);
            if cur > 0 && (recreate || new_available >= desired) {
                let mut down = rs.clone();
                down["spec"]["replicas"] = json!(0);
                st.store.update(rk, &ns, down);
                record_event(
                    st,
                    &d,
                    "Normal",
                    "ScalingReplicaSet",
                    &format!("Scaled down replica set {} from {cur} to 0", name_of(rs)),
                    "deployment-controller",
                );
            }
        }
        let all: Vec<Value> = owned_by(&st.store.list(rk, Some(&ns)), &uid)
            .into_iter()
            .cloned()
            .collect();
        let sum = |f: &str| {
            all.iter()
                .map(|rs| rs["status"][f].as_i64().unwrap_or(0))
                .sum::<i64>()
        };
        let new_now = all
            .iter()
            .find(|rs| name_of(rs) == new_name)
            .cloned()
            .unwrap_or(new_rs);
        let (total, ready, available) = (
            sum("replicas"),
            sum("readyReplicas"),
            sum("availableReplicas"),
        );
        let updated = new_now["status"]["replicas"].as_i64().unwrap_or(0);
        let _ = pk;
        let spec_total: i64 = all
            .iter()
            .map(|rs| rs["spec"]["replicas"].as_i64().unwrap_or(0))
            .sum();
        let unavailable = (spec_total - available).max(0);
        let max_unavailable = pct_or_int(
            &d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
            desired,
            false,
        );
        let complete = updated == desired
            && total == desired
            && available == desired
            && new_now["status"]["availableReplicas"].as_i64().unwrap_or(0) == desired;

        let uid_s = uid.as_str().unwrap_or("").to_string();
        let signature = format!("{new_name}/{updated}/{ready}/{available}/{total}");
        let progressed = match st.progress.get(&uid_s) {
            Some((sig, _)) if *sig == signature => false,
            _ => {
                st.progress.insert(uid_s.clone(), (signature, now_i));
                true
            }
        };
        let last_progress = st.progress[&uid_s].1;
        let deadline = st.sim.progress_deadline.unwrap_or(Duration::from_secs(
            d["spec"]["progressDeadlineSeconds"].as_u64().unwrap_or(600),
        ));
        let ts = now();
        let progressing = if complete {
            cond(
                "Progressing",
                true,
                "NewReplicaSetAvailable",
                format!("ReplicaSet \"{new_name}\" has successfully progressed."),
                &d,
                &ts,
            )
        } else if !progressed && now_i.duration_since(last_progress) > deadline {
            cond(
                "Progressing",
                false,
                "ProgressDeadlineExceeded",
                format!("ReplicaSet \"{new_name}\" has timed out progressing."),
                &d,
                &ts,
            )
        } else if created_now.is_some() {
            cond(
                "Progressing",
                true,
                "NewReplicaSetCreated",
                format!("Created new replica set \"{new_name}\""),
                &d,
                &ts,
            )
        } else {
            let prev = d["status"]["conditions"]
                .as_array()
                .and_then(|a| a.iter().find(|c| c["type"] == "Progressing"))
                .cloned();
            // Unchanged progress keeps the condition as it is (only a change is progress).
            match prev {
                Some(p)
                    if !progressed
                        && p["reason"] != "NewReplicaSetAvailable"
                        && p["message"].as_str().is_some_and(|m| m.contains(&new_name)) =>
                {
                    p
                }
                _ => cond(
                    "Progressing",
                    true,
                    "ReplicaSetUpdated",
                    format!("ReplicaSet \"{new_name}\" is progressing."),
                    &d,
                    &ts,
                ),
            }
        };
        let available_cond = if available >= desired - max_unavailable {
            cond(
                "Available",
                true,
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.".into(),
                &d,
                &ts,
            )
        } else {
            cond(
                "Available",
                false,
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.".into(),
                &d,
                &ts,
            )
        };
        let mut status = json!({"observedGeneration": d["metadata"]["generation"], "conditions": [available_cond, progressing]});
        for (k, v) in [
            ("replicas", total),
            ("updatedReplicas", updated),
            ("readyReplicas", ready),
            ("availableReplicas", available),
            ("unavailableReplicas", unavailable),
        ] {
            if v != 0 {
                status[k] = json!(v);
            }
        }
        if status != d["status"] {
            let mut new = d.clone();
            new["status"] = status;
            let _ = ops::update(
                st,
                dk,
                &ns,
                &name,
                new,
                "kube-controller-manager",
                Some("status"),
            );
        }
    }
}

fn is_ready(p: &Value) -> bool {
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
        if let Some(cur) = current {
            if cur["status"] != status {
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
}

/// The subsets a Service's Endpoints should have now.
fn desired_subsets(st: &State, svc: &Value) -> Option<Value> {
    let reqs = selectors::from_map(&svc["spec"]["selector"])?;
    let ns = svc["metadata"]["namespace"].as_str().unwrap_or("");
    let pods: Vec<Value> = st
        .store
        .list(by_plural("pods"), Some(ns))
        .into_iter()
        .filter(|p| {
            selectors::matches(&reqs, &p["metadata"]["labels"]) && p["status"]["podIP"].is_string()
        })
        .collect();
    let addr = |p: &Value| {
        json!({"ip": p["status"]["podIP"], "nodeName": "fake-node",
        "targetRef": {"kind": "Pod", "namespace": ns, "name": name_of(p), "uid": p["metadata"]["uid"]}})
    };
    let mut ready: Vec<Value> = pods.iter().filter(|p| is_ready(p)).map(addr).collect();
    let mut not_ready: Vec<Value> = pods.iter().filter(|p| !is_ready(p)).map(addr).collect();
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

fn endpoints(st: &mut State, now_i: Instant) {
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

/// Deletes objects whose controller owner no longer exists (background cascading).
fn garbage_collect(st: &mut State) {
    for (res, obj) in st.store.all() {
        let Some(refs) = obj["metadata"]["ownerReferences"].as_array() else {
            continue;
        };
        if refs.is_empty() {
            continue;
        }
        if refs
            .iter()
            .all(|r| !st.store.uid_exists(r["uid"].as_str().unwrap_or("")))
        {
            let rt = by_plural(res);
            let ns = obj["metadata"]["namespace"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let _ = ops::delete(st, rt, &ns, name_of(&obj), None);
        }
    }
}
