//! install.sh: installs the binary, completions and man page per user, idempotently, and
//! removes them again.

use std::path::Path;
use std::process::Command;

use crate::support::{msv_bin, repo_root};

fn install(home: &Path, args: &[&str], path: &str) -> std::process::Output {
    Command::new("sh")
        .arg(repo_root().join("install.sh"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", path)
        .output()
        .expect("running install.sh")
}

#[test]
fn install_is_idempotent_and_uninstall_removes_everything() {
    let home = tempfile::tempdir().unwrap();
    let files = [
        ".local/bin/msv",
        ".local/share/bash-completion/completions/msv",
        ".local/share/zsh/site-functions/_msv",
        ".config/fish/completions/msv.fish",
        ".local/share/man/man1/msv.1",
    ];
    for round in 0..2 {
        let out = install(home.path(), &["--binary", msv_bin()], "/usr/bin:/bin");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "round {round}: {stderr}");
        assert!(
            stderr.contains("is not on your PATH"),
            "PATH hint: {stderr}"
        );
        for file in files {
            assert!(
                home.path().join(file).is_file(),
                "round {round}: {file} installed"
            );
        }
    }
    let installed = home.path().join(".local/bin/msv");
    let version = Command::new(&installed).arg("version").output().unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("msv "));
    let bash = std::fs::read_to_string(home.path().join(files[1])).unwrap();
    assert!(bash.contains("_msv()"), "bash completion content");
    let leftovers: Vec<_> = walk(home.path())
        .into_iter()
        .filter(|p| p.contains(".tmp."))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );

    // On PATH: no hint.
    let bin_dir = home.path().join(".local/bin");
    let out = install(
        home.path(),
        &["--binary", msv_bin()],
        &format!("{}:/usr/bin:/bin", bin_dir.display()),
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("is not on your PATH"));

    let out = install(home.path(), &["--uninstall"], "/usr/bin:/bin");
    assert!(out.status.success());
    for file in files {
        assert!(!home.path().join(file).exists(), "{file} removed");
    }
}

#[test]
fn missing_cargo_is_explained() {
    let home = tempfile::tempdir().unwrap();
    let out = install(home.path(), &[], "/usr/bin:/bin");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cargo is not installed"));
}

#[test]
fn unknown_argument_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    let out = install(home.path(), &["--frobnicate"], "/usr/bin:/bin");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument '--frobnicate'"));
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}
