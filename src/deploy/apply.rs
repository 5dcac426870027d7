//! Writes a deploy makes: server-side apply of rendered objects (field manager `msv`),
//! scaling a color, and the guarded selector switch of Service `S` (and its way back from
//! an adoption).

use super::ownership::{Adoption, selector, selector_changed_by, show_selector};
use super::plan::{COLOR_LABEL, Color, MANAGER, live_color};
use crate::cluster::{Cluster, status_code};
use anyhow::{Result, anyhow};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, Resource, ResourceExt};
use serde_json::json;
use std::collections::BTreeMap;

/// Server-side apply `obj` under field manager `msv`, taking over fields others set.
pub async fn apply<K>(cluster: &Cluster, obj: &K) -> Result<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + std::fmt::Debug
        + serde::Serialize
        + serde::de::DeserializeOwned,
    K::DynamicType: Default,
{
    let api = cluster.api::<K>();
    let name = obj.name_any();
    let kind = K::kind(&Default::default()).to_string();
    api.patch(
        &name,
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(obj),
    )
    .await
    .map_err(|e| cluster.explain(e, &format!("applying {kind} {name}")))
}

/// Set a Deployment's replica count.
pub async fn scale(cluster: &Cluster, name: &str, replicas: i32) -> Result<()> {
    let api = cluster.api::<Deployment>();
    api.patch(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"replicas": replicas}})),
    )
    .await
    .map_err(|e| cluster.explain(e, &format!("scaling Deployment {name} to {replicas}")))?;
    Ok(())
}

/// Make sure the namespace exists, creating it when asked to.
pub async fn ensure_namespace(cluster: &Cluster, create: bool) -> Result<()> {
    let api: Api<Namespace> = Api::all(cluster.client.clone());
    let ns = &cluster.namespace;
    if api
        .get_opt(ns)
        .await
        .map_err(|e| cluster.explain(e, &format!("reading namespace {ns}")))?
        .is_some()
    {
        return Ok(());
    }
    if !create {
        return Err(anyhow!(
            "namespace {ns:?} does not exist in context {:?}; pass --create-namespace or choose another with -n",
            cluster.context
        ));
    }
    let obj: Namespace = serde_json::from_value(json!({"metadata": {"name": ns}}))?;
    match api.create(&PostParams::default(), &obj).await {
        Ok(_) => Ok(()),
        Err(e) if status_code(&e) == Some(409) => Ok(()),
        Err(e) => Err(cluster.explain(e, &format!("creating namespace {ns}"))),
    }
}

/// Delete the PodDisruptionBudget an earlier deploy made for service `name`, now that the
/// settings want none. A budget msv did not make (no `managed-by: msv` label) is left
/// alone; a cluster without `policy/v1` has none to delete.
pub async fn remove_pdb(cluster: &Cluster, name: &str) -> Result<()> {
    let api = cluster.api::<PodDisruptionBudget>();
    let explain = |e| cluster.explain(e, &format!("removing PodDisruptionBudget {name}"));
    let existing = match api.get_opt(name).await {
        Ok(found) => found,
        Err(e) if status_code(&e) == Some(404) => None,
        Err(e) => return Err(explain(e)),
    };
    let ours = existing.is_some_and(|pdb| {
        pdb.labels()
            .get(super::plan::MANAGED_BY_LABEL)
            .map(String::as_str)
            == Some("msv")
    });
    if !ours {
        return Ok(());
    }
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(e) if status_code(&e) == Some(404) => Ok(()),
        Err(e) => Err(explain(e)),
    }
}

/// What Service `S` must select for a switch to go ahead: what the deploy planned from.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// `S` does not exist yet (first deploy): create it.
    Absent,
    /// `S` is msv's and selects this color.
    Color(Color),
    /// `S` was made by someone else and selects exactly this (an adoption): its whole
    /// selector is replaced and msv's labels are added.
    Adopt(BTreeMap<String, String>),
}

/// Someone else changed Service `S` between the plan and a switch.
#[derive(Debug, thiserror::Error)]
#[error(
    "Service {name} was changed by {by} during the deploy (it now selects {now}, expected {expected}); not overwriting it"
)]
pub struct Changed {
    pub name: String,
    pub by: String,
    pub now: String,
    pub expected: String,
}

/// Point Service `S` at the color of `desired`'s selector, but only if it still selects
/// what `expect` says (its state when the deploy planned): each patch carries the
/// resourceVersion it was computed from, so a concurrent change is detected (409),
/// re-read, and either retried — when the selector is unchanged — or reported as
/// [`Changed`]. `known` is `S` as the caller read it (`Some(None)`: it did not exist), so
/// the first attempt needs no read; a stale copy only costs a 409 and a re-read.
pub async fn switch(
    cluster: &Cluster,
    desired: &Service,
    expect: Expect,
    mut known: Option<Option<Service>>,
) -> Result<()> {
    let api = cluster.api::<Service>();
    let name = desired.name_any();
    let want = selector(desired);
    let params = PatchParams {
        field_manager: Some(MANAGER.into()),
        ..Default::default()
    };
    for _ in 0..5 {
        let current = match known.take() {
            Some(k) => k,
            None => api
                .get_opt(&name)
                .await
                .map_err(|e| cluster.explain(e, &format!("reading Service {name}")))?,
        };
        let Some(current) = current else {
            if expect != Expect::Absent {
                return Err(anyhow!(
                    "Service {name} disappeared during the deploy; not recreating it blindly"
                ));
            }
            let create = PostParams {
                field_manager: Some(MANAGER.into()),
                ..Default::default()
            };
            match api.create(&create, desired).await {
                Ok(_) => return Ok(()),
                Err(e) if status_code(&e) == Some(409) => continue,
                Err(e) => return Err(cluster.explain(e, &format!("creating Service {name}"))),
            }
        };
        let now = selector(&current);
        if now == want {
            return Ok(());
        }
        let expected = match &expect {
            Expect::Absent => None,
            Expect::Color(c) => {
                let mut e = want.clone();
                e.insert(COLOR_LABEL.into(), c.to_string());
                Some(e)
            }
            Expect::Adopt(sel) => Some(sel.clone()),
        };
        let matches = match &expect {
            // msv's own Service: only the color decides (other selector keys are msv's).
            Expect::Color(c) => live_color(Some(&current)) == Some(*c),
            Expect::Adopt(sel) => &now == sel,
            Expect::Absent => false,
        };
        if !matches {
            return Err(Changed {
                name,
                by: selector_changed_by(&current).unwrap_or_else(|| "someone else".into()),
                now: show_selector(&now),
                expected: expected
                    .map(|e| show_selector(&e))
                    .unwrap_or_else(|| "no Service".into()),
            }
            .into());
        }
        let rv = current.resource_version().unwrap_or_default();
        let patch = match &expect {
            Expect::Adopt(_) => {
                // Replace the whole selector (a merge patch removes keys set to null) and
                // mark the Service as msv's from now on.
                let mut sel: serde_json::Map<String, serde_json::Value> = now
                    .keys()
                    .map(|k| (k.clone(), serde_json::Value::Null))
                    .collect();
                for (k, v) in &want {
                    sel.insert(k.clone(), json!(v));
                }
                json!({"metadata": {"resourceVersion": rv, "labels": desired.labels()},
                       "spec": {"selector": sel}})
            }
            _ => json!({"metadata": {"resourceVersion": rv},
                        "spec": {"selector": {COLOR_LABEL: want.get(COLOR_LABEL)}}}),
        };
        match api.patch(&name, &params, &Patch::Merge(patch)).await {
            Ok(_) => return Ok(()),
            Err(e) if status_code(&e) == Some(409) => continue,
            Err(e) => {
                let to = want.get(COLOR_LABEL).cloned().unwrap_or_default();
                return Err(cluster.explain(e, &format!("switching Service {name} to {to}")));
            }
        }
    }
    Err(anyhow!(
        "Service {name} kept changing during the switch; giving up without changing it"
    ))
}

/// What a guarded change of Service `S` does, decided from `S` as it is now.
enum Guard {
    /// `S` is already as wanted.
    Done,
    /// `S` is neither as wanted nor as expected: someone else changed it. Holds what it
    /// was expected to select.
    Changed(String),
    /// The merge patch that makes the change (the resourceVersion it was decided from is
    /// added to it).
    Patch(serde_json::Value),
}

/// Read Service `name`, let `decide` say what to do with it, and send the patch guarded by
/// the resourceVersion just read; a 409 (someone wrote in between) reads and decides again.
/// Returns the resourceVersion the patch was made from (`None`: nothing needed doing).
/// `doing` names the change in errors, `during` what was going on.
async fn guarded(
    cluster: &Cluster,
    name: &str,
    doing: &str,
    during: &str,
    decide: impl Fn(&Service) -> Guard,
) -> Result<Option<String>> {
    let api = cluster.api::<Service>();
    let params = PatchParams {
        field_manager: Some(MANAGER.into()),
        ..Default::default()
    };
    for _ in 0..5 {
        let current = api
            .get_opt(name)
            .await
            .map_err(|e| cluster.explain(e, &format!("reading Service {name}")))?
            .ok_or_else(|| anyhow!("Service {name} disappeared; not recreating it blindly"))?;
        let mut patch = match decide(&current) {
            Guard::Done => return Ok(None),
            Guard::Changed(expected) => {
                return Err(Changed {
                    name: name.to_string(),
                    by: selector_changed_by(&current).unwrap_or_else(|| "someone else".into()),
                    now: show_selector(&selector(&current)),
                    expected,
                }
                .into());
            }
            Guard::Patch(patch) => patch,
        };
        let rv = current.resource_version().unwrap_or_default();
        patch["metadata"]["resourceVersion"] = json!(rv);
        match api.patch(name, &params, &Patch::Merge(patch)).await {
            Ok(_) => return Ok(Some(rv)),
            Err(e) if status_code(&e) == Some(409) => continue,
            Err(e) => return Err(cluster.explain(e, doing)),
        }
    }
    Err(anyhow!(
        "Service {name} kept changing during {during}; giving up without changing it"
    ))
}

/// Switch an adopted Service back to the Deployment it served before: its original
/// selector and labels, only while it still selects the candidate msv switched it to.
pub async fn unadopt(
    cluster: &Cluster,
    name: &str,
    candidate: Color,
    adoption: &Adoption,
) -> Result<()> {
    let want = crate::deploy::manifests::selector(name, candidate);
    let doing = format!("switching Service {name} back");
    guarded(cluster, name, &doing, "the switch back", |current| {
        let now = selector(current);
        if now == adoption.selector {
            return Guard::Done;
        }
        if now != want {
            return Guard::Changed(show_selector(&want));
        }
        let mut sel: serde_json::Map<String, serde_json::Value> = now
            .keys()
            .map(|k| (k.clone(), serde_json::Value::Null))
            .collect();
        for (k, v) in &adoption.selector {
            sel.insert(k.clone(), json!(v));
        }
        let mut labels: serde_json::Map<String, serde_json::Value> = current
            .labels()
            .keys()
            .map(|k| (k.clone(), serde_json::Value::Null))
            .collect();
        for (k, v) in &adoption.labels {
            labels.insert(k.clone(), json!(v));
        }
        Guard::Patch(json!({"metadata": {"labels": labels}, "spec": {"selector": sel}}))
    })
    .await
    .map(|_| ())
}

/// What Service `S` selects around a canary soak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serving {
    /// The live color alone, with msv's selector.
    Live(Color),
    /// Every pod of the service: `canary` beside the live color.
    Both { canary: Color },
}

impl Serving {
    /// What `svc` serves, if it is one of the two; `None` for any other selector.
    pub fn of(svc: &Service) -> Option<Serving> {
        if let Some(canary) = super::canary::soaking(svc) {
            return Some(Serving::Both { canary });
        }
        let name = svc.metadata.name.as_deref()?;
        let color = live_color(Some(svc))?;
        (selector(svc) == super::manifests::selector(name, color)).then_some(Serving::Live(color))
    }

    fn describe(self, service: &str) -> String {
        let sel = match self {
            Serving::Live(c) => super::manifests::selector(service, c),
            Serving::Both { .. } => super::canary::both_selector(service),
        };
        show_selector(&sel)
    }
}

/// Move Service `S` between serving the live color alone and serving both colors for a
/// soak, only while it serves what `from` says: like [`switch`], each patch carries the
/// resourceVersion it was computed from, and a selector someone else changed is reported
/// as [`Changed`], never overwritten. Already serving `to` is success (a retry after a
/// lost answer). Returns the resourceVersion `S` had just before msv's patch (`None`: no
/// patch was needed), so a watch still showing that version is known to be lagging.
pub async fn reselect(
    cluster: &Cluster,
    name: &str,
    from: Serving,
    to: Serving,
) -> Result<Option<String>> {
    use super::canary::CANARY_ANNOTATION;
    let doing = match to {
        Serving::Both { canary } => {
            format!("switching Service {name} to serve {canary} beside the live color")
        }
        Serving::Live(c) => format!("switching Service {name} back to {c} alone"),
    };
    guarded(cluster, name, &doing, "the canary soak", |current| {
        let now = Serving::of(current);
        if now == Some(to) {
            return Guard::Done;
        }
        if now != Some(from) {
            return Guard::Changed(from.describe(name));
        }
        Guard::Patch(match to {
            Serving::Both { canary } => json!({
                "metadata": {"annotations": {CANARY_ANNOTATION: canary.as_str()}},
                "spec": {"selector": {COLOR_LABEL: null}}}),
            Serving::Live(c) => json!({
                "metadata": {"annotations": {CANARY_ANNOTATION: null}},
                "spec": {"selector": {COLOR_LABEL: c.as_str()}}}),
        })
    })
    .await
}
