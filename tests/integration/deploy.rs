//! msv deploy, rollback and history against the fake API server.

use crate::fake_api::{Behavior, FakeCluster, ProxyResponse};
use msv::deploy::executor::{self, Options, Reporter};
use msv::deploy::manifests::ServiceSettings;
use std::time::Duration;

struct Lines;
impl Reporter for Lines {
    fn phase(&self, p: &str, d: &str) { eprintln!("phase {p}: {d}"); }
    fn progress(&self, a: i32, d: i32) { eprintln!("progress {a}/{d}"); }
}

fn opts(image: &str) -> Options {
    Options {
        settings: ServiceSettings::new("shop", "default"),
        image: image.into(),
        replicas: None,
        timeout: Duration::from_secs(10),
        verify_for: Duration::from_millis(500),
        scale_down_delay: Duration::from_millis(0),
        keep_old: false,
        keep_failed: false,
        create_namespace: false,
        force: false,
        probe_timeout: Duration::from_secs(2),
        lease_seconds: 15,
        rollback: false,
    }
}

#[tokio::test]
async fn scratch_executor() {
    let fake = FakeCluster::start();
    fake.set_backend_for_image("r/shop:1", |_| ProxyResponse::ok("ok"));
    fake.set_backend_for_image("r/shop:2", |_| ProxyResponse::ok("ok"));
    fake.set_image_behavior("r/shop:bad", Behavior::CrashLoop);
    let cluster = msv::cluster::connect(&msv::cluster::Target { kubeconfig: Some(fake.kubeconfig_path()), ..Default::default() }).await.unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let t = std::time::Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(5), executor::deploy(&cluster, &opts("r/shop:1"), &Lines, rx.clone())).await;
    if r.is_err() { for e in fake.list("endpoints", Some("default")) { eprintln!("{e:#}"); } for e in fake.list("services", Some("default")) { eprintln!("{e:#}"); } for r in fake.requests().iter().rev().take(15) { eprintln!("{} {} {} {}", r.method, r.path, r.query, r.body); } panic!(); }
    let s = r.unwrap().unwrap();
    eprintln!("{s:?} {:?}", t.elapsed());
    let s = executor::deploy(&cluster, &opts("r/shop:2"), &Lines, rx.clone()).await.unwrap();
    eprintln!("{s:?} {:?}", t.elapsed());
    let e = executor::deploy(&cluster, &opts("r/shop:bad"), &Lines, rx.clone()).await.unwrap_err();
    eprintln!("{e:#} {:?}", t.elapsed());
    panic!("show");
}
