//! Which kubeconfig, context and namespace to use, found the way kubectl finds them.
//!
//! `--kubeconfig` names one file that must exist; otherwise `KUBECONFIG` lists files (joined
//! by ':'; missing ones are skipped, as kubectl does; the first file to set a value wins);
//! otherwise `~/.kube/config`. The context is `--context`, else msv's configuration, else the
//! kubeconfig's current-context. The namespace is `-n`, else msv's configuration, else the
//! context's namespace, else "default". Relative paths in a kubeconfig are resolved
//! against its own directory. Connecting to the cluster is `crate::cluster`'s job.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use kube::config::{Kubeconfig, KubeconfigError};

use super::{Config, Source};

/// The resolved target: what a Kubernetes client will be built from.
#[derive(Debug, Clone)]
pub struct KubeTarget {
    /// The files read, in precedence order.
    pub files: Vec<PathBuf>,
    /// The merged kubeconfig.
    pub kubeconfig: Kubeconfig,
    pub context: String,
    pub context_source: Source,
    pub namespace: String,
    pub namespace_source: Source,
}

/// The kubeconfig files to read, as kubectl would choose them.
pub fn kubeconfig_files(
    flag: Option<&Path>,
    env: Option<&str>,
    home: Option<&Path>,
) -> anyhow::Result<Vec<PathBuf>> {
    if let Some(path) = flag {
        if !path.is_file() {
            bail!(
                "kubeconfig {} (from --kubeconfig) does not exist or is not a file",
                path.display()
            );
        }
        return Ok(vec![path.to_path_buf()]);
    }
    if let Some(list) = env.filter(|list| !list.is_empty()) {
        let listed: Vec<PathBuf> = std::env::split_paths(list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        let existing: Vec<PathBuf> = listed.iter().filter(|p| p.exists()).cloned().collect();
        if existing.is_empty() {
            bail!(
                "none of the kubeconfig files in KUBECONFIG exist ({}); fix KUBECONFIG or pass --kubeconfig",
                listed
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        return Ok(existing);
    }
    let Some(home) = home else {
        bail!(
            "no kubeconfig: KUBECONFIG is unset and there is no home directory; pass --kubeconfig"
        );
    };
    let default = home.join(".kube").join("config");
    if !default.is_file() {
        bail!(
            "no kubeconfig found: {} does not exist and KUBECONFIG is unset; pass --kubeconfig or set KUBECONFIG",
            default.display()
        );
    }
    Ok(vec![default])
}

/// Reads and merges kubeconfig files, naming the file that cannot be read or parsed.
/// Relative paths inside a file (`certificate-authority`, `client-certificate`,
/// `client-key`, `tokenFile`, an exec plugin's `command` with a `/`) are resolved against
/// that file's own directory, as kubectl resolves them, whatever the working directory.
pub fn read_kubeconfig(files: &[PathBuf]) -> anyhow::Result<Kubeconfig> {
    files
        .iter()
        .try_fold(Kubeconfig::default(), |merged, path| {
            let absolute = std::path::absolute(path)
                .with_context(|| format!("reading kubeconfig {}", path.display()))?;
            let next = Kubeconfig::read_from(&absolute).map_err(|err| match err {
                KubeconfigError::ReadConfig(source, _) => {
                    anyhow::anyhow!("reading kubeconfig {}: {source}", path.display())
                }
                err => anyhow::anyhow!("kubeconfig {} is not valid: {err}", path.display()),
            })?;
            merged
                .merge(next)
                .with_context(|| format!("merging kubeconfig {}", path.display()))
        })
}

impl Config {
    /// Resolves the cluster target from the kubeconfig and msv's settings.
    pub fn kube_target(&self) -> anyhow::Result<KubeTarget> {
        let env = std::env::var("KUBECONFIG").ok();
        let home = std::env::home_dir();
        let files = kubeconfig_files(
            self.kubeconfig_flag.as_deref(),
            env.as_deref(),
            home.as_deref(),
        )?;
        let kubeconfig = read_kubeconfig(&files)?;
        self.kube_target_from(files, kubeconfig)
    }

    pub fn kube_target_from(
        &self,
        files: Vec<PathBuf>,
        kubeconfig: Kubeconfig,
    ) -> anyhow::Result<KubeTarget> {
        let where_ = || {
            files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(":")
        };
        let (context, context_source) = match &self.settings.kubernetes.context {
            Some(context) => (context.clone(), self.values["kubernetes.context"].1.clone()),
            None => match &kubeconfig.current_context {
                Some(current) if !current.is_empty() => (
                    current.clone(),
                    Source::Kubeconfig("current-context".into()),
                ),
                _ => bail!(
                    "kubeconfig {} has no current-context; pass --context NAME",
                    where_()
                ),
            },
        };
        let Some(named) = kubeconfig.contexts.iter().find(|c| c.name == context) else {
            let known: Vec<&str> = kubeconfig
                .contexts
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            bail!(
                "context `{context}` ({context_source}) is not in kubeconfig {}; known contexts: {}",
                where_(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
        };
        let (namespace, namespace_source) = match &self.settings.kubernetes.namespace {
            Some(ns) => (ns.clone(), self.values["kubernetes.namespace"].1.clone()),
            None => match named
                .context
                .as_ref()
                .and_then(|c| c.namespace.clone())
                .filter(|ns| !ns.is_empty())
            {
                Some(ns) => (ns, Source::Kubeconfig(format!("context {context}"))),
                None => ("default".to_string(), Source::Default),
            },
        };
        Ok(KubeTarget {
            files,
            kubeconfig,
            context,
            context_source,
            namespace,
            namespace_source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Flags;

    const ONE: &str = "apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: c1, user: u1, namespace: team-a}\n- name: b\n  context: {cluster: c1, user: u1}\nclusters:\n- name: c1\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: u1\n  user: {token: t}\n";
    const TWO: &str = "apiVersion: v1\nkind: Config\ncurrent-context: b\ncontexts:\n- name: z\n  context: {cluster: c1, user: u1}\n";

    #[test]
    fn kubectl_file_selection() {
        let tmp = tempfile::tempdir().unwrap();
        let one = tmp.path().join("one");
        let two = tmp.path().join("two");
        std::fs::write(&one, ONE).unwrap();
        std::fs::write(&two, TWO).unwrap();
        let missing = tmp.path().join("missing");
        let list = std::env::join_paths([&missing, &one, &two]).unwrap();
        let files = kubeconfig_files(None, list.to_str(), None).unwrap();
        assert_eq!(files, vec![one.clone(), two.clone()]);
        assert!(
            kubeconfig_files(Some(&missing), None, None)
                .unwrap_err()
                .to_string()
                .contains("--kubeconfig")
        );
        assert!(
            kubeconfig_files(None, None, Some(tmp.path()))
                .unwrap_err()
                .to_string()
                .contains(".kube/config")
        );

        // The first file to set current-context wins; contexts from both are known.
        let merged = read_kubeconfig(&files).unwrap();
        assert_eq!(merged.current_context.as_deref(), Some("a"));
        assert_eq!(merged.contexts.len(), 3);
    }

    fn config(flags: Flags) -> Config {
        let tmp = tempfile::tempdir().unwrap();
        Config::load_from(tmp.path(), &flags, &|_| None, None).unwrap()
    }

    fn flag(path: &'static str, value: &str, name: &'static str) -> Flags {
        let mut flags = Flags::default();
        flags.set(path, value, name);
        flags
    }

    #[test]
    fn namespace_comes_from_flag_then_context_then_default() {
        let kc = Kubeconfig::from_yaml(ONE).unwrap();
        let t = config(Flags::default())
            .kube_target_from(vec![], kc.clone())
            .unwrap();
        assert_eq!((t.context.as_str(), t.namespace.as_str()), ("a", "team-a"));
        assert_eq!(t.namespace_source, Source::Kubeconfig("context a".into()));

        let flags = flag("kubernetes.context", "b", "--context");
        let t = config(flags).kube_target_from(vec![], kc.clone()).unwrap();
        assert_eq!((t.context.as_str(), t.namespace.as_str()), ("b", "default"));

        let flags = flag("kubernetes.namespace", "x", "--namespace");
        let t = config(flags).kube_target_from(vec![], kc.clone()).unwrap();
        assert_eq!(t.namespace_source, Source::Flag("--namespace".into()));

        let flags = flag("kubernetes.context", "nope", "--context");
        let err = config(flags)
            .kube_target_from(vec![], kc)
            .unwrap_err()
            .to_string();
        assert!(err.contains("known contexts: a, b"), "{err}");
    }

    #[test]
    fn relative_paths_resolve_against_each_files_own_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b/nested"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(
            a.join("config"),
            "clusters:\n- name: c\n  cluster: {server: 'https://k:6443', certificate-authority: certs/ca.crt}\n",
        )
        .unwrap();
        std::fs::write(
            b.join("config"),
            "users:\n- name: u\n  user: {client-certificate: tls/c.crt, client-key: /abs/c.key, tokenFile: ../token}\n- name: e\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/plugin}\n- name: p\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws}\n",
        )
        .unwrap();
        let list = std::env::join_paths([a.join("config"), b.join("config")]).unwrap();
        let files = kubeconfig_files(None, list.to_str(), None).unwrap();
        let kc = read_kubeconfig(&files).unwrap();
        let cluster = kc.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(
            cluster.certificate_authority.as_deref().map(Path::new),
            Some(a.join("certs/ca.crt").as_path())
        );
        let user = |name: &str| {
            kc.auth_infos
                .iter()
                .find(|u| u.name == name)
                .and_then(|u| u.auth_info.clone())
                .unwrap()
        };
        let u = user("u");
        assert_eq!(
            u.client_certificate.as_deref().map(Path::new),
            Some(b.join("tls/c.crt").as_path())
        );
        assert_eq!(u.client_key.as_deref(), Some("/abs/c.key"));
        assert_eq!(
            u.token_file.as_deref().map(Path::new),
            Some(b.join("../token").as_path())
        );
        let exec = |name: &str| user(name).exec.unwrap().command.unwrap();
        assert_eq!(Path::new(&exec("e")), b.join("./bin/plugin"));
        // A bare command is looked up in PATH, as kubectl does.
        assert_eq!(exec("p"), "aws");
    }

    #[test]
    fn unparsable_kubeconfig_names_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let bad = tmp.path().join("bad");
        std::fs::write(&bad, "contexts: [: :").unwrap();
        let err = read_kubeconfig(std::slice::from_ref(&bad)).unwrap_err();
        assert!(format!("{err:#}").contains(&bad.display().to_string()));
    }
}
