//! Is a Deployment's rollout complete, still going, or failed — and if failed, why.
//! Completion follows `kubectl rollout status`; failure is read from the Deployment's
//! conditions, the pods' container states and the warning events, so the user is told
//! which pod failed and the reason the cluster gives. Pure functions over API objects.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, Pod};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq)]
pub enum Rollout {
    Complete,
    /// Still going: ready/desired for progress display and what is being waited for.
    Progressing {
        available: i32,
        desired: i32,
        waiting: String,
    },
    /// The Deployment itself reports a failure (ProgressDeadlineExceeded).
    Failed(String),
}

/// kubectl's definition: the controller has observed the latest generation; no
/// ProgressDeadlineExceeded; updated = desired; no old replicas left; available = updated.
pub fn rollout_state(dep: &Deployment) -> Rollout {
    let generation = dep.metadata.generation.unwrap_or(0);
    let desired = dep.spec.replicas.unwrap_or(1);
    let Some(status) = dep.status.as_ref() else {
        return Rollout::Progressing {
            available: 0,
            desired,
            waiting: "deployment spec update to be observed".into(),
        };
    };
    let available = status.available_replicas.unwrap_or(0);
    if status.observed_generation.unwrap_or(0) < generation {
        return Rollout::Progressing {
            available,
            desired,
            waiting: "deployment spec update to be observed".into(),
        };
    }
    let progressing = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_.as_deref() == Some("Progressing"));
    if let Some(c) = progressing
        && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    {
        let msg = c.message.clone().unwrap_or_default();
        return Rollout::Failed(format!("ProgressDeadlineExceeded: {msg}"));
    }
    let updated = status.updated_replicas.unwrap_or(0);
    let replicas = status.replicas.unwrap_or(0);
    if updated < desired {
        return Rollout::Progressing {
            available,
            desired,
            waiting: format!("{updated} of {desired} updated replicas"),
        };
    }
    if replicas > updated {
        return Rollout::Progressing {
            available,
            desired,
            waiting: format!("{} old replicas pending termination", replicas - updated),
        };
    }
    if available < updated {
        return Rollout::Progressing {
            available,
            desired,
            waiting: format!("{available} of {updated} updated replicas available"),
        };
    }
    Rollout::Complete
}

/// The reason a Deployment's ReplicaSet cannot create pods (a quota exceeded, an admission
/// webhook or LimitRange refusing them), from its `ReplicaFailure` condition: the
/// deployment controller copies it from the ReplicaSet with the API server's own message,
/// which names the quota. Waiting rarely fixes it, and the pods never appear to say why.
pub fn replica_failure(dep: &Deployment) -> Option<String> {
    let c = dep.status.as_ref()?.conditions.iter().flatten().find(|c| {
        c.type_.as_deref() == Some("ReplicaFailure") && c.status.as_deref() == Some("True")
    })?;
    let reason = c.reason.as_deref().unwrap_or("ReplicaFailure");
    Some(match c.message.as_deref() {
        Some(m) if !m.is_empty() => format!("{reason}: {m}"),
        _ => reason.to_string(),
    })
}

/// Container waiting reasons that will not fix themselves while we wait.
const FATAL_WAITING: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

#[derive(Debug, Clone, PartialEq)]
pub struct PodFailure {
    pub pod: String,
    pub reason: String,
    pub message: String,
    /// Recent warning events of that pod, oldest first.
    pub events: Vec<String>,
    /// The container that crashed, for a crash loop: its previous run's log tells why.
    pub crashed: Option<String>,
    /// The last lines the crashed container wrote before it died (`logs --previous`),
    /// as the cluster gave them; escaped when shown.
    pub previous_log: Vec<String>,
}

impl std::fmt::Display for PodFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pod {}: {}", self.pod, self.reason)?;
        if !self.message.is_empty() {
            write!(f, " ({})", self.message)?;
        }
        for e in &self.events {
            write!(f, "\n  event: {e}")?;
        }
        if let (Some(c), false) = (&self.crashed, self.previous_log.is_empty()) {
            write!(f, "\n  last lines of container {c} before it exited:")?;
            for line in &self.previous_log {
                // A container's output reaches the terminal: escape what it could steer.
                write!(f, "\n    | {}", crate::output::sanitize(line))?;
            }
        }
        Ok(())
    }
}

/// The first pod whose container is stuck in a state that will not resolve by waiting
/// (image pull failure, crash loop, bad config), with its latest warning events.
pub fn fatal_pod_failure(pods: &[Pod], events: &[Event]) -> Option<PodFailure> {
    for pod in pods {
        let statuses = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref());
        for cs in statuses.into_iter().flatten() {
            let waiting = cs.state.as_ref().and_then(|s| s.waiting.as_ref());
            if let Some(w) = waiting
                && let Some(reason) = w.reason.as_deref()
                && FATAL_WAITING.contains(&reason)
            {
                let mut message = w.message.clone().unwrap_or_default();
                if reason == "CrashLoopBackOff" {
                    let last = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref());
                    if let Some(t) = last {
                        message = format!(
                            "restarted {} times, last exit code {}{}",
                            cs.restart_count,
                            t.exit_code,
                            t.reason
                                .as_deref()
                                .map(|r| format!(" ({r})"))
                                .unwrap_or_default()
                        );
                    }
                }
                let mut f = failure(pod, reason, message, events);
                if reason == "CrashLoopBackOff" {
                    f.crashed = Some(cs.name.clone());
                }
                return Some(f);
            }
        }
    }
    None
}

/// Why pods are not ready, for a rollout that timed out or hit its progress deadline:
/// the first pod that is not ready, with its container state and warning events.
pub fn not_ready_reason(pods: &[Pod], events: &[Event]) -> Option<PodFailure> {
    if let Some(f) = fatal_pod_failure(pods, events) {
        return Some(f);
    }
    let pod = pods.iter().find(|p| !pod_ready(p))?;
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref());
    let waiting = statuses
        .into_iter()
        .flatten()
        .find_map(|cs| cs.state.as_ref().and_then(|s| s.waiting.as_ref()));
    let (reason, message) = match waiting {
        Some(w) => (
            w.reason.clone().unwrap_or_else(|| "Waiting".into()),
            w.message.clone().unwrap_or_default(),
        ),
        None => (
            "NotReady".to_string(),
            "container running but readiness probe not passing".to_string(),
        ),
    };
    Some(failure(pod, &reason, message, events))
}

fn failure(pod: &Pod, reason: &str, message: String, events: &[Event]) -> PodFailure {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let mut evs: Vec<&Event> = events
        .iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(name.as_str()))
        .filter(|e| e.type_.as_deref() == Some("Warning"))
        .collect();
    evs.sort_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0));
    let events = evs
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(|e| {
            format!(
                "{}: {}",
                e.reason.as_deref().unwrap_or(""),
                e.message.as_deref().unwrap_or("")
            )
        })
        .collect();
    PodFailure {
        pod: name,
        reason: reason.to_string(),
        message,
        events,
        crashed: None,
        previous_log: Vec::new(),
    }
}

pub fn pod_ready(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// IPs of the ready pods among `pods`.
pub fn ready_pod_ips(pods: &[Pod]) -> BTreeSet<String> {
    pods.iter()
        .filter(|p| pod_ready(p))
        .filter_map(|p| p.status.as_ref()?.pod_ip.clone())
        .collect()
}

/// The switch is complete when the Service's endpoints (`listed`: its ready addresses,
/// from its EndpointSlices or Endpoints) are exactly the candidate's ready pods — the
/// endpoints controller rewrites them only after the selector patch returns. Only
/// addresses of the pods' own family count (a dual-stack Service lists both).
pub fn switch_complete(listed: &BTreeSet<String>, candidate_pods: &[Pod], desired: i32) -> bool {
    let want = ready_pod_ips(candidate_pods);
    let Some(first) = want.first() else {
        return false;
    };
    want.len() as i32 >= desired && crate::cluster::endpoints::same_family(listed, first) == want
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dep(
        generation: i64,
        observed: i64,
        desired: i32,
        replicas: i32,
        updated: i32,
        available: i32,
        cond: Option<&str>,
    ) -> Deployment {
        let mut conditions = vec![];
        if let Some(reason) = cond {
            conditions.push(json!({"type": "Progressing", "status": if reason == "ProgressDeadlineExceeded" {"False"} else {"True"}, "reason": reason, "message": "ReplicaSet \"x\" has timed out progressing."}));
        }
        serde_json::from_value(json!({
            "metadata": {"name": "o-blue", "generation": generation},
            "spec": {"replicas": desired, "selector": {}, "template": {}},
            "status": {"observedGeneration": observed, "replicas": replicas, "updatedReplicas": updated,
                       "availableReplicas": available, "conditions": conditions}
        }))
        .unwrap()
    }

    #[test]
    fn complete_only_as_kubectl_defines_it() {
        assert_eq!(
            rollout_state(&dep(2, 2, 3, 3, 3, 3, Some("NewReplicaSetAvailable"))),
            Rollout::Complete
        );
        // generation not observed yet
        assert!(matches!(
            rollout_state(&dep(3, 2, 3, 3, 3, 3, None)),
            Rollout::Progressing { .. }
        ));
        // not all updated
        assert!(matches!(
            rollout_state(&dep(2, 2, 3, 3, 2, 3, None)),
            Rollout::Progressing { .. }
        ));
        // old replicas left
        assert!(matches!(
            rollout_state(&dep(2, 2, 3, 4, 3, 3, None)),
            Rollout::Progressing { .. }
        ));
        // not available
        let p = rollout_state(&dep(2, 2, 3, 3, 3, 1, None));
        assert_eq!(
            p,
            Rollout::Progressing {
                available: 1,
                desired: 3,
                waiting: "1 of 3 updated replicas available".into()
            }
        );
    }

    #[test]
    fn progress_deadline_is_a_failure() {
        let r = rollout_state(&dep(1, 1, 2, 2, 2, 0, Some("ProgressDeadlineExceeded")));
        assert!(matches!(r, Rollout::Failed(m) if m.contains("ProgressDeadlineExceeded")));
    }

    fn pod(name: &str, ready: bool, ip: &str, waiting: Option<&str>) -> Pod {
        let mut cs =
            json!({"name": "app", "ready": ready, "restartCount": 4, "image": "i", "imageID": ""});
        if let Some(r) = waiting {
            cs["state"] = json!({"waiting": {"reason": r, "message": "back-off pulling image"}});
            cs["lastState"] = json!({"terminated": {"exitCode": 3, "reason": "Error"}});
        } else {
            cs["state"] = json!({"running": {}});
        }
        serde_json::from_value(json!({
            "metadata": {"name": name},
            "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}],
                       "containerStatuses": [cs]}
        }))
        .unwrap()
    }

    fn event(pod: &str, reason: &str, msg: &str, t: &str) -> Event {
        serde_json::from_value(json!({
            "metadata": {"name": format!("{pod}.1")}, "type": "Warning", "reason": reason, "message": msg,
            "involvedObject": {"kind": "Pod", "name": pod}, "lastTimestamp": t
        }))
        .unwrap()
    }

    #[test]
    fn image_pull_failure_names_pod_reason_and_events() {
        let pods = [
            pod("o-green-1", true, "10.0.0.1", None),
            pod("o-green-2", false, "10.0.0.2", Some("ImagePullBackOff")),
        ];
        let events = [
            event(
                "o-green-2",
                "Failed",
                "Failed to pull image",
                "2026-01-01T00:00:02Z",
            ),
            event(
                "o-green-2",
                "BackOff",
                "Back-off pulling image",
                "2026-01-01T00:00:03Z",
            ),
            event("o-green-1", "Other", "unrelated", "2026-01-01T00:00:01Z"),
        ];
        let f = fatal_pod_failure(&pods, &events).unwrap();
        assert_eq!(f.pod, "o-green-2");
        assert_eq!(f.reason, "ImagePullBackOff");
        assert_eq!(
            f.events,
            vec![
                "Failed: Failed to pull image",
                "BackOff: Back-off pulling image"
            ]
        );
        assert!(f.to_string().starts_with("pod o-green-2: ImagePullBackOff"));
    }

    #[test]
    fn crash_loop_reports_restarts_and_exit_code() {
        let f = fatal_pod_failure(
            &[pod("p", false, "10.0.0.3", Some("CrashLoopBackOff"))],
            &[],
        )
        .unwrap();
        assert_eq!(f.message, "restarted 4 times, last exit code 3 (Error)");
        assert_eq!(f.crashed.as_deref(), Some("app"));
    }

    #[test]
    fn the_previous_run_of_a_crashed_container_is_shown_escaped() {
        let mut f = fatal_pod_failure(
            &[pod("p", false, "10.0.0.3", Some("CrashLoopBackOff"))],
            &[],
        )
        .unwrap();
        assert!(
            !f.to_string().contains("last lines"),
            "none read: none shown"
        );
        f.previous_log = vec!["panic: no DATABASE_URL".into(), "\x1b]0;owned\x07".into()];
        let shown = f.to_string();
        assert!(
            shown.ends_with(
                "last lines of container app before it exited:\n    | panic: no DATABASE_URL\n    | \\e]0;owned\\u{7}"
            ),
            "{shown}"
        );
    }

    #[test]
    fn never_ready_is_not_fatal_but_is_explained() {
        let pods = [pod("p", false, "10.0.0.3", None)];
        assert_eq!(fatal_pod_failure(&pods, &[]), None);
        assert_eq!(not_ready_reason(&pods, &[]).unwrap().reason, "NotReady");
    }

    #[test]
    fn switch_complete_needs_exactly_the_candidate_ready_pods() {
        let pods = [
            pod("g1", true, "10.0.0.1", None),
            pod("g2", true, "10.0.0.2", None),
        ];
        let ep = |ips: &[&str]| -> BTreeSet<String> { ips.iter().map(|s| s.to_string()).collect() };
        assert!(switch_complete(&ep(&["10.0.0.2", "10.0.0.1"]), &pods, 2));
        assert!(!switch_complete(&ep(&["10.0.0.1"]), &pods, 2));
        assert!(!switch_complete(
            &ep(&["10.0.0.1", "10.0.0.2", "10.0.0.9"]),
            &pods,
            2
        ));
        assert!(!switch_complete(&ep(&["10.0.0.1"]), &pods[..1], 2));
        // The other family's addresses of a dual-stack Service do not count.
        assert!(switch_complete(
            &ep(&["10.0.0.1", "10.0.0.2", "fd00::1"]),
            &pods,
            2
        ));
    }
}
