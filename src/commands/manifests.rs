//! `msv manifests`: the YAML `msv deploy` would apply, for kubectl and GitOps users.

use crate::cli::ManifestsArgs;
use crate::deploy::manifests::render_yaml;
use crate::exit::ExitCode;
use crate::image::reference::Reference;
use anyhow::{Context as _, Result};

use super::Context;

pub async fn run(args: &ManifestsArgs, ctx: &Context) -> Result<ExitCode> {
    // YAML is all it prints; a `-o json` that silently got YAML would break a pipe later.
    ctx.printer.format("manifests")?;
    let config = ctx.config(args.dir.as_deref())?;
    // The namespace comes from the kubeconfig as for a deploy; without one, "default".
    let namespace = match config.kube_target() {
        Ok(t) => t.namespace,
        Err(_) => config
            .settings
            .kubernetes
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into()),
    };
    let settings = crate::deploy::settings_from_config(&config, &namespace)?;
    let image = match &args.image {
        Some(i) => Reference::parse(i).context("--image")?.0,
        // What `msv push` recorded, pinned by digest, as a deploy would run it; before any
        // push, the repository's `latest` tag.
        None => match config.service_dir().map(crate::image::record::last_pushed) {
            Some(Ok(Some(pushed))) => pushed.pinned,
            Some(Err(err)) => return Err(err),
            _ => format!("{}:latest", config.image_repository()?),
        },
    };
    let color = args.target_color;
    let replicas = config.settings.deploy.replicas.unwrap_or(settings.replicas);
    ctx.printer
        .stdout(&render_yaml(&settings, color, &image, replicas)?)?;
    Ok(ExitCode::Success)
}
