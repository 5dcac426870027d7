//! `msv logs` against the fake API server: merging several pods, `--which`, `--tail`,
//! `--since`, `-o raw|json`, an unknown service, and `-f` picking up a pod that starts
//! after the stream began.

use std::io::BufRead as _;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::fake_api::FakeCluster;
use crate::status::{msv, pods_of, seed_deployment, seed_live, wait_ready};

const JSON_LINE: &str = r#"{"time":"2026-11-28T12:00:01.250Z","level":"error","message":"payment declined","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","status":402}"#;

fn two_pods(cluster: &FakeCluster) -> Vec<String> {
    seed_live(cluster, "orders", "shop/orders:1", 2, 200);
    wait_ready(cluster, "orders", "blue", 2, None);
    let pods = pods_of(cluster, "orders", "blue");
    assert_eq!(pods.len(), 2);
    pods
}

#[test]
fn lines_of_every_pod_are_merged_in_time_order_with_a_prefix() {
    let cluster = FakeCluster::start();
    let pods = two_pods(&cluster);
    cluster.append_log("default", &pods[0], "first from a");
    std::thread::sleep(Duration::from_millis(20));
    cluster.append_log("default", &pods[1], "second from b");
    std::thread::sleep(Duration::from_millis(20));
    cluster.append_log("default", &pods[0], JSON_LINE);
    cluster.append_log("default", &pods[1], "hostile \x1b]0;title\x07 line");

    let run = msv(&cluster).args(&["logs", "orders"]).run().status(0);
    let out = run.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].starts_with(&format!("{} | first from a", pods[0])),
        "{out}"
    );
    assert!(
        lines[1].starts_with(&format!("{} | second from b", pods[1])),
        "{out}"
    );
    // The template's JSON line is shown readably.
    assert!(
        lines[2].ends_with("12:00:01.250 ERROR payment declined status=402 trace_id=4bf92f3577b34da6a3ce929d0e0e4736"),
        "{out}"
    );
    assert!(lines[3].contains("hostile \\e]0;title\\u{7} line"), "{out}");
    assert!(!out.contains('\x1b'), "{out:?}");

    // Raw: exactly what the containers wrote, no prefix.
    let raw = msv(&cluster)
        .args(&["logs", "orders", "-o", "raw"])
        .run()
        .status(0);
    assert!(
        raw.stdout().lines().any(|l| l == JSON_LINE),
        "{}",
        raw.stdout()
    );
    assert!(raw.stdout().starts_with("first from a\n"));

    // JSON: one object per line, decoded by the test's own struct.
    #[derive(Deserialize)]
    struct Line {
        pod: String,
        container: String,
        color: Option<String>,
        time: String,
        line: String,
        fields: Option<serde_json::Value>,
    }
    let json = msv(&cluster)
        .args(&["logs", "orders", "-o", "json"])
        .run()
        .status(0);
    let parsed: Vec<Line> = json
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert_eq!(parsed.len(), 4);
    assert_eq!(parsed[2].line, JSON_LINE);
    assert_eq!(
        parsed[2].fields.as_ref().unwrap()["trace_id"],
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert!(parsed.iter().all(|l| l.container == "orders"
        && l.color.as_deref() == Some("blue")
        && !l.time.is_empty()));
    assert_eq!(parsed[1].pod, pods[1]);
}

#[test]
fn which_tail_and_since_select_lines() {
    let cluster = FakeCluster::start();
    let blue = two_pods(&cluster);
    seed_deployment(&cluster, "orders", "green", "shop/orders:2", 1);
    wait_ready(&cluster, "orders", "green", 1, None);
    let green = pods_of(&cluster, "orders", "green");
    for (i, pod) in blue.iter().chain(&green).enumerate() {
        cluster.append_log("default", pod, &format!("old {i}"));
    }
    // The API server counts `sinceSeconds` in whole seconds: leave a clear gap.
    std::thread::sleep(Duration::from_millis(4100));
    for (i, pod) in blue.iter().chain(&green).enumerate() {
        cluster.append_log("default", pod, &format!("new {i}"));
    }
    let since = msv(&cluster)
        .args(&["logs", "orders", "--since", "3s", "-o", "raw"])
        .run()
        .status(0);
    assert!(
        since.stdout().lines().all(|l| l.starts_with("new ")),
        "{}",
        since.stdout()
    );
    assert_eq!(since.stdout().lines().count(), 3, "{}", since.stdout());

    let green_only = msv(&cluster)
        .args(&["logs", "orders", "--which", "green"])
        .run()
        .status(0);
    assert_eq!(
        green_only.stdout().lines().count(),
        2,
        "{}",
        green_only.stdout()
    );
    assert!(
        green_only
            .stdout()
            .lines()
            .all(|l| l.starts_with(&green[0]))
    );

    let live = msv(&cluster)
        .args(&["logs", "orders", "--which", "live"])
        .run()
        .status(0);
    assert_eq!(live.stdout().lines().count(), 4, "{}", live.stdout());
    assert!(!live.stdout().contains(&green[0]));

    let all = msv(&cluster).args(&["logs", "orders"]).run().status(0);
    assert_eq!(all.stdout().lines().count(), 6);

    let tail = msv(&cluster)
        .args(&["logs", "orders", "--tail", "1", "-o", "raw"])
        .run()
        .status(0);
    let mut lines: Vec<String> = tail.stdout().lines().map(String::from).collect();
    lines.sort();
    assert_eq!(lines, ["new 0", "new 1", "new 2"]);

    msv(&cluster)
        .args(&["logs", "ordrs"])
        .run()
        .status(2)
        .stderr_has("no msv-managed service `ordrs`")
        .stderr_has("services there: orders");
}

#[test]
fn follow_picks_up_a_pod_that_starts_later() {
    let cluster = FakeCluster::start();
    seed_live(&cluster, "orders", "shop/orders:1", 1, 200);
    wait_ready(&cluster, "orders", "blue", 1, None);
    let blue = pods_of(&cluster, "orders", "blue");
    cluster.append_log("default", &blue[0], "blue says hello");

    let mut child = msv(&cluster)
        .args(&["logs", "orders", "-f", "-o", "raw"])
        .command()
        .spawn()
        .expect("spawn msv logs -f");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    let wait_for = |want: &str, seen: &mut Vec<String>| {
        while !seen.iter().any(|l| l == want) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => seen.push(line),
                Err(_) => return false,
            }
        }
        true
    };
    let first = wait_for("blue says hello", &mut seen);
    let mut later = false;
    let mut appended = false;
    if first {
        cluster.append_log("default", &blue[0], "blue again");
        // A deploy starts: the green pod appears after the stream began.
        seed_deployment(&cluster, "orders", "green", "shop/orders:2", 1);
        let green = cluster.wait_for("green pod running", Duration::from_secs(10), |k| {
            let p = pods_of(k, "orders", "green").into_iter().next()?;
            let running = k.get("pods", "default", &p)?["status"]["containerStatuses"][0]["state"]
                ["running"]
                .is_object();
            running.then_some(p)
        });
        cluster.append_log("default", &green, "green joins");
        appended = true;
        later = wait_for("green joins", &mut seen) && wait_for("blue again", &mut seen);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(first, "the first line never came: {seen:?}");
    assert!(
        appended && later,
        "the later pod's line never came: {seen:?}"
    );
}
