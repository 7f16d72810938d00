//! The page: plain HTML, CSS and JS embedded in the binary (no CDN, no build step), so it
//! works offline. Scripts build the DOM with `textContent` only; the CSP in `mod.rs` allows
//! nothing but these files.

use super::ApiError;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

const INDEX: &str = include_str!("assets/index.html");

/// Name, content type, content.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("assets/app.css"),
    ),
    (
        "util.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/util.js"),
    ),
    (
        "grid.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/grid.js"),
    ),
    (
        "review.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/review.js"),
    ),
    (
        "player.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/player.js"),
    ),
    (
        "chart.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/chart.js"),
    ),
    (
        "settings.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/settings.js"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/app.js"),
    ),
];

pub async fn index() -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Html(INDEX)).into_response()
}

pub async fn asset(Path(name): Path<String>) -> Result<Response, ApiError> {
    let (_, kind, body) = ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no asset {name:?}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, *kind),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        *body,
    )
        .into_response())
}

/// A meteor streak, so browsers stop asking.
pub async fn favicon() -> Response {
    const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" fill="#0b1020"/><path d="M2 3 L12 11" stroke="#9cf" stroke-width="2" stroke-linecap="round"/><circle cx="12.5" cy="11.5" r="2" fill="#fff"/></svg>"##;
    ([(header::CONTENT_TYPE, "image/svg+xml")], SVG).into_response()
}
