//! `msv logs`: connects to the cluster and hands the request to `crate::logs`.

use crate::cli::LogsArgs;
use crate::exit::ExitCode;
use crate::logs::{Options, run as stream};
use crate::status::connect_for;

use super::Context;

pub async fn run(args: &LogsArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let format = ctx.printer.format("logs")?;
    let config = ctx.config(None)?;
    let cluster = connect_for(&config).await?;
    let options = |service: String| Options {
        service,
        which: args.which,
        follow: args.follow,
        since: args.since,
        tail: args.tail,
        container: args.container.clone(),
        previous: args.previous,
        timestamps: args.timestamps,
        format,
    };
    let services: Vec<String> = match (&args.service, config.workspace_root()) {
        (Some(s), _) => vec![s.to_string()],
        (None, _) if !args.member.is_empty() => {
            args.member.iter().map(ToString::to_string).collect()
        }
        // At a workspace's root: every member's pods, each line prefixed by its pod.
        (None, Some(ws)) => super::workspace::members(ctx, ws, &[])?
            .into_iter()
            .map(|m| m.name)
            .collect(),
        (None, None) => anyhow::bail!(
            "name the service whose logs to read: msv logs SERVICE (at a workspace's root, every member's)"
        ),
    };
    let runs = services.into_iter().map(|s| {
        let o = options(s);
        let cluster = &cluster;
        async move { stream(cluster, &o, &ctx.printer).await }
    });
    // Followed streams run side by side (the first error ends them all); a snapshot
    // prints one member after another.
    let codes: Vec<ExitCode> = match args.follow {
        true => futures::future::try_join_all(runs).await?,
        false => {
            let mut codes = vec![];
            for run in runs {
                codes.push(run.await?);
            }
            codes
        }
    };
    Ok(match codes.iter().all(|c| *c == ExitCode::Success) {
        true => ExitCode::Success,
        false => ExitCode::Failure,
    })
}
