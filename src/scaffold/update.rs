//! `msv update`: bringing a service up to the current version of its template. The
//! protocol: read the lineage (`.msv/`), refuse a dirty git tree, load the template as it is
//! now and resolve its variables from the recorded answers (asking only for new ones),
//! render it, plan every file three ways (`merge.rs`), then either describe the plan
//! (`--dry-run`) or apply it all or nothing (`apply.rs`) together with the new lineage.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;
use serde_json::Value;

use super::apply::{self, Change};
use super::lineage::{self, Identity, Record, Tree};
use super::merge::{self, Decision, Kept};
use super::render::{self, Kind};
use super::{prompt, source, vars};
use crate::exit::Failure;

/// What `msv update` was asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    pub dir: PathBuf,
    /// Raw `key=value` strings from `--set`: new answers, or changed ones.
    pub sets: Vec<String>,
    pub dry_run: bool,
    pub allow_dirty: bool,
    pub interactive: bool,
    pub user_dir: Option<PathBuf>,
}

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

/// What `msv update` did (or, with `--dry-run`, would do).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub path: PathBuf,
    pub template: String,
    pub source: String,
    /// The version the service had and the one it has now (commit or content hash).
    pub from: String,
    pub to: String,
    pub dry_run: bool,
    pub files: Vec<FileReport>,
    /// Conflicting hunks left in files.
    pub conflicts: usize,
    /// The unified diff (dry run only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// The service is not in a git work tree, so git cannot undo the update.
    #[serde(skip)]
    pub not_git: bool,
}

/// Runs an update; `interrupted` is asked once more just before anything is written.
pub fn update(req: &Request, interrupted: &dyn Fn() -> bool) -> anyhow::Result<Report> {
    let root = &req.dir;
    let (record, base) = lineage::read(root)?;
    let old = record.template.clone();
    let dirty = dirty_paths(root)?;
    if let Some(paths) = &dirty
        && !paths.is_empty()
        && !req.allow_dirty
        && !req.dry_run
    {
        let shown: Vec<String> = paths.iter().take(10).map(|p| format!("  {p}")).collect();
        return Err(Failure::refused(format!(
            "{} has uncommitted changes, so git could not show or undo what the update does:\n{}{}\n\
             commit or stash them first, or pass --allow-dirty",
            root.display(),
            shown.join("\n"),
            if paths.len() > 10 { "\n  ..." } else { "" }
        )));
    }
    let spec = record.template.spec();
    let t = match record.template.kind {
        lineage::SourceKind::Builtin => source::load_builtin(&spec).with_context(|| {
            format!(
                "this msv has no built-in template {spec:?} any more; available: {}",
                source::builtin_names().join(", ")
            )
        })?,
        _ => source::load(&spec, req.user_dir.as_deref()).with_context(|| {
            format!("loading template {spec} (recorded in {})", lineage::RECORD)
        })?,
    };
    let m =
        super::manifest::parse(&t.manifest_text, &t.manifest_origin).map_err(anyhow::Error::msg)?;
    let values = resolve(&record, &m, &req.sets, req.interactive)?;
    let theirs = render::render(&t, &m, &values).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        anyhow::anyhow!(
            "template {} cannot be rendered; nothing was changed:\n{}",
            t.name,
            list.join("\n")
        )
    })?;
    let theirs = lineage::tree(&theirs);
    let (mut changes, files) = plan(root, &base, &theirs)?;
    let conflicts = files.iter().map(|f| f.conflicts).sum();
    let new_identity = Identity::of(&t);
    let record = Record {
        template: new_identity.clone(),
        values,
    };
    let diff = req.dry_run.then(|| unified_diff(root, &changes));
    for (path, text) in [
        (lineage::RECORD, lineage::record_toml(&record)?),
        (lineage::BASE, lineage::base_json(&theirs)),
    ] {
        let kind = Kind::File {
            bytes: text.into_bytes(),
            executable: false,
        };
        // An update that changes nothing leaves the tree clean.
        if apply::read_current(root, path)?.as_ref() != Some(&kind) {
            changes.push(Change {
                path: path.into(),
                after: Some(kind),
            });
        }
    }
    if !req.dry_run {
        if interrupted() {
            return Err(Failure::interrupted("interrupted; nothing was changed"));
        }
        apply::apply(root, &changes)?;
    }
    Ok(Report {
        path: root.clone(),
        template: t.name.clone(),
        source: t.origin.to_string(),
        from: old.short(),
        to: new_identity.short(),
        dry_run: req.dry_run,
        files,
        conflicts,
        diff,
        not_git: dirty.is_none(),
    })
}

/// The values to render with: the recorded answers that the template still declares,
/// `--set` over them, and new variables asked for (or their defaults, or one error
/// naming every missing one).
fn resolve(
    record: &Record,
    m: &super::manifest::Manifest,
    sets: &[String],
    interactive: bool,
) -> anyhow::Result<vars::Values> {
    let text = |k: &str| record.values.get(k).map(value_text).unwrap_or_default();
    let builtins = vars::Builtins {
        name: text("name"),
        author: text("author"),
        year: record
            .values
            .get("year")
            .and_then(Value::as_i64)
            .and_then(|y| i16::try_from(y).ok())
            .unwrap_or(1970),
    };
    let given = sets
        .iter()
        .map(|s| vars::parse_set(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let mut merged: Vec<(String, String)> = m
        .variables
        .iter()
        .map(|v| v.name.as_str())
        .chain(["port"])
        .filter(|k| !given.iter().any(|(g, _)| g == k))
        .filter_map(|k| record.values.get(k).map(|v| (k.to_string(), value_text(v))))
        .collect();
    merged.extend(given);
    let mut terminal = prompt::Terminal;
    let prompter: Option<&mut dyn vars::Prompter> = if interactive {
        Some(&mut terminal)
    } else {
        None
    };
    vars::resolve(m, &builtins, &merged, prompter)
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Plans every file: the changes to write and what to report.
pub fn plan(
    root: &Path,
    base: &Tree,
    theirs: &Tree,
) -> anyhow::Result<(Vec<Change>, Vec<FileReport>)> {
    let mut changes = Vec::new();
    let mut files = Vec::new();
    let mut handled = std::collections::BTreeSet::new();
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
    let paths: std::collections::BTreeSet<&String> = base.keys().chain(theirs.keys()).collect();
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

/// Paths `git status` reports as changed under `dir`; `None` when `dir` is not in a git
/// work tree (or git is missing).
fn dirty_paths(dir: &Path) -> anyhow::Result<Option<Vec<String>>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "status",
            "--porcelain=v1",
            "--untracked-files=all",
            "--",
            ".",
        ])
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            Ok(Some(porcelain_paths(&String::from_utf8_lossy(&o.stdout))))
        }
        _ => Ok(None),
    }
}

/// The paths in `git status --porcelain=v1` output.
pub fn porcelain_paths(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.len() > 3)
        .map(|l| l[3..].to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_lines_name_their_paths() {
        assert_eq!(
            porcelain_paths(" M src/main.rs\n?? new file.txt\nR  a -> b\n"),
            ["src/main.rs", "new file.txt", "a -> b"]
        );
        assert!(porcelain_paths("").is_empty());
    }

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
