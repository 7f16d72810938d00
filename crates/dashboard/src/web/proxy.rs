//! Proxies to each worker, so a browser needs only the dashboard's port:
//! `/cameras/{cam}/stream` (MJPEG), `/cameras/{cam}/snapshot.jpg` and
//! `/cameras/{cam}/files/{name}` (clips and composites, `Range` passed through both ways).
//! Bodies stream through as they arrive; nothing is buffered, and a client that goes away
//! closes the worker's connection too (so its preview encoder stops).

use super::{ApiError, AppState};
use crate::state::App;
use crate::worker::segment;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::response::Response;
use std::time::Duration;

/// Request headers passed to the worker.
const REQUEST_HEADERS: [HeaderName; 5] = [
    header::RANGE,
    header::IF_RANGE,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
    header::ACCEPT,
];

/// Answer headers passed back to the browser.
const RESPONSE_HEADERS: [HeaderName; 8] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_RANGE,
    header::ACCEPT_RANGES,
    header::ETAG,
    header::LAST_MODIFIED,
    header::CACHE_CONTROL,
    header::CONTENT_DISPOSITION,
];

/// Longest wait for a live view's or a snapshot's first bytes.
const LIVE_WAIT: Duration = Duration::from_secs(5);
/// Longest wait for a file's first bytes. A worker answers at once for a file on disk, but
/// an H.265 clip's browser rendition not made yet is transcoded first, by a nice-19 child
/// that a busy machine makes wait its turn: failing that request would show an error where
/// a moment's patience shows the clip.
const FILE_WAIT: Duration = Duration::from_secs(180);

async fn forward(
    app: &App,
    cam: &str,
    path: &str,
    headers: &HeaderMap,
    wait: Duration,
) -> Result<Response, ApiError> {
    let c = app.camera(cam).ok_or_else(|| ApiError::no_camera(cam))?;
    {
        // Known down: answer at once instead of waiting for a timeout.
        let s = c.status();
        if s.reachable == Some(false) {
            let why = s.error.clone().unwrap_or_default();
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("camera {cam:?} is offline: {why}"),
            ));
        }
    }
    let mut out = reqwest::header::HeaderMap::new();
    for h in REQUEST_HEADERS {
        if let Some(v) = headers.get(&h) {
            out.insert(h, v.clone());
        }
    }
    let upstream = app
        .client
        .get_raw(&c.url, path, out, wait)
        .await
        .map_err(|e| ApiError::from_worker(cam, e))?;
    let mut res = Response::builder().status(upstream.status());
    for h in RESPONSE_HEADERS {
        if let Some(v) = upstream.headers().get(&h) {
            res = res.header(h, v.clone());
        }
    }
    let body = futures_util::stream::unfold(upstream, |mut r| async move {
        match r.chunk().await {
            Ok(Some(bytes)) => Some((Ok(bytes), r)),
            Ok(None) => None,
            Err(e) => Some((Err(e), r)),
        }
    });
    res.body(Body::from_stream(body))
        .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, e.to_string()))
}

/// The live view and the previews: never cached on the way.
async fn live(app: &App, cam: &str, path: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
    let mut res = forward(app, cam, path, headers, LIVE_WAIT).await?;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, "no-store".parse().expect("header"));
    Ok(res)
}

pub async fn stream(
    State(app): State<AppState>,
    Path(cam): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    live(&app, &cam, "/stream", &headers).await
}

pub async fn snapshot(
    State(app): State<AppState>,
    Path(cam): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    live(&app, &cam, "/snapshot.jpg", &headers).await
}

pub async fn file(
    State(app): State<AppState>,
    Path((cam, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(ApiError::bad("name", format!("bad file name {name:?}")));
    }
    forward(
        &app,
        &cam,
        &format!("/files/{}", segment(&name)),
        &headers,
        FILE_WAIT,
    )
    .await
}
