//! The user's own test suite against the candidate (`deploy.smoke`): a local forwarder on
//! 127.0.0.1 (an ephemeral port) that carries HTTP to the preview Service through the API
//! server's service proxy, and the command run with `MSV_PREVIEW_URL` pointing at it. The
//! command's output goes where msv's goes; it passes when it exits 0 within its timeout.
//! Whatever happens — success, failure, timeout, Ctrl-C — the command's whole process
//! group is stopped and the forwarder closed before this returns.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, Result};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cluster::Cluster;
use crate::deploy::watch::cancelled;

/// How long one forwarded request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stopped command's process group gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(2);

/// A forwarder from 127.0.0.1 to a Service; closed when dropped.
pub struct Forwarder {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Forwarder {
    /// Listens on 127.0.0.1 (a port the system picks) and forwards every request to
    /// Service `service` on `port`.
    pub async fn start(cluster: &Cluster, service: &str, port: u16) -> Result<Forwarder> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("opening a local port for the smoke command")?;
        let addr = listener.local_addr()?;
        let (cluster, service) = (cluster.clone(), service.to_string());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (cluster, service) = (cluster.clone(), service.clone());
                tokio::spawn(async move {
                    let handle = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let (cluster, service) = (cluster.clone(), service.clone());
                        async move { Ok::<_, Infallible>(forward(&cluster, &service, port, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), handle)
                        .await;
                });
            }
        });
        Ok(Forwarder { addr, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(
    cluster: &Cluster,
    service: &str,
    port: u16,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return answer(400, format!("msv: reading the request body: {e}\n")),
    };
    let req = http::Request::from_parts(parts, body);
    match cluster
        .service_proxy_forward(service, port, req, REQUEST_TIMEOUT)
        .await
    {
        Ok(res) => res.map(Full::new),
        // What a proxy answers when the upstream cannot be reached.
        Err(e) => answer(502, format!("msv: {e:#}\n")),
    }
}

fn answer(status: u16, text: String) -> hyper::Response<Full<Bytes>> {
    let mut res = hyper::Response::new(Full::new(Bytes::from(text)));
    *res.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    res
}

/// How a smoke command ended, when it did not pass.
#[derive(Debug, PartialEq, Eq)]
pub enum Smoke {
    Passed,
    Failed(String),
    Interrupted,
}

/// Runs `command` (through `sh -c`) with `MSV_PREVIEW_URL` set to a forwarder to Service
/// `service`, for at most `timeout`; `cancel` turning true stops it.
pub async fn run(
    cluster: &Cluster,
    service: &str,
    port: u16,
    command: &str,
    timeout: Duration,
    mut cancel: watch::Receiver<bool>,
) -> Result<Smoke> {
    let forwarder = Forwarder::start(cluster, service, port).await?;
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("MSV_PREVIEW_URL", forwarder.url())
        .stdin(std::process::Stdio::null())
        // Output goes to msv's stderr, so that stdout stays msv's (e.g. for -o json).
        .stdout(std::io::stderr())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting the smoke command {command:?}"))?;
    let pid = child.id();
    let outcome = tokio::select! {
        status = child.wait() => match status {
            Ok(s) if s.success() => Smoke::Passed,
            Ok(s) => Smoke::Failed(match s.code() {
                Some(code) => format!("the smoke command {command:?} exited {code}"),
                None => format!("the smoke command {command:?} was killed by a signal"),
            }),
            Err(e) => Smoke::Failed(format!("waiting for the smoke command: {e}")),
        },
        () = tokio::time::sleep(timeout) => Smoke::Failed(format!(
            "the smoke command {command:?} did not finish within {timeout:?} (deploy.smoke_timeout); it was stopped"
        )),
        _ = cancelled(&mut cancel) => Smoke::Interrupted,
    };
    stop_group(pid, &mut child).await;
    drop(forwarder);
    Ok(outcome)
}

/// SIGTERM to the command's process group, SIGKILL after [`GRACE`]; the shell alone is not
/// enough, its children would keep running.
async fn stop_group(pid: Option<u32>, child: &mut tokio::process::Child) {
    let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) else {
        return;
    };
    let signal = |sig| {
        // SAFETY: kill(2) with a negative pid signals the process group the child leads
        // (it was started with process_group(0)); it touches no memory of ours.
        unsafe { libc::kill(-pid, sig) };
    };
    signal(libc::SIGTERM);
    if tokio::time::timeout(GRACE, child.wait()).await.is_err() {
        signal(libc::SIGKILL);
        let _ = child.wait().await;
    }
    // The shell may have exited while its children still run: end the group either way.
    signal(libc::SIGKILL);
}
