//! Where templates come from — embedded built-ins, a local folder, the user's template
//! folder in the XDG config directory, or a git URL (shallow clone) — and loading one into
//! memory as a list of entries. Loading never follows symlinks: they are kept as entries so
//! that the renderer can refuse the ones pointing outside the template.

use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use super::manifest::FILE_NAME;

/// Templates shipped inside the binary (release builds embed them; debug builds read the
/// source tree so template edits show up without a rebuild).
#[derive(rust_embed::Embed)]
#[folder = "templates/"]
struct Builtin;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "location")]
pub enum Origin {
    Builtin,
    User(PathBuf),
    Local(PathBuf),
    Git(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Builtin => f.write_str("built-in"),
            Origin::User(p) => write!(f, "user ({})", p.display()),
            Origin::Local(p) => write!(f, "local ({})", p.display()),
            Origin::Git(u) => write!(f, "git ({u})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File { bytes: Vec<u8>, executable: bool },
    Symlink { target: PathBuf },
}

/// One file of a template; `path` is relative, `/`-separated, before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub kind: EntryKind,
}

/// A template loaded into memory, manifest not yet parsed.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub name: String,
    pub origin: Origin,
    pub manifest_text: String,
    /// How the manifest is named in messages (a path when it has one).
    pub manifest_origin: String,
    pub entries: Vec<Entry>,
    /// The git commit loaded (git templates only).
    pub revision: Option<String>,
}

#[cfg(test)]
impl Loaded {
    /// A built-in-like template `t` from `(path, contents)` pairs, for unit tests.
    pub(crate) fn from_files(manifest: &str, files: &[(&str, &str)]) -> Loaded {
        Loaded {
            name: "t".into(),
            origin: Origin::Builtin,
            manifest_text: manifest.into(),
            manifest_origin: "t/template.toml".into(),
            entries: files
                .iter()
                .map(|(p, c)| Entry {
                    path: p.to_string(),
                    kind: EntryKind::File {
                        bytes: c.as_bytes().to_vec(),
                        executable: false,
                    },
                })
                .collect(),
            revision: None,
        }
    }
}

/// Is this `--template` value a git URL rather than a name or a folder?
pub fn is_git_url(spec: &str) -> bool {
    ["https://", "http://", "ssh://", "git://", "file://", "git@"]
        .iter()
        .any(|p| spec.starts_with(p))
        || (spec.ends_with(".git") && !Path::new(spec).is_dir())
}

/// Names of the built-in templates, sorted.
pub fn builtin_names() -> Vec<String> {
    let mut names: Vec<String> = Builtin::iter()
        .filter_map(|p| p.strip_suffix(&format!("/{FILE_NAME}")).map(str::to_string))
        .filter(|n| !n.contains('/'))
        .collect();
    names.sort();
    names
}

/// Names of the user's templates (folders with a template.toml), sorted.
pub fn user_names(user_dir: Option<&Path>) -> Vec<String> {
    let Some(dir) = user_dir else {
        return Vec::new();
    };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .filter(|e| e.path().join(FILE_NAME).is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

/// Loads a template by `--template` value: a git URL, a folder path, a user template name
/// (these shadow built-ins of the same name) or a built-in name.
pub fn load(spec: &str, user_dir: Option<&Path>) -> anyhow::Result<Loaded> {
    if is_git_url(spec) {
        return load_git(spec);
    }
    let as_path = Path::new(spec);
    if spec.contains('/') || spec.starts_with('.') || as_path.is_dir() {
        if !as_path.is_dir() {
            bail!("template folder {spec} does not exist");
        }
        let name = name_of_dir(as_path);
        return load_dir(as_path, name, Origin::Local(as_path.to_path_buf()));
    }
    if let Some(dir) = user_dir.map(|d| d.join(spec))
        && dir.join(FILE_NAME).is_file()
    {
        return load_dir(&dir, spec.to_string(), Origin::User(dir.clone()));
    }
    if let Some(t) = load_builtin(spec) {
        return Ok(t);
    }
    let mut known = builtin_names();
    known.extend(user_names(user_dir));
    bail!(
        "no template named {spec:?}; available: {} (or pass a folder path or a git URL)",
        known.join(", ")
    )
}

fn name_of_dir(dir: &Path) -> String {
    let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "template".into())
}

/// A built-in template from the embedded files.
pub fn load_builtin(name: &str) -> Option<Loaded> {
    let prefix = format!("{name}/");
    let mut manifest_text = None;
    let mut entries = Vec::new();
    for path in Builtin::iter() {
        let Some(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        let file = Builtin::get(&path)?;
        if rel == FILE_NAME {
            manifest_text = Some(String::from_utf8_lossy(&file.data).into_owned());
        } else {
            // Embedding keeps no permission bits; scripts under bin/ or named *.sh are the
            // only built-in files that need to run.
            let executable =
                rel.ends_with(".sh") || rel.ends_with(".sh.tera") || rel.starts_with("bin/");
            entries.push(Entry {
                path: rel.to_string(),
                kind: EntryKind::File {
                    bytes: file.data.into_owned(),
                    executable,
                },
            });
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Some(Loaded {
        name: name.to_string(),
        origin: Origin::Builtin,
        manifest_text: manifest_text?,
        manifest_origin: format!("{name}/{FILE_NAME}"),
        entries,
        revision: None,
    })
}

/// Loads a template folder from disk without following symlinks.
pub fn load_dir(dir: &Path, name: String, origin: Origin) -> anyhow::Result<Loaded> {
    let manifest_path = dir.join(FILE_NAME);
    let manifest_text = std::fs::read_to_string(&manifest_path).with_context(|| {
        format!(
            "reading {} (a template folder needs a {FILE_NAME})",
            manifest_path.display()
        )
    })?;
    let mut entries = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .min_depth(1);
    for item in walker
        .into_iter()
        .filter_entry(|e| !(e.depth() == 1 && e.file_name() == ".git"))
    {
        let item = item.with_context(|| format!("reading template folder {}", dir.display()))?;
        let rel = item
            .path()
            .strip_prefix(dir)
            .expect("walkdir yields paths under its root");
        let rel_str = rel
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<Vec<_>>>()
            .with_context(|| format!("{}: file names must be UTF-8", item.path().display()))?
            .join("/");
        if rel_str == FILE_NAME {
            continue;
        }
        let ft = item.file_type();
        let kind = if ft.is_symlink() {
            let target = std::fs::read_link(item.path())
                .with_context(|| format!("reading symlink {}", item.path().display()))?;
            EntryKind::Symlink { target }
        } else if ft.is_file() {
            let bytes = std::fs::read(item.path())
                .with_context(|| format!("reading {}", item.path().display()))?;
            let mode = item.metadata()?.permissions().mode();
            EntryKind::File {
                bytes,
                executable: mode & 0o111 != 0,
            }
        } else {
            continue;
        };
        entries.push(Entry {
            path: rel_str,
            kind,
        });
    }
    Ok(Loaded {
        name,
        origin,
        manifest_text,
        manifest_origin: manifest_path.display().to_string(),
        entries,
        revision: None,
    })
}

/// Shallow-clones a git URL into a temporary folder and loads it. The `git` executable is
/// used (rather than a git library) so that the user's credential helpers, SSH config and
/// URL rewrites apply exactly as they do for their own clones.
pub fn load_git(url: &str) -> anyhow::Result<Loaded> {
    load_git_at(url, None)
}

/// Like [`load_git`], at `rev` (a branch, tag or commit) when given; a commit needs the
/// history, so that case clones without `--depth`.
pub fn load_git_at(url: &str, rev: Option<&str>) -> anyhow::Result<Loaded> {
    let tmp = tempfile::Builder::new().prefix("msv-template-").tempdir()?;
    let dest = tmp.path().join("t");
    let run = |cmd: &mut Command, what: String| -> anyhow::Result<()> {
        let out = cmd
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(std::process::Stdio::null())
            .output()
            .context("running git (is it installed?)")?;
        if !out.status.success() {
            bail!(
                "{what} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    };
    match rev {
        None => run(
            Command::new("git")
                .args(["clone", "--depth", "1", "--quiet", "--", url])
                .arg(&dest),
            format!("git clone --depth 1 {url}"),
        )?,
        Some(rev) => {
            if rev.starts_with('-') || rev.is_empty() {
                bail!("{rev:?} is not a branch, tag or commit name");
            }
            run(
                Command::new("git")
                    .args(["clone", "--quiet", "--no-checkout", "--", url])
                    .arg(&dest),
                format!("git clone {url}"),
            )?;
            run(
                Command::new("git")
                    .arg("-C")
                    .arg(&dest)
                    .args(["checkout", "--quiet", rev]),
                format!("checking out {rev} of {url} (is it a branch, tag or commit there?)"),
            )?;
        }
    }
    let base = url.trim_end_matches('/').trim_end_matches(".git");
    let name = base
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("template")
        .to_string();
    let mut t = load_dir(&dest, name, Origin::Git(url.to_string()))?;
    t.manifest_origin = format!("{url}: {FILE_NAME}");
    let head = Command::new("git")
        .arg("-C")
        .arg(&dest)
        .args(["rev-parse", "HEAD"])
        .stdin(std::process::Stdio::null())
        .output()
        .context("running git rev-parse")?;
    if head.status.success() {
        t.revision = Some(String::from_utf8_lossy(&head.stdout).trim().to_string());
    }
    Ok(t)
}

/// Resolves a symlink target lexically against the link's folder; `None` when it leaves the
/// template root (absolute, or too many `..`).
pub fn symlink_stays_inside(link_path: &str, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth: i64 = link_path.split('/').count() as i64 - 1;
    for c in target.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_urls_are_recognized() {
        assert!(is_git_url("https://example.com/t.git"));
        assert!(is_git_url("file:///tmp/repo"));
        assert!(is_git_url("git@host:org/t.git"));
        assert!(!is_git_url("rust-axum"));
        assert!(!is_git_url("./my-template"));
    }

    #[test]
    fn symlink_containment() {
        assert!(symlink_stays_inside("a/link", Path::new("../b/file")));
        assert!(symlink_stays_inside("link", Path::new("sub/./x")));
        assert!(!symlink_stays_inside("link", Path::new("../outside")));
        assert!(!symlink_stays_inside("a/link", Path::new("../../x")));
        assert!(!symlink_stays_inside("link", Path::new("/etc/passwd")));
        assert!(!symlink_stays_inside("a/link", Path::new("x/../../../y")));
    }

    #[test]
    fn local_folder_loads_files_and_symlinks_without_following() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(FILE_NAME), "[template]\ndescription='x'\n").unwrap();
        std::fs::create_dir(d.path().join("bin")).unwrap();
        std::fs::write(d.path().join("bin/run"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(
            d.path().join("bin/run"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::os::unix::fs::symlink("/etc/passwd", d.path().join("leak")).unwrap();
        std::fs::create_dir(d.path().join(".git")).unwrap();
        std::fs::write(d.path().join(".git/HEAD"), "x").unwrap();
        let t = load_dir(d.path(), "x".into(), Origin::Local(d.path().into())).unwrap();
        let paths: Vec<&str> = t.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["bin/run", "leak"]);
        assert!(matches!(
            t.entries[0].kind,
            EntryKind::File {
                executable: true,
                ..
            }
        ));
        assert_eq!(
            t.entries[1].kind,
            EntryKind::Symlink {
                target: "/etc/passwd".into()
            }
        );
    }
}
