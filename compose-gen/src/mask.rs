//! Camera masks built from daytime photos (`| daytime.jpg` in the streamers file), and the
//! rule that protects masks people edit: each generated `<name>.png` gets a sidecar
//! `<name>.png.generated` holding the hash of the bytes written. A PNG whose hash still matches
//! is regenerated; one that differs (edited by hand) or has no sidecar is kept as it is.

use crate::paths::write_atomic;
use image::{ImageFormat, ImageReader, RgbImage};
use std::path::{Path, PathBuf};

/// Less sky than this share of the frame means the photo is no daytime view of the sky.
const MIN_SKY: f32 = 0.01;

/// What happened to a camera's mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskAction {
    /// Written new (no PNG was there) or regenerated over an unedited one.
    Written { sky_percent: u32 },
    /// Kept: the PNG differs from what compose-gen wrote (edited by hand).
    KeptEdited,
    /// Kept: a PNG without a sidecar (not written by compose-gen).
    KeptForeign,
}

#[derive(Debug, thiserror::Error)]
pub enum MaskError {
    #[error("cannot read the daytime photo {path}: {why}")]
    Photo { path: String, why: String },
    #[error(
        "found no sky in the daytime photo {path} (is it a daytime picture from this camera?)"
    )]
    NoSky { path: String },
    #[error("cannot write the mask {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode the mask {path}: {source}")]
    Encode {
        path: String,
        #[source]
        source: image::ImageError,
    },
}

/// FNV-1a, 64 bits: enough to tell whether a file is still the one written.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `<png>.generated`.
pub fn sidecar_path(png: &Path) -> PathBuf {
    let mut s = png.as_os_str().to_owned();
    s.push(".generated");
    PathBuf::from(s)
}

fn sidecar_text(hash: u64) -> String {
    format!(
        "fnv1a64 {hash:016x}\n# Written by compose-gen with the mask beside it. While the mask \
         is unchanged compose-gen regenerates it;\n# once you edit the mask it is kept.\n"
    )
}

fn sidecar_hash(text: &str) -> Option<u64> {
    let first = text.lines().next()?;
    let hex = first.strip_prefix("fnv1a64 ")?;
    u64::from_str_radix(hex.trim(), 16).ok()
}

/// Loads a photo (JPEG or PNG, whatever its extension says).
pub fn load_photo(path: &Path) -> Result<RgbImage, MaskError> {
    let fail = |why: String| MaskError::Photo {
        path: path.display().to_string(),
        why,
    };
    let reader = ImageReader::open(path)
        .map_err(|e| fail(e.to_string()))?
        .with_guessed_format()
        .map_err(|e| fail(e.to_string()))?;
    let img = reader.decode().map_err(|e| fail(e.to_string()))?;
    Ok(img.to_rgb8())
}

/// Whether compose-gen may (re)write `png`: it is missing, or unchanged since it was written.
fn keep_existing(png: &Path) -> Result<Option<MaskAction>, MaskError> {
    let current = match std::fs::read(png) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(MaskError::Write {
                path: png.display().to_string(),
                source,
            })
        }
    };
    match std::fs::read_to_string(sidecar_path(png)) {
        Err(_) => Ok(Some(MaskAction::KeptForeign)),
        Ok(text) if sidecar_hash(&text) == Some(fnv1a64(&current)) => Ok(None),
        Ok(_) => Ok(Some(MaskAction::KeptEdited)),
    }
}

/// Makes sure `png` is a mask for the daytime `photo`: writes it (and its sidecar) unless a
/// hand-edited or foreign mask is there. The photo is always read, so a missing or broken one
/// is an error even then.
pub fn ensure_mask(photo: &Path, png: &Path) -> Result<MaskAction, MaskError> {
    let image = load_photo(photo)?;
    if let Some(kept) = keep_existing(png)? {
        return Ok(kept);
    }
    let built = sky_mask::sky_mask(&image);
    if built.sky_fraction < MIN_SKY {
        return Err(MaskError::NoSky {
            path: photo.display().to_string(),
        });
    }
    let mut bytes = Vec::new();
    built
        .mask
        .write_to(&mut std::io::Cursor::new(&mut bytes), ImageFormat::Png)
        .map_err(|source| MaskError::Encode {
            path: png.display().to_string(),
            source,
        })?;
    let fail = |source| MaskError::Write {
        path: png.display().to_string(),
        source,
    };
    // Readable by the containers' user, whoever runs compose-gen.
    write_atomic(png, &bytes, 0o644).map_err(fail)?;
    let sidecar = sidecar_text(fnv1a64(&bytes));
    write_atomic(&sidecar_path(png), sidecar.as_bytes(), 0o644).map_err(fail)?;
    Ok(MaskAction::Written {
        sky_percent: (built.sky_fraction * 100.0).round() as u32,
    })
}

#[cfg(test)]
mod tests;
