//! Runs one blue-green rollout against the cluster, step by step as the design lays out:
//! lock, read the live color, apply the candidate, wait for it with watches, check it
//! through the preview Service, switch Service `S` (guarded by resourceVersion), wait until
//! `S`'s endpoints are exactly the candidate's ready pods, verify, then scale the old color
//! down and record history. Before the switch a failure or Ctrl-C leaves live traffic
//! untouched; after it, the deploy completes or switches back. History is written last,
//! so a deploy killed after its switch is recognised by the next one (the image is live
//! but not recorded) and finished rather than rolled out again.

use super::apply::{apply, ensure_namespace, remove_pdb, scale, switch};
use super::history::{self, Outcome};
use super::lock;
use super::manifests::{self, ServiceSettings};
use super::plan::{Color, LiveState, Plan, deployment_name, live_color, plan, preview_name};
use super::rollout::{Rollout, rollout_state};
use super::watch::Stop;
use crate::cluster::Cluster;
use anyhow::{Result, anyhow};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use serde::Serialize;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct Options {
    pub settings: ServiceSettings,
    pub image: String,
    /// Replicas from the command line; otherwise the settings' count (or the live count).
    pub replicas: Option<i32>,
    pub timeout: Duration,
    pub verify_for: Duration,
    pub scale_down_delay: Duration,
    pub keep_old: bool,
    pub keep_failed: bool,
    pub create_namespace: bool,
    pub force: bool,
    pub probe_timeout: Duration,
    pub lease_seconds: i32,
    /// Record the result as a rollback rather than a deploy.
    pub rollback: bool,
}

/// What the user sees while a deploy runs (a progress bar on a terminal, lines otherwise).
pub trait Reporter: Send + Sync {
    fn phase(&self, phase: &str, detail: &str);
    fn progress(&self, available: i32, desired: i32);
}

/// A deploy that ran and failed (exit 1) or was interrupted (exit 130).
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("{0}")]
    Failed(String),
    #[error("{0}")]
    Interrupted(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseTime {
    pub phase: String,
    pub ms: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub service: String,
    pub namespace: String,
    pub revision: Option<u64>,
    pub from_color: Option<Color>,
    pub to_color: Color,
    pub from_image: Option<String>,
    pub to_image: String,
    pub replicas: i32,
    /// succeeded | unchanged | rollback
    pub outcome: String,
    pub phases: Vec<PhaseTime>,
    pub duration_ms: u64,
}

/// The HPA and the PDB are written after the switch: a cluster that lacks their API would
/// fail the deploy halfway. So check that it serves them before anything changes.
async fn require_apis(cluster: &Cluster, s: &ServiceSettings) -> Result<()> {
    let mut needed = vec![];
    if s.autoscaling.is_some() {
        needed.push((
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "for [deploy.autoscaling]",
            "1.23",
            "set deploy.autoscaling.enabled = false",
        ));
    }
    if s.wants_pdb() {
        needed.push((
            "policy/v1",
            "PodDisruptionBudget",
            "to cover the live color when replicas > 1 or autoscaling is on",
            "1.21",
            "set deploy.disruption_budget = false (MSV_DEPLOY_DISRUPTION_BUDGET=false) to deploy without one",
        ));
    }
    for (api, kind, why, since, instead) in needed {
        let served = match cluster.client.list_api_group_resources(api).await {
            Ok(list) => list.resources.iter().any(|r| r.kind == kind),
            Err(e) if crate::cluster::status_code(&e) == Some(404) => false,
            Err(e) => {
                return Err(cluster.explain(e, &format!("checking that the cluster serves {api}")));
            }
        };
        if !served {
            return Err(anyhow!(
                "the cluster of context {:?} does not serve {api} {kind}, which msv creates {why}; Kubernetes {since} and later serve it. Upgrade the cluster, or {instead}. Nothing was changed",
                cluster.context
            ));
        }
    }
    Ok(())
}

/// The API server's minor version, when it says (`None` if it can't be read: the
/// current manifests are used then).
async fn server_minor(cluster: &Cluster) -> Option<u32> {
    let v = cluster.client.apiserver_version().await.ok()?;
    let digits: String = v.minor.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// What planning read, kept so that later writes can start from it without reading again.
pub(super) struct Read {
    pub(super) plan: Plan,
    /// Service `S` as planned from (`None`: it did not exist).
    pub(super) service: Option<Service>,
    pub(super) history: Option<ConfigMap>,
}

/// Read what is live and plan the rollout, changing nothing (`--dry-run` uses this too).
pub async fn read_plan(cluster: &Cluster, opts: &Options) -> Result<Plan> {
    Ok(read_live(cluster, opts).await?.plan)
}

/// Service `S`, both colors' Deployments and the history, read at once.
async fn read_live(cluster: &Cluster, opts: &Options) -> Result<Read> {
    let s = &opts.settings;
    let deployments = cluster.api::<Deployment>();
    let dep = |c: Color| {
        let name = deployment_name(&s.name, c);
        let api = deployments.clone();
        async move {
            api.get_opt(&name)
                .await
                .map_err(|e| cluster.explain(e, &format!("reading Deployment {name}")))
        }
    };
    let svc = async {
        cluster
            .api::<Service>()
            .get_opt(&s.name)
            .await
            .map_err(|e| cluster.explain(e, &format!("reading Service {}", s.name)))
    };
    let (svc, blue, green, history) = tokio::try_join!(
        svc,
        dep(Color::Blue),
        dep(Color::Green),
        history::read_map(cluster, &s.name)
    )?;
    let color = live_color(svc.as_ref());
    let mut live = LiveState {
        color,
        ..Default::default()
    };
    let live_dep = match color {
        Some(Color::Blue) => blue,
        Some(Color::Green) => green,
        None => None,
    };
    if let Some(d) = live_dep {
        live.replicas = d.spec.replicas;
        live.image = d
            .spec
            .template
            .spec
            .and_then(|p| p.containers.into_iter().next())
            .and_then(|c| c.image);
    }
    if let (Some(c), Some(image)) = (color, live.image.as_deref()) {
        live.recorded = history::records_live(&history::entries(history.as_ref())?, c, image);
    }
    let configured = opts.replicas.unwrap_or(s.replicas);
    let mut p = plan(&live, configured, &opts.image, opts.force);
    if let Some(r) = opts.replicas.filter(|_| !p.resume) {
        p.replicas = r;
    }
    Ok(Read {
        plan: p,
        service: svc,
        history,
    })
}

pub(super) struct Run<'a> {
    pub(super) cluster: &'a Cluster,
    pub(super) opts: &'a Options,
    pub(super) rep: &'a dyn Reporter,
    pub(super) cancel: watch::Receiver<bool>,
    pub(super) phases: Vec<PhaseTime>,
    pub(super) mark: Instant,
    pub(super) who: String,
    /// The history ConfigMap as planning read it, for the first record.
    pub(super) history: Option<Option<ConfigMap>>,
    /// The API server's minor version, read while taking the lock.
    pub(super) server_minor: Option<u32>,
}

impl Run<'_> {
    fn phase(&mut self, name: &str, detail: &str) {
        self.rep.phase(name, detail);
        self.mark = Instant::now();
    }
    fn done(&mut self, name: &str) {
        self.phases.push(PhaseTime {
            phase: name.into(),
            ms: self.mark.elapsed().as_millis() as u64,
        });
    }
}

/// Run a deploy under the service's lock. `cancel` turning true means Ctrl-C.
pub async fn deploy(
    cluster: &Cluster,
    opts: &Options,
    rep: &dyn Reporter,
    cancel: watch::Receiver<bool>,
) -> Result<Summary> {
    let start = Instant::now();
    // Reads that nothing else waits on go out together; creating the namespace waits for
    // the API check, so that a cluster msv can't deploy to is left as it was.
    let existing_namespace = async {
        match opts.create_namespace {
            true => Ok(()),
            false => ensure_namespace(cluster, false).await,
        }
    };
    let (apis, server_minor, namespace, lease) = tokio::join!(
        require_apis(cluster, &opts.settings),
        server_minor(cluster),
        existing_namespace,
        lock::read(cluster, &opts.settings.name)
    );
    apis?;
    namespace?;
    if opts.create_namespace {
        ensure_namespace(cluster, true).await?;
    }
    let who = lock::identity();
    let guard = lock::acquire(
        cluster,
        &opts.settings.name,
        &who,
        opts.lease_seconds,
        lease?,
    )
    .await?;
    if let Some(prev) = &guard.took_over {
        rep.phase("lock", &format!("took over the expired lock of {prev}"));
    }
    let mut run = Run {
        cluster,
        opts,
        rep,
        cancel,
        phases: vec![],
        mark: Instant::now(),
        who,
        history: None,
        server_minor,
    };
    let mut lost = guard.lost.clone();
    let res = tokio::select! {
        r = run.locked(start) => r,
        _ = lost.wait_for(|l| *l) => Err(anyhow!("lost the lock of {} to another process; stopped", opts.settings.name)),
    };
    let released = guard.release().await;
    let summary = res?;
    released?;
    Ok(summary)
}

impl Run<'_> {
    async fn locked(&mut self, start: Instant) -> Result<Summary> {
        let (cluster, opts) = (self.cluster, self.opts);
        let s = &opts.settings;
        self.phase("plan", "reading the live color");
        let read = read_live(cluster, opts).await?;
        self.history = Some(read.history);
        let p = read.plan;
        self.done("plan");
        let mut summary = Summary {
            service: s.name.clone(),
            namespace: cluster.namespace.clone(),
            revision: None,
            from_color: p.live,
            to_color: p.candidate,
            from_image: p.from_image.clone(),
            to_image: p.to_image.clone(),
            replicas: p.replicas,
            outcome: "unchanged".into(),
            phases: vec![],
            duration_ms: 0,
        };
        if p.noop {
            summary.to_color = p.live.unwrap_or(p.candidate);
            summary.duration_ms = start.elapsed().as_millis() as u64;
            return Ok(summary);
        }
        if p.resume {
            return self.resume(p, summary, start).await;
        }
        let cand = p.candidate;
        let cand_name = deployment_name(&s.name, cand);

        self.phase(
            "apply",
            &format!("{cand_name} with {} x{}", p.to_image, p.replicas),
        );
        let mut dep = manifests::deployment(s, cand, &p.to_image, p.replicas)?;
        if let Some(v) = self.server_minor
            && v < manifests::SLEEP_ACTION_MINOR
        {
            manifests::exec_pre_stop(&mut dep);
            self.rep.phase(
                "apply",
                &format!("Kubernetes 1.{v} has no preStop sleep action (1.{}+): the preStop hook runs `sleep`, which the image must contain", manifests::SLEEP_ACTION_MINOR),
            );
        }
        let preview = manifests::service(s, cand, true)?;
        tokio::try_join!(apply(cluster, &dep), apply(cluster, &preview))?;
        self.done("apply");

        let deadline = Instant::now() + opts.timeout;
        self.phase("rollout", &format!("waiting for {cand_name}"));
        let mut w = self.watches(cand);
        match self.wait_rollout(&mut w, cand, &p.to_image, deadline).await {
            Ok(Ok(())) => {}
            Ok(Err(failure)) => {
                return Err(self
                    .abort(
                        &p,
                        Outcome::Failed,
                        format!("{cand_name} failed: {failure}"),
                    )
                    .await);
            }
            Err(Stop::Cancelled) => {
                return Err(self
                    .abort(
                        &p,
                        Outcome::Interrupted,
                        "interrupted during the rollout".into(),
                    )
                    .await);
            }
            Err(Stop::Timeout) => {
                let why = self.why_not_ready(cand, &p.to_image).await;
                let msg = format!(
                    "{cand_name} did not become ready within {:?}: {why}",
                    opts.timeout
                );
                return Err(self.abort(&p, Outcome::Failed, msg).await);
            }
        }
        self.done("rollout");

        self.phase(
            "health",
            &format!(
                "probing {}{} through {}",
                s.name,
                s.health_path,
                preview_name(&s.name)
            ),
        );
        if let Err(msg) = self.check_preview(&mut w, cand, p.replicas, deadline).await {
            let outcome = if msg.is_none() {
                Outcome::Interrupted
            } else {
                Outcome::Failed
            };
            let msg = msg.unwrap_or_else(|| "interrupted during the health check".into());
            return Err(self.abort(&p, outcome, msg).await);
        }
        self.done("health");

        // Step 6: from here on the deploy completes or switches back.
        self.phase("switch", &format!("Service {} -> {cand}", s.name));
        let desired = manifests::service(s, cand, false)?;
        if let Err(e) = switch(cluster, &desired, p.live, cand, Some(read.service)).await {
            return Err(self.abort(&p, Outcome::Failed, format!("{e:#}")).await);
        }
        let switch_deadline = Instant::now() + opts.timeout.max(Duration::from_secs(30));
        if self
            .wait_switched(&mut w, p.replicas, switch_deadline)
            .await
            .is_err()
        {
            let msg = format!(
                "Service {} endpoints did not move to {cand} within {:?}",
                s.name, opts.timeout
            );
            return Err(self.switch_back(&p, msg).await);
        }
        drop(w);
        self.done("switch");
        self.finish(&p, summary, start).await
    }

    /// A deploy that switched `S` to this image and stopped before recording it (killed,
    /// or its machine lost): make sure `S`'s endpoints followed, then verify, scale the
    /// other color down and record, as that deploy would have. The other color is a
    /// switch-back target only while all its pods are available.
    async fn resume(&mut self, p: Plan, mut summary: Summary, start: Instant) -> Result<Summary> {
        let s = &self.opts.settings;
        let cand = p.candidate;
        let old = cand.other();
        let old_name = deployment_name(&s.name, old);
        let old_dep = self
            .cluster
            .api::<Deployment>()
            .get_opt(&old_name)
            .await
            .map_err(|e| {
                self.cluster
                    .explain(e, &format!("reading Deployment {old_name}"))
            })?;
        let old_up = old_dep.as_ref().is_some_and(|d| {
            d.spec.replicas.unwrap_or(0) > 0 && rollout_state(d) == Rollout::Complete
        });
        self.phase(
            "resume",
            &format!(
                "{} already selects {cand} with {}; finishing the deploy that switched it",
                s.name, p.to_image
            ),
        );
        let mut never = watch::channel(false).1;
        let deadline = Instant::now() + self.opts.timeout.max(Duration::from_secs(30));
        if self
            .wait_endpoints(&s.name, cand, p.replicas, deadline, &mut never)
            .await
            .is_err()
        {
            return Err(DeployError::Failed(format!(
                "Service {} selects {cand}, but its endpoints did not become the ready pods of {cand} within {:?}; check the pods of {}",
                s.name,
                self.opts.timeout,
                deployment_name(&s.name, cand)
            ))
            .into());
        }
        self.done("resume");
        let q = Plan {
            live: old_up.then_some(old),
            ..p
        };
        summary.from_color = q.live;
        summary.from_image = None;
        self.finish(&q, summary, start).await
    }

    /// After the switch: verify, point the autoscaler and disruption budget at the new
    /// color, scale the old one down, record. History is written last, so a deploy that
    /// stops before it is finished by the next one (see [`Run::resume`]).
    async fn finish(&mut self, p: &Plan, mut summary: Summary, start: Instant) -> Result<Summary> {
        let (cluster, opts) = (self.cluster, self.opts);
        let s = &opts.settings;
        let cand = p.candidate;
        self.phase(
            "verify",
            &format!("probing {} for {:?}", s.name, opts.verify_for),
        );
        match self.verify().await {
            Ok(()) => {}
            Err(None) => {
                return Err(self
                    .switch_back(p, "interrupted during verification".into())
                    .await);
            }
            Err(Some(msg)) => return Err(self.switch_back(p, msg).await),
        }
        self.done("verify");

        let follow = async {
            if let Some(a) = &s.autoscaling {
                apply(cluster, &manifests::hpa(s, a, cand)?).await?;
            }
            if s.wants_pdb() {
                apply(cluster, &manifests::pdb(s, cand)?).await?;
            } else {
                remove_pdb(cluster, &s.name).await?;
            }
            anyhow::Ok(())
        };
        let mut note = String::new();
        let scaled = match p.live.filter(|_| !opts.keep_old) {
            None => {
                follow.await?;
                Ok(())
            }
            Some(old) => {
                let old_name = deployment_name(&s.name, old);
                self.phase(
                    "scale-down",
                    &format!("{old_name} to 0 after {:?}", opts.scale_down_delay),
                );
                let interrupted = tokio::select! {
                    _ = tokio::time::sleep(opts.scale_down_delay) => false,
                    _ = super::watch::cancelled(&mut self.cancel) => true,
                };
                let scaled = if interrupted {
                    note =
                        format!("interrupted before scaling {old_name} down; it is still running");
                    self.rep.phase(
                        "scale-down",
                        &format!("interrupted: {old_name} left running"),
                    );
                    follow.await?;
                    Ok(())
                } else {
                    let (followed, scaled) = tokio::join!(follow, scale(cluster, &old_name, 0));
                    followed?;
                    if let Err(e) = &scaled {
                        note = format!("could not scale {old_name} down: {e:#}");
                    }
                    scaled
                };
                self.done("scale-down");
                scaled
            }
        };
        let outcome = if opts.rollback {
            Outcome::Rollback
        } else {
            Outcome::Succeeded
        };
        let entry = self.record(cand, &p.to_image, outcome, note).await?;
        scaled?;
        summary.revision = Some(entry.revision);
        summary.outcome = outcome.to_string();
        summary.phases = std::mem::take(&mut self.phases);
        summary.duration_ms = start.elapsed().as_millis() as u64;
        Ok(summary)
    }
}
