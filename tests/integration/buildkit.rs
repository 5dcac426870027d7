//! `msv build` with BuildKit through the engine's API, on Dockerfiles only BuildKit
//! builds: `RUN --mount=type=cache|secret|ssh`, a secret whose value is searched for in
//! the image, its history, msv's output and its record, an ssh agent made here, BuildKit's
//! progress as lines, and its failure report.

use std::io::{BufRead, Write};

use crate::build::{Built, Service, docker, ready};

const SENTINEL: &str = "msv-sentinel-7f3a9c-do-not-leak";

#[test]
fn secrets_reach_the_build_and_nothing_else() {
    if !ready("secrets_reach_the_build_and_nothing_else") {
        return;
    }
    let service = Service::new(
        "it-kit-secret",
        "127.0.0.1:1",
        &[(
            "Dockerfile",
            "FROM msv-test/busybox:1\n\
             RUN --mount=type=cache,target=/cache echo kept >> /cache/runs && cp /cache/runs /runs\n\
             RUN --mount=type=secret,id=tok test -s /run/secrets/tok\n\
             RUN --mount=type=secret,id=tok --mount=type=secret,id=fromenv \
                 test \"$(cat /run/secrets/tok)\" = \"$(cat /run/secrets/fromenv)\" && echo verified > /verified\n",
        )],
    );
    let secret_dir = tempfile::tempdir().unwrap();
    let file = secret_dir.path().join("token");
    std::fs::write(&file, SENTINEL).unwrap();
    let run = service
        .build(&[
            "-v",
            "-o",
            "json",
            "--secret",
            &format!("id=tok,src={}", file.display()),
            "--secret",
            "id=fromenv,env=IT_SECRET_VALUE",
        ])
        .env("IT_SECRET_VALUE", SENTINEL)
        .run()
        .status(0)
        .stderr_has("#")
        .stderr_has("RUN --mount=type=secret,id=tok");
    let built: Built = run.stdout_json();
    assert_eq!(
        docker(&["run", "--rm", &built.reference, "cat", "/verified"]).unwrap(),
        "verified"
    );
    // Searched: msv's output, its record, the image's history and config, every byte of
    // the saved image.
    assert!(!run.stdout().contains(SENTINEL) && !run.stderr().contains(SENTINEL));
    for entry in walk(&service.path().join(".msv")) {
        let text = std::fs::read(&entry).unwrap();
        assert!(!contains(&text, SENTINEL.as_bytes()), "{}", entry.display());
    }
    let history = docker(&["history", "--no-trunc", &built.reference]).unwrap();
    assert!(!history.contains(SENTINEL), "{history}");
    assert!(
        history.contains("/run/secrets/tok"),
        "the history is the real one: {history}"
    );
    let inspect = docker(&["image", "inspect", &built.reference]).unwrap();
    assert!(!inspect.contains(SENTINEL));
    let saved = std::process::Command::new("docker")
        .args(["image", "save", &built.reference])
        .output()
        .unwrap();
    assert!(saved.status.success() && saved.stdout.len() > 1000);
    assert!(
        !contains(&saved.stdout, SENTINEL.as_bytes()),
        "the saved image holds the secret"
    );

    // A secret whose source is missing is named (not its value), before anything is built.
    service
        .build(&["--secret", "id=tok,env=IT_SURELY_UNSET_VAR"])
        .run()
        .status(2)
        .stderr_has("--secret id=tok: the variable IT_SURELY_UNSET_VAR is not set");
    // The classic builder has no session to hand a secret over.
    service
        .build(&[
            "--builder",
            "classic",
            "--secret",
            &format!("id=tok,src={}", file.display()),
        ])
        .run()
        .status(2)
        .stderr_has("need BuildKit");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn an_ssh_agent_is_forwarded_to_run_mount_ssh() {
    if !ready("an_ssh_agent_is_forwarded_to_run_mount_ssh") {
        return;
    }
    if docker(&["image", "inspect", "python:3.11-slim-bookworm"]).is_none() {
        assert!(
            std::env::var("MSV_REQUIRE_DOCKER").map_or(true, |v| v != "1"),
            "python:3.11-slim-bookworm is missing; run tests/ci/setup-base-images.sh"
        );
        eprintln!("skipping: python:3.11-slim-bookworm is missing");
        return;
    }
    // A stand-in agent: answers each line it is sent with `agent:<line>`.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("agent.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let mut reader = std::io::BufReader::new(conn.try_clone().unwrap());
            let mut writer = conn;
            let mut line = String::new();
            if reader.read_line(&mut line).is_ok() {
                let _ = writer.write_all(format!("agent:{line}").as_bytes());
            }
        }
    });
    let service = Service::new(
        "it-kit-ssh",
        "127.0.0.1:1",
        &[(
            "Dockerfile",
            "FROM python:3.11-slim-bookworm\n\
             RUN --mount=type=ssh,required=true python3 -c \"import os, socket; s = socket.socket(socket.AF_UNIX); \
             s.connect(os.environ['SSH_AUTH_SOCK']); s.sendall(b'ping\\n'); \
             open('/agent-said', 'wb').write(s.recv(100))\"\n",
        )],
    );
    let built: Built = service
        .build(&[
            "-o",
            "json",
            "--ssh",
            &format!("default={}", socket.display()),
        ])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(
        docker(&["run", "--rm", &built.reference, "cat", "/agent-said"]).unwrap(),
        "agent:ping"
    );
}

#[test]
fn buildkit_failures_name_the_step_and_targets_pick_a_stage() {
    if !ready("buildkit_failures_name_the_step_and_targets_pick_a_stage") {
        return;
    }
    let service = Service::new(
        "it-kit-fail",
        "127.0.0.1:1",
        &[(
            "Dockerfile",
            "FROM msv-test/busybox:1 AS ok\nRUN --mount=type=cache,target=/c echo ok > /stage\n\
             FROM msv-test/busybox:1 AS broken\nRUN echo first-line; echo boom-output; exit 3\n",
        )],
    );
    service
        .build(&["--builder", "buildkit"])
        .run()
        .status(1)
        .stderr_has("the build failed at step #")
        .stderr_has("RUN echo first-line; echo boom-output; exit 3")
        .stderr_has("boom-output")
        .stdout_empty();
    assert!(service.record().is_none());
    let built: Built = service
        .build(&["--target", "ok", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(
        docker(&["run", "--rm", &built.reference, "cat", "/stage"]).unwrap(),
        "ok"
    );
    service
        .build(&["--target", "nosuch"])
        .run()
        .status(2)
        .stderr_has("--target names no stage of the Dockerfile");
    // The classic builder does not know RUN --mount.
    service
        .build(&["--builder", "classic", "--target", "ok"])
        .run()
        .status(1);
}

#[test]
fn buildkit_pulls_a_private_base_with_the_docker_login() {
    if !crate::push::registry_ready("buildkit_pulls_a_private_base_with_the_docker_login") {
        return;
    }
    let password = "kit-login-sentinel-41c7";
    let registry = crate::push::Registry::start(Some(password));
    let base = Service::new(
        "it-kit-privbase",
        &registry.host(),
        &[(
            "Dockerfile",
            "FROM msv-test/busybox:1\nRUN echo private > /mark\n",
        )],
    );
    let built: Built = base.build(&["-o", "json"]).run().status(0).stdout_json();
    let push = base.push(&[]);
    crate::push::login(&push, &registry.host(), password);
    push.run().status(0);
    // The engine no longer has it: the build must pull it, logged in.
    docker(&["image", "rm", "-f", &built.reference]).unwrap();
    let consumer = Service::new(
        "it-kit-privuse",
        "127.0.0.1:1",
        &[(
            "Dockerfile",
            &format!("FROM {}\nRUN cat /mark > /seen\n", built.reference),
        )],
    );
    consumer.build(&["--builder", "buildkit"]).run().status(1);
    let test = consumer.build(&["--builder", "buildkit", "-o", "json"]);
    crate::push::login(&test, &registry.host(), password);
    let run = test.run().status(0);
    assert!(!run.stderr().contains(password) && !run.stdout().contains(password));
    let used: Built = run.stdout_json();
    assert_eq!(
        docker(&["run", "--rm", &used.reference, "cat", "/seen"]).unwrap(),
        "private"
    );
}
