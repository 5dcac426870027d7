//! Finding and connecting to the Docker engine the docker CLI would use.
//!
//! Order, as the docker CLI: `DOCKER_HOST`; else the context named by `DOCKER_CONTEXT`
//! or by `currentContext` in the docker config (`$DOCKER_CONFIG` or `~/.docker`), read
//! from its `contexts/meta/<sha256 of the name>/meta.json`; else the default socket.
//! A failure says where msv looked and how to point it elsewhere.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;

/// Where the engine address came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub source: String,
}

/// The engine could not be reached (environment error: exit 2).
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot reach the Docker engine at {host} ({source_}): {reason}\n\
     Start the Docker engine, or point msv at it with DOCKER_HOST \
     (e.g. DOCKER_HOST=unix:///var/run/docker.sock or tcp://127.0.0.1:2375)"
)]
pub struct Unreachable {
    pub host: String,
    pub source_: String,
    pub reason: String,
}

const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
/// Long enough for a large build context to be received before the engine answers.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3600);
const CONNECT_TIMEOUT: u64 = 15;

/// The directory of the docker CLI's configuration.
pub fn docker_config_dir() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => std::env::var_os("HOME").map(|home| Path::new(&home).join(".docker")),
    }
}

/// Decides which engine address to use, from the environment and the docker config.
pub fn endpoint() -> Endpoint {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(host) = env("DOCKER_HOST") {
        return Endpoint {
            host,
            source: "from DOCKER_HOST".into(),
        };
    }
    let config_dir = docker_config_dir();
    let context = env("DOCKER_CONTEXT")
        .map(|c| (c, "DOCKER_CONTEXT"))
        .or_else(|| {
            let dir = config_dir.as_ref()?;
            let text = std::fs::read_to_string(dir.join("config.json")).ok()?;
            let json: serde_json::Value = serde_json::from_str(&text).ok()?;
            Some((
                json.get("currentContext")?.as_str()?.to_string(),
                "currentContext in config.json",
            ))
        });
    if let (Some((name, from)), Some(dir)) = (context, config_dir)
        && name != "default"
        && let Some(host) = context_host(&dir, &name)
    {
        return Endpoint {
            host,
            source: format!("docker context {name:?}, from {from}"),
        };
    }
    Endpoint {
        host: DEFAULT_HOST.into(),
        source: "the default socket; DOCKER_HOST is not set".into(),
    }
}

/// The engine address of a named docker context.
fn context_host(config_dir: &Path, name: &str) -> Option<String> {
    let digest = ring::digest::digest(&ring::digest::SHA256, name.as_bytes());
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let meta = config_dir.join("contexts/meta").join(hex).join("meta.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(meta).ok()?).ok()?;
    json.pointer("/Endpoints/docker/Host")?
        .as_str()
        .map(str::to_string)
}

/// Connects to the engine and agrees on an API version it speaks.
pub async fn connect() -> Result<Docker, Unreachable> {
    let endpoint = endpoint();
    let fail = |reason: String| Unreachable {
        host: endpoint.host.clone(),
        source_: endpoint.source.clone(),
        reason,
    };
    let host = endpoint.host.as_str();
    let docker = if let Some(path) = host.strip_prefix("unix://") {
        Docker::connect_with_unix(path, CONNECT_TIMEOUT, bollard::API_DEFAULT_VERSION)
    } else if host.starts_with("tcp://") || host.starts_with("http://") {
        if std::env::var_os("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty()) {
            return Err(fail(
                "TLS connections to the engine are not supported".into(),
            ));
        }
        Docker::connect_with_http(host, CONNECT_TIMEOUT, bollard::API_DEFAULT_VERSION)
    } else {
        return Err(fail("unsupported address; use unix:// or tcp://".into()));
    }
    .map_err(|e| fail(e.to_string()))?;
    let docker = docker
        .negotiate_version()
        .await
        .map_err(|e| fail(short(&e)))?;
    Ok(docker.with_timeout(REQUEST_TIMEOUT))
}

/// The innermost cause of a bollard error, which is what a user can act on.
pub(crate) fn short(err: &bollard::errors::Error) -> String {
    let mut source: &dyn std::error::Error = err;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_hosts_are_read_from_the_meta_store() {
        let dir = tempfile::tempdir().unwrap();
        // sha256("remote")
        let digest = ring::digest::digest(&ring::digest::SHA256, b"remote");
        let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        let meta = dir.path().join("contexts/meta").join(hex);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"remote","Endpoints":{"docker":{"Host":"tcp://127.0.0.1:2375"}}}"#,
        )
        .unwrap();
        assert_eq!(
            context_host(dir.path(), "remote").as_deref(),
            Some("tcp://127.0.0.1:2375")
        );
        assert_eq!(context_host(dir.path(), "other"), None);
    }

    #[test]
    fn unreachable_says_where_and_what_to_do() {
        let err = Unreachable {
            host: "unix:///nonexistent".into(),
            source_: "from DOCKER_HOST".into(),
            reason: "No such file or directory".into(),
        };
        let text = err.to_string();
        assert!(text.contains("unix:///nonexistent (from DOCKER_HOST)"));
        assert!(text.contains("DOCKER_HOST="));
    }
}
