//! [`Scene`]: a rendered night sky, frame by frame. Holds the precomputed layers of a
//! [`RenderSpec`] and renders any frame on demand (random access, `&self`, so a live server can
//! share one scene), and produces the clip's ground [`Truth`].
//!
//! A frame is one integer pass combining background, noise (a bank frame at a random offset),
//! cloud glow and lightning, followed by sparse additive drawing of stars, hot pixels and
//! events, and the OSD clock on top.

use crate::actors::{Actor, Ctx};
use crate::draw::FrameBuf;
use crate::error::SimError;
use crate::osd::Osd;
use crate::rng::{stream_rng, Stream};
use crate::sky::{Clouds, NoiseBank, Sky, FP, NOISE_BANK};
use crate::spec::RenderSpec;
use crate::stars::{HotPixels, Stars};
use meteor_core::{Truth, TruthEvent};
use rand::Rng;

pub struct Scene {
    spec: RenderSpec,
    width: usize,
    height: usize,
    sky: Sky,
    noise: NoiseBank,
    clouds: Option<Clouds>,
    stars: Option<Stars>,
    hot: Option<HotPixels>,
    osd: Option<Osd>,
    actors: Vec<Actor>,
}

impl Scene {
    pub fn new(spec: &RenderSpec) -> Result<Scene, SimError> {
        spec.validate()?;
        let (width, height) = (spec.width as usize, spec.height as usize);
        let started = std::time::Instant::now();
        let sky = Sky::new(spec);
        let bg = &spec.background;
        let scene = Scene {
            noise: NoiseBank::new(spec),
            clouds: bg.clouds.then(|| Clouds::new(spec)),
            stars: bg.stars.then(|| Stars::new(spec, &sky)),
            hot: bg.hot_pixels.then(|| HotPixels::new(spec)),
            osd: bg
                .osd_clock
                .then(|| Osd::new(width, height, spec.clock_start)),
            actors: spec.events.iter().map(Actor::new).collect(),
            sky,
            spec: spec.clone(),
            width,
            height,
        };
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "scene prepared"
        );
        Ok(scene)
    }

    pub fn spec(&self) -> &RenderSpec {
        &self.spec
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn frames(&self) -> u64 {
        self.spec.frames()
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            width: self.width,
            height: self.height,
            fps: self.spec.fps,
            duration_s: self.spec.frames() as f64 / self.spec.fps,
            noise_sigma: self.spec.noise_sigma,
            sky: &self.sky,
        }
    }

    /// The scene as a loop (frame `frames()` would be frame 0 again): what drifts fades
    /// into the loop's start before it ends, so restarting it moves nothing at once.
    pub fn looped(mut self) -> Scene {
        let loop_s = self.spec.frames() as f64 / self.spec.fps;
        self.clouds = self.clouds.map(|c| c.looped(loop_s));
        self
    }

    /// Renders frame `index` (exposure `[index/fps, (index+1)/fps)`) into `out`, resized to
    /// `width * height` luma bytes.
    pub fn render_frame(&self, index: u64, out: &mut Vec<u8>) {
        out.resize(self.width * self.height, 0);
        self.render_into(index, out, self.width);
    }

    /// Renders frame `index` into a luma plane with `stride` bytes per row.
    pub fn render_into(&self, index: u64, data: &mut [u8], stride: usize) {
        let (w, h) = (self.width, self.height);
        assert!(
            stride >= w && data.len() >= stride * (h - 1) + w,
            "luma plane too small"
        );
        let fps = self.spec.fps;
        let (t0, t1) = (index as f64 / fps, (index + 1) as f64 / fps);
        let mut rng = stream_rng(self.spec.seed, Stream::Frame, index);
        let bank = &self.noise.frames[rng.random_range(0..NOISE_BANK)];
        let (nox, noy) = (rng.random_range(0..w), rng.random_range(0..h));
        let mut flash = [0.0f64; 3];
        for f in self
            .actors
            .iter()
            .filter_map(|a| a.flash_field(t0, t1, w, h))
        {
            flash.iter_mut().zip(f).for_each(|(a, b)| *a += b);
        }
        let tm = 0.5 * (t0 + t1);
        let cloud_layers = self.clouds.as_ref().map(|c| c.layers(w, h, tm));
        let mut cloud_scratch = Vec::new();
        for y in 0..h {
            let out = &mut data[y * stride..y * stride + w];
            let base = &self.sky.base[y * w..(y + 1) * w];
            let ny = (y + noy) % h;
            let noise = &bank[ny * w..(ny + 1) * w];
            // flash in 1/16 luma with 8 fractional bits: value(x) = f0 + fx * x
            let scale = FP as f64 * 256.0;
            let f0 = ((flash[0] + flash[2] * y as f64) * scale) as i32;
            let fx = (flash[1] * scale) as i32;
            let cloud = match (&self.clouds, &cloud_layers) {
                (Some(c), Some(l)) if y < self.sky.fg_full => {
                    Some(c.row(l, w, h, y, &mut cloud_scratch))
                }
                _ => None,
            };
            let horizon = (y >= self.sky.fg_top).then_some(&self.sky.horizon[..]);
            combine_row(
                out,
                base,
                (noise, nox),
                cloud,
                horizon.map(|hz| (hz, y)),
                (f0, fx),
            );
        }
        let mut fb = FrameBuf {
            data,
            width: w,
            height: h,
            stride,
        };
        if let Some(stars) = &self.stars {
            stars.draw(
                &mut fb,
                &mut rng,
                &self.sky.horizon,
                self.clouds.as_ref(),
                tm,
            );
        }
        if let Some(hot) = &self.hot {
            hot.draw(&mut fb, &mut rng);
        }
        let ctx = self.ctx();
        for actor in &self.actors {
            actor.draw(&mut fb, t0, t1, &ctx);
        }
        if let Some(osd) = &self.osd {
            osd.draw(&mut fb, t0);
        }
    }

    /// The clip's ground truth; `source` is the clip's file name. Events are ordered by start
    /// time and numbered from 1; an object entering or leaving the frame (or the clip) has the
    /// time and position where it does so as its start or end. Events never visible are left
    /// out (with a warning).
    pub fn truth(&self, source: &str) -> Truth {
        let ctx = self.ctx();
        let sigma = self.spec.noise_sigma;
        let mut events = Vec::new();
        for (actor, spec) in self.actors.iter().zip(&self.spec.events) {
            match actor.truth(&ctx) {
                Some(e) => events.push(e),
                None => tracing::warn!(
                    kind = spec.kind(),
                    "event never visible in the clip: left out of the truth"
                ),
            }
        }
        let whole = |kind: &str, xy: Option<([f64; 2], [f64; 2])>, snr: Option<f64>| TruthEvent {
            id: 0,
            kind: kind.into(),
            start_s: 0.0,
            end_s: ctx.duration_s,
            start_xy: xy.map(|p| p.0),
            end_xy: xy.map(|p| p.1),
            peak_snr: snr,
        };
        if let Some(c) = &self.clouds {
            events.push(whole(
                "cloud",
                None,
                Some((c.glow / sigma * 100.0).round() / 100.0),
            ));
        }
        if let Some(o) = &self.osd {
            events.push(whole("osd_clock", Some(o.bbox()), None));
        }
        events.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        for (i, e) in events.iter_mut().enumerate() {
            e.id = i as u32 + 1;
        }
        let fg = self.spec.background.foreground_ratio;
        Truth {
            source: source.to_string(),
            width: self.spec.width,
            height: self.spec.height,
            fps: self.spec.fps,
            duration_s: ctx.duration_s,
            frames: self.spec.frames(),
            noise_sigma: Some(sigma),
            foreground_ratio: (fg > 0.0).then_some(fg),
            notes: self.notes(),
            events,
        }
    }

    fn notes(&self) -> String {
        let s = &self.spec;
        let mut parts = vec![format!(
            "meteor-sim {}: profile {}, seed {}",
            env!("CARGO_PKG_VERSION"),
            s.profile.map_or("custom", |p| p.name()),
            s.seed
        )];
        if let Some(st) = &self.stars {
            parts.push(format!("{} stars", st.len()));
        }
        if let Some(hp) = &self.hot {
            let (steady, blinking) = hp.counts();
            parts.push(format!("{steady} steady + {blinking} blinking hot pixels"));
        }
        if self.sky.moon.is_some() {
            parts.push("moon glow".into());
        }
        if let Some(c) = &self.clouds {
            parts.push(format!(
                "clouds drifting {:.0},{:.0} px/s",
                c.velocity[0], c.velocity[1]
            ));
        }
        if !s.notes.is_empty() {
            parts.push(s.notes.clone());
        }
        parts.join("; ")
    }
}

/// One output row: `clamp((base + noise + cloud + flash) / 16)`. The noise and cloud rows are
/// read rotated by their column offsets; `horizon` masks the cloud out of the foreground.
fn combine_row(
    out: &mut [u8],
    base: &[i16],
    noise: (&[i16], usize),
    cloud: Option<(&[i16], usize)>,
    horizon: Option<(&[u16], usize)>,
    flash: (i32, i32),
) {
    let w = out.len();
    // Split the row where either rotated source wraps, so each piece reads contiguous slices.
    let mut cuts = vec![0, w, w - noise.1];
    if let Some((_, ox)) = cloud {
        cuts.push(w - ox);
    }
    cuts.sort_unstable();
    cuts.dedup();
    for pair in cuts.windows(2) {
        let (xs, xe) = (pair[0], pair[1]);
        if xs >= xe || xs >= w {
            continue;
        }
        let n = xe - xs;
        let nz = &noise.0[(xs + noise.1) % w..][..n];
        let o = &mut out[xs..xe];
        let b = &base[xs..xe];
        let f0 = flash.0 + flash.1 * xs as i32;
        match cloud {
            None => {
                for (i, ((o, &b), &z)) in o.iter_mut().zip(b).zip(nz).enumerate() {
                    let f = (f0 + flash.1 * i as i32) >> 8;
                    *o = ((b as i32 + z as i32 + f + 8) >> 4).clamp(0, 255) as u8;
                }
            }
            Some((tex, ox)) => {
                let cl = &tex[(xs + ox) % w..][..n];
                for (i, (((o, &b), &z), &c)) in o.iter_mut().zip(b).zip(nz).zip(cl).enumerate() {
                    let x = xs + i;
                    let c = match horizon {
                        Some((hz, y)) if y >= hz[x] as usize => 0,
                        _ => c as i32,
                    };
                    let f = (f0 + flash.1 * i as i32) >> 8;
                    *o = ((b as i32 + z as i32 + c + f + 8) >> 4).clamp(0, 255) as u8;
                }
            }
        }
    }
}
