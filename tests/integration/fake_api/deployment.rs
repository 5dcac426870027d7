//! The simulated deployment controller: one ReplicaSet per pod template (named with a
//! template hash, revision annotations), the new one scaled to the desired count and the
//! old ones to zero once it is available (Recreate: old first), and the Deployment status
//! as the real controller writes it — replicas, updatedReplicas, readyReplicas,
//! availableReplicas, unavailableReplicas, observedGeneration, and the Available and
//! Progressing conditions with their reasons (NewReplicaSetCreated, ReplicaSetUpdated,
//! NewReplicaSetAvailable, ProgressDeadlineExceeded, MinimumReplicas(Un)Available), and
//! ReplicaFailure copied from its ReplicaSets (e.g. FailedCreate under a quota).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::controllers::{controlled_by, owner_ref, record_event};
use super::resources::by_plural;
use super::store::{name_of, now};
use super::{State, ops};

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

/// The Deployment's ReplicaFailure condition, copied from its ReplicaSets' as the real
/// controller does: the new ReplicaSet's first, else any old one's; an unchanged one (same
/// status and reason) is kept as it is.
fn replica_failure(new_rs: &Value, all: &[Value], d: &Value) -> Option<Value> {
    let failure_of = |rs: &Value| {
        rs["status"]["conditions"]
            .as_array()?
            .iter()
            .find(|c| c["type"] == "ReplicaFailure")
            .cloned()
    };
    let c = failure_of(new_rs).or_else(|| all.iter().find_map(failure_of))?;
    let previous = d["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|p| p["type"] == "ReplicaFailure"));
    if let Some(p) = previous
        && p["status"] == c["status"]
        && p["reason"] == c["reason"]
    {
        return Some(p.clone());
    }
    Some(json!({"type": "ReplicaFailure", "status": c["status"],
        "lastUpdateTime": c["lastTransitionTime"], "lastTransitionTime": c["lastTransitionTime"],
        "reason": c["reason"], "message": c["message"]}))
}

pub(crate) fn reconcile(st: &mut State, now_i: Instant) {
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
        let mine: Vec<Value> = st
            .store
            .iter(rk, Some(&ns))
            .filter(|rs| controlled_by(rs, &uid))
            .cloned()
            .collect();
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
        let all: Vec<Value> = st
            .store
            .iter(rk, Some(&ns))
            .filter(|rs| controlled_by(rs, &uid))
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
        let mut conditions = vec![available_cond, progressing];
        if let Some(c) = replica_failure(&new_now, &all, &d) {
            conditions.push(c);
        }
        let mut status =
            json!({"observedGeneration": d["metadata"]["generation"], "conditions": conditions});
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
