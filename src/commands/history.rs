//! `msv history`: the deploy history kept in the cluster (ConfigMap `S-msv-history`).

use crate::cli::HistoryArgs;
use crate::deploy::history::{self, Outcome};
use crate::exit::ExitCode;
use crate::output::OutputFormat;
use crate::output::{Cell, Table, Tone, sanitize};
use anyhow::Result;

use super::Context;

pub async fn run(args: &HistoryArgs, ctx: &Context) -> Result<ExitCode> {
    let format = ctx.printer.format("history")?;
    let config = ctx.config(None)?;
    let service = config.service_or(args.service.as_ref())?;
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
