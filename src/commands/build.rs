//! `msv build`: builds the service's image through the Docker engine and prints its
//! reference and ID (`-o json|yaml` for machines).

use serde::Serialize;

use crate::cli::BuildArgs;
use crate::exit::{ExitCode, Failure};
use crate::image::{self, BuildRequest};
use crate::output::OutputFormat;

use super::Context;

#[derive(Serialize)]
struct Output<'a> {
    reference: &'a str,
    id: &'a str,
    tags: &'a [String],
    revision: &'a str,
    dirty: bool,
}

pub async fn run(args: &BuildArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let format = ctx.printer.format("build")?;
    let config = ctx.config(args.dir.as_deref())?;
    if let Some(ws) = config.workspace_root() {
        return members(args, ctx, ws, format).await;
    }
    if !args.member.is_empty() {
        anyhow::bail!("-p/--member names a member of a workspace: run it at the workspace's root");
    }
    let dir = config.work_dir(args.dir.as_deref())?;
    if let Some(path) = &args.explain {
        return explain(&dir, path, format, ctx);
    }
    // The record is rewritten after the build: a damaged one is reported now, not after
    // minutes of building.
    image::record::load(&dir)?;
    let request = BuildRequest {
        dir,
        repository: config.image_repository()?,
        ..request_of(args)
    };
    // Dropping the build hangs up on the engine, which stops the build; the record is
    // only written after a build succeeds, so an interrupt leaves the previous one.
    crate::interrupt::take_over();
    let built = tokio::select! {
        built = image::build(&request, &ctx.printer) => built?,
        () = crate::interrupt::signalled() => {
            return Err(Failure::interrupted("build interrupted; the engine stops it, nothing was recorded"));
        }
    };
    match format {
        OutputFormat::Text => {
            let also: Vec<&str> = built
                .tags
                .iter()
                .map(String::as_str)
                .filter(|t| *t != built.reference)
                .collect();
            match also.is_empty() {
                true => ctx.printer.success(&format!("built {}", built.reference)),
                false => ctx.printer.success(&format!(
                    "built {} (also tagged {})",
                    built.reference,
                    also.join(", ")
                )),
            }
            ctx.printer
                .stdout(&format!("{}\n{}\n", built.reference, built.id))?;
        }
        format => ctx.printer.data(
            format,
            &Output {
                reference: &built.reference,
                id: &built.id,
                tags: &built.tags,
                revision: &built.revision,
                dirty: built.dirty,
            },
        )?,
    }
    Ok(ExitCode::Success)
}

/// The build the flags ask for, without the directory and repository (one service's, or
/// each member's at a workspace's root).
fn request_of(args: &BuildArgs) -> BuildRequest {
    BuildRequest {
        dockerfile: args.file.clone(),
        extra_tags: args.tag.clone(),
        build_args: args
            .build_arg
            .iter()
            .map(|kv| format!("{}={}", kv.key, kv.value))
            .collect(),
        target: args.target.clone(),
        platform: args.platform.clone(),
        no_cache: args.no_cache,
        pull: args.pull,
        builder: args.builder,
        secrets: args.secret.clone(),
        ssh: args.ssh.clone(),
        ..Default::default()
    }
}

/// `msv build` at a workspace's root: every member's image (or those named with `-p`).
async fn members(
    args: &BuildArgs,
    ctx: &Context,
    ws: &crate::config::Workspace,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    if args.file.is_some() || args.explain.is_some() {
        anyhow::bail!(
            "{} is for one service's build: run it in a member's directory (or pass the directory)",
            if args.file.is_some() {
                "--file"
            } else {
                "--explain"
            }
        );
    }
    let members = super::workspace::members(ctx, ws, &args.member)?;
    let jobs = super::workspace_images::Jobs {
        build: Some(request_of(args)),
        push: false,
    };
    let done = super::workspace_images::run(ctx, &members, &jobs).await?;
    super::workspace_images::print(ctx, format, &done)
}

/// How many of the largest files `--explain` lists.
const LARGEST: usize = 10;

/// `msv build --explain [PATH]`: the context's holdings, or why PATH is in it or not.
/// Reads the tree and `.dockerignore` only; the engine is not contacted.
fn explain(
    dir: &std::path::Path,
    path: &str,
    format: OutputFormat,
    ctx: &Context,
) -> anyhow::Result<ExitCode> {
    use crate::output::sanitize;
    use image::explain::{explain_path, human_bytes, survey};

    let (matcher, dockerfile) = image::context::for_build(dir, "Dockerfile")?;
    if !path.is_empty() {
        let report = explain_path(&matcher, path);
        if format != OutputFormat::Text {
            ctx.printer.data(format, &report)?;
            return Ok(ExitCode::Success);
        }
        let verdict = if report.sent { "sent" } else { "not sent" };
        let mut out = format!("{}: {verdict}\n", sanitize(&report.path));
        if !dir.join(&report.path).exists() && report.path != "." {
            out.push_str(
                "  (there is no such path in the context now; this is what would happen)\n",
            );
        }
        match &report.rule {
            None => out.push_str("  no .dockerignore pattern matches it\n"),
            Some(rule) => {
                let what = match (rule.exception, report.sent) {
                    (true, _) => "re-included by",
                    (false, _) => "excluded by",
                };
                out.push_str(&format!(
                    "  {what} {}: {}\n",
                    rule.source,
                    sanitize(&rule.pattern)
                ));
                if rule.matched != report.path {
                    out.push_str(&format!(
                        "  (the pattern matched the directory {}; its result holds for everything below it)\n",
                        sanitize(&rule.matched)
                    ));
                }
            }
        }
        if let Some(dir) = &report.pruned_at {
            out.push_str(&format!(
                "  {} is excluded and no exception names anything below it, so nothing inside it is sent\n",
                sanitize(dir)
            ));
        }
        ctx.printer.stdout(&out)?;
        return Ok(ExitCode::Success);
    }
    let holdings = survey(dir, &matcher, LARGEST)?;
    if format != OutputFormat::Text {
        ctx.printer.data(format, &holdings)?;
        return Ok(ExitCode::Success);
    }
    let mut out = format!(
        "build context {}: {} files, {} (Dockerfile: {})\n\n",
        dir.display(),
        holdings.files,
        human_bytes(holdings.bytes),
        sanitize(&dockerfile)
    );
    let width = holdings
        .entries
        .iter()
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(0);
    for entry in &holdings.entries {
        out.push_str(&format!(
            "  {:<width$}  {:>10}  {:>6} files\n",
            sanitize(&entry.name),
            human_bytes(entry.bytes),
            entry.files
        ));
    }
    if !holdings.largest.is_empty() {
        out.push_str("\nlargest files:\n");
        for file in &holdings.largest {
            out.push_str(&format!(
                "  {:>10}  {}\n",
                human_bytes(file.bytes),
                sanitize(&file.path)
            ));
        }
    }
    out.push_str("\nwhy a path is in or out: msv build --explain PATH\n");
    ctx.printer.stdout(&out)?;
    Ok(ExitCode::Success)
}
