//! `msv status`: what is live and whether it is healthy, for every msv-managed service in a
//! namespace (or all), or in detail for one. The view model (`model`) is built by pure
//! functions from what `fetch` reads with a fixed number of list requests and bounded,
//! individually timed probes; `render` draws it; `--watch` redraws on watch events. The
//! cluster client and the probes themselves belong to `cluster` and `health`.

mod fetch;
pub(crate) mod model;
mod render;

use std::time::Duration;

use anyhow::{Result, bail};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};
use serde::Serialize;

use crate::cluster::Cluster;
use crate::config::Config;
use crate::exit::ExitCode;
use crate::output::OutputFormat;
use crate::output::{Printer, sanitize};
pub(crate) use fetch::Request;
use model::{Row, Snapshot, State};

/// Connects to the cluster the configuration names (kubeconfig, context and namespace
/// resolved by `Config::kube_target`, as kubectl does, with msv's flags and settings on top).
/// Probes go through the cluster's proxy client, which has kube's 503 retries turned off:
/// through the service proxy a 503 is a health answer that must be reported as it is.
pub(crate) async fn connect_for(config: &Config) -> Result<Cluster> {
    crate::cluster::connect(&config.kube_target()?).await
}

/// What the user asked `msv status` for.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub services: Vec<String>,
    pub request: Request,
    pub format: OutputFormat,
    pub watch: bool,
}

/// `-o json` of the list view; field names are an interface.
#[derive(Serialize)]
struct ListJson<'a> {
    namespace: Option<&'a str>,
    healthy: bool,
    services: &'a [Row],
}

/// Checks that every named service exists; the error lists the ones that do.
fn check_names(snap: &Snapshot, names: &[String], cluster: &Cluster, all: bool) -> Result<()> {
    let known = model::service_keys(snap);
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !known.iter().any(|(_, k)| k == *n))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut names: Vec<String> = known
        .iter()
        .map(|(_, n)| sanitize(n).into_owned())
        .collect();
    names.dedup();
    let place = if all {
        "any namespace".to_string()
    } else {
        format!(
            "namespace {:?} (context {:?})",
            cluster.namespace, cluster.context
        )
    };
    bail!(
        "no msv-managed service {} in {place}; services there: {}",
        missing
            .iter()
            .map(|m| format!("`{}`", sanitize(m)))
            .collect::<Vec<_>>()
            .join(", "),
        if names.is_empty() {
            "none (deploy one with `msv deploy`, or pick another namespace with -n)".into()
        } else {
            names.join(", ")
        }
    )
}

fn select(rows: Vec<Row>, names: &[String]) -> Vec<Row> {
    if names.is_empty() {
        rows
    } else {
        rows.into_iter()
            .filter(|r| names.contains(&r.name))
            .collect()
    }
}

fn verdict(states: impl IntoIterator<Item = State>) -> ExitCode {
    if states.into_iter().all(|s| s == State::Healthy) {
        ExitCode::Success
    } else {
        ExitCode::Failure
    }
}

/// Reads, decides and prints once; returns the exit code the view deserves.
async fn show(cluster: &Cluster, q: &Query, printer: &Printer, redraw: bool) -> Result<ExitCode> {
    let snap = fetch::snapshot(cluster, &q.request).await?;
    check_names(&snap, &q.services, cluster, q.request.all_namespaces)?;
    let now = Timestamp::now();
    if let [one] = q.services.as_slice()
        && !redraw
    {
        let (ns, name) = model::service_keys(&snap)
            .into_iter()
            .find(|(_, n)| n == one)
            .expect("checked above");
        let d = model::detail(&snap, &ns, &name, now);
        match q.format {
            OutputFormat::Table => printer.stdout(&render::detail(&d, printer.color))?,
            format => printer.data(format, &d)?,
        }
        return Ok(verdict([d.row.state]));
    }
    let rows = select(model::rows(&snap, now), &q.services);
    let code = verdict(rows.iter().map(|r| r.state));
    match q.format {
        OutputFormat::Table => {
            let mut text = String::new();
            if redraw {
                // Clear the screen and home the cursor before drawing the new frame.
                text.push_str("\x1b[2J\x1b[H");
            }
            if rows.is_empty() {
                let place = if q.request.all_namespaces {
                    "any namespace".into()
                } else {
                    format!("namespace {:?}", cluster.namespace)
                };
                printer.info(&format!("No msv-managed services in {place}."));
            } else {
                text.push_str(
                    &render::table(&rows, q.request.all_namespaces).render(printer.color),
                );
                text.push_str(&render::reasons(&rows));
            }
            if redraw {
                let counts = model::summary(&rows);
                let line = counts
                    .iter()
                    .map(|(k, v)| format!("{v} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                text.push_str(&format!(
                    "\n{line} · updated {} · Ctrl-C to quit\n",
                    Timestamp::now().strftime("%H:%M:%S")
                ));
            }
            printer.stdout(&text)?;
        }
        format => printer.data(
            format,
            &ListJson {
                namespace: (!q.request.all_namespaces).then_some(cluster.namespace.as_str()),
                healthy: code == ExitCode::Success,
                services: &rows,
            },
        )?,
    }
    Ok(code)
}

/// Runs `msv status`.
pub(crate) async fn run(cluster: &Cluster, q: &Query, printer: &Printer) -> Result<ExitCode> {
    if !q.watch {
        return show(cluster, q, printer, false).await;
    }
    if !printer.stdout_tty {
        bail!(
            "--watch redraws the screen and needs a terminal on stdout; without one, run `msv status` repeatedly instead"
        );
    }
    if q.format != OutputFormat::Table {
        bail!(
            "--watch draws a table; it cannot be combined with `-o {}`",
            q.format.name()
        );
    }
    watch(cluster, q, printer).await
}

/// Redraws whenever a watched Deployment, Pod or Service changes (debounced), and every
/// `REPROBE` so that health changes without an object change show too.
async fn watch(cluster: &Cluster, q: &Query, printer: &Printer) -> Result<ExitCode> {
    const DEBOUNCE: Duration = Duration::from_millis(300);
    const REPROBE: Duration = Duration::from_secs(10);
    let cfg = watcher::Config::default()
        .labels(&format!("{}=msv", crate::deploy::plan::MANAGED_BY_LABEL));
    let client = cluster.client.clone();
    let (all, ns) = (q.request.all_namespaces, cluster.namespace.clone());
    macro_rules! api {
        ($k:ty) => {
            if all {
                Api::<$k>::all(client.clone())
            } else {
                Api::<$k>::namespaced(client.clone(), &ns)
            }
        };
    }
    let streams = vec![
        watcher(api!(Deployment), cfg.clone())
            .default_backoff()
            .map(|_| ())
            .boxed(),
        watcher(api!(Pod), cfg.clone())
            .default_backoff()
            .map(|_| ())
            .boxed(),
        watcher(api!(Service), cfg)
            .default_backoff()
            .map(|_| ())
            .boxed(),
    ];
    let mut changes = futures::stream::select_all(streams);
    let list_view = Query {
        services: q.services.clone(),
        ..q.clone()
    };
    loop {
        show(cluster, &list_view, printer, true).await?;
        tokio::select! {
            next = changes.next() => if next.is_none() { bail!("the watch on the cluster ended") },
            _ = tokio::time::sleep(REPROBE) => {}
        }
        // Let a burst of events (a rollout) settle into one redraw.
        while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, changes.next()).await {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_is_bad_unless_everything_is_healthy() {
        assert_eq!(verdict([]), ExitCode::Success);
        assert_eq!(verdict([State::Healthy, State::Healthy]), ExitCode::Success);
        assert_eq!(
            verdict([State::Healthy, State::Degraded]),
            ExitCode::Failure
        );
        assert_eq!(verdict([State::Unhealthy]), ExitCode::Failure);
    }
}
