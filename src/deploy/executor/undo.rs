//! The one undo rule (see [`undo_for`]) and its two ways back: withdrawing a candidate
//! that never went live, and switching `S` back to the old color. Every message says what
//! is true of the cluster afterwards, read from it rather than assumed.

use super::{DeployError, Halt, Phase, Run, Undo, undo_for};
use crate::deploy::apply::{Expect, Serving, reselect, scale, switch, unadopt};
use crate::deploy::history::Outcome;
use crate::deploy::manifests;
use crate::deploy::ownership::{self, selector_changed_by};
use crate::deploy::plan::{deployment_name, live_color, preview_name};
use k8s_openapi::api::core::v1::Service;
use std::time::Duration;
use tokio::time::Instant;

impl Run<'_> {
    /// A phase stopped the rollout: undo what the phase reached calls for, record what
    /// happened, and build the error the user sees.
    pub(super) async fn undo(&mut self, phase: Phase, halt: Halt) -> anyhow::Error {
        let undo = undo_for(phase, &halt);
        self.leaving(&halt, undo == Undo::SwitchBack).await;
        let err = match undo {
            Undo::Withdraw => self.withdraw(halt).await,
            Undo::SwitchBack => self.switch_back(halt).await,
            Undo::Nothing => self.stop(phase, halt).await,
        };
        self.left();
        err
    }

    /// Before the switch: live traffic was never touched by msv. Scale the candidate back
    /// to zero (unless asked to keep it), record, and say what is left.
    async fn withdraw(&mut self, halt: Halt) -> anyhow::Error {
        let (msg, interrupted) = match halt {
            Halt::Failed(m) => (m, false),
            Halt::Interrupted(m) => (m, true),
            Halt::Error(e) => (format!("{e:#}"), false),
            Halt::Refused(m) | Halt::Overridden(m) => (m, false),
        };
        // A soak may have left `S` serving both colors: the live color alone first, so the
        // candidate is never scaled down while `S` selects it.
        let soaked = !self.plan.canary.is_empty() || self.plan.unfinished_soak.is_some();
        if let (true, Some(live)) = (soaked, self.plan.live) {
            let both = Serving::Both {
                canary: live.other(),
            };
            let name = &self.opts.settings.name;
            if let Err(e) = reselect(self.cluster, name, both, Serving::Live(live)).await {
                return self.stuck(msg, format!("{e:#}"), interrupted).await;
            }
            let deadline = Instant::now() + Duration::from_secs(60);
            if !self.endpoints_return(live, deadline).await {
                return self
                    .stuck(
                        msg,
                        format!("Service {name} selects {live} alone again, but its endpoints did not list {live}'s ready pods within 60s"),
                        interrupted,
                    )
                    .await;
            }
        }
        let s = &self.opts.settings;
        let name = deployment_name(&s.name, self.plan.candidate);
        let mut notes = vec![];
        if self.opts.deploy.keep_failed {
            notes.push(format!("{name} kept for inspection"));
        } else if let Err(e) = scale(self.cluster, &name, 0).await {
            notes.push(format!("could not scale {name} down: {e:#}"));
        }
        if self.plan.live.is_none() && self.plan.adopt.is_none() {
            notes.push(format!(
                "left for the next deploy: Deployment {name} (at 0 replicas{}) and Service {}",
                if self.opts.deploy.keep_failed {
                    " unless kept"
                } else {
                    ""
                },
                preview_name(&s.name)
            ));
        }
        let outcome = match interrupted {
            true => Outcome::Interrupted,
            false => Outcome::Failed,
        };
        let (cand, image) = (self.plan.candidate, self.plan.to_image.clone());
        if let Err(e) = self.record(cand, &image, outcome, msg.clone()).await {
            notes.push(format!("could not record history: {e:#}"));
        }
        let live = self.live_now().await;
        let text = format!(
            "{msg}\n{live}{}",
            notes.iter().map(|n| format!("\n{n}")).collect::<String>()
        );
        match interrupted {
            true => DeployError::Interrupted(text).into(),
            false => DeployError::Failed(text).into(),
        }
    }

    /// What Service `S` serves now, read from the cluster, as the last line of a failure
    /// before the switch.
    async fn live_now(&self) -> String {
        let name = &self.opts.settings.name;
        let now = match self.cluster.api::<Service>().get_opt(name).await {
            Ok(now) => now,
            Err(e) => return format!("could not read Service {name} to say what it serves: {e}"),
        };
        let Some(svc) = now else {
            return match self.service.is_some() {
                true => format!("Service {name} no longer exists: someone else deleted it"),
                false => format!("nothing was live; Service {name} not created"),
            };
        };
        if let Some(a) = &self.plan.adopt {
            let sel = ownership::selector(&svc);
            return match sel == a.selector {
                true => format!(
                    "live traffic untouched: {name} still serves Deployment {} ({})",
                    a.deployment,
                    ownership::show_selector(&sel)
                ),
                false => self.changed_line(&svc),
            };
        }
        match (live_color(Some(&svc)), self.plan.live) {
            (Some(now), Some(planned)) if now == planned && !self.soaked.is_empty() => format!(
                "{name} serves {now} alone again; {} served part of its traffic during the canary soak",
                self.plan.candidate
            ),
            (Some(now), Some(planned)) if now == planned => {
                format!("live traffic untouched: {name} still serves {now}")
            }
            _ => self.changed_line(&svc),
        }
    }

    fn changed_line(&self, svc: &Service) -> String {
        let name = &self.opts.settings.name;
        let by = selector_changed_by(svc)
            .map(|m| format!(" by {m}"))
            .unwrap_or_default();
        format!(
            "msv did not switch Service {name}; it was changed{by} during the deploy and now selects {}",
            ownership::show_selector(&ownership::selector(svc))
        )
    }

    /// After the switch: point `S` back at the old color (or the adopted Deployment),
    /// guarded like the switch, wait until its endpoints are the old pods again, then
    /// scale the candidate down. Each line says what happened, not what was meant to.
    async fn switch_back(&mut self, halt: Halt) -> anyhow::Error {
        let (msg, interrupted) = match halt {
            Halt::Interrupted(m) => (m, true),
            Halt::Failed(m) | Halt::Refused(m) | Halt::Overridden(m) => (m, false),
            Halt::Error(e) => (format!("{e:#}"), false),
        };
        let s = &self.opts.settings;
        let cand = self.plan.candidate;
        let cand_name = deployment_name(&s.name, cand);
        let image = self.plan.to_image.clone();
        let (target, back) = match (&self.plan.adopt, self.plan.live) {
            (Some(a), _) => (
                format!("Deployment {}", a.deployment),
                unadopt(self.cluster, &s.name, cand, a).await,
            ),
            (None, Some(old)) if old != cand => {
                let desired = match manifests::service(s, old, false) {
                    Ok(d) => d,
                    Err(e) => return self.stuck(msg, format!("{e:#}"), interrupted).await,
                };
                (
                    old.to_string(),
                    switch(self.cluster, &desired, Expect::Color(cand), None).await,
                )
            }
            _ => {
                let text = format!(
                    "{msg}\nno previous version is running to switch back to; {} stays on {cand}",
                    s.name
                );
                let _ = self
                    .record(cand, &image, Outcome::Failed, msg.clone())
                    .await;
                return self.failed(text, interrupted);
            }
        };
        if let Err(e) = back {
            return self.stuck(msg, format!("{e:#}"), interrupted).await;
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let returned = match (&self.plan.adopt, self.plan.live) {
            (None, Some(old)) => self.endpoints_return(old, deadline).await,
            // The adopted pods carry labels msv does not know; the service proxy answers
            // once the endpoints controller has moved them back.
            _ => true,
        };
        let mut text = format!(
            "{msg}\nswitched back automatically: {} serves {target} again",
            s.name
        );
        if !returned {
            text = format!(
                "{msg}\nswitched back: {} selects {target} again, but its endpoints did not list {target}'s ready pods within 60s; check the pods of {target}",
                s.name
            );
        }
        if self.opts.deploy.keep_failed {
            text.push_str(&format!("\n{cand_name} kept for inspection"));
        } else if let Err(e) = scale(self.cluster, &cand_name, 0).await {
            text.push_str(&format!("\ncould not scale {cand_name} down: {e:#}"));
        }
        if let Err(e) = self
            .record(cand, &image, Outcome::RolledBack, msg.clone())
            .await
        {
            text.push_str(&format!("\ncould not record history: {e:#}"));
        }
        self.failed(text, interrupted)
    }

    /// The switch back did not happen (someone else changed `S`, or the API refused):
    /// nothing more is touched; both versions keep running.
    async fn stuck(&mut self, msg: String, why: String, interrupted: bool) -> anyhow::Error {
        let s = &self.opts.settings;
        let text = format!(
            "{msg}\nDID NOT SWITCH BACK: {why}\nmsv changed nothing more: {} and the previous version keep running, nothing was scaled down. Check Service {} now (`kubectl get service {} -o yaml`), then run `msv deploy` or `msv rollback`",
            deployment_name(&s.name, self.plan.candidate),
            s.name,
            s.name
        );
        let (cand, image) = (self.plan.candidate, self.plan.to_image.clone());
        let _ = self
            .record(cand, &image, Outcome::Stopped, text.clone())
            .await;
        self.failed(text, interrupted)
    }

    /// A phase after the switch stopped without anything to undo: someone else moved `S`
    /// (touch nothing more), or the candidate is live and verified but finishing failed.
    async fn stop(&mut self, phase: Phase, halt: Halt) -> anyhow::Error {
        let s = &self.opts.settings;
        let (cand, image) = (self.plan.candidate, self.plan.to_image.clone());
        match halt {
            Halt::Refused(m) => DeployError::Refused(m).into(),
            Halt::Overridden(m) => {
                let old = self.old_name();
                let running = match old.is_empty() {
                    true => deployment_name(&s.name, cand),
                    false => format!("{} and {old}", deployment_name(&s.name, cand)),
                };
                let text = format!(
                    "{m}\nmsv stopped and changed nothing more: {running} keep running, nothing was scaled down, and this revision is not recorded as live. Check Service {} (`kubectl get service {} -o yaml`), then run `msv deploy` again or `msv rollback`",
                    s.name, s.name
                );
                let _ = self.record(cand, &image, Outcome::Stopped, m).await;
                DeployError::Failed(text).into()
            }
            Halt::Failed(m) | Halt::Interrupted(m) => self.finish_failed(phase, m),
            Halt::Error(e) => self.finish_failed(phase, format!("{e:#}")),
        }
    }

    /// Finishing a verified switch failed (scaling down, the autoscaler, the history).
    fn finish_failed(&self, phase: Phase, why: String) -> anyhow::Error {
        let s = &self.opts.settings;
        let (cand, image) = (self.plan.candidate, &self.plan.to_image);
        let then = match phase {
            Phase::Record => format!(
                "recording it in the history failed: {why}. Fix or delete ConfigMap {}-msv-history; `msv deploy --image {image}` then records it",
                s.name
            ),
            _ => format!(
                "finishing failed: {why}. Run `msv deploy --image {image}` again to scale the old color down and record the revision"
            ),
        };
        DeployError::Failed(format!(
            "{} is live on {cand} with {image} and passed verification, but {then}",
            s.name
        ))
        .into()
    }

    fn failed(&self, text: String, interrupted: bool) -> anyhow::Error {
        match interrupted {
            true => DeployError::Interrupted(text).into(),
            false => DeployError::Failed(text).into(),
        }
    }

    /// Wait until `S`'s endpoints are exactly the old color's ready pods again (however many
    /// it has now: the plan's count is the candidate's, which may be more).
    pub(super) async fn endpoints_return(
        &self,
        old: crate::deploy::plan::Color,
        deadline: Instant,
    ) -> bool {
        use crate::deploy::plan::{COLOR_LABEL, NAME_LABEL};
        use crate::deploy::rollout::switch_complete;
        use crate::deploy::watch::{endpoints_view, objects, until, view};
        use k8s_openapi::api::core::v1::Pod;
        let s = &self.opts.settings;
        let (eps, eps_ticks) = endpoints_view(self.cluster, &s.name).await;
        let pods = view::<Pod>(
            self.cluster,
            Some(&format!("{NAME_LABEL}={},{COLOR_LABEL}={old}", s.name)),
            None,
        );
        let ticks = futures::stream::select(eps_ticks, pods.ticks);
        let mut never = tokio::sync::watch::channel(false).1;
        until(ticks, deadline, &mut never, || {
            let listed = eps.ready()?;
            switch_complete(&listed, &objects(&pods.store), 1).then_some(())
        })
        .await
        .is_ok()
    }
}
