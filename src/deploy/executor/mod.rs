//! Runs one blue-green rollout against the cluster as a sequence of phases, in the order
//! the protocol gives them (see [`Phase`] and [`sequence`]): under the service's Lease,
//! plan from what is live, apply the candidate, wait for its rollout, check it through
//! the preview Service, switch Service `S`, wait until `S`'s endpoints are the candidate's
//! ready pods, verify, hold, make sure `S` still selects exactly the candidate, point the
//! autoscaler and budget at it and scale the old color down, record history.
//!
//! Each phase is a method returning a [`Step`]; one function, [`Run::undo`], decides
//! what a failure means from the phase it stopped in: before the switch the candidate is
//! withdrawn and live traffic was never touched; after it, `S` is switched back — unless
//! someone else changed `S`, in which case msv touches nothing more and says so. History
//! is written last, so a deploy killed after its switch is recognised by the next one
//! (the image is live but not recorded) and finished rather than rolled out again.
//!
//! `protocol` holds the order and the undo rule; this module runs them. `reads` holds what
//! is read before the lock, `phases` the steps, `gates` the user's checks, smoke command and
//! metric analysis, `soak` the canary soak (and `side_by_side` its judgement), `waits` the
//! watch-driven conditions, `undo` the two ways back.

mod dry_run;
mod gates;
mod phases;
mod protocol;
mod reads;
mod side_by_side;
mod soak;
mod together;
use together::unless_other_fails;
mod undo;
mod waits;

use super::history::{self, Entry};
use super::lock;
use super::manifests::ServiceSettings;
use super::plan::{Color, Plan};
use crate::cluster::Cluster;
use anyhow::Result;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;

pub use dry_run::{ServerCheck, server_dry_run};
pub use protocol::{Extras, Halt, Phase, Step, Undo, sequence, undo_for};
pub use reads::{Objects, read_objects};

/// Everything one rollout runs on: the service's manifest settings, the merged `[deploy]`
/// settings (flags included) and what this run asks for — the one place deploy and
/// rollback alike put them together.
#[derive(Debug, Clone)]
pub struct Options {
    pub settings: ServiceSettings,
    pub deploy: crate::config::Deploy,
    pub request: Request,
}

/// What one rollout is asked to do beyond the settings: the flags that are actions.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub image: String,
    pub create_namespace: bool,
    pub force: bool,
    /// Take over a service that runs as a plain Deployment `S` with a Service `S`.
    pub adopt: bool,
    /// Record the result as a rollback rather than a deploy.
    pub rollback: bool,
    /// One member of a workspace release, switched all-or-nothing with the others.
    pub together: Option<super::group::Together>,
}

/// What the user sees while a deploy runs (a progress bar on a terminal, lines otherwise).
pub trait Reporter: Send + Sync {
    fn phase(&self, phase: &str, detail: &str);
    fn progress(&self, available: i32, desired: i32);
}

/// How a deploy that did not finish ended; the exit code follows from the kind.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// It ran and failed (exit 1): the message says what happened to live traffic.
    #[error("{0}")]
    Failed(String),
    /// Ctrl-C or SIGTERM (exit 130).
    #[error("{0}")]
    Interrupted(String),
    /// It refused to start: an object under one of msv's names belongs to someone else,
    /// or the request does not fit what is there (exit 2). Nothing was changed.
    #[error("{0}")]
    Refused(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseTime {
    pub phase: String,
    pub ms: u64,
}

/// How a deploy that finished ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Finished {
    /// A new revision went live.
    Succeeded,
    /// The image was already live; nothing changed.
    Unchanged,
    /// `msv rollback` made an earlier revision live.
    Rollback,
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
    pub outcome: Finished,
    pub phases: Vec<PhaseTime>,
    pub duration_ms: u64,
    /// Things done differently than asked (e.g. the old color left running after Ctrl-C).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The metric gates' last judgement, when `[deploy.analysis]` is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<crate::analysis::Judgement>,
    /// The canary soak's steps, each with its numbers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub canary: Vec<super::canary::Soaked>,
    /// The workspace release this rollout was part of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
}

/// Read what is live and plan the rollout, changing nothing (`--dry-run` uses this too).
/// Objects under msv's names that someone else made are refused here as in a deploy.
pub async fn read_plan(cluster: &Cluster, opts: &Options) -> Result<(Plan, Objects)> {
    let objects = read_objects(cluster, &opts.settings.name).await?;
    let plan = reads::decide(&objects, opts).map_err(refused)?;
    Ok((plan, objects))
}

fn refused(msg: String) -> anyhow::Error {
    DeployError::Refused(msg).into()
}

pub(super) struct Run<'a> {
    cluster: &'a Cluster,
    opts: &'a Options,
    rep: &'a dyn Reporter,
    /// Turns true on Ctrl-C or SIGTERM: the only way an interrupt reaches a deploy.
    cancel: watch::Receiver<bool>,
    who: String,
    server_minor: Option<u32>,
    plan: Plan,
    /// Service `S` as planned from (`None`: it did not exist).
    service: Option<Service>,
    /// The history ConfigMap as planning read it, for the first record.
    history: Option<Option<ConfigMap>>,
    watches: Option<waits::Watches>,
    /// The rollout's deadline, set when the candidate is applied.
    deadline: Instant,
    phases: Vec<PhaseTime>,
    mark: Instant,
    notes: Vec<String>,
    /// Set by [`Phase::Hold`] when Ctrl-C asked to leave the old color running.
    keep_old_now: bool,
    /// The watch has shown `S` selecting the candidate (see `waits::observed`).
    switch_seen: bool,
    entry: Option<Entry>,
    analysis: gates::Analysis,
    /// The candidate's replica count as last applied or scaled: the full count, or a
    /// canary step's.
    candidate_replicas: i32,
    /// The canary steps soaked so far.
    soaked: Vec<super::canary::Soaked>,
}

/// Run a deploy under the service's lock. `cancel` turning true means Ctrl-C.
pub async fn deploy(
    cluster: &Cluster,
    opts: &Options,
    rep: &dyn Reporter,
    cancel: watch::Receiver<bool>,
) -> Result<Summary> {
    lock(cluster, opts, rep).await?.run(cancel).await
}

/// A deploy that holds its service's lock and has not started yet: a workspace release
/// takes every member's lock first, in name order, before any member rolls out.
pub struct Locked<'a> {
    cluster: &'a Cluster,
    opts: &'a Options,
    rep: &'a dyn Reporter,
    guard: lock::LockGuard,
    who: String,
    server_minor: Option<u32>,
    start: Instant,
}

/// The reads before the lock, then the lock: refused (nothing changed) if an object under
/// msv's names belongs to someone else or the lock is held.
pub async fn lock<'a>(
    cluster: &'a Cluster,
    opts: &'a Options,
    rep: &'a dyn Reporter,
) -> Result<Locked<'a>> {
    let start = Instant::now();
    // Reads that nothing else waits on go out together: API checks, the version, the
    // namespace, and every object under msv's names (refused before the lock is taken if
    // any belongs to someone else). Creating the namespace waits for the API check, so a
    // cluster msv can't deploy to is left as it was.
    let existing_namespace = async {
        match opts.request.create_namespace {
            true => Ok(()),
            false => super::apply::ensure_namespace(cluster, false).await,
        }
    };
    let (apis, server_minor, namespace, objects) = tokio::join!(
        reads::require_apis(cluster, &opts.settings),
        reads::server_minor(cluster),
        existing_namespace,
        read_objects(cluster, &opts.settings.name),
    );
    apis?;
    namespace?;
    let objects = objects?;
    reads::decide(&objects, opts).map_err(refused)?;
    if opts.request.create_namespace {
        super::apply::ensure_namespace(cluster, true).await?;
    }
    let who = lock::identity();
    let guard = lock::acquire(
        cluster,
        &opts.settings.name,
        &who,
        crate::deploy::lease_seconds(opts.deploy.lock_lease),
        objects.lease.clone(),
    )
    .await?;
    if let Some(prev) = &guard.took_over {
        rep.phase("lock", &format!("took over the expired lock of {prev}"));
    }
    Ok(Locked {
        cluster,
        opts,
        rep,
        guard,
        who,
        server_minor,
        start,
    })
}

impl Locked<'_> {
    /// Run the rollout, then let the lock go.
    pub async fn run(self, cancel: watch::Receiver<bool>) -> Result<Summary> {
        let Locked {
            cluster,
            opts,
            rep,
            guard,
            who,
            server_minor,
            start,
        } = self;
        let mut lost = guard.lost.clone();
        let res = tokio::select! {
            r = locked(cluster, opts, rep, cancel, who, server_minor, start) => r,
            _ = lost.wait_for(|l| *l) => Err(anyhow::anyhow!("lost the lock of {} to another process; stopped", opts.settings.name)),
        };
        let released = guard.release().await;
        let summary = res?;
        released?;
        Ok(summary)
    }

    /// Let the lock go without running (another member of a release could not be locked).
    pub async fn release(self) -> Result<()> {
        self.guard.release().await
    }
}

/// Steps 2–8 under the lock: plan, then run the plan's sequence; a phase that stops the
/// rollout goes to [`Run::undo`].
async fn locked(
    cluster: &Cluster,
    opts: &Options,
    rep: &dyn Reporter,
    cancel: watch::Receiver<bool>,
    who: String,
    server_minor: Option<u32>,
    start: Instant,
) -> Result<Summary> {
    rep.phase(Phase::Plan.name(), "reading the live color");
    let mark = Instant::now();
    // Read again under the lock: what was read before it may have changed.
    let objects = read_objects(cluster, &opts.settings.name).await?;
    let plan = reads::decide(&objects, opts).map_err(refused)?;
    let candidate_replicas = plan.replicas;
    let mut run = Run {
        cluster,
        opts,
        rep,
        cancel,
        who,
        server_minor,
        plan,
        service: objects.service,
        history: Some(objects.history),
        watches: None,
        deadline: Instant::now() + opts.deploy.timeout,
        phases: vec![],
        mark,
        notes: vec![],
        keep_old_now: false,
        switch_seen: false,
        entry: None,
        analysis: Default::default(),
        candidate_replicas,
        soaked: vec![],
    };
    run.done(Phase::Plan);
    let extras = Extras {
        keep_old: opts.deploy.keep_old,
        analysis: run.gates().is_some(),
        checks: !opts.deploy.checks.is_empty(),
        smoke: opts.deploy.smoke.is_some(),
    };
    for phase in sequence(&run.plan, extras) {
        run.mark = Instant::now();
        let step = match phase {
            Phase::Plan => Ok(()),
            Phase::Unsoak => run.unsoak().await,
            Phase::Baseline => run.baseline().await,
            Phase::Apply => run.apply().await,
            Phase::Rollout => {
                let with = run.together();
                unless_other_fails(with, run.rollout()).await
            }
            Phase::Preview => {
                let with = run.together();
                unless_other_fails(with, run.preview()).await
            }
            Phase::Checks => {
                let with = run.together();
                unless_other_fails(with, run.checks()).await
            }
            Phase::Smoke => run.smoke().await,
            Phase::Soak => run.soak().await,
            Phase::Switch => match run.meet_before_switch().await {
                Ok(()) => run.switch().await,
                halt => halt,
            },
            Phase::Settle => run.settle().await.inspect(|()| run.met_switched()),
            Phase::Verify => {
                let with = run.together();
                match unless_other_fails(with, run.verify()).await {
                    Ok(()) => run.meet_after_verify().await,
                    halt => halt,
                }
            }
            Phase::Hold => run.hold().await,
            Phase::Guard => run.guard().await,
            Phase::Finish => run.finish().await,
            Phase::Record => run.record_success().await,
        };
        match step {
            Ok(()) => run.done(phase),
            Err(halt) => return Err(run.undo(phase, halt).await),
        }
    }
    Ok(run.summary(start))
}

impl Run<'_> {
    fn show(&self, phase: Phase, detail: &str) {
        self.rep.phase(phase.name(), detail);
    }

    /// Time spent in `phase`; phases that share a name add up.
    fn done(&mut self, phase: Phase) {
        let ms = self.mark.elapsed().as_millis() as u64;
        match self.phases.last_mut() {
            Some(last) if last.phase == phase.name() => last.ms += ms,
            _ => self.phases.push(PhaseTime {
                phase: phase.name().into(),
                ms,
            }),
        }
    }

    fn summary(&mut self, start: Instant) -> Summary {
        let p = &self.plan;
        let outcome = match (p.noop, self.opts.request.rollback) {
            (true, _) => Finished::Unchanged,
            (false, true) => Finished::Rollback,
            (false, false) => Finished::Succeeded,
        };
        Summary {
            service: self.opts.settings.name.clone(),
            namespace: self.cluster.namespace.clone(),
            revision: self.entry.as_ref().map(|e| e.revision),
            from_color: p.live.filter(|_| !p.resume || p.live != Some(p.candidate)),
            to_color: match p.noop {
                true => p.live.unwrap_or(p.candidate),
                false => p.candidate,
            },
            from_image: p.from_image.clone().filter(|_| !p.resume),
            to_image: p.to_image.clone(),
            replicas: p.replicas,
            outcome,
            phases: std::mem::take(&mut self.phases),
            duration_ms: start.elapsed().as_millis() as u64,
            notes: std::mem::take(&mut self.notes),
            analysis: self.analysis.judgement.clone(),
            canary: std::mem::take(&mut self.soaked),
            release: self.opts.request.together.as_ref().map(|t| t.id.clone()),
        }
    }

    /// Append an entry to the history (revision numbers are the history's own).
    async fn record(
        &mut self,
        color: Color,
        image: &str,
        outcome: history::Outcome,
        message: String,
    ) -> Result<Entry> {
        let time = k8s_openapi::jiff::Timestamp::now()
            .round(k8s_openapi::jiff::Unit::Second)
            .map(|t| t.to_string())
            .unwrap_or_default();
        let who = self.who.clone();
        let judgement = self.analysis.judgement.clone();
        let canary = self.soaked.clone();
        let release = self.opts.request.together.as_ref().map(|t| t.id.clone());
        let known = self.history.take();
        history::record(self.cluster, &self.opts.settings.name, known, |revision| {
            Entry {
                revision,
                image: image.to_string(),
                color,
                time: time.clone(),
                who: who.clone(),
                outcome,
                message: message.clone(),
                analysis: judgement.clone(),
                canary: canary.clone(),
                release: release.clone(),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests;
