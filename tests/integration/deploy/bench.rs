//! The deploy overhead benchmark: run by bench/deploy.sh in release mode, not by
//! `cargo test`.

use super::*;

/// msv's own overhead around the rollout against the fake server with 5 ms latency per
/// request, once with the fake's default 100 ms endpoints lag and once with endpoints that
/// follow at the controllers' next 20 ms tick — the difference is the cluster's time, not
/// msv's. Prints the median of 8 deploys for each, with the median of every phase.
#[test]
#[ignore = "benchmark; run bench/deploy.sh"]
fn bench_deploy_overhead() {
    for lag_ms in [100, 0] {
        let env =
            Env::with_deploy("timeout = \"20s\"\nverify_for = \"0s\"\nscale_down_delay = \"0s\"\n");
        env.fake.set_latency(Duration::from_millis(5));
        env.fake.set_endpoints_lag(Duration::from_millis(lag_ms));
        env.deploy("r/shop:1").status(0);
        let (mut to_switch, mut overhead, mut wall) = (vec![], vec![], vec![]);
        let mut phases: Vec<(String, Vec<u64>)> = vec![];
        for i in 0..8 {
            let image = format!("r/shop:{}", 2 + i % 2);
            let t = std::time::Instant::now();
            let s: Summary = env
                .msv(&["deploy", "--image", &image, "-o", "json"])
                .run()
                .status(0)
                .stdout_json();
            let total = t.elapsed().as_millis() as u64;
            let ms = |name: &str| {
                s.phases
                    .iter()
                    .find(|p| p.phase == name)
                    .map(|p| p.ms)
                    .unwrap_or(0)
            };
            // From candidate available to Service switched: preview endpoints following,
            // health check, selector patch, `S`'s endpoints following.
            to_switch.push(ms("health") + ms("switch"));
            overhead.push(total - ms("rollout"));
            wall.push(total);
            for p in &s.phases {
                match phases.iter_mut().find(|(n, _)| *n == p.phase) {
                    Some((_, v)) => v.push(p.ms),
                    None => phases.push((p.phase.clone(), vec![p.ms])),
                }
            }
        }
        let median = |v: &mut Vec<u64>| {
            v.sort();
            v[v.len() / 2]
        };
        let each: Vec<String> = phases
            .iter_mut()
            .map(|(n, v)| format!("{n} {}", median(v)))
            .collect();
        println!(
            "deploy overhead (median of 8, 5 ms API latency, {lag_ms} ms endpoints lag): available->switched {} ms; wall minus rollout {} ms; wall {} ms; phases (ms): {}",
            median(&mut to_switch),
            median(&mut overhead),
            median(&mut wall),
            each.join(", ")
        );
    }
}

/// What `[deploy.analysis]` adds to a verify window, against the fake with 5 ms per
/// request: the verify phase of 6 deploys with the gates on and 6 without, alternating, the
/// window 3 s and the interval 500 ms; and how many times each pod's `/metrics` was read
/// per window. Pods serve a growing count, so every judgement has something to judge.
#[test]
#[ignore = "benchmark; run bench/deploy.sh"]
fn bench_analysis_overhead() {
    use std::sync::atomic::AtomicUsize;
    let window = "verify_for = \"3s\"\nscale_down_delay = \"0s\"\ntimeout = \"20s\"\n";
    let with = Env::with_deploy(&format!(
        "{window}\n[deploy.analysis]\ninterval = \"500ms\"\nmin_requests = 10\nmax_error_ratio = 0.05\nmax_p99 = \"1s\"\nmax_p99_ratio = 3.0\n"
    ));
    let without = Env::with_deploy(window);
    let scrapes = Arc::new(AtomicUsize::new(0));
    for env in [&with, &without] {
        env.fake.set_latency(Duration::from_millis(5));
        for i in 1..=3 {
            let scrapes = scrapes.clone();
            env.fake
                .set_backend_for_image(&format!("r/shop:{i}"), move |req| {
                    match req.path.as_str() {
                        "/metrics" => {
                            let n = 100 * (scrapes.fetch_add(1, Ordering::SeqCst) + 1);
                            ProxyResponse::ok(format!(
                                "http_requests_total{{route=\"/a\",status=\"200\"}} {n}\n\
                             http_request_duration_seconds_bucket{{route=\"/a\",le=\"0.01\"}} {n}\n\
                             http_request_duration_seconds_bucket{{route=\"/a\",le=\"+Inf\"}} {n}\n"
                            ))
                        }
                        _ => ProxyResponse::ok("ok"),
                    }
                });
        }
        env.deploy("r/shop:1").status(0);
    }
    let (mut on, mut off, mut per_window) = (vec![], vec![], vec![]);
    for i in 0..12 {
        let env = if i % 2 == 0 { &with } else { &without };
        let image = format!("r/shop:{}", 2 + (i / 2) % 2);
        let before = scrapes.load(Ordering::SeqCst);
        let s: Summary = env
            .msv(&["deploy", "--image", &image, "-o", "json"])
            .run()
            .status(0)
            .stdout_json();
        let verify = s
            .phases
            .iter()
            .find(|p| p.phase == "verify")
            .map_or(0, |p| p.ms);
        if i % 2 == 0 {
            on.push(verify);
            // Two pods; the baseline's two readings of each are not the window's.
            let candidate = scrapes.load(Ordering::SeqCst) - before - 2 * 2;
            per_window.push(candidate as f64 / 2.0);
        } else {
            off.push(verify);
        }
    }
    let median = |v: &mut Vec<u64>| {
        v.sort();
        v[v.len() / 2]
    };
    let (on_ms, off_ms) = (median(&mut on), median(&mut off));
    println!(
        "analysis overhead (median of 6 each, 5 ms API latency, 2 pods, 3 s window, 500 ms interval): verify {on_ms} ms with gates, {off_ms} ms without, +{} ms; each candidate pod's /metrics read {:.1} times per window (at its open, every interval, at its end)",
        on_ms as i64 - off_ms as i64,
        per_window.iter().sum::<f64>() / per_window.len() as f64
    );
}
