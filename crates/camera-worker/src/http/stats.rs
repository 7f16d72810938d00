//! `GET /stats` (everything a dashboard shows about this camera) and `GET /healthz` (the
//! self-checks of `live::upkeep`).

use super::AppState;
use crate::live::status::DetectionState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

pub async fn stats(State(sh): State<AppState>) -> Json<Value> {
    let s = sh.status.snapshot();
    let now = sh.clock.now();
    let since_night = sh.night_start(now);
    let (total, tonight, last) = {
        let c = sh.catalog.lock().unwrap_or_else(|p| p.into_inner());
        (c.total(), c.count_since(since_night), c.newest())
    };
    let settings = sh.settings();
    let window = match &sh.window {
        Some(w) => {
            let span = w.tonight(now);
            json!({
                "enabled": true,
                "active": w.is_active(now),
                "start": span.start.map(iso),
                "end": span.end.map(iso),
                "kind": span.kind,
            })
        }
        None => {
            json!({"enabled": false, "active": true, "start": null, "end": null, "kind": "normal"})
        }
    };
    let state = s.state.unwrap_or(DetectionState::Initializing);
    Json(json!({
        "camera": sh.camera,
        "display_name": sh.display_name,
        "url": sh.url_masked,
        "connected": s.connected,
        "resolution": s.width.zip(s.height).map(|(w, h)| format!("{w}x{h}")),
        "width": s.width,
        "height": s.height,
        "codec": s.codec,
        "source_fps": s.source_fps.map(round2),
        "processing_fps": round2(s.processing_fps),
        "tracks": s.tracks,
        "frames": s.frames,
        "dropped_frames": s.dropped_frames,
        "lost_packets": s.lost_packets,
        "corrupt_frames": s.corrupt_frames,
        "reconnects": s.reconnects,
        "last_frame_age_s": s.last_frame.map(|t| round2(t.elapsed().as_secs_f64())),
        "detection_state": state.name(),
        "last_error": s.last_error,
        "detections": {"total": total, "tonight": tonight},
        "last_detection": last,
        "window": window,
        "uptime_s": round2(sh.started.elapsed().as_secs_f64()),
        "settings": settings.view(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// The self-checks evaluated now: `{"status": "ok"|"warn"|"crit", "camera", "checks": [...]}`.
/// Always 200 while the worker answers; the status field carries the verdict.
pub async fn healthz(State(sh): State<AppState>) -> Json<Value> {
    let checks = crate::live::upkeep::evaluate(&sh, &sh.upkeep_args);
    Json(json!({
        "status": meteor_core::health::overall(&checks),
        "camera": sh.camera,
        "checks": checks,
    }))
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
