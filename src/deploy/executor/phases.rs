//! The phases of a rollout (see the sequence in `executor`), each a method returning a
//! [`Step`]. What the deploy reads before it starts is in `reads`.

use super::waits::Watches;
use super::{Halt, Phase, Run, Step};
use crate::deploy::apply::{Expect, apply, remove_pdb, scale, switch};
use crate::deploy::history;
use crate::deploy::manifests::{self};
use crate::deploy::ownership::{self};
use crate::deploy::plan::{deployment_name, preview_name};
use crate::health;
use anyhow::anyhow;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use std::time::Duration;
use tokio::time::Instant;

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
        // A soak starts the candidate at its first step's count.
        self.candidate_replicas = self
            .plan
            .canary
            .first()
            .map_or(self.plan.replicas, |c| c.candidate_replicas);
        let (s, p, replicas) = (&self.opts.settings, &self.plan, self.candidate_replicas);
        let cand = p.candidate;
        self.show(
            Phase::Apply,
            &format!("{} with {} x{replicas}", self.candidate_name(), p.to_image),
        );
        let (mut dep, preview) = match &p.adopt {
            None => (
                manifests::deployment(s, cand, &p.to_image, replicas)?,
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
                    manifests::adopted_deployment(s, cand, &plain, a, &p.to_image, replicas)?,
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
        self.watches = Some(Watches::open(self.cluster, s, cand).await);
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
        let count = (2 * self.candidate_replicas.max(1) as usize).max(3);
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
            self.watches = Some(Watches::open(self.cluster, s, self.plan.candidate).await);
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
