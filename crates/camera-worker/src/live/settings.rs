//! The live worker's detection settings: the environment's values, with whatever was changed
//! over the API on top, kept in `<OUTPUT_DIR>/settings.json` so a change survives a restart.

use crate::detect::mask::MaskImage;
use meteor_core::{DetectionParams, Sensitivity, SettingsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE: &str = "settings.json";

/// What a person chooses; `DetectionParams` follow from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chosen {
    pub sensitivity: Sensitivity,
    pub scale: Option<f32>,
    pub exclude_bottom: Option<f32>,
    pub exclude_edge: Option<f32>,
    pub extract_clips: bool,
    /// Parameters on top of the preset, by name.
    #[serde(default)]
    pub overrides: BTreeMap<String, serde_json::Value>,
    /// Which exclusion mask is in force.
    #[serde(default)]
    pub mask: MaskSource,
}

/// Where the exclusion mask comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaskSource {
    /// MASK_IMAGE, when set.
    #[default]
    Environment,
    /// The mask made with `POST /mask`, kept as `<OUTPUT_DIR>/mask.png`.
    Api,
    /// No mask image (bottom and edge exclusions still apply).
    Off,
}

/// The file a mask made over the API is kept in.
pub const MASK_FILE: &str = "mask.png";

/// Where the masks can come from: MASK_IMAGE and the output directory.
#[derive(Debug, Clone)]
pub struct MaskPaths {
    pub environment: Option<PathBuf>,
    pub output: PathBuf,
}

impl MaskPaths {
    pub fn resolve(&self, source: MaskSource) -> Option<PathBuf> {
        match source {
            MaskSource::Environment => self.environment.clone(),
            MaskSource::Api => Some(self.output.join(MASK_FILE)),
            MaskSource::Off => None,
        }
    }
}

/// A change from the API: any subset of the fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    pub sensitivity: Option<String>,
    pub scale: Option<f32>,
    pub exclude_bottom: Option<f32>,
    pub exclude_edge: Option<f32>,
    pub extract_clips: Option<bool>,
    pub overrides: Option<BTreeMap<String, serde_json::Value>>,
}

/// Settings in force: the choice and the parameters it gives.
#[derive(Debug, Clone)]
pub struct Effective {
    pub chosen: Chosen,
    pub params: DetectionParams,
    pub mask: Option<MaskImage>,
    pub mask_path: Option<PathBuf>,
}

/// How `GET /settings` shows them.
#[derive(Debug, Serialize)]
pub struct View<'a> {
    pub sensitivity: Sensitivity,
    pub scale: f32,
    pub exclude_bottom: f32,
    pub exclude_edge: f32,
    pub extract_clips: bool,
    pub mask: Option<String>,
    pub mask_source: MaskSource,
    pub overrides: &'a BTreeMap<String, serde_json::Value>,
    pub params: DetectionParams,
}

impl Chosen {
    /// The parameters this choice gives, checked.
    pub fn params(&self) -> Result<DetectionParams, SettingsError> {
        let mut p = self.sensitivity.params();
        let named = [
            ("scale", self.scale),
            ("exclude_bottom", self.exclude_bottom),
            ("exclude_edge", self.exclude_edge),
        ];
        for (field, value) in named {
            if let Some(v) = value {
                p.set_value(field, serde_json::json!(v))?;
            }
        }
        for (field, value) in &self.overrides {
            p.set_value(field, value.clone())?;
        }
        p.validate()?;
        Ok(p)
    }

    /// This choice with `patch` applied; nothing changes unless all of it is valid.
    pub fn patched(&self, patch: &Patch) -> Result<Chosen, SettingsError> {
        let mut next = self.clone();
        if let Some(s) = &patch.sensitivity {
            next.sensitivity = s.parse()?;
        }
        if patch.scale.is_some() {
            next.scale = patch.scale;
        }
        if patch.exclude_bottom.is_some() {
            next.exclude_bottom = patch.exclude_bottom;
        }
        if patch.exclude_edge.is_some() {
            next.exclude_edge = patch.exclude_edge;
        }
        if let Some(c) = patch.extract_clips {
            next.extract_clips = c;
        }
        if let Some(o) = &patch.overrides {
            next.overrides = o.clone();
        }
        next.params()?;
        Ok(next)
    }
}

impl Effective {
    pub fn new(chosen: Chosen, masks: &MaskPaths) -> anyhow::Result<Effective> {
        let params = chosen.params()?;
        let mask_path = masks.resolve(chosen.mask);
        let mask = mask_path.as_deref().map(MaskImage::load).transpose()?;
        Ok(Effective {
            chosen,
            params,
            mask,
            mask_path,
        })
    }

    pub fn view(&self) -> View<'_> {
        View {
            sensitivity: self.chosen.sensitivity,
            scale: self.params.scale,
            exclude_bottom: self.params.exclude_bottom,
            exclude_edge: self.params.exclude_edge,
            extract_clips: self.chosen.extract_clips,
            mask: self.mask_path.as_ref().map(|p| p.display().to_string()),
            mask_source: self.chosen.mask,
            overrides: &self.chosen.overrides,
            params: self.params,
        }
    }
}

/// The saved choice in `dir`, if any. A file that does not parse is named in the error.
pub fn load(dir: &Path) -> anyhow::Result<Option<Chosen>> {
    let path = dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("{}: {e} (fix or remove the file)", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("{}: {e}", path.display())),
    }
}

/// Saves the choice atomically.
pub fn save(dir: &Path, chosen: &Chosen) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(chosen).map_err(std::io::Error::other)?;
    crate::store::write_bytes(&dir.join(FILE), &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Chosen {
        Chosen {
            sensitivity: Sensitivity::Medium,
            scale: None,
            exclude_bottom: Some(0.1),
            exclude_edge: None,
            extract_clips: true,
            overrides: BTreeMap::new(),
            mask: MaskSource::Environment,
        }
    }

    #[test]
    fn a_patch_applies_whole_or_not_at_all() {
        let b = base();
        let ok = b
            .patched(&Patch {
                sensitivity: Some("high".into()),
                overrides: Some([("k_sigma".to_string(), serde_json::json!(4.5))].into()),
                ..Patch::default()
            })
            .unwrap();
        assert_eq!(ok.sensitivity, Sensitivity::High);
        assert_eq!(ok.params().unwrap().k_sigma, 4.5);
        assert_eq!(ok.params().unwrap().exclude_bottom, 0.1);

        let err = b
            .patched(&Patch {
                sensitivity: Some("high".into()),
                scale: Some(3.0),
                ..Patch::default()
            })
            .unwrap_err();
        assert_eq!(err.field, "scale");
        let err = b
            .patched(&Patch {
                overrides: Some([("warp".to_string(), serde_json::json!(1))].into()),
                ..Patch::default()
            })
            .unwrap_err();
        assert_eq!(err.field, "warp");
    }

    #[test]
    fn saved_settings_round_trip_and_bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_none());
        let mut c = base();
        c.extract_clips = false;
        save(dir.path(), &c).unwrap();
        assert_eq!(load(dir.path()).unwrap(), Some(c));
        std::fs::write(dir.path().join(FILE), "{oops").unwrap();
        let e = load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("settings.json"), "{e}");
    }
}
