//! The kubeconfig a test hands to msv or kubectl: one cluster, user and context named
//! `fake`, namespace `default`, the CA to trust, a bearer token.

use std::path::Path;

use base64::Engine;

pub(crate) fn render(server: &str, ca_pem: &str, token: &str) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {server}
    certificate-authority-data: {ca}
users:
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
preferences: {{}}
"
    )
}

pub(crate) fn write(path: &Path, server: &str, ca_pem: &str, token: &str) -> std::io::Result<()> {
    std::fs::write(path, render(server, ca_pem, token))
}

#[cfg(test)]
mod tests {
    #[test]
    fn kube_rs_reads_it() {
        let text = super::render("https://127.0.0.1:1", "-----BEGIN CERTIFICATE-----", "t0k");
        let cfg: kube::config::Kubeconfig = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(cfg.current_context.as_deref(), Some("fake"));
        assert_eq!(
            cfg.contexts[0]
                .context
                .as_ref()
                .unwrap()
                .namespace
                .as_deref(),
            Some("default")
        );
    }
}
