//! Fidelity of the simulation against kube-rs: `await_condition(is_deployment_completed)`
//! through two rollouts and a scale down, pod behaviours with their statuses and events,
//! the progress deadline, the service proxy following a selector switch after the
//! endpoints lag, logs, injected faults, HPA/PDB validation.

use std::time::Duration;

use futures::{AsyncBufReadExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Pod, Service};
use kube::api::{Api, ListParams, LogParams, Patch, PatchParams, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use serde_json::json;

use super::fidelity_kube::{api_err, client, client_with_retry, dep, deployment};
use super::{Behavior, FakeCluster, Fault, ProxyResponse};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_await_condition_sees_the_deployment_complete() {
    let cluster = FakeCluster::start();
    let api: Api<Deployment> = Api::default_namespaced(client(&cluster).await);
    api.create(
        &PostParams::default(),
        &dep(deployment("web", "web:1", 3, json!({"app": "web"}))),
    )
    .await
    .unwrap();
    let done = tokio::time::timeout(
        Duration::from_secs(10),
        await_condition(api.clone(), "web", conditions::is_deployment_completed()),
    )
    .await
    .expect("completes")
    .unwrap()
    .unwrap();
    let status = serde_json::to_value(done.status.unwrap()).unwrap();
    assert_eq!(
        (
            status["replicas"].as_i64(),
            status["updatedReplicas"].as_i64(),
            status["readyReplicas"].as_i64(),
            status["availableReplicas"].as_i64()
        ),
        (Some(3), Some(3), Some(3), Some(3))
    );
    assert_eq!(status["observedGeneration"], 1);
    let available = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Available")
        .unwrap();
    assert_eq!(
        (available["status"].as_str(), available["reason"].as_str()),
        (Some("True"), Some("MinimumReplicasAvailable"))
    );
    let pods: Api<Pod> = Api::default_namespaced(api.clone().into_client());
    assert_eq!(
        pods.list(&ListParams::default().labels("app=web"))
            .await
            .unwrap()
            .items
            .len(),
        3
    );

    // A new image rolls: a second ReplicaSet takes over, the old one goes to zero.
    api.patch("web", &PatchParams::default(), &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:2"}]}}}}))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    tokio::time::timeout(
        Duration::from_secs(10),
        await_condition(api.clone(), "web", |d: Option<&Deployment>| {
            let v = serde_json::to_value(d).unwrap();
            v["status"]["observedGeneration"] == 2
                && v["status"]["updatedReplicas"] == 3
                && v["status"]["replicas"] == 3
                && v["status"]["availableReplicas"] == 3
        }),
    )
    .await
    .expect("second rollout completes")
    .unwrap();
    let rs = cluster.list("replicasets", Some("default"));
    assert_eq!(rs.len(), 2);
    assert!(rs.iter().any(|r| r["spec"]["replicas"] == 0
        && r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"));
    cluster.wait_for("old pods to go", Duration::from_secs(5), |c| {
        (c.list("pods", Some("default")).len() == 3).then_some(())
    });

    // Scaling down removes pods.
    api.patch_scale(
        "web",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"replicas": 1}})),
    )
    .await
    .unwrap();
    cluster.wait_for("scale down", Duration::from_secs(5), |c| {
        (c.list("pods", Some("default")).len() == 1).then_some(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_behaviours_show_up_as_a_kubelet_reports_them() {
    let cluster = FakeCluster::start();
    cluster.set_image_behavior("bad:crash", Behavior::CrashLoop);
    cluster.set_image_behavior("bad:pull", Behavior::ImagePullFailure);
    cluster.set_crash_interval(Duration::from_millis(100));
    cluster.set_progress_deadline(Duration::from_millis(700));
    let client = client(&cluster).await;
    let api: Api<Deployment> = Api::default_namespaced(client.clone());
    api.create(
        &PostParams::default(),
        &dep(deployment("crash", "bad:crash", 1, json!({"app": "crash"}))),
    )
    .await
    .unwrap();
    api.create(
        &PostParams::default(),
        &dep(deployment("pull", "bad:pull", 1, json!({"app": "pull"}))),
    )
    .await
    .unwrap();
    let pods: Api<Pod> = Api::default_namespaced(client.clone());

    let crash = cluster.wait_for("restarts", Duration::from_secs(5), |c| {
        c.list("pods", Some("default")).into_iter().find(|p| {
            p["metadata"]["labels"]["app"] == "crash"
                && p["status"]["containerStatuses"][0]["restartCount"].as_i64() >= Some(2)
        })
    });
    assert_eq!(
        crash["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
        "CrashLoopBackOff"
    );
    assert_eq!(
        crash["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"],
        1
    );
    let pull_reasons: std::collections::BTreeSet<String> = (0..40)
        .filter_map(|_| {
            std::thread::sleep(Duration::from_millis(20));
            cluster
                .list("pods", Some("default"))
                .into_iter()
                .find(|p| p["metadata"]["labels"]["app"] == "pull")
                .and_then(|p| {
                    p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
                        .as_str()
                        .map(String::from)
                })
        })
        .collect();
    assert!(
        pull_reasons.contains("ErrImagePull") && pull_reasons.contains("ImagePullBackOff"),
        "{pull_reasons:?}"
    );
    let pull_pod = pods
        .list(&ListParams::default().labels("app=pull"))
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(
        serde_json::to_value(&pull_pod.status).unwrap()["phase"],
        "Pending"
    );

    let events: Api<Event> = Api::default_namespaced(client.clone());
    let warnings = events
        .list(&ListParams::default().fields("type=Warning"))
        .await
        .unwrap()
        .items;
    assert!(warnings.iter().any(|e| {
        e.reason.as_deref() == Some("BackOff")
            && e.message
                .as_deref()
                .unwrap_or("")
                .starts_with("Back-off restarting failed container app in pod crash-")
    }));
    assert!(warnings.iter().any(|e| {
        e.reason.as_deref() == Some("Failed")
            && e.message
                .as_deref()
                .unwrap_or("")
                .contains("Failed to pull image \"bad:pull\"")
    }));

    let d = cluster.wait_for("the progress deadline", Duration::from_secs(5), |c| {
        c.get("deployments", "default", "crash").filter(|d| {
            d["status"]["conditions"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|c| c["reason"] == "ProgressDeadlineExceeded"))
        })
    });
    let progressing = d["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Progressing")
        .unwrap()
        .clone();
    assert_eq!(progressing["status"], "False");
    assert!(
        progressing["message"]
            .as_str()
            .unwrap()
            .ends_with("has timed out progressing.")
    );
    let available = d["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Available")
        .unwrap()
        .clone();
    assert_eq!(
        (available["status"].as_str(), available["reason"].as_str()),
        (Some("False"), Some("MinimumReplicasUnavailable"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_proxy_follows_the_selector_switch_after_the_endpoints_lag() {
    let cluster = FakeCluster::start();
    cluster.set_endpoints_lag(Duration::from_millis(400));
    cluster.set_backend_for_image("orders:1", |r| {
        ProxyResponse::ok(format!("blue {}", r.path))
    });
    cluster.set_backend_for_image("orders:2", |r| {
        ProxyResponse::ok(format!("green {}", r.path))
    });
    let client = client(&cluster).await;
    let deps: Api<Deployment> = Api::default_namespaced(client.clone());
    deps.create(
        &PostParams::default(),
        &dep(deployment(
            "orders-blue",
            "orders:1",
            2,
            json!({"app": "orders", "color": "blue"}),
        )),
    )
    .await
    .unwrap();
    deps.create(
        &PostParams::default(),
        &dep(deployment(
            "orders-green",
            "orders:2",
            2,
            json!({"app": "orders", "color": "green"}),
        )),
    )
    .await
    .unwrap();
    let svcs: Api<Service> = Api::default_namespaced(client.clone());
    let svc: Service = serde_json::from_value(json!({"metadata": {"name": "orders"}, "spec": {"selector": {"app": "orders", "color": "blue"}, "ports": [{"port": 80, "targetPort": "http"}]}})).unwrap();
    svcs.create(&PostParams::default(), &svc).await.unwrap();
    let get = |path: &str| {
        http::Request::get(format!(
            "/api/v1/namespaces/default/services/orders:80/proxy{path}"
        ))
        .body(Vec::new())
        .unwrap()
    };
    let ep = cluster.wait_for("blue endpoints", Duration::from_secs(5), |c| {
        c.get("endpoints", "default", "orders").filter(|e| {
            e["subsets"][0]["addresses"]
                .as_array()
                .is_some_and(|a| a.len() == 2)
        })
    });
    assert_eq!(
        ep["subsets"][0]["ports"][0]["port"], 8080,
        "named targetPort resolved from the container port"
    );
    assert_eq!(
        client.request_text(get("/healthz")).await.unwrap(),
        "blue /healthz"
    );

    let current = svcs.get("orders").await.unwrap();
    let rv = current.metadata.resource_version.clone().unwrap();
    svcs.patch(
        "orders",
        &PatchParams::default(),
        &Patch::Strategic(
            json!({"metadata": {"resourceVersion": rv}, "spec": {"selector": {"color": "green"}}}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        client.request_text(get("/")).await.unwrap(),
        "blue /",
        "right after the patch the endpoints still list blue"
    );
    let stale = api_err(svcs.patch("orders", &PatchParams::default(), &Patch::Strategic(json!({"metadata": {"resourceVersion": rv}, "spec": {"selector": {"color": "blue"}}}))).await.unwrap_err());
    assert_eq!(
        stale.code, 409,
        "a patch guarded by an old resourceVersion conflicts"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    for _ in 0..4 {
        assert_eq!(client.request_text(get("/")).await.unwrap(), "green /");
    }
    // No ready pods behind a selector: 503 from the proxy.
    svcs.patch(
        "orders",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"selector": {"color": "none"}}})),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let no_retry = client_with_retry(&cluster, false).await;
    let unavailable = api_err(no_retry.request_text(get("/")).await.unwrap_err());
    assert_eq!(unavailable.code, 503);
    assert_eq!(
        unavailable.message,
        "no endpoints available for service \"orders\""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_logs_with_tail_timestamps_and_follow() {
    let cluster = FakeCluster::start();
    cluster.set_logs_for_image("web:1", &["starting", "listening on :8080"]);
    let client = client(&cluster).await;
    let deps: Api<Deployment> = Api::default_namespaced(client.clone());
    deps.create(
        &PostParams::default(),
        &dep(deployment("web", "web:1", 1, json!({"app": "web"}))),
    )
    .await
    .unwrap();
    let pod = cluster.wait_for("a running pod", Duration::from_secs(5), |c| {
        c.list("pods", Some("default"))
            .into_iter()
            .find(|p| p["status"]["phase"] == "Running")
    });
    let name = pod["metadata"]["name"].as_str().unwrap().to_string();
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    assert_eq!(
        pods.logs(&name, &LogParams::default()).await.unwrap(),
        "starting\nlistening on :8080\n"
    );
    assert_eq!(
        pods.logs(
            &name,
            &LogParams {
                tail_lines: Some(1),
                ..Default::default()
            }
        )
        .await
        .unwrap(),
        "listening on :8080\n"
    );
    let stamped = pods
        .logs(
            &name,
            &LogParams {
                timestamps: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let first = stamped.lines().next().unwrap();
    assert!(first.ends_with(" starting") && first.parse::<k8s_openapi::jiff::Timestamp>().is_err());
    assert!(
        first
            .split(' ')
            .next()
            .unwrap()
            .parse::<k8s_openapi::jiff::Timestamp>()
            .is_ok(),
        "{first}"
    );
    let wrong = api_err(
        pods.logs(
            &name,
            &LogParams {
                container: Some("nope".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(wrong.code, 400);

    let mut lines = pods
        .log_stream(
            &name,
            &LogParams {
                follow: true,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .lines();
    assert_eq!(lines.try_next().await.unwrap().as_deref(), Some("starting"));
    assert_eq!(
        lines.try_next().await.unwrap().as_deref(),
        Some("listening on :8080")
    );
    cluster.append_log("default", &name, "GET /orders 200");
    let next = tokio::time::timeout(Duration::from_secs(5), lines.try_next())
        .await
        .expect("followed line")
        .unwrap();
    assert_eq!(next.as_deref(), Some("GET /orders 200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_reach_the_client() {
    let cluster = FakeCluster::start();
    let api: Api<ConfigMap> = Api::default_namespaced(client(&cluster).await);
    cluster.add_fault(Fault::on("list", "configmaps").status(500).times(1));
    let failed = api_err(api.list(&ListParams::default()).await.unwrap_err());
    assert_eq!(
        (failed.code, failed.reason.as_str()),
        (500, "InternalError")
    );
    api.list(&ListParams::default())
        .await
        .expect("the rule was spent");

    cluster.add_fault(Fault::on("get", "configmaps").named("x").reset().times(1));
    let reset = api.get("x").await.unwrap_err();
    assert!(
        !matches!(reset, kube::Error::Api(_)),
        "a reset is a transport error: {reset:?}"
    );
    assert_eq!(api_err(api.get("x").await.unwrap_err()).code, 404);

    cluster.set_latency(Duration::from_millis(300));
    let started = std::time::Instant::now();
    api.list(&ListParams::default()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    cluster.clear_faults();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hpa_and_pdb_are_stored_and_validated() {
    let cluster = FakeCluster::start();
    let client = client(&cluster).await;
    use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
    use k8s_openapi::api::policy::v1::PodDisruptionBudget;
    let hpas: Api<HorizontalPodAutoscaler> = Api::default_namespaced(client.clone());
    let good: HorizontalPodAutoscaler = serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 5}})).unwrap();
    let stored = hpas.create(&PostParams::default(), &good).await.unwrap();
    assert_eq!(
        stored.spec.min_replicas,
        Some(1),
        "minReplicas defaults to 1"
    );
    let bad: HorizontalPodAutoscaler = serde_json::from_value(json!({"metadata": {"name": "bad"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 4, "maxReplicas": 2}})).unwrap();
    let e = api_err(hpas.create(&PostParams::default(), &bad).await.unwrap_err());
    assert_eq!((e.code, e.reason.as_str()), (422, "Invalid"));
    let pdbs: Api<PodDisruptionBudget> = Api::default_namespaced(client);
    let both: PodDisruptionBudget = serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": {"minAvailable": 1, "maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}}})).unwrap();
    assert_eq!(
        api_err(
            pdbs.create(&PostParams::default(), &both)
                .await
                .unwrap_err()
        )
        .code,
        422
    );
    let one: PodDisruptionBudget = serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}})).unwrap();
    pdbs.create(&PostParams::default(), &one).await.unwrap();
    assert!(
        cluster
            .get("poddisruptionbudgets", "default", "web")
            .is_some()
    );
}
