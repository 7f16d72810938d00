//! The exclusion mask: where the detector does not look. Built from an image file (white =
//! sky to watch, black = ignore; any size, it is rescaled) and the bottom and edge ratios.

use opencv::core::{Mat, Rect, Scalar, Size, CV_8UC1};
use opencv::imgproc;
use opencv::prelude::*;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum MaskError {
    #[error("{0}: mask image not found")]
    NotFound(PathBuf),
    #[error("{0}: not an image OpenCV can read (use PNG, JPEG or BMP)")]
    Unreadable(PathBuf),
    #[error("{0}: the mask excludes the whole frame; white marks the sky to watch")]
    Empty(PathBuf),
    #[error("mask: {0}")]
    OpenCv(#[from] opencv::Error),
}

/// A mask image loaded once and applied to any frame size.
#[derive(Clone)]
pub struct MaskImage {
    path: PathBuf,
    image: Mat,
}

impl std::fmt::Debug for MaskImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MaskImage({})", self.path.display())
    }
}

impl MaskImage {
    pub fn load(path: &Path) -> Result<MaskImage, MaskError> {
        if !path.exists() {
            return Err(MaskError::NotFound(path.to_path_buf()));
        }
        let image = crate::picture::read_gray(path)
            .map_err(|_| MaskError::Unreadable(path.to_path_buf()))?;
        if image.empty() {
            return Err(MaskError::Unreadable(path.to_path_buf()));
        }
        if opencv::core::count_non_zero(&image)? == 0 {
            return Err(MaskError::Empty(path.to_path_buf()));
        }
        Ok(MaskImage {
            path: path.to_path_buf(),
            image,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Width and height of the image as loaded (`build` rescales it to any frame size).
    pub fn size(&self) -> (u32, u32) {
        (self.image.cols() as u32, self.image.rows() as u32)
    }
}

/// Builds the keep-mask (255 = watch, 0 = ignore) at `size`.
pub fn build(
    size: Size,
    image: Option<&MaskImage>,
    exclude_bottom: f32,
    exclude_edge: f32,
) -> Result<Mat, MaskError> {
    let mut keep = Mat::new_size_with_default(size, CV_8UC1, Scalar::all(255.0))?;
    if let Some(img) = image {
        let mut scaled = Mat::default();
        imgproc::resize(
            &img.image,
            &mut scaled,
            size,
            0.0,
            0.0,
            imgproc::INTER_NEAREST,
        )?;
        imgproc::threshold(&scaled, &mut keep, 127.0, 255.0, imgproc::THRESH_BINARY)?;
    }
    let (w, h) = (size.width, size.height);
    let bottom = ((h as f32) * exclude_bottom).round() as i32;
    let ex = ((w as f32) * exclude_edge).round() as i32;
    let ey = ((h as f32) * exclude_edge).round() as i32;
    let black = Scalar::all(0.0);
    let mut fill = |r: Rect| -> opencv::Result<()> {
        if r.width > 0 && r.height > 0 {
            imgproc::rectangle(&mut keep, r, black, imgproc::FILLED, imgproc::LINE_8, 0)?;
        }
        Ok(())
    };
    fill(Rect::new(0, h - bottom, w, bottom))?;
    fill(Rect::new(0, 0, w, ey))?;
    fill(Rect::new(0, h - ey, w, ey))?;
    fill(Rect::new(0, 0, ex, h))?;
    fill(Rect::new(w - ex, 0, ex, h))?;
    Ok(keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_black_out_bottom_and_edges() {
        let m = build(Size::new(100, 50), None, 0.2, 0.1).unwrap();
        let at = |x, y| *m.at_2d::<u8>(y, x).unwrap();
        assert_eq!(at(50, 20), 255);
        assert_eq!(at(50, 45), 0, "bottom 20% = rows 40..50");
        assert_eq!(at(50, 39), 255);
        assert_eq!(at(5, 20), 0, "left edge 10%");
        assert_eq!(at(95, 20), 0, "right edge");
        assert_eq!(at(50, 2), 0, "top edge 10% of height");
    }

    #[test]
    fn image_masks_are_rescaled_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mask.png");
        let mut img =
            Mat::new_size_with_default(Size::new(20, 10), CV_8UC1, Scalar::all(0.0)).unwrap();
        imgproc::rectangle(
            &mut img,
            Rect::new(0, 0, 10, 10),
            Scalar::all(255.0),
            imgproc::FILLED,
            imgproc::LINE_8,
            0,
        )
        .unwrap();
        std::fs::write(&path, crate::picture::png(&img).unwrap()).unwrap();
        let mask = MaskImage::load(&path).unwrap();
        assert_eq!(mask.size(), (20, 10));
        let m = build(Size::new(200, 100), Some(&mask), 0.0, 0.0).unwrap();
        assert_eq!(*m.at_2d::<u8>(50, 50).unwrap(), 255);
        assert_eq!(*m.at_2d::<u8>(50, 150).unwrap(), 0);

        let missing = MaskImage::load(&dir.path().join("nope.png")).err().unwrap();
        assert!(missing.to_string().contains("nope.png"), "{missing}");
        let text = dir.path().join("notes.png");
        std::fs::write(&text, "not an image").unwrap();
        assert!(matches!(
            MaskImage::load(&text),
            Err(MaskError::Unreadable(_))
        ));
    }
}
