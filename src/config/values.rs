//! The validated values msv.toml holds: names, paths, quantities, counts, durations,
//! ratios. Each checks itself while it is deserialized, so that files, the environment and
//! flags share one set of rules and a bad value is reported where it is written.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::name;

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

/// `deploy.canary.steps`: the candidate's share of the traffic at each step of a canary
/// soak, in whole percent, each step larger than the last. Written `["10%", "50%"]` in
/// msv.toml and `10%,50%` in `MSV_DEPLOY_CANARY_STEPS` or `--canary`; empty means no soak.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CanarySteps(pub Vec<u8>);

impl CanarySteps {
    fn from_items<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut steps: Vec<u8> = vec![];
        for item in items {
            let item = item.trim();
            let digits = item.strip_suffix('%').unwrap_or(item).trim();
            let share = match digits.parse::<u8>() {
                Ok(n) if (1..=99).contains(&n) => n,
                _ => {
                    return Err(format!(
                        "canary step {item:?} is not a share of traffic: give whole percent from 1% to 99%, e.g. \"10%\" (the last step, 100%, is the switch itself)"
                    ));
                }
            };
            if let Some(last) = steps.last()
                && share <= *last
            {
                return Err(format!(
                    "canary step {share}% does not grow from the step before it ({last}%): list the shares in increasing order, e.g. [\"10%\", \"50%\"]"
                ));
            }
            steps.push(share);
        }
        Ok(CanarySteps(steps))
    }
}

impl FromStr for CanarySteps {
    type Err = String;
    /// `10%,50%`; an empty string is no soak.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "" => Ok(CanarySteps::default()),
            s => CanarySteps::from_items(s.split(',')),
        }
    }
}

impl<'de> Deserialize<'de> for CanarySteps {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Item {
            Text(String),
            Number(i64),
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            List(Vec<Item>),
            Text(String),
        }
        let written = Written::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "canary steps are a list of shares such as [\"10%\", \"50%\"] (or \"10%,50%\")",
            )
        })?;
        let parsed = match written {
            Written::Text(s) => s.parse(),
            Written::List(items) => {
                let items: Vec<String> = items
                    .into_iter()
                    .map(|i| match i {
                        Item::Text(s) => s,
                        Item::Number(n) => n.to_string(),
                    })
                    .collect();
                CanarySteps::from_items(items.iter().map(String::as_str))
            }
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

impl Serialize for CanarySteps {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|p| format!("{p}%")))
    }
}

#[cfg(test)]
mod canary_tests {
    use super::*;

    #[test]
    fn canary_steps_from_toml_the_environment_and_flags() {
        let from_toml: CanarySteps = toml::from_str::<toml::Table>("s = [\"10%\", \"50\", 75]")
            .unwrap()["s"]
            .clone()
            .try_into()
            .unwrap();
        assert_eq!(from_toml, CanarySteps(vec![10, 50, 75]));
        assert_eq!("10%, 50%".parse(), Ok(CanarySteps(vec![10, 50])));
        assert_eq!("".parse(), Ok(CanarySteps::default()));
        let json = serde_json::to_value(CanarySteps(vec![10, 50])).unwrap();
        assert_eq!(json, serde_json::json!(["10%", "50%"]));
    }

    #[test]
    fn canary_steps_that_cannot_be_soaked_are_refused_with_the_rule() {
        for (bad, says) in [
            ("0%", "from 1% to 99%"),
            ("100%", "from 1% to 99%"),
            ("12.5%", "whole percent"),
            ("ten", "not a share"),
            ("50%,10%", "increasing order"),
            ("10%,10%", "does not grow"),
        ] {
            let err = bad.parse::<CanarySteps>().unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
