//! The simulated node: no kubelet runs next to the real control plane, so this registers a
//! Node, binds every unscheduled pod to it and writes pod status the way a kubelet does
//! (phase, conditions, podIP, containerStatuses with restart counts and waiting reasons),
//! following the per-image behaviours of the fake API server. Pods being deleted are
//! removed with a zero grace period, as a kubelet does once their containers stopped.
//! The real deployment, replicaset and endpoints controllers do everything else.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, Config};
use serde_json::{Value, json};

use super::status::pod_status;
use crate::fake_api::Behavior;

pub(crate) const NODE_NAME: &str = "msv-sim-node";
const TICK: Duration = Duration::from_millis(200);

/// What the tests choose: a behaviour and optionally a fixed pod IP per image, and the
/// network (first three octets) pods of a namespace get their addresses from. Plus what the
/// simulation assigned: the image running at each pod IP.
#[derive(Default)]
struct Plan {
    behaviors: HashMap<String, Behavior>,
    ips: HashMap<String, String>,
    networks: HashMap<String, Pool>,
    images_by_ip: HashMap<String, String>,
}

/// Addresses for the pods of one namespace: `net.2` to `net.254`, in turn.
struct Pool {
    net: String,
    next: u8,
}

impl Pool {
    fn take(&mut self) -> String {
        let host = self.next;
        self.next = if self.next >= 254 { 2 } else { self.next + 1 };
        format!("{}.{host}", self.net)
    }
}

pub(crate) struct NodeSim {
    plan: Arc<Mutex<Plan>>,
}

impl NodeSim {
    /// Registers the node and starts the simulation on a thread of its own (it outlives
    /// each test's runtime; the process ends it).
    pub(crate) fn start(kubeconfig: &Path) -> NodeSim {
        let plan = Arc::new(Mutex::new(Plan::default()));
        let kubeconfig = kubeconfig.to_path_buf();
        let shared = plan.clone();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let client = client(&kubeconfig).await;
                register_node(&client).await;
                ready_tx.send(()).unwrap();
                let mut sim = Sim {
                    client,
                    plan: shared,
                    runs: HashMap::new(),
                    next_ip: 0,
                };
                loop {
                    if let Err(e) = sim.tick().await {
                        eprintln!("node simulator: {e}");
                    }
                    tokio::time::sleep(TICK).await;
                }
            });
        });
        ready_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the simulated node did not register");
        NodeSim { plan }
    }

    pub(crate) fn set_image_behavior(&self, image: &str, behavior: Behavior) {
        self.plan
            .lock()
            .unwrap()
            .behaviors
            .insert(image.into(), behavior);
    }

    /// Pods in namespace `ns` get addresses in `net` (e.g. `10.250.7`) from now on.
    pub(crate) fn set_namespace_network(&self, ns: &str, net: &str) {
        self.plan.lock().unwrap().networks.insert(
            ns.into(),
            Pool {
                net: net.into(),
                next: 2,
            },
        );
    }

    pub(crate) fn forget_namespace_network(&self, ns: &str) {
        self.plan.lock().unwrap().networks.remove(ns);
    }

    /// The image of the pod at `ip`, while that pod exists.
    pub(crate) fn image_at(&self, ip: &str) -> Option<String> {
        self.plan.lock().unwrap().images_by_ip.get(ip).cloned()
    }

    /// Pods running `image` get this IP instead of one from 10.244.0.0/16.
    pub(crate) fn set_image_ip(&self, image: &str, ip: &str) {
        self.plan
            .lock()
            .unwrap()
            .ips
            .insert(image.into(), ip.into());
    }
}

pub(crate) async fn client(kubeconfig: &Path) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc = kube::config::Kubeconfig::read_from(kubeconfig).unwrap();
    let cfg = Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    Client::try_from(cfg).unwrap()
}

async fn register_node(client: &Client) {
    let nodes: Api<Node> = Api::all(client.clone());
    let node = json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": NODE_NAME, "labels": {"kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux"}}});
    if let Err(e) = nodes
        .create(
            &PostParams::default(),
            &serde_json::from_value(node).unwrap(),
        )
        .await
    {
        assert!(
            matches!(&e, kube::Error::Api(s) if s.code == 409),
            "registering the node: {e}"
        );
    }
    let now = k8s_now();
    let ready = json!({"type": "Ready", "status": "True", "reason": "KubeletReady",
        "message": "kubelet is posting ready status", "lastHeartbeatTime": now, "lastTransitionTime": now});
    let capacity = json!({"cpu": "4", "memory": "8Gi", "pods": "110"});
    let status = json!({"status": {"conditions": [ready], "capacity": capacity, "allocatable": capacity,
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": NODE_NAME}],
        "nodeInfo": {"kubeletVersion": "v1.20.2", "kubeProxyVersion": "v1.20.2", "operatingSystem": "linux",
            "architecture": "amd64", "containerRuntimeVersion": "containerd://1.4.0", "osImage": "simulated",
            "kernelVersion": "", "machineID": "", "systemUUID": "", "bootID": ""}}});
    nodes
        .patch_status(NODE_NAME, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("writing the node's status");
}

struct Run {
    started: Instant,
    started_at: String,
    ip: String,
    last: Value,
}

struct Sim {
    client: Client,
    plan: Arc<Mutex<Plan>>,
    runs: HashMap<String, Run>,
    next_ip: u32,
}

impl Sim {
    async fn tick(&mut self) -> Result<(), kube::Error> {
        let all: Api<Pod> = Api::all(self.client.clone());
        let pods = all.list(&ListParams::default()).await?;
        let mut seen = Vec::new();
        let mut images = HashMap::new();
        for pod in pods.items {
            let (Some(ns), Some(name), Some(uid)) = (
                pod.metadata.namespace.clone(),
                pod.metadata.name.clone(),
                pod.metadata.uid.clone(),
            ) else {
                continue;
            };
            let api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
            let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
            if pod.metadata.deletion_timestamp.is_some() {
                if node.as_deref().is_none_or(|n| n == NODE_NAME) {
                    let _ = api
                        .delete(&name, &DeleteParams::default().grace_period(0))
                        .await;
                }
                continue;
            }
            match node.as_deref() {
                None => {
                    let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                        "target": {"apiVersion": "v1", "kind": "Node", "name": NODE_NAME}});
                    api.create_subresource::<_, Value>(
                        "binding",
                        &name,
                        &PostParams::default(),
                        &binding,
                    )
                    .await?;
                }
                Some(NODE_NAME) => {}
                Some(_) => continue,
            }
            seen.push(uid.clone());
            let containers: Vec<(String, String)> = pod
                .spec
                .iter()
                .flat_map(|s| s.containers.iter())
                .map(|c| (c.name.clone(), c.image.clone().unwrap_or_default()))
                .collect();
            let known = self.runs.contains_key(&uid);
            let (behaviors, ip) = {
                let mut plan = self.plan.lock().unwrap();
                let b: Vec<Behavior> = containers
                    .iter()
                    .map(|(_, img)| plan.behaviors.get(img).copied().unwrap_or(DEFAULT))
                    .collect();
                let mut ip = containers
                    .iter()
                    .find_map(|(_, img)| plan.ips.get(img).cloned());
                if ip.is_none() && !known {
                    ip = plan.networks.get_mut(&ns).map(Pool::take);
                }
                (b, ip)
            };
            let next_ip = &mut self.next_ip;
            let run = self.runs.entry(uid).or_insert_with(|| {
                *next_ip += 1;
                Run {
                    started: Instant::now(),
                    started_at: k8s_now(),
                    ip: ip.unwrap_or_else(|| {
                        format!("10.244.{}.{}", *next_ip / 250, *next_ip % 250 + 1)
                    }),
                    last: Value::Null,
                }
            });
            if let Some((_, image)) = containers.first() {
                images.insert(run.ip.clone(), image.clone());
            }
            let status = pod_status(
                &containers,
                &behaviors,
                run.started.elapsed(),
                &run.started_at,
                &run.ip,
            );
            if status != run.last {
                api.patch_status(
                    &name,
                    &PatchParams::default(),
                    &Patch::Merge(&json!({"status": status})),
                )
                .await?;
                run.last = status;
            }
        }
        self.runs.retain(|uid, _| seen.contains(uid));
        self.plan.lock().unwrap().images_by_ip = images;
        Ok(())
    }
}

const DEFAULT: Behavior = Behavior::ReadyAfter(Duration::from_millis(300));

fn k8s_now() -> String {
    // The API server stores timestamps with second precision.
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap()
        .to_string()
}
