//! Detection settings: the named sensitivity presets, per-parameter overrides, and the
//! validation that refuses nonsense with the name of the offending field.
//!
//! Lengths and speeds are fractions of the frame diagonal ("diag") so one preset fits
//! every resolution: at 1280x720 one diag is 1469 px, at 1920x1080 it is 2203 px.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A setting that was refused: which field, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct SettingsError {
    pub field: String,
    pub reason: String,
}

impl SettingsError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        SettingsError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Sensitivity {
    Low,
    #[default]
    Medium,
    High,
    /// Faint meteors: a lower threshold, paid for with more evidence per track.
    Faint,
    /// Only bright events: a high threshold and large, long tracks.
    Fireball,
}

impl Sensitivity {
    pub const ALL: [Sensitivity; 5] = [
        Sensitivity::Low,
        Sensitivity::Medium,
        Sensitivity::High,
        Sensitivity::Faint,
        Sensitivity::Fireball,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Sensitivity::Low => "low",
            Sensitivity::Medium => "medium",
            Sensitivity::High => "high",
            Sensitivity::Faint => "faint",
            Sensitivity::Fireball => "fireball",
        }
    }

    /// The preset's parameters.
    pub fn params(self) -> DetectionParams {
        let medium = DetectionParams::default();
        match self {
            Sensitivity::Medium => medium,
            Sensitivity::Low => DetectionParams {
                k_sigma: 5.0,
                min_threshold: 5.0,
                min_frames: 5,
                min_length: 0.03,
                min_confidence: 0.75,
                ..medium
            },
            Sensitivity::High => DetectionParams {
                k_sigma: 3.5,
                min_threshold: 2.0,
                min_frames: 3,
                min_confidence: 0.6,
                ..medium
            },
            Sensitivity::Faint => DetectionParams {
                k_sigma: 3.0,
                min_threshold: 2.0,
                min_area: 1,
                min_frames: 4,
                min_confidence: 0.55,
                ..medium
            },
            Sensitivity::Fireball => DetectionParams {
                k_sigma: 8.0,
                min_threshold: 20.0,
                min_area: 6,
                min_frames: 4,
                min_length: 0.05,
                min_confidence: 0.6,
                ..medium
            },
        }
    }
}

impl fmt::Display for Sensitivity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Sensitivity {
    type Err = SettingsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sensitivity::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                SettingsError::new(
                    "sensitivity",
                    format!("unknown preset {s:?}; use one of low, medium, high, faint, fireball"),
                )
            })
    }
}

/// Every tunable of the detector. `Sensitivity::params` gives the presets; any field can be
/// overridden by name (`DetectionParams::set`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectionParams {
    /// A pixel is "changed" when it is this many noise standard deviations above the background.
    pub k_sigma: f32,
    /// Floor of that threshold in 8-bit luma units, so noise-free (compression-smoothed)
    /// skies do not flood with changed pixels.
    pub min_threshold: f32,
    /// Smallest connected region of changed pixels kept as a candidate, in processing pixels.
    pub min_area: u32,
    /// Share of the frame changing at once that makes the frame a flash (lightning, gain jump).
    pub flash_ratio: f32,
    /// Seconds after a flash during which no new candidates are taken.
    pub flash_holdoff_s: f32,
    /// New candidates in one frame (well above the usual count) that make it a scene cut:
    /// the camera switching its day/night profile or IR filter, an encoder glitch, a looped
    /// recording's seam. No shower lights that many trails at once; handled like a flash.
    pub scene_cut_candidates: u32,
    /// Time constant of the background model, in seconds.
    pub background_s: f32,
    /// Longest gap, in seconds, that still joins two sightings into one track.
    pub max_gap_s: f32,
    /// Fewest frames a meteor must be seen in.
    pub min_frames: u32,
    /// Shortest path of a meteor, as a fraction of the frame diagonal.
    pub min_length: f32,
    /// Slowest meteor, in frame diagonals per second.
    pub min_speed: f32,
    /// Fastest meteor, in frame diagonals per second.
    pub max_speed: f32,
    /// Longest meteor, in seconds; longer tracks are satellites or planes.
    pub max_duration_s: f32,
    /// Largest RMS distance of the track's points from its fitted line, as a fraction of
    /// its length, on top of 1 px (curved and erratic paths are insects, birds, bats).
    pub max_residual: f32,
    /// Events below this confidence are not saved.
    pub min_confidence: f32,
    /// Share of the frame height, from the bottom, that is ignored (foreground, headlights).
    pub exclude_bottom: f32,
    /// Share of the width and height ignored along each edge of the frame.
    pub exclude_edge: f32,
    /// Processing scale: 1 = full resolution, 0.5 = half (fast, and averages noise away).
    pub scale: f32,
    /// Seconds of video kept in the clip before the meteor and after it.
    pub clip_before_s: f32,
    pub clip_after_s: f32,
}

impl Default for DetectionParams {
    fn default() -> Self {
        DetectionParams {
            k_sigma: 4.0,
            min_threshold: 2.0,
            min_area: 2,
            flash_ratio: 0.10,
            flash_holdoff_s: 0.5,
            scene_cut_candidates: 10,
            background_s: 1.5,
            max_gap_s: 0.5,
            min_frames: 3,
            min_length: 0.008,
            min_speed: 0.01,
            max_speed: 4.0,
            max_duration_s: 8.0,
            max_residual: 0.005,
            min_confidence: 0.65,
            exclude_bottom: 0.0,
            exclude_edge: 0.0,
            scale: 0.5,
            clip_before_s: 1.0,
            clip_after_s: 1.0,
        }
    }
}

impl DetectionParams {
    /// Names of every parameter, in declaration order.
    pub fn field_names() -> Vec<String> {
        match serde_json::to_value(DetectionParams::default()) {
            Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// Overrides one parameter by name, from its text form (`k_sigma`, `"4.5"`).
    pub fn set(&mut self, field: &str, value: &str) -> Result<(), SettingsError> {
        let parsed: serde_json::Value = serde_json::from_str(value.trim())
            .map_err(|_| SettingsError::new(field, format!("{value:?} is not a number")))?;
        self.set_value(field, parsed)
    }

    /// Overrides one parameter by name from a JSON value; validates the result.
    pub fn set_value(
        &mut self,
        field: &str,
        value: serde_json::Value,
    ) -> Result<(), SettingsError> {
        let mut map = match serde_json::to_value(*self) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => unreachable!("DetectionParams serializes to an object"),
        };
        if !map.contains_key(field) {
            return Err(SettingsError::new(
                field,
                format!(
                    "unknown parameter; known: {}",
                    DetectionParams::field_names().join(", ")
                ),
            ));
        }
        map.insert(field.to_string(), value.clone());
        let next: DetectionParams = serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|_| SettingsError::new(field, format!("{value} is not a valid value")))?;
        next.validate()?;
        *self = next;
        Ok(())
    }

    /// Refuses values the detector cannot work with, naming the field.
    pub fn validate(&self) -> Result<(), SettingsError> {
        fn finite_pos(field: &str, v: f32) -> Result<(), SettingsError> {
            if !v.is_finite() || v <= 0.0 {
                return Err(SettingsError::new(
                    field,
                    format!("must be greater than 0 (got {v})"),
                ));
            }
            Ok(())
        }
        fn non_neg(field: &str, v: f32) -> Result<(), SettingsError> {
            if !v.is_finite() || v < 0.0 {
                return Err(SettingsError::new(
                    field,
                    format!("must not be negative (got {v})"),
                ));
            }
            Ok(())
        }
        fn ratio(field: &str, v: f32, max: f32) -> Result<(), SettingsError> {
            if !v.is_finite() || !(0.0..=max).contains(&v) {
                return Err(SettingsError::new(
                    field,
                    format!("must be between 0 and {max} (got {v})"),
                ));
            }
            Ok(())
        }
        finite_pos("k_sigma", self.k_sigma)?;
        ratio("min_threshold", self.min_threshold, 255.0)?;
        if self.min_area == 0 {
            return Err(SettingsError::new("min_area", "must be at least 1"));
        }
        ratio("flash_ratio", self.flash_ratio, 1.0)?;
        finite_pos("flash_ratio", self.flash_ratio)?;
        non_neg("flash_holdoff_s", self.flash_holdoff_s)?;
        if self.scene_cut_candidates < 2 {
            return Err(SettingsError::new(
                "scene_cut_candidates",
                "must be 2 or more (a single new trail is what a meteor is)",
            ));
        }
        finite_pos("background_s", self.background_s)?;
        non_neg("max_gap_s", self.max_gap_s)?;
        if self.min_frames < 2 {
            return Err(SettingsError::new("min_frames", "must be at least 2"));
        }
        ratio("min_length", self.min_length, 1.0)?;
        non_neg("min_speed", self.min_speed)?;
        finite_pos("max_speed", self.max_speed)?;
        if self.min_speed >= self.max_speed {
            return Err(SettingsError::new(
                "min_speed",
                format!(
                    "must be below max_speed ({} >= {})",
                    self.min_speed, self.max_speed
                ),
            ));
        }
        finite_pos("max_duration_s", self.max_duration_s)?;
        finite_pos("max_residual", self.max_residual)?;
        ratio("min_confidence", self.min_confidence, 1.0)?;
        ratio("exclude_bottom", self.exclude_bottom, 0.9)?;
        ratio("exclude_edge", self.exclude_edge, 0.45)?;
        if !self.scale.is_finite() || self.scale < 0.1 || self.scale > 1.0 {
            return Err(SettingsError::new(
                "scale",
                format!("must be between 0.1 and 1 (got {})", self.scale),
            ));
        }
        non_neg("clip_before_s", self.clip_before_s)?;
        non_neg("clip_after_s", self.clip_after_s)?;
        if self.clip_before_s > 30.0 || self.clip_after_s > 30.0 {
            return Err(SettingsError::new(
                "clip_before_s",
                "clip margins are limited to 30 s",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid() {
        for p in Sensitivity::ALL {
            p.params().validate().unwrap_or_else(|e| panic!("{p}: {e}"));
        }
    }

    #[test]
    fn presets_parse_by_name() {
        assert_eq!("Faint".parse::<Sensitivity>().unwrap(), Sensitivity::Faint);
        let e = "loud".parse::<Sensitivity>().unwrap_err();
        assert_eq!(e.field, "sensitivity");
    }

    #[test]
    fn override_names_the_field() {
        let mut p = DetectionParams::default();
        p.set("k_sigma", "4.5").unwrap();
        assert_eq!(p.k_sigma, 4.5);
        assert_eq!(
            p.set("exclude_bottom", "1.5").unwrap_err().field,
            "exclude_bottom"
        );
        assert_eq!(p.set("max_gap_s", "-1").unwrap_err().field, "max_gap_s");
        assert_eq!(p.set("min_speed", "9").unwrap_err().field, "min_speed");
        assert_eq!(p.set("nonsense", "1").unwrap_err().field, "nonsense");
        assert_eq!(p.set("k_sigma", "abc").unwrap_err().field, "k_sigma");
        // A refused override leaves the parameters as they were.
        assert_eq!(p.k_sigma, 4.5);
        assert_eq!(p.exclude_bottom, 0.0);
    }
}
