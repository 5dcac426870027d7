//! Fidelity of the fake against kube-rs, a client no one here wrote: typed `Api` calls and
//! their errors, discovery, server-side apply, dry run, watches (filters, bookmarks,
//! initial events) and a `watcher` through dropped watches and 410 Gone. The simulation
//! (rollouts, pods, proxy, logs, faults) is checked in `fidelity_sim.rs`.

use std::time::Duration;

use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Config};
use serde_json::{Value, json};

use super::FakeCluster;

pub(crate) async fn client(cluster: &FakeCluster) -> Client {
    client_with_retry(cluster, true).await
}

/// A client with or without kube's retries (see [`super::kube_client`]).
pub(crate) async fn client_with_retry(cluster: &FakeCluster, retry: bool) -> Client {
    let client = super::kube_client(&cluster.kubeconfig_path(), retry).await;
    assert_eq!(client.default_namespace(), "default");
    client
}

pub(crate) fn deployment(name: &str, image: &str, replicas: i64, labels: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 8080, "name": "http"}]}]}}}})
}

pub(crate) fn api_err(e: kube::Error) -> kube::core::Status {
    match e {
        kube::Error::Api(s) => *s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

pub(crate) fn dep(v: Value) -> Deployment {
    serde_json::from_value(v).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_api_verbs_and_their_errors() {
    let cluster = FakeCluster::start();
    let client = client(&cluster).await;
    let api: Api<Deployment> = Api::default_namespaced(client.clone());
    let labels = json!({"app": "orders", "color": "blue"});
    let created = api
        .create(
            &PostParams::default(),
            &dep(deployment("orders-blue", "orders:1", 2, labels.clone())),
        )
        .await
        .unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    let rv1 = created.metadata.resource_version.clone().unwrap();

    let listed = api
        .list(&ListParams::default().labels("app=orders,color in (blue)"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(
        api.list(&ListParams::default().labels("color=green"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        api.list(&ListParams::default().fields("metadata.name=orders-blue"))
            .await
            .unwrap()
            .items
            .len()
            == 1
    );

    let patched = api
        .patch(
            "orders-blue",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .unwrap();
    assert_eq!(
        patched.metadata.generation,
        Some(2),
        "a spec change bumps generation"
    );
    let labelled = api
        .patch(
            "orders-blue",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .await
        .unwrap();
    assert_eq!(
        labelled.metadata.generation,
        Some(2),
        "a metadata change does not"
    );

    let mut stale = created.clone();
    stale.metadata.resource_version = Some(rv1);
    let conflict = api_err(
        api.replace("orders-blue", &PostParams::default(), &stale)
            .await
            .unwrap_err(),
    );
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    assert!(
        conflict.message.contains("the object has been modified"),
        "{}",
        conflict.message
    );

    let switch = json!({"spec": {"selector": {"matchLabels": {"app": "orders", "color": "green"}}, "template": {"metadata": {"labels": {"app": "orders", "color": "green"}}}}});
    let invalid = api_err(
        api.patch(
            "orders-blue",
            &PatchParams::default(),
            &Patch::Strategic(switch),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((invalid.code, invalid.reason.as_str()), (422, "Invalid"));
    assert!(
        invalid.message.starts_with(
            "Deployment.apps \"orders-blue\" is invalid: spec.selector: Invalid value:"
        ),
        "{}",
        invalid.message
    );
    assert!(
        invalid.message.ends_with("field is immutable"),
        "{}",
        invalid.message
    );
    let causes = serde_json::to_value(&invalid.details).unwrap()["causes"].clone();
    assert_eq!(causes[0]["field"], "spec.selector");

    let missing = api_err(api.get("nope").await.unwrap_err());
    assert_eq!((missing.code, missing.reason.as_str()), (404, "NotFound"));
    assert_eq!(missing.message, "deployments.apps \"nope\" not found");

    let elsewhere: Api<Deployment> = Api::namespaced(client.clone(), "shop");
    let no_ns = api_err(
        elsewhere
            .create(
                &PostParams::default(),
                &dep(deployment("a", "a:1", 1, json!({"app": "a"}))),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (no_ns.code, no_ns.message.as_str()),
        (404, "namespaces \"shop\" not found")
    );

    let scale = api.get_scale("orders-blue").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(3));

    // Wrong token: 401 with a Status body.
    let kc = kube::config::Kubeconfig::read_from(cluster.kubeconfig_path()).unwrap();
    let mut bad = Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    bad.auth_info.token = Some("wrong".to_string().into());
    let unauthorized = api_err(
        Api::<Deployment>::default_namespaced(Client::try_from(bad).unwrap())
            .get("orders-blue")
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (unauthorized.code, unauthorized.reason.as_str()),
        (401, "Unauthorized")
    );

    // Discovery as a client walks it.
    let discovery = kube::Discovery::new(client.clone()).run().await.unwrap();
    let apps = discovery
        .groups()
        .find(|g| g.name() == "apps")
        .expect("apps group");
    assert!(
        apps.recommended_resources()
            .iter()
            .any(|(ar, _)| ar.kind == "Deployment")
    );
    assert!(
        discovery
            .groups()
            .any(|g| g.name() == "coordination.k8s.io")
    );

    api.delete("orders-blue", &DeleteParams::default())
        .await
        .unwrap();
    cluster.wait_for("the cascade to remove pods", Duration::from_secs(5), |c| {
        c.list("pods", Some("default")).is_empty().then_some(())
    });
    assert!(cluster.list("replicasets", Some("default")).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_server_side_apply_owns_fields_and_conflicts() {
    let cluster = FakeCluster::start();
    let api: Api<Deployment> = Api::default_namespaced(client(&cluster).await);
    let labels = json!({"app": "orders", "color": "blue"});
    let msv = PatchParams::apply("msv");
    let applied = api
        .patch(
            "orders-blue",
            &msv,
            &Patch::Apply(deployment("orders-blue", "orders:1", 2, labels.clone())),
        )
        .await
        .unwrap();
    let mf = serde_json::to_value(&applied.metadata.managed_fields).unwrap();
    assert_eq!(mf[0]["manager"], "msv");
    assert_eq!(mf[0]["operation"], "Apply");
    assert!(mf[0]["fieldsV1"]["f:spec"]["f:replicas"].is_object());

    // Re-applying with a new image is the owner's own change: no conflict.
    api.patch(
        "orders-blue",
        &msv,
        &Patch::Apply(deployment("orders-blue", "orders:2", 2, labels.clone())),
    )
    .await
    .unwrap();
    // Someone else setting replicas conflicts unless forced.
    let other = PatchParams::apply("hpa-tool");
    let conflict = api_err(
        api.patch(
            "orders-blue",
            &other,
            &Patch::Apply(deployment("orders-blue", "orders:2", 5, labels.clone())),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        conflict.message,
        "Apply failed with 1 conflict: conflict with \"msv\" using apps/v1: .spec.replicas"
    );
    let forced = api
        .patch(
            "orders-blue",
            &other.clone().force(),
            &Patch::Apply(deployment("orders-blue", "orders:2", 5, labels)),
        )
        .await
        .unwrap();
    assert_eq!(forced.spec.replicas, Some(5));
    let req = cluster
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(req.content_type, "application/apply-patch+yaml");
    assert_eq!(req.param("force").as_deref(), Some("true"));
}

/// Waits until the `n`th watch request is open.
async fn wait_for_watch(cluster: &FakeCluster, n: usize) {
    for _ in 0..500 {
        let watches = cluster.count_requests(|r| r.param("watch").as_deref() == Some("true"));
        if watches >= n && cluster.open_watches() > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no watch {n} opened");
}

async fn expect(name: &str, rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(n) = rx.recv().await {
            if n == name {
                return;
            }
        }
        panic!("the watcher stopped before it saw {name}");
    })
    .await
    .unwrap_or_else(|_| panic!("watcher never saw {name}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_watcher_survives_a_dropped_watch_and_410_gone() {
    let cluster = FakeCluster::start();
    let api: Api<ConfigMap> = Api::default_namespaced(client(&cluster).await);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watched = api.clone();
    let task = tokio::spawn(async move {
        let mut stream = watcher(watched, watcher::Config::default())
            .default_backoff()
            .applied_objects()
            .boxed();
        // Errors (the 410) are reported and the watcher carries on, as a controller's would.
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(cm) => {
                    let _ = tx.send(cm.metadata.name.unwrap());
                }
                Err(e) => {
                    let _ = tx.send(format!("error: {e}"));
                }
            }
        }
    });
    let cm = |n: &str| {
        serde_json::from_value::<ConfigMap>(json!({"metadata": {"name": n}, "data": {"k": "v"}}))
            .unwrap()
    };
    api.create(&PostParams::default(), &cm("a")).await.unwrap();
    expect("a", &mut rx).await;
    wait_for_watch(&cluster, 1).await;
    cluster.drop_watches();
    api.create(&PostParams::default(), &cm("b")).await.unwrap();
    expect("b", &mut rx).await;
    wait_for_watch(&cluster, 2).await;
    // Compact, then drop: the re-watch from the old version gets 410 and the watcher relists.
    cluster.compact();
    cluster.drop_watches();
    api.create(&PostParams::default(), &cm("c")).await.unwrap();
    let mut errors = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(n) = rx.recv().await {
            if n == "c" {
                return;
            }
            errors.push(n);
        }
        panic!("the watcher stopped before it saw c");
    })
    .await
    .expect("watcher saw c");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("410") || e.to_lowercase().contains("expired")),
        "{errors:?}"
    );
    task.abort();
    let watches = cluster.count_requests(|r| r.param("watch").as_deref() == Some("true"));
    assert!(
        watches >= 3,
        "the watcher re-watched after each drop ({watches} watches)"
    );
    let lists = cluster.count_requests(|r| {
        r.method == "GET" && r.path.ends_with("/configmaps") && r.param("watch").is_none()
    });
    let log: Vec<String> = cluster
        .requests()
        .iter()
        .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
        .collect();
    assert!(
        lists >= 2,
        "410 Gone made the watcher list again ({lists} lists): {log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_events_follow_label_filters_and_carry_bookmarks() {
    use kube::api::{WatchEvent, WatchParams};
    let cluster = FakeCluster::start();
    let api: Api<ConfigMap> = Api::default_namespaced(client(&cluster).await);
    let cm = serde_json::from_value::<ConfigMap>(
        json!({"metadata": {"name": "a", "labels": {"tier": "web"}}}),
    )
    .unwrap();
    let created = api.create(&PostParams::default(), &cm).await.unwrap();
    let rv = created.metadata.resource_version.clone().unwrap();
    let params = WatchParams::default().labels("tier=web").timeout(5);
    assert!(params.bookmarks, "kube-rs asks for bookmarks by default");
    let mut events = api.watch(&params, &rv).await.unwrap().boxed();
    api.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"k": "1"}})),
    )
    .await
    .unwrap();
    api.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"tier": "db"}}})),
    )
    .await
    .unwrap();
    let mut kinds = Vec::new();
    let mut bookmark = None;
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(3), events.try_next())
        .await
        .map(|r| r.unwrap())
    {
        match ev {
            WatchEvent::Added(_) => kinds.push("ADDED"),
            WatchEvent::Modified(_) => kinds.push("MODIFIED"),
            WatchEvent::Deleted(_) => kinds.push("DELETED"),
            WatchEvent::Bookmark(b) => {
                bookmark = Some(b.metadata.resource_version);
                break;
            }
            WatchEvent::Error(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(
        kinds,
        ["MODIFIED", "DELETED"],
        "leaving the selector is a DELETED for a filtered watch"
    );
    let bm: u64 = bookmark.expect("a bookmark").parse().unwrap();
    assert!(bm > rv.parse::<u64>().unwrap());

    // sendInitialEvents: the current state as ADDED, then the bookmark that ends it.
    let req = http::Request::get("/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1").body(Vec::new()).unwrap();
    let client = client(&cluster).await;
    let mut lines = client.request_stream(req).await.unwrap().lines();
    let first: Value = serde_json::from_str(&lines.try_next().await.unwrap().unwrap()).unwrap();
    assert_eq!(
        (
            first["type"].as_str(),
            first["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("a"))
    );
    let second: Value = serde_json::from_str(&lines.try_next().await.unwrap().unwrap()).unwrap();
    assert_eq!(second["type"], "BOOKMARK");
    assert_eq!(
        second["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_dry_run_answers_without_storing() {
    let cluster = FakeCluster::start();
    let api: Api<Deployment> = Api::default_namespaced(client(&cluster).await);
    let d = dep(deployment("web", "web:1", 1, json!({"app": "web"})));
    let answered = api
        .create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &d,
        )
        .await
        .unwrap();
    assert_eq!(
        answered.spec.progress_deadline_seconds,
        Some(600),
        "defaults are applied"
    );
    assert!(cluster.get("deployments", "default", "web").is_none());
    api.patch(
        "web",
        &PatchParams::apply("msv"),
        &Patch::Apply(deployment("web", "web:1", 1, json!({"app": "web"}))),
    )
    .await
    .unwrap();
    let before = cluster.get("deployments", "default", "web").unwrap();
    let dry = PatchParams::apply("msv").dry_run();
    let planned = api
        .patch(
            "web",
            &dry,
            &Patch::Apply(deployment("web", "web:2", 1, json!({"app": "web"}))),
        )
        .await
        .unwrap();
    assert_eq!(
        planned.spec.template.spec.unwrap().containers[0]
            .image
            .as_deref(),
        Some("web:2")
    );
    let after = cluster.get("deployments", "default", "web").unwrap();
    // The controllers may write status meanwhile; the spec stays as it was.
    assert_eq!(
        after["metadata"]["generation"],
        before["metadata"]["generation"]
    );
    assert_eq!(
        after["spec"]["template"]["spec"]["containers"][0]["image"],
        "web:1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_take_optimistic_locks() {
    use k8s_openapi::api::coordination::v1::Lease;
    let cluster = FakeCluster::start();
    let api: Api<Lease> = Api::default_namespaced(client(&cluster).await);
    let lease: Lease = serde_json::from_value(json!({"metadata": {"name": "orders-msv-lock"},
        "spec": {"holderIdentity": "ci-1", "leaseDurationSeconds": 60}}))
    .unwrap();
    let held = api.create(&PostParams::default(), &lease).await.unwrap();
    let taken = api_err(
        api.create(&PostParams::default(), &lease)
            .await
            .unwrap_err(),
    );
    assert_eq!((taken.code, taken.reason.as_str()), (409, "AlreadyExists"));
    assert_eq!(
        taken.message,
        "leases.coordination.k8s.io \"orders-msv-lock\" already exists"
    );
    let mut mine = held.clone();
    mine.spec.as_mut().unwrap().holder_identity = Some("ci-2".into());
    api.replace("orders-msv-lock", &PostParams::default(), &mine)
        .await
        .unwrap();
    // A second taker with the version it read first loses the race.
    let lost = api_err(
        api.replace("orders-msv-lock", &PostParams::default(), &mine)
            .await
            .unwrap_err(),
    );
    assert_eq!(lost.code, 409);
    let mut bad = lease.clone();
    bad.metadata.name = Some("bad".into());
    bad.spec.as_mut().unwrap().lease_duration_seconds = Some(0);
    assert_eq!(
        api_err(api.create(&PostParams::default(), &bad).await.unwrap_err()).code,
        422
    );
}

/// Creates Endpoints listing a loopback address through the API, as a client would; the
/// error it gets. The realk8s suite sends the same to the real server and compares.
pub(crate) async fn create_loopback_endpoints(client: Client, ns: &str) -> kube::core::Status {
    use k8s_openapi::api::core::v1::Endpoints;
    let api: Api<Endpoints> = Api::namespaced(client, ns);
    let ep = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "by-hand"},
        "subsets": [{"addresses": [{"ip": "10.1.2.3"}, {"ip": "127.0.0.1"}], "ports": [{"name": "http", "port": 8080}]}]});
    let err = api
        .create(&PostParams::default(), &serde_json::from_value(ep).unwrap())
        .await
        .expect_err("Endpoints with a loopback address must be refused");
    api_err(err)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_with_loopback_addresses_are_invalid() {
    let cluster = FakeCluster::start();
    let s = create_loopback_endpoints(client(&cluster).await, "default").await;
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"), "{s:?}");
    assert_eq!(
        s.message,
        "Endpoints \"by-hand\" is invalid: subsets[0].addresses[1].ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8)"
    );
    let causes = s.details.unwrap().causes;
    assert_eq!(causes.len(), 1, "{causes:?}");
    assert_eq!(causes[0].field, "subsets[0].addresses[1].ip");
}
