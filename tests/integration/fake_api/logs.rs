//! `pods/log`: the lines a test gave a pod (or its image), with `container`, `tailLines`,
//! `sinceSeconds`, `sinceTime`, `timestamps`, `previous` and `follow` (streams new lines
//! until the container restarts, the pod goes away or the client hangs up, as the kubelet
//! does), and the API server's 400s for a container that is not running yet or not named
//! when the pod has several. Each container run of a pod has a log of its own: after a
//! restart the log is the new container's, and `previous=true` reads the one before.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::SinkExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::Response;
use hyper::body::Frame;
use serde_json::Value;

use super::handlers::Ctx;
use super::resources::by_plural;
use super::server::{Body, Route, error_response, full};
use super::status::ApiError;
use super::{Shared, State};

#[derive(Debug, Clone)]
pub(crate) struct LogLine {
    pub time: k8s_openapi::jiff::Timestamp,
    pub text: String,
    /// Which run of the container wrote it (its restartCount then).
    pub run: i64,
}

/// The restart count of the pod's containers now (0 before the kubelet has seen it).
fn current_run(st: &State, pod: &Value) -> i64 {
    pod["metadata"]["uid"]
        .as_str()
        .and_then(|uid| st.pods.get(uid))
        .map_or(0, |r| r.restarts)
}

pub(crate) fn append(st: &mut State, ns: &str, pod: &str, line: &str) {
    let run = st
        .store
        .get(by_plural("pods"), ns, pod)
        .map_or(0, |p| current_run(st, p));
    st.logs
        .entry((ns.to_string(), pod.to_string()))
        .or_default()
        .push(LogLine {
            time: k8s_openapi::jiff::Timestamp::now(),
            text: line.to_string(),
            run,
        });
}

fn render(l: &LogLine, timestamps: bool) -> String {
    if timestamps {
        format!("{} {}\n", l.time, l.text)
    } else {
        format!("{}\n", l.text)
    }
}

/// Why a container's log cannot be read, as the server words it.
fn refuse(pod: &Value, container: Option<&str>, previous: bool) -> Result<String, ApiError> {
    let name = pod["metadata"]["name"].as_str().unwrap_or("");
    let containers: Vec<&str> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let c = match container {
        Some(c) if containers.contains(&c) => c.to_string(),
        Some(c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {name}"
            )));
        }
        None if containers.len() == 1 => containers[0].to_string(),
        None => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            )));
        }
    };
    let status = pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["name"] == c.as_str());
    match status {
        None => Err(ApiError::bad_request(format!(
            "container \"{c}\" in pod \"{name}\" is waiting to start: ContainerCreating"
        ))),
        Some(s) if previous && s["restartCount"].as_i64().unwrap_or(0) == 0 => {
            Err(ApiError::bad_request(format!(
                "previous terminated container \"{c}\" in pod \"{name}\" not found"
            )))
        }
        Some(s) => match s["state"]["waiting"]["reason"].as_str() {
            Some("ErrImagePull") | Some("ImagePullBackOff") => Err(ApiError::bad_request(format!(
                "container \"{c}\" in pod \"{name}\" is waiting to start: trying and failing to pull image"
            ))),
            Some("ContainerCreating") => Err(ApiError::bad_request(format!(
                "container \"{c}\" in pod \"{name}\" is waiting to start: ContainerCreating"
            ))),
            _ => Ok(c),
        },
    }
}

pub(crate) async fn serve(sh: Arc<Shared>, r: Route, ctx: Ctx) -> Response<Body> {
    let ns = r.ns.clone().unwrap_or_default();
    let name = r.name.clone().unwrap_or_default();
    let timestamps = ctx.flag("timestamps");
    let follow = ctx.flag("follow");
    let tail: Option<usize> = ctx.q("tailLines").and_then(|t| t.parse().ok());
    let since: Option<i64> = ctx.q("sinceSeconds").and_then(|t| t.parse().ok());
    let since_time: Option<k8s_openapi::jiff::Timestamp> =
        ctx.q("sinceTime").and_then(|t| t.parse().ok());
    let previous = ctx.flag("previous");
    let (lines, pod_uid, run, mut seen) = {
        let st = sh.lock();
        let Some(pod) = st.store.get(by_plural("pods"), &ns, &name) else {
            return error_response(ApiError::not_found(by_plural("pods"), &name));
        };
        if let Err(e) = refuse(pod, ctx.q("container"), previous) {
            return error_response(e);
        }
        let run = current_run(&st, pod) - i64::from(previous);
        let now = k8s_openapi::jiff::Timestamp::now().as_second();
        let all: &[LogLine] = st
            .logs
            .get(&(ns.clone(), name.clone()))
            .map_or(&[], Vec::as_slice);
        let mut lines: Vec<LogLine> = all
            .iter()
            .filter(|l| l.run == run)
            .filter(|l| since.is_none_or(|s| l.time.as_second() >= now - s))
            .filter(|l| since_time.is_none_or(|t| l.time >= t))
            .cloned()
            .collect();
        if let Some(t) = tail {
            let skip = lines.len().saturating_sub(t);
            lines.drain(..skip);
        }
        (lines, pod["metadata"]["uid"].clone(), run, all.len())
    };
    let text: String = lines.iter().map(|l| render(l, timestamps)).collect();
    // The previous container has exited: its log has an end.
    if !follow || previous {
        return Response::builder()
            .status(200)
            .header("content-type", "text/plain")
            .body(full(text))
            .expect("response");
    }
    let (mut tx, out) = futures::channel::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(64);
    let mut tick = sh.log_tick.subscribe();
    tokio::spawn(async move {
        if !text.is_empty() && tx.send(Ok(Frame::data(Bytes::from(text)))).await.is_err() {
            return;
        }
        loop {
            let _ = tokio::time::timeout(Duration::from_millis(200), tick.changed()).await;
            let (new, gone, restarted) = {
                let st = sh.lock();
                let all: &[LogLine] = st
                    .logs
                    .get(&(ns.clone(), name.clone()))
                    .map_or(&[], Vec::as_slice);
                let pod = st
                    .store
                    .get(by_plural("pods"), &ns, &name)
                    .filter(|p| p["metadata"]["uid"] == pod_uid);
                let restarted = pod.is_some_and(|p| current_run(&st, p) != run);
                let new: Vec<LogLine> = all[seen.min(all.len())..]
                    .iter()
                    .filter(|l| l.run == run)
                    .cloned()
                    .collect();
                seen = all.len();
                (new, pod.is_none(), restarted)
            };
            let chunk: String = new.iter().map(|l| render(l, timestamps)).collect();
            if !chunk.is_empty() && tx.send(Ok(Frame::data(Bytes::from(chunk)))).await.is_err() {
                return;
            }
            // The container this stream followed has exited: the kubelet ends the stream.
            if gone || restarted {
                return;
            }
        }
    });
    Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(BodyExt::boxed(StreamBody::new(out)))
        .expect("response")
}
