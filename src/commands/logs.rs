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
    let options = Options {
        service: args.service.to_string(),
        which: args.which,
        follow: args.follow,
        since: args.since,
        tail: args.tail,
        container: args.container.clone(),
        previous: args.previous,
        timestamps: args.timestamps,
        format,
    };
    stream(&cluster, &options, &ctx.printer).await
}
