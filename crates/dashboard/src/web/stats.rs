//! `GET /stats` (the header's numbers: detections tonight and all-time per camera, cameras
//! online, uptime, tonight's window) and `GET /healthz` (the dashboard itself serves; a dead
//! worker is a `warn`, not a failure of the dashboard).

use super::AppState;
use crate::night::worker_window;
use crate::state::{iso, round2};
use axum::extract::State;
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

pub async fn stats(State(app): State<AppState>) -> Json<Value> {
    let now = Utc::now();
    let night = app.nights.night_of(now);
    let (start, end) = app.nights.bounds(night);
    let mut total = 0;
    let mut tonight = 0;
    let per_camera: Vec<Value> = app
        .cameras
        .iter()
        .map(|c| {
            let state = c.state();
            let cache = c.cache();
            let n = cache.len();
            let t = cache
                .entries()
                .filter(|e| e.start >= start && e.start < end)
                .count();
            total += n;
            tonight += t;
            json!({
                "camera": c.name,
                "state": state,
                "online": c.online(),
                "total": n,
                "tonight": t,
                "synced": cache.synced,
            })
        })
        .collect();
    // The dashboard's own site when configured, else the first worker that has a window.
    let (window, source) = match app.nights.window(now) {
        Some(w) => (Some(w), Some("dashboard".to_string())),
        None => app
            .cameras
            .iter()
            .find_map(|c| {
                let s = c.status();
                let w = s.stats.as_ref().and_then(worker_window)?;
                Some((Some(w), Some(format!("camera {}", c.name))))
            })
            .unwrap_or((None, None)),
    };
    Json(json!({
        "cameras": {"total": app.cameras.len(), "online": app.online()},
        "detections": {"total": total, "tonight": tonight},
        "per_camera": per_camera,
        "night": night.to_string(),
        "night_start": iso(start),
        "night_end": iso(end),
        "timezone": app.nights.tz.name(),
        "window": window,
        "window_source": source,
        "uptime_s": round2(app.started.elapsed().as_secs_f64()),
        "started_at": iso(app.started_at),
        "now": iso(now),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// The self-checks (workers answering, clock), evaluated now; always 200 while the
/// dashboard answers, the `status` field carries the verdict.
pub async fn healthz(State(app): State<AppState>) -> Json<Value> {
    let checks = crate::selfcheck::evaluate(&app);
    let offline = crate::selfcheck::offline(&app);
    Json(json!({
        "status": meteor_core::health::overall(&checks),
        "checks": checks,
        "cameras_online": app.online(),
        "cameras_total": app.cameras.len(),
        "offline": offline,
    }))
}
