//! `GET /mask.png`: where the detector looks, for the page's overlay: white is watched sky,
//! grey is excluded (mask image, bottom strip, edges), at the stream's aspect ratio.

use super::{ApiError, AppState};
use crate::detect::mask;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use opencv::core::{Size, Vector};
use opencv::imgcodecs;
use opencv::prelude::*;

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
        let mut out = Vector::<u8>::new();
        imgcodecs::imencode(".png", &shown, &mut out, &Vector::new())?;
        Ok(out.to_vec())
    };
    let bytes =
        render().map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], bytes))
}
