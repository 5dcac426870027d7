//! The conditions a rollout waits on, each re-evaluated on every watch event (never a
//! sleep loop): the candidate's rollout, the preview's and `S`'s endpoints following the
//! selectors, the verify window and the hold — the last three also watching that nobody
//! else moves Service `S` away from the candidate.

use super::{Halt, Run, Step};
use crate::cluster::Cluster;
use crate::deploy::manifests::ServiceSettings;
use crate::deploy::plan::{COLOR_LABEL, Color, NAME_LABEL, deployment_name, preview_name};
use crate::deploy::rollout::{
    Rollout, fatal_pod_failure, not_ready_reason, replica_failure, rollout_state, switch_complete,
};
use crate::deploy::watch::{EndpointsStore, Stop, cancelled, endpoints_view, objects, until, view};
use crate::health;
use futures::StreamExt;
use futures::stream::BoxStream;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, Pod, Service};
use kube::api::ListParams;
use kube::runtime::reflector::Store;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Live views of what a rollout waits on, kept from the rollout to the end; `ticks`
/// yields after every event on any of them.
pub(super) struct Watches {
    dep: Store<Deployment>,
    pods: Store<Pod>,
    preview: EndpointsStore,
    live: EndpointsStore,
    service: Store<Service>,
    ticks: BoxStream<'static, ()>,
}

/// How much of a crashed container's last run a failure report shows.
const PREVIOUS_LOG_LINES: i64 = 20;

fn pod_selector(service: &str, color: Color) -> String {
    format!("{NAME_LABEL}={service},{COLOR_LABEL}={color}")
}

impl Watches {
    /// Open the watches once: the candidate Deployment and pods, the endpoints of
    /// `S-preview` and `S` (their EndpointSlices, or Endpoints on an older server), and
    /// Service `S` itself. Each wait reads the same views, so no wait starts with a fresh
    /// list.
    pub(super) async fn open(cluster: &Cluster, s: &ServiceSettings, color: Color) -> Watches {
        let dep = view::<Deployment>(cluster, None, Some(&deployment_name(&s.name, color)));
        let pods = view::<Pod>(cluster, Some(&pod_selector(&s.name, color)), None);
        let (preview, preview_ticks) = endpoints_view(cluster, &preview_name(&s.name)).await;
        let (live, live_ticks) = endpoints_view(cluster, &s.name).await;
        let service = view::<Service>(cluster, None, Some(&s.name));
        let ticks = futures::stream::select_all([
            dep.ticks,
            pods.ticks,
            preview_ticks,
            live_ticks,
            service.ticks,
        ])
        .boxed();
        Watches {
            dep: dep.store,
            pods: pods.store,
            preview,
            live,
            service: service.store,
            ticks,
        }
    }
}

impl Run<'_> {
    fn watches(&mut self) -> &mut Watches {
        self.watches
            .as_mut()
            .expect("the watches are opened by the phase that first needs them")
    }

    /// Wait until the candidate Deployment is complete. Fails at once on what waiting
    /// will not fix: the progress deadline, a ReplicaSet that cannot create pods (quota,
    /// admission webhook, LimitRange), an image that cannot be pulled, a crash loop.
    pub(super) async fn wait_rollout(&mut self) -> Step {
        let (rep, image, deadline) = (self.rep, self.plan.to_image.clone(), self.deadline);
        let want = self.candidate_replicas;
        let mut cancel = self.cancel.clone();
        let mut last = (-1, -1);
        let w = self.watches.as_mut().expect("opened by apply");
        let (deps, pods) = (&w.dep, &w.pods);
        let verdict = until(&mut w.ticks, deadline, &mut cancel, || {
            let pod_list = running_image(objects(pods), &image);
            if let Some(f) = fatal_pod_failure(&pod_list, &[]) {
                return Some(Err((f.pod, false)));
            }
            let dep = objects(deps).into_iter().next()?;
            // The view may not have the latest scale yet: its completeness is of another count.
            if dep.spec.replicas != Some(want) {
                return None;
            }
            if let Some(why) = replica_failure(&dep) {
                return Some(Err((why, true)));
            }
            match rollout_state(&dep) {
                Rollout::Complete => Some(Ok(())),
                Rollout::Failed(m) => Some(Err((m, false))),
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
        .await;
        let name = deployment_name(&self.opts.settings.name, self.plan.candidate);
        match verdict {
            Ok(Ok(())) => Ok(()),
            // The ReplicaSet's own words name the quota or webhook: nothing to add.
            Ok(Err((why, true))) => Err(Halt::Failed(format!(
                "{name} failed: its pods cannot be created: {why}"
            ))),
            Ok(Err((head, false))) => {
                let why = self.why_not_ready().await;
                let why = match head.starts_with("ProgressDeadlineExceeded") {
                    true => format!("{head}; {why}"),
                    false => why,
                };
                Err(Halt::Failed(format!("{name} failed: {why}")))
            }
            Err(Stop::Cancelled) => Err(Halt::Interrupted("interrupted during the rollout".into())),
            Err(Stop::Timeout) => {
                let why = self.why_not_ready().await;
                Err(Halt::Failed(format!(
                    "{name} did not become ready within {:?}: {why}",
                    self.opts.deploy.timeout
                )))
            }
        }
    }

    /// The first candidate pod that is not ready, with its reason and warning events.
    async fn why_not_ready(&self) -> String {
        let (s, color) = (&self.opts.settings, self.plan.candidate);
        let lp = ListParams::default().labels(&pod_selector(&s.name, color));
        let pods = self
            .cluster
            .api::<Pod>()
            .list(&lp)
            .await
            .map(|l| running_image(l.items, &self.plan.to_image))
            .unwrap_or_default();
        let events = self
            .cluster
            .api::<Event>()
            .list(&ListParams::default())
            .await
            .map(|l| l.items)
            .unwrap_or_default();
        let name = deployment_name(&s.name, color);
        let dep = self.cluster.api::<Deployment>().get(&name).await;
        if let Ok(d) = &dep
            && let Some(why) = replica_failure(d)
        {
            return format!("its pods cannot be created: {why}");
        }
        match not_ready_reason(&pods, &events) {
            Some(mut f) => {
                if let Some(c) = f.crashed.clone() {
                    f.previous_log = self.previous_log(&f.pod, &c).await;
                }
                f.to_string()
            }
            None if pods.is_empty() => {
                "no pods were created (check the ReplicaSet's events and quotas)".into()
            }
            None => match dep.map(|d| rollout_state(&d)) {
                Ok(Rollout::Progressing { waiting, .. }) => {
                    format!("all pods ready, but Deployment {name} is still waiting for {waiting}")
                }
                Ok(other) => format!("all pods ready; Deployment {name} is now {other:?}"),
                Err(e) => {
                    format!("all pods ready, but Deployment {name} did not report completion ({e})")
                }
            },
        }
    }

    /// The last lines a crashed container wrote before it exited, as `kubectl logs
    /// --previous --tail` reads them; none when the log cannot be read (the report then
    /// says what it knows without them).
    async fn previous_log(&self, pod: &str, container: &str) -> Vec<String> {
        let params = kube::api::LogParams {
            container: Some(container.to_string()),
            previous: true,
            tail_lines: Some(PREVIOUS_LOG_LINES),
            ..Default::default()
        };
        match self.cluster.api::<Pod>().logs(pod, &params).await {
            Ok(text) => text.lines().map(String::from).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// `S-preview`'s endpoints are exactly the candidate's ready pods.
    pub(super) async fn wait_preview_endpoints(&mut self) -> Step {
        let (replicas, deadline) = (self.candidate_replicas, self.deadline);
        let mut cancel = self.cancel.clone();
        let w = self.watches();
        let (eps, pods) = (&w.preview, &w.pods);
        let followed = until(&mut w.ticks, deadline, &mut cancel, || {
            let listed = eps.ready()?;
            switch_complete(&listed, &objects(pods), replicas).then_some(())
        })
        .await;
        match followed {
            Ok(()) => Ok(()),
            Err(Stop::Cancelled) => Err(Halt::Interrupted(
                "interrupted during the health check".into(),
            )),
            Err(Stop::Timeout) => Err(Halt::Failed(format!(
                "Service {} never listed the ready pods of {}",
                preview_name(&self.opts.settings.name),
                self.plan.candidate
            ))),
        }
    }

    /// `S`'s endpoints are exactly the candidate's ready pods, while `S` keeps selecting
    /// the candidate. Not interruptible.
    pub(super) async fn wait_switched(&mut self, deadline: Instant) -> Step {
        let replicas = self.plan.replicas;
        let want = self.desired_selector();
        let mut seen = self.switch_seen;
        let mut never = watch::channel(false).1;
        let w = self.watches.as_mut().expect("opened before the switch");
        let (eps, pods, svc) = (&w.live, &w.pods, &w.service);
        let res = until(&mut w.ticks, deadline, &mut never, || {
            match observed(&objects(svc), &want, &mut seen) {
                Observed::Moved => return Some(false),
                Observed::Ours | Observed::NotYet => {}
            }
            let listed = eps.ready()?;
            switch_complete(&listed, &objects(pods), replicas).then_some(true)
        })
        .await;
        self.switch_seen = seen;
        match res {
            Ok(true) => Ok(()),
            Ok(false) => {
                let now = objects(&self.watches().service).into_iter().next();
                self.check_selector(now.as_ref())
            }
            Err(_) => Err(Halt::Failed(format!(
                "Service {} endpoints did not move to {} within {:?}",
                self.opts.settings.name,
                self.plan.candidate,
                self.opts.deploy.timeout.max(Duration::from_secs(30))
            ))),
        }
    }

    /// The selector of `S` in the watch's view, checked against the candidate.
    fn selector_still_ours(&mut self) -> Step {
        let want = self.desired_selector();
        let mut seen = self.switch_seen;
        let now = objects(&self.watches().service);
        let verdict = observed(&now, &want, &mut seen);
        self.switch_seen = seen;
        match verdict {
            Observed::Moved => self.check_selector(now.first()),
            Observed::Ours | Observed::NotYet => Ok(()),
        }
    }

    /// Probe `S` through the verify window; stop as soon as a probe fails, Ctrl-C comes,
    /// or someone else moves `S`.
    pub(super) async fn verify_window(&mut self, window: Duration) -> Step {
        let (s, port) = (&self.opts.settings, self.service_port());
        let end = Instant::now() + window;
        let every = (window / 10).clamp(Duration::from_millis(100), Duration::from_secs(2));
        let mut tick = tokio::time::interval(every);
        let mut cancel = self.cancel.clone();
        // With analysis on, the candidate's metrics are read now and every interval.
        let interval = self.gates().map(|g| g.interval);
        self.open_candidate_window().await;
        self.checks_after_switch().await?;
        let mut next_judgement = interval.map(|i| Instant::now() + i);
        loop {
            self.selector_still_ours()?;
            let p = health::probe_service(
                self.cluster,
                &s.name,
                port,
                &s.health_path,
                self.opts.deploy.probe_timeout,
            )
            .await;
            if !p.ok() {
                // A probe that failed because S was moved is not the candidate's fault.
                self.selector_still_ours()?;
                return Err(Halt::Failed(format!(
                    "health check failed after the switch: {}",
                    p.describe()
                )));
            }
            if Instant::now() >= end {
                self.selector_still_ours()?;
                if interval.is_some() {
                    self.judge_candidate(true).await?;
                }
                return self.selector_still_ours();
            }
            if let (Some(at), Some(i)) = (next_judgement, interval)
                && Instant::now() >= at
            {
                self.judge_candidate(false).await?;
                next_judgement = Some(Instant::now() + i);
            }
            loop {
                tokio::select! {
                    _ = tick.tick() => break,
                    _ = cancelled(&mut cancel) => {
                        return Err(Halt::Interrupted("interrupted during verification".into()));
                    }
                    t = self.watches().ticks.next() => {
                        if t.is_some() {
                            self.selector_still_ours()?;
                        }
                    }
                }
            }
        }
    }

    /// Wait out the scale-down delay while watching `S`. `Ok(false)`: Ctrl-C came first.
    pub(super) async fn hold_for(&mut self, delay: Duration) -> Result<bool, Halt> {
        let end = tokio::time::sleep(delay);
        tokio::pin!(end);
        let mut cancel = self.cancel.clone();
        loop {
            tokio::select! {
                _ = &mut end => return Ok(true),
                _ = cancelled(&mut cancel) => return Ok(false),
                t = self.watches().ticks.next() => {
                    if t.is_some() {
                        self.selector_still_ours()?;
                    }
                }
            }
        }
    }
}

/// What the watch shows of Service `S` after the switch.
#[derive(Debug, PartialEq)]
enum Observed {
    /// `S` selects the candidate.
    Ours,
    /// The watch has not delivered the switch yet: it still shows `S` as it was before.
    NotYet,
    /// `S` selected the candidate and now selects something else: someone moved it.
    Moved,
}

/// Judge `S` as the watch shows it. A watch delivers the switch a moment after the patch
/// returns, so until it has shown `S` selecting the candidate once (`seen`), an older
/// selector is the watch lagging, not a change; the guard re-reads `S` from the API
/// server before anything is scaled down, so a change in that moment is still caught.
fn observed(now: &[Service], want: &BTreeMap<String, String>, seen: &mut bool) -> Observed {
    let Some(svc) = now.first() else {
        return match *seen {
            true => Observed::Moved,
            false => Observed::NotYet,
        };
    };
    if &crate::deploy::ownership::selector(svc) == want {
        *seen = true;
        Observed::Ours
    } else if *seen {
        Observed::Moved
    } else {
        Observed::NotYet
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

    fn svc(color: &str) -> Service {
        serde_json::from_value(json!({"metadata": {"name": "shop"},
            "spec": {"selector": {"app.kubernetes.io/name": "shop", "msv/color": color}}}))
        .unwrap()
    }

    #[test]
    fn a_lagging_watch_is_not_a_change_but_a_move_after_the_switch_is() {
        let want = crate::deploy::manifests::selector("shop", Color::Green);
        let mut seen = false;
        assert_eq!(observed(&[svc("blue")], &want, &mut seen), Observed::NotYet);
        assert_eq!(observed(&[], &want, &mut seen), Observed::NotYet);
        assert_eq!(observed(&[svc("green")], &want, &mut seen), Observed::Ours);
        assert!(seen);
        assert_eq!(observed(&[svc("blue")], &want, &mut seen), Observed::Moved);
        assert_eq!(observed(&[], &want, &mut seen), Observed::Moved);
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
