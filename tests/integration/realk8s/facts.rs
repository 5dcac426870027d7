//! What a real kube-apiserver and controller-manager do that msv relies on, checked with
//! kubectl 1.32 and kube-rs: a Deployment completing on the simulated node, the kubelet's
//! failure reasons as clients see them, the endpoints controller's lag after a selector
//! patch, 422 on a Deployment selector change, and the proxy refusing loopback pod IPs.

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};

use super::{RealCluster, real_cluster};
use crate::fake_api::Behavior;

/// Polls `f` until it returns `Some`, failing the test with `what` after `secs`.
#[track_caller]
fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn apply(c: &RealCluster, ns: &str, manifest: &Value) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(manifest).unwrap()).unwrap();
    c.kubectl(&["-n", ns, "apply", "-f", file.path().to_str().unwrap()]);
}

fn deployment(name: &str, image: &str, replicas: i64, labels: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image,
                "ports": [{"containerPort": 8080, "name": "http"}]}]}}}})
}

fn service(name: &str, selector: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
        "spec": {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}})
}

fn get_json(c: &RealCluster, ns: &str, what: &[&str]) -> Value {
    let mut args = vec!["-n", ns, "get"];
    args.extend_from_slice(what);
    args.extend_from_slice(&["-o", "json"]);
    serde_json::from_str(&c.kubectl(&args)).unwrap()
}

/// Sorted IPs of the ready pods matching `selector`.
fn ready_pod_ips(c: &RealCluster, ns: &str, selector: &str) -> Vec<String> {
    let pods = get_json(c, ns, &["pods", "-l", selector]);
    let mut ips: Vec<String> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
        })
        .filter_map(|p| p["status"]["podIP"].as_str().map(String::from))
        .collect();
    ips.sort();
    ips
}

/// Sorted ready addresses in the Endpoints object `name`.
fn endpoint_ips(c: &RealCluster, ns: &str, name: &str) -> Vec<String> {
    let ep = get_json(c, ns, &["endpoints", name]);
    let mut ips: Vec<String> = ep["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["addresses"].as_array().into_iter().flatten())
        .filter_map(|a| a["ip"].as_str().map(String::from))
        .collect();
    ips.sort();
    ips
}

fn rollout(c: &RealCluster, ns: &str, name: &str) {
    c.kubectl(&[
        "-n",
        ns,
        "rollout",
        "status",
        &format!("deployment/{name}"),
        "--timeout=120s",
    ]);
}

#[test]
fn kubectl_sees_the_real_server_and_the_simulated_node() {
    let Some(c) = real_cluster("kubectl_sees_the_real_server_and_the_simulated_node") else {
        return;
    };
    let v: Value = serde_json::from_str(&c.kubectl(&["version", "-o", "json"])).unwrap();
    assert_eq!(v["serverVersion"]["gitVersion"], "v1.20.2", "{v}");
    assert!(
        v["clientVersion"]["minor"]
            .as_str()
            .unwrap()
            .starts_with("32"),
        "{v}"
    );
    let nodes = c.kubectl(&["get", "nodes", "--no-headers"]);
    assert!(
        nodes.contains(super::node::NODE_NAME) && nodes.contains(" Ready "),
        "{nodes}"
    );
    // 1.20 serves EndpointSlices only as v1beta1: msv reads v1 Endpoints there, which the
    // fake's `without_endpoint_slices` mode stands in for.
    let served = c.kubectl(&["api-versions"]);
    assert!(
        served.lines().any(|l| l == "discovery.k8s.io/v1beta1"),
        "{served}"
    );
    assert!(
        !served.lines().any(|l| l == "discovery.k8s.io/v1"),
        "{served}"
    );
    let out = c.kubectl_raw(&["get", "--raw", "/apis/discovery.k8s.io/v1"]);
    assert!(
        !out.status.success(),
        "discovery.k8s.io/v1 answered on 1.20"
    );
}

#[test]
fn a_deployment_completes_on_the_simulated_node() {
    let Some(c) = real_cluster("a_deployment_completes_on_the_simulated_node") else {
        return;
    };
    let ns = c.namespace("first");
    c.node
        .set_image_behavior("first:1", Behavior::ReadyAfter(Duration::from_millis(500)));
    apply(
        c,
        &ns,
        &deployment("web", "first:1", 3, json!({"app": "web"})),
    );
    rollout(c, &ns, "web");
    let d = get_json(c, &ns, &["deployment", "web"]);
    assert_eq!(d["status"]["readyReplicas"], 3, "{d}");
    assert_eq!(d["status"]["updatedReplicas"], 3, "{d}");
    let ips = ready_pod_ips(c, &ns, "app=web");
    assert_eq!(ips.len(), 3, "{ips:?}");
    assert!(ips.iter().all(|ip| ip.starts_with("10.244.")), "{ips:?}");
    let pods = get_json(c, &ns, &["pods", "-l", "app=web"]);
    for p in pods["items"].as_array().unwrap() {
        assert_eq!(p["spec"]["nodeName"], super::node::NODE_NAME);
        assert_eq!(p["status"]["phase"], "Running");
    }
    // Scaling down deletes pods for real: the simulated kubelet finishes their deletion.
    c.kubectl(&["-n", &ns, "scale", "deployment/web", "--replicas=1"]);
    wait_for("scale down to one pod", 60, || {
        let n = get_json(c, &ns, &["pods", "-l", "app=web"])["items"]
            .as_array()
            .unwrap()
            .len();
        (n == 1).then_some(())
    });
}

#[test]
fn kubelet_failure_reasons_reach_clients() {
    let Some(c) = real_cluster("kubelet_failure_reasons_reach_clients") else {
        return;
    };
    let ns = c.namespace("failing");
    c.node.set_image_behavior("crash:1", Behavior::CrashLoop);
    c.node
        .set_image_behavior("pull:1", Behavior::ImagePullFailure);
    c.node.set_image_behavior("never:1", Behavior::NeverReady);
    apply(
        c,
        &ns,
        &deployment("crash", "crash:1", 1, json!({"app": "crash"})),
    );
    apply(
        c,
        &ns,
        &deployment("pull", "pull:1", 1, json!({"app": "pull"})),
    );
    apply(
        c,
        &ns,
        &deployment("never", "never:1", 1, json!({"app": "never"})),
    );
    wait_for("a crash-looping pod with restarts", 60, || {
        let out = c.kubectl(&["-n", &ns, "get", "pods", "-l", "app=crash", "--no-headers"]);
        let cols: Vec<&str> = out.split_whitespace().collect();
        (cols.get(2) == Some(&"CrashLoopBackOff")
            && cols
                .get(3)
                .is_some_and(|r| r.parse::<u32>().unwrap_or(0) >= 2))
        .then_some(())
    });
    wait_for("a pod failing to pull", 60, || {
        let out = c.kubectl(&["-n", &ns, "get", "pods", "-l", "app=pull", "--no-headers"]);
        (out.contains("ErrImagePull") || out.contains("ImagePullBackOff")).then_some(())
    });
    let out = c.kubectl_raw(&[
        "-n",
        &ns,
        "rollout",
        "status",
        "deployment/never",
        "--timeout=3s",
    ]);
    assert!(
        !out.status.success(),
        "a never-ready pod must not complete the rollout"
    );
    let d = get_json(c, &ns, &["deployment", "never"]);
    assert_eq!(d["status"]["unavailableReplicas"], 1, "{d}");
}

#[test]
fn endpoints_follow_a_selector_patch_only_after_a_lag() {
    let Some(c) = real_cluster("endpoints_follow_a_selector_patch_only_after_a_lag") else {
        return;
    };
    let ns = c.namespace("switch");
    for color in ["blue", "green"] {
        let labels = json!({"app": "shop", "color": color});
        apply(
            c,
            &ns,
            &deployment(&format!("shop-{color}"), "shop:1", 2, labels),
        );
    }
    apply(
        c,
        &ns,
        &service("shop", json!({"app": "shop", "color": "blue"})),
    );
    rollout(c, &ns, "shop-blue");
    rollout(c, &ns, "shop-green");
    let blue = ready_pod_ips(c, &ns, "color=blue");
    let green = ready_pod_ips(c, &ns, "color=green");
    wait_for("endpoints listing blue", 30, || {
        (endpoint_ips(c, &ns, "shop") == blue).then_some(())
    });

    let patched = Instant::now();
    c.kubectl(&[
        "-n",
        &ns,
        "patch",
        "service",
        "shop",
        "-p",
        r#"{"spec":{"selector":{"color":"green"}}}"#,
    ]);
    let right_after = endpoint_ips(c, &ns, "shop");
    let mut seen = vec![right_after.clone()];
    wait_for("endpoints listing exactly green", 30, || {
        let now = endpoint_ips(c, &ns, "shop");
        let done = now == green;
        seen.push(now);
        done.then_some(())
    });
    eprintln!(
        "endpoints: {} right after the patch, exactly green after {:?}",
        if right_after == blue {
            "still blue"
        } else {
            "already changed"
        },
        patched.elapsed()
    );
    // The controller replaces the set in one write: never a mix of colors.
    for s in &seen {
        assert!(
            *s == blue || *s == green || s.is_empty(),
            "mixed endpoints {s:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_selector_change_is_rejected_with_422() {
    let Some(c) = real_cluster("a_deployment_selector_change_is_rejected_with_422") else {
        return;
    };
    let ns = c.namespace("immutable");
    apply(
        c,
        &ns,
        &deployment(
            "shop-blue",
            "shop:1",
            1,
            json!({"app": "shop", "color": "blue"}),
        ),
    );
    let api: Api<Deployment> = Api::namespaced(c.client().await, &ns);
    let patch = json!({"spec": {"selector": {"matchLabels": {"app": "shop", "color": "green"}},
        "template": {"metadata": {"labels": {"app": "shop", "color": "green"}}}}});
    let err = api
        .patch("shop-blue", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect_err("a selector change must be refused");
    let kube::Error::Api(status) = err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(status.code, 422, "{status:?}");
    assert_eq!(status.reason, "Invalid", "{status:?}");
    assert!(status.message.contains("field is immutable"), "{status:?}");
    let causes = status
        .details
        .as_ref()
        .map(|d| d.causes.clone())
        .unwrap_or_default();
    assert!(
        causes.iter().any(|c| c.field == "spec.selector"),
        "{status:?}"
    );
}

#[test]
fn the_proxy_refuses_loopback_pod_addresses() {
    let Some(c) = real_cluster("the_proxy_refuses_loopback_pod_addresses") else {
        return;
    };
    let ns = c.namespace("loopback");
    c.node.set_image_ip("loop:1", "127.0.0.1");
    apply(
        c,
        &ns,
        &deployment("loop", "loop:1", 1, json!({"app": "loop"})),
    );
    apply(c, &ns, &service("loop", json!({"app": "loop"})));
    rollout(c, &ns, "loop");
    assert_eq!(ready_pod_ips(c, &ns, "app=loop"), ["127.0.0.1"]);
    let pod = c.kubectl(&[
        "-n",
        &ns,
        "get",
        "pods",
        "-l",
        "app=loop",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    let path = format!("/api/v1/namespaces/{ns}/pods/{pod}:8080/proxy/healthz");
    let out = c.kubectl_raw(&["get", "--raw", &path]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{path} must be refused");
    assert!(err.contains("address not allowed"), "{path}: {err}");

    // Endpoints validation refuses loopback addresses too, so the Service never gets one:
    // its proxy has nothing to reach.
    std::thread::sleep(Duration::from_secs(2));
    let ep = c.kubectl_raw(&["-n", &ns, "get", "endpoints", "loop", "-o", "json"]);
    if ep.status.success() {
        let ep: Value = serde_json::from_slice(&ep.stdout).unwrap();
        assert!(!ep.to_string().contains("127.0.0.1"), "{ep}");
    }
    let bad = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "loop-by-hand"},
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "http", "port": 8080}]}]});
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bad.to_string()).unwrap();
    let out = c.kubectl_raw(&["-n", &ns, "create", "-f", file.path().to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "loopback Endpoints must be invalid");
    assert!(err.contains("may not be in the loopback range"), "{err}");
    let path = format!("/api/v1/namespaces/{ns}/services/loop:http/proxy/healthz");
    let out = c.kubectl_raw(&["get", "--raw", &path]);
    assert!(!out.status.success(), "{path} must fail");
    eprintln!(
        "service proxy to a loopback pod: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_endpoints_are_refused_as_the_fake_refuses_them() {
    let Some(c) = real_cluster("loopback_endpoints_are_refused_as_the_fake_refuses_them") else {
        return;
    };
    let ns = c.namespace("endpoints");
    let real =
        crate::fake_api::fidelity_kube::create_loopback_endpoints(c.client().await, &ns).await;
    let fake_cluster = crate::fake_api::FakeCluster::start();
    let client = crate::fake_api::fidelity_kube::client(&fake_cluster).await;
    let fake = crate::fake_api::fidelity_kube::create_loopback_endpoints(client, "default").await;
    let fields = |s: &kube::core::Status| {
        let causes = s
            .details
            .as_ref()
            .map(|d| d.causes.clone())
            .unwrap_or_default();
        let causes: Vec<(String, String, String)> = causes
            .into_iter()
            .map(|c| (c.reason, c.field, c.message))
            .collect();
        (s.code, s.reason.clone(), s.message.clone(), causes)
    };
    assert_eq!(fields(&fake), fields(&real), "fake vs real");
}

/// Under a ResourceQuota on pods that fits one Deployment but not two: the second one's
/// ReplicaSet gets ReplicaFailure/FailedCreate with the admission's message naming the
/// quota, a Warning event says the same, the Deployment copies the condition, and both go
/// once there is room. The fake gives the same (fake_api/fidelity_quota.rs).
#[test]
fn a_pods_quota_shows_as_replica_failure() {
    use crate::fake_api::fidelity_quota::{assert_exceeded, condition};
    let Some(c) = real_cluster("a_pods_quota_shows_as_replica_failure") else {
        return;
    };
    let ns = c.namespace("quota");
    c.node
        .set_image_behavior("quota:1", Behavior::ReadyAfter(Duration::from_millis(300)));
    apply(
        c,
        &ns,
        &json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "pods"},
            "spec": {"hard": {"pods": "3"}}}),
    );
    // Admission refuses every pod until the quota controller has written the status.
    wait_for("the quota's status", 60, || {
        let q = get_json(c, &ns, &["resourcequota", "pods"]);
        (q["status"]["hard"]["pods"] == "3").then_some(())
    });
    apply(
        c,
        &ns,
        &deployment("blue", "quota:1", 2, json!({"app": "web", "color": "blue"})),
    );
    rollout(c, &ns, "blue");
    apply(
        c,
        &ns,
        &deployment(
            "green",
            "quota:1",
            2,
            json!({"app": "web", "color": "green"}),
        ),
    );
    let failure = wait_for("green's ReplicaFailure", 60, || {
        condition(
            &get_json(c, &ns, &["deployment", "green"]),
            "ReplicaFailure",
        )
    });
    eprintln!("the Deployment's condition: {failure:#}");
    assert_eq!(
        (&failure["status"], &failure["reason"]),
        (&json!("True"), &json!("FailedCreate"))
    );
    let message = failure["message"].as_str().unwrap().to_string();
    assert_exceeded(&message, "green-", "pods", 3);
    assert_eq!(failure["lastUpdateTime"], failure["lastTransitionTime"]);
    let rs = get_json(c, &ns, &["replicasets", "-l", "color=green"])["items"][0].clone();
    let rs_failure = condition(&rs, "ReplicaFailure").unwrap();
    eprintln!("the ReplicaSet's condition: {rs_failure:#}");
    let mut keys: Vec<&String> = rs_failure.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["lastTransitionTime", "message", "reason", "status", "type"]
    );
    // The Deployment copies the ReplicaSet's condition, but the ReplicaSet keeps retrying:
    // by the time it is read, its message may name the next pod it failed to create.
    let rs_message = rs_failure["message"].as_str().unwrap();
    assert_exceeded(rs_message, "green-", "pods", 3);
    let reason = |m: &str| m.split_once(" is forbidden: ").map(|(_, r)| r.to_string());
    assert_eq!(reason(rs_message), reason(&message));
    assert_eq!(rs["status"]["replicas"], 1);
    let events = get_json(
        c,
        &ns,
        &["events", "--field-selector", "reason=FailedCreate"],
    );
    let event = &events["items"][0];
    eprintln!("the event: {event:#}");
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
    assert_eq!(event["source"]["component"], "replicaset-controller");
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
    let q = get_json(c, &ns, &["resourcequota", "pods"]);
    assert_eq!(
        (&q["status"]["hard"], &q["status"]["used"]),
        (&json!({"pods": "3"}), &json!({"pods": "3"}))
    );

    // A client's own create is refused the same way.
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "extra"},
        "spec": {"containers": [{"name": "app", "image": "quota:1"}]}});
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), pod.to_string()).unwrap();
    let out = c.kubectl_raw(&["-n", &ns, "create", "-f", file.path().to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("(Forbidden)") && err.contains("pods \"extra\" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=3, limited: pods=3"),
        "{err}"
    );

    // Room again: green gets its second pod and both conditions go.
    c.kubectl(&["-n", &ns, "scale", "deployment/blue", "--replicas=0"]);
    let start = Instant::now();
    wait_for("green's ReplicaFailure to clear", 180, || {
        let d = get_json(c, &ns, &["deployment", "green"]);
        let rs = get_json(c, &ns, &["replicasets", "-l", "color=green"])["items"][0].clone();
        (condition(&d, "ReplicaFailure").is_none()
            && condition(&rs, "ReplicaFailure").is_none()
            && d["status"]["availableReplicas"] == 2)
            .then_some(())
    });
    eprintln!("cleared {:?} after the scale down", start.elapsed());
}

/// `kubectl patch` is recorded under the field manager `kubectl-patch`, for a strategic
/// and a merge patch alike; the fields it did not touch keep their owner. The fake gives
/// the same (fake_api/fidelity_kubectl.rs).
#[test]
fn kubectl_patch_is_recorded_under_its_field_manager() {
    use crate::fake_api::fidelity_kubectl::selector_owner;
    let Some(c) = real_cluster("kubectl_patch_is_recorded_under_its_field_manager") else {
        return;
    };
    let ns = c.namespace("patch");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        service("web", json!({"app": "web"})).to_string(),
    )
    .unwrap();
    c.kubectl(&["-n", &ns, "create", "-f", file.path().to_str().unwrap()]);
    for (patch_type, color) in [("strategic", "blue"), ("merge", "green")] {
        let body = format!("{{\"spec\":{{\"selector\":{{\"color\":\"{color}\"}}}}}}");
        c.kubectl(&[
            "-n", &ns, "patch", "service", "web", "--type", patch_type, "-p", &body,
        ]);
        let stored = get_json(c, &ns, &["service", "web", "--show-managed-fields"]);
        assert_eq!(stored["spec"]["selector"]["color"], color);
        assert_eq!(
            selector_owner(&stored, "color"),
            ["kubectl-patch/Update"],
            "{stored:#}"
        );
        assert_eq!(
            selector_owner(&stored, "app"),
            ["kubectl-create/Update"],
            "{stored:#}"
        );
    }
}
