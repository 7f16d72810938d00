//! Ground truth of a clip: what happened in it and when. The simulator writes it next to
//! every rendered clip; `../shared/data/real/*.truth.json` uses the same form.

use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Truth {
    /// File name of the clip the truth describes.
    pub source: String,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub duration_s: f64,
    #[serde(default)]
    pub frames: u64,
    /// Standard deviation of the sensor noise in 8-bit luma units (simulated clips only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_sigma: Option<f64>,
    /// Fraction of the frame height, from the bottom, that is foreground (ground, trees, roads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreground_ratio: Option<f64>,
    #[serde(default)]
    pub notes: String,
    pub events: Vec<TruthEvent>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TruthEvent {
    pub id: u32,
    /// `meteor`, or the distractor it is: `flash`, `plane`, `satellite`, `insect`, `bird`,
    /// `flicker`, `headlights`, `osd_clock`, `cloud`.
    #[serde(rename = "type")]
    pub kind: String,
    pub start_s: f64,
    pub end_s: f64,
    /// Full-resolution pixel position where the object starts and ends (null for flashes).
    pub start_xy: Option<[f64; 2]>,
    pub end_xy: Option<[f64; 2]>,
    /// Peak signal over the noise standard deviation (null where unknown).
    pub peak_snr: Option<f64>,
}

impl TruthEvent {
    pub fn is_meteor(&self) -> bool {
        self.kind == "meteor"
    }
}

impl Truth {
    pub fn load(path: &Path) -> Result<Truth, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}
