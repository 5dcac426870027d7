//! The simulated kubelet: writes each pod's status from the behaviour the test chose for
//! its images — Running and Ready after a delay, never Ready, crash-looping (restartCount
//! grows, CrashLoopBackOff) or failing to pull (ErrImagePull, then ImagePullBackOff) — with
//! the conditions, container statuses and Warning events a real kubelet reports.

use std::time::Instant;

use serde_json::{Value, json};

use super::controllers::record_event;
use super::resources::by_plural;
use super::store::{name_of, now};
use super::{Behavior, PodRun, State, logs, ops};

fn behavior(st: &State, image: &str) -> Behavior {
    st.sim
        .behaviors
        .get(image)
        .copied()
        .unwrap_or(st.sim.default_behavior)
}

/// The status one container has `elapsed` after the pod started.
fn container_status(
    st: &State,
    c: &Value,
    run: &PodRun,
    now_i: Instant,
    pod_ref: &str,
) -> (Value, Option<(&'static str, String)>) {
    let name = c["name"].as_str().unwrap_or("");
    let image = c["image"].as_str().unwrap_or("");
    let elapsed = now_i.duration_since(run.started);
    let mut s = json!({"name": name, "image": image, "imageID": "", "restartCount": 0, "ready": false, "started": false});
    let running = json!({"running": {"startedAt": run.started_at}});
    let image_id = format!("docker-pullable://{image}@sha256:{:064x}", image.len());
    let mut warning = None;
    // A crash loop counts its own restarts; the others only restart when a test says so.
    if run.restarts > 0
        && matches!(
            behavior(st, image),
            Behavior::ReadyAfter(_) | Behavior::NeverReady
        )
    {
        s["restartCount"] = json!(run.restarts);
        s["lastState"] = json!({"terminated": {"exitCode": 1, "reason": "Error",
            "startedAt": run.previous_started_at, "finishedAt": run.started_at}});
    }
    match behavior(st, image) {
        Behavior::ReadyAfter(d) => {
            s["state"] = running;
            s["ready"] = json!(elapsed >= d);
            s["started"] = json!(true);
            s["imageID"] = json!(image_id);
            s["containerID"] = json!(format!("containerd://{:064x}", run.ip.len() + name.len()));
        }
        Behavior::NeverReady => {
            s["state"] = running;
            s["started"] = json!(true);
            s["imageID"] = json!(image_id);
            if c.get("readinessProbe").is_some() {
                warning = Some((
                    "Unhealthy",
                    "Readiness probe failed: HTTP probe failed with statuscode: 503".to_string(),
                ));
            }
        }
        Behavior::CrashLoop => {
            let restarts = (elapsed.as_millis() / st.sim.crash_interval.as_millis().max(1)) as i64;
            s["restartCount"] = json!(restarts);
            s["imageID"] = json!(image_id);
            if restarts == 0 {
                s["state"] = running;
                s["started"] = json!(true);
            } else {
                s["state"] = json!({"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off 10s restarting failed container={name} pod={pod_ref}")}});
                s["lastState"] = json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": run.started_at, "finishedAt": run.started_at}});
                warning = Some((
                    "BackOff",
                    format!("Back-off restarting failed container {name} in pod {pod_ref}"),
                ));
            }
        }
        Behavior::ImagePullFailure => {
            let attempt = elapsed.as_millis() / st.sim.crash_interval.as_millis().max(1);
            let (reason, message) = if attempt.is_multiple_of(2) {
                (
                    "ErrImagePull",
                    format!(
                        "failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": not found"
                    ),
                )
            } else {
                (
                    "ImagePullBackOff",
                    format!("Back-off pulling image \"{image}\""),
                )
            };
            s["state"] = json!({"waiting": {"reason": reason, "message": message}});
            warning = Some((
                "Failed",
                format!(
                    "Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found"
                ),
            ));
        }
    }
    (s, warning)
}

/// The lines the images of a pod's containers print when they start.
fn startup_logs(st: &mut State, pod: &Value, ns: &str, name: &str) {
    let lines: Vec<String> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["image"].as_str())
        .filter(|img| !matches!(behavior(st, img), Behavior::ImagePullFailure))
        .flat_map(|img| st.sim.logs_by_image.get(img).cloned().unwrap_or_default())
        .collect();
    for l in lines {
        logs::append(st, ns, name, &l);
    }
}

/// A new container in place of the old one: see `FakeCluster::restart_container`. The next
/// `tick` writes the status (restartCount, lastState, readiness from the new start).
pub(crate) fn restart(st: &mut State, ns: &str, name: &str, uid: &str) {
    let Some(run) = st.pods.get_mut(uid) else {
        return;
    };
    run.restarts += 1;
    run.previous_started_at = Some(std::mem::replace(&mut run.started_at, now()));
    run.started = Instant::now();
    if let Some(pod) = st.store.get(by_plural("pods"), ns, name).cloned() {
        startup_logs(st, &pod, ns, name);
    }
}

fn condition(t: &str, ok: bool, since: &str, reason: Option<(&str, String)>) -> Value {
    let mut c = json!({"type": t, "status": if ok { "True" } else { "False" }, "lastProbeTime": null, "lastTransitionTime": since});
    if let (false, Some((r, m))) = (ok, reason) {
        c["reason"] = json!(r);
        c["message"] = json!(m);
    }
    c
}

/// Whether a container's status will change with time alone (not yet Ready, crash
/// looping, pulling).
fn changes_with_time(st: &State, c: &Value, run: &PodRun, now_i: Instant) -> bool {
    match behavior(st, c["image"].as_str().unwrap_or("")) {
        Behavior::ReadyAfter(d) => now_i.duration_since(run.started) < d,
        Behavior::NeverReady => false,
        Behavior::CrashLoop | Behavior::ImagePullFailure => true,
    }
}

/// One pass over all pods: writes the status of each one that changed. Returns whether
/// some pod's status will change with time alone, so a later pass is due even if nothing
/// else changes.
pub(crate) fn tick(st: &mut State, now_i: Instant) -> bool {
    let pods = by_plural("pods");
    let mut pending = false;
    for pod in st.store.list(pods, None) {
        let uid = pod["metadata"]["uid"].as_str().unwrap_or("").to_string();
        let ns = pod["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let name = name_of(&pod).to_string();
        if !st.pods.contains_key(&uid) {
            st.next_ip += 1;
            let ip = format!("10.244.{}.{}", st.next_ip / 250, st.next_ip % 250 + 1);
            st.pods.insert(
                uid.clone(),
                PodRun {
                    started: now_i,
                    started_at: now(),
                    ip,
                    restarts: 0,
                    previous_started_at: None,
                },
            );
            startup_logs(st, &pod, &ns, &name);
            record_event(
                st,
                &pod,
                "Normal",
                "Scheduled",
                &format!("Successfully assigned {ns}/{name} to fake-node"),
                "default-scheduler",
            );
        }
        let run = &st.pods[&uid];
        let pod_ref = format!("{name}_{ns}({uid})");
        let mut statuses = Vec::new();
        let mut warnings = Vec::new();
        for c in pod["spec"]["containers"].as_array().into_iter().flatten() {
            pending |= changes_with_time(st, c, run, now_i);
            let (s, w) = container_status(st, c, run, now_i, &pod_ref);
            statuses.push(s);
            warnings.extend(w);
        }
        // Each crash of a crash-looping container is a new run with a log of its own: the
        // image's lines again, the old run's log now `previous=true`.
        let crashes = pod["spec"]["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(&statuses)
            .filter(|(c, _)| behavior(st, c["image"].as_str().unwrap_or("")) == Behavior::CrashLoop)
            .filter_map(|(_, s)| s["restartCount"].as_i64())
            .max()
            .unwrap_or(0);
        while st.pods[&uid].restarts < crashes {
            let run = st.pods.get_mut(&uid).expect("known pod");
            run.restarts += 1;
            startup_logs(st, &pod, &ns, &name);
        }
        let run = &st.pods[&uid];
        let all_ready = statuses.iter().all(|s| s["ready"] == true);
        let pulling = statuses.iter().any(|s| {
            s["state"]["waiting"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("Image"))
        });
        let unready: Vec<&str> = statuses
            .iter()
            .filter(|s| s["ready"] != true)
            .filter_map(|s| s["name"].as_str())
            .collect();
        let why = Some((
            "ContainersNotReady",
            format!("containers with unready status: [{}]", unready.join(" ")),
        ));
        let since = run.started_at.clone();
        let status = json!({
            "phase": if pulling { "Pending" } else { "Running" },
            "conditions": [
                condition("PodReadyToStartContainers", true, &since, None),
                condition("Initialized", true, &since, None),
                condition("Ready", all_ready, &since, why.clone()),
                condition("ContainersReady", all_ready, &since, why),
                condition("PodScheduled", true, &since, None),
            ],
            "hostIP": "10.0.0.2", "hostIPs": [{"ip": "10.0.0.2"}],
            "podIP": run.ip, "podIPs": [{"ip": run.ip}],
            "startTime": since,
            "containerStatuses": statuses,
            "qosClass": "BestEffort",
        });
        if pod["status"] != status || pod["spec"]["nodeName"] != "fake-node" {
            let mut new = pod.clone();
            new["status"] = status;
            if new["spec"]["nodeName"] != "fake-node" {
                new["spec"]["nodeName"] = json!("fake-node");
                new = st.store.update(pods, &ns, new);
            }
            let _ = ops::update(st, pods, &ns, &name, new, "kubelet", Some("status"));
            // Events only when the status moved, so a steady pod writes nothing.
            for (reason, message) in warnings {
                record_event(st, &pod, "Warning", reason, &message, "kubelet");
            }
        }
    }
    pending
}
