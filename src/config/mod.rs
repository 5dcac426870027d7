//! One validated [`Config`] from every place settings come from.
//!
//! Precedence, highest first: flags > `MSV_*` environment variables > the service's
//! msv.toml (found by searching upward, like Cargo.toml) > the `[workspace.defaults]` of the
//! workspace the service is a member of > the global config file
//! (`$XDG_CONFIG_HOME/msv/config.toml`, or `$MSV_CONFIG`) > defaults. Every value remembers
//! where it came from, for `msv config show`. Kubeconfig resolution (context, namespace)
//! lives in [`kube`]; talking to a cluster does not belong here.

pub mod kube;
mod layers;
pub mod members;
pub mod schema;
mod settings;
pub mod values;
mod workspace;

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
pub use workspace::{Joined, Workspace, join as join_workspace};

/// The name of a service's configuration file.
pub const MANIFEST: &str = "msv.toml";

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    Global(PathBuf),
    Manifest(PathBuf),
    /// `[workspace.defaults]` of the workspace's msv.toml.
    Workspace(PathBuf),
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
            Source::Workspace(path) => write!(f, "workspace defaults {}", path.display()),
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
    /// The service's msv.toml, if one was found (`None` at a workspace's root).
    pub manifest: Option<PathBuf>,
    /// The workspace the service belongs to, or whose root the command runs in.
    pub workspace: Option<Workspace>,
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
            if layer.workspace.is_some() {
                bail!(
                    "{}: [workspace] belongs in the msv.toml at a workspace's root, not in the global config; move it there",
                    path.display()
                );
            }
            if layer.service.is_some() {
                bail!(
                    "{}: the [service] section belongs in a service's {MANIFEST}, not in the global config; move it there",
                    path.display()
                );
            }
            merge(&layer, Source::Global(path.clone()));
        }

        // The msv.toml found is a service's, or a workspace's root (then no service is
        // configured, and commands act on the members). A member inherits the workspace's
        // defaults beneath its own file.
        let found = find_manifest(start);
        let (manifest, workspace) = match &found {
            None => (None, None),
            Some(path) => match workspace::read(path)? {
                (_, Some(ws)) => (None, Some((ws, None))),
                (layer, None) => {
                    let ws = path
                        .parent()
                        .map(workspace::enclosing)
                        .transpose()?
                        .flatten();
                    (Some(path.clone()), ws.map(|ws| (ws, Some(layer))))
                }
            },
        };
        let workspace = match workspace {
            Some((ws, own)) => {
                merge(&ws.defaults, Source::Workspace(ws.file.clone()));
                if let (Some(layer), Some(path)) = (own, &manifest) {
                    merge(&layer, Source::Manifest(path.clone()));
                }
                Some(ws)
            }
            None => {
                if let Some(path) = &manifest {
                    merge(&read_layer(path)?, Source::Manifest(path.clone()));
                }
                None
            }
        };

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
            workspace,
            global_file,
            settings,
            values,
            kubeconfig_flag: flags.kubeconfig.clone(),
        })
    }

    /// The workspace whose root the command runs in, with no service of its own: commands
    /// that take one service act on the members instead.
    pub fn workspace_root(&self) -> Option<&Workspace> {
        self.workspace.as_ref().filter(|_| self.manifest.is_none())
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
mod tests;

#[cfg(test)]
mod workspace_tests;
