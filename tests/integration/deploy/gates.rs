//! The promotion gates around the switch. The user's checks (`[[deploy.checks]]`) against
//! backends that answer them; the metric gates of the verify window (`[deploy.analysis]`),
//! against pods that count
//! their own requests the way the templates do: each image's backend answers `/api/items`
//! (some share of them with 500, each observed at a given latency) and serves
//! `/metrics` in the Prometheus text format for the pod that was asked, so msv reads
//! exactly what the traffic through Service `S` did, through the pod proxy.

use super::*;
use std::collections::HashMap;
use std::sync::Mutex;

const BOUNDS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

/// What one image's pods do.
#[derive(Clone, Copy)]
pub(super) struct Serves {
    /// One request in `error_every` fails with 500 (0: none).
    pub(super) error_every: u64,
    /// Latency each request is observed at, in seconds.
    pub(super) latency: f64,
    /// `/metrics` never answers in time.
    pub(super) hang_metrics: bool,
    /// The process restarts (its counters start again from zero) after every this many
    /// requests to a pod (0: never).
    pub(super) restart_every: u64,
}

pub(super) const HEALTHY: Serves = Serves {
    error_every: 0,
    latency: 0.008,
    hang_metrics: false,
    restart_every: 0,
};

#[derive(Default)]
struct PodCounts {
    /// Requests since the pod started, across restarts of its process.
    lifetime: u64,
    by_status: HashMap<u16, u64>,
    /// Cumulative per bound, +Inf last.
    buckets: Vec<u64>,
    probes: u64,
}

/// Sets `image`'s backend: a service that counts what it serves per pod.
pub(super) fn serve(env: &Env, image: &str, serves: Serves) {
    env.fake.set_backend_for_image(image, backend(serves));
}

/// A service that counts what it serves per pod and serves the counts on `/metrics`.
pub(super) fn backend(
    serves: Serves,
) -> impl Fn(&ProxyRequest) -> ProxyResponse + Send + Sync + 'static {
    let counts: Arc<Mutex<HashMap<String, PodCounts>>> = Arc::default();
    move |req| {
        let mut all = counts.lock().unwrap();
        let pod = all.entry(req.pod.clone()).or_default();
        match req.path.as_str() {
            "/healthz" => {
                pod.probes += 1;
                ProxyResponse::ok("ok")
            }
            "/metrics" => {
                if serves.hang_metrics {
                    drop(all);
                    std::thread::sleep(Duration::from_secs(5));
                    return ProxyResponse::ok("");
                }
                ProxyResponse::ok(exposition(pod))
            }
            _ => {
                let total: u64 = pod.by_status.values().sum::<u64>() + 1;
                let status = match serves.error_every {
                    n if n > 0 && total.is_multiple_of(n) => 500,
                    _ => 200,
                };
                *pod.by_status.entry(status).or_default() += 1;
                if pod.buckets.is_empty() {
                    pod.buckets = vec![0; BOUNDS.len() + 1];
                }
                for (i, b) in BOUNDS.iter().chain([f64::INFINITY].iter()).enumerate() {
                    if serves.latency <= *b {
                        pod.buckets[i] += 1;
                    }
                }
                pod.lifetime += 1;
                if serves.restart_every > 0 && pod.lifetime.is_multiple_of(serves.restart_every) {
                    // The answer went out; then the process restarted.
                    let lifetime = pod.lifetime;
                    *pod = PodCounts {
                        lifetime,
                        ..PodCounts::default()
                    };
                }
                ProxyResponse::new(status, "items")
            }
        }
    }
}

/// The text a Prometheus client library serves for these counts (health probes counted
/// under their own route, which msv leaves out).
fn exposition(pod: &PodCounts) -> String {
    let mut out = String::from(
        "# HELP http_requests_total HTTP requests handled.\n# TYPE http_requests_total counter\n",
    );
    out.push_str(&format!(
        "http_requests_total{{method=\"GET\",route=\"/healthz\",status=\"200\"}} {}\n",
        pod.probes
    ));
    for (status, n) in &pod.by_status {
        out.push_str(&format!(
            "http_requests_total{{method=\"GET\",route=\"/api/items\",status=\"{status}\"}} {n}\n"
        ));
    }
    out.push_str("# TYPE http_request_duration_seconds histogram\n");
    let total: u64 = pod.by_status.values().sum();
    for (i, n) in pod.buckets.iter().enumerate() {
        let le = BOUNDS.get(i).map_or("+Inf".to_string(), |b| b.to_string());
        out.push_str(&format!(
            "http_request_duration_seconds_bucket{{method=\"GET\",route=\"/api/items\",le=\"{le}\"}} {n}\n"
        ));
    }
    out.push_str(&format!(
        "http_request_duration_seconds_count{{method=\"GET\",route=\"/api/items\"}} {total}\n"
    ));
    out
}

/// Requests to `/api/items` through Service shop, as users would send them.
pub(super) fn users(env: &Env) -> Traffic {
    Traffic::start(
        env.fake.kubeconfig_path(),
        format!("/api/v1/namespaces/{NS}/services/shop:8080/proxy/api/items"),
        Duration::from_millis(5),
    )
}

fn env_with_gates(verify_for: &str, gates: &str) -> Env {
    let env = Env::with_deploy(&format!(
        "timeout = \"20s\"\nverify_for = \"{verify_for}\"\nscale_down_delay = \"0s\"\n\n[deploy.analysis]\ninterval = \"300ms\"\nmin_requests = 10\n{gates}"
    ));
    serve(&env, "r/shop:1", HEALTHY);
    env
}

pub(super) fn last_entry(env: &Env) -> Value {
    let entries: Vec<Value> = env
        .msv(&["history", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    entries
        .into_iter()
        .max_by_key(|e| e["revision"].as_u64())
        .unwrap()
}

#[test]
fn a_healthy_candidate_passes_the_gates_and_the_numbers_are_kept() {
    let env = env_with_gates(
        "2s",
        "max_error_ratio = 0.05\nmax_p99 = \"200ms\"\nmax_p99_ratio = 2.0\n",
    );
    env.deploy("r/shop:1").status(0);
    serve(&env, "r/shop:2", HEALTHY);
    let monitor = Monitor::start(&env);
    let traffic = users(&env);
    let run = env
        .msv(&["deploy", "--image", "r/shop:2", "-o", "json"])
        .run()
        .status(0);
    traffic.assert_no_failures();
    monitor.assert_clean();
    let summary: Value = run.stdout_json();
    let analysis = &summary["analysis"];
    assert_eq!(analysis["verdict"], "pass", "{summary:#}");
    assert!(analysis["requests"].as_u64().unwrap() >= 10, "{analysis:#}");
    assert!(
        analysis["baseline_requests"].as_u64().unwrap() >= 10,
        "{analysis:#}"
    );
    let measures: Vec<&str> = analysis["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["measure"].as_str().unwrap())
        .collect();
    assert_eq!(measures, ["error ratio", "p99 latency", "p99 ratio"]);
    assert_eq!(analysis["measures"][0]["candidate"], 0.0);
    // 8 ms requests: p99 inside the 5–10 ms bucket, on both colors.
    let p99 = analysis["measures"][1]["candidate"].as_f64().unwrap();
    assert!((0.005..=0.01).contains(&p99), "{p99}");
    assert_eq!(env.live().as_deref(), Some("green"));
    let entry = last_entry(&env);
    assert_eq!(entry["outcome"], "succeeded");
    assert_eq!(entry["analysis"]["verdict"], "pass");
    // The text output says what was measured.
    serve(&env, "r/shop:3", HEALTHY);
    let traffic = users(&env);
    env.deploy("r/shop:3")
        .status(0)
        .stderr_has("analysis passed: error ratio 0.00%, p99 latency ");
    traffic.assert_no_failures();
}

#[test]
fn one_request_in_five_failing_is_switched_back_before_the_window_ends() {
    let env = env_with_gates("40s", "max_error_ratio = 0.05\n");
    env.deploy("r/shop:1").status(0);
    serve(
        &env,
        "r/shop:2",
        Serves {
            error_every: 5,
            ..HEALTHY
        },
    );
    let monitor = Monitor::start(&env);
    let traffic = users(&env);
    let started = std::time::Instant::now();
    env.deploy("r/shop:2")
        .status(1)
        .stderr_has("the candidate failed the analysis in the verify window")
        .stderr_has("error ratio")
        .stderr_has("<= 5.00%")
        .stderr_has("FAILED")
        .stderr_has("switched back");
    let report = traffic.stop();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the failed gate ended the 40s window early"
    );
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("blue"));
    // Users saw the candidate's errors only while it was live: a few, not the window's worth.
    assert!(
        !report.failures.is_empty(),
        "the bad candidate served nothing"
    );
    assert!(
        report.failures.iter().all(|f| f.starts_with("500")),
        "{:?}",
        report.failures
    );
    let entry = last_entry(&env);
    assert_eq!(entry["outcome"], "rolled-back");
    assert_eq!(entry["analysis"]["verdict"], "fail");
    assert_eq!(entry["analysis"]["measures"][0]["passed"], false);
    // Every pod fails one request in five; where each pod's count stood when the window
    // opened moves the share a little.
    let ratio = entry["analysis"]["measures"][0]["candidate"]
        .as_f64()
        .unwrap();
    assert!((0.15..=0.25).contains(&ratio), "{ratio}");
    assert_eq!(entry["analysis"]["measures"][0]["baseline"], 0.0);
}

#[test]
fn tripled_latency_fails_the_ratio_to_the_live_color() {
    let env = env_with_gates("30s", "max_p99_ratio = 1.5\n");
    env.deploy("r/shop:1").status(0);
    serve(
        &env,
        "r/shop:2",
        Serves {
            latency: 0.03,
            ..HEALTHY
        },
    );
    let traffic = users(&env);
    env.deploy("r/shop:2")
        .status(1)
        .stderr_has("p99 ratio")
        .stderr_has("FAILED");
    traffic.assert_no_failures();
    assert_eq!(env.live().as_deref(), Some("blue"));
}

#[test]
fn restarts_mid_window_neither_hide_errors_nor_invent_requests() {
    // Each candidate pod's process restarts every 12 requests: its counters fall back to
    // zero, several times in the window.
    let env = env_with_gates("40s", "max_error_ratio = 0.05\n");
    env.deploy("r/shop:1").status(0);
    serve(
        &env,
        "r/shop:2",
        Serves {
            error_every: 5,
            restart_every: 12,
            ..HEALTHY
        },
    );
    let traffic = users(&env);
    env.deploy("r/shop:2")
        .status(1)
        .stderr_has("the candidate failed the analysis in the verify window")
        .stderr_has("switched back");
    let report = traffic.stop();
    assert_eq!(env.live().as_deref(), Some("blue"));
    let entry = last_entry(&env);
    let ratio = entry["analysis"]["measures"][0]["candidate"]
        .as_f64()
        .unwrap();
    assert!((0.1..=0.3).contains(&ratio), "{ratio}");
    // Counted requests are no more than the candidate served: users' failures are its
    // 500s, two in every twelve requests a pod serves between restarts (and each of the
    // two pods may be part-way through a cycle).
    let counted = entry["analysis"]["requests"].as_u64().unwrap();
    let served_at_most = 6 * report.failures.len() as u64 + 12 * 2;
    assert!(
        counted >= 10 && counted <= served_at_most + 10,
        "counted {counted}, served at most about {served_at_most}"
    );

    // A healthy candidate that restarts is not failed: no reset reads as errors. (A
    // restart between two readings loses what the process served before it, so on a
    // loaded machine the window may end below min_requests: inconclusive, which passes.)
    let env = env_with_gates("4s", "max_error_ratio = 0.05\n");
    env.deploy("r/shop:1").status(0);
    serve(
        &env,
        "r/shop:2",
        Serves {
            restart_every: 12,
            ..HEALTHY
        },
    );
    let traffic = users(&env);
    env.deploy("r/shop:2")
        .status(0)
        .stderr_has(": error ratio 0.00% over ")
        .stderr_lacks("FAILED");
    traffic.assert_no_failures();
}

#[test]
fn no_traffic_is_inconclusive_and_counts_as_configured() {
    let env = env_with_gates("1s", "max_error_ratio = 0.05\ninconclusive = \"fail\"\n");
    // A first deploy is not analysed: no users yet, nothing to switch back to.
    env.msv(&["deploy", "--image", "r/shop:1", "--dry-run"])
        .run()
        .status(0)
        .stdout_has("gates:     none on a first deploy");
    env.deploy("r/shop:1").status(0);
    serve(&env, "r/shop:2", HEALTHY);
    env.deploy("r/shop:2")
        .status(1)
        .stderr_has("the analysis stayed inconclusive")
        .stderr_has("the candidate served 0 requests, fewer than min_requests = 10");
    assert_eq!(env.live().as_deref(), Some("blue"));

    let env = env_with_gates("1s", "max_error_ratio = 0.05\n");
    env.deploy("r/shop:1").status(0);
    serve(&env, "r/shop:2", HEALTHY);
    env.deploy("r/shop:2")
        .status(0)
        .stderr_has("analysis inconclusive")
        .stderr_has("passed as deploy.analysis.inconclusive = \"pass\"");
    assert_eq!(env.live().as_deref(), Some("green"));
}

#[test]
fn a_pod_whose_metrics_time_out_is_named_and_the_others_decide() {
    let env = env_with_gates("2s", "max_error_ratio = 0.05\n");
    env.deploy("r/shop:1").status(0);
    serve(
        &env,
        "r/shop:2",
        Serves {
            hang_metrics: true,
            ..HEALTHY
        },
    );
    let traffic = users(&env);
    // No pod can be read: the window stays inconclusive, which passes by default, and
    // each unread pod is named with why.
    env.msv(&["deploy", "--image", "r/shop:2", "--timeout", "20s"])
        .env("MSV_DEPLOY_PROBE_TIMEOUT", "500ms")
        .run()
        .status(0)
        .stderr_has("metrics of the candidate not read from every pod: shop-green-")
        .stderr_has("analysis inconclusive");
    traffic.assert_no_failures();
}

#[test]
fn the_dry_run_and_config_show_name_the_gates() {
    let env = env_with_gates("30s", "max_error_ratio = 0.01\nmax_p99 = \"250ms\"\n");
    env.deploy("r/shop:1").status(0);
    env.msv(&["deploy", "--image", "r/shop:2", "--dry-run"])
        .run()
        .status(0)
        .stdout_has("gates:     error ratio <= 1%, p99 <= 250ms, from the pods' /metrics every 300ms in the verify window, at least 10 requests (else pass)");
    env.msv(&["config", "show"])
        .run()
        .status(0)
        .stdout_has("deploy.analysis.max_error_ratio")
        .stdout_has("0.01");
}

const CHECKS: &str = r#"
[[deploy.checks]]
name = "list items"
path = "/api/items?limit=1"
expect = { status = 200, json = { "/items/0/id" = 1 } }

[[deploy.checks]]
name = "create"
method = "POST"
path = "/api/items"
body = '{"name":"x"}'
headers = { content-type = "application/json" }
expect = { status = 201, body_contains = "created" }
"#;

/// A backend for the checks: `/api/items` lists one item; POST creates one when `db_up`,
/// else 500. Returns the number of POSTs it answered.
fn serve_items(env: &Env, image: &str, db_up: bool) -> Arc<std::sync::atomic::AtomicUsize> {
    let posts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = posts.clone();
    env.fake.set_backend_for_image(image, move |req| {
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/api/items") if req.query == "limit=1" => {
                ProxyResponse::json(200, &json!({"items": [{"id": 1}]}))
            }
            ("POST", "/api/items") => {
                counted.fetch_add(1, Ordering::SeqCst);
                match (db_up, req.body.as_slice()) {
                    (true, br#"{"name":"x"}"#) => ProxyResponse::new(201, "created 7"),
                    (true, _) => ProxyResponse::new(400, "bad body"),
                    (false, _) => ProxyResponse::new(500, "database \u{1b}[31mdown\n"),
                }
            }
            _ => ProxyResponse::ok("ok"),
        }
    });
    posts
}

#[test]
fn the_users_checks_gate_the_switch_and_run_again_through_s() {
    let env = Env::with_deploy(&format!(
        "timeout = \"20s\"\nverify_for = \"300ms\"\nscale_down_delay = \"0s\"\n{CHECKS}"
    ));
    serve_items(&env, "r/shop:1", true);
    env.deploy("r/shop:1").status(0);
    // A candidate that passes: each check is sent through the preview, then through S.
    let posts = serve_items(&env, "r/shop:2", true);
    let traffic = traffic(&env);
    env.deploy("r/shop:2")
        .status(0)
        .stderr_has("checks: 2 check(s) through shop-preview");
    assert_eq!(posts.load(Ordering::SeqCst), 2);
    assert_eq!(env.live().as_deref(), Some("green"));
    // One that fails its POST: no switch; the message names the check, the answer
    // (escaped) and what was expected.
    let posts = serve_items(&env, "r/shop:3", false);
    let monitor = Monitor::start(&env);
    let run = env
        .deploy("r/shop:3")
        .status(1)
        .stderr_has(r#"check "create" (POST /api/items) through shop-preview failed: answered 500, expected 201: "database \e[31mdown\n""#)
        .stderr_has("the switch did not happen")
        .stderr_has("live traffic untouched: shop still serves green");
    assert!(
        !run.stderr().contains("switch: Service"),
        "{}",
        run.stderr()
    );
    assert_eq!(posts.load(Ordering::SeqCst), 1);
    traffic.assert_no_failures();
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("green"));
}

#[test]
fn a_bad_check_is_refused_at_its_line() {
    let env = Env::with_deploy("[[deploy.checks]]\nname = \"a\"\npath = \"api\"\n");
    env.msv(&["config", "show"])
        .run()
        .status(2)
        .stderr_has("msv.toml")
        .stderr_has("line 7")
        .stderr_has("path \"api\" must start with /");
    let env = Env::with_deploy(CHECKS);
    env.msv(&["config", "show", "-o", "json"])
        .run()
        .status(0)
        .stdout_has("\"deploy.checks\"")
        .stdout_has("list items");
}

/// A smoke suite in bash: it notes its URL and process ids, prints a marker, fetches one
/// item through the forwarder (`/dev/tcp`, no client to install) and then does `$1`.
const SMOKE: &str = r#"#!/bin/bash
echo "$MSV_PREVIEW_URL" > url.txt
echo $$ > pids.txt
echo "SMOKE-OUT starting against $MSV_PREVIEW_URL"
hostport=${MSV_PREVIEW_URL#http://}
exec 3<>/dev/tcp/${hostport%:*}/${hostport#*:}
printf 'GET /api/items?limit=1 HTTP/1.1\r\nHost: preview\r\nConnection: close\r\n\r\n' >&3
answer=$(cat <&3)
case "$1" in
  pass) grep -q '"id":1' <<<"$answer" ;;
  fail) exit 3 ;;
  hang) sleep 300 & echo $! >> pids.txt; wait ;;
esac
"#;

fn smoke_env(mode: &str, timeout: &str) -> Env {
    let env = Env::with_deploy(&format!(
        "timeout = \"20s\"\nverify_for = \"300ms\"\nscale_down_delay = \"0s\"\nsmoke = \"bash smoke.sh {mode}\"\nsmoke_timeout = \"{timeout}\"\n"
    ));
    std::fs::write(env.dir.path().join("smoke.sh"), SMOKE).unwrap();
    serve_items(&env, "r/shop:1", true);
    env
}

/// The process has ended: no longer in /proc, or a zombie waiting to be reaped by init
/// (it was orphaned when msv's shell exited). A killed process takes a moment to get
/// there, so this waits for it a little.
fn gone(pid: &str) -> bool {
    let stat = format!("/proc/{}/stat", pid.trim());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let ended = match std::fs::read_to_string(&stat) {
            Err(_) => true,
            // pid (comm) STATE ...: the state follows the last ')'.
            Ok(s) => s
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('Z')),
        };
        if ended || std::time::Instant::now() > deadline {
            return ended;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// After msv has returned: every process the suite started is gone, and nothing listens
/// where the forwarder was.
#[track_caller]
fn nothing_left(env: &Env) {
    let pids = std::fs::read_to_string(env.dir.path().join("pids.txt")).unwrap();
    for pid in pids.lines() {
        assert!(gone(pid), "process {pid} of the smoke command still runs");
    }
    let url = std::fs::read_to_string(env.dir.path().join("url.txt")).unwrap();
    let addr = url.trim().trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "something still listens on {addr}"
    );
}

#[test]
fn a_smoke_command_that_passes_lets_the_switch_happen() {
    let env = smoke_env("pass", "30s");
    // A first deploy runs the suite too: the preview is the candidate either way.
    env.deploy("r/shop:1")
        .status(0)
        .stderr_has("smoke: running `bash smoke.sh pass` against shop-preview")
        .stderr_has("SMOKE-OUT starting against http://127.0.0.1:");
    serve_items(&env, "r/shop:2", true);
    let traffic = traffic(&env);
    let run = env
        .msv(&["deploy", "--image", "r/shop:2", "-o", "json"])
        .run()
        .status(0);
    traffic.assert_no_failures();
    // The suite's output went to stderr; stdout holds only the summary.
    let summary: Value = run.stdout_json();
    assert_eq!(summary["to_color"], "green");
    assert!(run.stderr().contains("SMOKE-OUT"));
    nothing_left(&env);
}

#[test]
fn a_smoke_command_that_fails_or_hangs_stops_the_deploy_and_leaves_nothing() {
    let env = smoke_env("pass", "30s");
    env.deploy("r/shop:1").status(0);
    serve_items(&env, "r/shop:2", true);
    let traffic = traffic(&env);
    env.msv(&["deploy", "--image", "r/shop:2"])
        .env("MSV_DEPLOY_SMOKE", "bash smoke.sh fail")
        .run()
        .status(1)
        .stderr_has("the smoke command \"bash smoke.sh fail\" exited 3; the switch did not happen")
        .stderr_has("live traffic untouched: shop still serves blue");
    nothing_left(&env);
    env.msv(&["deploy", "--image", "r/shop:2"])
        .env("MSV_DEPLOY_SMOKE", "bash smoke.sh hang")
        .env("MSV_DEPLOY_SMOKE_TIMEOUT", "1s")
        .run()
        .status(1)
        .stderr_has("did not finish within 1s (deploy.smoke_timeout); it was stopped")
        .stderr_has("live traffic untouched: shop still serves blue");
    nothing_left(&env);
    traffic.assert_no_failures();
    assert_eq!(env.live().as_deref(), Some("blue"));
}

#[test]
fn ctrl_c_during_the_smoke_command_stops_it_and_the_deploy() {
    let env = smoke_env("hang", "5m");
    std::fs::write(
        env.dir.path().join("msv.toml"),
        std::fs::read_to_string(env.dir.path().join("msv.toml")).unwrap(),
    )
    .unwrap();
    env.msv(&["deploy", "--image", "r/shop:1"])
        .env("MSV_DEPLOY_SMOKE", "bash smoke.sh pass")
        .run()
        .status(0);
    serve_items(&env, "r/shop:2", true);
    let child = env
        .msv(&["deploy", "--image", "r/shop:2"])
        .command()
        .spawn()
        .unwrap();
    let pids = env.dir.path().join("pids.txt");
    std::fs::remove_file(&pids).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&pids).map_or(true, |p| p.lines().count() < 2) {
        assert!(
            std::time::Instant::now() < deadline,
            "the smoke command never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted while the smoke command ran"),
        "{err}"
    );
    assert!(
        err.contains("live traffic untouched: shop still serves blue"),
        "{err}"
    );
    nothing_left(&env);
}
