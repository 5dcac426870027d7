//! A release: one run of the executor as `msv deploy` and `msv rollback` both need it —
//! interrupts handed to the executor, its outcome turned into exit codes — and the choice
//! of the revision a rollback returns to. Commands parse, call this, and print.

use super::executor::{self, DeployError, Options, Reporter, Summary};
use super::history::{self, Entry};
use super::plan::live_color;
use crate::cluster::Cluster;
use crate::exit::Failure;
use crate::output::sanitize_multiline;
use anyhow::Result;
use k8s_openapi::api::core::v1::Service;

/// Run the executor with Ctrl-C wired to its cancel signal. A failed or interrupted
/// rollout, a refusal and a held lock carry the exit code they deserve.
pub async fn run(cluster: &Cluster, opts: &Options, rep: &dyn Reporter) -> Result<Summary> {
    crate::interrupt::take_over();
    let res = executor::deploy(cluster, opts, rep, crate::interrupt::receiver()).await;
    res.map_err(|e| match e.downcast_ref::<DeployError>() {
        Some(DeployError::Failed(m)) => Failure::bad(sanitize_multiline(m)),
        Some(DeployError::Interrupted(m)) => Failure::interrupted(sanitize_multiline(m)),
        Some(DeployError::Refused(m)) => Failure::refused(sanitize_multiline(m)),
        None if e.downcast_ref::<super::lock::Locked>().is_some()
            || e.downcast_ref::<super::lock::Raced>().is_some() =>
        {
            Failure::locked(format!("{e:#}"))
        }
        None => e,
    })
}

/// What a rollback returns to, and Service `S` as it is.
pub struct RollbackTarget {
    pub entry: Entry,
    pub service: Service,
}

/// The revision `msv rollback` makes live: `to` if given (it must have gone live), else
/// the latest successful revision before the live one with another image.
pub async fn rollback_target(
    cluster: &Cluster,
    service: &str,
    to: Option<u64>,
) -> Result<RollbackTarget> {
    let svc = cluster
        .api::<Service>()
        .get_opt(service)
        .await
        .map_err(|e| cluster.explain(e, &format!("reading Service {service}")))?;
    let Some(svc) = svc else {
        anyhow::bail!(
            "Service {service} does not exist in namespace {} (context {}); nothing to roll back",
            cluster.namespace,
            cluster.context
        );
    };
    let live = live_color(Some(&svc));
    let entries = history::read(cluster, service).await?;
    let live_rev = live
        .and_then(|c| history::live_entry(&entries, c, None))
        .map(|e| e.revision);
    let entry = history::rollback_target(&entries, live_rev, to)?.clone();
    Ok(RollbackTarget {
        entry,
        service: svc,
    })
}
