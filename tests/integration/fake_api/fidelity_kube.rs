//! Fidelity of the fake against kube-rs, a client no one here wrote: typed `Api` calls and
//! their errors, server-side apply, a `watcher` through dropped watches and 410 Gone,
//! `await_condition(is_deployment_completed)`, logs, the service proxy following a
//! selector switch, pod behaviours, faults.

use std::time::Duration;

use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Pod, Service};
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Config};
use serde_json::{Value, json};

use super::{Behavior, FakeCluster, Fault, ProxyResponse};

async fn client(cluster: &FakeCluster) -> Client {
    client_with_retry(cluster, true).await
}

/// kube-rs retries 429/503/504 by default (15 times, backing off towards minutes): a
/// client that must see a 503 at once turns that off.
async fn client_with_retry(cluster: &FakeCluster, retry: bool) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc = kube::config::Kubeconfig::read_from(cluster.kubeconfig_path()).unwrap();
    let mut cfg = Config::from_custom_kubeconfig(kc, &Default::default()).await.unwrap();
    assert_eq!(cfg.default_namespace, "default");
    cfg.default_retry = retry;
    Client::try_from(cfg).unwrap()
}

pub(crate) fn deployment(name: &str, image: &str, replicas: i64, labels: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 8080, "name": "http"}]}]}}}})
}

fn api_err(e: kube::Error) -> kube::core::Status {
    match e {
        kube::Error::Api(s) => *s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn dep(v: Value) -> Deployment {
    serde_json::from_value(v).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_api_verbs_and_their_errors() {
    let cluster = FakeCluster::start();
    let client = client(&cluster).await;
    let api: Api<Deployment> = Api::default_namespaced(client.clone());
    let labels = json!({"app": "orders", "color": "blue"});
    let created = api.create(&PostParams::default(), &dep(deployment("orders-blue", "orders:1", 2, labels.clone()))).await.unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    let rv1 = created.metadata.resource_version.clone().unwrap();

    let listed = api.list(&ListParams::default().labels("app=orders,color in (blue)")).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(api.list(&ListParams::default().labels("color=green")).await.unwrap().items.is_empty());
    assert!(api.list(&ListParams::default().fields("metadata.name=orders-blue")).await.unwrap().items.len() == 1);

    let patched = api.patch("orders-blue", &PatchParams::default(), &Patch::Merge(json!({"spec": {"replicas": 3}}))).await.unwrap();
    assert_eq!(patched.metadata.generation, Some(2), "a spec change bumps generation");
    let labelled = api.patch("orders-blue", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}}))).await.unwrap();
    assert_eq!(labelled.metadata.generation, Some(2), "a metadata change does not");

    let mut stale = created.clone();
    stale.metadata.resource_version = Some(rv1);
    let conflict = api_err(api.replace("orders-blue", &PostParams::default(), &stale).await.unwrap_err());
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    assert!(conflict.message.contains("the object has been modified"), "{}", conflict.message);

    let switch = json!({"spec": {"selector": {"matchLabels": {"app": "orders", "color": "green"}}, "template": {"metadata": {"labels": {"app": "orders", "color": "green"}}}}});
    let invalid = api_err(api.patch("orders-blue", &PatchParams::default(), &Patch::Strategic(switch)).await.unwrap_err());
    assert_eq!((invalid.code, invalid.reason.as_str()), (422, "Invalid"));
    assert!(invalid.message.starts_with("Deployment.apps \"orders-blue\" is invalid: spec.selector: Invalid value:"), "{}", invalid.message);
    assert!(invalid.message.ends_with("field is immutable"), "{}", invalid.message);
    let causes = serde_json::to_value(&invalid.details).unwrap()["causes"].clone();
    assert_eq!(causes[0]["field"], "spec.selector");

    let missing = api_err(api.get("nope").await.unwrap_err());
    assert_eq!((missing.code, missing.reason.as_str()), (404, "NotFound"));
    assert_eq!(missing.message, "deployments.apps \"nope\" not found");

    let elsewhere: Api<Deployment> = Api::namespaced(client.clone(), "shop");
    let no_ns = api_err(elsewhere.create(&PostParams::default(), &dep(deployment("a", "a:1", 1, json!({"app": "a"})))).await.unwrap_err());
    assert_eq!((no_ns.code, no_ns.message.as_str()), (404, "namespaces \"shop\" not found"));

    let scale = api.get_scale("orders-blue").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(3));

    // Wrong token: 401 with a Status body.
    let kc = kube::config::Kubeconfig::read_from(cluster.kubeconfig_path()).unwrap();
    let mut bad = Config::from_custom_kubeconfig(kc, &Default::default()).await.unwrap();
    bad.auth_info.token = Some("wrong".to_string().into());
    let unauthorized = api_err(Api::<Deployment>::default_namespaced(Client::try_from(bad).unwrap()).get("orders-blue").await.unwrap_err());
    assert_eq!((unauthorized.code, unauthorized.reason.as_str()), (401, "Unauthorized"));

    // Discovery as a client walks it.
    let discovery = kube::Discovery::new(client.clone()).run().await.unwrap();
    let apps = discovery.groups().find(|g| g.name() == "apps").expect("apps group");
    assert!(apps.recommended_resources().iter().any(|(ar, _)| ar.kind == "Deployment"));
    assert!(discovery.groups().any(|g| g.name() == "coordination.k8s.io"));

    api.delete("orders-blue", &DeleteParams::default()).await.unwrap();
    cluster.wait_for("the cascade to remove pods", Duration::from_secs(5), |c| c.list("pods", Some("default")).is_empty().then_some(()));
    assert!(cluster.list("replicasets", Some("default")).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_server_side_apply_owns_fields_and_conflicts() {
    let cluster = FakeCluster::start();
    let api: Api<Deployment> = Api::default_namespaced(client(&cluster).await);
    let labels = json!({"app": "orders", "color": "blue"});
    let msv = PatchParams::apply("msv");
    let applied = api.patch("orders-blue", &msv, &Patch::Apply(deployment("orders-blue", "orders:1", 2, labels.clone()))).await.unwrap();
    let mf = serde_json::to_value(&applied.metadata.managed_fields).unwrap();
    assert_eq!(mf[0]["manager"], "msv");
    assert_eq!(mf[0]["operation"], "Apply");
    assert!(mf[0]["fieldsV1"]["f:spec"]["f:replicas"].is_object());

    // Re-applying with a new image is the owner's own change: no conflict.
    api.patch("orders-blue", &msv, &Patch::Apply(deployment("orders-blue", "orders:2", 2, labels.clone()))).await.unwrap();
    // Someone else setting replicas conflicts unless forced.
    let other = PatchParams::apply("hpa-tool");
    let conflict = api_err(api.patch("orders-blue", &other, &Patch::Apply(deployment("orders-blue", "orders:2", 5, labels.clone()))).await.unwrap_err());
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    assert_eq!(conflict.message, "Apply failed with 1 conflict: conflict with \"msv\" using apps/v1: .spec.replicas");
    let forced = api.patch("orders-blue", &other.clone().force(), &Patch::Apply(deployment("orders-blue", "orders:2", 5, labels))).await.unwrap();
    assert_eq!(forced.spec.replicas, Some(5));
    let req = cluster.requests().into_iter().rev().find(|r| r.method == "PATCH").unwrap();
    assert_eq!(req.content_type, "application/apply-patch+yaml");
    assert_eq!(req.param("force").as_deref(), Some("true"));
}

/// Waits until the `n`th watch request is open.
async fn wait_for_watch(cluster: &FakeCluster, n: usize) {
    for _ in 0..500 {
        let watches = cluster.requests().iter().filter(|r| r.param("watch").as_deref() == Some("true")).count();
        if watches >= n && cluster.open_watches() > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no watch {n} opened");
}

async fn expect(name: &str, rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(n) = rx.recv().await {
            if n == name {
                return;
            }
        }
        panic!("the watcher stopped before it saw {name}");
    })
    .await
    .unwrap_or_else(|_| panic!("watcher never saw {name}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_watcher_survives_a_dropped_watch_and_410_gone() {
    let cluster = FakeCluster::start();
    let api: Api<ConfigMap> = Api::default_namespaced(client(&cluster).await);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watched = api.clone();
    let task = tokio::spawn(async move {
        let mut stream = watcher(watched, watcher::Config::default()).default_backoff().applied_objects().boxed();
        // Errors (the 410) are reported and the watcher carries on, as a controller's would.
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(cm) => {
                    let _ = tx.send(cm.metadata.name.unwrap());
                }
                Err(e) => {
                    let _ = tx.send(format!("error: {e}"));
                }
            }
        }
    });
    let cm = |n: &str| serde_json::from_value::<ConfigMap>(json!({"metadata": {"name": n}, "data": {"k": "v"}})).unwrap();
    api.create(&PostParams::default(), &cm("a")).await.unwrap();
    expect("a", &mut rx).await;
    wait_for_watch(&cluster, 1).await;
    cluster.drop_watches();
    api.create(&PostParams::default(), &cm("b")).await.unwrap();
    expect("b", &mut rx).await;
    wait_for_watch(&cluster, 2).await;
    // Compact, then drop: the re-watch from the old version gets 410 and the watcher relists.
    cluster.compact();
    cluster.drop_watches();
    api.create(&PostParams::default(), &cm("c")).await.unwrap();
    let mut errors = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(n) = rx.recv().await {
            if n == "c" {
                return;
            }
            errors.push(n);
        }
        panic!("the watcher stopped before it saw c");
    })
    .await
    .expect("watcher saw c");
    assert!(errors.iter().any(|e| e.contains("410") || e.to_lowercase().contains("expired")), "{errors:?}");
    task.abort();
    let watches = cluster.requests().into_iter().filter(|r| r.param("watch").as_deref() == Some("true")).count();
    assert!(watches >= 3, "the watcher re-watched after each drop ({watches} watches)");
    let lists = cluster.requests().into_iter().filter(|r| r.method == "GET" && r.path.ends_with("/configmaps") && r.param("watch").is_none()).count();
    let log: Vec<String> = cluster.requests().iter().map(|r| format!("{} {}?{}", r.method, r.path, r.query)).collect();
    assert!(lists >= 2, "410 Gone made the watcher list again ({lists} lists): {log:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_await_condition_sees_the_deployment_complete() {
    let cluster = FakeCluster::start();
    let api: Api<Deployment> = Api::default_namespaced(client(&cluster).await);
    api.create(&PostParams::default(), &dep(deployment("web", "web:1", 3, json!({"app": "web"})))).await.unwrap();
    let done = tokio::time::timeout(Duration::from_secs(10), await_condition(api.clone(), "web", conditions::is_deployment_completed())).await.expect("completes").unwrap().unwrap();
    let status = serde_json::to_value(done.status.unwrap()).unwrap();
    assert_eq!((status["replicas"].as_i64(), status["updatedReplicas"].as_i64(), status["readyReplicas"].as_i64(), status["availableReplicas"].as_i64()), (Some(3), Some(3), Some(3), Some(3)));
    assert_eq!(status["observedGeneration"], 1);
    let available = status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Available").unwrap();
    assert_eq!((available["status"].as_str(), available["reason"].as_str()), (Some("True"), Some("MinimumReplicasAvailable")));
    let pods: Api<Pod> = Api::default_namespaced(api.clone().into_client());
    assert_eq!(pods.list(&ListParams::default().labels("app=web")).await.unwrap().items.len(), 3);

    // A new image rolls: a second ReplicaSet takes over, the old one goes to zero.
    api.patch("web", &PatchParams::default(), &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:2"}]}}}}))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    tokio::time::timeout(Duration::from_secs(10), await_condition(api.clone(), "web", |d: Option<&Deployment>| {
        let v = serde_json::to_value(d).unwrap();
        v["status"]["observedGeneration"] == 2 && v["status"]["updatedReplicas"] == 3 && v["status"]["replicas"] == 3 && v["status"]["availableReplicas"] == 3
    })).await.expect("second rollout completes").unwrap();
    let rs = cluster.list("replicasets", Some("default"));
    assert_eq!(rs.len(), 2);
    assert!(rs.iter().any(|r| r["spec"]["replicas"] == 0 && r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"));
    cluster.wait_for("old pods to go", Duration::from_secs(5), |c| (c.list("pods", Some("default")).len() == 3).then_some(()));

    // Scaling down removes pods.
    api.patch_scale("web", &PatchParams::default(), &Patch::Merge(json!({"spec": {"replicas": 1}}))).await.unwrap();
    cluster.wait_for("scale down", Duration::from_secs(5), |c| (c.list("pods", Some("default")).len() == 1).then_some(()));
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
    api.create(&PostParams::default(), &dep(deployment("crash", "bad:crash", 1, json!({"app": "crash"})))).await.unwrap();
    api.create(&PostParams::default(), &dep(deployment("pull", "bad:pull", 1, json!({"app": "pull"})))).await.unwrap();
    let pods: Api<Pod> = Api::default_namespaced(client.clone());

    let crash = cluster.wait_for("restarts", Duration::from_secs(5), |c| {
        c.list("pods", Some("default")).into_iter().find(|p| p["metadata"]["labels"]["app"] == "crash" && p["status"]["containerStatuses"][0]["restartCount"].as_i64() >= Some(2))
    });
    assert_eq!(crash["status"]["containerStatuses"][0]["state"]["waiting"]["reason"], "CrashLoopBackOff");
    assert_eq!(crash["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"], 1);
    let pull_reasons: std::collections::BTreeSet<String> = (0..40)
        .filter_map(|_| {
            std::thread::sleep(Duration::from_millis(20));
            cluster.list("pods", Some("default")).into_iter().find(|p| p["metadata"]["labels"]["app"] == "pull")
                .and_then(|p| p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"].as_str().map(String::from))
        })
        .collect();
    assert!(pull_reasons.contains("ErrImagePull") && pull_reasons.contains("ImagePullBackOff"), "{pull_reasons:?}");
    let pull_pod = pods.list(&ListParams::default().labels("app=pull")).await.unwrap().items.remove(0);
    assert_eq!(serde_json::to_value(&pull_pod.status).unwrap()["phase"], "Pending");

    let events: Api<Event> = Api::default_namespaced(client.clone());
    let warnings = events.list(&ListParams::default().fields("type=Warning")).await.unwrap().items;
    assert!(warnings.iter().any(|e| e.reason.as_deref() == Some("BackOff") && e.message.as_deref().unwrap_or("").starts_with("Back-off restarting failed container app in pod crash-")));
    assert!(warnings.iter().any(|e| e.reason.as_deref() == Some("Failed") && e.message.as_deref().unwrap_or("").contains("Failed to pull image \"bad:pull\"")));

    let d = cluster.wait_for("the progress deadline", Duration::from_secs(5), |c| {
        c.get("deployments", "default", "crash").filter(|d| d["status"]["conditions"].as_array().is_some_and(|cs| cs.iter().any(|c| c["reason"] == "ProgressDeadlineExceeded")))
    });
    let progressing = d["status"]["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Progressing").unwrap().clone();
    assert_eq!(progressing["status"], "False");
    assert!(progressing["message"].as_str().unwrap().ends_with("has timed out progressing."));
    let available = d["status"]["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Available").unwrap().clone();
    assert_eq!((available["status"].as_str(), available["reason"].as_str()), (Some("False"), Some("MinimumReplicasUnavailable")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_proxy_follows_the_selector_switch_after_the_endpoints_lag() {
    let cluster = FakeCluster::start();
    cluster.set_endpoints_lag(Duration::from_millis(400));
    cluster.set_backend_for_image("orders:1", |r| ProxyResponse::ok(format!("blue {}", r.path)));
    cluster.set_backend_for_image("orders:2", |r| ProxyResponse::ok(format!("green {}", r.path)));
    let client = client(&cluster).await;
    let deps: Api<Deployment> = Api::default_namespaced(client.clone());
    deps.create(&PostParams::default(), &dep(deployment("orders-blue", "orders:1", 2, json!({"app": "orders", "color": "blue"})))).await.unwrap();
    deps.create(&PostParams::default(), &dep(deployment("orders-green", "orders:2", 2, json!({"app": "orders", "color": "green"})))).await.unwrap();
    let svcs: Api<Service> = Api::default_namespaced(client.clone());
    let svc: Service = serde_json::from_value(json!({"metadata": {"name": "orders"}, "spec": {"selector": {"app": "orders", "color": "blue"}, "ports": [{"port": 80, "targetPort": "http"}]}})).unwrap();
    svcs.create(&PostParams::default(), &svc).await.unwrap();
    let get = |path: &str| http::Request::get(format!("/api/v1/namespaces/default/services/orders:80/proxy{path}")).body(Vec::new()).unwrap();
    let ep = cluster.wait_for("blue endpoints", Duration::from_secs(5), |c| c.get("endpoints", "default", "orders").filter(|e| e["subsets"][0]["addresses"].as_array().is_some_and(|a| a.len() == 2)));
    assert_eq!(ep["subsets"][0]["ports"][0]["port"], 8080, "named targetPort resolved from the container port");
    assert_eq!(client.request_text(get("/healthz")).await.unwrap(), "blue /healthz");

    let current = svcs.get("orders").await.unwrap();
    let rv = current.metadata.resource_version.clone().unwrap();
    svcs.patch("orders", &PatchParams::default(), &Patch::Strategic(json!({"metadata": {"resourceVersion": rv}, "spec": {"selector": {"color": "green"}}}))).await.unwrap();
    assert_eq!(client.request_text(get("/")).await.unwrap(), "blue /", "right after the patch the endpoints still list blue");
    let stale = api_err(svcs.patch("orders", &PatchParams::default(), &Patch::Strategic(json!({"metadata": {"resourceVersion": rv}, "spec": {"selector": {"color": "blue"}}}))).await.unwrap_err());
    assert_eq!(stale.code, 409, "a patch guarded by an old resourceVersion conflicts");
    tokio::time::sleep(Duration::from_millis(700)).await;
    for _ in 0..4 {
        assert_eq!(client.request_text(get("/")).await.unwrap(), "green /");
    }
    // No ready pods behind a selector: 503 from the proxy.
    svcs.patch("orders", &PatchParams::default(), &Patch::Merge(json!({"spec": {"selector": {"color": "none"}}}))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let no_retry = client_with_retry(&cluster, false).await;
    let unavailable = api_err(no_retry.request_text(get("/")).await.unwrap_err());
    assert_eq!(unavailable.code, 503);
    assert_eq!(unavailable.message, "no endpoints available for service \"orders\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_logs_with_tail_timestamps_and_follow() {
    let cluster = FakeCluster::start();
    cluster.set_logs_for_image("web:1", &["starting", "listening on :8080"]);
    let client = client(&cluster).await;
    let deps: Api<Deployment> = Api::default_namespaced(client.clone());
    deps.create(&PostParams::default(), &dep(deployment("web", "web:1", 1, json!({"app": "web"})))).await.unwrap();
    let pod = cluster.wait_for("a running pod", Duration::from_secs(5), |c| c.list("pods", Some("default")).into_iter().find(|p| p["status"]["phase"] == "Running"));
    let name = pod["metadata"]["name"].as_str().unwrap().to_string();
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    assert_eq!(pods.logs(&name, &LogParams::default()).await.unwrap(), "starting\nlistening on :8080\n");
    assert_eq!(pods.logs(&name, &LogParams { tail_lines: Some(1), ..Default::default() }).await.unwrap(), "listening on :8080\n");
    let stamped = pods.logs(&name, &LogParams { timestamps: true, ..Default::default() }).await.unwrap();
    let first = stamped.lines().next().unwrap();
    assert!(first.ends_with(" starting") && first.parse::<k8s_openapi::jiff::Timestamp>().is_err());
    assert!(first.split(' ').next().unwrap().parse::<k8s_openapi::jiff::Timestamp>().is_ok(), "{first}");
    let wrong = api_err(pods.logs(&name, &LogParams { container: Some("nope".into()), ..Default::default() }).await.unwrap_err());
    assert_eq!(wrong.code, 400);

    let mut lines = pods.log_stream(&name, &LogParams { follow: true, ..Default::default() }).await.unwrap().lines();
    assert_eq!(lines.try_next().await.unwrap().as_deref(), Some("starting"));
    assert_eq!(lines.try_next().await.unwrap().as_deref(), Some("listening on :8080"));
    cluster.append_log("default", &name, "GET /orders 200");
    let next = tokio::time::timeout(Duration::from_secs(5), lines.try_next()).await.expect("followed line").unwrap();
    assert_eq!(next.as_deref(), Some("GET /orders 200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_reach_the_client() {
    let cluster = FakeCluster::start();
    let api: Api<ConfigMap> = Api::default_namespaced(client(&cluster).await);
    cluster.add_fault(Fault::on("list", "configmaps").status(500).times(1));
    let failed = api_err(api.list(&ListParams::default()).await.unwrap_err());
    assert_eq!((failed.code, failed.reason.as_str()), (500, "InternalError"));
    api.list(&ListParams::default()).await.expect("the rule was spent");

    cluster.add_fault(Fault::on("get", "configmaps").named("x").reset().times(1));
    let reset = api.get("x").await.unwrap_err();
    assert!(!matches!(reset, kube::Error::Api(_)), "a reset is a transport error: {reset:?}");
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
    assert_eq!(stored.spec.min_replicas, Some(1), "minReplicas defaults to 1");
    let bad: HorizontalPodAutoscaler = serde_json::from_value(json!({"metadata": {"name": "bad"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 4, "maxReplicas": 2}})).unwrap();
    let e = api_err(hpas.create(&PostParams::default(), &bad).await.unwrap_err());
    assert_eq!((e.code, e.reason.as_str()), (422, "Invalid"));
    let pdbs: Api<PodDisruptionBudget> = Api::default_namespaced(client);
    let both: PodDisruptionBudget = serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": {"minAvailable": 1, "maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}}})).unwrap();
    assert_eq!(api_err(pdbs.create(&PostParams::default(), &both).await.unwrap_err()).code, 422);
    let one: PodDisruptionBudget = serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}})).unwrap();
    pdbs.create(&PostParams::default(), &one).await.unwrap();
    assert!(cluster.get("poddisruptionbudgets", "default", "web").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_events_follow_label_filters_and_carry_bookmarks() {
    use kube::api::{WatchEvent, WatchParams};
    let cluster = FakeCluster::start();
    let api: Api<ConfigMap> = Api::default_namespaced(client(&cluster).await);
    let cm = serde_json::from_value::<ConfigMap>(json!({"metadata": {"name": "a", "labels": {"tier": "web"}}})).unwrap();
    let created = api.create(&PostParams::default(), &cm).await.unwrap();
    let rv = created.metadata.resource_version.clone().unwrap();
    let params = WatchParams::default().labels("tier=web").timeout(5);
    assert!(params.bookmarks, "kube-rs asks for bookmarks by default");
    let mut events = api.watch(&params, &rv).await.unwrap().boxed();
    api.patch("a", &PatchParams::default(), &Patch::Merge(json!({"data": {"k": "1"}}))).await.unwrap();
    api.patch("a", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"tier": "db"}}}))).await.unwrap();
    let mut kinds = Vec::new();
    let mut bookmark = None;
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(3), events.try_next()).await.map(|r| r.unwrap()) {
        match ev {
            WatchEvent::Added(_) => kinds.push("ADDED"),
            WatchEvent::Modified(_) => kinds.push("MODIFIED"),
            WatchEvent::Deleted(_) => kinds.push("DELETED"),
            WatchEvent::Bookmark(b) => {
                bookmark = Some(b.metadata.resource_version);
                break;
            }
            WatchEvent::Error(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(kinds, ["MODIFIED", "DELETED"], "leaving the selector is a DELETED for a filtered watch");
    let bm: u64 = bookmark.expect("a bookmark").parse().unwrap();
    assert!(bm > rv.parse::<u64>().unwrap());

    // sendInitialEvents: the current state as ADDED, then the bookmark that ends it.
    let req = http::Request::get("/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1").body(Vec::new()).unwrap();
    let client = client(&cluster).await;
    let mut lines = client.request_stream(req).await.unwrap().lines();
    let first: Value = serde_json::from_str(&lines.try_next().await.unwrap().unwrap()).unwrap();
    assert_eq!((first["type"].as_str(), first["object"]["metadata"]["name"].as_str()), (Some("ADDED"), Some("a")));
    let second: Value = serde_json::from_str(&lines.try_next().await.unwrap().unwrap()).unwrap();
    assert_eq!(second["type"], "BOOKMARK");
    assert_eq!(second["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_dry_run_answers_without_storing() {
    let cluster = FakeCluster::start();
    let api: Api<Deployment> = Api::default_namespaced(client(&cluster).await);
    let d = dep(deployment("web", "web:1", 1, json!({"app": "web"})));
    let answered = api.create(&PostParams { dry_run: true, ..Default::default() }, &d).await.unwrap();
    assert_eq!(answered.spec.progress_deadline_seconds, Some(600), "defaults are applied");
    assert!(cluster.get("deployments", "default", "web").is_none());
    api.patch("web", &PatchParams::apply("msv"), &Patch::Apply(deployment("web", "web:1", 1, json!({"app": "web"})))).await.unwrap();
    let before = cluster.get("deployments", "default", "web").unwrap();
    let dry = PatchParams::apply("msv").dry_run();
    let planned = api.patch("web", &dry, &Patch::Apply(deployment("web", "web:2", 1, json!({"app": "web"})))).await.unwrap();
    assert_eq!(planned.spec.template.spec.unwrap().containers[0].image.as_deref(), Some("web:2"));
    let after = cluster.get("deployments", "default", "web").unwrap();
    assert_eq!(after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"]);
    assert_eq!(after["spec"]["template"]["spec"]["containers"][0]["image"], "web:1");
}
