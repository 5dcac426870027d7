//! Deploys that go through: colors switch without dropping a request, history is
//! recorded, the autoscaler and disruption budget follow; the dry run and `msv manifests`.

use super::*;

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
        [
            "plan", "apply", "rollout", "health", "switch", "verify", "guard", "finish", "record"
        ]
    );
    assert_eq!(env.live().as_deref(), Some("blue"));
    let svc = env.fake.get("services", NS, "shop").unwrap();
    assert_eq!(
        svc["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "msv"
    );

    let traffic = traffic(&env);
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
fn the_disruption_budget_can_be_turned_off() {
    let env =
        Env::with_deploy("timeout = \"8s\"\nverify_for = \"200ms\"\nscale_down_delay = \"0s\"\n");
    env.deploy("r/shop:1").status(0);
    assert!(env.fake.get("poddisruptionbudgets", NS, "shop").is_some());
    // Turned off: the next deploy removes the budget msv made...
    env.msv(&["deploy", "--image", "r/shop:2"])
        .env("MSV_DEPLOY_DISRUPTION_BUDGET", "false")
        .run()
        .status(0);
    assert_eq!(env.replicas("green"), Some(2));
    assert!(
        env.fake.get("poddisruptionbudgets", NS, "shop").is_none(),
        "the budget msv made is gone with deploy.disruption_budget = false"
    );
    let yaml = env
        .msv(&["manifests", "--image", "r/shop:2"])
        .env("MSV_DEPLOY_DISRUPTION_BUDGET", "false")
        .run()
        .status(0);
    assert!(
        !yaml.stdout().contains("PodDisruptionBudget"),
        "{}",
        yaml.stdout()
    );
    // ...but never one somebody else made under the same name.
    env.fake.create(json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "shop", "namespace": NS},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"team": "payments"}}}
    }));
    env.msv(&["deploy", "--image", "r/shop:3"])
        .env("MSV_DEPLOY_DISRUPTION_BUDGET", "false")
        .run()
        .status(0);
    assert!(env.fake.get("poddisruptionbudgets", NS, "shop").is_some());
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
fn dry_run_client_is_the_plain_dry_run_and_server_asks_the_api_server() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    // kubectl's spelling plans on the client, as the bare flag does, one line per item.
    let bare = env
        .msv(&["deploy", "--image", "r/shop:2", "--dry-run"])
        .run()
        .status(0);
    let client = env
        .msv(&["deploy", "--image", "r/shop:2", "--dry-run=client"])
        .run()
        .status(0);
    assert_eq!(bare.stdout(), client.stdout());
    assert!(
        client.stdout().lines().count() > 5 && !client.stdout().contains("\\n"),
        "{}",
        client.stdout()
    );
    env.msv(&["deploy", "--image", "r/shop:2", "--dry-run=nope"])
        .run()
        .status(2)
        .stderr_has("invalid value 'nope'");

    env.fake.clear_requests();
    let server = env
        .msv(&["deploy", "--image", "r/shop:2", "--dry-run=server"])
        .run()
        .status(0)
        .stdout_has("server dry run (dryRun=All, nothing stored):")
        .stdout_has("accepted Deployment shop-green")
        .stdout_has("accepted Service shop-preview")
        .stdout_has("accepted Service shop\n");
    let writes: Vec<String> = env
        .fake
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {} dryRun={:?}", r.method, r.path, r.param("dryRun")))
        .collect();
    assert_eq!(writes.len(), 3, "{writes:?}\n{}", server.stdout());
    assert!(
        writes
            .iter()
            .all(|w| w.starts_with("PATCH ") && w.ends_with("dryRun=Some(\"All\")")),
        "every write is a dry run: {writes:?}"
    );
    // Nothing was stored: green does not exist, shop still selects blue.
    assert_eq!(env.image("green"), None);
    assert_eq!(env.live().as_deref(), Some("blue"));

    #[derive(Deserialize)]
    struct Check {
        kind: String,
        name: String,
        accepted: bool,
        error: Option<String>,
    }
    #[derive(Deserialize)]
    struct Plan {
        candidate: String,
        server: Vec<Check>,
    }
    // A write the server refuses is named with the server's reason, and the dry run fails.
    env.fake.add_fault(
        Fault::on("patch", "deployments")
            .named("shop-green")
            .status(422)
            .times(1),
    );
    let refused = env
        .msv(&[
            "deploy",
            "--image",
            "r/shop:2",
            "--dry-run=server",
            "-o",
            "json",
        ])
        .run()
        .status(1);
    let plan: Plan = refused.stdout_json();
    assert_eq!(plan.candidate, "green");
    let dep = plan.server.iter().find(|c| c.kind == "Deployment").unwrap();
    assert_eq!((dep.name.as_str(), dep.accepted), ("shop-green", false));
    assert!(
        dep.error
            .as_deref()
            .unwrap()
            .contains("server dry run of Deployment shop-green"),
        "{:?}",
        dep.error
    );
    assert!(
        plan.server
            .iter()
            .filter(|c| c.kind == "Service")
            .all(|c| c.accepted)
    );
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
    let docs: Vec<Value> = serde_saphyr::from_multiple(&run.stdout()).expect("valid YAML");
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
fn a_missing_namespace_is_created_only_when_asked() {
    let env = Env::new();
    env.msv(&["deploy", "--image", "r/shop:1", "-n", "fresh"])
        .run()
        .status(2)
        .stderr_has("namespace \"fresh\" does not exist")
        .stderr_has("--create-namespace");
    assert!(env.fake.get("namespaces", "", "fresh").is_none());
    env.msv(&[
        "deploy",
        "--image",
        "r/shop:1",
        "-n",
        "fresh",
        "--create-namespace",
    ])
    .run()
    .status(0)
    .stderr_has("live on blue");
    assert!(env.fake.get("namespaces", "", "fresh").is_some());
    let svc = env.fake.get("services", "fresh", "shop").unwrap();
    assert_eq!(svc["spec"]["selector"]["msv/color"], "blue");
    let lease = env.fake.get("leases", "fresh", "shop-msv-lock").unwrap();
    assert!(
        lease["spec"]["holderIdentity"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "released: {lease}"
    );
}
