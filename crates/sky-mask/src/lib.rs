//! Finding the sky in a photo of a camera's view, for its exclusion mask (shared by
//! compose-gen, which builds masks from daytime photos at generation time, and the worker's
//! `POST /mask`).
//!
//! Sky is bright, smooth and often bluish; ground, trees
//! and buildings are darker and textured. On a copy at most 320 pixels wide the sky is grown
//! from the top rows through smooth, bright-enough pixels (no big brightness steps), small
//! holes in it are filled, the rest is widened by a margin, and the result is scaled back to
//! the photo's size: white = sky to watch, black = ignore.

use image::imageops::{self, FilterType};
use image::{GrayImage, Luma, RgbImage};
use std::collections::VecDeque;

/// Longest side of the working copy.
const WORK_SIZE: u32 = 320;
/// Mean gradient (of 0..1 luminance, per working pixel) above which a pixel is texture.
const MAX_TEXTURE: f32 = 0.035;
/// Largest brightness step between neighbouring sky pixels.
const MAX_STEP: f32 = 0.06;
/// Share of the top rows where the sky is seeded.
const SEED_ROWS: f32 = 0.05;
/// Holes in the sky smaller than this share of the image are filled (birds, wires).
const MAX_HOLE: f32 = 0.002;
/// Margin around what is not sky, as a share of the working width.
const MARGIN: f32 = 0.01;

/// The mask and how much of the frame is sky.
pub struct SkyMask {
    pub mask: GrayImage,
    pub sky_fraction: f32,
}

struct Planes {
    w: usize,
    h: usize,
    luma: Vec<f32>,
    blue: Vec<f32>,
    texture: Vec<f32>,
}

fn planes(img: &RgbImage) -> Planes {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut luma = vec![0f32; w * h];
    let mut blue = vec![0f32; w * h];
    for (i, p) in img.pixels().enumerate() {
        let [r, g, b] = p.0.map(|v| f32::from(v) / 255.0);
        luma[i] = 0.299 * r + 0.587 * g + 0.114 * b;
        blue[i] = b - r.max(g);
    }
    // Sobel gradient magnitude, then its mean over a 5x5 box (integral image).
    let at = |x: isize, y: isize| {
        let x = x.clamp(0, w as isize - 1) as usize;
        let y = y.clamp(0, h as isize - 1) as usize;
        luma[y * w + x]
    };
    let mut grad = vec![0f32; w * h];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let gx = at(x + 1, y - 1) + 2.0 * at(x + 1, y) + at(x + 1, y + 1)
                - at(x - 1, y - 1)
                - 2.0 * at(x - 1, y)
                - at(x - 1, y + 1);
            let gy = at(x - 1, y + 1) + 2.0 * at(x, y + 1) + at(x + 1, y + 1)
                - at(x - 1, y - 1)
                - 2.0 * at(x, y - 1)
                - at(x + 1, y - 1);
            grad[y as usize * w + x as usize] = (gx * gx + gy * gy).sqrt() / 8.0;
        }
    }
    let mut integral = vec![0f64; (w + 1) * (h + 1)];
    for y in 0..h {
        for x in 0..w {
            integral[(y + 1) * (w + 1) + x + 1] = f64::from(grad[y * w + x])
                + integral[y * (w + 1) + x + 1]
                + integral[(y + 1) * (w + 1) + x]
                - integral[y * (w + 1) + x];
        }
    }
    let mut texture = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(2), (x + 3).min(w));
            let (y0, y1) = (y.saturating_sub(2), (y + 3).min(h));
            let sum = integral[y1 * (w + 1) + x1]
                - integral[y0 * (w + 1) + x1]
                - integral[y1 * (w + 1) + x0]
                + integral[y0 * (w + 1) + x0];
            texture[y * w + x] = (sum / ((x1 - x0) * (y1 - y0)) as f64) as f32;
        }
    }
    Planes {
        w,
        h,
        luma,
        blue,
        texture,
    }
}

/// The 4-connected neighbours of pixel `i` in a `w` x `h` image.
fn neighbours(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    [
        (x > 0).then(|| i - 1),
        (x + 1 < w).then(|| i + 1),
        (y > 0).then(|| i - w),
        (y + 1 < h).then(|| i + w),
    ]
    .into_iter()
    .flatten()
}

/// Sky grown from the top rows; `None` when the top rows hold no smooth pixel at all.
fn grow(p: &Planes) -> Option<Vec<bool>> {
    let (w, h) = (p.w, p.h);
    let seed_rows = ((h as f32 * SEED_ROWS).ceil() as usize).clamp(1, h);
    let mut top: Vec<f32> = (0..seed_rows * w)
        .filter(|&i| p.texture[i] < MAX_TEXTURE)
        .map(|i| p.luma[i])
        .collect();
    if top.is_empty() {
        return None;
    }
    top.sort_by(f32::total_cmp);
    let reference = top[top.len() / 2];
    // Bright enough: near the sky's own brightness, or clearly blue and not dark.
    let min_luma = (0.6 * reference).max(0.25);
    let sky_like = |i: usize| {
        p.texture[i] < MAX_TEXTURE
            && (p.luma[i] >= min_luma || (p.blue[i] > 0.08 && p.luma[i] >= 0.15))
    };
    let mut sky = vec![false; w * h];
    let mut queue = VecDeque::new();
    for (i, seed) in sky.iter_mut().enumerate().take(seed_rows * w) {
        if sky_like(i) && p.luma[i] >= 0.8 * reference {
            *seed = true;
            queue.push_back(i);
        }
    }
    while let Some(i) = queue.pop_front() {
        for j in neighbours(i, w, h) {
            if !sky[j] && sky_like(j) && (p.luma[j] - p.luma[i]).abs() <= MAX_STEP {
                sky[j] = true;
                queue.push_back(j);
            }
        }
    }
    Some(sky)
}

/// Fills non-sky regions that are small and do not reach the bottom edge.
fn fill_holes(sky: &mut [bool], w: usize, h: usize) {
    let max_area = ((w * h) as f32 * MAX_HOLE).max(4.0) as usize;
    let mut seen = vec![false; w * h];
    for start in 0..w * h {
        if sky[start] || seen[start] {
            continue;
        }
        let mut region = vec![start];
        seen[start] = true;
        let mut k = 0;
        let mut reaches_bottom = false;
        while k < region.len() {
            let i = region[k];
            k += 1;
            reaches_bottom |= i / w + 1 == h;
            for j in neighbours(i, w, h) {
                if !sky[j] && !seen[j] {
                    seen[j] = true;
                    region.push(j);
                }
            }
        }
        if !reaches_bottom && region.len() <= max_area {
            for i in region {
                sky[i] = true;
            }
        }
    }
}

/// Widens what is not sky by `r` pixels (a square), in two separable passes.
fn widen_ground(sky: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let mut rows = vec![true; w * h];
    for y in 0..h {
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r).min(w - 1));
            rows[y * w + x] = (x0..=x1).all(|xx| sky[y * w + xx]);
        }
    }
    let mut out = vec![true; w * h];
    for y in 0..h {
        for x in 0..w {
            let (y0, y1) = (y.saturating_sub(r), (y + r).min(h - 1));
            out[y * w + x] = (y0..=y1).all(|yy| rows[yy * w + x]);
        }
    }
    out
}

/// Builds the mask for a daytime photo.
pub fn sky_mask(photo: &RgbImage) -> SkyMask {
    let (pw, ph) = photo.dimensions();
    let factor = (WORK_SIZE as f32 / pw.max(ph) as f32).min(1.0);
    let ww = ((pw as f32 * factor).round() as u32).max(1);
    let wh = ((ph as f32 * factor).round() as u32).max(1);
    let small = if (ww, wh) == (pw, ph) {
        photo.clone()
    } else {
        imageops::resize(photo, ww, wh, FilterType::Triangle)
    };
    let p = planes(&small);
    let (w, h) = (p.w, p.h);
    let Some(mut sky) = grow(&p) else {
        return SkyMask {
            mask: GrayImage::new(pw, ph),
            sky_fraction: 0.0,
        };
    };
    fill_holes(&mut sky, w, h);
    let margin = ((w as f32 * MARGIN).round() as usize).max(1);
    let sky = widen_ground(&sky, w, h, margin);
    let work = GrayImage::from_fn(ww, wh, |x, y| {
        Luma([if sky[y as usize * w + x as usize] {
            255
        } else {
            0
        }])
    });
    let mut mask = if (ww, wh) == (pw, ph) {
        work
    } else {
        imageops::resize(&work, pw, ph, FilterType::Triangle)
    };
    let mut white = 0u64;
    for px in mask.pixels_mut() {
        px.0[0] = if px.0[0] >= 128 { 255 } else { 0 };
        white += u64::from(px.0[0] == 255);
    }
    SkyMask {
        mask,
        sky_fraction: white as f32 / (u64::from(pw) * u64::from(ph)) as f32,
    }
}

pub mod example;
