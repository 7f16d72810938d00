//! Pixel primitives on an 8-bit luma frame: saturating additive gaussian points, motion
//! streaks (a segment with a gaussian cross-profile and an amplitude varying along it) and
//! elliptical blobs, optionally hidden behind the foreground silhouette.

/// A luma plane being rendered (`stride` bytes between rows).
pub struct FrameBuf<'a> {
    pub data: &'a mut [u8],
    pub width: usize,
    pub height: usize,
    pub stride: usize,
}

/// Per-column first foreground row: sky objects are drawn only where `y < horizon[x]`.
pub type Horizon<'a> = Option<&'a [u16]>;

impl FrameBuf<'_> {
    /// Adds `v` (luma, >= 0) to pixel `(x, y)`, rounding and saturating at 255.
    #[inline]
    pub fn add(&mut self, x: usize, y: usize, v: f32) {
        let p = &mut self.data[y * self.stride + x];
        *p = (*p as f32 + v + 0.5).min(255.0) as u8;
    }

    #[inline]
    pub fn set(&mut self, x: usize, y: usize, v: u8) {
        self.data[y * self.stride + x] = v;
    }

    #[cfg(test)]
    pub fn get(&self, x: usize, y: usize) -> u8 {
        self.data[y * self.stride + x]
    }

    /// Clamped pixel bounding box `[x0, x1) x [y0, y1)` of `[lo, hi]`, or `None` if empty.
    fn bbox(&self, lo: [f64; 2], hi: [f64; 2]) -> Option<(usize, usize, usize, usize)> {
        let x0 = lo[0].floor().max(0.0);
        let y0 = lo[1].floor().max(0.0);
        let x1 = (hi[0].ceil() + 1.0).min(self.width as f64);
        let y1 = (hi[1].ceil() + 1.0).min(self.height as f64);
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        Some((x0 as usize, x1 as usize, y0 as usize, y1 as usize))
    }

    /// Draws a motion streak from `p0` to `p1`: every pixel gets
    /// `amp(u) * exp(-d^2 / 2 sigma^2)`, `d` being its distance to the segment and `u` the
    /// relative position (0..1) of its closest point on it; `amps` are samples of the
    /// amplitude evenly spaced along the segment, interpolated linearly.
    pub fn add_streak(
        &mut self,
        p0: [f64; 2],
        p1: [f64; 2],
        amps: &[f32],
        sigma: f64,
        horizon: Horizon,
    ) {
        if amps.is_empty() || amps.iter().all(|&a| a <= 0.0) {
            return;
        }
        let reach = 3.0 * sigma;
        let lo = [p0[0].min(p1[0]) - reach, p0[1].min(p1[1]) - reach];
        let hi = [p0[0].max(p1[0]) + reach, p0[1].max(p1[1]) + reach];
        let Some((x0, x1, y0, y1)) = self.bbox(lo, hi) else {
            return;
        };
        let (dx, dy) = ((p1[0] - p0[0]) as f32, (p1[1] - p0[1]) as f32);
        let len2 = dx * dx + dy * dy;
        let inv_len2 = if len2 > 1e-6 { 1.0 / len2 } else { 0.0 };
        let k = -0.5 / (sigma * sigma) as f32;
        let reach2 = (reach * reach) as f32;
        let last = (amps.len() - 1) as f32;
        for y in y0..y1 {
            let ry = y as f32 - p0[1] as f32;
            for x in x0..x1 {
                if let Some(h) = horizon {
                    if y >= h[x] as usize {
                        continue;
                    }
                }
                let rx = x as f32 - p0[0] as f32;
                let u = ((rx * dx + ry * dy) * inv_len2).clamp(0.0, 1.0);
                let (ex, ey) = (rx - u * dx, ry - u * dy);
                let d2 = ex * ex + ey * ey;
                if d2 > reach2 {
                    continue;
                }
                let pos = u * last;
                let i = (pos as usize).min(amps.len().saturating_sub(2));
                let a = if amps.len() == 1 {
                    amps[0]
                } else {
                    let f = pos - i as f32;
                    amps[i] + (amps[i + 1] - amps[i]) * f
                };
                let v = a * (k * d2).exp();
                if v > 0.05 {
                    self.add(x, y, v);
                }
            }
        }
    }

    /// A stationary gaussian point of peak `amp`.
    pub fn add_point(&mut self, c: [f64; 2], amp: f32, sigma: f64, horizon: Horizon) {
        self.add_streak(c, c, &[amp], sigma, horizon);
    }

    /// An axis-aligned elliptical gaussian blob (for glows), not occluded.
    pub fn add_blob(&mut self, c: [f64; 2], amp: f32, sx: f64, sy: f64) {
        if amp <= 0.0 {
            return;
        }
        let lo = [c[0] - 3.0 * sx, c[1] - 3.0 * sy];
        let hi = [c[0] + 3.0 * sx, c[1] + 3.0 * sy];
        let Some((x0, x1, y0, y1)) = self.bbox(lo, hi) else {
            return;
        };
        let (kx, ky) = (-0.5 / (sx * sx) as f32, -0.5 / (sy * sy) as f32);
        let col: Vec<f32> = (x0..x1)
            .map(|x| (kx * (x as f32 - c[0] as f32).powi(2)).exp())
            .collect();
        for y in y0..y1 {
            let ay = amp * (ky * (y as f32 - c[1] as f32).powi(2)).exp();
            if ay < 0.05 {
                continue;
            }
            for (x, &cx) in (x0..x1).zip(&col) {
                let v = ay * cx;
                if v > 0.05 {
                    self.add(x, y, v);
                }
            }
        }
    }
}

/// Distance from point `p` to segment `a`-`b`.
pub fn dist_to_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let u = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (p[0] - a[0] - u * dx, p[1] - a[1] - u * dy);
    (ex * ex + ey * ey).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streak_peaks_on_the_segment_and_saturates() {
        let mut data = vec![10u8; 64 * 64];
        let mut fb = FrameBuf {
            data: &mut data,
            width: 64,
            height: 64,
            stride: 64,
        };
        fb.add_streak([10.0, 20.0], [50.0, 20.0], &[30.0, 30.0], 1.0, None);
        assert_eq!(fb.get(30, 20), 40);
        assert!(fb.get(30, 22) < 16 && fb.get(30, 22) > 10);
        assert_eq!(fb.get(30, 30), 10);
        fb.add_point([5.0, 5.0], 400.0, 1.0, None);
        assert_eq!(fb.get(5, 5), 255);
    }

    #[test]
    fn horizon_hides_sky_objects() {
        let mut data = vec![0u8; 32 * 32];
        let horizon = vec![16u16; 32];
        let mut fb = FrameBuf {
            data: &mut data,
            width: 32,
            height: 32,
            stride: 32,
        };
        fb.add_streak([5.0, 10.0], [5.0, 25.0], &[100.0], 1.0, Some(&horizon));
        assert_eq!(fb.get(5, 12), 100);
        assert_eq!(fb.get(5, 20), 0);
    }

    #[test]
    fn segment_distance() {
        assert!((dist_to_segment([5.0, 3.0], [0.0, 0.0], [10.0, 0.0]) - 3.0).abs() < 1e-9);
        assert!((dist_to_segment([13.0, 4.0], [0.0, 0.0], [10.0, 0.0]) - 5.0).abs() < 1e-9);
        assert!((dist_to_segment([1.0, 1.0], [0.0, 0.0], [0.0, 0.0]) - 2f64.sqrt()).abs() < 1e-9);
    }
}
