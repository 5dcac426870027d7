//! The canary soak: before the switch, Service `S` serves both colors, each step the
//! candidate's share of the ready pods, and the candidate is judged beside the live color
//! over the same minutes. The fake's endpoints controller follows the two-color selector
//! and its service proxy spreads requests over both colors' ready pods, so what users get
//! during a step is counted per image by the pods themselves (see `serve_counted`).

use super::gates::{HEALTHY, Serves, backend, last_entry, users};
use super::kill::{deploy_and_kill, lease_expired};
use super::*;
use std::sync::atomic::AtomicUsize;

/// Service shop selects both colors (no color key in its selector).
fn serves_both(fake: &FakeCluster) -> bool {
    fake.get("services", NS, "shop").is_some_and(|s| {
        s["spec"]["selector"].is_object() && s["spec"]["selector"]["msv/color"].is_null()
    })
}

/// `image`'s backend as in `gates`, also counting the users' requests it answered while
/// Service shop served both colors.
fn serve_counted(env: &Env, image: &str, serves: Serves) -> Arc<AtomicUsize> {
    let inner = backend(serves);
    let fake = Arc::downgrade(&env.fake);
    let during_soak = Arc::new(AtomicUsize::new(0));
    let counted = during_soak.clone();
    env.fake.set_backend_for_image(image, move |req| {
        if req.path == "/api/items" && fake.upgrade().is_some_and(|f| serves_both(&f)) {
            counted.fetch_add(1, Ordering::SeqCst);
        }
        inner(req)
    });
    during_soak
}

fn env_with_canary(steps: &str, pause: &str, gates: &str) -> Env {
    Env::with_deploy(&format!(
        "timeout = \"20s\"\nverify_for = \"600ms\"\nscale_down_delay = \"0s\"\nlock_lease = \"1s\"\n\n[deploy.canary]\nsteps = {steps}\npause = \"{pause}\"\n\n[deploy.analysis]\ninterval = \"300ms\"\nmin_requests = 10\n{gates}"
    ))
}

/// Blue live with `r/shop:1` (every image served healthy), and a soak of one 50% step
/// that lasts `pause`.
fn blue_live(pause: &str) -> Env {
    let env = env_with_canary("[\"50%\"]", pause, "max_error_ratio = 0.05\n");
    for i in 1..=3 {
        serve_counted(&env, &format!("r/shop:{i}"), HEALTHY);
    }
    env.deploy("r/shop:1").status(0);
    env
}

/// `msv deploy --image r/shop:2` running, once Service shop serves both colors.
fn soaking(env: &Env) -> std::process::Child {
    let child = env
        .msv(&["deploy", "--image", "r/shop:2"])
        .command()
        .spawn()
        .unwrap();
    env.fake.wait_for("the soak", Duration::from_secs(20), |f| {
        serves_both(f).then_some(())
    });
    child
}

fn annotation(env: &Env) -> Value {
    env.fake.get("services", NS, "shop").unwrap()["metadata"]["annotations"]["msv/canary"].clone()
}

/// Two steps (1 then 2 green pods beside 2 blue): users' requests reach both colors during
/// the soak, about in the ratio of their pods, none fails, the candidate passes beside the
/// live color and goes live; every step is in the summary and the history.
#[test]
fn a_healthy_soak_shares_real_traffic_and_promotes() {
    let env = env_with_canary("[\"34%\", \"50%\"]", "1500ms", "max_error_ratio = 0.05\n");
    let blue = serve_counted(&env, "r/shop:1", HEALTHY);
    env.deploy("r/shop:1").status(0);
    let green = serve_counted(&env, "r/shop:2", HEALTHY);
    let monitor = Monitor::start(&env);
    let traffic = users(&env);
    let run = env
        .msv(&["deploy", "--image", "r/shop:2", "-o", "json"])
        .run()
        .status(0);
    traffic.assert_no_failures();
    monitor.assert_clean();
    let (blue, green) = (blue.load(Ordering::SeqCst), green.load(Ordering::SeqCst));
    assert!(
        blue > 20 && green > 20,
        "during the soak: blue {blue}, green {green}"
    );
    // 1 of 3 pods, then 2 of 4: the candidate's share of all soak requests is between.
    let share = green as f64 / (blue + green) as f64;
    assert!((0.25..=0.6).contains(&share), "green's share {share:.2}");
    let summary: Value = run.stdout_json();
    let steps = summary["canary"].as_array().expect("steps in the summary");
    let numbers: Vec<(u64, i64, i64, &str)> = steps
        .iter()
        .map(|s| {
            (
                s["percent"].as_u64().unwrap(),
                s["candidate_replicas"].as_i64().unwrap(),
                s["live_replicas"].as_i64().unwrap(),
                s["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(numbers, [(34, 1, 2, "passed"), (50, 2, 2, "passed")]);
    for s in steps {
        assert_eq!(s["analysis"]["verdict"], "pass", "{s:#}");
        assert!(s["analysis"]["requests"].as_u64().unwrap() >= 10, "{s:#}");
        assert!(
            s["analysis"]["baseline_requests"].as_u64().unwrap() >= 10,
            "{s:#}"
        );
        assert!(s["ms"].as_u64().unwrap() >= 1500, "{s:#}");
    }
    assert!(
        summary["phases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["phase"] == "canary"),
        "{summary:#}"
    );
    assert_eq!(env.live().as_deref(), Some("green"));
    assert_eq!(annotation(&env), Value::Null, "the soak's mark is gone");
    assert_eq!(env.replicas("green"), Some(2));
    assert_eq!(env.replicas("blue"), Some(0));
    let entry = last_entry(&env);
    assert_eq!(entry["outcome"], "succeeded");
    assert_eq!(
        entry["canary"].as_array().map(Vec::len),
        Some(2),
        "{entry:#}"
    );
}

/// A candidate failing one request in five is withdrawn at the first step: S serves the
/// live color alone again before the candidate is scaled down, and the error shows the
/// step and both colors' numbers.
#[test]
fn a_candidate_with_more_errors_than_the_live_color_is_withdrawn_at_the_first_step() {
    let env = env_with_canary("[\"34%\", \"50%\"]", "3s", "max_error_ratio = 0.05\n");
    serve_counted(&env, "r/shop:1", HEALTHY);
    env.deploy("r/shop:1").status(0);
    let bad = Serves {
        error_every: 5,
        ..HEALTHY
    };
    let green = serve_counted(&env, "r/shop:2", bad);
    let monitor = Monitor::start(&env);
    let traffic = users(&env);
    let run = env.deploy("r/shop:2").status(1);
    let report = traffic.stop();
    monitor.assert_clean();
    let err = run.stderr();
    assert!(
        err.contains("canary step 1 (34%): the candidate failed the analysis"),
        "{err}"
    );
    assert!(err.contains("error ratio"), "{err}");
    assert!(err.contains("shop serves blue alone again"), "{err}");
    assert!(
        green.load(Ordering::SeqCst) > 0,
        "green served during the soak"
    );
    // The failures users saw came from the candidate while it served beside blue.
    assert!(
        report.failures.iter().all(|f| f.starts_with("500")),
        "{:?}",
        report.failures
    );
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(annotation(&env), Value::Null);
    assert_eq!(env.replicas("green"), Some(0));
    assert_eq!(env.replicas("blue"), Some(2));
    let entry = last_entry(&env);
    assert_eq!(entry["outcome"], "failed");
    assert_eq!(entry["canary"][0]["outcome"], "failed", "{entry:#}");
    assert_eq!(
        entry["canary"][0]["analysis"]["verdict"], "fail",
        "{entry:#}"
    );
    // After the withdrawal every request reaches blue and succeeds.
    let after = users(&env);
    std::thread::sleep(Duration::from_millis(300));
    after.assert_no_failures();
}

/// SIGKILL during a step leaves S on both colors, both fully available; the next deploy
/// says so, puts S back on the live color alone, and then deploys as usual.
#[test]
fn a_deploy_killed_during_a_soak_is_ended_by_the_next_one() {
    let env = blue_live("30s");
    let monitor = Monitor::start(&env);
    let traffic = users(&env);
    let log = deploy_and_kill(&env, "r/shop:2", &[], |_, fake| serves_both(fake));
    assert!(serves_both(&env.fake), "{log}");
    assert_eq!(annotation(&env), "green");
    // The status of the cluster as the kill left it.
    env.msv(&["status", "shop"])
        .run()
        .status(0)
        .stdout_has("green")
        .stdout_has("canary (50% of traffic)");
    env.fake.wait_for(
        "the dead deploy's lease to expire",
        Duration::from_secs(20),
        |f| lease_expired(f).then_some(()),
    );
    env.msv(&["deploy", "--image", "r/shop:3", "--canary", ""])
        .run()
        .status(0)
        .stderr_has("a canary soak of green did not finish")
        .stderr_has("ended a canary soak of green");
    traffic.assert_no_failures();
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("green"));
    assert_eq!(env.image("green").as_deref(), Some("r/shop:3"));
    assert_eq!(annotation(&env), Value::Null);
    assert_eq!(env.replicas("blue"), Some(0));
}

/// Someone points S at blue by hand during a step: msv sees it, says who, and changes
/// nothing more — S stays as they set it, and nothing is scaled down.
#[test]
fn a_selector_changed_during_a_soak_is_detected_and_never_overwritten() {
    let env = blue_live("20s");
    let monitor = Monitor::start(&env);
    let child = soaking(&env);
    env.fake.patch_as(
        "kubectl-patch",
        "services",
        NS,
        "shop",
        json!({"spec": {"selector": {"msv/color": "blue"}}}),
    );
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("was changed by kubectl-patch (at ")
            && err.contains(
                "during the canary soak: it now selects app.kubernetes.io/name=shop,msv/color=blue"
            ),
        "{err}"
    );
    assert!(
        err.contains("msv stopped and changed nothing more"),
        "{err}"
    );
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("green"), Some(2), "nothing was scaled down");
    assert_eq!(env.replicas("blue"), Some(2));
    assert_eq!(last_entry(&env)["outcome"], "stopped");
}

/// Ctrl-C during a step: S back on the live color alone, the candidate down, exit 130.
#[test]
fn ctrl_c_during_a_soak_returns_the_traffic_to_the_live_color() {
    let env = blue_live("20s");
    let monitor = Monitor::start(&env);
    let traffic = users(&env);
    let child = soaking(&env);
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted during canary step 1"), "{err}");
    assert!(err.contains("shop serves blue alone again"), "{err}");
    traffic.assert_no_failures();
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("green"), Some(0));
    assert_eq!(last_entry(&env)["canary"][0]["outcome"], "interrupted");
}

/// The dry run prints each step with the pod counts it would use; a pod that is neither
/// color but carries the service's name label stops the soak before S is touched.
#[test]
fn the_dry_run_shows_the_steps_and_strangers_stop_the_soak() {
    let env = env_with_canary("[\"10%\", \"50%\"]", "1s", "max_error_ratio = 0.05\n");
    serve_counted(&env, "r/shop:1", HEALTHY);
    env.deploy("r/shop:1").status(0);
    env.msv(&["deploy", "--image", "r/shop:2", "--dry-run"])
        .run()
        .status(0)
        .stdout_has("canary:    10% (green x1 beside blue x2: 33% of the pods), 50% (green x2 beside blue x2: 50% of the pods), 1s each, then green x2 and the switch");
    let plan: Value = env
        .msv(&["deploy", "--image", "r/shop:2", "--dry-run", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(plan["canary"][1]["candidate_replicas"], 2, "{plan:#}");
    // A migration Job's pod labelled like the service.
    env.fake.create(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "shop-migrate-x1", "namespace": NS,
                     "labels": {"app.kubernetes.io/name": "shop", "job-name": "shop-migrate"}},
        "spec": {"containers": [{"name": "migrate", "image": "r/shop:1"}]}}));
    serve_counted(&env, "r/shop:2", HEALTHY);
    let monitor = Monitor::start(&env);
    env.deploy("r/shop:2")
        .status(1)
        .stderr_has("pods that are neither of its colors but carry app.kubernetes.io/name=shop: shop-migrate-x1")
        .stderr_has("live traffic untouched: shop still serves blue");
    monitor.assert_clean();
    assert_eq!(env.replicas("green"), Some(0));
}
