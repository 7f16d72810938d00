//! The worker's HTTP API (docs/api.md), one file per resource. Handlers only read the shared
//! state or ask it to change; nothing here blocks the streamer.

mod detections;
mod files;
mod mask;
mod metrics;
mod page;
mod settings;
mod stats;
mod stream;

use crate::live::Shared;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use std::sync::Arc;

pub type AppState = Arc<Shared>;

/// Largest daytime photo `POST /mask` takes (a 4K JPEG is a few MB).
const MAX_PHOTO_BYTES: usize = 32 << 20;

/// The router, without a listener (tests serve it on their own port).
pub fn router(shared: AppState) -> Router {
    Router::new()
        .route("/", get(page::index))
        .route("/healthz", get(stats::healthz))
        .route("/stats", get(stats::stats))
        .route("/metrics", get(metrics::metrics))
        .route("/detections", get(detections::list))
        .route(
            "/detections/{id}",
            get(detections::one).delete(detections::delete),
        )
        .route("/detections/{id}/label", put(detections::label))
        .route("/files/{name}", get(files::file))
        .route("/stream", get(stream::mjpeg))
        .route("/snapshot.jpg", get(stream::snapshot))
        .route("/mask.png", get(mask::png))
        .route(
            "/mask",
            post(mask::build)
                .delete(mask::remove)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_PHOTO_BYTES)),
        )
        .route("/mask/preview.png", get(mask::preview))
        .route("/mask/confirm", post(mask::confirm))
        .route("/settings", get(settings::show).put(settings::change))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such resource") })
        .with_state(shared)
}

/// How long answers in flight get after SIGTERM.
const HTTP_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// Serves until SIGTERM or Ctrl-C (which also tells the streamer to stop).
pub async fn serve(shared: AppState, addr: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("WEB_PORT: cannot listen on {addr}: {e}"))?;
    // The bound address, not the asked one: WEB_PORT=0 picks a free port (tests do).
    let bound = listener
        .local_addr()
        .map_or(addr.to_string(), |a| a.to_string());
    tracing::info!(addr = %bound, "HTTP API listening");
    let stop_streamer = shared.clone();
    let (signal, deadline) = meteor_service::graceful_stop(HTTP_GRACE, move || {
        // The streamer starts finishing its event while HTTP winds down.
        stop_streamer
            .shutdown
            .store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let server = axum::serve(listener, router(shared)).with_graceful_shutdown(signal);
    tokio::select! {
        served = server => served?,
        _ = deadline => {}
    }
    Ok(())
}

/// An error answer: `{"error": ..., "field": ...}` with a 4xx/5xx status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: String,
    field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, error: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error: error.into(),
            field: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.error });
        if let Some(f) = self.field {
            body["field"] = f.into();
        }
        (self.status, Json(body)).into_response()
    }
}

/// Refuses a change without the API token, when one is configured.
pub fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = shared.api_token.as_deref() else {
        return Ok(());
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(g) if constant_time_eq(g.as_bytes(), token.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong API token")),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this worker needs an API token for changes: Authorization: Bearer <API_TOKEN>",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
