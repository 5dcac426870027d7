//! Finding and connecting to the Docker engine the docker CLI would use.
//!
//! Order, as the docker CLI: `DOCKER_HOST` (TLS with `DOCKER_TLS_VERIFY` and the files
//! in `DOCKER_CERT_PATH`); else the context named by `DOCKER_CONTEXT` or by
//! `currentContext` in the docker config (`$DOCKER_CONFIG` or `~/.docker`), read from its
//! `contexts/meta/<sha256 of the name>/meta.json` with TLS files in
//! `contexts/tls/<sha256>/docker/`; else the default socket. Addresses are `unix://`,
//! `tcp://` and `ssh://` (the system ssh running `docker system dial-stdio`, as the
//! docker CLI does). A failure says where msv looked and how to point it elsewhere.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;

use super::transport::{self, Dial};

/// Where the engine address came from, for error messages, and the TLS files that go
/// with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub source: String,
    pub tls: Option<TlsFiles>,
}

/// The docker CLI's TLS files for an engine: `ca.pem`, `cert.pem`, `key.pem` in one
/// directory (`DOCKER_CERT_PATH`, or the context's `contexts/tls/<sha256>/docker`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub dir: PathBuf,
}

/// The engine could not be reached (environment error: exit 2).
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot reach the Docker engine at {host} ({source_}): {reason}\n\
     Start the Docker engine, or point msv at it with DOCKER_HOST \
     (e.g. DOCKER_HOST=unix:///var/run/docker.sock, tcp://127.0.0.1:2375 or ssh://user@host) \
     or DOCKER_CONTEXT"
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

/// Decides which engine to use, from the environment and the docker config, in the
/// docker CLI's order: `DOCKER_HOST` (with `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`),
/// then the context named by `DOCKER_CONTEXT`, then `currentContext` in config.json,
/// then the default socket. A context that is named but not stored is an error.
pub fn endpoint() -> Result<Endpoint, Unreachable> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    resolve(&env, docker_config_dir().as_deref())
}

fn resolve(
    env: &dyn Fn(&str) -> Option<String>,
    config_dir: Option<&Path>,
) -> Result<Endpoint, Unreachable> {
    if let Some(host) = env("DOCKER_HOST") {
        let tls = if env("DOCKER_TLS_VERIFY").is_some() {
            let dir = env("DOCKER_CERT_PATH")
                .map(PathBuf::from)
                .or_else(|| config_dir.map(Path::to_path_buf));
            match dir {
                Some(dir) => Some(TlsFiles { dir }),
                None => {
                    return Err(Unreachable {
                        host,
                        source_: "from DOCKER_HOST".into(),
                        reason: "DOCKER_TLS_VERIFY is set but there is no DOCKER_CERT_PATH \
                                 (nor HOME) to read ca.pem, cert.pem and key.pem from"
                            .into(),
                    });
                }
            }
        } else if env("DOCKER_TLS").is_some() {
            return Err(Unreachable {
                host,
                source_: "from DOCKER_HOST".into(),
                reason: "DOCKER_TLS asks for TLS without checking the engine's certificate, \
                         which msv does not do; set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH \
                         to the directory of ca.pem, cert.pem and key.pem"
                    .into(),
            });
        } else {
            None
        };
        let source = match tls {
            Some(_) => "from DOCKER_HOST, TLS from DOCKER_TLS_VERIFY",
            None => "from DOCKER_HOST",
        };
        return Ok(Endpoint {
            host,
            source: source.into(),
            tls,
        });
    }
    let context = env("DOCKER_CONTEXT")
        .map(|c| (c, "DOCKER_CONTEXT"))
        .or_else(|| {
            let dir = config_dir?;
            let text = std::fs::read_to_string(dir.join("config.json")).ok()?;
            let json: serde_json::Value = serde_json::from_str(&text).ok()?;
            Some((
                json.get("currentContext")?.as_str()?.to_string(),
                "currentContext in config.json",
            ))
        });
    if let Some((name, from)) = context
        && name != "default"
    {
        let source = format!("docker context {name:?}, from {from}");
        return match config_dir.and_then(|dir| context_endpoint(dir, &name)) {
            Some((host, tls)) => Ok(Endpoint { host, source, tls }),
            None => Err(Unreachable {
                host: format!("context {name:?}"),
                source_: source,
                reason: format!(
                    "no such docker context in {}; list them with `docker context ls`",
                    config_dir.map_or("the docker config".into(), |d| d
                        .join("contexts/meta")
                        .display()
                        .to_string())
                ),
            }),
        };
    }
    Ok(Endpoint {
        host: DEFAULT_HOST.into(),
        source: "the default socket; DOCKER_HOST is not set".into(),
        tls: None,
    })
}

fn sha256_hex(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The engine address of a named docker context, and its TLS files when it has them.
fn context_endpoint(config_dir: &Path, name: &str) -> Option<(String, Option<TlsFiles>)> {
    let hex = sha256_hex(name);
    let meta = config_dir
        .join("contexts/meta")
        .join(&hex)
        .join("meta.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(meta).ok()?).ok()?;
    let host = json
        .pointer("/Endpoints/docker/Host")?
        .as_str()?
        .to_string();
    let tls_dir = config_dir.join("contexts/tls").join(&hex).join("docker");
    let tls = tls_dir.is_dir().then_some(TlsFiles { dir: tls_dir });
    Some((host, tls))
}

/// How to dial an engine address: `unix://PATH`, `tcp://HOST[:PORT]` (with TLS files:
/// TLS, port 2376 by default; else 2375), `ssh://[USER@]HOST[:PORT]`.
pub fn dial_for(endpoint: &Endpoint) -> anyhow::Result<Dial> {
    let host = endpoint.host.as_str();
    if let Some(path) = host.strip_prefix("unix://") {
        return Ok(Dial::Unix(PathBuf::from(path)));
    }
    if host.starts_with("ssh://") {
        return Ok(Dial::Command(ssh_command(host)?));
    }
    let rest = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"))
        .or_else(|| host.strip_prefix("https://"))
        .ok_or_else(|| anyhow::anyhow!("unsupported address; use unix://, tcp:// or ssh://"))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    if authority.is_empty() {
        anyhow::bail!("no host in the address");
    }
    let (name, addr) = match authority.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(']') || authority.starts_with('[') => {
            if port.parse::<u16>().is_err() {
                anyhow::bail!("{port:?} is not a port number");
            }
            (name, authority.to_string())
        }
        _ => {
            let port = if endpoint.tls.is_some() { 2376 } else { 2375 };
            (authority, format!("{authority}:{port}"))
        }
    };
    let Some(tls) = &endpoint.tls else {
        return Ok(Dial::Tcp(addr));
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let server_name = rustls::pki_types::ServerName::try_from(name.to_string())
        .map_err(|e| anyhow::anyhow!("{name:?} cannot be checked against a certificate: {e}"))?;
    let file = |f: &str| tls.dir.join(f);
    let ca = file("ca.pem");
    let (cert, key) = (file("cert.pem"), file("key.pem"));
    let config = transport::tls_config(
        ca.is_file().then_some(ca.as_path()),
        (cert.is_file() && key.is_file()).then_some((cert.as_path(), key.as_path())),
    )?;
    Ok(Dial::Tls {
        addr,
        server_name,
        config: std::sync::Arc::new(config),
    })
}

/// The command the docker CLI runs for `ssh://[USER@]HOST[:PORT]`: the system's ssh,
/// with `docker system dial-stdio` on the other side bridging to its engine.
pub fn ssh_command(url: &str) -> anyhow::Result<Vec<String>> {
    let parsed = url::Url::parse(url).map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| anyhow::anyhow!("no host in {url}"))?;
    if !matches!(parsed.path(), "" | "/") {
        anyhow::bail!("{url}: a path after the host is not supported");
    }
    let mut argv: Vec<String> = vec![
        "ssh".into(),
        "-o".into(),
        "ConnectTimeout=30".into(),
        "-T".into(),
    ];
    if !parsed.username().is_empty() {
        argv.extend(["-l".into(), parsed.username().to_string()]);
    }
    if let Some(port) = parsed.port() {
        argv.extend(["-p".into(), port.to_string()]);
    }
    argv.extend(["--".into(), host.to_string()]);
    argv.extend(["docker", "system", "dial-stdio"].map(String::from));
    Ok(argv)
}

/// A connected engine: bollard's client, and the dial under it (the BuildKit session
/// needs a connection of its own, upgraded).
#[derive(Clone)]
pub struct Engine {
    pub docker: Docker,
    pub dial: Dial,
    pub endpoint: Endpoint,
}

/// Connects to the engine and agrees on an API version it speaks.
pub async fn connect() -> Result<Docker, Unreachable> {
    Ok(connect_engine().await?.docker)
}

/// Connects to the engine, keeping the dial for the BuildKit session.
pub async fn connect_engine() -> Result<Engine, Unreachable> {
    let endpoint = endpoint()?;
    let fail = |reason: String| Unreachable {
        host: endpoint.host.clone(),
        source_: endpoint.source.clone(),
        reason,
    };
    let dial = dial_for(&endpoint).map_err(|e| fail(format!("{e:#}")))?;
    let client = dial.client();
    let docker = Docker::connect_with_custom_transport(
        move |req: bollard::BollardRequest| {
            let client = client.clone();
            async move {
                client
                    .request(req)
                    .await
                    .map_err(|e| bollard::errors::Error::IOError {
                        err: std::io::Error::other(innermost(&e)),
                    })
            }
        },
        Some("http://docker.engine"),
        CONNECT_TIMEOUT,
        bollard::API_DEFAULT_VERSION,
    )
    .map_err(|e| fail(e.to_string()))?;
    let docker = docker
        .negotiate_version()
        .await
        .map_err(|e| fail(short(&e)))?;
    Ok(Engine {
        docker: docker.with_timeout(REQUEST_TIMEOUT),
        dial,
        endpoint,
    })
}

fn innermost(err: &dyn std::error::Error) -> String {
    let mut source = err;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
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
            context_endpoint(dir.path(), "remote"),
            Some(("tcp://127.0.0.1:2375".to_string(), None))
        );
        assert_eq!(context_endpoint(dir.path(), "other"), None);
        let tls = dir
            .path()
            .join("contexts/tls")
            .join(sha256_hex("remote"))
            .join("docker");
        std::fs::create_dir_all(&tls).unwrap();
        assert_eq!(
            context_endpoint(dir.path(), "remote"),
            Some((
                "tcp://127.0.0.1:2375".to_string(),
                Some(TlsFiles { dir: tls })
            ))
        );
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn docker_host_wins_and_brings_tls_from_the_cert_path() {
        let env = env_of(&[
            ("DOCKER_HOST", "tcp://engine:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
            ("DOCKER_CONTEXT", "other"),
        ]);
        let ep = resolve(&env, Some(Path::new("/cfg"))).unwrap();
        assert_eq!(ep.host, "tcp://engine:2376");
        assert_eq!(
            ep.tls,
            Some(TlsFiles {
                dir: "/certs".into()
            })
        );
        let env = env_of(&[("DOCKER_HOST", "tcp://e"), ("DOCKER_TLS_VERIFY", "1")]);
        let ep = resolve(&env, Some(Path::new("/cfg"))).unwrap();
        assert_eq!(ep.tls, Some(TlsFiles { dir: "/cfg".into() }));
        let env = env_of(&[("DOCKER_HOST", "tcp://e"), ("DOCKER_TLS", "1")]);
        let err = resolve(&env, None).unwrap_err();
        assert!(err.reason.contains("DOCKER_TLS_VERIFY=1"), "{err}");
    }

    #[test]
    fn a_named_context_that_is_not_stored_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[("DOCKER_CONTEXT", "gone")]);
        let err = resolve(&env, Some(dir.path())).unwrap_err();
        assert!(err.reason.contains("docker context ls"), "{err}");
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"currentContext":"default"}"#,
        )
        .unwrap();
        let ep = resolve(&env_of(&[]), Some(dir.path())).unwrap();
        assert_eq!(ep.host, DEFAULT_HOST);
    }

    #[test]
    fn ssh_addresses_run_the_system_ssh_as_the_docker_cli_does() {
        assert_eq!(
            ssh_command("ssh://deploy@build.example:2222").unwrap(),
            [
                "ssh",
                "-o",
                "ConnectTimeout=30",
                "-T",
                "-l",
                "deploy",
                "-p",
                "2222",
                "--",
                "build.example",
                "docker",
                "system",
                "dial-stdio"
            ]
        );
        assert_eq!(
            ssh_command("ssh://host").unwrap()[4..],
            ["--", "host", "docker", "system", "dial-stdio"]
        );
        assert!(ssh_command("ssh://host/path").is_err());
    }

    #[test]
    fn tcp_ports_default_by_tls() {
        let ep = |host: &str, tls: bool| Endpoint {
            host: host.into(),
            source: String::new(),
            tls: tls.then(|| TlsFiles {
                dir: "/nonexistent".into(),
            }),
        };
        assert!(
            matches!(dial_for(&ep("tcp://1.2.3.4", false)).unwrap(), Dial::Tcp(a) if a == "1.2.3.4:2375")
        );
        assert!(matches!(dial_for(&ep("tcp://h:99", false)).unwrap(), Dial::Tcp(a) if a == "h:99"));
        assert!(
            matches!(dial_for(&ep("tcp://h", true)).unwrap(), Dial::Tls { addr, .. } if addr == "h:2376")
        );
        assert!(dial_for(&ep("npipe:////./pipe/x", false)).is_err());
        assert!(dial_for(&ep("tcp://h:port", false)).is_err());
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
