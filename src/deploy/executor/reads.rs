//! What a deploy reads before it starts: every object under msv's names (refusing those
//! msv did not make), the plan decided from them, the APIs it will need and the server's
//! version.

use super::Options;
use crate::cluster::Cluster;
use crate::deploy::canary;
use crate::deploy::history;
use crate::deploy::manifests::{self, ServiceSettings};
use crate::deploy::ownership::{self, made_by, made_by_msv};
use crate::deploy::plan::{
    Color, LiveState, Plan, deployment_name, history_name, live_color, lock_name, plan,
    preview_name,
};
use crate::deploy::rollout::{Rollout, rollout_state};
use anyhow::{Result, anyhow};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Resource;

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
            canary: vec![],
            unfinished_soak: None,
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
    p.unfinished_soak = objects.service.as_ref().and_then(canary::soaking);
    // A soak needs a live color to compare with and to share the traffic with; a rollback
    // goes back at once.
    if let (Some(c), Some(live_replicas)) = (&opts.deploy.canary, live.replicas)
        && live_replicas > 0
        && !p.noop
        && !p.resume
        && !opts.request.rollback
    {
        p.canary = canary::plan_steps(&c.steps, live_replicas);
    }
    Ok(p)
}

/// The HPA and the PDB are written after the switch: a cluster that lacks their API would
/// fail the deploy halfway. So check that it serves them before anything changes.
pub(super) async fn require_apis(cluster: &Cluster, s: &ServiceSettings) -> Result<()> {
    // Which endpoints API the waits will watch: asked now, alongside the other reads, and
    // remembered for the run.
    cluster.endpoint_api().await;
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
