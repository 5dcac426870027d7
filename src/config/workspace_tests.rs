//! Unit tests of workspaces in configuration loading.

use super::*;

fn load(dir: &Path) -> anyhow::Result<Config> {
    Config::load_from(dir, &Flags::default(), &|_| None, None)
}

/// root/msv.toml with `[workspace]` (`extra` appended) and members `services/a`, `services/b`.
fn workspace(extra: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join(MANIFEST),
        format!("[workspace]\nmembers = [\"services/*\"]\n{extra}"),
    )
    .unwrap();
    for (name, own) in [("a", "[deploy]\ntimeout = \"2m\"\n"), ("b", "")] {
        let dir = tmp.path().join("services").join(name);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join(MANIFEST),
            format!("[service]\nname = \"{name}\"\ndepends_on = [\"c\"]\n{own}"),
        )
        .unwrap();
    }
    tmp
}

#[test]
fn members_inherit_the_workspace_defaults_beneath_their_own_file() {
    let tmp = workspace(
        "[workspace.defaults.deploy]\ntimeout = \"1m\"\nverify_for = \"7s\"\n[workspace.defaults.image]\nregistry = \"reg.example\"\n",
    );
    let root_file = tmp.path().join(MANIFEST);
    let a = load(&tmp.path().join("services/a/src")).unwrap();
    assert_eq!(a.settings.deploy.timeout, Duration::from_secs(120));
    assert_eq!(a.settings.deploy.verify_for, Duration::from_secs(7));
    assert_eq!(
        a.values["deploy.verify_for"].1,
        Source::Workspace(root_file.clone())
    );
    assert_eq!(a.image_repository().unwrap(), "reg.example/a");
    assert_eq!(a.settings.service.depends_on, ["c"]);
    assert!(a.workspace_root().is_none(), "a member is a service");
    // Where a value came from names the line in the workspace's file.
    let at = layers::whereabouts(&a.values["deploy.verify_for"].1, "deploy.verify_for");
    assert!(
        at.ends_with(&format!("{}:5:1", root_file.display())),
        "{at}"
    );
    // At the root: no service, the workspace and its members.
    let root = load(tmp.path()).unwrap();
    let ws = root.workspace_root().expect("the root is a workspace");
    let dirs = ws.member_dirs().unwrap();
    assert_eq!(
        dirs,
        [tmp.path().join("services/a"), tmp.path().join("services/b")]
    );
    assert!(root.service_name().is_err());
    assert_eq!(
        root.values["deploy.timeout"].1,
        Source::Workspace(root_file)
    );
}

#[test]
fn a_service_under_a_workspace_that_does_not_list_it_is_refused() {
    let tmp = workspace("");
    let stray = tmp.path().join("tools/x");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join(MANIFEST), "[service]\nname = \"x\"\n").unwrap();
    let err = format!("{:#}", load(&stray).unwrap_err());
    assert!(err.contains("is not one of its members"), "{err}");
    assert!(
        err.contains("add its directory to [workspace] members"),
        "{err}"
    );
}

#[test]
fn what_a_workspace_file_may_not_hold_is_refused_with_the_fix() {
    let cases = [
        (
            "[deploy]\ntimeout = \"1m\"\n",
            "move it under [workspace.defaults.deploy]",
        ),
        (
            "[workspace.defaults.service]\nname = \"x\"\n",
            "cannot set name or depends_on",
        ),
    ];
    for (extra, want) in cases {
        let tmp = workspace(extra);
        let err = format!("{:#}", load(tmp.path()).unwrap_err());
        assert!(err.contains(want), "{extra}: {err}");
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join(MANIFEST),
        "[workspace]\nmembers = [\"svc\", \"../out\"]\n",
    )
    .unwrap();
    let root = load(tmp.path()).unwrap();
    let err = format!(
        "{:#}",
        root.workspace_root().unwrap().member_dirs().unwrap_err()
    );
    assert!(
        err.contains("workspace member \"svc\" has no msv.toml"),
        "{err}"
    );
    std::fs::create_dir_all(tmp.path().join("svc")).unwrap();
    std::fs::write(
        tmp.path().join("svc").join(MANIFEST),
        "[service]\nname = \"s\"\n",
    )
    .unwrap();
    let err = format!(
        "{:#}",
        root.workspace_root().unwrap().member_dirs().unwrap_err()
    );
    assert!(err.contains("\"../out\" is outside the workspace"), "{err}");
}
