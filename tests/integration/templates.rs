//! `msv templates list|show|lint` through the real binary.

use std::path::PathBuf;

use crate::new::template;
use crate::support::{Test, repo_root};

#[derive(serde::Deserialize)]
struct Listed {
    name: String,
    source: String,
    language: String,
    description: String,
    shadowed: bool,
}

#[test]
fn list_shows_built_in_and_user_templates_with_their_source() {
    let test = Test::new();
    template(
        &test.home().join(".config/msv/templates"),
        "rust-axum",
        &[(
            "template.toml",
            "[template]\ndescription = \"Our own axum\"\nlanguage = \"rust\"\n",
        )],
    );
    let rows: Vec<Listed> = test
        .args(&["templates", "list", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    let user = rows
        .iter()
        .find(|r| r.name == "rust-axum" && r.source == "user")
        .expect("the user template");
    assert_eq!(user.description, "Our own axum");
    assert!(!user.shadowed);
    let builtin = rows
        .iter()
        .find(|r| r.name == "rust-axum" && r.source == "built-in")
        .expect("the built-in");
    assert!(
        builtin.shadowed,
        "a user template of the same name shadows the built-in"
    );
    assert_eq!(builtin.language, "rust");

    Test::new()
        .args(&["templates", "list"])
        .run()
        .status(0)
        .stdout_has("NAME")
        .stdout_has("rust-axum")
        .stdout_has("built-in");
}

#[test]
fn every_built_in_template_is_listed_and_lints_clean() {
    let rows: Vec<Listed> = Test::new()
        .args(&["templates", "list", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    let dirs: Vec<PathBuf> = std::fs::read_dir(repo_root().join("templates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("template.toml").is_file())
        .collect();
    assert!(!dirs.is_empty());
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            rows.iter()
                .any(|r| r.name == name && r.source == "built-in" && !r.description.is_empty()),
            "{name} listed"
        );
        Test::new()
            .args(&["templates", "lint"])
            .arg(&dir)
            .run()
            .status(0)
            .stdout_empty()
            .stderr_has("no problems found");
    }
}

#[test]
fn show_lists_variables_with_types_defaults_and_rules() {
    #[derive(serde::Deserialize)]
    struct Shown {
        name: String,
        source: String,
        variables: Vec<Var>,
    }
    #[derive(serde::Deserialize)]
    struct Var {
        name: String,
        #[serde(rename = "type")]
        kind: String,
        default: Option<serde_json::Value>,
        required: bool,
    }
    let s: Shown = Test::new()
        .args(&["templates", "show", "rust-axum", "-o", "json"])
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(
        (s.name.as_str(), s.source.as_str()),
        ("rust-axum", "built-in")
    );
    let ci = s
        .variables
        .iter()
        .find(|v| v.name == "with_ci")
        .expect("with_ci");
    assert_eq!(
        (ci.kind.as_str(), ci.default.clone(), ci.required),
        ("bool", Some(serde_json::Value::Bool(true)), false)
    );

    Test::new()
        .args(&["templates", "show", "rust-axum"])
        .run()
        .status(0)
        .stdout_has("with_ci (bool, default true): Add a GitHub Actions CI workflow?")
        .stdout_has("only port can be set");
    Test::new()
        .args(&["templates", "show", "nope"])
        .run()
        .status(2)
        .stderr_has("no template named \"nope\"");
}

#[test]
fn lint_reports_every_problem_with_its_location() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = template(
        tmp.path(),
        "bad",
        &[
            (
                "template.toml",
                "[template]\ndescription = \"x\"\n[[variables]]\nname = \"dir\"\ndefault = \"..\"\n",
            ),
            ("a.txt.tera", "fine\n{% if %}\n"),
            ("b.txt.tera", "one\ntwo {{ teem }}\n"),
        ],
    );
    Test::new()
        .args(&["templates", "lint"])
        .arg(&bad)
        .run()
        .status(1)
        .stdout_has("a.txt.tera:2: ")
        .stdout_has("b.txt.tera:2: uses the undefined variable `teem`")
        .stderr_has("problem(s) found");

    let escaping = template(
        tmp.path(),
        "escaping",
        &[
            (
                "template.toml",
                "[template]\ndescription = \"x\"\n[[variables]]\nname = \"dir\"\ndefault = \"..\"\n",
            ),
            ("{{ dir }}/x", ""),
        ],
    );
    std::os::unix::fs::symlink("/etc", escaping.join("etc")).unwrap();
    Test::new()
        .args(&["templates", "lint"])
        .arg(&escaping)
        .run()
        .status(1)
        .stdout_has("{{ dir }}/x: the path renders to a `.` or `..` segment")
        .stdout_has("etc: is a symlink to /etc which points outside the template");

    let unknown = template(
        tmp.path(),
        "unknown",
        &[(
            "template.toml",
            "[template]\ndescription = \"x\"\n\n[[variables]]\nname = \"a\"\nvalidate = \"x\"\n",
        )],
    );
    Test::new()
        .args(&["templates", "lint", "-o", "json"])
        .arg(&unknown)
        .run()
        .status(1)
        .stdout_has("template.toml:6:1: unknown field `validate`");

    Test::new()
        .args(&["templates", "lint"])
        .arg(tmp.path().join("missing"))
        .run()
        .status(2)
        .stderr_has("is not a folder");
}
