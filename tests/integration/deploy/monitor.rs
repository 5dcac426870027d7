//! The monitor itself: it must see what it is there to catch, or every test that ends in
//! `assert_clean` proves nothing.

use super::*;

/// A person scales the live color to zero: the monitor reports the scale-down, and the
/// Endpoints that then go empty while the Service still selects that color.
#[test]
fn the_monitor_catches_the_live_color_scaled_down_and_empty_endpoints() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    assert_eq!(env.live().as_deref(), Some("blue"));
    let monitor = Monitor::start(&env);
    assert!(
        monitor.violations().is_empty(),
        "{:?}",
        monitor.violations()
    );
    env.fake.patch_as(
        "kubectl-scale",
        "deployments",
        NS,
        "shop-blue",
        json!({"spec": {"replicas": 0}}),
    );
    env.fake
        .wait_for("shop's Endpoints to empty", Duration::from_secs(10), |f| {
            let ep = f.get("endpoints", NS, "shop")?;
            ep["subsets"][0]["addresses"].is_null().then_some(())
        });
    let bad = monitor.violations();
    assert!(
        bad.iter()
            .any(|v| v.contains("shop-blue scaled from 2 to 0 (2 pods ready)")),
        "{bad:#?}"
    );
    assert!(
        bad.iter()
            .any(|v| v.contains("Endpoints written with no ready address")),
        "{bad:#?}"
    );
    assert!(
        bad.iter().any(|v| v.contains("with 0 of 0 pods ready")),
        "{bad:#?}"
    );
}

/// Someone points the Service at the idle color by hand: the selection of a color with no
/// pods is caught, and the manager the change is recorded under is the one given.
#[test]
fn the_monitor_catches_a_selector_pointed_at_an_idle_color() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.deploy("r/shop:2").status(0);
    assert_eq!(env.live().as_deref(), Some("green"));
    assert_eq!(env.replicas("blue"), Some(0));
    let monitor = Monitor::start(&env);
    let svc = env.fake.patch_as(
        "kubectl-patch",
        "services",
        NS,
        "shop",
        json!({"spec": {"selector": {"msv/color": "blue"}}}),
    );
    let owner = svc["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["fieldsV1"]["f:spec"]["f:selector"]["f:msv/color"].is_object())
        .map(|m| m["manager"].clone());
    assert_eq!(owner, Some(json!("kubectl-patch")), "{svc:#}");
    env.fake
        .wait_for("shop's Endpoints to empty", Duration::from_secs(10), |f| {
            let ep = f.get("endpoints", NS, "shop")?;
            ep["subsets"][0]["addresses"].is_null().then_some(())
        });
    let bad = monitor.violations();
    assert!(
        bad.iter()
            .any(|v| v.contains("selects") && v.contains("\"blue\"")),
        "{bad:#?}"
    );
    assert!(
        bad.iter()
            .any(|v| v.contains("Endpoints written with no ready address")),
        "{bad:#?}"
    );
}
