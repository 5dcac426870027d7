//! One deploy or rollback per service at a time: a `coordination.k8s.io/v1` Lease
//! `S-msv-lock`. Taking it fails fast naming the holder; a holder that stopped renewing
//! is taken over once its lease has expired; the lease is renewed while the work runs and
//! released at the end. Every write is guarded by resourceVersion, so two clients racing
//! for the lock cannot both win.

use super::plan::{MANAGED_BY_LABEL, NAME_LABEL, lock_name};
use crate::cluster::{Cluster, status_code};
use anyhow::{Result, anyhow};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::PostParams;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone, PartialEq)]
pub enum LockDecision {
    /// No lease yet: create it.
    Create,
    /// The lease is free, ours, or its holder's lease expired: take it.
    Take { stale_holder: Option<String> },
    /// Someone else holds it.
    Held {
        holder: String,
        since: Option<Timestamp>,
        expires_in: SignedDuration,
    },
}

/// Decide what to do about the lease given who we are and the time.
pub fn decide(lease: Option<&Lease>, me: &str, now: Timestamp) -> LockDecision {
    let Some(lease) = lease else {
        return LockDecision::Create;
    };
    let spec = lease.spec.clone().unwrap_or_default();
    let holder = spec.holder_identity.unwrap_or_default();
    if holder.is_empty() || holder == me {
        return LockDecision::Take { stale_holder: None };
    }
    let duration = SignedDuration::from_secs(spec.lease_duration_seconds.unwrap_or(0) as i64);
    let renewed = spec
        .renew_time
        .clone()
        .or(spec.acquire_time.clone())
        .map(|t| t.0);
    let expires_in = match renewed {
        Some(r) => r
            .duration_until(now)
            .checked_neg()
            .map(|d| d + duration)
            .unwrap_or(SignedDuration::ZERO),
        None => SignedDuration::ZERO,
    };
    if expires_in <= SignedDuration::ZERO {
        LockDecision::Take {
            stale_holder: Some(holder),
        }
    } else {
        LockDecision::Held {
            holder,
            since: spec.acquire_time.map(|t| t.0),
            expires_in,
        }
    }
}

/// Who is deploying, as shown to whoever finds the lock taken and in history.
pub fn identity() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host} pid {}", std::process::id())
}

/// The error shown when the lock is taken.
#[derive(Debug, thiserror::Error)]
#[error(
    "{service} is locked by {holder}{since}; its lease expires in {expires}s unless renewed. Wait for it to finish, or retry after the lease expires if that process is gone"
)]
pub struct Locked {
    pub service: String,
    pub holder: String,
    pub since: String,
    pub expires: i64,
}

/// A held lock; renewed in the background until [`LockGuard::release`].
pub struct LockGuard {
    cluster: Cluster,
    name: String,
    me: String,
    stop: watch::Sender<bool>,
    renewal: tokio::task::JoinHandle<()>,
    last: Arc<Mutex<Option<Lease>>>,
    /// Becomes true when renewal found the lease taken by someone else.
    pub lost: watch::Receiver<bool>,
    pub took_over: Option<String>,
}

/// The service's Lease as it is now (`None`: no deploy has taken it yet).
pub async fn read(cluster: &Cluster, service: &str) -> Result<Option<Lease>> {
    let name = lock_name(service);
    cluster
        .api::<Lease>()
        .get_opt(&name)
        .await
        .map_err(|e| cluster.explain(e, &format!("reading Lease {name}")))
}

/// Take the lock, deciding from `current`, the Lease as [`read`] returned it. Every write
/// carries the resourceVersion it was decided on, so a stale read loses with a conflict.
pub async fn acquire(
    cluster: &Cluster,
    service: &str,
    me: &str,
    lease_secs: i32,
    current: Option<Lease>,
) -> Result<LockGuard> {
    let api = cluster.api::<Lease>();
    let name = lock_name(service);
    let now = Timestamp::now();
    let taken: Lease;
    let took_over = match decide(current.as_ref(), me, now) {
        LockDecision::Held {
            holder,
            since,
            expires_in,
        } => {
            return Err(Locked {
                service: service.to_string(),
                holder,
                since: since
                    .map(|t| {
                        format!(
                            " since {}",
                            t.round(k8s_openapi::jiff::Unit::Second).unwrap_or(t)
                        )
                    })
                    .unwrap_or_default(),
                expires: expires_in.as_secs().max(1),
            }
            .into());
        }
        LockDecision::Create => {
            let lease: Lease = serde_json::from_value(json!({
                "metadata": {"name": name, "labels": {NAME_LABEL: service, MANAGED_BY_LABEL: "msv"}},
                "spec": lease_spec(me, now, lease_secs, 0)
            }))?;
            match api.create(&PostParams::default(), &lease).await {
                Ok(l) => {
                    taken = l;
                    None
                }
                Err(e) if status_code(&e) == Some(409) => return Err(raced(service)),
                Err(e) => return Err(cluster.explain(e, &format!("creating Lease {name}"))),
            }
        }
        LockDecision::Take { stale_holder } => {
            let mut lease = current.expect("take needs a lease");
            let transitions = lease
                .spec
                .as_ref()
                .and_then(|s| s.lease_transitions)
                .unwrap_or(0)
                + 1;
            lease.spec = Some(serde_json::from_value(lease_spec(
                me,
                now,
                lease_secs,
                transitions,
            ))?);
            // replace() sends metadata.resourceVersion: a concurrent taker gets 409.
            match api.replace(&name, &PostParams::default(), &lease).await {
                Ok(l) => {
                    taken = l;
                    stale_holder
                }
                Err(e) if status_code(&e) == Some(409) => return Err(raced(service)),
                Err(e) => return Err(cluster.explain(e, &format!("taking Lease {name}"))),
            }
        }
    };
    let (stop, stop_rx) = watch::channel(false);
    let (lost_tx, lost) = watch::channel(false);
    let last = Arc::new(Mutex::new(Some(taken)));
    let renewal = tokio::spawn(renew(
        Renewal {
            cluster: cluster.clone(),
            name: name.clone(),
            me: me.to_string(),
            secs: lease_secs,
            last: last.clone(),
        },
        stop_rx,
        lost_tx,
    ));
    Ok(LockGuard {
        cluster: cluster.clone(),
        name,
        me: me.to_string(),
        stop,
        renewal,
        last,
        lost,
        took_over,
    })
}

/// Another process took the lock between our read and our write.
#[derive(Debug, thiserror::Error)]
#[error(
    "another msv process took the lock of {0} at the same moment; it is deploying now — retry when it is done"
)]
pub struct Raced(pub String);

fn raced(service: &str) -> anyhow::Error {
    Raced(service.to_string()).into()
}

fn lease_spec(me: &str, now: Timestamp, secs: i32, transitions: i32) -> serde_json::Value {
    json!({
        "holderIdentity": me,
        "leaseDurationSeconds": secs,
        "acquireTime": MicroTime(now),
        "renewTime": MicroTime(now),
        "leaseTransitions": transitions,
    })
}

struct Renewal {
    cluster: Cluster,
    name: String,
    me: String,
    secs: i32,
    /// The Lease as last written by us, so releasing it needs no read.
    last: Arc<Mutex<Option<Lease>>>,
}

async fn renew(r: Renewal, mut stop: watch::Receiver<bool>, lost: watch::Sender<bool>) {
    let api = r.cluster.api::<Lease>();
    let period = Duration::from_millis((r.secs as u64 * 1000 / 3).max(200));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stop.changed() => return,
        }
        let Ok(mut lease) = api.get(&r.name).await else {
            continue;
        };
        let spec = lease.spec.get_or_insert_with(Default::default);
        if spec.holder_identity.as_deref() != Some(r.me.as_str()) {
            let _ = lost.send(true);
            return;
        }
        spec.renew_time = Some(MicroTime(Timestamp::now()));
        // A failed renewal is retried next period; the lease outlives two missed renewals.
        if let Ok(written) = api.replace(&r.name, &PostParams::default(), &lease).await {
            *r.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(written);
        }
    }
}

impl LockGuard {
    /// Stop renewing and free the lease (guarded by resourceVersion; if someone else holds
    /// it by now, it is left alone).
    pub async fn release(self) -> Result<()> {
        let _ = self.stop.send(true);
        // A renewal in flight would make the copy below stale; let it finish first.
        let _ = tokio::time::timeout(Duration::from_secs(2), self.renewal).await;
        let api = self.cluster.api::<Lease>();
        let mut known = self.last.lock().unwrap_or_else(|e| e.into_inner()).take();
        for _ in 0..5 {
            let mut lease = match known.take() {
                Some(l) => l,
                None => api.get(&self.name).await.map_err(|e| {
                    self.cluster
                        .explain(e, &format!("reading Lease {}", self.name))
                })?,
            };
            let spec = lease.spec.get_or_insert_with(Default::default);
            if spec.holder_identity.as_deref() != Some(self.me.as_str()) {
                return Ok(());
            }
            spec.holder_identity = None;
            spec.renew_time = None;
            spec.acquire_time = None;
            match api
                .replace(&self.name, &PostParams::default(), &lease)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if status_code(&e) == Some(409) => continue,
                Err(e) => {
                    return Err(self
                        .cluster
                        .explain(e, &format!("releasing Lease {}", self.name)));
                }
            }
        }
        Err(anyhow!(
            "could not release Lease {}: it kept changing",
            self.name
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(holder: &str, renewed_secs_ago: i64, duration: i32) -> Lease {
        let t = Timestamp::now() - SignedDuration::from_secs(renewed_secs_ago);
        serde_json::from_value(json!({
            "metadata": {"name": "o-msv-lock"},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration, "acquireTime": MicroTime(t), "renewTime": MicroTime(t)}
        }))
        .unwrap()
    }

    #[test]
    fn decisions() {
        let now = Timestamp::now();
        assert_eq!(decide(None, "me", now), LockDecision::Create);
        assert_eq!(
            decide(Some(&lease("", 0, 30)), "me", now),
            LockDecision::Take { stale_holder: None }
        );
        assert_eq!(
            decide(Some(&lease("me", 0, 30)), "me", now),
            LockDecision::Take { stale_holder: None }
        );
        match decide(Some(&lease("ann@ci pid 7", 10, 30)), "me", now) {
            LockDecision::Held {
                holder, expires_in, ..
            } => {
                assert_eq!(holder, "ann@ci pid 7");
                assert!(
                    expires_in.as_secs() >= 19 && expires_in.as_secs() <= 20,
                    "{expires_in:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            decide(Some(&lease("ann@ci pid 7", 31, 30)), "me", now),
            LockDecision::Take {
                stale_holder: Some("ann@ci pid 7".into())
            }
        );
    }

    #[test]
    fn identity_names_user_host_and_pid() {
        assert!(identity().contains(&format!("pid {}", std::process::id())));
    }
}
