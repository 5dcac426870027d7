//! The build context against the docker CLI's: each case is a tree and a `.dockerignore`
//! built twice on the machine's engine — by `docker build` (the classic builder, so the
//! CLI makes and sends the context) and by `msv build` — with `FROM scratch` and
//! `COPY . /ctx/`, and the files of the two images compared (names as bytes, type, mode,
//! size, content, link target, mtime). Cases come from each rule of the context: carried
//! parent results, comments, `^`, escapes, classes, bytes, line limits, FIFOs, hard links,
//! a Dockerfile that is a link, a lower-case `dockerfile`, and generated trees.
//!
//! Without an engine the tests skip, unless MSV_REQUIRE_DOCKER=1 or CI=true: then they fail.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

use crate::support::Test;

const DOCKERFILE: &str = "FROM scratch\nCOPY . /ctx/\n";

#[track_caller]
fn engine_ready(test: &str) -> bool {
    let ok = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    let required = std::env::var("MSV_REQUIRE_DOCKER").is_ok_and(|v| v == "1")
        || std::env::var("CI").is_ok_and(|v| v == "true");
    if !ok && required {
        panic!("{test}: no Docker engine reachable, and MSV_REQUIRE_DOCKER=1 or CI=true");
    }
    if !ok {
        eprintln!("skipping {test}: no Docker engine reachable");
    }
    ok
}

/// One file of a case's tree.
enum Node {
    File(&'static [u8], &'static [u8]),
    Fifo(&'static [u8]),
    /// A hard link: new name, existing file.
    HardLink(&'static [u8], &'static [u8]),
    /// A symbolic link: name, target.
    Symlink(&'static [u8], &'static [u8]),
}

fn make_tree(dir: &Path, nodes: &[Node]) {
    let at = |name: &[u8]| {
        let path = dir.join(OsStr::from_bytes(name));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        path
    };
    for node in nodes {
        match node {
            Node::File(name, data) => std::fs::write(at(name), data).unwrap(),
            Node::Fifo(name) => {
                let path = std::ffi::CString::new(at(name).as_os_str().as_bytes()).unwrap();
                assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o640) }, 0);
            }
            Node::HardLink(name, existing) => {
                std::fs::hard_link(dir.join(OsStr::from_bytes(existing)), at(name)).unwrap()
            }
            Node::Symlink(name, target) => {
                std::os::unix::fs::symlink(OsStr::from_bytes(target), at(name)).unwrap()
            }
        }
    }
}

/// What an image holds under /ctx: path bytes to a description of the entry.
type Files = BTreeMap<Vec<u8>, String>;

fn files_of(image: &str) -> Files {
    let created = Command::new("docker")
        .args(["create", image, "none"])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "docker create {image}: {created:?}"
    );
    let id = String::from_utf8_lossy(&created.stdout).trim().to_string();
    let exported = Command::new("docker")
        .args(["export", &id])
        .output()
        .unwrap();
    let _ = Command::new("docker").args(["rm", "-f", &id]).output();
    assert!(exported.status.success(), "docker export {image}");
    let mut archive = tar::Archive::new(&exported.stdout[..]);
    let mut out = Files::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path_bytes().into_owned();
        let Some(rel) = path.strip_prefix(b"ctx/") else {
            continue;
        };
        let rel = rel.strip_suffix(b"/").unwrap_or(rel).to_vec();
        let header = entry.header().clone();
        let kind = header.entry_type();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        let link = entry
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned());
        // A directory's mtime changes as the engine fills it; a file's must not.
        let mtime = if kind.is_dir() {
            0
        } else {
            header.mtime().unwrap()
        };
        out.insert(
            rel,
            format!(
                "{kind:?} mode={:o} size={} mtime={mtime} link={link:?} data={:?}",
                header.mode().unwrap() & 0o7777,
                data.len(),
                String::from_utf8_lossy(&data)
            ),
        );
    }
    out
}

fn show(files: &Files) -> String {
    files
        .iter()
        .map(|(k, v)| format!("  {:?}: {v}\n", String::from_utf8_lossy(k)))
        .collect()
}

/// Removes the images a case made.
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = Command::new("docker")
                .args(["image", "rm", "-f", image])
                .output();
        }
    }
}

/// What happened to one build.
enum Outcome {
    Built(Files),
    Failed(String),
}

/// Builds `nodes` with the docker CLI and with msv; the files of both images, or why a
/// build failed.
fn build_both(case: &str, nodes: &[Node], dockerfile_name: &str) -> (Outcome, Outcome) {
    let dir = tempfile::tempdir().unwrap();
    let ctx = dir.path().join("ctx");
    std::fs::create_dir(&ctx).unwrap();
    if !dockerfile_name.is_empty() {
        std::fs::write(ctx.join(dockerfile_name), DOCKERFILE).unwrap();
    }
    std::fs::write(
        ctx.join("msv.toml"),
        format!("[service]\nname = \"{case}\"\n\n[image]\nregistry = \"msv-diff\"\n"),
    )
    .unwrap();
    make_tree(&ctx, nodes);
    let docker_image = format!("msv-diff-docker/{case}:latest");
    let msv_image = format!("msv-diff/{case}:latest");
    let _images = Images(vec![docker_image.clone(), msv_image.clone()]);

    // The docker CLI first: msv writes its state into the tree after a build.
    let docker = Command::new("docker")
        .args(["build", "-q", "-t", &docker_image])
        .arg(&ctx)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .unwrap();
    let docker = if docker.status.success() {
        Outcome::Built(files_of(&docker_image))
    } else {
        Outcome::Failed(String::from_utf8_lossy(&docker.stderr).into_owned())
    };
    // The classic builder on both sides: it copies the context as sent, where BuildKit
    // caches `COPY` by content (old mtimes come back) and drops FIFOs.
    let run = Test::new()
        .args(&["build", "--builder", "classic", "-o", "json"])
        .arg(&ctx)
        .run();
    let msv = if run.code() == Some(0) {
        Outcome::Built(files_of(&msv_image))
    } else {
        assert_eq!(
            run.code(),
            Some(2),
            "{case}: msv refuses with exit 2: {}",
            run.stderr()
        );
        Outcome::Failed(run.stderr())
    };
    (docker, msv)
}

/// Both built, with the same files.
#[track_caller]
fn same_files(case: &str, nodes: &[Node]) -> Files {
    same_files_with(case, nodes, "Dockerfile")
}

#[track_caller]
fn same_files_with(case: &str, nodes: &[Node], dockerfile_name: &str) -> Files {
    match build_both(case, nodes, dockerfile_name) {
        (Outcome::Built(docker), Outcome::Built(msv)) => {
            assert!(
                docker == msv,
                "{case}: the images differ\ndocker CLI:\n{}msv:\n{}",
                show(&docker),
                show(&msv)
            );
            docker
        }
        (Outcome::Failed(e), _) => panic!("{case}: docker build failed: {e}"),
        (_, Outcome::Failed(e)) => panic!("{case}: msv build failed: {e}"),
    }
}

/// Both refused the context; msv's message contains `needle`.
#[track_caller]
fn both_refuse(case: &str, nodes: &[Node], needle: &str) {
    match build_both(case, nodes, "Dockerfile") {
        (Outcome::Failed(_), Outcome::Failed(msv)) => {
            assert!(msv.contains(needle), "{case}: msv said {msv}");
        }
        (Outcome::Built(files), _) => panic!("{case}: docker built it:\n{}", show(&files)),
        (_, Outcome::Built(files)) => panic!("{case}: msv built it:\n{}", show(&files)),
    }
}

fn has(files: &Files, path: &[u8]) -> bool {
    files.contains_key(path)
}

#[test]
fn context_parent_results_carry_down_as_in_docker() {
    if !engine_ready("context_parent_results_carry_down_as_in_docker") {
        return;
    }
    let files = same_files(
        "md-then-docs",
        &[
            Node::File(b".dockerignore", b"**/*.md\n!docs\n"),
            Node::File(b"docs/a.md", b"a"),
            Node::File(b"docs/b.txt", b"b"),
            Node::File(b"top.md", b"t"),
        ],
    );
    assert!(!has(&files, b"docs/a.md") && has(&files, b"docs/b.txt"));

    let files = same_files(
        "env-then-deploy",
        &[
            Node::File(b".dockerignore", b"**/.env\n!deploy\n"),
            Node::File(b"deploy/.env", b"SECRET=1"),
            Node::File(b"deploy/run.sh", b"x"),
        ],
    );
    assert!(!has(&files, b"deploy/.env"), "the secret stays out");

    let files = same_files(
        "node-modules-keep",
        &[
            Node::File(
                b".dockerignore",
                b"node_modules\n!node_modules/keep\n**/node_modules\n",
            ),
            Node::File(b"node_modules/keep/index.js", b"k"),
            Node::File(b"node_modules/drop.js", b"d"),
            Node::File(b"web/node_modules/x.js", b"x"),
        ],
    );
    assert!(has(&files, b"node_modules/keep/index.js"));
    assert!(!has(&files, b"node_modules/drop.js") && !has(&files, b"web/node_modules/x.js"));
}

#[test]
fn context_pattern_syntax_as_in_docker() {
    if !engine_ready("context_pattern_syntax_as_in_docker") {
        return;
    }
    // Comments start at the first byte only; CRLF, a BOM, spaces around `!`.
    let files = same_files(
        "comments",
        &[
            Node::File(
                b".dockerignore",
                b"\xef\xbb\xbfbom\r\n  # x\r\n#y\n ! keep \nk*\n!keep\n",
            ),
            Node::File(b"# x", b"1"),
            Node::File(b"#y", b"2"),
            Node::File(b"bom", b"3"),
            Node::File(b"keep", b"4"),
            Node::File(b"kx", b"5"),
        ],
    );
    assert!(!has(&files, b"# x") && has(&files, b"#y") && has(&files, b"keep"));

    // `^` anchors in a wildcard pattern; a plain pattern is a name.
    let files = same_files(
        "caret",
        &[
            Node::File(b".dockerignore", b"a^b*\nc^d\n[^x]z\n"),
            Node::File(b"a^bc", b"1"),
            Node::File(b"c^d", b"2"),
            Node::File(b"yz", b"3"),
            Node::File(b"xz", b"4"),
        ],
    );
    assert!(has(&files, b"a^bc") && !has(&files, b"c^d") && !has(&files, b"yz"));

    // A backslash and a letter: Go's Perl classes, C escapes, octal; POSIX classes;
    // `*` and `?` inside a class.
    let files = same_files(
        "escapes-classes",
        &[
            Node::File(
                b".dockerignore",
                b"v\\d*\nf[[:digit:]]\n[[:upper:]][[:^alpha:]]\n[a*]\n[b?]\nt\\x41b\n",
            ),
            Node::File(b"v1.txt", b"1"),
            Node::File(b"vx.txt", b"2"),
            Node::File(b"f7", b"3"),
            Node::File(b"fx", b"4"),
            Node::File(b"Q1", b"5"),
            Node::File(b"QQ", b"6"),
            Node::File(b"aa]", b"7"),
            Node::File(b"a", b"8"),
            Node::File(b"b]", b"9"),
            Node::File(b"b", b"10"),
            Node::File(b"tAb", b"11"),
        ],
    );
    for (path, sent) in [
        (&b"v1.txt"[..], false),
        (b"vx.txt", true),
        (b"f7", false),
        (b"fx", true),
        (b"Q1", false),
        (b"QQ", true),
        (b"aa]", false),
        (b"a", true),
        (b"b]", false),
        (b"b", true),
        (b"tAb", false),
    ] {
        assert_eq!(has(&files, path), sent, "{}", String::from_utf8_lossy(path));
    }

    // Names and patterns are bytes.
    let files = same_files(
        "bytes",
        &[
            Node::File(b".dockerignore", b"caf\xe9\nx?\n"),
            Node::File(b"caf\xe9", b"1"),
            Node::File("café".as_bytes(), b"2"),
            Node::File(b"x\xff", b"3"),
            Node::File("xé".as_bytes(), b"4"),
            Node::File(b"x\xff\xfe", b"5"),
        ],
    );
    assert!(!has(&files, b"caf\xe9") && has(&files, "café".as_bytes()));
    assert!(!has(&files, b"x\xff") && !has(&files, "xé".as_bytes()));
    assert!(has(&files, b"x\xff\xfe"));
}

#[test]
fn context_refusals_as_in_docker() {
    if !engine_ready("context_refusals_as_in_docker") {
        return;
    }
    both_refuse(
        "bad-escape",
        &[
            Node::File(b".dockerignore", b"ok\nfoo\\q\n"),
            Node::File(b"a", b"1"),
        ],
        ".dockerignore line 2",
    );
    let mut long = b"ok\n".to_vec();
    long.extend(std::iter::repeat_n(b'a', 64 * 1024));
    long.push(b'\n');
    let long: &'static [u8] = Box::leak(long.into_boxed_slice());
    both_refuse(
        "long-line",
        &[Node::File(b".dockerignore", long), Node::File(b"a", b"1")],
        "64 KiB",
    );
    // Just under the limit both build.
    let mut fine = b"ok\n".to_vec();
    fine.extend(std::iter::repeat_n(b'a', 64 * 1024 - 1));
    fine.push(b'\n');
    let fine: &'static [u8] = Box::leak(fine.into_boxed_slice());
    same_files(
        "long-line-ok",
        &[Node::File(b".dockerignore", fine), Node::File(b"a", b"1")],
    );
}

#[test]
fn context_tar_entries_as_the_docker_cli_writes_them() {
    if !engine_ready("context_tar_entries_as_the_docker_cli_writes_them") {
        return;
    }
    let files = same_files(
        "fifo-hardlinks",
        &[
            Node::File(b"data/a", b"shared"),
            Node::HardLink(b"data/b", b"data/a"),
            Node::HardLink(b"z", b"data/a"),
            Node::Fifo(b"pipe"),
            Node::Symlink(b"link", b"data/a"),
        ],
    );
    assert!(files[&b"pipe"[..]].starts_with("Fifo"), "{}", show(&files));
    assert!(
        files[&b"data/b"[..]].starts_with("Link"),
        "{}",
        show(&files)
    );

    // The Dockerfile is a link into an ignored directory: its target is sent.
    let files = same_files_with(
        "dockerfile-link",
        &[
            Node::File(b".dockerignore", b"build\n"),
            Node::File(b"build/Dockerfile.real", DOCKERFILE.as_bytes()),
            Node::File(b"build/other", b"x"),
            Node::Symlink(b"Dockerfile", b"build/Dockerfile.real"),
        ],
        "",
    );
    assert!(!has(&files, b"build/other"));

    // Only a lower-case dockerfile.
    same_files_with(
        "lowercase",
        &[
            Node::File(b"src/x", b"x"),
            Node::File(b".dockerignore", b"*\n!src\n"),
        ],
        "dockerfile",
    );
}

/// Generated cases: trees and pattern files from a small alphabet that exercises every
/// rule at once, from a fixed seed so a failure can be replayed.
#[test]
fn context_generated_cases_match_docker() {
    if !engine_ready("context_generated_cases_match_docker") {
        return;
    }
    const NAMES: &[&str] = &[
        "a",
        "b",
        "a.md",
        ".env",
        "node_modules",
        "docs",
        "x^y",
        "k1",
    ];
    const PATTERNS: &[&str] = &[
        "a",
        "**/a",
        "*/b",
        "**/*.md",
        "!docs",
        "node_modules",
        "!**/keep",
        "!a/b",
        "docs/**",
        "[a-c]",
        "?",
        "!*.md",
        "**/.env",
        "k[[:digit:]]",
        "*^*",
        "!a",
        "b/**/a",
        "**",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for case in 0..6 {
        let mut paths: Vec<Vec<u8>> = Vec::new();
        for _ in 0..14 {
            let depth = 1 + next(3);
            let parts: Vec<&str> = (0..depth).map(|_| NAMES[next(NAMES.len())]).collect();
            paths.push(parts.join("/").into_bytes());
        }
        // A path that is both a file and a directory prefix cannot exist: keep the first.
        paths.sort();
        paths.dedup();
        let mut kept: Vec<Vec<u8>> = Vec::new();
        for p in paths {
            let clash = kept.iter().any(|k| {
                p.starts_with(k) && p.get(k.len()) == Some(&b'/')
                    || k.starts_with(&p) && k.get(p.len()) == Some(&b'/')
            });
            if !clash {
                kept.push(p);
            }
        }
        let lines: Vec<&str> = (0..1 + next(6))
            .map(|_| PATTERNS[next(PATTERNS.len())])
            .collect();
        let ignore = format!("{}\n", lines.join("\n"));
        let mut nodes: Vec<Node> = kept
            .into_iter()
            .map(|p| Node::File(Box::leak(p.into_boxed_slice()), b"x"))
            .collect();
        nodes.push(Node::File(
            b".dockerignore",
            Box::leak(ignore.clone().into_bytes().into_boxed_slice()),
        ));
        eprintln!("generated case {case}: .dockerignore {ignore:?}");
        same_files(&format!("gen{case}"), &nodes);
    }
}

/// `--explain` reads the tree and `.dockerignore` only: it works with no engine at all.
#[test]
fn build_explain_says_what_the_context_holds_and_why() {
    let dir = tempfile::tempdir().unwrap();
    make_tree(
        dir.path(),
        &[
            Node::File(
                b"msv.toml",
                b"[service]\nname = \"explain\"\n\n[image]\nregistry = \"r\"\n",
            ),
            Node::File(b"Dockerfile", DOCKERFILE.as_bytes()),
            Node::File(
                b".dockerignore",
                b"# docs stay out\n**/*.md\n!docs\nnode_modules\n!node_modules/keep\n",
            ),
            Node::File(b"docs/a.md", b"a"),
            Node::File(b"docs/guide.txt", &[b'g'; 3000]),
            Node::File(b"node_modules/keep/index.js", b"k"),
            Node::File(b"node_modules/drop.js", b"d"),
            Node::File(b"big.bin", &[0; 5000]),
        ],
    );
    let explain = |args: &[&str]| {
        Test::new()
            .arg("build")
            .arg(dir.path())
            .args(args)
            .env("DOCKER_HOST", "unix:///nonexistent")
            .run()
    };
    explain(&["--explain"])
        .status(0)
        .stdout_has(": 6 files, 7.9 KiB (Dockerfile: Dockerfile)\n")
        .stdout_has("\n  big.bin           4.9 KiB       1 files\n  docs              2.9 KiB       1 files\n")
        .stdout_has("\n  node_modules          1 B       1 files\n")
        .stdout_has("largest files:\n     4.9 KiB  big.bin\n     2.9 KiB  docs/guide.txt\n");
    explain(&["--explain", "docs/a.md"])
        .status(0)
        .stdout_is("docs/a.md: not sent\n  excluded by .dockerignore line 2: **/*.md\n");
    explain(&["--explain", "node_modules/keep/index.js"])
        .status(0)
        .stdout_has("node_modules/keep/index.js: sent\n  re-included by .dockerignore line 5: !node_modules/keep\n")
        .stdout_has("matched the directory node_modules/keep");
    explain(&["--explain", "node_modules/drop.js"])
        .status(0)
        .stdout_has("excluded by .dockerignore line 4: node_modules")
        .stdout_has("matched the directory node_modules;");
    explain(&["--explain", "big.bin"])
        .status(0)
        .stdout_is("big.bin: sent\n  no .dockerignore pattern matches it\n");
    #[derive(serde::Deserialize)]
    struct Rule {
        source: String,
        pattern: String,
        exception: bool,
        matched: String,
    }
    #[derive(serde::Deserialize)]
    struct Report {
        path: String,
        sent: bool,
        rule: Option<Rule>,
        pruned_at: Option<String>,
    }
    let report: Report = explain(&["--explain", "docs/a.md", "-o", "json"])
        .status(0)
        .stdout_json();
    let rule = report.rule.expect("a rule decided");
    assert_eq!(
        (report.path.as_str(), report.sent, report.pruned_at),
        ("docs/a.md", false, None)
    );
    assert_eq!(
        (
            rule.source.as_str(),
            rule.pattern.as_str(),
            rule.exception,
            rule.matched.as_str()
        ),
        (".dockerignore line 2", "**/*.md", false, "docs/a.md")
    );
    // A bad pattern is refused with its line, as for a build.
    std::fs::write(dir.path().join(".dockerignore"), "ok\n\\q\n").unwrap();
    explain(&["--explain"])
        .status(2)
        .stderr_has(".dockerignore line 2");
}
