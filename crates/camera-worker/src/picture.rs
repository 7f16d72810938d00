//! Image files in and out: JPEG and PNG encoding of OpenCV images, and reading a mask
//! image as 8-bit grey. Done with the `image` crate rather than OpenCV's imgcodecs, whose
//! shared library pulls GDAL, Poppler, GDCM and more into every worker (155 linked
//! libraries instead of 41, all mapped into each camera's process for nothing it uses).
//!
//! Colour images are RGB, the order image files store, not OpenCV's usual BGR: the worker's
//! one colour image, the marked composite, is drawn in RGB so that encoding it copies nothing.

use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageEncoder};
use opencv::core::{self, Mat};
use opencv::prelude::*;
use std::borrow::Cow;
use std::path::Path;

fn cv_error(e: impl std::fmt::Display) -> opencv::Error {
    opencv::Error::new(core::StsError, e.to_string())
}

/// The pixels of an 8-bit grey or RGB image, tightly packed: borrowed when the Mat already
/// is (a copy of a 1080p colour image is 6 MB more at the moment an event is written).
fn packed(img: &Mat) -> opencv::Result<(Cow<'_, [u8]>, ExtendedColorType)> {
    let color = match img.channels() {
        1 => ExtendedColorType::L8,
        3 => ExtendedColorType::Rgb8,
        n => return Err(cv_error(format!("cannot encode an image of {n} channels"))),
    };
    if img.is_continuous() {
        return Ok((Cow::Borrowed(img.data_bytes()?), color));
    }
    // Padded rows (a decoder's stride): copied once, row by row (a single row is contiguous).
    let mut bytes = Vec::with_capacity(img.total() * img.channels() as usize);
    for r in 0..img.rows() {
        bytes.extend_from_slice(img.row(r)?.data_bytes()?);
    }
    Ok((Cow::Owned(bytes), color))
}

/// JPEG bytes of an 8-bit grey or RGB image.
pub fn jpeg(img: &Mat, quality: u8) -> opencv::Result<Vec<u8>> {
    let (bytes, color) = packed(img)?;
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(&bytes, img.cols() as u32, img.rows() as u32, color)
        .map_err(cv_error)?;
    Ok(out)
}

/// PNG bytes of an 8-bit grey or RGB image.
pub fn png(img: &Mat) -> opencv::Result<Vec<u8>> {
    let (bytes, color) = packed(img)?;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&bytes, img.cols() as u32, img.rows() as u32, color)
        .map_err(cv_error)?;
    Ok(out)
}

/// An image file (PNG, JPEG...) as an 8-bit grey Mat.
pub fn read_gray(path: &Path) -> Result<Mat, String> {
    let img = image::open(path).map_err(|e| e.to_string())?.to_luma8();
    let (w, h) = img.dimensions();
    let view = Mat::new_rows_cols_with_data(h as i32, w as i32, img.as_raw())
        .map_err(|e| e.to_string())?;
    view.try_clone().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencv::core::{Scalar, CV_8UC1, CV_8UC3};

    #[test]
    fn grey_and_colour_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let grey = Mat::new_rows_cols_with_default(4, 6, CV_8UC1, Scalar::all(200.0)).unwrap();
        let p = dir.path().join("g.png");
        std::fs::write(&p, png(&grey).unwrap()).unwrap();
        let back = read_gray(&p).unwrap();
        assert_eq!((back.rows(), back.cols()), (4, 6));
        assert_eq!(*back.at_2d::<u8>(3, 5).unwrap(), 200);
        // Blue in RGB stays blue in the JPEG.
        let blue =
            Mat::new_rows_cols_with_default(8, 8, CV_8UC3, Scalar::new(0.0, 0.0, 255.0, 0.0))
                .unwrap();
        let decoded = image::load_from_memory(&jpeg(&blue, 92).unwrap())
            .unwrap()
            .to_rgb8();
        let px = decoded.get_pixel(4, 4).0;
        assert!(px[2] > 200 && px[0] < 50, "{px:?}");
        // A frame whose rows are padded (a decoder's stride) encodes by its pixels only.
        let mut data = vec![0u8; 5 * 8];
        for row in data.chunks_mut(8) {
            row[..5].fill(120);
        }
        // SAFETY: `data` outlives `padded`, which is only read.
        let padded = unsafe {
            Mat::new_rows_cols_with_data_unsafe(5, 5, CV_8UC1, data.as_mut_ptr().cast(), 8)
        }
        .unwrap();
        assert!(!padded.is_continuous());
        let decoded = image::load_from_memory(&png(&padded).unwrap())
            .unwrap()
            .to_luma8();
        assert_eq!(decoded.dimensions(), (5, 5));
        assert!(decoded.pixels().all(|p| p.0[0] == 120));
    }
}
