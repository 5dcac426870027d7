//! Defaulting and validation of written objects, for the fields and rules msv and the
//! fidelity clients meet: names, Deployment selector/template agreement and selector
//! immutability, Service ports, Pod containers, HorizontalPodAutoscaler bounds,
//! PodDisruptionBudget exclusivity, Lease durations.

use serde_json::{Value, json};

use super::selectors;
use super::status::Cause;

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

fn go_map(v: &Value) -> String {
    let mut pairs: Vec<(String, String)> = v
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect();
    format!("map[string]string{{{}}}", inner.join(", "))
}

/// The selector as Go's `%#v` prints it in the API server's immutability message.
fn go_label_selector(sel: &Value) -> String {
    let exprs = if sel["matchExpressions"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
    {
        "[]v1.LabelSelectorRequirement{...}"
    } else {
        "[]v1.LabelSelectorRequirement(nil)"
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{exprs}}}",
        go_map(&sel["matchLabels"])
    )
}

fn image_pull_policy(image: &str) -> &'static str {
    let tag = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') || (tag.contains(':') && !tag.ends_with(":latest")) {
        "IfNotPresent"
    } else {
        "Always"
    }
}

fn default_pod_spec(spec: &mut Value) {
    let defaults = [
        ("restartPolicy", json!("Always")),
        ("terminationGracePeriodSeconds", json!(30)),
        ("dnsPolicy", json!("ClusterFirst")),
        ("securityContext", json!({})),
        ("schedulerName", json!("default-scheduler")),
    ];
    for (k, v) in defaults {
        if spec.get(k).is_none() {
            spec[k] = v;
        }
    }
    if let Some(cs) = spec["containers"].as_array_mut() {
        for c in cs {
            let image = c["image"].as_str().unwrap_or("").to_string();
            for (k, v) in [
                ("imagePullPolicy", json!(image_pull_policy(&image))),
                ("terminationMessagePath", json!("/dev/termination-log")),
                ("terminationMessagePolicy", json!("File")),
                ("resources", json!({})),
            ] {
                if c.get(k).is_none() {
                    c[k] = v;
                }
            }
            if let Some(ports) = c["ports"].as_array_mut() {
                for p in ports {
                    if p.get("protocol").is_none() {
                        p["protocol"] = json!("TCP");
                    }
                }
            }
        }
    }
}

/// Fills the defaults the API server fills on create and update.
pub(crate) fn default(kind: &str, obj: &mut Value, cluster_ip: impl FnOnce() -> String) {
    match kind {
        "Deployment" => {
            let spec = &mut obj["spec"];
            for (k, v) in [
                ("replicas", json!(1)),
                ("revisionHistoryLimit", json!(10)),
                ("progressDeadlineSeconds", json!(600)),
                (
                    "strategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
                ),
            ] {
                if spec.get(k).is_none() {
                    spec[k] = v;
                }
            }
            default_pod_spec(&mut obj["spec"]["template"]["spec"]);
        }
        "ReplicaSet" => {
            if obj["spec"].get("replicas").is_none() {
                obj["spec"]["replicas"] = json!(1);
            }
            default_pod_spec(&mut obj["spec"]["template"]["spec"]);
        }
        "Pod" => default_pod_spec(&mut obj["spec"]),
        "Service" => {
            let spec = &mut obj["spec"];
            for (k, v) in [
                ("type", json!("ClusterIP")),
                ("sessionAffinity", json!("None")),
                ("internalTrafficPolicy", json!("Cluster")),
                ("ipFamilies", json!(["IPv4"])),
                ("ipFamilyPolicy", json!("SingleStack")),
            ] {
                if spec.get(k).is_none() {
                    spec[k] = v;
                }
            }
            if spec.get("clusterIP").is_none() {
                let ip = cluster_ip();
                spec["clusterIP"] = json!(ip);
                spec["clusterIPs"] = json!([ip]);
            }
            if let Some(ports) = spec["ports"].as_array_mut() {
                for p in ports {
                    if p.get("protocol").is_none() {
                        p["protocol"] = json!("TCP");
                    }
                    if p.get("targetPort").is_none() {
                        p["targetPort"] = p["port"].clone();
                    }
                }
            }
        }
        "Namespace" => {
            let name = obj["metadata"]["name"].clone();
            obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
            obj["spec"] = json!({"finalizers": ["kubernetes"]});
            obj["status"] = json!({"phase": "Active"});
        }
        "HorizontalPodAutoscaler" if obj["spec"].get("minReplicas").is_none() => {
            obj["spec"]["minReplicas"] = json!(1);
        }
        _ => {}
    }
}

fn validate_template(obj: &Value, causes: &mut Vec<Cause>) {
    let sel = &obj["spec"]["selector"];
    if sel.is_null()
        || (sel["matchLabels"].as_object().is_none_or(|m| m.is_empty())
            && sel["matchExpressions"]
                .as_array()
                .is_none_or(|a| a.is_empty()))
    {
        causes.push(Cause::required("spec.selector"));
    } else {
        let labels = &obj["spec"]["template"]["metadata"]["labels"];
        if !selectors::matches(&selectors::from_label_selector(sel), labels) {
            causes.push(Cause::invalid(
                "spec.template.metadata.labels",
                go_map(labels),
                "`selector` does not match template `labels`",
            ));
        }
    }
    validate_containers(
        &obj["spec"]["template"]["spec"],
        "spec.template.spec",
        causes,
    );
    if obj["spec"]["replicas"].as_i64().is_some_and(|r| r < 0) {
        causes.push(Cause::invalid(
            "spec.replicas",
            &obj["spec"]["replicas"],
            "must be greater than or equal to 0",
        ));
    }
}

fn validate_containers(spec: &Value, at: &str, causes: &mut Vec<Cause>) {
    match spec["containers"].as_array() {
        Some(cs) if !cs.is_empty() => {
            for (i, c) in cs.iter().enumerate() {
                if c["name"].as_str().is_none_or(|n| n.is_empty()) {
                    causes.push(Cause::required(&format!("{at}.containers[{i}].name")));
                }
                if c["image"].as_str().is_none_or(|n| n.is_empty()) {
                    causes.push(Cause::required(&format!("{at}.containers[{i}].image")));
                }
            }
        }
        _ => causes.push(Cause::required(&format!("{at}.containers"))),
    }
}

/// Validation errors of an object about to be stored; `old` is the stored object on update.
/// An Endpoints address as the API server validates it: a valid IP, and not one the service
/// proxy must never reach (unspecified, loopback, link-local). The fake's own endpoints
/// controller writes its store directly and may still list loopback backends.
fn endpoint_ip(ip: &str, field: &str, causes: &mut Vec<Cause>) {
    let value = format!("{ip:?}");
    let Ok(addr) = ip.parse::<std::net::IpAddr>() else {
        causes.push(Cause::invalid(
            field,
            &value,
            "must be a valid IP address, (e.g. 10.9.8.7)",
        ));
        causes.push(Cause::invalid(field, &value, "must be a valid IP address"));
        return;
    };
    let (unspecified, loopback, link_local, link_local_multicast) = match addr {
        std::net::IpAddr::V4(a) => {
            let o = a.octets();
            (
                a.is_unspecified(),
                a.is_loopback(),
                a.is_link_local(),
                o[0] == 224 && o[1] == 0 && o[2] == 0,
            )
        }
        std::net::IpAddr::V6(a) => {
            let s = a.segments();
            (
                a.is_unspecified(),
                a.is_loopback(),
                s[0] & 0xffc0 == 0xfe80,
                s[0] & 0xff0f == 0xff02,
            )
        }
    };
    for (bad, why) in [
        (unspecified, "may not be unspecified (0.0.0.0)"),
        (loopback, "may not be in the loopback range (127.0.0.0/8)"),
        (
            link_local,
            "may not be in the link-local range (169.254.0.0/16)",
        ),
        (
            link_local_multicast,
            "may not be in the link-local multicast range (224.0.0.0/24)",
        ),
    ] {
        if bad {
            causes.push(Cause::invalid(field, &value, why));
        }
    }
}

pub(crate) fn validate(kind: &str, obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut causes = Vec::new();
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    let name_ok = if kind == "Service" || kind == "Namespace" {
        is_dns_label(name)
    } else {
        is_dns_subdomain(name)
    };
    if name.is_empty() {
        causes.push(Cause::required("metadata.name"));
    } else if !name_ok {
        causes.push(Cause::invalid("metadata.name", format!("{name:?}"), "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
    }
    match kind {
        "Deployment" | "ReplicaSet" => {
            validate_template(obj, &mut causes);
            if let Some(old) = old
                && old["spec"]["selector"] != obj["spec"]["selector"]
            {
                causes.push(Cause::invalid(
                    "spec.selector",
                    go_label_selector(&obj["spec"]["selector"]),
                    "field is immutable",
                ));
            }
        }
        "Pod" => validate_containers(&obj["spec"], "spec", &mut causes),
        "Service" => {
            let headless_or_external =
                obj["spec"]["type"] == "ExternalName" || obj["spec"]["clusterIP"] == "None";
            match obj["spec"]["ports"].as_array() {
                Some(ports) if !ports.is_empty() => {
                    for (i, p) in ports.iter().enumerate() {
                        let port = p["port"].as_i64().unwrap_or(0);
                        if !(1..=65535).contains(&port) {
                            causes.push(Cause::invalid(
                                &format!("spec.ports[{i}].port"),
                                port,
                                "must be between 1 and 65535, inclusive",
                            ));
                        }
                        if ports.len() > 1 && p["name"].as_str().is_none_or(|n| n.is_empty()) {
                            causes.push(Cause::required(&format!("spec.ports[{i}].name")));
                        }
                    }
                }
                _ if headless_or_external => {}
                _ => causes.push(Cause::required("spec.ports")),
            }
            if let (Some(old), Some(ip)) = (old, obj["spec"]["clusterIP"].as_str())
                && old["spec"]["clusterIP"].as_str().is_some_and(|o| o != ip)
            {
                causes.push(Cause::invalid(
                    "spec.clusterIPs[0]",
                    format!("[]string{{{ip:?}}}"),
                    "may not change once set",
                ));
            }
        }
        "HorizontalPodAutoscaler" => {
            let spec = &obj["spec"];
            for f in ["kind", "name"] {
                if spec["scaleTargetRef"][f]
                    .as_str()
                    .is_none_or(|s| s.is_empty())
                {
                    causes.push(Cause::required(&format!("spec.scaleTargetRef.{f}")));
                }
            }
            let max = spec["maxReplicas"].as_i64().unwrap_or(0);
            let min = spec["minReplicas"].as_i64().unwrap_or(1);
            if min < 1 {
                causes.push(Cause::invalid(
                    "spec.minReplicas",
                    min,
                    "must be greater than or equal to 1",
                ));
            }
            if max < 1 {
                causes.push(Cause::invalid(
                    "spec.maxReplicas",
                    max,
                    "must be greater than or equal to 1",
                ));
            } else if max < min {
                causes.push(Cause::invalid(
                    "spec.maxReplicas",
                    max,
                    "must be greater than or equal to `minReplicas`",
                ));
            }
            if let Some(metrics) = spec["metrics"].as_array() {
                for (i, m) in metrics.iter().enumerate() {
                    let t = m["type"].as_str().unwrap_or("");
                    if ![
                        "Resource",
                        "Pods",
                        "Object",
                        "External",
                        "ContainerResource",
                    ]
                    .contains(&t)
                    {
                        causes.push(Cause { reason: "FieldValueNotSupported", field: format!("spec.metrics[{i}].type"),
                            message: format!("Unsupported value: {t:?}: supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\"") });
                    }
                }
            }
        }
        "PodDisruptionBudget" => {
            let spec = &obj["spec"];
            if spec.get("minAvailable").is_some() && spec.get("maxUnavailable").is_some() {
                causes.push(Cause::invalid(
                    "spec",
                    go_map(&json!({})),
                    "minAvailable and maxUnavailable cannot be both set",
                ));
            }
            for f in ["minAvailable", "maxUnavailable"] {
                if spec[f].as_i64().is_some_and(|n| n < 0) {
                    causes.push(Cause::invalid(
                        &format!("spec.{f}"),
                        &spec[f],
                        "must be greater than or equal to 0",
                    ));
                }
            }
        }
        "Endpoints" => {
            let subsets = obj["subsets"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            for (i, subset) in subsets.iter().enumerate() {
                for list in ["addresses", "notReadyAddresses"] {
                    let addrs = subset[list].as_array().map(Vec::as_slice).unwrap_or(&[]);
                    for (j, a) in addrs.iter().enumerate() {
                        let field = format!("subsets[{i}].{list}[{j}].ip");
                        endpoint_ip(a["ip"].as_str().unwrap_or(""), &field, &mut causes);
                    }
                }
            }
        }
        "Lease"
            if obj["spec"]["leaseDurationSeconds"]
                .as_i64()
                .is_some_and(|d| d <= 0) =>
        {
            causes.push(Cause::invalid(
                "spec.leaseDurationSeconds",
                &obj["spec"]["leaseDurationSeconds"],
                "must be greater than 0",
            ));
        }
        _ => {}
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(color: &str) -> Value {
        json!({"metadata": {"name": "o-blue"}, "spec": {"selector": {"matchLabels": {"app": "o", "color": color}},
            "template": {"metadata": {"labels": {"app": "o", "color": color}}, "spec": {"containers": [{"name": "o", "image": "o:1"}]}}}})
    }

    #[test]
    fn deployment_selector_is_immutable() {
        let causes = validate("Deployment", &deploy("green"), Some(&deploy("blue")));
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "spec.selector");
        assert!(
            causes[0].message.ends_with("field is immutable"),
            "{}",
            causes[0].message
        );
        assert!(
            causes[0]
                .message
                .contains(r#"map[string]string{"app":"o", "color":"green"}"#),
            "{}",
            causes[0].message
        );
    }

    #[test]
    fn deployment_template_must_match_selector() {
        let mut d = deploy("blue");
        d["spec"]["template"]["metadata"]["labels"]["color"] = json!("green");
        assert_eq!(
            validate("Deployment", &d, None)[0].field,
            "spec.template.metadata.labels"
        );
    }

    #[test]
    fn endpoints_refuse_addresses_the_proxy_must_not_reach() {
        let ep = |ip: &str| {
            json!({"metadata": {"name": "shop"}, "subsets": [{"addresses": [{"ip": "10.1.2.3"}],
                "notReadyAddresses": [{"ip": ip}], "ports": [{"port": 8080}]}]})
        };
        assert!(validate("Endpoints", &ep("10.1.2.4"), None).is_empty());
        let causes = validate("Endpoints", &ep("127.0.0.1"), None);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "subsets[0].notReadyAddresses[0].ip");
        assert_eq!(
            causes[0].message,
            "Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8)"
        );
        for ip in [
            "169.254.1.1",
            "0.0.0.0",
            "224.0.0.5",
            "::1",
            "fe80::1",
            "nonsense",
        ] {
            assert!(!validate("Endpoints", &ep(ip), None).is_empty(), "{ip}");
        }
    }

    #[test]
    fn hpa_and_pdb_rules() {
        let hpa = json!({"metadata": {"name": "h"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "minReplicas": 3, "maxReplicas": 2}});
        assert_eq!(
            validate("HorizontalPodAutoscaler", &hpa, None)[0].field,
            "spec.maxReplicas"
        );
        let pdb =
            json!({"metadata": {"name": "p"}, "spec": {"minAvailable": 1, "maxUnavailable": 1}});
        assert_eq!(validate("PodDisruptionBudget", &pdb, None).len(), 1);
    }

    #[test]
    fn defaults_match_the_server() {
        let mut s = json!({"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}});
        default("Service", &mut s, || "10.96.0.10".into());
        assert_eq!(
            s["spec"]["ports"][0],
            json!({"port": 80, "protocol": "TCP", "targetPort": 80})
        );
        assert_eq!(s["spec"]["clusterIP"], "10.96.0.10");
        assert_eq!(image_pull_policy("x:latest"), "Always");
        assert_eq!(image_pull_policy("reg:5000/x:1"), "IfNotPresent");
        assert_eq!(image_pull_policy("reg:5000/x"), "Always");
    }
}
