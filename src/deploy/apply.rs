//! Writes a deploy makes: server-side apply of rendered objects (field manager `msv`),
//! scaling a color, and the guarded selector switch of Service `S`.

use super::plan::{COLOR_LABEL, Color, MANAGER, live_color};
use crate::cluster::{Cluster, status_code};
use anyhow::{Result, anyhow};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, Resource, ResourceExt};
use serde_json::json;

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

/// Point Service `S` at `to`, but only if it still selects `from` (its state when the
/// deploy planned): each patch carries the resourceVersion it was computed from, so a
/// concurrent change is detected (409), re-read, and either retried — when the selector
/// is unchanged — or reported. `S` missing and `from` None: create it selecting `to`.
/// `known` is `S` as the caller read it when planning (`Some(None)`: it did not exist), so
/// the first attempt needs no read; a stale copy only costs a 409 and a re-read.
pub async fn switch(
    cluster: &Cluster,
    desired: &Service,
    from: Option<Color>,
    to: Color,
    mut known: Option<Option<Service>>,
) -> Result<()> {
    let api = cluster.api::<Service>();
    let name = desired.name_any();
    for _ in 0..5 {
        let current = match known.take() {
            Some(k) => k,
            None => api
                .get_opt(&name)
                .await
                .map_err(|e| cluster.explain(e, &format!("reading Service {name}")))?,
        };
        let Some(current) = current else {
            if from.is_some() {
                return Err(anyhow!(
                    "Service {name} disappeared during the deploy; not recreating it blindly"
                ));
            }
            match api
                .create(
                    &PostParams {
                        field_manager: Some(MANAGER.into()),
                        ..Default::default()
                    },
                    desired,
                )
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if status_code(&e) == Some(409) => continue,
                Err(e) => return Err(cluster.explain(e, &format!("creating Service {name}"))),
            }
        };
        let now = live_color(Some(&current));
        if now == Some(to) {
            return Ok(());
        }
        if now != from {
            return Err(anyhow!(
                "Service {name} was changed by someone else during the deploy (it now selects {}, expected {}); not overwriting it",
                now.map(|c| c.to_string())
                    .unwrap_or_else(|| "no msv color".into()),
                from.map(|c| c.to_string())
                    .unwrap_or_else(|| "nothing".into())
            ));
        }
        let rv = current.resource_version().unwrap_or_default();
        let patch = json!({"metadata": {"resourceVersion": rv}, "spec": {"selector": {COLOR_LABEL: to.as_str()}}});
        match api
            .patch(
                &name,
                &PatchParams {
                    field_manager: Some(MANAGER.into()),
                    ..Default::default()
                },
                &Patch::Merge(patch),
            )
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if status_code(&e) == Some(409) => continue,
            Err(e) => return Err(cluster.explain(e, &format!("switching Service {name} to {to}"))),
        }
    }
    Err(anyhow!(
        "Service {name} kept changing during the switch; giving up without changing it"
    ))
}
