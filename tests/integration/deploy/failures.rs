//! Candidates that never get healthy, before or after the switch: live traffic stays on
//! the old color, or comes back to it.

use super::*;
use std::sync::atomic::AtomicUsize;

#[test]
fn candidate_failures_leave_live_traffic_untouched() {
    let env =
        Env::with_deploy("timeout = \"3s\"\nverify_for = \"200ms\"\nscale_down_delay = \"0s\"\n");
    env.deploy("r/shop:1").status(0);
    env.fake
        .set_image_behavior("r/shop:crash", Behavior::CrashLoop);
    env.fake
        .set_image_behavior("r/shop:nopull", Behavior::ImagePullFailure);
    env.fake
        .set_image_behavior("r/shop:never", Behavior::NeverReady);
    let monitor = Monitor::start(&env);
    let traffic = traffic(&env);
    let cases = [
        ("r/shop:crash", "CrashLoopBackOff"),
        ("r/shop:nopull", "ImagePull"),
        ("r/shop:never", "NotReady"),
    ];
    for (image, reason) in cases {
        let run = env
            .deploy(image)
            .status(1)
            .stderr_has(reason)
            .stderr_has("pod shop-green-")
            .stderr_has("live traffic untouched: shop still serves blue");
        assert!(!run.stderr().contains("switch:"), "no switch for {image}");
        assert_eq!(env.live().as_deref(), Some("blue"));
        assert_eq!(
            env.replicas("green"),
            Some(0),
            "failed candidate scaled back to zero"
        );
    }
    traffic.assert_no_failures();
    monitor.assert_clean();
    let outcomes: Vec<String> = history(&env).into_iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, ["succeeded", "failed", "failed", "failed"]);
}

#[test]
fn progress_deadline_exceeded_fails_fast() {
    let env = Env::with_deploy("timeout = \"30s\"\nverify_for = \"200ms\"\n");
    env.deploy("r/shop:1").status(0);
    env.fake
        .set_image_behavior("r/shop:slow", Behavior::NeverReady);
    env.fake.set_progress_deadline(Duration::from_millis(800));
    let t = std::time::Instant::now();
    env.deploy("r/shop:slow")
        .status(1)
        .stderr_has("ProgressDeadlineExceeded")
        .stderr_has("pod shop-green-");
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "did not wait for the 30s timeout"
    );
    assert_eq!(env.live().as_deref(), Some("blue"));
}

#[test]
fn a_crash_loop_report_shows_the_crashed_runs_last_lines_escaped() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.fake
        .set_image_behavior("r/shop:crash", Behavior::CrashLoop);
    env.fake.set_logs_for_image(
        "r/shop:crash",
        &[
            "starting shop",
            "panic: DATABASE_URL is not set \x1b[31mred",
        ],
    );
    env.deploy("r/shop:crash")
        .status(1)
        .stderr_has("CrashLoopBackOff")
        .stderr_has("last lines of container shop before it exited:\n    | starting shop\n    | panic: DATABASE_URL is not set \\e[31mred")
        .stderr_lacks("\x1b[31m")
        .stderr_has("shop still serves blue");
    let asked = env.fake.count_requests(|r| {
        r.path.ends_with("/log") && r.param("previous").as_deref() == Some("true")
    });
    assert_eq!(asked, 1, "the previous run's log is read once");
    assert_eq!(env.live().as_deref(), Some("blue"));
}

#[test]
fn keep_failed_leaves_the_candidate_for_inspection() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.fake
        .set_image_behavior("r/shop:crash", Behavior::CrashLoop);
    env.msv(&["deploy", "--image", "r/shop:crash", "--keep-failed"])
        .run()
        .status(1)
        .stderr_has("kept for inspection");
    assert_eq!(env.replicas("green"), Some(2));
}

#[test]
fn failing_health_check_before_the_switch_keeps_the_live_color() {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    env.fake
        .set_backend_for_image("r/shop:sick", |_| ProxyResponse::new(503, "sick"));
    env.deploy("r/shop:sick")
        .status(1)
        .stderr_has("health check of /healthz failed before the switch")
        .stderr_has("HTTP 503")
        .stderr_has("shop still serves blue");
    assert_eq!(env.live().as_deref(), Some("blue"));
}

#[test]
fn failing_verification_after_the_switch_switches_back() {
    let env =
        Env::with_deploy("timeout = \"8s\"\nverify_for = \"2s\"\nscale_down_delay = \"0s\"\n");
    env.deploy("r/shop:1").status(0);
    // Healthy for the pre-switch probes, failing once traffic arrives through Service shop.
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    env.fake.set_backend_for_image("r/shop:flaky", move |_| {
        if c.fetch_add(1, Ordering::SeqCst) < 4 {
            ProxyResponse::ok("ok")
        } else {
            ProxyResponse::new(500, "boom")
        }
    });
    let monitor = Monitor::start(&env);
    env.deploy("r/shop:flaky")
        .status(1)
        .stderr_has("health check failed after the switch")
        .stderr_has("switched back automatically: shop serves blue again");
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("blue"), Some(2));
    assert_eq!(history(&env).last().unwrap().outcome, "rolled-back");
}
