//! The verbs over HTTP: decoding bodies and query parameters, calling the operations,
//! list selectors and paging, the `scale` subresource, and Table output for kubectl.
//! Watch, logs and proxy have modules of their own.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use hyper::{Method, Response};
use serde_json::{Value, json};

use super::ops::{self, PatchType};
use super::selectors;
use super::server::{Body, Route, error_response, json_response};
use super::status::ApiError;
use super::store::name_of;
use super::{Shared, logs, proxy, table, watch};

pub(crate) struct Ctx {
    pub method: Method,
    pub verb: &'static str,
    pub query: HashMap<String, String>,
    /// The query string as sent, still encoded: what a proxy passes on.
    pub raw_query: String,
    pub accept: String,
    pub content_type: String,
    pub user_agent: String,
    pub body: Bytes,
}

impl Ctx {
    pub fn q(&self, k: &str) -> Option<&str> {
        self.query
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
    pub fn flag(&self, k: &str) -> bool {
        matches!(self.q(k), Some("true") | Some("1"))
    }
    pub fn wants_table(&self) -> bool {
        self.accept.contains("as=Table")
    }
    /// The field manager of a write: the query parameter, else the user agent's program
    /// name, as the API server derives it.
    pub fn manager(&self) -> String {
        self.q("fieldManager").map(String::from).unwrap_or_else(|| {
            self.user_agent
                .split('/')
                .next()
                .unwrap_or("unknown")
                .to_string()
        })
    }
    fn json_body(&self, yaml_ok: bool) -> Result<Value, ApiError> {
        // Protobuf and CBOR bodies (typed client-go clients) are not decoded here.
        let ct = self.content_type.split(';').next().unwrap_or("").trim();
        if ct.starts_with("application/vnd.kubernetes.protobuf") || ct == "application/cbor" {
            return Err(ApiError::unsupported_media(ct));
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(v) => Ok(v),
            Err(e) if yaml_ok => serde_saphyr::from_slice::<Value>(&self.body)
                .map_err(|_| ApiError::bad_request(format!("error decoding YAML: {e}"))),
            Err(e) => Err(ApiError::bad_request(format!(
                "couldn't get version/kind; json parse error: {e}"
            ))),
        }
    }
}

/// Filters for list, watch and deletecollection.
pub(crate) struct Filter {
    pub labels: Vec<selectors::Req>,
    pub fields: Vec<selectors::FieldReq>,
    pub name: Option<String>,
}

impl Filter {
    pub fn from(r: &Route, ctx: &Ctx) -> Result<Filter, ApiError> {
        let labels = selectors::parse_labels(ctx.q("labelSelector").unwrap_or(""))
            .map_err(ApiError::bad_request)?;
        let fields = selectors::parse_fields(ctx.q("fieldSelector").unwrap_or(""), r.rt.kind)
            .map_err(ApiError::bad_request)?;
        Ok(Filter {
            labels,
            fields,
            name: r.name.clone(),
        })
    }
    pub fn matches(&self, obj: &Value) -> bool {
        self.name.as_deref().is_none_or(|n| n == name_of(obj))
            && selectors::matches(&self.labels, &obj["metadata"]["labels"])
            && selectors::field_matches(&self.fields, obj)
    }
}

fn ns_of(r: &Route) -> &str {
    r.ns.as_deref().unwrap_or("")
}

fn respond(result: Result<Value, ApiError>, code: u16, r: &Route, ctx: &Ctx) -> Response<Body> {
    match result {
        Ok(v) if ctx.wants_table() => {
            let rv = v["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or("")
                .to_string();
            json_response(
                code,
                &table::table(r.rt, &[v], &rv, ctx.q("includeObject"), true),
            )
        }
        Ok(v) => json_response(code, &v),
        Err(e) => error_response(e),
    }
}

pub(crate) async fn dispatch(sh: Arc<Shared>, r: Route, ctx: Ctx) -> Response<Body> {
    let dry = ctx.q("dryRun") == Some("All")
        && matches!(
            ctx.verb,
            "create" | "update" | "patch" | "delete" | "deletecollection"
        );
    if dry && r.sub.as_deref() != Some("proxy") {
        // One lock for the whole request, so no controller sees the flag.
        let mut st = sh.lock();
        st.store.dry_run = true;
        let resp = dispatch_sync(&mut st, &r, &ctx);
        st.store.dry_run = false;
        return resp;
    }
    dispatch_inner(sh, r, ctx).await
}

fn dispatch_sync(st: &mut super::State, r: &Route, ctx: &Ctx) -> Response<Body> {
    let name = r.name.clone().unwrap_or_default();
    let result = match ctx.verb {
        "create" => ctx
            .json_body(false)
            .and_then(|obj| ops::create(st, r.rt, ns_of(r), obj, &ctx.manager(), None)),
        "update" => ctx.json_body(false).and_then(|obj| {
            ops::update(
                st,
                r.rt,
                ns_of(r),
                &name,
                obj,
                &ctx.manager(),
                r.sub.as_deref(),
            )
        }),
        "patch" => {
            PatchType::from_content_type(&ctx.content_type, ctx.flag("force")).and_then(|kind| {
                let apply = matches!(kind, PatchType::Apply { .. });
                let body = ctx.json_body(apply)?;
                let manager = if apply {
                    ctx.q("fieldManager").map(String::from)
                } else {
                    Some(ctx.manager())
                };
                ops::patch(
                    st,
                    r.rt,
                    ns_of(r),
                    &name,
                    kind,
                    &body,
                    manager.as_deref(),
                    r.sub.as_deref(),
                )
            })
        }
        "delete" => ops::delete(st, r.rt, ns_of(r), &name, None),
        _ => Err(ApiError::method_not_allowed()),
    };
    respond(result, if ctx.verb == "create" { 201 } else { 200 }, r, ctx)
}

async fn dispatch_inner(sh: Arc<Shared>, r: Route, ctx: Ctx) -> Response<Body> {
    match (r.sub.as_deref(), ctx.verb) {
        (Some("log"), "get") => logs::serve(sh, r, ctx).await,
        (Some("proxy"), _) => proxy::serve(sh, r, ctx).await,
        (Some("scale"), _) => scale(&sh, &r, &ctx),
        (_, "watch") => watch::serve(sh, r, ctx),
        (None, "list") => list(&sh, &r, &ctx),
        (_, "get") => {
            let st = sh.lock();
            let name = r.name.as_deref().unwrap_or("");
            let found = st
                .store
                .get(r.rt, ns_of(&r), name)
                .cloned()
                .ok_or_else(|| ApiError::not_found(r.rt, name));
            respond(found, 200, &r, &ctx)
        }
        (None, "create") => {
            let result = ctx.json_body(false).and_then(|obj| {
                ops::create(&mut sh.lock(), r.rt, ns_of(&r), obj, &ctx.manager(), None)
            });
            respond(result, 201, &r, &ctx)
        }
        (_, "update") => {
            let name = r.name.clone().unwrap_or_default();
            let result = ctx.json_body(false).and_then(|obj| {
                ops::update(
                    &mut sh.lock(),
                    r.rt,
                    ns_of(&r),
                    &name,
                    obj,
                    &ctx.manager(),
                    r.sub.as_deref(),
                )
            });
            respond(result, 200, &r, &ctx)
        }
        (_, "patch") => {
            let name = r.name.clone().unwrap_or_default();
            let result = PatchType::from_content_type(&ctx.content_type, ctx.flag("force"))
                .and_then(|kind| {
                    let apply = matches!(kind, PatchType::Apply { .. });
                    let body = ctx.json_body(apply)?;
                    let manager = if apply {
                        ctx.q("fieldManager").map(String::from)
                    } else {
                        Some(ctx.manager())
                    };
                    let mut st = sh.lock();
                    let existed = st.store.get(r.rt, ns_of(&r), &name).is_some();
                    ops::patch(
                        &mut st,
                        r.rt,
                        ns_of(&r),
                        &name,
                        kind,
                        &body,
                        manager.as_deref(),
                        r.sub.as_deref(),
                    )
                    .map(|v| (v, existed))
                });
            match result {
                Ok((v, existed)) => respond(Ok(v), if existed { 200 } else { 201 }, &r, &ctx),
                Err(e) => error_response(e),
            }
        }
        (None, "delete") => {
            let opts: Value = serde_json::from_slice(&ctx.body).unwrap_or(Value::Null);
            let pre = opts["preconditions"]["resourceVersion"]
                .as_str()
                .map(String::from);
            let name = r.name.clone().unwrap_or_default();
            let result = ops::delete(&mut sh.lock(), r.rt, ns_of(&r), &name, pre.as_deref());
            respond(result, 200, &r, &ctx)
        }
        (None, "deletecollection") => match Filter::from(&r, &ctx) {
            Err(e) => error_response(e),
            Ok(filter) => {
                let mut st = sh.lock();
                let victims: Vec<Value> = st
                    .store
                    .list(r.rt, r.ns.as_deref())
                    .into_iter()
                    .filter(|o| filter.matches(o))
                    .collect();
                let mut items = Vec::new();
                for v in victims {
                    if let Ok(d) =
                        ops::delete(&mut st, r.rt, super::store::ns_of(&v), name_of(&v), None)
                    {
                        items.push(d);
                    }
                }
                let rv = st.store.current_rv().to_string();
                json_response(
                    200,
                    &json!({"kind": format!("{}List", r.rt.kind), "apiVersion": r.rt.api_version(), "metadata": {"resourceVersion": rv}, "items": items}),
                )
            }
        },
        _ => error_response(ApiError::method_not_allowed()),
    }
}

fn list(sh: &Shared, r: &Route, ctx: &Ctx) -> Response<Body> {
    let filter = match Filter::from(r, ctx) {
        Ok(f) => f,
        Err(e) => return error_response(e),
    };
    let st = sh.lock();
    // Listing in a missing namespace is an empty list on the real server too.
    let mut items: Vec<Value> = st
        .store
        .list(r.rt, r.ns.as_deref())
        .into_iter()
        .filter(|o| filter.matches(o))
        .collect();
    let rv = st.store.current_rv().to_string();
    drop(st);
    let offset: usize = ctx.q("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
    let limit: usize = ctx
        .q("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let total = items.len();
    items = items.into_iter().skip(offset).take(limit).collect();
    let next = (offset + items.len() < total).then(|| (offset + items.len()).to_string());
    if ctx.wants_table() {
        let mut t = table::table(r.rt, &items, &rv, ctx.q("includeObject"), true);
        if let Some(c) = &next {
            t["metadata"]["continue"] = json!(c);
        }
        return json_response(200, &t);
    }
    // Items of a typed list carry no kind/apiVersion, as the real server sends them.
    for i in items.iter_mut() {
        if let Some(m) = i.as_object_mut() {
            m.remove("kind");
            m.remove("apiVersion");
        }
    }
    let mut meta = json!({"resourceVersion": rv});
    if let Some(c) = next {
        meta["continue"] = json!(c);
        meta["remainingItemCount"] = json!(total - offset - items.len());
    }
    json_response(
        200,
        &json!({"kind": format!("{}List", r.rt.kind), "apiVersion": r.rt.api_version(), "metadata": meta, "items": items}),
    )
}

fn scale_of(obj: &Value) -> Value {
    let m = &obj["metadata"];
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": m["name"], "namespace": m["namespace"], "uid": m["uid"], "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"]},
        "spec": {"replicas": obj["spec"]["replicas"]},
        "status": {"replicas": obj["status"]["replicas"].as_i64().unwrap_or(0), "selector": selectors::to_string(&obj["spec"]["selector"])}})
}

fn scale(sh: &Shared, r: &Route, ctx: &Ctx) -> Response<Body> {
    let name = r.name.clone().unwrap_or_default();
    let mut st = sh.lock();
    let Some(obj) = st.store.get(r.rt, ns_of(r), &name).cloned() else {
        return error_response(ApiError::not_found(r.rt, &name));
    };
    let mut sc = scale_of(&obj);
    match ctx.verb {
        "get" => return json_response(200, &sc),
        "update" => match ctx.json_body(false) {
            Ok(v) => sc = v,
            Err(e) => return error_response(e),
        },
        "patch" => {
            let body = match ctx.json_body(true) {
                Ok(b) => b,
                Err(e) => return error_response(e),
            };
            match PatchType::from_content_type(&ctx.content_type, false) {
                Ok(PatchType::Json) => {
                    if let Err(e) = super::patch::json_patch(&mut sc, &body) {
                        return error_response(ApiError::injected(422, &e));
                    }
                }
                Ok(_) => super::patch::json_merge(&mut sc, &body),
                Err(e) => return error_response(e),
            }
        }
        _ => return error_response(ApiError::method_not_allowed()),
    }
    if sc["metadata"]["resourceVersion"]
        .as_str()
        .is_some_and(|rv| !rv.is_empty() && Some(rv) != obj["metadata"]["resourceVersion"].as_str())
    {
        return error_response(ApiError::conflict(r.rt, &name));
    }
    let mut new = obj.clone();
    new["spec"]["replicas"] = sc["spec"]["replicas"].clone();
    new["metadata"]
        .as_object_mut()
        .map(|m| m.remove("resourceVersion"));
    match ops::update(&mut st, r.rt, ns_of(r), &name, new, &ctx.manager(), None) {
        Ok(v) => json_response(200, &scale_of(&v)),
        Err(e) => error_response(e),
    }
}
