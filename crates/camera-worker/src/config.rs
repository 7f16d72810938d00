//! Command-line and environment configuration shared by the worker's commands: the
//! sensitivity preset, parameter overrides and the mask, resolved into validated settings.

use crate::detect::mask::MaskImage;
use clap::Args;
use meteor_core::{DetectionParams, Sensitivity, SettingsError};
use std::path::PathBuf;

/// Detection options, the same for files and cameras.
#[derive(Debug, Clone, Args)]
pub struct DetectionArgs {
    /// Sensitivity preset: low, medium, high, faint or fireball.
    #[arg(long, env = "SENSITIVITY", default_value = "medium")]
    pub sensitivity: String,
    /// Exclusion mask image: white = sky to watch, black = ignore.
    #[arg(long, env = "MASK_IMAGE")]
    pub mask: Option<PathBuf>,
    /// Share of the frame height ignored at the bottom (foreground, headlights), 0..0.9.
    #[arg(long, env = "EXCLUDE_BOTTOM")]
    pub exclude_bottom: Option<f32>,
    /// Share of the frame ignored along every edge, 0..0.45.
    #[arg(long, env = "EXCLUDE_EDGE")]
    pub exclude_edge: Option<f32>,
    /// Processing scale: 1 = full resolution, 0.5 = half (default), 0.25 = quarter.
    #[arg(long, env = "SCALE")]
    pub scale: Option<f32>,
    /// Override any detector parameter: --set k_sigma=4.5 (repeatable; see docs/detection.md).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub overrides: Vec<String>,
}

/// Validated detection settings.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub sensitivity: Sensitivity,
    pub params: DetectionParams,
    pub mask: Option<MaskImage>,
}

impl DetectionArgs {
    pub fn resolve(&self) -> anyhow::Result<Resolved> {
        let sensitivity: Sensitivity = self.sensitivity.parse()?;
        let mut params = sensitivity.params();
        let named = [
            ("exclude_bottom", self.exclude_bottom),
            ("exclude_edge", self.exclude_edge),
            ("scale", self.scale),
        ];
        for (field, value) in named {
            if let Some(v) = value {
                params.set_value(field, serde_json::json!(v))?;
            }
        }
        for o in &self.overrides {
            let (name, value) = o.split_once('=').ok_or_else(|| {
                SettingsError::new(
                    o.clone(),
                    "expected NAME=VALUE, for example --set k_sigma=4.5",
                )
            })?;
            params.set(name.trim(), value)?;
        }
        params.validate()?;
        let mask = self.mask.as_deref().map(MaskImage::load).transpose()?;
        Ok(Resolved {
            sensitivity,
            params,
            mask,
        })
    }
}
