//! Template variables: the built-ins, values from `--set`, answers to prompts and declared
//! defaults, merged into one validated set. Prompting itself sits behind [`Prompter`] so the
//! decisions here stay testable; the terminal implementation lives in `prompt.rs`.

use std::collections::BTreeMap;

use heck::{ToKebabCase, ToPascalCase, ToSnakeCase};
use serde_json::Value;

use super::manifest::{BUILTINS, Manifest, VarType, Variable};

/// Resolved variable values, by name.
pub type Values = BTreeMap<String, Value>;

/// Asks the user for one variable; implementations must only return valid values
/// (use [`check_value`]).
pub trait Prompter {
    fn ask(&mut self, var: &Variable, default: Option<&Value>) -> anyhow::Result<Value>;
}

/// The values every template gets.
#[derive(Debug, Clone)]
pub struct Builtins {
    pub name: String,
    pub author: String,
    pub year: i16,
}

/// The case variants of a service name, as templates see them.
pub fn variants(name: &str) -> [(&'static str, String); 4] {
    [
        ("name", name.to_string()),
        ("name_snake", name.to_snake_case()),
        ("name_kebab", name.to_kebab_case()),
        ("name_pascal", name.to_pascal_case()),
    ]
}

/// Checks a string value against a variable's type, regex and choices; the error shows
/// what is allowed.
pub fn check_value(var: &Variable, value: &str) -> Result<(), String> {
    match var.kind {
        VarType::Bool => parse_bool(value).map(|_| ()),
        VarType::Choice => {
            let choices = var.choices.as_deref().unwrap_or_default();
            if choices.iter().any(|c| c == value) {
                Ok(())
            } else {
                Err(format!(
                    "{value:?} is not one of the choices: {}",
                    choices.join(", ")
                ))
            }
        }
        VarType::String => match &var.regex {
            Some(re) => match regex::Regex::new(re) {
                Ok(r) if r.is_match(value) => Ok(()),
                Ok(_) => Err(format!("{value:?} does not match the pattern {re}")),
                Err(e) => Err(format!("the template's regex {re:?} is invalid: {e}")),
            },
            None => Ok(()),
        },
    }
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "on" => Ok(true),
        "false" | "no" | "n" | "0" | "off" => Ok(false),
        _ => Err(format!("{s:?} is not a boolean; use true or false")),
    }
}

fn typed(var: &Variable, s: &str) -> Result<Value, String> {
    check_value(var, s)?;
    Ok(match var.kind {
        VarType::Bool => Value::Bool(parse_bool(s)?),
        _ => Value::String(s.to_string()),
    })
}

fn parse_port(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!("port {s:?} is not a port number (1-65535)")),
    }
}

/// Splits `key=value` from `--set`.
pub fn parse_set(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("--set {s:?}: expected key=value")),
    }
}

/// The declared default of a variable as a template value.
pub fn default_of(var: &Variable) -> Option<Value> {
    var.default.as_ref().map(|d| match d {
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::String(s) => Value::String(s.clone()),
        other => Value::String(other.to_string()),
    })
}

/// Merges built-ins, `--set` values, prompts (when a prompter is given) and defaults.
/// Every problem — unknown keys, invalid values, required values with no answer — is
/// reported in one error.
pub fn resolve(
    manifest: &Manifest,
    builtins: &Builtins,
    sets: &[(String, String)],
    mut prompter: Option<&mut dyn Prompter>,
) -> anyhow::Result<Values> {
    let mut values = Values::new();
    for (k, v) in variants(&builtins.name) {
        values.insert(k.to_string(), Value::String(v));
    }
    values.insert("port".into(), Value::from(8080u16));
    values.insert("author".into(), Value::String(builtins.author.clone()));
    values.insert("year".into(), Value::from(builtins.year));

    let mut problems = Vec::new();
    let mut given: BTreeMap<&str, &str> = BTreeMap::new();
    for (k, v) in sets {
        if k == "port" {
            match parse_port(v) {
                Ok(p) => {
                    values.insert("port".into(), Value::from(p));
                }
                Err(e) => problems.push(format!("--set port: {e}")),
            }
        } else if BUILTINS.contains(&k.as_str()) {
            problems.push(format!("--set {k}: `{k}` is built in and cannot be set"));
        } else if manifest.variables.iter().any(|var| &var.name == k) {
            given.insert(k, v);
        } else {
            let mut known: Vec<&str> = manifest.variables.iter().map(|v| v.name.as_str()).collect();
            known.push("port");
            problems.push(format!(
                "--set {k}: the template has no variable `{k}` (it has: {})",
                known.join(", ")
            ));
        }
    }

    let mut missing = Vec::new();
    for var in &manifest.variables {
        let value = if let Some(s) = given.get(var.name.as_str()) {
            match typed(var, s) {
                Ok(v) => v,
                Err(e) => {
                    problems.push(format!("--set {}: {e}", var.name));
                    continue;
                }
            }
        } else if let Some(p) = prompter.as_deref_mut() {
            p.ask(var, default_of(var).as_ref())?
        } else if let Some(d) = default_of(var) {
            d
        } else {
            missing.push(var);
            continue;
        };
        values.insert(var.name.clone(), value);
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|v| describe_missing(v)).collect();
        problems.push(format!(
            "missing required values (no terminal to ask on; pass them with --set):\n{}",
            list.join("\n")
        ));
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        anyhow::bail!("{}", problems.join("\n"))
    }
}

fn describe_missing(v: &Variable) -> String {
    let mut s = format!(
        "  --set {}=<{}>",
        v.name,
        match v.kind {
            VarType::String => "string",
            VarType::Bool => "true|false",
            VarType::Choice => "choice",
        }
    );
    if let Some(p) = &v.prompt {
        s.push_str(&format!("  {p}"));
    }
    if let Some(c) = &v.choices {
        s.push_str(&format!(" (one of: {})", c.join(", ")));
    }
    if let Some(r) = &v.regex {
        s.push_str(&format!(" (matching {r})"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaffold::manifest::parse;

    #[test]
    fn case_variants() {
        let v = variants("order-service");
        assert_eq!(v[1].1, "order_service");
        assert_eq!(v[2].1, "order-service");
        assert_eq!(v[3].1, "OrderService");
    }

    fn manifest() -> Manifest {
        parse(
            r#"
[template]
description = "d"
[[variables]]
name = "team"
prompt = "Owning team"
regex = "^[a-z]+$"
[[variables]]
name = "db"
type = "choice"
choices = ["none", "postgres"]
[[variables]]
name = "with_ci"
type = "bool"
default = true
"#,
            "t",
        )
        .unwrap()
    }

    fn b() -> Builtins {
        Builtins {
            name: "order-service".into(),
            author: "A".into(),
            year: 2026,
        }
    }

    fn sets(pairs: &[&str]) -> Vec<(String, String)> {
        pairs.iter().map(|s| parse_set(s).unwrap()).collect()
    }

    #[test]
    fn sets_and_defaults_merge_with_builtins() {
        let v = resolve(
            &manifest(),
            &b(),
            &sets(&["team=core", "db=postgres", "port=9000"]),
            None,
        )
        .unwrap();
        assert_eq!(v["team"], "core");
        assert_eq!(v["with_ci"], true);
        assert_eq!(v["port"], 9000);
        assert_eq!(v["name_pascal"], "OrderService");
        assert_eq!(v["year"], 2026);
    }

    #[test]
    fn all_missing_values_listed_at_once() {
        let err = resolve(&manifest(), &b(), &[], None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--set team=<string>  Owning team (matching ^[a-z]+$)"),
            "{err}"
        );
        assert!(
            err.contains("--set db=<choice> (one of: none, postgres)"),
            "{err}"
        );
        assert!(!err.contains("with_ci"), "{err}");
    }

    #[test]
    fn invalid_values_show_what_is_allowed() {
        let err = resolve(
            &manifest(),
            &b(),
            &sets(&[
                "team=Core",
                "db=mysql",
                "with_ci=maybe",
                "port=0",
                "nope=1",
                "name=x",
            ]),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("does not match the pattern ^[a-z]+$"), "{err}");
        assert!(
            err.contains("\"mysql\" is not one of the choices: none, postgres"),
            "{err}"
        );
        assert!(err.contains("\"maybe\" is not a boolean"), "{err}");
        assert!(err.contains("port \"0\" is not a port number"), "{err}");
        assert!(
            err.contains("no variable `nope` (it has: team, db, with_ci, port)"),
            "{err}"
        );
        assert!(err.contains("`name` is built in"), "{err}");
    }

    struct Fixed;
    impl Prompter for Fixed {
        fn ask(&mut self, var: &Variable, default: Option<&Value>) -> anyhow::Result<Value> {
            Ok(default.cloned().unwrap_or_else(|| {
                Value::String(var.choices.as_ref().map_or("abc".into(), |c| c[1].clone()))
            }))
        }
    }

    #[test]
    fn prompter_answers_what_is_not_set() {
        let v = resolve(&manifest(), &b(), &sets(&["team=x"]), Some(&mut Fixed)).unwrap();
        assert_eq!(v["team"], "x");
        assert_eq!(v["db"], "postgres");
        assert_eq!(v["with_ci"], true);
    }
}
