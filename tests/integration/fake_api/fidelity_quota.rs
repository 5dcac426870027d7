//! Fidelity of ResourceQuota against what kube-apiserver and kube-controller-manager 1.20
//! do (tests/integration/realk8s/facts.rs shows the same on the real ones): a pod create
//! past `hard.pods` is a 403 naming the quota; a ReplicaSet that can't create its pods
//! gets ReplicaFailure/FailedCreate with that message and a Warning event, its Deployment
//! copies the condition, and both clear once the quota has room again.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use serde_json::{Value, json};

use super::FakeCluster;
use super::fidelity_kube::{api_err, client_with_retry, deployment};

pub(crate) fn condition(obj: &Value, type_: &str) -> Option<Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .cloned()
}

/// `pods "NAME" is forbidden: exceeded quota: QUOTA, requested: pods=1, used: pods=N,
/// limited: pods=N` for a pod whose name starts with `prefix`.
#[track_caller]
pub(crate) fn assert_exceeded(message: &str, prefix: &str, quota: &str, n: u32) {
    let rest = message
        .strip_prefix(&format!("pods \"{prefix}"))
        .unwrap_or_else(|| panic!("{message:?} names no pod {prefix}*"));
    let (_, why) = rest
        .split_once("\" is forbidden: ")
        .unwrap_or_else(|| panic!("{message:?}"));
    assert_eq!(
        why,
        format!("exceeded quota: {quota}, requested: pods=1, used: pods={n}, limited: pods={n}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pods_quota_refuses_pods_and_the_controllers_say_so() {
    let cluster = FakeCluster::start();
    let quota = cluster.create_pod_quota("default", "pods", 3);
    assert_eq!(quota["spec"]["hard"], json!({"pods": "3"}));
    cluster.create(deployment(
        "blue",
        "web:1",
        2,
        json!({"app": "web", "color": "blue"}),
    ));
    cluster.wait_for("2 blue pods", Duration::from_secs(10), |c| {
        (c.list("pods", Some("default")).len() == 2).then_some(())
    });
    cluster.create(deployment(
        "green",
        "web:2",
        2,
        json!({"app": "web", "color": "green"}),
    ));
    let failure = cluster.wait_for("green's ReplicaFailure", Duration::from_secs(10), |c| {
        let d = c.get("deployments", "default", "green")?;
        condition(&d, "ReplicaFailure")
    });
    assert_eq!(
        (&failure["status"], &failure["reason"]),
        (&json!("True"), &json!("FailedCreate"))
    );
    let message = failure["message"].as_str().unwrap().to_string();
    assert_exceeded(&message, "green-", "pods", 3);
    assert_eq!(failure["lastUpdateTime"], failure["lastTransitionTime"]);

    let rs = cluster
        .list("replicasets", Some("default"))
        .into_iter()
        .find(|rs| {
            rs["metadata"]["name"]
                .as_str()
                .unwrap()
                .starts_with("green-")
        })
        .unwrap();
    let rs_failure = condition(&rs, "ReplicaFailure").unwrap();
    let mut keys: Vec<&String> = rs_failure.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["lastTransitionTime", "message", "reason", "status", "type"]
    );
    assert_eq!(rs_failure["message"], message.as_str());
    assert_eq!(rs["status"]["replicas"], 1);
    let event = cluster
        .list("events", Some("default"))
        .into_iter()
        .find(|e| e["reason"] == "FailedCreate")
        .unwrap();
    assert_eq!(
        (
            &event["type"],
            &event["involvedObject"]["kind"],
            &event["involvedObject"]["name"]
        ),
        (
            &json!("Warning"),
            &json!("ReplicaSet"),
            &rs["metadata"]["name"]
        )
    );
    assert_exceeded(
        event["message"]
            .as_str()
            .unwrap()
            .strip_prefix("Error creating: ")
            .unwrap(),
        "green-",
        "pods",
        3,
    );
    assert_eq!(event["source"]["component"], "replicaset-controller");
    let q = cluster.wait_for("the quota's status", Duration::from_secs(5), |c| {
        let q = c.get("resourcequotas", "default", "pods")?;
        (q["status"]["used"]["pods"] == "3").then_some(q)
    });
    assert_eq!(q["status"]["hard"], json!({"pods": "3"}));

    // A client's own create is refused the same way.
    let pods: Api<Pod> = Api::default_namespaced(client_with_retry(&cluster, false).await);
    let pod: Pod = serde_json::from_value(json!({"metadata": {"name": "extra"},
        "spec": {"containers": [{"name": "app", "image": "web:1"}]}}))
    .unwrap();
    let err = api_err(pods.create(&PostParams::default(), &pod).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        err.message,
        "pods \"extra\" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=3, limited: pods=3"
    );

    // Room again: green gets its second pod and both conditions go.
    cluster.patch_as(
        "kubectl-scale",
        "deployments",
        "default",
        "blue",
        json!({"spec": {"replicas": 0}}),
    );
    cluster.wait_for(
        "green's ReplicaFailure to clear",
        Duration::from_secs(10),
        |c| {
            let d = c.get("deployments", "default", "green")?;
            let rs = c
                .list("replicasets", Some("default"))
                .into_iter()
                .find(|rs| {
                    rs["metadata"]["name"]
                        .as_str()
                        .unwrap()
                        .starts_with("green-")
                })?;
            (condition(&d, "ReplicaFailure").is_none()
                && condition(&rs, "ReplicaFailure").is_none()
                && d["status"]["availableReplicas"] == 2)
                .then_some(())
        },
    );
}
