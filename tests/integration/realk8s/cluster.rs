//! Starting the real control plane once per test process, and what tests use to reach it:
//! a kube-rs client, kubectl with the cluster's kubeconfig, fresh namespaces.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use kube::Client;

use super::netns::PodNetwork;
use super::node::{self, NodeSim};
use crate::support::repo_root;

pub(crate) struct RealCluster {
    pub(crate) dir: PathBuf,
    pub(crate) kubeconfig: PathBuf,
    pub(crate) node: NodeSim,
}

static CLUSTER: OnceLock<Result<RealCluster, String>> = OnceLock::new();
static NAMESPACES: AtomicU32 = AtomicU32::new(0);

/// The shared cluster, or `None` (with the reason printed) unless `MSV_REAL_K8S=1`.
/// Under `MSV_REAL_K8S=1` a control plane that can't be built or started fails the test.
#[track_caller]
pub(crate) fn real_cluster(test: &str) -> Option<&'static RealCluster> {
    if std::env::var("MSV_REAL_K8S").as_deref() != Ok("1") {
        eprintln!(
            "skipping {test}: needs a real control plane; set MSV_REAL_K8S=1 (builds Kubernetes 1.20.2 once, ~15 min cold)"
        );
        return None;
    }
    match CLUSTER.get_or_init(start) {
        Ok(c) => Some(c),
        Err(e) => panic!("{test}: {e}"),
    }
}

fn start() -> Result<RealCluster, String> {
    let script = repo_root().join("tests/realk8s/cluster.sh");
    let out = Command::new(&script)
        .arg("start")
        .env("MSV_K8S_OWNER_PID", std::process::id().to_string())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} start failed ({})",
            script.display(),
            out.status
        ));
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let kubeconfig = dir.join("kubeconfig");
    let node = NodeSim::start(&kubeconfig);
    Ok(RealCluster {
        dir,
        kubeconfig,
        node,
    })
}

impl RealCluster {
    pub(crate) async fn client(&self) -> Client {
        node::client(&self.kubeconfig).await
    }

    /// A kubectl command aimed at this cluster.
    pub(crate) fn kubectl_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("kubectl");
        cmd.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .stdin(Stdio::null())
            .env_remove("KUBECONFIG");
        cmd
    }

    /// Runs kubectl; panics (with its output) if it fails.
    #[track_caller]
    pub(crate) fn kubectl(&self, args: &[&str]) -> String {
        let out = self.kubectl_raw(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn kubectl_raw(&self, args: &[&str]) -> Output {
        self.kubectl_cmd(args).output().expect("running kubectl")
    }

    /// A new namespace for one test, named after it; its default service account exists
    /// before this returns (pods can't be created without it).
    #[track_caller]
    pub(crate) fn namespace(&self, prefix: &str) -> String {
        let n = NAMESPACES.fetch_add(1, Ordering::SeqCst);
        let ns = format!("{prefix}-{}-{n}", std::process::id());
        self.kubectl(&["create", "namespace", &ns]);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let out = self.kubectl_raw(&[
                "-n",
                &ns,
                "get",
                "serviceaccount",
                "default",
                "-o",
                "jsonpath={.secrets[0].name}",
            ]);
            if out.status.success() && !out.stdout.is_empty() {
                return ns;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "namespace {ns}: no default service account token after 60 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A network namespace for the pods of `ns`: from now on they get addresses inside it,
    /// and a backend there answers for them on `port` (see `netns`). Removed on drop.
    pub(crate) fn pod_network(&'static self, ns: &str, port: u16) -> TestNetwork {
        let node = &self.node;
        let net = PodNetwork::create(
            port,
            std::sync::Arc::new(move |ip| node.image_at(&ip.to_string())),
        );
        node.set_namespace_network(ns, &net.net);
        TestNetwork {
            net,
            ns: ns.into(),
            node,
        }
    }

    #[allow(dead_code)]
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

/// A test's pod network, tied to its namespace on the simulated node.
pub(crate) struct TestNetwork {
    net: PodNetwork,
    ns: String,
    node: &'static NodeSim,
}

impl std::ops::Deref for TestNetwork {
    type Target = PodNetwork;
    fn deref(&self) -> &PodNetwork {
        &self.net
    }
}

impl Drop for TestNetwork {
    fn drop(&mut self) {
        self.node.forget_namespace_network(&self.ns);
    }
}
