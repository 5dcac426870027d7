//! `msv logs` against the fake API server: merging several pods, `--which`, `--tail`,
//! `--since`, `-o raw|json` (raw on a terminal and through a pipe), an unknown service,
//! and `-f` picking up a pod that starts after the stream began and surviving a container
//! restart.

use std::io::BufRead as _;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::fake_api::FakeCluster;
use crate::pty::Pty;
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
    // Piped, raw means byte for byte, control characters included.
    assert!(
        raw.stdout().contains("hostile \x1b]0;title\x07 line\n"),
        "{:?}",
        raw.stdout()
    );

    // On a terminal the JSON text is still untouched, but control sequences are shown,
    // not obeyed.
    let mut term = Pty::spawn(
        msv(&cluster)
            .args(&["logs", "orders", "-o", "raw"])
            .command(),
    );
    let status = term.wait(Duration::from_secs(30));
    term.wait_until("the last line", Duration::from_secs(10), |out| {
        out.contains("hostile")
    });
    let shown = term.output();
    assert_eq!(status.code(), Some(0), "{shown}");
    assert!(shown.contains(JSON_LINE), "{shown:?}");
    assert!(
        shown.contains("hostile \\e]0;title\\u{7} line"),
        "{shown:?}"
    );
    assert!(
        !shown.contains('\x1b') && !shown.contains('\x07'),
        "{shown:?}"
    );

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
fn previous_reads_the_run_before_the_restart_and_timestamps_lead_lines() {
    let cluster = FakeCluster::start();
    seed_live(&cluster, "orders", "shop/orders:1", 1, 200);
    wait_ready(&cluster, "orders", "blue", 1, None);
    let pod = pods_of(&cluster, "orders", "blue").remove(0);
    // Before any restart there is no previous run: the server's 400, exit 1.
    msv(&cluster)
        .args(&["logs", "orders", "--previous"])
        .run()
        .status(1)
        .stderr_has("previous terminated container");
    cluster.append_log("default", &pod, "before the crash");
    cluster.restart_container("default", &pod);
    cluster.append_log("default", &pod, "after the restart");
    cluster.wait_for(
        "the kubelet to report the restart",
        Duration::from_secs(10),
        |c| {
            let p = c.get("pods", "default", &pod)?;
            (p["status"]["containerStatuses"][0]["restartCount"] == 1).then_some(())
        },
    );

    let previous = msv(&cluster)
        .args(&["logs", "orders", "-p", "-o", "raw"])
        .run()
        .status(0);
    assert_eq!(previous.stdout(), "before the crash\n");
    let current = msv(&cluster)
        .args(&["logs", "orders", "-o", "raw"])
        .run()
        .status(0);
    assert_eq!(current.stdout(), "after the restart\n");

    // --timestamps: the kubelet's RFC 3339 time, then the line, as kubectl prints it.
    for format in ["raw", "text"] {
        let stamped = msv(&cluster)
            .args(&["logs", "orders", "--timestamps", "-o", format])
            .run()
            .status(0);
        let out = stamped.stdout();
        let line = out.lines().next().expect("one line");
        let line = line.rsplit(" | ").next().unwrap();
        let (time, text) = line.split_once(' ').expect("time and text");
        assert!(
            time.parse::<k8s_openapi::jiff::Timestamp>().is_ok(),
            "{time:?} in {out}"
        );
        assert_eq!(text, "after the restart", "{out}");
    }
    // A previous run's log does not grow: following it is refused at once.
    msv(&cluster)
        .args(&["logs", "orders", "-p", "-f"])
        .run()
        .status(2)
        .stderr_has("cannot be used with");
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

/// Reads an `msv logs -f` child's stdout line by line on a thread of its own.
fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("piped stdout");
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
    rx
}

/// Collects lines into `seen` until `want` arrives (true) or `deadline` passes (false).
fn collect_until(
    rx: &std::sync::mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    want: &str,
    deadline: Instant,
) -> bool {
    while !seen.iter().any(|l| l == want) {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => seen.push(line),
            Err(_) => return false,
        }
    }
    true
}

#[test]
fn follow_survives_a_container_restart_without_repeating_lines() {
    let cluster = FakeCluster::start();
    cluster.set_logs_for_image("shop/orders:1", &["orders starting"]);
    seed_live(&cluster, "orders", "shop/orders:1", 1, 200);
    wait_ready(&cluster, "orders", "blue", 1, None);
    let pod = pods_of(&cluster, "orders", "blue").remove(0);
    cluster.append_log("default", &pod, "before 1");
    cluster.append_log("default", &pod, "before 2");

    let mut child = msv(&cluster)
        .args(&["logs", "orders", "-f", "-o", "raw"])
        .command()
        .spawn()
        .expect("spawn msv logs -f");
    let rx = lines_of(&mut child);
    // Bounds against hanging on a busy machine, not measurements.
    let bound = || Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    let before = collect_until(&rx, &mut seen, "before 2", bound());
    let mut after = false;
    if before {
        // The kubelet restarts the container: the follow stream ends, and the new
        // container's log starts with the image's start-up line again.
        cluster.restart_container("default", &pod);
        cluster.wait_for(
            "the restart in the pod status",
            Duration::from_secs(10),
            |k| {
                let p = k.get("pods", "default", &pod)?;
                (p["status"]["containerStatuses"][0]["restartCount"] == 1).then_some(())
            },
        );
        cluster.append_log("default", &pod, "after 1");
        cluster.append_log("default", &pod, "after 2");
        // Lines of one pod arrive in order on one stream: once this one is in, anything
        // printed twice would be in too.
        cluster.append_log("default", &pod, "last");
        after = collect_until(&rx, &mut seen, "last", bound());
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(before, "the first lines never came: {seen:?}");
    let asked: Vec<String> = cluster
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/log"))
        .map(|r| r.query.clone())
        .collect();
    assert!(
        after,
        "no line of the restarted container came: {seen:?}; log requests: {asked:?}"
    );
    assert_eq!(
        seen,
        [
            "orders starting",
            "before 1",
            "before 2",
            "orders starting",
            "after 1",
            "after 2",
            "last"
        ]
    );
    // msv did reopen the stream, from where it had got to.
    let follows: Vec<_> = cluster
        .requests()
        .into_iter()
        .filter(|r| r.path == format!("/api/v1/namespaces/default/pods/{pod}/log"))
        .filter(|r| r.param("follow").as_deref() == Some("true"))
        .collect();
    assert!(follows.len() >= 2, "{follows:?}");
    assert!(follows[0].param("sinceTime").is_none());
    assert!(follows[1..].iter().all(|r| r.param("sinceTime").is_some()));
}

/// The fake does what the kubelet does at a restart: a follow stream of the old container
/// ends, the log is the new container's, `previous=true` is the old one's. Checked with
/// kube-rs as the client.
#[tokio::test]
async fn the_fake_ends_a_follow_stream_when_the_container_restarts() {
    use futures::{AsyncBufReadExt as _, StreamExt as _};
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, LogParams};

    let cluster = FakeCluster::start();
    cluster.set_logs_for_image("shop/orders:1", &["orders starting"]);
    seed_live(&cluster, "orders", "shop/orders:1", 1, 200);
    wait_ready(&cluster, "orders", "blue", 1, None);
    let pod = pods_of(&cluster, "orders", "blue").remove(0);
    cluster.append_log("default", &pod, "old line");
    let pods: Api<Pod> = Api::default_namespaced(
        crate::fake_api::kube_client(&cluster.kubeconfig_path(), true).await,
    );
    let follow = LogParams {
        follow: true,
        ..LogParams::default()
    };
    let mut lines = pods.log_stream(&pod, &follow).await.unwrap().lines();
    assert_eq!(lines.next().await.unwrap().unwrap(), "orders starting");
    assert_eq!(lines.next().await.unwrap().unwrap(), "old line");
    cluster.restart_container("default", &pod);
    let ended = tokio::time::timeout(Duration::from_secs(10), lines.next()).await;
    assert!(
        matches!(ended, Ok(None)),
        "the stream should end at the restart: {ended:?}"
    );
    cluster.append_log("default", &pod, "new line");
    cluster.wait_for(
        "the restart in the pod status",
        Duration::from_secs(10),
        |k| {
            let p = k.get("pods", "default", &pod)?;
            (p["status"]["containerStatuses"][0]["restartCount"] == 1).then_some(())
        },
    );
    assert_eq!(
        pods.logs(&pod, &LogParams::default()).await.unwrap(),
        "orders starting\nnew line\n"
    );
    let previous = LogParams {
        previous: true,
        ..LogParams::default()
    };
    assert_eq!(
        pods.logs(&pod, &previous).await.unwrap(),
        "orders starting\nold line\n"
    );
    let p = pods.get(&pod).await.unwrap();
    let cs = &p.status.unwrap().container_statuses.unwrap()[0];
    assert_eq!(cs.restart_count, 1);
    assert!(
        cs.last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .is_some()
    );
}

#[test]
fn sigint_exits_130_and_sigterm_143() {
    let cluster = FakeCluster::start();
    seed_live(&cluster, "orders", "shop/orders:1", 1, 200);
    wait_ready(&cluster, "orders", "blue", 1, None);
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let watches = |c: &FakeCluster| {
            c.count_requests(|r| {
                r.path.ends_with("/pods") && r.param("watch").as_deref() == Some("true")
            })
        };
        let before = watches(&cluster);
        let child = msv(&cluster)
            .args(&["logs", "orders", "-f"])
            .command()
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Once its watch on the pods is open, msv is streaming and waits for the signal.
        cluster.wait_for("msv's pod watch", Duration::from_secs(20), |c| {
            (watches(c) > before).then_some(())
        });
        // SAFETY: a plain kill(2) of the child this test spawned.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "signal {signal}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
