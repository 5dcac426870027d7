//! A background client that sends requests through a Service's API-server proxy while msv
//! deploys, and reports every one that did not come back 200 — against the fake API server
//! and the real control plane alike.

use http_body_util::BodyExt as _;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Traffic {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<(usize, Vec<String>)>>,
}

impl Traffic {
    /// Starts sending `GET path` every `every` with the client that `connect` makes (in the
    /// client's own runtime, on its own thread) until [`Traffic::assert_no_failures`].
    pub fn start<F>(
        connect: impl FnOnce() -> F + Send + 'static,
        path: String,
        every: Duration,
    ) -> Traffic
    where
        F: Future<Output = kube::Client>,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let client = connect().await;
                let (mut sent, mut failures) = (0, vec![]);
                while !flag.load(Ordering::SeqCst) {
                    sent += 1;
                    if let Err(why) = get(&client, &path).await {
                        failures.push(why);
                    }
                    tokio::time::sleep(every).await;
                }
                (sent, failures)
            })
        });
        Traffic {
            stop,
            handle: Some(handle),
        }
    }

    /// Stops the client; fails if it sent too few requests to mean anything, or if any failed.
    #[track_caller]
    pub fn assert_no_failures(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let (sent, failures) = self.handle.take().unwrap().join().unwrap();
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
