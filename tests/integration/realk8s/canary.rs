//! The canary soak on the real control plane: the real endpoints controller follows `S`'s
//! two-color selector and the real service proxy spreads users' requests over both colors'
//! pods, which count what they answer per image while `S` serves both (a client of the
//! test's own watches `S`). A bad candidate is withdrawn at its step; a good one promotes
//! with no failed request.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use kube::api::Api;

use super::deploy::{Env, Monitor, TOML};
use crate::fake_api::ProxyResponse;
use crate::traffic::Traffic;

/// Whether Service shop serves both colors, kept current by a client of the test's own
/// until the returned flag is dropped (the thread then ends by itself).
fn watch_soak(env: &Env) -> (Arc<AtomicBool>, Arc<AtomicBool>) {
    let both = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (flag, done) = (both.clone(), stop.clone());
    let (c, ns) = (env.c, env.ns.clone());
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let services: Api<Service> = Api::namespaced(c.client().await, &ns);
                while !done.load(Ordering::SeqCst) {
                    if let Ok(Some(s)) = services.get_opt("shop").await {
                        let sel = s.spec.and_then(|s| s.selector).unwrap_or_default();
                        flag.store(
                            !sel.is_empty() && !sel.contains_key("msv/color"),
                            Ordering::SeqCst,
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            })
    });
    (both, stop)
}

/// `tag`'s pods answer `/api/items` (one in `error_every` with 500; 0: none), serve their
/// counts on `/metrics`, and count the requests they answered while `S` served both colors.
fn serve(env: &Env, tag: &str, error_every: u64, soaking: Arc<AtomicBool>) -> Arc<AtomicU64> {
    let served: Arc<Mutex<BTreeMap<u16, u64>>> = Arc::default();
    let during = Arc::new(AtomicU64::new(0));
    let counted = during.clone();
    env.net.set_backend(&env.image(tag), move |path| {
        let mut s = served.lock().unwrap();
        match path {
            "/metrics" => {
                let mut out = String::from("# TYPE http_requests_total counter\n");
                for (status, n) in s.iter() {
                    out.push_str(&format!(
                        "http_requests_total{{method=\"GET\",route=\"/api/items\",status=\"{status}\"}} {n}\n"
                    ));
                }
                ProxyResponse::ok(out)
            }
            p if p.starts_with("/api/items") => {
                if soaking.load(Ordering::SeqCst) {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
                let n = s.values().sum::<u64>() + 1;
                let status = match error_every {
                    e if e > 0 && n.is_multiple_of(e) => 500,
                    _ => 200,
                };
                *s.entry(status).or_default() += 1;
                ProxyResponse::new(status, "items")
            }
            _ => ProxyResponse::ok("ok"),
        }
    });
    during
}

#[test]
fn real_a_soak_spreads_traffic_by_pods_withdraws_a_bad_candidate_and_promotes_a_good_one() {
    let toml = format!(
        "{}lock_lease = \"2s\"\n\n[deploy.canary]\nsteps = [\"50%\"]\npause = \"8s\"\n\n[deploy.analysis]\ninterval = \"1s\"\nmin_requests = 10\nmax_error_ratio = 0.05\n",
        TOML
    );
    let Some(env) = Env::with_toml(
        "real_a_soak_spreads_traffic_by_pods_withdraws_a_bad_candidate_and_promotes_a_good_one",
        "canary",
        &toml,
    ) else {
        return;
    };
    let (soaking, stop) = watch_soak(&env);
    let blue = serve(&env, "1", 0, soaking.clone());
    let bad = serve(&env, "bad", 5, soaking.clone());
    let good = serve(&env, "2", 0, soaking.clone());
    env.deploy("1").status(0);
    let users = || {
        Traffic::start(
            env.c.kubeconfig.clone(),
            format!(
                "/api/v1/namespaces/{}/services/shop:8080/proxy/api/items",
                env.ns
            ),
            Duration::from_millis(20),
        )
    };

    // A candidate failing one request in five: withdrawn at its step, never switched to.
    let monitor = Monitor::start(&env);
    let traffic = users();
    env.deploy("bad")
        .status(1)
        .stderr_has("canary step 1 (50%): the candidate failed the analysis")
        .stderr_has("error ratio")
        .stderr_has("shop serves blue alone again");
    let report = traffic.stop();
    monitor.assert_clean();
    assert!(
        bad.load(Ordering::SeqCst) > 0,
        "the bad candidate served users during the soak"
    );
    assert!(
        report.failures.iter().all(|f| f.starts_with("500")),
        "{:?}",
        report.failures
    );
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.replicas("green"), Some(0));
    assert_eq!(env.history().last().unwrap().outcome, "failed");

    // A good one: both colors serve users in about the ratio of their pods (1 and 1), no
    // request fails, and it goes live.
    let blue_before = blue.load(Ordering::SeqCst);
    let monitor = Monitor::start(&env);
    let traffic = users();
    env.deploy("2")
        .status(0)
        .stderr_has("canary: step 1/1: 50%");
    traffic.assert_no_failures();
    monitor.assert_clean();
    stop.store(true, Ordering::SeqCst);
    let (b, g) = (
        blue.load(Ordering::SeqCst) - blue_before,
        good.load(Ordering::SeqCst),
    );
    assert!(b > 20 && g > 20, "during the soak: blue {b}, green {g}");
    let share = g as f64 / (b + g) as f64;
    assert!(
        (0.3..=0.7).contains(&share),
        "green's share {share:.2} of 1 pod in 2"
    );
    assert_eq!(env.live().as_deref(), Some("green"));
    assert_eq!(env.replicas("blue"), Some(0));
}
