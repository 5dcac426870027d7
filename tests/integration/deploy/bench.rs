//! The deploy overhead benchmark: run by bench/deploy.sh in release mode, not by
//! `cargo test`.

use super::*;

/// Benchmark (run by bench/deploy.sh in release mode, not part of `cargo test`): msv's own
/// overhead around the rollout against the fake server with 5 ms latency per request.
#[test]
#[ignore = "benchmark; run bench/deploy.sh"]
fn bench_deploy_overhead() {
    let env =
        Env::with_deploy("timeout = \"20s\"\nverify_for = \"0s\"\nscale_down_delay = \"0s\"\n");
    env.fake.set_latency(Duration::from_millis(5));
    env.deploy("r/shop:1").status(0);
    let (mut to_switch, mut overhead, mut wall) = (vec![], vec![], vec![]);
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
        // From candidate available to Service switched: health check + selector patch +
        // endpoints following (the fake's endpoints lag is 100 ms of that).
        to_switch.push(ms("health") + ms("switch"));
        overhead.push(total - ms("rollout"));
        wall.push(total);
    }
    let median = |v: &mut Vec<u64>| {
        v.sort();
        v[v.len() / 2]
    };
    println!(
        "deploy overhead (median of 8, 5 ms API latency, 100 ms endpoints lag): available->switched {} ms; wall minus rollout {} ms; wall {} ms",
        median(&mut to_switch),
        median(&mut overhead),
        median(&mut wall)
    );
}
