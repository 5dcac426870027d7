//! Unit tests of the build context (`context.rs`).

use super::*;

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let matcher = matcher_for(dir, "Dockerfile").unwrap();
    let mut out = Vec::new();
    write_tar(dir, &matcher, &mut out).unwrap();
    let mut archive = tar::Archive::new(&out[..]);
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            assert_eq!(e.header().uid().unwrap(), 0);
            e.path().unwrap().to_string_lossy().into_owned()
        })
        .collect()
}

#[test]
fn ignored_files_stay_out_and_build_files_stay_in() {
    let dir = tree(&[
        ("Dockerfile", "FROM scratch\n"),
        (".dockerignore", "*\n!src\n!docs/keep.md\n"),
        ("src/main.rs", "fn main() {}"),
        ("target/big", "xx"),
        ("docs/keep.md", "k"),
        ("docs/drop.md", "d"),
    ]);
    let got = names(dir.path());
    assert_eq!(
        got,
        [
            ".dockerignore",
            "Dockerfile",
            "docs/keep.md",
            "src",
            "src/main.rs"
        ],
        "excluded directory entries are not sent, files below an exception are"
    );
}

#[test]
fn excluded_directories_are_walked_only_for_an_exception_naming_them() {
    // Docker's prefix test: `!*/keep` does not name `docs/`, so `docs` is not walked
    // and `docs/keep` stays out, although the pattern alone would match it.
    let dir = tree(&[
        ("Dockerfile", "FROM scratch\n"),
        (".dockerignore", "docs\nlib\n!*/keep\n!lib/keep\n"),
        ("docs/keep", "k"),
        ("lib/keep", "k"),
        ("lib/drop", "d"),
    ]);
    assert_eq!(
        names(dir.path()),
        [".dockerignore", "Dockerfile", "lib/keep"]
    );
}

#[test]
fn no_dockerignore_sends_everything_in_order() {
    let dir = tree(&[("Dockerfile", "FROM scratch\n"), ("b/x", "1"), ("a", "2")]);
    assert_eq!(names(dir.path()), ["Dockerfile", "a", "b", "b/x"]);
}

#[test]
fn missing_dockerfile_is_a_clear_error() {
    let dir = tree(&[("main.rs", "")]);
    let err = matcher_for(dir.path(), "Dockerfile")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no Dockerfile in"), "{err}");
}

#[test]
fn symlinks_are_sent_as_links() {
    let dir = tree(&[("Dockerfile", "FROM scratch\n")]);
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link")).unwrap();
    let matcher = matcher_for(dir.path(), "Dockerfile").unwrap();
    let mut out = Vec::new();
    write_tar(dir.path(), &matcher, &mut out).unwrap();
    let mut archive = tar::Archive::new(&out[..]);
    let link = archive
        .entries()
        .unwrap()
        .map(Result::unwrap)
        .find(|e| e.path().unwrap().to_str() == Some("link"))
        .unwrap();
    assert_eq!(link.header().entry_type(), EntryType::Symlink);
    assert_eq!(
        link.link_name().unwrap().unwrap().to_str(),
        Some("/etc/passwd")
    );
}

fn entries(dir: &Path) -> Vec<(String, EntryType, String)> {
    let (matcher, _) = for_build(dir, "Dockerfile").unwrap();
    let mut out = Vec::new();
    write_tar(dir, &matcher, &mut out).unwrap();
    let mut archive = tar::Archive::new(&out[..]);
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let link = e
                .link_name()
                .unwrap()
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                e.path().unwrap().to_string_lossy().into_owned(),
                e.header().entry_type(),
                link,
            )
        })
        .collect()
}

#[test]
fn hard_links_are_tar_links_and_fifos_are_sent() {
    let dir = tree(&[("Dockerfile", "FROM scratch\n"), ("a", "same")]);
    std::fs::hard_link(dir.path().join("a"), dir.path().join("b")).unwrap();
    let fifo = std::ffi::CString::new(dir.path().join("pipe").as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let got = entries(dir.path());
    assert_eq!(got[1], ("a".into(), EntryType::Regular, String::new()));
    assert_eq!(got[2], ("b".into(), EntryType::Link, "a".into()));
    assert_eq!(got[3], ("pipe".into(), EntryType::Fifo, String::new()));
}

#[test]
fn a_dockerfile_link_names_its_target_which_is_kept_even_when_ignored() {
    let dir = tree(&[
        ("docker/Dockerfile.real", "FROM scratch\n"),
        ("docker/other", "x"),
        (".dockerignore", "docker\n"),
    ]);
    std::os::unix::fs::symlink("docker/Dockerfile.real", dir.path().join("Dockerfile")).unwrap();
    let (_, dockerfile) = for_build(dir.path(), "Dockerfile").unwrap();
    assert_eq!(dockerfile, "docker/Dockerfile.real");
    let names: Vec<String> = entries(dir.path()).into_iter().map(|e| e.0).collect();
    assert_eq!(
        names,
        [".dockerignore", "Dockerfile", "docker/Dockerfile.real"]
    );
}

#[test]
fn a_dockerfile_link_out_of_the_context_is_refused() {
    let outside = tree(&[("Dockerfile", "FROM scratch\n")]);
    let dir = tree(&[("main.rs", "")]);
    std::os::unix::fs::symlink(
        outside.path().join("Dockerfile"),
        dir.path().join("Dockerfile"),
    )
    .unwrap();
    let err = resolve_dockerfile(dir.path(), "Dockerfile")
        .unwrap_err()
        .to_string();
    assert!(err.contains("outside the build context"), "{err}");
}

#[test]
fn a_lower_case_dockerfile_is_used_when_there_is_no_other() {
    let dir = tree(&[("dockerfile", "FROM scratch\n"), (".dockerignore", "*\n")]);
    let (_, dockerfile) = for_build(dir.path(), "Dockerfile").unwrap();
    assert_eq!(dockerfile, "dockerfile");
    let names: Vec<String> = entries(dir.path()).into_iter().map(|e| e.0).collect();
    assert_eq!(names, [".dockerignore", "dockerfile"]);
    let both = tree(&[("dockerfile", "x"), ("Dockerfile", "FROM scratch\n")]);
    assert_eq!(
        resolve_dockerfile(both.path(), "Dockerfile").unwrap(),
        "Dockerfile"
    );
}

#[test]
fn the_walk_carries_parent_results_as_docker_does() {
    let dir = tree(&[
        ("Dockerfile", "FROM scratch\n"),
        (
            ".dockerignore",
            "**/*.md\n!docs\nnode_modules\n!node_modules/keep\n**/node_modules\n",
        ),
        ("docs/a.md", "x"),
        ("docs/b.txt", "x"),
        ("node_modules/keep/index.js", "x"),
        ("node_modules/drop.js", "x"),
    ]);
    let names: Vec<String> = entries(dir.path()).into_iter().map(|e| e.0).collect();
    assert_eq!(
        names,
        [
            ".dockerignore",
            "Dockerfile",
            "docs",
            "docs/b.txt",
            "node_modules/keep",
            "node_modules/keep/index.js"
        ]
    );
}

#[tokio::test]
async fn streaming_yields_the_same_bytes_in_chunks() {
    use futures::StreamExt;
    let big = "x".repeat(300_000);
    let dir = tree(&[("Dockerfile", "FROM scratch\n"), ("big", &big)]);
    let matcher = matcher_for(dir.path(), "Dockerfile").unwrap();
    let mut whole = Vec::new();
    write_tar(dir.path(), &matcher, &mut whole).unwrap();
    let (body, handle) = stream(dir.path().to_path_buf(), matcher);
    let chunks: Vec<Bytes> = body.map(Result::unwrap).collect().await;
    assert!(chunks.len() > 1);
    assert!(chunks.iter().all(|c| c.len() <= CHUNK));
    assert_eq!(chunks.concat(), whole);
    let summary = handle.join().unwrap().unwrap();
    assert_eq!(summary.files, 2);
}
