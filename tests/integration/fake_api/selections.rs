//! A record of what chosen Services select, for checking the blue-green invariant: every
//! time a watched Service's selector changes, or a pod it selects appears, disappears or
//! changes readiness, the store notes the selector with how many selected pods existed and
//! how many were ready — at that instant, inside the write, so no change can slip between
//! two looks as it could for a poller.

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

type Objects = BTreeMap<(String, String), Value>;

#[derive(Default)]
pub(crate) struct Recorder {
    watched: Vec<(String, String)>,
    last: HashMap<(String, String), (Value, usize, usize)>,
    pub log: Vec<Selection>,
}

impl Recorder {
    pub fn watch(&mut self, namespace: &str, service: &str) {
        self.watched
            .push((namespace.to_string(), service.to_string()));
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
}
