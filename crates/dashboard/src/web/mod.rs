//! The dashboard's HTTP side, one file per resource (docs/dashboard.md): the page and its
//! assets, the aggregate API (cameras, detections and their CSV export, nights, stats, metrics,
//! settings) and the proxies to each worker's live view, snapshot and files. Handlers read the
//! shared state; only changes and proxies talk to a worker while a request waits.

mod bulk;
mod cameras;
mod detections;
mod export;
mod metrics;
mod nights;
mod page;
mod proxy;
mod settings;
mod stats;

use crate::state::App;
use crate::worker::WorkerError;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use std::sync::Arc;
use std::time::Duration;

pub type AppState = Arc<App>;

/// The router, without a listener (tests serve it on their own port).
pub fn router(app: AppState) -> Router {
    Router::new()
        .route("/", get(page::index))
        .route("/assets/{name}", get(page::asset))
        .route("/favicon.ico", get(page::favicon))
        .route("/healthz", get(stats::healthz))
        .route("/stats", get(stats::stats))
        .route("/metrics", get(metrics::metrics))
        .route("/detections", get(detections::list))
        .route("/api/detections", get(detections::list))
        .route("/detections.csv", get(export::csv))
        .route("/api/detections.csv", get(export::csv))
        .route("/api/detections/bulk", post(bulk::bulk))
        .route("/api/nights", get(nights::list))
        .route("/api/chart", get(nights::chart))
        .route("/api/cameras", get(cameras::list))
        .route("/api/cameras/{cam}", get(cameras::one))
        .route(
            "/api/cameras/{cam}/detections/{id}",
            get(detections::one).delete(detections::delete),
        )
        .route(
            "/api/cameras/{cam}/detections/{id}/label",
            put(detections::label),
        )
        .route(
            "/api/cameras/{cam}/settings",
            get(settings::show).put(settings::change),
        )
        .route("/cameras/{cam}/stream", get(proxy::stream))
        .route("/cameras/{cam}/snapshot.jpg", get(proxy::snapshot))
        .route("/cameras/{cam}/files/{name}", get(proxy::file))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such resource") })
        .layer(middleware::from_fn(security_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app)
}

/// Nothing served is sniffed into another type, and the page runs only its own scripts.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self'; \
             style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'",
        ),
    );
    res
}

/// Serves until SIGTERM or Ctrl-C.
pub async fn serve(app: AppState) -> Result<(), crate::Error> {
    let addr = format!("{}:{}", app.config.bind, app.config.port);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|source| crate::Error::Listen {
            addr: addr.clone(),
            source,
        })?;
    // The bound address, not the asked one: WEB_PORT=0 picks a free port (tests do).
    let bound = listener.local_addr().map_or(addr, |a| a.to_string());
    tracing::info!(addr = %bound, cameras = app.cameras.len(), "dashboard listening");
    // A proxied live view never ends by itself: answers in flight get 3 s after SIGTERM.
    let (signal, deadline) = meteor_service::graceful_stop(Duration::from_secs(3), || {});
    let server = axum::serve(listener, router(app)).with_graceful_shutdown(signal);
    tokio::select! {
        served = server => served.map_err(crate::Error::Serve)?,
        _ = deadline => {}
    }
    Ok(())
}

/// An error answer, as the workers give them: `{"error": ..., "field": ...}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: serde_json::Value,
}

impl ApiError {
    pub fn new(status: StatusCode, error: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: serde_json::json!({ "error": error.into() }),
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.body["field"] = field.into().into();
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> String {
        self.body["error"].as_str().unwrap_or_default().to_string()
    }

    pub fn bad(field: &str, why: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, why).field(field)
    }

    pub fn no_camera(name: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, format!("no camera named {name:?}")).field("camera")
    }

    /// A worker's failure, passed on: its own error answers (with `field`) as they are,
    /// transport failures as 502/504 naming the camera.
    pub fn from_worker(camera: &str, e: WorkerError) -> ApiError {
        match e {
            WorkerError::Status { status, body } => ApiError { status, body },
            other => {
                let mut err = ApiError::new(other.status(), format!("camera {camera:?}: {other}"));
                err.body["camera"] = camera.into();
                err
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
