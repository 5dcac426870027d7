//! `template.toml`: parsing (unknown keys are errors, reported as file:line:col) and the
//! checks that need no rendering (identifier names, regexes, choices, defaults, globs).
//! Evaluating `when` conditions belongs to the renderer.

use serde::Deserialize;

/// The manifest's file name inside a template folder.
pub const FILE_NAME: &str = "template.toml";

/// Variables every template gets without declaring them.
pub const BUILTINS: &[&str] =
    &["name", "name_snake", "name_kebab", "name_pascal", "port", "author", "year"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub template: Info,
    #[serde(default)]
    pub variables: Vec<Variable>,
    #[serde(default)]
    pub files: Vec<FileRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Info {
    pub description: String,
    #[serde(default)]
    pub language: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VarType {
    String,
    Bool,
    Choice,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub name: String,
    #[serde(rename = "type", default = "default_type")]
    pub kind: VarType,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub default: Option<toml::Value>,
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub regex: Option<String>,
    #[serde(default)]
    pub choices: Option<Vec<String>>,
}

fn default_type() -> VarType {
    VarType::String
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRule {
    pub include: Vec<String>,
    pub when: String,
}

impl Variable {
    /// What the user is asked; falls back to the name.
    pub fn prompt_text(&self) -> &str {
        self.prompt.as_deref().unwrap_or(&self.name)
    }
}

/// Parses a manifest; `origin` names the file in messages. Syntax errors and unknown keys
/// carry `origin:line:col`; semantic problems are listed all at once.
pub fn parse(text: &str, origin: &str) -> Result<Manifest, String> {
    let manifest: Manifest = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let (line, col) = line_col(text, s.start);
                format!("{origin}:{line}:{col}")
            })
            .unwrap_or_else(|| origin.to_string());
        format!("{at}: {}", e.message())
    })?;
    let problems = check(&manifest);
    if problems.is_empty() {
        Ok(manifest)
    } else {
        Err(problems.iter().map(|p| format!("{origin}: {p}")).collect::<Vec<_>>().join("\n"))
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Every semantic problem in a parsed manifest.
pub fn check(m: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for v in &m.variables {
        let n = &v.name;
        if !is_identifier(n) {
            out.push(format!("variable {n:?}: the name must match [a-z][a-z0-9_]*"));
        }
        if BUILTINS.contains(&n.as_str()) {
            out.push(format!("variable {n:?}: this name is built in and cannot be declared"));
        }
        if !seen.insert(n.as_str()) {
            out.push(format!("variable {n:?}: declared twice"));
        }
        if v.regex.is_some() && v.kind != VarType::String {
            out.push(format!("variable {n:?}: `regex` applies only to type \"string\""));
        }
        if let Some(re) = &v.regex
            && let Err(e) = regex::Regex::new(re)
        {
            out.push(format!("variable {n:?}: invalid regex: {e}"));
        }
        match (&v.kind, &v.choices) {
            (VarType::Choice, None) => {
                out.push(format!("variable {n:?}: type \"choice\" needs `choices`"))
            }
            (VarType::Choice, Some(c)) if c.is_empty() => {
                out.push(format!("variable {n:?}: `choices` is empty"))
            }
            (VarType::String | VarType::Bool, Some(_)) => {
                out.push(format!("variable {n:?}: `choices` applies only to type \"choice\""))
            }
            _ => {}
        }
        if let Some(d) = &v.default {
            let problem = match (v.kind, d) {
                (VarType::Bool, toml::Value::Boolean(_)) => None,
                (VarType::Bool, _) => Some("must be true or false".to_string()),
                (_, toml::Value::String(s)) => crate::scaffold::vars::check_value(v, s).err(),
                _ => Some("must be a string".to_string()),
            };
            if let Some(p) = problem {
                out.push(format!("variable {n:?}: default {d}: {p}"));
            }
        }
    }
    for rule in &m.files {
        for g in &rule.include {
            if let Err(e) = globset::Glob::new(g) {
                out.push(format!("[[files]] include {g:?}: invalid glob: {e}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[template]
description = "d"
language = "rust"

[[variables]]
name = "with_ci"
type = "bool"
default = true

[[variables]]
name = "db"
type = "choice"
choices = ["none", "postgres"]
default = "none"

[[files]]
include = [".github/**"]
when = "with_ci"
"#;

    #[test]
    fn parses_the_documented_format() {
        let m = parse(GOOD, "template.toml").unwrap();
        assert_eq!(m.variables.len(), 2);
        assert_eq!(m.variables[1].kind, VarType::Choice);
        assert_eq!(m.files[0].when, "with_ci");
    }

    #[test]
    fn unknown_key_has_position() {
        let text = "[template]\ndescription = \"d\"\nlanguge = \"rust\"\n";
        let err = parse(text, "t/template.toml").unwrap_err();
        assert!(err.starts_with("t/template.toml:3:1:"), "{err}");
        assert!(err.contains("languge"), "{err}");
    }

    #[test]
    fn semantic_problems_are_all_listed() {
        let text = r#"
[template]
description = "d"
[[variables]]
name = "Bad"
[[variables]]
name = "port"
[[variables]]
name = "c"
type = "choice"
choices = ["a"]
default = "b"
[[variables]]
name = "r"
regex = "^[a-z]+$"
default = "X"
"#;
        let err = parse(text, "template.toml").unwrap_err();
        assert!(err.contains("\"Bad\": the name must match"), "{err}");
        assert!(err.contains("\"port\": this name is built in"), "{err}");
        assert!(err.contains("\"c\": default \"b\""), "{err}");
        assert!(err.contains("\"r\": default \"X\""), "{err}");
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
