//! Where the server serves `discovery.k8s.io/v1` (the fake speaks as 1.33, which deprecates
//! v1 Endpoints), msv's deploy waits and status read EndpointSlices, all slices of a
//! Service; a server without it (1.20) keeps the v1 Endpoints path.

use super::{msv, service_dir};
use crate::fake_api::{FakeCluster, RecordedRequest};
use serde::Deserialize;

const DEPRECATED: &str = "v1 Endpoints is deprecated";

#[derive(Deserialize)]
struct Status {
    services: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    name: String,
    ready: i32,
    endpoints: usize,
}

fn is_endpoints(r: &RecordedRequest) -> bool {
    r.path.starts_with("/api/v1/") && r.path.contains("/endpoints")
}

fn is_slices(r: &RecordedRequest) -> bool {
    r.path.starts_with("/apis/discovery.k8s.io/v1/") && r.path.ends_with("/endpointslices")
}

/// Deploy `replicas` pods of `shop`, then `msv status -o json`; the row of `shop`.
fn deploy_and_status(fake: &FakeCluster, replicas: u32) -> (Row, String) {
    let dir = service_dir(fake);
    let toml = std::fs::read_to_string(dir.path().join("msv.toml"))
        .unwrap()
        .replace("replicas = 1", &format!("replicas = {replicas}"))
        .replace("timeout = \"8s\"", "timeout = \"40s\"");
    std::fs::write(dir.path().join("msv.toml"), toml).unwrap();
    let deploy = msv(&fake.kubeconfig_path(), &[])
        .args(&["deploy", "--image", "r/shop:1"])
        .current_dir(dir.path())
        .run()
        .status(0)
        .stderr_has("live on");
    let status = msv(&fake.kubeconfig_path(), &[])
        .args(&["status", "-o", "json"])
        .current_dir(dir.path())
        .run()
        .status(0);
    let status_json: Status = status.stdout_json();
    let row = status_json
        .services
        .into_iter()
        .find(|r| r.name == "shop")
        .expect("shop");
    (row, format!("{}{}", deploy.stderr(), status.stderr()))
}

#[test]
fn deploy_and_status_read_endpoint_slices_where_the_server_serves_them() {
    let fake = FakeCluster::start();
    let (row, stderr) = deploy_and_status(&fake, 2);
    assert_eq!((row.ready, row.endpoints), (2, 2));
    assert!(!stderr.contains(DEPRECATED), "{stderr}");
    let requests = fake.requests();
    let old: Vec<_> = requests.iter().filter(|r| is_endpoints(r)).collect();
    assert!(old.is_empty(), "v1 Endpoints were read: {old:?}");
    // The waits watch every slice of S and S-preview by the controller's label.
    for service in ["shop", "shop-preview"] {
        let selector = format!("kubernetes.io/service-name={service}");
        assert!(
            requests
                .iter()
                .any(|r| is_slices(r) && r.param("labelSelector").as_deref() == Some(&selector)),
            "no slice watch for {service}"
        );
    }
    // Discovery is asked once per run: once by deploy, once by status.
    let asked = fake.count_requests(|r| r.path == "/apis/discovery.k8s.io/v1");
    assert_eq!(asked, 2);
}

#[test]
fn a_large_service_is_joined_from_all_its_slices() {
    let fake = FakeCluster::start();
    let (row, _) = deploy_and_status(&fake, 101);
    let slices: Vec<_> = fake
        .list("endpointslices", Some("default"))
        .into_iter()
        .filter(|s| s["metadata"]["labels"]["kubernetes.io/service-name"] == "shop")
        .collect();
    assert_eq!(slices.len(), 2, "101 endpoints are cut at 100 per slice");
    // All of it from the slices (one alone holds 100 or 1): no v1 Endpoints were read.
    assert_eq!((row.ready, row.endpoints), (101, 101));
    assert_eq!(fake.count_requests(is_endpoints), 0);
}

#[test]
fn a_server_without_discovery_v1_keeps_the_v1_endpoints_path() {
    let fake = FakeCluster::start();
    fake.without_endpoint_slices();
    let (row, stderr) = deploy_and_status(&fake, 2);
    assert_eq!((row.ready, row.endpoints), (2, 2));
    assert!(!stderr.contains(DEPRECATED), "{stderr}");
    assert_eq!(fake.count_requests(is_slices), 0);
    assert!(fake.count_requests(is_endpoints) > 0);
    assert!(fake.list("endpointslices", None).is_empty());
}

/// The fake's slices as kube-rs's own types read them, and the warning on v1 Endpoints.
#[tokio::test]
async fn the_fakes_slices_have_the_apis_shape_and_endpoints_are_deprecated() {
    use k8s_openapi::api::discovery::v1::EndpointSlice;
    use kube::api::{Api, ListParams};
    let fake = FakeCluster::start();
    crate::status::seed_live(&fake, "orders", "r/orders:1", 2, 200);
    let fake = std::sync::Arc::new(fake);
    let f = fake.clone();
    tokio::task::spawn_blocking(move || {
        crate::status::wait_ready(&f, "orders", "blue", 2, Some(2))
    })
    .await
    .unwrap();
    let client = crate::fake_api::kube_client(&fake.kubeconfig_path(), false).await;
    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), "default");
    let list = slices
        .list(&ListParams::default().labels("kubernetes.io/service-name=orders"))
        .await
        .unwrap();
    assert_eq!(list.items.len(), 1);
    let s = &list.items[0];
    assert_eq!(s.address_type, "IPv4");
    let labels = s.metadata.labels.as_ref().unwrap();
    assert_eq!(
        labels["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
    assert_eq!(
        s.metadata.owner_references.as_ref().unwrap()[0].kind,
        "Service"
    );
    let endpoints = s.endpoints.as_deref().unwrap_or_default();
    assert_eq!(endpoints.len(), 2);
    for e in endpoints {
        assert_eq!(e.addresses.len(), 1);
        let c = e.conditions.as_ref().unwrap();
        assert_eq!(
            (c.ready, c.serving, c.terminating),
            (Some(true), Some(true), Some(false))
        );
        assert_eq!(e.target_ref.as_ref().unwrap().kind.as_deref(), Some("Pod"));
    }
    let port = &s.ports.as_ref().unwrap()[0];
    assert_eq!(port.protocol.as_deref(), Some("TCP"));
    assert!(port.port.is_some_and(|p| p > 0), "{port:?}");

    // Every answer about v1 Endpoints carries the deprecation warning a 1.33 server sends.
    let req = http::Request::get("/api/v1/namespaces/default/endpoints/orders")
        .body(kube::client::Body::empty())
        .unwrap();
    let res = client.send(req).await.unwrap();
    let warning = res.headers().get("warning").unwrap().to_str().unwrap();
    assert_eq!(
        warning,
        "299 - \"v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\""
    );
}
