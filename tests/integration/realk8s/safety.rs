//! A cluster shared with people and other tools, on the real control plane: real kubectl
//! changes Service `shop` mid-deploy, makes objects under msv's names, runs a service as a
//! plain Deployment for msv to adopt, and sets a quota that fits one color but not two.

use super::deploy::{Env, Monitor, TOML, traffic, wait_for};
use std::time::Duration;

fn spawn_deploy(env: &Env, tag: &str, envs: &[(&str, &str)]) -> std::process::Child {
    let mut t = env.msv(&["deploy", "--image", &env.image(tag)]);
    for (k, v) in envs {
        t = t.env(k, v);
    }
    t.command().spawn().unwrap()
}

#[test]
fn real_a_selector_moved_by_kubectl_mid_verify_stops_without_scaling_down() {
    let Some(env) = Env::new(
        "real_a_selector_moved_by_kubectl_mid_verify_stops_without_scaling_down",
        "handpatch",
    ) else {
        return;
    };
    env.deploy("1").status(0);
    let monitor = Monitor::start(&env);
    let traffic = traffic(&env);
    let child = spawn_deploy(&env, "2", &[("MSV_DEPLOY_VERIFY_FOR", "30s")]);
    wait_for("the switch to green", 90, || {
        (env.live().as_deref() == Some("green")).then_some(())
    });
    std::thread::sleep(Duration::from_secs(1));
    env.c.kubectl(&[
        "-n",
        &env.ns,
        "patch",
        "service",
        "shop",
        "-p",
        r#"{"spec":{"selector":{"msv/color":"blue"}}}"#,
    ]);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("was changed by kubectl-patch"), "{err}");
    assert!(err.contains("nothing was scaled down"), "{err}");
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("blue"), Some(1), "{err}");
    assert_eq!(env.history().last().unwrap().outcome, "stopped");
    traffic.assert_no_failures();
    monitor.assert_clean();
}

#[test]
fn real_objects_kubectl_made_under_msvs_names_are_never_touched() {
    let Some(env) = Env::new(
        "real_objects_kubectl_made_under_msvs_names_are_never_touched",
        "foreign",
    ) else {
        return;
    };
    // Another team's Service under the name msv would use.
    env.c.kubectl(&[
        "-n",
        &env.ns,
        "create",
        "service",
        "clusterip",
        "shop",
        "--tcp=8080:8080",
    ]);
    let before = env.get(&["service", "shop"]).unwrap();
    env.deploy("1")
        .status(2)
        .stderr_has("Service shop (managed by kubectl-create)")
        .stderr_has("nothing was changed");
    let after = env.get(&["service", "shop"]).unwrap();
    assert_eq!(after["spec"]["selector"], before["spec"]["selector"]);
    assert_eq!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    for what in [
        ["deployment", "shop-blue"],
        ["service", "shop-preview"],
        ["lease", "shop-msv-lock"],
    ] {
        assert!(env.get(&what).is_none(), "{what:?} was made");
    }
    // A Deployment with msv's labels copied onto it is not msv's either.
    env.c.kubectl(&["-n", &env.ns, "delete", "service", "shop"]);
    env.c.kubectl(&[
        "-n",
        &env.ns,
        "create",
        "deployment",
        "shop-blue",
        &format!("--image={}", env.image("theirs")),
    ]);
    env.c.kubectl(&[
        "-n",
        &env.ns,
        "label",
        "deployment",
        "shop-blue",
        "app.kubernetes.io/managed-by=msv",
    ]);
    env.deploy("1")
        .status(2)
        .stderr_has("Deployment shop-blue (managed by kubectl-create");
    assert_eq!(env.deployed_image("blue"), Some(env.image("theirs")));
}

#[test]
fn real_adopt_takes_over_a_kubectl_deployment_without_dropping_a_request() {
    let Some(env) = Env::new(
        "real_adopt_takes_over_a_kubectl_deployment_without_dropping_a_request",
        "adopt",
    ) else {
        return;
    };
    env.c.kubectl(&[
        "-n",
        &env.ns,
        "create",
        "deployment",
        "shop",
        &format!("--image={}", env.image("1")),
        "--port=8080",
    ]);
    env.c.kubectl(&[
        "-n",
        &env.ns,
        "expose",
        "deployment",
        "shop",
        "--port=8080",
        "--target-port=8080",
    ]);
    wait_for("the plain Deployment to serve", 90, || {
        let eps = env.get(&["endpoints", "shop"])?;
        eps["subsets"][0]["addresses"].as_array()?.first()?;
        Some(())
    });
    env.deploy("2").status(2).stderr_has("msv deploy --adopt");
    let monitor_traffic = traffic(&env);
    env.msv(&["deploy", "--image", &env.image("2"), "--adopt"])
        .run()
        .status(0)
        .stderr_has("shop revision 1 live on blue");
    monitor_traffic.assert_no_failures();
    let svc = env.get(&["service", "shop"]).unwrap();
    assert_eq!(svc["spec"]["selector"]["msv/color"], "blue");
    assert!(svc["spec"]["selector"].get("app").is_none(), "{svc}");
    let plain = env.get(&["deployment", "shop"]).unwrap();
    assert_eq!(plain["spec"]["replicas"], 0, "scaled to 0, never deleted");
    // An ordinary msv service from now on.
    let monitor = Monitor::start(&env);
    let traffic = traffic(&env);
    env.deploy("3").status(0).stderr_has("live on green");
    traffic.assert_no_failures();
    monitor.assert_clean();
}

#[test]
fn real_a_quota_that_fits_one_color_fails_fast_naming_it() {
    let Some(env) = Env::with_toml(
        "real_a_quota_that_fits_one_color_fails_fast_naming_it",
        "quota",
        &TOML.replace("timeout = \"60s\"", "timeout = \"120s\""),
    ) else {
        return;
    };
    env.deploy("1").status(0);
    env.c
        .kubectl(&["-n", &env.ns, "create", "quota", "pods", "--hard=pods=1"]);
    wait_for("the quota's status", 60, || {
        let q = env.get(&["resourcequota", "pods"])?;
        (q["status"]["used"]["pods"] == "1").then_some(())
    });
    let monitor = Monitor::start(&env);
    env.deploy("2")
        .status(1)
        .stderr_has("its pods cannot be created")
        .stderr_has("exceeded quota: pods")
        .stderr_has("live traffic untouched: shop still serves blue");
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("blue"), Some(1));
    assert_eq!(env.replicas("green"), Some(0));
}
