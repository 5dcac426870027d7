//! The write verbs on the state, independent of HTTP: create, update, patch (every
//! type), delete — with the API server's order of checks (namespace exists, object exists,
//! preconditions, status subresource split, defaults, validation, quota admission of
//! pods, managedFields) and its errors. Controllers and seeding use these too.

use serde_json::{Value, json};

use super::State;
use super::apply::{self, ApplyRequest};
use super::patch;
use super::resources::{ResourceType, by_plural};
use super::status::ApiError;
use super::store::name_of;
use super::validate;

pub(crate) enum PatchType {
    Merge,
    Json,
    Strategic,
    Apply { force: bool },
}

impl PatchType {
    pub fn from_content_type(ct: &str, force: bool) -> Result<PatchType, ApiError> {
        match ct.split(';').next().unwrap_or("").trim() {
            "application/merge-patch+json" => Ok(PatchType::Merge),
            "application/json-patch+json" => Ok(PatchType::Json),
            "application/strategic-merge-patch+json" => Ok(PatchType::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
                Ok(PatchType::Apply { force })
            }
            other => Err(ApiError::unsupported_media(other)),
        }
    }
}

fn check_namespace(st: &State, rt: &ResourceType, ns: &str) -> Result<(), ApiError> {
    if rt.namespaced && st.store.get(by_plural("namespaces"), "", ns).is_none() {
        return Err(ApiError::namespace_not_found(ns));
    }
    Ok(())
}

fn alloc_ip(st: &mut State) -> String {
    st.next_ip += 1;
    format!("10.96.{}.{}", st.next_ip / 250, st.next_ip % 250 + 1)
}

fn finish(
    st: &mut State,
    rt: &'static ResourceType,
    obj: &mut Value,
    old: Option<&Value>,
) -> Result<(), ApiError> {
    let mut ip = None;
    if rt.kind == "Service" && obj["spec"].get("clusterIP").is_none() {
        ip = Some(
            old.and_then(|o| o["spec"]["clusterIP"].as_str().map(String::from))
                .unwrap_or_else(|| alloc_ip(st)),
        );
        if let Some(o) = old {
            obj["spec"]["clusterIPs"] = o["spec"]["clusterIPs"].clone();
        }
    }
    validate::default(rt.kind, obj, || ip.unwrap_or_default());
    let causes = validate::validate(rt.kind, obj, old);
    if !causes.is_empty() {
        return Err(ApiError::invalid(rt, name_of(obj), &causes));
    }
    Ok(())
}

/// A short random-looking suffix, as `generateName` and controllers use.
pub(crate) fn suffix(seed: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5555;
    (0..5)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ALPHABET[((x >> 33) % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

pub(crate) fn create(
    st: &mut State,
    rt: &'static ResourceType,
    ns: &str,
    mut obj: Value,
    manager: &str,
    _sub: Option<&str>,
) -> Result<Value, ApiError> {
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request is not a JSON object",
        ));
    }
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    if rt.namespaced
        && let Some(body_ns) = obj["metadata"]["namespace"].as_str()
        && !body_ns.is_empty()
        && body_ns != ns
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    check_namespace(st, rt, ns)?;
    if name_of(&obj).is_empty()
        && let Some(prefix) = obj["metadata"]["generateName"].as_str()
    {
        obj["metadata"]["name"] = json!(format!("{prefix}{}", suffix(st.store.current_rv())));
    }
    if rt.status_subresource
        && rt.kind != "Namespace"
        && let Some(m) = obj.as_object_mut()
    {
        m.remove("status");
    }
    for f in [
        "resourceVersion",
        "uid",
        "managedFields",
        "creationTimestamp",
        "generation",
    ] {
        obj["metadata"].as_object_mut().map(|m| m.remove(f));
    }
    finish(st, rt, &mut obj, None)?;
    // Admission runs after validation and before the store sees the name.
    if rt.kind == "Pod" {
        super::quota::admit_pod(st, ns, name_of(&obj))?;
    }
    if st.store.get(rt, ns, name_of(&obj)).is_some() {
        return Err(ApiError::already_exists(rt, name_of(&obj)));
    }
    apply::track_update(
        None,
        &mut obj,
        manager,
        &rt.api_version(),
        rt.status_subresource,
        None,
    );
    Ok(st.store.create(rt, ns, obj))
}

fn existing(
    st: &State,
    rt: &'static ResourceType,
    ns: &str,
    name: &str,
) -> Result<Value, ApiError> {
    if rt.namespaced && st.store.get(by_plural("namespaces"), "", ns).is_none() {
        return Err(ApiError::not_found(rt, name));
    }
    st.store
        .get(rt, ns, name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(rt, name))
}

/// Splits main resource and status: a write to one keeps the other from the stored object.
fn merge_subresource(rt: &ResourceType, old: &Value, mut new: Value, sub: Option<&str>) -> Value {
    if !rt.status_subresource {
        return new;
    }
    match sub {
        Some("status") => {
            let mut out = old.clone();
            out["status"] = new["status"].take();
            out["metadata"]["resourceVersion"] = new["metadata"]["resourceVersion"].clone();
            out
        }
        _ => {
            match old.get("status") {
                Some(s) => new["status"] = s.clone(),
                None => {
                    new.as_object_mut().map(|m| m.remove("status"));
                }
            }
            new
        }
    }
}

fn precondition(rt: &ResourceType, old: &Value, new: &Value) -> Result<(), ApiError> {
    match new["metadata"]["resourceVersion"].as_str() {
        Some(rv) if !rv.is_empty() && Some(rv) != old["metadata"]["resourceVersion"].as_str() => {
            Err(ApiError::conflict(rt, name_of(old)))
        }
        _ => Ok(()),
    }
}

pub(crate) fn update(
    st: &mut State,
    rt: &'static ResourceType,
    ns: &str,
    name: &str,
    obj: Value,
    manager: &str,
    sub: Option<&str>,
) -> Result<Value, ApiError> {
    let old = existing(st, rt, ns, name)?;
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request is not a JSON object",
        ));
    }
    if name_of(&obj) != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            name_of(&obj)
        )));
    }
    precondition(rt, &old, &obj)?;
    write_back(st, rt, ns, &old, obj, manager, sub)
}

fn write_back(
    st: &mut State,
    rt: &'static ResourceType,
    ns: &str,
    old: &Value,
    obj: Value,
    manager: &str,
    sub: Option<&str>,
) -> Result<Value, ApiError> {
    let mut new = merge_subresource(rt, old, obj, sub);
    new["metadata"]["managedFields"] = old["metadata"]["managedFields"].clone();
    if sub != Some("status") {
        finish(st, rt, &mut new, Some(old))?;
    }
    apply::track_update(
        Some(old),
        &mut new,
        manager,
        &rt.api_version(),
        rt.status_subresource,
        sub,
    );
    Ok(st.store.update(rt, ns, new))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn patch(
    st: &mut State,
    rt: &'static ResourceType,
    ns: &str,
    name: &str,
    kind: PatchType,
    body: &Value,
    manager: Option<&str>,
    sub: Option<&str>,
) -> Result<Value, ApiError> {
    if let PatchType::Apply { force } = kind {
        let Some(manager) = manager.filter(|m| !m.is_empty()) else {
            return Err(ApiError::bad_request(
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            ));
        };
        if name_of(body) != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                name_of(body)
            )));
        }
        let live = st.store.get(rt, ns, name).cloned();
        if live.is_none() && sub.is_some() {
            return Err(ApiError::not_found(rt, name));
        }
        let req = ApplyRequest {
            live: live.as_ref(),
            applied: body,
            manager,
            force,
            api_version: &rt.api_version(),
            status_separate: rt.status_subresource,
            subresource: sub,
        };
        let merged = apply::apply(req).map_err(|c| ApiError::apply_conflicts(rt, name, &c))?;
        return match live {
            None => {
                check_namespace(st, rt, ns)?;
                let mut obj = merged;
                if rt.status_subresource {
                    obj.as_object_mut().map(|m| m.remove("status"));
                }
                finish(st, rt, &mut obj, None)?;
                Ok(st.store.create(rt, ns, obj))
            }
            Some(old) => {
                precondition(rt, &old, body)?;
                let mut new = merge_subresource(rt, &old, merged.clone(), sub);
                new["metadata"]["managedFields"] = merged["metadata"]["managedFields"].clone();
                if sub != Some("status") {
                    finish(st, rt, &mut new, Some(&old))?;
                }
                Ok(st.store.update(rt, ns, new))
            }
        };
    }
    let old = existing(st, rt, ns, name)?;
    let mut target = old.clone();
    match kind {
        PatchType::Merge => patch::json_merge(&mut target, body),
        PatchType::Json => {
            patch::json_patch(&mut target, body).map_err(|e| ApiError::injected(422, &e))?
        }
        PatchType::Strategic => {
            patch::strategic(&mut target, body).map_err(ApiError::bad_request)?
        }
        PatchType::Apply { .. } => unreachable!(),
    }
    if name_of(&target) != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            name_of(&target)
        )));
    }
    precondition(rt, &old, &target)?;
    write_back(st, rt, ns, &old, target, manager.unwrap_or("unknown"), sub)
}

pub(crate) fn delete(
    st: &mut State,
    rt: &'static ResourceType,
    ns: &str,
    name: &str,
    precondition_rv: Option<&str>,
) -> Result<Value, ApiError> {
    let old = existing(st, rt, ns, name)?;
    if precondition_rv.is_some_and(|rv| Some(rv) != old["metadata"]["resourceVersion"].as_str()) {
        return Err(ApiError::conflict(rt, name));
    }
    if rt.kind == "Namespace" && !st.store.dry_run {
        for r in super::resources::RESOURCES.iter().filter(|r| r.namespaced) {
            for o in st.store.list(r, Some(name)) {
                st.store.delete(r, name, name_of(&o));
            }
        }
    }
    if rt.kind == "Pod"
        && let Some(uid) = old["metadata"]["uid"].as_str()
    {
        st.pods.remove(uid);
    }
    Ok(st.store.delete(rt, ns, name).expect("exists"))
}
