//! The byte stream to the Docker engine: a unix socket, TCP, TLS over TCP (the docker
//! CLI's certificate files), or `docker system dial-stdio` run through the system `ssh`
//! as the docker CLI runs it. One HTTP client over it serves bollard (as its custom
//! transport) and the BuildKit session, which needs a connection it can upgrade.
//!
//! Which address and files to use is decided in `engine`; this module only connects.

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{Full, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The body type bollard's requests carry (the same type as `bollard::BollardRequest`'s).
pub type Body = http_body_util::Either<
    Full<Bytes>,
    StreamBody<Pin<Box<dyn futures::Stream<Item = Result<Frame<Bytes>, io::Error>> + Send>>>,
>;

/// How to reach the engine.
#[derive(Clone)]
pub enum Dial {
    Unix(PathBuf),
    Tcp(String),
    Tls {
        addr: String,
        server_name: rustls::pki_types::ServerName<'static>,
        config: Arc<rustls::ClientConfig>,
    },
    /// The program and its arguments (`ssh ... -- host docker system dial-stdio`).
    Command(Vec<String>),
}

impl std::fmt::Debug for Dial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dial::Unix(path) => write!(f, "unix {}", path.display()),
            Dial::Tcp(addr) => write!(f, "tcp {addr}"),
            Dial::Tls { addr, .. } => write!(f, "tls {addr}"),
            Dial::Command(argv) => write!(f, "command {argv:?}"),
        }
    }
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// One connection to the engine, whatever carries it.
pub struct Stream {
    io: Box<dyn Io>,
    /// The ssh process, ended when the connection is dropped.
    _child: Option<tokio::process::Child>,
}

impl Dial {
    /// Opens one connection.
    pub async fn open(&self) -> io::Result<Stream> {
        let io: Box<dyn Io> = match self {
            Dial::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
            Dial::Tcp(addr) => Box::new(tokio::net::TcpStream::connect(addr).await?),
            Dial::Tls {
                addr,
                server_name,
                config,
            } => {
                let tcp = tokio::net::TcpStream::connect(addr).await?;
                let tls = tokio_rustls::TlsConnector::from(config.clone())
                    .connect(server_name.clone(), tcp)
                    .await?;
                Box::new(tls)
            }
            Dial::Command(argv) => {
                let mut child = tokio::process::Command::new(&argv[0])
                    .args(&argv[1..])
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .kill_on_drop(true)
                    .spawn()
                    .map_err(|e| io::Error::new(e.kind(), format!("running {}: {e}", argv[0])))?;
                let stdout = child.stdout.take().expect("piped");
                let stdin = child.stdin.take().expect("piped");
                return Ok(Stream {
                    io: Box::new(tokio::io::join(stdout, stdin)),
                    _child: Some(child),
                });
            }
        };
        Ok(Stream { io, _child: None })
    }

    /// An HTTP/1 client whose every connection is opened by this dial.
    pub fn client(&self) -> Client<Connector, Body> {
        Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(4)
            .build(Connector(self.clone()))
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// hyper's view of a connection opened by a [`Dial`].
pub struct Conn(TokioIo<Stream>);

impl Connection for Conn {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// Opens connections for hyper's client; the request's URI is not used (the dial decides).
#[derive(Clone)]
pub struct Connector(Dial);

impl tower::Service<http::Uri> for Connector {
    type Response = Conn;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Conn>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Uri) -> Self::Future {
        let dial = self.0.clone();
        Box::pin(async move { Ok(Conn(TokioIo::new(dial.open().await?))) })
    }
}

/// The TLS client configuration from the docker CLI's files: `ca.pem` verifies the engine
/// (the system's roots are not used, as with the docker CLI), `cert.pem`/`key.pem` are the
/// client's certificate when present.
pub fn tls_config(
    ca: Option<&std::path::Path>,
    cert_and_key: Option<(&std::path::Path, &std::path::Path)>,
) -> anyhow::Result<rustls::ClientConfig> {
    use anyhow::Context as _;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("setting up TLS")?;
    let mut roots = rustls::RootCertStore::empty();
    if let Some(ca) = ca {
        for cert in CertificateDer::pem_file_iter(ca)
            .with_context(|| format!("reading the CA certificate {}", ca.display()))?
        {
            let cert =
                cert.with_context(|| format!("reading the CA certificate {}", ca.display()))?;
            roots
                .add(cert)
                .with_context(|| format!("using the CA certificate {}", ca.display()))?;
        }
    }
    let builder = builder.with_root_certificates(roots);
    Ok(match cert_and_key {
        Some((cert, key)) => {
            let certs = CertificateDer::pem_file_iter(cert)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .with_context(|| format!("reading the client certificate {}", cert.display()))?;
            let key = PrivateKeyDer::from_pem_file(key)
                .with_context(|| format!("reading the client key {}", key.display()))?;
            builder
                .with_client_auth_cert(certs, key)
                .context("using the client certificate and key")?
        }
        None => builder.with_no_client_auth(),
    })
}
