//! `GET /settings` and `PUT /settings`: view and change detection settings live.

use super::{authorize, ApiError, AppState};
use crate::live::settings::Patch;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

pub async fn show(State(sh): State<AppState>) -> impl IntoResponse {
    let s = sh.settings();
    Json(serde_json::to_value(s.view()).unwrap_or_default())
}

pub async fn change(
    State(sh): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Patch>, axum::extract::rejection::JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    authorize(&sh, &headers)?;
    let Json(patch) = body.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("settings: {} (fields: sensitivity, scale, exclude_bottom, exclude_edge, extract_clips, overrides)", e.body_text()),
        )
    })?;
    let current = sh.settings();
    let next = current.chosen.patched(&patch).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, e.to_string()).field(e.field.clone())
    })?;
    let sh2 = sh.clone();
    let applied = tokio::task::spawn_blocking(move || sh2.apply_settings(next))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))?;
    Ok(Json(
        serde_json::to_value(applied.view()).unwrap_or_default(),
    ))
}
