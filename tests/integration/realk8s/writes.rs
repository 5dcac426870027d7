//! Every write of Service `S`, of its Endpoints and of the namespace's Deployments, as the
//! real API server's watches deliver them (one event per write, each with its
//! resourceVersion, which etcd orders across resources), so the deploy monitor checks the
//! invariants at each write, not only at the moments a poller looks:
//! - once `S`'s Endpoints have had a ready address, every later write of them keeps one;
//! - no Deployment whose pod template `S` selects is scaled down or deleted while `S`
//!   selects it (`S`'s selector taken as it was at that write's resourceVersion).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Endpoints, Service};
use kube::api::{Api, WatchEvent, WatchParams};
use serde_json::Value;

/// One write seen through a watch.
#[derive(Debug, Clone)]
pub(crate) struct Write {
    pub rv: u64,
    pub resource: &'static str,
    pub deleted: bool,
    pub object: Value,
}

pub(crate) struct Writes {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Write>>>,
    handle: Option<std::thread::JoinHandle<()>>,
    service: String,
}

impl Writes {
    /// Starts watching (from the current state) on a thread and runtime of its own.
    pub(crate) fn start(kubeconfig: PathBuf, ns: String, service: String) -> Writes {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (flag, out, name) = (stop.clone(), seen.clone(), service.clone());
        let handle = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async move {
                    let client = crate::fake_api::kube_client(&kubeconfig, false).await;
                    let by_name = Some(format!("metadata.name={name}"));
                    tokio::join!(
                        follow(
                            Api::<Service>::namespaced(client.clone(), &ns),
                            by_name.clone(),
                            "services",
                            &flag,
                            &out
                        ),
                        follow(
                            Api::<Endpoints>::namespaced(client.clone(), &ns),
                            by_name,
                            "endpoints",
                            &flag,
                            &out
                        ),
                        follow(
                            Api::<Deployment>::namespaced(client, &ns),
                            None,
                            "deployments",
                            &flag,
                            &out
                        ),
                    );
                })
        });
        Writes {
            stop,
            seen,
            handle: Some(handle),
            service,
        }
    }

    /// Stops watching; how many writes were seen, and every breach of the invariants.
    pub(crate) fn finish(mut self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        let seen = self.seen.lock().unwrap().clone();
        (seen.len(), check(&seen, &self.service))
    }
}

impl Drop for Writes {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Watches `api` until `stop`, re-watching from the last resourceVersion every few
/// seconds (so a stop is noticed) and from the current state after an error.
async fn follow<K>(
    api: Api<K>,
    fields: Option<String>,
    resource: &'static str,
    stop: &AtomicBool,
    out: &Mutex<Vec<Write>>,
) where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let mut rv = "0".to_string();
    while !stop.load(Ordering::SeqCst) {
        let mut wp = WatchParams::default().timeout(2);
        if let Some(f) = &fields {
            wp = wp.fields(f);
        }
        let Ok(stream) = api.watch(&wp, &rv).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut stream = stream.boxed();
        while let Ok(Some(event)) = stream.try_next().await {
            let (deleted, obj) = match event {
                WatchEvent::Added(o) | WatchEvent::Modified(o) => (false, o),
                WatchEvent::Deleted(o) => (true, o),
                WatchEvent::Bookmark(b) => {
                    rv = b.metadata.resource_version;
                    continue;
                }
                WatchEvent::Error(_) => {
                    rv = "0".into();
                    break;
                }
            };
            let object = serde_json::to_value(&obj).unwrap();
            let at = object["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or("0")
                .to_string();
            out.lock().unwrap().push(Write {
                rv: at.parse().unwrap_or(0),
                resource,
                deleted,
                object,
            });
            rv = at;
        }
    }
}

/// Whether a Service selector (a map; empty or absent selects nothing) matches `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .filter(|m| !m.is_empty())
        .is_some_and(|m| m.iter().all(|(k, v)| &labels[k] == v))
}

fn ready_addresses(endpoints: &Value) -> usize {
    endpoints["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s["addresses"].as_array().map_or(0, Vec::len))
        .sum()
}

/// The invariants over the writes, replayed in resourceVersion order.
pub(crate) fn check(writes: &[Write], service: &str) -> Vec<String> {
    let mut writes = writes.to_vec();
    writes.sort_by_key(|w| w.rv);
    writes.dedup_by(|a, b| a.rv == b.rv && a.resource == b.resource);
    let mut selector = Value::Null;
    let mut served = false;
    let mut replicas: std::collections::HashMap<String, i64> = Default::default();
    let mut bad = Vec::new();
    for w in &writes {
        let name = w.object["metadata"]["name"].as_str().unwrap_or("");
        match w.resource {
            "services" if name == service => {
                selector = if w.deleted {
                    Value::Null
                } else {
                    w.object["spec"]["selector"].clone()
                };
            }
            "endpoints" if name == service => {
                let ready = if w.deleted {
                    0
                } else {
                    ready_addresses(&w.object)
                };
                if ready > 0 {
                    served = true;
                } else if served {
                    bad.push(format!(
                        "rv {}: {service}'s Endpoints written with no ready address after it had served",
                        w.rv
                    ));
                }
            }
            "deployments" => {
                let now = if w.deleted {
                    0
                } else {
                    w.object["spec"]["replicas"].as_i64().unwrap_or(1)
                };
                let before = if w.deleted {
                    replicas.remove(name)
                } else {
                    replicas.insert(name.to_string(), now)
                };
                let labels = &w.object["spec"]["template"]["metadata"]["labels"];
                if let Some(before) = before
                    && now < before
                    && selects(&selector, labels)
                {
                    let what = if w.deleted {
                        "deleted".to_string()
                    } else {
                        format!("scaled from {before} to {now}")
                    };
                    bad.push(format!(
                        "rv {}: {name} {what} while {service} selects it with {selector}",
                        w.rv
                    ));
                }
            }
            _ => {}
        }
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn w(rv: u64, resource: &'static str, object: Value) -> Write {
        Write {
            rv,
            resource,
            deleted: false,
            object,
        }
    }

    fn svc(color: &str) -> Value {
        json!({"metadata": {"name": "shop"}, "spec": {"selector": {"app": "shop", "color": color}}})
    }

    fn dep(color: &str, replicas: i64) -> Value {
        json!({"metadata": {"name": format!("shop-{color}")}, "spec": {"replicas": replicas,
            "template": {"metadata": {"labels": {"app": "shop", "color": color}}}}})
    }

    fn ep(ips: &[&str]) -> Value {
        let addresses: Vec<Value> = ips.iter().map(|ip| json!({"ip": ip})).collect();
        json!({"metadata": {"name": "shop"}, "subsets": [{"addresses": addresses}]})
    }

    #[test]
    fn a_switch_then_a_scale_down_of_the_old_color_is_clean() {
        let writes = [
            w(1, "services", svc("blue")),
            w(2, "deployments", dep("blue", 2)),
            w(3, "endpoints", ep(&["a", "b"])),
            w(4, "deployments", dep("green", 2)),
            w(6, "services", svc("green")),
            w(7, "endpoints", ep(&["c", "d"])),
            // Delivered out of order across watches; replayed by resourceVersion.
            w(5, "deployments", dep("green", 2)),
            w(8, "deployments", dep("blue", 0)),
        ];
        assert_eq!(check(&writes, "shop"), Vec::<String>::new());
    }

    #[test]
    fn scaling_down_the_selected_color_and_empty_endpoints_are_caught() {
        let writes = [
            w(1, "services", svc("blue")),
            w(2, "deployments", dep("blue", 2)),
            w(3, "endpoints", ep(&["a", "b"])),
            w(4, "deployments", dep("blue", 0)),
            w(5, "endpoints", json!({"metadata": {"name": "shop"}})),
        ];
        assert_eq!(
            check(&writes, "shop"),
            [
                "rv 4: shop-blue scaled from 2 to 0 while shop selects it with {\"app\":\"shop\",\"color\":\"blue\"}",
                "rv 5: shop's Endpoints written with no ready address after it had served"
            ]
        );
    }
}
