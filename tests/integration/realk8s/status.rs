//! The pod status a kubelet would report, as a pure function of each container's
//! behaviour and the time since the pod started: phase, the four pod conditions, podIP and
//! containerStatuses (restart counts, CrashLoopBackOff, ErrImagePull / ImagePullBackOff).

use std::time::Duration;

use serde_json::{Value, json};

use crate::fake_api::Behavior;

/// How often a crash-looping container restarts, and how often a failing pull is retried.
pub(crate) const CRASH_INTERVAL: Duration = Duration::from_millis(700);

/// One container's status and whether it is ready.
fn container(name: &str, image: &str, b: Behavior, elapsed: Duration, started_at: &str) -> Value {
    let running = json!({"running": {"startedAt": started_at}});
    let image_id = format!("docker-pullable://{image}@sha256:{:064x}", image.len());
    let container_id = format!("containerd://{:064x}", name.len() + image.len());
    let cycles = (elapsed.as_millis() / CRASH_INTERVAL.as_millis()) as i64;
    let mut s = json!({"name": name, "image": image, "imageID": "", "restartCount": 0,
        "ready": false, "started": false});
    match b {
        Behavior::ReadyAfter(d) => {
            s["state"] = running;
            s["ready"] = json!(elapsed >= d);
            s["started"] = json!(true);
            s["imageID"] = json!(image_id);
            s["containerID"] = json!(container_id);
        }
        Behavior::NeverReady => {
            s["state"] = running;
            s["started"] = json!(true);
            s["imageID"] = json!(image_id);
            s["containerID"] = json!(container_id);
        }
        Behavior::CrashLoop => {
            s["restartCount"] = json!(cycles);
            s["imageID"] = json!(image_id);
            s["containerID"] = json!(container_id);
            if cycles == 0 {
                s["state"] = running;
                s["started"] = json!(true);
            } else {
                s["state"] = json!({"waiting": {"reason": "CrashLoopBackOff",
                    "message": format!("back-off 10s restarting failed container={name}")}});
                s["lastState"] = json!({"terminated": {"exitCode": 1, "reason": "Error",
                    "startedAt": started_at, "finishedAt": started_at, "containerID": container_id}});
            }
        }
        Behavior::ImagePullFailure => {
            let (reason, message) = if cycles % 2 == 0 {
                (
                    "ErrImagePull",
                    format!(
                        "rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found"
                    ),
                )
            } else {
                (
                    "ImagePullBackOff",
                    format!("Back-off pulling image \"{image}\""),
                )
            };
            s["state"] = json!({"waiting": {"reason": reason, "message": message}});
        }
    }
    s
}

fn condition(t: &str, ok: bool, since: &str, reason: &str) -> Value {
    let mut c = json!({"type": t, "status": if ok { "True" } else { "False" },
        "lastProbeTime": null, "lastTransitionTime": since});
    if !ok {
        c["reason"] = json!(reason);
    }
    c
}

/// The pod's `status`, given its containers `(name, image)` and their behaviours.
pub(crate) fn pod_status(
    containers: &[(String, String)],
    behaviors: &[Behavior],
    elapsed: Duration,
    started_at: &str,
    ip: &str,
) -> Value {
    let statuses: Vec<Value> = containers
        .iter()
        .zip(behaviors)
        .map(|((n, img), b)| container(n, img, *b, elapsed, started_at))
        .collect();
    let all_ready = statuses.iter().all(|s| s["ready"] == json!(true));
    let pulled = !behaviors
        .iter()
        .any(|b| matches!(b, Behavior::ImagePullFailure));
    json!({
        "phase": if pulled { "Running" } else { "Pending" },
        "hostIP": "127.0.0.1",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": started_at,
        "qosClass": "BestEffort",
        "conditions": [
            condition("Initialized", true, started_at, ""),
            condition("Ready", all_ready, started_at, "ContainersNotReady"),
            condition("ContainersReady", all_ready, started_at, "ContainersNotReady"),
            condition("PodScheduled", true, started_at, ""),
        ],
        "containerStatuses": statuses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(b: Behavior, ms: u64) -> Value {
        let c = [("app".to_string(), "shop:1".to_string())];
        pod_status(
            &c,
            &[b],
            Duration::from_millis(ms),
            "2026-01-01T00:00:00Z",
            "10.244.0.2",
        )
    }

    fn ready(s: &Value) -> &Value {
        &s["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "Ready")
            .unwrap()["status"]
    }

    #[test]
    fn ready_after_a_delay_turns_ready_then() {
        let before = one(Behavior::ReadyAfter(Duration::from_millis(500)), 100);
        assert_eq!(before["phase"], "Running");
        assert_eq!(ready(&before), "False");
        assert_eq!(before["podIP"], "10.244.0.2");
        let after = one(Behavior::ReadyAfter(Duration::from_millis(500)), 600);
        assert_eq!(ready(&after), "True");
        assert_eq!(after["containerStatuses"][0]["ready"], true);
    }

    #[test]
    fn never_ready_runs_without_restarts() {
        let s = one(Behavior::NeverReady, 60_000);
        assert_eq!(s["phase"], "Running");
        assert_eq!(ready(&s), "False");
        assert_eq!(s["containerStatuses"][0]["restartCount"], 0);
        assert!(s["containerStatuses"][0]["state"]["running"].is_object());
    }

    #[test]
    fn crash_loop_counts_restarts_and_backs_off() {
        let first = one(Behavior::CrashLoop, 10);
        assert!(first["containerStatuses"][0]["state"]["running"].is_object());
        let later = one(
            Behavior::CrashLoop,
            3 * CRASH_INTERVAL.as_millis() as u64 + 1,
        );
        let c = &later["containerStatuses"][0];
        assert_eq!(c["restartCount"], 3);
        assert_eq!(c["state"]["waiting"]["reason"], "CrashLoopBackOff");
        assert_eq!(c["lastState"]["terminated"]["exitCode"], 1);
        assert_eq!(ready(&later), "False");
    }

    #[test]
    fn image_pull_failure_stays_pending_and_alternates_reasons() {
        let first = one(Behavior::ImagePullFailure, 10);
        assert_eq!(first["phase"], "Pending");
        assert_eq!(
            first["containerStatuses"][0]["state"]["waiting"]["reason"],
            "ErrImagePull"
        );
        let next = one(
            Behavior::ImagePullFailure,
            CRASH_INTERVAL.as_millis() as u64 + 1,
        );
        assert_eq!(
            next["containerStatuses"][0]["state"]["waiting"]["reason"],
            "ImagePullBackOff"
        );
    }
}
