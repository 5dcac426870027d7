//! End-to-end checks against a real kube-apiserver and kube-controller-manager (1.20.2,
//! built from Debian's source by tests/realk8s/build.sh and started by
//! tests/realk8s/cluster.sh). No kubelet runs: `node` registers a simulated Node and writes
//! pod status as a kubelet would. The suite only runs with `MSV_REAL_K8S=1`; otherwise each
//! test prints why it skipped. One control plane serves the whole test process (each test
//! works in a namespace of its own) and stops by itself when the process ends.

mod canary;
mod cluster;
mod deploy;
mod facts;
mod gates;
mod netns;
mod node;
mod safety;
mod status;
mod workspace;
mod writes;

pub(crate) use cluster::{RealCluster, real_cluster};
