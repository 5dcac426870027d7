//! Commands run at a workspace's root act on its members (every one, or those named with
//! `-p`): this loads them, and runs `msv deploy` there as one release.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow, bail};

use super::Context;
use crate::cli::DeployArgs;
use crate::config::{Config, Workspace};
use crate::deploy::executor::{Finished, Options, Request};
use crate::deploy::release;
use crate::deploy::workspace::Released;
use crate::exit::ExitCode;
use crate::output::{OutputFormat, RolloutProgress, sanitize};

/// A member service with its configuration (the workspace's defaults beneath its own).
pub struct Member {
    pub name: String,
    pub config: Config,
}

/// The members `only` names (every member when it is empty), sorted by name.
pub fn members(ctx: &Context, ws: &Workspace, only: &[String]) -> Result<Vec<Member>> {
    let mut members: Vec<Member> = vec![];
    for dir in ws.member_dirs()? {
        let config = Config::load(&dir, &ctx.flags)?;
        let name = config.service_name()?.to_string();
        if let Some(twin) = members.iter().find(|m| m.name == name) {
            bail!(
                "{}: members {} and {} are both named {name}; service names must differ within a workspace",
                ws.file.display(),
                twin.config.service_dir().unwrap_or(&dir).display(),
                dir.display()
            );
        }
        members.push(Member { name, config });
    }
    if members.is_empty() {
        bail!(
            "{}: [workspace] members {:?} match no directory with an msv.toml; create a service there with `msv new`",
            ws.file.display(),
            ws.members
        );
    }
    members.sort_by(|a, b| a.name.cmp(&b.name));
    for name in only {
        if !members.iter().any(|m| &m.name == name) {
            let all: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
            bail!(
                "-p {name}: no member of the workspace is named {name}; its members are {}",
                all.join(", ")
            );
        }
    }
    members.retain(|m| only.is_empty() || only.contains(&m.name));
    Ok(members)
}

/// `--image MEMBER=REF` at a workspace's root, each reference checked.
fn images(args: &DeployArgs, members: &[Member]) -> Result<BTreeMap<String, String>> {
    let mut images = BTreeMap::new();
    for given in &args.image {
        let Some((name, reference)) = given.split_once('=') else {
            bail!(
                "--image {given}: at a workspace's root, say which member it is for: --image MEMBER=REF"
            );
        };
        if !members.iter().any(|m| m.name == name) {
            bail!("--image {given}: {name} is not a member being deployed");
        }
        let reference = crate::image::reference::Reference::parse(reference)
            .map_err(|e| anyhow!("--image {given}: {e:#}"))?
            .0;
        images.insert(name.to_string(), reference);
    }
    Ok(images)
}

/// `msv deploy` at a workspace's root: one release of the members.
pub async fn deploy(args: &DeployArgs, ctx: &Context, ws: &Workspace) -> Result<ExitCode> {
    let format = ctx.printer.format("deploy")?;
    if args.dry_run.is_some() || args.adopt {
        bail!(
            "{} is for one service: run it in a member's directory (or pass the directory)",
            if args.adopt { "--adopt" } else { "--dry-run" }
        );
    }
    let members = members(ctx, ws, &args.member)?;
    let mut images = images(args, &members)?;
    // The members without --image are built and pushed first, two at a time; any failure
    // stops the release before the cluster is touched.
    let unbuilt: Vec<Member> = members
        .iter()
        .filter(|m| !images.contains_key(&m.name))
        .map(|m| Member {
            name: m.name.clone(),
            config: m.config.clone(),
        })
        .collect();
    if !unbuilt.is_empty() {
        let jobs = super::workspace_images::Jobs {
            build: Some(Default::default()),
            push: true,
        };
        let done = super::workspace_images::run(ctx, &unbuilt, &jobs).await?;
        if done.iter().any(|d| d.error.is_some()) {
            super::workspace_images::print(ctx, OutputFormat::Text, &done)
                .map_err(|e| crate::exit::Failure::bad(format!("{e:#}; nothing was deployed")))?;
        }
        for d in done {
            if let Some(pinned) = d.pinned {
                images.insert(d.name, pinned);
            }
        }
    }
    let lines = indicatif::MultiProgress::new();
    let mut runs = vec![];
    for m in &members {
        let target = m.config.kube_target()?;
        let cluster = crate::cluster::connect(&target).await?;
        let request = Request {
            image: images[&m.name].clone(),
            create_namespace: args.create_namespace,
            force: args.force,
            ..Default::default()
        };
        let deploy = m.config.settings.deploy.clone();
        runs.push(run_of(ctx, &lines, m, cluster, deploy, request)?);
    }
    let id = crate::deploy::workspace::new_id();
    let released = crate::deploy::workspace::run(runs, id).await;
    let _ = lines.clear();
    print(ctx, format, &released?)
}

/// Each member's outcome, then the release's.
fn print(ctx: &Context, format: OutputFormat, released: &Released) -> Result<ExitCode> {
    match format {
        OutputFormat::Text => {
            for m in &released.members {
                match (&m.summary, &m.error) {
                    (Some(s), _) if s.outcome == Finished::Unchanged => {
                        ctx.printer.info(&sanitize(&format!(
                            "{}: already runs {} on {}",
                            s.service, s.to_image, s.to_color
                        )))
                    }
                    (Some(s), _) => ctx.printer.success(&sanitize(&format!(
                        "{}: revision {} live on {} ({})",
                        s.service,
                        s.revision.unwrap_or(0),
                        s.to_color,
                        s.to_image
                    ))),
                    (None, Some(e)) => ctx.printer.warn(&format!("{}: {e}", m.name)),
                    (None, None) => {}
                }
            }
            let n = released.members.len();
            match (released.succeeded(), &released.cause) {
                (true, _) => ctx.printer.success(&format!(
                    "release {}: {n} member{} live",
                    released.release,
                    if n == 1 { "" } else { "s" }
                )),
                (false, cause) => ctx.printer.warn(&format!(
                    "release {} did not go live{}; each member's line above says where it is now",
                    released.release,
                    cause
                        .as_ref()
                        .map(|c| format!(": {} failed first", c.member))
                        .unwrap_or_default()
                )),
            }
        }
        f => ctx.printer.data(f, released)?,
    }
    Ok(released.exit())
}

/// `msv rollback --release ID`: every member that went live in the release back to its
/// revision before, as one release of its own.
pub async fn rollback(ctx: &Context, ws: &Workspace, id: &str, force: bool) -> Result<ExitCode> {
    let format = ctx.printer.format("rollback")?;
    let lines = indicatif::MultiProgress::new();
    let mut runs = vec![];
    for m in members(ctx, ws, &[])? {
        let cluster = crate::cluster::connect(&m.config.kube_target()?).await?;
        let entries = crate::deploy::history::read(&cluster, &m.name).await?;
        let live_revision = release::live_revision(&cluster, &m.name, &entries).await?;
        let Some(target) =
            crate::deploy::workspace::rollback_target(&m.name, &entries, live_revision, id)?
        else {
            continue;
        };
        ctx.printer.info(&sanitize(&format!(
            "{}: back to revision {} ({})",
            m.name, target.revision, target.image
        )));
        let request = Request {
            image: target.image.clone(),
            force,
            rollback: true,
            ..Default::default()
        };
        let deploy = release::rollback_settings(&m.config.settings.deploy);
        runs.push(run_of(ctx, &lines, &m, cluster, deploy, request)?);
    }
    if runs.is_empty() {
        bail!(
            "no member went live in release {id}; `msv history --release` lists the releases and how each ended"
        );
    }
    let released = crate::deploy::workspace::run(runs, crate::deploy::workspace::new_id()).await;
    let _ = lines.clear();
    print(ctx, format, &released?)
}

/// One member's rollout in a release: its settings, what it is asked to do, and its line
/// among the others'.
fn run_of<'a>(
    ctx: &'a Context,
    lines: &indicatif::MultiProgress,
    m: &Member,
    cluster: crate::cluster::Cluster,
    deploy: crate::config::Deploy,
    request: Request,
) -> Result<crate::deploy::workspace::Member<'a>> {
    let settings = crate::deploy::settings_from_config(&m.config, &cluster.namespace)?;
    Ok(crate::deploy::workspace::Member {
        name: m.name.clone(),
        cluster,
        opts: Options {
            settings,
            deploy,
            request,
        },
        depends_on: m.config.settings.service.depends_on.clone(),
        rep: Box::new(RolloutProgress::member(&ctx.printer, lines, &m.name)),
    })
}
