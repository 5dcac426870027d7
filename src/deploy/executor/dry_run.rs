//! `msv deploy --dry-run=server`: the objects the deploy would write, rendered exactly as
//! the apply and switch phases render them, sent to the API server as server-side applies
//! with `dryRun=All`. The server runs its validation and admission (immutable fields,
//! schema, quotas, webhooks) and stores nothing. Pods, rollouts and probes are not
//! simulated by any server, so what happens after the writes is still the client plan.

use super::{Objects, Options, reads};
use crate::cluster::Cluster;
use crate::deploy::manifests;
use crate::deploy::plan::{MANAGER, Plan};
use kube::api::{Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde::Serialize;

/// What the API server said about one object the deploy would write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerCheck {
    pub kind: String,
    pub name: String,
    /// The server accepted the write (and, in a dry run, did not store it).
    pub accepted: bool,
    /// The server's refusal, when it refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Send the candidate Deployment, the preview Service and Service `S` after the switch to
/// the server with `dryRun=All`. An object that cannot even be rendered is reported as not
/// accepted, with why.
pub async fn server_dry_run(
    cluster: &Cluster,
    opts: &Options,
    plan: &Plan,
    objects: &Objects,
) -> Vec<ServerCheck> {
    if plan.noop || plan.resume {
        return Vec::new();
    }
    let s = &opts.settings;
    let cand = plan.candidate;
    let rendered = match (&plan.adopt, &objects.plain, &objects.service) {
        (None, ..) => manifests::deployment(s, cand, &plan.to_image, plan.replicas)
            .and_then(|d| Ok((d, manifests::service(s, cand, true)?))),
        (Some(a), Some(plain), Some(svc)) => {
            manifests::adopted_deployment(s, cand, plain, a, &plan.to_image, plan.replicas)
                .and_then(|d| Ok((d, manifests::adopted_preview(s, cand, svc)?)))
        }
        (Some(a), ..) => Err(anyhow::anyhow!(
            "Deployment {} or Service {} is gone since the plan was read",
            a.deployment,
            s.name
        )),
    };
    let (mut dep, preview) = match rendered {
        Ok(r) => r,
        Err(e) => {
            return vec![ServerCheck {
                kind: "Deployment".into(),
                name: crate::deploy::plan::deployment_name(&s.name, cand),
                accepted: false,
                error: Some(format!("{e:#}")),
            }];
        }
    };
    // As the apply phase does: a server without the preStop sleep action gets `sleep`.
    if let Some(v) = reads::server_minor(cluster).await
        && v < manifests::SLEEP_ACTION_MINOR
    {
        manifests::exec_pre_stop(&mut dep);
    }
    let mut checks = vec![check(cluster, &dep).await, check(cluster, &preview).await];
    // Service `S` after the switch; an adopted one keeps its other fields.
    let switched = match &plan.adopt {
        None => manifests::service(s, cand, false).ok(),
        Some(_) => None,
    };
    if let Some(svc) = switched {
        checks.push(check(cluster, &svc).await);
    }
    checks
}

async fn check<K>(cluster: &Cluster, obj: &K) -> ServerCheck
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + std::fmt::Debug
        + Serialize
        + serde::de::DeserializeOwned,
    K::DynamicType: Default,
{
    let kind = K::kind(&Default::default()).to_string();
    let name = obj.name_any();
    let params = PatchParams::apply(MANAGER).force().dry_run();
    let res = cluster
        .api::<K>()
        .patch(&name, &params, &Patch::Apply(obj))
        .await;
    let error = res.err().map(|e| {
        let doing = format!("server dry run of {kind} {name}");
        format!("{:#}", cluster.explain(e, &doing))
    });
    ServerCheck {
        accepted: error.is_none(),
        error,
        kind,
        name,
    }
}
