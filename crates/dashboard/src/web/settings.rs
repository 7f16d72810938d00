//! `GET` and `PUT /api/cameras/{cam}/settings`: a camera's detection settings, read from and
//! applied on its worker (with the API token). The worker's validation errors come back as
//! they are (422 with the `field` at fault), so the page can show them at the field.

use super::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use reqwest::Method;
use serde_json::Value;

pub async fn show(
    State(app): State<AppState>,
    Path(cam): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let c = app.camera(&cam).ok_or_else(|| ApiError::no_camera(&cam))?;
    app.client
        .get_json(&c.url, "/settings", app.config.request_timeout)
        .await
        .map(Json)
        .map_err(|e| ApiError::from_worker(&cam, e))
}

pub async fn change(
    State(app): State<AppState>,
    Path(cam): Path<String>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let c = app
        .camera(&cam)
        .ok_or_else(|| ApiError::no_camera(&cam))?
        .clone();
    let Json(body) = body.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    if !body.is_object() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "expected a JSON object of settings",
        ));
    }
    let (_, answer) = app
        .client
        .change(Method::PUT, &c.url, "/settings", Some(&body))
        .await
        .map_err(|e| ApiError::from_worker(&cam, e))?;
    // Refresh the camera's card (chips) now rather than at the next poll.
    let app2 = app.clone();
    tokio::spawn(async move { crate::poller::poll_once(&app2, &c).await });
    Ok(Json(answer.unwrap_or(Value::Null)))
}
