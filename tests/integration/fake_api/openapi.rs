//! A minimal OpenAPI v3 surface: the `/openapi/v3` index and one document per group
//! version listing each resource's write operations with their
//! `x-kubernetes-group-version-kind` and the `fieldValidation` query parameter. That is
//! what kubectl reads to learn that the server validates fields itself (it then skips
//! client-side schema validation). Schemas are not served; `/openapi/v2` is 404.

use serde_json::{Value, json};

use super::resources::RESOURCES;

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

pub(crate) fn index() -> Value {
    let mut paths = serde_json::Map::new();
    for r in RESOURCES {
        let p = gv_path(r.group, r.version);
        paths.insert(
            p.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash=F4KE{}", p.len())}),
        );
    }
    json!({"paths": paths})
}

/// The document of `api/v1` or `apis/G/V`; `None` when the group version is not served.
pub(crate) fn document(gv: &str) -> Option<Value> {
    let mut paths = serde_json::Map::new();
    for r in RESOURCES
        .iter()
        .filter(|r| gv_path(r.group, r.version) == gv)
    {
        let gvk = json!({"group": r.group, "version": r.version, "kind": r.kind});
        let params = json!([{"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}}]);
        let op = |action: &str| {
            json!({"operationId": format!("{action}{}", r.kind), "parameters": params,
            "responses": {"200": {"description": "OK"}}, "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk})
        };
        let base = if r.namespaced {
            format!("/{gv}/namespaces/{{namespace}}/{}", r.plural)
        } else {
            format!("/{gv}/{}", r.plural)
        };
        paths.insert(base.clone(), json!({"post": op("post")}));
        paths.insert(
            format!("{base}/{{name}}"),
            json!({"put": op("put"), "patch": op("patch")}),
        );
    }
    if paths.is_empty() {
        return None;
    }
    Some(
        json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths, "components": {"schemas": {}}}),
    )
}
