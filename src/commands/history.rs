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
    let named = args.service.as_ref().or(args.member.as_ref());
    if args.release.is_some() || (config.workspace_root().is_some() && named.is_none()) {
        return releases(args, ctx, &config, format).await;
    }
    let service = config.service_or(named)?;
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

/// A workspace's releases, read from every member's history; with an id, that release.
async fn releases(
    args: &HistoryArgs,
    ctx: &Context,
    config: &crate::config::Config,
    format: OutputFormat,
) -> Result<ExitCode> {
    let Some(ws) = &config.workspace else {
        anyhow::bail!(
            "--release reads a workspace's releases: run it in a workspace (a directory whose msv.toml, or a parent's, has [workspace])"
        );
    };
    let mut histories = vec![];
    for m in super::workspace::members(ctx, ws, &[])? {
        let cluster = crate::cluster::connect(&m.config.kube_target()?).await?;
        let entries = history::read(&cluster, &m.name).await?;
        histories.push((m.name, entries));
    }
    let list = crate::deploy::workspace::releases(&histories);
    let outcome_cell = |o: &str| {
        let tone = match o {
            "live" => Tone::Good,
            _ => Tone::Bad,
        };
        Cell::tone(o.to_string(), tone)
    };
    match args.release.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => {
            let Some(r) = list.iter().find(|r| r.release == id) else {
                anyhow::bail!(
                    "no release {id} in the histories of the workspace's members; `msv history --release` lists them"
                );
            };
            match format {
                OutputFormat::Table => {
                    let mut t = Table::new(&["MEMBER", "REVISION", "IMAGE", "OUTCOME"]);
                    for m in &r.members {
                        t.row(vec![
                            Cell::new(m.name.clone()),
                            Cell::new(m.revision.to_string()),
                            Cell::new(sanitize(&m.image)),
                            Cell::new(m.outcome.to_string()),
                        ]);
                    }
                    ctx.printer.table(&t)?;
                }
                f => ctx.printer.data(f, r)?,
            }
        }
        None => {
            let shown = &list[..list.len().min(args.limit)];
            match format {
                OutputFormat::Table => {
                    if shown.is_empty() {
                        ctx.printer.info("no release in the histories of the workspace's members; `msv deploy` at the workspace's root makes one");
                        return Ok(ExitCode::Success);
                    }
                    let mut t = Table::new(&["RELEASE", "TIME", "OUTCOME", "MEMBERS"]);
                    for r in shown {
                        let members: Vec<String> = r
                            .members
                            .iter()
                            .map(|m| format!("{} r{} {}", m.name, m.revision, m.outcome))
                            .collect();
                        t.row(vec![
                            Cell::new(r.release.clone()),
                            Cell::new(sanitize(&r.time)),
                            outcome_cell(r.outcome),
                            Cell::new(members.join(", ")),
                        ]);
                    }
                    ctx.printer.table(&t)?;
                }
                f => ctx.printer.data(f, shown)?,
            }
        }
    }
    Ok(ExitCode::Success)
}
