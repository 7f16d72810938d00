//! `GET /api/cameras`: every camera's status as the last polls found it (never waits for a
//! worker), and `GET /api/cameras/{cam}` for one.

use super::{ApiError, AppState};
use crate::state::iso;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

pub async fn list(State(app): State<AppState>) -> Json<Value> {
    let cameras: Vec<Value> = app.cameras.iter().map(|c| c.view()).collect();
    Json(json!({
        "cameras": cameras,
        "total": app.cameras.len(),
        "online": app.online(),
        "poll_interval_s": app.config.poll_interval.as_secs_f64(),
        "preview_interval_s": app.config.preview_interval.as_secs_f64(),
        "timezone": app.nights.tz.name(),
        "now": iso(chrono::Utc::now()),
    }))
}

pub async fn one(
    State(app): State<AppState>,
    Path(cam): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let c = app.camera(&cam).ok_or_else(|| ApiError::no_camera(&cam))?;
    Ok(Json(c.view()))
}
