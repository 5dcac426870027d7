//! A service name that cannot be deployed is refused before msv asks the cluster
//! anything, wherever the name comes from: msv.toml, `MSV_SERVICE_NAME`, or an argument.

use super::*;

/// A service directory whose msv.toml names the service `name`.
fn env_named(name: &str) -> Env {
    let env = Env::new();
    let toml = format!("[service]\nname = \"{name}\"\nport = 8080\n");
    std::fs::write(env.dir.path().join("msv.toml"), toml).unwrap();
    env
}

#[test]
fn deploy_refuses_a_bad_name_in_msv_toml_before_touching_the_cluster() {
    let env = env_named("2fast");
    for args in [
        &["deploy", "--image", "r/shop:1"][..],
        &["deploy", "--image", "r/shop:1", "--dry-run"],
        &["manifests", "--image", "r/shop:1"],
        &["history"],
        &["rollback"],
    ] {
        env.msv(args)
            .run()
            .status(2)
            .stderr_has("msv.toml")
            .stderr_has("line 2, column 8")
            .stderr_has("invalid service name \"2fast\": it starts with '2', not a letter")
            .stderr_has("try `svc-2fast`");
    }
    assert_eq!(env.fake.requests().len(), 0, "{:?}", env.fake.requests());
}

#[test]
fn deploy_refuses_a_name_too_long_for_its_preview_service() {
    let env = Env::new();
    let long = "a".repeat(56);
    env.msv(&["deploy", "--image", "r/shop:1"])
        .env("MSV_SERVICE_NAME", &long)
        .run()
        .status(2)
        .stderr_has("MSV_SERVICE_NAME")
        .stderr_has("56 characters long")
        .stderr_has("NAME-preview");
    assert_eq!(env.fake.requests().len(), 0, "{:?}", env.fake.requests());
    assert!(
        env.fake
            .get("services", NS, &format!("{long}-preview"))
            .is_none()
    );
}

#[test]
fn commands_that_take_a_service_refuse_a_bad_name() {
    let env = Env::new();
    for args in [
        &["history", "2fast"][..],
        &["rollback", "2fast"],
        &["status", "shop", "2fast"],
        &["logs", "2fast"],
        &["traces", "2fast"],
    ] {
        env.msv(args)
            .run()
            .status(2)
            .stderr_has("invalid service name \"2fast\"")
            .stderr_has("try `svc-2fast`");
    }
    assert_eq!(env.fake.requests().len(), 0, "{:?}", env.fake.requests());
}
