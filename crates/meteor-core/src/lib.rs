//! Types every meteor watch service agrees on: the detection record written to
//! `detections.jsonl`, the detection settings with their named presets, and the
//! ground-truth format the simulator writes and the quality scorer reads.

pub mod record;
pub mod settings;
pub mod truth;

pub use record::Detection;
pub use settings::{DetectionParams, Sensitivity, SettingsError};
pub use truth::{Truth, TruthEvent};
