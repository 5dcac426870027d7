//! msv deploy, rollback and status through the real binary against the real control plane.
//! The images' names pick the simulated node's behaviour (as with the fake API server); the
//! pods get addresses in a network namespace of the test's own, where a backend answers for
//! them, so msv's health checks and the traffic client go through the real API server's
//! service proxy to a real socket.
//!
//! While msv runs, a client that never retries sends requests through Service `S`'s proxy
//! and counts failures, and a monitor checks that `S` only ever selects a color whose pods
//! are all ready, that its Endpoints never go empty once it has served, and that no color
//! it selects is scaled down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{Api, ListParams};
use serde_json::Value;

use super::cluster::TestNetwork;
use super::writes::Writes;
use super::{RealCluster, real_cluster};
use crate::deploy::{HistoryEntry, Summary};
use crate::fake_api::{Behavior, ProxyResponse};
use crate::support::{Run, Test};
use crate::traffic::Traffic;

const PORT: u16 = 8080;
/// One replica: msv adds a PodDisruptionBudget (policy/v1, which 1.20 lacks) above that.
pub(super) const TOML: &str = "[service]\nname = \"shop\"\nport = 8080\nreplicas = 1\n\n[deploy]\ntimeout = \"60s\"\nverify_for = \"1s\"\nscale_down_delay = \"0s\"\n";

/// A namespace, its pod network, and a service directory for `shop`.
pub(super) struct Env {
    pub(super) c: &'static RealCluster,
    pub(super) ns: String,
    pub(super) net: TestNetwork,
    dir: tempfile::TempDir,
    /// Image names are unique per test: the node's behaviours are shared by all tests.
    prefix: String,
}

impl Env {
    pub(super) fn new(test: &str, prefix: &str) -> Option<Env> {
        Env::with_toml(test, prefix, TOML)
    }

    pub(super) fn with_toml(test: &str, prefix: &str, toml: &str) -> Option<Env> {
        let c = real_cluster(test)?;
        let ns = c.namespace(prefix);
        let net = c.pod_network(&ns, PORT);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("msv.toml"), toml).unwrap();
        Some(Env {
            c,
            prefix: format!("rk-{prefix}/shop"),
            ns,
            net,
            dir,
        })
    }

    pub(super) fn image(&self, tag: &str) -> String {
        format!("{}:{tag}", self.prefix)
    }

    pub(super) fn msv(&self, args: &[&str]) -> Test {
        Test::new()
            .args(args)
            .env("KUBECONFIG", &self.c.kubeconfig)
            .env("MSV_NAMESPACE", &self.ns)
            .current_dir(self.dir.path())
            .timeout(Duration::from_secs(180))
    }

    pub(super) fn deploy(&self, tag: &str) -> Run {
        self.msv(&["deploy", "--image", &self.image(tag)]).run()
    }

    pub(super) fn get(&self, what: &[&str]) -> Option<Value> {
        let mut args = vec!["-n", self.ns.as_str(), "get"];
        args.extend_from_slice(what);
        args.extend_from_slice(&["-o", "json"]);
        let out = self.c.kubectl_raw(&args);
        out.status
            .success()
            .then(|| serde_json::from_slice(&out.stdout).unwrap())
    }

    pub(super) fn live(&self) -> Option<String> {
        self.get(&["service", "shop"])?["spec"]["selector"]["msv/color"]
            .as_str()
            .map(String::from)
    }

    pub(super) fn replicas(&self, color: &str) -> Option<i64> {
        self.get(&["deployment", &format!("shop-{color}")])?["spec"]["replicas"].as_i64()
    }

    pub(super) fn deployed_image(&self, color: &str) -> Option<String> {
        let d = self.get(&["deployment", &format!("shop-{color}")])?;
        d["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .map(String::from)
    }

    pub(super) fn history(&self) -> Vec<HistoryEntry> {
        self.msv(&["history", "-o", "json"])
            .run()
            .status(0)
            .stdout_json()
    }
}

/// Runs `f` on a runtime of its own on a thread of its own until `stop` is set.
fn background<T: Send + 'static>(
    stop: Arc<AtomicBool>,
    f: impl FnOnce(Arc<AtomicBool>) -> std::pin::Pin<Box<dyn Future<Output = T> + Send>>
    + Send
    + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f(stop))
    })
}

fn pod_ready(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Whenever Service `shop` selects a color (or both, during a canary soak), every pod it
/// selects is ready — checked by
/// reading the real server's state (a checker, not msv), the selector read before and after
/// the pods so a switch in between is not counted. And, from every write the server's
/// watches deliver (see `writes`): `shop`'s Endpoints never lose their last ready address
/// once they had one, and no color `shop` selects is scaled down or deleted.
pub(super) struct Monitor {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<(usize, Vec<String>)>>,
    writes: Option<Writes>,
}

impl Monitor {
    pub(super) fn start(env: &Env) -> Monitor {
        let stop = Arc::new(AtomicBool::new(false));
        let (c, ns) = (env.c, env.ns.clone());
        let handle = background(stop.clone(), move |stop| {
            Box::pin(async move {
                let client = c.client().await;
                let services: Api<Service> = Api::namespaced(client.clone(), &ns);
                let pods: Api<Pod> = Api::namespaced(client, &ns);
                // The whole selector: one color, or both during a canary soak.
                let selector = async || {
                    let sel = services
                        .get_opt("shop")
                        .await
                        .ok()
                        .flatten()?
                        .spec?
                        .selector?;
                    let text: Vec<String> = sel.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    (!text.is_empty()).then(|| text.join(","))
                };
                let (mut checks, mut violations) = (0, vec![]);
                while !stop.load(Ordering::SeqCst) {
                    if let Some(color) = selector().await {
                        let lp = ListParams::default().labels(&color);
                        if let Ok(list) = pods.list(&lp).await {
                            checks += 1;
                            let live: Vec<&Pod> = list
                                .items
                                .iter()
                                .filter(|p| p.metadata.deletion_timestamp.is_none())
                                .collect();
                            let bad = live.is_empty() || !live.iter().all(|p| pod_ready(p));
                            if bad && selector().await.as_ref() == Some(&color) {
                                violations.push(format!(
                                    "shop selects {color} but its {} pods are not all ready",
                                    live.len()
                                ));
                            }
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                (checks, violations)
            })
        });
        Monitor {
            stop,
            handle: Some(handle),
            writes: Some(Writes::start(
                env.c.kubeconfig.clone(),
                env.ns.clone(),
                "shop".into(),
            )),
        }
    }

    /// Stops watching; every breach of the invariants seen since [`Monitor::start`].
    #[track_caller]
    fn finish(mut self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        let (checks, mut v) = self.handle.take().unwrap().join().unwrap();
        assert!(checks > 0, "the monitor never saw Service shop");
        let (writes, bad) = self.writes.take().unwrap().finish();
        assert!(
            writes > 0,
            "the monitor saw no write of shop or its Deployments"
        );
        v.extend(bad);
        v
    }

    #[track_caller]
    pub(super) fn assert_clean(self) {
        let v = self.finish();
        assert!(v.is_empty(), "invariant violated {} times: {v:#?}", v.len(),);
    }
}

/// GET /healthz through Service shop's real proxy every 20 ms, until the test stops it.
pub(super) fn traffic(env: &Env) -> Traffic {
    Traffic::start(
        env.c.kubeconfig.clone(),
        format!(
            "/api/v1/namespaces/{}/services/shop:{PORT}/proxy/healthz",
            env.ns
        ),
        Duration::from_millis(20),
    )
}

#[test]
fn real_deploys_switch_blue_green_blue_without_dropping_traffic() {
    let Some(env) = Env::new(
        "real_deploys_switch_blue_green_blue_without_dropping_traffic",
        "bgb",
    ) else {
        return;
    };
    let run = env
        .msv(&["deploy", "--image", &env.image("1"), "-o", "json"])
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
        [
            "plan", "apply", "rollout", "health", "switch", "verify", "guard", "finish", "record"
        ]
    );
    assert_eq!(env.live().as_deref(), Some("blue"));
    // 1.20 has no preStop sleep action: msv says so and renders the delay as an exec.
    run.stderr_has("Kubernetes 1.20 has no preStop sleep action");
    let d = env.get(&["deployment", "shop-blue"]).unwrap();
    let pre_stop = &d["spec"]["template"]["spec"]["containers"][0]["lifecycle"]["preStop"];
    assert_eq!(pre_stop["exec"]["command"][0], "sleep", "{pre_stop}");
    // The pod serving it has an address in the test's network namespace.
    let pods = env.get(&["pods", "-l", "msv/color=blue"]).unwrap();
    let ip = pods["items"][0]["status"]["podIP"].as_str().unwrap_or("");
    assert!(ip.starts_with(&format!("{}.", env.net.net)), "{pods}");

    let monitor = Monitor::start(&env);
    let traffic = traffic(&env);
    let s: Summary = env
        .msv(&["deploy", "--image", &env.image("2"), "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(
        (
            s.from_color.as_deref(),
            s.to_color.as_str(),
            s.to_image.as_str()
        ),
        (Some("blue"), "green", env.image("2").as_str())
    );
    assert_eq!(env.live().as_deref(), Some("green"));
    assert_eq!(env.replicas("blue"), Some(0), "old color scaled down");
    env.deploy("3").status(0).stderr_has("live on blue");
    traffic.assert_no_failures();
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.deployed_image("blue"), Some(env.image("3")));
    assert_eq!(env.replicas("green"), Some(0));

    let got: Vec<(u64, String, String, String)> = env
        .history()
        .into_iter()
        .map(|e| (e.revision, e.image, e.color, e.outcome))
        .collect();
    let want: Vec<(u64, String, String, String)> =
        [(1, "1", "blue"), (2, "2", "green"), (3, "3", "blue")]
            .into_iter()
            .map(|(r, t, c)| (r, env.image(t), c.to_string(), "succeeded".to_string()))
            .collect();
    assert_eq!(got, want);
    env.deploy("3").status(0).stderr_has("nothing to do");
}

#[test]
fn real_failing_candidates_never_get_traffic() {
    let Some(env) = Env::new("real_failing_candidates_never_get_traffic", "failing") else {
        return;
    };
    env.deploy("1").status(0);
    let node = &env.c.node;
    node.set_image_behavior(&env.image("never"), Behavior::NeverReady);
    node.set_image_behavior(&env.image("crash"), Behavior::CrashLoop);
    node.set_image_behavior(&env.image("nopull"), Behavior::ImagePullFailure);
    env.net
        .set_backend(&env.image("sick"), |_| ProxyResponse::new(503, "sick"));
    let monitor = Monitor::start(&env);
    let traffic = traffic(&env);
    let cases = [
        ("never", "NotReady"),
        ("crash", "CrashLoopBackOff"),
        ("nopull", "ImagePull"),
        ("sick", "HTTP 503"),
    ];
    for (tag, reason) in cases {
        let image = env.image(tag);
        let run = env
            .msv(&["deploy", "--image", &image, "--timeout", "10s"])
            .run()
            .status(1)
            .stderr_has(reason)
            .stderr_has("live traffic untouched: shop still serves blue");
        if tag != "sick" {
            run.stderr_has("pod shop-green-");
        }
        assert_eq!(env.live().as_deref(), Some("blue"), "{tag}");
        assert_eq!(
            env.replicas("green"),
            Some(0),
            "failed candidate {tag} scaled back to zero"
        );
    }
    traffic.assert_no_failures();
    monitor.assert_clean();
    let outcomes: Vec<String> = env.history().into_iter().map(|e| e.outcome).collect();
    assert_eq!(
        outcomes,
        ["succeeded", "failed", "failed", "failed", "failed"]
    );
}

#[test]
fn real_health_failing_after_the_switch_switches_back() {
    let Some(env) = Env::with_toml(
        "real_health_failing_after_the_switch_switches_back",
        "switchback",
        &TOML.replace("verify_for = \"1s\"", "verify_for = \"5s\""),
    ) else {
        return;
    };
    env.deploy("1").status(0);
    // Healthy for msv's probes through the preview Service before the switch (three, with
    // one replica), failing once traffic comes through Service shop.
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    env.net.set_backend(&env.image("flaky"), move |_| {
        if c.fetch_add(1, Ordering::SeqCst) < 3 {
            ProxyResponse::ok("ok")
        } else {
            ProxyResponse::new(500, "boom")
        }
    });
    let monitor = Monitor::start(&env);
    env.deploy("flaky")
        .status(1)
        .stderr_has("health check failed after the switch")
        .stderr_has("HTTP 500")
        .stderr_has("switched back automatically: shop serves blue again");
    monitor.assert_clean();
    assert!(
        calls.load(Ordering::SeqCst) > 3,
        "the candidate got traffic"
    );
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("blue"), Some(1));
    assert_eq!(env.history().last().unwrap().outcome, "rolled-back");
}

#[test]
fn real_rollback_switches_at_once_then_rebuilds_the_old_color() {
    let Some(env) = Env::new(
        "real_rollback_switches_at_once_then_rebuilds_the_old_color",
        "rollback",
    ) else {
        return;
    };
    env.deploy("1").status(0);
    env.msv(&["deploy", "--image", &env.image("2"), "--keep-old"])
        .run()
        .status(0);
    assert_eq!(env.replicas("blue"), Some(1), "--keep-old leaves blue up");
    let monitor = Monitor::start(&env);
    let traffic = traffic(&env);
    env.msv(&["rollback"])
        .run()
        .status(0)
        .stderr_has(&format!("rolled back to {} on blue", env.image("1")));
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("green"), Some(0));
    // Green is down now: rolling back to revision 2 brings it up again first.
    env.msv(&["rollback", "--to-revision", "2"]).run().status(0);
    traffic.assert_no_failures();
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("green"));
    assert_eq!(env.deployed_image("green"), Some(env.image("2")));
    let outcomes: Vec<String> = env.history().into_iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, ["succeeded", "succeeded", "rollback", "rollback"]);
}

#[test]
fn real_concurrent_deploys_one_proceeds() {
    let Some(env) = Env::new("real_concurrent_deploys_one_proceeds", "concurrent") else {
        return;
    };
    let image = env.image("slow");
    env.c
        .node
        .set_image_behavior(&image, Behavior::ReadyAfter(Duration::from_secs(3)));
    let a = env
        .msv(&["deploy", "--image", &image])
        .command()
        .spawn()
        .unwrap();
    let b = env
        .msv(&["deploy", "--image", &image])
        .command()
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let (ea, eb) = (
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr),
    );
    let mut codes = [a.status.code().unwrap(), b.status.code().unwrap()];
    codes.sort();
    assert_eq!(codes, [0, 75], "a: {ea}\nb: {eb}");
    let loser = if a.status.code() == Some(75) { ea } else { eb };
    assert!(
        loser.contains("shop is locked by") || loser.contains("took the lock"),
        "{loser}"
    );
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.history().len(), 1, "only one deploy recorded");
    let lease = env.get(&["lease", "shop-msv-lock"]).unwrap();
    assert!(
        lease["spec"]["holderIdentity"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "released: {lease}"
    );
}

/// Polls `f` until it returns `Some`, failing with `what` after `secs`.
#[track_caller]
pub(super) fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn real_status_is_healthy_then_degraded() {
    let Some(env) = Env::new("real_status_is_healthy_then_degraded", "status") else {
        return;
    };
    env.deploy("1").status(0);
    // Scaled by hand to two pods, as an operator would.
    env.c.kubectl(&[
        "-n",
        &env.ns,
        "scale",
        "deployment/shop-blue",
        "--replicas=2",
    ]);
    wait_for("two ready blue pods", 60, || {
        let d = env.get(&["deployment", "shop-blue"])?;
        (d["status"]["readyReplicas"] == 2).then_some(())
    });
    let run = env.msv(&["status", "-o", "json"]).run().status(0);
    let list: Value = run.stdout_json();
    assert_eq!(list["healthy"], true, "{list}");
    let row = &list["services"][0];
    assert_eq!(row["name"], "shop");
    assert_eq!(row["state"], "healthy", "{row}");
    assert_eq!((&row["ready"], &row["desired"]), (&2.into(), &2.into()));
    assert_eq!(row["endpoints"], 2, "{row}");
    assert_eq!(row["health"]["status"], 200, "{row}");
    assert_eq!(row["health"]["target"], "service/shop", "{row}");
    let run = env.msv(&["status", "--pods", "-o", "json"]).run().status(0);
    let list: Value = run.stdout_json();
    let pod_health = list["services"][0]["pod_health"].as_array().unwrap();
    assert_eq!(pod_health.len(), 2, "{list}");
    assert!(pod_health.iter().all(|p| p["status"] == 200), "{list}");

    // One pod's container now runs an image that never gets ready.
    let stuck_image = env.image("stuck");
    env.c
        .node
        .set_image_behavior(&stuck_image, Behavior::NeverReady);
    let pods = env.get(&["pods", "-l", "msv/color=blue"]).unwrap();
    let pod = pods["items"][1]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let container = pods["items"][1]["spec"]["containers"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let patch =
        serde_json::json!({"spec": {"containers": [{"name": container, "image": stuck_image}]}});
    env.c.kubectl(&[
        "-n",
        &env.ns,
        "patch",
        "pod",
        &pod,
        "-p",
        &patch.to_string(),
    ]);
    wait_for("one blue pod not ready", 60, || {
        let d = env.get(&["deployment", "shop-blue"])?;
        (d["status"]["readyReplicas"] == 1).then_some(())
    });
    let run = env.msv(&["status"]).run().status(1);
    run.stdout_has("degraded")
        .stdout_has("1/2")
        .stdout_has("shop: 1/2 blue pods ready");
    let detail: Value = env
        .msv(&["status", "shop", "-o", "json"])
        .run()
        .status(1)
        .stdout_json();
    assert_eq!(detail["state"], "degraded", "{detail}");
    let not_ready: Vec<&Value> = detail["pods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ready"] == false)
        .collect();
    assert_eq!(not_ready.len(), 1, "{detail}");
    assert_eq!(not_ready[0]["name"], pod.as_str());
}

#[test]
fn real_apis_that_1_20_lacks_are_named_before_anything_changes() {
    let autoscaling = TOML.replace(
        "[deploy]\n",
        "[deploy.autoscaling]\nenabled = true\nmin_replicas = 1\nmax_replicas = 3\n\n[deploy]\n",
    );
    let Some(env) = Env::with_toml(
        "real_apis_that_1_20_lacks_are_named_before_anything_changes",
        "apis",
        &autoscaling,
    ) else {
        return;
    };
    env.deploy("1")
        .status(2)
        .stderr_has("does not serve autoscaling/v2 HorizontalPodAutoscaler")
        .stderr_has("Kubernetes 1.23 and later serve it")
        .stderr_has("Nothing was changed");
    assert!(env.get(&["deployment", "shop-blue"]).is_none());
    assert!(env.get(&["service", "shop"]).is_none());
    std::fs::write(
        env.dir.path().join("msv.toml"),
        TOML.replace("replicas = 1", "replicas = 2"),
    )
    .unwrap();
    env.deploy("1")
        .status(2)
        .stderr_has("does not serve policy/v1 PodDisruptionBudget")
        .stderr_has("set deploy.disruption_budget = false");
    assert!(env.get(&["deployment", "shop-blue"]).is_none());
    assert!(env.get(&["lease", "shop-msv-lock"]).is_none());

    // Without the budget, two replicas deploy on 1.20 as anywhere else.
    env.msv(&["deploy", "--image", &env.image("1")])
        .env("MSV_DEPLOY_DISRUPTION_BUDGET", "false")
        .run()
        .status(0);
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("blue"), Some(2));
    let ready = env.get(&["deployment", "shop-blue"]).unwrap()["status"]["readyReplicas"].as_i64();
    assert_eq!(ready, Some(2), "both pods of the live color ready");
}

/// The monitor and the traffic client see an outage on the real server when there is one:
/// a person scales the live color to zero, the Endpoints empty, the proxy answers 503.
#[test]
fn real_monitor_and_traffic_catch_the_live_color_scaled_down() {
    let Some(env) = Env::new(
        "real_monitor_and_traffic_catch_the_live_color_scaled_down",
        "outage",
    ) else {
        return;
    };
    env.deploy("1").status(0);
    let monitor = Monitor::start(&env);
    let traffic = traffic(&env);
    std::thread::sleep(Duration::from_millis(500));
    env.c.kubectl(&[
        "-n",
        &env.ns,
        "scale",
        "deployment/shop-blue",
        "--replicas=0",
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while env.get(&["endpoints", "shop"]).unwrap()["subsets"]
        .as_array()
        .is_some_and(|s| !s.is_empty())
    {
        assert!(Instant::now() < deadline, "shop's Endpoints never emptied");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let report = traffic.stop();
    assert!(
        !report.failures.is_empty() && report.failures.iter().all(|f| f.starts_with("503")),
        "{} requests, failures: {:?}",
        report.sent,
        report.failures
    );
    let v = monitor.finish();
    assert!(
        v.iter()
            .any(|v| v.contains("shop-blue scaled from 1 to 0 while shop selects it")),
        "{v:#?}"
    );
    assert!(
        v.iter()
            .any(|v| v.contains("shop's Endpoints written with no ready address")),
        "{v:#?}"
    );
    assert!(
        v.iter()
            .any(|v| v.contains("shop selects app.kubernetes.io/name=shop,msv/color=blue but")),
        "{v:#?}"
    );
}
