//! Server-side apply and `metadata.managedFields`: which manager owns which field, how an
//! apply merges into the live object (removing fields the manager stopped applying),
//! and the 409 conflict when an apply would change a field another manager owns (unless
//! `force=true`, which takes the field over). Non-apply writes record an `Update` entry for
//! the fields they changed, which is what makes a later apply conflict.
//!
//! Field sets are kept as paths in the `FieldsV1` spelling (`f:spec`, `k:{"name":"app"}`,
//! `.` for a list item itself). Scalars, maps of scalars and atomic lists are leaves;
//! associative lists (see `patch::merge_keys`) are tracked per item.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::patch::{item_key, merge_keys};

type Path = Vec<String>;
type FieldSet = BTreeSet<Path>;

const SERVER_OWNED: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "namespace",
    "name",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

fn key_elem(keys: &[&str], item: &Value) -> String {
    let mut m = Map::new();
    for (k, v) in item_key(keys, item) {
        m.insert(k, v);
    }
    format!("k:{}", Value::Object(m))
}

fn collect(v: &Value, field: &str, prefix: &mut Path, out: &mut FieldSet) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                prefix.push(format!("f:{k}"));
                collect(child, k, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) if !items.is_empty() => match merge_keys(field, items) {
            Some(keys) => {
                for item in items {
                    prefix.push(key_elem(keys, item));
                    let mut dot = prefix.clone();
                    dot.push(".".into());
                    out.insert(dot);
                    if let Value::Object(m) = item {
                        for (k, child) in m {
                            prefix.push(format!("f:{k}"));
                            collect(child, k, prefix, out);
                            prefix.pop();
                        }
                    }
                    prefix.pop();
                }
            }
            None => {
                out.insert(prefix.clone());
            }
        },
        _ => {
            out.insert(prefix.clone());
        }
    }
}

/// The fields an object sets, minus those the server owns (and `status`, when it is only
/// written through its subresource).
pub(crate) fn fields_of(obj: &Value, status_separate: bool, subresource: Option<&str>) -> FieldSet {
    let mut out = FieldSet::new();
    collect(obj, "", &mut Vec::new(), &mut out);
    out.retain(|p| {
        let first = p.first().map(String::as_str).unwrap_or("");
        if first == "f:apiVersion" || first == "f:kind" {
            return false;
        }
        if first == "f:metadata"
            && p.get(1)
                .is_some_and(|s| SERVER_OWNED.iter().any(|o| s == &format!("f:{o}")))
        {
            return false;
        }
        match subresource {
            Some("status") => first == "f:status",
            _ => !(status_separate && first == "f:status"),
        }
    });
    out
}

/// The value at a field path, if the object has it.
fn get_at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = obj;
    let mut field = "";
    for elem in path {
        if let Some(name) = elem.strip_prefix("f:") {
            cur = cur.get(name)?;
            field = name;
        } else if let Some(key) = elem.strip_prefix("k:") {
            let items = cur.as_array()?;
            let keys = merge_keys(field, items)?;
            cur = items
                .iter()
                .find(|i| key_elem(keys, i) == format!("k:{key}"))?;
        } else if elem == "." {
            return Some(cur);
        }
    }
    Some(cur)
}

fn remove_at(obj: &mut Value, path: &[String]) {
    let Some((last, parent_path)) = path.split_last() else {
        return;
    };
    if last == "." {
        // Removing a list item: its parent path ends with the item key.
        let Some((key, list_path)) = parent_path.split_last() else {
            return;
        };
        let field = list_path
            .last()
            .and_then(|f| f.strip_prefix("f:"))
            .unwrap_or("")
            .to_string();
        if let Some(Value::Array(items)) = get_mut_at(obj, list_path) {
            if let Some(keys) = merge_keys(&field, items) {
                items.retain(|i| &key_elem(keys, i) != key);
            }
        }
        return;
    }
    if let (Some(name), Some(Value::Object(m))) =
        (last.strip_prefix("f:"), get_mut_at(obj, parent_path))
    {
        m.remove(name);
    }
}

fn get_mut_at<'a>(obj: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut cur = obj;
    let mut field = String::new();
    for elem in path {
        if let Some(name) = elem.strip_prefix("f:") {
            cur = cur.get_mut(name)?;
            field = name.to_string();
        } else if let Some(key) = elem.strip_prefix("k:") {
            let items = cur.as_array_mut()?;
            let keys = merge_keys(&field, items)?;
            let want = format!("k:{key}");
            cur = items.iter_mut().find(|i| key_elem(keys, i) == want)?;
        }
    }
    Some(cur)
}

/// Deep merge of an applied configuration into the live object: maps field by field,
/// associative lists item by item (new items appended), everything else replaced.
fn merge_into(live: &mut Value, applied: &Value, field: &str) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, v) in a {
                match l.get_mut(k) {
                    Some(existing) if !v.is_null() => merge_into(existing, v, k),
                    _ => {
                        l.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(l), Value::Array(a)) => {
            match merge_keys(field, a).or_else(|| merge_keys(field, l)) {
                Some(keys) => {
                    for item in a {
                        let k = key_elem(keys, item);
                        match l.iter_mut().find(|i| key_elem(keys, i) == k) {
                            Some(existing) => merge_into(existing, item, ""),
                            None => l.push(item.clone()),
                        }
                    }
                }
                None => *l = a.clone(),
            }
        }
        (l, a) => *l = a.clone(),
    }
}

pub(crate) fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut cur = &mut root;
        for elem in path {
            cur = cur
                .entry(elem.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("object");
        }
    }
    Value::Object(root)
}

fn from_fields_v1(v: &Value) -> FieldSet {
    fn walk(v: &Value, prefix: &mut Path, out: &mut FieldSet) {
        match v.as_object() {
            Some(m) if !m.is_empty() => {
                for (k, c) in m {
                    prefix.push(k.clone());
                    walk(c, prefix, out);
                    prefix.pop();
                }
            }
            _ => {
                out.insert(prefix.clone());
            }
        }
    }
    let mut out = FieldSet::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

#[derive(Debug, Clone)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    subresource: Option<String>,
    time: String,
    fields: FieldSet,
}

fn entries(obj: &Value) -> Vec<Entry> {
    obj["metadata"]["managedFields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| Entry {
                    manager: e["manager"].as_str().unwrap_or("").into(),
                    operation: e["operation"].as_str().unwrap_or("").into(),
                    api_version: e["apiVersion"].as_str().unwrap_or("").into(),
                    subresource: e["subresource"].as_str().map(String::from),
                    time: e["time"].as_str().unwrap_or("").into(),
                    fields: from_fields_v1(&e["fieldsV1"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn store_entries(obj: &mut Value, list: Vec<Entry>) {
    let arr: Vec<Value> = list
        .into_iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({"manager": e.manager, "operation": e.operation, "apiVersion": e.api_version,
                "time": e.time, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(&e.fields)});
            if let Some(s) = e.subresource {
                v["subresource"] = json!(s);
            }
            v
        })
        .collect();
    obj["metadata"]["managedFields"] = Value::Array(arr);
}

/// `.spec.template.spec.containers[name="app"].image`, as conflict messages print a path.
pub(crate) fn display_path(path: &[String]) -> String {
    let mut s = String::new();
    for elem in path {
        if let Some(f) = elem.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = elem.strip_prefix("k:") {
            let m: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
            let inner: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&format!("[{}]", inner.join(",")));
        }
    }
    s
}

/// One field another manager owns with a different value.
#[derive(Debug, Clone)]
pub(crate) struct Conflict {
    pub manager: String,
    pub api_version: String,
    pub field: String,
}

pub(crate) struct ApplyRequest<'a> {
    pub live: Option<&'a Value>,
    pub applied: &'a Value,
    pub manager: &'a str,
    pub force: bool,
    pub api_version: &'a str,
    pub status_separate: bool,
    pub subresource: Option<&'a str>,
}

/// Computes the object after an apply, with its managedFields, or the conflicts.
pub(crate) fn apply(req: ApplyRequest<'_>) -> Result<Value, Vec<Conflict>> {
    let mut live = req.live.cloned().unwrap_or_else(|| json!({"metadata": {}}));
    let mut list = entries(&live);
    let new_set = fields_of(req.applied, req.status_separate, req.subresource);
    let is_mine = |e: &Entry| {
        e.manager == req.manager
            && e.operation == "Apply"
            && e.subresource.as_deref() == req.subresource
    };

    let mut conflicts = Vec::new();
    for e in list.iter().filter(|e| !is_mine(e)) {
        for p in new_set.intersection(&e.fields) {
            if p.last().map(String::as_str) == Some(".") {
                continue;
            }
            if get_at(&live, p) != get_at(req.applied, p) {
                conflicts.push((e.manager.clone(), e.api_version.clone(), p.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !req.force {
        return Err(conflicts
            .into_iter()
            .map(|(manager, api_version, p)| Conflict {
                manager,
                api_version,
                field: display_path(&p),
            })
            .collect());
    }
    for (manager, _, p) in &conflicts {
        for e in list.iter_mut().filter(|e| &e.manager == manager) {
            e.fields.remove(p);
        }
    }

    let old_set: FieldSet = list
        .iter()
        .filter(|e| is_mine(e))
        .flat_map(|e| e.fields.clone())
        .collect();
    let others: FieldSet = list
        .iter()
        .filter(|e| !is_mine(e))
        .flat_map(|e| e.fields.clone())
        .collect();
    // Deepest first so that items go after their fields.
    let mut removed: Vec<&Path> = old_set
        .iter()
        .filter(|p| !new_set.contains(*p) && !others.contains(*p))
        .collect();
    removed.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in removed {
        remove_at(&mut live, p);
        // A map left empty by the removal goes too (but not the top-level sections).
        let mut parent = &p[..p.len() - 1];
        while parent.len() > 1
            && parent.last().is_some_and(|e| e.starts_with("f:"))
            && get_at(&live, parent).is_some_and(|v| v.as_object().is_some_and(|m| m.is_empty()))
        {
            remove_at(&mut live, parent);
            parent = &parent[..parent.len() - 1];
        }
    }
    let mut applied = req.applied.clone();
    if let Some(m) = applied["metadata"].as_object_mut() {
        m.remove("managedFields");
        m.remove("resourceVersion");
    }
    merge_into(&mut live, &applied, "");

    list.retain(|e| !is_mine(e));
    list.push(Entry {
        manager: req.manager.into(),
        operation: "Apply".into(),
        api_version: req.api_version.into(),
        subresource: req.subresource.map(String::from),
        time: super::store::now(),
        fields: new_set,
    });
    store_entries(&mut live, list);
    Ok(live)
}

/// Records a non-apply write: the fields it changed belong to `manager` (operation
/// Update) and no longer to anyone else; fields it removed belong to no one.
pub(crate) fn track_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    status_separate: bool,
    subresource: Option<&str>,
) {
    let mut list = old.map(entries).unwrap_or_default();
    let new_fields = fields_of(new, status_separate, subresource);
    let old_fields = old
        .map(|o| fields_of(o, status_separate, subresource))
        .unwrap_or_default();
    let changed: FieldSet = new_fields
        .iter()
        .filter(|p| old.is_none_or(|o| get_at(o, p) != get_at(new, p)))
        .cloned()
        .collect();
    let gone: FieldSet = old_fields.difference(&new_fields).cloned().collect();
    if changed.is_empty() && gone.is_empty() {
        store_entries(new, list);
        return;
    }
    for e in list.iter_mut() {
        e.fields
            .retain(|p| !changed.contains(p) && !gone.contains(p));
    }
    let sub = subresource.filter(|s| *s == "status").map(String::from);
    match list
        .iter_mut()
        .find(|e| e.manager == manager && e.operation == "Update" && e.subresource == sub)
    {
        Some(e) => {
            e.fields.extend(changed);
            e.time = super::store::now();
        }
        None => list.push(Entry {
            manager: manager.into(),
            operation: "Update".into(),
            api_version: api_version.into(),
            subresource: sub,
            time: super::store::now(),
            fields: changed,
        }),
    }
    store_entries(new, list);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(replicas: i64, image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "labels": {"a": "b"}},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "app", "image": image}]}}}})
    }

    fn req<'a>(
        live: Option<&'a Value>,
        applied: &'a Value,
        manager: &'a str,
        force: bool,
    ) -> ApplyRequest<'a> {
        ApplyRequest {
            live,
            applied,
            manager,
            force,
            api_version: "apps/v1",
            status_separate: true,
            subresource: None,
        }
    }

    #[test]
    fn apply_records_fields_and_conflicts_with_another_manager_unless_forced() {
        let first = apply(req(None, &deploy(2, "i:1"), "msv", false)).unwrap();
        let mf = &first["metadata"]["managedFields"][0];
        assert_eq!(mf["manager"], "msv");
        assert_eq!(mf["operation"], "Apply");
        assert!(mf["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"app\"}"]["."].is_object());
        // The same values from another manager share ownership without conflict.
        let shared = apply(req(Some(&first), &deploy(2, "i:1"), "other", false)).unwrap();
        assert_eq!(
            shared["metadata"]["managedFields"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let err = apply(req(Some(&first), &deploy(3, "i:1"), "other", false)).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, ".spec.replicas");
        assert_eq!(err[0].manager, "msv");
        let forced = apply(req(Some(&first), &deploy(3, "i:1"), "other", true)).unwrap();
        assert_eq!(forced["spec"]["replicas"], 3);
    }

    #[test]
    fn apply_removes_fields_the_manager_no_longer_applies() {
        let first = apply(req(None, &deploy(2, "i:1"), "msv", false)).unwrap();
        let mut less = deploy(2, "i:2");
        less["metadata"].as_object_mut().unwrap().remove("labels");
        let second = apply(req(Some(&first), &less, "msv", false)).unwrap();
        assert!(second["metadata"].get("labels").is_none());
        assert_eq!(
            second["spec"]["template"]["spec"]["containers"][0]["image"],
            "i:2"
        );
    }

    #[test]
    fn an_update_takes_fields_over_and_later_applies_conflict() {
        let first = apply(req(None, &deploy(2, "i:1"), "msv", false)).unwrap();
        let mut scaled = first.clone();
        scaled["spec"]["replicas"] = json!(5);
        track_update(
            Some(&first),
            &mut scaled,
            "kubectl-scale",
            "apps/v1",
            true,
            None,
        );
        let err = apply(req(Some(&scaled), &deploy(2, "i:1"), "msv", false)).unwrap_err();
        assert_eq!(err[0].manager, "kubectl-scale");
    }
}
