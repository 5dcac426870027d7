//! msv on the machines users have: proxies between them and their clusters, kubeconfigs
//! with relative paths. The real binary against the fake API server, reached through a
//! counting proxy on 127.0.0.1 (`proxy`) where the test says so.

mod endpoint_slices;
mod exec_plugins;
mod kubeconfig_paths;
mod proxies;
mod proxy;
mod warnings;

use std::path::Path;
use std::time::Duration;

use base64::Engine;

use crate::fake_api::{FakeCluster, ProxyResponse};
use crate::support::Test;

/// Every proxy variable msv might read, removed so the machine's own settings never leak
/// into a test; each test sets the ones it means.
const PROXY_VARS: [&str; 7] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
];

/// msv with no proxy variables but `vars`, and the kubeconfig `kubeconfig`.
fn msv(kubeconfig: &Path, vars: &[(&str, &str)]) -> Test {
    let mut test = Test::new()
        .env("KUBECONFIG", kubeconfig)
        .timeout(Duration::from_secs(60));
    for var in PROXY_VARS {
        test = test.env_remove(var);
    }
    for (k, v) in vars {
        test = test.env(k, v);
    }
    test
}

/// The fake's cluster and user under `server`, with extra lines for the cluster
/// (`tls-server-name: localhost`, `proxy-url: ...`).
fn kubeconfig(fake: &FakeCluster, server: &str, cluster_extra: &[String]) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(fake.ca_pem());
    let extra: String = cluster_extra
        .iter()
        .map(|line| format!("    {line}\n"))
        .collect();
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {server}
    certificate-authority-data: {ca}
{extra}users:
- name: fake
  user:
    token: {token}
contexts:
- name: fake
  context:
    cluster: fake
    user: fake
    namespace: default
current-context: fake
",
        token = fake.token()
    )
}

/// A service directory for `shop` whose images `r/shop:1..=3` are healthy.
fn service_dir(fake: &FakeCluster) -> tempfile::TempDir {
    for i in 1..=3 {
        fake.set_backend_for_image(&format!("r/shop:{i}"), |_| ProxyResponse::ok("ok"));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("msv.toml"),
        "[service]\nname = \"shop\"\nport = 8080\nreplicas = 1\n\n[deploy]\ntimeout = \"8s\"\nverify_for = \"300ms\"\nscale_down_delay = \"0s\"\n",
    )
    .unwrap();
    dir
}
