//! A stand-in camera-worker speaking docs/api.md from memory, for the fast tests: records
//! added by the test, labels, deletions, settings with validation, the API token, files with
//! Range, and a switch that makes it answer slowly.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a browser rendition (`*_browser.mp4`) takes to answer: a real worker transcodes
/// a fresh H.265 event's clip before it answers, longer than any JSON call may take.
pub const RENDITION_WAIT: Duration = Duration::from_secs(7);

/// A 320x180 JPEG (videotestsrc's ball), also served as every composite.
pub const SNAPSHOT: &[u8] = include_bytes!("../fixtures/snapshot.jpg");

#[derive(Default)]
pub struct Inner {
    pub records: Vec<Value>,
    pub deleted: Vec<String>,
    pub settings: Value,
    pub delay: Duration,
    /// More delay for single records (`GET /detections/{id}`) alone.
    pub one_delay: Duration,
    pub token: Option<String>,
    /// Authorization headers seen on changes.
    pub auth_seen: Vec<Option<String>>,
    pub list_calls: Vec<String>,
    /// Ids asked for one at a time (`GET /detections/{id}`).
    pub one_calls: Vec<String>,
}

pub type Shared = Arc<Mutex<Inner>>;

pub struct Stub {
    pub port: u16,
    pub inner: Shared,
    pub name: String,
}

impl Stub {
    /// Serves on a free port in the given runtime.
    pub async fn start(name: &str, token: Option<&str>) -> Stub {
        let inner: Shared = Arc::new(Mutex::new(Inner {
            settings: json!({"sensitivity": "medium", "scale": 0.5, "exclude_bottom": 0.1,
                "exclude_edge": 0.0, "extract_clips": true, "mask": null, "overrides": {},
                "params": {"k_sigma": 4.0}}),
            token: token.map(str::to_string),
            ..Inner::default()
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = Router::new()
            .route("/stats", get(stats))
            .route("/detections", get(list))
            .route("/detections/{id}", get(one).delete(delete))
            .route("/detections/{id}/label", put(label))
            .route("/settings", get(settings).put(put_settings))
            .route("/files/{name}", get(file))
            .route(
                "/snapshot.jpg",
                get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], SNAPSHOT) }),
            )
            .with_state((inner.clone(), name.to_string()));
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Stub {
            port,
            inner,
            name: name.to_string(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Adds a record starting at `start` (ISO).
    pub fn add(&self, id: &str, start: &str, confidence: f64) {
        self.inner.lock().unwrap().records.push(json!({
            "id": id, "camera": self.name, "start_time": start, "end_time": start,
            "confidence": confidence, "duration_s": 1.0, "label": null,
            "clip": format!("meteor_{id}.mp4"), "composite": format!("meteor_{id}_composite.jpg"),
        }));
    }

    pub fn set_delay(&self, d: Duration) {
        self.inner.lock().unwrap().delay = d;
    }
}

type St = State<(Shared, String)>;

async fn wait(s: &Shared) {
    let d = s.lock().unwrap().delay;
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

fn sorted(records: &[Value]) -> Vec<Value> {
    let mut v = records.to_vec();
    v.sort_by(|a, b| b["start_time"].as_str().cmp(&a["start_time"].as_str()));
    v
}

async fn stats(State((s, name)): St) -> Json<Value> {
    wait(&s).await;
    let i = s.lock().unwrap();
    let recs = sorted(&i.records);
    Json(json!({
        "camera": name, "display_name": name, "connected": true, "detection_state": "detecting",
        "processing_fps": 25.0, "source_fps": 25.0, "resolution": "640x360", "codec": "H.264",
        "detections": {"total": recs.len(), "tonight": recs.len()},
        "last_detection": recs.first(), "settings": i.settings,
        "window": {"enabled": false, "active": true, "start": null, "end": null, "kind": "normal"},
    }))
}

async fn list(State((s, _)): St, Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    wait(&s).await;
    let mut i = s.lock().unwrap();
    i.list_calls
        .push(q.get("since").cloned().unwrap_or_default());
    let since = q.get("since").cloned().unwrap_or_default();
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
    let offset: usize = q.get("offset").and_then(|l| l.parse().ok()).unwrap_or(0);
    let all: Vec<Value> = sorted(&i.records)
        .into_iter()
        .filter(|r| since.is_empty() || r["start_time"].as_str().unwrap() >= since.as_str())
        .collect();
    let page: Vec<Value> = all.iter().skip(offset).take(limit).cloned().collect();
    Json(json!({"total": all.len(), "offset": offset, "limit": limit, "detections": page}))
}

fn err(status: StatusCode, msg: &str, field: Option<&str>) -> Response {
    let mut b = json!({"error": msg});
    if let Some(f) = field {
        b["field"] = f.into();
    }
    (status, Json(b)).into_response()
}

/// The refusal when the API token is wrong.
fn refused(i: &mut Inner, h: &HeaderMap) -> Option<Response> {
    let given = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    i.auth_seen.push(given.clone());
    match &i.token {
        Some(t) if given.as_deref() != Some(&format!("Bearer {t}")) => {
            Some(err(StatusCode::UNAUTHORIZED, "wrong API token", None))
        }
        _ => None,
    }
}

async fn one(State((s, _)): St, Path(id): Path<String>) -> Response {
    wait(&s).await;
    let d = s.lock().unwrap().one_delay;
    tokio::time::sleep(d).await;
    let mut i = s.lock().unwrap();
    i.one_calls.push(id.clone());
    match i.records.iter().find(|r| r["id"] == id.as_str()) {
        Some(r) => Json(r.clone()).into_response(),
        None => err(StatusCode::NOT_FOUND, "no such detection", None),
    }
}

async fn delete(State((s, _)): St, Path(id): Path<String>, h: HeaderMap) -> Response {
    let mut i = s.lock().unwrap();
    if let Some(r) = refused(&mut i, &h) {
        return r;
    }
    let before = i.records.len();
    i.records.retain(|r| r["id"] != id.as_str());
    if i.records.len() == before {
        return err(StatusCode::NOT_FOUND, "no such detection", None);
    }
    i.deleted.push(id);
    StatusCode::NO_CONTENT.into_response()
}

async fn label(
    State((s, _)): St,
    Path(id): Path<String>,
    h: HeaderMap,
    Json(b): Json<Value>,
) -> Response {
    let mut i = s.lock().unwrap();
    if let Some(r) = refused(&mut i, &h) {
        return r;
    }
    let l = b["label"].as_str().unwrap_or("");
    if !["meteor", "not_meteor", "none"].contains(&l) {
        return err(StatusCode::UNPROCESSABLE_ENTITY, "bad label", Some("label"));
    }
    match i.records.iter_mut().find(|r| r["id"] == id.as_str()) {
        Some(r) => {
            r["label"] = if l == "none" { Value::Null } else { l.into() };
            Json(r.clone()).into_response()
        }
        None => err(StatusCode::NOT_FOUND, "no such detection", None),
    }
}

async fn settings(State((s, _)): St) -> Json<Value> {
    Json(s.lock().unwrap().settings.clone())
}

async fn put_settings(State((s, _)): St, h: HeaderMap, Json(b): Json<Value>) -> Response {
    let mut i = s.lock().unwrap();
    if let Some(r) = refused(&mut i, &h) {
        return r;
    }
    if let Some(sc) = b.get("scale") {
        if !sc.as_f64().is_some_and(|v| (0.1..=1.0).contains(&v)) {
            return err(
                StatusCode::UNPROCESSABLE_ENTITY,
                "scale: must be 0.1 to 1",
                Some("scale"),
            );
        }
    }
    for (k, v) in b.as_object().unwrap() {
        i.settings[k] = v.clone();
    }
    Json(i.settings.clone()).into_response()
}

/// Composites are the snapshot; anything else 1000 bytes (0..=255 repeating), with
/// single-range support.
async fn file(Path(name): Path<String>, h: HeaderMap) -> Response {
    if name.ends_with("_browser.mp4") {
        tokio::time::sleep(RENDITION_WAIT).await;
    }
    if name.ends_with(".jpg") {
        return ([(header::CONTENT_TYPE, "image/jpeg")], SNAPSHOT).into_response();
    }
    let data: Vec<u8> = (0..1000u32).map(|i| (i % 256) as u8).collect();
    let kind = if name.ends_with(".mp4") {
        "video/mp4"
    } else {
        "image/jpeg"
    };
    if let Some(r) = h.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        let spec = r.trim_start_matches("bytes=");
        let (a, b) = spec.split_once('-').unwrap();
        let a: usize = a.parse().unwrap();
        let b: usize = b.parse().unwrap_or(999).min(999);
        return (
            StatusCode::PARTIAL_CONTENT,
            [
                (header::CONTENT_TYPE, kind.to_string()),
                (header::CONTENT_RANGE, format!("bytes {a}-{b}/1000")),
                (header::ACCEPT_RANGES, "bytes".to_string()),
            ],
            data[a..=b].to_vec(),
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::ACCEPT_RANGES, "bytes"),
        ],
        data,
    )
        .into_response()
}
