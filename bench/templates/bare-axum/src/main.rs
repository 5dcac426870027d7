//! The rust-axum template's example API and probes, without its instrumentation.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Serialize)]
struct Item {
    id: u64,
    name: String,
}

#[derive(Deserialize)]
struct NewItem {
    name: String,
}

#[derive(Clone, Default)]
struct Store(Arc<Mutex<BTreeMap<u64, Item>>>);

async fn get_item(State(store): State<Store>, Path(id): Path<u64>) -> Response {
    match store.0.lock().unwrap().get(&id) {
        Some(item) => Json(item.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"code": "not_found", "message": format!("item {id} does not exist")}})),
        )
            .into_response(),
    }
}

async fn create(State(store): State<Store>, Json(new): Json<NewItem>) -> Response {
    let mut items = store.0.lock().unwrap();
    let item = Item { id: items.len() as u64 + 1, name: new.name };
    items.insert(item.id, item.clone());
    (StatusCode::CREATED, Json(item)).into_response()
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let app = Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/api/v1/items", axum::routing::post(create))
        .route("/api/v1/items/{id}", get(get_item))
        .with_state(Store::default());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
