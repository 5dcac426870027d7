//! `msv status` against the fake API server: healthy, degraded, down (5xx and a hanging
//! probe), a deploy in progress, the detail view, an unknown service, an unreachable
//! cluster and rejected credentials. Objects are seeded with the manifests `msv deploy`
//! renders, so the labels and names are the ones a real deploy leaves behind.

mod watch;

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::fake_api::{Behavior, FakeCluster, ProxyResponse};
use crate::support::Test;
use msv::deploy::manifests::{ServiceSettings, deployment, service};
use msv::deploy::plan::Color;

pub(crate) fn color(c: &str) -> Color {
    Color::parse(c).expect("blue or green")
}

/// Creates the Deployment of one color of `name` in `default`, as `msv deploy` renders it.
pub(crate) fn seed_deployment(
    cluster: &FakeCluster,
    name: &str,
    c: &str,
    image: &str,
    replicas: i32,
) {
    let s = ServiceSettings::new(name, "default");
    let d = deployment(&s, color(c), image, replicas).expect("render Deployment");
    cluster.create(serde_json::to_value(d).unwrap());
}

/// Creates Service `name` (selecting `live`) and `name-preview` (selecting `preview`).
pub(crate) fn seed_services(cluster: &FakeCluster, name: &str, live: &str, preview: &str) {
    let s = ServiceSettings::new(name, "default");
    cluster.create(serde_json::to_value(service(&s, color(live), false).unwrap()).unwrap());
    cluster.create(serde_json::to_value(service(&s, color(preview), true).unwrap()).unwrap());
}

/// A service whose live color serves `/healthz` with `health`.
pub(crate) fn seed_live(
    cluster: &FakeCluster,
    name: &str,
    image: &str,
    replicas: i32,
    health: u16,
) {
    cluster.set_backend_for_image(image, move |req| {
        if req.path == "/healthz" {
            ProxyResponse::new(health, "health")
        } else {
            ProxyResponse::new(404, "")
        }
    });
    seed_deployment(cluster, name, "blue", image, replicas);
    seed_services(cluster, name, "blue", "blue");
}

/// Waits until `name`'s `color` Deployment reports `ready` ready replicas and, when
/// `endpoints` is set, Service `name` lists that many ready addresses.
pub(crate) fn wait_ready(
    cluster: &FakeCluster,
    name: &str,
    c: &str,
    ready: i64,
    endpoints: Option<usize>,
) {
    cluster.wait_for(
        &format!("{name}-{c} ready {ready}"),
        Duration::from_secs(20),
        |k| {
            let d = k.get("deployments", "default", &format!("{name}-{c}"))?;
            let ok = d["status"]["readyReplicas"].as_i64().unwrap_or(0) == ready;
            let ep_ok = endpoints.is_none_or(|n| {
                k.get("endpoints", "default", name).is_some_and(|e| {
                    e["subsets"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|s| s["addresses"].as_array().map_or(0, Vec::len))
                        .sum::<usize>()
                        == n
                })
            });
            (ok && ep_ok).then_some(())
        },
    );
}

pub(crate) fn pods_of(cluster: &FakeCluster, name: &str, c: &str) -> Vec<String> {
    let mut names: Vec<String> = cluster
        .list("pods", Some("default"))
        .iter()
        .filter(|p| {
            p["metadata"]["labels"]["app.kubernetes.io/name"] == name
                && p["metadata"]["labels"]["msv/color"] == c
        })
        .filter_map(|p| p["metadata"]["name"].as_str().map(String::from))
        .collect();
    names.sort();
    names
}

/// `msv status` pointed at the fake.
pub(crate) fn msv(cluster: &FakeCluster) -> Test {
    Test::new()
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .current_dir(cluster.dir())
        .timeout(Duration::from_secs(30))
}

/// Sends one strategic-merge patch to the fake through its TLS endpoint, as kubectl would.
fn patch(cluster: &FakeCluster, path: &str, body: &Value) {
    let body = body.to_string().into_bytes();
    let kubeconfig = cluster.kubeconfig_path();
    let path = path.to_string();
    let (status, answer) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            use http_body_util::BodyExt as _;
            let client = crate::fake_api::kube_client(&kubeconfig, true).await;
            let request = http::Request::patch(path)
                .header("content-type", "application/strategic-merge-patch+json")
                .body(kube::client::Body::from(body))
                .unwrap();
            let response = client.send(request).await.unwrap();
            let status = response.status().as_u16();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        });
    assert_eq!(status, 200, "patch: {answer}");
}

#[derive(Debug, Deserialize)]
struct List {
    namespace: Option<String>,
    healthy: bool,
    services: Vec<Row>,
}

#[derive(Debug, Deserialize)]
struct Probe {
    target: String,
    status: Option<u16>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Other {
    color: String,
    tag: Option<String>,
    ready: i32,
    desired: i32,
    state: String,
}

#[derive(Debug, Deserialize)]
struct Row {
    name: String,
    live_color: Option<String>,
    image: Option<String>,
    tag: Option<String>,
    ready: i32,
    desired: i32,
    endpoints: usize,
    restarts: i32,
    age_seconds: Option<i64>,
    health: Option<Probe>,
    #[serde(default)]
    pod_health: Vec<Probe>,
    other: Option<Other>,
    state: String,
    reasons: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct PodRow {
    name: String,
    color: Option<String>,
    live: bool,
    ready: bool,
    health: Option<Probe>,
}

#[derive(Debug, Deserialize)]
struct Detail {
    name: String,
    state: String,
    pods: Vec<PodRow>,
    warnings: Vec<Value>,
    history: Vec<Value>,
}

fn row<'a>(list: &'a List, name: &str) -> &'a Row {
    list.services
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{name} in {list:?}"))
}

#[test]
fn healthy_services_exit_zero_in_table_and_json() {
    let cluster = FakeCluster::start();
    seed_live(&cluster, "orders", "shop/orders:1.4.2", 2, 200);
    seed_live(&cluster, "billing", "shop/billing:7", 1, 204);
    wait_ready(&cluster, "orders", "blue", 2, Some(2));
    wait_ready(&cluster, "billing", "blue", 1, Some(1));

    let run = msv(&cluster).args(&["status"]).run().status(0);
    let out = run.stdout();
    let line = out
        .lines()
        .find(|l| l.starts_with("orders"))
        .expect("orders row");
    for part in ["blue", "1.4.2", "2/2", "200", "healthy"] {
        assert!(line.contains(part), "{part} in {line:?}\n{out}");
    }
    assert!(out.lines().next().unwrap().starts_with("SERVICE"), "{out}");

    let list: List = msv(&cluster)
        .args(&["status", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert!(list.healthy);
    assert_eq!(list.namespace.as_deref(), Some("default"));
    assert_eq!(list.services.len(), 2);
    let r = row(&list, "orders");
    assert_eq!(
        (
            r.live_color.as_deref(),
            r.tag.as_deref(),
            r.image.as_deref()
        ),
        (Some("blue"), Some("1.4.2"), Some("shop/orders:1.4.2"))
    );
    assert_eq!((r.ready, r.desired, r.endpoints, r.restarts), (2, 2, 2, 0));
    assert!(r.age_seconds.is_some_and(|a| a < 600));
    let h = r.health.as_ref().unwrap();
    assert_eq!((h.target.as_str(), h.status), ("service/orders", Some(200)));
    assert_eq!(r.state, "healthy");
    assert!(r.reasons.is_empty() && r.other.is_none() && r.pod_health.is_empty());

    // `--pods` probes every pod through the pod proxy.
    let list: List = msv(&cluster)
        .args(&["status", "--pods", "-o", "json", "orders", "billing"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(row(&list, "orders").pod_health.len(), 2);
    assert!(
        row(&list, "orders")
            .pod_health
            .iter()
            .all(|p| p.status == Some(200) && p.target.starts_with("pod/orders-blue-"))
    );
}

#[test]
fn some_pods_not_ready_is_degraded_and_the_detail_says_which() {
    let cluster = FakeCluster::start();
    cluster.set_image_behavior("shop/orders:stuck", Behavior::NeverReady);
    seed_live(&cluster, "orders", "shop/orders:2", 3, 200);
    wait_ready(&cluster, "orders", "blue", 3, Some(3));
    // One pod's container now runs an image that never gets ready.
    let stuck = pods_of(&cluster, "orders", "blue")[1].clone();
    patch(
        &cluster,
        &format!("/api/v1/namespaces/default/pods/{stuck}"),
        &serde_json::json!({"spec": {"containers": [{"name": "orders", "image": "shop/orders:stuck"}]}}),
    );
    wait_ready(&cluster, "orders", "blue", 2, Some(2));

    let run = msv(&cluster).args(&["status"]).run().status(1);
    assert!(
        run.stdout().contains("degraded") && run.stdout().contains("2/3"),
        "{}",
        run.stdout()
    );
    run.stdout_has("orders: 2/3 blue pods ready");

    let list: List = msv(&cluster)
        .args(&["status", "-o", "json"])
        .run()
        .status(1)
        .stdout_json();
    assert!(!list.healthy);
    assert_eq!(row(&list, "orders").state, "degraded");

    let detail: Detail = msv(&cluster)
        .args(&["status", "orders", "-o", "json"])
        .run()
        .status(1)
        .stdout_json();
    assert_eq!(
        (detail.name.as_str(), detail.state.as_str()),
        ("orders", "degraded")
    );
    assert_eq!(detail.pods.len(), 3);
    let bad: Vec<&PodRow> = detail.pods.iter().filter(|p| !p.ready).collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].name, stuck);
    assert!(
        detail
            .pods
            .iter()
            .all(|p| p.live && p.color.as_deref() == Some("blue") && p.health.is_some())
    );
    assert!(
        !detail.warnings.is_empty(),
        "the fake kubelet reports failing readiness probes"
    );
    assert!(detail.history.is_empty());

    let text = msv(&cluster).args(&["status", "orders"]).run().status(1);
    text.stdout_has("orders (default): degraded")
        .stdout_has(&stuck)
        .stdout_has("Recent warnings:");
}

#[test]
fn failing_and_hanging_probes_are_down_without_stalling_the_rest() {
    let cluster = FakeCluster::start();
    seed_live(&cluster, "pay", "shop/pay:1", 1, 503);
    cluster.set_backend_for_image("shop/slow:1", |_req| {
        std::thread::sleep(Duration::from_secs(20));
        ProxyResponse::ok("late")
    });
    seed_deployment(&cluster, "slow", "blue", "shop/slow:1", 1);
    seed_services(&cluster, "slow", "blue", "blue");
    seed_live(&cluster, "orders", "shop/orders:1", 1, 200);
    for name in ["pay", "slow", "orders"] {
        wait_ready(&cluster, name, "blue", 1, Some(1));
    }

    // The hanging probe gives up after its own timeout; the run ends long before the
    // backend would answer (the builder kills it and fails after 10 s).
    let started = std::time::Instant::now();
    let run = msv(&cluster)
        .args(&["status", "--probe-timeout", "1s", "-o", "json"])
        .timeout(Duration::from_secs(10))
        .run()
        .status(1);
    let list: List = run.stdout_json();
    eprintln!("status with a hanging probe took {:?}", started.elapsed());
    assert!(!list.healthy);
    let pay = row(&list, "pay");
    assert_eq!(
        (pay.state.as_str(), pay.health.as_ref().unwrap().status),
        ("unhealthy", Some(503)),
        "{pay:?}"
    );
    let slow = row(&list, "slow");
    assert_eq!(slow.state, "unhealthy");
    let err = slow
        .health
        .as_ref()
        .unwrap()
        .error
        .clone()
        .unwrap_or_default();
    assert!(err.contains("no answer within"), "{err}");
    assert_eq!(row(&list, "orders").state, "healthy");

    let table = msv(&cluster)
        .args(&["status", "--probe-timeout", "1s"])
        .timeout(Duration::from_secs(10))
        .run()
        .status(1);
    table
        .stdout_has("timeout")
        .stdout_has("503")
        .stdout_has("pay: health service/pay: HTTP 503");
}

#[test]
fn a_deploy_in_progress_shows_both_colors() {
    let cluster = FakeCluster::start();
    cluster.set_image_behavior(
        "shop/orders:2",
        Behavior::ReadyAfter(Duration::from_secs(3600)),
    );
    seed_live(&cluster, "orders", "shop/orders:1", 2, 200);
    wait_ready(&cluster, "orders", "blue", 2, Some(2));
    // The candidate color is up but not ready; the preview Service points at it.
    seed_deployment(&cluster, "orders", "green", "shop/orders:2", 2);
    cluster.wait_for("green pods", Duration::from_secs(10), |k| {
        (pods_of(k, "orders", "green").len() == 2).then_some(())
    });

    let list: List = msv(&cluster)
        .args(&["status", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    let r = row(&list, "orders");
    assert_eq!(r.live_color.as_deref(), Some("blue"));
    let o = r.other.as_ref().expect("the other color");
    assert_eq!(
        (
            o.color.as_str(),
            o.tag.as_deref(),
            o.ready,
            o.desired,
            o.state.as_str()
        ),
        ("green", Some("2"), 0, 2, "deploying")
    );
    assert_eq!(r.state, "healthy", "{:?}", r.reasons);
    msv(&cluster)
        .args(&["status"])
        .run()
        .status(0)
        .stdout_has("green 2 0/2 deploying");

    let detail: Detail = msv(&cluster)
        .args(&["status", "orders", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(detail.pods.iter().filter(|p| p.live).count(), 2);
    assert_eq!(
        detail
            .pods
            .iter()
            .filter(|p| p.color.as_deref() == Some("green") && !p.live)
            .count(),
        2
    );
}

#[test]
fn unknown_service_lists_the_ones_that_exist() {
    let cluster = FakeCluster::start();
    seed_live(&cluster, "orders", "shop/orders:1", 1, 200);
    msv(&cluster)
        .args(&["status", "ordrs"])
        .run()
        .status(2)
        .stderr_has("no msv-managed service `ordrs` in namespace \"default\"")
        .stderr_has("services there: orders");
    // An empty namespace is not an error.
    cluster.create_namespace("empty");
    msv(&cluster)
        .args(&["status", "-n", "empty"])
        .run()
        .status(0)
        .stderr_has("No msv-managed services in namespace \"empty\"");
}

#[test]
fn unreachable_cluster_and_bad_credentials_exit_two() {
    let cluster = FakeCluster::start();
    let text = std::fs::read_to_string(cluster.kubeconfig_path()).unwrap();

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let down = cluster.dir().join("down.yaml");
    std::fs::write(
        &down,
        text.replace(&cluster.url(), &format!("http://127.0.0.1:{port}")),
    )
    .unwrap();
    msv(&cluster)
        .args(&["status"])
        .env("KUBECONFIG", &down)
        .run()
        .status(2)
        .stderr_has("cannot reach the Kubernetes API server")
        .stderr_has("context \"fake\"")
        .stderr_has("namespace \"default\"");

    let wrong = cluster.dir().join("wrong-token.yaml");
    std::fs::write(&wrong, text.replace(&cluster.token(), "not-the-token")).unwrap();
    msv(&cluster)
        .args(&["status"])
        .env("KUBECONFIG", &wrong)
        .run()
        .status(2)
        .stderr_has("401");
    msv(&cluster)
        .args(&["logs", "orders"])
        .env("KUBECONFIG", &wrong)
        .run()
        .status(2)
        .stderr_has("401");
}

#[test]
fn watch_needs_a_terminal() {
    let cluster = FakeCluster::start();
    msv(&cluster)
        .args(&["status", "--watch"])
        .run()
        .status(2)
        .stderr_has("needs a terminal");
    msv(&cluster)
        .args(&["status", "-o", "raw"])
        .run()
        .status(2)
        .stderr_has("use one of: table, json, yaml");
}

/// Not a test: serves a fake cluster for `bench/status.sh` (and for trying msv by hand).
/// `MSV_BENCH_SERVICES` services with 3 pods each, `MSV_BENCH_LATENCY_MS` per request;
/// writes the kubeconfig path to `MSV_BENCH_READY` and serves until `MSV_BENCH_STOP` exists.
#[test]
#[ignore = "run by bench/status.sh"]
fn bench_cluster() {
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is required"));
    let services: usize = env("MSV_BENCH_SERVICES").parse().unwrap();
    let latency: u64 = env("MSV_BENCH_LATENCY_MS").parse().unwrap();
    let cluster = FakeCluster::start();
    cluster.set_endpoints_lag(Duration::from_millis(10));
    if std::env::var("MSV_BENCH_HANG").is_ok() {
        cluster.set_backend_for_image("shop/slow:1", |_req| {
            std::thread::sleep(Duration::from_secs(20));
            ProxyResponse::ok("late")
        });
        seed_deployment(&cluster, "slow", "blue", "shop/slow:1", 1);
        seed_services(&cluster, "slow", "blue", "blue");
    }
    for i in 0..services {
        seed_live(
            &cluster,
            &format!("svc{i:03}"),
            &format!("shop/svc{i:03}:1.0.{i}"),
            3,
            200,
        );
    }
    for i in 0..services {
        wait_ready(&cluster, &format!("svc{i:03}"), "blue", 3, Some(3));
    }
    cluster.set_latency(Duration::from_millis(latency));
    std::fs::write(
        env("MSV_BENCH_READY"),
        cluster.kubeconfig_path().display().to_string(),
    )
    .unwrap();
    let stop = std::path::PathBuf::from(env("MSV_BENCH_STOP"));
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    while !stop.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}
