//! Watch streams: newline-delimited `{"type":..,"object":..}` events over a chunked
//! response. Starts from a resourceVersion (replaying the history after it), from "now
//! with the current state as ADDED" (no version or `0`), or with `sendInitialEvents`;
//! sends BOOKMARKs when allowed; answers a compacted version with an ERROR event carrying
//! a 410 Expired Status, as kube-apiserver does; ends on `timeoutSeconds` and when the
//! test drops watches.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::Response;
use hyper::body::Frame;
use serde_json::{Value, json};

use super::Shared;
use super::handlers::{Ctx, Filter};
use super::server::{Body, Route, error_response};
use super::store::{Change, EventType};
use super::table;

/// How often bookmarks are sent when the client allows them (a minute on a real server;
/// short here so tests see them).
const BOOKMARK_EVERY: Duration = Duration::from_millis(500);

/// The event a filtered watcher sees for a change, if any.
fn visible(c: &Change, ns: Option<&str>, f: &Filter) -> Option<(&'static str, Value)> {
    if ns.is_some_and(|n| n != c.namespace) {
        return None;
    }
    let now = f.matches(&c.object);
    let before = c.old.as_ref().is_some_and(|o| f.matches(o));
    let t = match (c.kind, before, now) {
        (EventType::Added, _, true) => "ADDED",
        (EventType::Deleted, _, true) => "DELETED",
        (EventType::Modified, true, true) => "MODIFIED",
        (EventType::Modified, false, true) => "ADDED",
        (EventType::Modified, true, false) => "DELETED",
        _ => return None,
    };
    Some((t, c.object.clone()))
}

pub(crate) fn serve(sh: Arc<Shared>, r: Route, ctx: Ctx) -> Response<Body> {
    let filter = match Filter::from(&r, &ctx) {
        Ok(f) => f,
        Err(e) => return error_response(e),
    };
    let rv_param = ctx.q("resourceVersion").map(String::from);
    let initial_events = ctx.flag("sendInitialEvents");
    let bookmarks = ctx.flag("allowWatchBookmarks");
    let timeout = ctx
        .q("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1800));
    let as_table = ctx.wants_table();
    let include = ctx.q("includeObject").map(String::from);
    let rt = r.rt;
    let ns = r.ns.clone();

    let mut first: Vec<Value> = Vec::new();
    let (mut rx, mut last_rv) = {
        let st = sh.lock();
        let current = st.store.current_rv();
        let rx = st.store.subscribe();
        let from_scratch = initial_events || rv_param.as_deref().is_none_or(|v| v == "0");
        if from_scratch {
            for o in st
                .store
                .list(rt, ns.as_deref())
                .into_iter()
                .filter(|o| filter.matches(o))
            {
                first.push(json!({"type": "ADDED", "object": o}));
            }
            if initial_events {
                first.push(json!({"type": "BOOKMARK", "object": {"kind": rt.kind, "apiVersion": rt.api_version(),
                    "metadata": {"resourceVersion": current.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}}}}));
            }
            (rx, current)
        } else {
            let from: u64 = rv_param
                .as_deref()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if from < st.store.compacted {
                first.push(json!({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": format!("too old resource version: {from} ({})", st.store.compacted), "reason": "Expired", "code": 410}}));
                drop(rx);
                let (tx, rx2) = tokio::sync::broadcast::channel(1);
                drop(tx);
                (rx2, current)
            } else {
                for c in st.store.history_since(rt.key(), from) {
                    if let Some((t, o)) = visible(&c, ns.as_deref(), &filter) {
                        first.push(json!({"type": t, "object": o}));
                    }
                }
                (rx, current)
            }
        }
    };

    let (tx, out) = futures::channel::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(64);
    let mut kill = sh.watch_kill.subscribe();
    kill.mark_unchanged();
    tokio::spawn(async move {
        let mut tx = tx;
        let mut headers_sent = false;
        let mut encode = |ev: Value| -> Bytes {
            let mut ev = ev;
            if as_table
                && (ev["type"] == "ADDED" || ev["type"] == "MODIFIED" || ev["type"] == "DELETED")
            {
                let o = ev["object"].take();
                let rv = o["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                ev["object"] = table::table(rt, &[o], &rv, include.as_deref(), !headers_sent);
                headers_sent = true;
            }
            Bytes::from(format!("{ev}\n"))
        };
        use futures::SinkExt;
        for ev in first {
            let is_error = ev["type"] == "ERROR";
            if tx.send(Ok(Frame::data(encode(ev)))).await.is_err() || is_error {
                return;
            }
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(BOOKMARK_EVERY);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = kill.changed() => return,
                _ = tick.tick(), if bookmarks => {
                    let ev = json!({"type": "BOOKMARK", "object": {"kind": rt.kind, "apiVersion": rt.api_version(), "metadata": {"resourceVersion": last_rv.to_string()}}});
                    if tx.send(Ok(Frame::data(encode(ev)))).await.is_err() { return; }
                }
                got = rx.recv() => match got {
                    Ok(c) => {
                        if c.resource != rt.key() || c.rv <= last_rv { continue; }
                        last_rv = c.rv;
                        if let Some((t, o)) = visible(&c, ns.as_deref(), &filter) {
                            if tx.send(Ok(Frame::data(encode(json!({"type": t, "object": o}))))).await.is_err() { return; }
                        }
                    }
                    // Too slow a reader: end the watch; the client re-watches.
                    Err(_) => return,
                }
            }
        }
    });
    let body = BodyExt::boxed(StreamBody::new(out));
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("cache-control", "no-cache, private")
        .body(body)
        .expect("response")
}
