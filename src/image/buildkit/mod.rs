//! Building with BuildKit through the engine's API (`POST /build?version=2`), no buildx
//! needed: the context goes as the request's tar body, a session (see `session`) answers
//! the build's calls for secrets and ssh agents, and the engine's stream carries
//! BuildKit's progress (see `progress`), shown as a bar on a terminal and as lines
//! otherwise. Which builder to use is decided in `build`.

pub mod progress;
pub mod session;

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow};
use base64::Engine as _;
use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use http_body_util::BodyExt;
use indicatif::ProgressStyle;
use prost::Message as _;

use super::engine::Engine;
use super::log::sanitize;
use super::transport::Body;
use crate::exit::Failure;
use crate::output::Printer;
use progress::{Event, Progress};
pub use session::{SecretSource, parse_secret, parse_ssh};

/// What a BuildKit build is asked to do.
#[derive(Debug, Default)]
pub struct KitRequest {
    pub dockerfile: String,
    pub tag: String,
    pub build_args: HashMap<String, String>,
    pub labels: HashMap<String, String>,
    pub target: Option<String>,
    pub platform: Option<String>,
    pub no_cache: bool,
    pub pull: bool,
    pub secrets: HashMap<String, SecretSource>,
    pub agents: HashMap<String, PathBuf>,
}

/// The query of the build request.
fn query(req: &KitRequest, session: &str) -> Result<String> {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("version", "2")
        .append_pair("session", session)
        .append_pair("dockerfile", &req.dockerfile)
        .append_pair("t", &req.tag)
        .append_pair("rm", "1")
        .append_pair("forcerm", "1")
        .append_pair("buildargs", &serde_json::to_string(&req.build_args)?)
        .append_pair("labels", &serde_json::to_string(&req.labels)?);
    if let Some(target) = &req.target {
        q.append_pair("target", target);
    }
    if let Some(platform) = &req.platform {
        q.append_pair("platform", platform);
    }
    if req.no_cache {
        q.append_pair("nocache", "1");
    }
    if req.pull {
        q.append_pair("pull", "1");
    }
    Ok(q.finish())
}

/// One line of the engine's build stream.
#[derive(Debug, serde::Deserialize)]
struct Line {
    id: Option<String>,
    aux: Option<serde_json::Value>,
    error: Option<String>,
    #[serde(rename = "errorDetail")]
    error_detail: Option<ErrorDetail>,
}

#[derive(Debug, serde::Deserialize)]
struct ErrorDetail {
    message: Option<String>,
}

/// Whether the engine can build with BuildKit: API 1.39 or later on Linux.
pub async fn supported(engine: &Engine) -> bool {
    let version = engine.docker.client_version();
    let api_ok = (version.major_version, version.minor_version) >= (1, 39);
    let linux = match engine.docker.version().await {
        Ok(v) => {
            v.os.as_deref()
                .is_none_or(|os| os.eq_ignore_ascii_case("linux"))
        }
        Err(_) => false,
    };
    api_ok && linux
}

/// Builds; returns the image ID.
pub async fn build(
    engine: &Engine,
    req: KitRequest,
    body: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    printer: &Printer,
) -> Result<String> {
    session::check_secrets(&req.secrets)?;
    let version = engine.docker.client_version();
    let base = format!(
        "http://docker.engine/v{}.{}",
        version.major_version, version.minor_version
    );
    let session =
        session::open(&engine.dial, &base, req.secrets.clone(), req.agents.clone()).await?;
    let request = http::Request::post(format!("{base}/build?{}", query(&req, &session.id)?))
        .header("Content-Type", "application/x-tar")
        .body(Body::Right(http_body_util::StreamBody::new(Box::pin(
            body.map_ok(hyper::body::Frame::data),
        ))))
        .context("making the build request")?;
    let response = engine
        .dial
        .client()
        .request(request)
        .await
        .map_err(|e| anyhow!("talking to the Docker engine during the build: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        let text = response
            .into_body()
            .collect()
            .await
            .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
            .unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("message")?.as_str().map(str::to_string))
            .unwrap_or(text);
        return Err(refused(status.as_u16(), &sanitize(&message)));
    }

    let verbose = printer.verbose >= 1;
    let bar = if verbose || !printer.stderr_tty {
        indicatif::ProgressBar::hidden()
    } else {
        printer.progress(0, "sending the build context")
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_msg} {elapsed}")
            .expect("a valid template"),
    );
    if printer.stderr_tty && !printer.quiet {
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
    }
    let lines = !printer.stderr_tty || verbose;
    let mut progress = Progress::default();
    let mut image_id = None;
    let mut failure = None;
    let mut partial: Vec<u8> = Vec::new();
    let mut stream = response.into_body().into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| anyhow!("reading the engine's build stream: {e}"))?;
        partial.extend_from_slice(&chunk);
        while let Some(end) = partial.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = partial.drain(..=end).collect();
            let Ok(line) = serde_json::from_slice::<Line>(&raw) else {
                continue;
            };
            if let Some(error) = line.error_detail.and_then(|d| d.message).or(line.error) {
                failure = Some(sanitize(&error));
                continue;
            }
            match (line.id.as_deref(), line.aux) {
                (Some("moby.buildkit.trace"), Some(serde_json::Value::String(data))) => {
                    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) else {
                        continue;
                    };
                    let Ok(status) =
                        bollard_buildkit_proto::moby::buildkit::v1::StatusResponse::decode(
                            &bytes[..],
                        )
                    else {
                        continue;
                    };
                    for event in progress.update(&status) {
                        show(&event, &progress, &bar, lines, printer.quiet);
                    }
                    let (done, total) = progress.counts();
                    bar.set_length(total);
                    bar.set_position(done);
                }
                (Some("moby.image.id"), Some(aux)) => {
                    image_id = aux.get("ID").and_then(|v| v.as_str()).map(str::to_string);
                }
                _ => {}
            }
        }
    }
    bar.finish_and_clear();
    drop(session);
    if let Some(error) = failure {
        return Err(failed(&progress, &error));
    }
    image_id.ok_or_else(|| {
        Failure::bad(progress.failure("the engine did not say which image it built"))
    })
}

fn show(
    event: &Event,
    progress: &Progress,
    bar: &indicatif::ProgressBar,
    lines: bool,
    quiet: bool,
) {
    if lines {
        if !quiet {
            eprintln!("{}", sanitize(&progress::line(event, progress)));
        }
    } else if let Event::Started { name, .. } | Event::Cached { name, .. } = event {
        bar.set_message(sanitize(name));
    }
}

/// A failed build: a usage error for a `--target` that names no stage, else the report
/// of the step that failed (exit 1).
fn failed(progress: &Progress, error: &str) -> anyhow::Error {
    if error.contains("target stage") && error.contains("could not be found") {
        return anyhow!(
            "--target names no stage of the Dockerfile ({error}); use a name from a \
             `FROM ... AS NAME` line"
        );
    }
    if error.contains("dockerfile parse error") || error.contains("unknown instruction") {
        return Failure::bad(format!("the Dockerfile has a syntax error: {error}"));
    }
    Failure::bad(progress.failure(error))
}

/// The engine refused the request itself.
fn refused(status: u16, message: &str) -> anyhow::Error {
    if status == 400 && message.contains("platform") {
        return anyhow!(
            "--platform is not valid ({message}); use OS/ARCH[/VARIANT], e.g. linux/amd64"
        );
    }
    Failure::bad(format!(
        "the engine refused the build ({status}): {message}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_carries_the_session_and_the_options() {
        let mut req = KitRequest {
            dockerfile: "docker/app.Dockerfile".into(),
            tag: "reg/app:abc".into(),
            target: Some("build".into()),
            no_cache: true,
            ..KitRequest::default()
        };
        req.build_args.insert("A".into(), "1 2".into());
        let q = query(&req, "s1").unwrap();
        let pairs: HashMap<String, String> = url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(pairs["version"], "2");
        assert_eq!(pairs["session"], "s1");
        assert_eq!(pairs["dockerfile"], "docker/app.Dockerfile");
        assert_eq!(pairs["t"], "reg/app:abc");
        assert_eq!(pairs["target"], "build");
        assert_eq!(pairs["nocache"], "1");
        assert_eq!(pairs["buildargs"], r#"{"A":"1 2"}"#);
        assert!(!pairs.contains_key("pull"));
    }

    #[test]
    fn a_missing_target_is_a_usage_error_and_a_failed_step_is_a_failure() {
        let err = failed(
            &Progress::default(),
            "failed to create LLB definition: target stage nosuch could not be found",
        );
        assert!(err.downcast_ref::<Failure>().is_none());
        assert!(err.to_string().contains("FROM ... AS NAME"));
        let err = failed(&Progress::default(), "exit code: 3");
        assert!(err.downcast_ref::<Failure>().is_some());
    }
}
