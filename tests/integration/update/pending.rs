//! An update that leaves conflicts is pending until `msv update --continue` (refused while
//! markers are left) or `--abort` (everything back, byte for byte); other updates are
//! refused meanwhile. And an update killed while it writes leaves the service as it was
//! (or as the update makes it), never half written.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::{SMALL, commit_all, edit, read, service_from, walkdir};
use crate::support::Test;

/// Every file of a service (not .git/, nor a staging folder in .msv/) with its bytes and
/// permission bits.
fn snapshot(svc: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    walkdir(svc)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(svc).unwrap().to_string_lossy().into_owned();
            (p, rel)
        })
        .filter(|(_, rel)| !rel.starts_with(".git/") && !rel.starts_with(".msv/staging-"))
        .map(|(p, rel)| {
            let mode = fs::symlink_metadata(&p).unwrap().permissions().mode() & 0o7777;
            (rel, (fs::read(&p).unwrap(), mode))
        })
        .collect()
}

fn git_status(svc: &Path) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(svc)
        .args(["status", "--porcelain", "--ignored"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A service whose update conflicts in `app.txt` (and `guide.md`, whose Markdown heading
/// is underlined with `=======`), updates `plain.txt`, adds `docs/new.txt` and deletes
/// `gone.txt`.
fn conflicting(tmp: &Path) -> (PathBuf, PathBuf) {
    let (tpl, svc) = service_from(
        tmp,
        &[
            ("template.toml", SMALL),
            ("app.txt", "a\nb\nc\n"),
            ("guide.md", "Guide\n=======\n\nold\n"),
            ("plain.txt", "p1\n"),
            ("gone.txt", "g\n"),
        ],
    );
    edit(svc.join("app.txt"), |t| t.replace("b\n", "mine\n"));
    edit(svc.join("guide.md"), |t| t.replace("old\n", "ours\n"));
    fs::set_permissions(svc.join("plain.txt"), fs::Permissions::from_mode(0o600)).unwrap();
    commit_all(&svc, "mine");
    fs::write(tpl.join("app.txt"), "a\ntheirs\nc\n").unwrap();
    fs::write(tpl.join("guide.md"), "Guide\n=======\n\nnew\n").unwrap();
    fs::write(tpl.join("plain.txt"), "p2\n").unwrap();
    fs::remove_file(tpl.join("gone.txt")).unwrap();
    fs::create_dir_all(tpl.join("docs")).unwrap();
    fs::write(tpl.join("docs/new.txt"), "n\n").unwrap();
    (tpl, svc)
}

fn update_with_conflicts(svc: &Path) {
    Test::new()
        .args(&["update"])
        .current_dir(svc)
        .run()
        .status(1)
        .stdout_has("conflict  app.txt (1 conflict(s))\n")
        .stdout_has("conflict  guide.md (1 conflict(s))\n")
        .stderr_has("pending: updating . from ")
        .stderr_has("2 conflict(s) in 2 file(s)")
        .stderr_has("then msv update --continue (or --abort to put everything back)");
}

#[test]
fn continue_is_refused_while_markers_are_left_then_installs_the_new_lineage() {
    let tmp = tempfile::tempdir().unwrap();
    let (_tpl, svc) = conflicting(tmp.path());
    let lineage = read(svc.join(".msv/template.toml"));
    update_with_conflicts(&svc);
    assert_eq!(read(svc.join(".msv/template.toml")), lineage, "not yet");
    assert!(
        git_status(&svc).contains("!! .msv/update/\n"),
        "the pending state is ignored by git: {}",
        git_status(&svc)
    );

    Test::new()
        .args(&["update", "--continue"])
        .current_dir(&svc)
        .run()
        .status(1)
        .stderr_has(
            "  app.txt:2: <<<<<<< yours\n  app.txt:4: =======\n  app.txt:6: >>>>>>> template\n  \
             guide.md:4: <<<<<<< yours\n  guide.md:8: >>>>>>> template\n",
        )
        .stderr_has("resolve them, then run msv update --continue again");
    // A separator the user leaves behind is still a marker.
    edit(svc.join("app.txt"), |_| "a\nmine\n=======\nc\n".into());
    edit(svc.join("guide.md"), |_| {
        "Guide\n=======\n\nours and new\n".into()
    });
    Test::new()
        .args(&["update", "--continue"])
        .current_dir(&svc)
        .run()
        .status(1)
        .stderr_has("  app.txt:3: =======\n")
        .stderr_lacks("guide.md:");
    assert_eq!(read(svc.join(".msv/template.toml")), lineage, "still not");

    edit(svc.join("app.txt"), |_| "a\nmine and theirs\nc\n".into());
    Test::new()
        .args(&["update", "--continue"])
        .current_dir(&svc)
        .run()
        .status(0)
        .stdout_is("resolved  app.txt\nresolved  guide.md\n")
        .stderr_has("finished the update of . from ");
    assert_ne!(read(svc.join(".msv/template.toml")), lineage);
    assert!(!svc.join(".msv/update").exists());
    assert_eq!(read(svc.join("app.txt")), "a\nmine and theirs\nc\n");
    assert_eq!(read(svc.join("docs/new.txt")), "n\n");
    commit_all(&svc, "updated");
    Test::new()
        .args(&["update"])
        .current_dir(&svc)
        .run()
        .status(0)
        .stdout_empty()
        .stderr_has("is up to date with template");
    assert_eq!(git_status(&svc), "");
}

#[test]
fn abort_puts_every_file_back_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (_tpl, svc) = conflicting(tmp.path());
    let before = snapshot(&svc);
    update_with_conflicts(&svc);
    assert_ne!(snapshot(&svc), before);
    assert!(!svc.join("gone.txt").exists());
    Test::new()
        .args(&["update", "--abort"])
        .current_dir(&svc)
        .run()
        .status(0)
        .stdout_is(
            "restored  app.txt\nrestored  gone.txt\nrestored  guide.md\nrestored  plain.txt\n\
             removed   docs/new.txt\n",
        )
        .stderr_has("4 file(s) put back, 1 added file(s) removed; the service is as it was");
    assert_eq!(snapshot(&svc), before);
    assert!(
        !svc.join("docs").exists(),
        "the folder the update made goes too"
    );
    assert_eq!(git_status(&svc), "", "nothing changed or left behind");
}

#[test]
fn another_update_is_refused_while_one_is_pending_and_abort_reports_json() {
    let tmp = tempfile::tempdir().unwrap();
    let (_tpl, svc) = conflicting(tmp.path());
    #[derive(serde::Deserialize)]
    struct Report {
        conflicts: usize,
        pending: bool,
    }
    let report: Report = Test::new()
        .args(&["update", "-o", "json"])
        .current_dir(&svc)
        .run()
        .status(1)
        .stdout_json();
    assert_eq!(report.conflicts, 2);
    assert!(report.pending);
    let pending = snapshot(&svc);
    for args in [&["update"][..], &["update", "--dry-run"]] {
        Test::new()
            .args(args)
            .current_dir(&svc)
            .run()
            .status(2)
            .stdout_empty()
            .stderr_has("has an update with conflicts in progress (.msv/update)")
            .stderr_has("run msv update --continue, or run msv update --abort");
    }
    assert_eq!(snapshot(&svc), pending);

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Ended {
        path: String,
        template: String,
        from: String,
        to: String,
        files: Vec<String>,
        removed: Vec<String>,
    }
    let ended: Ended = Test::new()
        .args(&["update", "--abort", "-o", "json"])
        .current_dir(&svc)
        .run()
        .status(0)
        .stdout_json();
    assert_eq!(ended.path, ".");
    assert_eq!(ended.template, "tpl");
    assert_ne!(ended.from, ended.to);
    assert_eq!(
        ended.files,
        ["app.txt", "gone.txt", "guide.md", "plain.txt"]
    );
    assert_eq!(ended.removed, ["docs/new.txt"]);
}

#[test]
fn continue_and_abort_need_a_pending_update_and_no_other_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let (_tpl, svc) = service_from(tmp.path(), &[("template.toml", SMALL), ("a", "a\n")]);
    for flag in ["--continue", "--abort"] {
        Test::new()
            .args(&["update", flag])
            .current_dir(&svc)
            .run()
            .status(2)
            .stderr_has("has no update in progress: --continue and --abort end an update");
        for other in ["--dry-run", "--to=main", "--set=a=b"] {
            Test::new()
                .args(&["update", flag, other])
                .current_dir(&svc)
                .run()
                .status(2)
                .stderr_has("cannot be used with");
        }
    }
    Test::new()
        .args(&["update", "--continue", "--abort"])
        .current_dir(&svc)
        .run()
        .status(2)
        .stderr_has("cannot be used with");
}

fn copy(from: &Path, to: &Path) {
    assert!(
        std::process::Command::new("cp")
            .arg("-a")
            .arg(from)
            .arg(to)
            .status()
            .unwrap()
            .success()
    );
}

/// The staging folders in a service's `.msv/`.
fn staging(svc: &Path) -> Vec<PathBuf> {
    fs::read_dir(svc.join(".msv"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("staging-")
        })
        .collect()
}

/// Kills `msv update` (SIGKILL) as soon as it has begun writing — once when its staging
/// folder appears, once when its journal does (the swaps begin) —: the service is then
/// either as it was, as the update makes it, or mid-write with the staging folder that lets
/// the next run put it back. Whichever, the next run leaves it exactly as before, and the
/// update after that exactly as the update makes it.
#[test]
fn an_update_killed_while_it_writes_leaves_the_service_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let (tpl, svc) = service_from(
        tmp.path(),
        &[("template.toml", SMALL), ("app.txt", "one\n")],
    );
    // Enough files that writing them takes a while.
    fs::write(tpl.join("app.txt"), "two\n").unwrap();
    for i in 0..3000 {
        fs::create_dir_all(tpl.join(format!("big/{}", i % 30))).unwrap();
        fs::write(
            tpl.join(format!("big/{}/{i}.txt", i % 30)),
            format!("{i}\n").repeat(200),
        )
        .unwrap();
    }
    let before = snapshot(&svc);
    // What the update makes, from a copy of the service.
    let done = tmp.path().join("done");
    copy(&svc, &done);
    Test::new()
        .args(&["update"])
        .current_dir(&done)
        .run()
        .status(0);
    let after = snapshot(&done);
    assert_ne!(before, after);

    let staged = |svc: &Path| !staging(svc).is_empty();
    // Its journal is written once every new file is staged, before the first swap.
    let swapping = |svc: &Path| staging(svc).iter().any(|s| s.join("journal.json").exists());
    for name in ["staging", "swapping"] {
        let moment = |svc: &Path| match name {
            "staging" => staged(svc),
            _ => swapping(svc),
        };
        let svc_n = tmp.path().join(name);
        copy(&svc, &svc_n);
        let mut child = Test::new()
            .args(&["update"])
            .current_dir(&svc_n)
            .command()
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while !moment(&svc_n) && child.try_wait().unwrap().is_none() {
            assert!(
                std::time::Instant::now() < deadline,
                "{name}: the update never began writing"
            );
            std::thread::yield_now();
        }
        child.kill().unwrap();
        child.wait().unwrap();

        let left = staged(&svc_n);
        let now = snapshot(&svc_n);
        assert!(
            left || now == before || now == after,
            "{name}: without a staging folder the service must be as it was or as the update makes it"
        );
        // The next run puts back what was swapped, and says so.
        let run = Test::new()
            .args(&["update", "--dry-run"])
            .current_dir(&svc_n)
            .run()
            .status(0);
        if left {
            run.stderr_has("staging-");
        }
        let now = snapshot(&svc_n);
        assert!(now == before || now == after, "{name}: never half written");
        assert!(!staged(&svc_n), "{name}: no staging folder left");
        // (Dirty when the killed update had finished.)
        Test::new()
            .args(&["update", "--allow-dirty"])
            .current_dir(&svc_n)
            .run()
            .status(0);
        assert_eq!(snapshot(&svc_n), after, "{name}");
    }
}
