//! Rendering a loaded template in memory: which files are included (`[[files]]` rules),
//! what their paths become (`{{ var }}` in segments, `.tera` dropped) and their contents
//! (Tera for `.tera` files, bytes as they are otherwise). Every path is checked so nothing
//! can land outside the output folder. Writing to disk is `write.rs`'s job.

use std::collections::BTreeSet;
use std::path::PathBuf;

use globset::{GlobBuilder, GlobMatcher};
use tera::{Context, Tera};

use super::manifest::Manifest;
use super::source::{EntryKind, Loaded, symlink_stays_inside};
use super::vars::Values;

/// The suffix that marks a file to render.
pub const TERA_SUFFIX: &str = ".tera";

/// One file of the generated tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub path: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File { bytes: Vec<u8>, executable: bool },
    Symlink { target: PathBuf },
}

/// A problem tied to a template file (and line when known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Turns a Tera error into a message with the line it points at, when it has one.
pub fn tera_problem(file: &str, err: &tera::Error) -> Problem {
    use tera::ErrorKind;
    let (line, message) = match err.kind() {
        ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r) => {
            (Some(r.span().start_line), r.message().to_string())
        }
        _ => (None, err.to_string()),
    };
    Problem {
        file: file.to_string(),
        line,
        message,
    }
}

pub(crate) fn engine() -> Tera {
    let mut tera = Tera::default();
    // Generated files are code and config, not HTML: never escape.
    tera.autoescape_on(Vec::<&str>::new());
    tera
}

fn context(values: &Values) -> Context {
    let mut ctx = Context::new();
    for (k, v) in values {
        ctx.insert(k.clone(), v);
    }
    ctx
}

/// Evaluates a `[[files]] when` expression as `{% if EXPR %}`.
pub fn condition(tera: &Tera, expr: &str, ctx: &Context) -> Result<bool, tera::Error> {
    let src = format!("{{% if {expr} %}}1{{% endif %}}");
    Ok(tera.render_str(&src, ctx, false)? == "1")
}

/// Renders the `{{ }}` parts of a template path and checks every resulting segment.
pub fn render_path(tera: &Tera, path: &str, ctx: &Context) -> Result<String, Problem> {
    let mut out = Vec::new();
    for seg in path.split('/') {
        let rendered = if seg.contains("{{") || seg.contains("{%") {
            tera.render_str(seg, ctx, false).map_err(|e| {
                let mut p = tera_problem(path, &e);
                p.message = format!("in the path: {}", p.message);
                p
            })?
        } else {
            seg.to_string()
        };
        check_segment(path, &rendered)?;
        out.push(rendered);
    }
    let mut joined = out.join("/");
    if let Some(stripped) = joined.strip_suffix(TERA_SUFFIX) {
        joined = stripped.to_string();
    }
    if joined.is_empty() || joined.ends_with('/') {
        return Err(problem(
            path,
            format!("the path renders to {joined:?}, which names no file"),
        ));
    }
    Ok(joined)
}

fn problem(file: &str, message: String) -> Problem {
    Problem {
        file: file.to_string(),
        line: None,
        message,
    }
}

fn check_segment(path: &str, seg: &str) -> Result<(), Problem> {
    let bad = if seg.is_empty() {
        Some("an empty path segment")
    } else if seg == "." || seg == ".." {
        Some("a `.` or `..` segment")
    } else if seg.contains('/') || seg.contains('\\') || seg.contains('\0') {
        Some("a path separator")
    } else {
        None
    };
    match bad {
        Some(why) => Err(problem(
            path,
            format!(
                "the path renders to {why} ({seg:?}); a template may only write inside the output folder"
            ),
        )),
        None => Ok(()),
    }
}

fn matchers(manifest: &Manifest) -> Result<Vec<(Vec<GlobMatcher>, String)>, Problem> {
    manifest
        .files
        .iter()
        .map(|rule| {
            let globs = rule
                .include
                .iter()
                .map(|g| {
                    GlobBuilder::new(g)
                        .literal_separator(true)
                        .build()
                        .map(|g| g.compile_matcher())
                        .map_err(|e| {
                            problem("template.toml", format!("[[files]] include {g:?}: {e}"))
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((globs, rule.when.clone()))
        })
        .collect()
}

/// Renders every included file of `t` with `values`; all problems are returned together.
pub fn render(
    t: &Loaded,
    manifest: &Manifest,
    values: &Values,
) -> Result<Vec<Output>, Vec<Problem>> {
    let tera = engine();
    let ctx = context(values);
    let rules = matchers(manifest).map_err(|p| vec![p])?;
    let mut verdicts = Vec::with_capacity(rules.len());
    let mut problems = Vec::new();
    for (_, when) in &rules {
        match condition(&tera, when, &ctx) {
            Ok(b) => verdicts.push(b),
            Err(e) => {
                let mut p = tera_problem("template.toml", &e);
                p.message = format!("[[files]] when = {when:?}: {}", p.message);
                p.line = None;
                problems.push(p);
                verdicts.push(false);
            }
        }
    }
    let mut outputs = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in &t.entries {
        let included = rules
            .iter()
            .zip(&verdicts)
            .all(|((globs, _), ok)| *ok || !globs.iter().any(|g| g.is_match(&entry.path)));
        if !included {
            continue;
        }
        let path = match render_path(&tera, &entry.path, &ctx) {
            Ok(p) => p,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        if path == ".msv" || path.starts_with(".msv/") {
            problems.push(problem(
                &entry.path,
                format!("renders to {path:?}, but .msv/ holds the service's template lineage, which msv writes"),
            ));
            continue;
        }
        if !seen.insert(path.clone()) {
            problems.push(problem(
                &entry.path,
                format!("renders to {path:?}, which another file also renders to"),
            ));
            continue;
        }
        let kind = match &entry.kind {
            EntryKind::Symlink { target } => {
                if !symlink_stays_inside(&path, target) {
                    problems.push(problem(
                        &entry.path,
                        format!(
                            "is a symlink to {} which points outside the template; refusing it",
                            target.display()
                        ),
                    ));
                    continue;
                }
                Kind::Symlink {
                    target: target.clone(),
                }
            }
            EntryKind::File { bytes, executable } if entry.path.ends_with(TERA_SUFFIX) => {
                let Ok(src) = std::str::from_utf8(bytes) else {
                    problems.push(problem(
                        &entry.path,
                        "is not UTF-8 text, so it cannot be a .tera template".into(),
                    ));
                    continue;
                };
                match tera.render_str(src, &ctx, false) {
                    Ok(s) => Kind::File {
                        bytes: s.into_bytes(),
                        executable: *executable,
                    },
                    Err(e) => {
                        problems.push(tera_problem(&entry.path, &e));
                        continue;
                    }
                }
            }
            EntryKind::File { bytes, executable } => Kind::File {
                bytes: bytes.clone(),
                executable: *executable,
            },
        };
        outputs.push(Output { path, kind });
    }
    // A file below a symlinked folder would be written through the link.
    let links: Vec<&str> = outputs
        .iter()
        .filter(|o| matches!(o.kind, Kind::Symlink { .. }))
        .map(|o| o.path.as_str())
        .collect();
    for o in &outputs {
        if let Some(l) = links.iter().find(|l| o.path.starts_with(&format!("{l}/"))) {
            problems.push(problem(
                &o.path,
                format!("would be written through the symlink {l}"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(outputs)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaffold::manifest::parse;
    use crate::scaffold::source::Entry;

    fn loaded(files: &[(&str, &str)]) -> Loaded {
        Loaded::from_files("", files)
    }

    fn values(pairs: &[(&str, serde_json::Value)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn manifest(extra: &str) -> Manifest {
        parse(&format!("[template]\ndescription = \"d\"\n{extra}"), "t").unwrap()
    }

    #[test]
    fn renders_tera_files_and_copies_others_byte_for_byte() {
        let t = loaded(&[
            ("src/{{ name_snake }}.rs.tera", "// {{ name }}\n"),
            (
                ".github/workflows/ci.yml",
                "run: ${{ matrix.x }} {{ name }}",
            ),
        ]);
        let v = values(&[("name", "a-b".into()), ("name_snake", "a_b".into())]);
        let out = render(&t, &manifest(""), &v).unwrap();
        assert_eq!(out[0].path, "src/a_b.rs");
        assert_eq!(
            out[0].kind,
            Kind::File {
                bytes: b"// a-b\n".to_vec(),
                executable: false
            }
        );
        assert_eq!(
            out[1].kind,
            Kind::File {
                bytes: b"run: ${{ matrix.x }} {{ name }}".to_vec(),
                executable: false
            }
        );
    }

    #[test]
    fn conditional_files() {
        let t = loaded(&[(".github/workflows/ci.yml", "x"), ("README.md", "r")]);
        let m = manifest("[[files]]\ninclude = [\".github/**\"]\nwhen = \"with_ci\"\n");
        let off = render(&t, &m, &values(&[("with_ci", false.into())])).unwrap();
        assert_eq!(off.len(), 1);
        let on = render(&t, &m, &values(&[("with_ci", true.into())])).unwrap();
        assert_eq!(on.len(), 2);
    }

    #[test]
    fn escaping_paths_are_refused() {
        for (path, val) in [
            ("{{ x }}/f", ".."),
            ("{{ x }}", "../up"),
            ("a/{{ x }}/f", ""),
        ] {
            let t = loaded(&[(path, "")]);
            let errs = render(&t, &manifest(""), &values(&[("x", val.into())])).unwrap_err();
            assert!(
                errs[0].message.contains("only write inside"),
                "{path} {val}: {:?}",
                errs
            );
        }
    }

    #[test]
    fn the_lineage_folder_is_msvs_own() {
        let t = loaded(&[(".msv/template.toml", "x"), (".msvrc", "ok")]);
        let errs = render(&t, &manifest(""), &values(&[])).unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].message.contains("template lineage"), "{errs:?}");
    }

    #[test]
    fn syntax_errors_carry_file_and_line() {
        let t = loaded(&[("a.txt.tera", "ok\n{{ name \n"), ("b.tera", "{{ nope }}")]);
        let errs = render(&t, &manifest(""), &values(&[("name", "x".into())])).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(
            (errs[0].file.as_str(), errs[0].line),
            ("a.txt.tera", Some(2))
        );
        assert_eq!(errs[1].file, "b.tera");
    }

    #[test]
    fn outside_symlinks_are_refused() {
        let mut t = loaded(&[]);
        t.entries.push(Entry {
            path: "leak".into(),
            kind: EntryKind::Symlink {
                target: "../../etc".into(),
            },
        });
        t.entries.push(Entry {
            path: "ok".into(),
            kind: EntryKind::Symlink {
                target: "README.md".into(),
            },
        });
        let errs = render(&t, &manifest(""), &values(&[])).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0]
                .to_string()
                .starts_with("leak: is a symlink to ../../etc"),
            "{errs:?}"
        );
    }
}
