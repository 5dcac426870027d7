//! The three patch types of `PATCH` (JSON merge, JSON patch, strategic merge) and the
//! list merge keys that strategic merge and server-side apply share. Strategic merge knows
//! the associative lists of the served kinds (containers, ports, env, volumes, volume
//! mounts, conditions, owner references) and the `$patch` / `$retainKeys` /
//! `$setElementOrder` directives; other lists are replaced, as they are for lists without a
//! patch strategy.

use serde_json::{Map, Value};

/// Merge keys of an associative list, found from the list's field name and its items
/// (a `ports` list of a container has `containerPort`, of a Service `port`). `None`: the
/// list is atomic and a patch replaces it.
pub(crate) fn merge_keys(field: &str, items: &[Value]) -> Option<&'static [&'static str]> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => Some(&["name"]),
        "volumeMounts" => Some(&["mountPath"]),
        "conditions" => Some(&["type"]),
        "ownerReferences" => Some(&["uid"]),
        "ports" if items.iter().any(|i| i.get("containerPort").is_some()) => {
            Some(&["containerPort", "protocol"])
        }
        "ports" => Some(&["port", "protocol"]),
        _ => None,
    }
}

/// The key of one list item; `protocol` defaults to TCP as the server defaults it.
pub(crate) fn item_key(keys: &[&str], item: &Value) -> Vec<(String, Value)> {
    keys.iter()
        .filter_map(|k| match item.get(*k) {
            Some(v) => Some((k.to_string(), v.clone())),
            None if *k == "protocol" => Some((k.to_string(), Value::String("TCP".into()))),
            None => None,
        })
        .collect()
}

pub(crate) fn json_merge(target: &mut Value, patch: &Value) {
    json_patch::merge(target, patch);
}

pub(crate) fn json_patch(target: &mut Value, patch: &Value) -> Result<(), String> {
    let p: json_patch::Patch =
        serde_json::from_value(patch.clone()).map_err(|e| format!("invalid JSON patch: {e}"))?;
    json_patch::patch(target, &p).map_err(|e| e.to_string())
}

/// Applies a strategic merge patch to `target`.
pub(crate) fn strategic(target: &mut Value, patch: &Value) -> Result<(), String> {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => merge_map(t, p),
        (t, p) => {
            *t = strip_directives(p);
            Ok(())
        }
    }
}

fn merge_map(t: &mut Map<String, Value>, p: &Map<String, Value>) -> Result<(), String> {
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut replaced = p.clone();
        replaced.remove("$patch");
        *t = strip_directives(&Value::Object(replaced))
            .as_object()
            .cloned()
            .unwrap_or_default();
        return Ok(());
    }
    if let Some(keep) = p.get("$retainKeys").and_then(Value::as_array) {
        let keep: Vec<&str> = keep.iter().filter_map(Value::as_str).collect();
        t.retain(|k, _| keep.contains(&k.as_str()));
    }
    for (k, v) in p {
        if k.starts_with('$') {
            continue;
        }
        match v {
            Value::Null => {
                t.remove(k);
            }
            Value::Object(pm) => match t.get_mut(k) {
                Some(Value::Object(tm)) => merge_map(tm, pm)?,
                _ => {
                    let mut fresh = Map::new();
                    merge_map(&mut fresh, pm)?;
                    t.insert(k.clone(), Value::Object(fresh));
                }
            },
            Value::Array(items) => {
                let merged = match (t.get(k), merge_keys(k, items)) {
                    (Some(Value::Array(existing)), Some(keys)) => {
                        merge_list(existing, items, keys)?
                    }
                    _ => items
                        .iter()
                        .filter(|i| i.get("$patch").is_none())
                        .map(strip_directives)
                        .collect(),
                };
                t.insert(k.clone(), Value::Array(merged));
            }
            other => {
                t.insert(k.clone(), other.clone());
            }
        }
    }
    Ok(())
}

fn merge_list(existing: &[Value], patch: &[Value], keys: &[&str]) -> Result<Vec<Value>, String> {
    let mut out: Vec<Value> = existing.to_vec();
    for item in patch {
        let key = item_key(keys, item);
        if key.is_empty() {
            return Err(format!(
                "map: {item} does not contain declared merge key: {}",
                keys[0]
            ));
        }
        let pos = out.iter().position(|e| item_key(keys, e) == key);
        match item.get("$patch").and_then(Value::as_str) {
            Some("delete") => {
                if let Some(i) = pos {
                    out.remove(i);
                }
            }
            _ => match pos {
                Some(i) => strategic(&mut out[i], item)?,
                None => out.push(strip_directives(item)),
            },
        }
    }
    Ok(out)
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strategic_merge_merges_containers_by_name_and_replaces_plain_lists() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "a:1", "args": ["x"]}, {"name": "side", "image": "s:1"}]}}}});
        strategic(
            &mut d,
            &json!({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "a:2", "args": ["y", "z"]}]}}}}),
        )
        .unwrap();
        let cs = &d["spec"]["template"]["spec"]["containers"];
        assert_eq!(cs.as_array().unwrap().len(), 2);
        assert_eq!(cs[0]["image"], "a:2");
        assert_eq!(cs[0]["args"], json!(["y", "z"]));
    }

    #[test]
    fn strategic_merge_merges_selector_maps_and_deletes_with_null_and_patch_delete() {
        let mut s = json!({"spec": {"selector": {"app": "o", "color": "blue"}, "ports": [{"port": 80}, {"port": 81}]}});
        strategic(
            &mut s,
            &json!({"spec": {"selector": {"color": "green", "app": null},
            "ports": [{"port": 81, "$patch": "delete"}]}}),
        )
        .unwrap();
        assert_eq!(s["spec"]["selector"], json!({"color": "green"}));
        assert_eq!(s["spec"]["ports"], json!([{"port": 80}]));
        strategic(
            &mut s,
            &json!({"spec": {"selector": {"$patch": "replace", "x": "y"}}}),
        )
        .unwrap();
        assert_eq!(s["spec"]["selector"], json!({"x": "y"}));
    }

    #[test]
    fn json_patch_reports_a_failed_test_op() {
        let mut v = json!({"a": 1});
        assert!(json_patch(&mut v, &json!([{"op": "test", "path": "/a", "value": 2}])).is_err());
        json_patch(
            &mut v,
            &json!([{"op": "replace", "path": "/a", "value": 3}]),
        )
        .unwrap();
        assert_eq!(v, json!({"a": 3}));
    }
}
