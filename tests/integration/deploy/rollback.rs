//! `msv rollback` and `msv history`.

use super::*;

#[test]
fn rollback_switches_at_once_when_the_old_color_is_up_and_rebuilds_it_otherwise() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.msv(&["deploy", "--image", "r/shop:2", "--keep-old"])
        .run()
        .status(0);
    assert_eq!(
        env.replicas("blue"),
        Some(2),
        "--keep-old leaves the old color up"
    );
    let monitor = Monitor::start(&env);
    let traffic = traffic(&env);
    env.msv(&["rollback"])
        .run()
        .status(0)
        .stderr_has("rolled back to r/shop:1 on blue");
    traffic.assert_no_failures();
    assert_eq!(env.live().as_deref(), Some("blue"));
    // Old color scaled down this time; rolling back to revision 2 rebuilds green.
    assert_eq!(env.replicas("green"), Some(0));
    env.msv(&["rollback", "--to-revision", "2"]).run().status(0);
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("green"));
    assert_eq!(env.image("green").as_deref(), Some("r/shop:2"));
    let outcomes: Vec<String> = history(&env).into_iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, ["succeeded", "succeeded", "rollback", "rollback"]);
    env.msv(&["history"])
        .run()
        .status(0)
        .stdout_has("REVISION")
        .stdout_has("rollback");
}

#[test]
fn rollback_to_the_live_revision_needs_force() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.deploy("r/shop:2").status(0);
    // Revision 2 is what runs: rolling back to it changes nothing without --force.
    env.fake.clear_requests();
    env.msv(&["rollback", "--to-revision", "2"])
        .run()
        .status(0)
        .stderr_has("shop already runs r/shop:2 on green; nothing to roll back");
    let writes: Vec<String> = env
        .fake
        .requests()
        .iter()
        .filter(|r| r.method != "GET" && !r.path.contains("/leases/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        writes.is_empty(),
        "a rollback to the live image wrote: {writes:?}"
    );
    assert_eq!(history(&env).len(), 2);

    // With --force it is rolled out again, on the other color, and recorded as a rollback.
    let monitor = Monitor::start(&env);
    let traffic = traffic(&env);
    env.msv(&["rollback", "--to-revision", "2", "--force"])
        .run()
        .status(0)
        .stderr_has("rolled back to r/shop:2 on blue");
    traffic.assert_no_failures();
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.image("blue").as_deref(), Some("r/shop:2"));
    assert_eq!(env.replicas("green"), Some(0));
    let last = history(&env).pop().unwrap();
    assert_eq!(
        (
            last.revision,
            last.image.as_str(),
            last.color.as_str(),
            last.outcome.as_str()
        ),
        (3, "r/shop:2", "blue", "rollback")
    );
}
