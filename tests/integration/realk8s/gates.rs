//! The metric gate on the real control plane: the pods' backend in the test's network
//! namespace counts what it serves, per image, and serves it as `/metrics` the way the
//! templates' client libraries do; msv reads it through the real API server's pod proxy.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::deploy::{Env, Monitor, TOML};
use crate::fake_api::ProxyResponse;
use crate::traffic::Traffic;

/// Requests by status, and how many were served, for one image's pods.
#[derive(Default)]
struct Served {
    by_status: BTreeMap<u16, u64>,
}

fn exposition(s: &Served) -> String {
    let mut out = String::from("# TYPE http_requests_total counter\n");
    for (status, n) in &s.by_status {
        out.push_str(&format!(
            "http_requests_total{{method=\"GET\",route=\"/api/items\",status=\"{status}\"}} {n}\n"
        ));
    }
    out
}

/// `image`'s pods answer `/api/items`, one request in `error_every` with 500 (0: none).
fn serve(env: &Env, tag: &str, error_every: u64) {
    let served: Arc<Mutex<Served>> = Arc::default();
    env.net.set_backend(&env.image(tag), move |path| {
        let mut s = served.lock().unwrap();
        match path {
            "/metrics" => ProxyResponse::ok(exposition(&s)),
            p if p.starts_with("/api/items") => {
                let n = s.by_status.values().sum::<u64>() + 1;
                let status = if error_every > 0 && n.is_multiple_of(error_every) {
                    500
                } else {
                    200
                };
                *s.by_status.entry(status).or_default() += 1;
                ProxyResponse::new(status, "items")
            }
            _ => ProxyResponse::ok("ok"),
        }
    });
}

#[test]
fn real_a_candidate_failing_one_request_in_five_is_switched_back_by_its_metrics() {
    let toml = format!(
        "{}\n[deploy.analysis]\ninterval = \"1s\"\nmin_requests = 10\nmax_error_ratio = 0.05\n",
        TOML.replace("verify_for = \"1s\"", "verify_for = \"60s\"")
    );
    let Some(env) = Env::with_toml(
        "real_a_candidate_failing_one_request_in_five_is_switched_back_by_its_metrics",
        "gates",
        &toml,
    ) else {
        return;
    };
    serve(&env, "1", 0);
    serve(&env, "bad", 5);
    env.deploy("1").status(0);
    let users = Traffic::start(
        env.c.kubeconfig.clone(),
        format!(
            "/api/v1/namespaces/{}/services/shop:8080/proxy/api/items",
            env.ns
        ),
        Duration::from_millis(20),
    );
    let monitor = Monitor::start(&env);
    let started = Instant::now();
    env.deploy("bad")
        .status(1)
        .stderr_has("the candidate failed the analysis in the verify window")
        .stderr_has("error ratio")
        .stderr_has("FAILED")
        .stderr_has("switched back");
    let report = users.stop();
    assert!(
        started.elapsed() < Duration::from_secs(55),
        "the failed gate ended the 60s window early"
    );
    monitor.assert_clean();
    assert_eq!(env.live().as_deref(), Some("blue"));
    assert_eq!(env.history().last().unwrap().outcome, "rolled-back");
    // What users saw of the candidate: its 500s while it was live, and nothing else failed.
    assert!(
        report.failures.iter().all(|f| f.starts_with("500")),
        "{:?}",
        report.failures
    );
}
