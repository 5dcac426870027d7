//! `msv build` against the real Docker engine, FROM a base image made locally by
//! tests/ci/setup-docker.sh: tags, labels, .dockerignore effects, build args, targets,
//! failure reports, an unreachable engine and Ctrl-C.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::support::{Test, docker_available};

pub const BASE_IMAGE: &str = "msv-test/busybox:1";

/// Whether the engine is there and the base image was made; otherwise skip (or fail
/// under MSV_REQUIRE_DOCKER=1).
#[track_caller]
pub fn ready(test: &str) -> bool {
    if !docker_available(test) {
        return false;
    }
    let made = docker(&["image", "inspect", BASE_IMAGE]).is_some();
    if !made {
        if std::env::var("MSV_REQUIRE_DOCKER").is_ok_and(|v| v == "1") {
            panic!("{test}: {BASE_IMAGE} is missing; run tests/ci/setup-docker.sh");
        }
        eprintln!("skipping {test}: {BASE_IMAGE} is missing; run tests/ci/setup-docker.sh");
    }
    made
}

/// Runs the docker CLI; its stdout when it succeeded.
pub fn docker(args: &[&str]) -> Option<String> {
    let out = Command::new("docker").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A service directory in a git repository, and the images made from it (removed at the end).
/// Runs git in `dir` with a throwaway identity; true when it succeeded.
pub fn git_in(dir: &std::path::Path, args: &[&str]) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap()
        .status
        .success()
}

pub struct Service {
    pub dir: tempfile::TempDir,
    pub repository: String,
}

impl Service {
    /// `files` are written and committed; the repository is `<registry>/<name>`.
    pub fn new(name: &str, registry: &str, files: &[(&str, &str)]) -> Service {
        let dir = tempfile::tempdir().unwrap();
        let toml = format!("[service]\nname = \"{name}\"\n\n[image]\nregistry = \"{registry}\"\n");
        std::fs::write(dir.path().join("msv.toml"), toml).unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let git = |args: &[&str]| assert!(git_in(dir.path(), args), "git {args:?}");
        git(&["init", "-q"]);
        git(&["add", "-A"]);
        git(&["commit", "-qm", "init"]);
        Service {
            dir,
            repository: format!("{registry}/{name}"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn sha(&self) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.path())
            .args(["rev-parse", "--short", "HEAD"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn record(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.path().join(".msv/image.json")).ok()?;
        Some(serde_json::from_str(&text).unwrap())
    }

    pub fn build(&self, extra: &[&str]) -> Test {
        Test::new()
            .arg("build")
            .args(extra)
            .current_dir(self.path())
    }

    /// `msv push` with `extra` arguments, run in the service's directory.
    pub fn push(&self, extra: &[&str]) -> Test {
        Test::new().arg("push").args(extra).current_dir(self.path())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(images) = docker(&[
            "image",
            "ls",
            "--format",
            "{{.Repository}}:{{.Tag}}",
            &self.repository,
        ]) {
            for image in images.lines().filter(|l| !l.is_empty()) {
                let _ = docker(&["image", "rm", "-f", image]);
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Built {
    pub reference: String,
    pub id: String,
    pub tags: Vec<String>,
    pub revision: String,
    pub dirty: bool,
}

fn run_in(image: &str, script: &str) -> String {
    docker(&["run", "--rm", image, "sh", "-c", script]).expect("running the built image")
}

#[test]
fn build_tags_labels_ignores_and_args() {
    if !ready("build_tags_labels_ignores_and_args") {
        return;
    }
    let service = Service::new(
        "it-build-main",
        "127.0.0.1:1",
        &[
            (
                "Dockerfile",
                "FROM msv-test/busybox:1\nARG GREETING=none\nCOPY . /app\nRUN echo \"$GREETING\" > /greeting\n",
            ),
            (
                ".dockerignore",
                "# private\n.git\nsecrets\n**/*.log\n!keep.log\nnode_modules\nDockerfile\n",
            ),
            ("secrets/key", "do-not-ship"),
            ("a.log", "x"),
            ("deep/b.log", "x"),
            ("keep.log", "kept"),
            ("node_modules/x/y.js", "x"),
            ("web/node_modules/z.js", "anchored: kept"),
            ("src/main.txt", "code"),
        ],
    );
    // The classic builder: it drops a Dockerfile that .dockerignore names after reading it
    // (BuildKit, given the context as a tar, keeps it; see README, msv build).
    let run = service
        .build(&[
            "--builder",
            "classic",
            "--build-arg",
            "GREETING=hello",
            "--tag",
            "v1",
            "-o",
            "json",
        ])
        .run()
        .status(0);
    let built: Built = run.stdout_json();
    let sha = service.sha();
    assert_eq!(built.reference, format!("127.0.0.1:1/it-build-main:{sha}"));
    assert_eq!(
        built.tags,
        [
            built.reference.clone(),
            "127.0.0.1:1/it-build-main:v1".into()
        ]
    );
    assert!(!built.dirty);
    assert_eq!(built.revision, sha);
    assert!(built.id.starts_with("sha256:"), "{}", built.id);

    // Both tags name the same image, which carries the OCI labels.
    let id = docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        "127.0.0.1:1/it-build-main:v1",
    ])
    .unwrap();
    assert_eq!(id, built.id);
    let labels = docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        &built.reference,
    ])
    .unwrap();
    let labels: std::collections::HashMap<String, String> = serde_json::from_str(&labels).unwrap();
    assert_eq!(labels["org.opencontainers.image.revision"], sha);
    assert_eq!(labels["org.opencontainers.image.version"], sha);
    assert!(
        labels["org.opencontainers.image.created"].ends_with('Z'),
        "{labels:?}"
    );

    // What .dockerignore let through, as seen inside the image. The Dockerfile is sent
    // although a pattern names it (the build read it), and the engine then drops it from
    // the context, as it does for every client.
    let files = run_in(&built.reference, "cd /app && find . -type f | sort");
    let files: Vec<&str> = files.lines().collect();
    assert_eq!(
        files,
        [
            "./.dockerignore",
            "./keep.log",
            "./msv.toml",
            "./src/main.txt",
            "./web/node_modules/z.js"
        ],
        "ignored files stay out, .msv never goes in"
    );
    assert_eq!(run_in(&built.reference, "cat /greeting"), "hello");

    // The record points push at this image.
    let record = service.record().expect("a record after a build");
    assert_eq!(record["built"]["id"], built.id.as_str());
    assert_eq!(record["built"]["reference"], built.reference.as_str());
    assert_eq!(
        std::fs::read_to_string(service.path().join(".msv/.gitignore")).unwrap(),
        "*\n"
    );

    // An uncommitted change makes the tag say so.
    std::fs::write(service.path().join("src/main.txt"), "changed").unwrap();
    let built: Built = service.build(&["-o", "json"]).run().status(0).stdout_json();
    assert_eq!(
        built.reference,
        format!("127.0.0.1:1/it-build-main:{sha}-dirty")
    );
    assert!(built.dirty);
    // The success line names every extra tag too.
    service
        .build(&["--build-arg", "GREETING=hello", "--tag", "v1"])
        .run()
        .status(0)
        .stderr_has(&format!(
            "built {} (also tagged 127.0.0.1:1/it-build-main:v1)",
            built.reference
        ));
}

#[test]
fn build_multi_stage_target() {
    if !ready("build_multi_stage_target") {
        return;
    }
    let service = Service::new(
        "it-build-target",
        "127.0.0.1:1",
        &[(
            "Dockerfile",
            "FROM msv-test/busybox:1 AS first\nRUN echo one > /stage\n\
             FROM msv-test/busybox:1 AS second\nRUN echo two > /stage\n",
        )],
    );
    let built: Built = service
        .build(&["--target", "first", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(run_in(&built.reference, "cat /stage"), "one");
    let built: Built = service.build(&["-o", "json"]).run().status(0).stdout_json();
    assert_eq!(run_in(&built.reference, "cat /stage"), "two");
}

#[test]
fn bad_target_or_platform_flags_are_usage_errors() {
    if !ready("bad_target_or_platform_flags_are_usage_errors") {
        return;
    }
    let service = Service::new(
        "it-build-badflags",
        "127.0.0.1:1",
        &[("Dockerfile", "FROM msv-test/busybox:1 AS first\n")],
    );
    service
        .build(&["--target", "nosuch"])
        .run()
        .status(2)
        .stderr_has("--target names no stage of the Dockerfile")
        .stderr_has("nosuch")
        .stderr_has("FROM ... AS NAME");
    service
        .build(&["--platform", "not a platform"])
        .run()
        .status(2)
        .stderr_has("--platform is not valid")
        .stderr_has("e.g. linux/amd64");
    assert!(
        service.record().is_none(),
        "a refused build records nothing"
    );
}

#[test]
fn build_failures_name_the_step_and_record_nothing() {
    if !ready("build_failures_name_the_step_and_record_nothing") {
        return;
    }
    let failing = Service::new(
        "it-build-fail",
        "127.0.0.1:1",
        &[(
            "Dockerfile",
            "FROM msv-test/busybox:1\nRUN echo first-line; echo boom-output; exit 3\nRUN echo never\n",
        )],
    );
    // The classic builder's report (BuildKit's: tests/integration/buildkit.rs).
    failing
        .build(&["--builder", "classic"])
        .run()
        .status(1)
        .stderr_has("build failed at step 2/")
        .stderr_has(": RUN echo first-line; echo boom-output; exit 3\n")
        .stderr_has("boom-output")
        .stderr_has("returned a non-zero code: 3")
        .stdout_empty();
    assert!(failing.record().is_none(), "a failed build records nothing");

    let syntax = Service::new(
        "it-build-syntax",
        "127.0.0.1:1",
        &[("Dockerfile", "FROM msv-test/busybox:1\nFLY away\n")],
    );
    syntax
        .build(&["--builder", "classic"])
        .run()
        .status(1)
        .stderr_has("the Dockerfile has a syntax error")
        .stderr_has("line 2: unknown instruction: FLY");

    // A base image that is not there; its registry is a closed loopback port, so the
    // engine's pull attempt never leaves the machine.
    let missing = Service::new(
        "it-build-nobase",
        "127.0.0.1:1",
        &[("Dockerfile", "FROM 127.0.0.1:1/absent:1\n")],
    );
    missing
        .build(&["--builder", "classic"])
        .run()
        .status(1)
        .stderr_has("build failed at step 1/")
        .stderr_has(": FROM 127.0.0.1:1/absent:1\n")
        .stderr_has("connection refused")
        .stderr_has("The base image 127.0.0.1:1/absent:1 is not in the engine");
    assert!(missing.record().is_none());
}

#[test]
fn build_without_engine_says_where_it_looked() {
    let service = Service::new(
        "it-build-noengine",
        "127.0.0.1:1",
        &[("Dockerfile", "FROM scratch\n")],
    );
    service
        .build(&[])
        .env("DOCKER_HOST", "unix:///nonexistent")
        .run()
        .status(2)
        .stderr_has("cannot reach the Docker engine at unix:///nonexistent (from DOCKER_HOST)")
        .stderr_has("DOCKER_HOST=");
}

#[test]
fn build_without_dockerfile_or_with_a_bad_dockerignore() {
    let service = Service::new("it-build-nodockerfile", "127.0.0.1:1", &[("main.txt", "")]);
    service
        .build(&[])
        .env("DOCKER_HOST", "unix:///nonexistent")
        .run()
        .status(2)
        .stderr_has("no Dockerfile in");
    let service = Service::new(
        "it-build-badignore",
        "127.0.0.1:1",
        &[
            ("Dockerfile", "FROM scratch\n"),
            (".dockerignore", "ok\n[unclosed\n"),
        ],
    );
    service
        .build(&[])
        .run()
        .status(2)
        .stderr_has(".dockerignore line 2");
}

#[test]
fn build_interrupted_exits_130_and_records_nothing() {
    if !ready("build_interrupted_exits_130_and_records_nothing") {
        return;
    }
    let service = Service::new(
        "it-build-sigint",
        "127.0.0.1:1",
        &[(
            "Dockerfile",
            "FROM msv-test/busybox:1\nRUN echo started; sleep 60\n",
        )],
    );
    let mut child = service.build(&["-v"]).command().spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l.contains("started")) {
        assert!(
            Instant::now() < deadline,
            "the build never reached its RUN step: {seen:?}"
        );
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push(line);
        }
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "msv did not stop after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(rest.iter().any(|l| l.contains("interrupted")), "{rest:?}");
    assert!(
        service.record().is_none(),
        "an interrupted build records nothing"
    );
}

#[test]
fn build_follows_the_docker_context() {
    let service = Service::new(
        "it-build-context",
        "127.0.0.1:1",
        &[("Dockerfile", "FROM scratch\n")],
    );
    let test = service
        .build(&[])
        .env_remove("DOCKER_HOST")
        .env("DOCKER_CONTEXT", "it-ctx");
    let digest = ring::digest::digest(&ring::digest::SHA256, b"it-ctx");
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let meta = test.home().join(".docker/contexts/meta").join(hex);
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        r#"{"Name":"it-ctx","Endpoints":{"docker":{"Host":"unix:///nonexistent-ctx.sock"}}}"#,
    )
    .unwrap();
    test.run().status(2).stderr_has(
        "unix:///nonexistent-ctx.sock (docker context \"it-ctx\", from DOCKER_CONTEXT)",
    );
}

/// Removes the images it names when dropped.
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = docker(&["image", "rm", "-f", image]);
        }
    }
}

/// Builds `FROM msv-test/busybox:1` with `/base-mark` holding `mark`, tagged `tag`, with the
/// docker CLI; returns the image ID.
fn base_image(tag: &str, mark: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {BASE_IMAGE}\nRUN echo {mark} > /base-mark\n"),
    )
    .unwrap();
    let out = Command::new("docker")
        .args(["build", "-q", "-t", tag])
        .arg(dir.path())
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    docker(&["image", "inspect", "--format", "{{.Id}}", tag]).unwrap()
}

/// `--pull` asks the base image's registry for the newest version even when the engine
/// holds an older one under the same name: the registry (real, on 127.0.0.1) has the
/// second version of the base, the engine only the first.
#[test]
fn build_pull_takes_the_newest_base_from_its_registry() {
    if !crate::push::registry_ready("build_pull_takes_the_newest_base_from_its_registry") {
        return;
    }
    let registry = crate::push::Registry::start(None);
    let base = format!("{}/it-pull-base:1", registry.host());
    let old = base_image(&base, "one");
    let mut images = Images(vec![old.clone()]);
    let new = base_image(&base, "two");
    images.0.push(new.clone());
    docker(&["push", &base]).expect("pushing the new base");
    docker(&["tag", &old, &base]).unwrap();
    docker(&["image", "rm", "-f", &new]).unwrap();
    images.0.push(base.clone());

    let service = Service::new(
        "it-build-pull",
        "127.0.0.1:1",
        &[(
            "Dockerfile",
            &format!("FROM {base}\nRUN cat /base-mark > /seen\n"),
        )],
    );
    let built: Built = service.build(&["-o", "json"]).run().status(0).stdout_json();
    assert_eq!(
        run_in(&built.reference, "cat /seen"),
        "one",
        "the engine's copy"
    );
    let built: Built = service
        .build(&["--pull", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(
        run_in(&built.reference, "cat /seen"),
        "two",
        "BuildKit pulled"
    );
    // The classic builder also replaces the engine's copy of the base (BuildKit pulls
    // into its own store and builds from it, leaving the engine's tag as it was).
    let built: Built = service
        .build(&["--builder", "classic", "--pull", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(run_in(&built.reference, "cat /seen"), "two", "pulled");
    let now = docker(&["image", "inspect", "--format", "{{.Id}}", &base]).unwrap();
    assert_eq!(now, new, "the engine's base is the registry's version now");
}

/// `--pull` fails when the base image's registry cannot be reached, although the engine
/// has the image — and says so, naming the image, where a build without `--pull` works.
#[test]
fn build_pull_with_an_unreachable_registry_names_the_base() {
    if !ready("build_pull_with_an_unreachable_registry_names_the_base") {
        return;
    }
    let base = "127.0.0.1:1/it-pull-offline:1";
    docker(&["tag", BASE_IMAGE, base]).unwrap();
    let _images = Images(vec![base.to_string()]);
    let service = Service::new(
        "it-build-pull-offline",
        "127.0.0.1:1",
        &[("Dockerfile", &format!("FROM {base}\nRUN echo built\n"))],
    );
    service.build(&[]).run().status(0);
    // The classic builder's report names the base image (BuildKit reports the failed step).
    service
        .build(&["--builder", "classic", "--pull"])
        .run()
        .status(1)
        .stderr_has("build failed at step 1/")
        .stderr_has(&format!(": FROM {base}\n"))
        .stderr_has("connection refused")
        .stderr_has(&format!(
            "--pull asks the registry of the base image {base} for its newest version"
        ))
        .stderr_has("build without --pull to use it");
}
