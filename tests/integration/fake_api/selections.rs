//! A record of what chosen Services select, for checking the blue-green invariants, taken
//! inside the store's write path so no change can slip between two looks as it could for
//! a poller:
//! - every time a watched Service's selector changes, or a pod it selects appears,
//!   disappears or changes readiness, the selector with how many selected pods existed and
//!   how many were ready ([`Selection`]);
//! - every write of a watched Service's Endpoints, with its ready and not-ready address
//!   counts ([`EndpointsWrite`]);
//! - every write that lowers a Deployment's `spec.replicas` (or deletes it) while a watched
//!   Service selects the pods of its template ([`ScaleDown`]).

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

use super::controllers::is_ready;
use super::selectors;

/// What a watched Service selected right after one write.
#[derive(Debug, Clone)]
pub struct Selection {
    /// resourceVersion of the write that produced this state.
    pub rv: u64,
    pub namespace: String,
    pub service: String,
    /// The Service's `spec.selector` (`Null` once the Service is gone).
    pub selector: Value,
    pub pods: usize,
    pub ready: usize,
}

impl Selection {
    /// A selector that sends traffic somewhere with every selected pod ready.
    pub fn all_ready(&self) -> bool {
        self.pods > 0 && self.ready == self.pods
    }
}

/// One write of a watched Service's Endpoints object (or its deletion: no addresses).
#[derive(Debug, Clone)]
pub struct EndpointsWrite {
    /// resourceVersion of the write.
    pub rv: u64,
    pub namespace: String,
    pub service: String,
    /// Addresses in `subsets[*].addresses`: where the Service sends traffic.
    pub ready: usize,
    /// Addresses in `subsets[*].notReadyAddresses`.
    pub not_ready: usize,
}

/// A write that lowered a Deployment's `spec.replicas` (or deleted it) while a watched
/// Service selected the pods of its template.
#[derive(Debug, Clone)]
pub struct ScaleDown {
    /// resourceVersion of the write.
    pub rv: u64,
    pub namespace: String,
    pub service: String,
    /// The Service's `spec.selector` at that moment.
    pub selector: Value,
    pub deployment: String,
    pub from: i64,
    /// 0 for a deletion.
    pub to: i64,
    pub deleted: bool,
    /// Ready pods of the Deployment (by its `spec.selector`) when the write landed.
    pub ready: usize,
}

type Objects = BTreeMap<(String, String), Value>;

#[derive(Default)]
pub(crate) struct Recorder {
    watched: Vec<(String, String)>,
    last: HashMap<(String, String), (Value, usize, usize)>,
    pub log: Vec<Selection>,
    pub endpoints: Vec<EndpointsWrite>,
    pub scale_downs: Vec<ScaleDown>,
}

/// Ready and not-ready address counts of an Endpoints object (`Null`: none).
fn address_counts(endpoints: &Value) -> (usize, usize) {
    let count = |field: &str| {
        endpoints["subsets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| s[field].as_array().map_or(0, Vec::len))
            .sum()
    };
    (count("addresses"), count("notReadyAddresses"))
}

impl Recorder {
    pub fn watch(&mut self, namespace: &str, service: &str) {
        let key = (namespace.to_string(), service.to_string());
        if !self.watched.contains(&key) {
            self.watched.push(key);
        }
    }

    pub fn watches(&self, namespace: &str, service: &str) -> bool {
        self.watched
            .iter()
            .any(|(n, s)| n == namespace && s == service)
    }

    /// Called after every stored write of an Endpoints object; `endpoints` is what is
    /// stored now (`None` once deleted).
    pub fn observe_endpoints(
        &mut self,
        rv: u64,
        namespace: &str,
        name: &str,
        endpoints: Option<&Value>,
    ) {
        if !self.watches(namespace, name) {
            return;
        }
        let (ready, not_ready) = address_counts(endpoints.unwrap_or(&Value::Null));
        self.endpoints.push(EndpointsWrite {
            rv,
            namespace: namespace.into(),
            service: name.into(),
            ready,
            not_ready,
        });
    }

    /// Called after every stored write of a Deployment: `old` before it, `new` after it
    /// (`None` once deleted); notes a lowered `spec.replicas` of a Deployment whose
    /// template a watched Service selects.
    pub fn observe_deployment(
        &mut self,
        rv: u64,
        old: Option<&Value>,
        new: Option<&Value>,
        services: Option<&Objects>,
        pods: Option<&Objects>,
    ) {
        let Some(before) = old else { return };
        let replicas = |d: &Value| d["spec"]["replicas"].as_i64().unwrap_or(1);
        let (from, to) = (replicas(before), new.map_or(0, replicas));
        if to >= from {
            return;
        }
        let d = new.unwrap_or(before);
        let namespace = d["metadata"]["namespace"].as_str().unwrap_or("");
        let template_labels = &d["spec"]["template"]["metadata"]["labels"];
        let own = selectors::from_label_selector(&d["spec"]["selector"]);
        let ready = pods
            .into_iter()
            .flatten()
            .filter(|((ns, _), p)| {
                ns == namespace && selectors::matches(&own, &p["metadata"]["labels"]) && is_ready(p)
            })
            .count();
        for (ns, service) in &self.watched {
            if ns != namespace {
                continue;
            }
            let selector = services
                .and_then(|s| s.get(&(ns.clone(), service.clone())))
                .map(|s| s["spec"]["selector"].clone())
                .unwrap_or(Value::Null);
            let Some(reqs) = selectors::from_map(&selector) else {
                continue;
            };
            if selectors::matches(&reqs, template_labels) {
                self.scale_downs.push(ScaleDown {
                    rv,
                    namespace: ns.clone(),
                    service: service.clone(),
                    selector,
                    deployment: d["metadata"]["name"].as_str().unwrap_or("").into(),
                    from,
                    to,
                    deleted: new.is_none(),
                    ready,
                });
            }
        }
    }

    pub fn is_idle(&self) -> bool {
        self.watched.is_empty()
    }

    /// Called after every stored change of a Service or Pod.
    pub fn observe(&mut self, rv: u64, services: Option<&Objects>, pods: Option<&Objects>) {
        for key in &self.watched {
            let selector = services
                .and_then(|s| s.get(key))
                .map(|s| s["spec"]["selector"].clone())
                .unwrap_or(Value::Null);
            let (mut n, mut ready) = (0, 0);
            if let Some(reqs) = selectors::from_map(&selector) {
                for ((ns, _), pod) in pods.into_iter().flatten() {
                    if *ns == key.0 && selectors::matches(&reqs, &pod["metadata"]["labels"]) {
                        n += 1;
                        ready += usize::from(is_ready(pod));
                    }
                }
            }
            let now = (selector, n, ready);
            if self.last.get(key) == Some(&now) {
                continue;
            }
            self.log.push(Selection {
                rv,
                namespace: key.0.clone(),
                service: key.1.clone(),
                selector: now.0.clone(),
                pods: n,
                ready,
            });
            self.last.insert(key.clone(), now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, color: &str, ready: bool) -> ((String, String), Value) {
        let status = if ready { "True" } else { "False" };
        (
            ("default".into(), name.into()),
            json!({"metadata": {"name": name, "labels": {"app": "shop", "color": color}},
                   "status": {"conditions": [{"type": "Ready", "status": status}]}}),
        )
    }

    fn service(color: &str) -> Objects {
        [(
            ("default".to_string(), "shop".to_string()),
            json!({"spec": {"selector": {"app": "shop", "color": color}}}),
        )]
        .into()
    }

    #[test]
    fn notes_each_new_state_with_the_readiness_of_the_selected_pods() {
        let mut r = Recorder::default();
        r.watch("default", "shop");
        let mut pods: Objects = [pod("b1", "blue", true), pod("g1", "green", false)].into();
        r.observe(1, Some(&service("blue")), Some(&pods));
        r.observe(2, Some(&service("blue")), Some(&pods)); // unchanged: not noted again
        r.observe(3, Some(&service("green")), Some(&pods));
        pods.extend([pod("g1", "green", true)]);
        r.observe(4, Some(&service("green")), Some(&pods));
        r.observe(5, None, Some(&pods));
        let got: Vec<(u64, usize, usize, bool)> = r
            .log
            .iter()
            .map(|s| (s.rv, s.pods, s.ready, s.all_ready()))
            .collect();
        assert_eq!(
            got,
            [
                (1, 1, 1, true),
                (3, 1, 0, false),
                (4, 1, 1, true),
                (5, 0, 0, false)
            ]
        );
        assert!(r.log[3].selector.is_null());
    }

    fn deployment(color: &str, replicas: i64) -> Value {
        let labels = json!({"app": "shop", "color": color});
        json!({"metadata": {"name": format!("shop-{color}"), "namespace": "default"},
               "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                        "template": {"metadata": {"labels": labels}}}})
    }

    #[test]
    fn notes_scale_downs_of_the_selected_color_only() {
        let mut r = Recorder::default();
        r.watch("default", "shop");
        let pods: Objects = [pod("b1", "blue", true), pod("b2", "blue", true)].into();
        let svc = service("blue");
        let observe = |r: &mut Recorder, rv, old: Value, new: Option<Value>| {
            r.observe_deployment(rv, Some(&old), new.as_ref(), Some(&svc), Some(&pods))
        };
        observe(
            &mut r,
            1,
            deployment("green", 2),
            Some(deployment("green", 0)),
        );
        observe(
            &mut r,
            2,
            deployment("blue", 2),
            Some(deployment("blue", 3)),
        );
        observe(
            &mut r,
            3,
            deployment("blue", 2),
            Some(deployment("blue", 1)),
        );
        observe(&mut r, 4, deployment("blue", 1), None);
        let got: Vec<(u64, &str, i64, i64, bool, usize)> = r
            .scale_downs
            .iter()
            .map(|s| {
                (
                    s.rv,
                    s.deployment.as_str(),
                    s.from,
                    s.to,
                    s.deleted,
                    s.ready,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (3, "shop-blue", 2, 1, false, 2),
                (4, "shop-blue", 1, 0, true, 2)
            ]
        );
    }

    #[test]
    fn notes_every_endpoints_write_of_a_watched_service() {
        let mut r = Recorder::default();
        r.watch("default", "shop");
        let ep = json!({"subsets": [{"addresses": [{"ip": "a"}, {"ip": "b"}], "notReadyAddresses": [{"ip": "c"}]}]});
        r.observe_endpoints(1, "default", "other", Some(&ep));
        r.observe_endpoints(2, "default", "shop", Some(&ep));
        r.observe_endpoints(3, "default", "shop", Some(&json!({"subsets": []})));
        r.observe_endpoints(4, "default", "shop", None);
        let got: Vec<(u64, usize, usize)> = r
            .endpoints
            .iter()
            .map(|e| (e.rv, e.ready, e.not_ready))
            .collect();
        assert_eq!(got, [(2, 2, 1), (3, 0, 0), (4, 0, 0)]);
    }
}
