//! Trajectories of moving objects ([`Path`]) and the part of them that is visible in the
//! frame and the clip.

use crate::actors::Ctx;
use std::f64::consts::{PI, TAU};

/// A trajectory: `a` at `t0` to `b` at `t1`, optionally decelerating, bowed sideways by `bend`
/// px at mid-path and swinging sideways by `wiggle` px at `wiggle_hz` (zero at both ends).
#[derive(Debug, Clone)]
pub struct Path {
    pub a: [f64; 2],
    pub b: [f64; 2],
    pub t0: f64,
    pub t1: f64,
    pub decel: f64,
    pub bend: f64,
    pub wiggle: f64,
    pub wiggle_hz: f64,
}

impl Path {
    pub fn straight(a: [f64; 2], b: [f64; 2], t0: f64, t1: f64) -> Path {
        Path {
            a,
            b,
            t0,
            t1,
            decel: 0.0,
            bend: 0.0,
            wiggle: 0.0,
            wiggle_hz: 0.0,
        }
    }

    pub fn pos(&self, t: f64) -> [f64; 2] {
        let span = (self.t1 - self.t0).max(1e-9);
        let u = ((t - self.t0) / span).clamp(0.0, 1.0);
        let d = self.decel.clamp(0.0, 0.95);
        let s = (1.0 + d) * u - d * u * u;
        let (dx, dy) = (self.b[0] - self.a[0], self.b[1] - self.a[1]);
        let len = dx.hypot(dy).max(1e-9);
        let (nx, ny) = (-dy / len, dx / len);
        let side = self.bend * 4.0 * u * (1.0 - u)
            + self.wiggle * (TAU * self.wiggle_hz * (t - self.t0)).sin() * (PI * u).sin();
        [
            self.a[0] + dx * s + nx * side,
            self.a[1] + dy * s + ny * side,
        ]
    }

    /// The visible part `(t_enter, t_exit)` of the path within the frame and the clip.
    pub fn visible(&self, ctx: &Ctx) -> Option<(f64, f64)> {
        let (ts, te) = (self.t0.max(0.0), self.t1.min(ctx.duration_s));
        if te < ts {
            return None;
        }
        let n = (((te - ts) * 240.0) as usize).clamp(64, 20_000);
        let at = |i: usize| ts + (te - ts) * i as f64 / n as f64;
        let first = (0..=n).find(|&i| ctx.inside(self.pos(at(i))))?;
        let last = (0..=n).rev().find(|&i| ctx.inside(self.pos(at(i))))?;
        let refine = |mut out: f64, mut inn: f64| {
            for _ in 0..30 {
                let mid = 0.5 * (out + inn);
                if ctx.inside(self.pos(mid)) {
                    inn = mid
                } else {
                    out = mid
                }
            }
            inn
        };
        let enter = if first == 0 {
            ts
        } else {
            refine(at(first - 1), at(first))
        };
        let exit = if last == n {
            te
        } else {
            refine(at(last + 1), at(last))
        };
        Some((enter, exit))
    }

    /// Part of the exposure `[t0, t1)` during which the object exists.
    pub fn exposure(&self, t0: f64, t1: f64) -> Option<(f64, f64)> {
        let (a, b) = (t0.max(self.t0), t1.min(self.t1));
        (b > a).then_some((a, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ends_and_wiggle() {
        let mut p = Path::straight([0.0, 0.0], [100.0, 0.0], 1.0, 2.0);
        p.wiggle = 10.0;
        p.wiggle_hz = 3.3;
        p.bend = 5.0;
        let e = p.pos(2.0);
        assert!((e[0] - 100.0).abs() < 1e-6 && e[1].abs() < 1e-6);
        assert!(p.pos(1.5)[1].abs() > 1.0);
    }
}
