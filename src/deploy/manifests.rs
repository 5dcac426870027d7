//! The Kubernetes objects a deploy applies, rendered from a service's settings: one
//! Deployment per color, the stable Service and the preview Service, and optionally an
//! HPA and a PDB that follow the live color. `msv manifests` prints exactly these.
//! Rendering is pure; applying them is the executor's job.

use super::ownership::Adoption;
use super::plan::{
    COLOR_LABEL, Color, MANAGED_BY_LABEL, NAME_LABEL, VERSION_LABEL, deployment_name,
    image_version, preview_name,
};
use anyhow::{Context, Result};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Everything about a service that shapes its manifests (from msv.toml via the config).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSettings {
    pub name: String,
    pub namespace: String,
    pub port: u16,
    pub health_path: String,
    pub readiness_path: String,
    pub replicas: i32,
    pub cpu_request: Option<String>,
    pub memory_request: Option<String>,
    pub cpu_limit: Option<String>,
    pub memory_limit: Option<String>,
    pub env: BTreeMap<String, String>,
    pub autoscaling: Option<Autoscaling>,
    /// `deploy.disruption_budget`: whether a PDB may cover the live color at all.
    pub disruption_budget: bool,
    /// Seconds the pod gets to finish in-flight requests after it leaves the endpoints.
    pub termination_grace_seconds: i64,
    /// Seconds the preStop hook waits so endpoints stop routing before the app shuts down.
    pub pre_stop_seconds: i64,
    pub progress_deadline_seconds: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Autoscaling {
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub cpu_percent: i32,
}

impl ServiceSettings {
    /// Defaults for a service called `name`, for tests and for settings left unset.
    pub fn new(name: &str, namespace: &str) -> Self {
        ServiceSettings {
            name: name.to_string(),
            namespace: namespace.to_string(),
            port: 8080,
            health_path: "/healthz".into(),
            readiness_path: "/readyz".into(),
            replicas: 2,
            cpu_request: Some("100m".into()),
            memory_request: Some("128Mi".into()),
            cpu_limit: None,
            memory_limit: Some("256Mi".into()),
            env: BTreeMap::new(),
            autoscaling: None,
            disruption_budget: true,
            termination_grace_seconds: 30,
            pre_stop_seconds: 5,
            progress_deadline_seconds: 120,
        }
    }

    /// A PodDisruptionBudget covers the live color when it is enabled and the color can
    /// have more than one pod (with one, a budget of one unavailable blocks nothing).
    pub fn wants_pdb(&self) -> bool {
        self.disruption_budget && (self.replicas > 1 || self.autoscaling.is_some())
    }

    fn labels(&self) -> Value {
        json!({NAME_LABEL: self.name, MANAGED_BY_LABEL: "msv"})
    }
}

fn typed<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T> {
    serde_json::from_value(v).with_context(|| format!("rendering {what}"))
}

/// The Deployment of one color. The color is in its name and selector from the start:
/// a Deployment's selector is immutable.
pub fn deployment(
    s: &ServiceSettings,
    color: Color,
    image: &str,
    replicas: i32,
) -> Result<Deployment> {
    let version = image_version(image);
    let selector = json!({NAME_LABEL: s.name, COLOR_LABEL: color.as_str()});
    let pod_labels = json!({NAME_LABEL: s.name, MANAGED_BY_LABEL: "msv", COLOR_LABEL: color.as_str(), VERSION_LABEL: label_value(&version)});
    let mut env: Vec<Value> = s
        .env
        .iter()
        .map(|(k, v)| json!({"name": k, "value": v}))
        .collect();
    env.push(json!({"name": "OTEL_SERVICE_NAME", "value": s.name}));
    env.push(json!({"name": "OTEL_RESOURCE_ATTRIBUTES",
        "value": format!("service.version={version},deployment.color={color},k8s.namespace.name={}", s.namespace)}));
    env.push(json!({"name": "PORT", "value": s.port.to_string()}));
    let mut requests = serde_json::Map::new();
    let mut limits = serde_json::Map::new();
    if let Some(v) = &s.cpu_request {
        requests.insert("cpu".into(), json!(v));
    }
    if let Some(v) = &s.memory_request {
        requests.insert("memory".into(), json!(v));
    }
    if let Some(v) = &s.cpu_limit {
        limits.insert("cpu".into(), json!(v));
    }
    if let Some(v) = &s.memory_limit {
        limits.insert("memory".into(), json!(v));
    }
    let probe = |path: &str, period: i32, failures: i32| json!({"httpGet": {"path": path, "port": "http"}, "periodSeconds": period, "timeoutSeconds": 2, "failureThreshold": failures});
    let d = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": deployment_name(&s.name, color), "namespace": s.namespace,
                     "labels": {NAME_LABEL: s.name, MANAGED_BY_LABEL: "msv", COLOR_LABEL: color.as_str(), VERSION_LABEL: label_value(&version)}},
        "spec": {
            "replicas": replicas,
            "progressDeadlineSeconds": s.progress_deadline_seconds,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "terminationGracePeriodSeconds": s.termination_grace_seconds,
                    "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "runAsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": s.name,
                        "image": image,
                        "ports": [{"name": "http", "containerPort": s.port, "protocol": "TCP"}],
                        "env": env,
                        "resources": {"requests": requests, "limits": limits},
                        "livenessProbe": probe(&s.health_path, 10, 3),
                        "readinessProbe": probe(&s.readiness_path, 2, 2),
                        "lifecycle": {"preStop": {"sleep": {"seconds": s.pre_stop_seconds}}},
                        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                            "capabilities": {"drop": ["ALL"]}}
                    }]
                }
            }
        }
    });
    typed(d, "the Deployment")
}

/// The first Kubernetes minor version whose API server knows (and enables) the preStop
/// `sleep` action; older servers refuse the field in a server-side apply.
pub const SLEEP_ACTION_MINOR: u32 = 30;

/// For API servers older than 1.30: the same preStop delay as an `exec` of `sleep`, which
/// needs a `sleep` binary in the image (a `FROM scratch` image fails the hook, and its pods
/// then stop without the delay).
pub fn exec_pre_stop(d: &mut Deployment) {
    let containers = d
        .spec
        .template
        .spec
        .iter_mut()
        .flat_map(|p| p.containers.iter_mut());
    for c in containers {
        let Some(pre_stop) = c.lifecycle.as_mut().and_then(|l| l.pre_stop.as_mut()) else {
            continue;
        };
        if let Some(sleep) = pre_stop.sleep.take() {
            pre_stop.exec = Some(k8s_openapi::api::core::v1::ExecAction {
                command: Some(vec!["sleep".into(), sleep.seconds.to_string()]),
            });
        }
    }
}

/// Label values are at most 63 characters from [A-Za-z0-9._-]; digests are not.
fn label_value(v: &str) -> String {
    let cleaned: String = v
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let t: String = cleaned.chars().take(63).collect();
    t.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

/// Service `S` (selecting `color`) or, with `preview`, `S-preview`.
pub fn service(s: &ServiceSettings, color: Color, preview: bool) -> Result<Service> {
    let name = if preview {
        preview_name(&s.name)
    } else {
        s.name.clone()
    };
    typed(
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": s.namespace, "labels": s.labels()},
            "spec": {
                "type": "ClusterIP",
                "selector": {NAME_LABEL: s.name, COLOR_LABEL: color.as_str()},
                "ports": [{"name": "http", "port": s.port, "targetPort": "http", "protocol": "TCP"}]
            }
        }),
        "the Service",
    )
}

/// The image of a Deployment's first container: the one msv renders, and what it reads
/// back as the image a color runs.
pub fn image_of(d: &Deployment) -> Option<String> {
    d.spec
        .template
        .spec
        .as_ref()?
        .containers
        .first()?
        .image
        .clone()
}

/// Service `S`'s selector when it serves `color`.
pub fn selector(service: &str, color: Color) -> std::collections::BTreeMap<String, String> {
    [
        (NAME_LABEL.to_string(), service.to_string()),
        (COLOR_LABEL.to_string(), color.as_str().to_string()),
    ]
    .into()
}

/// The candidate of an adoption: the adopted Deployment's pod template as it is — with
/// `image` for its first container — under msv's name, labels and selector. The labels
/// Service `S` selects by today are left off the pods, so `S` keeps serving only the
/// adopted Deployment until the switch.
pub fn adopted_deployment(
    s: &ServiceSettings,
    color: Color,
    plain: &Deployment,
    adoption: &Adoption,
    image: &str,
    replicas: i32,
) -> Result<Deployment> {
    let version = image_version(image);
    let spec = &plain.spec;
    let mut template = serde_json::to_value(&spec.template)?;
    let mut labels: serde_json::Map<String, Value> = template["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    labels.retain(|k, _| !adoption.selector.contains_key(k));
    labels.insert(NAME_LABEL.into(), json!(s.name));
    labels.insert(MANAGED_BY_LABEL.into(), json!("msv"));
    labels.insert(COLOR_LABEL.into(), json!(color.as_str()));
    labels.insert(VERSION_LABEL.into(), json!(label_value(&version)));
    template["metadata"]["labels"] = Value::Object(labels);
    if let Some(c) = template["spec"]["containers"].get_mut(0) {
        c["image"] = json!(image);
    }
    let d = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": deployment_name(&s.name, color), "namespace": s.namespace,
                     "labels": {NAME_LABEL: s.name, MANAGED_BY_LABEL: "msv", COLOR_LABEL: color.as_str(), VERSION_LABEL: label_value(&version)}},
        "spec": {
            "replicas": replicas,
            "progressDeadlineSeconds": s.progress_deadline_seconds,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": {NAME_LABEL: s.name, COLOR_LABEL: color.as_str()}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
            "template": template
        }
    });
    typed(d, "the adopted Deployment")
}

/// The preview Service of an adoption: `S`'s own ports, selecting the candidate.
pub fn adopted_preview(s: &ServiceSettings, color: Color, adopted: &Service) -> Result<Service> {
    let ports: Vec<Value> = adopted
        .spec
        .as_ref()
        .and_then(|sp| sp.ports.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let mut v = serde_json::to_value(p).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.remove("nodePort");
            }
            v
        })
        .collect();
    typed(
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": preview_name(&s.name), "namespace": s.namespace, "labels": s.labels()},
            "spec": {
                "type": "ClusterIP",
                "selector": {NAME_LABEL: s.name, COLOR_LABEL: color.as_str()},
                "ports": ports
            }
        }),
        "the preview Service",
    )
}

/// The HPA, targeting the live color's Deployment.
pub fn hpa(s: &ServiceSettings, a: &Autoscaling, live: Color) -> Result<HorizontalPodAutoscaler> {
    typed(
        json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": s.name, "namespace": s.namespace, "labels": s.labels()},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment_name(&s.name, live)},
                "minReplicas": a.min_replicas,
                "maxReplicas": a.max_replicas,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": a.cpu_percent}}}]
            }
        }),
        "the HorizontalPodAutoscaler",
    )
}

/// The PDB, covering the live color's pods.
pub fn pdb(s: &ServiceSettings, live: Color) -> Result<PodDisruptionBudget> {
    typed(
        json!({
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": s.name, "namespace": s.namespace, "labels": s.labels()},
            "spec": {
                "maxUnavailable": 1,
                "selector": {"matchLabels": {NAME_LABEL: s.name, COLOR_LABEL: live.as_str()}}
            }
        }),
        "the PodDisruptionBudget",
    )
}

/// All objects of a deploy of `image` to `color` as a multi-document YAML stream.
pub fn render_yaml(
    s: &ServiceSettings,
    color: Color,
    image: &str,
    replicas: i32,
) -> Result<String> {
    let mut docs: Vec<Value> = vec![
        serde_json::to_value(deployment(s, color, image, replicas)?)?,
        serde_json::to_value(service(s, color, false)?)?,
        serde_json::to_value(service(s, color, true)?)?,
    ];
    if let Some(a) = &s.autoscaling {
        docs.push(serde_json::to_value(hpa(s, a, color)?)?);
    }
    if s.wants_pdb() {
        docs.push(serde_json::to_value(pdb(s, color)?)?);
    }
    let mut out = String::new();
    for d in docs {
        out.push_str("---\n");
        out.push_str(&crate::output::yaml(&d)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_servers_get_the_pre_stop_delay_as_an_exec() {
        let s = ServiceSettings::new("orders", "shop");
        let mut d = deployment(&s, Color::Blue, "orders:1", 1).unwrap();
        exec_pre_stop(&mut d);
        let c = &d.spec.template.spec.unwrap().containers[0];
        let pre_stop = c.lifecycle.as_ref().unwrap().pre_stop.as_ref().unwrap();
        assert!(pre_stop.sleep.is_none());
        let command = pre_stop.exec.as_ref().unwrap().command.clone().unwrap();
        assert_eq!(command, ["sleep", &s.pre_stop_seconds.to_string()]);
    }

    #[test]
    fn deployment_carries_color_in_name_selector_and_pods() {
        let s = ServiceSettings::new("orders", "shop");
        let d = deployment(&s, Color::Green, "localhost:5000/orders:1.4", 3).unwrap();
        assert_eq!(d.metadata.name.as_deref(), Some("orders-green"));
        let spec = d.spec;
        let sel = spec.selector.match_labels.unwrap();
        assert_eq!(sel[COLOR_LABEL], "green");
        assert_eq!(sel[NAME_LABEL], "orders");
        let pod = spec.template.spec.unwrap();
        let c = &pod.containers[0];
        let env: BTreeMap<_, _> = c
            .env
            .iter()
            .flatten()
            .map(|e| (e.name.clone(), e.value.clone().unwrap()))
            .collect();
        assert_eq!(env["OTEL_SERVICE_NAME"], "orders");
        assert!(env["OTEL_RESOURCE_ATTRIBUTES"].contains("service.version=1.4"));
        assert!(env["OTEL_RESOURCE_ATTRIBUTES"].contains("deployment.color=green"));
        assert_eq!(
            c.readiness_probe
                .as_ref()
                .unwrap()
                .http_get
                .as_ref()
                .unwrap()
                .path
                .as_deref(),
            Some("/readyz")
        );
        assert_eq!(
            c.liveness_probe
                .as_ref()
                .unwrap()
                .http_get
                .as_ref()
                .unwrap()
                .path
                .as_deref(),
            Some("/healthz")
        );
        assert_eq!(pod.security_context.unwrap().run_as_non_root, Some(true));
        assert_eq!(pod.termination_grace_period_seconds, Some(30));
        assert!(c.lifecycle.as_ref().unwrap().pre_stop.is_some());
        assert_eq!(spec.replicas, Some(3));
    }

    #[test]
    fn services_select_their_colors() {
        let s = ServiceSettings::new("orders", "shop");
        let live = service(&s, Color::Blue, false).unwrap();
        let preview = service(&s, Color::Green, true).unwrap();
        assert_eq!(live.metadata.name.as_deref(), Some("orders"));
        assert_eq!(preview.metadata.name.as_deref(), Some("orders-preview"));
        assert_eq!(
            preview.spec.unwrap().selector.unwrap()[COLOR_LABEL],
            "green"
        );
    }

    #[test]
    fn digests_become_valid_label_values() {
        assert_eq!(label_value("sha256:abc"), "sha256-abc");
        assert_eq!(label_value(&"a".repeat(80)).len(), 63);
    }

    #[test]
    fn yaml_stream_includes_hpa_and_pdb_when_configured() {
        let mut s = ServiceSettings::new("orders", "shop");
        let y = render_yaml(&s, Color::Blue, "r/orders:1", 2).unwrap();
        assert_eq!(y.matches("---\n").count(), 4);
        assert!(y.contains("kind: PodDisruptionBudget"));
        s.autoscaling = Some(Autoscaling {
            min_replicas: 2,
            max_replicas: 5,
            cpu_percent: 70,
        });
        let y = render_yaml(&s, Color::Blue, "r/orders:1", 2).unwrap();
        assert!(y.contains("kind: HorizontalPodAutoscaler"));
        assert!(y.contains("name: orders-blue"));
    }

    #[test]
    fn the_yaml_stream_reads_back_as_the_objects_it_came_from() {
        let mut s = ServiceSettings::new("orders", "shop");
        // Values a YAML 1.1 reader (kubectl's) would turn into booleans, numbers or null
        // unless they are quoted.
        for (k, v) in [
            ("A", "yes"),
            ("B", "on"),
            ("C", "0755"),
            ("D", "1e3"),
            ("E", "~"),
            ("F", ""),
            ("G", "a: b # c"),
            ("H", "two\nlines"),
            ("I", "n"),
        ] {
            s.env.insert(k.into(), v.into());
        }
        let y = render_yaml(&s, Color::Green, "r/orders:1", 2).unwrap();
        let back: Vec<Value> = serde_saphyr::from_multiple(&y).unwrap();
        let want = vec![
            serde_json::to_value(deployment(&s, Color::Green, "r/orders:1", 2).unwrap()).unwrap(),
            serde_json::to_value(service(&s, Color::Green, false).unwrap()).unwrap(),
            serde_json::to_value(service(&s, Color::Green, true).unwrap()).unwrap(),
            serde_json::to_value(pdb(&s, Color::Green).unwrap()).unwrap(),
        ];
        assert_eq!(back, want);
        for word in ["yes", "on", "n", "0755", "~"] {
            assert!(
                !y.contains(&format!("value: {word}\n")),
                "{word} left unquoted:\n{y}"
            );
        }
    }
}
