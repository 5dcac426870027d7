//! Finding a service's workspace and its members: the msv.toml with `[workspace]` in the
//! service's directory or above it, and the member directories its globs name.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use globset::{GlobBuilder, GlobSetBuilder};

use super::MANIFEST;
use super::layers::read_layer;
use super::members::WorkspaceSection;
use super::schema::Layer;

/// A workspace as its root's msv.toml declares it.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The root's msv.toml.
    pub file: PathBuf,
    /// The member globs, relative to the root, as written.
    pub members: Vec<String>,
    /// `[workspace.defaults]`: what members inherit beneath their own msv.toml.
    pub defaults: Layer,
}

impl Workspace {
    /// The directory holding the workspace's msv.toml.
    pub fn root(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new("."))
    }

    /// The member directories, sorted: each literal entry must hold an msv.toml; a glob
    /// names the directories it matches that hold one (`services/*`, `apps/**`).
    pub fn member_dirs(&self) -> anyhow::Result<Vec<PathBuf>> {
        let root = self.root();
        let mut dirs = vec![];
        let mut globs = GlobSetBuilder::new();
        let mut depth = 0;
        for pattern in &self.members {
            let pattern = pattern.trim_end_matches('/');
            if pattern.starts_with('/') || pattern.split('/').any(|p| p == "..") {
                bail!(
                    "{}: workspace member {pattern:?} is outside the workspace; members are directories under {}",
                    self.file.display(),
                    root.display()
                );
            }
            if !pattern.contains(['*', '?', '[', '{']) {
                let dir = root.join(pattern);
                if !dir.join(MANIFEST).is_file() {
                    bail!(
                        "{}: workspace member {pattern:?} has no {MANIFEST} ({} is missing); create the service there or remove it from [workspace] members",
                        self.file.display(),
                        dir.join(MANIFEST).display()
                    );
                }
                dirs.push(dir);
                continue;
            }
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .with_context(|| {
                    format!(
                        "{}: workspace member {pattern:?} is not a valid glob",
                        self.file.display()
                    )
                })?;
            depth = match pattern.contains("**") {
                true => usize::MAX,
                false => depth.max(pattern.split('/').count()),
            };
            globs.add(glob);
        }
        let globs = globs.build()?;
        if depth > 0 {
            let walk = walkdir::WalkDir::new(root)
                .min_depth(1)
                .max_depth(depth)
                .sort_by_file_name()
                .into_iter()
                // Hidden directories (.git, .msv) and what builds leave are never members.
                .filter_entry(|e| {
                    let name = e.file_name().to_string_lossy();
                    e.file_type().is_dir()
                        && !name.starts_with('.')
                        && !matches!(name.as_ref(), "target" | "node_modules")
                });
            for entry in walk {
                let entry = entry?;
                let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
                if globs.is_match(rel) && entry.path().join(MANIFEST).is_file() {
                    dirs.push(entry.path().to_path_buf());
                }
            }
        }
        dirs.sort();
        dirs.dedup();
        Ok(dirs)
    }

    /// Whether the service in `dir` is one of the members.
    pub fn has_member(&self, dir: &Path) -> anyhow::Result<bool> {
        let dir = std::path::absolute(dir)?;
        Ok(self.member_dirs()?.contains(&dir))
    }
}

/// Reads `file` when it is a workspace root: `Some` with the workspace and what else the
/// file sets (`None` when it has no `[workspace]`, and then its layer as read).
pub(super) fn read(file: &Path) -> anyhow::Result<(Layer, Option<Workspace>)> {
    let mut layer = read_layer(file)?;
    let Some(section) = layer.workspace.take() else {
        return Ok((layer, None));
    };
    let WorkspaceSection { members, defaults } = section;
    let defaults = defaults.map(|d| *d).unwrap_or_default();
    let stray = [
        ("service", layer.service.is_some()),
        ("image", layer.image.is_some()),
        ("deploy", layer.deploy.is_some()),
        ("kubernetes", layer.kubernetes.is_some()),
        ("traces", layer.traces.is_some()),
    ];
    if let Some((section, _)) = stray.iter().find(|(_, set)| *set) {
        bail!(
            "{}: a workspace's {MANIFEST} holds [workspace] only, but it also has [{section}]; move it under [workspace.defaults.{section}] for every member, or into a member's own {MANIFEST}",
            file.display()
        );
    }
    if defaults.workspace.is_some() {
        bail!(
            "{}: [workspace.defaults] cannot hold another [workspace]",
            file.display()
        );
    }
    if defaults
        .service
        .as_ref()
        .is_some_and(|s| s.name.is_some() || s.depends_on.is_some())
    {
        bail!(
            "{}: [workspace.defaults.service] cannot set name or depends_on: each member names itself and its dependencies in its own {MANIFEST}",
            file.display()
        );
    }
    Ok((
        Layer::default(),
        Some(Workspace {
            file: std::path::absolute(file)?,
            members,
            defaults,
        }),
    ))
}

/// The workspace a service's msv.toml (in `service_dir`) belongs to: the nearest msv.toml
/// with `[workspace]` above it. A service under a workspace that does not list it is an
/// error, as in Cargo: it would otherwise silently miss the defaults its neighbours get.
pub(super) fn enclosing(service_dir: &Path) -> anyhow::Result<Option<Workspace>> {
    let service_dir = std::path::absolute(service_dir)?;
    for dir in service_dir.ancestors().skip(1) {
        let file = dir.join(MANIFEST);
        if !file.is_file() {
            continue;
        }
        let (_, ws) = read(&file)?;
        let Some(ws) = ws else {
            continue;
        };
        if !ws.has_member(&service_dir)? {
            bail!(
                "{} is inside the workspace of {} but is not one of its members; add its directory to [workspace] members there",
                service_dir.join(MANIFEST).display(),
                file.display()
            );
        }
        return Ok(Some(ws));
    }
    Ok(None)
}

/// Where [`join`] left a new service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The workspace's msv.toml.
    pub file: PathBuf,
    /// The entry added to `members`; `None` when a glob already covered the service.
    pub added: Option<String>,
}

/// Make the service just created in `dir` a member of the workspace it sits in, if any:
/// its path is appended to `[workspace] members` unless a glob there covers it already.
/// The file is rewritten whole (temporary file, then rename), and only if the result
/// lists the service; comments and layout elsewhere in it are kept.
pub fn join(dir: &Path) -> anyhow::Result<Option<Joined>> {
    let dir = std::path::absolute(dir)?;
    let Some((file, ws)) = dir.ancestors().skip(1).find_map(|d| {
        let file = d.join(MANIFEST);
        file.is_file()
            .then(|| read(&file).ok().and_then(|(_, ws)| ws).map(|ws| (file, ws)))
            .flatten()
    }) else {
        return Ok(None);
    };
    if ws.has_member(&dir)? {
        return Ok(Some(Joined { file, added: None }));
    }
    let rel = dir
        .strip_prefix(ws.root())
        .unwrap_or(&dir)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let text = std::fs::read_to_string(&file)?;
    let edited = with_member(&text, &rel).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: could not find the [workspace] members list to add {rel:?} to; add it by hand",
            file.display()
        )
    })?;
    let parent = file.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(parent)?;
    std::io::Write::write_all(&mut tmp, edited.as_bytes())?;
    tmp.persist(&file)?;
    Ok(Some(Joined {
        file,
        added: Some(rel),
    }))
}

/// `text` with `entry` appended to the `members` array of its `[workspace]` table; `None`
/// when there is no such array.
fn with_member(text: &str, entry: &str) -> Option<String> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let (_, ws) = root
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == "workspace")?;
    let toml::de::DeValue::Table(ws) = ws.get_ref() else {
        return None;
    };
    let (_, members) = ws.iter().find(|(k, _)| k.get_ref().as_ref() == "members")?;
    if !matches!(members.get_ref(), toml::de::DeValue::Array(_)) {
        return None;
    }
    let span = members.span();
    let close = text[..span.end].rfind(']')?;
    let before = text[span.start..close].trim_end();
    let quoted = toml::Value::String(entry.to_string()).to_string();
    let insert = match before.chars().last() {
        Some('[') => quoted,
        Some(',') => format!(" {quoted}"),
        _ => format!(", {quoted}"),
    };
    let at = span.start + before.len();
    Some(format!("{}{insert}{}", &text[..at], &text[at..]))
}

#[cfg(test)]
mod join_tests {
    use super::*;

    #[test]
    fn a_member_is_appended_to_the_list_as_written() {
        let cases = [
            (
                "[workspace]\nmembers = []\n",
                "[workspace]\nmembers = [\"b\"]\n",
            ),
            (
                "[workspace]\nmembers = [\"a\"] # ours\n",
                "[workspace]\nmembers = [\"a\", \"b\"] # ours\n",
            ),
            (
                "# top\n[workspace]\nmembers = [\n  \"a\",\n]\n[workspace.defaults.deploy]\ntimeout = \"1m\"\n",
                "# top\n[workspace]\nmembers = [\n  \"a\", \"b\"\n]\n[workspace.defaults.deploy]\ntimeout = \"1m\"\n",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(with_member(text, "b").as_deref(), Some(want), "{text}");
        }
        assert_eq!(with_member("[service]\nname = \"x\"\n", "b"), None);
    }

    #[test]
    fn a_new_service_joins_its_workspace_unless_a_glob_covers_it() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join(MANIFEST);
        std::fs::write(&file, "[workspace]\nmembers = [\"services/*\"]\n").unwrap();
        for dir in ["services/a", "tools/b"] {
            let d = tmp.path().join(dir);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(MANIFEST), "[service]\nname = \"x\"\n").unwrap();
        }
        let covered = join(&tmp.path().join("services/a")).unwrap().unwrap();
        assert_eq!(covered.added, None);
        let added = join(&tmp.path().join("tools/b")).unwrap().unwrap();
        assert_eq!(added.added.as_deref(), Some("tools/b"));
        let (_, ws) = read(&file).unwrap();
        assert_eq!(ws.unwrap().members, ["services/*", "tools/b"]);
        let outside = tempfile::tempdir().unwrap();
        assert_eq!(join(outside.path()).unwrap(), None);
    }
}
