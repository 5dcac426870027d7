//! The engine's classic builder: one request, a JSON stream back, whose `Step N/M :
//! INSTRUCTION` lines drive the progress display (step N of M on a terminal, the whole
//! log with -v) and the failure report. Every engine speaks it; `build` decides when it
//! is used.

use std::collections::HashMap;

use anyhow::{Result, anyhow};
use bollard::query_parameters::BuildImageOptionsBuilder;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use super::build::BuildRequest;
use super::context;
use super::engine;
use super::log::{Log, sanitize};
use crate::exit::Failure;
use crate::output::Printer;

/// Builds with the classic builder; returns the image ID.
#[allow(clippy::too_many_arguments)]
pub async fn build(
    docker: &bollard::Docker,
    req: &BuildRequest,
    dockerfile: &str,
    tag: &str,
    build_args: &HashMap<String, String>,
    labels: &HashMap<String, String>,
    body: impl futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
    writer: std::thread::JoinHandle<Result<context::Summary>>,
    printer: &Printer,
) -> Result<String> {
    let mut options = BuildImageOptionsBuilder::default()
        .dockerfile(dockerfile)
        .t(tag)
        .rm(true)
        .forcerm(true)
        .nocache(req.no_cache)
        .buildargs(build_args)
        .labels(labels);
    if req.pull {
        options = options.pull("true");
    }
    if let Some(target) = &req.target {
        options = options.target(target);
    }
    if let Some(platform) = &req.platform {
        options = options.platform(platform);
    }
    let mut stream =
        docker.build_image(options.build(), None, Some(bollard::body_try_stream(body)));

    let verbose = printer.verbose >= 1;
    let bar = if verbose {
        ProgressBar::hidden()
    } else {
        printer.progress(0, "sending the build context")
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} step {pos}/{len} {wide_msg} {elapsed}")
            .expect("a valid template"),
    );
    if printer.stderr_tty && !printer.quiet {
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
    }
    let mut log = Log::default();
    let mut partial = String::new();
    while let Some(item) = stream.next().await {
        let info = match item {
            Ok(info) => info,
            Err(e) => {
                bar.finish_and_clear();
                let base = failed_base(&log, &e);
                let present = match base {
                    Some(image) => docker.inspect_image(image).await.is_ok(),
                    None => false,
                };
                let hint = base.map(|image| base_hint(image, req.pull, present));
                return Err(build_error(&log, e, writer, hint));
            }
        };
        if let Some(id) = info.aux.as_ref().and_then(|image| image.id.as_ref()) {
            log.image_id = Some(id.clone());
        }
        let Some(text) = info.stream else { continue };
        partial.push_str(&text);
        while let Some(end) = partial.find('\n') {
            let line = sanitize(partial[..end].trim_end_matches('\r'));
            partial.drain(..=end);
            if verbose {
                eprintln!("{line}");
            }
            if log.line(&line)
                && let Some((n, m, instruction)) = &log.step
            {
                bar.set_length(*m);
                bar.set_position(*n);
                bar.set_message(instruction.clone());
            }
        }
    }
    bar.finish_and_clear();
    let summary = writer
        .join()
        .map_err(|_| anyhow!("the build context writer stopped"))??;
    let _ = summary;
    let id = log
        .image_id
        .clone()
        .ok_or_else(|| Failure::bad(log.failure("the engine did not say which image it built")))?;
    Ok(id)
}

/// The base image of the `FROM` step the build failed at, if it failed at one:
/// `FROM --platform=linux/amd64 base:1 AS build` -> `base:1`.
fn failed_base<'a>(log: &'a Log, err: &bollard::errors::Error) -> Option<&'a str> {
    if !matches!(err, bollard::errors::Error::DockerStreamError { .. }) {
        return None;
    }
    let (_, _, instruction) = log.step.as_ref()?;
    let mut words = instruction.split_whitespace();
    if !words.next()?.eq_ignore_ascii_case("FROM") {
        return None;
    }
    words.find(|w| !w.starts_with("--"))
}

/// What to tell the user when the base image could not be had. With `--pull` the engine
/// asks the base image's registry even when it holds a copy, so a registry that cannot
/// be reached fails a build that would work without `--pull`.
fn base_hint(base: &str, pull: bool, present: bool) -> String {
    let base = sanitize(base);
    match (pull, present) {
        (true, true) => format!(
            "--pull asks the registry of the base image {base} for its newest version, and it \
             could not be pulled. The engine has a copy: build without --pull to use it."
        ),
        (true, false) => format!(
            "The base image {base} is not in the engine and could not be pulled from its registry."
        ),
        (false, _) => format!(
            "The base image {base} is not in the engine and could not be pulled. Make it \
             available to the engine (docker pull, docker load or docker import) or fix the \
             FROM line."
        ),
    }
}

/// Turns an engine error during the build into the failure report (exit 1), or into an
/// environment error when the request itself could not be made. `base_hint` explains a
/// failure to get the base image of a `FROM` step.
fn build_error(
    log: &Log,
    err: bollard::errors::Error,
    writer: std::thread::JoinHandle<Result<context::Summary>>,
    base_hint: Option<String>,
) -> anyhow::Error {
    use bollard::errors::Error as E;
    match err {
        E::DockerStreamError { error } => {
            let mut report = log.failure(&sanitize(&error));
            if let Some(hint) = base_hint {
                report.push('\n');
                report.push_str(&hint);
            }
            Failure::bad(report)
        }
        E::DockerResponseServerError { message, .. }
            if message.contains("dockerfile parse error") =>
        {
            Failure::bad(format!(
                "the Dockerfile has a syntax error: {}",
                sanitize(&message)
            ))
        }
        // The engine refuses the request itself for a bad --target or --platform: the
        // flags are wrong, nothing was built (exit 2).
        E::DockerResponseServerError {
            status_code: 400,
            message,
        } if message.contains("failed to reach build target") => anyhow!(
            "--target names no stage of the Dockerfile ({}); use a name from a \
             `FROM ... AS NAME` line",
            sanitize(&message)
        ),
        E::DockerResponseServerError {
            status_code: 400,
            message,
        } if message.contains("platform") => anyhow!(
            "--platform is not valid ({}); use OS/ARCH[/VARIANT], e.g. linux/amd64",
            sanitize(&message)
        ),
        E::DockerResponseServerError {
            status_code,
            message,
        } => Failure::bad(log.failure(&format!(
            "the engine refused the build ({status_code}): {}",
            sanitize(&message)
        ))),
        other => {
            // A failed context write explains a broken request better than the HTTP error.
            if writer.is_finished()
                && let Ok(Err(e)) = writer.join()
            {
                return e;
            }
            anyhow!(
                "talking to the Docker engine during the build: {}",
                engine::short(&other)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_image_is_read_from_a_failed_from_step() {
        let err = bollard::errors::Error::DockerStreamError {
            error: "pull failed".into(),
        };
        let mut log = Log::default();
        for (line, base) in [
            ("Step 1/2 : FROM busybox:1", Some("busybox:1")),
            (
                "Step 3/4 : from --platform=linux/amd64 reg:5000/base:2 AS build",
                Some("reg:5000/base:2"),
            ),
            ("Step 2/2 : RUN false", None),
        ] {
            log.line(line);
            assert_eq!(failed_base(&log, &err), base, "{line}");
        }
        let refused = bollard::errors::Error::DockerResponseServerError {
            status_code: 500,
            message: "x".into(),
        };
        log.line("Step 1/1 : FROM busybox:1");
        assert_eq!(failed_base(&log, &refused), None);
    }

    #[test]
    fn base_hints_say_what_pull_changes() {
        let hint = base_hint("reg/base:1", true, true);
        assert!(
            hint.contains("reg/base:1") && hint.contains("without --pull"),
            "{hint}"
        );
        assert!(!base_hint("reg/base:1", true, false).contains("without --pull"));
        let hint = base_hint("reg/base:1", false, false);
        assert!(hint.contains("reg/base:1 is not in the engine"), "{hint}");
    }
}
