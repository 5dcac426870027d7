//! One validated [`Config`] from every place settings come from.
//!
//! Precedence, highest first: flags > `MSV_*` environment variables > the service's
//! msv.toml (found by searching upward, like Cargo.toml) > the global config file
//! (`$XDG_CONFIG_HOME/msv/config.toml`, or `$MSV_CONFIG`) > defaults. Every value remembers
//! where it came from, for `msv config show`. Kubeconfig resolution (context, namespace)
//! lives in [`kube`]; talking to a cluster does not belong here.

pub mod kube;
pub mod schema;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::cli::{Command, GlobalArgs};
pub use schema::{KEYS, Kind, Layer, TraceBackend};

/// The name of a service's configuration file.
pub const MANIFEST: &str = "msv.toml";

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    Global(PathBuf),
    Manifest(PathBuf),
    Env(String),
    Flag(String),
    /// Resolved from the kubeconfig (context and namespace).
    Kubeconfig(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::Global(path) => write!(f, "global config {}", path.display()),
            Source::Manifest(path) => write!(f, "{}", path.display()),
            Source::Env(var) => write!(f, "env {var}"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Kubeconfig(what) => write!(f, "kubeconfig {what}"),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A value set on the command line, as `(key path, value, flag name)`.
#[derive(Debug, Clone)]
pub struct Override {
    pub path: &'static str,
    pub value: Value,
    pub flag: &'static str,
}

/// Merged, validated settings. Keys with a default are always set.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub service: Service,
    pub image: Image,
    pub deploy: Deploy,
    pub kubernetes: Kubernetes,
    pub traces: Traces,
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub name: Option<String>,
    pub port: u16,
    pub health_path: String,
    pub readiness_path: String,
    pub replicas: u32,
    pub resources: Resources,
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resources {
    pub cpu_request: Option<String>,
    pub cpu_limit: Option<String>,
    pub memory_request: Option<String>,
    pub memory_limit: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Image {
    pub registry: Option<String>,
    pub repository: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deploy {
    pub timeout: Duration,
    pub verify_for: Duration,
    pub scale_down_delay: Duration,
    pub keep_old: bool,
    pub probe_timeout: Duration,
    /// Lease duration of the deploy lock: a holder that stops renewing loses it this late.
    pub lock_lease: Duration,
    /// A PodDisruptionBudget on the live color (when it has more than one pod).
    pub disruption_budget: bool,
    pub autoscaling: Option<Autoscaling>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Autoscaling {
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub cpu_percent: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Kubernetes {
    pub context: Option<String>,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Traces {
    pub backend: Option<TraceBackend>,
    pub url: Option<String>,
    pub service: Option<String>,
}

/// Everything a command needs to know before it starts work.
#[derive(Debug, Clone)]
pub struct Config {
    /// The service's msv.toml, if one was found.
    pub manifest: Option<PathBuf>,
    /// The global config file's path (whether or not it exists).
    pub global_file: Option<PathBuf>,
    pub settings: Settings,
    /// Every set value by dotted key, with its source.
    pub values: BTreeMap<String, (Value, Source)>,
    /// `--kubeconfig`, if given.
    pub kubeconfig_flag: Option<PathBuf>,
}

impl Config {
    /// Loads every layer. `start` is where the search for msv.toml begins (a command's DIR
    /// argument, else the working directory).
    pub fn load(
        global: &GlobalArgs,
        start: &Path,
        overrides: &[Override],
    ) -> anyhow::Result<Config> {
        let env = |name: &str| std::env::var(name).ok();
        Config::load_from(global, start, overrides, &env, global_config_path(&env))
    }

    fn load_from(
        global: &GlobalArgs,
        start: &Path,
        overrides: &[Override],
        env: &dyn Fn(&str) -> Option<String>,
        global_file: Option<PathBuf>,
    ) -> anyhow::Result<Config> {
        let mut values: BTreeMap<String, (Value, Source)> = BTreeMap::new();
        for key in KEYS {
            if let Some(default) = key.default {
                values.insert(
                    key.path.to_string(),
                    (scalar(key.kind, default), Source::Default),
                );
            }
        }
        let mut merge = |layer: &Layer, source: Source| {
            for (path, value) in flatten(layer) {
                values.insert(path, (value, source.clone()));
            }
        };

        // A file the user named must be there; only the default location may be absent.
        if let Some(path) = &global_file
            && !path.is_file()
            && env("MSV_CONFIG").is_some_and(|p| !p.is_empty())
        {
            bail!(
                "MSV_CONFIG names {}, which does not exist or is not a file; \
                 fix the path or unset MSV_CONFIG to use the default global config",
                path.display()
            );
        }
        if let Some(path) = &global_file
            && path.is_file()
        {
            let layer = read_layer(path)?;
            if layer.service.is_some() {
                bail!(
                    "{}: the [service] section belongs in a service's {MANIFEST}, not in the global config; move it there",
                    path.display()
                );
            }
            merge(&layer, Source::Global(path.clone()));
        }

        let manifest = find_manifest(start);
        if let Some(path) = &manifest {
            merge(&read_layer(path)?, Source::Manifest(path.clone()));
        }

        for key in KEYS {
            let var = key.env_var();
            if let Some(raw) = env(&var) {
                let value = scalar(key.kind, &raw);
                let layer = layer_of(key.path, value)
                    .with_context(|| format!("environment variable {var}={raw:?} is invalid"))?;
                merge(&layer, Source::Env(var));
            }
        }

        let mut flag_overrides = global_overrides(global);
        flag_overrides.extend(overrides.iter().cloned());
        for o in flag_overrides {
            let layer = layer_of(o.path, o.value.clone())
                .with_context(|| format!("{} {} is invalid", o.flag, o.value))?;
            merge(&layer, Source::Flag(o.flag.to_string()));
        }

        let merged: Layer = serde_json::from_value(unflatten(&values))
            .context("merging configuration layers (this is a bug in msv)")?;
        Ok(Config {
            manifest,
            global_file,
            settings: settings_of(merged),
            values,
            kubeconfig_flag: global.kubeconfig.clone(),
        })
    }

    /// The directory that holds the service's msv.toml.
    pub fn service_dir(&self) -> Option<&Path> {
        self.manifest.as_deref().and_then(Path::parent)
    }

    /// The service name, or an error that says how to provide one.
    pub fn service_name(&self) -> anyhow::Result<&str> {
        match &self.settings.service.name {
            Some(name) => Ok(name),
            None => match &self.manifest {
                Some(path) => bail!(
                    "{} has no service name; add `name = \"...\"` under [service]",
                    path.display()
                ),
                None => bail!(
                    "no {MANIFEST} found in this directory or any parent; run inside a service created by \
                     `msv new`, pass the service's directory (build, deploy, manifests) or name \
                     (history, rollback) as an argument, or set MSV_SERVICE_NAME"
                ),
            },
        }
    }

    /// `registry/repository` without a tag; repository defaults to the service name.
    pub fn image_repository(&self) -> anyhow::Result<String> {
        let repository = match &self.settings.image.repository {
            Some(repository) => repository.clone(),
            None => self.service_name()?.to_string(),
        };
        Ok(match &self.settings.image.registry {
            Some(registry) => format!("{registry}/{repository}"),
            None => repository,
        })
    }
}

/// The global config file: `$MSV_CONFIG`, else `<XDG config dir>/msv/config.toml`.
fn global_config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(path) = env("MSV_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    use etcetera::BaseStrategy as _;
    etcetera::choose_base_strategy()
        .ok()
        .map(|dirs| dirs.config_dir().join("msv").join("config.toml"))
}

/// Searches `start` and its parents for msv.toml.
pub fn find_manifest(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    start
        .ancestors()
        .map(|dir| dir.join(MANIFEST))
        .find(|path| path.is_file())
}

fn read_layer(path: &Path) -> anyhow::Result<Layer> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    // toml's message already names the line and column and shows the offending text.
    toml::from_str(&text).map_err(|err| {
        let message = plain_types(err.to_string().trim_end());
        anyhow::anyhow!("{}: {message}", path.display())
    })
}

/// serde names the Rust type a value failed to become (`expected u32`); say what to write.
fn plain_types(message: &str) -> String {
    [
        ("expected u16", "expected a whole number"),
        ("expected u32", "expected a whole number (0 or more)"),
        ("expected u64", "expected a whole number (0 or more)"),
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected a boolean", "expected true or false"),
        ("expected a string", "expected a quoted string"),
    ]
    .iter()
    .fold(message.to_string(), |m, (rust, plain)| {
        m.replace(rust, plain)
    })
}

/// The layer holding a single value at `path`, validated by the schema's types.
fn layer_of(path: &str, value: Value) -> anyhow::Result<Layer> {
    let mut root = Map::new();
    insert_path(&mut root, path, value);
    serde_json::from_value(Value::Object(root))
        .map_err(|err| anyhow::anyhow!("{}", plain_types(&err.to_string())))
}

/// Parses a string from the environment or a flag into the JSON value its key expects;
/// a value of the wrong kind is left as a string so the schema reports it.
fn scalar(kind: Kind, raw: &str) -> Value {
    match kind {
        Kind::String => Value::String(raw.to_string()),
        Kind::Integer => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(raw.into())),
        Kind::Bool => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Value::Bool(true),
            "false" | "0" | "no" => Value::Bool(false),
            _ => Value::String(raw.into()),
        },
    }
}

fn global_overrides(global: &GlobalArgs) -> Vec<Override> {
    let mut out = Vec::new();
    if let Some(context) = &global.context {
        out.push(Override {
            path: "kubernetes.context",
            value: context.clone().into(),
            flag: "--context",
        });
    }
    if let Some(namespace) = &global.namespace {
        out.push(Override {
            path: "kubernetes.namespace",
            value: namespace.clone().into(),
            flag: "--namespace",
        });
    }
    out
}

/// The settings a command's own flags override.
pub fn command_overrides(command: &Command) -> Vec<Override> {
    let duration = |d: &Duration| Value::String(humantime::format_duration(*d).to_string());
    let mut out = Vec::new();
    let mut push = |path, value: Value, flag| out.push(Override { path, value, flag });
    match command {
        Command::Deploy(args) => {
            if let Some(d) = &args.timeout {
                push("deploy.timeout", duration(d), "--timeout");
            }
            if let Some(d) = &args.verify_for {
                push("deploy.verify_for", duration(d), "--verify-for");
            }
            if let Some(d) = &args.scale_down_delay {
                push("deploy.scale_down_delay", duration(d), "--scale-down-delay");
                push("deploy.keep_old", false.into(), "--scale-down-delay");
            }
            if args.keep_old {
                push("deploy.keep_old", true.into(), "--keep-old");
            }
        }
        Command::Traces(args) => {
            let backend = match &args.command {
                Some(crate::cli::TracesCommand::List(list)) => &list.backend,
                Some(crate::cli::TracesCommand::Show(show)) => &show.backend,
                None => &args.list.backend,
            };
            if let Some(kind) = backend.backend {
                let name = serde_json::to_value(TraceBackend::from(kind)).expect("serializable");
                push("traces.backend", name, "--backend");
            }
            if let Some(url) = &backend.url {
                push("traces.url", url.clone().into(), "--url");
            }
            if let Some(service) = &backend.backend_service {
                push(
                    "traces.service",
                    service.clone().into(),
                    "--backend-service",
                );
            }
        }
        _ => {}
    }
    out
}

/// `{"deploy": {"timeout": "5m"}}` -> `{"deploy.timeout": "5m"}`. The free-form
/// `service.env` table is flattened one level only, so its keys may contain dots.
pub fn flatten(layer: &Layer) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, value: Value, out: &mut BTreeMap<String, Value>) {
        match value {
            Value::Object(map) if prefix != "service.env" => {
                for (key, value) in map {
                    let path = if prefix.is_empty() {
                        key
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&path, value, out);
                }
            }
            Value::Object(map) => {
                for (key, value) in map {
                    out.insert(format!("service.env.{key}"), value);
                }
            }
            value => {
                out.insert(prefix.to_string(), value);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        "",
        serde_json::to_value(layer).expect("a layer serializes"),
        &mut out,
    );
    out
}

fn insert_path(root: &mut Map<String, Value>, path: &str, value: Value) {
    let (parents, leaf): (Vec<&str>, &str) = match path.strip_prefix("service.env.") {
        Some(name) => (vec!["service", "env"], name),
        None => {
            let mut parts: Vec<&str> = path.split('.').collect();
            let leaf = parts.pop().unwrap_or_default();
            (parts, leaf)
        }
    };
    let mut node = root;
    for part in parents {
        node = node
            .entry(part)
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("configuration paths nest objects only");
    }
    node.insert(leaf.to_string(), value);
}

fn unflatten(values: &BTreeMap<String, (Value, Source)>) -> Value {
    let mut root = Map::new();
    for (path, (value, _)) in values {
        insert_path(&mut root, path, value.clone());
    }
    Value::Object(root)
}

fn settings_of(layer: Layer) -> Settings {
    // Every key with a default was seeded before merging, so these unwraps name a schema
    // default missing from KEYS; the schema test catches that.
    let default = |what: &str| -> ! { panic!("{what} has no default in config::schema::KEYS") };
    let service = layer.service.unwrap_or_default();
    let resources = service.resources.unwrap_or_default();
    let deploy = layer.deploy.unwrap_or_default();
    let autoscaling = deploy.autoscaling.unwrap_or_default();
    let kubernetes = layer.kubernetes.unwrap_or_default();
    let traces = layer.traces.unwrap_or_default();
    let image = layer.image.unwrap_or_default();
    let string = |q: Option<schema::Quantity>| q.map(|q| q.as_str().to_string());
    Settings {
        service: Service {
            name: service.name.map(|n| n.as_str().to_string()),
            port: service.port.unwrap_or_else(|| default("service.port")).0,
            health_path: service
                .health_path
                .unwrap_or_else(|| default("service.health_path"))
                .to_string(),
            readiness_path: service
                .readiness_path
                .unwrap_or_else(|| default("service.readiness_path"))
                .to_string(),
            replicas: service
                .replicas
                .unwrap_or_else(|| default("service.replicas")),
            resources: Resources {
                cpu_request: string(resources.cpu_request),
                cpu_limit: string(resources.cpu_limit),
                memory_request: string(resources.memory_request),
                memory_limit: string(resources.memory_limit),
            },
            env: service.env.unwrap_or_default(),
        },
        image: Image {
            registry: image.registry.map(|r| r.to_string()),
            repository: image.repository.map(|r| r.to_string()),
        },
        deploy: Deploy {
            timeout: deploy
                .timeout
                .unwrap_or_else(|| default("deploy.timeout"))
                .0,
            verify_for: deploy
                .verify_for
                .unwrap_or_else(|| default("deploy.verify_for"))
                .0,
            scale_down_delay: deploy
                .scale_down_delay
                .unwrap_or_else(|| default("deploy.scale_down_delay"))
                .0,
            keep_old: deploy
                .keep_old
                .unwrap_or_else(|| default("deploy.keep_old")),
            probe_timeout: deploy
                .probe_timeout
                .unwrap_or_else(|| default("deploy.probe_timeout"))
                .0,
            lock_lease: deploy
                .lock_lease
                .unwrap_or_else(|| default("deploy.lock_lease"))
                .0,
            disruption_budget: deploy
                .disruption_budget
                .unwrap_or_else(|| default("deploy.disruption_budget")),
            autoscaling: autoscaling.enabled.unwrap_or(false).then(|| Autoscaling {
                min_replicas: autoscaling
                    .min_replicas
                    .unwrap_or_else(|| default("autoscaling.min_replicas")),
                max_replicas: autoscaling
                    .max_replicas
                    .unwrap_or_else(|| default("autoscaling.max_replicas")),
                cpu_percent: autoscaling
                    .cpu_percent
                    .unwrap_or_else(|| default("autoscaling.cpu_percent")),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn load(
        dir: &Path,
        env: &[(&str, &str)],
        global: &GlobalArgs,
        global_file: Option<PathBuf>,
    ) -> anyhow::Result<Config> {
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load_from(
            global,
            dir,
            &[],
            &|name| env.get(name).cloned(),
            global_file,
        )
    }

    #[test]
    fn precedence_is_flags_env_manifest_global_default() {
        let tmp = tempfile::tempdir().unwrap();
        let global = tmp.path().join("config.toml");
        std::fs::write(
            &global,
            "[deploy]\ntimeout = \"1m\"\nverify_for = \"1s\"\n[kubernetes]\nnamespace = \"g\"\n",
        )
        .unwrap();
        let svc = tmp.path().join("svc");
        std::fs::create_dir_all(svc.join("src/deep")).unwrap();
        std::fs::write(svc.join(MANIFEST), "[service]\nname = \"orders\"\n[deploy]\ntimeout = \"2m\"\n[kubernetes]\nnamespace = \"m\"\n").unwrap();
        let flags = GlobalArgs {
            namespace: Some("f".into()),
            ..GlobalArgs::default()
        };
        let config = load(
            &svc.join("src/deep"),
            &[("MSV_DEPLOY_TIMEOUT", "3m")],
            &flags,
            Some(global.clone()),
        )
        .unwrap();

        assert_eq!(config.service_dir(), Some(svc.as_path()));
        assert_eq!(config.settings.deploy.timeout, Duration::from_secs(180));
        assert_eq!(
            config.values["deploy.timeout"].1,
            Source::Env("MSV_DEPLOY_TIMEOUT".into())
        );
        assert_eq!(config.settings.deploy.verify_for, Duration::from_secs(1));
        assert_eq!(config.values["deploy.verify_for"].1, Source::Global(global));
        assert_eq!(config.settings.kubernetes.namespace.as_deref(), Some("f"));
        assert_eq!(
            config.values["kubernetes.namespace"].1,
            Source::Flag("--namespace".into())
        );
        assert_eq!(
            config.values["service.name"].1,
            Source::Manifest(svc.join(MANIFEST))
        );
        assert_eq!(config.settings.service.port, 8080);
        assert_eq!(config.values["service.port"].1, Source::Default);
        assert_eq!(config.image_repository().unwrap(), "orders");
    }

    #[test]
    fn env_values_are_validated_and_named() {
        let tmp = tempfile::tempdir().unwrap();
        let err = load(
            tmp.path(),
            &[("MSV_SERVICE_PORT", "http")],
            &GlobalArgs::default(),
            None,
        )
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("MSV_SERVICE_PORT"), "{text}");
        let err = load(
            tmp.path(),
            &[("MSV_SERVICE_NAME", "Bad_Name")],
            &GlobalArgs::default(),
            None,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("try `bad-name`"));
        let ok = load(
            tmp.path(),
            &[("MSV_DEPLOY_KEEP_OLD", "yes")],
            &GlobalArgs::default(),
            None,
        )
        .unwrap();
        assert!(ok.settings.deploy.keep_old);
    }

    #[test]
    fn global_config_may_not_name_a_service() {
        let tmp = tempfile::tempdir().unwrap();
        let global = tmp.path().join("config.toml");
        std::fs::write(&global, "[service]\nname = \"x\"\n").unwrap();
        let err = load(tmp.path(), &[], &GlobalArgs::default(), Some(global)).unwrap_err();
        assert!(err.to_string().contains("belongs in a service's msv.toml"));
    }

    #[test]
    fn env_table_entries_merge_per_key() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(MANIFEST),
            "[service.env]\nRUST_LOG = \"info\"\n\"a.b\" = \"1\"\n",
        )
        .unwrap();
        let config = load(tmp.path(), &[], &GlobalArgs::default(), None).unwrap();
        assert_eq!(config.settings.service.env["a.b"], "1");
        assert_eq!(config.settings.service.env["RUST_LOG"], "info");
        assert!(
            config
                .service_name()
                .unwrap_err()
                .to_string()
                .contains("no service name")
        );
    }

    #[test]
    fn registry_prefixes_the_repository() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(MANIFEST),
            "[service]\nname = \"a\"\n[image]\nregistry = \"localhost:5000/team\"\n",
        )
        .unwrap();
        let config = load(tmp.path(), &[], &GlobalArgs::default(), None).unwrap();
        assert_eq!(config.image_repository().unwrap(), "localhost:5000/team/a");
    }
}
