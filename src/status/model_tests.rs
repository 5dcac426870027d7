//! Unit tests of the view model, from JSON shaped like the API server's objects.

use super::*;
use crate::deploy::history::Outcome;
use serde_json::{Value, json};

const NOW: &str = "2026-11-28T12:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn dep(name: &str, color: &str, image: &str, desired: i32, ready: i32) -> Deployment {
    serde_json::from_value(json!({
        "metadata": {"name": format!("{name}-{color}"), "namespace": "shop",
            "creationTimestamp": "2026-11-28T11:00:00Z",
            "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "msv", "msv/color": color}},
        "spec": {"replicas": desired,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name, "msv/color": color}},
            "template": {"metadata": {"labels": {"app.kubernetes.io/name": name, "msv/color": color}},
                "spec": {"containers": [{"name": name, "image": image,
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}}}]}}},
        "status": {"replicas": desired, "readyReplicas": ready}
    }))
    .unwrap()
}

fn svc(name: &str, selects: &str) -> Service {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "shop",
            "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "msv"}},
        "spec": {"selector": {"app.kubernetes.io/name": name, "msv/color": selects},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
    }))
    .unwrap()
}

fn pod(name: &str, color: &str, i: usize, ready: bool, restarts: i32) -> Pod {
    let mut status: Value = json!({
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
        "containerStatuses": [{"name": name, "image": "x", "imageID": "", "ready": ready,
            "restartCount": restarts, "state": {"running": {}}}]
    });
    if restarts > 0 {
        status["containerStatuses"][0]["lastState"] =
            json!({"terminated": {"exitCode": 137, "reason": "OOMKilled"}});
        status["containerStatuses"][0]["state"] =
            json!({"waiting": {"reason": "CrashLoopBackOff"}});
    }
    serde_json::from_value(json!({
        "metadata": {"name": format!("{name}-{color}-{i}"), "namespace": "shop",
            "creationTimestamp": "2026-11-28T11:59:00Z",
            "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "msv", "msv/color": color}},
        "spec": {"containers": [{"name": name, "image": "x"}]},
        "status": status
    }))
    .unwrap()
}

fn probe(target: &str, status: Option<u16>) -> Probe {
    Probe {
        target: target.into(),
        status,
        latency_ms: 4,
        error: status.is_none().then(|| "no answer within 3s".into()),
    }
}

fn healthy_orders() -> Snapshot {
    let mut s = Snapshot {
        deployments: vec![dep("orders", "blue", "reg/orders:1.2", 3, 3)],
        services: vec![svc("orders", "blue")],
        pods: (0..3).map(|i| pod("orders", "blue", i, true, 0)).collect(),
        ..Default::default()
    };
    s.service_probes.insert(
        ("shop".into(), "orders".into()),
        probe("service/orders", Some(200)),
    );
    s
}

#[test]
fn a_healthy_service() {
    let snap = healthy_orders();
    let rows = rows(&snap, now());
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.live_color.as_deref(), Some("blue"));
    assert_eq!(r.tag.as_deref(), Some("1.2"));
    assert_eq!((r.ready, r.desired, r.restarts), (3, 3, 0));
    assert_eq!(r.state, State::Healthy, "{:?}", r.reasons);
    assert_eq!(r.other, None);
    // No history: the age falls back to the Deployment's creation.
    assert_eq!(r.age_seconds, Some(3600));
    assert_eq!(
        health_target(&snap, "shop", "orders"),
        Some(("/healthz".into(), 80, 8080))
    );
}

#[test]
fn pods_not_ready_is_degraded_and_no_ready_pod_is_unhealthy() {
    let mut snap = healthy_orders();
    snap.deployments[0] = dep("orders", "blue", "reg/orders:1.2", 3, 2);
    snap.pods[2] = pod("orders", "blue", 2, false, 4);
    let r = row(&snap, "shop", "orders", now());
    assert_eq!(r.state, State::Degraded);
    assert_eq!(r.restarts, 4);
    assert!(
        r.reasons[0].contains("2/3 blue pods ready"),
        "{:?}",
        r.reasons
    );

    snap.deployments[0] = dep("orders", "blue", "reg/orders:1.2", 3, 0);
    assert_eq!(row(&snap, "shop", "orders", now()).state, State::Unhealthy);
}

#[test]
fn a_failing_probe_is_unhealthy_even_with_ready_pods() {
    let mut snap = healthy_orders();
    snap.service_probes.insert(
        ("shop".into(), "orders".into()),
        probe("service/orders", Some(503)),
    );
    let r = row(&snap, "shop", "orders", now());
    assert_eq!(r.state, State::Unhealthy);
    assert!(
        r.reasons.iter().any(|m| m.contains("HTTP 503")),
        "{:?}",
        r.reasons
    );
    snap.service_probes.insert(
        ("shop".into(), "orders".into()),
        probe("service/orders", None),
    );
    let r = row(&snap, "shop", "orders", now());
    assert!(
        r.reasons.iter().any(|m| m.contains("no answer within 3s")),
        "{:?}",
        r.reasons
    );
}

#[test]
fn a_deploy_in_progress_shows_the_other_color() {
    let mut snap = healthy_orders();
    snap.deployments
        .push(dep("orders", "green", "reg/orders:1.3", 3, 1));
    snap.pods
        .extend((0..3).map(|i| pod("orders", "green", i, i == 0, 0)));
    // A failing pod probe of the candidate must not count against the live color.
    snap.pod_probes.insert(
        ("shop".into(), "orders-green-1".into()),
        probe("pod/orders-green-1", Some(500)),
    );
    let r = row(&snap, "shop", "orders", now());
    let other = r.other.clone().unwrap();
    assert_eq!(
        (
            other.color.as_str(),
            other.tag.as_deref(),
            other.ready,
            other.desired
        ),
        ("green", Some("1.3"), 1, 3)
    );
    assert_eq!(other.state, "deploying");
    assert_eq!(r.state, State::Healthy, "{:?}", r.reasons);
    assert_eq!(r.pod_health.len(), 1);

    // Finished and switched: blue stays up for a rollback.
    snap.services[0] = svc("orders", "green");
    snap.deployments[1] = dep("orders", "green", "reg/orders:1.3", 3, 3);
    let r = row(&snap, "shop", "orders", now());
    assert_eq!(r.live_color.as_deref(), Some("green"));
    assert_eq!(r.other.as_ref().unwrap().state, "standby");
    // Scaled down with no pods left: nothing to show.
    snap.deployments[0] = dep("orders", "blue", "reg/orders:1.2", 0, 0);
    snap.pods
        .retain(|p| !p.metadata.name.as_ref().unwrap().contains("blue"));
    assert_eq!(row(&snap, "shop", "orders", now()).other, None);
}

#[test]
fn a_failing_live_pod_probe_degrades() {
    let mut snap = healthy_orders();
    snap.pod_probes.insert(
        ("shop".into(), "orders-blue-0".into()),
        probe("pod/orders-blue-0", Some(200)),
    );
    snap.pod_probes.insert(
        ("shop".into(), "orders-blue-1".into()),
        probe("pod/orders-blue-1", None),
    );
    let r = row(&snap, "shop", "orders", now());
    assert_eq!(r.state, State::Degraded);
    assert!(
        r.reasons[0].contains("1 of 2 pod probes fail"),
        "{:?}",
        r.reasons
    );
}

#[test]
fn no_live_color_is_unhealthy() {
    let snap = Snapshot {
        deployments: vec![dep("orders", "blue", "reg/orders:1", 2, 0)],
        ..Default::default()
    };
    let rows = rows(&snap, now());
    assert_eq!(rows[0].state, State::Unhealthy);
    assert_eq!(rows[0].live_color, None);
    // The first deploy, still coming up, shows as the other color.
    assert_eq!(rows[0].other.as_ref().unwrap().state, "deploying");
}

#[test]
fn history_sets_the_live_revision_and_its_age() {
    let mut snap = healthy_orders();
    let entry = |revision, color, time: &str, outcome| Entry {
        revision,
        image: if color == Color::Blue {
            "reg/orders:1.2"
        } else {
            "reg/orders:2"
        }
        .into(),
        color,
        time: time.into(),
        who: "ci".into(),
        outcome,
        message: String::new(),
        analysis: None,
        canary: vec![],
        release: None,
    };
    snap.history.insert(
        ("shop".into(), "orders".into()),
        vec![
            entry(1, Color::Blue, "2026-11-27T12:00:00Z", Outcome::Succeeded),
            entry(2, Color::Green, "2026-11-28T10:00:00Z", Outcome::RolledBack),
            entry(3, Color::Blue, "2026-11-28T11:30:00Z", Outcome::Rollback),
        ],
    );
    let d = detail(&snap, "shop", "orders", now());
    assert_eq!(d.live_revision, Some(3));
    assert_eq!(d.row.age_seconds, Some(1800));
    assert_eq!(d.history.len(), 3);
    assert_eq!(d.pods.len(), 3);
    assert!(d.pods.iter().all(|p| p.live && p.ready));

    // A deploy switched blue to an image it never recorded: no revision, no age is claimed.
    snap.deployments[0] = dep("orders", "blue", "reg/orders:1.4", 3, 3);
    let d = detail(&snap, "shop", "orders", now());
    assert_eq!(d.live_revision, None);
    assert_eq!(d.row.age_seconds, None);
    assert_eq!(d.row.tag.as_deref(), Some("1.4"));
}

#[test]
fn a_terminating_pod_is_not_ready_even_while_its_condition_says_so() {
    // The endpoints controller stops sending traffic to a pod once it is deleted, before
    // its Ready condition changes; status counts pods as deploy does.
    let mut snap = healthy_orders();
    snap.pods[1].metadata.deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now()));
    let d = detail(&snap, "shop", "orders", now());
    let ready: Vec<bool> = d.pods.iter().map(|p| p.ready).collect();
    assert_eq!(ready, vec![true, false, true]);
}

#[test]
fn a_color_being_scaled_down_is_not_deploying() {
    let mut snap = healthy_orders();
    snap.deployments
        .push(dep("orders", "green", "reg/orders:1.1", 0, 0));
    snap.pods
        .extend((0..2).map(|i| pod("orders", "green", i, true, 0)));
    let r = row(&snap, "shop", "orders", now());
    assert_eq!(r.other.as_ref().unwrap().state, "scaling-down");
    assert_eq!(other_state(1, 3, true), "deploying");
    assert_eq!(other_state(0, 2, false), "deploying");
    assert_eq!(other_state(3, 3, true), "standby");
    assert_eq!(other_state(0, 0, true), "scaling-down");
}

#[test]
fn detail_lists_crashes_and_warnings_of_this_service_only() {
    let mut snap = healthy_orders();
    snap.pods[1] = pod("orders", "blue", 1, false, 7);
    let event = |object: &str, kind: &str, reason: &str| -> Event {
        serde_json::from_value(json!({
            "metadata": {"name": format!("{object}.1"), "namespace": "shop"},
            "involvedObject": {"kind": "Pod", "name": object},
            "type": kind, "reason": reason, "message": "Back-off restarting failed container",
            "lastTimestamp": "2026-11-28T11:59:30Z", "count": 5
        }))
        .unwrap()
    };
    snap.events = vec![
        event("orders-blue-1", "Warning", "BackOff"),
        event("orders-blue-1", "Normal", "Pulled"),
        event("ordersx-blue-1", "Warning", "BackOff"),
    ];
    let d = detail(&snap, "shop", "orders", now());
    let crashed = d.pods.iter().find(|p| p.name == "orders-blue-1").unwrap();
    assert_eq!(crashed.waiting.as_deref(), Some("CrashLoopBackOff"));
    assert_eq!(
        crashed.last_termination.as_deref(),
        Some("OOMKilled (exit 137)")
    );
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(d.warnings[0].object, "pod/orders-blue-1");
    assert_eq!(d.warnings[0].count, 5);
}

#[test]
fn only_msv_services_are_listed() {
    let mut snap = healthy_orders();
    // The preview Service carries the name label but is not the service itself.
    let mut preview = svc("orders", "green");
    preview.metadata.name = Some("orders-preview".into());
    snap.services.push(preview);
    snap.deployments
        .push(dep("billing", "green", "reg/billing:7", 1, 1));
    assert_eq!(
        service_keys(&snap),
        vec![
            ("shop".into(), "billing".into()),
            ("shop".into(), "orders".into())
        ]
    );
}

#[test]
fn ages_read_like_kubectl() {
    assert_eq!(short_age(42), "42s");
    assert_eq!(short_age(125), "2m5s");
    assert_eq!(short_age(3600 * 5 + 60), "5h1m");
    assert_eq!(short_age(86400 * 12), "12d");
}

#[test]
fn endpoints_are_counted_over_all_slices_of_the_primary_family_or_from_endpoints() {
    let slice = |name: &str, service: &str, family: &str, ips: &[&str]| -> EndpointSlice {
        let endpoints: Vec<Value> = ips
            .iter()
            .map(|ip| json!({"addresses": [ip], "conditions": {"ready": !ip.ends_with('9')}}))
            .collect();
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "shop",
                "labels": {"kubernetes.io/service-name": service}},
            "addressType": family, "endpoints": endpoints}))
        .unwrap()
    };
    let mut snap = healthy_orders();
    snap.endpoint_slices = vec![
        slice("orders-a", "orders", "IPv4", &["10.0.0.1", "10.0.0.2"]),
        // Not ready (ends in 9), and one address listed in two slices while it moves.
        slice(
            "orders-b",
            "orders",
            "IPv4",
            &["10.0.0.2", "10.0.0.3", "10.0.0.9"],
        ),
        // The other family of a dual-stack Service, and another Service's slice.
        slice("orders-c", "orders", "IPv6", &["fd00::1", "fd00::2"]),
        slice("orders-preview-a", "orders-preview", "IPv4", &["10.0.0.7"]),
    ];
    assert_eq!(rows(&snap, now())[0].endpoints, 3);
    // An older server: the Endpoints object's ready addresses.
    snap.endpoint_slices.clear();
    snap.endpoints = vec![
        serde_json::from_value(json!({"metadata": {"name": "orders", "namespace": "shop"},
            "subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}],
                "notReadyAddresses": [{"ip": "10.0.0.9"}]}]}))
        .unwrap(),
    ];
    assert_eq!(rows(&snap, now())[0].endpoints, 2);
}

/// During a canary soak Service S selects both colors: the live color is still the one
/// beside the canary, and the canary shows its share of the ready pods.
#[test]
fn a_canary_soak_shows_both_colors_and_the_canary_share() {
    let mut snap = healthy_orders();
    snap.services[0] = serde_json::from_value(json!({
        "metadata": {"name": "orders", "namespace": "shop",
            "labels": {"app.kubernetes.io/name": "orders", "app.kubernetes.io/managed-by": "msv"},
            "annotations": {"msv/canary": "green"}},
        "spec": {"selector": {"app.kubernetes.io/name": "orders"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
    }))
    .unwrap();
    snap.deployments
        .push(dep("orders", "green", "reg/orders:1.3", 1, 1));
    snap.pods.push(pod("orders", "green", 0, true, 0));
    let r = &rows(&snap, now())[0];
    assert_eq!(r.live_color.as_deref(), Some("blue"));
    assert_eq!(r.tag.as_deref(), Some("1.2"));
    let other = r.other.as_ref().expect("the canary is shown");
    assert_eq!(
        (
            other.color.as_str(),
            other.state.as_str(),
            other.traffic_percent
        ),
        ("green", "canary", Some(25.0))
    );
    let line = crate::status::render::table(&rows(&snap, now()), false).render(false);
    assert!(
        line.contains("green 1.3 1/1 canary (25% of traffic)"),
        "{line}"
    );
}
