//! Registry credentials, found where the docker CLI finds them: `credHelpers` for the
//! registry, else `credsStore`, else `auths` in `config.json` (under `$DOCKER_CONFIG` or
//! `~/.docker`). Helpers are the `docker-credential-<name>` programs, spoken to on
//! stdin/stdout as the docker CLI does.
//!
//! Nothing here ever formats a secret into an error or a log line: errors name the
//! registry, the file and the helper, never what they returned.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use bollard::auth::DockerCredentials;
use serde::Deserialize;

use super::engine::docker_config_dir;

/// The key Docker Hub's credentials are stored under.
const DOCKER_HUB: &str = "https://index.docker.io/v1/";

#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: std::collections::HashMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: std::collections::HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// The registry host of an image reference, as Docker reads it: the first component
/// when it has a `.` or `:` or is `localhost`, else Docker Hub.
pub fn registry_of(reference: &str) -> String {
    match reference.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first.to_string()
        }
        _ => "docker.io".to_string(),
    }
}

/// `https://host/v1/` and `host` name the same registry in `auths`.
fn key_host(key: &str) -> &str {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    key.split('/').next().unwrap_or(key)
}

fn matches(key: &str, registry: &str) -> bool {
    let host = key_host(key);
    host == registry
        || (registry == "docker.io" && matches!(host, "index.docker.io" | "registry-1.docker.io"))
}

/// Credentials for the registry of `reference`, or none (anonymous push).
pub fn credentials_for(reference: &str) -> Result<Option<DockerCredentials>> {
    let Some(dir) = docker_config_dir() else {
        return Ok(None);
    };
    credentials_in(&dir, &registry_of(reference))
}

fn credentials_in(dir: &Path, registry: &str) -> Result<Option<DockerCredentials>> {
    let file = dir.join("config.json");
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
    };
    // serde_json's error names a line and column, never the content.
    let config: ConfigFile = serde_json::from_str(&text)
        .with_context(|| format!("reading {}: not valid docker config JSON", file.display()))?;
    let server = if registry == "docker.io" {
        DOCKER_HUB
    } else {
        registry
    };
    let helper = config
        .cred_helpers
        .iter()
        .find(|(key, _)| matches(key, registry))
        .map(|(_, helper)| helper.clone())
        .or(config.creds_store.clone().filter(|s| !s.is_empty()));
    if let Some(helper) = helper
        && let Some(creds) = from_helper(&helper, server)?
    {
        return Ok(Some(creds));
    }
    let Some(entry) = config
        .auths
        .iter()
        .find(|(key, _)| matches(key, registry))
        .map(|(_, e)| e)
    else {
        return Ok(None);
    };
    let (username, password) = match (&entry.auth, &entry.username, &entry.password) {
        (Some(auth), _, _) if !auth.is_empty() => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| {
                    s.split_once(':')
                        .map(|(u, p)| (u.to_string(), p.to_string()))
                });
            let Some(pair) = decoded else {
                bail!(
                    "the saved login for {registry} in {} is damaged; run `docker login {registry}` again",
                    file.display()
                );
            };
            pair
        }
        (_, Some(user), Some(pass)) => (user.clone(), pass.clone()),
        _ => (String::new(), String::new()),
    };
    let identitytoken = entry.identitytoken.clone().filter(|t| !t.is_empty());
    if username.is_empty() && identitytoken.is_none() {
        return Ok(None);
    }
    Ok(Some(DockerCredentials {
        username: Some(username).filter(|u| !u.is_empty()),
        password: Some(password).filter(|p| !p.is_empty()),
        identitytoken,
        serveraddress: Some(server.to_string()),
        ..Default::default()
    }))
}

/// Asks `docker-credential-<helper>` for the credentials of `server`.
fn from_helper(helper: &str, server: &str) -> Result<Option<DockerCredentials>> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| {
            format!("running the credential helper {program} named in the docker config: is it installed and on PATH?")
        })?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(server.as_bytes())?;
    let out = child
        .wait_with_output()
        .with_context(|| format!("running {program}"))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stdout);
        if said.contains("credentials not found") {
            return Ok(None);
        }
        bail!(
            "the credential helper {program} failed for {server} ({})",
            out.status
        );
    }
    let answer: HelperAnswer = serde_json::from_slice(&out.stdout).map_err(|_| {
        anyhow::anyhow!("the credential helper {program} gave an answer msv cannot read")
    })?;
    let token = answer.username == "<token>";
    Ok(Some(DockerCredentials {
        username: (!token).then_some(answer.username),
        password: (!token).then(|| answer.secret.clone()),
        identitytoken: token.then_some(answer.secret),
        serveraddress: Some(server.to_string()),
        ..Default::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), text).unwrap();
        dir
    }

    #[test]
    fn registry_hosts_as_docker_reads_them() {
        assert_eq!(registry_of("127.0.0.1:5000/a/b:1"), "127.0.0.1:5000");
        assert_eq!(registry_of("ghcr.io/a/b"), "ghcr.io");
        assert_eq!(registry_of("localhost/a"), "localhost");
        assert_eq!(registry_of("library/busybox"), "docker.io");
        assert_eq!(registry_of("busybox"), "docker.io");
    }

    #[test]
    fn auths_entries_decode_and_match_by_host() {
        let auth = base64::engine::general_purpose::STANDARD.encode("user:s3cr:et");
        let dir = config(&format!(
            r#"{{"auths":{{"https://reg.example:5000/v1/":{{"auth":"{auth}"}},"other.io":{{}}}}}}"#
        ));
        let creds = credentials_in(dir.path(), "reg.example:5000")
            .unwrap()
            .unwrap();
        assert_eq!(creds.username.as_deref(), Some("user"));
        assert_eq!(creds.password.as_deref(), Some("s3cr:et"));
        assert_eq!(credentials_in(dir.path(), "other.io").unwrap(), None);
        assert_eq!(credentials_in(dir.path(), "nowhere.io").unwrap(), None);
    }

    #[test]
    fn docker_hub_is_stored_under_its_index_url() {
        let auth = base64::engine::general_purpose::STANDARD.encode("hub:pw");
        let dir = config(&format!(
            r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}}}}}}"#
        ));
        let creds = credentials_in(dir.path(), "docker.io").unwrap().unwrap();
        assert_eq!(creds.serveraddress.as_deref(), Some(DOCKER_HUB));
    }

    #[test]
    fn damaged_auth_never_shows_the_secret() {
        let dir = config(r#"{"auths":{"reg.io":{"auth":"SENTINEL-not-base64!"}}}"#);
        let err = format!("{:#}", credentials_in(dir.path(), "reg.io").unwrap_err());
        assert!(err.contains("damaged"), "{err}");
        assert!(!err.contains("SENTINEL"), "{err}");
    }

    #[test]
    fn a_missing_helper_is_named() {
        let dir = config(r#"{"credHelpers":{"reg.io":"msv-test-absent"}}"#);
        let err = format!("{:#}", credentials_in(dir.path(), "reg.io").unwrap_err());
        assert!(err.contains("docker-credential-msv-test-absent"), "{err}");
    }
}
