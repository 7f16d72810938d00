//! Nights for the review and the chart: `GET /api/nights` (every night with detections, newest
//! first, with counts per camera) and `GET /api/chart?night=YYYY-MM-DD` (detections per hour
//! and per camera from local noon to noon; the page draws it as inline SVG).

use super::{ApiError, AppState};
use crate::cache::LabelFilter;
use crate::state::iso;
use axum::extract::{RawQuery, State};
use axum::Json;
use chrono::{NaiveDate, Utc};
use meteor_service::url_pairs;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub async fn list(State(app): State<AppState>) -> Json<Value> {
    let tonight = app.nights.night_of(Utc::now());
    let mut nights: BTreeMap<NaiveDate, Map<String, Value>> = BTreeMap::new();
    nights.entry(tonight).or_default();
    for c in &app.cameras {
        let mut counts: BTreeMap<NaiveDate, u64> = BTreeMap::new();
        for e in c.cache().entries() {
            *counts.entry(app.nights.night_of(e.start)).or_default() += 1;
        }
        for (night, n) in counts {
            nights
                .entry(night)
                .or_default()
                .insert(c.name.clone(), n.into());
        }
    }
    let list: Vec<Value> = nights
        .into_iter()
        .rev()
        .map(|(night, cams)| {
            let total: u64 = cams.values().filter_map(Value::as_u64).sum();
            json!({ "night": night.to_string(), "total": total, "cameras": cams })
        })
        .collect();
    Json(json!({
        "timezone": app.nights.tz.name(),
        "tonight": tonight.to_string(),
        "nights": list,
    }))
}

pub async fn chart(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let mut night = app.nights.night_of(Utc::now());
    let mut label = LabelFilter::Any;
    for (k, v) in url_pairs(raw.as_deref()) {
        match k.as_str() {
            "night" => {
                night = v.parse().map_err(|_| {
                    ApiError::bad(
                        "night",
                        format!("night: expected a date such as 2026-11-22, got {v:?}"),
                    )
                })?
            }
            "label" => label = v.parse().map_err(|e: String| ApiError::bad("label", e))?,
            other => {
                return Err(ApiError::bad(
                    other,
                    format!("unknown query parameter {other:?}; use night, label"),
                ))
            }
        }
    }
    let (start, end) = app.nights.bounds(night);
    let q = crate::cache::Query {
        since: Some(start),
        until: Some(end),
        label,
        ..Default::default()
    };
    let mut max = 0;
    let cameras: Vec<Value> = app
        .cameras
        .iter()
        .map(|c| {
            let mut counts = [0u64; 24];
            for e in c.cache().entries().filter(|e| q.keeps(&c.name, e)) {
                counts[app.nights.hour_slot(e.start)] += 1;
            }
            let total: u64 = counts.iter().sum();
            json!({ "camera": c.name, "counts": counts, "total": total })
        })
        .collect();
    for slot in 0..24 {
        let stacked: u64 = cameras
            .iter()
            .map(|c| c["counts"][slot].as_u64().unwrap_or(0))
            .sum();
        max = max.max(stacked);
    }
    let hours: Vec<String> = (0..24).map(|i| format!("{:02}", (i + 12) % 24)).collect();
    Ok(Json(json!({
        "night": night.to_string(),
        "timezone": app.nights.tz.name(),
        "start": iso(start),
        "end": iso(end),
        "hours": hours,
        "cameras": cameras,
        "max": max,
    })))
}
