//! `POST /api/detections/bulk`: label or delete many records at once (the review's
//! multi-select). Each item goes to its own worker, a few at a time; the answer lists what
//! failed and why, so one dead worker fails only its own items.

use super::detections::{remove, set_label};
use super::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

const MAX_ITEMS: usize = 1000;
/// Changes in flight at once.
const CONCURRENCY: usize = 8;

#[derive(Deserialize)]
pub struct Item {
    pub camera: String,
    pub id: String,
}

#[derive(Deserialize)]
pub struct Bulk {
    /// `label` or `delete`.
    pub action: String,
    /// For `label`: `meteor`, `not_meteor` or `none`.
    #[serde(default)]
    pub label: Option<String>,
    pub items: Vec<Item>,
}

pub async fn bulk(
    State(app): State<AppState>,
    body: Result<Json<Bulk>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(b) = body.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    if b.items.len() > MAX_ITEMS {
        return Err(ApiError::bad(
            "items",
            format!("items: at most {MAX_ITEMS} at once"),
        ));
    }
    let label = match (b.action.as_str(), b.label.as_deref()) {
        ("label", Some(l)) => Some(l.to_string()),
        ("label", None) => return Err(ApiError::bad("label", "label: required with action label")),
        ("delete", _) => None,
        (other, _) => {
            return Err(ApiError::bad(
                "action",
                format!("action: expected label or delete, got {other:?}"),
            ))
        }
    };
    let results: Vec<(Item, Result<(), ApiError>)> = stream::iter(b.items)
        .map(|item| {
            let app = app.clone();
            let label = label.clone();
            async move {
                let r = match &label {
                    Some(l) => set_label(&app, &item.camera, &item.id, l).await.map(|_| ()),
                    None => remove(&app, &item.camera, &item.id).await,
                };
                (item, r)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut done = 0;
    let mut failed = Vec::new();
    for (item, r) in results {
        match r {
            Ok(()) => done += 1,
            Err(e) => failed.push(json!({
                "camera": item.camera,
                "id": item.id,
                "status": e.status().as_u16(),
                "error": e.message(),
            })),
        }
    }
    Ok(Json(json!({ "done": done, "failed": failed })))
}
