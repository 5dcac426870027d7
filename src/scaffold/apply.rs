//! Changing files inside an existing service all or nothing, for `msv update`. Every new
//! content is first written into a staging folder in `.msv/`; only when all of it is on
//! disk are files swapped in by rename, each replaced file moved into the staging folder
//! first, so a failure part way puts every file back. A new service is written by
//! `write.rs` instead (a whole folder renamed into place).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::lineage;
use super::render::Kind;

/// One file to change: its path under the service and its new content (`None`: delete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub after: Option<Kind>,
}

/// What `path` is in the service now, without following a symlink.
pub fn read_current(root: &Path, path: &str) -> anyhow::Result<Option<Kind>> {
    let full = root.join(path);
    let meta = match fs::symlink_metadata(&full) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // A file where a folder is expected (`a/b` when `a` is a file).
        Err(e) if e.raw_os_error() == Some(20) => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", full.display())),
    };
    if meta.file_type().is_symlink() {
        let target = fs::read_link(&full).with_context(|| format!("reading {}", full.display()))?;
        return Ok(Some(Kind::Symlink { target }));
    }
    if !meta.is_file() {
        return Ok(None);
    }
    let bytes = fs::read(&full).with_context(|| format!("reading {}", full.display()))?;
    Ok(Some(Kind::File {
        bytes,
        executable: meta.permissions().mode() & 0o111 != 0,
    }))
}

fn put(path: &Path, kind: &Kind) -> anyhow::Result<()> {
    match kind {
        Kind::File { bytes, executable } => {
            fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
            let mode = if *executable { 0o755 } else { 0o644 };
            fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
        }
        Kind::Symlink { target } => std::os::unix::fs::symlink(target, path)
            .with_context(|| format!("creating symlink {}", path.display()))?,
    }
    Ok(())
}

/// One swap done, so it can be undone.
struct Done {
    target: PathBuf,
    /// Where the previous file went.
    saved: Option<PathBuf>,
    placed: bool,
}

/// Applies `changes` to the service at `root`, all or nothing.
pub fn apply(root: &Path, changes: &[Change]) -> anyhow::Result<()> {
    let msv_dir = root.join(lineage::DIR);
    fs::create_dir_all(&msv_dir).with_context(|| format!("creating {}", msv_dir.display()))?;
    let staging = tempfile::Builder::new()
        .prefix("update-")
        .tempdir_in(&msv_dir)
        .with_context(|| format!("creating a staging folder in {}", msv_dir.display()))?;
    let (new_dir, old_dir) = (staging.path().join("new"), staging.path().join("old"));
    fs::create_dir(&new_dir)?;
    fs::create_dir(&old_dir)?;
    for (i, c) in changes.iter().enumerate() {
        if let Some(kind) = &c.after {
            put(&new_dir.join(i.to_string()), kind)
                .with_context(|| format!("staging {}", c.path))?;
        }
    }
    let mut done: Vec<Done> = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        for (i, c) in changes.iter().enumerate() {
            let target = root.join(&c.path);
            let mut step = Done {
                target: target.clone(),
                saved: None,
                placed: false,
            };
            if fs::symlink_metadata(&target).is_ok() {
                let saved = old_dir.join(i.to_string());
                fs::rename(&target, &saved)
                    .with_context(|| format!("moving {} aside", target.display()))?;
                step.saved = Some(saved);
            }
            let staged = new_dir.join(i.to_string());
            let placed = c.after.is_some().then(|| -> anyhow::Result<()> {
                if let Some(dir) = target.parent() {
                    fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                fs::rename(&staged, &target)
                    .with_context(|| format!("writing {}", target.display()))
            });
            step.placed = matches!(placed, Some(Ok(())));
            done.push(step);
            if let Some(Err(e)) = placed {
                return Err(e);
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        for step in done.iter().rev() {
            if step.placed {
                let _ = fs::remove_file(&step.target);
            }
            if let Some(saved) = &step.saved {
                let _ = fs::rename(saved, &step.target);
            }
        }
        return Err(e.context("nothing was changed"));
    }
    // Folders left empty by deletions go too, as git would not keep them.
    for c in changes.iter().filter(|c| c.after.is_none()) {
        let mut dir = root.join(&c.path);
        while let Some(parent) = dir.parent().map(Path::to_path_buf) {
            if parent == root || fs::remove_dir(&parent).is_err() {
                break;
            }
            dir = parent;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(s: &str) -> Option<Kind> {
        Some(Kind::File {
            bytes: s.as_bytes().to_vec(),
            executable: false,
        })
    }

    fn change(path: &str, after: Option<Kind>) -> Change {
        Change {
            path: path.into(),
            after,
        }
    }

    #[test]
    fn writes_replaces_and_deletes_and_leaves_no_staging() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("a"), "old").unwrap();
        fs::create_dir_all(d.path().join("gone/deep")).unwrap();
        fs::write(d.path().join("gone/deep/x"), "x").unwrap();
        apply(
            d.path(),
            &[
                change("a", file("new")),
                change("b/c", file("added")),
                change("gone/deep/x", None),
            ],
        )
        .unwrap();
        assert_eq!(fs::read_to_string(d.path().join("a")).unwrap(), "new");
        assert_eq!(fs::read_to_string(d.path().join("b/c")).unwrap(), "added");
        assert!(!d.path().join("gone").exists());
        assert_eq!(fs::read_dir(d.path().join(".msv")).unwrap().count(), 0);
    }

    #[test]
    fn a_failure_part_way_puts_every_file_back() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("a"), "old").unwrap();
        fs::write(d.path().join("f"), "a file").unwrap();
        // `f/x` cannot be written: `f` is a file.
        let err = apply(
            d.path(),
            &[change("a", file("new")), change("f/x", file("nope"))],
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("nothing was changed"),
            "{err:#}"
        );
        assert_eq!(fs::read_to_string(d.path().join("a")).unwrap(), "old");
        assert_eq!(fs::read_to_string(d.path().join("f")).unwrap(), "a file");
    }
}
