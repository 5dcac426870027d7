//! The deploy lock (a Lease): held, stale, raced.

use super::*;

#[test]
fn a_held_lock_fails_fast_naming_its_holder() {
    let env = Env::new();
    env.fake.create(lease("ann@ci pid 7", 0, 60));
    let t = std::time::Instant::now();
    // Its own exit code, not a failed rollout's 1: a pipeline can wait and retry.
    env.deploy("r/shop:1")
        .status(75)
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
        [0, 75],
        "a: {}\nb: {}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    let loser = if a.status.code() == Some(75) {
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
fn losing_the_race_for_the_lock_exits_as_locked() {
    // Another process creates the Lease between msv's read and its create: 409 on create,
    // as the real API server answers the slower of two concurrent deploys.
    let env = Env::new();
    env.fake
        .add_fault(Fault::on("create", "leases").status(409).times(1));
    env.deploy("r/shop:1")
        .status(75)
        .stderr_has("another msv process took the lock of shop at the same moment");
    assert!(env.fake.get("deployments", NS, "shop-blue").is_none());
}
