//! `msv update` through the real binary: each built-in template updated from an older
//! version (tests/fixtures/templates) with a user's edits in the service; templates that
//! rename, delete and add files, new required variables, binary files, git templates at two
//! commits, `--dry-run` and the dirty-tree guard.

use std::fs;
use std::path::{Path, PathBuf};

#[path = "update/built_ins.rs"]
mod built_ins;
#[path = "update/pending.rs"]
mod pending;
#[path = "update/toolchains.rs"]
mod toolchains;

use crate::build::git_in;
use crate::new::template;
use crate::support::Test;

fn git(dir: &Path, args: &[&str]) {
    assert!(
        git_in(dir, args),
        "git {args:?} in {} failed",
        dir.display()
    );
}

/// A git repository of everything in `dir`, committed.
fn commit_all(dir: &Path, message: &str) {
    if !dir.join(".git").exists() {
        git(dir, &["init", "-q"]);
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", message]);
}

fn read(p: impl AsRef<Path>) -> String {
    let p = p.as_ref();
    fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

fn edit(p: impl AsRef<Path>, f: impl FnOnce(String) -> String) {
    let p = p.as_ref();
    let new = f(read(p));
    fs::write(p, new).unwrap();
}

/// Makes a service's record say a built-in template made it, as an older msv whose
/// built-in was the fixture would have written.
fn as_if_built_in(service: &Path, name: &str) {
    edit(service.join(".msv/template.toml"), |text| {
        let values = text.split("[values]").nth(1).expect("a [values] table");
        format!(
            "[template]\nname = \"{name}\"\nkind = \"builtin\"\nmsv_version = \"0.0.1\"\n\
             hash = \"sha256:0000\"\n\n[values]{values}"
        )
    });
}

/// Files under `dir` (not .git/ or .msv/), relative and sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .filter(|p| !p.starts_with(".git/") && !p.starts_with(".msv/"))
        .collect();
    out.sort();
    out
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

const SMALL: &str = "[template]\ndescription = \"small\"\n";

/// A service made from a template folder with `files`, committed to git.
fn service_from(tmp: &Path, files: &[(&str, &str)]) -> (PathBuf, PathBuf) {
    let tpl = template(tmp, "tpl", files);
    Test::new()
        .args(&["new", "svc", "-t", "./tpl"])
        .current_dir(tmp)
        .run()
        .status(0);
    let svc = tmp.join("svc");
    commit_all(&svc, "new");
    (tpl, svc)
}

#[test]
fn templates_that_rename_delete_and_add_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (tpl, svc) = service_from(
        tmp.path(),
        &[
            ("template.toml", SMALL),
            ("src/routes.txt", "health\nready\n"),
            ("docs/old.md", "old\n"),
            ("kept.md", "k1\n"),
            ("untouched.md", "u1\n"),
        ],
    );
    // The user adds a route and edits a file the template later deletes.
    edit(svc.join("src/routes.txt"), |t| t + "orders\n");
    edit(svc.join("kept.md"), |t| t + "mine\n");
    commit_all(&svc, "mine");
    // The template moves and changes its routes, deletes two files and adds one.
    fs::create_dir_all(tpl.join("src/http")).unwrap();
    fs::write(tpl.join("src/http/routes.txt"), "healthz\nready\n").unwrap();
    fs::remove_file(tpl.join("src/routes.txt")).unwrap();
    fs::remove_dir_all(tpl.join("docs")).unwrap();
    fs::remove_file(tpl.join("kept.md")).unwrap();
    fs::write(tpl.join("untouched.md"), "u2\n").unwrap();
    fs::write(tpl.join("new.md"), "n\n").unwrap();

    Test::new()
        .args(&["update", "svc"])
        .current_dir(tmp.path())
        .run()
        .status(0)
        .stdout_is(
            "deleted   docs/old.md\n\
             kept      kept.md (you changed it; the template deleted it)\n\
             added     new.md\n\
             renamed   src/routes.txt -> src/http/routes.txt\n\
             updated   untouched.md\n",
        )
        .stderr_has("1 updated, 1 added, 1 deleted, 1 renamed, 0 merged cleanly, 0 in conflict, 1 left alone");
    assert_eq!(
        read(svc.join("src/http/routes.txt")),
        "healthz\nready\norders\n"
    );
    assert!(!svc.join("src").join("routes.txt").exists());
    assert!(!svc.join("docs").exists(), "an emptied folder goes too");
    assert_eq!(read(svc.join("kept.md")), "k1\nmine\n");
    assert_eq!(read(svc.join("untouched.md")), "u2\n");
    assert_eq!(read(svc.join("new.md")), "n\n");
}

#[test]
fn dry_run_prints_the_diff_and_changes_nothing_and_a_dirty_tree_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (tpl, svc) = service_from(
        tmp.path(),
        &[
            ("template.toml", SMALL),
            ("app.txt.tera", "a\n{{ name }}\n"),
        ],
    );
    fs::write(tpl.join("app.txt.tera"), "a\n{{ name }}\nb\n").unwrap();
    let before = read(svc.join(".msv/base.json"));
    Test::new()
        .args(&["update", "--dry-run"])
        .current_dir(&svc)
        .run()
        .status(0)
        .stdout_is("--- a/app.txt\n+++ b/app.txt\n@@ -1,2 +1,3 @@\n a\n svc\n+b\n")
        .stderr_has("would update");
    assert_eq!(read(svc.join("app.txt")), "a\nsvc\n");
    assert_eq!(read(svc.join(".msv/base.json")), before);

    fs::write(svc.join("scratch.txt"), "wip").unwrap();
    Test::new()
        .args(&["update"])
        .current_dir(&svc)
        .run()
        .status(2)
        .stderr_has("has uncommitted changes")
        .stderr_has("  scratch.txt")
        .stderr_has("--allow-dirty");
    assert_eq!(read(svc.join("app.txt")), "a\nsvc\n");
    #[derive(serde::Deserialize)]
    struct Report {
        template: String,
        from: String,
        to: String,
        dry_run: bool,
        files: Vec<File>,
        conflicts: usize,
        pending: bool,
    }
    #[derive(serde::Deserialize)]
    struct File {
        path: String,
        status: String,
    }
    let report: Report = Test::new()
        .args(&["update", "--allow-dirty", "-o", "json"])
        .current_dir(&svc)
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(report.template, "tpl");
    assert_ne!(report.from, report.to);
    assert!(!report.dry_run);
    assert_eq!(report.conflicts, 0);
    assert!(!report.pending);
    let files: Vec<(&str, &str)> = report
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.status.as_str()))
        .collect();
    assert_eq!(files, [("app.txt", "updated")]);
    assert_eq!(read(svc.join("app.txt")), "a\nsvc\nb\n");
}

#[test]
fn new_required_variables_are_named_together_or_taken_from_set() {
    let tmp = tempfile::tempdir().unwrap();
    let (tpl, svc) = service_from(
        tmp.path(),
        &[
            (
                "template.toml",
                "[template]\ndescription = \"v\"\n[[variables]]\nname = \"tier\"\ndefault = \"gold\"\n",
            ),
            ("app.txt.tera", "{{ tier }}\n"),
        ],
    );
    fs::write(
        tpl.join("template.toml"),
        "[template]\ndescription = \"v\"\n[[variables]]\nname = \"tier\"\ndefault = \"gold\"\n\
         [[variables]]\nname = \"team\"\nprompt = \"Owning team\"\n\
         [[variables]]\nname = \"region\"\ntype = \"choice\"\nchoices = [\"eu\", \"us\"]\n",
    )
    .unwrap();
    fs::write(
        tpl.join("app.txt.tera"),
        "{{ tier }} {{ team }} {{ region }}\n",
    )
    .unwrap();
    Test::new()
        .args(&["update", "svc"])
        .current_dir(tmp.path())
        .run()
        .status(2)
        .stderr_has("--set team=<string>  Owning team")
        .stderr_has("--set region=<choice> (one of: eu, us)");
    assert_eq!(read(svc.join("app.txt")), "gold\n");
    Test::new()
        .args(&["update", "svc", "--set", "team=core", "--set", "region=eu"])
        .current_dir(tmp.path())
        .run()
        .status(0)
        .stdout_is("updated   app.txt\n");
    assert_eq!(read(svc.join("app.txt")), "gold core eu\n");
    let record = read(svc.join(".msv/template.toml"));
    assert!(
        record.contains("team = \"core\"")
            && record.contains("region = \"eu\"")
            && record.contains("tier = \"gold\""),
        "{record}"
    );
}

#[test]
fn on_a_terminal_only_the_new_variable_is_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let (tpl, svc) = service_from(
        tmp.path(),
        &[
            (
                "template.toml",
                "[template]\ndescription = \"v\"\n[[variables]]\nname = \"tier\"\nprompt = \"Service tier\"\ndefault = \"gold\"\n",
            ),
            ("app.txt.tera", "{{ tier }}\n"),
        ],
    );
    fs::write(
        tpl.join("template.toml"),
        "[template]\ndescription = \"v\"\n[[variables]]\nname = \"tier\"\nprompt = \"Service tier\"\ndefault = \"gold\"\n\
         [[variables]]\nname = \"team\"\nprompt = \"Owning team\"\n",
    )
    .unwrap();
    fs::write(tpl.join("app.txt.tera"), "{{ tier }} {{ team }}\n").unwrap();
    let mut term = crate::pty::Pty::spawn(
        Test::new()
            .args(&["update", "--color", "never"])
            .current_dir(&svc)
            .command(),
    );
    let wait = std::time::Duration::from_secs(30);
    term.wait_until("the new variable's prompt", wait, |o| {
        o.contains("Owning team")
    });
    term.type_in(b"core\r");
    term.wait_until("the result", wait, |o| o.contains("updated   app.txt"));
    let status = term.wait(wait);
    assert!(status.success(), "{status:?}\n{}", term.output());
    assert!(
        !term.output().contains("Service tier"),
        "a recorded answer is not asked again:\n{}",
        term.output()
    );
    assert_eq!(read(svc.join("app.txt")), "gold core\n");
}

#[test]
fn an_update_interrupted_at_a_prompt_leaves_the_service_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let (tpl, svc) = service_from(
        tmp.path(),
        &[("template.toml", SMALL), ("app.txt", "one\n")],
    );
    fs::write(
        tpl.join("template.toml"),
        format!("{SMALL}[[variables]]\nname = \"team\"\nprompt = \"Owning team\"\n"),
    )
    .unwrap();
    fs::write(tpl.join("app.txt"), "two\n").unwrap();
    fs::write(tpl.join("added.txt"), "new\n").unwrap();
    let mut term = crate::pty::Pty::spawn(
        Test::new()
            .args(&["update", "--color", "never"])
            .current_dir(&svc)
            .command(),
    );
    let wait = std::time::Duration::from_secs(30);
    term.wait_until("the new variable's prompt", wait, |o| {
        o.contains("Owning team")
    });
    term.type_in(b"\x03");
    let status = term.wait(wait);
    assert_eq!(status.code(), Some(130), "{}", term.output());
    assert_eq!(read(svc.join("app.txt")), "one\n");
    assert!(!svc.join("added.txt").exists());
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(&svc)
        .args(["status", "--porcelain", "--ignored"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "",
        "nothing changed or left behind"
    );
}

#[test]
fn binary_files_are_never_merged() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = template(tmp.path(), "tpl", &[("template.toml", SMALL)]);
    fs::write(tpl.join("logo.png"), [0x89, b'P', b'N', b'G', 0, 1, 2]).unwrap();
    Test::new()
        .args(&["new", "svc", "-t", "./tpl"])
        .current_dir(tmp.path())
        .run()
        .status(0);
    let svc = tmp.path().join("svc");
    fs::write(svc.join("logo.png"), [0x89, b'P', b'N', b'G', 0, 9, 9]).unwrap();
    commit_all(&svc, "our logo");
    fs::write(tpl.join("logo.png"), [0x89, b'P', b'N', b'G', 0, 3, 3]).unwrap();
    Test::new()
        .args(&["update", "svc"])
        .current_dir(tmp.path())
        .run()
        .status(0)
        .stdout_is("beside    logo.png (not text and changed by both: the template's version is logo.png.msv-theirs)\n")
        .stderr_has("1 written beside");
    assert_eq!(
        fs::read(svc.join("logo.png")).unwrap(),
        [0x89, b'P', b'N', b'G', 0, 9, 9]
    );
    assert_eq!(
        fs::read(svc.join("logo.png.msv-theirs")).unwrap(),
        [0x89, b'P', b'N', b'G', 0, 3, 3]
    );
}

#[test]
fn git_templates_update_from_the_recorded_commit_to_the_newest() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = template(
        tmp.path(),
        "repo",
        &[
            ("template.toml", SMALL),
            ("app.txt.tera", "one\n{{ name }}\n"),
        ],
    );
    commit_all(&repo, "v1");
    let url = format!("file://{}", repo.display());
    Test::new()
        .args(&["new", "svc", "-t", &url])
        .current_dir(tmp.path())
        .run()
        .status(0);
    let svc = tmp.path().join("svc");
    let record = read(svc.join(".msv/template.toml"));
    let head = |repo: &Path| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let v1 = head(&repo);
    assert!(
        record.contains("kind = \"git\"") && record.contains(&format!("commit = \"{v1}\"")),
        "{record}"
    );
    edit(svc.join("app.txt"), |t| format!("mine\n{t}"));
    commit_all(&svc, "mine");
    fs::write(repo.join("app.txt.tera"), "one\n{{ name }}\ntwo\n").unwrap();
    commit_all(&repo, "v2");
    let v2 = head(&repo);
    Test::new()
        .args(&["templates", "list"])
        .current_dir(&svc)
        .run()
        .status(0)
        .stderr_has(&format!(
            "(git) at {}; a newer version ({}) is available",
            &v1[..12],
            &v2[..12]
        ));
    // A third version exists, but the team takes the tagged second one.
    git(&repo, &["tag", "second"]);
    fs::write(repo.join("app.txt.tera"), "one\n{{ name }}\ntwo\nthree\n").unwrap();
    commit_all(&repo, "v3");
    let v3 = head(&repo);
    Test::new()
        .args(&["update", "svc", "--to", "second"])
        .current_dir(tmp.path())
        .run()
        .status(0)
        .stdout_is("merged    app.txt\n")
        .stderr_has(&format!("from {} to {}", &v1[..12], &v2[..12]));
    assert_eq!(read(svc.join("app.txt")), "mine\none\nsvc\ntwo\n");
    assert!(read(svc.join(".msv/template.toml")).contains(&format!("commit = \"{v2}\"")));
    commit_all(&svc, "template v2");
    Test::new()
        .args(&["update", "svc", "--to", "no-such-tag"])
        .current_dir(tmp.path())
        .run()
        .status(2)
        .stderr_has("checking out no-such-tag of");
    Test::new()
        .args(&["update", "svc"])
        .current_dir(tmp.path())
        .run()
        .status(0)
        .stderr_has(&format!("from {} to {}", &v2[..12], &v3[..12]));
    assert_eq!(read(svc.join("app.txt")), "mine\none\nsvc\ntwo\nthree\n");
}

#[test]
fn to_is_only_for_git_templates() {
    let tmp = tempfile::tempdir().unwrap();
    let (_tpl, svc) = service_from(tmp.path(), &[("template.toml", SMALL), ("a.txt", "a\n")]);
    Test::new()
        .args(&["update", "--to", "v2"])
        .current_dir(&svc)
        .run()
        .status(2)
        .stderr_has("--to picks a version of a git template")
        .stderr_has("is folder");
}

#[test]
fn a_service_without_a_lineage_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    Test::new()
        .args(&["update", "."])
        .current_dir(tmp.path())
        .run()
        .status(2)
        .stderr_has("has no .msv/template.toml");
}
