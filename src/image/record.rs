//! The last built and the last pushed image of a service, kept in its `.msv/image.json`
//! so that `msv push` and `msv deploy` use exactly what was built.
//!
//! `.msv/` carries its own `.gitignore` (`*`) instead of an edit to the service's
//! `.gitignore`: it is ignored whether or not the service has one, and msv never rewrites
//! a file the user owns. The record is written to a temporary file and renamed, so an
//! interrupted command leaves the previous record whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The directory name msv keeps its per-service state in.
pub const STATE_DIR: &str = ".msv";
const FILE: &str = "image.json";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub built: Option<Built>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed: Option<Pushed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Built {
    /// The primary tag, `<repository>:<revision>`.
    pub reference: String,
    pub tags: Vec<String>,
    /// The engine's image ID (`sha256:...`).
    pub id: String,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pushed {
    /// The tag that was pushed.
    pub reference: String,
    /// The manifest digest the registry returned (`sha256:...`).
    pub digest: String,
    /// `<repository>@<digest>`: what a deploy should run.
    pub pinned: String,
    pub image_id: String,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(STATE_DIR).join(FILE)
}

/// Reads the record of the service in `dir`; none yet is an empty record.
pub fn load(dir: &Path) -> Result<Record> {
    let file = path(dir);
    match std::fs::read_to_string(&file) {
        Ok(text) => serde_json::from_str(&text).with_context(|| {
            format!(
                "reading {}: not a record msv wrote; delete it and build again",
                file.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Record::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", file.display())),
    }
}

/// The last pushed image of the service in `dir`, if any.
pub fn last_pushed(dir: &Path) -> Result<Option<Pushed>> {
    Ok(load(dir)?.pushed)
}

/// The last built image of the service in `dir`, if any.
pub fn last_built(dir: &Path) -> Result<Option<Built>> {
    Ok(load(dir)?.built)
}

/// Replaces the record with what `change` makes of it, atomically.
pub fn update(dir: &Path, change: impl FnOnce(&mut Record)) -> Result<Record> {
    let mut record = load(dir)?;
    change(&mut record);
    let state = dir.join(STATE_DIR);
    std::fs::create_dir_all(&state).with_context(|| format!("creating {}", state.display()))?;
    let ignore = state.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "*\n").with_context(|| format!("writing {}", ignore.display()))?;
    }
    let file = path(dir);
    let mut tmp = tempfile::NamedTempFile::new_in(&state)
        .with_context(|| format!("writing in {}", state.display()))?;
    serde_json::to_writer_pretty(&mut tmp, &record)?;
    tmp.write_all(b"\n")?;
    tmp.as_file().sync_all()?;
    tmp.persist(&file)
        .with_context(|| format!("writing {}", file.display()))?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_both_halves_and_ignores_itself() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), Record::default());
        let built = Built {
            reference: "r/a:1".into(),
            tags: vec!["r/a:1".into()],
            id: "sha256:1".into(),
            created: "now".into(),
        };
        update(dir.path(), |r| r.built = Some(built.clone())).unwrap();
        let pushed = Pushed {
            reference: "r/a:1".into(),
            digest: "sha256:2".into(),
            pinned: "r/a@sha256:2".into(),
            image_id: "sha256:1".into(),
        };
        update(dir.path(), |r| r.pushed = Some(pushed.clone())).unwrap();
        assert_eq!(last_built(dir.path()).unwrap(), Some(built));
        assert_eq!(last_pushed(dir.path()).unwrap(), Some(pushed));
        let ignore = std::fs::read_to_string(dir.path().join(".msv/.gitignore")).unwrap();
        assert_eq!(ignore, "*\n");
        let leftovers = std::fs::read_dir(dir.path().join(".msv")).unwrap().count();
        assert_eq!(leftovers, 2, "no temporary files left behind");
    }

    #[test]
    fn a_damaged_record_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".msv")).unwrap();
        std::fs::write(dir.path().join(".msv/image.json"), "{oops").unwrap();
        let err = format!("{:#}", load(dir.path()).unwrap_err());
        assert!(err.contains(".msv/image.json"), "{err}");
    }
}
