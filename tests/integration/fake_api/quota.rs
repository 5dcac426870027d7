//! ResourceQuota: admission of pods against `spec.hard.pods` (also spelled `count/pods`),
//! and the quota controller's `status` (`hard` as in the spec, `used` counted). Creating
//! a pod that would exceed a quota is refused with the 403 the real admission plugin
//! gives: `pods "NAME" is forbidden: exceeded quota: QUOTA, requested: pods=1, used:
//! pods=N, limited: pods=N`. Other resources in `hard` (cpu, memory, object counts) are
//! stored and shown with `used` 0, not enforced. Unlike a real cluster, a new quota takes
//! effect at once (the real admission refuses pods until the controller has written the
//! quota's status).

use serde_json::{Map, Value, json};

use super::State;
use super::resources::by_plural;
use super::status::ApiError;
use super::store::name_of;

const POD_KEYS: [&str; 2] = ["pods", "count/pods"];

/// Pods a quota counts in `ns`: those not finished (phase Succeeded or Failed).
fn pods_in_use(st: &State, ns: &str) -> i64 {
    st.store
        .iter(by_plural("pods"), Some(ns))
        .filter(|p| !matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed")))
        .count() as i64
}

fn count(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// Admission of a new pod named `name` in `ns`: the first quota (by name) it would
/// exceed refuses it.
pub(crate) fn admit_pod(st: &State, ns: &str, name: &str) -> Result<(), ApiError> {
    let used = pods_in_use(st, ns);
    for q in st.store.iter(by_plural("resourcequotas"), Some(ns)) {
        for key in POD_KEYS {
            let Some(limit) = count(&q["spec"]["hard"][key]) else {
                continue;
            };
            if used + 1 > limit {
                return Err(ApiError::forbidden(
                    by_plural("pods"),
                    name,
                    &format!(
                        "exceeded quota: {}, requested: {key}=1, used: {key}={used}, limited: {key}={limit}",
                        name_of(q)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The quota controller: each quota's status shows its hard limits and what is used.
pub(crate) fn reconcile(st: &mut State) {
    let qk = by_plural("resourcequotas");
    for q in st.store.list(qk, None) {
        let ns = q["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let hard = q["spec"]["hard"].clone();
        let mut used = Map::new();
        for key in hard.as_object().into_iter().flat_map(|m| m.keys()) {
            let n = if POD_KEYS.contains(&key.as_str()) {
                pods_in_use(st, &ns)
            } else {
                0
            };
            used.insert(key.clone(), json!(n.to_string()));
        }
        let status = json!({"hard": hard, "used": used});
        if q["status"] != status {
            let mut new = q.clone();
            new["status"] = status;
            let _ = super::ops::update(
                st,
                qk,
                &ns,
                name_of(&q),
                new,
                "kube-controller-manager",
                Some("status"),
            );
        }
    }
}
