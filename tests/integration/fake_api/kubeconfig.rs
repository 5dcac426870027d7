//! The kubeconfig a test hands to msv or kubectl: one cluster, user and context named
//! `fake`, namespace `default`, a bearer token.

use std::path::Path;

pub(crate) fn render(server: &str, token: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {server}
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

pub(crate) fn write(path: &Path, server: &str, token: &str) -> std::io::Result<()> {
    std::fs::write(path, render(server, token))
}

#[cfg(test)]
mod tests {
    #[test]
    fn kube_rs_reads_it() {
        let text = super::render("http://127.0.0.1:1", "t0k");
        let cfg: kube::config::Kubeconfig = serde_yaml::from_str(&text).unwrap();
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
