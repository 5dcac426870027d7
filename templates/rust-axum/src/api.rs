//! The example versioned API under `/api/v1`: a small in-memory item store. Replace it with
//! the service's real resources; keep returning [`ApiError`] so clients see one error shape.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Item {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct NewItem {
    pub name: String,
}

#[derive(Clone, Default)]
pub struct Store {
    items: Arc<RwLock<BTreeMap<u64, Item>>>,
}

/// The `/api/v1` routes; they keep their own state so the outer router's state is free.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/items", get(list).post(create))
        .route("/items/{id}", get(fetch))
        .with_state(Store::default())
}

async fn list(State(store): State<Store>) -> Json<Vec<Item>> {
    let items = store.items.read().expect("item store lock poisoned");
    Json(items.values().cloned().collect())
}

async fn fetch(State(store): State<Store>, Path(id): Path<u64>) -> Result<Json<Item>, ApiError> {
    let items = store.items.read().expect("item store lock poisoned");
    items.get(&id).cloned().map(Json).ok_or_else(|| ApiError::not_found(format!("item {id} does not exist")))
}

async fn create(
    State(store): State<Store>,
    body: Result<Json<NewItem>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Item>), ApiError> {
    let Json(new) = body?;
    let name = new.name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("name must not be empty"));
    }
    let mut items = store.items.write().expect("item store lock poisoned");
    let id = items.keys().next_back().map_or(1, |last| last + 1);
    let item = Item { id, name: name.to_string() };
    items.insert(id, item.clone());
    tracing::info!(item.id = id, "item created");
    Ok((StatusCode::CREATED, Json(item)))
}
