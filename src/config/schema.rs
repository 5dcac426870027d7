//! The msv.toml schema: what every configuration layer may contain, validated while it is
//! deserialized so that a bad value is reported with its file, line and column.
//!
//! The same types read msv.toml, the global config, `MSV_*` environment variables and
//! flags; [`KEYS`] lists every key with its environment variable, default and meaning, and
//! drives `msv config show` and the README reference.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::name::ServiceName;
use crate::traces::client::Backend;

/// One configuration layer (a file, the environment, or flags). Every field is optional;
/// missing values fall through to the next layer.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<DeploySection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traces: Option<TracesSection>,
    /// `[workspace]`, only in a workspace root's msv.toml; taken out before the layers merge.
    #[serde(skip_serializing)]
    pub workspace: Option<super::members::WorkspaceSection>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<ServiceName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<Port>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_path: Option<HttpPath>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness_path: Option<HttpPath>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Count>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourcesSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<super::members::DependsOn>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResourcesSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_request: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_request: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<Quantity>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ImageSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<Registry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<Repository>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeploySection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Count>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Timeout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_for: Option<Span>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_down_delay: Option<Span>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_old: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_failed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe_timeout: Option<Timeout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_lease: Option<Span>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disruption_budget: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<AutoscalingSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<AnalysisSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanarySection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smoke: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smoke_timeout: Option<Timeout>,
    /// `[[deploy.checks]]`: one value, replaced whole by a later layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<crate::checks::Check>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_error_ratio: Option<Ratio>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_p99: Option<Timeout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_p99_ratio: Option<Factor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_requests: Option<Count>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inconclusive: Option<Inconclusive>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Timeout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_path: Option<HttpPath>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_metric: Option<MetricName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_metric: Option<MetricName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_label: Option<MetricName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_error_traces_ratio: Option<Ratio>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_traces: Option<Count>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus_url: Option<HttpUrl>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus_service: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CanarySection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<CanarySteps>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause: Option<Span>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<Count>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<Count>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<Count>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Namespace>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TracesSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<Backend>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<HttpUrl>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

/// The kind of a configuration key, for parsing it from an environment variable or flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Float,
    Bool,
}

/// One documented configuration key.
#[derive(Debug)]
pub struct Key {
    /// Dotted path in msv.toml, e.g. `deploy.timeout`.
    pub path: &'static str,
    pub kind: Kind,
    /// The default, as it would be written in msv.toml; `None` when there is none.
    pub default: Option<&'static str>,
    pub help: &'static str,
    /// The environment variable, when it is not `MSV_` and the path in capitals (the
    /// cluster's context and namespace read `MSV_CONTEXT` and `MSV_NAMESPACE`, as their
    /// flags are named).
    pub env: Option<&'static str>,
}

impl Key {
    /// `MSV_DEPLOY_TIMEOUT` for `deploy.timeout`.
    pub fn env_var(&self) -> String {
        match self.env {
            Some(var) => var.to_string(),
            None => self.path_var(),
        }
    }

    /// The name the variable had before it was renamed (the path in capitals), still read
    /// when the new one is unset so that a script written for it keeps its meaning.
    pub fn old_env_var(&self) -> Option<String> {
        self.env.map(|_| self.path_var())
    }

    fn path_var(&self) -> String {
        format!("MSV_{}", self.path.replace('.', "_").to_ascii_uppercase())
    }
}

/// The renamed variables among `names`, each with its current name.
pub fn renamed_env_vars(names: impl IntoIterator<Item = String>) -> Vec<(String, String)> {
    let names: Vec<String> = names.into_iter().collect();
    KEYS.iter()
        .filter_map(|k| Some((k.old_env_var()?, k.env_var())))
        .filter(|(old, _)| names.contains(old))
        .collect()
}

/// The `MSV_*` variables among `names` that look like settings — they start with a section's
/// prefix, such as `MSV_DEPLOY_` — but name no key, each with the closest real variable when
/// one is close: a typo there would otherwise be ignored without a word.
pub fn unknown_env_vars(names: impl IntoIterator<Item = String>) -> Vec<(String, Option<String>)> {
    let known: Vec<String> = KEYS
        .iter()
        .flat_map(|k| std::iter::once(k.env_var()).chain(k.old_env_var()))
        .collect();
    let sections: Vec<String> = KEYS
        .iter()
        .map(|k| {
            format!(
                "MSV_{}_",
                k.path
                    .split('.')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase()
            )
        })
        .collect();
    let mut unknown: Vec<(String, Option<String>)> = names
        .into_iter()
        .filter(|n| sections.iter().any(|s| n.starts_with(s.as_str())) && !known.contains(n))
        .map(|n| {
            let closest = known
                .iter()
                .map(|k| (strsim::levenshtein(&n, k), k))
                .filter(|(edits, _)| *edits <= 2)
                .min_by_key(|(edits, _)| *edits)
                .map(|(_, k)| k.clone());
            (n, closest)
        })
        .collect();
    unknown.sort();
    unknown
}

macro_rules! key {
    ($path:literal, $kind:ident, $default:expr, $help:literal) => {
        Key {
            path: $path,
            kind: Kind::$kind,
            default: $default,
            help: $help,
            env: None,
        }
    };
    ($path:literal, $kind:ident, $default:expr, $help:literal, env = $env:literal) => {
        Key {
            path: $path,
            kind: Kind::$kind,
            default: $default,
            help: $help,
            env: Some($env),
        }
    };
}

/// Every key of msv.toml except the free-form `service.env` table and the
/// `[[deploy.checks]]` list.
pub const KEYS: &[Key] = &[
    key!(
        "service.name",
        String,
        None,
        "Service name: Kubernetes name, image name and OpenTelemetry service.name"
    ),
    key!(
        "service.port",
        Integer,
        Some("8080"),
        "Port the service listens on (its $PORT)"
    ),
    key!(
        "service.health_path",
        String,
        Some("/healthz"),
        "Liveness endpoint, also probed by deploy and status"
    ),
    key!(
        "service.readiness_path",
        String,
        Some("/readyz"),
        "Readiness endpoint"
    ),
    key!(
        "service.replicas",
        Integer,
        Some("2"),
        "Replicas on the first deploy (later deploys keep the live count)"
    ),
    key!(
        "service.depends_on",
        String,
        None,
        "In a workspace: the members that must be live before this one switches in a release (e.g. [\"users\"])"
    ),
    key!(
        "service.resources.cpu_request",
        String,
        Some("100m"),
        "CPU request"
    ),
    key!(
        "service.resources.cpu_limit",
        String,
        None,
        "CPU limit (none by default)"
    ),
    key!(
        "service.resources.memory_request",
        String,
        Some("128Mi"),
        "Memory request"
    ),
    key!(
        "service.resources.memory_limit",
        String,
        Some("256Mi"),
        "Memory limit"
    ),
    key!(
        "image.registry",
        String,
        None,
        "Registry host[:port][/path] images are pushed to"
    ),
    key!(
        "image.repository",
        String,
        None,
        "Repository name in the registry (default: service.name)"
    ),
    key!(
        "deploy.replicas",
        Integer,
        None,
        "Replicas of the new color (default: the live color's count, else service.replicas)"
    ),
    key!(
        "deploy.timeout",
        String,
        Some("5m"),
        "How long the new color may take to become available"
    ),
    key!(
        "deploy.verify_for",
        String,
        Some("30s"),
        "How long to keep probing after the switch before declaring success"
    ),
    key!(
        "deploy.scale_down_delay",
        String,
        Some("2m"),
        "Delay before the old color is scaled to zero"
    ),
    key!(
        "deploy.keep_old",
        Bool,
        Some("false"),
        "Keep the old color running for an instant rollback"
    ),
    key!(
        "deploy.keep_failed",
        Bool,
        Some("false"),
        "Leave a failed candidate running for inspection instead of scaling it to zero"
    ),
    key!(
        "deploy.probe_timeout",
        String,
        Some("3s"),
        "Timeout of one health probe"
    ),
    key!(
        "deploy.lock_lease",
        String,
        Some("15s"),
        "How long the deploy lock outlives a process that stopped renewing it (whole seconds)"
    ),
    key!(
        "deploy.disruption_budget",
        Bool,
        Some("true"),
        "Cover the live color with a PodDisruptionBudget when replicas > 1 or autoscaling is on"
    ),
    key!(
        "deploy.smoke",
        String,
        None,
        "A command run before the switch with MSV_PREVIEW_URL set to the candidate; it must exit 0"
    ),
    key!(
        "deploy.smoke_timeout",
        String,
        Some("5m"),
        "How long the smoke command may run"
    ),
    key!(
        "deploy.canary.steps",
        String,
        None,
        "Canary soak before the switch: the candidate's share of live traffic at each step (e.g. [\"10%\", \"50%\"])"
    ),
    key!(
        "deploy.canary.pause",
        String,
        Some("2m"),
        "How long each canary step soaks, measured side by side with the live color"
    ),
    key!(
        "deploy.autoscaling.enabled",
        Bool,
        Some("false"),
        "Create a HorizontalPodAutoscaler for the live color"
    ),
    key!(
        "deploy.autoscaling.min_replicas",
        Integer,
        Some("2"),
        "Autoscaler minimum"
    ),
    key!(
        "deploy.autoscaling.max_replicas",
        Integer,
        Some("10"),
        "Autoscaler maximum"
    ),
    key!(
        "deploy.autoscaling.cpu_percent",
        Integer,
        Some("80"),
        "Target average CPU utilization"
    ),
    key!(
        "deploy.analysis.max_error_ratio",
        Float,
        None,
        "Largest share of 5xx answers the candidate may give in the verify window (e.g. 0.01)"
    ),
    key!(
        "deploy.analysis.max_p99",
        String,
        None,
        "Largest 99th-percentile latency of the candidate in the verify window (e.g. \"250ms\")"
    ),
    key!(
        "deploy.analysis.max_p99_ratio",
        Float,
        None,
        "Largest candidate p99 over the live color's p99 before the switch (e.g. 1.5)"
    ),
    key!(
        "deploy.analysis.min_requests",
        Integer,
        Some("20"),
        "Fewer requests than this (to the candidate, or to the baseline for the ratio) decide nothing"
    ),
    key!(
        "deploy.analysis.inconclusive",
        String,
        Some("pass"),
        "What a verify window with too few requests counts as: pass or fail"
    ),
    key!(
        "deploy.analysis.interval",
        String,
        Some("10s"),
        "How often the candidate's metrics are read and judged in the verify window"
    ),
    key!(
        "deploy.analysis.metrics_path",
        String,
        Some("/metrics"),
        "Where the pods serve Prometheus text, on service.port"
    ),
    key!(
        "deploy.analysis.duration_metric",
        String,
        Some("http_request_duration_seconds"),
        "Latency histogram (the OpenTelemetry http_server_request_duration_seconds is read when it is absent)"
    ),
    key!(
        "deploy.analysis.requests_metric",
        String,
        Some("http_requests_total"),
        "Request counter (the histogram's _count is read when it is absent)"
    ),
    key!(
        "deploy.analysis.status_label",
        String,
        Some("status"),
        "Label holding the HTTP status (http_response_status_code and code are read when it is absent)"
    ),
    key!(
        "deploy.analysis.max_error_traces_ratio",
        Float,
        None,
        "Largest share of the candidate's traces (service.version) with an error span; needs [traces] backend"
    ),
    key!(
        "deploy.analysis.min_traces",
        Integer,
        Some("10"),
        "Fewer traces of the candidate than this decide nothing"
    ),
    key!(
        "deploy.analysis.prometheus_url",
        String,
        None,
        "Read the metrics from this Prometheus (PromQL over the pods' namespace and pod labels) instead of the pods"
    ),
    key!(
        "deploy.analysis.prometheus_service",
        String,
        None,
        "The same through the API server's service proxy: NAMESPACE/NAME:PORT"
    ),
    key!(
        "kubernetes.context",
        String,
        None,
        "Kubeconfig context (default: current-context)",
        env = "MSV_CONTEXT"
    ),
    key!(
        "kubernetes.namespace",
        String,
        None,
        "Namespace (default: the context's namespace, else \"default\")",
        env = "MSV_NAMESPACE"
    ),
    key!(
        "traces.backend",
        String,
        None,
        "Trace backend: jaeger, jaeger-v3, zipkin or tempo"
    ),
    key!(
        "traces.url",
        String,
        None,
        "Base URL of the trace backend's query API"
    ),
    key!(
        "traces.service",
        String,
        None,
        "The backend inside the cluster, as NAMESPACE/SERVICE:PORT"
    ),
];

pub fn key(path: &str) -> Option<&'static Key> {
    KEYS.iter().find(|key| key.path == path)
}

pub use super::values::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mistyped_env_vars_are_found_with_a_suggestion() {
        let names = [
            "MSV_DEPLOY_TIMOUT",
            "MSV_DEPLOY_TIMEOUT",
            "MSV_REQUIRE_DOCKER",
            "MSV_CONFIG",
            "MSV_SERVICE_COLOUR",
            "PATH",
        ]
        .map(String::from);
        assert_eq!(
            unknown_env_vars(names),
            [
                (
                    "MSV_DEPLOY_TIMOUT".into(),
                    Some("MSV_DEPLOY_TIMEOUT".into())
                ),
                ("MSV_SERVICE_COLOUR".into(), None),
            ]
        );
    }

    #[test]
    fn scalars() {
        assert!("250m".parse::<Quantity>().is_ok());
        assert!("1.5Gi".parse::<Quantity>().is_ok());
        assert!("Mi".parse::<Quantity>().is_err());
        assert!("lots".parse::<Quantity>().is_err());
        assert!("localhost:5000".parse::<Registry>().is_ok());
        assert!("https://r.io".parse::<Registry>().is_err());
        assert!("team/orders".parse::<Repository>().is_ok());
        assert!("Team/orders".parse::<Repository>().is_err());
        assert!("healthz".parse::<HttpPath>().is_err());
        assert!("http://jaeger:16686".parse::<HttpUrl>().is_ok());
        assert!("jaeger:16686".parse::<HttpUrl>().is_err());
    }

    #[test]
    fn a_bad_value_in_a_file_is_reported_at_its_line() {
        let err = toml::from_str::<Layer>("[service]\nname = \"Orders\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 2, column 8"), "{text}");
        assert!(text.contains("try `orders`"), "{text}");
        let err = toml::from_str::<Layer>("[service]\nname = \"2fast\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 2, column 8"), "{text}");
        assert!(text.contains("try `svc-2fast`"), "{text}");
        let long = format!("[service]\nname = \"{}\"\n", "a".repeat(56));
        assert!(toml::from_str::<Layer>(&long).is_err());
        let ns = "[kubernetes]\nnamespace = \"2024-q1\"\n";
        assert!(
            toml::from_str::<Layer>(ns).is_ok(),
            "a namespace may start with a digit"
        );
        let err = toml::from_str::<Layer>("[kubernetes]\nnamespace = \"Team\"\n").unwrap_err();
        assert!(
            err.to_string().contains("invalid namespace \"Team\""),
            "{err}"
        );
        let err = toml::from_str::<Layer>("[deploy]\ntimeout = \"soon\"\n").unwrap_err();
        assert!(err.to_string().contains("invalid duration"));
        let err = toml::from_str::<Layer>("[service]\nport = 70000\n").unwrap_err();
        assert!(err.to_string().contains("out of range"));
        let err = toml::from_str::<Layer>("[service]\nprot = 1\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `prot`"), "{err}");
    }

    #[test]
    fn every_key_is_in_the_schema_and_vice_versa() {
        let mut toml_text = String::new();
        let mut section = "";
        for key in KEYS {
            let (sect, name) = key.path.rsplit_once('.').unwrap();
            if sect != section {
                toml_text.push_str(&format!("[{sect}]\n"));
                section = sect;
            }
            let value = match (key.kind, key.path) {
                (Kind::Bool, _) => "true".to_string(),
                (Kind::Integer, _) => "3".to_string(),
                (Kind::Float, _) => "0.5".to_string(),
                (_, "deploy.analysis.inconclusive") => "\"fail\"".into(),
                (_, p)
                    if p.ends_with("max_p99")
                        || p.ends_with("interval")
                        || p.ends_with("smoke_timeout") =>
                {
                    "\"5s\"".into()
                }
                (_, p)
                    if p.ends_with("timeout")
                        || p.ends_with("verify_for")
                        || p.ends_with("delay")
                        || p.ends_with("lease") =>
                {
                    "\"5s\"".into()
                }
                (_, p) if p.ends_with("_path") => "\"/x\"".into(),
                (_, p) if p.starts_with("service.resources") => "\"1\"".into(),
                (_, "traces.backend") => "\"jaeger\"".into(),
                (_, "deploy.analysis.prometheus_url") => "\"http://localhost:1\"".into(),
                (_, "deploy.canary.steps") => "[\"10%\", \"50%\"]".into(),
                (_, "service.depends_on") => "[\"users\"]".into(),
                (_, "deploy.canary.pause") => "\"5s\"".into(),
                (_, "traces.url") => "\"http://localhost:1\"".into(),
                _ => "\"abc\"".into(),
            };
            toml_text.push_str(&format!("{name} = {value}\n"));
        }
        let layer: Layer =
            toml::from_str(&toml_text).unwrap_or_else(|e| panic!("{e}\n{toml_text}"));
        let flat = crate::config::flatten(&layer);
        let mut got: Vec<&str> = flat.keys().map(String::as_str).collect();
        got.sort();
        let mut want: Vec<&str> = KEYS.iter().map(|k| k.path).collect();
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn readme_documents_every_key() {
        let readme = include_str!("../../README.md");
        for key in KEYS {
            let default = key
                .default
                .map(|d| format!("`{d}`"))
                .unwrap_or_else(|| "–".to_string());
            let row = format!(
                "| `{}` | `{}` | {} | {} |",
                key.path,
                key.env_var(),
                default,
                key.help
            );
            assert!(readme.contains(&row), "README.md lacks the row:\n{row}");
        }
    }
}
