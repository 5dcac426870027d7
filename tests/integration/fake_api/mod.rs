//! A fake Kubernetes API server for the tests: stateful, on `127.0.0.1:0` over HTTPS
//! (a CA made per cluster), with a bearer token, a kubeconfig written for it, and simulated controllers, so
//! the real `msv` binary, kubectl and kube-rs can run against it.
//!
//! ```ignore
//! let cluster = FakeCluster::start();                   // own runtime thread; any test
//! cluster.set_image_behavior("shop:bad", Behavior::CrashLoop);
//! cluster.set_backend_for_image("shop:2", |req: &ProxyRequest| ProxyResponse::ok("up"));
//! Test::new().args(&["deploy"]).env("KUBECONFIG", cluster.kubeconfig_path()).run();
//! assert_eq!(cluster.get("services", "default", "shop").unwrap()["spec"]["selector"]["color"], "green");
//! assert!(cluster.requests().iter().any(|r| r.method == "PATCH"));
//! ```
//!
//! What it serves (see `resources.rs`): discovery, core/v1 Namespaces, Services,
//! Endpoints, Pods (+ `log`, `proxy`, `status`), ConfigMaps, Events, ResourceQuotas
//! (+ `status`; `pods` enforced, see `quota.rs`); apps/v1 Deployments
//! and ReplicaSets (+ `status`, `scale`); discovery.k8s.io/v1 EndpointSlices (unless
//! [`FakeCluster::without_endpoint_slices`]); coordination.k8s.io/v1 Leases; autoscaling/v2
//! HorizontalPodAutoscalers and policy/v1 PodDisruptionBudgets (stored and validated).
//! Verbs: get, list and watch with label/field selectors, create, update, delete,
//! deletecollection, patch (JSON merge, JSON patch, strategic merge, server-side apply
//! with managedFields and conflicts). Tables (`Accept: ...;as=Table`) for kubectl.
//!
//! Simulated: the deployment controller (ReplicaSets per template, rollout status and
//! conditions, progress deadline), the ReplicaSet controller, a kubelet (pod status per
//! image behaviour, restarts, image pull errors, events, logs), the endpoints and
//! EndpointSlice controllers (with a lag; see `endpoint_slices.rs`), the garbage collector (owner references), and the service/pod proxy to
//! per-pod HTTP backends. Faults: latency, error responses, connection resets, dropped
//! watches, compaction (410 Gone).
//!
//! Not modelled: scheduling and nodes (every pod runs on `fake-node`), graceful pod
//! termination (deleted pods vanish at once), namespace termination (immediate), rolling
//! update surge/unavailable arithmetic (the new ReplicaSet is scaled to the full count at
//! once and old ones go to zero when it is available), minReadySeconds,
//! admission other than pod-count quotas, RBAC, HPA/PDB behaviour, protobuf and CBOR request bodies (typed client-go
//! callers such as `kubectl create deployment` or `kubectl expose` get 415; `kubectl
//! create|apply -f`, kube-rs and msv send JSON), the proxy's refusal of loopback pod
//! addresses (a `Backend::Url` may be a local process), aggregated discovery,
//! OpenAPI schemas (v3 lists operations only; v2 is 404), HTTP/2, client certificates.

mod apply;
mod controllers;
mod deployment;
mod endpoint_slices;
mod endpoints;
mod faults;
mod handlers;
mod kubeconfig;
mod logs;
mod openapi;
mod ops;
mod patch;
mod pods;
mod proxy;
mod quota;
mod resources;
mod selections;
mod selectors;
mod server;
mod status;
mod store;
mod table;
mod tls;
mod validate;
mod watch;

pub(crate) mod fidelity_kube;
pub(crate) mod fidelity_kubectl;
pub(crate) mod fidelity_quota;
mod fidelity_sim;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{broadcast, oneshot};

pub use faults::Fault;
pub use selections::{EndpointsWrite, ScaleDown, Selection};
use store::Store;

/// What the simulated kubelet does with a container of a given image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub enum Behavior {
    /// Running at once, Ready after the delay.
    ReadyAfter(Duration),
    /// Running, never Ready (a failing readiness probe).
    NeverReady,
    /// Exits over and over: restartCount grows, waiting reason CrashLoopBackOff.
    CrashLoop,
    /// Pending with ErrImagePull, then ImagePullBackOff.
    ImagePullFailure,
}

/// A request the proxy forwards to a pod's backend.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct ProxyRequest {
    pub method: String,
    /// Path after `/proxy`, always starting with `/`.
    pub path: String,
    pub query: String,
    pub body: Vec<u8>,
    pub namespace: String,
    pub pod: String,
}

#[derive(Debug, Clone)]
pub struct ProxyResponse {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

#[allow(dead_code)]
impl ProxyResponse {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> ProxyResponse {
        ProxyResponse {
            status,
            content_type: "text/plain; charset=utf-8".into(),
            body: body.into(),
        }
    }
    pub fn ok(body: impl Into<Vec<u8>>) -> ProxyResponse {
        ProxyResponse::new(200, body)
    }
    pub fn json(status: u16, body: &Value) -> ProxyResponse {
        ProxyResponse {
            status,
            content_type: "application/json".into(),
            body: body.to_string().into_bytes(),
        }
    }
}

pub type Handler = Arc<dyn Fn(&ProxyRequest) -> ProxyResponse + Send + Sync>;

/// Where proxied traffic for a pod goes.
#[derive(Clone)]
pub enum Backend {
    Handler(Handler),
    /// A real local process, e.g. `http://127.0.0.1:8080`; the proxied path is appended.
    Url(String),
}

/// One request the server received, for tests to assert what a client asked.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: String,
    pub content_type: String,
    pub user_agent: String,
    /// The bearer token sent (`Authorization` without `Bearer `).
    pub token: String,
}

#[allow(dead_code)]
impl RecordedRequest {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    /// A query parameter's decoded value.
    pub fn param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// Test-chosen simulation settings.
pub(crate) struct Sim {
    pub behaviors: HashMap<String, Behavior>,
    pub default_behavior: Behavior,
    pub backends_by_image: HashMap<String, Backend>,
    pub backends_by_pod: HashMap<(String, String), Backend>,
    pub logs_by_image: HashMap<String, Vec<String>>,
    pub endpoints_lag: Duration,
    /// Serve `discovery.k8s.io/v1` and write EndpointSlices (a 1.33 server); off, the
    /// server is one from before 1.21 that has only v1 Endpoints for clients to read.
    pub endpoint_slices: bool,
    pub progress_deadline: Option<Duration>,
    pub crash_interval: Duration,
}

/// Runtime facts of a simulated pod, keyed by uid.
pub(crate) struct PodRun {
    pub started: Instant,
    pub started_at: String,
    pub ip: String,
    /// Restarts asked for by `FakeCluster::restart_container`; each one is a new container
    /// with a log of its own.
    pub restarts: i64,
    /// When the container before the current one started (for `lastState`).
    pub previous_started_at: Option<String>,
}

/// Everything behind the server, under one lock (small data, short critical sections).
pub(crate) struct State {
    pub store: Store,
    pub sim: Sim,
    pub faults: faults::Faults,
    pub requests: Vec<RecordedRequest>,
    pub pods: HashMap<String, PodRun>,
    pub pending_endpoints: HashMap<(String, String), (Value, Instant)>,
    /// When the EndpointSlices of a Service are due to follow a change.
    pub pending_slices: HashMap<(String, String), Instant>,
    pub progress: HashMap<String, (String, Instant)>,
    /// ReplicaSets whose last pod create was refused, by uid: failures in a row, and when
    /// to try again.
    pub create_backoff: HashMap<String, (u32, Instant)>,
    pub logs: HashMap<(String, String), Vec<logs::LogLine>>,
    pub next_ip: u32,
    pub round_robin: usize,
}

pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub token: String,
    /// Bumped to end every open watch stream (a dropped watch, as after a server restart).
    pub watch_kill: tokio::sync::watch::Sender<u64>,
    /// Bumped whenever a log line is added, for `follow=true`.
    pub log_tick: tokio::sync::watch::Sender<u64>,
    pub addr: Mutex<Option<SocketAddr>>,
    /// Watch streams open now.
    pub open_watches: std::sync::atomic::AtomicUsize,
    /// When set, only the tokens listed in this file are accepted, each until its expiry:
    /// lines `TOKEN UNIX_SECONDS`, as a stand-in credential plugin writes them.
    pub issued_tokens: Mutex<Option<PathBuf>>,
    /// `Warning` headers to answer with, by resource (`deployments`, `pods/log`...).
    pub warnings: Mutex<HashMap<String, String>>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake API server; it stops when dropped.
pub struct FakeCluster {
    shared: Arc<Shared>,
    addr: SocketAddr,
    #[allow(dead_code)]
    ca_pem: String,
    dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
}

#[allow(dead_code)]
/// A kube-rs client for the API server whose kubeconfig is at `kubeconfig` (a path, so
/// threads that do not hold the cluster can build one): the fake's, or the real control
/// plane's. kube retries 429/503/504 by default (15
/// times, backing off towards minutes); a client that must see a 503 at once passes
/// `retry = false`.
pub(crate) async fn kube_client(kubeconfig: &Path, retry: bool) -> kube::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc = kube::config::Kubeconfig::read_from(kubeconfig).expect("the fake's kubeconfig");
    let mut cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("a kube config for the fake");
    cfg.default_retry = retry;
    kube::Client::try_from(cfg).expect("a kube client for the fake")
}

#[allow(dead_code)] // the whole API is documented for tests; not every test uses every call
impl FakeCluster {
    /// Starts the server and its controllers on a runtime thread of their own, so both
    /// plain `#[test]`s and `#[tokio::test]`s can use it. Namespaces `default`,
    /// `kube-system`, `kube-public` and `kube-node-lease` exist.
    pub fn start() -> FakeCluster {
        let (tx, _) = broadcast::channel(8192);
        let state = State {
            store: Store::new(tx),
            sim: Sim {
                behaviors: HashMap::new(),
                default_behavior: Behavior::ReadyAfter(Duration::from_millis(200)),
                backends_by_image: HashMap::new(),
                backends_by_pod: HashMap::new(),
                logs_by_image: HashMap::new(),
                endpoints_lag: Duration::from_millis(100),
                endpoint_slices: true,
                progress_deadline: None,
                crash_interval: Duration::from_millis(300),
            },
            faults: faults::Faults::default(),
            requests: Vec::new(),
            pods: HashMap::new(),
            pending_endpoints: HashMap::new(),
            pending_slices: HashMap::new(),
            progress: HashMap::new(),
            create_backoff: HashMap::new(),
            logs: HashMap::new(),
            next_ip: 10,
            round_robin: 0,
        };
        let token = format!("fake-token-{}", std::process::id());
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            token,
            watch_kill: tokio::sync::watch::channel(0).0,
            log_tick: tokio::sync::watch::channel(0).0,
            addr: Mutex::new(None),
            open_watches: std::sync::atomic::AtomicUsize::new(0),
            issued_tokens: Mutex::new(None),
            warnings: Mutex::new(HashMap::new()),
        });
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let obj = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            ops::create(
                &mut shared.lock(),
                resources::by_plural("namespaces"),
                "",
                obj,
                "kube-apiserver",
                None,
            )
            .expect("seed namespace");
        }
        let tls = tls::make();
        let ca_pem = tls.ca_pem.clone();
        let acceptor = tls.acceptor;
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let sh = shared.clone();
        std::thread::Builder::new()
            .name("fake-api".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind 127.0.0.1:0");
                    let addr = listener.local_addr().expect("local addr");
                    *sh.addr.lock().unwrap() = Some(addr);
                    addr_tx.send(addr).expect("send addr");
                    tokio::spawn(controllers::run(sh.clone()));
                    tokio::select! {
                        _ = server::serve(listener, acceptor, sh) => {}
                        _ = stop_rx => {}
                    }
                });
                rt.shutdown_background();
            })
            .expect("spawn fake-api thread");
        let addr = addr_rx.recv().expect("fake API server started");
        let dir = tempfile::tempdir().expect("temp dir");
        kubeconfig::write(
            &dir.path().join("kubeconfig"),
            &format!("https://{addr}"),
            &ca_pem,
            &shared.token,
        )
        .expect("write kubeconfig");
        FakeCluster {
            shared,
            addr,
            ca_pem,
            dir,
            shutdown: Some(stop_tx),
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
    /// The CA certificate (PEM) that signed the server's certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// A kubeconfig with cluster/user/context `fake`, namespace `default`, the CA data and
    /// the bearer token.
    pub fn kubeconfig_path(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }
    pub fn token(&self) -> String {
        self.shared.token.clone()
    }
    /// Answer every request for `resource` (`deployments`, `services`...) with a `Warning`
    /// header carrying `message`, as a server does for deprecated APIs and doubtful fields.
    pub fn warn_on(&self, resource: &str, message: &str) {
        self.shared
            .warnings
            .lock()
            .unwrap()
            .insert(resource.to_string(), message.to_string());
    }
    /// From now on, accept only the tokens listed in `file` (lines `TOKEN UNIX_SECONDS`),
    /// each until its expiry, instead of [`FakeCluster::token`]: the API server of a cloud
    /// whose credential plugin issued them.
    pub fn accept_only_tokens_in(&self, file: &Path) {
        *self.shared.issued_tokens.lock().unwrap() = Some(file.to_path_buf());
    }
    /// A scratch directory that lives as long as the cluster (e.g. for HOME or caches).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    // --- simulation settings ---

    pub fn set_image_behavior(&self, image: &str, behavior: Behavior) {
        self.shared
            .lock()
            .sim
            .behaviors
            .insert(image.to_string(), behavior);
    }
    pub fn set_default_behavior(&self, behavior: Behavior) {
        self.shared.lock().sim.default_behavior = behavior;
    }
    /// The HTTP backend of every pod running `image`; `repo/name*` matches any image with
    /// that prefix (e.g. a digest pushed during the test).
    pub fn set_backend_for_image(
        &self,
        image: &str,
        handler: impl Fn(&ProxyRequest) -> ProxyResponse + Send + Sync + 'static,
    ) {
        self.shared
            .lock()
            .sim
            .backends_by_image
            .insert(image.to_string(), Backend::Handler(Arc::new(handler)));
    }
    pub fn set_backend_url_for_image(&self, image: &str, url: &str) {
        self.shared.lock().sim.backends_by_image.insert(
            image.to_string(),
            Backend::Url(url.trim_end_matches('/').to_string()),
        );
    }
    pub fn set_backend_for_pod(&self, namespace: &str, pod: &str, backend: Backend) {
        self.shared
            .lock()
            .sim
            .backends_by_pod
            .insert((namespace.to_string(), pod.to_string()), backend);
    }
    /// Log lines every container of this image prints when it starts.
    pub fn set_logs_for_image(&self, image: &str, lines: &[&str]) {
        self.shared.lock().sim.logs_by_image.insert(
            image.to_string(),
            lines.iter().map(|s| s.to_string()).collect(),
        );
    }
    /// Appends a line to a pod's log (seen by `follow=true` readers).
    pub fn append_log(&self, namespace: &str, pod: &str, line: &str) {
        logs::append(&mut self.shared.lock(), namespace, pod, line);
        self.shared.log_tick.send_modify(|n| *n += 1);
    }
    /// Restarts a pod's containers as the kubelet does after a crash: the pod stays, its
    /// restartCount grows, the new container logs afresh (the image's lines again; the old
    /// log becomes `previous=true`), readiness starts over, and open `follow` streams of the
    /// old container end.
    pub fn restart_container(&self, namespace: &str, pod: &str) {
        {
            let mut st = self.shared.lock();
            let uid = st
                .store
                .get(resources::by_plural("pods"), namespace, pod)
                .and_then(|p| p["metadata"]["uid"].as_str().map(String::from))
                .unwrap_or_else(|| panic!("no pod {namespace}/{pod} to restart"));
            pods::restart(&mut st, namespace, pod, &uid);
        }
        self.shared.log_tick.send_modify(|n| *n += 1);
    }
    /// How long after a selector or readiness change the Endpoints follow (default 100 ms).
    pub fn set_endpoints_lag(&self, lag: Duration) {
        self.shared.lock().sim.endpoints_lag = lag;
    }
    /// Makes this a server from before Kubernetes 1.21: `/version` says 1.20, discovery
    /// lists no `discovery.k8s.io/v1` (its paths answer 404), no EndpointSlices are written,
    /// and v1 Endpoints come without the deprecation warning. Call before any client.
    pub fn without_endpoint_slices(&self) {
        self.shared.lock().sim.endpoint_slices = false;
    }
    /// Replaces every Deployment's `progressDeadlineSeconds` (which counts whole seconds)
    /// so a test can see ProgressDeadlineExceeded quickly.
    pub fn set_progress_deadline(&self, deadline: Duration) {
        self.shared.lock().sim.progress_deadline = Some(deadline);
    }
    /// Time between restarts of a crash-looping container (default 300 ms).
    pub fn set_crash_interval(&self, interval: Duration) {
        self.shared.lock().sim.crash_interval = interval;
    }

    // --- faults ---

    /// Delay before every API request is answered.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().faults.latency = latency;
    }
    pub fn add_fault(&self, fault: Fault) {
        self.shared.lock().faults.rules.push(fault);
    }
    pub fn clear_faults(&self) {
        let mut st = self.shared.lock();
        st.faults.rules.clear();
        st.faults.latency = Duration::ZERO;
    }
    /// Ends every open watch stream now (clients must re-watch).
    pub fn drop_watches(&self) {
        self.shared.watch_kill.send_modify(|n| *n += 1);
    }
    /// How many watch streams are open (to drop a watch only once a client has one).
    pub fn open_watches(&self) -> usize {
        self.shared
            .open_watches
            .load(std::sync::atomic::Ordering::SeqCst)
    }
    /// Forgets the event history: a watch from any earlier resourceVersion gets 410 Gone.
    pub fn compact(&self) {
        self.shared.lock().store.compact();
    }

    // --- seeding and inspection ---

    pub fn create_namespace(&self, name: &str) {
        self.create(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}));
    }
    /// Creates an object as a client would (defaults, validation, namespace must exist);
    /// panics with the Status when the server would refuse it.
    pub fn create(&self, obj: Value) -> Value {
        self.create_as("test", obj)
    }
    /// [`Self::create`] as the client `manager` would create it: managedFields name it as
    /// the owner of every field. For objects someone else made, e.g.
    /// `create_as("kubectl-create", service)` as `kubectl create -f` makes them, or
    /// `create_as("helm", ...)`.
    pub fn create_as(&self, manager: &str, obj: Value) -> Value {
        let api_version = obj["apiVersion"].as_str().unwrap_or("").to_string();
        let kind = obj["kind"].as_str().unwrap_or("").to_string();
        let rt = resources::RESOURCES
            .iter()
            .find(|r| r.api_version() == api_version && r.kind == kind)
            .unwrap_or_else(|| panic!("the fake does not serve {api_version} {kind}"));
        let ns = if rt.namespaced {
            obj["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        ops::create(&mut self.shared.lock(), rt, &ns, obj, manager, None)
            .unwrap_or_else(|e| panic!("seeding failed: {}", e.body))
    }
    /// Applies a JSON merge patch to a stored object as the client `manager` would send it
    /// (`?fieldManager=`, or the program name a User-Agent like `kubectl/v1.32.0 ...` gives):
    /// the write goes through the server's checks and watchers see it, and managedFields
    /// name `manager` as the owner of the fields it changed. For changes made "by hand"
    /// in a test, e.g. `patch_as("kubectl-patch", "services", "default", "shop",
    /// json!({"spec": {"selector": {"msv/color": "blue"}}}))`. Panics with the Status when
    /// the server would refuse it.
    pub fn patch_as(
        &self,
        manager: &str,
        resource: &str,
        namespace: &str,
        name: &str,
        patch: Value,
    ) -> Value {
        let rt = resources::by_plural(resource);
        ops::patch(
            &mut self.shared.lock(),
            rt,
            namespace,
            name,
            ops::PatchType::Merge,
            &patch,
            Some(manager),
            None,
        )
        .unwrap_or_else(|e| panic!("patching {resource} {namespace}/{name}: {}", e.body))
    }
    /// A ResourceQuota `name` in `namespace` allowing at most `pods` pods: a pod create that
    /// would exceed it is refused with the real admission's 403, and a ReplicaSet that
    /// needs more pods gets ReplicaFailure/FailedCreate (copied to its Deployment) and a
    /// Warning event FailedCreate.
    pub fn create_pod_quota(&self, namespace: &str, name: &str, pods: u32) -> Value {
        self.create(
            serde_json::json!({"apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"hard": {"pods": pods.to_string()}}}),
        )
    }
    /// A stored object by resource plural (`deployments`), namespace (`""` for cluster
    /// scoped) and name.
    pub fn get(&self, resource: &str, namespace: &str, name: &str) -> Option<Value> {
        let rt = resources::by_plural(resource);
        self.shared.lock().store.get(rt, namespace, name).cloned()
    }
    /// Stored objects of a resource in a namespace (`None`: all namespaces).
    pub fn list(&self, resource: &str, namespace: Option<&str>) -> Vec<Value> {
        let rt = resources::by_plural(resource);
        self.shared.lock().store.list(rt, namespace)
    }
    /// From now on, note what Service `namespace/service` selects after every write that
    /// could change it (its selector, or the existence or readiness of a selected pod),
    /// every write of its Endpoints, and every lowering of the replicas of a Deployment
    /// whose pods it selects — each inside the write, so no moment is missed.
    pub fn record_selections(&self, namespace: &str, service: &str) {
        let mut st = self.shared.lock();
        st.store.selections.watch(namespace, service);
        st.store.note_selections(namespace, service);
    }
    /// What the watched Services selected, oldest first (see [`Self::record_selections`]).
    pub fn selections(&self) -> Vec<Selection> {
        self.shared.lock().store.selections.log.clone()
    }
    /// Every write of the watched Services' Endpoints, oldest first; the first one is the
    /// state when the recording started (see [`Self::record_selections`]).
    pub fn endpoints_writes(&self) -> Vec<EndpointsWrite> {
        self.shared.lock().store.selections.endpoints.clone()
    }
    /// Every write that scaled down (or deleted) a Deployment whose pods a watched Service
    /// selected at that moment, oldest first (see [`Self::record_selections`]).
    pub fn scale_downs(&self) -> Vec<ScaleDown> {
        self.shared.lock().store.selections.scale_downs.clone()
    }
    /// Every API request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }
    /// How many recorded requests `matches` accepts.
    pub fn count_requests(&self, matches: impl Fn(&RecordedRequest) -> bool) -> usize {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| matches(r))
            .count()
    }
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }
    /// Polls `check` until it returns `Some` or the timeout passes (then panics naming
    /// `what`). For tests that wait on the simulation.
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&FakeCluster) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = check(self) {
                return v;
            }
            if Instant::now() > deadline {
                panic!("timed out after {timeout:?} waiting for {what}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for FakeCluster {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
