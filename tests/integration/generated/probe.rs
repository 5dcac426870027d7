//! Running a generated service as a child process and probing it over HTTP on 127.0.0.1:
//! the checks every built-in template must pass (health, readiness, metrics, the error
//! shape, a traceparent round trip into the JSON log, readiness 503 after SIGTERM) and,
//! where the service exports traces, one trace with one server span per request.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::collector::{self, Collector};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// What the tests put in OTEL_RESOURCE_ATTRIBUTES, as `msv deploy` does.
const SERVICE_VERSION: &str = "1.4.2";
/// Requests to the example API made without a traceparent; each must be a trace of its own.
const UNTRACED_REQUESTS: usize = 3;

/// A free port on 127.0.0.1 (bound, then released for the service to take).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP GET; a small current-thread runtime keeps the tests themselves synchronous.
pub(crate) fn get(url: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .ok()?;
        let mut req = client.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.ok()?;
        let status = resp.status().as_u16();
        Some((status, resp.text().await.ok()?))
    })
}

/// Polls `url` until it answers `want` or `timeout` passes.
pub(crate) fn wait_for(url: &str, want: u16, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let mut last = None;
    while Instant::now() < deadline {
        match get(url, &[]) {
            Some((status, _)) if status == want => return Ok(()),
            other => last = other,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "{url} did not answer {want} within {timeout:?}; last answer {last:?}"
    ))
}

/// A service started by a test; killed on drop if still running.
pub(crate) struct Service {
    child: Child,
    pub(crate) port: u16,
    log: PathBuf,
    name: &'static str,
    collector: Option<Collector>,
}

impl Service {
    /// Starts `cmd` in `dir` with PORT, HOST=127.0.0.1 and a short drain; stdout and stderr
    /// go to files in `dir`. Traces are not exported.
    pub(crate) fn start(name: &'static str, cmd: Command, dir: &Path) -> Service {
        Self::start_with(name, cmd, dir, None)
    }

    /// [`Service::start`], exporting traces to a stand-in collector that [`Service::check_all`]
    /// then checks.
    pub(crate) fn start_exporting(name: &'static str, cmd: Command, dir: &Path) -> Service {
        Self::start_with(name, cmd, dir, Some(Collector::start()))
    }

    fn start_with(
        name: &'static str,
        mut cmd: Command,
        dir: &Path,
        collector: Option<Collector>,
    ) -> Service {
        let port = free_port();
        let log = dir.join("stdout.log");
        cmd.current_dir(dir)
            .env("PORT", port.to_string())
            .env("HOST", "127.0.0.1")
            .env("SHUTDOWN_DELAY_SECONDS", "2")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(fs::File::create(&log).unwrap())
            .stderr(fs::File::create(dir.join("stderr.log")).unwrap());
        if let Some(c) = &collector {
            cmd.env("OTEL_EXPORTER_OTLP_ENDPOINT", c.endpoint())
                .env(
                    "OTEL_RESOURCE_ATTRIBUTES",
                    format!("service.version={SERVICE_VERSION}"),
                )
                .env("OTEL_BSP_SCHEDULE_DELAY", "200");
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot start {cmd:?}: {e}"));
        Service {
            child,
            port,
            log,
            name,
            collector,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn output(&self) -> String {
        let err = self.log.with_file_name("stderr.log");
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            fs::read_to_string(&self.log).unwrap_or_default(),
            fs::read_to_string(err).unwrap_or_default()
        )
    }

    #[track_caller]
    fn fail(&self, what: &str) -> ! {
        panic!("{}: {what}\n{}", self.name, self.output())
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Every check a generated service must pass; `item_route` is the route label the
    /// template's metrics use for /api/v1/items/<id>.
    pub(crate) fn check_all(&mut self, item_route: &str) {
        if let Err(e) = wait_for(&self.url("/healthz"), 200, Duration::from_secs(60)) {
            self.fail(&e);
        }
        match get(&self.url("/readyz"), &[]) {
            Some((200, _)) => {}
            other => self.fail(&format!("/readyz once started: {other:?}, want 200")),
        }

        // The example API's error shape, with a traceparent to follow into the log.
        let (status, body) = get(
            &self.url("/api/v1/items/424242"),
            &[("traceparent", TRACEPARENT)],
        )
        .unwrap_or_else(|| self.fail("no answer from /api/v1/items/424242"));
        let error: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        if status != 404
            || error["error"]["code"] != "not_found"
            || !error["error"]["message"].is_string()
        {
            self.fail(&format!(
                "GET /api/v1/items/424242: {status} {body}, want 404 with error.code not_found"
            ));
        }

        let (status, metrics) =
            get(&self.url("/metrics"), &[]).unwrap_or_else(|| self.fail("no /metrics"));
        let counter = format!(r#"route="{item_route}""#);
        let has = |prefix: &str| {
            metrics.lines().any(|l| {
                l.starts_with(prefix) && l.contains(&counter) && l.contains(r#"status="404""#)
            })
        };
        if status != 200
            || !has("http_requests_total{")
            || !has("http_request_duration_seconds_bucket{")
        {
            self.fail(&format!(
                "/metrics lacks request count and latency for {item_route} 404:\n{metrics}"
            ));
        }

        for _ in 0..UNTRACED_REQUESTS {
            if get(&self.url("/api/v1/items/424243"), &[]).map(|r| r.0) != Some(404) {
                self.fail("GET /api/v1/items/424243 without a traceparent: want 404");
            }
        }
        self.check_metrics_as_msv_reads_them(item_route, UNTRACED_REQUESTS + 1);

        self.check_trace_in_log();
        self.check_sigterm();
        self.check_exported_traces();
    }

    /// What `msv deploy`'s analysis reads of this service: its real `/metrics` through msv's
    /// own parser and counts, for the item route, must count exactly the `not_found`
    /// requests sent, none of them an error (5xx), with a latency histogram for the p99.
    fn check_metrics_as_msv_reads_them(&self, item_route: &str, sent: usize) {
        let (_, text) = get(&self.url("/metrics"), &[]).unwrap_or_else(|| self.fail("no /metrics"));
        let counted = counted_by_msv(&text, item_route);
        if counted != (sent as f64, 0.0, true) {
            self.fail(&format!(
                "msv reads (requests, errors, has p99) = {counted:?} for {item_route}; want ({sent}, 0, true):\n{text}"
            ));
        }
    }

    /// Once the service has exited (and flushed): one trace per request, one server span each.
    fn check_exported_traces(&self) {
        let Some(collector) = &self.collector else {
            return;
        };
        let requests = UNTRACED_REQUESTS + 1;
        let check = |spans: &[collector::Span]| {
            collector::one_trace_per_request(
                spans,
                "/api/v1/items/",
                requests,
                (TRACE_ID, PARENT_SPAN_ID),
                SERVICE_VERSION,
            )
        };
        let spans = collector.wait_until(Duration::from_secs(10), |s| check(s).is_none());
        if let Some(problems) = check(&spans) {
            self.fail(&format!("exported traces:\n{problems}"));
        }
        eprintln!(
            "{}: {} spans exported, one trace and one server span per request",
            self.name,
            spans.len()
        );
    }

    fn check_trace_in_log(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = fs::read_to_string(&self.log).unwrap_or_default();
            let found = text
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .any(|v| {
                    v["trace_id"] == TRACE_ID
                        && v["span_id"].as_str().is_some_and(|s| s.len() == 16)
                });
            if found {
                return;
            }
            if Instant::now() > deadline {
                self.fail(&format!(
                    "no JSON log line carries trace_id {TRACE_ID} and a span_id"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM: /readyz must turn 503 while the process still serves, then it exits cleanly.
    fn check_sigterm(&mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut saw_503 = false;
        while Instant::now() < deadline && self.exited().is_none() {
            if let Some((503, _)) = get(&self.url("/readyz"), &[]) {
                saw_503 = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !saw_503 {
            self.fail("/readyz never answered 503 between SIGTERM and exit");
        }
        while Instant::now() < deadline + Duration::from_secs(10) {
            if let Some(status) = self.exited() {
                if !status.success() {
                    self.fail(&format!("exited with {status} after SIGTERM"));
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.fail("still running 20 s after SIGTERM");
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a build or test step to completion; panics with its output when it fails.
#[track_caller]
pub(crate) fn run_step(what: &str, cmd: &mut Command) -> String {
    let started = Instant::now();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    eprintln!("{what}: ok in {:.1} s", started.elapsed().as_secs_f64());
    text
}

/// What msv's analysis counts on `route` in a service's `/metrics` text: requests, 5xx
/// answers, and whether a p99 can be computed. Fails the test when msv cannot parse it.
pub(crate) fn counted_by_msv(text: &str, route: &str) -> (f64, f64, bool) {
    use msv::analysis::{Counts, Names, prom};
    let samples =
        prom::parse(text).unwrap_or_else(|e| panic!("msv cannot parse /metrics: {e}\n{text}"));
    let on_route: Vec<prom::Sample> = samples
        .into_iter()
        .filter(|s| {
            ["route", "http_route"]
                .iter()
                .any(|l| s.label(l) == Some(route))
        })
        .collect();
    let names = Names {
        duration_metric: "http_request_duration_seconds".into(),
        requests_metric: "http_requests_total".into(),
        status_label: "status".into(),
        exclude_routes: vec![],
    };
    let c = Counts::of(&on_route, &names);
    (c.requests, c.errors, c.quantile(0.99).is_some())
}
