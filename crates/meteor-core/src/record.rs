//! The detection record: one JSON object a line in `<output>/<camera>/detections.jsonl`.
//! docs/detections.md documents every field; keep the two in step.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Detection {
    /// Unique id, also the stem of the event's files without the `meteor_` prefix:
    /// `YYYYMMDD_HHMMSS_<id8>`.
    pub id: String,
    pub camera: String,
    #[serde(with = "iso_millis")]
    pub start_time: DateTime<Utc>,
    #[serde(with = "iso_millis")]
    pub end_time: DateTime<Utc>,
    /// Seconds from the start of the source, from the frames' presentation timestamps.
    pub start_offset_s: f64,
    pub end_offset_s: f64,
    pub duration_s: f64,
    /// Full-resolution pixel positions of the first and last point of the track.
    pub start_xy: [f64; 2],
    pub end_xy: [f64; 2],
    pub length_px: f64,
    pub speed_px_s: f64,
    /// Peak brightness above the sky background, in 8-bit luma units.
    pub peak_brightness: f64,
    /// Peak brightness over the local noise standard deviation.
    pub peak_snr: f64,
    pub confidence: f64,
    pub sensitivity: String,
    /// Number of frames the meteor was seen in.
    pub frames: u32,
    pub width: u32,
    pub height: u32,
    /// File names, relative to the camera's output directory. `clip` is absent when clips
    /// are disabled or the clip could not be written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip: Option<String>,
    /// How the clip was made: `remux` (the camera's own compressed frames) or `encoded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_start_offset_s: Option<f64>,
    /// The clip's codec as /stats names it (`H.264`, `H.265`, ...), so a page knows whether
    /// a browser can play it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_codec: Option<String>,
    /// An H.264 rendition of an H.265 clip, for browsers. Made after the record is appended,
    /// so the worker's API adds it from an `annotations.jsonl` line (docs/detections.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_browser: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composite: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composite_original: Option<String>,
    /// Why some of the event's files are missing although it was recorded: the disk was
    /// full (below `MIN_FREE_MB`) or a write kept failing. Absent when every file was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_error: Option<String>,
    /// Track points `[offset_s, x, y]` in full-resolution pixels, for drawing and review.
    #[serde(default)]
    pub track: Vec<[f64; 3]>,
}

impl Detection {
    /// The stem shared by the event's files: `meteor_YYYYMMDD_HHMMSS_<id8>`.
    pub fn file_stem(&self) -> String {
        format!("meteor_{}", self.id)
    }

    /// The name of the clip's H.264 rendition for browsers: `meteor_<id>_browser.mp4`.
    pub fn browser_clip_name(&self) -> String {
        format!("{}_browser.mp4", self.file_stem())
    }

    /// Whether browsers need a rendition of the clip (its codec is H.265).
    pub fn needs_browser_clip(&self) -> bool {
        self.clip.is_some() && self.clip_codec.as_deref() == Some("H.265")
    }
}

/// ISO 8601 UTC with milliseconds, e.g. `2026-11-23T02:17:33.120Z`.
pub mod iso_millis {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}
