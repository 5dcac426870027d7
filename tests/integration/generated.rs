//! Generated services: each built-in template (python-fastapi, go-http, node-express) is
//! generated with the real `msv new`; its tree and files are snapshot. With
//! MSV_TOOLCHAIN_TESTS=1 it is also built and run with its real toolchain and probed
//! (see generated/probe.rs), and the python-fastapi image is built and run with the real
//! Docker engine. Toolchains come from tests/ci/setup-toolchains.sh, base images from
//! tests/ci/setup-base-images.sh.

#[path = "generated/probe.rs"]
mod probe;
#[path = "generated/toolchains.rs"]
mod toolchains;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

pub(crate) const AUTHOR: &str = "Ada Lovelace";

/// Generates `template` as service `name` in a fresh temporary directory, with a fixed
/// git author and no terminal; returns the directory holding it and the service folder.
pub(crate) fn generate(template: &str, name: &str, sets: &[&str]) -> (TempDir, PathBuf) {
    let tmp = tempfile::Builder::new().prefix("msv-gen-").tempdir().unwrap();
    let gitconfig = tmp.path().join("gitconfig");
    fs::write(&gitconfig, format!("[user]\n\tname = {AUTHOR}\n")).unwrap();
    let mut args = vec!["new", name, "--template", template, "--yes"];
    for s in sets {
        args.extend(["--set", s]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_msv"))
        .args(&args)
        .current_dir(tmp.path())
        .env("GIT_CONFIG_GLOBAL", &gitconfig)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("XDG_CONFIG_HOME", tmp.path().join("xdg"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "msv {}: {}\n{}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tmp.path().join(name);
    assert!(dir.is_dir(), "msv new did not create {}", dir.display());
    (tmp, dir)
}

/// Every file under `dir`, sorted, as paths relative to it.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
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
    let filters = vec![(tmp_path.as_str(), "[TEMP]"), (year.as_str(), "[YEAR]"), (AUTHOR, "[AUTHOR]")];
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
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates").join(template).join(".github/workflows/ci.yml");
        assert_eq!(generated, fs::read(source).unwrap(), "{template}: ci.yml differs from the template's");
        assert!(String::from_utf8(generated).unwrap().contains("${{ github.sha }}"));
    }
}

#[test]
fn settings_follow_the_variables() {
    let (_tmp, dir) = generate("go-http", "billing-api", &["port=9090", "registry=registry.example:5000/team", "with_ci=false"]);
    let msv = fs::read_to_string(dir.join("msv.toml")).unwrap();
    let parsed: toml::Table = toml::from_str(&msv).unwrap();
    assert_eq!(parsed["service"]["name"].as_str(), Some("billing-api"));
    assert_eq!(parsed["service"]["port"].as_integer(), Some(9090));
    assert_eq!(parsed["service"]["health_path"].as_str(), Some("/healthz"));
    assert_eq!(parsed["service"]["readiness_path"].as_str(), Some("/readyz"));
    assert_eq!(parsed["image"]["repository"].as_str(), Some("registry.example:5000/team/billing-api"));
    assert!(!dir.join(".github").exists(), "with_ci=false still wrote .github");
    let dockerfile = fs::read_to_string(dir.join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("EXPOSE 9090") && dockerfile.contains("ENV PORT=9090"), "{dockerfile}");
    let main = fs::read_to_string(dir.join("main.go")).unwrap();
    assert!(main.contains(r#"serviceName = "billing-api""#) && main.contains("defaultPort = 9090"));
}
