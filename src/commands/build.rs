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
    let dir = config.work_dir(args.dir.as_deref())?;
    // The record is rewritten after the build: a damaged one is reported now, not after
    // minutes of building.
    image::record::load(&dir)?;
    let request = BuildRequest {
        dir,
        dockerfile: args.file.clone(),
        repository: config.image_repository()?,
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
