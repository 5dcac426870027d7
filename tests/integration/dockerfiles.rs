//! `msv build` with the Dockerfiles users have: `-f` in or outside the service directory,
//! per-Dockerfile ignore files, and `created` at the commit time so an unchanged tree
//! rebuilds from the cache. Against the real engine, FROM the locally made base image.

use crate::build::{Built, Service, docker, git_in, ready};

fn files_in(image: &str, dir: &str) -> Vec<String> {
    let out = docker(&[
        "run",
        "--rm",
        image,
        "sh",
        "-c",
        &format!("cd {dir} && find . -type f | sort"),
    ])
    .expect("running the built image");
    out.lines().map(str::to_string).collect()
}

#[test]
fn a_dockerfile_named_with_f_brings_its_own_ignore_file() {
    if !ready("a_dockerfile_named_with_f_brings_its_own_ignore_file") {
        return;
    }
    let service = Service::new(
        "it-dockerfile-f",
        "127.0.0.1:1",
        &[
            (
                "docker/app.Dockerfile",
                "FROM msv-test/busybox:1\nCOPY . /app\n",
            ),
            // BuildKit's rule: the Dockerfile's own ignore file replaces .dockerignore.
            ("docker/app.Dockerfile.dockerignore", "big\n.git\n"),
            (".dockerignore", "small\n.git\n"),
            ("big", "not sent"),
            ("small", "sent"),
        ],
    );
    let built: Built = service
        .build(&["-f", "docker/app.Dockerfile", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    let files = files_in(&built.reference, "/app");
    assert!(files.contains(&"./small".to_string()), "{files:?}");
    assert!(!files.contains(&"./big".to_string()), "{files:?}");
    assert!(
        files.contains(&"./docker/app.Dockerfile".to_string()),
        "{files:?}"
    );

    // Without its own ignore file, .dockerignore applies.
    std::fs::remove_file(service.path().join("docker/app.Dockerfile.dockerignore")).unwrap();
    let built: Built = service
        .build(&["-f", "docker/app.Dockerfile", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    let files = files_in(&built.reference, "/app");
    assert!(files.contains(&"./big".to_string()), "{files:?}");
    assert!(!files.contains(&"./small".to_string()), "{files:?}");

    service
        .build(&["-f", "docker/missing.Dockerfile"])
        .run()
        .status(2)
        .stderr_has("-f ")
        .stderr_has("missing.Dockerfile: no such file");
}

#[test]
fn a_dockerfile_outside_the_service_directory_builds_it() {
    if !ready("a_dockerfile_outside_the_service_directory_builds_it") {
        return;
    }
    let service = Service::new(
        "it-dockerfile-outside",
        "127.0.0.1:1",
        &[("src/code.txt", "code"), (".dockerignore", ".git\n")],
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let dockerfile = elsewhere.path().join("shared.Dockerfile");
    std::fs::write(
        &dockerfile,
        "FROM msv-test/busybox:1\nCOPY src /src\nRUN cat /src/code.txt > /seen\n",
    )
    .unwrap();
    let built: Built = service
        .build(&["-f", dockerfile.to_str().unwrap(), "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(
        docker(&["run", "--rm", &built.reference, "cat", "/seen"]).unwrap(),
        "code"
    );
}

#[test]
fn a_clean_tree_is_created_at_its_commit_time_and_rebuilds_from_cache() {
    if !ready("a_clean_tree_is_created_at_its_commit_time_and_rebuilds_from_cache") {
        return;
    }
    let service = Service::new(
        "it-created",
        "127.0.0.1:1",
        &[(
            "Dockerfile",
            "FROM msv-test/busybox:1\nCOPY Dockerfile /\nRUN date +%s%N > /built-at\n",
        )],
    );
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(service.path())
        .args(["log", "-1", "--format=%cI"])
        .output()
        .unwrap();
    let committed: jiff::Timestamp = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let first: Built = service.build(&["-o", "json"]).run().status(0).stdout_json();
    let created = docker(&[
        "image",
        "inspect",
        "--format",
        "{{index .Config.Labels \"org.opencontainers.image.created\"}}",
        &first.reference,
    ])
    .unwrap();
    assert_eq!(created, committed.to_string());
    // The same tree again: the same labels, every step from the cache, the same image.
    let second: Built = service.build(&["-o", "json"]).run().status(0).stdout_json();
    assert_eq!(second.id, first.id);

    // A dirty tree is created now, not at the commit.
    std::fs::write(service.path().join("extra"), "x").unwrap();
    let dirty: Built = service.build(&["-o", "json"]).run().status(0).stdout_json();
    let created = docker(&[
        "image",
        "inspect",
        "--format",
        "{{index .Config.Labels \"org.opencontainers.image.created\"}}",
        &dirty.reference,
    ])
    .unwrap();
    assert_ne!(created, committed.to_string());
    assert!(git_in(service.path(), &["status", "--short"]));
}
