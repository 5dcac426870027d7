//! `msv push`: pushes the last built image (or the one named) and prints its digest;
//! the digest is recorded so that `msv deploy` runs exactly what was pushed.

use serde::Serialize;

use crate::cli::PushArgs;
use crate::exit::{ExitCode, Failure};
use crate::image::{self, PushRequest};
use crate::output::OutputFormat;

use super::Context;

#[derive(Serialize)]
struct Output<'a> {
    reference: &'a str,
    digest: &'a str,
    pinned: &'a str,
}

pub async fn run(args: &PushArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let format = ctx.printer.format("push")?;
    let config = ctx.config(None)?;
    if let Some(ws) = config.workspace_root() {
        if args.image.is_some() {
            anyhow::bail!(
                "at a workspace's root, msv push pushes each member's last built image; push one image from its member's directory"
            );
        }
        let members = super::workspace::members(ctx, ws, &args.member)?;
        let jobs = super::workspace_images::Jobs {
            build: None,
            push: true,
        };
        let done = super::workspace_images::run(ctx, &members, &jobs).await?;
        return super::workspace_images::print(ctx, format, &done);
    }
    if !args.member.is_empty() {
        anyhow::bail!("-p/--member names a member of a workspace: run it at the workspace's root");
    }
    let dir = config.work_dir(None)?;
    let request = PushRequest {
        dir,
        image: args.image.clone(),
    };
    crate::interrupt::take_over();
    let pushed = tokio::select! {
        pushed = image::push(&request, &ctx.printer) => pushed?,
        () = crate::interrupt::signalled() => {
            return Err(Failure::interrupted("push interrupted; nothing was recorded"));
        }
    };
    match format {
        OutputFormat::Text => {
            ctx.printer.success(&format!("pushed {}", pushed.reference));
            ctx.printer.stdout(&format!("{}\n", pushed.pinned))?;
        }
        format => ctx.printer.data(
            format,
            &Output {
                reference: &pushed.reference,
                digest: &pushed.digest,
                pinned: &pushed.pinned,
            },
        )?,
    }
    Ok(ExitCode::Success)
}
