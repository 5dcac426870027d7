//! msv killed (SIGKILL: no cleanup at all) in each phase of a deploy, then run again.
//! Whatever the phase, Service `shop` never selects a color with a pod that is not ready,
//! the background traffic through `shop` sees no failure, the rerun takes over the dead
//! process's lock once its lease has expired and completes, and the history ends up with
//! exactly one entry per deploy that went live.
//!
//! The kill is triggered by what msv or the cluster shows — a line of msv's plain log on
//! stderr, the selector switch in the fake's state, a health probe arriving — never by a
//! sleep; each phase is held open (a slow request, a slow rollout, a held probe, a long
//! verify window or scale-down delay) so the process is still in it when the kill lands.

use super::*;
use std::io::BufRead;
use std::sync::mpsc;

/// Where to kill the first run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Apply,
    Rollout,
    Health,
    Switch,
    Verify,
    ScaleDown,
}

/// `msv deploy --image image` with `envs`, SIGKILLed as soon as `due` says so; `due` sees
/// each stderr line (or `None` every 10 ms to look at the cluster). Returns the stderr
/// read up to the kill.
pub(super) fn deploy_and_kill(
    env: &Env,
    image: &str,
    envs: &[(&str, &str)],
    mut due: impl FnMut(Option<&str>, &FakeCluster) -> bool,
) -> String {
    let mut test = env.msv(&["deploy", "--image", image]);
    for (k, v) in envs {
        test = test.env(k, v);
    }
    let mut child = test.command().spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut log = String::new();
    loop {
        let fire = match rx.recv_timeout(Duration::from_millis(10)) {
            Ok(line) => {
                log.push_str(&line);
                log.push('\n');
                due(Some(&line), &env.fake)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => due(None, &env.fake),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("msv ended before the kill:\n{log}")
            }
        };
        if fire {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the kill never became due:\n{log}"
        );
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "{log}"
    );
    log
}

/// The Lease of a process that died has expired (by its renewTime and duration).
pub(super) fn lease_expired(fake: &FakeCluster) -> bool {
    lease_expired_for(fake, "shop")
}

/// Whether `service`'s lock is free: no Lease, no holder, or past its duration.
pub(super) fn lease_expired_for(fake: &FakeCluster, service: &str) -> bool {
    let Some(l) = fake.get("leases", NS, &format!("{service}-msv-lock")) else {
        return true;
    };
    let spec = &l["spec"];
    if spec["holderIdentity"].as_str().unwrap_or("").is_empty() {
        return true;
    }
    let renewed: k8s_openapi::jiff::Timestamp = spec["renewTime"]
        .as_str()
        .or(spec["acquireTime"].as_str())
        .expect("a held lease has a renew time")
        .parse()
        .unwrap();
    let secs = spec["leaseDurationSeconds"].as_i64().unwrap_or(0);
    renewed + k8s_openapi::jiff::SignedDuration::from_secs(secs)
        < k8s_openapi::jiff::Timestamp::now()
}

/// Phase line of msv's plain log: `[   0.3s] verify: ...`.
pub(super) fn in_phase(line: Option<&str>, phase: &str) -> bool {
    line.is_some_and(|l| l.contains(&format!("] {phase}: ")))
}

fn kill_in(phase: Phase) {
    let env = Env::new();
    env.deploy("r/shop:1").status(0);
    let monitor = Monitor::start(&env);
    let traffic = traffic(&env);

    // Hold the phase open so the kill lands inside it; the rerun must not be held.
    let probe_arrived = Arc::new(AtomicBool::new(false));
    let release = Arc::new(AtomicBool::new(false));
    let mut envs = vec![("MSV_DEPLOY_LOCK_LEASE", "1s")];
    match phase {
        Phase::Apply => env.fake.add_fault(
            Fault::on("patch", "deployments")
                .named("shop-green")
                .delay(Duration::from_secs(1))
                .times(1),
        ),
        Phase::Rollout => env.fake.set_image_behavior(
            "r/shop:2",
            Behavior::ReadyAfter(Duration::from_millis(1500)),
        ),
        Phase::Health => {
            let (arrived, release) = (probe_arrived.clone(), release.clone());
            env.fake.set_backend_for_image("r/shop:2", move |_| {
                arrived.store(true, Ordering::SeqCst);
                let until = std::time::Instant::now() + Duration::from_secs(10);
                while !release.load(Ordering::SeqCst) && std::time::Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(5));
                }
                ProxyResponse::ok("ok")
            });
        }
        // The endpoints follow the selector a second late: msv is between its patch and
        // the endpoints when the selector shows green.
        Phase::Switch => env.fake.set_endpoints_lag(Duration::from_secs(1)),
        Phase::Verify => envs.push(("MSV_DEPLOY_VERIFY_FOR", "30s")),
        Phase::ScaleDown => envs.push(("MSV_DEPLOY_SCALE_DOWN_DELAY", "30s")),
    }
    let log = deploy_and_kill(&env, "r/shop:2", &envs, |line, fake| match phase {
        Phase::Apply => in_phase(line, "apply"),
        Phase::Rollout => {
            in_phase(line, "rollout")
                || line.is_none()
                    && fake
                        .list("pods", Some(NS))
                        .iter()
                        .any(|p| p["metadata"]["labels"]["msv/color"] == "green")
        }
        Phase::Health => probe_arrived.load(Ordering::SeqCst),
        Phase::Switch => {
            fake.get("services", NS, "shop").unwrap()["spec"]["selector"]["msv/color"] == "green"
        }
        Phase::Verify => in_phase(line, "verify"),
        Phase::ScaleDown => in_phase(line, "scale-down"),
    });
    release.store(true, Ordering::SeqCst);
    env.fake.set_endpoints_lag(Duration::from_millis(100));
    let switched = env.live().as_deref() == Some("green");
    assert_eq!(
        switched,
        matches!(phase, Phase::Switch | Phase::Verify | Phase::ScaleDown),
        "killed in {phase:?}:\n{log}"
    );

    env.fake.wait_for(
        "the dead deploy's lease to expire",
        Duration::from_secs(20),
        |f| lease_expired(f).then_some(()),
    );
    let rerun = env
        .deploy("r/shop:2")
        .status(0)
        .stderr_has("took over the expired lock of");
    if switched {
        rerun.stderr_has("resume: shop already selects green with r/shop:2");
    } else {
        rerun.stderr_has("switch: Service shop -> green");
    }
    traffic.assert_no_failures();
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("green"));
    assert_eq!(env.image("green").as_deref(), Some("r/shop:2"));
    assert_eq!(env.replicas("blue"), Some(0), "old color scaled down");
    let h: Vec<(u64, String, String, String)> = history(&env)
        .into_iter()
        .map(|e| (e.revision, e.image, e.color, e.outcome))
        .collect();
    let want = |rev: u64, image: &str, color: &str| {
        (
            rev,
            image.to_string(),
            color.to_string(),
            "succeeded".to_string(),
        )
    };
    assert_eq!(
        h,
        [want(1, "r/shop:1", "blue"), want(2, "r/shop:2", "green")],
        "killed in {phase:?}"
    );
    let l = env.fake.get("leases", NS, "shop-msv-lock").unwrap();
    assert!(
        l["spec"]["holderIdentity"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "released: {l}"
    );
    // Settled: one more run with the same image has nothing to do.
    env.deploy("r/shop:2").status(0).stderr_has("nothing to do");
}

#[test]
fn killed_while_applying_the_candidate() {
    kill_in(Phase::Apply);
}

#[test]
fn killed_while_waiting_for_the_candidate() {
    kill_in(Phase::Rollout);
}

#[test]
fn killed_during_the_health_check() {
    kill_in(Phase::Health);
}

#[test]
fn killed_right_after_the_switch() {
    kill_in(Phase::Switch);
}

#[test]
fn killed_during_the_verify_window() {
    kill_in(Phase::Verify);
}

#[test]
fn killed_during_the_scale_down_delay() {
    kill_in(Phase::ScaleDown);
}
