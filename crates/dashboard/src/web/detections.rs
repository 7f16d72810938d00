//! Detections of every camera, merged: `GET /detections` (newest first; filters camera, since,
//! until, night, label, min_confidence; paged by limit and offset; the matching total), one
//! record, and the changes forwarded to the owning worker (`PUT .../label`, `DELETE`), with
//! the cache updated once the worker has said yes.

use super::{ApiError, AppState};
use crate::cache::{Entry, LabelFilter, Query};
use crate::state::{App, Camera};
use crate::worker::segment;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use meteor_service::url_pairs;
use reqwest::Method;
use serde_json::{json, Value};

pub const MAX_LIMIT: usize = 1000;

fn parse_time(k: &str, v: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::bad(
                k,
                format!("{k}: expected an ISO 8601 time such as 2026-11-23T02:00:00Z, got {v:?}"),
            )
        })
}

/// The query string, every bad value named; `limit` is `default_limit` unless given, at most
/// `max_limit`.
pub fn parse_query(
    app: &App,
    raw: Option<&str>,
    default_limit: usize,
    max_limit: usize,
) -> Result<Query, ApiError> {
    let mut q = Query {
        limit: default_limit,
        ..Query::default()
    };
    for (k, v) in url_pairs(raw) {
        match k.as_str() {
            "camera" => {
                if app.camera(&v).is_none() {
                    return Err(ApiError::no_camera(&v));
                }
                q.cameras.push(v);
            }
            "since" => q.since = Some(parse_time(&k, &v)?),
            "until" => q.until = Some(parse_time(&k, &v)?),
            "night" => {
                let d: NaiveDate = v.parse().map_err(|_| {
                    ApiError::bad(
                        "night",
                        format!("night: expected a date such as 2026-11-22, got {v:?}"),
                    )
                })?;
                let (a, b) = app.nights.bounds(d);
                q.since = Some(q.since.map_or(a, |s| s.max(a)));
                q.until = Some(q.until.map_or(b, |u| u.min(b)));
            }
            "label" => {
                q.label = v
                    .parse::<LabelFilter>()
                    .map_err(|e| ApiError::bad("label", e))?
            }
            "min_confidence" => {
                q.min_confidence = Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|c| (0.0..=1.0).contains(c))
                        .ok_or_else(|| {
                            ApiError::bad(
                                "min_confidence",
                                format!("min_confidence: expected 0 to 1, got {v:?}"),
                            )
                        })?,
                )
            }
            "limit" => {
                q.limit = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=max_limit).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad(
                            "limit",
                            format!("limit: expected 1 to {max_limit}, got {v:?}"),
                        )
                    })?
            }
            "offset" => {
                q.offset = v.parse().map_err(|_| {
                    ApiError::bad(
                        "offset",
                        format!("offset: expected a whole number, got {v:?}"),
                    )
                })?
            }
            other => {
                return Err(ApiError::bad(
                    other,
                    format!(
                    "unknown query parameter {other:?}; use camera, since, until, night, label, \
                         min_confidence, limit, offset"
                ),
                ))
            }
        }
    }
    Ok(q)
}

/// The record as the dashboard shows it: `camera` is the dashboard's name for the camera
/// (the worker's own is kept as `worker_camera`), plus the night and the proxied file URLs.
pub fn decorate(app: &App, camera: &str, e: &Entry) -> Value {
    let mut v = e.record();
    let worker_camera = v["camera"].take();
    v["camera"] = camera.into();
    v["worker_camera"] = worker_camera;
    v["label"] = e.label.clone().into();
    v["night"] = app.nights.night_of(e.start).to_string().into();
    let file = |k: &str| {
        v[k].as_str()
            .map(|n| format!("/cameras/{}/files/{}", segment(camera), segment(n)))
    };
    // Browsers cannot play HEVC: an H.265 clip has an H.264 rendition, which the worker
    // makes on the first request when its record does not list it yet.
    let browser = v["clip_browser"].as_str().map(str::to_string).or_else(|| {
        (v["clip"].is_string() && v["clip_codec"] == "H.265")
            .then(|| format!("meteor_{}_browser.mp4", e.id))
    });
    let urls = json!({
        "clip": file("clip"),
        "clip_browser": browser.map(|n| format!("/cameras/{}/files/{}", segment(camera), segment(&n))),
        "composite": file("composite"),
        "composite_original": file("composite_original"),
    });
    v["urls"] = urls;
    v
}

pub async fn list(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = parse_query(&app, raw.as_deref(), 100, MAX_LIMIT)?;
    // One budget for the whole page, however many records it has to read.
    let page = read_page(&app, &q, 1).await;
    Ok(Json(json!({
        "total": page.total,
        "offset": q.offset,
        "limit": q.limit,
        "detections": page.detections,
        "incomplete": page.incomplete,
    })))
}

/// The records a query asks for, newest first, decorated.
pub struct Page {
    /// How many match, on every page.
    pub total: usize,
    pub detections: Vec<Value>,
    /// Cameras whose detections the dashboard has not read whole yet.
    pub incomplete: Vec<String>,
}

/// The query's page. Records past the cache are read from their workers, [`WORKER_READS`] at a
/// time, within one `REQUEST_TIMEOUT` for each such round and `max_timeouts` of them in all.
pub async fn read_page(app: &App, q: &Query, max_timeouts: usize) -> Page {
    // The caches' locks are not held across the workers' answers below.
    let (total, page, incomplete) = {
        let caches: Vec<_> = app
            .cameras
            .iter()
            .map(|c| (c.name.as_str(), c.cache()))
            .collect();
        let (total, page) = q.run(caches.iter().map(|(n, c)| (*n, &**c)));
        let page: Vec<(String, Entry)> = page
            .into_iter()
            .map(|(cam, e)| (cam.to_string(), e.clone()))
            .collect();
        let incomplete: Vec<String> = caches
            .iter()
            .filter(|(n, c)| {
                !c.synced && (q.cameras.is_empty() || q.cameras.iter().any(|x| x == n))
            })
            .map(|(n, _)| n.to_string())
            .collect();
        (total, page, incomplete)
    };
    let rounds = page
        .iter()
        .filter(|(_, e)| !e.has_record())
        .count()
        .div_ceil(WORKER_READS);
    let deadline = tokio::time::Instant::now()
        + app.config.request_timeout * rounds.clamp(1, max_timeouts.max(1)) as u32;
    let detections: Vec<Value> = futures_util::stream::iter(page)
        .map(|(cam, e)| async move { whole(app, &cam, e, deadline).await })
        .buffered(WORKER_READS)
        .collect()
        .await;
    Page {
        total,
        detections,
        incomplete,
    }
}

/// Records of a page read from their workers at once, at most.
const WORKER_READS: usize = 8;

/// The decorated record of a page: from the cache when it holds the text, else read from its
/// worker by `deadline`; when the worker cannot say, what the cache knows, with
/// `record_error` saying why.
async fn whole(app: &App, cam: &str, e: Entry, deadline: tokio::time::Instant) -> Value {
    if e.has_record() {
        return decorate(app, cam, &e);
    }
    let read = tokio::time::timeout_at(deadline, read_record(app, cam, &e.id));
    let read = read.await.unwrap_or_else(|_| {
        Err(format!(
            "{cam}: no answer within {:?}",
            app.config.request_timeout
        ))
    });
    match read {
        Ok(full) => {
            let mut full = full;
            // A label set through the dashboard since the worker was read is the newer one.
            full.label = e.label.clone();
            decorate(app, cam, &full)
        }
        Err(why) => {
            let mut v = decorate(app, cam, &e);
            v["record_error"] = why.into();
            v
        }
    }
}

/// One record asked from its worker for a page: the worker's error as text.
async fn read_record(app: &App, cam: &str, id: &str) -> Result<Entry, String> {
    let c = app
        .camera(cam)
        .ok_or_else(|| format!("no camera {cam:?}"))?;
    // A worker the poller found down is not waited for, page after page.
    if c.status().reachable == Some(false) {
        let why = c
            .status()
            .error
            .clone()
            .unwrap_or_else(|| "unreachable".into());
        return Err(format!("{cam}: worker offline ({why})"));
    }
    fetch_record(app, c, id)
        .await
        .map_err(|e| format!("{cam}: {e}"))?
        .ok_or_else(|| format!("{cam}: a record without id or start_time"))
}

/// `GET /detections/{id}` of the camera's worker; `None` for a record without id or
/// start_time.
async fn fetch_record(
    app: &App,
    c: &Camera,
    id: &str,
) -> Result<Option<Entry>, crate::worker::WorkerError> {
    let path = format!("/detections/{}", segment(id));
    let v = app
        .client
        .get_json(&c.url, &path, app.config.request_timeout)
        .await?;
    Ok(Entry::from_value(v))
}

fn camera<'a>(app: &'a App, name: &str) -> Result<&'a std::sync::Arc<Camera>, ApiError> {
    app.camera(name).ok_or_else(|| ApiError::no_camera(name))
}

/// One record: from the cache when it holds the text, else asked from the worker.
pub async fn one(
    State(app): State<AppState>,
    Path((cam, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let c = camera(&app, &cam)?;
    let cached = c.cache().get(&id).cloned();
    if let Some(e) = cached.as_ref().filter(|e| e.has_record()) {
        return Ok(Json(decorate(&app, &cam, e)));
    }
    let mut e = fetch_record(&app, c, &id)
        .await
        .map_err(|e| ApiError::from_worker(&cam, e))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "the worker sent a record without id or start_time",
            )
        })?;
    if let Some(known) = cached {
        e.label = known.label;
    }
    Ok(Json(decorate(&app, &cam, &e)))
}

/// Sets (`meteor`, `not_meteor`) or clears (`none`) a label on the owning worker, then in the
/// cache; answers the decorated record.
pub async fn set_label(app: &App, cam: &str, id: &str, label: &str) -> Result<Value, ApiError> {
    let c = camera(app, cam)?;
    if !["meteor", "not_meteor", "none"].contains(&label) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("label: expected meteor, not_meteor or none, got {label:?}"),
        )
        .field("label"));
    }
    let path = format!("/detections/{}/label", segment(id));
    let (_, body) = app
        .client
        .change(Method::PUT, &c.url, &path, Some(&json!({ "label": label })))
        .await
        .map_err(|e| ApiError::from_worker(cam, e))?;
    let mut record = body.unwrap_or(Value::Null);
    if record.is_object() && record.get("label").is_none() {
        record["label"] = (label != "none").then_some(label).into();
    }
    let entry = Entry::from_value(record).or_else(|| {
        // A worker answering without the record: keep the cached one, relabelled.
        let mut e = c.cache().get(id)?.clone();
        e.label = (label != "none").then(|| label.to_string());
        Some(e)
    });
    let Some(entry) = entry else {
        return Ok(json!({ "id": id, "camera": cam, "label": label }));
    };
    c.cache_mut().edit(id, Some(entry.clone()));
    Ok(decorate(app, cam, &entry))
}

/// Deletes on the owning worker, then from the cache (also when the worker no longer had it).
pub async fn remove(app: &App, cam: &str, id: &str) -> Result<(), ApiError> {
    let c = camera(app, cam)?;
    let path = format!("/detections/{}", segment(id));
    match app.client.change(Method::DELETE, &c.url, &path, None).await {
        Ok(_) => {
            c.cache_mut().edit(id, None);
            Ok(())
        }
        Err(e) => {
            if e.status() == StatusCode::NOT_FOUND {
                c.cache_mut().edit(id, None);
            }
            Err(ApiError::from_worker(cam, e))
        }
    }
}

pub async fn label(
    State(app): State<AppState>,
    Path((cam, id)): Path<(String, String)>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let label = match body.get("label") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) => "none".to_string(),
        _ => {
            return Err(ApiError::bad(
                "label",
                r#"label: expected {"label": "meteor" | "not_meteor" | "none"}"#,
            ))
        }
    };
    set_label(&app, &cam, &id, &label).await.map(Json)
}

pub async fn delete(
    State(app): State<AppState>,
    Path((cam, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    remove(&app, &cam, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
