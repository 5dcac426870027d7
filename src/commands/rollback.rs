//! `msv rollback`: make the previous (or a chosen) revision live again. When the other
//! color still runs that image the switch is immediate; otherwise it is scaled up to the
//! recorded image first — the same guarded rollout as a deploy, recorded as a rollback.
//! A revision whose image is already live is left alone unless `--force`.

use crate::cli::RollbackArgs;
use crate::deploy::executor::{Finished, Options, Request};
use crate::deploy::manifests::ServiceSettings;
use crate::deploy::release;
use crate::exit::ExitCode;
use crate::output::OutputFormat;
use crate::output::{RolloutProgress, sanitize};
use anyhow::Result;

use super::Context;

pub async fn run(args: &RollbackArgs, ctx: &Context) -> Result<ExitCode> {
    let config = ctx.config(None)?;
    if let Some(id) = &args.release {
        let Some(ws) = &config.workspace else {
            anyhow::bail!(
                "--release rolls back a workspace release: run it in a workspace (a directory whose msv.toml, or a parent's, has [workspace])"
            );
        };
        return super::workspace::rollback(ctx, ws, id, args.force).await;
    }
    let format = ctx.printer.format("rollback")?;
    let service = config.service_or(args.service.as_ref())?;
    let cluster = crate::cluster::connect(&config.kube_target()?).await?;
    let release::RollbackTarget {
        entry: target,
        service: svc,
    } = release::rollback_target(&cluster, &service, args.to_revision).await?;
    let settings = if config.service_name().ok() == Some(service.as_str()) {
        crate::deploy::settings_from_config(&config, &cluster.namespace)?
    } else {
        // Run outside the service's directory: keep the live Service's port.
        let mut s = ServiceSettings::new(&service, &cluster.namespace);
        if let Some(p) = svc
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_ref())
            .and_then(|p| p.first())
        {
            s.port = p.port as u16;
        }
        s
    };
    let request = Request {
        image: target.image.clone(),
        force: args.force,
        rollback: true,
        ..Request::default()
    };
    let opts = Options {
        settings,
        deploy: release::rollback_settings(&config.settings.deploy),
        request,
    };
    ctx.printer.info(&sanitize(&format!(
        "rolling {service} back to revision {} ({})",
        target.revision, target.image
    )));
    let progress = RolloutProgress::new(&ctx.printer);
    let summary = release::run(&cluster, &opts, &progress).await;
    progress.finish();
    let summary = summary?;
    for note in &summary.notes {
        ctx.printer.warn(&sanitize(note));
    }
    match format {
        OutputFormat::Text if summary.outcome == Finished::Unchanged => ctx.printer.success(&sanitize(&format!(
            "{} already runs {} on {}; nothing to roll back (pass --force to roll it out again on the other color)",
            summary.service, summary.to_image, summary.to_color
        ))),
        OutputFormat::Text => ctx.printer.success(&sanitize(&format!(
            "{} rolled back to {} on {} (recorded as revision {})",
            summary.service,
            summary.to_image,
            summary.to_color,
            summary.revision.unwrap_or(0)
        ))),
        f => ctx.printer.data(f, &summary)?,
    }
    Ok(ExitCode::Success)
}
