//! Blue-green rollouts on plain Kubernetes: the pure planner (`plan`, `rollout`), the
//! manifests a deploy applies, and the executor that drives a rollout with watches, under
//! a Lease lock, recording history in the cluster. Talking to the API server itself
//! (client, errors, proxy) lives in `cluster`; HTTP probes in `health`.

pub mod actions;
pub mod apply;
pub mod canary;
pub mod executor;
pub mod group;
pub mod history;
pub mod lock;
pub mod manifests;
pub mod ownership;
pub mod plan;
pub mod release;
pub mod rollout;
pub mod watch;
pub mod workspace;

use crate::config::Config;
use manifests::{Autoscaling, ServiceSettings};

/// The manifest settings of the service `config` describes, in `namespace`.
pub fn settings_from_config(config: &Config, namespace: &str) -> anyhow::Result<ServiceSettings> {
    let svc = &config.settings.service;
    let d = &config.settings.deploy;
    let mut s = ServiceSettings::new(config.service_name()?, namespace);
    s.port = svc.port;
    s.health_path = svc.health_path.clone();
    s.readiness_path = svc.readiness_path.clone();
    s.replicas = svc.replicas;
    s.cpu_request = svc.resources.cpu_request.clone();
    s.cpu_limit = svc.resources.cpu_limit.clone();
    s.memory_request = svc.resources.memory_request.clone();
    s.memory_limit = svc.resources.memory_limit.clone();
    s.env = svc.env.clone();
    s.disruption_budget = d.disruption_budget;
    // Checked when the configuration was loaded (1 <= min <= max, cpu_percent > 0).
    s.autoscaling = d.autoscaling.as_ref().map(|a| Autoscaling {
        min_replicas: a.min_replicas,
        max_replicas: a.max_replicas,
        cpu_percent: a.cpu_percent,
    });
    // The Deployment reports ProgressDeadlineExceeded no later than msv gives up.
    s.progress_deadline_seconds = d.timeout.as_secs().clamp(10, i32::MAX as u64) as i32;
    Ok(s)
}

/// The Lease's `leaseDurationSeconds` for a configured lock lease: whole seconds, at least 1.
/// How `msv deploy --dry-run` checks the plan: on the client only, or also by sending
/// the objects it would write to the API server with `dryRun=All`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    Client,
    Server,
}

impl std::str::FromStr for DryRun {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "client" => Ok(DryRun::Client),
            "server" => Ok(DryRun::Server),
            _ => Err(format!("unknown dry run `{s}`; use client or server")),
        }
    }
}

pub fn lease_seconds(lease: std::time::Duration) -> i32 {
    lease.as_secs_f64().ceil().clamp(1.0, i32::MAX as f64) as i32
}
