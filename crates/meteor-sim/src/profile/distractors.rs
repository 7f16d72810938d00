//! The distractors the profiles scatter through a clip (planes, satellites, insects, birds,
//! flickering lights, headlights, lightning), with their sizes and speeds at 720p scaled by
//! `height / 720`.

use super::{Distractor, Gen};
use crate::events::{EventSpec, FlashSpec, FlickerSpec, MoverKind, MoverSpec, Pulse};
use rand::Rng;
use std::f64::consts::{PI, TAU};

impl Gen {
    fn sky_point(&mut self) -> [f64; 2] {
        let sky = self.sky_line;
        [self.u(0.05, 0.95) * self.w, self.u(0.05, 0.8) * sky]
    }

    pub(super) fn distractor(&mut self, kind: Distractor, t: f64) -> Option<EventSpec> {
        let s = self.s;
        let ev: EventSpec = match kind {
            Distractor::Plane => {
                let vis = self.u(20.0, 60.0);
                let a = self.sky_point();
                let ang = self.u(-0.45, 0.45) + if self.chance(0.5) { 0.0 } else { PI };
                let len = self.u(10.0, 30.0) * s * vis;
                let b = [a[0] + ang.cos() * len, a[1] + ang.sin() * len];
                let mut m = MoverSpec::plane(a, b, t, t + vis).with_amplitude(self.u(15.0, 40.0));
                let period = self.u(0.9, 1.3);
                m.kind = MoverKind::Plane {
                    strobe: self.u(120.0, 230.0),
                    strobe_period_s: period,
                    strobe_on_s: self.u(0.08, 0.12),
                    strobe_phase_s: t + self.u(0.0, period),
                };
                m.sigma = 1.2 * self.psf;
                m.into()
            }
            Distractor::Satellite => {
                let vis = self.u(10.0, 40.0);
                let a = self.sky_point();
                let ang = self.u(0.0, TAU);
                let len = self.u(20.0, 60.0) * s * vis;
                let b = [a[0] + ang.cos() * len, a[1] + ang.sin() * len];
                let mut m = MoverSpec::satellite(a, b, t, t + vis)
                    .with_amplitude(self.u(3.0, 10.0) * self.sigma);
                let fade = if self.chance(0.4) {
                    self.u(1.0, 3.0)
                } else {
                    0.0
                };
                m.kind = MoverKind::Satellite { fade_s: fade };
                m.sigma = self.psf;
                m.into()
            }
            Distractor::Insect => {
                let d = self.u(0.3, 1.5);
                let a = [self.u(0.0, self.w), self.u(0.0, self.h)];
                let ang = self.u(0.0, TAU);
                let len = self.u(100.0, 400.0) * s * d;
                let b = [a[0] + ang.cos() * len, a[1] + ang.sin() * len];
                let mut m = MoverSpec::insect(a, b, t, t + d).with_amplitude(self.u(40.0, 200.0));
                m.kind = MoverKind::Insect {
                    wiggle_px: self.u(5.0, 25.0) * s,
                    wiggle_hz: self.u(2.0, 6.0),
                };
                m.sigma = self.u(3.0, 6.0) * s;
                m.bend_px = self.u(-30.0, 30.0) * s;
                m.into()
            }
            Distractor::Bird => {
                let d = self.u(0.5, 2.0);
                let a = self.sky_point();
                let ang = self.u(-0.6, 0.6) + if self.chance(0.5) { 0.0 } else { PI };
                let len = self.u(80.0, 250.0) * s * d;
                let b = [a[0] + ang.cos() * len, a[1] + ang.sin() * len];
                let mut m = MoverSpec::bird(a, b, t, t + d).with_amplitude(self.u(8.0, 25.0));
                m.kind = MoverKind::Bird {
                    flap_hz: self.u(3.0, 8.0),
                    flap_depth: self.u(0.3, 0.6),
                };
                m.sigma = self.u(2.0, 4.0) * s;
                m.bend_px = self.u(-0.3, 0.3) * len;
                m.into()
            }
            Distractor::Flicker => {
                let d = self.u(5.0, 20.0);
                let xy = if self.strip < 4.0 || self.chance(0.5) {
                    self.sky_point()
                } else {
                    [
                        self.u(0.05, 0.95) * self.w,
                        self.h - self.u(0.1, 0.35) * self.strip,
                    ]
                };
                let mut f = FlickerSpec::new(xy, t, t + d, self.u(30.0, 160.0));
                f.sigma = self.u(1.0, 2.0) * self.psf;
                f.pattern_seed = self.rng.random();
                f.into()
            }
            Distractor::Headlights => {
                if self.strip < 8.0 {
                    return None;
                }
                let d = self.u(2.0, 8.0);
                let y = self.h - self.u(0.15, 0.4) * self.strip;
                let x = self.u(0.05, 0.95) * self.w;
                let dx = self.u(40.0, 200.0) * s * d * if self.chance(0.5) { 1.0 } else { -1.0 };
                let mut m = MoverSpec::headlights([x, y], [x + dx, y], t, t + d)
                    .with_amplitude(self.u(150.0, 300.0));
                m.kind = MoverKind::Headlights {
                    separation: self.u(8.0, 24.0) * s,
                    glow: self.u(12.0, 25.0),
                };
                m.sigma = self.u(1.5, 3.0) * s;
                m.into()
            }
            Distractor::Flash => {
                let total = self.u(0.2, 0.8);
                let n = self.rng.random_range(2..=5);
                let mut times: Vec<f64> = (1..n).map(|_| t + self.u(0.03, total - 0.05)).collect();
                times.insert(0, t);
                times.sort_by(f64::total_cmp);
                let pulses = times
                    .into_iter()
                    .map(|at| Pulse {
                        at_s: at,
                        amplitude: self.u(30.0, 90.0),
                        decay_s: self.u(0.02, 0.06),
                    })
                    .collect();
                FlashSpec {
                    pulses,
                    gradient_angle: self.u(0.0, TAU),
                    gradient_floor: self.u(0.3, 0.6),
                }
                .into()
            }
        };
        Some(ev)
    }
}
