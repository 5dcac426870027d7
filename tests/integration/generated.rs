//! Generated services: each built-in template (python-fastapi, go-http, node-express) is
//! generated with the real `msv new`; its tree and files are snapshot. With
//! MSV_TOOLCHAIN_TESTS=1 it is also built and run with its real toolchain and probed
//! (see generated/probe.rs), and the python-fastapi image is built and run with the real
//! Docker engine. Toolchains come from tests/ci/setup-toolchains.sh, base images from
//! tests/ci/setup-base-images.sh.

#[path = "generated/collector.rs"]
pub(crate) mod collector;
#[path = "generated/probe.rs"]
pub(crate) mod probe;
#[path = "generated/toolchains.rs"]
pub(crate) mod toolchains;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use tempfile::TempDir;

use crate::support::Test;

pub(crate) const AUTHOR: &str = "Ada Lovelace";

/// Generates `template` as service `name` in a fresh temporary directory with the real
/// `msv new` (no terminal, a fixed git author); returns the directory and the service folder.
pub(crate) fn generate(template: &str, name: &str, sets: &[&str]) -> (TempDir, PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("msv-gen-")
        .tempdir()
        .unwrap();
    let gitconfig = tmp.path().join("gitconfig");
    fs::write(&gitconfig, format!("[user]\n\tname = {AUTHOR}\n")).unwrap();
    let mut args = vec!["new", name, "--template", template];
    for s in sets {
        args.extend(["--set", s]);
    }
    Test::new()
        .args(&args)
        .current_dir(tmp.path())
        .env("GIT_CONFIG_GLOBAL", &gitconfig)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .run()
        .status(0);
    let dir = tmp.path().join(name);
    assert!(dir.is_dir(), "msv new did not create {}", dir.display());
    (tmp, dir)
}

/// Every file under `dir`, sorted, as paths relative to it.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            // The lineage under .msv/ repeats the files; update.rs tests it.
            if path.ends_with(".msv") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The generated tree followed by every file's content, for one snapshot per template.
fn tree_and_files(dir: &Path) -> String {
    let list = files(dir);
    let mut text = String::from("# tree\n");
    for f in &list {
        text.push_str(f);
        text.push('\n');
    }
    for f in &list {
        text.push_str(&format!("\n# file: {f}\n"));
        text.push_str(&fs::read_to_string(dir.join(f)).unwrap());
    }
    text
}

fn snapshot(template: &str) {
    let (tmp, dir) = generate(template, "orders", &[]);
    let year = current_year();
    let tmp_path = regex_escape(&tmp.path().to_string_lossy());
    let filters = vec![
        (tmp_path.as_str(), "[TEMP]"),
        (year.as_str(), "[YEAR]"),
        (AUTHOR, "[AUTHOR]"),
    ];
    insta::with_settings!({ filters => filters, snapshot_suffix => template, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("generated", tree_and_files(&dir));
    });
}

/// The current year, as `msv new` fills in `year` (from the system clock, UTC).
fn current_year() -> String {
    let out = Command::new("date").args(["-u", "+%Y"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn regex_escape(s: &str) -> String {
    s.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

#[test]
fn python_fastapi_generated_tree() {
    snapshot("python-fastapi");
}

#[test]
fn go_http_generated_tree() {
    snapshot("go-http");
}

#[test]
fn node_express_generated_tree() {
    snapshot("node-express");
}

#[test]
fn the_ci_workflow_is_copied_byte_for_byte() {
    for template in ["python-fastapi", "go-http", "node-express"] {
        let (_tmp, dir) = generate(template, "orders", &[]);
        let generated = fs::read(dir.join(".github/workflows/ci.yml")).unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("templates")
            .join(template)
            .join(".github/workflows/ci.yml");
        assert_eq!(
            generated,
            fs::read(source).unwrap(),
            "{template}: ci.yml differs from the template's"
        );
        assert!(
            String::from_utf8(generated)
                .unwrap()
                .contains("${{ github.sha }}")
        );
    }
}

#[derive(Deserialize)]
struct Shown {
    manifest: Option<PathBuf>,
    values: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
struct Entry {
    value: serde_json::Value,
}

/// The generated msv.toml as msv itself reads it (`msv config show`), so a key the
/// configuration does not know, or a value it rejects, fails here.
fn settings_of(dir: &Path) -> BTreeMap<String, serde_json::Value> {
    let shown: Shown = Test::new()
        .args(&["config", "show", "-o", "json"])
        .current_dir(dir)
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(
        shown.manifest.as_deref(),
        Some(dir.join("msv.toml").as_path())
    );
    shown
        .values
        .into_iter()
        .map(|(k, e)| (k, e.value))
        .collect()
}

#[test]
fn msv_reads_the_generated_settings() {
    for template in ["python-fastapi", "go-http", "node-express"] {
        let (_tmp, dir) = generate(template, "orders", &[]);
        let values = settings_of(&dir);
        assert_eq!(values["service.name"], "orders", "{template}");
        assert_eq!(values["service.port"], 8080, "{template}");
        assert_eq!(values["service.health_path"], "/healthz", "{template}");
        assert_eq!(values["service.readiness_path"], "/readyz", "{template}");
        assert_eq!(
            values["service.env.SHUTDOWN_DELAY_SECONDS"], "5",
            "{template}"
        );
        assert_eq!(values["image.repository"], "orders", "{template}");
        assert_eq!(
            values["image.registry"],
            serde_json::Value::Null,
            "{template}"
        );
    }
}

#[test]
fn settings_follow_the_variables() {
    let sets = [
        "port=9090",
        "registry=registry.example:5000/team",
        "with_ci=false",
    ];
    for template in ["python-fastapi", "go-http", "node-express"] {
        let (_tmp, dir) = generate(template, "billing-api", &sets);
        let values = settings_of(&dir);
        assert_eq!(values["service.name"], "billing-api", "{template}");
        assert_eq!(values["service.port"], 9090, "{template}");
        assert_eq!(
            values["image.registry"], "registry.example:5000/team",
            "{template}"
        );
        assert!(
            !dir.join(".github").exists(),
            "{template}: with_ci=false still wrote .github"
        );
        let dockerfile = fs::read_to_string(dir.join("Dockerfile")).unwrap();
        assert!(
            dockerfile.contains("EXPOSE 9090") && dockerfile.contains("PORT=9090"),
            "{template}: {dockerfile}"
        );
    }
    let (_tmp, dir) = generate(
        "go-http",
        "billing-api",
        &["port=9090", "module=github.com/acme/billing"],
    );
    let main = fs::read_to_string(dir.join("main.go")).unwrap();
    assert!(
        main.contains(r#"serviceName = "billing-api""#) && main.contains("defaultPort = 9090"),
        "{main}"
    );
    assert!(
        fs::read_to_string(dir.join("go.mod"))
            .unwrap()
            .starts_with("module github.com/acme/billing\n")
    );
}

#[test]
fn a_registry_that_is_not_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    Test::new()
        .args(&[
            "new",
            "orders",
            "--template",
            "python-fastapi",
            "--set",
            "registry=https://Registry",
        ])
        .current_dir(tmp.path())
        .run()
        .status(2)
        .stderr_has("registry");
    assert!(
        !tmp.path().join("orders").exists(),
        "a refused value still created the service"
    );
}
