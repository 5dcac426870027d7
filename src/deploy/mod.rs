//! Blue-green rollouts on plain Kubernetes: the pure planner (`plan`, `rollout`), the
//! manifests a deploy applies, and the executor that drives a rollout with watches, under
//! a Lease lock, recording history in the cluster. Talking to the API server itself
//! (client, errors, proxy) lives in `cluster`; HTTP probes in `health`.

pub mod apply;
pub mod executor;
pub mod history;
pub mod lock;
pub mod manifests;
pub mod plan;
pub mod rollout;
mod steps;
pub mod watch;
