//! Planning an update, file by file: for every path of the base and the current template,
//! what the service's version becomes (applying [`merge::decide`], following renames,
//! merging texts) and what to report. Also the unified diff `--dry-run` prints. Nothing
//! here writes; `apply.rs` does.

use std::collections::BTreeSet;
use std::path::Path;

use super::apply::{self, Change};
use super::lineage::Tree;
use super::merge::{self, Decision, Kept};
use super::render::Kind;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// New in the template.
    Added,
    /// Replaced by the template's version (the service had not changed it).
    Updated,
    /// Changed by both, merged without conflicts.
    Merged,
    /// Changed by both; conflicts are marked in the file.
    Conflict,
    /// Deleted by the template (the service had not changed it).
    Deleted,
    /// Moved by the template (with the service's changes).
    Renamed,
    /// Left as it is; see `kept`.
    Kept,
    /// Not text and changed by both: the template's version is written beside it.
    Beside,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileReport {
    pub path: String,
    pub status: Status,
    /// For `renamed`: the old path. For `beside`: the file written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub conflicts: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<Kept>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Plans every file: the changes to write and what to report.
pub fn plan(
    root: &Path,
    base: &Tree,
    theirs: &Tree,
) -> anyhow::Result<(Vec<Change>, Vec<FileReport>)> {
    let mut changes = Vec::new();
    let mut files = Vec::new();
    let mut handled = BTreeSet::new();
    let report = |path: &str, status| FileReport {
        path: path.to_string(),
        status,
        other: None,
        conflicts: 0,
        kept: None,
    };
    for (old, new) in merge::renames(base, theirs) {
        let (ours_old, ours_new) = (
            apply::read_current(root, &old)?,
            apply::read_current(root, &new)?,
        );
        if ours_new.is_some() {
            continue; // the service already has a file there: merge both paths on their own
        }
        handled.insert(old.clone());
        handled.insert(new.clone());
        let Some(ours) = ours_old else {
            files.push(FileReport {
                kept: Some(Kept::DeletedByYou),
                ..report(&new, Status::Kept)
            });
            continue;
        };
        let (b, t) = (&base[&old], &theirs[&new]);
        let (after, conflicts) = match merge::decide(Some(b), Some(t), Some(&ours)) {
            Decision::Nothing => (ours.clone(), 0),
            Decision::Merge => merged(Some(b), &ours, t)?,
            Decision::Beside => {
                // Not text: keep the service's file where it is, add the template's.
                changes.push(Change {
                    path: new.clone(),
                    after: Some(t.clone()),
                });
                files.push(report(&new, Status::Added));
                files.push(FileReport {
                    kept: Some(Kept::ChangedByYou),
                    ..report(&old, Status::Kept)
                });
                continue;
            }
            _ => (t.clone(), 0),
        };
        changes.push(Change {
            path: old.clone(),
            after: None,
        });
        changes.push(Change {
            path: new.clone(),
            after: Some(after),
        });
        files.push(FileReport {
            other: Some(old.clone()),
            conflicts,
            ..report(
                &new,
                if conflicts > 0 {
                    Status::Conflict
                } else {
                    Status::Renamed
                },
            )
        });
    }
    let paths: BTreeSet<&String> = base.keys().chain(theirs.keys()).collect();
    for path in paths.into_iter().filter(|p| !handled.contains(*p)) {
        let ours = apply::read_current(root, path)?;
        let (b, t) = (base.get(path), theirs.get(path));
        match merge::decide(b, t, ours.as_ref()) {
            Decision::Nothing => {}
            Decision::Take => {
                let t = t.expect("take has a template version");
                changes.push(Change {
                    path: path.clone(),
                    after: Some(t.clone()),
                });
                let status = if ours.is_some() {
                    Status::Updated
                } else {
                    Status::Added
                };
                files.push(report(path, status));
            }
            Decision::Delete => {
                changes.push(Change {
                    path: path.clone(),
                    after: None,
                });
                files.push(report(path, Status::Deleted));
            }
            Decision::Merge => {
                let ours = ours.expect("merge has the service's version");
                let (after, conflicts) = merged(b, &ours, t.expect("merge has theirs"))?;
                changes.push(Change {
                    path: path.clone(),
                    after: Some(after),
                });
                let status = if conflicts > 0 {
                    Status::Conflict
                } else {
                    Status::Merged
                };
                files.push(FileReport {
                    conflicts,
                    ..report(path, status)
                });
            }
            Decision::Beside => {
                let beside = format!("{path}.msv-theirs");
                changes.push(Change {
                    path: beside.clone(),
                    after: t.cloned(),
                });
                files.push(FileReport {
                    other: Some(beside),
                    ..report(path, Status::Beside)
                });
            }
            Decision::Keep(why) => files.push(FileReport {
                kept: Some(why),
                ..report(path, Status::Kept)
            }),
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((changes, files))
}

fn bytes(k: &Kind) -> &[u8] {
    match k {
        Kind::File { bytes, .. } => bytes,
        Kind::Symlink { .. } => &[],
    }
}

fn merged(base: Option<&Kind>, ours: &Kind, theirs: &Kind) -> anyhow::Result<(Kind, usize)> {
    let m = merge::merge_text(base.map_or(&[][..], bytes), bytes(ours), bytes(theirs))?;
    let executable = matches!(
        ours,
        Kind::File {
            executable: true,
            ..
        }
    ) || matches!(
        theirs,
        Kind::File {
            executable: true,
            ..
        }
    );
    Ok((
        Kind::File {
            bytes: m.text,
            executable,
        },
        m.conflicts,
    ))
}

/// The unified diff from the service's files to the planned ones.
pub fn unified_diff(root: &Path, changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let before = apply::read_current(root, &c.path).ok().flatten();
        let text = |k: &Option<Kind>| match k {
            Some(k) if merge::is_text(k) => Some(String::from_utf8_lossy(bytes(k)).into_owned()),
            Some(Kind::Symlink { target }) => Some(format!("-> {}\n", target.display())),
            Some(_) => None,
            None => Some(String::new()),
        };
        let (old_name, new_name) = (
            if before.is_some() {
                format!("a/{}", c.path)
            } else {
                "/dev/null".into()
            },
            if c.after.is_some() {
                format!("b/{}", c.path)
            } else {
                "/dev/null".into()
            },
        );
        match (text(&before), text(&c.after)) {
            (Some(a), Some(b)) => {
                let diff = similar::TextDiff::from_lines(&a, &b);
                out.push_str(&format!(
                    "{}",
                    diff.unified_diff().header(&old_name, &new_name)
                ));
            }
            _ => out.push_str(&format!("Binary files {old_name} and {new_name} differ\n")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Kind {
        Kind::File {
            bytes: s.as_bytes().to_vec(),
            executable: false,
        }
    }

    #[test]
    fn plan_reports_each_kind_of_change() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        let w = |p: &str, c: &str| {
            let full = root.join(p);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, c).unwrap();
        };
        w("same", "s\n");
        w("untouched", "u1\n");
        w("edited", "mine\nb\nc\nd\n");
        w("old/route.rs", "r1\nmine\n");
        w("obsolete", "o\n");
        let base: Tree = [
            ("same", "s\n"),
            ("untouched", "u1\n"),
            ("edited", "a\nb\nc\nd\n"),
            ("old/route.rs", "r1\n"),
            ("obsolete", "o\n"),
        ]
        .iter()
        .map(|(p, c)| (p.to_string(), f(c)))
        .collect();
        let theirs: Tree = [
            ("same", "s\n"),
            ("untouched", "u2\n"),
            ("edited", "a\nb\nc\nD\n"),
            ("new/route.rs", "r2\n"),
            ("added", "n\n"),
        ]
        .iter()
        .map(|(p, c)| (p.to_string(), f(c)))
        .collect();
        let (changes, files) = plan(root, &base, &theirs).unwrap();
        let got: Vec<(&str, Status)> = files.iter().map(|f| (f.path.as_str(), f.status)).collect();
        assert_eq!(
            got,
            [
                ("added", Status::Added),
                ("edited", Status::Merged),
                ("new/route.rs", Status::Conflict),
                ("obsolete", Status::Deleted),
                ("untouched", Status::Updated),
            ]
        );
        let edited = changes.iter().find(|c| c.path == "edited").unwrap();
        assert_eq!(edited.after, Some(f("mine\nb\nc\nD\n")));
        assert!(changes.contains(&Change {
            path: "old/route.rs".into(),
            after: None
        }));
    }
}
