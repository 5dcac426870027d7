//! `msv update`: bringing a service up to the current version of its template. The
//! protocol: read the lineage (`.msv/`), refuse a dirty git tree, load the template as it is
//! now and resolve its variables from the recorded answers (asking only for new ones),
//! render it, plan every file three ways (`plan.rs`, `merge.rs`), then either describe the plan
//! (`--dry-run`) or apply it all or nothing (`apply.rs`) together with the new lineage —
//! or, when conflicts are left, together with a pending update (`pending.rs`) that
//! `--continue` or `--abort` ends, the old lineage staying in force until then.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;
use serde_json::Value;

use super::apply::{self, Change};
use super::lineage::{self, Identity, Record};
use super::plan::{FileReport, Status, plan, unified_diff};
use super::render::{self, Kind};
use super::{pending, prompt, source, vars};
use crate::exit::Failure;

/// What `msv update` was asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    pub dir: PathBuf,
    /// Raw `key=value` strings from `--set`: new answers, or changed ones.
    pub sets: Vec<String>,
    /// A git template's branch, tag or commit to update to (default: its newest).
    pub to: Option<String>,
    pub dry_run: bool,
    pub allow_dirty: bool,
    pub interactive: bool,
    pub user_dir: Option<PathBuf>,
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
    /// Conflicts were left, so the update waits in `.msv/update/` for `--continue` or
    /// `--abort`, the old lineage still in force.
    pub pending: bool,
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
    pending::refuse_while_pending(root)?;
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
    let t = match (record.template.kind, &req.to) {
        (lineage::SourceKind::Git, Some(rev)) => source::load_git_at(&spec, Some(rev))?,
        (kind, Some(_)) => {
            return Err(Failure::refused(format!(
                "--to picks a version of a git template, and this service's template {} is {}; \
                 drop --to to update to its current version",
                record.template.name,
                kind.as_str()
            )));
        }
        (kind, None) => match kind {
            lineage::SourceKind::Builtin => source::load_builtin(&spec).with_context(|| {
                format!(
                    "this msv has no built-in template {spec:?} any more; available: {}",
                    source::builtin_names().join(", ")
                )
            })?,
            _ => source::load(&spec, req.user_dir.as_deref()).with_context(|| {
                format!("loading template {spec} (recorded in {})", lineage::RECORD)
            })?,
        },
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
    let (record_toml, base_json) = (lineage::record_toml(&record)?, lineage::base_json(&theirs));
    if conflicts > 0 && !req.dry_run {
        // The new lineage waits in `.msv/update/` until the conflicts are resolved.
        let state = pending::State {
            template: t.name.clone(),
            from: old.short(),
            to: new_identity.short(),
            touched: Vec::new(),
            added: Vec::new(),
            conflicted: files
                .iter()
                .filter(|f| f.status == Status::Conflict)
                .map(|f| f.path.clone())
                .collect(),
            modes: Default::default(),
        };
        let extra = pending::record(root, state, &changes, record_toml, base_json)?;
        changes.extend(extra);
    } else {
        for (path, text) in [(lineage::RECORD, record_toml), (lineage::BASE, base_json)] {
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
        pending: conflicts > 0 && !req.dry_run,
        diff,
        not_git: dirty.is_none(),
    })
}

/// Puts back what an update killed part way (SIGKILL, a power cut) had swapped, so the
/// service is as it was before it; one message per staging folder found.
pub fn recover_interrupted(root: &Path) -> anyhow::Result<Vec<String>> {
    Ok(apply::recover(root)?
        .into_iter()
        .map(|r| {
            if r.restored.is_empty() {
                format!(
                    "removed {}, left by an update that was stopped before or after it changed files",
                    r.staging.display()
                )
            } else {
                format!(
                    "an update was stopped while writing; put back {} file(s) as they were before it \
                     ({}): {}",
                    r.restored.len(),
                    r.staging.display(),
                    r.restored.join(", ")
                )
            }
        })
        .collect())
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
}
