//! With MSV_TOOLCHAIN_TESTS=1: services updated from the older built-in templates, with
//! the team's own code in them, still build and pass their tests with the real toolchains.

use std::fs;
use std::process::Command;

use super::{as_if_built_in, commit_all, edit, read};
use crate::support::{Test, repo_root};

/// With the toolchain tests: a python-fastapi service made from the older template, with a
/// route (and its test) added by the user, still passes its tests after the update.
#[test]
fn an_updated_python_fastapi_service_passes_its_tests() {
    use crate::generated::probe::run_step;
    use crate::generated::toolchains::{python_venv, toolchain_tests};
    if !toolchain_tests("an_updated_python_fastapi_service_passes_its_tests") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let old = repo_root().join("tests/fixtures/templates/python-fastapi");
    Test::new()
        .args(&["new", "orders", "--dir", "svc", "-t"])
        .arg(&old)
        .current_dir(tmp.path())
        .run()
        .status(0);
    let svc = tmp.path().join("svc");
    as_if_built_in(&svc, "python-fastapi");
    commit_all(&svc, "made by an older msv");
    edit(svc.join("app/api.py"), |t| {
        t + "\n\n@router.get(\"/items-count\")\ndef count_items() -> dict:\n    return {\"count\": 0}\n"
    });
    fs::write(
        svc.join("tests/test_count.py"),
        "from fastapi.testclient import TestClient\n\n\
         from app.lifecycle import Lifecycle\nfrom app.main import create_app\n\n\n\
         def test_items_count() -> None:\n\
         \x20   with TestClient(create_app(Lifecycle())) as c:\n\
         \x20       r = c.get(\"/api/v1/items-count\")\n\
         \x20       assert r.status_code == 200\n\
         \x20       assert r.json() == {\"count\": 0}\n",
    )
    .unwrap();
    edit(svc.join("Dockerfile"), |t| {
        format!("# syntax=docker/dockerfile:1\n{t}")
    });
    commit_all(&svc, "a route");
    Test::new()
        .args(&["update"])
        .current_dir(&svc)
        .run()
        .status(0)
        .stdout_has("merged    Dockerfile");
    let venv = python_venv(&svc);
    let out = run_step(
        "updated python-fastapi: pytest",
        Command::new(venv.join("bin/python"))
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .current_dir(&svc),
    );
    assert!(out.contains("passed"), "{out}");
    assert!(read(svc.join("Dockerfile")).contains("STOPSIGNAL SIGTERM"));
}

/// With the toolchain tests: a rust-axum service made from the older template, with a
/// handler and its test added and a dependency pinned by the user, still builds and passes
/// its tests after the update.
#[test]
fn an_updated_rust_axum_service_builds_and_passes_its_tests() {
    use crate::new::rust_axum::{cargo, toolchain_tests};
    if !toolchain_tests("an_updated_rust_axum_service_builds_and_passes_its_tests") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let old = repo_root().join("tests/fixtures/templates/rust-axum");
    Test::new()
        .args(&["new", "orders", "--dir", "svc", "-t"])
        .arg(&old)
        .current_dir(tmp.path())
        .run()
        .status(0);
    let svc = tmp.path().join("svc");
    as_if_built_in(&svc, "rust-axum");
    commit_all(&svc, "made by an older msv");
    edit(svc.join("src/api.rs"), |t| {
        t + "\n/// How many items there are (added by the team).\n\
             pub async fn items_count() -> &'static str {\n    \"0\"\n}\n\n\
             #[cfg(test)]\nmod team_tests {\n    #[tokio::test]\n    \
             async fn items_count_starts_at_zero() {\n        \
             assert_eq!(super::items_count().await, \"0\");\n    }\n}\n"
    });
    edit(svc.join("Cargo.toml"), |t| {
        t.replacen("axum = \"0.8.9\"", "axum = \"=0.8.9\"", 1)
    });
    commit_all(&svc, "the team's changes");
    Test::new()
        .args(&["update"])
        .current_dir(&svc)
        .run()
        .status(0)
        .stdout_has("updated   Dockerfile");
    cargo(&svc, &["test", "--locked", "--quiet"]);
    assert!(read(svc.join("Dockerfile")).contains("STOPSIGNAL SIGTERM"));
    assert!(read(svc.join("src/api.rs")).contains("items_count_starts_at_zero"));
}
