//! A pending update: one that left conflicts. Like git's MERGE_HEAD, it is kept in
//! `.msv/update/` until the user ends it: the new lineage (not yet in force), what every
//! file it touched held before, and which files it added and left in conflict.
//! `msv update --continue` installs the new lineage once no conflict marker is left;
//! `--abort` puts every touched file back. Both write through `apply.rs`, all or nothing.
//! The folder is local state, kept out of git by `.msv/.gitignore` (so it is never
//! committed by accident); the decisions in it ([`leftover_markers`], [`abort_changes`],
//! [`finish_changes`]) are pure functions.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::apply::{self, Change};
use super::lineage::{self, Tree};
use super::render::Kind;
use crate::exit::Failure;

/// The folder of a pending update.
pub const DIR: &str = ".msv/update";
const STATE: &str = ".msv/update/state.json";
const RECORD: &str = ".msv/update/template.toml";
const BASE: &str = ".msv/update/base.json";
const BEFORE: &str = ".msv/update/before.json";
const FILES: [&str; 4] = [STATE, RECORD, BASE, BEFORE];

/// What a pending update did, as `.msv/update/state.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub template: String,
    /// The version the service had and the one the update brings (short forms).
    pub from: String,
    pub to: String,
    /// Every file the update wrote or deleted.
    pub touched: Vec<String>,
    /// The touched files that did not exist before.
    pub added: Vec<String>,
    /// The files written with conflict markers.
    pub conflicted: Vec<String>,
    /// The permission bits of every touched file that existed (the merge writes 644 or
    /// 755; `--abort` gives a file back exactly its mode).
    pub modes: BTreeMap<String, u32>,
}

/// The versions a pending update goes between, for messages.
#[derive(Debug, Clone, Serialize)]
pub struct Ended {
    pub path: PathBuf,
    pub template: String,
    pub from: String,
    pub to: String,
    /// `--continue`: the files that were in conflict. `--abort`: the files put back.
    pub files: Vec<String>,
    /// `--abort`: the files the update added, removed again.
    pub removed: Vec<String>,
}

/// Whether `root` has a pending update.
pub fn exists(root: &Path) -> bool {
    root.join(STATE).exists()
}

/// The error for any other update while one is pending.
pub fn refuse_while_pending(root: &Path) -> anyhow::Result<()> {
    if exists(root) {
        return Err(Failure::refused(format!(
            "{} has an update with conflicts in progress ({DIR}); resolve the conflicts and \
             run msv update --continue, or run msv update --abort to put everything back",
            root.display()
        )));
    }
    Ok(())
}

/// The files that record a pending update for `changes` (read from the service as it is
/// before they are applied): added to the same all-or-nothing write.
pub fn record(
    root: &Path,
    mut state: State,
    changes: &[Change],
    record_toml: String,
    base_json: String,
) -> anyhow::Result<Vec<Change>> {
    let mut before = Tree::new();
    for c in changes {
        state.touched.push(c.path.clone());
        match apply::read_current(root, &c.path)? {
            Some(kind) => {
                let meta = fs::symlink_metadata(root.join(&c.path))?;
                if !meta.file_type().is_symlink() {
                    state
                        .modes
                        .insert(c.path.clone(), meta.permissions().mode() & 0o7777);
                }
                before.insert(c.path.clone(), kind);
            }
            None => state.added.push(c.path.clone()),
        }
    }
    let file = |path: &str, text: String| Change {
        path: path.into(),
        after: Some(Kind::File {
            bytes: text.into_bytes(),
            executable: false,
        }),
    };
    Ok(vec![
        file(STATE, serde_json::to_string_pretty(&state)? + "\n"),
        file(RECORD, record_toml),
        file(BASE, base_json),
        file(BEFORE, lineage::base_json(&before)),
    ])
}

/// A leftover conflict marker: its line (1-based) and the line itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub line: usize,
    pub text: String,
}

/// The conflict markers left in `text`, as the merge writes them: `<<<<<<< yours`,
/// `>>>>>>> template`, and `=======` lines unless the file already had such a line before
/// the update (a Markdown heading underline, say), which the user may well keep.
pub fn leftover_markers(text: &str, before: Option<&str>) -> Vec<Marker> {
    let had_separator = before.is_some_and(|b| b.lines().any(|l| l == "======="));
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            *l == "<<<<<<< yours" || *l == ">>>>>>> template" || (*l == "=======" && !had_separator)
        })
        .map(|(i, l)| Marker {
            line: i + 1,
            text: l.to_string(),
        })
        .collect()
}

/// What `--continue` writes: the new lineage in force, the pending state gone.
pub fn finish_changes(record_toml: &[u8], base_json: &[u8]) -> Vec<Change> {
    let file = |path: &str, bytes: &[u8]| Change {
        path: path.into(),
        after: Some(Kind::File {
            bytes: bytes.to_vec(),
            executable: false,
        }),
    };
    let mut changes = vec![
        file(lineage::RECORD, record_toml),
        file(lineage::BASE, base_json),
    ];
    changes.extend(forget());
    changes
}

/// What `--abort` writes: every touched file as it was (those the update added deleted),
/// the pending state gone.
pub fn abort_changes(state: &State, before: &Tree) -> Vec<Change> {
    let mut changes: Vec<Change> = state
        .touched
        .iter()
        .map(|path| Change {
            path: path.clone(),
            after: before.get(path).cloned(),
        })
        .collect();
    changes.extend(forget());
    changes
}

fn forget() -> impl Iterator<Item = Change> {
    FILES.iter().map(|p| Change {
        path: p.to_string(),
        after: None,
    })
}

/// A pending update as read back from `.msv/update/`.
struct Pending {
    state: State,
    record: Vec<u8>,
    base: Vec<u8>,
    before: Tree,
}

fn read(root: &Path) -> anyhow::Result<Pending> {
    if !exists(root) {
        return Err(Failure::refused(format!(
            "{} has no update in progress: --continue and --abort end an update that left \
             conflicts; run msv update to start one",
            root.display()
        )));
    }
    let bytes = |p: &str| {
        let full = root.join(p);
        fs::read(&full).with_context(|| {
            format!(
                "reading {} (part of the update in progress; restore the service from git \
                 and remove {DIR} to start again)",
                full.display()
            )
        })
    };
    let state: State = serde_json::from_slice(&bytes(STATE)?)
        .with_context(|| format!("reading {}", root.join(STATE).display()))?;
    let before_text = String::from_utf8(bytes(BEFORE)?).context("reading before.json")?;
    Ok(Pending {
        state,
        record: bytes(RECORD)?,
        base: bytes(BASE)?,
        before: lineage::parse_base(&before_text, &root.join(BEFORE).display().to_string())?,
    })
}

/// `msv update --continue`: refuses (exit 1) while a conflicted file still has markers,
/// naming each file and line; otherwise installs the new lineage.
pub fn finish(root: &Path) -> anyhow::Result<Ended> {
    let p = read(root)?;
    let mut left = Vec::new();
    for path in &p.state.conflicted {
        let Ok(text) = fs::read_to_string(root.join(path)) else {
            continue; // deleted or no longer text: nothing to resolve
        };
        let before = match p.before.get(path) {
            Some(Kind::File { bytes, .. }) => std::str::from_utf8(bytes).ok(),
            _ => None,
        };
        left.extend(
            leftover_markers(&text, before)
                .into_iter()
                .map(|m| format!("  {path}:{}: {}", m.line, m.text)),
        );
    }
    if !left.is_empty() {
        return Err(Failure::bad(format!(
            "conflict markers are left, so the update cannot be finished:\n{}\n\
             resolve them, then run msv update --continue again (or --abort to put everything back)",
            left.join("\n")
        )));
    }
    apply::apply(root, &finish_changes(&p.record, &p.base))?;
    Ok(ended(root, p.state.conflicted.clone(), Vec::new(), p.state))
}

/// `msv update --abort`: every touched file back as it was, byte for byte and mode.
pub fn abort(root: &Path) -> anyhow::Result<Ended> {
    let p = read(root)?;
    apply::apply(root, &abort_changes(&p.state, &p.before))?;
    for (path, mode) in &p.state.modes {
        let full = root.join(path);
        fs::set_permissions(&full, fs::Permissions::from_mode(*mode))
            .with_context(|| format!("restoring the mode of {}", full.display()))?;
    }
    let restored = p
        .state
        .touched
        .iter()
        .filter(|t| p.before.contains_key(*t))
        .cloned()
        .collect();
    let removed = p.state.added.clone();
    Ok(ended(root, restored, removed, p.state))
}

fn ended(root: &Path, files: Vec<String>, removed: Vec<String>, state: State) -> Ended {
    Ended {
        path: root.to_path_buf(),
        template: state.template,
        from: state.from,
        to: state.to,
        files,
        removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(s: &str) -> Kind {
        Kind::File {
            bytes: s.as_bytes().to_vec(),
            executable: false,
        }
    }

    #[test]
    fn markers_are_found_with_their_lines() {
        let text = "a\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> template\nb\n";
        let lines: Vec<usize> = leftover_markers(text, Some("a\nb\n"))
            .iter()
            .map(|m| m.line)
            .collect();
        assert_eq!(lines, [2, 4, 6]);
        assert!(leftover_markers("a\nmine\nb\n", None).is_empty());
        // Marker-like lines that are not the merge's own are the user's text.
        assert!(leftover_markers("<<<<<<< HEAD\n>>>>>>> main\n========\n", None).is_empty());
    }

    #[test]
    fn a_separator_the_file_already_had_is_not_a_marker() {
        let heading = "Title\n=======\n";
        assert!(leftover_markers(heading, Some(heading)).is_empty());
        assert_eq!(leftover_markers(heading, None)[0].line, 2);
    }

    #[test]
    fn abort_restores_touched_files_and_removes_added_ones() {
        let state = State {
            template: "t".into(),
            from: "a".into(),
            to: "b".into(),
            touched: vec!["changed".into(), "new".into(), "deleted".into()],
            added: vec!["new".into()],
            conflicted: vec!["changed".into()],
            modes: BTreeMap::new(),
        };
        let before = Tree::from([
            ("changed".to_string(), file("mine\n")),
            ("deleted".to_string(), file("old\n")),
        ]);
        let changes = abort_changes(&state, &before);
        let summary: Vec<(&str, Option<&Kind>)> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.after.as_ref()))
            .collect();
        assert_eq!(
            summary,
            [
                ("changed", Some(&file("mine\n"))),
                ("new", None),
                ("deleted", Some(&file("old\n"))),
                (STATE, None),
                (RECORD, None),
                (BASE, None),
                (BEFORE, None),
            ]
        );
    }

    #[test]
    fn continue_installs_the_lineage_and_forgets_the_pending_state() {
        let changes = finish_changes(b"record", b"base");
        assert_eq!(changes[0].path, lineage::RECORD);
        assert_eq!(changes[0].after, Some(file("record")));
        assert_eq!(changes[1].path, lineage::BASE);
        assert!(changes[2..].iter().all(|c| c.after.is_none()));
        assert_eq!(changes.len(), 2 + FILES.len());
    }
}
