//! Pushing an image with the docker CLI's credentials, following per-layer progress, and
//! recording the digest so a deploy runs `repo@sha256:...`, exactly what was pushed.
//!
//! The engine's push stream, as bollard decodes it, carries each layer's status and byte
//! counts but not the layer ID, so progress is shown as layers finished out of the
//! image's layer count plus the bytes of the layer being sent.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use bollard::query_parameters::PushImageOptionsBuilder;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use super::log::sanitize;
use super::reference::{Reference, repository, split_tag};
use super::{auth, engine, record};
use crate::exit::Failure;
use crate::output::Printer;

#[derive(Debug, Clone, Default)]
pub struct PushRequest {
    /// The service directory (where the record is).
    pub dir: PathBuf,
    /// The image to push; the last built one when absent.
    pub image: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PushedImage {
    pub reference: String,
    pub digest: String,
    /// `<repository>@<digest>`.
    pub pinned: String,
}

/// What a push failure means for the user, from the engine's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushFailure {
    Unauthorized,
    Unreachable,
    Other,
}

pub fn classify(message: &str) -> PushFailure {
    let m = message.to_ascii_lowercase();
    if m.contains("unauthorized")
        || m.contains("authentication required")
        || m.contains("no basic auth credentials")
        || m.contains("denied")
    {
        PushFailure::Unauthorized
    } else if m.contains("connection refused")
        || m.contains("no such host")
        || m.contains("i/o timeout")
        || m.contains("dial tcp")
        || m.contains("server gave http response to https client")
    {
        PushFailure::Unreachable
    } else {
        PushFailure::Other
    }
}

/// `v1: digest: sha256:abc... size: 527` -> `sha256:abc...`.
pub fn digest_in(status: &str) -> Option<&str> {
    let rest = &status[status.find("digest: ")? + "digest: ".len()..];
    let digest = rest.split_whitespace().next()?;
    digest.starts_with("sha256:").then_some(digest)
}

/// Pushes the image and records its digest in the service's `.msv/`.
pub async fn push(req: &PushRequest, printer: &Printer) -> Result<PushedImage> {
    let reference = match &req.image {
        Some(image) => image.clone(),
        None => record::last_built(&req.dir)?
            .map(|b| b.reference)
            .ok_or_else(|| {
                anyhow!(
                    "nothing built yet in {}: run `msv build` first, or name the image: msv push IMAGE",
                    req.dir.display()
                )
            })?,
    };
    Reference::parse(&reference)?;
    let (repo, tag) = split_tag(&reference);
    let registry = auth::registry_of(&reference);
    let docker = engine::connect().await?;
    let image = docker
        .inspect_image(&reference)
        .await
        .map_err(|e| match e {
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            } => {
                anyhow!("no image {reference} in the Docker engine: build it first (msv build)")
            }
            other => anyhow!("inspecting {reference}: {}", engine::short(&other)),
        })?;
    let layers = image
        .root_fs
        .and_then(|fs| fs.layers)
        .map_or(0, |l| l.len() as u64);
    let image_id = image.id.unwrap_or_default();
    let credentials = auth::credentials_for(&reference)?;

    let options = PushImageOptionsBuilder::default().tag(tag).build();
    let mut stream = docker.push_image(repo, Some(options), credentials);
    let verbose = printer.verbose >= 1;
    let bar = if verbose {
        ProgressBar::hidden()
    } else {
        printer.progress(layers, "")
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} layers {pos}/{len} {wide_msg}")
            .expect("a valid template"),
    );
    if printer.stderr_tty && !printer.quiet {
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
    }
    let mut digest = None;
    while let Some(item) = stream.next().await {
        let info = match item {
            Ok(info) => info,
            Err(e) => {
                bar.finish_and_clear();
                return Err(push_error(&reference, &registry, e));
            }
        };
        let Some(status) = info.status.as_deref() else {
            continue;
        };
        let status = sanitize(status);
        if verbose {
            eprintln!("{status}");
        }
        if let Some(d) = digest_in(&status) {
            digest = Some(d.to_string());
        }
        match status.as_str() {
            "Pushed" | "Layer already exists" => bar.inc(1),
            s if s.starts_with("Mounted from") => bar.inc(1),
            "Pushing" => {
                if let Some(p) = &info.progress_detail
                    && let (Some(current), Some(total)) = (p.current, p.total)
                {
                    bar.set_message(format!(
                        "sending {} of {}",
                        indicatif::HumanBytes(current as u64),
                        indicatif::HumanBytes(total as u64)
                    ));
                }
            }
            _ => {}
        }
    }
    bar.finish_and_clear();
    let digest = match digest {
        Some(d) => d,
        None => pushed_digest(&docker, &reference).await?.ok_or_else(|| {
            Failure::bad(format!(
                "pushing {reference}: the registry returned no digest"
            ))
        })?,
    };
    let pushed = PushedImage {
        reference: reference.clone(),
        pinned: format!("{}@{digest}", repository(&reference)),
        digest,
    };
    record::update(&req.dir, |r| {
        r.pushed = Some(record::Pushed {
            reference: pushed.reference.clone(),
            digest: pushed.digest.clone(),
            pinned: pushed.pinned.clone(),
            image_id,
        });
    })?;
    Ok(pushed)
}

/// The digest the engine remembers for the repository, when the stream did not say.
async fn pushed_digest(docker: &bollard::Docker, reference: &str) -> Result<Option<String>> {
    let image = docker
        .inspect_image(reference)
        .await
        .with_context(|| format!("inspecting {reference}"))?;
    let repo = repository(reference);
    Ok(image
        .repo_digests
        .unwrap_or_default()
        .into_iter()
        .find_map(|d| {
            d.strip_prefix(repo)
                .and_then(|rest| rest.strip_prefix('@'))
                .map(str::to_string)
        }))
}

fn push_error(reference: &str, registry: &str, err: bollard::errors::Error) -> anyhow::Error {
    let message = match &err {
        bollard::errors::Error::DockerStreamError { error } => error.clone(),
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => engine::short(other),
    };
    let message = sanitize(&message);
    let class = classify(&message);
    if class != PushFailure::Other && !names_registry(reference) {
        return anyhow!(
            "pushing {reference}: the image names no registry host, so the engine sent it to \
             Docker Hub (docker.io), which failed ({message})\n\
             Put the registry in msv.toml, e.g. `[image] registry = \"registry.example.com\"` \
             or `[image] repository = \"registry.example.com/{name}\"` (or set \
             MSV_IMAGE_REGISTRY / MSV_IMAGE_REPOSITORY), then run `msv build` and `msv push` \
             again; or name the image: msv push registry.example.com/{name}:TAG",
            name = split_tag(reference).0,
        );
    }
    match class {
        PushFailure::Unauthorized => anyhow!(
            "pushing {reference}: the registry {registry} refused the credentials ({message})\n\
             Log in with `docker login {registry}` (msv reads the docker CLI's credentials)"
        ),
        PushFailure::Unreachable => anyhow!(
            "pushing {reference}: cannot reach the registry {registry} ({message})\n\
             Check that it is running and that the image name's registry part is right"
        ),
        PushFailure::Other => Failure::bad(format!("pushing {reference} failed: {message}")),
    }
}

/// Whether the reference says which registry it goes to (`docker.io/...` counts); without
/// one the engine silently picks Docker Hub, which is rarely what a service means.
fn names_registry(reference: &str) -> bool {
    auth::registry_of(reference) != "docker.io"
        || reference.starts_with("docker.io/")
        || reference.starts_with("index.docker.io/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_read_from_the_final_status() {
        let s = "abc1234: digest: sha256:0f0e size: 527";
        assert_eq!(digest_in(s), Some("sha256:0f0e"));
        assert_eq!(digest_in("Pushed"), None);
    }

    #[test]
    fn an_implied_docker_hub_is_not_a_named_registry() {
        assert!(!names_registry("orders:v1"));
        assert!(!names_registry("team/orders:v1"));
        assert!(names_registry("docker.io/team/orders:v1"));
        assert!(names_registry("127.0.0.1:5000/orders"));
        assert!(names_registry("registry.example.com/orders"));
    }

    #[test]
    fn failures_are_classified() {
        assert_eq!(
            classify("unauthorized: authentication required"),
            PushFailure::Unauthorized
        );
        assert_eq!(
            classify("no basic auth credentials"),
            PushFailure::Unauthorized
        );
        assert_eq!(
            classify(
                "Get \"http://127.0.0.1:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused"
            ),
            PushFailure::Unreachable
        );
        assert_eq!(classify("blob upload unknown"), PushFailure::Other);
    }
}
