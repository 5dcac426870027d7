//! `msv logs`: the logs of every pod of a service as one stream, each line prefixed by its
//! pod (a color per pod on a terminal). Without `-f` every pod's log is read and the lines
//! are merged in time order; with `-f` lines are printed as they arrive, pods that appear
//! later (a deploy in progress) are picked up from a watch, and a container restart does
//! not end the stream. `format` decides how one line looks, `resume` where a reopened
//! stream picks up; this file does the I/O.

mod format;
mod resume;

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::time::Duration;

use anyhow::{Result, bail};
use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::jiff::Timestamp;
use kube::api::{ListParams, LogParams};
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::mpsc;

use crate::cluster::Cluster;
use crate::deploy::plan::{COLOR_LABEL, MANAGED_BY_LABEL, NAME_LABEL, live_color};
use crate::exit::ExitCode;
use crate::output::{OutputFormat, Printer, sanitize};
use format::Line;

/// Whose pods `msv logs` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhichPods {
    /// The color Service `S` selects.
    Live,
    Blue,
    Green,
    /// Both colors.
    #[default]
    All,
}

impl std::str::FromStr for WhichPods {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "live" => Ok(WhichPods::Live),
            "blue" => Ok(WhichPods::Blue),
            "green" => Ok(WhichPods::Green),
            "all" => Ok(WhichPods::All),
            _ => Err(format!("unknown pods `{s}`; use live, blue, green or all")),
        }
    }
}

/// What the user asked `msv logs` for.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub service: String,
    pub which: WhichPods,
    pub follow: bool,
    pub since: Option<Duration>,
    pub tail: Option<u64>,
    pub container: Option<String>,
    /// Read the log of the container's previous run.
    pub previous: bool,
    /// Print the kubelet's time before each line (text and raw output).
    pub timestamps: bool,
    pub format: OutputFormat,
}

/// How many pod logs are read at once without `-f`.
const CONCURRENCY: usize = 16;

/// The label selector for the pods `which` names.
async fn selector(cluster: &Cluster, o: &Options) -> Result<String> {
    let s = &o.service;
    Ok(match o.which {
        WhichPods::All => format!("{NAME_LABEL}={s},{MANAGED_BY_LABEL}=msv"),
        WhichPods::Blue => format!("{NAME_LABEL}={s},{COLOR_LABEL}=blue"),
        WhichPods::Green => format!("{NAME_LABEL}={s},{COLOR_LABEL}=green"),
        WhichPods::Live => {
            let svc = cluster
                .api::<Service>()
                .get_opt(s)
                .await
                .map_err(|e| cluster.explain(e, &format!("reading Service {s}")))?;
            if svc.is_none() {
                unknown_service(cluster, s).await?;
            }
            let Some(color) = live_color(svc.as_ref()) else {
                bail!(
                    "Service {s} selects no blue/green color, so nothing is live; use --which all"
                );
            };
            format!("{NAME_LABEL}={s},{COLOR_LABEL}={}", color.as_str())
        }
    })
}

/// Fails with the list of msv services in the namespace when `service` is not one of them.
async fn unknown_service(cluster: &Cluster, service: &str) -> Result<()> {
    let deps = cluster
        .api::<Deployment>()
        .list(&ListParams::default().labels(&format!("{MANAGED_BY_LABEL}=msv")))
        .await
        .map_err(|e| cluster.explain(e, "listing Deployments"))?;
    let names: BTreeSet<String> = deps
        .items
        .iter()
        .filter_map(|d| {
            d.metadata
                .labels
                .as_ref()?
                .get(NAME_LABEL)
                .map(|n| sanitize(n).into_owned())
        })
        .collect();
    if names.contains(service) {
        return Ok(());
    }
    bail!(
        "no msv-managed service `{}` in namespace {:?} (context {:?}); services there: {}",
        sanitize(service),
        cluster.namespace,
        cluster.context,
        if names.is_empty() {
            "none".to_string()
        } else {
            names.into_iter().collect::<Vec<_>>().join(", ")
        }
    )
}

fn params(o: &Options, pod: &Pod, since_time: Option<Timestamp>, initial: bool) -> LogParams {
    let containers = pod
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or(&[]);
    // With several containers the API server wants a name: the service's own container.
    let container = o.container.clone().or_else(|| {
        (containers.len() > 1)
            .then(|| {
                containers
                    .iter()
                    .find(|c| c.name == o.service)
                    .map(|c| c.name.clone())
            })
            .flatten()
    });
    LogParams {
        container,
        follow: o.follow,
        previous: o.previous,
        timestamps: true,
        tail_lines: if initial {
            o.tail.map(|t| t as i64)
        } else {
            None
        },
        since_seconds: if initial && since_time.is_none() {
            o.since.map(|d| d.as_secs().max(1) as i64)
        } else {
            None
        },
        since_time,
        ..LogParams::default()
    }
}

fn to_line(o: &Options, pod: &Pod, raw: &str) -> Line {
    let (time, text) = format::split_timestamp(raw);
    Line {
        pod: pod.metadata.name.clone().unwrap_or_default(),
        container: o.container.clone().unwrap_or_else(|| {
            pod.spec
                .as_ref()
                .and_then(|s| s.containers.first())
                .map(|c| c.name.clone())
                .unwrap_or_default()
        }),
        color: pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(COLOR_LABEL))
            .cloned(),
        received: time.to_string(),
        text: text.to_string(),
    }
}

/// Prints lines in the chosen format; pod colors and the prefix width follow the pods seen.
struct Sink {
    format: OutputFormat,
    color: bool,
    /// stdout is a terminal: even raw lines lose their control characters.
    terminal: bool,
    /// Each line starts with the kubelet's time.
    timestamps: bool,
    width: usize,
    index: HashMap<String, usize>,
}

impl Sink {
    fn new(o: &Options, printer: &Printer, pods: &[String]) -> Sink {
        let mut sink = Sink {
            format: o.format,
            timestamps: o.timestamps,
            color: printer.color,
            terminal: printer.stdout_tty,
            width: 0,
            index: HashMap::new(),
        };
        for p in pods {
            sink.know(p);
        }
        sink
    }

    fn know(&mut self, pod: &str) -> usize {
        self.width = self.width.max(pod.chars().count());
        let next = self.index.len();
        *self.index.entry(pod.to_string()).or_insert(next)
    }

    fn render(&mut self, line: &Line) -> String {
        match self.format {
            OutputFormat::Raw => format!(
                "{}{}\n",
                format::timestamp(line, self.timestamps, self.terminal),
                format::raw(line, self.terminal)
            ),
            OutputFormat::Json => format!("{}\n", format::json(line)),
            _ => {
                let i = self.know(&line.pod);
                format!(
                    "{} | {}{}\n",
                    format::prefix(&line.pod, self.width, i, self.color),
                    format::timestamp(line, self.timestamps, true),
                    format::text(line, self.color)
                )
            }
        }
    }

    fn print(&mut self, lines: &[Line]) -> Result<()> {
        let mut out = std::io::stdout().lock();
        for l in lines {
            out.write_all(self.render(l).as_bytes())?;
        }
        out.flush()?;
        Ok(())
    }
}

/// Runs `msv logs`.
pub(crate) async fn run(cluster: &Cluster, o: &Options, printer: &Printer) -> Result<ExitCode> {
    let selector = selector(cluster, o).await?;
    let pods = cluster
        .api::<Pod>()
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| cluster.explain(e, "listing Pods"))?
        .items;
    if pods.is_empty() {
        unknown_service(cluster, &o.service).await?;
        if !o.follow {
            printer.info(&format!(
                "No pods of {} match (--which {:?}).",
                sanitize(&o.service),
                o.which
            ));
            return Ok(ExitCode::Success);
        }
    }
    if o.follow {
        return follow(cluster, o, printer, &selector).await;
    }
    let mut names: Vec<String> = pods
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    names.sort();
    let results: Vec<Result<Vec<Line>>> = futures::stream::iter(pods.iter())
        .map(|pod| async move {
            let name = pod.metadata.name.clone().unwrap_or_default();
            let text = cluster
                .api::<Pod>()
                .logs(&name, &params(o, pod, None, true))
                .await
                .map_err(|e| {
                    cluster.explain(e, &format!("reading the log of pod {}", sanitize(&name)))
                })?;
            Ok(text.lines().map(|l| to_line(o, pod, l)).collect())
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut lines = Vec::new();
    let mut failed = false;
    for r in results {
        match r {
            Ok(mut l) => lines.append(&mut l),
            // A pod whose container has not started yet has no log; say so and go on.
            Err(e) => {
                printer.warn(&format!("{e:#}"));
                failed = true;
            }
        }
    }
    // Merge by the time the kubelet recorded each line; lines of one pod keep their order.
    resume::by_time(&mut lines, |l| &l.received);
    Sink::new(o, printer, &names).print(&lines)?;
    Ok(if failed && lines.is_empty() {
        ExitCode::Failure
    } else {
        ExitCode::Success
    })
}

/// Streams every matching pod until interrupted: pods that appear later get a stream of
/// their own, and a stream that ends while its pod still exists (a container restart) is
/// reopened from the last line seen.
async fn follow(
    cluster: &Cluster,
    o: &Options,
    printer: &Printer,
    selector: &str,
) -> Result<ExitCode> {
    let (tx, mut rx) = mpsc::channel::<Line>(1024);
    let api = cluster.api::<Pod>();
    let mut pods = watcher(api.clone(), watcher::Config::default().labels(selector))
        .default_backoff()
        .applied_objects()
        .boxed();
    let mut started: BTreeSet<String> = BTreeSet::new();
    let mut sink = Sink::new(o, printer, &[]);
    loop {
        tokio::select! {
            pod = pods.try_next() => match pod {
                Ok(Some(pod)) => {
                    let Some(name) = pod.metadata.name.clone() else { continue };
                    if pod.metadata.deletion_timestamp.is_some() || !started.insert(name.clone()) {
                        continue;
                    }
                    sink.know(&name);
                    let initial = true;
                    tokio::spawn(stream_pod(cluster.clone(), o.clone(), pod, tx.clone(), initial));
                }
                Ok(None) => bail!("the watch on pods of {} ended", sanitize(&o.service)),
                Err(e) => printer.debug(1, &format!("watching pods: {e}")),
            },
            Some(line) = rx.recv() => sink.print(std::slice::from_ref(&line))?,
        }
    }
}

/// Follows one pod's log until the pod is gone. The kubelet ends the stream when the
/// container exits; it is reopened from the last line printed, which after a restart gives
/// the new container's lines (and before it has started, the old one's, already printed).
async fn stream_pod(
    cluster: Cluster,
    o: Options,
    pod: Pod,
    tx: mpsc::Sender<Line>,
    mut initial: bool,
) {
    let api = cluster.api::<Pod>();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let mut resume = resume::Resume::default();
    loop {
        // An error means the container has not started yet (ContainerCreating) or is
        // between restarts: try again shortly.
        if let Ok(stream) = api
            .log_stream(&name, &params(&o, &pod, resume.since(), initial))
            .await
        {
            initial = false;
            resume.reopened();
            let mut lines = stream.lines();
            while let Some(Ok(raw)) = lines.next().await {
                let line = to_line(&o, &pod, &raw);
                if !resume.admit(&line.received) {
                    continue;
                }
                if tx.send(line).await.is_err() {
                    return;
                }
            }
        }
        match api.get_opt(&name).await {
            Ok(Some(p))
                if p.metadata.uid == pod.metadata.uid
                    && p.metadata.deletion_timestamp.is_none() => {}
            Ok(_) => return,
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
