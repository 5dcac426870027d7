//! `msv status`: connects to the cluster and hands the query to `crate::status`.

use crate::cli::StatusArgs;
use crate::exit::ExitCode;
use crate::status::{Query, Request, connect_for, run as show};

use super::Context;

pub async fn run(args: &StatusArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let format = ctx.printer.format("status")?;
    let config = ctx.config(None)?;
    let cluster = connect_for(&config).await?;
    let mut services: Vec<String> = args
        .services
        .iter()
        .chain(&args.member)
        .map(ToString::to_string)
        .collect();
    // At a workspace's root: its members, as one table with the release each is on.
    if let (Some(ws), true) = (config.workspace_root(), services.is_empty()) {
        services = super::workspace::members(ctx, ws, &[])?
            .into_iter()
            .map(|m| m.name)
            .collect();
    }
    let one = services.len() == 1;
    let query = Query {
        services,
        request: Request {
            all_namespaces: args.all_namespaces,
            // The detail view of one service always shows each pod's health.
            pods: args.pods || one,
            events: one,
            probe_timeout: config.settings.deploy.probe_timeout,
        },
        format,
        watch: args.watch,
    };
    show(&cluster, &query, &ctx.printer).await
}
