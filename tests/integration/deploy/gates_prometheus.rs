//! The metric gates read from a Prometheus the user runs (`deploy.analysis.prometheus_url`)
//! instead of the pods. The stand-in on 127.0.0.1 answers the instant queries msv sends,
//! `increase(METRIC{namespace="NS",pod=~"RE"}[Ns])` at `time`, from every request the pods
//! served through `S` (exactly, where Prometheus would extrapolate from its scrapes). The
//! pods' own `/metrics` answer 404, so a pass can only come from Prometheus.

use super::*;
use crate::support::JsonStub;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

const BOUNDS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

/// One request a pod served.
struct Served {
    at: f64,
    pod: String,
    status: u16,
    latency: f64,
}

type Events = Arc<Mutex<Vec<Served>>>;

struct Prometheus {
    /// Serves until this is dropped.
    _stub: JsonStub,
    url: String,
    events: Events,
    queries: Arc<Mutex<Vec<String>>>,
}

impl Prometheus {
    fn start() -> Prometheus {
        let events: Events = Arc::default();
        let queries: Arc<Mutex<Vec<String>>> = Arc::default();
        let (e2, q2) = (events.clone(), queries.clone());
        let stub = JsonStub::start(move |target| (200, answer(target, &e2, &q2)));
        Prometheus {
            url: stub.url.clone(),
            _stub: stub,
            events,
            queries,
        }
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// `GET /api/v1/query?query=&time=`, for the one query shape msv sends.
fn answer(target: &str, events: &Mutex<Vec<Served>>, queries: &Mutex<Vec<String>>) -> String {
    let url = reqwest::Url::parse(&format!("http://x{target}")).unwrap();
    let q: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    let query = q.get("query").cloned().unwrap_or_default();
    queries.lock().unwrap().push(query.clone());
    let shape = regex::Regex::new(
        r#"^increase\(([a-z_]+)\{namespace="([^"]+)",pod=~"([^"]+)"\}\[(\d+)s\]\)$"#,
    )
    .unwrap();
    match (url.path(), shape.captures(&query)) {
        ("/api/v1/query", Some(c)) => {
            let (metric, ns, pods) = (&c[1], &c[2], &c[3]);
            let range: f64 = c[4].parse().unwrap();
            let time: f64 = q.get("time").and_then(|t| t.parse().ok()).unwrap_or_else(now);
            let pods = regex::Regex::new(&format!("^(?:{pods})$")).unwrap();
            let events = events.lock().unwrap();
            let inside: Vec<&Served> = events
                .iter()
                .filter(|e| ns == NS && pods.is_match(&e.pod))
                .filter(|e| e.at > time - range && e.at <= time)
                .collect();
            // One series per pod and label set, as increase() keeps them.
            let mut series: BTreeMap<Vec<(String, String)>, u64> = BTreeMap::new();
            for e in &inside {
                let mut labels = vec![
                    ("namespace".to_string(), NS.to_string()),
                    ("pod".to_string(), e.pod.clone()),
                    ("route".to_string(), "/api/items".to_string()),
                ];
                match metric {
                    "http_requests_total" => {
                        labels.push(("status".into(), e.status.to_string()));
                        *series.entry(labels).or_default() += 1;
                    }
                    "http_request_duration_seconds_count" => {
                        *series.entry(labels).or_default() += 1;
                    }
                    "http_request_duration_seconds_bucket" => {
                        for b in BOUNDS.iter().copied().chain([f64::INFINITY]) {
                            let mut l = labels.clone();
                            let le = if b.is_infinite() { "+Inf".to_string() } else { b.to_string() };
                            l.push(("le".into(), le));
                            *series.entry(l).or_default() += u64::from(e.latency <= b);
                        }
                    }
                    _ => {}
                }
            }
            let result: Vec<Value> = series
                .into_iter()
                .map(|(labels, n)| {
                    let metric: serde_json::Map<String, Value> =
                        labels.into_iter().map(|(k, v)| (k, v.into())).collect();
                    json!({"metric": metric, "value": [time, n.to_string()]})
                })
                .collect();
            json!({"status": "success", "data": {"resultType": "vector", "result": result}})
        }
        _ => json!({"status": "error", "errorType": "bad_data", "error": format!("unexpected query {query}")}),
    }
    .to_string()
}

/// `image`'s pods answer `/api/items` (one in `error_every` with 500) and Prometheus sees it;
/// their `/metrics` is not served.
fn serve(env: &Env, prometheus: &Prometheus, image: &str, error_every: u64) {
    let events = prometheus.events.clone();
    let served = Arc::new(std::sync::atomic::AtomicU64::new(0));
    env.fake
        .set_backend_for_image(image, move |req| match req.path.as_str() {
            "/healthz" => ProxyResponse::ok("ok"),
            "/api/items" => {
                let n = served.fetch_add(1, Ordering::SeqCst) + 1;
                let status = if error_every > 0 && n.is_multiple_of(error_every) {
                    500
                } else {
                    200
                };
                events.lock().unwrap().push(Served {
                    at: now(),
                    pod: req.pod.clone(),
                    status,
                    latency: 0.008,
                });
                ProxyResponse::new(status, "items")
            }
            _ => ProxyResponse::new(404, "not found"),
        });
}

fn env_with_prometheus(url: &str) -> Env {
    Env::with_deploy(&format!(
        "timeout = \"20s\"\nverify_for = \"30s\"\nscale_down_delay = \"0s\"\n\n[deploy.analysis]\ninterval = \"500ms\"\nmin_requests = 10\nmax_error_ratio = 0.05\nmax_p99 = \"200ms\"\nprometheus_url = \"{url}\"\n"
    ))
}

fn users(env: &Env) -> Traffic {
    Traffic::start(
        env.fake.kubeconfig_path(),
        format!("/api/v1/namespaces/{NS}/services/shop:8080/proxy/api/items"),
        Duration::from_millis(5),
    )
}

#[test]
fn the_gates_read_prometheus_and_switch_a_failing_candidate_back() {
    let prometheus = Prometheus::start();
    let env = env_with_prometheus(&prometheus.url);
    serve(&env, &prometheus, "r/shop:1", 0);
    env.deploy("r/shop:1").status(0);
    serve(&env, &prometheus, "r/shop:2", 5);
    let monitor = Monitor::start(&env);
    let traffic = users(&env);
    let started = std::time::Instant::now();
    env.deploy("r/shop:2")
        .status(1)
        .stderr_has("the candidate failed the analysis in the verify window")
        .stderr_has("FAILED")
        .stderr_has("switched back")
        .stderr_lacks("not read");
    let report = traffic.stop();
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "the failed gate ended the 30s window early"
    );
    monitor.assert_clean();
    assert!(
        report.failures.iter().all(|f| f.starts_with("500")),
        "{:?}",
        report.failures
    );
    assert_eq!(env.live().as_deref(), Some("blue"));
    let entries: Vec<Value> = env
        .msv(&["history", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    let entry = entries
        .iter()
        .max_by_key(|e| e["revision"].as_u64())
        .unwrap();
    let analysis = &entry["analysis"];
    assert_eq!(analysis["verdict"], "fail", "{analysis:#}");
    let ratio = analysis["measures"][0]["candidate"].as_f64().unwrap();
    assert!((0.15..=0.25).contains(&ratio), "{ratio}");
    assert_eq!(analysis["measures"][0]["baseline"], 0.0);
    assert!(
        analysis["baseline_requests"].as_u64().unwrap() >= 1,
        "{analysis:#}"
    );
    // Both colors were asked for by their Deployments' pods, in the service's namespace.
    let queries = prometheus.queries.lock().unwrap().clone();
    for color in ["blue", "green"] {
        let want = format!(
            "increase(http_requests_total{{namespace=\"default\",pod=~\"shop-{color}-[a-z0-9]+-[a-z0-9]+\"}}["
        );
        assert!(
            queries.iter().any(|q| q.starts_with(&want)),
            "{want} not in {queries:#?}"
        );
    }
}

#[test]
fn a_healthy_candidate_passes_on_prometheus_numbers_and_the_dry_run_says_where_from() {
    let prometheus = Prometheus::start();
    let env = Env::with_deploy(&format!(
        "timeout = \"20s\"\nverify_for = \"2s\"\nscale_down_delay = \"0s\"\n\n[deploy.analysis]\ninterval = \"500ms\"\nmin_requests = 10\nmax_error_ratio = 0.05\nprometheus_url = \"{}\"\n",
        prometheus.url
    ));
    serve(&env, &prometheus, "r/shop:1", 0);
    serve(&env, &prometheus, "r/shop:2", 0);
    env.deploy("r/shop:1").status(0);
    env.msv(&["deploy", "--image", "r/shop:2", "--dry-run"])
        .run()
        .status(0)
        .stdout_has(&format!("from Prometheus at {}", prometheus.url));
    let traffic = users(&env);
    let run = env
        .msv(&["deploy", "--image", "r/shop:2", "-o", "json"])
        .run()
        .status(0);
    traffic.assert_no_failures();
    let summary: Value = run.stdout_json();
    assert_eq!(summary["analysis"]["verdict"], "pass", "{summary:#}");
    assert!(summary["analysis"]["requests"].as_u64().unwrap() >= 10);
    assert_eq!(env.live().as_deref(), Some("green"));
}

/// `prometheus_service`: a Prometheus that runs in the cluster is asked through the API
/// server's service proxy (here a Deployment whose pods the fake forwards to the stand-in),
/// so nothing on the machine needs to reach the cluster network.
#[test]
fn a_prometheus_in_the_cluster_is_asked_through_the_service_proxy() {
    let prometheus = Prometheus::start();
    let env = Env::with_deploy(
        "timeout = \"20s\"\nverify_for = \"2s\"\nscale_down_delay = \"0s\"\n\n[deploy.analysis]\ninterval = \"500ms\"\nmin_requests = 10\nmax_error_ratio = 0.05\nprometheus_service = \"default/prometheus:9090\"\n",
    );
    env.fake
        .set_backend_url_for_image("prom/prometheus:v2", &prometheus.url);
    env.fake.create(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "prometheus", "namespace": NS},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "prometheus"}},
            "template": {"metadata": {"labels": {"app": "prometheus"}},
                "spec": {"containers": [{"name": "prometheus", "image": "prom/prometheus:v2"}]}}}}));
    env.fake.create(json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "prometheus", "namespace": NS},
        "spec": {"selector": {"app": "prometheus"}, "ports": [{"port": 9090, "targetPort": 9090}]}}));
    serve(&env, &prometheus, "r/shop:1", 0);
    serve(&env, &prometheus, "r/shop:2", 0);
    env.deploy("r/shop:1").status(0);
    env.msv(&["deploy", "--image", "r/shop:2", "--dry-run"])
        .run()
        .status(0)
        .stdout_has("from Prometheus at service default/prometheus:9090");
    let traffic = users(&env);
    let run = env
        .msv(&["deploy", "--image", "r/shop:2", "-o", "json"])
        .run()
        .status(0)
        .stderr_lacks("not read");
    traffic.assert_no_failures();
    let summary: Value = run.stdout_json();
    assert_eq!(summary["analysis"]["verdict"], "pass", "{summary:#}");
    assert!(summary["analysis"]["requests"].as_u64().unwrap() >= 10);
    let asked = env.fake.count_requests(|r| {
        r.path
            .starts_with("/api/v1/namespaces/default/services/prometheus:9090/proxy/api/v1/query")
    });
    assert!(
        asked >= 2,
        "Prometheus was asked {asked} times through the proxy"
    );
    assert!(!prometheus.queries.lock().unwrap().is_empty());
}
