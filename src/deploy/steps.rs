//! The waiting, checking and undoing steps of a rollout (see `executor`): each wait is a
//! watch-driven condition; each failure path says what happened to live traffic.

use super::apply::{scale, switch};
use super::executor::{DeployError, Run};
use super::history::{self, Entry, Outcome};
use super::manifests;
use super::plan::{COLOR_LABEL, Color, NAME_LABEL, Plan, deployment_name, preview_name};
use super::rollout::{
    Rollout, fatal_pod_failure, not_ready_reason, rollout_state, switch_complete,
};
use super::watch::{Stop, objects, until, view};
use crate::health;
use futures::StreamExt;
use futures::stream::BoxStream;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Endpoints, Event, Pod};
use kube::api::ListParams;
use kube::runtime::reflector::Store;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Live views of what a rollout waits on, kept from the rollout to the switch; `ticks`
/// yields after every event on any of them.
pub(super) struct Watches {
    dep: Store<Deployment>,
    pods: Store<Pod>,
    preview: Store<Endpoints>,
    live: Store<Endpoints>,
    ticks: BoxStream<'static, ()>,
}

impl Run<'_> {
    fn pod_selector(&self, color: Color) -> String {
        format!(
            "{NAME_LABEL}={},{COLOR_LABEL}={color}",
            self.opts.settings.name
        )
    }

    /// Open the watches a rollout needs from its start to its switch, once: the candidate
    /// Deployment and pods, and the endpoints of `S-preview` and `S`. Each wait below reads
    /// the same views, so no wait starts with a fresh list.
    pub(super) fn watches(&self, color: Color) -> Watches {
        let s = &self.opts.settings;
        let dep = view::<Deployment>(self.cluster, None, Some(&deployment_name(&s.name, color)));
        let pods = view::<Pod>(self.cluster, Some(&self.pod_selector(color)), None);
        let preview = view::<Endpoints>(self.cluster, None, Some(&preview_name(&s.name)));
        let live = view::<Endpoints>(self.cluster, None, Some(&s.name));
        let ticks =
            futures::stream::select_all([dep.ticks, pods.ticks, preview.ticks, live.ticks]).boxed();
        Watches {
            dep: dep.store,
            pods: pods.store,
            preview: preview.store,
            live: live.store,
            ticks,
        }
    }

    /// Wait until the candidate Deployment is complete. `Ok(Err(reason))`: it failed in a
    /// way waiting will not fix (progress deadline, image pull, crash loop).
    pub(super) async fn wait_rollout(
        &mut self,
        w: &mut Watches,
        color: Color,
        image: &str,
        deadline: Instant,
    ) -> Result<Result<(), String>, Stop> {
        let rep = self.rep;
        let mut last = (-1, -1);
        let (deps, pods) = (&w.dep, &w.pods);
        let verdict = until(&mut w.ticks, deadline, &mut self.cancel, || {
            let pod_list = running_image(objects(pods), image);
            if let Some(f) = fatal_pod_failure(&pod_list, &[]) {
                return Some(Err(f.pod));
            }
            let dep = objects(deps).into_iter().next()?;
            match rollout_state(&dep) {
                Rollout::Complete => Some(Ok(())),
                Rollout::Failed(m) => Some(Err(m)),
                Rollout::Progressing {
                    available, desired, ..
                } => {
                    if last != (available, desired) {
                        last = (available, desired);
                        rep.progress(available, desired);
                    }
                    None
                }
            }
        })
        .await?;
        match verdict {
            Ok(()) => Ok(Ok(())),
            // Explain with the pods' states and their warning events.
            Err(m) => Ok(Err(self.explain_failure(color, image, &m).await)),
        }
    }

    async fn explain_failure(&self, color: Color, image: &str, head: &str) -> String {
        let why = self.why_not_ready(color, image).await;
        if head.starts_with("ProgressDeadlineExceeded") {
            format!("{head}; {why}")
        } else {
            why
        }
    }

    /// The first candidate pod that is not ready, with its reason and warning events.
    pub(super) async fn why_not_ready(&self, color: Color, image: &str) -> String {
        let lp = ListParams::default().labels(&self.pod_selector(color));
        let pods = self
            .cluster
            .api::<Pod>()
            .list(&lp)
            .await
            .map(|l| running_image(l.items, image))
            .unwrap_or_default();
        let events = self
            .cluster
            .api::<Event>()
            .list(&ListParams::default())
            .await
            .map(|l| l.items)
            .unwrap_or_default();
        match not_ready_reason(&pods, &events) {
            Some(f) => f.to_string(),
            None if pods.is_empty() => {
                "no pods were created (check the ReplicaSet's events and quotas)".into()
            }
            None => {
                let name = deployment_name(&self.opts.settings.name, color);
                let state = self
                    .cluster
                    .api::<Deployment>()
                    .get(&name)
                    .await
                    .map(|d| rollout_state(&d));
                match state {
                    Ok(Rollout::Progressing { waiting, .. }) => format!(
                        "all pods ready, but Deployment {name} is still waiting for {waiting}"
                    ),
                    Ok(other) => format!("all pods ready; Deployment {name} is now {other:?}"),
                    Err(e) => format!(
                        "all pods ready, but Deployment {name} did not report completion ({e})"
                    ),
                }
            }
        }
    }

    /// Wait until Service `svc`'s endpoints are exactly the ready pods of `color`.
    pub(super) async fn wait_endpoints(
        &self,
        svc: &str,
        color: Color,
        desired: i32,
        deadline: Instant,
        cancel: &mut watch::Receiver<bool>,
    ) -> Result<(), Stop> {
        let eps = view::<Endpoints>(self.cluster, None, Some(svc));
        let pods = view::<Pod>(self.cluster, Some(&self.pod_selector(color)), None);
        let ticks = futures::stream::select(eps.ticks, pods.ticks);
        until(ticks, deadline, cancel, || {
            let ep = objects(&eps.store).into_iter().next()?;
            switch_complete(&ep, &objects(&pods.store), desired).then_some(())
        })
        .await
    }

    /// Preview endpoints follow the candidate, then its health path answers through them.
    /// `Err(None)`: interrupted.
    pub(super) async fn check_preview(
        &mut self,
        w: &mut Watches,
        color: Color,
        replicas: i32,
        deadline: Instant,
    ) -> Result<(), Option<String>> {
        let s = &self.opts.settings;
        let preview = preview_name(&s.name);
        let (eps, pods) = (&w.preview, &w.pods);
        let followed = until(&mut w.ticks, deadline, &mut self.cancel, || {
            let ep = objects(eps).into_iter().next()?;
            switch_complete(&ep, &objects(pods), replicas).then_some(())
        })
        .await;
        match followed {
            Ok(()) => {}
            Err(Stop::Cancelled) => return Err(None),
            Err(Stop::Timeout) => {
                return Err(Some(format!(
                    "Service {preview} never listed the ready pods of {color}"
                )));
            }
        }
        // Several requests at once: the proxy picks an endpoint per request, so they reach
        // several pods, and the check costs one round trip rather than one per request.
        let count = (2 * replicas.max(1) as usize).max(3);
        let probes = health::probe_service_concurrently(
            self.cluster,
            &preview,
            s.port,
            &s.health_path,
            self.opts.probe_timeout,
            count,
        )
        .await;
        match probes.iter().find(|p| !p.ok()) {
            None => Ok(()),
            Some(bad) => Err(Some(format!(
                "health check of {} failed before the switch: {}",
                s.health_path,
                bad.describe()
            ))),
        }
    }

    /// After the selector patch: wait until `S`'s endpoints are exactly the candidate's
    /// ready pods. Not interruptible: past the switch the deploy completes or switches back.
    pub(super) async fn wait_switched(
        &self,
        w: &mut Watches,
        replicas: i32,
        deadline: Instant,
    ) -> Result<(), Stop> {
        let mut never = watch::channel(false).1;
        let (eps, pods) = (&w.live, &w.pods);
        until(&mut w.ticks, deadline, &mut never, || {
            let ep = objects(eps).into_iter().next()?;
            switch_complete(&ep, &objects(pods), replicas).then_some(())
        })
        .await
    }

    /// Probe Service `S` through the verify window. `Err(None)`: interrupted.
    pub(super) async fn verify(&mut self) -> Result<(), Option<String>> {
        let s = &self.opts.settings;
        let window = self.opts.verify_for;
        let end = Instant::now() + window;
        let every = (window / 10).clamp(Duration::from_millis(100), Duration::from_secs(2));
        let mut tick = tokio::time::interval(every);
        loop {
            let p = health::probe_service(
                self.cluster,
                &s.name,
                s.port,
                &s.health_path,
                self.opts.probe_timeout,
            )
            .await;
            if !p.ok() {
                return Err(Some(format!(
                    "health check failed after the switch: {}",
                    p.describe()
                )));
            }
            if Instant::now() >= end {
                return Ok(());
            }
            tokio::select! {
                _ = tick.tick() => {}
                _ = super::watch::cancelled(&mut self.cancel) => return Err(None),
            }
        }
    }

    /// Failure before the switch: live traffic was never touched. Scale the candidate back
    /// to zero (unless asked to keep it), record, and build the error.
    pub(super) async fn abort(&mut self, p: &Plan, outcome: Outcome, msg: String) -> anyhow::Error {
        let name = deployment_name(&self.opts.settings.name, p.candidate);
        let mut notes = vec![];
        if !self.opts.keep_failed {
            if let Err(e) = scale(self.cluster, &name, 0).await {
                notes.push(format!("could not scale {name} down: {e:#}"));
            }
        } else {
            notes.push(format!("{name} kept for inspection"));
        }
        if let Err(e) = self
            .record(p.candidate, &p.to_image, outcome, msg.clone())
            .await
        {
            notes.push(format!("could not record history: {e:#}"));
        }
        let live = match p.live {
            Some(c) => format!(
                "live traffic untouched: {} still serves {c}",
                self.opts.settings.name
            ),
            None => "nothing was live; Service not created".into(),
        };
        let text = format!(
            "{msg}\n{live}{}",
            notes.iter().map(|n| format!("\n{n}")).collect::<String>()
        );
        match outcome {
            Outcome::Interrupted => DeployError::Interrupted(text).into(),
            _ => DeployError::Failed(text).into(),
        }
    }

    /// Failure after the switch: point `S` back at the old color and wait until its
    /// endpoints are the old pods again, then scale the candidate down.
    pub(super) async fn switch_back(&mut self, p: &Plan, msg: String) -> anyhow::Error {
        let s = &self.opts.settings;
        let Some(old) = p.live else {
            let _ = self
                .record(p.candidate, &p.to_image, Outcome::Failed, msg.clone())
                .await;
            return DeployError::Failed(format!(
                "{msg}\nno previous color is running to switch back to; {} stays on {}",
                s.name, p.candidate
            ))
            .into();
        };
        let mut notes = String::new();
        let back = manifests::service(s, old, false);
        match back {
            Ok(desired) => {
                match switch(self.cluster, &desired, Some(p.candidate), old, None).await {
                    Ok(()) => {
                        let mut never = watch::channel(false).1;
                        let old_replicas = p.replicas;
                        let deadline = Instant::now() + Duration::from_secs(60);
                        if self
                            .wait_endpoints(&s.name, old, old_replicas, deadline, &mut never)
                            .await
                            .is_err()
                        {
                            notes.push_str(&format!("\nwarning: Service {} endpoints did not return to {old} within 60s", s.name));
                        }
                        if !self.opts.keep_failed {
                            let _ = scale(self.cluster, &deployment_name(&s.name, p.candidate), 0)
                                .await;
                        }
                    }
                    Err(e) => notes.push_str(&format!(
                        "\nSWITCH BACK FAILED: {e:#}; check Service {} now",
                        s.name
                    )),
                }
            }
            Err(e) => notes.push_str(&format!("\nSWITCH BACK FAILED: {e:#}")),
        }
        let _ = self
            .record(p.candidate, &p.to_image, Outcome::RolledBack, msg.clone())
            .await;
        let text = format!(
            "{msg}\nswitched back automatically: {} serves {old} again{notes}",
            s.name
        );
        let interrupted = *self.cancel.borrow();
        if interrupted {
            DeployError::Interrupted(text).into()
        } else {
            DeployError::Failed(text).into()
        }
    }

    pub(super) async fn record(
        &mut self,
        color: Color,
        image: &str,
        outcome: Outcome,
        message: String,
    ) -> anyhow::Result<Entry> {
        let time = k8s_openapi::jiff::Timestamp::now()
            .round(k8s_openapi::jiff::Unit::Second)
            .map(|t| t.to_string())
            .unwrap_or_default();
        let who = self.who.clone();
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
            }
        })
        .await
    }
}

/// The pods of this rollout: those running `image` and not being deleted. Pods of the
/// color's earlier ReplicaSet (a failed candidate just scaled to zero, say) can outlive it
/// by a few seconds, and their failure is not this image's.
fn running_image(pods: Vec<Pod>, image: &str) -> Vec<Pod> {
    pods.into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| {
            p.spec.as_ref().is_some_and(|s| {
                s.containers
                    .iter()
                    .any(|c| c.image.as_deref() == Some(image))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, image: &str, deleting: bool) -> Pod {
        let mut p = json!({
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": image}]}
        });
        if deleting {
            p["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        serde_json::from_value(p).unwrap()
    }

    #[test]
    fn only_pods_of_this_image_that_stay_count() {
        let pods = vec![
            pod("old", "r/shop:nopull", false),
            pod("leaving", "r/shop:sick", true),
            pod("new", "r/shop:sick", false),
        ];
        let names: Vec<_> = running_image(pods, "r/shop:sick")
            .into_iter()
            .map(|p| p.metadata.name.unwrap())
            .collect();
        assert_eq!(names, ["new"]);
    }
}
