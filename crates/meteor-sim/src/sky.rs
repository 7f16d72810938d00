//! The static and slowly varying layers under every frame: the background image (sky
//! gradient brighter towards the horizon, light-pollution dome, moon glow and disk, dark
//! foreground with a ragged silhouette), the bank of precomputed gaussian noise frames, and
//! the drifting cloud texture. Values are kept in 1/16 luma units (`i16`) so the per-frame
//! combine pass is pure integer arithmetic.

use crate::rng::{fill_normal, stream_rng, uniform, SimRng, Stream};
use crate::spec::RenderSpec;
use rand::Rng;

/// Fixed-point scale of the layers: 16 units per luma level.
pub const FP: f32 = 16.0;
/// Number of precomputed noise frames.
pub const NOISE_BANK: usize = 8;

pub struct Sky {
    /// Background in 1/16 luma, `width * height`.
    pub base: Vec<i16>,
    /// Per column, the first foreground row (`height` where there is none).
    pub horizon: Vec<u16>,
    /// First row containing any foreground.
    pub fg_top: usize,
    /// First row that is foreground in every column.
    pub fg_full: usize,
    /// Moon centre and disk radius, when the moon is on.
    pub moon: Option<([f64; 2], f64)>,
}

impl Sky {
    pub fn new(spec: &RenderSpec) -> Sky {
        let (w, h) = (spec.width as usize, spec.height as usize);
        let s = spec.scale();
        let mut rng = stream_rng(spec.seed, Stream::Sky, 0);
        let horizon = silhouette(spec, &mut rng);
        let fg_top = *horizon.iter().min().unwrap_or(&(h as u16)) as usize;
        let fg_full = *horizon.iter().max().unwrap_or(&(h as u16)) as usize;
        let sigma = spec.noise_sigma;
        let top = uniform(&mut rng, 13.0, 17.0).max(3.0 * sigma + 5.0);
        let horizon_glow = uniform(&mut rng, 16.0, 26.0);
        let sky_h = (h as f64 * (1.0 - spec.background.foreground_ratio)).max(1.0);
        let dome_x = uniform(&mut rng, 0.1, 0.9) * w as f64;
        let dome_w = uniform(&mut rng, 0.2, 0.45) * w as f64;
        let dome_amp = uniform(&mut rng, 3.0, 9.0);
        let moon = spec.background.moon.then(|| {
            let c = [
                uniform(&mut rng, 0.1, 0.9) * w as f64,
                uniform(&mut rng, -0.25, 0.3) * h as f64,
            ];
            (
                c,
                uniform(&mut rng, 9.0, 12.0) * s,
                uniform(&mut rng, 25.0, 45.0),
                uniform(&mut rng, 140.0, 220.0) * s,
            )
        });
        let fg_level = 6.0 + sigma;
        let mut base = vec![0i16; w * h];
        let dome: Vec<f64> = (0..w)
            .map(|x| dome_amp * (-0.5 * ((x as f64 - dome_x) / dome_w).powi(2)).exp())
            .collect();
        for y in 0..h {
            let fy = (y as f64 / sky_h).min(1.2);
            let sky_row = top + horizon_glow * fy * fy;
            let dome_k = fy.powi(3);
            for x in 0..w {
                let v = if y >= horizon[x] as usize {
                    fg_level + rng.random::<f64>() * 2.0
                } else {
                    let mut v = sky_row + dome[x] * dome_k;
                    if let Some((c, r, amp, r0)) = moon {
                        let d = ((x as f64 - c[0]).powi(2) + (y as f64 - c[1]).powi(2)).sqrt();
                        v += amp / (1.0 + (d / r0).powi(2));
                        // the disk, with a one-pixel soft edge
                        v += (250.0 - v).max(0.0) * (r + 0.5 - d).clamp(0.0, 1.0);
                    }
                    v
                };
                base[y * w + x] = (v.clamp(0.0, 255.0) as f32 * FP).round() as i16;
            }
        }
        Sky {
            base,
            horizon,
            fg_top,
            fg_full,
            moon: moon.map(|(c, r, _, _)| (c, r)),
        }
    }

    /// Background luma at a pixel (clamped to the frame).
    pub fn base_at(&self, w: usize, h: usize, p: [f64; 2]) -> f64 {
        let x = (p[0].round().max(0.0) as usize).min(w - 1);
        let y = (p[1].round().max(0.0) as usize).min(h - 1);
        self.base[y * w + x] as f64 / FP as f64
    }
}

/// Per-column first foreground row: rolling ground plus clumps of trees whose tops reach, but
/// never pass, the `foreground_ratio` line.
fn silhouette(spec: &RenderSpec, rng: &mut SimRng) -> Vec<u16> {
    let (w, h) = (spec.width as usize, spec.height as usize);
    let strip = spec.background.foreground_ratio * h as f64;
    if strip < 1.0 {
        return vec![h as u16; w];
    }
    let line = h as f64 - strip;
    let ground = line + 0.45 * strip;
    let (p1, p2) = (uniform(rng, 0.0, 6.3), uniform(rng, 0.0, 6.3));
    let mut top: Vec<f64> = (0..w)
        .map(|x| {
            let fx = x as f64 / w as f64;
            ground + 0.1 * strip * ((fx * 7.0 + p1).sin() + 0.5 * (fx * 23.0 + p2).sin())
        })
        .collect();
    let s = spec.scale();
    let clumps = (w as f64 / (90.0 * s)).ceil() as usize;
    for _ in 0..clumps {
        let cx = uniform(rng, 0.0, w as f64);
        let half = uniform(rng, 6.0, 40.0) * s;
        let height = uniform(rng, 0.3, 1.0) * (ground - line);
        let x0 = (cx - half).max(0.0) as usize;
        let x1 = ((cx + half) as usize).min(w - 1);
        for (x, t) in top.iter_mut().enumerate().take(x1 + 1).skip(x0) {
            let dx = (x as f64 - cx) / half;
            let crown =
                ground - height * (1.0 - dx * dx).max(0.0).sqrt() + uniform(rng, -1.5, 1.5) * s;
            *t = t.min(crown);
        }
    }
    top.iter()
        .map(|&t| t.round().clamp(line.ceil(), h as f64) as u16)
        .collect()
}

/// Precomputed frames of gaussian noise (1/16 luma units); a frame uses one of them at a random
/// row/column offset, which is far cheaper than drawing millions of normals per frame.
pub struct NoiseBank {
    pub frames: Vec<Vec<i16>>,
}

impl NoiseBank {
    pub fn new(spec: &RenderSpec) -> NoiseBank {
        let n = spec.width as usize * spec.height as usize;
        let k = spec.noise_sigma as f32 * FP;
        let frames = (0..NOISE_BANK)
            .map(|i| {
                let mut rng = stream_rng(spec.seed, Stream::Noise, i as u64);
                let mut buf = vec![0f32; n];
                fill_normal(&mut rng, &mut buf);
                buf.iter()
                    .map(|&v| (v * k).round().clamp(-32000.0, 32000.0) as i16)
                    .collect()
            })
            .collect();
        NoiseBank { frames }
    }
}

/// The longest a looped scene's clouds take to fade into the loop's start (a quarter of a
/// shorter loop).
const SEAM_FADE_S: f64 = 10.0;

/// Thin clouds: a soft texture, periodic in both directions, drifting at a constant velocity.
pub struct Clouds {
    /// Glow in 1/16 luma, `width * height`, periodic.
    pub tex: Vec<i16>,
    /// Glow (luma) of a fully dense cloud; density = tex / (glow * FP).
    pub glow: f64,
    pub velocity: [f64; 2],
    /// The loop's length when the scene is served as a loop (see [`Clouds::layers`]).
    loop_s: Option<f64>,
}

/// Where the texture is read at one time: the offsets of up to two drifting copies of it and
/// their weights (which add up to 1; the second is 0 outside a loop's seam fade).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CloudLayers {
    pub first: ((usize, usize), f32),
    pub second: ((usize, usize), f32),
}

impl Clouds {
    pub fn new(spec: &RenderSpec) -> Clouds {
        let (w, h) = (spec.width as usize, spec.height as usize);
        let s = spec.scale();
        let mut rng = stream_rng(spec.seed, Stream::Clouds, 0);
        let mut acc = vec![0f32; w * h];
        for (cell, weight) in [(320.0, 0.5f32), (160.0, 0.25), (80.0, 0.15), (40.0, 0.1)] {
            add_value_noise(&mut acc, w, h, cell * s, weight, &mut rng);
        }
        let glow = uniform(&mut rng, 5.0, 9.0) * if spec.background.moon { 1.8 } else { 1.0 };
        let thr = uniform(&mut rng, 0.4, 0.5) as f32;
        let k = glow as f32 * FP;
        let tex = acc
            .iter()
            .map(|&n| {
                let d = ((n - thr) / (1.0 - thr) * 2.0).clamp(0.0, 1.0);
                (d * d * (3.0 - 2.0 * d) * k).round() as i16
            })
            .collect();
        let speed = uniform(&mut rng, 5.0, 20.0) * s;
        let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
        let velocity = [sign * speed, uniform(&mut rng, -0.3, 0.3) * speed];
        Clouds {
            tex,
            glow,
            velocity,
            loop_s: None,
        }
    }

    /// Clouds for a scene played in a loop of `loop_s` seconds. Drifting clouds would jump
    /// back at every restart, all at once, which a detector sees as something moving (one
    /// false event per loop, at the frame's edge, on the quiet sky); instead, over the loop's
    /// last seconds they fade into the loop's first clouds, so its last frame leads into its
    /// first like any two frames.
    pub fn looped(mut self, loop_s: f64) -> Clouds {
        self.loop_s = Some(loop_s).filter(|d| *d > 0.0);
        self
    }

    /// The texture's copies at time `t`: the drift's offset, and in a loop's seam fade also
    /// the offset of `t` one loop earlier (the clouds the loop starts with, drifted on).
    pub fn layers(&self, w: usize, h: usize, t: f64) -> CloudLayers {
        let now = self.offset(w, h, t);
        let (earlier, a) = match self.loop_s {
            Some(d) => {
                let fade = SEAM_FADE_S.min(d / 4.0);
                let x = ((t - (d - fade)) / fade).clamp(0.0, 1.0);
                (self.offset(w, h, t - d), (x * x * (3.0 - 2.0 * x)) as f32)
            }
            None => (now, 0.0),
        };
        CloudLayers {
            first: (now, 1.0 - a),
            second: (earlier, a),
        }
    }

    /// Row `y` of the cloud glow that `layers` describe, as a slice and the column pixel 0
    /// reads: the texture's own row, or when two copies are blended, the blend made in
    /// `scratch` (read from column 0).
    pub fn row<'a>(
        &'a self,
        layers: &CloudLayers,
        w: usize,
        h: usize,
        y: usize,
        scratch: &'a mut Vec<i16>,
    ) -> (&'a [i16], usize) {
        let ((ox, oy), wa) = layers.first;
        let ((px, py), wb) = layers.second;
        let tex_row = |oy: usize| &self.tex[((y + oy) % h) * w..((y + oy) % h + 1) * w];
        if wb == 0.0 {
            return (tex_row(oy), ox);
        }
        let (ra, rb) = (tex_row(oy), tex_row(py));
        scratch.clear();
        scratch.extend(
            (0..w).map(|x| {
                (ra[(x + ox) % w] as f32 * wa + rb[(x + px) % w] as f32 * wb).round() as i16
            }),
        );
        (&scratch[..], 0)
    }

    /// Texture offset at time `t`: pixel `(x, y)` shows texel `((x + ox) % w, (y + oy) % h)`.
    pub fn offset(&self, w: usize, h: usize, t: f64) -> (usize, usize) {
        let ox = (-(self.velocity[0] * t).round()).rem_euclid(w as f64) as usize;
        let oy = (-(self.velocity[1] * t).round()).rem_euclid(h as f64) as usize;
        (ox % w, oy % h)
    }

    /// Cloud density (0..1) at a pixel at time `t`.
    pub fn density(&self, w: usize, h: usize, p: [f64; 2], t: f64) -> f64 {
        let x = (p[0].round().max(0.0) as usize).min(w - 1);
        let y = (p[1].round().max(0.0) as usize).min(h - 1);
        let l = self.layers(w, h, t);
        let texel = |((ox, oy), k): ((usize, usize), f32)| {
            self.tex[((y + oy) % h) * w + (x + ox) % w] as f64 * k as f64
        };
        (texel(l.first) + texel(l.second)) / (self.glow * FP as f64)
    }
}

/// Adds `weight * v` where `v` is smooth value noise on a lattice of about `cell` px that wraps
/// around the frame edges.
fn add_value_noise(acc: &mut [f32], w: usize, h: usize, cell: f64, weight: f32, rng: &mut SimRng) {
    let nx = ((w as f64 / cell).round() as usize).max(1);
    let ny = ((h as f64 / cell).round() as usize).max(1);
    let lattice: Vec<f32> = (0..nx * ny).map(|_| rng.random::<f32>()).collect();
    let smooth = |t: f32| t * t * (3.0 - 2.0 * t);
    let cols: Vec<(usize, usize, f32)> = (0..w)
        .map(|x| {
            let gx = x as f32 * nx as f32 / w as f32;
            let i = gx.floor() as usize % nx;
            (i, (i + 1) % nx, smooth(gx - gx.floor()))
        })
        .collect();
    for y in 0..h {
        let gy = y as f32 * ny as f32 / h as f32;
        let j = gy.floor() as usize % ny;
        let (r0, r1) = (
            &lattice[j * nx..(j + 1) * nx],
            &lattice[((j + 1) % ny) * nx..((j + 1) % ny + 1) * nx],
        );
        let fy = smooth(gy - gy.floor());
        let row = &mut acc[y * w..(y + 1) * w];
        for (a, &(i0, i1, fx)) in row.iter_mut().zip(&cols) {
            let top = r0[i0] + (r0[i1] - r0[i0]) * fx;
            let bot = r1[i0] + (r1[i1] - r1[i0]) * fx;
            *a += weight * (top + (bot - top) * fy);
        }
    }
}
