//! Point sources fixed on the sensor: stars (precomputed PSF stamps, scintillating from frame
//! to frame and dimmed by clouds) and hot pixels (some steady, a couple blinking).

use crate::draw::FrameBuf;
use crate::rng::{normal, stream_rng, uniform, SimRng, Stream};
use crate::sky::{Clouds, Sky};
use crate::spec::RenderSpec;
use rand::Rng;

struct Star {
    /// Top-left pixel of the stamp.
    x0: usize,
    y0: usize,
    size: usize,
    /// PSF weights (peak-normalised to the sub-pixel centre), `size * size`.
    stamp: Vec<f32>,
    centre: [f64; 2],
    amp: f32,
    /// Relative std dev of the per-frame brightness.
    scint: f32,
}

pub struct Stars {
    stars: Vec<Star>,
}

impl Stars {
    pub fn new(spec: &RenderSpec, sky: &Sky) -> Stars {
        let w = spec.width as usize;
        let mut rng = stream_rng(spec.seed, Stream::Stars, 0);
        let psf = spec.scale().clamp(0.8, 2.0);
        let sigma = spec.noise_sigma as f32;
        let sky_h = sky.fg_full.max(1) as f64;
        let count = rng.random_range(350..550);
        let mut stars = Vec::with_capacity(count);
        let mut tries = 0;
        while stars.len() < count && tries < count * 20 {
            tries += 1;
            let c = [
                uniform(&mut rng, 3.0, w as f64 - 4.0),
                uniform(&mut rng, 3.0, sky_h - 4.0),
            ];
            let (xi, yi) = (c[0].round() as usize, c[1].round() as usize);
            if yi + 4 >= sky.horizon[xi] as usize {
                continue;
            }
            if let Some((m, r)) = sky.moon {
                if (c[0] - m[0]).hypot(c[1] - m[1]) < r * 2.0 {
                    continue;
                }
            }
            let s = uniform(&mut rng, 0.8, 1.2) * psf;
            // Many faint stars, few bright ones.
            let u: f32 = rng.random::<f32>().max(1e-4);
            let amp = (1.5 * sigma * u.powf(-0.75)).min(240.0);
            let fy = (c[1] / sky_h) as f32;
            stars.push(make_star(c, s, amp, 0.04 + 0.1 * fy * fy));
        }
        Stars { stars }
    }

    pub fn len(&self) -> usize {
        self.stars.len()
    }

    /// Draws every star with its brightness for this frame (scintillation from `rng`, cloud
    /// transmission at time `t`).
    pub fn draw(
        &self,
        fb: &mut FrameBuf,
        rng: &mut SimRng,
        horizon: &[u16],
        clouds: Option<&Clouds>,
        t: f64,
    ) {
        let (w, h) = (fb.width, fb.height);
        for s in &self.stars {
            let mut k = (1.0 + s.scint * normal(rng) as f32).max(0.0);
            if let Some(c) = clouds {
                k *= 1.0 - 0.85 * c.density(w, h, s.centre, t) as f32;
            }
            let a = s.amp * k;
            if a < 0.2 {
                continue;
            }
            for j in 0..s.size {
                let y = s.y0 + j;
                if y >= h {
                    break;
                }
                for i in 0..s.size {
                    let x = s.x0 + i;
                    if x >= w || y >= horizon[x] as usize {
                        continue;
                    }
                    let v = a * s.stamp[j * s.size + i];
                    if v > 0.05 {
                        fb.add(x, y, v);
                    }
                }
            }
        }
    }
}

fn make_star(c: [f64; 2], sigma: f64, amp: f32, scint: f32) -> Star {
    let r = (3.0 * sigma).ceil() as usize;
    let size = 2 * r + 1;
    let x0 = (c[0].round() as usize).saturating_sub(r);
    let y0 = (c[1].round() as usize).saturating_sub(r);
    let k = -0.5 / (sigma * sigma);
    let mut stamp = Vec::with_capacity(size * size);
    for j in 0..size {
        for i in 0..size {
            let dx = (x0 + i) as f64 - c[0];
            let dy = (y0 + j) as f64 - c[1];
            stamp.push((k * (dx * dx + dy * dy)).exp() as f32);
        }
    }
    Star {
        x0,
        y0,
        size,
        stamp,
        centre: c,
        amp,
        scint,
    }
}

struct HotPixel {
    x: usize,
    y: usize,
    amp: f32,
    /// Probability of being lit in a frame (1 = steady).
    on_prob: f64,
}

pub struct HotPixels {
    pixels: Vec<HotPixel>,
}

impl HotPixels {
    pub fn new(spec: &RenderSpec) -> HotPixels {
        let (w, h) = (spec.width as usize, spec.height as usize);
        let mut rng = stream_rng(spec.seed, Stream::HotPixels, 0);
        let steady = rng.random_range(6..12);
        let pixels = (0..steady + 2)
            .map(|i| HotPixel {
                x: rng.random_range(0..w),
                y: rng.random_range(0..h),
                amp: if i % 3 == 0 {
                    uniform(&mut rng, 15.0, 35.0)
                } else {
                    uniform(&mut rng, 40.0, 200.0)
                } as f32,
                on_prob: if i >= steady {
                    uniform(&mut rng, 0.3, 0.6)
                } else {
                    1.0
                },
            })
            .collect();
        HotPixels { pixels }
    }

    /// (steady, blinking) counts.
    pub fn counts(&self) -> (usize, usize) {
        let blinking = self.pixels.iter().filter(|p| p.on_prob < 1.0).count();
        (self.pixels.len() - blinking, blinking)
    }

    pub fn draw(&self, fb: &mut FrameBuf, rng: &mut SimRng) {
        for p in &self.pixels {
            let lit = p.on_prob >= 1.0 || rng.random::<f64>() < p.on_prob;
            if lit {
                fb.add(p.x, p.y, p.amp);
            }
        }
    }
}
