//! The object store: every object as JSON, one cluster-wide resourceVersion counter (as
//! etcd's revision), metadata the server owns (uid, creationTimestamp, generation), and a
//! bounded history of watch events so a watch can resume from a resourceVersion — or get
//! 410 Gone when that version was compacted away.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::resources::ResourceType;

/// How many events a watch can look back over before the server answers 410 Gone.
const HISTORY: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    Added,
    Modified,
    Deleted,
}

/// One change, as watchers see it; `old` lets a filtered watch turn "stopped matching"
/// into DELETED and "started matching" into ADDED, as the API server's watch cache does.
#[derive(Debug)]
pub(crate) struct Change {
    pub rv: u64,
    pub resource: &'static str,
    pub namespace: String,
    pub kind: EventType,
    pub object: Value,
    pub old: Option<Value>,
}

pub(crate) struct Store {
    rv: u64,
    uids: u64,
    objects: BTreeMap<&'static str, BTreeMap<(String, String), Value>>,
    history: VecDeque<Arc<Change>>,
    /// Watches from a resourceVersion below this get 410 Gone.
    pub compacted: u64,
    /// Set for a `dryRun=All` request: writes are computed and answered, not stored.
    pub dry_run: bool,
    /// What watched Services select, after every write that could change it.
    pub selections: super::selections::Recorder,
    tx: broadcast::Sender<Arc<Change>>,
}

pub(crate) fn now() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

pub(crate) fn name_of(obj: &Value) -> &str {
    obj["metadata"]["name"].as_str().unwrap_or("")
}

pub(crate) fn ns_of(obj: &Value) -> &str {
    obj["metadata"]["namespace"].as_str().unwrap_or("")
}

impl Store {
    pub fn new(tx: broadcast::Sender<Arc<Change>>) -> Store {
        Store {
            rv: 1,
            uids: 0,
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            compacted: 0,
            dry_run: false,
            selections: Default::default(),
            tx,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.tx.subscribe()
    }

    pub fn current_rv(&self) -> u64 {
        self.rv
    }

    pub fn get(&self, rt: &ResourceType, ns: &str, name: &str) -> Option<&Value> {
        self.objects
            .get(rt.key())?
            .get(&(ns.to_string(), name.to_string()))
    }

    /// Objects of a type, in one namespace or (`None`) all of them, ordered by namespace
    /// and name as the API server lists them.
    pub fn list(&self, rt: &ResourceType, ns: Option<&str>) -> Vec<Value> {
        let Some(map) = self.objects.get(rt.key()) else {
            return Vec::new();
        };
        map.iter()
            .filter(|((n, _), _)| ns.is_none_or(|want| want == n))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Like [`Store::list`] without copying: for the controllers, which scan every pod on
    /// every pass and would otherwise spend the pass cloning objects they do not keep.
    pub fn iter<'a>(
        &'a self,
        rt: &ResourceType,
        ns: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects
            .get(rt.key())
            .into_iter()
            .flat_map(|map| map.iter())
            .filter(move |((n, _), _)| ns.is_none_or(|want| want == n))
            .map(|(_, v)| v)
    }

    /// Events after `rv` for one resource, for a watch that resumes.
    pub fn history_since(&self, resource: &str, rv: u64) -> Vec<Arc<Change>> {
        self.history
            .iter()
            .filter(|c| c.rv > rv && c.resource == resource)
            .cloned()
            .collect()
    }

    /// Compaction after other writes: every resourceVersion a client holds now is too old.
    pub fn compact(&mut self) {
        self.rv += 1;
        self.compacted = self.rv;
        self.history.clear();
    }

    fn next_uid(&mut self) -> String {
        self.uids += 1;
        let n = self.uids;
        format!(
            "6b1e3c2a-{:04x}-4d7e-9f00-{:012x}",
            (n >> 48) & 0xffff,
            n & 0xffff_ffff_ffff
        )
    }

    fn record(
        &mut self,
        rt: &'static ResourceType,
        ns: &str,
        kind: EventType,
        object: Value,
        old: Option<Value>,
    ) {
        let change = Arc::new(Change {
            rv: self.rv,
            resource: rt.key(),
            namespace: ns.to_string(),
            kind,
            object,
            old,
        });
        if self.history.len() >= HISTORY
            && let Some(dropped) = self.history.pop_front()
        {
            self.compacted = dropped.rv + 1;
        }
        self.history.push_back(change.clone());
        if !self.selections.is_idle() {
            let (services, pods) = (self.objects.get("services"), self.objects.get("pods"));
            let now = (kind != EventType::Deleted).then_some(&change.object);
            match rt.key() {
                "services" | "pods" => self.selections.observe(self.rv, services, pods),
                "endpoints" => {
                    self.selections
                        .observe_endpoints(self.rv, ns, name_of(&change.object), now)
                }
                "deployments" => {
                    let before = match kind {
                        EventType::Deleted => Some(&change.object),
                        _ => change.old.as_ref(),
                    };
                    self.selections
                        .observe_deployment(self.rv, before, now, services, pods)
                }
                _ => {}
            }
        }
        let _ = self.tx.send(change);
    }

    /// Stores a new object, filling what the server owns. The caller has validated it
    /// and checked that it does not exist.
    pub fn create(&mut self, rt: &'static ResourceType, ns: &str, mut obj: Value) -> Value {
        let uid = if self.dry_run {
            String::new()
        } else {
            self.next_uid()
        };
        if !self.dry_run {
            self.rv += 1;
        }
        let meta = obj["metadata"]
            .as_object_mut()
            .expect("metadata is an object");
        meta.insert("uid".into(), json!(uid));
        meta.insert("resourceVersion".into(), json!(self.rv.to_string()));
        meta.insert("creationTimestamp".into(), json!(now()));
        if rt.namespaced {
            meta.insert("namespace".into(), json!(ns));
        } else {
            meta.remove("namespace");
        }
        if rt.has_generation {
            meta.insert("generation".into(), json!(1));
        }
        meta.remove("deletionTimestamp");
        obj["apiVersion"] = json!(rt.api_version());
        obj["kind"] = json!(rt.kind);
        if self.dry_run {
            obj["metadata"]["resourceVersion"] = json!("");
            return obj;
        }
        let name = name_of(&obj).to_string();
        self.objects
            .entry(rt.key())
            .or_default()
            .insert((ns.to_string(), name), obj.clone());
        self.record(rt, ns, EventType::Added, obj.clone(), None);
        obj
    }

    /// Replaces an existing object; bumps resourceVersion, and generation when `spec`
    /// changed. Returns `None` (and stores nothing) when nothing changed — the API server
    /// does not write a no-op update either.
    pub fn update(&mut self, rt: &'static ResourceType, ns: &str, mut obj: Value) -> Value {
        let name = name_of(&obj).to_string();
        let key = (ns.to_string(), name);
        let old = self
            .objects
            .get(rt.key())
            .and_then(|m| m.get(&key))
            .cloned()
            .expect("update of a stored object");
        // Server-owned fields come from the stored object.
        for field in ["uid", "creationTimestamp", "generation", "resourceVersion"] {
            match old["metadata"].get(field) {
                Some(v) => obj["metadata"][field] = v.clone(),
                None => {
                    if let Some(m) = obj["metadata"].as_object_mut() {
                        m.remove(field);
                    }
                }
            }
        }
        if rt.namespaced {
            obj["metadata"]["namespace"] = json!(ns);
        }
        obj["apiVersion"] = json!(rt.api_version());
        obj["kind"] = json!(rt.kind);
        if without_managed_time(&obj) == without_managed_time(&old) {
            return old;
        }
        if rt.has_generation && obj.get("spec") != old.get("spec") {
            let g = old["metadata"]["generation"].as_i64().unwrap_or(0);
            obj["metadata"]["generation"] = json!(g + 1);
        }
        if self.dry_run {
            return obj;
        }
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.objects
            .entry(rt.key())
            .or_default()
            .insert(key, obj.clone());
        self.record(rt, ns, EventType::Modified, obj.clone(), Some(old));
        obj
    }

    pub fn delete(&mut self, rt: &'static ResourceType, ns: &str, name: &str) -> Option<Value> {
        if self.dry_run {
            return self.get(rt, ns, name).cloned();
        }
        let mut obj = self
            .objects
            .get_mut(rt.key())?
            .remove(&(ns.to_string(), name.to_string()))?;
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.record(rt, ns, EventType::Deleted, obj.clone(), None);
        Some(obj)
    }

    /// Notes what the watched Services select now, and their Endpoints as they are (when a
    /// watch starts).
    pub fn note_selections(&mut self, namespace: &str, service: &str) {
        let (services, pods) = (self.objects.get("services"), self.objects.get("pods"));
        self.selections.observe(self.rv, services, pods);
        let endpoints = self
            .objects
            .get("endpoints")
            .and_then(|m| m.get(&(namespace.to_string(), service.to_string())));
        self.selections
            .observe_endpoints(self.rv, namespace, service, endpoints);
    }

    /// Every stored object, for the garbage collector.
    pub fn all(&self) -> Vec<(&'static str, &Value)> {
        self.objects
            .iter()
            .flat_map(|(k, m)| m.values().map(move |v| (*k, v)))
            .collect()
    }
}

/// Two objects that differ only in managedFields timestamps are the same write.
fn without_managed_time(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(entries) = o["metadata"]["managedFields"].as_array_mut() {
        for e in entries {
            if let Some(m) = e.as_object_mut() {
                m.remove("time");
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_api::resources::by_plural;

    fn store() -> Store {
        Store::new(broadcast::channel(16).0)
    }

    #[test]
    fn writes_bump_resource_version_and_spec_changes_bump_generation() {
        let mut s = store();
        let rt = by_plural("deployments");
        let created = s.create(
            rt,
            "default",
            json!({"metadata": {"name": "a"}, "spec": {"replicas": 1}}),
        );
        assert_eq!(created["metadata"]["generation"], 1);
        let rv1: u64 = created["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let mut changed = created.clone();
        changed["metadata"]["labels"] = json!({"x": "y"});
        let updated = s.update(rt, "default", changed.clone());
        assert_eq!(
            updated["metadata"]["generation"], 1,
            "metadata change keeps generation"
        );
        let rv2: u64 = updated["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(rv2 > rv1);
        changed["spec"]["replicas"] = json!(3);
        assert_eq!(
            s.update(rt, "default", changed)["metadata"]["generation"],
            2
        );
    }

    #[test]
    fn a_no_op_update_stores_nothing() {
        let mut s = store();
        let rt = by_plural("configmaps");
        let created = s.create(
            rt,
            "default",
            json!({"metadata": {"name": "a"}, "data": {"k": "v"}}),
        );
        let again = s.update(rt, "default", created.clone());
        assert_eq!(
            again["metadata"]["resourceVersion"],
            created["metadata"]["resourceVersion"]
        );
        assert_eq!(s.history_since("configmaps", 0).len(), 1);
    }
}
