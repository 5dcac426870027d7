//! Building an image: tags from git, OCI labels, the Dockerfile and context stream, the
//! choice of builder (BuildKit in `buildkit`, the classic builder in `classic`), and
//! tagging and recording what was built.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow};
use bollard::query_parameters::TagImageOptionsBuilder;
use futures::StreamExt;

use super::reference::{Reference, split_tag};
use super::{buildkit, classic, context, dockerfile, engine, record};
use crate::output::Printer;

/// What to build and how.
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    pub dir: PathBuf,
    /// `-f`: the Dockerfile, absolute or relative to the current directory; default
    /// `Dockerfile` in `dir`.
    pub dockerfile: Option<PathBuf>,
    /// `<registry>/<name>`, without a tag.
    pub repository: String,
    pub extra_tags: Vec<String>,
    /// `KEY=VALUE`, or `KEY` to take the value from the environment.
    pub build_args: Vec<String>,
    pub target: Option<String>,
    pub platform: Option<String>,
    pub no_cache: bool,
    pub pull: bool,
    pub builder: Builder,
    /// `--secret id=X,src=FILE|env=VAR` (BuildKit).
    pub secrets: Vec<String>,
    /// `--ssh ID[=SOCKET]` (BuildKit).
    pub ssh: Vec<String>,
}

/// Which of the engine's builders to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Builder {
    /// BuildKit where the engine has it (API 1.39+, Linux), else the classic builder
    #[default]
    Auto,
    /// BuildKit, or an error when the engine has none
    Buildkit,
    /// The engine's classic builder (no RUN --mount, no --secret, no --ssh)
    Classic,
}

/// The builder a build uses: BuildKit when asked or available; classic when asked or
/// when the engine has no BuildKit. Asking for what the engine lacks, or for secrets and
/// ssh agents on the classic builder, is a usage error.
pub fn choose_builder(
    asked: Builder,
    engine_has_buildkit: bool,
    needs_session: bool,
) -> Result<Builder> {
    match (asked, engine_has_buildkit) {
        (Builder::Classic, _) if needs_session => Err(anyhow!(
            "--secret and --ssh need BuildKit; drop --builder classic"
        )),
        (Builder::Classic, _) => Ok(Builder::Classic),
        (_, true) => Ok(Builder::Buildkit),
        (Builder::Buildkit, false) => Err(anyhow!(
            "--builder buildkit: this engine has no BuildKit (it needs API 1.39 or later, on Linux); use --builder classic"
        )),
        (Builder::Auto, false) if needs_session => Err(anyhow!(
            "--secret and --ssh need BuildKit, which this engine does not have (API 1.39 or later, on Linux)"
        )),
        (Builder::Auto, false) => Ok(Builder::Classic),
    }
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
    /// The commit time of HEAD (seconds since the epoch), when the tree is clean.
    pub commit_time: Option<i64>,
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
    let commit_time = match (&sha, dirty) {
        (Some(_), false) => {
            git(&["log", "-1", "--format=%ct", "HEAD"]).and_then(|t| t.parse().ok())
        }
        _ => None,
    };
    Revision {
        sha,
        dirty,
        source,
        commit_time,
    }
}

/// The image's `created` label: the commit time for a clean tree, so that an unchanged
/// tree gives the same labels and rebuilds from the engine's cache; else now.
pub fn created_at(rev: &Revision, now: jiff::Timestamp) -> Result<String> {
    let time = match rev.commit_time {
        Some(secs) => jiff::Timestamp::from_second(secs)?,
        None => now.round(jiff::Unit::Second)?,
    };
    Ok(time.to_string())
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
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let dockerfile = dockerfile::locate(&req.dir, req.dockerfile.as_deref(), &cwd)?;
    let matcher = context::matcher_from(
        &dockerfile.ignore_file,
        dockerfile
            .outside
            .is_none()
            .then_some(dockerfile.name.as_str()),
    )?;
    let rev = revision(&req.dir);
    if rev.sha.is_none() {
        printer.warn(&format!(
            "{} is not in a git repository with a commit: the image is tagged `latest`",
            req.dir.display()
        ));
    }
    let tags = tags_for(&req.repository, &rev, &req.extra_tags)?;
    let build_args = parse_build_args(&req.build_args)?;
    let created = created_at(&rev, jiff::Timestamp::now())?;
    let labels = labels(&rev, &created, &revision_tag(&rev));
    let mut secrets = HashMap::new();
    for spec in &req.secrets {
        let (id, source) = buildkit::parse_secret(spec)?;
        secrets.insert(id, source);
    }
    let mut agents = HashMap::new();
    for spec in &req.ssh {
        let (id, socket) = buildkit::parse_ssh(spec)?;
        agents.insert(id, socket);
    }
    let engine = engine::connect_engine().await?;
    let has_buildkit = match req.builder {
        Builder::Classic => false,
        _ => buildkit::supported(&engine).await,
    };
    let builder = choose_builder(
        req.builder,
        has_buildkit,
        !secrets.is_empty() || !agents.is_empty(),
    )?;
    let docker = engine.docker.clone();
    if builder == Builder::Buildkit {
        let (body, writer) = context::stream(req.dir.clone(), matcher);
        let body = with_outside_dockerfile(&dockerfile, body)?;
        let kit = buildkit::KitRequest {
            dockerfile: dockerfile.name.clone(),
            tag: tags[0].clone(),
            build_args,
            labels,
            target: req.target.clone(),
            platform: req.platform.clone(),
            no_cache: req.no_cache,
            pull: req.pull,
            secrets,
            agents,
        };
        let result = buildkit::build(&engine, kit, body, printer).await;
        // A failed context write explains a broken request better than the engine's error.
        if writer.is_finished()
            && let Ok(Err(e)) = writer.join()
        {
            return Err(e);
        }
        let id = result?;
        return finish(&docker, req, &rev, tags, id, created).await;
    }

    let (body, writer) = context::stream(req.dir.clone(), matcher);
    let body = with_outside_dockerfile(&dockerfile, body)?;
    let id = classic::build(
        &docker,
        req,
        &dockerfile.name,
        &tags[0],
        &build_args,
        &labels,
        body,
        writer,
        printer,
    )
    .await?;
    finish(&docker, req, &rev, tags, id, created).await
}

/// Puts the extra tags on the built image and records it.
async fn finish(
    docker: &bollard::Docker,
    req: &BuildRequest,
    rev: &Revision,
    tags: Vec<String>,
    id: String,
    created: String,
) -> Result<BuiltImage> {
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
        revision: revision_tag(rev),
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

/// The context stream, preceded by the Dockerfile's tar entry when it is outside the context.
fn with_outside_dockerfile(
    dockerfile: &dockerfile::Dockerfile,
    body: impl futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
) -> Result<impl futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static> {
    let first = match &dockerfile.outside {
        Some(bytes) => Some(dockerfile::tar_entry(&dockerfile.name, bytes)?),
        None => None,
    };
    Ok(futures::stream::iter(first.map(Ok)).chain(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(sha: Option<&str>, dirty: bool) -> Revision {
        Revision {
            sha: sha.map(str::to_string),
            dirty,
            source: None,
            commit_time: None,
        }
    }

    #[test]
    fn builders_are_chosen_by_request_and_engine() {
        use Builder::*;
        assert_eq!(choose_builder(Auto, true, false).unwrap(), Buildkit);
        assert_eq!(choose_builder(Auto, false, false).unwrap(), Classic);
        assert_eq!(choose_builder(Classic, true, false).unwrap(), Classic);
        assert_eq!(choose_builder(Buildkit, true, true).unwrap(), Buildkit);
        assert!(choose_builder(Buildkit, false, false).is_err());
        assert!(choose_builder(Classic, true, true).is_err());
        assert!(choose_builder(Auto, false, true).is_err());
    }

    #[test]
    fn created_is_the_commit_time_of_a_clean_tree() {
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let mut clean = rev(Some("abc1234"), false);
        clean.commit_time = Some(1_700_000_000);
        assert_eq!(created_at(&clean, now).unwrap(), "2023-11-14T22:13:20Z");
        assert_eq!(
            created_at(&rev(Some("abc1234"), true), now).unwrap(),
            "2027-01-15T08:00:00Z"
        );
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
    fn build_args() {
        let args =
            parse_build_args(&["A=1".into(), "B=x=y".into(), "MSV_SURELY_UNSET".into()]).unwrap();
        assert_eq!(args.len(), 2);
        assert_eq!(args["B"], "x=y");
        assert!(parse_build_args(&["=v".into()]).is_err());
    }
}
