//! The trace-error gate: the share of the candidate's traces with an error span, found in
//! the trace backend by the `service.version` and `deployment.color` every pod msv deploys
//! exports. The backend here is a stand-in on 127.0.0.1 for Jaeger's query API and Tempo's
//! search: each request a pod serves through `S` leaves one trace in it, tagged the way the
//! pod's resource attributes would tag it, and its search answers what Jaeger's would —
//! traces of the service whose spans or process carry every asked tag, inside
//! `start`..`end` — or what Tempo's would for a TraceQL query of those attributes:
//! summaries that do not say whether a trace failed, so only a search with
//! `status = error` finds the failed ones.

use super::*;
use crate::support::JsonStub;
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// One trace in the store.
struct Recorded {
    start_us: u128,
    version: String,
    color: String,
    error: bool,
}

/// The stand-in Jaeger query service. It stops when dropped.
struct Jaeger {
    /// Serves until this is dropped.
    _stub: JsonStub,
    url: String,
    store: Arc<Mutex<Vec<Recorded>>>,
    /// The `tags` of every search, as sent.
    searches: Arc<Mutex<Vec<String>>>,
}

impl Jaeger {
    fn start() -> Jaeger {
        let store: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let searches: Arc<Mutex<Vec<String>>> = Arc::default();
        let (store2, searches2) = (store.clone(), searches.clone());
        let stub = JsonStub::start(move |target| answer(target, &store2, &searches2));
        Jaeger {
            url: stub.url.clone(),
            _stub: stub,
            store,
            searches,
        }
    }

    fn record(&self, version: &str, color: &str, error: bool) {
        let start_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros();
        self.store.lock().unwrap().push(Recorded {
            start_us,
            version: version.into(),
            color: color.into(),
            error,
        });
    }
}

/// Answers `GET /api/search?q=&start=&end=&limit=` as Tempo does for the TraceQL msv
/// sends: `{ resource.service.name = "S" [&& status = error] && .K = "V" ... }`.
fn tempo_search(
    q: &BTreeMap<String, String>,
    store: &Mutex<Vec<Recorded>>,
    searches: &Mutex<Vec<String>>,
) -> (u16, String) {
    let traceql = q.get("q").cloned().unwrap_or_default();
    searches.lock().unwrap().push(traceql.clone());
    let cond = regex::Regex::new(r#"^\.?([a-z.]+) = (?:"([^"]*)"|(error))$"#).unwrap();
    let inner = traceql.trim().trim_start_matches('{').trim_end_matches('}');
    let (mut tags, mut errors) = (BTreeMap::new(), false);
    for c in inner.split("&&").map(str::trim) {
        let Some(m) = cond.captures(c) else {
            return (400, format!("{{\"error\": \"unexpected condition {c}\"}}"));
        };
        match (&m[1], m.get(2).map(|v| v.as_str())) {
            ("status", None) => errors = true,
            ("resource.service.name", Some("shop")) => {}
            (k, Some(v)) => {
                tags.insert(k.to_string(), v.to_string());
            }
            _ => return (400, format!("{{\"error\": \"unexpected condition {c}\"}}")),
        }
    }
    let secs = |k: &str| q.get(k).and_then(|v| v.parse::<u128>().ok());
    let (start, end) = (
        secs("start").unwrap_or(0),
        secs("end").unwrap_or(u128::MAX / 2),
    );
    let limit = secs("limit").unwrap_or(20) as usize;
    let store = store.lock().unwrap();
    let traces: Vec<Value> = store
        .iter()
        .enumerate()
        .filter(|(_, r)| (start * 1_000_000..=(end + 1) * 1_000_000).contains(&r.start_us))
        .filter(|(_, r)| !errors || r.error)
        .filter(|(_, r)| {
            tags.iter().all(|(k, v)| match k.as_str() {
                "service.version" => *v == r.version,
                "deployment.color" => *v == r.color,
                _ => false,
            })
        })
        .rev()
        .take(limit)
        .map(|(i, r)| {
            json!({"traceID": format!("{:032x}", i + 1), "rootServiceName": "shop",
                   "rootTraceName": "GET /api/items",
                   "startTimeUnixNano": (r.start_us * 1000).to_string(), "durationMs": 8})
        })
        .collect();
    (200, json!({"traces": traces}).to_string())
}

/// Answers `GET /api/traces?service=&start=&end=&limit=&tags=` as Jaeger's query API does,
/// and Tempo's `/api/search`.
fn answer(
    target: &str,
    store: &Mutex<Vec<Recorded>>,
    searches: &Mutex<Vec<String>>,
) -> (u16, String) {
    let url = reqwest::Url::parse(&format!("http://x{target}")).unwrap();
    let q: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    if url.path() == "/api/search" {
        return tempo_search(&q, store, searches);
    }
    if url.path() != "/api/traces" || q.get("service").map(String::as_str) != Some("shop") {
        (
            404,
            "{\"data\":null,\"errors\":[{\"code\":404,\"msg\":\"not found\"}]}".to_string(),
        )
    } else {
        let tags: BTreeMap<String, String> = q
            .get("tags")
            .map(|t| serde_json::from_str(t).unwrap())
            .unwrap_or_default();
        searches
            .lock()
            .unwrap()
            .push(q.get("tags").cloned().unwrap_or_default());
        let num = |k: &str| q.get(k).and_then(|v| v.parse::<u128>().ok());
        let (start, end) = (num("start").unwrap_or(0), num("end").unwrap_or(u128::MAX));
        let limit = num("limit").unwrap_or(20) as usize;
        let store = store.lock().unwrap();
        let data: Vec<Value> = store
            .iter()
            .enumerate()
            .filter(|(_, r)| (start..=end).contains(&r.start_us))
            .filter(|(_, r)| {
                tags.iter().all(|(k, v)| match k.as_str() {
                    "service.version" => *v == r.version,
                    "deployment.color" => *v == r.color,
                    "error" => r.error && v == "true",
                    _ => false,
                })
            })
            .rev()
            .take(limit)
            .map(|(i, r)| trace(i, r))
            .collect();
        (
            200,
            json!({"data": data, "total": 0, "limit": 0, "offset": 0, "errors": null}).to_string(),
        )
    }
}

/// One trace as Jaeger's API shows it: one server span, the pod's resource attributes as
/// process tags, `error=true` on a failed span.
fn trace(i: usize, r: &Recorded) -> Value {
    let id = format!("{:032x}", i + 1);
    let tags = match r.error {
        true => json!([{"key": "error", "type": "bool", "value": true}]),
        false => json!([]),
    };
    json!({
        "traceID": id,
        "spans": [{
            "traceID": id, "spanID": format!("{:016x}", i + 1), "operationName": "GET /api/items",
            "references": [], "startTime": r.start_us as u64, "duration": 8000, "tags": tags,
            "logs": [], "processID": "p1", "warnings": null
        }],
        "processes": {"p1": {"serviceName": "shop", "tags": [
            {"key": "service.version", "type": "string", "value": r.version},
            {"key": "deployment.color", "type": "string", "value": r.color}
        ]}},
        "warnings": null
    })
}

/// `image`'s pods answer `/api/items` with 200 and leave a trace for each, one in
/// `error_every` with an error span (a failed call downstream, say; the answer is still 200).
fn serve_traced(env: &Env, jaeger: &Jaeger, image: &str, error_every: u64) {
    let version = image.rsplit(':').next().unwrap().to_string();
    let store = jaeger.store.clone();
    let served = Arc::new(std::sync::atomic::AtomicU64::new(0));
    env.fake.set_backend_for_image(image, move |req| {
        if req.path != "/api/items" {
            return ProxyResponse::ok("ok");
        }
        let n = served.fetch_add(1, Ordering::SeqCst) + 1;
        let color = if req.pod.starts_with("shop-green-") {
            "green"
        } else {
            "blue"
        };
        let start_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros();
        store.lock().unwrap().push(Recorded {
            start_us,
            version: version.clone(),
            color: color.into(),
            error: error_every > 0 && n.is_multiple_of(error_every),
        });
        ProxyResponse::ok("items")
    });
}

fn env_with_trace_gate(jaeger_url: &str, extra: &str) -> Env {
    env_with_backend("jaeger", jaeger_url, extra)
}

fn env_with_backend(backend: &str, url: &str, extra: &str) -> Env {
    Env::with_deploy(&format!(
        "timeout = \"20s\"\nverify_for = \"3s\"\nscale_down_delay = \"0s\"\n\n[deploy.analysis]\ninterval = \"300ms\"\nmax_error_traces_ratio = 0.1\nmin_traces = 5\n{extra}\n[traces]\nbackend = \"{backend}\"\nurl = \"{url}\"\n"
    ))
}

fn users(env: &Env) -> Traffic {
    Traffic::start(
        env.fake.kubeconfig_path(),
        format!("/api/v1/namespaces/{NS}/services/shop:8080/proxy/api/items"),
        Duration::from_millis(5),
    )
}

fn measure<'a>(analysis: &'a Value, name: &str) -> &'a Value {
    analysis["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["measure"] == name)
        .unwrap_or_else(|| panic!("no {name} in {analysis:#}"))
}

#[test]
fn a_candidate_whose_traces_fail_is_switched_back_though_every_answer_was_200() {
    let jaeger = Jaeger::start();
    let env = env_with_trace_gate(&jaeger.url, "");
    serve_traced(&env, &jaeger, "r/shop:1", 0);
    env.deploy("r/shop:1").status(0);
    // The live color's traces are clean; the candidate fails one call in four downstream.
    serve_traced(&env, &jaeger, "r/shop:2", 4);
    let monitor = Monitor::start(&env);
    let traffic = users(&env);
    env.deploy("r/shop:2")
        .status(1)
        .stderr_has("the candidate failed the analysis in the verify window")
        .stderr_has("error traces")
        .stderr_has("<= 10.00%")
        .stderr_has("FAILED")
        .stderr_has("switched back");
    traffic.assert_no_failures();
    monitor.assert_clean();
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
    assert_eq!(entry["outcome"], "rolled-back");
    let analysis = &entry["analysis"];
    assert_eq!(analysis["verdict"], "fail");
    let m = measure(analysis, "error traces");
    assert_eq!(m["passed"], false);
    let ratio = m["candidate"].as_f64().unwrap();
    assert!((0.15..=0.35).contains(&ratio), "{ratio}");
    assert_eq!(m["baseline"], 0.0, "the live color's traces were clean");
    assert!(analysis["traces"].as_u64().unwrap() >= 5, "{analysis:#}");
    assert!(
        analysis["baseline_traces"].as_u64().unwrap() >= 1,
        "{analysis:#}"
    );
    // The searches named the candidate by version and color, and the baseline likewise.
    let searches = jaeger.searches.lock().unwrap().clone();
    let asked: Vec<BTreeMap<String, String>> = searches
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect();
    let wanted = |v: &str, c: &str| {
        BTreeMap::from([
            ("deployment.color".to_string(), c.to_string()),
            ("service.version".to_string(), v.to_string()),
        ])
    };
    assert!(asked.contains(&wanted("2", "green")), "{asked:?}");
    assert!(asked.contains(&wanted("1", "blue")), "{asked:?}");
}

#[test]
fn clean_traces_pass_and_the_numbers_are_shown() {
    let jaeger = Jaeger::start();
    let env = env_with_trace_gate(&jaeger.url, "");
    serve_traced(&env, &jaeger, "r/shop:1", 0);
    env.deploy("r/shop:1").status(0);
    serve_traced(&env, &jaeger, "r/shop:2", 0);
    let traffic = users(&env);
    let run = env
        .msv(&["deploy", "--image", "r/shop:2", "-o", "json"])
        .run()
        .status(0);
    traffic.assert_no_failures();
    let summary: Value = run.stdout_json();
    let analysis = &summary["analysis"];
    assert_eq!(analysis["verdict"], "pass", "{summary:#}");
    assert_eq!(measure(analysis, "error traces")["candidate"], 0.0);
    assert_eq!(env.live().as_deref(), Some("green"));
    // Traces the other color left in the same time are not the candidate's.
    jaeger.record("2", "blue", true);
    serve_traced(&env, &jaeger, "r/shop:3", 0);
    let traffic = users(&env);
    env.deploy("r/shop:3")
        .status(0)
        .stderr_has("analysis passed: error traces 0.00%");
    traffic.assert_no_failures();
}

#[test]
fn a_backend_that_cannot_be_searched_decides_nothing_and_says_so() {
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let env = env_with_trace_gate(&url, "inconclusive = \"fail\"\n");
    env.deploy("r/shop:1").status(0);
    let traffic = users(&env);
    env.deploy("r/shop:2")
        .status(1)
        .stderr_has("traces of the candidate not read from jaeger at")
        .stderr_has("the analysis stayed inconclusive (the trace backend could not be searched)")
        .stderr_has("switched back");
    traffic.assert_no_failures();
    assert_eq!(env.live().as_deref(), Some("blue"));
}

#[test]
fn the_trace_gate_without_a_backend_is_refused_before_anything_changes() {
    let env = Env::with_deploy("[deploy.analysis]\nmax_error_traces_ratio = 0.05\n");
    env.deploy("r/shop:1")
        .status(2)
        .stderr_has("the trace-error gate needs a trace backend")
        .stderr_has("deploy.analysis.max_error_traces_ratio");
    assert_eq!(env.live(), None);
    // With one, the dry run names the gate and where it searches.
    let jaeger = Jaeger::start();
    let env = env_with_trace_gate(&jaeger.url, "");
    env.msv(&["deploy", "--image", "r/shop:1", "--dry-run"])
        .run()
        .status(0);
    env.deploy("r/shop:1").status(0);
    env.msv(&["deploy", "--image", "r/shop:2", "--dry-run"])
        .run()
        .status(0)
        .stdout_has(&format!(
            "error traces <= 10% (from jaeger at {}",
            jaeger.url
        ));
}

/// Tempo's search answers summaries that do not say whether a trace failed: the gate asks a
/// second time with `status = error`, and switches a failing candidate back on that count.
#[test]
fn with_tempo_the_failed_traces_come_from_a_second_search_for_errors() {
    let tempo = Jaeger::start();
    let env = env_with_backend("tempo", &tempo.url, "");
    serve_traced(&env, &tempo, "r/shop:1", 0);
    env.deploy("r/shop:1").status(0);
    serve_traced(&env, &tempo, "r/shop:2", 4);
    let monitor = Monitor::start(&env);
    let traffic = users(&env);
    env.deploy("r/shop:2")
        .status(1)
        .stderr_has("the candidate failed the analysis in the verify window")
        .stderr_has("error traces")
        .stderr_has("switched back")
        .stderr_lacks("not read");
    traffic.assert_no_failures();
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("blue"));
    let searches = tempo.searches.lock().unwrap().clone();
    let candidate = r#".service.version = "2" && .deployment.color = "green" }"#;
    assert!(
        searches
            .iter()
            .any(|q| q.ends_with(candidate) && !q.contains("status = error")),
        "{searches:#?}"
    );
    assert!(
        searches
            .iter()
            .any(|q| q.ends_with(candidate) && q.contains("&& status = error &&")),
        "{searches:#?}"
    );
}
