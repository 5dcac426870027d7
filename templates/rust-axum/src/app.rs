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
use opentelemetry_http::HeaderExtractor;
use serde_json::json;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::telemetry;

/// Shared by handlers and the shutdown sequence.
#[derive(Clone, Default)]
pub struct AppState {
    ready: Arc<AtomicBool>,
    pub metrics: Metrics,
}

impl AppState {
    /// Starts not ready: `/readyz` answers 503 until [`AppState::set_ready`].
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
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
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    // Unmatched paths share one label so scanners cannot blow up the series count.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let span = tracing::info_span!(
        "request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = method.as_str(),
        http.route = route.as_str(),
        http.response.status_code = tracing::field::Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&HeaderExtractor(request.headers()))
    });
    let _ = span.set_parent(parent);
    telemetry::log_trace_ids(&span);
    async move {
        let path = request.uri().path().to_owned();
        let response = next.run(request).await;
        let status = response.status().as_u16();
        let elapsed = start.elapsed();
        state
            .metrics
            .observe(method.as_str(), &route, status, elapsed.as_secs_f64());
        let span = tracing::Span::current();
        span.record("http.response.status_code", status);
        if status >= 500 {
            span.record("otel.status_code", "ERROR");
        }
        tracing::info!(
            method = method.as_str(),
            route = route.as_str(),
            path = path.as_str(),
            status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "request handled"
        );
        response
    }
    .instrument(span)
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
