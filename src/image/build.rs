//! Building an image: tags from git, OCI labels, the context stream, and following the
//! engine's build log (step N of M on a terminal, the whole log with -v or on failure).
//!
//! The engine's classic builder is used (one HTTP request, a JSON stream back), which
//! every engine speaks; its `Step N/M : INSTRUCTION` lines drive the progress display.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow};
use bollard::query_parameters::{BuildImageOptionsBuilder, TagImageOptionsBuilder};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use super::log::{Log, sanitize};
use super::reference::{Reference, split_tag};
use super::{context, engine, record};
use crate::exit::Failure;
use crate::output::Printer;

/// What to build and how.
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    pub dir: PathBuf,
    pub dockerfile: String,
    /// `<registry>/<name>`, without a tag.
    pub repository: String,
    pub extra_tags: Vec<String>,
    /// `KEY=VALUE`, or `KEY` to take the value from the environment.
    pub build_args: Vec<String>,
    pub target: Option<String>,
    pub platform: Option<String>,
    pub no_cache: bool,
    pub pull: bool,
}

/// What the build produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuiltImage {
    pub reference: String,
    pub tags: Vec<String>,
    pub id: String,
    pub revision: String,
    pub dirty: bool,
}

/// The revision of the service's source: git short sha, and whether the tree has
/// uncommitted changes. Outside a git repository there is no revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub sha: Option<String>,
    pub dirty: bool,
    pub source: Option<String>,
}

/// Reads the revision with the git CLI (the tool whose notion of "dirty" users share).
pub fn revision(dir: &Path) -> Revision {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let sha = git(&["rev-parse", "--short", "HEAD"]).filter(|s| !s.is_empty());
    let dirty = sha.is_some() && git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    let source = git(&["remote", "get-url", "origin"])
        .filter(|s| !s.is_empty())
        .map(|u| strip_userinfo(&u));
    Revision { sha, dirty, source }
}

/// The tag of a revision: the short sha, `-dirty` when there are uncommitted changes,
/// `latest` outside git.
pub fn revision_tag(rev: &Revision) -> String {
    match &rev.sha {
        Some(sha) if rev.dirty => format!("{sha}-dirty"),
        Some(sha) => sha.clone(),
        None => "latest".to_string(),
    }
}

/// All tags for a build: `<repository>:<revision>` first, then `--tag`s (a bare tag
/// like `v1` is put on the repository).
pub fn tags_for(repository: &str, rev: &Revision, extra: &[String]) -> Result<Vec<String>> {
    let mut tags = vec![format!("{repository}:{}", revision_tag(rev))];
    for tag in extra {
        let full = if tag.contains('/') || tag.contains(':') {
            tag.clone()
        } else {
            format!("{repository}:{tag}")
        };
        Reference::parse(&full).with_context(|| format!("--tag {tag}"))?;
        if !tags.contains(&full) {
            tags.push(full);
        }
    }
    Reference::parse(&tags[0]).with_context(|| format!("the image repository {repository:?}"))?;
    Ok(tags)
}

/// The OCI labels msv puts on every image.
pub fn labels(rev: &Revision, created: &str, version: &str) -> HashMap<String, String> {
    let mut labels = HashMap::new();
    labels.insert(
        "org.opencontainers.image.created".into(),
        created.to_string(),
    );
    labels.insert(
        "org.opencontainers.image.version".into(),
        version.to_string(),
    );
    if let Some(sha) = &rev.sha {
        labels.insert("org.opencontainers.image.revision".into(), sha.clone());
    }
    if let Some(source) = &rev.source {
        labels.insert("org.opencontainers.image.source".into(), source.clone());
    }
    labels
}

/// `https://user:token@host/x` loses its `user:token@`: a remote URL may carry a secret.
fn strip_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if path.is_empty() && !rest.contains('/') {
                format!("{scheme}://{host}")
            } else {
                format!("{scheme}://{host}/{path}")
            }
        }
        None => url.to_string(),
    }
}

/// `KEY=VALUE`, or `KEY` alone to take the value from the environment (as docker does).
pub fn parse_build_args(args: &[String]) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for arg in args {
        let (key, value) = match arg.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => match std::env::var(arg) {
                Ok(v) => (arg.clone(), v),
                Err(_) => continue,
            },
        };
        if key.is_empty() {
            return Err(anyhow!("--build-arg {arg:?}: expected KEY=VALUE"));
        }
        out.insert(key, value);
    }
    Ok(out)
}

/// Builds the image described by `req`, tags it, and records it in the service's `.msv/`.
pub async fn build(req: &BuildRequest, printer: &Printer) -> Result<BuiltImage> {
    let (matcher, dockerfile) = context::for_build(&req.dir, &req.dockerfile)?;
    let rev = revision(&req.dir);
    if rev.sha.is_none() {
        printer.warn(&format!(
            "{} is not in a git repository with a commit: the image is tagged `latest`",
            req.dir.display()
        ));
    }
    let tags = tags_for(&req.repository, &rev, &req.extra_tags)?;
    let build_args = parse_build_args(&req.build_args)?;
    let created = jiff::Timestamp::now()
        .round(jiff::Unit::Second)?
        .to_string();
    let labels = labels(&rev, &created, &revision_tag(&rev));
    let docker = engine::connect().await?;

    let mut options = BuildImageOptionsBuilder::default()
        .dockerfile(&dockerfile)
        .t(&tags[0])
        .rm(true)
        .forcerm(true)
        .nocache(req.no_cache)
        .buildargs(&build_args)
        .labels(&labels);
    if req.pull {
        options = options.pull("true");
    }
    if let Some(target) = &req.target {
        options = options.target(target);
    }
    if let Some(platform) = &req.platform {
        options = options.platform(platform);
    }
    let (body, writer) = context::stream(req.dir.clone(), matcher);
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
    for tag in &tags[1..] {
        let (repo, tag_name) = split_tag(tag);
        let options = TagImageOptionsBuilder::default()
            .repo(repo)
            .tag(tag_name)
            .build();
        docker
            .tag_image(&id, Some(options))
            .await
            .with_context(|| format!("tagging {id} as {tag}"))?;
    }
    let built = BuiltImage {
        reference: tags[0].clone(),
        tags: tags.clone(),
        id: id.clone(),
        revision: revision_tag(&rev),
        dirty: rev.dirty,
    };
    record::update(&req.dir, |r| {
        r.built = Some(record::Built {
            reference: built.reference.clone(),
            tags,
            id,
            created,
        });
    })?;
    Ok(built)
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

    fn rev(sha: Option<&str>, dirty: bool) -> Revision {
        Revision {
            sha: sha.map(str::to_string),
            dirty,
            source: None,
        }
    }

    #[test]
    fn tags_follow_the_revision() {
        let tags = tags_for("127.0.0.1:5000/orders", &rev(Some("abc1234"), false), &[]).unwrap();
        assert_eq!(tags, ["127.0.0.1:5000/orders:abc1234"]);
        let tags = tags_for(
            "reg.io/orders",
            &rev(Some("abc1234"), true),
            &["v1".into(), "other.io/x:y".into(), "v1".into()],
        )
        .unwrap();
        assert_eq!(
            tags,
            [
                "reg.io/orders:abc1234-dirty",
                "reg.io/orders:v1",
                "other.io/x:y"
            ]
        );
        assert_eq!(
            tags_for("r/o", &rev(None, false), &[]).unwrap(),
            ["r/o:latest"]
        );
        assert!(tags_for("Bad Repo", &rev(None, false), &[]).is_err());
        assert!(tags_for("r/o", &rev(None, false), &["bad tag!".into()]).is_err());
    }

    #[test]
    fn labels_carry_revision_and_source() {
        let mut r = rev(Some("abc1234"), false);
        r.source = Some("https://git.example/orders.git".into());
        let l = labels(&r, "2026-01-01T00:00:00Z", "abc1234");
        assert_eq!(l["org.opencontainers.image.revision"], "abc1234");
        assert_eq!(
            l["org.opencontainers.image.source"],
            "https://git.example/orders.git"
        );
        assert_eq!(
            l["org.opencontainers.image.created"],
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(l["org.opencontainers.image.version"], "abc1234");
        assert!(
            !labels(&rev(None, false), "t", "latest")
                .contains_key("org.opencontainers.image.revision")
        );
    }

    #[test]
    fn secrets_in_remote_urls_are_dropped() {
        assert_eq!(
            strip_userinfo("https://user:tok@git.example/o.git"),
            "https://git.example/o.git"
        );
        assert_eq!(strip_userinfo("https://git.example"), "https://git.example");
        assert_eq!(
            strip_userinfo("git@git.example:o.git"),
            "git@git.example:o.git"
        );
    }

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

    #[test]
    fn build_args() {
        let args =
            parse_build_args(&["A=1".into(), "B=x=y".into(), "MSV_SURELY_UNSET".into()]).unwrap();
        assert_eq!(args.len(), 2);
        assert_eq!(args["B"], "x=y");
        assert!(parse_build_args(&["=v".into()]).is_err());
    }
}
