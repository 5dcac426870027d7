//! msv deploy, rollback, history and manifests: the real binary against the fake API
//! server. Besides each command's own result, the tests watch two things while msv runs:
//! a background client that never retries, sending requests through Service `S`'s proxy
//! (no failures during a good deploy), and a monitor checking that `S` only ever selects
//! a color whose pods all exist and are ready, that its Endpoints never go empty once it
//! has served, and that no color it selects is scaled down. The shared setup lives here;
//! the tests, by theme, in: `happy` (deploys that go through, dry run, manifests),
//! `rollback` (rollback and history), `failures` (candidates that never get healthy),
//! `lock` (the Lease), `faults` (API errors, dropped watches, conflicts, Ctrl-C), `kill`
//! (SIGKILL in every phase, then a rerun), `monitor` (the monitor catches what it should),
//! `names` (names that cannot be deployed never reach the cluster), `gates` (checks and metric
//! gates around the switch), `canary` (a soak on real traffic before the switch), `safety` (a cluster
//! shared with people and other tools; adoption), `workspace` (several services released as one)
//! and `bench` (the overhead benchmark, ignored by `cargo test`).

mod bench;
mod canary;
mod failures;
mod faults;
mod gates;
mod gates_prometheus;
mod gates_traces;
mod happy;
mod kill;
mod lock;
mod monitor;
mod names;
mod rollback;
mod safety;
mod workspace;

use crate::fake_api::{Behavior, FakeCluster, Fault, ProxyRequest, ProxyResponse};
use crate::support::Test;
use crate::traffic::Traffic;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Checks the invariants while a test runs, from what the fake notes inside every write
/// (see `fake_api::selections`), so no moment is missed:
/// - whenever Service `shop` selects a color, every pod of that color exists and is ready;
/// - once `shop`'s Endpoints have had a ready address, every later write of them keeps at
///   least one (the Service never goes dark after it first served);
/// - no Deployment whose pods `shop` selects is scaled down or deleted while it does.
struct Monitor {
    fake: Arc<FakeCluster>,
    from: usize,
    endpoints_from: usize,
    scale_downs_from: usize,
}

impl Monitor {
    fn start(env: &Env) -> Monitor {
        let from = env.fake.selections().len();
        let endpoints_from = env.fake.endpoints_writes().len();
        let scale_downs_from = env.fake.scale_downs().len();
        env.fake.record_selections(NS, "shop");
        Monitor {
            fake: env.fake.clone(),
            from,
            endpoints_from,
            scale_downs_from,
        }
    }

    /// Every breach of the invariants seen since [`Monitor::start`], one line each.
    fn violations(&self) -> Vec<String> {
        let log = self.fake.selections();
        let seen = &log[self.from..];
        let mut bad: Vec<String> = seen
            .iter()
            .filter(|s| !s.selector.is_null() && !s.all_ready())
            .map(|s| {
                format!(
                    "rv {}: {}/{} selects {} with {} of {} pods ready",
                    s.rv, s.namespace, s.service, s.selector, s.ready, s.pods
                )
            })
            .collect();
        let mut served = false;
        for e in &self.fake.endpoints_writes()[self.endpoints_from..] {
            if e.ready > 0 {
                served = true;
            } else if served {
                bad.push(format!(
                    "rv {}: {}/{} Endpoints written with no ready address ({} not ready) after it had served",
                    e.rv, e.namespace, e.service, e.not_ready
                ));
            }
        }
        bad.extend(
            self.fake.scale_downs()[self.scale_downs_from..]
                .iter()
                .map(|d| {
                    let what = if d.deleted {
                        "deleted".to_string()
                    } else {
                        format!("scaled from {} to {}", d.from, d.to)
                    };
                    format!(
                        "rv {}: {}/{} {what} ({} pods ready) while {} selects it with {}",
                        d.rv, d.namespace, d.deployment, d.ready, d.service, d.selector
                    )
                }),
        );
        bad
    }

    #[track_caller]
    fn assert_clean(self) {
        let log = self.fake.selections();
        let seen = &log[self.from..];
        assert!(
            seen.iter().any(|s| !s.selector.is_null()),
            "the monitor never saw Service shop select anything: {seen:?}"
        );
        let bad = self.violations();
        assert!(
            bad.is_empty(),
            "invariant violated {} times: {bad:#?}",
            bad.len()
        );
    }
}

/// GET /healthz through Service shop's proxy every 5 ms, until the test stops it.
fn traffic(env: &Env) -> Traffic {
    Traffic::start(
        env.fake.kubeconfig_path(),
        format!("/api/v1/namespaces/{NS}/services/shop:8080/proxy/healthz"),
        Duration::from_millis(5),
    )
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

fn lease(holder: &str, renewed_secs_ago: i64, duration: i64) -> Value {
    let t = std::time::SystemTime::now() - Duration::from_secs(renewed_secs_ago as u64);
    let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let stamp = k8s_openapi::jiff::Timestamp::from_second(secs)
        .unwrap()
        .to_string();
    json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
           "metadata": {"name": "shop-msv-lock", "namespace": NS,
                        "labels": {"app.kubernetes.io/name": "shop", "app.kubernetes.io/managed-by": "msv"}},
           "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration, "acquireTime": stamp, "renewTime": stamp}})
}
