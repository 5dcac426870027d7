//! The HTTP surface: health and readiness probes, Prometheus metrics, the versioned API,
//! and the middleware every request passes through (a trace span continuing the caller's
//! W3C `traceparent`, plus request metrics labelled by route template, never raw path).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use opentelemetry::KeyValue;
use opentelemetry::context::FutureExt;
use opentelemetry::global::BoxedTracer;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry_http::HeaderExtractor;
use serde_json::json;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::telemetry;

/// Shared by handlers and the shutdown sequence.
#[derive(Clone)]
pub struct AppState {
    ready: Arc<AtomicBool>,
    pub metrics: Metrics,
    /// Taken from the global tracer provider once, not per request: make the state after
    /// [`telemetry::init`] (before it, spans go nowhere).
    tracer: Arc<BoxedTracer>,
}

impl AppState {
    /// Starts not ready: `/readyz` answers 503 until [`AppState::set_ready`].
    pub fn new() -> Self {
        Self {
            ready: Arc::default(),
            metrics: Metrics::default(),
            tracer: Arc::new(opentelemetry::global::tracer(telemetry::SERVICE_NAME)),
        }
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .nest("/api/v1", crate::api::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.is_ready() {
        Json(json!({ "status": "ready" })).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready" })),
        )
            .into_response()
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

/// One server span per request (child of the caller's `traceparent` when present), one
/// access log line, and the request metrics.
///
/// The span is made with the OpenTelemetry API directly rather than as a `tracing` span
/// bridged by tracing-opentelemetry: the bridge keeps a builder per span in the subscriber's
/// registry, re-enters it on every poll and converts each field, which cost more than the
/// handler. Its context is made current while the request runs, so log lines carry its ids
/// and `tracing` spans opened by handlers become its children.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    // Unmatched paths share one label so scanners cannot blow up the series count.
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("unmatched", |p| p.as_str());
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&HeaderExtractor(request.headers()))
    });
    let span = state
        .tracer
        .span_builder(format!("{method} {route}"))
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", method.as_str().to_owned()),
            KeyValue::new("http.route", route.to_owned()),
        ])
        .start_with_context(state.tracer.as_ref(), &parent);
    let cx = parent.with_span(span);
    let request_cx = cx.clone();
    async move {
        let path = request.uri().path().to_owned();
        let response = next.run(request).await;
        let status = response.status();
        let elapsed = start.elapsed();
        state.metrics.observe(
            method.as_str(),
            route,
            status.as_str(),
            elapsed.as_secs_f64(),
        );
        let span = request_cx.span();
        span.set_attribute(KeyValue::new(
            "http.response.status_code",
            i64::from(status.as_u16()),
        ));
        if status.is_server_error() {
            span.set_status(Status::error(""));
        }
        tracing::info!(
            method = method.as_str(),
            route,
            path = path.as_str(),
            status = status.as_u16(),
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "request handled"
        );
        span.end();
        response
    }
    .with_context(cx)
    .await
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    async fn call(app: &Router, method: &str, uri: &str, body: &str) -> (StatusCode, String) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn health_is_always_ok() {
        let app = router(AppState::new());
        assert_eq!(call(&app, "GET", "/healthz", "").await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn readiness_follows_the_state() {
        let state = AppState::new();
        let app = router(state.clone());
        assert_eq!(
            call(&app, "GET", "/readyz", "").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        state.set_ready(true);
        assert_eq!(call(&app, "GET", "/readyz", "").await.0, StatusCode::OK);
        state.set_ready(false);
        assert_eq!(
            call(&app, "GET", "/readyz", "").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[tokio::test]
    async fn metrics_count_requests_by_route_and_status() {
        let app = router(AppState::new());
        call(&app, "GET", "/api/v1/items/7", "").await;
        call(&app, "GET", "/nowhere", "").await;
        let (status, text) = call(&app, "GET", "/metrics", "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            text.contains(
                r#"http_requests_total{method="GET",route="/api/v1/items/{id}",status="404"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                "http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/items/{id}\""
            ),
            "{text}"
        );
    }

    #[tokio::test]
    async fn api_creates_lists_and_fetches_items() {
        let app = router(AppState::new());
        let (status, body) = call(&app, "POST", "/api/v1/items", r#"{"name":"first"}"#).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body, r#"{"id":1,"name":"first"}"#);
        assert_eq!(
            call(&app, "GET", "/api/v1/items/1", "").await.1,
            r#"{"id":1,"name":"first"}"#
        );
        assert_eq!(
            call(&app, "GET", "/api/v1/items", "").await.1,
            r#"[{"id":1,"name":"first"}]"#
        );
    }

    #[tokio::test]
    async fn errors_share_one_shape() {
        let app = router(AppState::new());
        for (method, uri, body, status, code) in [
            (
                "GET",
                "/api/v1/items/9",
                "",
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            ("GET", "/nowhere", "", StatusCode::NOT_FOUND, "not_found"),
            (
                "POST",
                "/api/v1/items",
                r#"{"name":" "}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
            ),
            (
                "POST",
                "/api/v1/items",
                "{not json",
                StatusCode::BAD_REQUEST,
                "invalid_request",
            ),
        ] {
            let (got, text) = call(&app, method, uri, body).await;
            assert_eq!(got, status, "{method} {uri}: {text}");
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["error"]["code"], code, "{text}");
            assert!(v["error"]["message"].is_string(), "{text}");
        }
    }
}
