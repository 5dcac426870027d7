//! Layers as data: reading a file into a [`Layer`], one value from the environment or a flag
//! into a layer of its own, and the dotted-key view (`deploy.timeout`) that merging and
//! `msv config show` use. Also where a key sits in a file, for errors about values that are
//! wrong only together.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use serde_json::{Map, Value};

use super::Source;
use super::schema::{Kind, Layer};

pub(super) fn read_layer(path: &Path) -> anyhow::Result<Layer> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    // toml's message already names the line and column and shows the offending text.
    toml::from_str(&text).map_err(|err| {
        let message = plain_types(err.to_string().trim_end());
        anyhow::anyhow!("{}: {message}", path.display())
    })
}

/// serde names the Rust type a value failed to become (`expected u32`); say what to write.
fn plain_types(message: &str) -> String {
    [
        ("expected u16", "expected a whole number"),
        ("expected u32", "expected a whole number (0 or more)"),
        ("expected u64", "expected a whole number (0 or more)"),
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected a boolean", "expected true or false"),
        ("expected a string", "expected a quoted string"),
    ]
    .iter()
    .fold(message.to_string(), |m, (rust, plain)| {
        m.replace(rust, plain)
    })
}

/// The layer holding a single value at `path`, validated by the schema's types.
pub(super) fn layer_of(path: &str, value: Value) -> anyhow::Result<Layer> {
    let mut root = Map::new();
    insert_path(&mut root, path, value);
    serde_json::from_value(Value::Object(root))
        .map_err(|err| anyhow::anyhow!("{}", plain_types(&err.to_string())))
}

/// Parses a string from the environment or a flag into the JSON value its key expects;
/// a value of the wrong kind is left as a string so the schema reports it.
pub(super) fn scalar(kind: Kind, raw: &str) -> Value {
    match kind {
        Kind::String => Value::String(raw.to_string()),
        Kind::Integer => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(raw.into())),
        Kind::Float => raw
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|v| serde_json::Number::from_f64(v).map(Value::Number))
            .unwrap_or_else(|| Value::String(raw.into())),
        Kind::Bool => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Value::Bool(true),
            "false" | "0" | "no" => Value::Bool(false),
            _ => Value::String(raw.into()),
        },
    }
}

/// `{"deploy": {"timeout": "5m"}}` -> `{"deploy.timeout": "5m"}`. The free-form
/// `service.env` table is flattened one level only, so its keys may contain dots.
pub fn flatten(layer: &Layer) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, value: Value, out: &mut BTreeMap<String, Value>) {
        match value {
            Value::Object(map) if prefix != "service.env" => {
                for (key, value) in map {
                    let path = if prefix.is_empty() {
                        key
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&path, value, out);
                }
            }
            Value::Object(map) => {
                for (key, value) in map {
                    out.insert(format!("service.env.{key}"), value);
                }
            }
            value => {
                out.insert(prefix.to_string(), value);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        "",
        serde_json::to_value(layer).expect("a layer serializes"),
        &mut out,
    );
    out
}

fn insert_path(root: &mut Map<String, Value>, path: &str, value: Value) {
    let (parents, leaf): (Vec<&str>, &str) = match path.strip_prefix("service.env.") {
        Some(name) => (vec!["service", "env"], name),
        None => {
            let mut parts: Vec<&str> = path.split('.').collect();
            let leaf = parts.pop().unwrap_or_default();
            (parts, leaf)
        }
    };
    let mut node = root;
    for part in parents {
        node = node
            .entry(part)
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("configuration paths nest objects only");
    }
    node.insert(leaf.to_string(), value);
}

pub(super) fn unflatten(values: &BTreeMap<String, (Value, Source)>) -> Value {
    let mut root = Map::new();
    for (path, (value, _)) in values {
        insert_path(&mut root, path, value.clone());
    }
    Value::Object(root)
}

/// The line and column (1-based) where the dotted `key` is set in the TOML `text`, when it is.
pub(super) fn locate(text: &str, key: &str) -> Option<(usize, usize)> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        let (name, value) = table.iter().find(|(k, _)| k.get_ref().as_ref() == part)?;
        if parts.peek().is_none() {
            return Some(line_col(text, name.span().start));
        }
        match value.get_ref() {
            toml::de::DeValue::Table(inner) => table = inner,
            _ => return None,
        }
    }
    None
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Where a value came from, as a person looks for it: a file's `path:line:col`, else the source.
pub(super) fn whereabouts(source: &Source, key: &str) -> String {
    match source {
        Source::Manifest(path) | Source::Global(path) => {
            let at = std::fs::read_to_string(path)
                .ok()
                .and_then(|text| locate(&text, key));
            match at {
                Some((line, col)) => format!("{}:{line}:{col}", path.display()),
                None => path.display().to_string(),
            }
        }
        Source::Workspace(path) => {
            let at = std::fs::read_to_string(path)
                .ok()
                .and_then(|text| locate(&text, &format!("workspace.defaults.{key}")));
            match at {
                Some((line, col)) => format!("{}:{line}:{col}", path.display()),
                None => path.display().to_string(),
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_at_their_line_and_column() {
        let text = "[service]\nname = \"a\"\n\n[deploy.autoscaling]\n  min_replicas = 5\n";
        assert_eq!(locate(text, "service.name"), Some((2, 1)));
        assert_eq!(
            locate(text, "deploy.autoscaling.min_replicas"),
            Some((5, 3))
        );
        assert_eq!(locate(text, "deploy.timeout"), None);
        let dotted = "deploy.autoscaling.max_replicas = 2\n";
        assert_eq!(
            locate(dotted, "deploy.autoscaling.max_replicas"),
            Some((1, 20))
        );
    }
}
