//! The resource types the fake serves and the discovery documents built from them
//! (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/G`, `/apis/G/V`), shaped as
//! kube-apiserver 1.33 answers them. Aggregated discovery (apidiscovery.k8s.io/v2) is not
//! served: clients ask for it in `Accept` and fall back to these legacy documents when the
//! reply is plain `application/json`, as they do with older servers.

use serde_json::{Value, json};

/// One served resource: enough to route, to name it in errors and to describe it in
/// discovery.
#[derive(Debug)]
pub(crate) struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub subresources: &'static [&'static str],
    /// Writes to the main resource bump `metadata.generation` when `spec` changes.
    pub has_generation: bool,
    /// `status` is only writable through the `/status` subresource.
    pub status_subresource: bool,
}

impl ResourceType {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    /// `deployments.apps` / `pods`: how the API server names the resource in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
    /// `Deployment.apps` / `Pod`: how validation messages name the kind.
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.to_string()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }
    /// Store key, unique per resource.
    pub fn key(&self) -> &'static str {
        self.plural
    }
}

#[allow(clippy::too_many_arguments)]
const fn rt(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    subresources: &'static [&'static str],
    has_generation: bool,
) -> ResourceType {
    let mut status_subresource = false;
    let mut i = 0;
    while i < subresources.len() {
        if subresources[i].len() == 6 {
            status_subresource = true; // "status" is the only six-letter subresource here
        }
        i += 1;
    }
    ResourceType {
        group,
        version,
        kind,
        plural,
        singular,
        namespaced,
        short_names,
        subresources,
        has_generation,
        status_subresource,
    }
}

pub(crate) static RESOURCES: &[ResourceType] = &[
    rt(
        "",
        "v1",
        "Namespace",
        "namespaces",
        "namespace",
        false,
        &["ns"],
        &["status", "finalize"],
        false,
    ),
    rt(
        "",
        "v1",
        "Service",
        "services",
        "service",
        true,
        &["svc"],
        &["status", "proxy"],
        false,
    ),
    rt(
        "",
        "v1",
        "Endpoints",
        "endpoints",
        "endpoints",
        true,
        &["ep"],
        &[],
        false,
    ),
    rt(
        "",
        "v1",
        "Pod",
        "pods",
        "pod",
        true,
        &["po"],
        &["status", "log", "proxy"],
        false,
    ),
    rt(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        "resourcequota",
        true,
        &["quota"],
        &["status"],
        false,
    ),
    rt(
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        "configmap",
        true,
        &["cm"],
        &[],
        false,
    ),
    rt(
        "",
        "v1",
        "Event",
        "events",
        "event",
        true,
        &["ev"],
        &[],
        false,
    ),
    rt(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        "deployment",
        true,
        &["deploy"],
        &["status", "scale"],
        true,
    ),
    rt(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        "replicaset",
        true,
        &["rs"],
        &["status", "scale"],
        true,
    ),
    rt(
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        "endpointslice",
        true,
        &[],
        &[],
        false,
    ),
    rt(
        "coordination.k8s.io",
        "v1",
        "Lease",
        "leases",
        "lease",
        true,
        &[],
        &[],
        false,
    ),
    rt(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        true,
        &["hpa"],
        &["status"],
        true,
    ),
    rt(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        true,
        &["pdb"],
        &["status"],
        true,
    ),
];

pub(crate) fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

pub(crate) fn by_plural(plural: &str) -> &'static ResourceType {
    RESOURCES
        .iter()
        .find(|r| r.plural == plural)
        .expect("known resource")
}

fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

/// `/version`: 1.33, the first release that deprecates v1 Endpoints; with `slices` off, a
/// 1.20 server (the last without `discovery.k8s.io/v1`).
pub(crate) fn version(slices: bool) -> Value {
    match slices {
        true => json!({
            "major": "1", "minor": "33", "gitVersion": "v1.33.0",
            "gitCommit": "60a317eadfcb839692a68eab88b2096f4d708f4f", "gitTreeState": "clean",
            "buildDate": "2025-04-23T13:00:40Z", "goVersion": "go1.24.2", "compiler": "gc",
            "platform": "linux/amd64"
        }),
        false => json!({
            "major": "1", "minor": "20", "gitVersion": "v1.20.2",
            "gitCommit": "faecb196815e248d3ecfb03c680a4507229c2a56", "gitTreeState": "clean",
            "buildDate": "2021-01-13T13:20:00Z", "goVersion": "go1.15.5", "compiler": "gc",
            "platform": "linux/amd64"
        }),
    }
}

/// The group the v1.20 server of [`version`] does not serve.
pub(crate) const SLICES_GROUP: &str = "discovery.k8s.io";

/// The `Warning` a 1.33+ server sends with every v1 Endpoints answer.
pub(crate) const ENDPOINTS_DEPRECATED: &str =
    "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice";

pub(crate) fn core_versions(addr: &str) -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": addr}]})
}

fn group_doc(group: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{group}/{version}"), "version": version});
    json!({"name": group, "versions": [gv.clone()], "preferredVersion": gv})
}

pub(crate) fn group_list() -> Value {
    let groups: Vec<Value> = groups().into_iter().map(|(g, v)| group_doc(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub(crate) fn group(name: &str) -> Option<Value> {
    let (g, v) = groups().into_iter().find(|(g, _)| *g == name)?;
    let mut doc = group_doc(g, v);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

fn sub_verbs(sub: &str) -> &'static [&'static str] {
    match sub {
        "log" => &["get"],
        "proxy" => &["create", "delete", "get", "patch", "update"],
        "finalize" => &["update"],
        _ => &["get", "patch", "update"],
    }
}

/// `APIResourceList` for a group version; `None` when it is not served.
pub(crate) fn resource_list(group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for r in RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
    {
        let mut main = json!({
            "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
            "kind": r.kind, "verbs": VERBS,
        });
        if r.plural == "namespaces" {
            main["verbs"] = json!([
                "create", "delete", "get", "list", "patch", "update", "watch"
            ]);
        }
        if !r.short_names.is_empty() {
            main["shortNames"] = json!(r.short_names);
        }
        if r.plural == "pods"
            || r.plural == "services"
            || r.plural == "deployments"
            || r.plural == "replicasets"
        {
            main["categories"] = json!(["all"]);
        }
        resources.push(main);
        for sub in r.subresources {
            let kind = match *sub {
                "scale" => "Scale",
                "proxy" if r.plural == "pods" => "PodProxyOptions",
                "proxy" => "ServiceProxyOptions",
                _ => r.kind,
            };
            let mut entry = json!({"name": format!("{}/{}", r.plural, sub), "singularName": "",
                "namespaced": r.namespaced, "kind": kind, "verbs": sub_verbs(sub)});
            if *sub == "scale" {
                entry["group"] = json!("autoscaling");
                entry["version"] = json!("v1");
            }
            resources.push(entry);
        }
    }
    if resources.is_empty() {
        return None;
    }
    let mut doc = json!({"kind": "APIResourceList", "groupVersion": if group.is_empty() { version.to_string() } else { format!("{group}/{version}") }, "resources": resources});
    if !group.is_empty() {
        doc["apiVersion"] = json!("v1");
    }
    Some(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_subresource_is_detected_from_the_list() {
        assert!(by_plural("deployments").status_subresource);
        assert!(!by_plural("configmaps").status_subresource);
        assert!(!by_plural("leases").status_subresource);
    }

    #[test]
    fn core_resource_list_has_no_api_version_but_groups_do() {
        let core = resource_list("", "v1").unwrap();
        assert!(core.get("apiVersion").is_none());
        assert!(
            core["resources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["name"] == "pods/log")
        );
        let apps = resource_list("apps", "v1").unwrap();
        assert_eq!(apps["apiVersion"], "v1");
        assert!(resource_list("apps", "v2").is_none());
    }
}
