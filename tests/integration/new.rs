//! `msv new` through the real binary: the rust-axum tree (snapshot), custom templates from a
//! folder, the user's template folder and a git URL, and every kind of bad input — each must
//! fail with a clear message, exit 2, and leave nothing behind.

mod prompts;
pub(crate) mod rust_axum;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::Test;

/// Writes a template folder from `(path, contents)` pairs under `root/name`.
pub(crate) fn template(root: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = root.join(name);
    for (path, contents) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, contents).unwrap();
    }
    dir
}

const MANIFEST: &str = r#"[template]
description = "A test template"
language = "text"

[[variables]]
name = "team"
prompt = "Owning team"
regex = "^[a-z]+$"

[[variables]]
name = "tier"
type = "choice"
choices = ["gold", "silver"]

[[variables]]
name = "with_docs"
type = "bool"
default = false

[[files]]
include = ["docs/**"]
when = "with_docs"
"#;

fn custom(root: &Path) -> PathBuf {
    let dir = template(
        root,
        "tpl",
        &[
            ("template.toml", MANIFEST),
            (
                "{{ name_snake }}.txt.tera",
                "{{ name_pascal }} by {{ team }} ({{ tier }}) on {{ port }}\n",
            ),
            ("ci.yml", "key: ${{ secrets.X }}\n"),
            ("docs/index.md", "docs\n"),
            ("run.sh", "#!/bin/sh\n"),
        ],
    );
    fs::set_permissions(dir.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn custom_template_from_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = custom(tmp.path());
    Test::new()
        .args(&["new", "order-svc", "-t"])
        .arg(&tpl)
        .args(&[
            "--set",
            "team=core",
            "--set",
            "tier=gold",
            "--set",
            "port=9090",
        ])
        .current_dir(tmp.path())
        .run()
        .status(0)
        .stdout_has("order_svc.txt\n")
        .stderr_has("created order-svc from template tpl");
    let out = tmp.path().join("order-svc");
    assert_eq!(
        fs::read_to_string(out.join("order_svc.txt")).unwrap(),
        "OrderSvc by core (gold) on 9090\n"
    );
    assert_eq!(
        fs::read_to_string(out.join("ci.yml")).unwrap(),
        "key: ${{ secrets.X }}\n"
    );
    assert!(
        !out.join("docs").exists(),
        "docs/ is only included when with_docs"
    );
    assert_eq!(
        fs::metadata(out.join("run.sh"))
            .unwrap()
            .permissions()
            .mode()
            & 0o111,
        0o111
    );
    assert_eq!(
        entries(tmp.path()),
        ["order-svc", "tpl"],
        "no staging folder left behind"
    );
}

#[test]
fn conditional_files_follow_their_variable_and_json_output_is_an_api() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = custom(tmp.path());
    #[derive(serde::Deserialize)]
    struct Created {
        name: String,
        template: String,
        path: PathBuf,
        files: Vec<String>,
        backup: Option<PathBuf>,
    }
    let run = Test::new()
        .args(&["new", "svc", "-o", "json", "--dir", "out/svc", "-t"])
        .arg(&tpl)
        .args(&[
            "--set",
            "team=core",
            "--set",
            "tier=silver",
            "--set",
            "with_docs=yes",
        ])
        .current_dir(tmp.path())
        .run()
        .status(0);
    let c: Created = run.stdout_json();
    assert_eq!((c.name.as_str(), c.template.as_str()), ("svc", "tpl"));
    assert_eq!(c.path, PathBuf::from("out/svc"));
    assert!(
        c.files.contains(&"docs/index.md".to_string()),
        "{:?}",
        c.files
    );
    assert!(c.backup.is_none());
    assert!(tmp.path().join("out/svc/docs/index.md").is_file());
}

#[test]
fn custom_template_from_the_user_folder_and_from_git() {
    let tmp = tempfile::tempdir().unwrap();
    let test = Test::new();
    let user = test.home().join(".config/msv/templates");
    custom(&user);
    test.args(&[
        "new",
        "a",
        "-t",
        "tpl",
        "--set",
        "team=x",
        "--set",
        "tier=gold",
    ])
    .current_dir(tmp.path())
    .run()
    .status(0)
    .stderr_has("[user (");
    assert!(tmp.path().join("a/a.txt").is_file());

    let repo = custom(&tmp.path().join("repo"));
    let git = |args: &[&str]| assert!(crate::build::git_in(&repo, args), "git {args:?} failed");
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "template"]);
    let url = format!("file://{}", repo.display());
    Test::new()
        .args(&[
            "new",
            "b",
            "-t",
            &url,
            "--set",
            "team=x",
            "--set",
            "tier=gold",
        ])
        .current_dir(tmp.path())
        .run()
        .status(0)
        .stderr_has(&format!("[git ({url})]"));
    assert_eq!(
        fs::read_to_string(tmp.path().join("b/b.txt")).unwrap(),
        "B by x (gold) on 8080\n"
    );
    assert!(
        !tmp.path().join("b/.git").exists(),
        "the template's .git is not copied"
    );

    Test::new()
        .args(&["new", "c", "-t", "file:///nonexistent/repo.git"])
        .current_dir(tmp.path())
        .run()
        .status(2)
        .stderr_has("git clone --depth 1 file:///nonexistent/repo.git failed");
    assert!(!tmp.path().join("c").exists());
}

#[test]
fn next_steps_do_not_assume_a_language() {
    let tmp = tempfile::tempdir().unwrap();
    Test::new()
        .args(&["new", "orders", "-t", "go-http", "--no-input"])
        .current_dir(tmp.path())
        .run()
        .status(0)
        .stderr_has("next:")
        .stderr_has("run its tests")
        .stderr_lacks("cargo test");
}

#[test]
fn invalid_name_is_refused_with_a_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    Test::new()
        .args(&["new", "Order_Service"])
        .current_dir(tmp.path())
        .run()
        .status(2)
        .stderr_has("invalid service name \"Order_Service\"")
        .stderr_has("RFC 1035 label of at most 55 characters")
        .stderr_has("try `order-service`");
    assert!(entries(tmp.path()).is_empty());
}

/// `NAME-preview` must be a valid Service name, so 55 characters is the most a name may
/// have; a name refused here would otherwise fail only when it is first deployed.
#[test]
fn a_name_too_long_for_its_preview_service_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let longest = "a".repeat(55);
    Test::new()
        .args(&["new", &format!("{longest}b"), "--no-input"])
        .current_dir(tmp.path())
        .run()
        .status(2)
        .stderr_has("it is 56 characters long, 1 more than the 55 allowed")
        .stderr_has("NAME-preview is a valid Service name too")
        .stderr_has(&format!("try `{longest}`"));
    assert!(entries(tmp.path()).is_empty());
    Test::new()
        .args(&["new", &longest, "--no-input"])
        .current_dir(tmp.path())
        .run()
        .status(0);
    assert_eq!(entries(tmp.path()), [longest]);
}

#[test]
fn a_name_starting_with_a_digit_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    Test::new()
        .args(&["new", "2fast", "--no-input"])
        .current_dir(tmp.path())
        .run()
        .status(2)
        .stderr_has("invalid service name \"2fast\": it starts with '2', not a letter")
        .stderr_has("try `svc-2fast`");
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn non_empty_target_is_kept_unless_forced_and_then_moved_aside() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = custom(tmp.path());
    fs::create_dir(tmp.path().join("svc")).unwrap();
    fs::write(tmp.path().join("svc/notes.txt"), "mine").unwrap();
    let new = || {
        Test::new()
            .args(&["new", "svc", "--set", "team=x", "--set", "tier=gold", "-t"])
            .arg(&tpl)
            .current_dir(tmp.path())
    };
    new()
        .run()
        .status(2)
        .stderr_has("svc already exists and is not empty (1 entries)")
        .stderr_has("--force");
    assert_eq!(entries(&tmp.path().join("svc")), ["notes.txt"]);

    new()
        .arg("--force")
        .run()
        .status(0)
        .stderr_has("were moved to");
    assert_eq!(
        entries(&tmp.path().join("svc")),
        [".msv", "ci.yml", "run.sh", "svc.txt"]
    );
    let backup = entries(tmp.path())
        .into_iter()
        .find(|e| e.starts_with("svc.msv-backup-"))
        .expect("a backup folder");
    assert_eq!(
        fs::read_to_string(tmp.path().join(backup).join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn values_failing_regex_or_choices_show_what_is_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = custom(tmp.path());
    Test::new()
        .args(&["new", "svc", "--set", "team=Core", "--set", "tier=bronze", "--set", "colour=red", "-t"])
        .arg(&tpl)
        .current_dir(tmp.path())
        .run()
        .status(2)
        .stderr_has("--set team: \"Core\" does not match the pattern ^[a-z]+$")
        .stderr_has("--set tier: \"bronze\" is not one of the choices: gold, silver")
        .stderr_has("--set colour: the template has no variable `colour` (it has: team, tier, with_docs, port)");
    assert!(!tmp.path().join("svc").exists());
}

#[test]
fn missing_values_without_a_terminal_are_listed_together() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = custom(tmp.path());
    Test::new()
        .args(&["new", "svc", "-t"])
        .arg(&tpl)
        .current_dir(tmp.path())
        .run()
        .status(2)
        .stderr_has("missing required values (no terminal to ask on; pass them with --set)")
        .stderr_has("--set team=<string>  Owning team (matching ^[a-z]+$)")
        .stderr_has("--set tier=<choice> (one of: gold, silver)")
        .stderr_lacks("with_docs");
    assert!(!tmp.path().join("svc").exists());
}

#[test]
fn templates_cannot_write_outside_the_target() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest =
        "[template]\ndescription = \"x\"\n[[variables]]\nname = \"where\"\ndefault = \"..\"\n";
    // (template folder, its files besides template.toml, extra flags, expected message)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str], &'a str);
    let cases: [Case; 3] = [
        (
            "dotdot",
            &[("{{ where }}/escaped.txt", "x")],
            &[],
            "renders to a `.` or `..` segment (\"..\")",
        ),
        (
            "absolute",
            &[("{{ where }}", "x")],
            &["--set", "where=/tmp/escaped.txt"],
            "a path separator (\"/tmp/escaped.txt\")",
        ),
        (
            "nested",
            &[("a/{{ where }}/b", "x")],
            &["--set", "where=../../up"],
            "a path separator",
        ),
    ];
    for (name, files, sets, expected) in cases {
        let mut all = vec![("template.toml", manifest)];
        all.extend_from_slice(files);
        let tpl = template(tmp.path(), name, &all);
        Test::new()
            .args(&["new", "svc", "--dir", "work/svc", "-t"])
            .arg(&tpl)
            .args(sets)
            .current_dir(tmp.path())
            .run()
            .status(2)
            .stderr_has("nothing was written")
            .stderr_has(expected)
            .stderr_has("only write inside the output folder");
    }
    let links = template(
        tmp.path(),
        "links",
        &[("template.toml", manifest), ("ok.txt", "ok")],
    );
    std::os::unix::fs::symlink("/etc/passwd", links.join("passwd")).unwrap();
    std::os::unix::fs::symlink("../../outside", links.join("up")).unwrap();
    std::os::unix::fs::symlink("ok.txt", links.join("inside")).unwrap();
    Test::new()
        .args(&["new", "svc", "--dir", "work/svc", "-t"])
        .arg(&links)
        .current_dir(tmp.path())
        .run()
        .status(2)
        .stderr_has("passwd: is a symlink to /etc/passwd which points outside the template")
        .stderr_has("up: is a symlink to ../../outside which points outside the template")
        .stderr_lacks("inside:");
    assert!(!tmp.path().join("work/svc").exists());
    assert!(!Path::new("/tmp/escaped.txt").exists());
    assert!(
        !tmp.path().join("escaped.txt").exists() && !tmp.path().join("work/escaped.txt").exists()
    );
}

#[test]
fn unknown_template_toml_key_is_reported_with_its_position() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = template(
        tmp.path(),
        "t",
        &[
            (
                "template.toml",
                "[template]\ndescription = \"x\"\nhooks = [\"rm -rf /\"]\n",
            ),
            ("a", "a"),
        ],
    );
    Test::new()
        .args(&["new", "svc", "-t"])
        .arg(&tpl)
        .current_dir(tmp.path())
        .run()
        .status(2)
        .stderr_has("template.toml:3:1: unknown field `hooks`");
    assert!(!tmp.path().join("svc").exists());
}

#[test]
fn unknown_template_name_lists_what_exists() {
    Test::new()
        .args(&["new", "svc", "-t", "cobol-cics"])
        .run()
        .status(2)
        .stderr_has("no template named \"cobol-cics\"; available: ")
        .stderr_has("rust-axum");
}

#[test]
fn without_a_terminal_the_default_template_is_used_and_nothing_is_asked() {
    let tmp = tempfile::tempdir().unwrap();
    Test::new()
        .args(&["new", "quiet-svc", "-q"])
        .current_dir(tmp.path())
        .run()
        .status(0)
        .stderr_lacks("created")
        .stdout_has("Cargo.toml\n");
    assert!(
        tmp.path().join("quiet-svc/src/main.rs").is_file(),
        "rust-axum is the default template"
    );
}

/// `msv new` inside a workspace makes the service a member: appended to `members` when no
/// glob covers it, left as it is when one does; the workspace's root sees it either way.
#[test]
fn a_new_service_inside_a_workspace_becomes_a_member() {
    let tmp = tempfile::tempdir().unwrap();
    let root_file = tmp.path().join("msv.toml");
    std::fs::write(
        &root_file,
        "# the shop\n[workspace]\nmembers = [\"services/*\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(tmp.path().join("services")).unwrap();
    std::fs::create_dir_all(tmp.path().join("tools")).unwrap();
    Test::new()
        .args(&["new", "orders", "-t", "go-http", "--no-input"])
        .current_dir(tmp.path().join("services"))
        .run()
        .status(0)
        .stderr_has("a member of the workspace in");
    Test::new()
        .args(&["new", "admin", "-t", "go-http", "--no-input"])
        .current_dir(tmp.path().join("tools"))
        .run()
        .status(0)
        .stderr_has("added \"tools/admin\" to [workspace] members");
    assert_eq!(
        std::fs::read_to_string(&root_file).unwrap(),
        "# the shop\n[workspace]\nmembers = [\"services/*\", \"tools/admin\"]\n"
    );
    // The root acts on both.
    Test::new()
        .args(&["config", "show"])
        .current_dir(tmp.path().join("tools/admin"))
        .run()
        .status(0)
        .stderr_has("(members: services/orders, tools/admin)");
    let out = Test::new()
        .args(&["build", "-p", "nope"])
        .current_dir(tmp.path())
        .run()
        .status(2);
    out.stderr_has("its members are admin, orders");
}
