//! The events of a clip brought to life: each [`EventSpec`] becomes an [`Actor`] that draws
//! itself into a frame given the frame's exposure interval `[t0, t1)` (motion during the
//! exposure is drawn as a streak), and that reports its ground truth.
//!
//! Truth positions are clipped: when an object enters or leaves the frame (or starts before /
//! ends after the clip), `start_s`/`start_xy` and `end_s`/`end_xy` are the time and position
//! where it becomes / stops being visible inside the frame and the clip.

use crate::draw::{FrameBuf, Horizon};
use crate::events::{EventSpec, FlashSpec, FlickerSpec, MeteorSpec, MoverKind, MoverSpec};
use crate::path::Path;
use crate::sky::Sky;
use meteor_core::TruthEvent;
use std::f64::consts::TAU;

/// Amplitude samples per frame along a streak.
const SAMPLES: usize = 5;

/// Frame geometry and timing shared by every actor.
pub struct Ctx<'a> {
    pub width: usize,
    pub height: usize,
    pub fps: f64,
    pub duration_s: f64,
    pub noise_sigma: f64,
    pub sky: &'a Sky,
}

impl Ctx<'_> {
    pub(crate) fn inside(&self, p: [f64; 2]) -> bool {
        p[0] >= 0.0
            && p[1] >= 0.0
            && p[0] <= (self.width - 1) as f64
            && p[1] <= (self.height - 1) as f64
    }

    /// Luma headroom above the background at `p` (what is left before saturating).
    fn headroom(&self, p: [f64; 2]) -> f64 {
        255.0 - self.sky.base_at(self.width, self.height, p)
    }
}

fn sample_times(a: f64, b: f64) -> [f64; SAMPLES] {
    std::array::from_fn(|i| a + (b - a) * i as f64 / (SAMPLES - 1) as f64)
}

fn truth(
    kind: &str,
    t: (f64, f64),
    xy: Option<([f64; 2], [f64; 2])>,
    snr: Option<f64>,
) -> TruthEvent {
    let r = |v: f64| (v * 1000.0).round() / 1000.0;
    let rp = |p: [f64; 2]| [(p[0] * 10.0).round() / 10.0, (p[1] * 10.0).round() / 10.0];
    TruthEvent {
        id: 0,
        kind: kind.to_string(),
        start_s: r(t.0),
        end_s: r(t.1),
        start_xy: xy.map(|(a, _)| rp(a)),
        end_xy: xy.map(|(_, b)| rp(b)),
        peak_snr: snr.map(|s| (s * 100.0).round() / 100.0),
    }
}

pub enum Actor {
    Meteor(MeteorSpec, Path),
    Flash(FlashSpec),
    Mover(MoverSpec, Path),
    Flicker(FlickerSpec, Vec<(f64, f64)>),
}

impl Actor {
    pub fn new(event: &EventSpec) -> Actor {
        match event {
            EventSpec::Meteor(m) => {
                let mut path = Path::straight(m.start_xy, m.end_xy, m.start_s, m.end_s);
                path.decel = m.deceleration;
                Actor::Meteor(m.clone(), path)
            }
            EventSpec::Flash(f) => Actor::Flash(f.clone()),
            EventSpec::Mover(m) => {
                let mut path = Path::straight(m.start_xy, m.end_xy, m.start_s, m.end_s);
                path.bend = m.bend_px;
                if let MoverKind::Insect {
                    wiggle_px,
                    wiggle_hz,
                } = m.kind
                {
                    path.wiggle = wiggle_px;
                    path.wiggle_hz = wiggle_hz;
                }
                Actor::Mover(m.clone(), path)
            }
            EventSpec::Flicker(f) => Actor::Flicker(f.clone(), flicker_pattern(f)),
        }
    }

    /// Adds the flash's brightening for the exposure as a linear field `a + b*x + c*y` (luma).
    pub fn flash_field(&self, t0: f64, t1: f64, w: usize, h: usize) -> Option<[f64; 3]> {
        let Actor::Flash(f) = self else { return None };
        let gain = sample_times(t0, t1)
            .iter()
            .map(|&t| flash_gain(f, t))
            .sum::<f64>()
            / SAMPLES as f64;
        if gain < 0.01 {
            return None;
        }
        let (c, s) = (f.gradient_angle.cos(), f.gradient_angle.sin());
        let n = c.abs() + s.abs();
        let k = (1.0 - f.gradient_floor.clamp(0.0, 1.0)) * 0.5;
        // factor = floor + k * (1 + (c*(2x/w-1) + s*(2y/h-1)) / n), in [floor, 1]
        let a = f.gradient_floor + k * (1.0 - (c + s) / n);
        Some([
            gain * a,
            gain * k * 2.0 * c / (n * w as f64),
            gain * k * 2.0 * s / (n * h as f64),
        ])
    }

    pub fn draw(&self, fb: &mut FrameBuf, t0: f64, t1: f64, ctx: &Ctx) {
        match self {
            Actor::Meteor(m, path) => {
                let Some((a, b)) = path.exposure(t0, t1) else {
                    return;
                };
                let amps = meteor_amps(m, ctx, a, b);
                let (pa, pb) = (path.pos(a), path.pos(b));
                let hz: Horizon = Some(&ctx.sky.horizon);
                fb.add_streak(pa, pb, &amps, m.width_sigma, hz);
                if m.halo {
                    let halo = amps.map(|v| 0.25 * v);
                    fb.add_streak(pa, pb, &halo, 4.0 * m.width_sigma, hz);
                }
            }
            Actor::Flash(_) => {}
            Actor::Mover(m, path) => {
                let Some((a, b)) = path.exposure(t0, t1) else {
                    return;
                };
                let (pa, pb) = (path.pos(a), path.pos(b));
                let amp = m.amplitude as f32;
                let sky_hz: Horizon = Some(&ctx.sky.horizon);
                match m.kind {
                    MoverKind::Plane {
                        strobe,
                        strobe_period_s,
                        strobe_on_s,
                        strobe_phase_s,
                    } => {
                        let on = on_fraction(a, b, strobe_period_s, strobe_on_s, strobe_phase_s);
                        let v = amp + (strobe * on) as f32;
                        fb.add_streak(pa, pb, &[v], m.sigma, sky_hz);
                    }
                    MoverKind::Satellite { fade_s } => {
                        let amps =
                            sample_times(a, b).map(|t| amp * fade(t, m.end_s, fade_s) as f32);
                        fb.add_streak(pa, pb, &amps, m.sigma, sky_hz);
                    }
                    MoverKind::Insect { .. } => fb.add_streak(pa, pb, &[amp], m.sigma, None),
                    MoverKind::Bird {
                        flap_hz,
                        flap_depth,
                    } => {
                        let amps = sample_times(a, b)
                            .map(|t| amp * (1.0 + flap_depth * (TAU * flap_hz * t).sin()) as f32);
                        fb.add_streak(pa, pb, &amps, m.sigma, None);
                    }
                    MoverKind::Headlights { separation, glow } => {
                        let half = separation / 2.0;
                        for dx in [-half, half] {
                            fb.add_streak(
                                [pa[0] + dx, pa[1]],
                                [pb[0] + dx, pb[1]],
                                &[amp],
                                m.sigma,
                                None,
                            );
                        }
                        let dir = (m.end_xy[0] - m.start_xy[0]).signum();
                        let mid = [
                            0.5 * (pa[0] + pb[0]) + dir * separation,
                            0.5 * (pa[1] + pb[1]) + 2.0 * m.sigma,
                        ];
                        fb.add_blob(mid, glow as f32, 2.5 * separation, 1.5 * m.sigma.max(1.5));
                    }
                }
            }
            Actor::Flicker(f, pattern) => {
                let on: f64 = pattern
                    .iter()
                    .map(|&(s, e)| (t1.min(e) - t0.max(s)).max(0.0))
                    .sum::<f64>()
                    / (t1 - t0);
                if on > 0.0 {
                    fb.add_point(f.xy, (f.amplitude * on) as f32, f.sigma, None);
                }
            }
        }
    }

    /// The event's ground truth (id 0), or `None` if it is never visible in the clip.
    pub fn truth(&self, ctx: &Ctx) -> Option<TruthEvent> {
        let sigma = ctx.noise_sigma;
        match self {
            Actor::Meteor(m, path) => {
                let (ts, te) = path.visible(ctx)?;
                let first = (ts * ctx.fps).floor() as i64;
                let last = (te * ctx.fps).ceil() as i64;
                let mut peak: f64 = 0.0;
                for i in first.max(0)..=last {
                    let (t0, t1) = (i as f64 / ctx.fps, (i + 1) as f64 / ctx.fps);
                    let Some((a, b)) = path.exposure(t0, t1) else {
                        continue;
                    };
                    for (t, amp) in sample_times(a, b)
                        .into_iter()
                        .zip(meteor_amps(m, ctx, a, b))
                    {
                        let p = path.pos(t);
                        if ctx.inside(p) {
                            peak = peak.max((amp as f64).min(ctx.headroom(p)));
                        }
                    }
                }
                Some(truth(
                    "meteor",
                    (ts, te),
                    Some((path.pos(ts), path.pos(te))),
                    Some(peak / sigma),
                ))
            }
            Actor::Flash(f) => {
                let start = f
                    .pulses
                    .iter()
                    .map(|p| p.at_s)
                    .fold(f64::INFINITY, f64::min)
                    .max(0.0);
                let end = f
                    .pulses
                    .iter()
                    .map(|p| p.at_s + 3.0 * p.decay_s)
                    .fold(0.0, f64::max)
                    .min(ctx.duration_s);
                let peak = f
                    .pulses
                    .iter()
                    .map(|p| flash_gain(f, p.at_s))
                    .fold(0.0, f64::max);
                (end > start).then(|| truth("flash", (start, end), None, Some(peak / sigma)))
            }
            Actor::Mover(m, path) => {
                let (ts, te) = path.visible(ctx)?;
                let (pa, pb) = (path.pos(ts), path.pos(te));
                let peak = match m.kind {
                    MoverKind::Plane { strobe, .. } => m.amplitude + strobe,
                    MoverKind::Bird { flap_depth, .. } => m.amplitude * (1.0 + flap_depth),
                    _ => m.amplitude,
                };
                let peak = peak.min(ctx.headroom(pa));
                let kind = EventSpec::Mover(m.clone()).kind();
                Some(truth(kind, (ts, te), Some((pa, pb)), Some(peak / sigma)))
            }
            Actor::Flicker(f, _) => {
                let (ts, te) = (f.start_s.max(0.0), f.end_s.min(ctx.duration_s));
                let visible = ctx.inside(f.xy) && te > ts;
                let peak = f.amplitude.min(ctx.headroom(f.xy));
                visible.then(|| truth("flicker", (ts, te), Some((f.xy, f.xy)), Some(peak / sigma)))
            }
        }
    }
}

/// Smooth meteor lightcurve, 0..1: `(u/p)^a * ((1-u)/(1-p))^b`, peaking (1) at `u = p`.
pub(crate) fn lightcurve(m: &MeteorSpec, t: f64) -> f64 {
    let span = (m.end_s - m.start_s).max(1e-9);
    let u = (t - m.start_s) / span;
    if !(0.0..=1.0).contains(&u) {
        return 0.0;
    }
    let p = m.peak_at.clamp(0.05, 0.95);
    let b = 0.6;
    let a = b * p / (1.0 - p);
    (u / p).powf(a) * ((1.0 - u) / (1.0 - p)).powf(b)
}

/// Meteor amplitude: `peak_snr * sigma * lightcurve`, times the flares in effect.
fn meteor_amplitude(m: &MeteorSpec, sigma: f64, t: f64) -> f64 {
    let mut f = lightcurve(m, t);
    for fl in &m.flares {
        if t >= fl.at_s && t <= fl.at_s + fl.duration_s {
            f *= fl.gain;
        }
    }
    m.peak_snr * sigma * f
}

fn meteor_amps(m: &MeteorSpec, ctx: &Ctx, a: f64, b: f64) -> [f32; SAMPLES] {
    sample_times(a, b).map(|t| meteor_amplitude(m, ctx.noise_sigma, t) as f32)
}

fn flash_gain(f: &FlashSpec, t: f64) -> f64 {
    f.pulses
        .iter()
        .filter(|p| t >= p.at_s)
        .map(|p| p.amplitude * (-(t - p.at_s) / p.decay_s.max(1e-3)).exp())
        .sum()
}

/// Fraction of `[a, b)` during which a strobe lit for `on` every `period` (from `phase`) is lit.
fn on_fraction(a: f64, b: f64, period: f64, on: f64, phase: f64) -> f64 {
    if b <= a || period <= 0.0 {
        return 0.0;
    }
    let k0 = ((a - phase) / period).floor() as i64 - 1;
    let k1 = ((b - phase) / period).ceil() as i64;
    let lit: f64 = (k0..=k1)
        .map(|k| {
            let s = phase + k as f64 * period;
            (b.min(s + on) - a.max(s)).max(0.0)
        })
        .sum();
    lit / (b - a)
}

fn fade(t: f64, end: f64, fade_s: f64) -> f64 {
    if fade_s <= 0.0 {
        1.0
    } else {
        ((end - t) / fade_s).clamp(0.0, 1.0)
    }
}

/// Irregular on/off intervals of a flicker, on at its start.
fn flicker_pattern(f: &FlickerSpec) -> Vec<(f64, f64)> {
    use crate::rng::{stream_rng, uniform, Stream};
    let mut rng = stream_rng(f.pattern_seed, Stream::Event, 0);
    let mut out = Vec::new();
    let mut t = f.start_s;
    while t < f.end_s {
        let on_end = (t + uniform(&mut rng, 0.1, 1.5)).min(f.end_s);
        out.push((t, on_end));
        t = on_end + uniform(&mut rng, 0.05, 1.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strobe_fraction() {
        assert!((on_fraction(0.0, 0.1, 1.0, 0.1, 0.0) - 1.0).abs() < 1e-9);
        assert!((on_fraction(0.05, 0.15, 1.0, 0.1, 0.0) - 0.5).abs() < 1e-9);
        assert!(on_fraction(0.2, 0.9, 1.0, 0.1, 0.0).abs() < 1e-9);
        assert!((on_fraction(2.0, 2.05, 1.0, 0.1, 0.0) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn lightcurve_peaks_at_peak_snr() {
        let m = MeteorSpec::new([0.0, 0.0], [100.0, 0.0], 1.0, 2.0, 10.0);
        let peak = (0..=1000)
            .map(|i| meteor_amplitude(&m, 2.0, 1.0 + i as f64 / 1000.0))
            .fold(0.0, f64::max);
        assert!((peak - 20.0).abs() < 1e-6);
        assert_eq!(meteor_amplitude(&m, 2.0, 0.5), 0.0);
    }
}
