//! `msv config show`: the merged configuration and where each value came from.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::cli::ConfigCommand;
use crate::config::{KEYS, Source};
use crate::exit::ExitCode;
use crate::output::OutputFormat;
use crate::output::{Cell, Table, Tone};

use super::Context;

#[derive(Serialize)]
struct Shown {
    /// The service's msv.toml, if one was found.
    manifest: Option<PathBuf>,
    /// The global config file msv reads (it may not exist).
    global_config: Option<PathBuf>,
    /// The workspace's msv.toml, for a member or at the workspace's root.
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace: Option<PathBuf>,
    /// Every key: its value (null when unset) and where it came from.
    values: BTreeMap<String, Entry>,
    /// The Kubernetes target resolved from the kubeconfig; null when there is no kubeconfig.
    kubernetes: Option<KubeShown>,
}

#[derive(Serialize)]
struct Entry {
    value: Value,
    source: Option<Source>,
    env: Option<String>,
}

#[derive(Serialize)]
struct KubeShown {
    kubeconfig: Vec<PathBuf>,
    context: String,
    context_source: Source,
    namespace: String,
    namespace_source: Source,
}

pub fn run(command: &ConfigCommand, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ConfigCommand::Show = command;
    let format = ctx.printer.format("config show")?;
    let config = ctx.config(None)?;

    let mut values = BTreeMap::new();
    for key in KEYS {
        let (value, source) = match config.values.get(key.path) {
            Some((value, source)) => (value.clone(), Some(source.clone())),
            None => (Value::Null, None),
        };
        values.insert(
            key.path.to_string(),
            Entry {
                value,
                source,
                env: Some(key.env_var()),
            },
        );
    }
    for (path, (value, source)) in config
        .values
        .iter()
        .filter(|(path, _)| path.starts_with("service.env.") || *path == "deploy.checks")
    {
        values.insert(
            path.clone(),
            Entry {
                value: value.clone(),
                source: Some(source.clone()),
                env: None,
            },
        );
    }

    // No kubeconfig at all is normal on a machine without clusters: show that. A kubeconfig
    // that exists but cannot be read is an error.
    let env = std::env::var("KUBECONFIG").ok();
    let home = std::env::home_dir();
    let kubernetes = match crate::config::kube::kubeconfig_files(
        config.kubeconfig_flag.as_deref(),
        env.as_deref(),
        home.as_deref(),
    ) {
        Err(why) if config.kubeconfig_flag.is_some() => return Err(why),
        Err(why) => {
            ctx.printer.debug(1, &format!("{why:#}"));
            None
        }
        Ok(files) => {
            let kubeconfig = crate::config::kube::read_kubeconfig(&files)?;
            let target = config.kube_target_from(files, kubeconfig)?;
            Some(KubeShown {
                kubeconfig: target.files,
                context: target.context,
                context_source: target.context_source,
                namespace: target.namespace,
                namespace_source: target.namespace_source,
            })
        }
    };

    let shown = Shown {
        manifest: config.manifest.clone(),
        global_config: config.global_file.clone(),
        workspace: config.workspace.as_ref().map(|w| w.file.clone()),
        values,
        kubernetes,
    };
    if format != OutputFormat::Table {
        ctx.printer.data(format, &shown)?;
        return Ok(ExitCode::Success);
    }

    let mut table = Table::new(&["key", "value", "source"]);
    for (key, entry) in &shown.values {
        let value = match &entry.value {
            Value::Null => Cell::tone("-", Tone::Dim),
            Value::String(s) => Cell::new(s.clone()),
            other => Cell::new(other.to_string()),
        };
        let source = entry
            .source
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "unset".into());
        table.row(vec![
            Cell::new(key.clone()),
            value,
            Cell::tone(source, Tone::Dim),
        ]);
    }
    if let Some(kube) = &shown.kubernetes {
        table.row(vec![
            "kubeconfig".into(),
            Cell::new(join(&kube.kubeconfig)),
            Cell::tone("KUBECONFIG / --kubeconfig / ~/.kube/config", Tone::Dim),
        ]);
        table.row(vec![
            "context (resolved)".into(),
            Cell::new(kube.context.clone()),
            Cell::tone(kube.context_source.to_string(), Tone::Dim),
        ]);
        table.row(vec![
            "namespace (resolved)".into(),
            Cell::new(kube.namespace.clone()),
            Cell::tone(kube.namespace_source.to_string(), Tone::Dim),
        ]);
    }
    ctx.printer.table(&table)?;
    if let Some(ws) = config.workspace.as_ref() {
        let members: Vec<String> = ws
            .member_dirs()
            .unwrap_or_default()
            .iter()
            .map(|d| d.strip_prefix(ws.root()).unwrap_or(d).display().to_string())
            .collect();
        ctx.printer.info(&format!(
            "workspace: {} (members: {})",
            ws.file.display(),
            members.join(", ")
        ));
    }
    match &shown.manifest {
        Some(path) => ctx
            .printer
            .info(&format!("service config: {}", path.display())),
        None if config.workspace.is_some() => ctx.printer.info(
            "service config: none (this is the workspace's root: commands act on its members)",
        ),
        None => ctx
            .printer
            .info("service config: none (no msv.toml here or in any parent directory)"),
    }
    Ok(ExitCode::Success)
}

fn join(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}
