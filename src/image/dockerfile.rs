//! Which Dockerfile a build uses (`-f PATH`, anywhere in or outside the context) and which
//! ignore file goes with it.
//!
//! As BuildKit does, `<Dockerfile>.dockerignore` next to the Dockerfile takes precedence
//! over the context's `.dockerignore`; msv applies that choice with both builders because
//! it makes the context itself. A Dockerfile outside the context is sent inside it under
//! `.dockerfile.<hash of its contents>`, the way the docker CLI adds one. The matching of
//! ignore patterns is not here (see `dockerignore`).

use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;

/// The Dockerfile of a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// What the engine is told: the path inside the context, `/`-separated.
    pub name: String,
    /// The file's contents when it is outside the context and must be added to it.
    pub outside: Option<Vec<u8>>,
    /// The ignore file that applies (it may not exist).
    pub ignore_file: PathBuf,
    /// Where the Dockerfile is, for messages.
    pub path: PathBuf,
}

/// Finds the Dockerfile: `file` (relative to `cwd`, as the docker CLI reads `-f`) or
/// `Dockerfile` in the context `dir`.
pub fn locate(dir: &Path, file: Option<&Path>, cwd: &Path) -> Result<Dockerfile> {
    let path = match file {
        Some(file) if file.is_absolute() => file.to_path_buf(),
        Some(file) => cwd.join(file),
        // As the docker CLI: `dockerfile` in lower case when there is no `Dockerfile`.
        None => match dir.join("Dockerfile") {
            upper if upper.symlink_metadata().is_err() && dir.join("dockerfile").is_file() => {
                dir.join("dockerfile")
            }
            upper => upper,
        },
    };
    if !path.is_file() {
        match file {
            Some(_) => bail!(
                "-f {}: no such file; give the path of a Dockerfile, relative to the current directory",
                path.display()
            ),
            None => bail!(
                "no Dockerfile in {}: write one, run msv build in the service directory, or name one with -f",
                dir.display()
            ),
        }
    }
    let canon_dir = dir
        .canonicalize()
        .with_context(|| format!("reading {}", dir.display()))?;
    let canon = path
        .canonicalize()
        .with_context(|| format!("reading {}", path.display()))?;
    let ignore_file = ignore_file_for(&path, &canon_dir);
    match inside(&canon_dir, &canon) {
        Some(name) => Ok(Dockerfile {
            name,
            outside: None,
            ignore_file,
            path,
        }),
        None => {
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            Ok(Dockerfile {
                name: outside_name(&bytes),
                outside: Some(bytes),
                ignore_file,
                path,
            })
        }
    }
}

/// `<dockerfile>.dockerignore` when it exists, else the context's `.dockerignore`.
fn ignore_file_for(dockerfile: &Path, context: &Path) -> PathBuf {
    let mut own = dockerfile.as_os_str().to_owned();
    own.push(".dockerignore");
    let own = PathBuf::from(own);
    if own.is_file() {
        own
    } else {
        context.join(".dockerignore")
    }
}

/// The path of `file` inside `dir` (`/`-separated), or None when it is outside. Both are
/// canonical.
fn inside(dir: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(dir).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The name an outside Dockerfile gets in the context: stable for the same contents, so
/// an unchanged Dockerfile keeps the engine's cache.
fn outside_name(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let hex: String = digest.as_ref()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(".dockerfile.{hex}")
}

/// One tar entry (header and padded data, no end-of-archive marker) that puts an outside
/// Dockerfile into the context: sent before the context's own tar.
pub fn tar_entry(name: &str, bytes: &[u8]) -> Result<Bytes> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append_data(&mut header, name, bytes)
        .context("adding the Dockerfile to the build context")?;
    // Taken before the builder is finished, so that the context's tar can follow.
    Ok(Bytes::from(builder.get_ref().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dockerfile_in_the_context_is_named_by_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("docker")).unwrap();
        std::fs::write(root.join("docker/app.Dockerfile"), "FROM scratch\n").unwrap();
        let found = locate(&root, Some(Path::new("docker/app.Dockerfile")), &root).unwrap();
        assert_eq!(found.name, "docker/app.Dockerfile");
        assert_eq!(found.outside, None);
        assert_eq!(found.ignore_file, root.join(".dockerignore"));
    }

    #[test]
    fn a_dockerfile_outside_gets_a_content_name_and_its_own_ignore_file_wins() {
        let ctx = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let file = other.path().join("prod.Dockerfile");
        std::fs::write(&file, "FROM scratch\n").unwrap();
        std::fs::write(ctx.path().join(".dockerignore"), "x\n").unwrap();
        let found = locate(ctx.path(), Some(&file), ctx.path()).unwrap();
        assert!(found.name.starts_with(".dockerfile."), "{}", found.name);
        assert_eq!(found.name, outside_name(b"FROM scratch\n"));
        assert_eq!(found.outside.as_deref(), Some(&b"FROM scratch\n"[..]));
        assert!(found.ignore_file.ends_with(".dockerignore"));
        std::fs::write(other.path().join("prod.Dockerfile.dockerignore"), "y\n").unwrap();
        let found = locate(ctx.path(), Some(&file), ctx.path()).unwrap();
        assert_eq!(
            found.ignore_file,
            other.path().join("prod.Dockerfile.dockerignore")
        );
    }

    #[test]
    fn missing_dockerfiles_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let err = locate(dir.path(), None, dir.path()).unwrap_err();
        assert!(err.to_string().contains("name one with -f"), "{err}");
        let err = locate(dir.path(), Some(Path::new("nope")), dir.path()).unwrap_err();
        assert!(err.to_string().starts_with("-f "), "{err}");
    }

    #[test]
    fn paths_outside_are_not_inside() {
        assert_eq!(
            inside(Path::new("/a/b"), Path::new("/a/b/c/D")).as_deref(),
            Some("c/D")
        );
        assert_eq!(inside(Path::new("/a/b"), Path::new("/a/bc/D")), None);
        assert_eq!(inside(Path::new("/a/b"), Path::new("/a/D")), None);
    }

    #[test]
    fn the_tar_entry_reads_back_as_the_file() {
        let entry = tar_entry(".dockerfile.abc", b"FROM scratch\n").unwrap();
        assert_eq!(entry.len() % 512, 0);
        let mut with_end = entry.to_vec();
        with_end.extend_from_slice(&[0; 1024]);
        let mut archive = tar::Archive::new(&with_end[..]);
        let mut entries = archive.entries().unwrap();
        let mut first = entries.next().unwrap().unwrap();
        assert_eq!(first.path().unwrap().to_str(), Some(".dockerfile.abc"));
        let mut text = String::new();
        std::io::Read::read_to_string(&mut first, &mut text).unwrap();
        assert_eq!(text, "FROM scratch\n");
    }
}
