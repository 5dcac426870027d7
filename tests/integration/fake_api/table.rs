//! `meta.k8s.io/v1` Table output (what `kubectl get` asks for with
//! `Accept: application/json;as=Table;...`): the columns kube-apiserver's printers give the
//! served kinds, ages printed as kubectl prints them, and row objects as
//! PartialObjectMetadata unless `includeObject=Object`.

use serde_json::{Value, json};

use super::resources::ResourceType;

fn col(name: &str, ty: &str, format: &str, priority: i64) -> Value {
    json!({"name": name, "type": ty, "format": format, "description": name, "priority": priority})
}

/// Go's `duration.HumanDuration`, which kubectl and the server use for ages.
pub(crate) fn human_duration(secs: i64) -> String {
    if secs < 0 {
        return "0s".into();
    }
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86400);
    match () {
        _ if secs < 120 => format!("{secs}s"),
        _ if m < 10 => {
            if secs % 60 == 0 {
                format!("{m}m")
            } else {
                format!("{m}m{}s", secs % 60)
            }
        }
        _ if m < 180 => format!("{m}m"),
        _ if h < 8 => {
            if m % 60 == 0 {
                format!("{h}h")
            } else {
                format!("{h}h{}m", m % 60)
            }
        }
        _ if h < 48 => format!("{h}h"),
        _ if h < 192 => {
            if h % 24 == 0 {
                format!("{d}d")
            } else {
                format!("{d}d{}h", h % 24)
            }
        }
        _ if d < 730 => format!("{d}d"),
        _ => format!("{}y{}d", d / 365, d % 365),
    }
}

fn age(obj: &Value) -> String {
    let Some(ts) = obj["metadata"]["creationTimestamp"]
        .as_str()
        .and_then(|s| s.parse::<k8s_openapi::jiff::Timestamp>().ok())
    else {
        return "<unknown>".into();
    };
    human_duration(k8s_openapi::jiff::Timestamp::now().as_second() - ts.as_second())
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn i(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// The STATUS column of a pod: the first waiting/terminated reason, else the phase.
pub(crate) fn pod_status(p: &Value) -> String {
    if p["metadata"]["deletionTimestamp"].is_string() {
        return "Terminating".into();
    }
    for c in p["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(r) = c["state"]["waiting"]["reason"].as_str() {
            return r.into();
        }
        if let Some(r) = c["state"]["terminated"]["reason"].as_str() {
            return r.into();
        }
    }
    p["status"]["phase"].as_str().unwrap_or("Pending").into()
}

fn columns_and_cells(rt: &ResourceType, o: &Value) -> (Vec<Value>, Vec<Value>) {
    let name = col("Name", "string", "name", 0);
    let age_col = col("Age", "string", "", 0);
    let (st, sp, md) = (&o["status"], &o["spec"], &o["metadata"]);
    match rt.kind {
        "Namespace" => (
            vec![name, col("Status", "string", "", 0), age_col],
            vec![md["name"].clone(), st["phase"].clone(), json!(age(o))],
        ),
        "Pod" => {
            let cs = st["containerStatuses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let total = sp["containers"].as_array().map(|a| a.len()).unwrap_or(0);
            let ready = cs.iter().filter(|c| c["ready"] == true).count();
            let restarts: i64 = cs.iter().map(|c| i(&c["restartCount"])).sum();
            (
                vec![
                    name,
                    col("Ready", "string", "", 0),
                    col("Status", "string", "", 0),
                    col("Restarts", "string", "", 0),
                    age_col,
                    col("IP", "string", "", 1),
                    col("Node", "string", "", 1),
                    col("Nominated Node", "string", "", 1),
                    col("Readiness Gates", "string", "", 1),
                ],
                vec![
                    md["name"].clone(),
                    json!(format!("{ready}/{total}")),
                    json!(pod_status(o)),
                    json!(restarts.to_string()),
                    json!(age(o)),
                    json!(st["podIP"].as_str().unwrap_or("<none>")),
                    json!(sp["nodeName"].as_str().unwrap_or("<none>")),
                    json!("<none>"),
                    json!("<none>"),
                ],
            )
        }
        "Deployment" => {
            let images: Vec<String> = sp["template"]["spec"]["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| s(&c["image"]))
                .collect();
            let names: Vec<String> = sp["template"]["spec"]["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| s(&c["name"]))
                .collect();
            (
                vec![
                    name,
                    col("Ready", "string", "", 0),
                    col("Up-to-date", "integer", "", 0),
                    col("Available", "integer", "", 0),
                    age_col,
                    col("Containers", "string", "", 1),
                    col("Images", "string", "", 1),
                    col("Selector", "string", "", 1),
                ],
                vec![
                    md["name"].clone(),
                    json!(format!(
                        "{}/{}",
                        i(&st["readyReplicas"]),
                        i(&sp["replicas"])
                    )),
                    json!(i(&st["updatedReplicas"])),
                    json!(i(&st["availableReplicas"])),
                    json!(age(o)),
                    json!(names.join(",")),
                    json!(images.join(",")),
                    json!(super::selectors::to_string(&sp["selector"])),
                ],
            )
        }
        "ReplicaSet" => (
            vec![
                name,
                col("Desired", "integer", "", 0),
                col("Current", "integer", "", 0),
                col("Ready", "integer", "", 0),
                age_col,
            ],
            vec![
                md["name"].clone(),
                json!(i(&sp["replicas"])),
                json!(i(&st["replicas"])),
                json!(i(&st["readyReplicas"])),
                json!(age(o)),
            ],
        ),
        "Service" => {
            let ports: Vec<String> = sp["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    format!(
                        "{}/{}",
                        i(&p["port"]),
                        p["protocol"].as_str().unwrap_or("TCP")
                    )
                })
                .collect();
            let sel: Vec<String> = sp["selector"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| format!("{k}={}", s(v)))
                .collect();
            (
                vec![
                    name,
                    col("Type", "string", "", 0),
                    col("Cluster-IP", "string", "", 0),
                    col("External-IP", "string", "", 0),
                    col("Port(s)", "string", "", 0),
                    age_col,
                    col("Selector", "string", "", 1),
                ],
                vec![
                    md["name"].clone(),
                    sp["type"].clone(),
                    sp["clusterIP"].clone(),
                    json!("<none>"),
                    json!(if ports.is_empty() {
                        "<none>".into()
                    } else {
                        ports.join(",")
                    }),
                    json!(age(o)),
                    json!(if sel.is_empty() {
                        "<none>".into()
                    } else {
                        sel.join(",")
                    }),
                ],
            )
        }
        "Endpoints" => {
            let mut eps = Vec::new();
            for sub in o["subsets"].as_array().into_iter().flatten() {
                for a in sub["addresses"].as_array().into_iter().flatten() {
                    for p in sub["ports"].as_array().into_iter().flatten() {
                        eps.push(format!("{}:{}", s(&a["ip"]), i(&p["port"])));
                    }
                }
            }
            (
                vec![name, col("Endpoints", "string", "", 0), age_col],
                vec![
                    md["name"].clone(),
                    json!(if eps.is_empty() {
                        "<none>".into()
                    } else {
                        eps.join(",")
                    }),
                    json!(age(o)),
                ],
            )
        }
        "Event" => (
            vec![
                col("Last Seen", "string", "", 0),
                col("Type", "string", "", 0),
                col("Reason", "string", "", 0),
                col("Object", "string", "", 0),
                col("Message", "string", "", 0),
            ],
            vec![
                json!(age(o)),
                o["type"].clone(),
                o["reason"].clone(),
                json!(format!(
                    "{}/{}",
                    s(&o["involvedObject"]["kind"]).to_lowercase(),
                    s(&o["involvedObject"]["name"])
                )),
                o["message"].clone(),
            ],
        ),
        "ConfigMap" => (
            vec![name, col("Data", "integer", "", 0), age_col],
            vec![
                md["name"].clone(),
                json!(o["data"].as_object().map(|m| m.len()).unwrap_or(0)),
                json!(age(o)),
            ],
        ),
        "Lease" => (
            vec![name, col("Holder", "string", "", 0), age_col],
            vec![
                md["name"].clone(),
                json!(sp["holderIdentity"].as_str().unwrap_or("")),
                json!(age(o)),
            ],
        ),
        _ => (vec![name, age_col], vec![md["name"].clone(), json!(age(o))]),
    }
}

fn row_object(o: &Value, include: Option<&str>) -> Value {
    match include {
        Some("Object") => o.clone(),
        Some("None") => Value::Null,
        _ => {
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]})
        }
    }
}

/// A Table of the objects; `headers: false` leaves the column definitions out, as watch
/// events after the first do.
pub(crate) fn table(
    rt: &ResourceType,
    items: &[Value],
    rv: &str,
    include: Option<&str>,
    headers: bool,
) -> Value {
    let probe = items
        .first()
        .cloned()
        .unwrap_or_else(|| json!({"metadata": {}}));
    let (columns, _) = columns_and_cells(rt, &probe);
    let rows: Vec<Value> = items
        .iter()
        .map(|o| json!({"cells": columns_and_cells(rt, o).1, "object": row_object(o, include)}))
        .collect();
    let mut t = json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv}, "rows": rows});
    if headers {
        t["columnDefinitions"] = json!(columns);
    } else {
        t["columnDefinitions"] = Value::Null;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_print_like_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(125), "2m5s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 60), "3h1m");
        assert_eq!(human_duration(50 * 3600), "2d2h");
    }

    #[test]
    fn pod_status_prefers_the_waiting_reason() {
        let p = json!({"status": {"phase": "Running", "containerStatuses": [{"state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        assert_eq!(pod_status(&p), "CrashLoopBackOff");
    }
}
