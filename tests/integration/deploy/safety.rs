//! A cluster shared with people and other tools: msv never scales down what Service `S`
//! serves, never takes over objects it did not make, never claims what did not happen —
//! and adopts a service that runs today as a plain Deployment and Service.

use super::*;

/// Send one request to the fake API server as another client would (kubectl, Helm), with
/// its field manager; returns the status code.
fn api(env: &Env, method: &str, path: &str, content_type: &str, body: &Value) -> u16 {
    let kubeconfig = env.fake.kubeconfig_path();
    let body = serde_json::to_vec(body).unwrap();
    let (method, path, content_type) = (
        method.to_string(),
        path.to_string(),
        content_type.to_string(),
    );
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let client = crate::fake_api::kube_client(&kubeconfig, false).await;
            let request = http::Request::builder()
                .method(method.as_str())
                .uri(path)
                .header("content-type", content_type)
                .body(kube::client::Body::from(body))
                .unwrap();
            client.send(request).await.unwrap().status().as_u16()
        })
}

/// `kubectl patch service shop -p '{"spec":{"selector":{"msv/color":COLOR}}}'`.
fn patch_selector_by_hand(env: &Env, color: &str) {
    let status = api(
        env,
        "PATCH",
        &format!("/api/v1/namespaces/{NS}/services/shop?fieldManager=kubectl-patch"),
        "application/merge-patch+json",
        &json!({"spec": {"selector": {"msv/color": color}}}),
    );
    assert_eq!(status, 200, "the hand-made selector change is accepted");
}

/// `kubectl create -f` of an object, as field manager `kubectl-create`.
fn create_by_hand(env: &Env, path: &str, obj: Value) {
    let status = api(
        env,
        "POST",
        &format!("{path}?fieldManager=kubectl-create"),
        "application/json",
        &obj,
    );
    assert_eq!(status, 201, "created {obj}");
}

/// Wait until Service shop selects `color` (a deploy running in the background switched).
fn wait_until_live(env: &Env, color: &str) {
    env.fake
        .wait_for("the switch", Duration::from_secs(20), |f| {
            let s = f.get("services", NS, "shop")?;
            (s["spec"]["selector"]["msv/color"] == color).then_some(())
        });
}

fn last_outcome(env: &Env) -> (String, String) {
    let h = history(env);
    let e = h.last().expect("a history entry");
    (e.image.clone(), e.outcome.clone())
}

#[test]
fn a_selector_moved_by_hand_after_the_switch_stops_the_deploy_without_scaling_anything_down() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    let traffic = traffic(&env);
    let monitor = Monitor::start(&env);
    let child = env
        .msv(&["deploy", "--image", "r/shop:2"])
        .env("MSV_DEPLOY_VERIFY_FOR", "20s")
        .command()
        .spawn()
        .unwrap();
    wait_until_live(&env, "green");
    std::thread::sleep(Duration::from_millis(500));
    // Someone points shop back at blue in the middle of the verify window.
    patch_selector_by_hand(&env, "blue");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("was changed by kubectl-patch"), "{err}");
    assert!(err.contains("nothing was scaled down"), "{err}");
    assert!(!err.contains("live on green"), "{err}");
    // What shop serves keeps serving: blue was not scaled down, green neither.
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("blue"), Some(2));
    assert_eq!(env.replicas("green"), Some(2));
    assert_eq!(
        last_outcome(&env),
        ("r/shop:2".to_string(), "stopped".to_string())
    );
    traffic.assert_no_failures();
    monitor.assert_clean();
    // The next deploy plans from what is there: blue is live, so green is the candidate.
    env.deploy("r/shop:2").status(0).stderr_has("live on green");
    assert_eq!(env.replicas("blue"), Some(0));
}

#[test]
fn a_selector_moved_by_hand_during_the_scale_down_delay_keeps_both_colors() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    let child = env
        .msv(&["deploy", "--image", "r/shop:2"])
        .env("MSV_DEPLOY_SCALE_DOWN_DELAY", "20s")
        .command()
        .spawn()
        .unwrap();
    wait_until_live(&env, "green");
    std::thread::sleep(Duration::from_millis(1000));
    patch_selector_by_hand(&env, "blue");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("kubectl-patch"), "{err}");
    assert_eq!(env.replicas("blue"), Some(2), "{err}");
    assert_eq!(env.live().as_deref(), Some("blue"));
}

#[test]
fn a_service_someone_else_made_is_never_touched() {
    let env = Env::new();
    create_by_hand(
        &env,
        &format!("/api/v1/namespaces/{NS}/services"),
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "shop", "namespace": NS},
               "spec": {"selector": {"team": "payments"}, "ports": [{"port": 80, "targetPort": 8080}]}}),
    );
    for args in [
        &["deploy", "--image", "r/shop:1", "--dry-run"][..],
        &["deploy", "--image", "r/shop:1"][..],
    ] {
        env.msv(args)
            .run()
            .status(2)
            .stderr_has("Service shop (managed by kubectl-create)")
            .stderr_has("not made by msv")
            .stderr_has("nothing was changed");
    }
    let svc = env.fake.get("services", NS, "shop").unwrap();
    assert_eq!(svc["spec"]["selector"], json!({"team": "payments"}));
    for (kind, name) in [
        ("deployments", "shop-blue"),
        ("services", "shop-preview"),
        ("leases", "shop-msv-lock"),
        ("configmaps", "shop-msv-history"),
    ] {
        assert!(env.fake.get(kind, NS, name).is_none(), "{kind}/{name} made");
    }
}

#[test]
fn a_deployment_with_msv_labels_that_msv_did_not_make_is_never_touched() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    // Someone copies msv's labels onto a green Deployment of their own.
    let labels = json!({"app.kubernetes.io/name": "shop", "app.kubernetes.io/managed-by": "msv", "msv/color": "green"});
    create_by_hand(
        &env,
        &format!("/apis/apps/v1/namespaces/{NS}/deployments"),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "shop-green", "namespace": NS, "labels": labels},
               "spec": {"replicas": 3, "selector": {"matchLabels": labels},
                        "template": {"metadata": {"labels": labels},
                                     "spec": {"containers": [{"name": "theirs", "image": "r/shop:4"}]}}}}),
    );
    env.deploy("r/shop:2")
        .status(2)
        .stderr_has("Deployment shop-green (managed by kubectl-create)");
    let d = env.fake.get("deployments", NS, "shop-green").unwrap();
    assert_eq!(d["spec"]["replicas"], 3);
    let containers = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), 1, "{containers:?}");
    assert_eq!(containers[0]["name"], "theirs");
    assert_eq!(env.live().as_deref(), Some("blue"));
    // Status still reads the live color msv made.
    assert_eq!(env.image("blue").as_deref(), Some("r/shop:1"));
}

#[test]
fn a_corrupted_history_after_going_live_is_reported_truthfully() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    let child = env
        .msv(&["deploy", "--image", "r/shop:2"])
        .env("MSV_DEPLOY_VERIFY_FOR", "3s")
        .command()
        .spawn()
        .unwrap();
    wait_until_live(&env, "green");
    let mut cm = env.fake.get("configmaps", NS, "shop-msv-history").unwrap();
    cm["data"]["history.json"] = json!("{not json");
    cm["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("managedFields");
    let status = api(
        &env,
        "PUT",
        &format!("/api/v1/namespaces/{NS}/configmaps/shop-msv-history"),
        "application/json",
        &cm,
    );
    assert_eq!(status, 200);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("shop is live on green with r/shop:2 and passed verification"),
        "{err}"
    );
    assert!(err.contains("recording it in the history failed"), "{err}");
    assert!(err.contains("shop-msv-history"), "{err}");
    assert_eq!(env.live().as_deref(), Some("green"));
}

/// A service that runs today as `kubectl create deployment shop` + `kubectl expose`.
fn plain_service(env: &Env) {
    let labels = json!({"app": "shop"});
    create_by_hand(
        env,
        &format!("/apis/apps/v1/namespaces/{NS}/deployments"),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "shop", "namespace": NS, "labels": labels},
               "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                        "template": {"metadata": {"labels": {"app": "shop", "tier": "web"}},
                                     "spec": {"containers": [{"name": "shop", "image": "r/shop:1",
                                              "ports": [{"containerPort": 8080}]}]}}}}),
    );
    create_by_hand(
        env,
        &format!("/api/v1/namespaces/{NS}/services"),
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "shop", "namespace": NS, "labels": {"app": "shop"}},
               "spec": {"selector": labels, "ports": [{"port": 8080, "targetPort": 8080}]}}),
    );
    env.fake.wait_for(
        "the plain Deployment's pods",
        Duration::from_secs(20),
        |f| {
            let eps = f.get("endpoints", NS, "shop")?;
            let ready = eps["subsets"][0]["addresses"].as_array()?.len();
            (ready == 2).then_some(())
        },
    );
}

#[test]
fn adopt_takes_over_a_plain_deployment_without_dropping_a_request() {
    let env = Env::new();
    plain_service(&env);
    // Without --adopt: refused, with the way forward.
    env.deploy("r/shop:2")
        .status(2)
        .stderr_has("Service shop (managed by kubectl-create)")
        .stderr_has("msv deploy --adopt");
    env.msv(&["deploy", "--image", "r/shop:2", "--adopt", "--dry-run"])
        .run()
        .status(0)
        .stdout_has("adopt   Service shop: selector app=shop -> blue")
        .stdout_has(
            "create  Deployment shop-blue: r/shop:2 x2 from the pod template of Deployment shop",
        )
        .stdout_has("scale   Deployment shop: to 0 after 0ns (never deleted)")
        .stdout_has("nothing was changed");
    let traffic = traffic(&env);
    env.msv(&["deploy", "--image", "r/shop:2", "--adopt"])
        .run()
        .status(0)
        .stderr_has("shop revision 1 live on blue");
    traffic.assert_no_failures();
    let svc = env.fake.get("services", NS, "shop").unwrap();
    assert_eq!(
        svc["spec"]["selector"],
        json!({"app.kubernetes.io/name": "shop", "msv/color": "blue"})
    );
    assert_eq!(
        svc["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "msv"
    );
    // The adopted Deployment is scaled to zero, never deleted.
    let plain = env.fake.get("deployments", NS, "shop").unwrap();
    assert_eq!(plain["spec"]["replicas"], 0);
    // The new color runs the same pod template, with msv's labels.
    let blue = env.fake.get("deployments", NS, "shop-blue").unwrap();
    let tpl = &blue["spec"]["template"];
    assert_eq!(tpl["spec"]["containers"][0]["name"], "shop");
    assert_eq!(tpl["spec"]["containers"][0]["image"], "r/shop:2");
    assert_eq!(tpl["metadata"]["labels"]["tier"], "web");
    assert!(tpl["metadata"]["labels"].get("app").is_none());
    assert_eq!(
        last_outcome(&env),
        ("r/shop:2".to_string(), "succeeded".to_string())
    );
    // From here on it is an ordinary msv service.
    let traffic = super::traffic(&env);
    env.deploy("r/shop:3").status(0).stderr_has("live on green");
    traffic.assert_no_failures();
    assert_eq!(env.replicas("blue"), Some(0));
}

#[test]
fn an_adoption_that_fails_verification_switches_back_to_the_plain_deployment() {
    let env = Env::new();
    plain_service(&env);
    let healthy_until = std::sync::Arc::new(AtomicBool::new(true));
    let flag = healthy_until.clone();
    env.fake
        .set_backend_for_image("r/shop:2", move |_| match flag.load(Ordering::SeqCst) {
            true => ProxyResponse::ok("ok"),
            false => ProxyResponse::new(500, "broken"),
        });
    let child = env
        .msv(&["deploy", "--image", "r/shop:2", "--adopt"])
        .env("MSV_DEPLOY_VERIFY_FOR", "20s")
        .command()
        .spawn()
        .unwrap();
    wait_until_live(&env, "blue");
    healthy_until.store(false, Ordering::SeqCst);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("switched back automatically: shop serves Deployment shop again"),
        "{err}"
    );
    let svc = env.fake.get("services", NS, "shop").unwrap();
    assert_eq!(svc["spec"]["selector"], json!({"app": "shop"}));
    assert!(
        svc["metadata"]["labels"]
            .get("app.kubernetes.io/managed-by")
            .is_none()
    );
    let plain = env.fake.get("deployments", NS, "shop").unwrap();
    assert_eq!(plain["spec"]["replicas"], 2);
    assert_eq!(env.replicas("blue"), Some(0));
}

#[test]
fn a_quota_that_fits_one_color_fails_fast_naming_it() {
    let env =
        Env::with_deploy("timeout = \"60s\"\nverify_for = \"300ms\"\nscale_down_delay = \"0s\"\n");
    env.deploy("r/shop:1").status(0);
    env.fake.create_pod_quota(NS, "pods", 2);
    let monitor = Monitor::start(&env);
    let run = env
        .deploy("r/shop:2")
        .status(1)
        .stderr_has("shop-green failed: its pods cannot be created: FailedCreate")
        .stderr_has("exceeded quota: pods")
        .stderr_has("live traffic untouched: shop still serves blue");
    // Failed on the condition, not at the end of its 60 s timeout.
    assert!(!run.stderr().contains("did not become ready within"));
    monitor.assert_clean();
    assert_eq!(env.replicas("blue"), Some(2));
    assert_eq!(env.replicas("green"), Some(0));
    assert_eq!(
        last_outcome(&env),
        ("r/shop:2".to_string(), "failed".to_string())
    );
}
