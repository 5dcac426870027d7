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
    res.map_err(with_exit_code)
}

/// A rollout's error with the exit code it deserves: failed 1, interrupted 130, refused 2,
/// the lock held by someone else its own code.
pub fn with_exit_code(e: anyhow::Error) -> anyhow::Error {
    match e.downcast_ref::<DeployError>() {
        Some(DeployError::Failed(m)) => Failure::bad(sanitize_multiline(m)),
        Some(DeployError::Interrupted(m)) => Failure::interrupted(sanitize_multiline(m)),
        Some(DeployError::Refused(m)) => Failure::refused(sanitize_multiline(m)),
        None if e.downcast_ref::<super::lock::Locked>().is_some()
            || e.downcast_ref::<super::lock::Raced>().is_some() =>
        {
            Failure::locked(format!("{e:#}"))
        }
        None => e,
    }
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
    let entries = history::read(cluster, service).await?;
    let live_rev = live_entry_of(&svc, &entries);
    let entry = history::rollback_target(&entries, live_rev, to)?.clone();
    Ok(RollbackTarget {
        entry,
        service: svc,
    })
}

/// The revision `S` serves, as the history records it.
fn live_entry_of(svc: &Service, entries: &[Entry]) -> Option<u64> {
    live_color(Some(svc))
        .and_then(|c| history::live_entry(entries, c, None))
        .map(|e| e.revision)
}

/// The revision `service` serves now (`None`: no Service, or none recorded).
pub async fn live_revision(
    cluster: &Cluster,
    service: &str,
    entries: &[Entry],
) -> Result<Option<u64>> {
    let svc = cluster
        .api::<Service>()
        .get_opt(service)
        .await
        .map_err(|e| cluster.explain(e, &format!("reading Service {service}")))?;
    Ok(svc.and_then(|svc| live_entry_of(&svc, entries)))
}

/// The deploy settings a rollback runs with. A rollback is the way out of a bad release: it
/// is not held to the metric gates (its verify window still probes health), so it cannot
/// be switched back to the revision it replaces, and it does not soak: it switches at once.
pub fn rollback_settings(deploy: &crate::config::Deploy) -> crate::config::Deploy {
    crate::config::Deploy {
        analysis: None,
        canary: None,
        ..deploy.clone()
    }
}
