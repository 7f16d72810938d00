//! `GET /files/{name}`: a clip or image of this camera, with Range support (tower-http's
//! ServeFile), after checking the name cannot leave the output directory. A browser
//! rendition not made yet is made first (`crate::rendition`).

use super::{ApiError, AppState};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// Plain file names of event files only: no separators, no parent, no hidden files.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

pub async fn file(
    State(sh): State<AppState>,
    Path(name): Path<String>,
    req: Request<Body>,
) -> Result<Response, ApiError> {
    if !valid_name(&name) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{name:?} is not a file name of this camera"),
        )
        .field("name"));
    }
    let path = sh.output.join(&name);
    if !path.is_file() && !crate::rendition::make_on_request(&sh, &name).await {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no file {name}"),
        ));
    }
    let res = ServeFile::new(&path)
        .oneshot(req)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(res.into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_that_could_escape_are_refused() {
        for bad in [
            "",
            "../x",
            "a/b",
            "..",
            ".hidden",
            "a\\b",
            "x%2f..",
            "meteor_1.mp4\0",
        ] {
            assert!(!super::valid_name(bad), "{bad:?} accepted");
        }
        for good in [
            "meteor_20261123_021733_ab12cd34.mp4",
            "meteor_x_composite.jpg",
        ] {
            assert!(super::valid_name(good));
        }
    }
}
