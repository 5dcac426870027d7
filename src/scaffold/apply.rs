//! Changing files inside an existing service all or nothing, for `msv update`. Every new
//! content is first written into a staging folder in `.msv/`; only when all of it is on
//! disk are files swapped in by rename, each replaced file moved into the staging folder
//! first, so a failure part way puts every file back. A new service is written by
//! `write.rs` instead (a whole folder renamed into place).
//!
//! A process killed part way (SIGKILL, a power cut) cannot put anything back itself, so the
//! staging folder is also a journal: once every new content is staged, `journal.json` lists
//! the changes; it is removed when the last swap is done, which is the commit point. The
//! next update finds the folder ([`recover`]) and, if the journal is still there, undoes
//! the swaps already made, so the service is again exactly as it was; without a journal
//! nothing had been swapped (or everything had) and the folder is only removed. A running
//! update holds a lock on its folder (released by the kernel however the process ends), so
//! a second msv never takes a live update for a dead one.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::lineage;
use super::render::Kind;
use crate::exit::Failure;

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

/// Staging folders are `.msv/staging-*`.
const STAGING_PREFIX: &str = "staging-";
const JOURNAL: &str = "journal.json";
const LOCK: &str = "lock";

/// One line of the journal: a path and whether it gets new content (else it is deleted).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Entry {
    path: String,
    written: bool,
}

/// Applies `changes` to the service at `root`, all or nothing.
pub fn apply(root: &Path, changes: &[Change]) -> anyhow::Result<()> {
    let msv_dir = root.join(lineage::DIR);
    fs::create_dir_all(&msv_dir).with_context(|| format!("creating {}", msv_dir.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(&msv_dir)
        .with_context(|| format!("creating a staging folder in {}", msv_dir.display()))?;
    // Held until this function returns: the folder is live.
    let lock = fs::File::create(staging.path().join(LOCK))?;
    lock.try_lock()
        .with_context(|| format!("locking {}", staging.path().display()))?;
    let (new_dir, old_dir) = (staging.path().join("new"), staging.path().join("old"));
    fs::create_dir(&new_dir)?;
    fs::create_dir(&old_dir)?;
    for (i, c) in changes.iter().enumerate() {
        if let Some(kind) = &c.after {
            put(&new_dir.join(i.to_string()), kind)
                .with_context(|| format!("staging {}", c.path))?;
        }
    }
    let journal: Vec<Entry> = changes
        .iter()
        .map(|c| Entry {
            path: c.path.clone(),
            written: c.after.is_some(),
        })
        .collect();
    let journal_path = staging.path().join(JOURNAL);
    let partial = staging.path().join("journal.partial");
    fs::write(&partial, serde_json::to_vec(&journal)?)
        .and_then(|()| fs::File::open(&partial)?.sync_all())
        .and_then(|()| fs::rename(&partial, &journal_path))
        .with_context(|| format!("writing {}", journal_path.display()))?;
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
    // The commit point: from here a leftover staging folder is only litter.
    fs::remove_file(&journal_path)
        .with_context(|| format!("removing {}", journal_path.display()))?;
    // Folders left empty by deletions go too, as git would not keep them.
    for c in changes.iter().filter(|c| c.after.is_none()) {
        prune_empty_parents(root, &c.path);
    }
    Ok(())
}

/// Removes the folders above `path` that are empty, up to `root`.
fn prune_empty_parents(root: &Path, path: &str) {
    let mut dir = root.join(path);
    while let Some(parent) = dir.parent().map(Path::to_path_buf) {
        if parent == root || fs::remove_dir(&parent).is_err() {
            break;
        }
        dir = parent;
    }
}

/// What [`recover`] found: a staging folder left by a process that was killed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub staging: PathBuf,
    /// The files put back as they were before that update (empty: it had not swapped any,
    /// or had swapped them all).
    pub restored: Vec<String>,
}

/// Finds staging folders left in `root/.msv` by an update that was killed, undoes the
/// swaps of one that had not reached its commit point, and removes them.
pub fn recover(root: &Path) -> anyhow::Result<Vec<Recovered>> {
    let msv_dir = root.join(lineage::DIR);
    let Ok(entries) = fs::read_dir(&msv_dir) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for e in entries {
        let e = e.with_context(|| format!("reading {}", msv_dir.display()))?;
        if !e.file_name().to_string_lossy().starts_with(STAGING_PREFIX) {
            continue;
        }
        let staging = e.path();
        let _held = match fs::File::open(staging.join(LOCK)) {
            Ok(lock) => match lock.try_lock() {
                Ok(()) => Some(lock),
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(Failure::refused(format!(
                        "another msv is updating {} right now ({}); wait for it to finish",
                        root.display(),
                        staging.display()
                    )));
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("locking {}", staging.display()));
                }
            },
            Err(_) => None, // killed before it could lock: nothing was swapped
        };
        let restored = roll_back(root, &staging).with_context(|| {
            format!(
                "putting back the files of an interrupted update from {}; \
                 msv left it as it was, so the files can be restored from it or from git",
                staging.display()
            )
        })?;
        fs::remove_dir_all(&staging).with_context(|| format!("removing {}", staging.display()))?;
        found.push(Recovered { staging, restored });
    }
    Ok(found)
}

/// Undoes the swaps a killed [`apply`] made, from its journal; the paths put back.
fn roll_back(root: &Path, staging: &Path) -> anyhow::Result<Vec<String>> {
    let journal_path = staging.join(JOURNAL);
    let text = match fs::read(&journal_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", journal_path.display())),
    };
    let journal: Vec<Entry> = serde_json::from_slice(&text)
        .with_context(|| format!("reading {}", journal_path.display()))?;
    let exists = |p: &Path| fs::symlink_metadata(p).is_ok();
    let mut restored = Vec::new();
    for (i, entry) in journal.iter().enumerate().rev() {
        let target = root.join(&entry.path);
        let (staged, saved) = (
            staging.join("new").join(i.to_string()),
            staging.join("old").join(i.to_string()),
        );
        let placed = entry.written && !exists(&staged) && exists(&target);
        if placed {
            fs::remove_file(&target).with_context(|| format!("removing {}", target.display()))?;
        }
        let was_there = exists(&saved);
        if was_there {
            fs::rename(&saved, &target)
                .with_context(|| format!("putting back {}", target.display()))?;
        } else if placed {
            prune_empty_parents(root, &entry.path);
        }
        if placed || was_there {
            restored.push(entry.path.clone());
        }
    }
    restored.reverse();
    Ok(restored)
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

    /// A staging folder as an `apply` killed after its first two swaps leaves it.
    fn killed_after_two_swaps(root: &Path) -> PathBuf {
        let staging = root.join(".msv/staging-x");
        fs::create_dir_all(staging.join("new")).unwrap();
        fs::create_dir_all(staging.join("old")).unwrap();
        let journal = r#"[{"path":"a","written":true},{"path":"d/b","written":true},{"path":"c","written":false}]"#;
        fs::write(staging.join(JOURNAL), journal).unwrap();
        fs::write(root.join("a"), "new").unwrap();
        fs::write(staging.join("old/0"), "old").unwrap();
        fs::create_dir_all(root.join("d")).unwrap();
        fs::write(root.join("d/b"), "added").unwrap();
        fs::write(root.join("c"), "c").unwrap();
        staging
    }

    #[test]
    fn a_killed_update_is_rolled_back_from_its_journal() {
        let d = tempfile::tempdir().unwrap();
        let staging = killed_after_two_swaps(d.path());
        let found = recover(d.path()).unwrap();
        assert_eq!(
            found,
            [Recovered {
                staging,
                restored: vec!["a".into(), "d/b".into()]
            }]
        );
        assert_eq!(fs::read_to_string(d.path().join("a")).unwrap(), "old");
        assert!(
            !d.path().join("d").exists(),
            "the added file and its folder go"
        );
        assert_eq!(fs::read_to_string(d.path().join("c")).unwrap(), "c");
        assert_eq!(fs::read_dir(d.path().join(".msv")).unwrap().count(), 0);
        assert!(recover(d.path()).unwrap().is_empty());
    }

    #[test]
    fn a_staging_folder_without_a_journal_is_only_removed() {
        let d = tempfile::tempdir().unwrap();
        let staging = killed_after_two_swaps(d.path());
        fs::remove_file(staging.join(JOURNAL)).unwrap();
        let found = recover(d.path()).unwrap();
        assert_eq!(found[0].restored, Vec::<String>::new());
        assert_eq!(fs::read_to_string(d.path().join("a")).unwrap(), "new");
        assert!(!staging.exists());
    }

    #[test]
    fn a_staging_folder_in_use_is_left_alone() {
        let d = tempfile::tempdir().unwrap();
        let staging = killed_after_two_swaps(d.path());
        let lock = fs::File::create(staging.join(LOCK)).unwrap();
        lock.try_lock().unwrap();
        let err = recover(d.path()).unwrap_err();
        assert!(
            format!("{err:#}").contains("another msv is updating"),
            "{err:#}"
        );
        assert_eq!(fs::read_to_string(d.path().join("a")).unwrap(), "new");
        drop(lock);
        recover(d.path()).unwrap();
        assert_eq!(fs::read_to_string(d.path().join("a")).unwrap(), "old");
    }
}
