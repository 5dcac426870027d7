//! `msv traces` against fake Jaeger, Zipkin and Tempo servers on 127.0.0.1 that answer
//! with real payloads (tests/fixtures/traces, see SOURCES.md there) and record what
//! they were asked; and `msv traces show --file` on those payloads.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde::Deserialize;

use crate::support::{Test, repo_root};

/// `msv traces show --file` on small hand-made files of every shape it reads or refuses.
#[path = "traces_files.rs"]
mod files;

fn fixture(rel: &str) -> String {
    let path = repo_root().join("tests/fixtures/traces").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn fixture_path(rel: &str) -> std::path::PathBuf {
    repo_root().join("tests/fixtures/traces").join(rel)
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    query: BTreeMap<String, String>,
    accept: Option<String>,
}

type Route = (String, u16, String);

/// An HTTP/1.1 server on 127.0.0.1:0 answering GETs from a fixed route table (longest
/// matching path prefix wins). It stops when dropped.
struct Fake {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Fake {
    fn new(routes: &[(&str, u16, String)]) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the fake backend");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let routes: Vec<Route> = routes
            .iter()
            .map(|(p, s, b)| (p.to_string(), *s, b.clone()))
            .collect();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let _ = serve(conn, &routes, &seen2);
                }
            }
        });
        Fake {
            url,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(conn: TcpStream, routes: &[Route], seen: &Mutex<Vec<Seen>>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut accept = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
        if let Some((k, v)) = header.split_once(':')
            && k.eq_ignore_ascii_case("accept")
        {
            accept = Some(v.trim().to_string());
        }
    }
    let url = reqwest::Url::parse(&format!("http://x{target}")).unwrap();
    let path = url.path().to_string();
    let query = url.query_pairs().into_owned().collect();
    seen.lock().unwrap().push(Seen {
        path: path.clone(),
        query,
        accept,
    });
    let route = routes
        .iter()
        .filter(|(p, ..)| path.starts_with(p.as_str()))
        .max_by_key(|(p, ..)| p.len());
    let (status, body) = match route {
        Some((_, s, b)) => (*s, b.as_str()),
        None => (404, "404 page not found"),
    };
    let mut conn = conn;
    write!(
        conn,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    conn.flush()
}

/// The JSON `msv traces list -o json` prints, as a client would read it.
#[derive(Debug, Deserialize)]
struct Summary {
    trace_id: String,
    start_ns: u64,
    duration_ns: u64,
    root_service: String,
    root_operation: String,
    span_count: Option<usize>,
    services: Vec<String>,
    error: bool,
}

/// The JSON `msv traces show -o json` prints: one shape whatever the number of traces.
#[derive(Debug, Deserialize)]
pub(crate) struct ShowJson {
    pub traces: Vec<TraceJson>,
    pub errors: Vec<ErrorJson>,
}

impl ShowJson {
    /// The one trace it holds, with no errors beside it.
    #[track_caller]
    pub fn one(mut self) -> TraceJson {
        assert_eq!(self.traces.len(), 1, "{self:?}");
        assert!(self.errors.is_empty(), "{self:?}");
        self.traces.remove(0)
    }
}

/// An error the backend reported (Jaeger's `errors`).
#[derive(Debug, Deserialize, PartialEq)]
pub(crate) struct ErrorJson {
    pub code: Option<i64>,
    pub message: String,
    pub trace_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TraceJson {
    trace_id: String,
    spans: Vec<SpanJson>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SpanJson {
    pub span_id: String,
    pub parent_id: Option<String>,
    pub service: String,
    pub operation: String,
    pub kind: Option<String>,
    pub start_ns: u64,
    pub duration_ns: u64,
    pub error: bool,
    pub shared: bool,
    pub orphan: bool,
}

fn jaeger_envelope(traces: &[&str]) -> String {
    format!(
        r#"{{"data":[{}],"total":0,"limit":0,"offset":0,"errors":null}}"#,
        traces.join(",")
    )
}

fn single_jaeger_trace(rel: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&fixture(rel)).unwrap();
    match v.get("data") {
        Some(data) => data[0].to_string(),
        None => v.to_string(),
    }
}

fn msv(fake: &Fake, backend: &str) -> Test {
    Test::new()
        .env("MSV_TRACES_BACKEND", backend)
        .env("MSV_TRACES_URL", &fake.url)
        .env("COLUMNS", "100")
}

#[test]
fn jaeger_list_asks_the_v1_api_and_summarizes() {
    let body = jaeger_envelope(&[
        &single_jaeger_trace("jaeger/petclinic_spanAmongEachOtherGroupedAndSpans.json"),
        &single_jaeger_trace("jaeger/ui_01.json"),
    ]);
    let fake = Fake::new(&[("/api/traces", 200, body)]);
    let run = msv(&fake, "jaeger")
        .args(&[
            "traces",
            "api-gateway",
            "--since",
            "2h",
            "--limit",
            "5",
            "--operation",
            "GET",
            "--min-duration",
            "1ms",
        ])
        .args(&["--tag", "http.status_code=200", "-o", "json"])
        .run()
        .status(0);
    let list: Vec<Summary> = run.stdout_json();
    assert_eq!(list.len(), 2);
    let pet = list
        .iter()
        .find(|s| s.span_count == Some(17))
        .expect("the petclinic trace");
    assert_eq!(pet.services, vec!["api-gateway", "customers-service"]);
    assert_eq!(
        (pet.root_service.as_str(), pet.error),
        ("api-gateway", false)
    );
    assert_eq!(pet.duration_ns, 3_720_000);
    let ui = list
        .iter()
        .find(|s| s.span_count == Some(5))
        .expect("the ui_01 trace");
    assert!(ui.error);
    assert_eq!(ui.trace_id, "0000000000000001");
    assert!(list[0].start_ns >= list[1].start_ns, "newest first");

    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    let q = &seen[0].query;
    assert_eq!(seen[0].path, "/api/traces");
    assert_eq!(
        (
            q["service"].as_str(),
            q["limit"].as_str(),
            q["operation"].as_str()
        ),
        ("api-gateway", "5", "GET")
    );
    assert_eq!(q["minDuration"], "1000us");
    assert_eq!(q["tags"], r#"{"http.status_code":"200"}"#);
    let (start, end): (u64, u64) = (q["start"].parse().unwrap(), q["end"].parse().unwrap());
    assert_eq!(end - start, 7_200_000_000, "--since 2h in microseconds");
}

#[test]
fn jaeger_list_table_marks_errors() {
    let body = jaeger_envelope(&[&single_jaeger_trace("jaeger/ui_01.json")]);
    let fake = Fake::new(&[("/api/traces", 200, body)]);
    let run = msv(&fake, "jaeger")
        .args(&["traces", "list", "service-x", "--errors"])
        .run()
        .status(0);
    let run = run
        .stdout_has("TRACE ID")
        .stdout_has("0000000000000001")
        .stdout_has("service-x: test-general-conversion");
    run.stdout_has("error").stdout_has("service-x,service-y");
    assert_eq!(fake.seen()[0].query["tags"], r#"{"error":"true"}"#);
}

/// Jaeger answers a search that partly failed with results and `errors` together: the list
/// is shown with each error said on stderr; errors without results fail the command.
#[test]
fn jaeger_list_reports_the_errors_beside_its_results() {
    let trace = single_jaeger_trace("jaeger/ui_01.json");
    let partial = format!(
        r#"{{"data":[{trace}],"total":0,"limit":0,"offset":0,"errors":[{{"code":500,"msg":"storage shard 2 timed out"}}]}}"#
    );
    let fake = Fake::new(&[("/api/traces", 200, partial)]);
    let run = msv(&fake, "jaeger")
        .args(&["traces", "list", "service-x", "-o", "json"])
        .run()
        .status(0)
        .stderr_has("the list may be missing traces: storage shard 2 timed out (code 500)");
    let list: Vec<Summary> = run.stdout_json();
    assert_eq!(list.len(), 1);
    let failed =
        r#"{"data":[],"total":0,"limit":0,"offset":0,"errors":[{"code":503,"msg":"no storage"}]}"#;
    let fake = Fake::new(&[("/api/traces", 200, failed.to_string())]);
    msv(&fake, "jaeger")
        .args(&["traces", "list", "service-x"])
        .run()
        .status(2)
        .stderr_has("the jaeger search at")
        .stderr_has("failed: no storage (code 503)");
}

#[test]
fn jaeger_show_draws_the_waterfall() {
    let fake = Fake::new(&[(
        "/api/traces/2db17286b3e6b148",
        200,
        fixture("jaeger/jaeger-query-self-trace_ui-trace.json"),
    )]);
    let run = msv(&fake, "jaeger")
        .args(&["traces", "show", "2db17286b3e6b148"])
        .run()
        .status(0);
    assert!(
        !run.stdout().contains('\x1b'),
        "no color when stdout is not a terminal"
    );
    insta::assert_snapshot!("jaeger_show", run.stdout());
}

#[test]
fn jaeger_v3_is_reached_through_an_api_v3_url() {
    let fake = Fake::new(&[(
        "/api/v3/traces/2ea75461946a7dd10f2c15ab36a076cb",
        200,
        fixture("otlp/jaeger-apiv3-getTrace-response_hotrod.json"),
    )]);
    let run = Test::new()
        .args(&[
            "traces",
            "show",
            "2ea75461946a7dd10f2c15ab36a076cb",
            "-o",
            "json",
        ])
        .args(&[
            "--backend",
            "jaeger",
            "--url",
            &format!("{}/api/v3", fake.url),
        ])
        .run()
        .status(0);
    let t = run.stdout_json::<ShowJson>().one();
    assert_eq!(t.trace_id, "2ea75461946a7dd10f2c15ab36a076cb");
    assert_eq!(t.spans.len(), 40);
    assert_eq!(t.spans.iter().filter(|s| s.error).count(), 3);
    let services: std::collections::BTreeSet<&str> =
        t.spans.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(services.len(), 6);
    assert_eq!(
        fake.seen()[0].path,
        "/api/v3/traces/2ea75461946a7dd10f2c15ab36a076cb"
    );
}

#[test]
fn jaeger_not_found_exits_1() {
    let body = r#"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}"#;
    let fake = Fake::new(&[("/api/traces/", 404, body.to_string())]);
    msv(&fake, "jaeger")
        .args(&["traces", "show", "abcdef"])
        .run()
        .status(1)
        .stderr_has("trace abcdef not found in jaeger at ")
        .stdout_empty();
}

#[test]
fn zipkin_list_and_errors_filter() {
    let body = format!(
        "[{},{}]",
        fixture("zipkin/skew.json"),
        fixture("zipkin/messaging-kafka.json")
    );
    let fake = Fake::new(&[("/api/v2/traces", 200, body)]);
    let all: Vec<Summary> = msv(&fake, "zipkin")
        .args(&["traces", "servicea", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(all.len(), 2);
    let skew = all
        .iter()
        .find(|s| s.trace_id == "1e223ff1f80f1c69")
        .unwrap();
    assert_eq!(
        (skew.span_count, skew.root_operation.as_str(), skew.error),
        (Some(4), "get", false)
    );
    let errors: Vec<Summary> = msv(&fake, "zipkin")
        .args(&["traces", "servicea", "--errors", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(errors.len(), 1, "only the kafka trace has error tags");
    assert_eq!(
        (errors[0].span_count, errors[0].services.len()),
        (Some(28), 2)
    );
    let seen = fake.seen();
    assert_eq!(seen[1].query["serviceName"], "servicea");
    assert_eq!(seen[1].query["annotationQuery"], "error");
    assert_eq!(seen[1].query["lookback"], "3600000");
}

#[test]
fn zipkin_show_draws_shared_spans_and_skew() {
    let fake = Fake::new(&[(
        "/api/v2/trace/1e223ff1f80f1c69",
        200,
        fixture("zipkin/skew.json"),
    )]);
    let run = msv(&fake, "zipkin")
        .args(&["traces", "show", "1e223ff1f80f1c69"])
        .run()
        .status(0);
    insta::assert_snapshot!("zipkin_show_skew", run.stdout());
    // The skew is said on stderr and kept in `-o json` (one shape: traces and errors).
    assert!(
        run.stderr().contains("start before their parent")
            || run.stderr().contains("starts before its parent"),
        "{}",
        run.stderr()
    );
    let json: serde_json::Value = msv(&fake, "zipkin")
        .args(&["traces", "show", "1e223ff1f80f1c69", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    let warnings = json["traces"][0]["warnings"].to_string();
    assert!(warnings.contains("before"), "{json:#}");
}

#[test]
fn tempo_search_then_show() {
    let search = fixture("tempo/search-traceql_bookinfo-ambient_responseAmbient.json");
    let trace = fixture("tempo/trace-by-id_bookinfo_responseTrace.json");
    let fake = Fake::new(&[("/api/search", 200, search), ("/api/traces/", 200, trace)]);
    let list: Vec<Summary> = msv(&fake, "tempo")
        .args(&["traces", "productpage", "--errors", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].trace_id, "02e299711ce47710289dc6640727404f",
        "the dropped leading zero is back"
    );
    assert_eq!(
        (list[0].root_service.as_str(), list[0].span_count),
        ("waypoint.bookinfo", Some(4))
    );
    assert_eq!(list[0].duration_ns, 12_000_000);
    let q = &fake.seen()[0].query;
    assert_eq!(
        q["q"],
        r#"{ resource.service.name = "productpage" && status = error }"#
    );

    let run = msv(&fake, "tempo")
        .args(&["traces", "show", "3ba55609c3cde49649cd77d1f9dcd936"])
        .run()
        .status(0);
    let seen = fake.seen();
    assert_eq!(seen[1].path, "/api/traces/3ba55609c3cde49649cd77d1f9dcd936");
    assert_eq!(seen[1].accept.as_deref(), Some("application/json"));
    insta::assert_snapshot!("tempo_show", run.stdout());
}

#[test]
fn config_file_names_the_backend() {
    let fake = Fake::new(&[("/api/v2/trace/", 200, fixture("zipkin/envoy.json"))]);
    let dir = tempfile::tempdir().unwrap();
    let toml = format!("[traces]\nbackend = \"zipkin\"\nurl = \"{}\"\n", fake.url);
    std::fs::write(dir.path().join("msv.toml"), toml).unwrap();
    let t = Test::new()
        .args(&["traces", "show", "978883983d506fa5", "-o", "json"])
        .current_dir(dir.path())
        .run()
        .status(0)
        .stdout_json::<ShowJson>()
        .one();
    assert_eq!((t.spans.len(), t.spans[0].service.as_str()), (1, "unknown"));
    assert_eq!(fake.seen()[0].path, "/api/v2/trace/978883983d506fa5");
}

#[test]
fn an_invalid_service_name_is_refused_before_any_request() {
    let fake = Fake::new(&[("/api/traces", 200, jaeger_envelope(&[]))]);
    for args in [&["traces", "2fast"][..], &["traces", "list", "2fast"]] {
        msv(&fake, "jaeger")
            .args(args)
            .args(&["--url", &fake.url])
            .run()
            .status(2)
            .stderr_has("invalid service name \"2fast\"")
            .stderr_has("try `svc-2fast`");
    }
    assert!(fake.seen().is_empty(), "asked: {:?}", fake.seen());
}

#[test]
fn broken_backends_are_clear_errors() {
    let truncated = fixture("jaeger/ui_01.json")[..400].to_string();
    let fake = Fake::new(&[
        ("/api/traces/0bad", 200, truncated),
        ("/api/traces/0500", 500, "boom".into()),
    ]);
    msv(&fake, "jaeger")
        .args(&["traces", "show", "0bad"])
        .run()
        .status(2)
        .stderr_has("reading the jaeger trace from")
        .stderr_has("EOF while parsing");
    msv(&fake, "jaeger")
        .args(&["traces", "show", "0500"])
        .run()
        .status(2)
        .stderr_has("answered 500 Internal Server Error: boom");
    msv(&fake, "jaeger")
        .args(&["traces", "show", "../../x"])
        .run()
        .status(2)
        .stderr_has("not valid: expected up to 32 hexadecimal digits");
    assert_eq!(fake.seen().len(), 2, "a bad id never reaches the backend");

    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    Test::new()
        .args(&["traces", "orders"])
        .env("MSV_TRACES_BACKEND", "tempo")
        .env("MSV_TRACES_URL", format!("http://{closed}"))
        .run()
        .status(2)
        .stderr_has(&format!(
            "cannot reach the tempo backend at http://{closed}/api/search"
        ));
    Test::new()
        .args(&["traces", "orders"])
        .run()
        .status(2)
        .stderr_has("no trace backend configured");
    Test::new()
        .args(&[
            "traces",
            "show",
            "abc",
            "--backend",
            "jaeger",
            "--backend-service",
            "observability/jaeger-query:16686",
        ])
        .run()
        .status(2)
        .stderr_has("no kubeconfig found");
    Test::new()
        .args(&["traces", "show", "abc", "--backend", "jaeger"])
        .args(&["--backend-service", "observability/jaeger-:16686"])
        .run()
        .status(2)
        .stderr_has("--backend-service \"observability/jaeger-:16686\": invalid Kubernetes Service name \"jaeger-\": it ends with '-'")
        .stderr_has("try `jaeger`")
        .stderr_lacks("kubeconfig");
}

#[test]
fn show_file_reads_every_format() {
    // (file, trace id, spans, orphans)
    for (file, id, spans, orphans) in [
        (
            "jaeger/petclinic_spanAmongEachOtherGroupedAndSpans.json",
            None,
            17,
            0,
        ),
        (
            "otlp/oteldemo-checkout-error_timeout_masked.json",
            Some("3e241b731fcf87976a3d50f5a7cc4d94"),
            26,
            0,
        ),
        (
            "otlp/otel-proto-example-trace.json",
            Some("5b8efff798038103d269b633813fc60c"),
            1,
            1,
        ),
        (
            "tempo/trace-by-id_bookinfo_responseTrace.json",
            Some("3ba55609c3cde49649cd77d1f9dcd936"),
            8,
            0,
        ),
        ("zipkin/messaging2.json", Some("0d1a94ebc9256244"), 11, 6),
    ] {
        let path = fixture_path(file);
        let t = Test::new()
            .args(&["traces", "show", "-o", "json", "--file"])
            .arg(&path)
            .run()
            .status(0)
            .stdout_json::<ShowJson>()
            .one();
        assert_eq!(t.spans.len(), spans, "{file}");
        assert_eq!(
            t.spans.iter().filter(|s| s.orphan).count(),
            orphans,
            "{file}"
        );
        if let Some(id) = id {
            assert_eq!(t.trace_id, id, "{file}");
        }
        let ids: Vec<&str> = t.spans.iter().map(|s| s.span_id.as_str()).collect();
        let linked = t
            .spans
            .iter()
            .filter(|s| s.parent_id.as_deref().is_some_and(|p| ids.contains(&p)))
            .count();
        assert_eq!(
            linked + t.spans.iter().filter(|s| s.parent_id.is_none()).count() + orphans,
            spans,
            "{file}"
        );
        assert!(
            t.spans
                .iter()
                .all(|s| s.duration_ns > 0 || file.contains("proto")),
            "{file}"
        );
    }
}

#[test]
fn show_file_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, b"{\"spans\": [").unwrap();
    Test::new()
        .args(&["traces", "show", "--file"])
        .arg(&bad)
        .run()
        .status(2)
        .stderr_has("bad.json: not valid JSON");
    std::fs::write(&bad, b"{\"hello\": 1}").unwrap();
    Test::new()
        .args(&["traces", "show", "--file"])
        .arg(&bad)
        .run()
        .status(2)
        .stderr_has("not a trace format msv knows");
    Test::new()
        .args(&["traces", "show", "--file"])
        .arg(fixture_path("tempo/search-traceql_bookinfo_response.json"))
        .run()
        .status(2)
        .stderr_has("Tempo search result");
    Test::new()
        .args(&["traces", "show", "--file", "/nonexistent/t.json"])
        .run()
        .status(2)
        .stderr_has("reading /nonexistent/t.json");
    Test::new()
        .args(&["traces", "show", "-o", "table", "--file"])
        .arg(fixture_path("zipkin/envoy.json"))
        .run()
        .status(2)
        .stderr_has("use one of: tree, json");
}

#[test]
fn show_file_color_and_width() {
    let path = fixture_path("zipkin/yelp.json");
    let run = Test::new()
        .args(&["traces", "show", "--color", "always", "--file"])
        .arg(&path)
        .env("COLUMNS", "70")
        .run()
        .status(0);
    assert!(run.stdout().contains("\x1b["), "--color always paints");
    let run = Test::new()
        .args(&["traces", "show", "--file"])
        .arg(&path)
        .env("COLUMNS", "70")
        .run()
        .status(0);
    for line in run.stdout().lines() {
        assert!(line.chars().count() <= 70, "{line:?}");
    }
    insta::assert_snapshot!("yelp_70_columns", run.stdout());
}

/// `--backend-service` reaches a backend inside the cluster through the API server's service
/// proxy: no port-forward, no route to the pod network.
#[test]
fn backend_service_goes_through_the_api_server() {
    use crate::fake_api::FakeCluster;
    use serde_json::json;

    let fake = Fake::new(&[(
        "/api/traces/2db17286b3e6b148",
        200,
        fixture("jaeger/jaeger-query-self-trace_ui-trace.json"),
    )]);
    let cluster = FakeCluster::start();
    cluster.create_namespace("observability");
    let labels = json!({"app": "jaeger-query"});
    cluster.create(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "jaeger-query", "namespace": "observability", "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": "query", "image": "jaeger-query:1", "ports": [{"containerPort": 16686}]}]}}}}));
    cluster.create(json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "jaeger-query", "namespace": "observability"},
        "spec": {"selector": labels, "ports": [{"port": 16686, "targetPort": 16686}]}}));
    cluster.set_backend_url_for_image("jaeger-query:1", &fake.url);
    cluster.wait_for(
        "jaeger-query endpoints",
        std::time::Duration::from_secs(10),
        |c| {
            c.get("endpoints", "observability", "jaeger-query")
                .filter(|ep| {
                    ep["subsets"][0]["addresses"]
                        .as_array()
                        .is_some_and(|a| !a.is_empty())
                })
        },
    );

    let run = Test::new()
        .args(&["traces", "show", "2db17286b3e6b148", "-o", "json"])
        .args(&[
            "--backend",
            "jaeger",
            "--backend-service",
            "observability/jaeger-query:16686",
        ])
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .run()
        .status(0);
    let trace = run.stdout_json::<ShowJson>().one();
    assert_eq!(trace.trace_id, "2db17286b3e6b148");
    assert!(!trace.spans.is_empty());
    let asked = fake.seen.lock().unwrap();
    assert!(
        asked
            .iter()
            .any(|s| s.path == "/api/traces/2db17286b3e6b148"),
        "the backend was reached"
    );
    assert!(
        cluster.requests().iter().any(|r| r
            .path
            .contains("/services/jaeger-query:16686/proxy/api/traces/")),
        "through the service proxy"
    );

    // A service that is not there is a clear error, not a hang.
    Test::new()
        .args(&["traces", "show", "2db17286b3e6b148"])
        .args(&[
            "--backend",
            "jaeger",
            "--backend-service",
            "observability/nope:16686",
        ])
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .run()
        .status(2)
        .stderr_has("through the API server");
}
