//! The msv.toml schema: what every configuration layer may contain, validated while it is
//! deserialized so that a bad value is reported with its file, line and column.
//!
//! The same types read msv.toml, the global config, `MSV_*` environment variables and
//! flags; [`KEYS`] lists every key with its environment variable, default and meaning, and
//! drives `msv config show` and the README reference.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::name::{self, ServiceName};
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
            None => format!("MSV_{}", self.path.replace('.', "_").to_ascii_uppercase()),
        }
    }
}

/// The `MSV_*` variables among `names` that look like settings — they start with a section's
/// prefix, such as `MSV_DEPLOY_` — but name no key, each with the closest real variable when
/// one is close: a typo there would otherwise be ignored without a word.
pub fn unknown_env_vars(names: impl IntoIterator<Item = String>) -> Vec<(String, Option<String>)> {
    let known: Vec<String> = KEYS.iter().map(Key::env_var).collect();
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
            // A key whose variable is not its path in capitals: suggest the real one.
            let renamed = KEYS.iter().find(|k| {
                k.env.is_some()
                    && format!("MSV_{}", k.path.replace('.', "_").to_ascii_uppercase()) == n
            });
            if let Some(k) = renamed {
                return (n, Some(k.env_var()));
            }
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

// ---- validated scalar types -------------------------------------------------------------

/// Declares a string newtype that is validated by `$check` whenever it is deserialized or
/// parsed, so files, environment and flags share one set of rules.
macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $check(s).map(|()| $name(s.to_string()))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

validated_string!(
    /// A Kubernetes namespace (an RFC 1123 label).
    Namespace,
    check_namespace
);
validated_string!(
    /// An HTTP path starting with `/`.
    HttpPath,
    check_http_path
);
validated_string!(
    /// A Kubernetes resource quantity such as `100m`, `0.5`, `128Mi`.
    Quantity,
    check_quantity
);
validated_string!(
    /// `host[:port][/path]` of an image registry.
    Registry,
    check_registry
);
validated_string!(
    /// An image repository path such as `team/orders`.
    Repository,
    check_repository
);
validated_string!(
    /// An http:// or https:// URL.
    HttpUrl,
    check_http_url
);

fn check_namespace(namespace: &str) -> Result<(), String> {
    name::check(&name::NAMESPACE, namespace)
}

fn check_http_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!(
            "`{path}` is not an HTTP path: it must start with '/', e.g. `/healthz`"
        ));
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{path}` is not an HTTP path: it contains whitespace"
        ));
    }
    Ok(())
}

fn check_quantity(q: &str) -> Result<(), String> {
    const SUFFIXES: &[&str] = &[
        "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "m", "k", "M", "G", "T", "P", "E", "",
    ];
    let number = SUFFIXES
        .iter()
        .find_map(|suffix| q.strip_suffix(suffix).filter(|n| !n.is_empty()));
    match number {
        Some(n) if n.parse::<f64>().is_ok_and(|v| v >= 0.0 && v.is_finite()) => Ok(()),
        _ => Err(format!(
            "`{q}` is not a Kubernetes quantity; use e.g. `250m`, `0.5`, `128Mi`, `1Gi`"
        )),
    }
}

fn check_registry(r: &str) -> Result<(), String> {
    let host = r.split('/').next().unwrap_or_default();
    let valid = !host.is_empty()
        && !r.ends_with('/')
        && !r.contains("://")
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:/".contains(c));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{r}` is not a registry; use host[:port][/path], e.g. `registry.example.com/team` or `localhost:5000` (no scheme)"
        ))
    }
}

fn check_repository(r: &str) -> Result<(), String> {
    let valid = !r.is_empty()
        && r.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && part.as_bytes()[0].is_ascii_alphanumeric()
        });
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{r}` is not an image repository; use lowercase path components like `team/orders`"
        ))
    }
}

fn check_http_url(url: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            Ok(())
        }
        _ => Err(format!("`{url}` is not an http:// or https:// URL")),
    }
}

/// Parses `30s`, `5m`, `1h30m`, `250ms`: the one duration syntax of files, variables and flags.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|err| format!("invalid duration `{s}` ({err}); use e.g. 30s, 5m, 1h30m"))
}

/// A count Kubernetes stores as an int32 (replicas, an autoscaler's bounds): 0 to 2147483647,
/// so that a larger one is refused where it is written rather than wrapping to a negative count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Count(i32);

impl Count {
    pub fn get(self) -> i32 {
        self.0
    }
}

impl FromStr for Count {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        match s.parse::<i64>() {
            Ok(n) => Count::try_from(n),
            Err(_) => Err(format!("`{s}` is not a whole number; use e.g. 3")),
        }
    }
}

impl TryFrom<i64> for Count {
    type Error = String;
    fn try_from(n: i64) -> Result<Self, String> {
        match i32::try_from(n) {
            Ok(n) if n >= 0 => Ok(Count(n)),
            _ if n < 0 => Err(format!("{n} is negative; a count is 0 or more")),
            _ => Err(format!(
                "{n} is more than Kubernetes allows (at most {})",
                i32::MAX
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor rather than `i64::deserialize`, so that a wrong type reads "expected a
        // whole number (0 or more)" instead of naming a Rust type.
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Count;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number (0 or more)")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Count, E> {
                Count::try_from(n).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Count, E> {
                Count::try_from(i64::try_from(n).unwrap_or(i64::MAX)).map_err(E::custom)
            }
        }
        d.deserialize_i64(Visitor)
    }
}

/// A share from 0 to 1, such as an error ratio.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Ratio(pub f64);

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        match v {
            v if (0.0..=1.0).contains(&v) => Ok(Ratio(v)),
            _ => Err(serde::de::Error::custom(format!(
                "{v} is not a share from 0 to 1; write 1% as 0.01"
            ))),
        }
    }
}

/// A positive factor, such as the candidate's latency over the baseline's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Factor(pub f64);

impl<'de> Deserialize<'de> for Factor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        match v {
            v if v.is_finite() && v > 0.0 => Ok(Factor(v)),
            _ => Err(serde::de::Error::custom(format!(
                "{v} is not a factor above 0 (1.5 allows 50% more)"
            ))),
        }
    }
}

/// What a verify window with too few requests counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Inconclusive {
    Pass,
    Fail,
}

validated_string!(
    /// A Prometheus metric or label name.
    MetricName,
    check_metric_name
);

fn check_metric_name(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    match ok {
        true => Ok(()),
        false => Err(format!(
            "{s:?} is not a Prometheus name: letters, digits, '_' and ':', not starting with a digit"
        )),
    }
}

/// A duration written like `30s`, `5m`, `1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub Duration);

impl FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_duration(s).map(Span)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

/// A duration that must be more than zero: a timeout of zero would fail at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(pub Duration);

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Span(t) = Span::deserialize(d)?;
        if t.is_zero() {
            return Err(serde::de::Error::custom(
                "a timeout of zero would fail at once; give a positive duration such as \"30s\"",
            ));
        }
        Ok(Timeout(t))
    }
}

impl Serialize for Timeout {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Span(self.0).serialize(s)
    }
}

/// A TCP port, 1 to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Port(pub u16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        match u16::try_from(n) {
            Ok(port) if port > 0 => Ok(Port(port)),
            _ => Err(serde::de::Error::custom(format!(
                "port {n} is out of range; use 1 to 65535"
            ))),
        }
    }
}

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
