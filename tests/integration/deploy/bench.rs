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
