//! A service's template lineage, kept in the service under `.msv/`: which template made it
//! (`template.toml`: identity and every variable's value) and the files that template
//! rendered (`base.json`), which are the common ancestor `msv update` merges against.
//!
//! Why the rendered files are stored rather than re-rendered: an older msv's built-in
//! templates are not inside a newer msv, a template folder is edited in place, and a git
//! history can be rewritten. The stored files are the exact base in every case; the
//! identity says where the newer version comes from and whether there is one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::render::{Kind, Output};
use super::source::{EntryKind, Loaded, Origin};
use super::vars::Values;

/// The folder, inside a service, that holds its lineage.
pub const DIR: &str = ".msv";
/// `.msv/template.toml`.
pub const RECORD: &str = ".msv/template.toml";
/// `.msv/base.json`.
pub const BASE: &str = ".msv/base.json";
/// `.msv/.gitignore`: `msv build` keeps local state in `.msv/` too (the last built image),
/// which must stay out of git, while the lineage is committed with the service.
pub const GITIGNORE: &str = ".msv/.gitignore";
const GITIGNORE_TEXT: &str = "# msv's local state stays out of git; the template lineage is committed.\n\
                              *\n!.gitignore\n!template.toml\n!base.json\n";

/// What made a service, as written to `.msv/template.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub template: Identity,
    /// Every variable's value, built-ins included.
    pub values: Values,
}

/// Where a template comes from and which version of it was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub name: String,
    pub kind: SourceKind,
    /// The folder (absolute) or git URL; none for a built-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The git commit rendered (git templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The msv that rendered it (for a built-in, this is the template's version too).
    pub msv_version: String,
    /// `sha256:` of the template's manifest and files, see [`content_hash`].
    pub hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Builtin,
    User,
    Local,
    Git,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Builtin => "built-in",
            SourceKind::User => "user",
            SourceKind::Local => "folder",
            SourceKind::Git => "git",
        }
    }
}

impl Identity {
    /// The identity of a loaded template.
    pub fn of(t: &Loaded) -> Identity {
        let (kind, location) = match &t.origin {
            Origin::Builtin => (SourceKind::Builtin, None),
            Origin::User(p) => (SourceKind::User, Some(absolute(p))),
            Origin::Local(p) => (SourceKind::Local, Some(absolute(p))),
            Origin::Git(u) => (SourceKind::Git, Some(u.clone())),
        };
        Identity {
            name: t.name.clone(),
            kind,
            location,
            commit: t.revision.clone(),
            msv_version: env!("CARGO_PKG_VERSION").to_string(),
            hash: content_hash(t),
        }
    }

    /// The version in a few characters: the commit for git, else the content hash.
    pub fn short(&self) -> String {
        let full = self
            .commit
            .as_deref()
            .unwrap_or_else(|| self.hash.trim_start_matches("sha256:"));
        full.chars().take(12).collect()
    }

    /// What `msv update` loads to get the newer version: a name, a folder or a URL.
    pub fn spec(&self) -> String {
        self.location.clone().unwrap_or_else(|| self.name.clone())
    }

    /// Is `newer` another version of the same template than this one?
    pub fn differs_from(&self, newer: &Identity) -> bool {
        match (&self.commit, &newer.commit) {
            (Some(a), Some(b)) => a != b,
            _ => self.hash != newer.hash,
        }
    }
}

fn absolute(p: &Path) -> String {
    std::path::absolute(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

/// A hash of everything that decides what a template renders: its manifest and each
/// file's path, kind, mode and bytes, in path order.
pub fn content_hash(t: &Loaded) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut field = |bytes: &[u8]| {
        ctx.update(&(bytes.len() as u64).to_le_bytes());
        ctx.update(bytes);
    };
    field(t.manifest_text.as_bytes());
    let mut entries: Vec<_> = t.entries.iter().collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    for e in entries {
        field(e.path.as_bytes());
        match &e.kind {
            EntryKind::File { bytes, executable } => {
                field(if *executable { b"x" } else { b"f" });
                field(bytes);
            }
            EntryKind::Symlink { target } => {
                field(b"l");
                field(target.as_os_str().as_encoded_bytes());
            }
        }
    }
    let digest = ctx.finish();
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The rendered files by path: the base (or theirs) of a merge.
pub type Tree = BTreeMap<String, Kind>;

pub fn tree(outputs: &[Output]) -> Tree {
    outputs
        .iter()
        .map(|o| (o.path.clone(), o.kind.clone()))
        .collect()
}

/// One file of `base.json`: text stays readable, anything else is base64.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum Stored {
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        executable: bool,
    },
    Binary {
        base64: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        executable: bool,
    },
    Symlink {
        symlink: PathBuf,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct BaseFile {
    /// Tells a reader what the file is for.
    #[serde(rename = "//")]
    about: String,
    files: BTreeMap<String, Stored>,
}

const BASE_ABOUT: &str =
    "The files the template rendered, as msv update's merge base. Written by msv; do not edit.";

/// `base.json`'s text for a rendered tree.
pub fn base_json(tree: &Tree) -> String {
    let files = tree
        .iter()
        .map(|(p, k)| {
            let stored = match k {
                Kind::File { bytes, executable } => match std::str::from_utf8(bytes) {
                    Ok(s) => Stored::Text {
                        text: s.to_string(),
                        executable: *executable,
                    },
                    Err(_) => Stored::Binary {
                        base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                        executable: *executable,
                    },
                },
                Kind::Symlink { target } => Stored::Symlink {
                    symlink: target.clone(),
                },
            };
            (p.clone(), stored)
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&BaseFile {
        about: BASE_ABOUT.into(),
        files,
    })
    .expect("a map of strings serializes");
    s.push('\n');
    s
}

/// Reads `base.json`'s text back into a tree; `origin` names the file in errors.
pub fn parse_base(text: &str, origin: &str) -> anyhow::Result<Tree> {
    let base: BaseFile = serde_json::from_str(text)
        .with_context(|| format!("{origin} is not a base file msv wrote"))?;
    base.files
        .into_iter()
        .map(|(p, s)| {
            let kind = match s {
                Stored::Text { text, executable } => Kind::File {
                    bytes: text.into_bytes(),
                    executable,
                },
                Stored::Binary { base64, executable } => Kind::File {
                    bytes: base64::engine::general_purpose::STANDARD
                        .decode(base64)
                        .with_context(|| format!("{origin}: {p}: bad base64"))?,
                    executable,
                },
                Stored::Symlink { symlink } => Kind::Symlink { target: symlink },
            };
            Ok((p, kind))
        })
        .collect()
}

/// `template.toml`'s text for a record.
pub fn record_toml(record: &Record) -> anyhow::Result<String> {
    let body = toml::to_string(record).context("writing the template record")?;
    Ok(format!(
        "# Which template made this service and with which answers; msv update reads it.\n\
         # Written by msv new and msv update; commit it with the service.\n\n{body}"
    ))
}

pub fn parse_record(text: &str, origin: &str) -> anyhow::Result<Record> {
    toml::from_str(text).map_err(|e| anyhow::anyhow!("{origin}: {}", e.message()))
}

/// The lineage files for a service rendered from `t`, ready to be written with it.
pub fn outputs(t: &Loaded, values: &Values, rendered: &[Output]) -> anyhow::Result<Vec<Output>> {
    let record = Record {
        template: Identity::of(t),
        values: values.clone(),
    };
    let file = |path: &str, text: String| Output {
        path: path.to_string(),
        kind: Kind::File {
            bytes: text.into_bytes(),
            executable: false,
        },
    };
    Ok(vec![
        file(GITIGNORE, GITIGNORE_TEXT.to_string()),
        file(RECORD, record_toml(&record)?),
        file(BASE, base_json(&tree(rendered))),
    ])
}

/// Reads a service's lineage: its record and its base tree.
pub fn read(service: &Path) -> anyhow::Result<(Record, Tree)> {
    let record_path = service.join(RECORD);
    let text = match std::fs::read_to_string(&record_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
            "{} has no {RECORD}, so msv does not know which template made it; \
             msv update works on services made by msv new (since msv 0.1.0)",
            service.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("reading {}", record_path.display())),
    };
    let record = parse_record(&text, &record_path.display().to_string())?;
    let base_path = service.join(BASE);
    let base_text = std::fs::read_to_string(&base_path).with_context(|| {
        format!(
            "reading {} (the files the template rendered; restore it from git)",
            base_path.display()
        )
    })?;
    let base = parse_base(&base_text, &base_path.display().to_string())?;
    Ok((record, base))
}

/// Whether a service's template has a newer version than the one that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Freshness {
    /// The service folder (where `.msv/` is).
    pub service: PathBuf,
    pub recorded: Identity,
    /// The template's current version (commit or hash, short); `None` when it could not
    /// be checked, see `problem`.
    pub current: Option<String>,
    pub newer: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The service whose `.msv/template.toml` is in `start` or a folder above it.
pub fn find_service(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(RECORD).is_file())
        .map(Path::to_path_buf)
}

/// Checks the service at `service` against its template's current version: a built-in
/// of this msv, the folder as it is now, or the git URL's HEAD (`git ls-remote`, no clone).
pub fn freshness(service: &Path, user_dir: Option<&Path>) -> anyhow::Result<Freshness> {
    let path = service.join(RECORD);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let recorded = parse_record(&text, &path.display().to_string())?.template;
    let current = match recorded.kind {
        SourceKind::Git => remote_head(&recorded.spec()).map(|commit| Identity {
            commit: Some(commit),
            ..recorded.clone()
        }),
        SourceKind::Builtin => super::source::load_builtin(&recorded.name)
            .map(|t| Identity::of(&t))
            .ok_or_else(|| anyhow::anyhow!("this msv has no built-in template {}", recorded.name)),
        SourceKind::User | SourceKind::Local => {
            super::source::load(&recorded.spec(), user_dir).map(|t| Identity::of(&t))
        }
    };
    Ok(match current {
        Ok(c) => Freshness {
            service: service.to_path_buf(),
            newer: Some(recorded.differs_from(&c)),
            current: Some(c.short()),
            recorded,
            problem: None,
        },
        Err(e) => Freshness {
            service: service.to_path_buf(),
            recorded,
            current: None,
            newer: None,
            problem: Some(format!("{e:#}")),
        },
    })
}

fn remote_head(url: &str) -> anyhow::Result<String> {
    let out = std::process::Command::new("git")
        .args(["ls-remote", "--", url, "HEAD"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .context("running git ls-remote (is git installed?)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout.split_whitespace().next() {
        Some(commit) if out.status.success() => Ok(commit.to_string()),
        _ => anyhow::bail!(
            "git ls-remote {url} HEAD failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_round_trips_text_binary_and_links() {
        let mut t = Tree::new();
        t.insert(
            "a.sh".into(),
            Kind::File {
                bytes: b"#!/bin/sh\n".to_vec(),
                executable: true,
            },
        );
        t.insert(
            "logo.png".into(),
            Kind::File {
                bytes: vec![0x89, b'P', 0, 0xff],
                executable: false,
            },
        );
        t.insert(
            "link".into(),
            Kind::Symlink {
                target: "a.sh".into(),
            },
        );
        let json = base_json(&t);
        assert!(json.contains("\"text\": \"#!/bin/sh\\n\""), "{json}");
        assert_eq!(parse_base(&json, "b").unwrap(), t);
    }

    #[test]
    fn record_round_trips_typed_values() {
        let t = Loaded::from_files("[template]\ndescription='d'\n", &[("f", "x")]);
        let mut values = Values::new();
        values.insert("name".into(), "orders".into());
        values.insert("port".into(), 8080.into());
        values.insert("with_ci".into(), true.into());
        let r = Record {
            template: Identity::of(&t),
            values,
        };
        let text = record_toml(&r).unwrap();
        assert!(text.contains("kind = \"builtin\""), "{text}");
        assert_eq!(parse_record(&text, "r").unwrap(), r);
    }

    #[test]
    fn hash_changes_with_any_file() {
        let a = Loaded::from_files("m", &[("f", "x")]);
        let b = Loaded::from_files("m", &[("f", "y")]);
        let c = Loaded::from_files("m", &[("g", "x")]);
        assert_eq!(content_hash(&a), content_hash(&a.clone()));
        assert_ne!(content_hash(&a), content_hash(&b));
        assert_ne!(content_hash(&a), content_hash(&c));
        assert!(Identity::of(&a).differs_from(&Identity::of(&b)));
        assert!(!Identity::of(&a).differs_from(&Identity::of(&a)));
    }

    #[test]
    fn the_service_is_found_from_a_folder_inside_it() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(".msv")).unwrap();
        std::fs::create_dir_all(d.path().join("src/deep")).unwrap();
        std::fs::write(d.path().join(RECORD), "").unwrap();
        assert_eq!(
            find_service(&d.path().join("src/deep")),
            Some(d.path().to_path_buf())
        );
        let other = tempfile::tempdir().unwrap();
        assert_eq!(find_service(other.path()), None);
    }
}
