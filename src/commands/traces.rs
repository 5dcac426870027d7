//! `msv traces [list] SERVICE` and `msv traces show TRACE_ID | --file PATH`: find a
//! service's recent traces in Jaeger, Zipkin or Tempo and draw one as a waterfall.
//! The backend comes from the merged configuration (flags, MSV_TRACES_*, msv.toml).

use std::time::SystemTime;

use anyhow::Context as _;
use reqwest::Url;

use crate::cli::{TracesArgs, TracesCommand, TracesListArgs, TracesShowArgs};
use crate::config::Config;
use crate::exit::{ExitCode, Failure};
use crate::output::OutputFormat;
use crate::output::{Cell, Table, Tone, sanitize};
use crate::traces::TraceSummary;
use crate::traces::client::{self, Backend, Query};
use crate::traces::collect::Nothing;
use crate::traces::connect::Source;
use crate::traces::summary::{format_duration, format_start};
use crate::traces::waterfall::{self, Options};

use super::Context;

pub async fn run(args: &TracesArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(TracesCommand::Show(show)) => run_show(show, ctx).await,
        Some(TracesCommand::List(list)) => run_list(list, ctx).await,
        None => run_list(&args.list, ctx).await,
    }
}

async fn run_list(args: &TracesListArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let format = ctx.printer.format("traces list")?;
    let service = args
        .service
        .clone()
        .context("name the service whose traces to list")?;
    let (backend, base, transport) = backend(&ctx.config(None)?).await?;
    let query = Query {
        service: service.clone(),
        since: args.since,
        limit: args.limit.max(1),
        operation: args.operation.clone(),
        min_duration: args.min_duration,
        errors: args.errors,
        tags: args
            .tag
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect(),
        now: SystemTime::now(),
    };
    let found = client::search(&transport, backend, &base, &query).await?;
    // Errors beside results: the list may be missing traces. Errors and no results: the
    // search failed.
    if found.traces.is_empty()
        && let Some(first) = found.errors.first()
    {
        anyhow::bail!(
            "the {} search at {base} failed: {}",
            backend.name(),
            sanitize(&first.to_string())
        );
    }
    for e in &found.errors {
        ctx.printer.warn(&format!(
            "the backend reported an error, so the list may be missing traces: {}",
            sanitize(&e.to_string())
        ));
    }
    let list = found.traces;
    if format == OutputFormat::Json {
        ctx.printer.data(format, &list)?;
    } else if list.is_empty() {
        ctx.printer.info(&format!(
            "no traces of {} in the last {} in {} at {base}",
            sanitize(service.as_str()),
            humantime::format_duration(args.since),
            backend.name()
        ));
    } else {
        ctx.printer.table(&table(&list))?;
    }
    Ok(ExitCode::Success)
}

async fn run_show(args: &TracesShowArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let format = ctx.printer.format("traces show")?;
    let parsed = match (&args.file, &args.trace_id) {
        (Some(path), _) => {
            let name = if path.as_os_str() == "-" {
                "stdin".to_string()
            } else {
                path.display().to_string()
            };
            let parsed = crate::traces::detect::parse_file(path)
                .with_context(|| format!("reading {name}"))?;
            match parsed.nothing() {
                None => {}
                Some(Nothing::NoSpans) => anyhow::bail!("{name} holds no spans"),
                Some(Nothing::OnlyErrors(said)) => {
                    return Err(Failure::bad(format!(
                        "{name} holds no spans; the backend reported: {}",
                        sanitize(&said)
                    )));
                }
            }
            parsed
        }
        (None, Some(id)) => {
            let (backend, base, transport) = backend(&ctx.config(None)?).await?;
            client::fetch(&transport, backend, &base, id).await?
        }
        (None, None) => anyhow::bail!("name a trace id or give --file PATH"),
    };
    // The process ends once the traces are shown: freeing a large file's spans one
    // allocation at a time (millions of attributes) would cost a tenth of the run.
    let parsed = std::mem::ManuallyDrop::new(parsed);
    for e in &parsed.errors {
        ctx.printer.warn(&format!(
            "the backend reported an error: {}",
            sanitize(&e.to_string())
        ));
    }
    for t in &parsed.traces {
        for w in &t.warnings {
            ctx.printer
                .warn(&format!("trace {}: {}", sanitize(&t.trace_id), sanitize(w)));
        }
    }
    if format == OutputFormat::Json {
        // One shape whatever the number of traces: {"traces": [..], "errors": [..]}.
        ctx.printer.data(format, &*parsed)?;
        return Ok(ExitCode::Success);
    }
    let opts = Options {
        width: terminal_width(),
        color: ctx.printer.color,
    };
    // Each waterfall is written once drawn, small ones gathered into one write: the text
    // of a 100,000-span trace is tens of megabytes, and is not held twice.
    const BATCH: usize = 1 << 20;
    let mut pending = String::new();
    let drawn = parsed.traces.iter().filter(|t| !t.spans.is_empty());
    for (n, t) in drawn.enumerate() {
        if n > 0 {
            pending.push('\n');
        }
        let text = waterfall::render(t, &opts);
        if pending.len() + text.len() > BATCH {
            ctx.printer.stdout(&pending)?;
            pending.clear();
            ctx.printer.stdout(&text)?;
        } else {
            pending.push_str(&text);
        }
    }
    ctx.printer.stdout(&pending)?;
    Ok(ExitCode::Success)
}

/// The backend, its base URL and how to reach it, from the merged configuration: `url`
/// directly, else `service` through the Kubernetes API server's service proxy.
async fn backend(config: &Config) -> anyhow::Result<(Backend, Url, client::Transport)> {
    let t = &config.settings.traces;
    let source = Source::from_settings(t.backend, t.url.as_deref(), t.service.as_deref())?;
    let cluster = match source.through_cluster() {
        true => Some(crate::cluster::connect(&config.kube_target()?).await?),
        false => None,
    };
    source.connect(cluster)
}

/// `COLUMNS` when set (scripts, tests), else the terminal's width, else 120.
fn terminal_width() -> usize {
    if let Some(cols) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return cols;
    }
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(w, _)| w.0 as usize)
        .unwrap_or(120)
}

fn table(list: &[TraceSummary]) -> Table {
    let mut table = Table::new(&[
        "start", "trace id", "root", "duration", "spans", "services", "errors",
    ]);
    for s in list {
        table.row(vec![
            Cell::new(format_start(s.start_ns)),
            Cell::new(s.trace_id.clone()),
            Cell::new(format!("{}: {}", s.root_service, s.root_operation)),
            Cell::new(format_duration(s.duration_ns)),
            Cell::new(s.span_count.map_or("?".to_string(), |n| n.to_string())),
            Cell::new(s.services.join(",")),
            if s.error {
                Cell::tone("error", Tone::Bad)
            } else {
                Cell::tone("-", Tone::Dim)
            },
        ]);
    }
    table
}
