//! The phases of a rollout (see the sequence in `executor`), each a method returning a
//! [`Step`]; plus what the deploy reads before it starts: every object under msv's names,
//! and the plan decided from them (refusing objects msv did not make).

use super::waits::Watches;
use super::{Halt, Options, Phase, Run, Step};
use crate::cluster::Cluster;
use crate::deploy::apply::{Expect, apply, remove_pdb, scale, switch};
use crate::deploy::history;
use crate::deploy::manifests::{self, ServiceSettings};
use crate::deploy::ownership::{self, made_by, made_by_msv};
use crate::deploy::plan::{
    Color, LiveState, Plan, deployment_name, history_name, live_color, lock_name, plan,
    preview_name,
};
use crate::deploy::rollout::{Rollout, rollout_state};
use crate::health;
use anyhow::{Result, anyhow};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Resource;
use std::time::Duration;
use tokio::time::Instant;

/// Every object a deploy of one service reads or writes, as they are now.
#[derive(Debug, Clone, Default)]
pub struct Objects {
    /// Service `S`.
    pub service: Option<Service>,
    pub preview: Option<Service>,
    pub blue: Option<Deployment>,
    pub green: Option<Deployment>,
    /// A Deployment named like the service: what an adopting deploy takes over.
    pub plain: Option<Deployment>,
    pub lease: Option<Lease>,
    pub history: Option<ConfigMap>,
    pub hpa: Option<HorizontalPodAutoscaler>,
    pub pdb: Option<PodDisruptionBudget>,
}

/// Read every object under the service's names at once. The autoscaler and budget are read
/// only where the cluster serves their API (an older one answers 404 for the kind).
pub async fn read_objects(cluster: &Cluster, name: &str) -> Result<Objects> {
    async fn get<K>(cluster: &Cluster, name: String) -> Result<Option<K>>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + std::fmt::Debug
            + serde::de::DeserializeOwned,
        K::DynamicType: Default,
    {
        let kind = K::kind(&Default::default()).to_string();
        match cluster.api::<K>().get_opt(&name).await {
            Ok(found) => Ok(found),
            Err(e) if crate::cluster::status_code(&e) == Some(404) => Ok(None),
            Err(e) => Err(cluster.explain(e, &format!("reading {kind} {name}"))),
        }
    }
    let (service, preview, blue, green, plain, lease, history, hpa, pdb) = tokio::try_join!(
        get::<Service>(cluster, name.to_string()),
        get::<Service>(cluster, preview_name(name)),
        get::<Deployment>(cluster, deployment_name(name, Color::Blue)),
        get::<Deployment>(cluster, deployment_name(name, Color::Green)),
        get::<Deployment>(cluster, name.to_string()),
        get::<Lease>(cluster, lock_name(name)),
        get::<ConfigMap>(cluster, history_name(name)),
        get::<HorizontalPodAutoscaler>(cluster, name.to_string()),
        get::<PodDisruptionBudget>(cluster, name.to_string()),
    )?;
    Ok(Objects {
        service,
        preview,
        blue,
        green,
        plain,
        lease,
        history,
        hpa,
        pdb,
    })
}

/// The objects under msv's names that someone else made, each as `Kind name (who)`.
/// Service `S` is left out when `adopting` (adoption decides about it); the autoscaler
/// and budget count only when the settings make msv write them.
pub fn foreign(objects: &Objects, s: &ServiceSettings, adopting: bool) -> Vec<String> {
    let mut out = vec![];
    let mut check = |kind: &str,
                     meta: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>,
                     applied: bool| {
        if let Some(m) = meta
            && !made_by_msv(m, applied)
        {
            out.push(format!(
                "{kind} {} ({})",
                m.name.as_deref().unwrap_or(""),
                made_by(m)
            ));
        }
    };
    if !adopting {
        check(
            "Service",
            objects.service.as_ref().map(|o| &o.metadata),
            true,
        );
    }
    check(
        "Service",
        objects.preview.as_ref().map(|o| &o.metadata),
        true,
    );
    check(
        "Deployment",
        objects.blue.as_ref().map(|o| &o.metadata),
        true,
    );
    check(
        "Deployment",
        objects.green.as_ref().map(|o| &o.metadata),
        true,
    );
    check("Lease", objects.lease.as_ref().map(|o| &o.metadata), false);
    check(
        "ConfigMap",
        objects.history.as_ref().map(|o| &o.metadata),
        false,
    );
    // The autoscaler and budget are written only when the settings want them; one that
    // someone else made is otherwise left alone.
    if s.autoscaling.is_some() {
        check(
            "HorizontalPodAutoscaler",
            objects.hpa.as_ref().map(|o| &o.metadata),
            true,
        );
    }
    if s.wants_pdb() {
        check(
            "PodDisruptionBudget",
            objects.pdb.as_ref().map(|o| &o.metadata),
            false,
        );
    }
    out
}

/// Decide the rollout from what is there, or say why msv must not touch it (the error is
/// a refusal: nothing has been changed).
pub fn decide(objects: &Objects, opts: &Options) -> Result<Plan, String> {
    let s = &opts.settings;
    let service_ours = objects
        .service
        .as_ref()
        .is_none_or(|svc| made_by_msv(&svc.metadata, true));
    let adopting = opts.request.adopt && !service_ours;
    let others = foreign(objects, s, adopting);
    if !others.is_empty() {
        let hint = match (&objects.service, &objects.plain, service_ours) {
            (Some(_), Some(_), false) if !opts.request.adopt => format!(
                " To take over a service that runs as Deployment {0} with Service {0}, run `msv deploy --adopt`.",
                s.name
            ),
            _ => String::new(),
        };
        return Err(format!(
            "{} already exist{} in namespace {} and {} not made by msv:\n  {}\nmsv changes only objects it made; nothing was changed. Choose another service name, or remove or rename {}.{hint}",
            if others.len() == 1 {
                "this object"
            } else {
                "these objects"
            },
            if others.len() == 1 { "s" } else { "" },
            s.namespace,
            if others.len() == 1 { "was" } else { "were" },
            others.join("\n  "),
            if others.len() == 1 { "it" } else { "them" },
        ));
    }
    let entries = history::entries(objects.history.as_ref()).map_err(|e| {
        format!(
            "{e:#}; msv reads its history before a deploy: fix the ConfigMap's history.json or delete ConfigMap {} (the history starts again)",
            history_name(&s.name)
        )
    })?;
    if adopting {
        let svc = objects.service.as_ref().expect("adopting needs Service S");
        let adoption = ownership::adoptable(svc, objects.plain.as_ref())?;
        let replicas = opts
            .deploy
            .replicas
            .unwrap_or(s.replicas)
            .max(adoption.replicas);
        return Ok(Plan {
            candidate: Color::Blue,
            live: None,
            replicas,
            from_image: adoption.image.clone(),
            to_image: opts.request.image.clone(),
            noop: false,
            resume: false,
            adopt: Some(adoption),
        });
    }
    let color = live_color(objects.service.as_ref());
    let mut live = LiveState {
        color,
        ..Default::default()
    };
    let live_dep = match color {
        Some(Color::Blue) => objects.blue.as_ref(),
        Some(Color::Green) => objects.green.as_ref(),
        None => None,
    };
    if let Some(d) = live_dep {
        live.replicas = d.spec.replicas;
        live.image = manifests::image_of(d);
    }
    if let (Some(c), Some(image)) = (color, live.image.as_deref()) {
        live.recorded = history::records_live(&entries, c, image);
    }
    let configured = opts.deploy.replicas.unwrap_or(s.replicas);
    let mut p = plan(&live, configured, &opts.request.image, opts.request.force);
    if let Some(r) = opts.deploy.replicas.filter(|_| !p.resume) {
        p.replicas = r;
    }
    if p.resume {
        // The color to scale down (and to switch back to) is the other one, while all of
        // its pods are available.
        let old = p.candidate.other();
        let old_dep = match old {
            Color::Blue => objects.blue.as_ref(),
            Color::Green => objects.green.as_ref(),
        };
        let old_up = old_dep.is_some_and(|d| {
            d.spec.replicas.unwrap_or(0) > 0 && rollout_state(d) == Rollout::Complete
        });
        p.live = old_up.then_some(old);
        p.from_image = None;
    }
    Ok(p)
}

/// The HPA and the PDB are written after the switch: a cluster that lacks their API would
/// fail the deploy halfway. So check that it serves them before anything changes.
pub(super) async fn require_apis(cluster: &Cluster, s: &ServiceSettings) -> Result<()> {
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
pub(super) async fn server_minor(cluster: &Cluster) -> Option<u32> {
    let v = cluster.client.apiserver_version().await.ok()?;
    let digits: String = v.minor.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl Run<'_> {
    fn candidate_name(&self) -> String {
        deployment_name(&self.opts.settings.name, self.plan.candidate)
    }

    /// The port Service `S` and the preview serve on: `S`'s own first port when it exists
    /// (an adopted Service, or msv.toml's port changed since `S` was made), else msv.toml's.
    pub(super) fn service_port(&self) -> u16 {
        self.service
            .as_ref()
            .and_then(|s| s.spec.as_ref())
            .and_then(|s| s.ports.as_ref())
            .and_then(|p| p.first())
            .and_then(|p| u16::try_from(p.port).ok())
            .unwrap_or(self.opts.settings.port)
    }

    /// `S`'s selector once it serves the candidate.
    pub(super) fn desired_selector(&self) -> std::collections::BTreeMap<String, String> {
        manifests::selector(&self.opts.settings.name, self.plan.candidate)
    }

    /// Step 3: The candidate Deployment (from msv's manifest, or from the adopted Deployment's
    /// pod template) and the preview Service selecting it.
    pub(super) async fn apply(&mut self) -> Step {
        let (s, p) = (&self.opts.settings, &self.plan);
        let cand = p.candidate;
        self.show(
            Phase::Apply,
            &format!(
                "{} with {} x{}",
                self.candidate_name(),
                p.to_image,
                p.replicas
            ),
        );
        let (mut dep, preview) = match &p.adopt {
            None => (
                manifests::deployment(s, cand, &p.to_image, p.replicas)?,
                manifests::service(s, cand, true)?,
            ),
            Some(a) => {
                let plain = self
                    .cluster
                    .api::<Deployment>()
                    .get(&a.deployment)
                    .await
                    .map_err(|e| {
                        self.cluster
                            .explain(e, &format!("reading Deployment {}", a.deployment))
                    })?;
                let svc = self.service.as_ref().expect("adopting needs Service S");
                (
                    manifests::adopted_deployment(s, cand, &plain, a, &p.to_image, p.replicas)?,
                    manifests::adopted_preview(s, cand, svc)?,
                )
            }
        };
        if let Some(v) = self.server_minor
            && v < manifests::SLEEP_ACTION_MINOR
        {
            manifests::exec_pre_stop(&mut dep);
            self.show(
                Phase::Apply,
                &format!("Kubernetes 1.{v} has no preStop sleep action (1.{}+): the preStop hook runs `sleep`, which the image must contain", manifests::SLEEP_ACTION_MINOR),
            );
        }
        tokio::try_join!(apply(self.cluster, &dep), apply(self.cluster, &preview))?;
        self.deadline = Instant::now() + self.opts.deploy.timeout;
        self.watches = Some(Watches::open(self.cluster, s, cand));
        Ok(())
    }

    /// Step 4: Wait for the candidate's rollout (kubectl's definition of complete); fail fast
    /// on what waiting will not fix, naming the pod or the ReplicaSet's reason.
    pub(super) async fn rollout(&mut self) -> Step {
        let name = self.candidate_name();
        self.show(Phase::Rollout, &format!("waiting for {name}"));
        self.wait_rollout().await
    }

    /// Step 5: `S-preview`'s endpoints follow the candidate, then its health path answers.
    pub(super) async fn preview(&mut self) -> Step {
        let s = &self.opts.settings;
        let preview = preview_name(&s.name);
        self.show(
            Phase::Preview,
            &format!("probing {}{} through {preview}", s.name, s.health_path),
        );
        self.wait_preview_endpoints().await?;
        // Several requests at once: the proxy picks an endpoint per request, so they reach
        // several pods, and the check costs one round trip rather than one per request.
        let count = (2 * self.plan.replicas.max(1) as usize).max(3);
        let port = match self.plan.adopt {
            Some(_) => self.service_port(),
            None => s.port,
        };
        let probes = health::probe_service_concurrently(
            self.cluster,
            &preview,
            port,
            &s.health_path,
            self.opts.deploy.probe_timeout,
            count,
        )
        .await;
        match probes.iter().find(|p| !p.ok()) {
            None => Ok(()),
            Some(bad) => Err(Halt::Failed(format!(
                "health check of {} failed before the switch: {}",
                s.health_path,
                bad.describe()
            ))),
        }
    }

    /// Step 6: Point `S` at the candidate, only if it still selects what the plan read.
    pub(super) async fn switch(&mut self) -> Step {
        let cand = self.plan.candidate;
        // The baseline ends where the candidate's window begins.
        self.close_baseline().await;
        let s = &self.opts.settings;
        self.show(Phase::Switch, &format!("Service {} -> {cand}", s.name));
        let desired = manifests::service(s, cand, false)?;
        let expect = match (&self.plan.adopt, self.plan.live) {
            (Some(a), _) => Expect::Adopt(a.selector.clone()),
            (None, Some(c)) => Expect::Color(c),
            (None, None) => Expect::Absent,
        };
        let known = Some(self.service.clone());
        switch(self.cluster, &desired, expect, known)
            .await
            .map_err(|e| Halt::Failed(format!("{e:#}")))
    }

    /// Step 6: Wait until `S`'s endpoints are exactly the candidate's ready pods; a deploy that
    /// resumes starts here. Not interruptible: past the switch the deploy completes or
    /// switches back.
    pub(super) async fn settle(&mut self) -> Step {
        let s = &self.opts.settings;
        if self.plan.resume {
            self.rep.phase(
                "resume",
                &format!(
                    "{} already selects {} with {}; finishing the deploy that switched it",
                    s.name, self.plan.candidate, self.plan.to_image
                ),
            );
        }
        if self.watches.is_none() {
            self.watches = Some(Watches::open(self.cluster, s, self.plan.candidate));
        }
        let deadline = Instant::now() + self.opts.deploy.timeout.max(Duration::from_secs(30));
        self.wait_switched(deadline).await
    }

    /// Step 7: Probe `S` through the verify window.
    pub(super) async fn verify(&mut self) -> Step {
        let window = self.opts.deploy.verify_for;
        self.show(
            Phase::Verify,
            &format!("probing {} for {window:?}", self.opts.settings.name),
        );
        self.verify_window(window).await
    }

    /// Step 8: The scale-down delay: the old color stays up for an instant switch-back. Ctrl-C
    /// here leaves it running and finishes the deploy.
    pub(super) async fn hold(&mut self) -> Step {
        let delay = self.opts.deploy.scale_down_delay;
        let old = self.old_name();
        self.show(Phase::Hold, &format!("{old} to 0 after {delay:?}"));
        if !self.hold_for(delay).await? {
            self.notes.push(format!(
                "interrupted before scaling {old} down; it is still running"
            ));
            self.show(Phase::Hold, &format!("interrupted: {old} left running"));
            self.keep_old_now = true;
        }
        Ok(())
    }

    /// Step 8: Before anything of the old color is touched and before success is recorded:
    /// `S` must select exactly the candidate and its endpoints be the candidate's pods.
    pub(super) async fn guard(&mut self) -> Step {
        self.show(
            Phase::Guard,
            &format!(
                "checking that {} selects only {}",
                self.opts.settings.name, self.plan.candidate
            ),
        );
        let name = &self.opts.settings.name;
        let now = self
            .cluster
            .api::<Service>()
            .get_opt(name)
            .await
            .map_err(|e| self.cluster.explain(e, &format!("reading Service {name}")))?;
        self.check_selector(now.as_ref())?;
        let deadline = Instant::now() + Duration::from_secs(30);
        self.wait_switched(deadline).await
    }

    /// The Deployment the hold and finish scale down: the old color, or the adopted one.
    pub(super) fn old_name(&self) -> String {
        match (&self.plan.adopt, self.plan.live) {
            (Some(a), _) => a.deployment.clone(),
            (None, Some(c)) if c != self.plan.candidate => {
                deployment_name(&self.opts.settings.name, c)
            }
            _ => String::new(),
        }
    }

    /// Step 8: The autoscaler and disruption budget follow the candidate; the old color (or the
    /// adopted Deployment, which is never deleted) goes to zero.
    pub(super) async fn finish(&mut self) -> Step {
        let (cluster, s) = (self.cluster, &self.opts.settings);
        let cand = self.plan.candidate;
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
        let old = self.old_name();
        let scale_old = !old.is_empty() && !self.opts.deploy.keep_old && !self.keep_old_now;
        if !scale_old {
            follow.await?;
            return Ok(());
        }
        self.show(Phase::Finish, &format!("scaling {old} to 0"));
        let (followed, scaled) = tokio::join!(follow, scale(cluster, &old, 0));
        followed?;
        scaled.map_err(|e| anyhow!("could not scale {old} down: {e:#}"))?;
        Ok(())
    }

    /// Step 8: Record the revision: it is live, verified, and the old color is down.
    pub(super) async fn record_success(&mut self) -> Step {
        let outcome = match self.opts.request.rollback {
            true => history::Outcome::Rollback,
            false => history::Outcome::Succeeded,
        };
        let (cand, image) = (self.plan.candidate, self.plan.to_image.clone());
        let note = self.notes.join("; ");
        let entry = self.record(cand, &image, outcome, note).await?;
        self.entry = Some(entry);
        Ok(())
    }

    /// `S` as it is now must select the candidate exactly; otherwise someone else moved
    /// it, and the halt says what it selects and who changed it.
    pub(super) fn check_selector(&self, now: Option<&Service>) -> Step {
        let name = &self.opts.settings.name;
        let want = self.desired_selector();
        let Some(svc) = now else {
            return Err(Halt::Overridden(format!(
                "Service {name} was deleted by someone else after the switch"
            )));
        };
        let sel = ownership::selector(svc);
        if sel == want {
            return Ok(());
        }
        let by = ownership::selector_changed_by(svc)
            .map(|m| format!(" by {m}"))
            .unwrap_or_default();
        Err(Halt::Overridden(format!(
            "Service {name} was changed{by} after msv switched it to {}: it now selects {} instead of {}",
            self.plan.candidate,
            ownership::show_selector(&sel),
            ownership::show_selector(&want)
        )))
    }
}
