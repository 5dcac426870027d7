//! The BuildKit session: a connection to the engine upgraded at `/session`, on which msv
//! serves the gRPC services a build calls back: secrets (`RUN --mount=type=secret`), ssh
//! agent forwarding (`RUN --mount=type=ssh`), registry logins for pulling base images (the
//! docker CLI's config, read as `msv push` reads it) and health. A secret's value is read when
//! the build asks for it and goes only into that answer: never into a message or a log.

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;

use anyhow::{Context as _, Result, anyhow, bail};
use bollard_buildkit_proto::health::health_server::{Health, HealthServer};
use bollard_buildkit_proto::health::{
    HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse,
};
use bollard_buildkit_proto::moby::buildkit::secrets::v1::secrets_server::{Secrets, SecretsServer};
use bollard_buildkit_proto::moby::buildkit::secrets::v1::{GetSecretRequest, GetSecretResponse};
use bollard_buildkit_proto::moby::sshforward::v1::ssh_server::{Ssh, SshServer};
use bollard_buildkit_proto::moby::sshforward::v1::{
    BytesMessage, CheckAgentRequest, CheckAgentResponse,
};
use futures::{Stream, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::{Request, Response, Status, Streaming};

use super::super::auth;
use super::super::transport::{Body, Dial};
use bollard_buildkit_proto::moby::filesync::v1::auth_server::{Auth, AuthServer};
use bollard_buildkit_proto::moby::filesync::v1::{
    CredentialsRequest, CredentialsResponse, FetchTokenRequest, FetchTokenResponse,
    GetTokenAuthorityRequest, GetTokenAuthorityResponse, VerifyTokenAuthorityRequest,
    VerifyTokenAuthorityResponse,
};

/// Where a secret's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
}

/// `--secret id=X,src=FILE` or `id=X,env=VAR` (`source=` and `type=file|env` too, as the
/// docker CLI accepts them). A source is required: nothing is guessed.
pub fn parse_secret(spec: &str) -> Result<(String, SecretSource)> {
    let mut id = None;
    let mut src = None;
    let mut env = None;
    for field in spec.split(',') {
        let (key, value) = field.split_once('=').ok_or_else(|| {
            anyhow!("--secret {spec:?}: expected id=ID,src=FILE or id=ID,env=VAR")
        })?;
        match key.trim() {
            "id" => id = Some(value.to_string()),
            "src" | "source" => src = Some(value.to_string()),
            "env" => env = Some(value.to_string()),
            "type" if value == "file" || value == "env" => {}
            other => bail!("--secret {spec:?}: unknown field {other:?}; use id, src or env"),
        }
    }
    let id = id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| anyhow!("--secret {spec:?}: no id; give id=ID"))?;
    let source = match (src, env) {
        (Some(file), None) => SecretSource::File(PathBuf::from(file)),
        (None, Some(var)) => SecretSource::Env(var),
        (None, None) => bail!("--secret {spec:?}: give src=FILE or env=VAR"),
        (Some(_), Some(_)) => bail!("--secret {spec:?}: give src=FILE or env=VAR, not both"),
    };
    Ok((id, source))
}

/// `--ssh default` (the agent of SSH_AUTH_SOCK) or `--ssh ID=SOCKET`.
pub fn parse_ssh(spec: &str) -> Result<(String, PathBuf)> {
    let (id, socket) = match spec.split_once('=') {
        Some((id, socket)) => (id.to_string(), PathBuf::from(socket)),
        None => {
            let socket = std::env::var_os("SSH_AUTH_SOCK")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    anyhow!("--ssh {spec}: SSH_AUTH_SOCK is not set; start an ssh agent or give --ssh {spec}=SOCKET")
                })?;
            (spec.to_string(), PathBuf::from(socket))
        }
    };
    if id.is_empty() || id.contains(',') {
        bail!("--ssh {spec:?}: expected ID or ID=SOCKET");
    }
    Ok((id, socket))
}

/// Checks that every secret can be read before the build starts, naming only its id and
/// source, never its value.
pub fn check_secrets(secrets: &HashMap<String, SecretSource>) -> Result<()> {
    for (id, source) in secrets {
        match source {
            SecretSource::File(path) => {
                std::fs::metadata(path)
                    .with_context(|| format!("--secret id={id}: reading {}", path.display()))?;
            }
            SecretSource::Env(var) => {
                if std::env::var_os(var).is_none() {
                    bail!("--secret id={id}: the variable {var} is not set");
                }
            }
        }
    }
    Ok(())
}

struct SecretStore(HashMap<String, SecretSource>);

#[tonic::async_trait]
impl Secrets for SecretStore {
    async fn get_secret(
        &self,
        request: Request<GetSecretRequest>,
    ) -> Result<Response<GetSecretResponse>, Status> {
        let id = &request.get_ref().id;
        let data =
            match self.0.get(id) {
                Some(SecretSource::File(path)) => tokio::fs::read(path)
                    .await
                    .map_err(|e| Status::not_found(format!("secret {id}: {e}")))?,
                Some(SecretSource::Env(var)) => std::env::var_os(var)
                    .map(|v| v.into_encoded_bytes())
                    .ok_or_else(|| Status::not_found(format!("secret {id}: {var} is not set")))?,
                None => {
                    return Err(Status::not_found(format!(
                        "secret {id} was not given; add --secret id={id},src=FILE"
                    )));
                }
            };
        Ok(Response::new(GetSecretResponse { data }))
    }
}

struct Agents(HashMap<String, PathBuf>);

/// The gRPC metadata key in which BuildKit names the ssh id a mount asked for.
const SSH_ID_KEY: &str = "buildkit.ssh.id";

type ForwardStream = Pin<Box<dyn Stream<Item = Result<BytesMessage, Status>> + Send>>;

#[tonic::async_trait]
impl Ssh for Agents {
    async fn check_agent(
        &self,
        request: Request<CheckAgentRequest>,
    ) -> Result<Response<CheckAgentResponse>, Status> {
        let id = agent_id(&request.get_ref().id);
        match self.0.contains_key(id) {
            true => Ok(Response::new(CheckAgentResponse {})),
            false => Err(Status::not_found(format!(
                "ssh {id} was not given; add --ssh {id}"
            ))),
        }
    }

    type ForwardAgentStream = ForwardStream;

    async fn forward_agent(
        &self,
        request: Request<Streaming<BytesMessage>>,
    ) -> Result<Response<ForwardStream>, Status> {
        let id = request
            .metadata()
            .get(SSH_ID_KEY)
            .and_then(|v| v.to_str().ok())
            .map_or("default", agent_id)
            .to_string();
        let socket = self
            .0
            .get(&id)
            .ok_or_else(|| Status::not_found(format!("ssh {id} was not given")))?;
        let agent = tokio::net::UnixStream::connect(socket)
            .await
            .map_err(|e| Status::unavailable(format!("ssh agent {}: {e}", socket.display())))?;
        let (read, mut write) = agent.into_split();
        let mut incoming = request.into_inner();
        tokio::spawn(async move {
            while let Some(Ok(message)) = incoming.next().await {
                if write.write_all(&message.data).await.is_err() {
                    break;
                }
            }
            let _ = write.shutdown().await;
        });
        let stream = forward(read);
        Ok(Response::new(Box::pin(stream)))
    }
}

/// An empty id is the default agent (older BuildKit sends none).
fn agent_id(id: &str) -> &str {
    if id.is_empty() { "default" } else { id }
}

fn read_buf() -> Vec<u8> {
    vec![0; 16 * 1024]
}

/// The agent's answers as messages, until it closes.
fn forward(
    read: tokio::net::unix::OwnedReadHalf,
) -> impl Stream<Item = Result<BytesMessage, Status>> + Send {
    futures::stream::unfold((read, read_buf()), |(mut read, mut buf)| async move {
        match read.read(&mut buf).await {
            Ok(0) | Err(_) => None,
            Ok(n) => Some((
                Ok(BytesMessage {
                    data: buf[..n].to_vec(),
                }),
                (read, buf),
            )),
        }
    })
}

/// Registry logins for the base images the build pulls, from the docker CLI's config
/// (as `msv push` reads them).
struct Logins;

#[tonic::async_trait]
impl Auth for Logins {
    async fn credentials(
        &self,
        request: Request<CredentialsRequest>,
    ) -> Result<Response<CredentialsResponse>, Status> {
        let host = request.get_ref().host.clone();
        let registry = match host.as_str() {
            "registry-1.docker.io" | "index.docker.io" => "docker.io".to_string(),
            _ => host,
        };
        let found =
            tokio::task::spawn_blocking(move || auth::credentials_for(&format!("{registry}/x")))
                .await
                .map_err(|_| Status::internal("reading the registry login stopped"))?
                .map_err(|e| Status::internal(format!("{e:#}")))?;
        let response = match found {
            Some(creds) => CredentialsResponse {
                username: creds.username.unwrap_or_default(),
                secret: creds.password.or(creds.identitytoken).unwrap_or_default(),
            },
            None => CredentialsResponse::default(),
        };
        Ok(Response::new(response))
    }

    async fn fetch_token(
        &self,
        _: Request<FetchTokenRequest>,
    ) -> Result<Response<FetchTokenResponse>, Status> {
        Err(Status::unimplemented(
            "credentials are given with Credentials",
        ))
    }

    async fn get_token_authority(
        &self,
        _: Request<GetTokenAuthorityRequest>,
    ) -> Result<Response<GetTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented(
            "credentials are given with Credentials",
        ))
    }

    async fn verify_token_authority(
        &self,
        _: Request<VerifyTokenAuthorityRequest>,
    ) -> Result<Response<VerifyTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented(
            "credentials are given with Credentials",
        ))
    }
}

struct Healthy;

#[tonic::async_trait]
impl Health for Healthy {
    async fn check(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse { status: 1 }))
    }

    async fn list(
        &self,
        _: Request<HealthListRequest>,
    ) -> Result<Response<HealthListResponse>, Status> {
        Err(Status::unimplemented("only Check is served"))
    }

    type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

    async fn watch(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("only Check is served"))
    }
}

/// The methods the session offers, announced to the engine in the upgrade request.
fn methods(ssh: bool) -> Vec<&'static str> {
    let mut methods = vec![
        "/grpc.health.v1.Health/Check",
        "/moby.filesync.v1.Auth/Credentials",
        "/moby.buildkit.secrets.v1.Secrets/GetSecret",
    ];
    if ssh {
        methods.extend([
            "/moby.sshforward.v1.SSH/CheckAgent",
            "/moby.sshforward.v1.SSH/ForwardAgent",
        ]);
    }
    methods
}

/// A running session; dropping it ends it.
pub struct Session {
    pub id: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Opens a session on the engine at `base` (`http://host/vX.Y`) and serves it.
pub async fn open(
    dial: &Dial,
    base: &str,
    secrets: HashMap<String, SecretSource>,
    agents: HashMap<String, PathBuf>,
) -> Result<Session> {
    let id = random_id();
    let client = dial.client();
    let mut request = http::Request::post(format!("{base}/session"))
        .header("Connection", "Upgrade")
        .header("Upgrade", "h2c")
        .header("X-Docker-Expose-Session-Uuid", &id)
        .header("X-Docker-Expose-Session-Name", "msv")
        .header("X-Docker-Expose-Session-Sharedkey", "");
    for method in methods(!agents.is_empty()) {
        request = request.header("X-Docker-Expose-Session-Grpc-Method", method);
    }
    let request = request
        .body(Body::Left(http_body_util::Full::new(bytes::Bytes::new())))
        .context("making the session request")?;
    let response = client
        .request(request)
        .await
        .map_err(|e| anyhow!("opening a BuildKit session with the engine: {e}"))?;
    if response.status() != http::StatusCode::SWITCHING_PROTOCOLS {
        bail!(
            "the engine refused a BuildKit session ({}); use --builder classic",
            response.status()
        );
    }
    let upgraded = hyper::upgrade::on(response)
        .await
        .map_err(|e| anyhow!("opening a BuildKit session with the engine: {e}"))?;
    let io = Upgraded(TokioIo::new(upgraded));
    let ssh = (!agents.is_empty()).then(|| SshServer::new(Agents(agents)));
    let router = tonic::transport::Server::builder()
        .add_service(HealthServer::new(Healthy))
        .add_service(AuthServer::new(Logins))
        .add_service(SecretsServer::new(SecretStore(secrets)))
        .add_optional_service(ssh);
    let task = tokio::spawn(async move {
        let incoming = futures::stream::iter([Ok::<_, std::io::Error>(io)]);
        let _ = router.serve_with_incoming(incoming).await;
    });
    Ok(Session { id, task })
}

fn random_id() -> String {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system's random numbers");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The upgraded connection, as tonic's server takes a connection.
struct Upgraded(TokioIo<hyper::upgrade::Upgraded>);

impl tonic::transport::server::Connected for Upgraded {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl tokio::io::AsyncRead for Upgraded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Upgraded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_specs() {
        assert_eq!(
            parse_secret("id=npm,src=/run/npmrc").unwrap(),
            ("npm".into(), SecretSource::File("/run/npmrc".into()))
        );
        assert_eq!(
            parse_secret("id=tok,env=API_TOKEN").unwrap(),
            ("tok".into(), SecretSource::Env("API_TOKEN".into()))
        );
        assert_eq!(
            parse_secret("type=file,id=a,source=f").unwrap().1,
            SecretSource::File("f".into())
        );
        for bad in ["id=a", "src=f", "id=a,src=f,env=V", "id=a,colour=red", "id"] {
            assert!(parse_secret(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ssh_specs() {
        assert_eq!(
            parse_ssh("deploy=/tmp/agent.sock").unwrap(),
            ("deploy".into(), PathBuf::from("/tmp/agent.sock"))
        );
        assert!(parse_ssh("=/x").is_err());
    }

    #[test]
    fn unreadable_secrets_are_named_without_values() {
        let mut secrets = HashMap::new();
        secrets.insert(
            "tok".to_string(),
            SecretSource::Env("MSV_SURELY_UNSET_SECRET".into()),
        );
        let err = check_secrets(&secrets).unwrap_err().to_string();
        assert!(
            err.contains("id=tok") && err.contains("MSV_SURELY_UNSET_SECRET"),
            "{err}"
        );
    }

    #[test]
    fn ssh_methods_are_announced_only_with_agents() {
        assert!(!methods(false).iter().any(|m| m.contains("SSH")));
        assert!(methods(true).contains(&"/moby.sshforward.v1.SSH/ForwardAgent"));
    }
}
