//! `msv build` and `msv push` at a workspace's root, against the real Docker engine and a
//! registry on 127.0.0.1: every member (or those named with `-p`), each reported, a failed
//! member named while the others still build.

use serde_json::Value;

use crate::build::{docker, git_in};
use crate::push::{Registry, registry_ready};
use crate::support::Test;

/// A git repository holding a workspace with members `alpha` and `beta` (each a Dockerfile
/// FROM the local base image) whose images go to `registry`.
fn workspace(registry: &str, beta_dockerfile: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("msv.toml"),
        format!("[workspace]\nmembers = [\"services/*\"]\n\n[workspace.defaults.image]\nregistry = \"{registry}\"\n"),
    )
    .unwrap();
    for (name, dockerfile) in [
        ("alpha", "FROM msv-test/busybox:1\nRUN echo alpha > /mark\n"),
        ("beta", beta_dockerfile),
    ] {
        let dir = root.path().join("services").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("msv.toml"),
            format!("[service]\nname = \"{name}\"\n"),
        )
        .unwrap();
        std::fs::write(dir.join("Dockerfile"), dockerfile).unwrap();
    }
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &["commit", "-qm", "init"],
    ] {
        assert!(git_in(root.path(), args), "git {args:?}");
    }
    root
}

fn at(root: &tempfile::TempDir, args: &[&str]) -> crate::support::Run {
    Test::new().args(args).current_dir(root.path()).run()
}

#[test]
fn build_and_push_at_the_root_act_on_every_member() {
    if !registry_ready("build_and_push_at_the_root_act_on_every_member") {
        return;
    }
    let registry = Registry::start(None);
    let host = format!("127.0.0.1:{}", registry.port);
    let root = workspace(&host, "FROM msv-test/busybox:1\nRUN echo beta > /mark\n");
    let built: Vec<Value> = at(&root, &["build", "-o", "json"]).status(0).stdout_json();
    let names: Vec<&str> = built.iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alpha", "beta"]);
    for b in &built {
        let reference = b["reference"].as_str().unwrap();
        assert!(
            reference.starts_with(&format!("{host}/{}:", b["name"].as_str().unwrap())),
            "{b}"
        );
        assert!(
            docker(&["image", "inspect", reference]).is_some(),
            "{reference} built"
        );
    }
    at(&root, &["push"])
        .status(0)
        .stderr_has(&format!("alpha: pushed {host}/alpha@sha256:"))
        .stderr_has(&format!("beta: pushed {host}/beta@sha256:"));
    // Each member's own record says what was pushed, for `msv deploy` there.
    for name in ["alpha", "beta"] {
        let record = std::fs::read_to_string(
            root.path()
                .join("services")
                .join(name)
                .join(".msv/image.json"),
        )
        .unwrap();
        assert!(
            record.contains(&format!("{host}/{name}@sha256:")),
            "{record}"
        );
    }
    // -p names members; an unknown one is refused before anything is built.
    let one: Vec<Value> = at(&root, &["build", "-p", "beta", "-o", "json"])
        .status(0)
        .stdout_json();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["name"], "beta");
    at(&root, &["build", "-p", "gamma"])
        .status(2)
        .stderr_has("no member of the workspace is named gamma; its members are alpha, beta");
    at(&root, &["build", "--file", "x"])
        .status(2)
        .stderr_has("--file is for one service's build");
}

#[test]
fn a_member_that_fails_to_build_is_named_and_the_others_still_build() {
    if !registry_ready("a_member_that_fails_to_build_is_named_and_the_others_still_build") {
        return;
    }
    let root = workspace(
        "127.0.0.1:1",
        "FROM msv-test/busybox:1\nRUN echo beta-broke; exit 3\n",
    );
    at(&root, &["build"])
        .status(1)
        .stderr_has("alpha: built 127.0.0.1:1/alpha:")
        .stderr_has("beta: ")
        .stderr_has("failed for beta");
}
