//! The merged settings as typed values, built from the merged [`Layer`] with the defaults
//! written here once, and the rules that hold between keys (checked at load, naming where
//! each value came from).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::schema::{
    AnalysisSection, Count, HttpPath, Inconclusive as SchemaInconclusive, Layer, MetricName,
    ServiceSection, TracesSection,
};
use crate::analysis::{Gates, Inconclusive, Limits, Names};
use crate::traces::client::Backend;
use crate::traces::connect::{Reach, Source};

/// Merged, validated settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub service: Service,
    pub image: Image,
    pub deploy: Deploy,
    pub kubernetes: Kubernetes,
    pub traces: Traces,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    pub name: Option<String>,
    pub port: u16,
    pub health_path: String,
    pub readiness_path: String,
    /// Replicas on the first deploy; a Deployment's count is an int32.
    pub replicas: i32,
    pub resources: Resources,
    pub env: BTreeMap<String, String>,
    /// In a workspace: the members that must be live before this one switches.
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resources {
    pub cpu_request: Option<String>,
    pub cpu_limit: Option<String>,
    pub memory_request: Option<String>,
    pub memory_limit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Image {
    pub registry: Option<String>,
    pub repository: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deploy {
    /// Replicas of the new color; None: the live color's count, else `service.replicas`.
    pub replicas: Option<i32>,
    pub timeout: Duration,
    pub verify_for: Duration,
    pub scale_down_delay: Duration,
    pub keep_old: bool,
    /// Leave a failed candidate running for inspection instead of scaling it to zero.
    pub keep_failed: bool,
    pub probe_timeout: Duration,
    /// Lease duration of the deploy lock: a holder that stops renewing loses it this late.
    pub lock_lease: Duration,
    /// A PodDisruptionBudget on the live color (when it has more than one pod).
    pub disruption_budget: bool,
    pub autoscaling: Option<Autoscaling>,
    /// The metric gates of the verify window; None when no limit is set.
    pub analysis: Option<Gates>,
    /// The user's own checks, through the preview before the switch and through `S` after.
    pub checks: Vec<crate::checks::Check>,
    /// The user's smoke command against the preview, and how long it may run.
    pub smoke: Option<String>,
    pub smoke_timeout: Duration,
    /// The canary soak before the switch; None when no step is set.
    pub canary: Option<Canary>,
}

/// `[deploy.canary]`: the candidate's share of live traffic at each step, and how long
/// each step lasts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Canary {
    /// Whole percent, increasing, each from 1 to 99.
    pub steps: Vec<u8>,
    pub pause: Duration,
}

/// A step's pause when `deploy.canary.pause` is not set.
pub const CANARY_PAUSE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Autoscaling {
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub cpu_percent: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kubernetes {
    pub context: Option<String>,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Traces {
    pub backend: Option<Backend>,
    pub url: Option<String>,
    pub service: Option<String>,
}

/// The autoscaler's settings when it is off, so that turning it on alone is enough.
const AUTOSCALING: Autoscaling = Autoscaling {
    min_replicas: 2,
    max_replicas: 10,
    cpu_percent: 80,
};

impl Default for Settings {
    /// The defaults; `config::schema::KEYS` shows them as text, and a test keeps the two equal.
    fn default() -> Settings {
        Settings {
            service: Service {
                name: None,
                port: 8080,
                health_path: "/healthz".into(),
                readiness_path: "/readyz".into(),
                replicas: 2,
                resources: Resources {
                    cpu_request: Some("100m".into()),
                    cpu_limit: None,
                    memory_request: Some("128Mi".into()),
                    memory_limit: Some("256Mi".into()),
                },
                env: BTreeMap::new(),
                depends_on: vec![],
            },
            image: Image {
                registry: None,
                repository: None,
            },
            deploy: Deploy {
                replicas: None,
                timeout: Duration::from_secs(300),
                verify_for: Duration::from_secs(30),
                scale_down_delay: Duration::from_secs(120),
                keep_old: false,
                keep_failed: false,
                probe_timeout: Duration::from_secs(3),
                lock_lease: Duration::from_secs(15),
                disruption_budget: true,
                autoscaling: None,
                analysis: None,
                checks: vec![],
                smoke: None,
                smoke_timeout: Duration::from_secs(300),
                canary: None,
            },
            kubernetes: Kubernetes {
                context: None,
                namespace: None,
            },
            traces: Traces {
                backend: None,
                url: None,
                service: None,
            },
        }
    }
}

impl Settings {
    /// The settings a merged layer gives: what it sets, else the default.
    pub fn from_layer(layer: Layer) -> Settings {
        let d = Settings::default();
        let service = layer.service.unwrap_or_default();
        let analysis = gates(
            layer
                .deploy
                .as_ref()
                .and_then(|d| d.analysis.clone())
                .unwrap_or_default(),
            &service,
            layer.traces.as_ref(),
        );
        let resources = service.resources.unwrap_or_default();
        let deploy = layer.deploy.unwrap_or_default();
        let autoscaling = deploy.autoscaling.unwrap_or_default();
        let canary = deploy.canary.unwrap_or_default();
        let kubernetes = layer.kubernetes.unwrap_or_default();
        let traces = layer.traces.unwrap_or_default();
        let image = layer.image.unwrap_or_default();
        let or = |q: Option<super::schema::Quantity>, default: Option<String>| {
            q.map(|q| q.as_str().to_string()).or(default)
        };
        let dr = d.service.resources;
        Settings {
            service: Service {
                name: service.name.map(|n| n.as_str().to_string()),
                port: service.port.map_or(d.service.port, |p| p.0),
                health_path: service
                    .health_path
                    .map_or(d.service.health_path, |p| p.to_string()),
                readiness_path: service
                    .readiness_path
                    .map_or(d.service.readiness_path, |p| p.to_string()),
                replicas: service.replicas.map_or(d.service.replicas, Count::get),
                resources: Resources {
                    cpu_request: or(resources.cpu_request, dr.cpu_request),
                    cpu_limit: or(resources.cpu_limit, dr.cpu_limit),
                    memory_request: or(resources.memory_request, dr.memory_request),
                    memory_limit: or(resources.memory_limit, dr.memory_limit),
                },
                env: service.env.unwrap_or_default(),
                depends_on: service.depends_on.map(|d| d.0).unwrap_or_default(),
            },
            image: Image {
                registry: image.registry.map(|r| r.to_string()),
                repository: image.repository.map(|r| r.to_string()),
            },
            deploy: Deploy {
                replicas: deploy.replicas.map(Count::get),
                timeout: deploy.timeout.map_or(d.deploy.timeout, |t| t.0),
                verify_for: deploy.verify_for.map_or(d.deploy.verify_for, |s| s.0),
                scale_down_delay: deploy
                    .scale_down_delay
                    .map_or(d.deploy.scale_down_delay, |s| s.0),
                keep_old: deploy.keep_old.unwrap_or(d.deploy.keep_old),
                keep_failed: deploy.keep_failed.unwrap_or(d.deploy.keep_failed),
                probe_timeout: deploy.probe_timeout.map_or(d.deploy.probe_timeout, |t| t.0),
                lock_lease: deploy.lock_lease.map_or(d.deploy.lock_lease, |s| s.0),
                disruption_budget: deploy
                    .disruption_budget
                    .unwrap_or(d.deploy.disruption_budget),
                autoscaling: autoscaling.enabled.unwrap_or(false).then(|| Autoscaling {
                    min_replicas: autoscaling
                        .min_replicas
                        .map_or(AUTOSCALING.min_replicas, Count::get),
                    max_replicas: autoscaling
                        .max_replicas
                        .map_or(AUTOSCALING.max_replicas, Count::get),
                    cpu_percent: autoscaling
                        .cpu_percent
                        .map_or(AUTOSCALING.cpu_percent, Count::get),
                }),
                analysis,
                checks: deploy.checks.unwrap_or_default(),
                smoke: deploy.smoke.filter(|c| !c.trim().is_empty()),
                smoke_timeout: deploy.smoke_timeout.map_or(d.deploy.smoke_timeout, |t| t.0),
                canary: canary.steps.filter(|s| !s.0.is_empty()).map(|s| Canary {
                    steps: s.0,
                    pause: canary.pause.map_or(CANARY_PAUSE, |p| p.0),
                }),
            },
            kubernetes: Kubernetes {
                context: kubernetes.context,
                namespace: kubernetes.namespace.map(|n| n.to_string()),
            },
            traces: Traces {
                backend: traces.backend,
                url: traces.url.map(|u| u.to_string()),
                service: traces.service,
            },
        }
    }

    /// What is wrong between keys — each value is valid alone — as `(message, keys involved)`.
    pub fn conflicts(&self) -> Vec<(String, Vec<&'static str>)> {
        let mut out = Vec::new();
        if let Some(c) = &self.deploy.canary
            && c.pause.is_zero()
        {
            out.push((
                "a canary step of no time measures nothing: give deploy.canary.pause a duration such as \"2m\"".to_string(),
                vec!["deploy.canary.pause", "deploy.canary.steps"],
            ));
        }
        if let Some(g) = &self.deploy.analysis
            && g.limits.max_error_traces_ratio.is_some()
            && g.traces.is_none()
        {
            out.push((
                "the trace-error gate needs a trace backend: set [traces] backend and url (or service)"
                    .to_string(),
                vec!["deploy.analysis.max_error_traces_ratio", "traces.backend"],
            ));
        }
        if let Some(a) = &self.deploy.autoscaling {
            if a.min_replicas == 0 {
                out.push((
                    "the autoscaler needs at least 1 replica: min_replicas is 0".to_string(),
                    vec!["deploy.autoscaling.min_replicas"],
                ));
            }
            if a.min_replicas > a.max_replicas {
                out.push((
                    format!(
                        "the autoscaler's min_replicas ({}) is more than its max_replicas ({})",
                        a.min_replicas, a.max_replicas
                    ),
                    vec![
                        "deploy.autoscaling.min_replicas",
                        "deploy.autoscaling.max_replicas",
                    ],
                ));
            }
            if a.cpu_percent == 0 {
                out.push((
                    "the autoscaler's cpu_percent is 0, a target no pod can meet".to_string(),
                    vec!["deploy.autoscaling.cpu_percent"],
                ));
            }
        }
        out
    }
}

/// Keys that say the same thing two ways, so that setting both is ambiguous: `set` tells
/// whether a key is set in any layer.
pub fn exclusive(set: impl Fn(&str) -> bool) -> Vec<(String, Vec<&'static str>)> {
    const PAIRS: &[(&str, &str, &str)] = &[(
        "deploy.analysis.prometheus_url",
        "deploy.analysis.prometheus_service",
        "Prometheus is reached either at a URL or as a Service through the API server, not both: set one of deploy.analysis.prometheus_url and prometheus_service",
    )];
    PAIRS
        .iter()
        .filter(|(a, b, _)| set(a) && set(b))
        .map(|(a, b, why)| (why.to_string(), vec![*a, *b]))
        .collect()
}

/// The analysis in force: on when any limit is set, with the templates' metric names and
/// the service's own probe paths left out of the counts.
fn gates(
    a: AnalysisSection,
    service: &ServiceSection,
    traces: Option<&TracesSection>,
) -> Option<Gates> {
    let limits = Limits {
        max_error_ratio: a.max_error_ratio.map(|r| r.0),
        max_p99: a.max_p99.map(|t| t.0),
        max_p99_ratio: a.max_p99_ratio.map(|f| f.0),
        min_requests: a.min_requests.map_or(20, |c| c.get() as u64),
        inconclusive: match a.inconclusive {
            Some(SchemaInconclusive::Fail) => Inconclusive::Fail,
            _ => Inconclusive::Pass,
        },
        max_error_traces_ratio: a.max_error_traces_ratio.map(|r| r.0),
        min_traces: a.min_traces.map_or(10, |c| c.get() as u64),
    };
    if !limits.any() {
        return None;
    }
    let limits_traces = limits.max_error_traces_ratio.map(|_| ());
    let name =
        |n: Option<MetricName>, default: &str| n.map_or(default.to_string(), |n| n.to_string());
    let metrics_path = a
        .metrics_path
        .map_or("/metrics".to_string(), |p| p.to_string());
    let path = |p: &Option<HttpPath>, default: &str| {
        p.as_ref().map_or(default.to_string(), |p| p.to_string())
    };
    Some(Gates {
        limits,
        names: Names {
            duration_metric: name(a.duration_metric, "http_request_duration_seconds"),
            requests_metric: name(a.requests_metric, "http_requests_total"),
            status_label: name(a.status_label, "status"),
            exclude_routes: vec![
                path(&service.health_path, "/healthz"),
                path(&service.readiness_path, "/readyz"),
                metrics_path.clone(),
            ],
        },
        interval: a.interval.map_or(Duration::from_secs(10), |t| t.0),
        metrics_path,
        prometheus: match (a.prometheus_url, a.prometheus_service) {
            (Some(url), _) => Some(Reach::Url(url.to_string())),
            (None, Some(spec)) => Some(Reach::Service(spec)),
            (None, None) => None,
        },
        // Only when the trace gate is on; a gate without a backend is a conflict (see
        // `conflicts`).
        traces: limits_traces.and_then(|()| {
            let t = traces?;
            Source::from_settings(
                t.backend,
                t.url.as_ref().map(|u| u.to_string()).as_deref(),
                t.service.as_deref(),
            )
            .ok()
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::schema::KEYS;

    #[test]
    fn the_defaults_are_the_ones_the_keys_show() {
        // Every documented default, read through the schema as a file would give it, must
        // produce the typed default.
        let mut text = String::new();
        let mut section = "";
        for key in KEYS.iter().filter(|k| k.default.is_some()) {
            let (sect, name) = key.path.rsplit_once('.').unwrap();
            if sect != section {
                text.push_str(&format!("[{sect}]\n"));
                section = sect;
            }
            let value = key.default.unwrap();
            let value = match key.kind {
                super::super::Kind::String => format!("{value:?}"),
                _ => value.to_string(),
            };
            text.push_str(&format!("{name} = {value}\n"));
        }
        let layer: Layer = toml::from_str(&text).unwrap();
        let mut want = Settings::default();
        let got = Settings::from_layer(layer.clone());
        // `enabled = false` is a documented default; the others are the off autoscaler's.
        assert_eq!(got, want);
        let mut on = layer;
        on.deploy
            .as_mut()
            .unwrap()
            .autoscaling
            .as_mut()
            .unwrap()
            .enabled = Some(true);
        want.deploy.autoscaling = Some(AUTOSCALING);
        assert_eq!(Settings::from_layer(on), want);
    }

    #[test]
    fn an_autoscaler_that_cannot_work_is_a_conflict() {
        let mut s = Settings::default();
        assert!(s.conflicts().is_empty());
        s.deploy.autoscaling = Some(Autoscaling {
            min_replicas: 5,
            max_replicas: 3,
            cpu_percent: 0,
        });
        let found = s.conflicts();
        assert_eq!(found.len(), 2);
        assert!(
            found[0]
                .0
                .contains("min_replicas (5) is more than its max_replicas (3)")
        );
        assert_eq!(found[1].1, vec!["deploy.autoscaling.cpu_percent"]);
    }
}
