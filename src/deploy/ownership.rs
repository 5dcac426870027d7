//! Which objects msv may write. msv changes only what it made: an object carries the label
//! `app.kubernetes.io/managed-by=msv`, and — for the Deployments and Services it applies —
//! msv is among the field managers the API server recorded. Anything else found under one
//! of msv's names belongs to someone else (kubectl, Helm, another tool), and a deploy stops
//! before changing anything. The one exception is adoption: a service that runs today as a
//! plain Deployment `S` with a Service `S` selecting its pods, which `msv deploy --adopt`
//! takes over without downtime. Pure functions over object metadata; reading the objects
//! is the executor's job.

use super::plan::{COLOR_LABEL, MANAGED_BY_LABEL, MANAGER};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// Whether msv made the object described by `meta`. `applied`: msv writes it with its field
/// manager (Deployments and Services), so a copy of msv's labels written by someone else
/// is told apart from the real thing. Servers that record no managedFields are trusted on
/// the label alone.
pub fn made_by_msv(meta: &ObjectMeta, applied: bool) -> bool {
    let labelled = meta
        .labels
        .as_ref()
        .and_then(|l| l.get(MANAGED_BY_LABEL))
        .is_some_and(|v| v == MANAGER);
    if !labelled || !applied {
        return labelled;
    }
    let fields = meta.managed_fields.as_deref().unwrap_or_default();
    fields.is_empty() || fields.iter().any(|f| f.manager.as_deref() == Some(MANAGER))
}

/// The field managers the API server recorded for an object, in the order it lists them,
/// each once (`kubectl-create`, `helm`, `msv`, ...).
pub fn managers(meta: &ObjectMeta) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for f in meta.managed_fields.iter().flatten() {
        if let Some(m) = f.manager.as_deref()
            && !m.is_empty()
            && !out.iter().any(|o| o == m)
        {
            out.push(m.to_string());
        }
    }
    out
}

/// Who made an object, as a phrase for a message: the managers of its spec (or data),
/// else all its managers — controllers that only write status or an annotation are not
/// who made it — else its managed-by label.
pub fn made_by(meta: &ObjectMeta) -> String {
    let owns_content = |f: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry| {
        f.fields_v1
            .as_ref()
            .is_some_and(|v| ["f:spec", "f:data"].iter().any(|k| v.0.get(*k).is_some()))
    };
    let mut ms: Vec<String> = vec![];
    for f in meta
        .managed_fields
        .iter()
        .flatten()
        .filter(|f| owns_content(f))
    {
        if let Some(m) = f.manager.as_deref()
            && !m.is_empty()
            && !ms.iter().any(|o| o == m)
        {
            ms.push(m.to_string());
        }
    }
    if ms.is_empty() {
        ms = managers(meta);
    }
    if !ms.is_empty() {
        return format!("managed by {}", ms.join(", "));
    }
    match meta.labels.as_ref().and_then(|l| l.get(MANAGED_BY_LABEL)) {
        Some(m) => format!("labelled managed-by={m}"),
        None => "with no field manager or managed-by label recorded".into(),
    }
}

/// Who last changed Service `S`'s selector, other than msv: the manager that now owns a
/// selector field, with the time the server recorded. `None` when only msv owns it (or
/// the server records no managedFields).
pub fn selector_changed_by(svc: &Service) -> Option<String> {
    let mut latest: Option<(&str, Option<String>)> = None;
    for f in svc.metadata.managed_fields.iter().flatten() {
        let Some(manager) = f.manager.as_deref() else {
            continue;
        };
        if manager == MANAGER || manager.is_empty() {
            continue;
        }
        let owns_selector = f
            .fields_v1
            .as_ref()
            .and_then(|v| v.0.get("f:spec"))
            .and_then(|s| s.get("f:selector"))
            .is_some();
        if owns_selector {
            latest = Some((manager, f.time.as_ref().map(|t| t.0.to_string())));
        }
    }
    latest.map(|(m, t)| match t {
        Some(t) => format!("{m} (at {t})"),
        None => m.to_string(),
    })
}

/// The selector of a Service, empty when it has none.
pub fn selector(svc: &Service) -> BTreeMap<String, String> {
    svc.spec
        .as_ref()
        .and_then(|s| s.selector.clone())
        .unwrap_or_default()
}

/// A selector as `k=v,k=v` (or `nothing`) for messages.
pub fn show_selector(sel: &BTreeMap<String, String>) -> String {
    if sel.is_empty() {
        return "nothing (no selector)".into();
    }
    sel.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A service that runs today as a plain Deployment `S` with a Service `S`, which an
/// adopting deploy takes over.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Adoption {
    /// The Deployment that serves today (named like the service).
    pub deployment: String,
    /// Service `S`'s selector before the takeover, restored on a switch back.
    pub selector: BTreeMap<String, String>,
    /// Service `S`'s labels before the takeover.
    pub labels: BTreeMap<String, String>,
    /// Its desired replicas (the candidate starts with at least as many).
    pub replicas: i32,
    /// The image of its first container.
    pub image: Option<String>,
    /// Who made it, for messages.
    pub made_by: String,
}

/// Whether `svc` (Service `S`, not made by msv) and `dep` (Deployment `S`) are a service
/// msv can adopt: `S` selects pods by labels the Deployment's pod template carries, so
/// moving `S`'s selector to a new color built from that template changes nothing else.
/// The error says why not.
pub fn adoptable(svc: &Service, dep: Option<&Deployment>) -> Result<Adoption, String> {
    let name = svc.metadata.name.clone().unwrap_or_default();
    let Some(dep) = dep else {
        return Err(format!(
            "--adopt takes over a Deployment {name} served by Service {name}, and there is no Deployment {name}"
        ));
    };
    let sel = selector(svc);
    if sel.is_empty() {
        return Err(format!(
            "Service {name} has no selector (its endpoints are managed by hand or by another controller); msv cannot adopt it"
        ));
    }
    if sel.contains_key(COLOR_LABEL) {
        return Err(format!(
            "Service {name} already selects by {COLOR_LABEL} but was not made by msv; msv cannot tell what it would take over"
        ));
    }
    let template_labels = dep
        .spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let missing: Vec<String> = sel
        .iter()
        .filter(|(k, v)| template_labels.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "Service {name} selects {} but the pods of Deployment {name} are not labelled {}; msv adopts only a Deployment whose pods the Service serves",
            show_selector(&sel),
            missing.join(",")
        ));
    }
    let spec = &dep.spec;
    let image = spec
        .template
        .spec
        .as_ref()
        .and_then(|p| p.containers.first())
        .and_then(|c| c.image.clone());
    Ok(Adoption {
        deployment: name,
        selector: sel,
        labels: svc.metadata.labels.clone().unwrap_or_default(),
        replicas: spec.replicas.unwrap_or(1).max(1),
        image,
        made_by: made_by(&dep.metadata),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn meta(labels: Value, managers: &[&str]) -> ObjectMeta {
        let mf: Vec<Value> = managers
            .iter()
            .map(|m| json!({"manager": m, "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}))
            .collect();
        serde_json::from_value(json!({"name": "shop", "labels": labels, "managedFields": mf}))
            .unwrap()
    }

    #[test]
    fn made_by_msv_needs_the_label_and_for_applied_objects_the_manager() {
        let ours = json!({MANAGED_BY_LABEL: "msv"});
        assert!(made_by_msv(&meta(ours.clone(), &["msv"]), true));
        assert!(made_by_msv(
            &meta(ours.clone(), &["kubectl-edit", "msv"]),
            true
        ));
        // msv's labels copied by hand: not msv's.
        assert!(!made_by_msv(
            &meta(ours.clone(), &["kubectl-client-side-apply"]),
            true
        ));
        // Leases and ConfigMaps are known by the label.
        assert!(made_by_msv(&meta(ours.clone(), &["kube-rs"]), false));
        // A server that records no managedFields: the label decides.
        assert!(made_by_msv(&meta(ours, &[]), true));
        assert!(!made_by_msv(&meta(json!({"app": "shop"}), &["msv"]), true));
        assert!(!made_by_msv(
            &meta(json!({MANAGED_BY_LABEL: "Helm"}), &["helm"]),
            false
        ));
    }

    #[test]
    fn made_by_prefers_who_wrote_the_spec() {
        let m: ObjectMeta = serde_json::from_value(json!({"name": "shop", "managedFields": [
            {"manager": "kube-controller-manager", "operation": "Update",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:annotations": {}}, "f:status": {}}},
            {"manager": "helm", "operation": "Update",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}, "f:spec": {"f:replicas": {}}}}
        ]}))
        .unwrap();
        assert_eq!(made_by(&m), "managed by helm");
    }

    #[test]
    fn made_by_names_managers_then_the_label() {
        assert_eq!(
            made_by(&meta(
                json!({}),
                &["kubectl-create", "kubectl-edit", "kubectl-create"]
            )),
            "managed by kubectl-create, kubectl-edit"
        );
        assert_eq!(
            made_by(&meta(json!({MANAGED_BY_LABEL: "Helm"}), &[])),
            "labelled managed-by=Helm"
        );
    }

    fn svc(selector: Value, mf: Value) -> Service {
        serde_json::from_value(json!({
            "metadata": {"name": "shop", "managedFields": mf},
            "spec": {"selector": selector}
        }))
        .unwrap()
    }

    #[test]
    fn the_manager_owning_the_selector_is_who_changed_it() {
        let mf = json!([
            {"manager": "msv", "operation": "Update", "time": "2026-12-01T10:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:selector": {"f:app.kubernetes.io/name": {}}}}},
            {"manager": "kubectl-patch", "operation": "Update", "time": "2026-12-01T10:00:05Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:selector": {"f:msv/color": {}}}}},
            {"manager": "kubectl-label", "operation": "Update",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {}}}}
        ]);
        let s = svc(json!({"msv/color": "blue"}), mf);
        assert_eq!(
            selector_changed_by(&s).as_deref(),
            Some("kubectl-patch (at 2026-12-01T10:00:05Z)")
        );
        let only_msv = json!([{"manager": "msv", "operation": "Update",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:selector": {}}}}]);
        assert_eq!(selector_changed_by(&svc(json!({}), only_msv)), None);
    }

    fn dep(labels: Value, replicas: i32) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "shop", "managedFields": [{"manager": "kubectl-create", "operation": "Update"}]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels.clone()},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": "r/shop:0"}]}}}
        }))
        .unwrap()
    }

    #[test]
    fn a_plain_deployment_served_by_its_service_can_be_adopted() {
        let s = svc(json!({"app": "shop"}), json!([]));
        let a = adoptable(&s, Some(&dep(json!({"app": "shop", "tier": "web"}), 3))).unwrap();
        assert_eq!(a.deployment, "shop");
        assert_eq!(a.replicas, 3);
        assert_eq!(a.image.as_deref(), Some("r/shop:0"));
        assert_eq!(a.selector.get("app").map(String::as_str), Some("shop"));
        assert_eq!(a.made_by, "managed by kubectl-create");
        // Zero replicas today: the candidate still starts with one.
        let a = adoptable(&s, Some(&dep(json!({"app": "shop"}), 0))).unwrap();
        assert_eq!(a.replicas, 1);
    }

    #[test]
    fn what_cannot_be_adopted_says_why() {
        let s = svc(json!({"app": "shop"}), json!([]));
        assert!(
            adoptable(&s, None)
                .unwrap_err()
                .contains("no Deployment shop")
        );
        let err = adoptable(&s, Some(&dep(json!({"app": "orders"}), 1))).unwrap_err();
        assert!(err.contains("not labelled app=shop"), "{err}");
        let none = svc(json!(null), json!([]));
        assert!(
            adoptable(&none, Some(&dep(json!({"app": "shop"}), 1)))
                .unwrap_err()
                .contains("no selector")
        );
        let colored = svc(json!({"msv/color": "blue"}), json!([]));
        assert!(adoptable(&colored, Some(&dep(json!({"msv/color": "blue"}), 1))).is_err());
    }

    #[test]
    fn selectors_print_in_key_order() {
        let s = selector(&svc(json!({"b": "2", "a": "1"}), json!([])));
        assert_eq!(show_selector(&s), "a=1,b=2");
        assert_eq!(show_selector(&BTreeMap::new()), "nothing (no selector)");
    }
}
