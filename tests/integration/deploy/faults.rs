//! The invariant under faults: API errors, dropped watches, a conflicting write to
//! Service `S`, Ctrl-C.

use super::*;

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
        .count_requests(|r| r.method == "PATCH" && r.path.ends_with("/services/shop"));
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
fn sigterm_before_the_switch_undoes_like_ctrl_c_and_exits_143() {
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
    // SAFETY: a plain kill(2) of the child this test spawned.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{err}");
    assert!(err.contains("live traffic untouched"), "{err}");
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("green"), Some(0));
}

#[test]
fn api_errors_on_reads_watches_and_renewals_are_ridden_out() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    // Each watch msv opens fails once, lists of pods and endpoint slices fail, a renewal of the
    // lock loses its connection: all of it is retried, nothing gives up.
    for resource in ["deployments", "pods", "endpointslices"] {
        env.fake
            .add_fault(Fault::on("watch", resource).status(500).times(1));
        env.fake
            .add_fault(Fault::on("list", resource).status(500).times(1));
    }
    env.fake.set_image_behavior(
        "r/shop:2",
        Behavior::ReadyAfter(Duration::from_millis(1500)),
    );
    let monitor = Monitor::start(&env);
    let traffic = traffic(&env);
    let child = env
        .msv(&["deploy", "--image", "r/shop:2"])
        .env("MSV_DEPLOY_LOCK_LEASE", "1s")
        .command()
        .spawn()
        .unwrap();
    // Once msv holds the lock and rolls out, one renewal loses its connection.
    env.fake
        .wait_for("the candidate Deployment", Duration::from_secs(10), |f| {
            f.get("deployments", NS, "shop-green")
        });
    env.fake
        .add_fault(Fault::on("update", "leases").reset().times(1));
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("live on green"), "{err}");
    traffic.assert_no_failures();
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("green"));
    assert_eq!(env.replicas("blue"), Some(0));
    let writes = env
        .fake
        .count_requests(|r| r.method == "PUT" && r.path.ends_with("/leases/shop-msv-lock"));
    // Taking, renewals every third of a second through a 1.5 s rollout (one of them
    // reset), releasing.
    assert!(
        writes >= 5,
        "the lease was renewed during the deploy ({writes} writes)"
    );
}

#[test]
fn an_error_on_the_switch_leaves_live_traffic_untouched_and_a_rerun_completes() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.fake.add_fault(
        Fault::on("patch", "services")
            .named("shop")
            .status(500)
            .times(1),
    );
    let monitor = Monitor::start(&env);
    let traffic = traffic(&env);
    env.deploy("r/shop:2")
        .status(1)
        .stderr_has("switching Service shop to green")
        .stderr_has("live traffic untouched: shop still serves blue");
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("green"), Some(0));
    env.deploy("r/shop:2").status(0).stderr_has("live on green");
    traffic.assert_no_failures();
    monitor.assert_clean();
    let outcomes: Vec<String> = history(&env).into_iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, ["succeeded", "failed", "succeeded"]);
}

#[test]
fn api_error_messages_reach_the_terminal_escaped() {
    let env = Env::new();
    env.fake.add_fault(
        Fault::on("get", "configmaps")
            .status(403)
            .message("no \u{1b}[2Jaccess\u{7}"),
    );
    env.fake.add_fault(
        Fault::on("get", "services")
            .status(500)
            .message("broken \u{1b}]0;title\u{7}server"),
    );
    env.msv(&["history"])
        .run()
        .status(2)
        .stderr_has("forbidden in namespace \"default\"")
        .stderr_has("access")
        .stderr_lacks("\u{1b}")
        .stderr_lacks("\u{7}");
    env.msv(&["rollback"])
        .run()
        .status(2)
        .stderr_has("server (500")
        .stderr_lacks("\u{1b}")
        .stderr_lacks("\u{7}");
}
