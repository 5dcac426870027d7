//! The canary soak ([`Phase::Soak`]) and its recovery after a killed deploy
//! ([`Phase::Unsoak`]); the pure half — pod counts per share, `S`'s two-color selector —
//! is `crate::deploy::canary`, the judgement of each step `side_by_side`.
//!
//! Each step: `S` serves the live color alone; the candidate is scaled to the step's count,
//! waits until complete and passes the preview's health probe and the user's checks; no
//! pod but the two colors' carries the service's name label; then `S` selects both colors
//! (guarded by resourceVersion like the switch), and once its endpoints are both colors'
//! ready pods, msv probes `S` and judges the candidate against the live color over the
//! same minutes, every analysis interval and at the step's end. So `S` only ever selects
//! colors whose pods are all available. After the last step `S` serves the live color
//! alone again and the candidate goes to its full count; the switch follows as without a
//! soak. Anything that stops a step is undone by the executor's rule for phases before
//! the switch: `S` back to the live color alone, then the candidate scaled down.

use super::{Halt, Phase, Run, Step};
use crate::config::CANARY_PAUSE;
use crate::deploy::apply::{Changed, Serving, reselect, scale};
use crate::deploy::canary::{self, Soaked};
use crate::deploy::ownership::{selector, selector_changed_by, show_selector};
use crate::deploy::plan::{COLOR_LABEL, Color, NAME_LABEL, deployment_name};
use crate::deploy::rollout::switch_complete;
use crate::deploy::watch::{Stop, cancelled, endpoints_view, objects, until, view};
use crate::health;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::ResourceExt;
use kube::api::ListParams;
use std::time::Duration;
use tokio::time::Instant;

/// A selector someone else changed is theirs to decide about: stop, touch nothing more.
fn halt_for(e: anyhow::Error) -> Halt {
    match e.downcast_ref::<Changed>() {
        Some(_) => Halt::Overridden(format!("{e:#}")),
        None => Halt::Error(e),
    }
}

/// What a watch shows of `S` during a step: until it has shown `S` serving both colors
/// once (`seen`), nothing yet (the first list has not come) or `S` at the resourceVersion
/// msv patched from (`lag`) is the watch lagging behind msv's own patch; anything else —
/// even the live color alone at a newer version — or any change after that, is someone
/// else's.
fn moved(svc: Option<&Service>, want: Serving, lag: Option<&str>, seen: &mut bool) -> bool {
    let Some(svc) = svc else {
        return *seen;
    };
    if Serving::of(svc) == Some(want) {
        *seen = true;
        return false;
    }
    *seen || lag.is_none() || svc.metadata.resource_version.as_deref() != lag
}

/// The color of a pod of the service, if it is one of the two.
fn color_of(pod: &Pod) -> Option<Color> {
    pod.labels().get(COLOR_LABEL).and_then(|c| Color::parse(c))
}

impl Run<'_> {
    /// Step 5: soak each canary step; then the live color alone and the candidate at its
    /// full count, ready for the switch.
    pub(super) async fn soak(&mut self) -> Step {
        let res = self.soak_steps().await;
        if let Err(halt) = &res
            && let Some(last) = self.soaked.last_mut()
            && last.outcome == "running"
        {
            last.outcome = match halt {
                Halt::Interrupted(_) => "interrupted",
                Halt::Overridden(_) => "stopped",
                _ => "failed",
            }
            .into();
        }
        res
    }

    async fn soak_steps(&mut self) -> Step {
        let Some(live) = self.plan.live else {
            return Ok(());
        };
        let (cand, name) = (self.plan.candidate, self.opts.settings.name.clone());
        let pause = self
            .opts
            .deploy
            .canary
            .as_ref()
            .map_or(CANARY_PAUSE, |c| c.pause);
        let planned = self.plan.canary.clone();
        if self.gates().is_none() {
            self.show(
                Phase::Soak,
                "no [deploy.analysis] limits: each step is judged by health probes only",
            );
        }
        for (i, p) in planned.iter().enumerate() {
            // The live color's count now: an autoscaler may have moved it since the plan.
            let live_n = self.replicas_of(live).await?.unwrap_or(p.live_replicas);
            let step = canary::Step {
                percent: p.percent,
                candidate_replicas: canary::replicas_for(p.percent, live_n),
                live_replicas: live_n,
            };
            self.show(
                Phase::Soak,
                &format!(
                    "step {}/{}: {}% — {cand} x{} beside {live} x{live_n} ({:.0}% of the pods) for {pause:?}",
                    i + 1,
                    planned.len(),
                    step.percent,
                    step.candidate_replicas,
                    step.share()
                ),
            );
            if i > 0 {
                let both = Serving::Both { canary: cand };
                reselect(self.cluster, &name, both, Serving::Live(live))
                    .await
                    .map_err(halt_for)?;
            }
            self.ready_candidate(step.candidate_replicas).await?;
            self.no_strangers().await?;
            let both = Serving::Both { canary: cand };
            let lag = reselect(self.cluster, &name, Serving::Live(live), both)
                .await
                .map_err(halt_for)?;
            self.soaked.push(Soaked {
                step,
                ms: 0,
                outcome: "running".into(),
                analysis: None,
            });
            let started = Instant::now();
            let res = self.soak_step(i + 1, live, pause, lag.as_deref()).await;
            if let Some(last) = self.soaked.last_mut() {
                last.ms = started.elapsed().as_millis() as u64;
                if res.is_ok() {
                    last.outcome = "passed".into();
                }
            }
            res?;
        }
        self.show(
            Phase::Soak,
            &format!(
                "{name} back to {live} alone; {cand} to its full count x{}",
                self.plan.replicas
            ),
        );
        let both = Serving::Both { canary: cand };
        reselect(self.cluster, &name, both, Serving::Live(live))
            .await
            .map_err(halt_for)?;
        self.ready_candidate(self.plan.replicas).await
    }

    /// `spec.replicas` of one color's Deployment now.
    async fn replicas_of(&self, color: Color) -> Result<Option<i32>, Halt> {
        let name = deployment_name(&self.opts.settings.name, color);
        let dep = self
            .cluster
            .api::<k8s_openapi::api::apps::v1::Deployment>()
            .get_opt(&name)
            .await
            .map_err(|e| {
                self.cluster
                    .explain(e, &format!("reading Deployment {name}"))
            })?;
        Ok(dep.and_then(|d| d.spec.replicas))
    }

    /// Scale the candidate to `n`, wait for its rollout, then its preview: health and the
    /// user's checks.
    async fn ready_candidate(&mut self, n: i32) -> Step {
        if n != self.candidate_replicas {
            let name = deployment_name(&self.opts.settings.name, self.plan.candidate);
            scale(self.cluster, &name, n).await?;
            self.candidate_replicas = n;
        }
        self.deadline = Instant::now() + self.opts.deploy.timeout;
        self.wait_rollout().await?;
        self.preview().await?;
        if !self.opts.deploy.checks.is_empty() {
            self.checks().await?;
        }
        Ok(())
    }

    /// While `S` serves both colors it selects by the service's name label alone: any other
    /// pod carrying it (a Job's, a hand-made one) would get users' requests.
    async fn no_strangers(&self) -> Step {
        let name = &self.opts.settings.name;
        let lp = ListParams::default().labels(&format!("{NAME_LABEL}={name}"));
        let pods = self.cluster.api::<Pod>().list(&lp).await.map_err(|e| {
            self.cluster
                .explain(e, &format!("listing the pods of {name}"))
        })?;
        let strangers: Vec<String> = pods
            .items
            .iter()
            .filter(|p| color_of(p).is_none())
            .map(|p| p.name_any())
            .collect();
        if strangers.is_empty() {
            return Ok(());
        }
        Err(Halt::Failed(format!(
            "a canary soak would send {name}'s traffic to pods that are neither of its colors but carry {NAME_LABEL}={name}: {}. During a soak Service {name} selects by that label alone; relabel those pods or deploy without [deploy.canary] (--canary \"\"); the switch did not happen",
            strangers.join(", ")
        )))
    }

    /// One step while `S` serves both colors: wait until its endpoints are both colors'
    /// ready pods, then probe `S` and judge side by side until `pause` has passed.
    async fn soak_step(
        &mut self,
        number: usize,
        live: Color,
        pause: Duration,
        lag: Option<&str>,
    ) -> Step {
        let (name, cand) = (self.opts.settings.name.clone(), self.plan.candidate);
        let want = Serving::Both { canary: cand };
        let svc = view::<Service>(self.cluster, None, Some(&name));
        let pods = view::<Pod>(self.cluster, Some(&format!("{NAME_LABEL}={name}")), None);
        let (eps, eps_ticks) = endpoints_view(self.cluster, &name).await;
        let mut ticks = futures::stream::select_all([svc.ticks, pods.ticks, eps_ticks]);
        let mut seen = false;
        let mut cancel = self.cancel.clone();
        let deadline = Instant::now() + self.opts.deploy.timeout.max(Duration::from_secs(30));
        let served = until(&mut ticks, deadline, &mut cancel, || {
            let now = objects(&svc.store).into_iter().next();
            if moved(now.as_ref(), want, lag, &mut seen) {
                return Some(false);
            }
            let listed = eps.ready()?;
            let both: Vec<Pod> = objects(&pods.store)
                .into_iter()
                .filter(|p| color_of(p).is_some())
                .collect();
            (seen && switch_complete(&listed, &both, 2)).then_some(true)
        })
        .await;
        match served {
            Ok(true) => {}
            Ok(false) => return Err(self.moved_during_soak(&svc.store).await),
            Err(Stop::Cancelled) => {
                return Err(Halt::Interrupted(format!(
                    "interrupted during canary step {number}"
                )));
            }
            Err(Stop::Timeout) => {
                return Err(Halt::Failed(format!(
                    "canary step {number}: Service {name}'s endpoints did not list the ready pods of both {live} and {cand}; the switch did not happen"
                )));
            }
        }
        let mut side = self.open_side_by_side(live).await;
        let interval = self.gates().map(|g| g.interval);
        let end = Instant::now() + pause;
        let mut next_judgement = interval.map(|i| Instant::now() + i);
        let every = (pause / 10).clamp(Duration::from_millis(100), Duration::from_secs(2));
        let mut tick = tokio::time::interval(every);
        let port = self.service_port();
        let (health_path, timeout) = (
            self.opts.settings.health_path.clone(),
            self.opts.deploy.probe_timeout,
        );
        loop {
            let p = health::probe_service(self.cluster, &name, port, &health_path, timeout).await;
            if moved(objects(&svc.store).first(), want, lag, &mut seen) {
                return Err(self.moved_during_soak(&svc.store).await);
            }
            if !p.ok() {
                return Err(Halt::Failed(format!(
                    "canary step {number}: the health check through Service {name}, which serves both {live} and {cand}, failed: {}; the switch did not happen",
                    p.describe()
                )));
            }
            let now = Instant::now();
            if now >= end {
                if let Some(side) = side.as_mut() {
                    self.judge_side_by_side(side, number, live, true).await?;
                }
                return Ok(());
            }
            if let (Some(at), Some(i), Some(side)) = (next_judgement, interval, side.as_mut())
                && now >= at
            {
                self.judge_side_by_side(side, number, live, false).await?;
                next_judgement = Some(Instant::now() + i);
            }
            loop {
                tokio::select! {
                    _ = tick.tick() => break,
                    _ = tokio::time::sleep_until(end) => break,
                    _ = cancelled(&mut cancel) => {
                        return Err(Halt::Interrupted(format!("interrupted during canary step {number}")));
                    }
                    t = ticks.next() => {
                        if t.is_some() && moved(objects(&svc.store).first(), want, lag, &mut seen) {
                            return Err(self.moved_during_soak(&svc.store).await);
                        }
                    }
                }
            }
        }
    }

    /// Someone else changed `S` during a step: what it selects now and who changed it,
    /// re-read from the API server rather than the watch.
    async fn moved_during_soak(&self, watched: &kube::runtime::reflector::Store<Service>) -> Halt {
        let name = &self.opts.settings.name;
        let now = match self.cluster.api::<Service>().get_opt(name).await {
            Ok(now) => now,
            Err(_) => objects(watched).into_iter().next(),
        };
        let Some(svc) = now else {
            return Halt::Overridden(format!(
                "Service {name} was deleted by someone else during the canary soak"
            ));
        };
        let by = selector_changed_by(&svc)
            .map(|m| format!(" by {m}"))
            .unwrap_or_default();
        Halt::Overridden(format!(
            "Service {name} was changed{by} during the canary soak: it now selects {} instead of both colors ({})",
            show_selector(&selector(&svc)),
            show_selector(&canary::both_selector(name))
        ))
    }

    /// Step 2, after a deploy that was killed during a soak: `S` serves the live color
    /// alone again (guarded like every selector change), its endpoints follow, and the
    /// canary goes to zero. Then the deploy starts as usual.
    pub(super) async fn unsoak(&mut self) -> Step {
        let Some(canary) = self.plan.unfinished_soak else {
            return Ok(());
        };
        let (live, name) = (canary.other(), self.opts.settings.name.clone());
        let said = format!(
            "Service {name} serves both {live} and {canary}: a canary soak of {canary} did not finish (its deploy was stopped); {name} goes back to {live} alone and {} to 0 before anything else",
            deployment_name(&name, canary)
        );
        self.show(Phase::Unsoak, &said);
        reselect(
            self.cluster,
            &name,
            Serving::Both { canary },
            Serving::Live(live),
        )
        .await
        .map_err(halt_for)?;
        let deadline = Instant::now() + self.opts.deploy.timeout.max(Duration::from_secs(30));
        if !self.endpoints_return(live, deadline).await {
            return Err(Halt::Failed(format!(
                "Service {name} selects {live} alone again, but its endpoints did not list {live}'s ready pods in time; check the pods of {}",
                deployment_name(&name, live)
            )));
        }
        scale(self.cluster, &deployment_name(&name, canary), 0).await?;
        self.notes.push(format!(
            "ended a canary soak of {canary} that an earlier deploy did not finish: {name} serves {live} alone again"
        ));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn svc(selector: serde_json::Value, canary: Option<&str>, rv: &str) -> Service {
        let annotations = match canary {
            Some(c) => json!({canary::CANARY_ANNOTATION: c}),
            None => json!({}),
        };
        serde_json::from_value(
            json!({"metadata": {"name": "shop", "annotations": annotations,
            "resourceVersion": rv}, "spec": {"selector": selector}}),
        )
        .unwrap()
    }

    #[test]
    fn a_lagging_watch_is_not_a_move_but_any_other_version_is() {
        let want = Serving::Both {
            canary: Color::Green,
        };
        let lag = Some("10");
        let blue = svc(json!({NAME_LABEL: "shop", COLOR_LABEL: "blue"}), None, "10");
        let both = svc(json!({NAME_LABEL: "shop"}), Some("green"), "11");
        let mut seen = false;
        assert!(!moved(Some(&blue), want, lag, &mut seen));
        assert!(!seen);
        // The live color alone again, but at a version after msv's patch: someone else
        // put it back before the watch showed msv's patch.
        let blue_again = svc(
            json!({NAME_LABEL: "shop", COLOR_LABEL: "blue"}),
            Some("green"),
            "12",
        );
        assert!(moved(Some(&blue_again), want, lag, &mut false));
        let green = svc(
            json!({NAME_LABEL: "shop", COLOR_LABEL: "green"}),
            None,
            "12",
        );
        assert!(moved(Some(&green), want, lag, &mut false));
        // No patch of msv's to lag behind: only both colors are msv's.
        assert!(moved(Some(&blue), want, None, &mut false));
        // The watch's first list has not come yet.
        assert!(!moved(None, want, lag, &mut false));
        assert!(!moved(Some(&both), want, lag, &mut seen));
        assert!(seen);
        // Once both were served, any other state is a change someone else made.
        assert!(moved(Some(&blue), want, lag, &mut seen));
        assert!(moved(None, want, lag, &mut seen), "deleted");
    }
}
