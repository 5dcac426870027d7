//! A background client that sends requests through a Service's API-server proxy while msv
//! deploys, and reports every one that did not come back 200 — against the fake API server
//! and the real control plane alike.
//!
//! The client is made here, from a kubeconfig, with kube's retries off: kube's default
//! client silently retries 429/503/504, which turns an outage into slow successes. Each
//! request is sent once and counted once, as a user's request would be. (hyper may still
//! resend a request whose pooled connection closed before a byte of it was written; the
//! server never saw that request, so it is not a retry of one.)

use http_body_util::BodyExt as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Traffic {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Report>>,
}

/// What the client saw, once it has stopped.
#[derive(Debug)]
pub struct Report {
    pub sent: usize,
    /// Why each failed request was not a 200, in the order sent.
    pub failures: Vec<String>,
}

impl Traffic {
    /// Starts sending `GET path` every `every` to the API server of `kubeconfig`, with a
    /// client that never retries (in its own runtime, on its own thread), until
    /// [`Traffic::stop`] or [`Traffic::assert_no_failures`].
    pub fn start(kubeconfig: PathBuf, path: String, every: Duration) -> Traffic {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let client = crate::fake_api::kube_client(&kubeconfig, false).await;
                let (mut sent, mut failures) = (0, vec![]);
                while !flag.load(Ordering::SeqCst) {
                    sent += 1;
                    if let Err(why) = get(&client, &path).await {
                        failures.push(why);
                    }
                    tokio::time::sleep(every).await;
                }
                Report { sent, failures }
            })
        });
        Traffic {
            stop,
            handle: Some(handle),
        }
    }

    /// Stops the client and says what it saw.
    pub fn stop(mut self) -> Report {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.take().unwrap().join().unwrap()
    }

    /// Stops the client; fails if it sent too few requests to mean anything, or if any failed.
    #[track_caller]
    pub fn assert_no_failures(self) {
        let Report { sent, failures } = self.stop();
        assert!(sent > 10, "the traffic client sent only {sent} requests");
        assert!(
            failures.is_empty(),
            "{} of {sent} requests through the Service failed, first: {}",
            failures.len(),
            failures[0]
        );
        eprintln!("traffic through the Service: {sent} requests, none failed");
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// One request; `Err` says why it was not a 200 (status and body, or the transport error).
async fn get(client: &kube::Client, path: &str) -> Result<(), String> {
    let request = http::Request::get(path)
        .body(kube::client::Body::empty())
        .map_err(|e| e.to_string())?;
    let response = client.send(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    if status == 200 {
        return Ok(());
    }
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    Err(format!("{status}: {body}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_api::{FakeCluster, Fault, ProxyResponse};

    /// A 503 from the proxy is one failed request, seen at once — not retried into a
    /// success — and every request the client counts reached the server exactly once.
    #[test]
    fn each_request_is_sent_once_and_a_503_counts_as_a_failure() {
        let fake = FakeCluster::start();
        fake.set_backend_for_image("web:1", |_| ProxyResponse::ok("ok"));
        fake.create(
            serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "web:1"}]}}}}),
        );
        fake.create(serde_json::json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}));
        fake.wait_for("ready endpoints", Duration::from_secs(10), |f| {
            let ep = f.get("endpoints", "default", "web")?;
            ep["subsets"][0]["addresses"].is_array().then_some(())
        });
        fake.add_fault(Fault::on("get", "services/proxy").status(503).times(3));
        fake.clear_requests();
        let traffic = Traffic::start(
            fake.kubeconfig_path(),
            "/api/v1/namespaces/default/services/web:80/proxy/".into(),
            Duration::from_millis(5),
        );
        fake.wait_for("20 proxied requests", Duration::from_secs(10), |f| {
            (f.count_requests(|r| r.path.contains("/proxy")) >= 20).then_some(())
        });
        let Report { sent, failures } = traffic.stop();
        assert_eq!(failures.len(), 3, "{failures:?}");
        assert!(
            failures.iter().all(|f| f.starts_with("503")),
            "{failures:?}"
        );
        let received = fake.count_requests(|r| r.path.contains("/proxy"));
        assert_eq!(received, sent, "the server received each request once");
    }
}
