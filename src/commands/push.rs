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
