//! The control loop: every few milliseconds, under the state lock, the simulated
//! controllers reconcile — deployment (`deployment.rs`), ReplicaSet (creates and deletes
//! pods, here; a refused create sets ReplicaFailure/FailedCreate, records a Warning event
//! and backs off), kubelet (`pods.rs`), endpoints (`endpoints.rs`, `endpoint_slices.rs`), resource quota
//! (`quota.rs`) and the garbage collector (owner references, here); also the Event recorder they share. They write only on change, so a
//! settled cluster is quiet for watchers. A pass that would change nothing is skipped: the
//! controllers react to writes (the store's resourceVersion moved) and to time (a pod not
//! Ready yet, a crash loop, endpoints lagging, a rollout in progress); otherwise a pass
//! runs every `SETTLED_PASS` for settings a test changes outside the API. So a large
//! settled cluster leaves the lock to the requests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::resources::by_plural;
use super::store::{name_of, now};
use super::{Shared, State, deployment, endpoint_slices, endpoints, ops, pods, quota};

const TICK: Duration = Duration::from_millis(20);
/// How often the controllers look even when nothing has changed.
const SETTLED_PASS: Duration = Duration::from_millis(500);

pub(crate) async fn run(sh: Arc<Shared>) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen_rv = None;
    let mut time_pending = true;
    let mut last_pass = Instant::now();
    loop {
        interval.tick().await;
        let mut st = sh.lock();
        let now_i = Instant::now();
        let rv = st.store.current_rv();
        if seen_rv == Some(rv)
            && !time_pending
            && st.pending_endpoints.is_empty()
            && st.pending_slices.is_empty()
            && now_i.duration_since(last_pass) < SETTLED_PASS
        {
            continue;
        }
        // The version before this pass's own writes: they call for one more pass.
        seen_rv = Some(rv);
        last_pass = now_i;
        deployment::reconcile(&mut st, now_i);
        replicasets(&mut st, now_i);
        time_pending = pods::tick(&mut st, now_i);
        endpoints::reconcile(&mut st, now_i);
        endpoint_slices::reconcile(&mut st, now_i);
        quota::reconcile(&mut st);
        garbage_collect(&mut st);
        time_pending |= rollout_in_progress(&st) || !st.create_backoff.is_empty();
    }
}

/// A Deployment the controller has not seen through (complete, or past its deadline): its
/// progress deadline runs on time alone.
fn rollout_in_progress(st: &State) -> bool {
    st.store.iter(by_plural("deployments"), None).any(|d| {
        let done = d["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| {
                c["type"] == "Progressing"
                    && (c["reason"] == "NewReplicaSetAvailable"
                        || c["reason"] == "ProgressDeadlineExceeded")
            });
        !done || d["status"]["observedGeneration"] != d["metadata"]["generation"]
    })
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
    let existing = st
        .store
        .iter(events, Some(&ns))
        .find(|e| {
            e["involvedObject"]["uid"] == uid && e["reason"] == reason && e["message"] == message
        })
        .cloned();
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

/// Whether `o`'s controller owner has `uid`.
pub(crate) fn controlled_by(o: &Value, uid: &Value) -> bool {
    o["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| {
            refs.iter()
                .any(|r| &r["uid"] == uid && r["controller"] == true)
        })
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

/// After this many failed pod creations in a row, a ReplicaSet waits this long between
/// tries (the real controller backs off exponentially too, from 5 ms towards minutes).
const CREATE_BACKOFF_START: Duration = Duration::from_millis(50);
const CREATE_BACKOFF_MAX: Duration = Duration::from_secs(2);

fn replicasets(st: &mut State, now_i: Instant) {
    let (rk, pk) = (by_plural("replicasets"), by_plural("pods"));
    let all = st.store.list(rk, None);
    st.create_backoff.retain(|uid, _| {
        all.iter()
            .any(|rs| rs["metadata"]["uid"].as_str() == Some(uid))
    });
    for rs in all {
        let ns = rs["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let uid = rs["metadata"]["uid"].clone();
        let uid_s = uid.as_str().unwrap_or("").to_string();
        let want = rs["spec"]["replicas"].as_i64().unwrap_or(1);
        let mut mine: Vec<Value> = st
            .store
            .iter(pk, Some(&ns))
            .filter(|p| controlled_by(p, &uid))
            .cloned()
            .collect();
        let mut n = mine.len() as i64;
        // A refused create (quota, admission) stops this pass's creates, as the real
        // controller's batch stops at its first error, and sets ReplicaFailure.
        let mut failed: Option<String> = None;
        let backing_off = n < want
            && st
                .create_backoff
                .get(&uid_s)
                .is_some_and(|(_, at)| now_i < *at);
        while n < want && !backing_off {
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
            match ops::create(st, pk, &ns, pod, "kube-controller-manager", None) {
                Ok(p) => {
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
                Err(e) => {
                    let message = e.body["message"].as_str().unwrap_or("").to_string();
                    record_event(
                        st,
                        &rs,
                        "Warning",
                        "FailedCreate",
                        &format!("Error creating: {message}"),
                        "replicaset-controller",
                    );
                    failed = Some(message);
                    break;
                }
            }
            n += 1;
        }
        if failed.is_some() {
            let tries = st.create_backoff.get(&uid_s).map_or(0, |(t, _)| *t) + 1;
            let wait = CREATE_BACKOFF_START
                .saturating_mul(1 << tries.min(16))
                .min(CREATE_BACKOFF_MAX);
            st.create_backoff
                .insert(uid_s.clone(), (tries, now_i + wait));
        } else if !backing_off {
            st.create_backoff.remove(&uid_s);
        }
        // The first failure's condition stays while creates keep failing; it goes once a
        // pass needs no create that fails.
        let previous = rs["status"]["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == "ReplicaFailure"))
            .cloned();
        let failure = match (failed, backing_off) {
            (Some(message), _) => Some(previous.unwrap_or_else(|| {
                json!({"type": "ReplicaFailure", "status": "True", "lastTransitionTime": now(),
                    "reason": "FailedCreate", "message": message})
            })),
            (None, true) => previous,
            (None, false) => None,
        };
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
        if let Some(c) = failure {
            status["conditions"] = json!([c]);
        }
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
    let orphans: Vec<(&'static str, String, String)> = {
        let all = st.store.all();
        let uids: std::collections::HashSet<&str> = all
            .iter()
            .filter_map(|(_, o)| o["metadata"]["uid"].as_str())
            .collect();
        all.iter()
            .filter(|(_, obj)| {
                obj["metadata"]["ownerReferences"]
                    .as_array()
                    .is_some_and(|refs| {
                        !refs.is_empty()
                            && refs
                                .iter()
                                .all(|r| !uids.contains(r["uid"].as_str().unwrap_or("")))
                    })
            })
            .map(|(res, obj)| {
                let ns = obj["metadata"]["namespace"].as_str().unwrap_or("");
                (*res, ns.to_string(), name_of(obj).to_string())
            })
            .collect()
    };
    for (res, ns, name) in orphans {
        let _ = ops::delete(st, by_plural(res), &ns, &name, None);
    }
}
