//! `msv history`: the deploy history kept in the cluster (ConfigMap `S-msv-history`).

use crate::cli::{HistoryArgs, OutputFormat};
use crate::deploy::history::{self, Outcome};
use crate::exit::ExitCode;
use crate::name::ServiceName;
use crate::output::{Cell, Table, Tone, sanitize};
use anyhow::Result;

use super::Context;

/// The service a command is about: its argument, else the current directory's msv.toml.
pub(crate) fn service_arg(
    arg: Option<&ServiceName>,
    config: &crate::config::Config,
) -> Result<String> {
    match arg {
        Some(s) => Ok(s.to_string()),
        None => Ok(config.service_name()?.to_string()),
    }
}

pub async fn run(args: &HistoryArgs, ctx: &Context) -> Result<ExitCode> {
    let formats = [OutputFormat::Table, OutputFormat::Json, OutputFormat::Yaml];
    let format = ctx
        .printer
        .format("history", OutputFormat::Table, &formats)?;
    let config = ctx.config(None)?;
    let service = service_arg(args.service.as_ref(), &config)?;
    let cluster = crate::cluster::connect(&config.kube_target()?).await?;
    let entries = history::read(&cluster, &service).await?;
    let skip = entries.len().saturating_sub(args.limit);
    let shown = &entries[skip..];
    match format {
        OutputFormat::Table => {
            if shown.is_empty() {
                ctx.printer.info(&format!(
                    "no deploy history for {service} in namespace {}",
                    cluster.namespace
                ));
                return Ok(ExitCode::Success);
            }
            let mut t = Table::new(&["REVISION", "IMAGE", "COLOR", "TIME", "WHO", "OUTCOME"]);
            for e in shown {
                let tone = match e.outcome {
                    Outcome::Succeeded | Outcome::Rollback => Tone::Good,
                    Outcome::Failed | Outcome::RolledBack | Outcome::Stopped => Tone::Bad,
                    Outcome::Interrupted => Tone::Warn,
                };
                t.row(vec![
                    Cell::new(e.revision.to_string()),
                    Cell::new(sanitize(&e.image)),
                    Cell::new(e.color.to_string()),
                    Cell::new(sanitize(&e.time)),
                    Cell::new(sanitize(&e.who)),
                    Cell::tone(e.outcome.to_string(), tone),
                ]);
            }
            ctx.printer.table(&t)?;
        }
        f => ctx.printer.data(f, shown)?,
    }
    Ok(ExitCode::Success)
}
