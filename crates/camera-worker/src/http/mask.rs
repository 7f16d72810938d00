//! The exclusion mask. `GET /mask.png`: where the detector looks, for the page's overlay
//! (white is watched sky, grey is excluded by the mask image, bottom strip and edges).
//! `POST /mask` builds a new mask image from the current frame or an uploaded daytime
//! photo (`sky-mask` finds the sky) and keeps it as a candidate to look at
//! (`GET /mask/preview.png`); `POST /mask/confirm` puts it in force, live;
//! `DELETE /mask` stops using a mask image.

use super::{authorize, ApiError, AppState};
use crate::detect::mask;
use crate::live::settings::{MaskSource, MASK_FILE};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use opencv::core::Size;
use opencv::prelude::*;
use std::time::Duration;

pub async fn png(State(sh): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let s = sh.status.snapshot();
    let (w, h) = s.width.zip(s.height).unwrap_or((1280, 720));
    let width = 640;
    let height = ((h as i64 * width as i64) / w.max(1) as i64).max(1) as i32;
    let settings = sh.settings();
    let render = || -> opencv::Result<Vec<u8>> {
        let keep = mask::build(
            Size::new(width, height),
            settings.mask.as_ref(),
            settings.params.exclude_bottom,
            settings.params.exclude_edge,
        )
        .map_err(|e| opencv::Error::new(opencv::core::StsError, e.to_string()))?;
        let mut shown = Mat::default();
        // 255 stays white; 0 becomes grey, so a multiply blend darkens what is ignored.
        keep.convert_to(&mut shown, -1, 175.0 / 255.0, 80.0)?;
        crate::picture::png(&shown)
    };
    let bytes =
        render().map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], bytes))
}

/// Below this share of sky the picture is refused: a night frame of a dark foreground, or a
/// photo of something else.
const MIN_SKY: f32 = 0.05;

/// `POST /mask`: body empty (the camera's current frame) or a JPEG/PNG daytime photo.
pub async fn build(
    State(sh): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    authorize(&sh, &headers)?;
    let (image_bytes, source) = if body.is_empty() {
        (current_frame(&sh).await?, "frame")
    } else {
        (body.to_vec(), "upload")
    };
    let built = tokio::task::spawn_blocking(move || -> Result<(Vec<u8>, f32), ApiError> {
        let photo = image::load_from_memory(&image_bytes)
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("not a JPEG or PNG image: {e}"),
                )
                .field("image")
            })?
            .to_rgb8();
        let sky = sky_mask::sky_mask(&photo);
        if sky.sky_fraction < MIN_SKY {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "found no sky in the image ({:.0}% of it); use a daytime photo of this camera's view",
                    100.0 * sky.sky_fraction
                ),
            )
            .field("image"));
        }
        let mut png = Vec::new();
        sky.mask
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        Ok((png, sky.sky_fraction))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    let sky_fraction = built.1;
    *sh.mask_candidate.lock().unwrap_or_else(|p| p.into_inner()) = Some(built);
    Ok(Json(serde_json::json!({
        "source": source,
        "sky_fraction": (sky_fraction * 1000.0).round() / 1000.0,
        "preview": "mask/preview.png",
        "confirm": "POST mask/confirm",
    })))
}

/// A fresh JPEG of the current frame (the preview encoder makes one on request).
async fn current_frame(sh: &AppState) -> Result<Vec<u8>, ApiError> {
    if let Some((jpeg, age)) = sh.preview.latest() {
        if age < Duration::from_secs(2) {
            return Ok(jpeg.to_vec());
        }
    }
    let mut rx = sh.preview.request();
    let fresh = tokio::time::timeout(Duration::from_secs(5), rx.changed()).await;
    let latest = rx.borrow().clone();
    match (fresh, latest) {
        (Ok(Ok(())), Some(jpeg)) => Ok(jpeg.to_vec()),
        _ => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no frame from the camera to build a mask from; upload a daytime photo instead",
        )),
    }
}

/// `GET /mask/preview.png`: the candidate from `POST /mask`.
pub async fn preview(State(sh): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let candidate = sh
        .mask_candidate
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match candidate {
        Some((png, _)) => Ok(([(header::CONTENT_TYPE, "image/png")], png)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no mask waiting; POST /mask first",
        )),
    }
}

/// `POST /mask/confirm`: the candidate becomes `<OUTPUT_DIR>/mask.png` and is used at once.
pub async fn confirm(
    State(sh): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    authorize(&sh, &headers)?;
    let taken = sh
        .mask_candidate
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    let Some((png, _)) = taken else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no mask waiting; POST /mask first",
        ));
    };
    let sh2 = sh.clone();
    let applied = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        crate::store::write_bytes(&sh2.output.join(MASK_FILE), &png)?;
        sh2.set_mask(MaskSource::Api)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))?;
    Ok(Json(
        serde_json::to_value(applied.view()).unwrap_or_default(),
    ))
}

/// `DELETE /mask`: no mask image from now on (also after a restart, MASK_IMAGE included).
pub async fn remove(
    State(sh): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    authorize(&sh, &headers)?;
    let sh2 = sh.clone();
    let applied = tokio::task::spawn_blocking(move || sh2.set_mask(MaskSource::Off))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))?;
    Ok(Json(
        serde_json::to_value(applied.view()).unwrap_or_default(),
    ))
}
