//! One validated [`Config`] from every place settings come from.
//!
//! Precedence, highest first: flags > `MSV_*` environment variables > the service's
//! msv.toml (found by searching upward, like Cargo.toml) > the global config file
//! (`$XDG_CONFIG_HOME/msv/config.toml`, or `$MSV_CONFIG`) > defaults. Every value remembers
//! where it came from, for `msv config show`. Kubeconfig resolution (context, namespace)
//! lives in [`kube`]; talking to a cluster does not belong here.

pub mod kube;
mod layers;
pub mod schema;
mod settings;
pub mod values;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::Serialize;
use serde_json::Value;

pub use layers::flatten;
use layers::{layer_of, read_layer, scalar, unflatten, whereabouts};
pub use schema::{KEYS, Kind, Layer, parse_duration};
pub use settings::{
    Autoscaling, CANARY_PAUSE, Canary, Deploy, Image, Kubernetes, Resources, Service, Settings,
    Traces,
};

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

/// What the command line says about settings: each flag that is a setting, as an
/// [`Override`] of its key, and the kubeconfig to read. Commands make it from their flags;
/// the configuration never sees the command line itself.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub overrides: Vec<Override>,
    pub kubeconfig: Option<PathBuf>,
}

impl Flags {
    /// Adds `value` for `path`, set by `flag`.
    pub fn set(&mut self, path: &'static str, value: impl Into<Value>, flag: &'static str) {
        self.overrides.push(Override {
            path,
            value: value.into(),
            flag,
        });
    }

    /// Adds a duration the way msv.toml writes one.
    pub fn set_duration(&mut self, path: &'static str, d: Duration, flag: &'static str) {
        self.set(path, humantime::format_duration(d).to_string(), flag);
    }
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
    pub fn load(start: &Path, flags: &Flags) -> anyhow::Result<Config> {
        let env = |name: &str| std::env::var(name).ok();
        Config::load_from(start, flags, &env, global_config_path(&env))
    }

    fn load_from(
        start: &Path,
        flags: &Flags,
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
            let found = std::iter::once(key.env_var())
                .chain(key.old_env_var())
                .find_map(|var| env(&var).map(|raw| (var, raw)));
            if let Some((var, raw)) = found {
                let value = scalar(key.kind, &raw);
                let layer = layer_of(key.path, value)
                    .with_context(|| format!("environment variable {var}={raw:?} is invalid"))?;
                merge(&layer, Source::Env(var));
            }
        }

        for o in &flags.overrides {
            let layer = layer_of(o.path, o.value.clone())
                .with_context(|| format!("{} {} is invalid", o.flag, o.value))?;
            merge(&layer, Source::Flag(o.flag.to_string()));
        }

        let merged: Layer = serde_json::from_value(unflatten(&values))
            .context("merging configuration layers (this is a bug in msv)")?;
        let settings = Settings::from_layer(merged);
        let mut conflicts = settings::exclusive(|k| values.contains_key(k));
        conflicts.extend(settings.conflicts());
        if let Some((message, keys)) = conflicts.into_iter().next() {
            let at: Vec<String> = keys
                .iter()
                .filter_map(|k| values.get(*k).map(|(_, source)| (k, source)))
                .map(|(k, source)| format!("{k} from {}", whereabouts(source, k)))
                .collect();
            bail!(
                "{message} ({}); fix the value where it is set",
                at.join(", ")
            );
        }
        Ok(Config {
            manifest,
            global_file,
            settings,
            values,
            kubeconfig_flag: flags.kubeconfig.clone(),
        })
    }

    /// The directory that holds the service's msv.toml.
    pub fn service_dir(&self) -> Option<&Path> {
        self.manifest.as_deref().and_then(Path::parent)
    }

    /// The directory a command works in: the one given on the command line, else the one
    /// holding msv.toml, else the working directory — absolute, and checked to be a directory.
    pub fn work_dir(&self, arg: Option<&Path>) -> anyhow::Result<PathBuf> {
        let dir = match (arg, self.service_dir()) {
            (Some(dir), _) => dir.to_path_buf(),
            (None, Some(dir)) => dir.to_path_buf(),
            (None, None) => std::env::current_dir()?,
        };
        if !dir.is_dir() {
            bail!("{} is not a directory", dir.display());
        }
        Ok(std::path::absolute(&dir)?)
    }

    /// The service a command is about: the one named on the command line, else msv.toml's.
    pub fn service_or(&self, arg: Option<&crate::name::ServiceName>) -> anyhow::Result<String> {
        match arg {
            Some(name) => Ok(name.to_string()),
            None => Ok(self.service_name()?.to_string()),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn load(
        dir: &Path,
        env: &[(&str, &str)],
        flags: &Flags,
        global_file: Option<PathBuf>,
    ) -> anyhow::Result<Config> {
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load_from(dir, flags, &|name| env.get(name).cloned(), global_file)
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
        let mut flags = Flags::default();
        flags.set("kubernetes.namespace", "f", "--namespace");
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
            &Flags::default(),
            None,
        )
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("MSV_SERVICE_PORT"), "{text}");
        let err = load(
            tmp.path(),
            &[("MSV_SERVICE_NAME", "Bad_Name")],
            &Flags::default(),
            None,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("try `bad-name`"));
        let ok = load(
            tmp.path(),
            &[("MSV_DEPLOY_KEEP_OLD", "yes")],
            &Flags::default(),
            None,
        )
        .unwrap();
        assert!(ok.settings.deploy.keep_old);
    }

    #[test]
    fn canary_steps_from_the_file_the_environment_and_flags() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(MANIFEST),
            "[service]\nname = \"a\"\n[deploy.canary]\nsteps = [\"10%\", \"50%\"]\n",
        )
        .unwrap();
        let config = load(tmp.path(), &[], &Flags::default(), None).unwrap();
        let c = config.settings.deploy.canary.unwrap();
        assert_eq!((c.steps, c.pause), (vec![10, 50], CANARY_PAUSE));
        let env = [
            ("MSV_DEPLOY_CANARY_STEPS", "25%"),
            ("MSV_DEPLOY_CANARY_PAUSE", "30s"),
        ];
        let config = load(tmp.path(), &env, &Flags::default(), None).unwrap();
        let c = config.settings.deploy.canary.unwrap();
        assert_eq!((c.steps, c.pause), (vec![25], Duration::from_secs(30)));
        // An empty list, from any layer, turns a configured soak off.
        let mut flags = Flags::default();
        flags.set("deploy.canary.steps", "", "--canary");
        let config = load(tmp.path(), &[], &flags, None).unwrap();
        assert_eq!(config.settings.deploy.canary, None);
        let err = load(
            tmp.path(),
            &[("MSV_DEPLOY_CANARY_STEPS", "50%,10%")],
            &Flags::default(),
            None,
        )
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("MSV_DEPLOY_CANARY_STEPS") && text.contains("increasing order"),
            "{text}"
        );
        let err = load(
            tmp.path(),
            &[("MSV_DEPLOY_CANARY_PAUSE", "0s")],
            &Flags::default(),
            None,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("measures nothing"), "{err:#}");
    }

    #[test]
    fn prometheus_at_a_url_and_as_a_service_at_once_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(MANIFEST),
            "[service]\nname = \"a\"\n[deploy.analysis]\nmax_error_ratio = 0.1\nprometheus_url = \"http://p:9090\"\n",
        )
        .unwrap();
        assert!(load(tmp.path(), &[], &Flags::default(), None).is_ok());
        let env = [(
            "MSV_DEPLOY_ANALYSIS_PROMETHEUS_SERVICE",
            "monitoring/prometheus:9090",
        )];
        let err = load(tmp.path(), &env, &Flags::default(), None).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("not both")
                && text.contains("deploy.analysis.prometheus_url from")
                && text.contains("MSV_DEPLOY_ANALYSIS_PROMETHEUS_SERVICE"),
            "{text}"
        );
    }

    #[test]
    fn global_config_may_not_name_a_service() {
        let tmp = tempfile::tempdir().unwrap();
        let global = tmp.path().join("config.toml");
        std::fs::write(&global, "[service]\nname = \"x\"\n").unwrap();
        let err = load(tmp.path(), &[], &Flags::default(), Some(global)).unwrap_err();
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
        let config = load(tmp.path(), &[], &Flags::default(), None).unwrap();
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
        let config = load(tmp.path(), &[], &Flags::default(), None).unwrap();
        assert_eq!(config.image_repository().unwrap(), "localhost:5000/team/a");
    }

    #[test]
    fn an_autoscaler_that_cannot_work_is_refused_at_load_naming_where() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(MANIFEST),
            "[service]\nname = \"a\"\n[deploy.autoscaling]\nenabled = true\nmin_replicas = 12\n",
        )
        .unwrap();
        let err = load(tmp.path(), &[], &Flags::default(), None).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("min_replicas (12) is more than its max_replicas (10)"),
            "{text}"
        );
        assert!(text.contains("msv.toml:5:1"), "{text}");
        assert!(
            text.contains("deploy.autoscaling.max_replicas from default"),
            "{text}"
        );
        // The same value from the environment is named by its variable.
        let ok = load(
            tmp.path(),
            &[("MSV_DEPLOY_AUTOSCALING_MAX_REPLICAS", "20")],
            &Flags::default(),
            None,
        )
        .unwrap();
        assert_eq!(ok.settings.deploy.autoscaling.unwrap().max_replicas, 20);
        let err = load(
            tmp.path(),
            &[("MSV_DEPLOY_AUTOSCALING_MAX_REPLICAS", "3000000000")],
            &Flags::default(),
            None,
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("more than Kubernetes allows"),
            "{err:#}"
        );
    }

    #[test]
    fn flags_are_a_layer_like_the_others() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(MANIFEST),
            "[service]\nname = \"a\"\n[deploy]\nkeep_failed = false\nprobe_timeout = \"9s\"\n",
        )
        .unwrap();
        let mut flags = Flags::default();
        flags.set("deploy.keep_failed", true, "--keep-failed");
        flags.set("deploy.replicas", 4, "--replicas");
        flags.set_duration(
            "deploy.probe_timeout",
            Duration::from_secs(1),
            "--probe-timeout",
        );
        let config = load(tmp.path(), &[("MSV_NAMESPACE", "team")], &flags, None).unwrap();
        let d = &config.settings.deploy;
        assert!(d.keep_failed);
        assert_eq!(d.replicas, Some(4));
        assert_eq!(d.probe_timeout, Duration::from_secs(1));
        assert_eq!(
            config.values["deploy.probe_timeout"].1,
            Source::Flag("--probe-timeout".into())
        );
        assert_eq!(
            config.settings.kubernetes.namespace.as_deref(),
            Some("team")
        );
        assert_eq!(
            config.values["kubernetes.namespace"].1,
            Source::Env("MSV_NAMESPACE".into())
        );
    }
}
