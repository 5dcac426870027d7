//! Putting a rendered tree on disk safely: everything is written into a temporary folder
//! beside the target and renamed into place only when complete, so a failure leaves
//! nothing behind. An existing non-empty target is refused unless `force`; with `force`
//! the old folder is moved aside (never deleted) and its new name is reported.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::render::{Kind, Output};

/// What `write_tree` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub files: usize,
    /// Where the previous contents of the target went (only with `force`).
    pub backup: Option<PathBuf>,
}

/// Is `dir` missing or an empty folder? Errors when it exists but is not a folder.
pub fn target_state(dir: &Path) -> anyhow::Result<Option<usize>> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("checking {}", dir.display())),
        Ok(m) if m.is_dir() => Ok(Some(fs::read_dir(dir)?.count())),
        Ok(_) => bail!("{} exists and is not a folder; choose another --dir", dir.display()),
    }
}

/// Writes `outputs` to `target` (see the module docs for the guarantees).
pub fn write_tree(target: &Path, outputs: &[Output], force: bool) -> anyhow::Result<Written> {
    let existing = target_state(target)?;
    if let Some(n) = existing
        && n > 0
        && !force
    {
        bail!(
            "{} already exists and is not empty ({n} entries); choose another name or --dir, \
             or pass --force to replace it (the old folder is kept beside it as a backup)",
            target.display()
        );
    }
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let file_name = target.file_name().context("the output path has no folder name")?.to_string_lossy().into_owned();
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{file_name}.msv-new-"))
        .tempdir_in(&parent)
        .with_context(|| format!("creating a temporary folder in {}", parent.display()))?;
    fill(staging.path(), outputs)?;

    let mut backup = None;
    match existing {
        Some(0) => fs::remove_dir(target).with_context(|| format!("replacing empty {}", target.display()))?,
        Some(_) => {
            let aside = unique_backup(&parent, &file_name);
            fs::rename(target, &aside).with_context(|| format!("moving {} aside", target.display()))?;
            backup = Some(aside);
        }
        None => {}
    }
    let staged = staging.keep();
    if let Err(e) = fs::rename(&staged, target) {
        if let Some(b) = &backup {
            let _ = fs::rename(b, target);
        }
        let _ = fs::remove_dir_all(&staged);
        return Err(e).with_context(|| format!("moving the generated files to {}", target.display()));
    }
    Ok(Written { files: outputs.len(), backup })
}

fn unique_backup(parent: &Path, name: &str) -> PathBuf {
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
    let mut candidate = parent.join(format!("{name}.msv-backup-{stamp}"));
    let mut i = 1;
    while candidate.exists() {
        candidate = parent.join(format!("{name}.msv-backup-{stamp}-{i}"));
        i += 1;
    }
    candidate
}

fn fill(root: &Path, outputs: &[Output]) -> anyhow::Result<()> {
    // Files first, symlinks last: no write can then pass through a link.
    for o in outputs.iter().filter(|o| matches!(o.kind, Kind::File { .. })) {
        let Kind::File { bytes, executable } = &o.kind else { unreachable!() };
        let path = root.join(&o.path);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        if *executable {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
        }
    }
    for o in &outputs.iter().filter(|o| matches!(o.kind, Kind::Symlink { .. })).collect::<Vec<_>>() {
        let Kind::Symlink { target } = &o.kind else { unreachable!() };
        let path = root.join(&o.path);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        std::os::unix::fs::symlink(target, &path).with_context(|| format!("creating symlink {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(p: &str, c: &str) -> Output {
        Output { path: p.into(), kind: Kind::File { bytes: c.as_bytes().to_vec(), executable: p.ends_with(".sh") } }
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn writes_new_tree_and_leaves_no_staging() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("svc");
        let w = write_tree(&target, &[file("a/b.txt", "x"), file("run.sh", "#!")], false).unwrap();
        assert_eq!(w, Written { files: 2, backup: None });
        assert_eq!(fs::read_to_string(target.join("a/b.txt")).unwrap(), "x");
        assert_eq!(fs::metadata(target.join("run.sh")).unwrap().permissions().mode() & 0o777, 0o755);
        assert_eq!(leftovers(d.path()), ["svc"]);
    }

    #[test]
    fn refuses_non_empty_target_without_force_and_keeps_it_with_force() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("svc");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("mine.txt"), "keep me").unwrap();
        let err = write_tree(&target, &[file("new.txt", "n")], false).unwrap_err().to_string();
        assert!(err.contains("already exists and is not empty (1 entries)"), "{err}");
        assert_eq!(leftovers(&target), ["mine.txt"]);

        let w = write_tree(&target, &[file("new.txt", "n")], true).unwrap();
        let backup = w.backup.unwrap();
        assert_eq!(fs::read_to_string(backup.join("mine.txt")).unwrap(), "keep me");
        assert_eq!(leftovers(&target), ["new.txt"]);
    }

    #[test]
    fn empty_target_is_reused() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("svc");
        fs::create_dir(&target).unwrap();
        write_tree(&target, &[file("f", "1")], false).unwrap();
        assert_eq!(leftovers(&target), ["f"]);
    }

    #[test]
    fn failure_leaves_nothing_behind() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("svc");
        // A file and a folder under the same name cannot both be written.
        let err = write_tree(&target, &[file("x", "1"), file("x/y", "2")], false);
        assert!(err.is_err());
        assert!(leftovers(d.path()).is_empty(), "{:?}", leftovers(d.path()));
    }
}
