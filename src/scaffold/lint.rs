//! `msv templates lint`: every problem a template has, found without writing anything —
//! template.toml errors (syntax, unknown keys, bad declarations), Tera syntax errors with
//! file:line, variables used but never declared, and paths or symlinks that would escape
//! the output folder (found by rendering with sample values).

use std::collections::BTreeSet;

use serde_json::Value;

use super::manifest::{self, BUILTINS, Manifest, VarType};
use super::render::{self, Problem, TERA_SUFFIX, tera_problem};
use super::source::{EntryKind, Loaded};
use super::vars::{Values, default_of};

/// All problems in `t`, sorted by file; empty when the template is sound.
pub fn lint(t: &Loaded) -> Vec<String> {
    let manifest = match manifest::parse(&t.manifest_text, &t.manifest_origin) {
        Ok(m) => m,
        Err(e) => return e.lines().map(str::to_string).collect(),
    };
    let mut problems: Vec<Problem> = Vec::new();
    let known: BTreeSet<&str> = BUILTINS
        .iter()
        .copied()
        .chain(manifest.variables.iter().map(|v| v.name.as_str()))
        .collect();
    let mut syntax_ok = true;
    let mut check = |file: &str, src: &str, problems: &mut Vec<Problem>| {
        let mut tera = render::engine();
        match tera.add_raw_template(file, src) {
            Err(e) => {
                syntax_ok = false;
                problems.push(tera_problem(file, &e));
            }
            Ok(()) => {
                let mut unknown: Vec<&str> = tera
                    .get_template_variables(file)
                    .map(|vs| vs.into_iter().filter(|v| !known.contains(v)).collect())
                    .unwrap_or_default();
                unknown.sort();
                for v in unknown {
                    problems.push(Problem {
                        file: file.to_string(),
                        line: line_of(src, v),
                        message: format!("uses the undefined variable `{v}` (declare it in template.toml under [[variables]])"),
                    });
                }
            }
        }
    };
    for rule in &manifest.files {
        let src = format!("{{% if {} %}}1{{% endif %}}", rule.when);
        let mut found = Vec::new();
        check(&t.manifest_origin, &src, &mut found);
        for mut p in found {
            p.line = None;
            p.message = format!("[[files]] when = {:?}: {}", rule.when, p.message);
            problems.push(p);
        }
    }
    for entry in &t.entries {
        if entry.path.contains("{{") || entry.path.contains("{%") {
            let mut found = Vec::new();
            check(&entry.path, &entry.path, &mut found);
            for mut p in found {
                p.line = None;
                p.message = format!("in the path: {}", p.message);
                problems.push(p);
            }
        }
        if let EntryKind::File { bytes, .. } = &entry.kind
            && entry.path.ends_with(TERA_SUFFIX)
        {
            match std::str::from_utf8(bytes) {
                Ok(src) => check(&entry.path, src, &mut problems),
                Err(_) => problems.push(Problem {
                    file: entry.path.clone(),
                    line: None,
                    message: "is not UTF-8 text, so it cannot be a .tera template".into(),
                }),
            }
        }
    }
    if syntax_ok && problems.is_empty() {
        if let Err(found) = render::render(t, &manifest, &sample_values(&manifest)) {
            problems.extend(found);
        }
    } else {
        // Escapes through symlinks need no rendering to be found.
        let mut only_links = t.clone();
        only_links
            .entries
            .retain(|e| matches!(e.kind, EntryKind::Symlink { .. }) && !e.path.contains("{{"));
        if let Err(found) = render::render(
            &only_links,
            &Manifest {
                files: vec![],
                ..manifest.clone()
            },
            &Values::new(),
        ) {
            problems.extend(found);
        }
    }
    let mut out: Vec<String> = problems.iter().map(ToString::to_string).collect();
    out.sort();
    out.dedup();
    out
}

/// First line mentioning `word`, as a hint for where an undefined variable is used.
fn line_of(src: &str, word: &str) -> Option<usize> {
    let re = regex::Regex::new(&format!(r"\b{}\b", regex::escape(word))).ok()?;
    src.lines().position(|l| re.is_match(l)).map(|i| i + 1)
}

/// Values that let a template render: defaults, else the first choice, else a placeholder.
pub fn sample_values(m: &Manifest) -> Values {
    let mut v = Values::new();
    for (k, val) in super::vars::variants("sample-service") {
        v.insert(k.into(), Value::String(val));
    }
    v.insert("port".into(), Value::from(8080));
    v.insert("author".into(), Value::String("Sample Author".into()));
    v.insert("year".into(), Value::from(2000));
    for var in &m.variables {
        let val = default_of(var).unwrap_or_else(|| match var.kind {
            VarType::Bool => Value::Bool(false),
            VarType::Choice => Value::String(
                var.choices
                    .as_ref()
                    .and_then(|c| c.first().cloned())
                    .unwrap_or_default(),
            ),
            VarType::String => Value::String("sample".into()),
        });
        v.insert(var.name.clone(), val);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaffold::source::Entry;

    fn loaded(manifest: &str, files: &[(&str, &str)]) -> Loaded {
        Loaded::from_files(manifest, files)
    }

    const OK: &str = "[template]\ndescription = \"d\"\n[[variables]]\nname = \"team\"\n";

    #[test]
    fn clean_template_has_no_findings() {
        let t = loaded(
            OK,
            &[
                (
                    "{{ name }}.md.tera",
                    "{{ team }} {% for x in [1] %}{{ x }}{% endfor %}",
                ),
                ("ci.yml", "${{ x }}"),
            ],
        );
        assert_eq!(lint(&t), Vec::<String>::new());
    }

    #[test]
    fn reports_syntax_undefined_and_escapes() {
        let t = loaded(
            OK,
            &[
                ("a.tera", "line1\n{% if %}\n"),
                ("b.tera", "x\n{{ teem }}\n"),
                ("{{ name }}/../x", ""),
            ],
        );
        let found = lint(&t);
        assert!(
            found.iter().any(|f| f.starts_with("a.tera:2:")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("b.tera:2: uses the undefined variable `teem`")),
            "{found:?}"
        );
        let t = loaded(OK, &[("{{ team }}/x", "")]);
        assert_eq!(lint(&t), Vec::<String>::new());
        let mut t = loaded(
            "[template]\ndescription = \"d\"\n[[variables]]\nname = \"dir\"\ndefault = \"..\"\n",
            &[("{{ dir }}/x", "")],
        );
        assert!(lint(&t)[0].contains("only write inside"), "{:?}", lint(&t));
        t.entries.push(Entry {
            path: "l".into(),
            kind: EntryKind::Symlink {
                target: "/etc".into(),
            },
        });
        assert!(
            lint(&t)
                .iter()
                .any(|f| f.starts_with("l: is a symlink to /etc"))
        );
    }

    #[test]
    fn unknown_manifest_key_is_reported_with_position() {
        let t = loaded("[template]\ndescription = \"d\"\nhooks = []\n", &[]);
        let found = lint(&t);
        assert!(found[0].starts_with("t/template.toml:3:1:"), "{found:?}");
    }
}
