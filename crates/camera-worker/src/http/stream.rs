//! `GET /stream` (MJPEG while watched) and `GET /snapshot.jpg`.

use super::{ApiError, AppState};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

pub async fn mjpeg(State(sh): State<AppState>) -> Response {
    let (guard, mut rx) = sh.preview.watch();
    let stream = async_stream(move |tx| async move {
        let _guard = guard;
        loop {
            if rx.changed().await.is_err() {
                break;
            }
            let Some(jpeg) = rx.borrow_and_update().clone() else {
                continue;
            };
            let mut part = Vec::with_capacity(jpeg.len() + 100);
            part.extend_from_slice(
                format!(
                    "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
                    jpeg.len()
                )
                .as_bytes(),
            );
            part.extend_from_slice(&jpeg);
            part.extend_from_slice(b"\r\n");
            if tx.send(Ok(Bytes::from(part))).await.is_err() {
                break; // the viewer went away
            }
        }
    });
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            "multipart/x-mixed-replace; boundary=frame",
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from_stream(stream))
        .expect("static headers are valid")
}

/// A body stream fed by a task: ends when the task ends or the client disconnects.
fn async_stream<F, Fut>(f: F) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::spawn(f(tx));
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) })
}

pub async fn snapshot(State(sh): State<AppState>) -> Result<Response, ApiError> {
    if let Some((jpeg, age)) = sh.preview.latest() {
        if age < Duration::from_secs(2) {
            return Ok(jpeg_response(jpeg.to_vec()));
        }
    }
    let mut rx = sh.preview.request();
    let fresh = tokio::time::timeout(Duration::from_secs(5), rx.changed()).await;
    let latest = rx.borrow().clone();
    match (fresh, latest) {
        (Ok(Ok(())), Some(jpeg)) => Ok(jpeg_response(jpeg.to_vec())),
        _ => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no frame from the camera yet",
        )),
    }
}

fn jpeg_response(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response()
}
