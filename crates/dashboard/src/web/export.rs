//! `GET /detections.csv`: the detections a review shows, as a CSV file for a spreadsheet or a
//! meteor network's report. The same filters as `GET /detections` (night, camera, label,
//! min_confidence, since, until), oldest first, one row per detection with its measurements in
//! UTC and full-resolution pixels, and the dashboard's links to its clip and composite.
//!
//! A record the dashboard holds only in part (past its cache, its worker not answering) still
//! gets its row, with what is known and the reason in `note`: an export never drops one.

use super::detections::{parse_query, read_page};
use super::{ApiError, AppState};
use crate::state::App;
use crate::worker::segment;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Rows of one export at most (the newest, when more match): a few nights of a busy shower
/// on many cameras.
pub const EXPORT_MAX: usize = 10_000;

/// The columns, in order.
pub const COLUMNS: [&str; 22] = [
    "camera",
    "night",
    "id",
    "start_time",
    "end_time",
    "duration_s",
    "start_x",
    "start_y",
    "end_x",
    "end_y",
    "length_px",
    "speed_px_s",
    "peak_brightness",
    "peak_snr",
    "confidence",
    "label",
    "frames",
    "width",
    "height",
    "clip",
    "composite",
    "note",
];

pub async fn csv(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = parse_query(&app, raw.as_deref(), EXPORT_MAX, EXPORT_MAX)?;
    // Records past the cache get a budget that grows with them (up to 30 timeouts, a minute
    // by default), so a long export of old nights is not cut to notes by the list's one.
    let page = read_page(&app, &q, 30).await;
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let written = w.write_record(COLUMNS).and_then(|()| {
        page.detections
            .iter()
            .rev()
            .try_for_each(|d| w.write_record(row(d)))
    });
    let body = written
        .map_err(|e| e.to_string())
        .and_then(|()| w.into_inner().map_err(|e| e.to_string()))
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let name = file_name(&app, raw.as_deref());
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert("x-total-count", page.total.into());
    if !page.incomplete.is_empty() {
        // Percent-encoded: a header carries ASCII only, and names may hold anything.
        let names: Vec<String> = page.incomplete.iter().map(|n| segment(n)).collect();
        if let Ok(v) = HeaderValue::from_str(&names.join(",")) {
            h.insert("x-incomplete-cameras", v);
        }
    }
    Ok(res)
}

/// One detection's row, in [`COLUMNS`] order; a missing value is an empty cell.
fn row(d: &Value) -> Vec<String> {
    let cell = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let field = |k: &str| cell(&d[k]);
    let mut notes: Vec<String> = ["record_error", "files_error"]
        .iter()
        .filter_map(|k| d[*k].as_str().map(str::to_string))
        .collect();
    if d["pruned"] == true {
        notes.push("files removed by retention".into());
    }
    vec![
        field("camera"),
        field("night"),
        field("id"),
        field("start_time"),
        field("end_time"),
        field("duration_s"),
        cell(&d["start_xy"][0]),
        cell(&d["start_xy"][1]),
        cell(&d["end_xy"][0]),
        cell(&d["end_xy"][1]),
        field("length_px"),
        field("speed_px_s"),
        field("peak_brightness"),
        field("peak_snr"),
        field("confidence"),
        field("label"),
        field("frames"),
        field("width"),
        field("height"),
        cell(&d["urls"]["clip"]),
        cell(&d["urls"]["composite"]),
        notes.join("; "),
    ]
}

/// `meteors_<night>_<camera>.csv`, with what the filters pinned (`meteors.csv` when nothing).
fn file_name(app: &App, raw: Option<&str>) -> String {
    let pairs = meteor_service::url_pairs(raw);
    let one = |k: &str| {
        let mut v = pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.as_str());
        match (v.next(), v.next()) {
            (Some(x), None) => Some(x),
            _ => None,
        }
    };
    let mut name = String::from("meteors");
    for part in [
        one("night"),
        one("camera").filter(|c| app.camera(c).is_some()),
    ]
    .into_iter()
    .flatten()
    {
        name.push('_');
        // A header value and a file name on any system: the rest becomes '-'.
        name.extend(part.chars().map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        }));
    }
    name + ".csv"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_row_has_every_column_and_empty_cells_for_what_is_missing() {
        let full = json!({
            "camera": "roof, east", "night": "2026-11-22", "id": "20261123_021701_ba8ada9f",
            "start_time": "2026-11-23T02:17:01.560Z", "end_time": "2026-11-23T02:17:02.080Z",
            "duration_s": 0.56, "start_xy": [1143.0, 505.5], "end_xy": [1036.0, 658.0],
            "length_px": 186.6, "speed_px_s": 333.2, "peak_brightness": 105.0,
            "peak_snr": 28.2, "confidence": 0.986, "label": "meteor", "frames": 14,
            "width": 1920, "height": 1080,
            "urls": {"clip": "/cameras/roof/files/meteor_x.mp4", "composite": null},
            "files_error": "disk full: composite"
        });
        let r = row(&full);
        assert_eq!(r.len(), COLUMNS.len());
        let at = |c: &str| r[COLUMNS.iter().position(|x| *x == c).unwrap()].as_str();
        assert_eq!(at("camera"), "roof, east");
        assert_eq!(at("start_x"), "1143.0");
        assert_eq!(at("start_y"), "505.5");
        assert_eq!(at("end_y"), "658.0");
        assert_eq!(at("frames"), "14");
        assert_eq!(at("clip"), "/cameras/roof/files/meteor_x.mp4");
        assert_eq!(at("composite"), "");
        assert_eq!(at("note"), "disk full: composite");

        let part = json!({
            "camera": "roof", "night": "2026-11-22", "id": "a", "start_time": "t",
            "confidence": 0.5, "label": null, "urls": {"clip": null},
            "record_error": "roof: worker offline (refused)", "pruned": true
        });
        let r = row(&part);
        assert_eq!(r.len(), COLUMNS.len());
        assert_eq!(
            r[COLUMNS.len() - 1],
            "roof: worker offline (refused); files removed by retention"
        );
        assert!(r[4..14].iter().all(String::is_empty), "{r:?}");
    }
}
