//! The named profiles: random but seeded content for a [`RenderSpec`]. Speeds and sizes are
//! defined at 720p and multiplied by `height / 720`; meteors stay in the sky, above the
//! foreground strip. Every profile works at any duration (content is sparser below ~10 s).

use crate::actors::lightcurve;
use crate::events::{EventSpec, Flare, MeteorSpec};
use crate::rng::{log_uniform, stream_rng, uniform, SimRng, Stream};
use crate::spec::{Background, Profile, RenderSpec};
use rand::Rng;
use std::f64::consts::TAU;

mod distractors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Distractor {
    Plane,
    Satellite,
    Insect,
    Bird,
    Flicker,
    Headlights,
    Flash,
}

const ALL_DISTRACTORS: [Distractor; 7] = [
    Distractor::Plane,
    Distractor::Satellite,
    Distractor::Insect,
    Distractor::Bird,
    Distractor::Flicker,
    Distractor::Headlights,
    Distractor::Flash,
];

pub(crate) struct Gen {
    pub(crate) rng: SimRng,
    pub(crate) w: f64,
    pub(crate) h: f64,
    pub(crate) s: f64,
    /// PSF scale (sizes of point sources).
    pub(crate) psf: f64,
    pub(crate) fps: f64,
    pub(crate) dur: f64,
    pub(crate) sigma: f64,
    /// Bottom of the sky (top of the foreground strip).
    pub(crate) sky_line: f64,
    pub(crate) strip: f64,
}

impl Gen {
    pub(crate) fn u(&mut self, lo: f64, hi: f64) -> f64 {
        uniform(&mut self.rng, lo, hi)
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    fn inside(&self, p: [f64; 2]) -> bool {
        p[0] >= 0.0 && p[1] >= 0.0 && p[0] <= self.w - 1.0 && p[1] <= self.h - 1.0
    }

    /// A random meteor starting at `t`, or `None` if none fits.
    fn meteor(&mut self, t: f64, snr: f64, radiant: Option<([f64; 2], f64)>) -> Option<MeteorSpec> {
        let margin = 20.0 * self.s;
        let y_max = self.sky_line - margin;
        let max_dur = (self.dur - t - 0.1).min(2.0);
        if max_dur < 0.1 || y_max < 2.0 * margin {
            return None;
        }
        for _ in 0..200 {
            let mut dur = 0.1 + 1.9 * self.rng.random::<f64>().powi(2);
            let speed = match radiant {
                Some((_, v)) => v * self.u(0.85, 1.15),
                None => log_uniform(&mut self.rng, 90.0, 1200.0) * self.s,
            };
            let max_len = 0.7 * self.w.hypot(y_max);
            dur = dur.min(max_len / speed).min(max_dur);
            if dur < 0.1 {
                continue;
            }
            let len = speed * dur;
            let mut a = [self.u(margin, self.w - margin), self.u(margin, y_max)];
            let dir = match radiant {
                Some((r, _)) => {
                    let d = [a[0] - r[0], a[1] - r[1]];
                    let n = d[0].hypot(d[1]).max(1e-6);
                    [d[0] / n, d[1] / n]
                }
                None => {
                    let ang = self.u(0.0, TAU);
                    [ang.cos(), ang.sin()]
                }
            };
            let mut b = [a[0] + dir[0] * len, a[1] + dir[1] * len];
            let mode = self.rng.random::<f64>();
            if mode < 0.12 {
                // enters the frame: move the path back so it starts outside
                let k = self.u(0.2, 0.5) * len;
                a = [a[0] - dir[0] * k, a[1] - dir[1] * k];
                b = [b[0] - dir[0] * k, b[1] - dir[1] * k];
                if self.inside(a) || !self.inside(b) {
                    continue;
                }
            } else if mode < 0.24 {
                if self.inside(b) {
                    continue; // meant to leave the frame
                }
            } else if !self.inside(b) {
                continue;
            }
            if a[1] > y_max || b[1] > y_max {
                continue;
            }
            let mut m = MeteorSpec::new(a, b, t, t + dur, snr);
            m.width_sigma = self.u(0.8, 1.5) * self.psf;
            m.peak_at = self.u(0.3, 0.8);
            if self.chance(0.5) {
                m.deceleration = self.u(0.05, 0.3);
            }
            if self.chance(0.25) {
                let frames = self.rng.random_range(2..=4) as f64;
                let at = t + dur * self.u(0.3, 0.85);
                let flare = Flare {
                    at_s: at,
                    duration_s: frames / self.fps,
                    gain: self.u(2.0, 3.0),
                };
                // keep `snr` the peak of the whole lightcurve, flare included
                let top = (0..=8)
                    .map(|i| lightcurve(&m, at + flare.duration_s * i as f64 / 8.0) * flare.gain)
                    .fold(1.0, f64::max);
                m.peak_snr = snr / top;
                m.flares.push(flare);
            }
            if snr * self.sigma > 200.0 {
                // fireball: saturates, with a halo
                m.halo = true;
                m.width_sigma = self.u(1.3, 2.0) * self.psf;
            }
            return Some(m);
        }
        None
    }

    /// Meteors from `first` every `gap` seconds (drawn per meteor), a second one at about the
    /// same time with probability `together`.
    fn meteors(
        &mut self,
        first: (f64, f64),
        gap: (f64, f64),
        together: f64,
        snr: &mut dyn FnMut(&mut Gen) -> f64,
        radiant: Option<([f64; 2], f64)>,
        out: &mut Vec<EventSpec>,
    ) {
        let mut t = self.u(first.0, first.1);
        while t + 0.2 < self.dur {
            let v = snr(self);
            out.extend(self.meteor(t, v, radiant).map(EventSpec::from));
            if self.chance(together) {
                let t2 = (t + self.u(-0.2, 0.3)).max(0.0);
                let v = snr(self);
                out.extend(self.meteor(t2, v, radiant).map(EventSpec::from));
            }
            t += self.u(gap.0, gap.1);
        }
    }

    /// Each distractor `rate` times a minute on average, at uniform times.
    fn sample(&mut self, rates: &[(Distractor, f64)], out: &mut Vec<EventSpec>) {
        for &(kind, rate) in rates {
            let n = (rate * self.dur / 60.0 + self.rng.random::<f64>()).floor() as usize;
            for _ in 0..n {
                let t = self.u(0.0, (self.dur - 0.5).max(0.0));
                out.extend(self.distractor(kind, t));
            }
        }
    }

    /// Every distractor type at least once in every minute (or part of one).
    fn every_type(&mut self, out: &mut Vec<EventSpec>) {
        let windows = (self.dur / 60.0).ceil().max(1.0) as usize;
        let span = self.dur / windows as f64;
        for kind in ALL_DISTRACTORS {
            for k in 0..windows {
                let lo = k as f64 * span;
                let t = self.u(lo, lo + (span - 0.5).max(0.0));
                out.extend(self.distractor(kind, t));
            }
        }
    }
}

pub(crate) fn generate(
    profile: Profile,
    seed: u64,
    width: u32,
    height: u32,
    fps: f64,
    duration_s: f64,
) -> RenderSpec {
    let mut spec = RenderSpec::custom(seed, width, height, fps, duration_s);
    spec.profile = Some(profile);
    let mut bg = Background::clear_night();
    match profile {
        Profile::Mixed => bg.osd_clock = true,
        Profile::Quiet => {
            bg.osd_clock = true;
            bg.clouds = true;
        }
        Profile::Shower => {}
        Profile::Hard => {
            bg.clouds = true;
            bg.moon = true;
            spec.noise_sigma = 6.0;
        }
    }
    let s = spec.scale();
    let strip = bg.foreground_ratio * height as f64;
    let mut g = Gen {
        rng: stream_rng(seed, Stream::Profile, 0),
        w: width as f64,
        h: height as f64,
        s,
        psf: s.clamp(0.8, 2.0),
        fps,
        dur: spec.frames() as f64 / fps.max(1.0),
        sigma: spec.noise_sigma,
        sky_line: height as f64 - strip,
        strip,
    };
    spec.background = bg;
    let mut ev = Vec::new();
    use Distractor::*;
    match profile {
        Profile::Mixed => {
            let mut snr = |g: &mut Gen| {
                if g.chance(0.06) {
                    g.u(260.0, 500.0) / g.sigma
                } else {
                    log_uniform(&mut g.rng, 3.0, 40.0)
                }
            };
            g.meteors((0.5, 3.5), (6.0, 10.0), 0.15, &mut snr, None, &mut ev);
            let rates = [
                (Plane, 1.0),
                (Satellite, 1.0),
                (Insect, 1.5),
                (Bird, 0.7),
                (Flash, 0.4),
                (Flicker, 0.6),
                (Headlights, 0.6),
            ];
            g.sample(&rates, &mut ev);
        }
        Profile::Quiet => g.every_type(&mut ev),
        Profile::Shower => {
            let radiant = [g.u(-0.3, 1.3) * g.w, g.u(-0.6, 0.1) * g.h];
            let speed = g.u(500.0, 1000.0) * s;
            let mut snr = |g: &mut Gen| {
                if g.chance(0.03) {
                    g.u(260.0, 500.0) / g.sigma
                } else {
                    log_uniform(&mut g.rng, 3.0, 30.0)
                }
            };
            g.meteors(
                (0.3, 1.5),
                (2.0, 3.0),
                0.25,
                &mut snr,
                Some((radiant, speed)),
                &mut ev,
            );
            g.sample(&[(Plane, 0.3), (Satellite, 0.5), (Insect, 0.3)], &mut ev);
            spec.notes = format!("radiant at ({:.0}, {:.0})", radiant[0], radiant[1]);
        }
        Profile::Hard => {
            let mut snr = |g: &mut Gen| log_uniform(&mut g.rng, 2.5, 8.0);
            g.meteors((0.5, 3.5), (6.0, 10.0), 0.1, &mut snr, None, &mut ev);
            g.sample(
                &[(Plane, 0.5), (Satellite, 0.8), (Flicker, 0.3), (Bird, 0.3)],
                &mut ev,
            );
        }
    }
    ev.sort_by(|a, b| a.start_s().total_cmp(&b.start_s()));
    spec.events = ev;
    spec
}
