//! The three-way merge behind `msv update`, file by file: base (what the older template
//! rendered), theirs (what the current one renders) and ours (what is in the service).
//! Which files the template renamed ([`renames`]) and what to do with each file
//! ([`decide`]) are pure decisions; merging two edited texts is `git merge-file`'s job
//! ([`merge_text`]).
//!
//! Why `git merge-file`: the crates that merge three texts (diffy and its forks) cut
//! conflicts differently from git, and gix-merge brings much of gitoxide along; users of
//! `msv update` have git (it also checks the tree is clean), and its markers are the ones
//! their editors and `git mergetool` know.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use super::lineage::Tree;
use super::render::Kind;

/// What to do with one path, from its three versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The template did not change it, or the service already has the template's version.
    Nothing,
    /// Write the template's version: the user never changed the file, or it is new.
    Take,
    /// The template deleted a file the user never changed.
    Delete,
    /// Both changed a text file: merge line by line.
    Merge,
    /// Both changed a file that is not text: keep the user's, write theirs beside it.
    Beside,
    /// Leave the user's file alone, for the reason given.
    Keep(Kept),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kept {
    /// The user deleted a file the template changed.
    DeletedByYou,
    /// The template deleted a file the user changed.
    ChangedByYou,
}

/// Is this file text that can be merged line by line?
pub fn is_text(kind: &Kind) -> bool {
    match kind {
        Kind::File { bytes, .. } => !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok(),
        Kind::Symlink { .. } => false,
    }
}

/// Same content, ignoring the executable bit (git may not keep it, and a user's `chmod`
/// is not an edit of the file).
fn same(a: &Kind, b: &Kind) -> bool {
    match (a, b) {
        (Kind::File { bytes: x, .. }, Kind::File { bytes: y, .. }) => x == y,
        _ => a == b,
    }
}

/// The decision for one path from its base, theirs and ours versions.
pub fn decide(base: Option<&Kind>, theirs: Option<&Kind>, ours: Option<&Kind>) -> Decision {
    let eq = |a: Option<&Kind>, b: Option<&Kind>| match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    };
    if eq(base, theirs) || eq(ours, theirs) {
        return Decision::Nothing;
    }
    match (base, theirs, ours) {
        // The template added it and the user has no such file.
        (_, Some(_), None) if base.is_none() => Decision::Take,
        (Some(_), Some(_), None) => Decision::Keep(Kept::DeletedByYou),
        (Some(_), None, Some(_)) if eq(ours, base) => Decision::Delete,
        (Some(_), None, Some(_)) => Decision::Keep(Kept::ChangedByYou),
        (_, Some(_), Some(_)) if eq(ours, base) => Decision::Take,
        (_, Some(t), Some(o)) if is_text(t) && is_text(o) && base.is_none_or(is_text) => {
            Decision::Merge
        }
        (_, Some(_), Some(_)) => Decision::Beside,
        // Both absent or handled by the equalities above.
        _ => Decision::Nothing,
    }
}

/// Files the template moved: `(old path, new path)` pairs. A deleted and an added file
/// pair up when their contents are equal, else when they are the only deleted and added
/// files of that file name.
pub fn renames(base: &Tree, theirs: &Tree) -> Vec<(String, String)> {
    let mut deleted: BTreeSet<&String> = base.keys().filter(|p| !theirs.contains_key(*p)).collect();
    let mut added: BTreeSet<&String> = theirs.keys().filter(|p| !base.contains_key(*p)).collect();
    let mut out = Vec::new();
    for d in deleted.clone() {
        let matches: Vec<&String> = added
            .iter()
            .filter(|a| same(&base[d], &theirs[**a]))
            .copied()
            .collect();
        if let [a] = matches[..] {
            out.push((d.clone(), a.clone()));
            deleted.remove(d);
            added.remove(a);
        }
    }
    let file_name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let mut by_name: BTreeMap<String, (Vec<&String>, Vec<&String>)> = BTreeMap::new();
    for d in &deleted {
        by_name.entry(file_name(d)).or_default().0.push(d);
    }
    for a in &added {
        by_name.entry(file_name(a)).or_default().1.push(a);
    }
    for (d, a) in by_name.values() {
        if let ([d], [a]) = (&d[..], &a[..]) {
            out.push(((*d).clone(), (*a).clone()));
        }
    }
    out.sort();
    out
}

/// The result of merging one text file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub text: Vec<u8>,
    /// Conflicting hunks, marked in `text`.
    pub conflicts: usize,
}

/// Merges `theirs` into `ours` against `base` with `git merge-file`, marking conflicts
/// with `<<<<<<< yours` / `=======` / `>>>>>>> template`.
pub fn merge_text(base: &[u8], ours: &[u8], theirs: &[u8]) -> anyhow::Result<Merged> {
    let dir = tempfile::Builder::new().prefix("msv-merge-").tempdir()?;
    let write = |name: &str, bytes: &[u8]| -> anyhow::Result<std::path::PathBuf> {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))?;
        Ok(p)
    };
    let (o, b, t) = (
        write("ours", ours)?,
        write("base", base)?,
        write("theirs", theirs)?,
    );
    let out = Command::new("git")
        .args([
            "merge-file",
            "-p",
            "-L",
            "yours",
            "-L",
            "base",
            "-L",
            "template",
        ])
        .args([&o, &b, &t])
        .stdin(Stdio::null())
        .output()
        .context("running git merge-file (msv update merges with git; is it installed?)")?;
    // 0: clean; 1..=127: that many conflicts; anything else (e.g. 255): an error.
    match out.status.code() {
        Some(n @ 0..=127) => Ok(Merged {
            text: out.stdout,
            conflicts: n as usize,
        }),
        _ => bail!(
            "git merge-file failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
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

    fn bin() -> Kind {
        Kind::File {
            bytes: vec![0x89, 0, 1],
            executable: false,
        }
    }

    #[test]
    fn every_combination_of_three_versions() {
        use Decision::*;
        let (a, b, c) = (f("a"), f("b"), f("c"));
        type Case<'a> = (
            Option<&'a Kind>,
            Option<&'a Kind>,
            Option<&'a Kind>,
            Decision,
        );
        let cases: &[Case] = &[
            (Some(&a), Some(&a), Some(&b), Nothing),
            (Some(&a), Some(&b), Some(&b), Nothing),
            (Some(&a), Some(&b), Some(&a), Take),
            (Some(&a), Some(&b), Some(&c), Merge),
            (Some(&a), Some(&b), None, Keep(Kept::DeletedByYou)),
            (Some(&a), None, Some(&a), Delete),
            (Some(&a), None, Some(&b), Keep(Kept::ChangedByYou)),
            (Some(&a), None, None, Nothing),
            (None, Some(&a), None, Take),
            (None, Some(&a), Some(&a), Nothing),
            (None, Some(&a), Some(&b), Merge),
            (None, None, Some(&b), Nothing),
            (Some(&a), Some(&bin()), Some(&c), Beside),
            (Some(&bin()), Some(&a), Some(&c), Beside),
        ];
        for (base, theirs, ours, want) in cases {
            assert_eq!(
                decide(*base, *theirs, *ours),
                *want,
                "{base:?} {theirs:?} {ours:?}"
            );
        }
    }

    #[test]
    fn a_chmod_is_not_an_edit() {
        let x = Kind::File {
            bytes: b"a".to_vec(),
            executable: true,
        };
        assert_eq!(
            decide(Some(&f("a")), Some(&f("b")), Some(&x)),
            Decision::Take
        );
    }

    fn tree(files: &[(&str, &str)]) -> Tree {
        files.iter().map(|(p, c)| (p.to_string(), f(c))).collect()
    }

    #[test]
    fn renames_by_content_then_by_unique_file_name() {
        let base = tree(&[
            ("old.txt", "same"),
            ("src/routes.rs", "v1"),
            ("gone.md", "x"),
            ("keep", "k"),
        ]);
        let theirs = tree(&[
            ("new.txt", "same"),
            ("src/http/routes.rs", "v2"),
            ("fresh.md", "y"),
            ("keep", "k"),
        ]);
        assert_eq!(
            renames(&base, &theirs),
            [
                ("old.txt".to_string(), "new.txt".to_string()),
                (
                    "src/routes.rs".to_string(),
                    "src/http/routes.rs".to_string()
                ),
            ]
        );
    }

    #[test]
    fn git_merge_file_merges_and_marks_conflicts() {
        let base = "a\nb\nc\nd\ne\n";
        let clean = merge_text(base.as_bytes(), b"A\nb\nc\nd\ne\n", b"a\nb\nc\nd\nE\n").unwrap();
        assert_eq!(
            (String::from_utf8(clean.text).unwrap(), clean.conflicts),
            ("A\nb\nc\nd\nE\n".to_string(), 0)
        );
        let conflict = merge_text(
            base.as_bytes(),
            b"a\nb\nmine\nd\ne\n",
            b"a\nb\ntheirs\nd\ne\n",
        )
        .unwrap();
        assert_eq!(conflict.conflicts, 1);
        assert_eq!(
            String::from_utf8(conflict.text).unwrap(),
            "a\nb\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> template\nd\ne\n"
        );
    }
}
