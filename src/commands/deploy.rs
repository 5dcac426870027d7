//! `msv deploy`: a blue-green rollout of the service's image (see `crate::deploy`).
//! Wires config, cluster, the executor, Ctrl-C and output; `--dry-run` prints the plan.

use crate::cli::DeployArgs;
use crate::deploy::executor::{self, Finished, Options, Request};
use crate::exit::{ExitCode, Failure};
use crate::output::OutputFormat;
use crate::output::{RolloutProgress, sanitize, sanitize_multiline};
use anyhow::{Context as _, Result, anyhow};
use serde::Serialize;

use super::Context;

/// `--dry-run -o json`: the plan's fields and what happens to each object.
#[derive(Serialize)]
struct DryRun<'a> {
    #[serde(flatten)]
    plan: &'a crate::deploy::plan::Plan,
    objects: Vec<crate::deploy::actions::Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis: Option<&'a crate::analysis::Gates>,
    /// `--dry-run=server`: what the API server said about each write.
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<Vec<executor::ServerCheck>>,
}

pub async fn run(args: &DeployArgs, ctx: &Context) -> Result<ExitCode> {
    let config = ctx.config(args.dir.as_deref())?;
    if let Some(ws) = config.workspace_root() {
        return super::workspace::deploy(args, ctx, ws).await;
    }
    let format = ctx.printer.format("deploy")?;
    if !args.member.is_empty() {
        return Err(anyhow!(
            "-p/--member names a member of a workspace: run it at the workspace's root"
        ));
    }
    let image = match args.image.as_slice() {
        [] => None,
        [one] => Some(one),
        _ => {
            return Err(anyhow!(
                "--image is given more than once; a service deploys one image"
            ));
        }
    };
    let image = match image {
        // Refused here, before the cluster is asked: the API server would take any string
        // and the rollout would only fail at its timeout, on pods that cannot pull.
        Some(i) => {
            crate::image::reference::Reference::parse(i)
                .context("--image")?
                .0
        }
        None if args.dry_run.is_some() => {
            match config.service_dir().map(crate::image::record::last_pushed) {
                Some(Ok(Some(pushed))) => pushed.pinned,
                // A damaged record says so, rather than "nothing pushed yet".
                Some(Err(err)) => return Err(err),
                _ => {
                    return Err(anyhow!(
                        "a dry run does not build: pass --image REF, or run `msv build && msv push` first"
                    ));
                }
            }
        }
        None => build_and_push(&config, ctx).await?,
    };
    let target = config.kube_target()?;
    let cluster = crate::cluster::connect(&target).await?;
    let settings = crate::deploy::settings_from_config(&config, &cluster.namespace)?;
    let request = Request {
        image,
        create_namespace: args.create_namespace,
        force: args.force,
        adopt: args.adopt,
        rollback: false,
        together: None,
    };
    let opts = Options {
        settings,
        deploy: config.settings.deploy.clone(),
        request,
    };
    if let Some(mode) = args.dry_run {
        let (plan, objects) = executor::read_plan(&cluster, &opts).await?;
        let actions = crate::deploy::actions::actions(&plan, &objects, &opts);
        let server = match mode {
            crate::deploy::DryRun::Server => {
                Some(executor::server_dry_run(&cluster, &opts, &plan, &objects).await)
            }
            crate::deploy::DryRun::Client => None,
        };
        let refused = server.iter().flatten().any(|c| !c.accepted);
        match format {
            OutputFormat::Text => {
                let mut text = dry_run_text(&opts, &cluster, &plan, &actions);
                if let Some(checks) = &server {
                    text.push_str(&server_text(checks));
                }
                ctx.printer.stdout(&sanitize_multiline(&text))?;
            }
            f => ctx.printer.data(
                f,
                &DryRun {
                    plan: &plan,
                    objects: actions,
                    analysis: opts.deploy.analysis.as_ref(),
                    server,
                },
            )?,
        }
        // The server refused a write the deploy would make: the deploy would fail.
        return Ok(match refused {
            true => ExitCode::Failure,
            false => ExitCode::Success,
        });
    }
    let progress = RolloutProgress::new(&ctx.printer);
    let summary = crate::deploy::release::run(&cluster, &opts, &progress).await;
    progress.finish();
    let summary = summary?;
    for note in &summary.notes {
        ctx.printer.warn(&sanitize(note));
    }
    match format {
        OutputFormat::Text => {
            let msg = match summary.outcome {
                Finished::Unchanged => format!(
                    "{} already runs {} on {}; nothing to do (use --force to redeploy)",
                    summary.service, summary.to_image, summary.to_color
                ),
                _ => format!(
                    "{} revision {} live on {} ({}) in {:.1}s",
                    summary.service,
                    summary.revision.unwrap_or(0),
                    summary.to_color,
                    summary.to_image,
                    summary.duration_ms as f64 / 1000.0
                ),
            };
            ctx.printer.success(&sanitize(&msg));
            if let Some(j) = &summary.analysis {
                ctx.printer.info(&j.line());
            }
        }
        f => ctx.printer.data(f, &summary)?,
    }
    Ok(ExitCode::Success)
}

/// The plan as a person reads it: what is live, the candidate, and each object's fate.
fn dry_run_text(
    opts: &Options,
    cluster: &crate::cluster::Cluster,
    plan: &crate::deploy::plan::Plan,
    actions: &[crate::deploy::actions::Action],
) -> String {
    let s = &opts.settings;
    let live = match (&plan.adopt, plan.live) {
        (Some(a), _) => format!(
            "Deployment {} ({}, {}), not made by msv",
            a.deployment,
            a.image.as_deref().unwrap_or("?"),
            a.made_by
        ),
        (None, Some(c)) => format!("{c} ({})", plan.from_image.as_deref().unwrap_or("?")),
        (None, None) => "nothing (first deploy)".into(),
    };
    let mut text = format!(
        "plan for {} in namespace {} (context {}):\n  live:      {live}\n  candidate: {} with {} x{}\n",
        s.name, cluster.namespace, cluster.context, plan.candidate, plan.to_image, plan.replicas
    );
    if plan.noop {
        text.push_str("  nothing to do: that image is already live (use --force to redeploy)\n");
    } else if plan.resume {
        text.push_str(&format!(
            "  then:      finish the deploy that switched {} to {} but was not recorded: verify, scale the other color down, record\n",
            s.name, plan.candidate
        ));
    } else {
        text.push_str(&format!(
            "  then:      switch Service {} to {}; ",
            s.name, plan.candidate
        ));
        text.push_str(&match (&plan.adopt, plan.live) {
            (Some(a), _) if opts.deploy.keep_old => {
                format!("keep Deployment {} running\n", a.deployment)
            }
            (Some(a), _) => format!(
                "scale Deployment {} to 0 after {:?} (never deleted)\n",
                a.deployment, opts.deploy.scale_down_delay
            ),
            (None, Some(l)) if opts.deploy.keep_old => format!("keep {l} running\n"),
            (None, Some(l)) => format!("scale {l} to 0 after {:?}\n", opts.deploy.scale_down_delay),
            (None, None) => "create Service and preview Service\n".into(),
        });
    }
    if let Some(canary) = plan.unfinished_soak {
        text.push_str(&format!(
            "  first:     end the unfinished canary soak of {canary}: Service {} back to {} alone, {canary} to 0\n",
            s.name,
            canary.other()
        ));
    }
    text.push_str(&canary_text(opts, plan));
    match &opts.deploy.analysis {
        Some(_) if plan.live.is_none() && plan.adopt.is_none() => text.push_str(
            "  gates:     none on a first deploy (no users yet, nothing to switch back to)\n",
        ),
        Some(g) => text.push_str(&format!("  gates:     {}\n", g.describe())),
        None => {}
    }
    text.push_str("objects:\n");
    for a in actions {
        text.push_str(&format!(
            "  {:<7} {} {}: {}\n",
            a.action, a.kind, a.name, a.detail
        ));
    }
    text.push_str("(dry run: nothing was changed)\n");
    text
}

/// The canary soak's steps with the pod counts they would use, or why there is none.
fn canary_text(opts: &Options, plan: &crate::deploy::plan::Plan) -> String {
    let Some(c) = &opts.deploy.canary else {
        return String::new();
    };
    if plan.noop {
        return String::new();
    }
    let (Some(live), false) = (plan.live, plan.canary.is_empty()) else {
        let why = match (&plan.adopt, plan.live, plan.resume) {
            (Some(_), _, _) => {
                "an adoption switches at once (the Deployment taken over is not msv's color)"
            }
            (_, _, true) => "the image is already live",
            (_, None, _) => "a first deploy has no live traffic to share",
            _ => "the live color has no pods",
        };
        return format!("  canary:    none: {why}\n");
    };
    let steps: Vec<String> = plan
        .canary
        .iter()
        .map(|st| {
            format!(
                "{}% ({} x{} beside {live} x{}: {:.0}% of the pods)",
                st.percent,
                plan.candidate,
                st.candidate_replicas,
                st.live_replicas,
                st.share()
            )
        })
        .collect();
    format!(
        "  canary:    {}, {:?} each, then {} x{} and the switch\n",
        steps.join(", "),
        c.pause,
        plan.candidate,
        plan.replicas
    )
}

/// What the API server said about each write of a `--dry-run=server`.
fn server_text(checks: &[executor::ServerCheck]) -> String {
    let mut text = String::from("server dry run (dryRun=All, nothing stored):\n");
    if checks.is_empty() {
        text.push_str("  nothing to write\n");
    }
    for c in checks {
        match &c.error {
            None => text.push_str(&format!("  accepted {} {}\n", c.kind, c.name)),
            Some(e) => text.push_str(&format!("  refused  {} {}: {e}\n", c.kind, c.name)),
        }
    }
    text
}

/// `msv build && msv push` for the service, returning the pinned `repo@sha256:...` so that
/// what runs is exactly what was built.
async fn build_and_push(config: &crate::config::Config, ctx: &Context) -> Result<String> {
    let Some(dir) = config.service_dir().map(std::path::Path::to_path_buf) else {
        return Err(anyhow!(
            "no image to deploy: run inside a service directory (with msv.toml) so msv can build \
             and push it, or pass --image REF"
        ));
    };
    let request = crate::image::BuildRequest {
        dir: dir.clone(),
        dockerfile: None,
        repository: config.image_repository()?,
        extra_tags: Vec::new(),
        build_args: Vec::new(),
        target: None,
        platform: None,
        no_cache: false,
        pull: false,
        ..Default::default()
    };
    // The build and push records are written only when each step succeeds, so an interrupt
    // here leaves nothing half done and the cluster untouched.
    crate::interrupt::take_over();
    let pushed = tokio::select! {
        result = async {
            let built = crate::image::build(&request, &ctx.printer).await?;
            ctx.printer.success(&format!("built {}", built.reference));
            let pushed = crate::image::push(&crate::image::PushRequest { dir, image: Some(built.reference) }, &ctx.printer).await?;
            ctx.printer.success(&format!("pushed {}", pushed.pinned));
            anyhow::Ok(pushed)
        } => result?,
        () = crate::interrupt::signalled() => {
            return Err(Failure::interrupted("interrupted while building or pushing; the cluster was not touched"));
        }
    };
    Ok(pushed.pinned)
}
