//! msv deploy, rollback, history and manifests: the real binary against the fake API
//! server. Besides each command's own result, the tests watch two things while msv runs:
//! a background client sending requests through Service `S`'s proxy (no failures during a
//! good deploy), and a monitor checking that `S` only ever selects a color whose pods all
//! exist and are ready.

use crate::fake_api::{Behavior, FakeCluster, Fault, ProxyResponse};
use crate::support::Test;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

const NS: &str = "default";

/// A service directory with msv.toml, a fake cluster, and healthy images `r/shop:1..=4`.
struct Env {
    fake: Arc<FakeCluster>,
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env::with_deploy("timeout = \"8s\"\nverify_for = \"300ms\"\nscale_down_delay = \"0s\"\n")
    }

    fn with_deploy(deploy: &str) -> Env {
        let fake = Arc::new(FakeCluster::start());
        for i in 1..=4 {
            fake.set_backend_for_image(&format!("r/shop:{i}"), |_| ProxyResponse::ok("ok"));
        }
        let dir = tempfile::tempdir().unwrap();
        let toml =
            format!("[service]\nname = \"shop\"\nport = 8080\nreplicas = 2\n\n[deploy]\n{deploy}");
        std::fs::write(dir.path().join("msv.toml"), toml).unwrap();
        Env { fake, dir }
    }

    fn msv(&self, args: &[&str]) -> Test {
        Test::new()
            .args(args)
            .env("KUBECONFIG", self.fake.kubeconfig_path())
            .current_dir(self.dir.path())
            .timeout(Duration::from_secs(60))
    }

    fn deploy(&self, image: &str) -> crate::support::Run {
        self.msv(&["deploy", "--image", image]).run()
    }

    fn live(&self) -> Option<String> {
        let s = self.fake.get("services", NS, "shop")?;
        s["spec"]["selector"]["msv/color"]
            .as_str()
            .map(String::from)
    }

    fn replicas(&self, color: &str) -> Option<i64> {
        self.fake.get("deployments", NS, &format!("shop-{color}"))?["spec"]["replicas"].as_i64()
    }

    fn image(&self, color: &str) -> Option<String> {
        let d = self.fake.get("deployments", NS, &format!("shop-{color}"))?;
        d["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .map(String::from)
    }
}

fn pod_ready(p: &Value) -> bool {
    p["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// Watches the invariant while a test runs: whenever Service `shop` selects a color, every
/// pod of that color exists and is ready. Polls the fake's state (a checker, not msv).
struct Monitor {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<Vec<String>>>,
}

impl Monitor {
    fn start(env: &Env) -> Monitor {
        let stop = Arc::new(AtomicBool::new(false));
        let (s, fake) = (stop.clone(), env.fake.clone());
        let handle = std::thread::spawn(move || {
            let mut violations = vec![];
            while !s.load(Ordering::SeqCst) {
                let before = fake
                    .get("services", NS, "shop")
                    .map(|s| s["spec"]["selector"].clone());
                if let Some(sel) = &before {
                    let color = sel["msv/color"].as_str().unwrap_or("").to_string();
                    let pods: Vec<Value> = fake
                        .list("pods", Some(NS))
                        .into_iter()
                        .filter(|p| p["metadata"]["labels"]["msv/color"] == color.as_str())
                        .collect();
                    let bad = pods.is_empty() || !pods.iter().all(pod_ready);
                    let after = fake
                        .get("services", NS, "shop")
                        .map(|s| s["spec"]["selector"].clone());
                    if bad && after == before {
                        violations.push(format!(
                            "shop selects {color} but its pods are not all ready: {}",
                            pods.len()
                        ));
                    }
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            violations
        });
        Monitor {
            stop,
            handle: Some(handle),
        }
    }

    #[track_caller]
    fn assert_clean(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let v = self.handle.take().unwrap().join().unwrap();
        assert!(
            v.is_empty(),
            "invariant violated {} times, first: {}",
            v.len(),
            v[0]
        );
    }
}

/// A client sending GET /healthz through Service shop's proxy until stopped; counts
/// answers that are not 200.
struct Traffic {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<(usize, usize)>>,
}

async fn proxy_get(client: &kube::Client, path: &str) -> Option<u16> {
    let request = http::Request::get(path).body(Vec::new()).ok()?;
    let response = client
        .send(request.map(kube::client::Body::from))
        .await
        .ok()?;
    Some(response.status().as_u16())
}

impl Traffic {
    fn start(env: &Env) -> Traffic {
        let stop = Arc::new(AtomicBool::new(false));
        let (s, kubeconfig) = (stop.clone(), env.fake.kubeconfig_path());
        let handle = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let client = crate::fake_api::kube_client(&kubeconfig, false).await;
                let path = format!("/api/v1/namespaces/{NS}/services/shop:8080/proxy/healthz");
                let (mut sent, mut failed) = (0, 0);
                while !s.load(Ordering::SeqCst) {
                    sent += 1;
                    if proxy_get(&client, &path).await != Some(200) {
                        failed += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                (sent, failed)
            })
        });
        Traffic {
            stop,
            handle: Some(handle),
        }
    }

    #[track_caller]
    fn assert_no_failures(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let (sent, failed) = self.handle.take().unwrap().join().unwrap();
        assert!(sent > 10, "traffic client sent only {sent} requests");
        assert_eq!(
            failed, 0,
            "{failed} of {sent} requests through Service shop failed"
        );
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Summary {
    pub(crate) service: String,
    pub(crate) revision: Option<u64>,
    pub(crate) from_color: Option<String>,
    pub(crate) to_color: String,
    pub(crate) to_image: String,
    pub(crate) outcome: String,
    pub(crate) phases: Vec<PhaseTime>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PhaseTime {
    pub(crate) phase: String,
    #[allow(dead_code)]
    pub(crate) ms: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct HistoryEntry {
    pub(crate) revision: u64,
    pub(crate) image: String,
    pub(crate) color: String,
    pub(crate) time: String,
    pub(crate) who: String,
    pub(crate) outcome: String,
}

fn history(env: &Env) -> Vec<HistoryEntry> {
    env.msv(&["history", "-o", "json"])
        .run()
        .status(0)
        .stdout_json()
}

#[test]
fn deploys_switch_colors_without_dropping_traffic_and_record_history() {
    let env = Env::new();
    let monitor = Monitor::start(&env);
    let run = env
        .msv(&["deploy", "--image", "r/shop:1", "-o", "json"])
        .run()
        .status(0);
    let s: Summary = run.stdout_json();
    assert_eq!(
        (s.service.as_str(), s.to_color.as_str(), s.outcome.as_str()),
        ("shop", "blue", "succeeded")
    );
    assert_eq!((s.revision, s.from_color.as_deref()), (Some(1), None));
    let phases: Vec<&str> = s.phases.iter().map(|p| p.phase.as_str()).collect();
    assert_eq!(
        phases,
        ["plan", "apply", "rollout", "health", "switch", "verify"]
    );
    assert_eq!(env.live().as_deref(), Some("blue"));
    let svc = env.fake.get("services", NS, "shop").unwrap();
    assert_eq!(
        svc["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "msv"
    );

    let traffic = Traffic::start(&env);
    let run = env
        .msv(&["deploy", "--image", "r/shop:2", "-o", "json"])
        .run()
        .status(0);
    eprintln!("{}", run.stderr());
    let s: Summary = run.stdout_json();
    eprintln!("phases of the second deploy: {:?}", s.phases);
    assert_eq!(
        (
            s.from_color.as_deref(),
            s.to_color.as_str(),
            s.to_image.as_str()
        ),
        (Some("blue"), "green", "r/shop:2")
    );
    assert_eq!(env.live().as_deref(), Some("green"));
    assert_eq!(env.replicas("blue"), Some(0), "old color scaled down");
    env.deploy("r/shop:3").status(0).stderr_has("live on blue");
    traffic.assert_no_failures();
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.image("blue").as_deref(), Some("r/shop:3"));
    assert_eq!(env.replicas("green"), Some(0));

    let h = history(&env);
    let got: Vec<(u64, &str, &str, &str)> = h
        .iter()
        .map(|e| {
            (
                e.revision,
                e.image.as_str(),
                e.color.as_str(),
                e.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (1, "r/shop:1", "blue", "succeeded"),
            (2, "r/shop:2", "green", "succeeded"),
            (3, "r/shop:3", "blue", "succeeded")
        ]
    );
    assert!(
        h[0].who.contains("pid") && h[0].time.ends_with('Z'),
        "{:?}",
        h[0]
    );

    // Server-side apply with field manager msv.
    let applied = env
        .fake
        .requests()
        .iter()
        .filter(|r| {
            r.method == "PATCH"
                && r.content_type.contains("apply-patch")
                && r.param("fieldManager").as_deref() == Some("msv")
        })
        .count();
    assert!(
        applied >= 6,
        "expected server-side applies by msv, saw {applied}"
    );

    // Same image again: a no-op unless forced.
    env.deploy("r/shop:3").status(0).stderr_has("nothing to do");
    assert_eq!(history(&env).len(), 3);
}

#[test]
fn candidate_failures_leave_live_traffic_untouched() {
    let env =
        Env::with_deploy("timeout = \"3s\"\nverify_for = \"200ms\"\nscale_down_delay = \"0s\"\n");
    env.deploy("r/shop:1").status(0);
    env.fake
        .set_image_behavior("r/shop:crash", Behavior::CrashLoop);
    env.fake
        .set_image_behavior("r/shop:nopull", Behavior::ImagePullFailure);
    env.fake
        .set_image_behavior("r/shop:never", Behavior::NeverReady);
    let monitor = Monitor::start(&env);
    let traffic = Traffic::start(&env);
    let cases = [
        ("r/shop:crash", "CrashLoopBackOff"),
        ("r/shop:nopull", "ImagePull"),
        ("r/shop:never", "NotReady"),
    ];
    for (image, reason) in cases {
        let run = env
            .deploy(image)
            .status(1)
            .stderr_has(reason)
            .stderr_has("pod shop-green-")
            .stderr_has("live traffic untouched: shop still serves blue");
        assert!(!run.stderr().contains("switch:"), "no switch for {image}");
        assert_eq!(env.live().as_deref(), Some("blue"));
        assert_eq!(
            env.replicas("green"),
            Some(0),
            "failed candidate scaled back to zero"
        );
    }
    traffic.assert_no_failures();
    monitor.assert_clean();
    let outcomes: Vec<String> = history(&env).into_iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, ["succeeded", "failed", "failed", "failed"]);
}

#[test]
fn progress_deadline_exceeded_fails_fast() {
    let env = Env::with_deploy("timeout = \"30s\"\nverify_for = \"200ms\"\n");
    env.deploy("r/shop:1").status(0);
    env.fake
        .set_image_behavior("r/shop:slow", Behavior::NeverReady);
    env.fake.set_progress_deadline(Duration::from_millis(800));
    let t = std::time::Instant::now();
    env.deploy("r/shop:slow")
        .status(1)
        .stderr_has("ProgressDeadlineExceeded")
        .stderr_has("pod shop-green-");
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "did not wait for the 30s timeout"
    );
    assert_eq!(env.live().as_deref(), Some("blue"));
}

#[test]
fn keep_failed_leaves_the_candidate_for_inspection() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.fake
        .set_image_behavior("r/shop:crash", Behavior::CrashLoop);
    env.msv(&["deploy", "--image", "r/shop:crash", "--keep-failed"])
        .run()
        .status(1)
        .stderr_has("kept for inspection");
    assert_eq!(env.replicas("green"), Some(2));
}

#[test]
fn failing_health_check_before_the_switch_keeps_the_live_color() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.fake
        .set_backend_for_image("r/shop:sick", |_| ProxyResponse::new(503, "sick"));
    env.deploy("r/shop:sick")
        .status(1)
        .stderr_has("health check of /healthz failed before the switch")
        .stderr_has("HTTP 503")
        .stderr_has("shop still serves blue");
    assert_eq!(env.live().as_deref(), Some("blue"));
}

#[test]
fn failing_verification_after_the_switch_switches_back() {
    let env =
        Env::with_deploy("timeout = \"8s\"\nverify_for = \"2s\"\nscale_down_delay = \"0s\"\n");
    env.deploy("r/shop:1").status(0);
    // Healthy for the pre-switch probes, failing once traffic arrives through Service shop.
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    env.fake.set_backend_for_image("r/shop:flaky", move |_| {
        if c.fetch_add(1, Ordering::SeqCst) < 4 {
            ProxyResponse::ok("ok")
        } else {
            ProxyResponse::new(500, "boom")
        }
    });
    let monitor = Monitor::start(&env);
    env.deploy("r/shop:flaky")
        .status(1)
        .stderr_has("health check failed after the switch")
        .stderr_has("switched back automatically: shop serves blue again");
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("blue"), Some(2));
    assert_eq!(history(&env).last().unwrap().outcome, "rolled-back");
}

fn lease(holder: &str, renewed_secs_ago: i64, duration: i64) -> Value {
    let t = std::time::SystemTime::now() - Duration::from_secs(renewed_secs_ago as u64);
    let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let stamp = k8s_openapi::jiff::Timestamp::from_second(secs)
        .unwrap()
        .to_string();
    json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
           "metadata": {"name": "shop-msv-lock", "namespace": NS},
           "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration, "acquireTime": stamp, "renewTime": stamp}})
}

#[test]
fn a_held_lock_fails_fast_naming_its_holder() {
    let env = Env::new();
    env.fake.create(lease("ann@ci pid 7", 0, 60));
    let t = std::time::Instant::now();
    env.deploy("r/shop:1")
        .status(1)
        .stderr_has("shop is locked by ann@ci pid 7 since");
    assert!(t.elapsed() < Duration::from_secs(10));
    assert!(env.fake.get("services", NS, "shop").is_none());
    assert!(env.fake.get("deployments", NS, "shop-blue").is_none());
}

#[test]
fn a_stale_lock_is_taken_over_and_released() {
    let env = Env::new();
    env.fake.create(lease("ann@ci pid 7", 120, 15));
    env.deploy("r/shop:1")
        .status(0)
        .stderr_has("took over the expired lock of ann@ci pid 7");
    let l = env.fake.get("leases", NS, "shop-msv-lock").unwrap();
    assert!(
        l["spec"]["holderIdentity"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "released: {l}"
    );
    assert_eq!(l["spec"]["leaseTransitions"], 1);
}

#[test]
fn concurrent_deploys_one_proceeds() {
    let env = Env::new();
    env.fake.set_image_behavior(
        "r/shop:1",
        Behavior::ReadyAfter(Duration::from_millis(1500)),
    );
    let a = env
        .msv(&["deploy", "--image", "r/shop:1"])
        .command()
        .spawn()
        .unwrap();
    let b = env
        .msv(&["deploy", "--image", "r/shop:1"])
        .command()
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let mut codes = [a.status.code().unwrap(), b.status.code().unwrap()];
    codes.sort();
    assert_eq!(
        codes,
        [0, 1],
        "a: {}\nb: {}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    let loser = if a.status.code() == Some(1) {
        a.stderr
    } else {
        b.stderr
    };
    let loser = String::from_utf8_lossy(&loser);
    assert!(
        loser.contains("locked by") || loser.contains("took the lock"),
        "{loser}"
    );
}

#[test]
fn losing_the_race_for_the_lock_exits_one() {
    // Another process creates the Lease between msv's read and its create: 409 on create,
    // as the real API server answers the slower of two concurrent deploys.
    let env = Env::new();
    env.fake
        .add_fault(Fault::on("create", "leases").status(409).times(1));
    env.deploy("r/shop:1")
        .status(1)
        .stderr_has("another msv process took the lock of shop at the same moment");
    assert!(env.fake.get("deployments", NS, "shop-blue").is_none());
}

#[test]
fn rollback_switches_at_once_when_the_old_color_is_up_and_rebuilds_it_otherwise() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.msv(&["deploy", "--image", "r/shop:2", "--keep-old"])
        .run()
        .status(0);
    assert_eq!(
        env.replicas("blue"),
        Some(2),
        "--keep-old leaves the old color up"
    );
    let monitor = Monitor::start(&env);
    let traffic = Traffic::start(&env);
    env.msv(&["rollback"])
        .run()
        .status(0)
        .stderr_has("rolled back to r/shop:1 on blue");
    traffic.assert_no_failures();
    assert_eq!(env.live().as_deref(), Some("blue"));
    // Old color scaled down this time; rolling back to revision 2 rebuilds green.
    assert_eq!(env.replicas("green"), Some(0));
    env.msv(&["rollback", "--to-revision", "2"]).run().status(0);
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("green"));
    assert_eq!(env.image("green").as_deref(), Some("r/shop:2"));
    let outcomes: Vec<String> = history(&env).into_iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, ["succeeded", "succeeded", "rollback", "rollback"]);
    env.msv(&["history"])
        .run()
        .status(0)
        .stdout_has("REVISION")
        .stdout_has("rollback");
}

#[test]
fn dry_run_plans_and_changes_nothing() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.fake.clear_requests();
    env.msv(&["deploy", "--image", "r/shop:2", "--dry-run"])
        .run()
        .status(0)
        .stdout_has("candidate: green with r/shop:2 x2")
        .stdout_has("nothing was changed");
    let writes: Vec<String> = env
        .fake
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "dry run wrote: {writes:?}");
    assert_eq!(env.image("green"), None);
}

#[test]
fn manifests_print_the_objects_deploy_applies() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("msv.toml"),
        "[service]\nname = \"shop\"\nport = 9000\n",
    )
    .unwrap();
    let run = Test::new()
        .args(&[
            "manifests",
            "--image",
            "r/shop:7",
            "--target-color",
            "green",
            "-n",
            "prod",
        ])
        .current_dir(dir.path())
        .run()
        .status(0);
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&run.stdout())
        .map(|d| Value::deserialize(d).unwrap())
        .collect();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(&kinds[..3], ["Deployment", "Service", "Service"]);
    let dep = &docs[0];
    assert_eq!(dep["metadata"]["name"], "shop-green");
    assert_eq!(dep["spec"]["selector"]["matchLabels"]["msv/color"], "green");
    let c = &dep["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "r/shop:7");
    assert_eq!(c["ports"][0]["containerPort"], 9000);
    assert_eq!(docs[1]["metadata"]["name"], "shop");
    assert_eq!(docs[2]["metadata"]["name"], "shop-preview");
}

#[test]
fn deploy_without_image_outside_a_service_says_what_to_do() {
    // No msv.toml: nothing to build, so msv asks for an image or a service directory.
    let env = Env::new();
    let elsewhere = tempfile::tempdir().unwrap();
    env.msv(&["deploy"])
        .env("MSV_SERVICE_NAME", "shop")
        .current_dir(elsewhere.path())
        .run()
        .status(2)
        .stderr_has("pass --image REF");
    env.msv(&["deploy", "--dry-run"])
        .run()
        .status(2)
        .stderr_has("a dry run does not build");
}

#[test]
fn conflicts_and_dropped_watches_do_not_break_the_invariant() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.fake.add_fault(
        Fault::on("patch", "services")
            .named("shop")
            .status(409)
            .times(1),
    );
    let monitor = Monitor::start(&env);
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let fake = env.fake.clone();
    let dropper = std::thread::spawn(move || {
        while !s.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(150));
            fake.drop_watches();
        }
    });
    env.deploy("r/shop:2").status(0);
    stop.store(true, Ordering::SeqCst);
    dropper.join().unwrap();
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("green"));
    let patches = env
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH" && r.path.ends_with("/services/shop"))
        .count();
    assert!(
        patches >= 2,
        "the conflicting selector patch was retried ({patches})"
    );
}

#[test]
fn a_concurrent_selector_change_is_reported_not_overwritten() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    // Someone points Service shop elsewhere while the candidate rolls out.
    env.fake.set_image_behavior(
        "r/shop:2",
        Behavior::ReadyAfter(Duration::from_millis(1200)),
    );
    let child = env
        .msv(&["deploy", "--image", "r/shop:2"])
        .command()
        .spawn()
        .unwrap();
    env.fake
        .wait_for("candidate deployment", Duration::from_secs(10), |f| {
            f.get("deployments", NS, "shop-green")
        });
    let mut svc = env.fake.get("services", NS, "shop").unwrap();
    svc["spec"]["selector"]["msv/color"] = json!("canary");
    svc["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("managedFields");
    // Through the API, as another client would.
    let body = serde_json::to_vec(&svc).unwrap();
    let kubeconfig = env.fake.kubeconfig_path();
    let status = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let client = crate::fake_api::kube_client(&kubeconfig, false).await;
            let request = http::Request::put(format!("/api/v1/namespaces/{NS}/services/shop"))
                .header("content-type", "application/json")
                .body(kube::client::Body::from(body))
                .unwrap();
            client.send(request).await.unwrap().status().as_u16()
        });
    assert_eq!(status, 200, "the concurrent selector change is accepted");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("was changed by someone else"), "{err}");
    assert_eq!(env.live().as_deref(), Some("canary"));
}

#[test]
fn ctrl_c_before_the_switch_leaves_live_traffic_untouched() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.fake
        .set_image_behavior("r/shop:2", Behavior::ReadyAfter(Duration::from_secs(30)));
    let child = env
        .msv(&["deploy", "--image", "r/shop:2"])
        .command()
        .spawn()
        .unwrap();
    env.fake
        .wait_for("candidate pods", Duration::from_secs(10), |f| {
            f.list("pods", Some(NS))
                .into_iter()
                .find(|p| p["metadata"]["labels"]["msv/color"] == "green")
        });
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted") && err.contains("live traffic untouched"),
        "{err}"
    );
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("green"), Some(0));
    let l = env.fake.get("leases", NS, "shop-msv-lock").unwrap();
    assert!(
        l["spec"]["holderIdentity"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "lock released: {l}"
    );
    // And the next deploy goes through.
    env.fake
        .set_image_behavior("r/shop:2", Behavior::ReadyAfter(Duration::from_millis(100)));
    env.deploy("r/shop:2").status(0);
}

#[test]
fn hpa_and_pdb_follow_the_live_color() {
    let env = Env::with_deploy(
        "timeout = \"8s\"\nverify_for = \"200ms\"\nscale_down_delay = \"0s\"\n\n[deploy.autoscaling]\nenabled = true\nmin_replicas = 2\nmax_replicas = 6\ncpu_percent = 70\n",
    );
    env.deploy("r/shop:1").status(0);
    let target = |env: &Env| {
        env.fake
            .get("horizontalpodautoscalers", NS, "shop")
            .unwrap()["spec"]["scaleTargetRef"]["name"]
            .clone()
    };
    let pdb = |env: &Env| {
        env.fake.get("poddisruptionbudgets", NS, "shop").unwrap()["spec"]["selector"]["matchLabels"]
            ["msv/color"]
            .clone()
    };
    assert_eq!(
        (target(&env), pdb(&env)),
        (json!("shop-blue"), json!("blue"))
    );
    env.deploy("r/shop:2").status(0);
    assert_eq!(
        (target(&env), pdb(&env)),
        (json!("shop-green"), json!("green"))
    );
    assert_eq!(env.replicas("blue"), Some(0));
}

/// Benchmark (run by bench/deploy.sh in release mode, not part of `cargo test`): msv's own
/// overhead around the rollout against the fake server with 5 ms latency per request.
#[test]
#[ignore = "benchmark; run bench/deploy.sh"]
fn bench_deploy_overhead() {
    let env =
        Env::with_deploy("timeout = \"20s\"\nverify_for = \"0s\"\nscale_down_delay = \"0s\"\n");
    env.fake.set_latency(Duration::from_millis(5));
    env.deploy("r/shop:1").status(0);
    let (mut to_switch, mut overhead, mut wall) = (vec![], vec![], vec![]);
    for i in 0..8 {
        let image = format!("r/shop:{}", 2 + i % 2);
        let t = std::time::Instant::now();
        let s: Summary = env
            .msv(&["deploy", "--image", &image, "-o", "json"])
            .run()
            .status(0)
            .stdout_json();
        let total = t.elapsed().as_millis() as u64;
        let ms = |name: &str| {
            s.phases
                .iter()
                .find(|p| p.phase == name)
                .map(|p| p.ms)
                .unwrap_or(0)
        };
        // From candidate available to Service switched: health check + selector patch +
        // endpoints following (the fake's endpoints lag is 100 ms of that).
        to_switch.push(ms("health") + ms("switch"));
        overhead.push(total - ms("rollout"));
        wall.push(total);
    }
    let median = |v: &mut Vec<u64>| {
        v.sort();
        v[v.len() / 2]
    };
    println!(
        "deploy overhead (median of 8, 5 ms API latency, 100 ms endpoints lag): available->switched {} ms; wall minus rollout {} ms; wall {} ms",
        median(&mut to_switch),
        median(&mut overhead),
        median(&mut wall)
    );
}
