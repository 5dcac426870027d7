//! `msv status --watch` on a real terminal: it draws, redraws when a pod changes (driven
//! by the watch, well before the periodic re-probe), and a Ctrl-C typed into the terminal
//! ends it with exit code 130.

use std::time::Duration;

use super::{msv, patch, pods_of, seed_live, wait_ready};
use crate::fake_api::{Behavior, FakeCluster};
use crate::pty::Pty;

/// The frames drawn so far: each redraw starts by clearing the screen.
fn frames(out: &str) -> Vec<&str> {
    out.split("\x1b[2J").skip(1).collect()
}

/// The `orders` row of a frame.
fn orders_row(frame: &str) -> Option<&str> {
    frame
        .lines()
        .map(|l| l.trim_start_matches("\x1b[H"))
        .find(|l| l.starts_with("orders "))
}

#[test]
fn watch_redraws_when_a_pod_changes_and_ctrl_c_quits() {
    let cluster = FakeCluster::start();
    cluster.set_image_behavior("shop/orders:stuck", Behavior::NeverReady);
    seed_live(&cluster, "orders", "shop/orders:1", 2, 200);
    seed_live(&cluster, "billing", "shop/billing:1", 1, 200);
    wait_ready(&cluster, "orders", "blue", 2, Some(2));
    wait_ready(&cluster, "billing", "blue", 1, Some(1));

    let mut term = Pty::spawn(
        msv(&cluster)
            .args(&["status", "--watch", "--color", "never"])
            .command(),
    );
    term.wait_until("a first frame", Duration::from_secs(30), |out| {
        frames(out).iter().any(|f| f.contains("Ctrl-C to quit"))
    });
    let out = term.output();
    let first = frames(&out)[0];
    let row = orders_row(first).unwrap_or_else(|| panic!("no orders row in {first:?}"));
    assert!(row.contains("2/2") && row.contains("healthy"), "{row:?}");
    assert!(first.contains("billing "), "{first:?}");
    let drawn = frames(&out).len();

    // One pod stops being ready: the watch sees the pod and Deployment change.
    let stuck = pods_of(&cluster, "orders", "blue")[0].clone();
    patch(
        &cluster,
        &format!("/api/v1/namespaces/default/pods/{stuck}"),
        &serde_json::json!({"spec": {"containers": [{"name": "orders", "image": "shop/orders:stuck"}]}}),
    );
    term.wait_until(
        "a redraw with the pod not ready",
        Duration::from_secs(30),
        |out| {
            frames(out)[drawn..].iter().any(|f| {
                orders_row(f).is_some_and(|r| r.contains("1/2") && r.contains("degraded"))
                    && f.contains("Ctrl-C to quit")
            })
        },
    );

    term.type_in(b"\x03");
    let status = term.wait(Duration::from_secs(10));
    term.wait_until("the interrupt message", Duration::from_secs(10), |out| {
        out.contains("msv: error: interrupted")
    });
    assert_eq!(status.code(), Some(130), "{}", term.output());
}
