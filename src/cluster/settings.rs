//! kube's client settings for the kubeconfig target's context: server, certificate
//! authority, TLS options, the user's credentials (with the exec plugin's interactive mode
//! decided as client-go decides it) and the proxy `proxy` chose. Built field by field, not
//! by kube's `Config::from_custom_kubeconfig`, which reads the proxy variables itself with
//! other rules (see `proxy`); everything else is what kube's loader sets.

use anyhow::{Result, anyhow, bail};
use kube::Config;
use kube::config::{AuthInfo, ExecAuthCluster};

use super::credentials;
use super::proxy::{self, Proxy, ProxyEnv};
use crate::config::kube::KubeTarget;

/// kube's client settings for the target's context, with the proxy msv chose.
///
/// Built here field by field instead of by `Config::from_custom_kubeconfig`, because that
/// reads the proxy variables itself and fails on a `NO_PROXY` that kubectl accepts (an empty
/// entry, `<local>`); everything else is what kube's loader sets.
pub(super) fn client_config(
    target: &KubeTarget,
    env: &ProxyEnv,
    stdin_is_terminal: bool,
) -> Result<(Config, Option<Proxy>, String)> {
    let context = &target.context;
    let kc = &target.kubeconfig;
    let named = kc
        .contexts
        .iter()
        .find(|c| &c.name == context)
        .and_then(|c| c.context.as_ref())
        .ok_or_else(|| anyhow!("context {context:?} is not in the kubeconfig"))?;
    let cluster_name = &named.cluster;
    let cluster = kc
        .clusters
        .iter()
        .find(|c| &c.name == cluster_name)
        .and_then(|c| c.cluster.clone())
        .ok_or_else(|| {
            anyhow!(
                "context {context:?} names cluster {cluster_name:?}, which is not in the kubeconfig; add it or choose another context"
            )
        })?;
    // client-go does not fail on a missing user, and neither does kube: no credentials.
    let mut user: AuthInfo = named
        .user
        .as_ref()
        .and_then(|name| kc.auth_infos.iter().find(|u| &u.name == name))
        .and_then(|u| u.auth_info.clone())
        .unwrap_or_default();
    let Some(server) = cluster.server.clone().filter(|s| !s.is_empty()) else {
        bail!("cluster {cluster_name:?} in the kubeconfig has no server; add its API server URL");
    };
    let server_url = reqwest::Url::parse(&server).map_err(|e| {
        anyhow!(
            "the server {server:?} of cluster {cluster_name:?} in the kubeconfig is not a URL: {e}"
        )
    })?;
    let cluster_url: http::Uri = server.parse().map_err(|e| {
        anyhow!(
            "the server {server:?} of cluster {cluster_name:?} in the kubeconfig is not a URL: {e}"
        )
    })?;
    let exec_cluster = ExecAuthCluster::try_from(&cluster).map_err(|e| {
        anyhow!(
            "reading the certificate authority of cluster {cluster_name:?}: {e}; fix certificate-authority(-data) in the kubeconfig (a relative path is read from the kubeconfig's own directory)"
        )
    })?;
    let user_name = named.user.clone().unwrap_or_default();
    if let Some(exec) = &mut user.exec {
        exec.interactive_mode = Some(credentials::interactive_mode(
            exec,
            &user_name,
            stdin_is_terminal,
        )?);
        if exec.provide_cluster_info {
            exec.cluster = Some(exec_cluster.clone());
        }
    }
    inline_padded_token(&mut user);
    let proxy = proxy::for_cluster(cluster.proxy_url.as_deref(), cluster_name, &server_url, env)?;
    let mut config = Config::new(cluster_url);
    config.root_cert = exec_cluster
        .certificate_authority_data
        .as_deref()
        .map(|pem| certificates(pem, cluster_name))
        .transpose()?;
    config.accept_invalid_certs = cluster.insecure_skip_tls_verify.unwrap_or(false);
    config.disable_compression = cluster.disable_compression.unwrap_or(false);
    config.tls_server_name = cluster.tls_server_name.clone();
    config.auth_info = user;
    config.proxy_url = proxy
        .as_ref()
        .map(|p| p.url.as_str().parse::<http::Uri>())
        .transpose()
        .map_err(|e| anyhow!("the proxy for cluster {cluster_name:?}: {e}"))?;
    Ok((config, proxy, user_name))
}

/// A `tokenFile` whose token is padded with whitespace (`echo $TOKEN > file` adds a
/// newline) is read here and trimmed, as client-go trims it; kube would send the newline
/// and fail. Other token files are left to kube, which re-reads them as they rotate.
fn inline_padded_token(user: &mut AuthInfo) {
    if user.token.is_some() {
        return;
    }
    let Some(file) = &user.token_file else {
        return;
    };
    if let Ok(text) = std::fs::read_to_string(file)
        && text.trim() != text
    {
        user.token = Some(text.trim().to_string().into());
        user.token_file = None;
    }
}

/// The certificates (DER) of a PEM bundle, as kube reads a certificate authority.
fn certificates(pem: &[u8], cluster: &str) -> Result<Vec<Vec<u8>>> {
    let blocks = pem::parse_many(pem).map_err(|e| {
        anyhow!(
            "the certificate authority of cluster {cluster:?} in the kubeconfig is not PEM: {e}"
        )
    })?;
    Ok(blocks
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(|b| b.into_contents())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;
    use kube::config::{ExecInteractiveMode, Kubeconfig};

    fn target(cluster: &str, user: &str) -> KubeTarget {
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: one\nclusters:\n- name: c\n  cluster:\n{cluster}contexts:\n- name: one\n  context: {{cluster: c, user: u}}\n- name: lost\n  context: {{cluster: gone, user: u}}\nusers:\n- name: u\n  user:\n{user}"
        );
        KubeTarget {
            files: vec![],
            kubeconfig: Kubeconfig::from_yaml(&text).unwrap(),
            context: "one".into(),
            context_source: Source::Default,
            namespace: "default".into(),
            namespace_source: Source::Default,
        }
    }

    fn env(https: &str, no_proxy: &str) -> ProxyEnv {
        ProxyEnv {
            http: None,
            https: Some((https.to_string(), "HTTPS_PROXY")),
            no_proxy: no_proxy.to_string(),
        }
    }

    const EXEC: &str = "    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, provideClusterInfo: true}\n";

    #[test]
    fn the_proxy_msv_chose_is_the_one_kube_gets() {
        let t = target("    server: https://k.example:6443\n", "    token: t\n");
        let (config, proxy, _) = client_config(&t, &env("proxy:3128", ""), false).unwrap();
        assert_eq!(config.proxy_url.unwrap().to_string(), "http://proxy:3128/");
        assert_eq!(proxy.unwrap().source, "HTTPS_PROXY");
        // kube would fail on this NO_PROXY (an empty entry); msv reads it as kubectl does.
        let (config, proxy, _) =
            client_config(&t, &env("proxy:3128", ",k.example,"), false).unwrap();
        assert_eq!((config.proxy_url, proxy), (None, None));
    }

    #[test]
    fn cluster_settings_are_carried_over() {
        let t = target(
            "    server: https://10.0.0.1:6443\n    tls-server-name: api.internal\n    insecure-skip-tls-verify: true\n",
            "    token: t\n",
        );
        let (config, _, user) = client_config(&t, &ProxyEnv::default(), false).unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://10.0.0.1:6443/");
        assert_eq!(config.tls_server_name.as_deref(), Some("api.internal"));
        assert!(config.accept_invalid_certs);
        assert_eq!(user, "u");
    }

    #[test]
    fn exec_plugins_get_the_cluster_and_client_gos_interactive_mode() {
        let t = target("    server: https://k.example\n", EXEC);
        let (config, _, _) = client_config(&t, &ProxyEnv::default(), false).unwrap();
        let exec = config.auth_info.exec.unwrap();
        assert_eq!(exec.interactive_mode, Some(ExecInteractiveMode::Never));
        assert_eq!(
            exec.cluster.unwrap().server.as_deref(),
            Some("https://k.example")
        );
        let (config, _, _) = client_config(&t, &ProxyEnv::default(), true).unwrap();
        let mode = config.auth_info.exec.unwrap().interactive_mode;
        assert_eq!(mode, Some(ExecInteractiveMode::IfAvailable));
    }

    #[test]
    fn broken_targets_say_what_is_missing() {
        let mut t = target("    server: ''\n", "    token: t\n");
        let err = client_config(&t, &ProxyEnv::default(), false).unwrap_err();
        assert!(err.to_string().contains("has no server"), "{err}");
        t.context = "lost".into();
        let err = client_config(&t, &ProxyEnv::default(), false).unwrap_err();
        assert!(err.to_string().contains("cluster \"gone\""), "{err}");
        let t = target(
            "    server: https://k\n    certificate-authority: /nonexistent/ca.crt\n",
            "    token: t\n",
        );
        let err = client_config(&t, &ProxyEnv::default(), false).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.crt"), "{err}");
    }

    #[test]
    fn a_token_file_padded_with_a_newline_is_trimmed() {
        let tmp = tempfile::tempdir().unwrap();
        let (padded, clean) = (tmp.path().join("padded"), tmp.path().join("clean"));
        std::fs::write(&padded, "abc\n").unwrap();
        std::fs::write(&clean, "abc").unwrap();
        let mut user = AuthInfo {
            token_file: Some(padded.display().to_string()),
            ..Default::default()
        };
        inline_padded_token(&mut user);
        assert_eq!(user.token_file, None);
        assert_eq!(serde_json::to_value(&user).unwrap()["token"], "abc");
        // A clean file stays with kube, which re-reads it as it rotates.
        let mut user = AuthInfo {
            token_file: Some(clean.display().to_string()),
            ..Default::default()
        };
        inline_padded_token(&mut user);
        assert!(user.token.is_none() && user.token_file.is_some());
    }
}
