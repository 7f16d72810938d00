//! `/detections`: list (newest first, filtered and paged), one, delete, label.

use super::{authorize, ApiError, AppState};
use crate::catalog::{CatalogError, Label, Query};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::json;

const MAX_LIMIT: usize = 1000;

/// Parses the query by hand so every bad value is named (axum's Query rejects with a generic
/// text).
fn parse_query(raw: Option<&str>) -> Result<Query, ApiError> {
    let mut q = Query {
        limit: 100,
        ..Query::default()
    };
    let bad = |field: &str, why: String| ApiError::new(StatusCode::BAD_REQUEST, why).field(field);
    for (k, v) in meteor_service::url_pairs(raw) {
        match k.as_str() {
            "since" | "until" => {
                let t: DateTime<Utc> = DateTime::parse_from_rfc3339(&v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| bad(&k, format!("{k}: expected an ISO 8601 time such as 2026-11-23T02:00:00Z, got {v:?}")))?;
                if k == "since" {
                    q.since = Some(t);
                } else {
                    q.until = Some(t);
                }
            }
            "limit" => {
                q.limit = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        bad(
                            "limit",
                            format!("limit: expected 1 to {MAX_LIMIT}, got {v:?}"),
                        )
                    })?
            }
            "offset" => {
                q.offset = v.parse().map_err(|_| {
                    bad(
                        "offset",
                        format!("offset: expected a whole number, got {v:?}"),
                    )
                })?
            }
            other => {
                return Err(bad(
                    other,
                    format!("unknown query parameter {other:?}; use since, until, limit, offset"),
                ))
            }
        }
    }
    Ok(q)
}

pub async fn list(
    State(sh): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let q = parse_query(raw.as_deref())?;
    let (total, page) = {
        let mut c = sh.catalog.lock().unwrap_or_else(|p| p.into_inner());
        // Picks up labels and retention marks another process (`prune`) appended.
        c.refresh();
        c.list(&q)
    };
    Ok(Json(json!({
        "total": total,
        "offset": q.offset,
        "limit": q.limit,
        "detections": page,
    })))
}

fn valid_id(id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{id:?} is not a detection id"),
        )
        .field("id"))
    }
}

fn not_found(e: CatalogError) -> ApiError {
    match e {
        CatalogError::NotFound(id) => {
            ApiError::new(StatusCode::NOT_FOUND, format!("no detection {id}"))
        }
        CatalogError::Io(p, e) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{}: {e}", p.display()),
        ),
    }
}

pub async fn one(
    State(sh): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    valid_id(&id)?;
    let found = sh
        .catalog
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&id);
    found
        .map(Json)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no detection {id}")))
}

pub async fn delete(
    State(sh): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    authorize(&sh, &headers)?;
    valid_id(&id)?;
    let sh2 = sh.clone();
    tokio::task::spawn_blocking(move || {
        sh2.catalog
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .delete(&id)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelBody {
    label: String,
}

pub async fn label(
    State(sh): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<LabelBody>, axum::extract::rejection::JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    authorize(&sh, &headers)?;
    valid_id(&id)?;
    let Json(body) = body.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "expected {{\"label\": \"meteor\" | \"not_meteor\" | \"none\"}}: {}",
                e.body_text()
            ),
        )
    })?;
    let label = match body.label.as_str() {
        "none" => None,
        other => Some(
            other
                .parse::<Label>()
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e).field("label"))?,
        ),
    };
    let updated = sh
        .catalog
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .set_label(&id, label)
        .map_err(not_found)?;
    Ok(Json(updated))
}
