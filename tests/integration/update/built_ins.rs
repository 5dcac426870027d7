//! Each built-in template, updated from its older version in tests/fixtures/templates with
//! a team's edits in the service: the edits survive, the template's changes arrive, a
//! deliberate conflict is marked, and `msv templates list` tells before and after.

use std::fs;
use std::path::Path;

use super::{as_if_built_in, commit_all, edit, files, git, read};
use crate::support::{Test, repo_root};

struct UserEdits {
    template: &'static str,
    /// Where the user adds a route, and the comment syntax there.
    route_file: &'static str,
    comment: &'static str,
    /// A dependency line the user changes.
    dep_file: &'static str,
    dep_from: &'static str,
    dep_to: &'static str,
}

const BUILT_INS: &[UserEdits] = &[
    UserEdits {
        template: "rust-axum",
        route_file: "src/api.rs",
        comment: "//",
        dep_file: "Cargo.toml",
        dep_from: "axum = \"0.8.9\"",
        dep_to: "axum = \"=0.8.9\"",
    },
    UserEdits {
        template: "python-fastapi",
        route_file: "app/api.py",
        comment: "#",
        dep_file: "requirements.txt",
        dep_from: "fastapi==0.165.0",
        dep_to: "fastapi==0.165.1",
    },
    UserEdits {
        template: "go-http",
        route_file: "api.go",
        comment: "//",
        dep_file: "go.mod",
        dep_from: "go 1.24",
        dep_to: "go 1.24.0",
    },
    UserEdits {
        template: "node-express",
        route_file: "src/api.js",
        comment: "//",
        dep_file: "package.json",
        dep_from: "\"express\": \"^4.21.2\"",
        dep_to: "\"express\": \"4.21.2\"",
    },
];

#[test]
fn built_in_templates_keep_the_users_edits_bring_the_templates_changes_and_mark_a_conflict() {
    for case in BUILT_INS {
        let tmp = tempfile::tempdir().unwrap();
        let old = repo_root()
            .join("tests/fixtures/templates")
            .join(case.template);
        let svc = tmp.path().join("svc");
        Test::new()
            .args(&["new", "orders", "--dir", "svc", "-t"])
            .arg(&old)
            .current_dir(tmp.path())
            .run()
            .status(0);
        as_if_built_in(&svc, case.template);
        assert!(
            !read(svc.join("Dockerfile")).contains("STOPSIGNAL"),
            "{}: the fixture is not older",
            case.template
        );
        commit_all(&svc, "made by an older msv");

        // The user's work: a route, a dependency, the Dockerfile, and the README's title,
        // which the template changes too.
        let route = format!("\n{} GET /orders/{{id}}/history\n", case.comment);
        edit(svc.join(case.route_file), |t| t + &route);
        edit(svc.join(case.dep_file), |t| {
            assert!(
                t.contains(case.dep_from),
                "{}: {}",
                case.template,
                case.dep_from
            );
            t.replacen(case.dep_from, case.dep_to, 1)
        });
        edit(svc.join("Dockerfile"), |t| {
            format!("# syntax=docker/dockerfile:1\n{t}")
        });
        edit(svc.join("README.md"), |t| {
            t.replacen("# orders service\n", "# Orders, the order book\n", 1)
        });
        commit_all(&svc, "the team's changes");
        Test::new()
            .args(&["templates", "list"])
            .current_dir(svc.join(".github/workflows"))
            .run()
            .status(0)
            .stderr_has(&format!(
                "was made from template {} (built-in) at 0000; a newer version",
                case.template
            ));

        let lineage_before = (
            read(svc.join(".msv/template.toml")),
            read(svc.join(".msv/base.json")),
        );
        let run = Test::new()
            .args(&["update", "svc"])
            .current_dir(tmp.path())
            .run()
            .status(1)
            .stdout_has("merged    Dockerfile\n")
            .stdout_has("conflict  README.md (1 conflict(s))\n")
            .stdout_has("deleted   NOTES.md\n")
            .stderr_has("1 conflict(s) in 1 file(s)");
        assert_eq!(
            run.stdout().lines().count(),
            3,
            "{}: only those three files change:\n{}",
            case.template,
            run.stdout()
        );

        let dockerfile = read(svc.join("Dockerfile"));
        assert!(
            dockerfile.starts_with("# syntax=docker/dockerfile:1\n")
                && dockerfile.contains("\nSTOPSIGNAL SIGTERM\n"),
            "{}: {dockerfile}",
            case.template
        );
        assert!(read(svc.join(case.route_file)).ends_with(&route));
        assert!(read(svc.join(case.dep_file)).contains(case.dep_to));
        assert!(
            read(svc.join("README.md")).starts_with(
                "<<<<<<< yours\n# Orders, the order book\n=======\n# orders\n>>>>>>> template\n"
            ),
            "{}: {}",
            case.template,
            read(svc.join("README.md"))
        );
        assert!(!svc.join("NOTES.md").exists());

        // Everything the user did not touch is what the current template makes.
        let fresh_tmp = tempfile::tempdir().unwrap();
        Test::new()
            .args(&["new", "orders", "--dir", "fresh", "-t", case.template])
            .current_dir(fresh_tmp.path())
            .run()
            .status(0);
        let fresh = fresh_tmp.path().join("fresh");
        assert_eq!(files(&svc), files(&fresh), "{}", case.template);
        for f in files(&fresh) {
            if [case.route_file, case.dep_file, "Dockerfile", "README.md"].contains(&f.as_str()) {
                continue;
            }
            assert_eq!(
                read(svc.join(&f)),
                read(fresh.join(&f)),
                "{}: {f}",
                case.template
            );
        }
        // With a conflict left the update is pending: the old lineage stays in force, the
        // new one waits in .msv/update/, which git does not see.
        assert_eq!(read(svc.join(".msv/template.toml")), lineage_before.0);
        assert_eq!(read(svc.join(".msv/base.json")), lineage_before.1);
        assert_eq!(
            msv_dir(&svc),
            [".gitignore", "base.json", "template.toml", "update"],
            "no staging left"
        );
        fs::write(svc.join(".msv/image.json"), "{}").unwrap();
        assert_eq!(
            git_msv_status(&svc),
            "!! .msv/image.json\n!! .msv/update/\n"
        );

        // Once the conflict is resolved, --continue installs the new lineage.
        edit(svc.join("README.md"), |t| {
            t.replacen(
                "<<<<<<< yours\n# Orders, the order book\n=======\n# orders\n>>>>>>> template\n",
                "# Orders, the order book\n",
                1,
            )
        });
        Test::new()
            .args(&["update", "--continue"])
            .current_dir(&svc)
            .run()
            .status(0)
            .stdout_is("resolved  README.md\n")
            .stderr_has("finished the update of .");
        // The lineage now names the current built-in, and the base is what it renders.
        assert_eq!(
            read(svc.join(".msv/template.toml")),
            read(fresh.join(".msv/template.toml"))
        );
        assert_eq!(
            read(svc.join(".msv/base.json")),
            read(fresh.join(".msv/base.json"))
        );
        assert_eq!(
            msv_dir(&svc),
            [".gitignore", "base.json", "image.json", "template.toml"]
        );
        // After a build wrote its local state, git still sees only the lineage.
        assert_eq!(
            git_msv_status(&svc),
            " M .msv/base.json\n M .msv/template.toml\n!! .msv/image.json\n"
        );
        fs::remove_file(svc.join(".msv/image.json")).unwrap();

        // Committed, there is nothing more to do.
        commit_all(&svc, "update to the current template");
        Test::new()
            .args(&["update"])
            .current_dir(&svc)
            .run()
            .status(0)
            .stdout_empty()
            .stderr_has("is up to date with template");
        git(&svc, &["diff", "--exit-code"]);
        Test::new()
            .args(&["templates", "list", "-o", "json"])
            .current_dir(&svc)
            .run()
            .status(0)
            .stderr_has(", its current version");
    }
}

/// The names in a service's `.msv/`, sorted.
fn msv_dir(svc: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(svc.join(".msv"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// What `git status` says of `.msv/`, ignored paths included.
fn git_msv_status(svc: &Path) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(svc)
        .args(["status", "--porcelain", "--ignored", "--", ".msv"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
